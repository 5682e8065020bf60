"""Build-time trimming of two tract crates for scry's WebAssembly bundle.

tract links code that scry's wasm never runs and that the linker cannot drop:
  - tract-onnx's `register_all_ops` makes every ONNX operator builder reachable, with the tract
    ops behind them: FFT (rustfft alone was 6.8 % of the code), recurrent nets, classic ML,
    random generators, image resampling, non-max suppression, space/depth shuffles.
  - tract-nnef registers a "patch" model transform through `inventory` (a static constructor,
    always linked), which keeps NNEF's whole operator registry alive.

For the wasm build only, this module extracts the two crates exactly as locked in Cargo.lock (the
`.crate` archives in cargo's cache, sha256-checked against Cargo.lock), applies the edits below
(each must match exactly once, so a tract upgrade fails loudly here instead of silently building
something else) and hands cargo a `[patch.crates-io]` config pointing at them. Nothing is copied
into the repository; native builds and `wasm-pack test` use the crates unchanged.

scry-embed leaves the same ONNX operators out of its parser everywhere
(`scry_embed::LEFT_OUT_OPS`), so a model behaves the same natively and in the browser: a model whose
outputs need one is refused with a typed error naming the operators. Keep both lists in step.

Measured effect (BENCHMARKS.md, "What a page loads"): 3,243,008 -> 2,671,169 B gzip (the nnef
transform 0.20 MB of it, the ONNX operator families 0.37 MB).
"""
import contextlib
import glob
import hashlib
import io
import json
import os
import shutil
import subprocess
import tarfile
import tomllib

# Prepended to each edited crate's lib.rs: registry crates build with their lints capped, a path
# dependency does not.
LINT_PREFIX = "#![allow(warnings)]\n"

# (crate, file inside the crate, exact text, replacement)
EDITS = [
    # Operator families scry-embed leaves out (see LEFT_OUT_OPS in crates/scry-embed/src/lib.rs).
    *[("tract-onnx", "src/ops/mod.rs", line, "") for line in (
        '    reg.insert("GridSample", grid_sample::grid_sample);\n',
        '    reg.insert("Resize", resize::resize);\n',
        '    reg.insert("NonMaxSuppression", non_max_suppression::non_max_suppression);\n',
        '    reg.insert("Multinomial", multinomial::multinomial);\n',
        '    d2s::register_all_ops(reg);\n',
        '    fft::register_all_ops(reg);\n',
        '    ml::register_all_ops(reg);\n',
        '    random::register_all_ops(reg);\n',
        '    rec::register_all_ops(reg);\n',
        '    s2d::register_all_ops(reg);\n',
    )],
    # The "patch" model transform (scry never asks tract for transforms by name).
    ("tract-nnef", "src/transform.rs",
     'inventory::submit! {\n    ModelTransformFactory {\n        name: "patch",\n'
     '        build_default: || {\n'
     '            bail!("patch transform requires a \'body\' parameter, e.g. patch(body: \\"x = some_op(y);\\")")\n'
     '        },\n'
     '        build: |de| {\n'
     '            let config: PatchConfig = erased_serde::deserialize(de)\n'
     '                .map_err(|e| anyhow!("deserializing patch config: {e}"))?;\n'
     '            Ok(Box::new(PatchTransform(config)))\n'
     '        },\n'
     '    }\n'
     '}\n', ""),
]


def _locked(root: str, name: str) -> tuple[str, str]:
    with open(os.path.join(root, "Cargo.lock"), "rb") as f:
        lock = tomllib.load(f)
    found = [p for p in lock["package"] if p["name"] == name]
    if len(found) != 1 or "checksum" not in found[0]:
        raise SystemExit(f"trim_tract: expected one registry package {name} in Cargo.lock")
    return found[0]["version"], found[0]["checksum"]


def _crate_archive(root: str, name: str, version: str) -> str:
    home = os.environ.get("CARGO_HOME", os.path.expanduser("~/.cargo"))
    pattern = os.path.join(home, "registry", "cache", "*", f"{name}-{version}.crate")
    hits = glob.glob(pattern)
    if not hits:
        subprocess.run(["cargo", "fetch", "--target", "wasm32-unknown-unknown"], cwd=root, check=True)
        hits = glob.glob(pattern)
    if not hits:
        raise SystemExit(f"trim_tract: {name}-{version}.crate is not in cargo's cache")
    return hits[0]


def prepare(root: str) -> list[str]:
    """Extracts and edits the crates under target/trimmed-deps (only when they changed, so that
    cargo's fingerprints stay valid); returns the cargo arguments that patch them in."""
    out = os.path.join(root, "target", "trimmed-deps")
    os.makedirs(out, exist_ok=True)
    stamp_src = hashlib.sha256((repr(EDITS) + LINT_PREFIX).encode()).hexdigest()
    patches = []
    for name in sorted({e[0] for e in EDITS}):
        version, checksum = _locked(root, name)
        archive = _crate_archive(root, name, version)
        with open(archive, "rb") as f:
            data = f.read()
        if hashlib.sha256(data).hexdigest() != checksum:
            raise SystemExit(f"trim_tract: {archive} does not match Cargo.lock's checksum")
        dest = os.path.join(out, f"{name}-{version}")
        stamp = os.path.join(out, f"{name}-{version}.stamp")
        want = f"{checksum} {stamp_src}\n"
        if not (os.path.exists(stamp) and open(stamp).read() == want):
            shutil.rmtree(dest, ignore_errors=True)
            with tarfile.open(fileobj=io.BytesIO(data), mode="r:gz") as t:
                if hasattr(tarfile, "data_filter"):
                    t.extractall(out, filter="data")
                else:  # Python < 3.11.4; the archive is the sha256-pinned one anyway
                    if any(m.name.startswith(("/", "..")) or "/../" in m.name for m in t):
                        raise SystemExit(f"trim_tract: unsafe path in {archive}")
                    t.extractall(out)
            lib = os.path.join(dest, "src", "lib.rs")
            with open(lib, encoding="utf-8") as f:
                text = f.read()
            with open(lib, "w", encoding="utf-8") as f:
                f.write(LINT_PREFIX + text)
            for crate, rel, old, new in EDITS:
                if crate != name:
                    continue
                path = os.path.join(dest, rel)
                text = open(path, encoding="utf-8").read()
                if text.count(old) != 1:
                    raise SystemExit(f"trim_tract: {name} {rel}: expected text not found once:\n{old}")
                with open(path, "w", encoding="utf-8") as f:
                    f.write(text.replace(old, new))
            with open(stamp, "w") as f:
                f.write(want)
        patches.append(f"{name} = {{ path = {json.dumps(dest)} }}")
    config = os.path.join(out, "cargo-config.toml")
    with open(config, "w") as f:
        f.write("[patch.crates-io]\n" + "\n".join(patches) + "\n")
    return ["--config", config]


@contextlib.contextmanager
def lock_kept(root: str):
    """Restores Cargo.lock after a patched build (cargo records the path sources in it; any other
    change cargo made to it during the build is undone too: update the lock with a plain cargo
    command). Fails if the build did not use the trimmed crates: cargo only warns about a patch it
    could not apply, and the bundle would silently be the untrimmed one."""
    path = os.path.join(root, "Cargo.lock")
    saved = open(path, "rb").read()
    built = False
    try:
        yield
        built = True
    finally:
        with open(path, "rb") as f:
            written = f.read()
        if written != saved:
            with open(path, "wb") as f:
                f.write(saved)
    if built:
        lock = tomllib.loads(written.decode("utf-8"))
        for name in sorted({e[0] for e in EDITS}):
            if any(p["name"] == name and "source" in p for p in lock["package"]):
                raise SystemExit(f"trim_tract: the build used the registry {name}, not the trimmed one")
