#!/usr/bin/env python3
"""Builds scry's WebAssembly package, the npm package and the demo site.

Reads the build profile from wasm-pack.toml (wasm-pack does not read that file itself):
  1. wasm-pack build of the wasm crate for every target in the profile -> pkg/<target>/, with
     tract-onnx and tract-nnef trimmed of code scry's wasm never runs (scripts/trim_tract.py),
     and the crate's JS snippets inlined into the glue (`inline_snippets`)
  2. wasm-opt (npm binaryen) with the profile's flags
  3. the npm package web/packages/scry: TypeScript compiled and types emitted into dist/,
     the wasm outputs copied into dist/wasm/<target>/ (the profile's `text-only` build, without
     the embedders and WebGPU, into dist/wasm/<target>-text/)
  4. the suggestion UI web/packages/suggest-ui -> its dist/
  5. the demo web/demo -> web/demo/dist/ (static files, the package, the built-in collections:
     the Node.js docs as a static index built by `scry index`, with the model), precache.json

Usage: scripts/build.py [--profile release|dev] [--skip-wasm]
Expects the tools from scripts/setup.sh on PATH (wasm-pack, wasm-bindgen, node_modules/.bin).
"""
import argparse
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import time
import tomllib

import trim_tract

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PKG_DIR = os.path.join(ROOT, "web", "packages", "scry")
DEMO_DIR = os.path.join(ROOT, "web", "demo")
UI_DIR = os.path.join(ROOT, "web", "packages", "suggest-ui")


def run(cmd: list[str], cwd: str = ROOT, env: dict | None = None) -> None:
    print("+", " ".join(cmd), flush=True)
    subprocess.run(cmd, cwd=cwd, env=env, check=True)


def step(name: str):
    print(f"\n== {name}", flush=True)
    return time.monotonic()


def build_wasm(cfg: dict, profile: dict) -> None:
    crate = os.path.join(ROOT, cfg["crate"]["path"])
    out_name = cfg["crate"]["out-name"]
    env = dict(os.environ)
    flags = env.get("CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUSTFLAGS", "").split()
    if profile.get("simd"):
        flags.append("-Ctarget-feature=+simd128")
    env["CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUSTFLAGS"] = " ".join(flags)
    cargo_profile = profile.get("cargo-profile", "release")
    mode = {"release": ["--release"], "dev": ["--dev"]}.get(cargo_profile, ["--profile", cargo_profile])
    # Trimmed tract crates (once for every target).
    trimmed = trim_tract.prepare(ROOT)
    builds = [(target, os.path.join(ROOT, profile.get("out-dir", "pkg"), target), False)
              for target in profile["targets"]]
    # The text-only build (no embedders, no WebGPU), beside the full one: what the package
    # loads where no model is used.
    text_only = profile.get("text-only")
    if text_only:
        builds += [(target, os.path.join(ROOT, text_only["out-dir"], target), True)
                   for target in text_only["targets"]]
    def mode_of(name: str) -> list[str]:
        return {"release": ["--release"], "dev": ["--dev"]}.get(name, ["--profile", name])

    for target, out_dir, text in builds:
        # The text-only module may have a Cargo profile of its own (size first).
        build_mode = mode_of(text_only.get("cargo-profile", cargo_profile)) if text else mode
        cmd = ["wasm-pack", "build", crate, "--target", target, "--out-dir", out_dir,
               "--out-name", out_name, "--no-opt", "--no-pack", *build_mode]
        if profile.get("weak-refs"):
            cmd.append("--weak-refs")
        cargo_args = list(trimmed)
        features = [] if text else profile.get("features", [])
        if text:
            cargo_args.append("--no-default-features")
        if features:
            cargo_args += ["--features", ",".join(features)]
        cmd += ["--", *cargo_args]
        # Snippets of earlier builds (other hashes) would linger in pkg/ and dist/.
        shutil.rmtree(os.path.join(out_dir, "snippets"), ignore_errors=True)
        with trim_tract.lock_kept(ROOT):
            run(cmd, env=env)
        inline_snippets(out_dir, f"{out_name}.js")
        wasm = os.path.join(out_dir, f"{out_name}_bg.wasm")
        opt = profile.get("wasm-opt", [])
        if opt:
            wasm_opt(wasm, opt)


def wasm_opt(wasm: str, flags: list[str]) -> None:
    """Runs wasm-opt over `wasm` in place, through a cache keyed by the input's sha256, the flags
    and wasm-opt's version (target/wasm-opt-cache/, the 6 newest kept). -Oz over the full module
    takes about 3 minutes on 2 cores, and the web and nodejs targets' modules are the same bytes,
    as are a rebuild's when no Rust changed: each distinct module is optimised once."""
    version = subprocess.run(["wasm-opt", "--version"], capture_output=True, text=True,
                             check=True).stdout.strip()
    with open(wasm, "rb") as f:
        data = f.read()
    key = hashlib.sha256(data + "\0".join([version, *flags]).encode()).hexdigest()
    target = os.environ.get("CARGO_TARGET_DIR", os.path.join(ROOT, "target"))
    cache = os.path.join(target, "wasm-opt-cache")
    cached = os.path.join(cache, f"{key}.wasm")
    if os.path.exists(cached):
        shutil.copyfile(cached, wasm)
        os.utime(cached)
        print(f"   wasm-opt: {len(data)} -> {os.path.getsize(wasm)} bytes (cached: the same module "
              "was optimised with the same flags before)")
        return
    run(["wasm-opt", *flags, wasm, "-o", wasm])
    print(f"   wasm-opt: {len(data)} -> {os.path.getsize(wasm)} bytes")
    os.makedirs(cache, exist_ok=True)
    temp = f"{cached}.{os.getpid()}.tmp"
    shutil.copyfile(wasm, temp)
    os.replace(temp, cached)
    entries = sorted((os.path.join(cache, n) for n in os.listdir(cache) if n.endswith(".wasm")),
                     key=os.path.getmtime, reverse=True)
    for old in entries[6:]:
        os.remove(old)


def inline_snippets(out_dir: str, glue_name: str) -> None:
    """Puts the crate's JS snippets (crates/scry-wasm/js/, wasm-bindgen copies them to
    snippets/) into the glue itself, so that the package stays one JS file beside the wasm:
    bundlers that take the glue for an asset (Vite's `new URL(..., import.meta.url)`) copy it
    without the files it imports, and Node 20 cannot `require` an ES module. Each import of a
    snippet (`import { f } from './snippets/…'` on the web, `const { f } = require(…)` for
    nodejs) is replaced by the snippet's `export function`s, unexported."""
    snippets = os.path.join(out_dir, "snippets")
    glue_path = os.path.join(out_dir, glue_name)
    with open(glue_path, encoding="utf-8") as f:
        glue = f.read()
    imports = re.compile(
        r"^(?:import \{ ([\w, ]+) \} from '(\./snippets/[^']+)';"
        r"|const \{ ([\w, ]+) \} = require\(String\.raw`(\./snippets/[^`]+)`\);)$",
        re.MULTILINE,
    )
    exported = re.compile(r"^export function (\w+)\(", re.MULTILINE)

    def inline(m: re.Match) -> str:
        names = [n.strip() for n in (m.group(1) or m.group(3)).split(",")]
        rel = m.group(2) or m.group(4)
        with open(os.path.join(out_dir, rel), encoding="utf-8") as f:
            code = f.read()
        if "import " in code or set(names) - set(exported.findall(code)):
            sys.exit(f"{rel}: snippets must be plain `export function`s of the imported names")
        body = exported.sub(r"function \1(", code)
        if "export " in body:
            sys.exit(f"{rel}: only `export function` can be inlined")
        return f"// {rel[2:]}, inlined by scripts/build.py\n{body.rstrip()}"

    glue = imports.sub(inline, glue)
    if "./snippets/" in glue:
        sys.exit(f"{glue_path}: a snippet import was not inlined")
    with open(glue_path, "w", encoding="utf-8") as f:
        f.write(glue)
    shutil.rmtree(snippets, ignore_errors=True)


CLI_WASM = os.path.join(ROOT, "pkg", "cli", "scry.wasm")


def build_cli_wasi() -> None:
    """The CLI (crates/scry-cli) compiled to WebAssembly for WASI: the npm package's `scry`
    command (`npx scry index`, bin/scry.mjs) runs it in Node.js, so a site needs no Rust. Native
    speed settings (release, SIMD128); symbols stripped. Without the ONNX encoder (no `onnx`
    feature): the package's own wasm build runs the model for it (bin/wasi-run.mjs), which took
    the module from 21.5 to 2.6 MB and its clean build from 6.1 to 0.8 minutes (BENCHMARKS.md)."""
    env = dict(os.environ)
    env["CARGO_TARGET_WASM32_WASIP1_RUSTFLAGS"] = "-Ctarget-feature=+simd128 -Cstrip=symbols"
    run(["cargo", "build", "--release", "--locked", "-p", "scry-cli", "--bin", "scry",
         "--no-default-features", "--target", "wasm32-wasip1"], env=env)
    target = os.environ.get("CARGO_TARGET_DIR", os.path.join(ROOT, "target"))
    os.makedirs(os.path.dirname(CLI_WASM), exist_ok=True)
    shutil.copyfile(os.path.join(target, "wasm32-wasip1", "release", "scry.wasm"), CLI_WASM)
    print(f"   CLI for WASI: {os.path.getsize(CLI_WASM)} bytes")


def copy_tree(src: str, dst: str) -> None:
    if os.path.exists(dst):
        shutil.rmtree(dst)
    shutil.copytree(src, dst, ignore=shutil.ignore_patterns(".gitignore", "package.json"))


def build_package(cfg: dict, profile: dict) -> None:
    dist = os.path.join(PKG_DIR, "dist")
    if os.path.exists(dist):
        shutil.rmtree(dist)
    run(["tsc", "-p", "tsconfig.json"], cwd=PKG_DIR)
    # The package loads the text-only module in browsers wherever no model has weights.
    text_only = profile.get("text-only")
    if not text_only or "web" not in text_only.get("targets", []):
        sys.exit("scripts/build.py: the package needs the profile's text-only build for `web`")
    for target in text_only["targets"]:
        name = {"web": "web", "nodejs": "node"}.get(target, target)
        src = os.path.join(ROOT, text_only["out-dir"], target)
        if not os.path.isdir(src):
            sys.exit(f"scripts/build.py: {src} is missing: build without --skip-wasm first")
        copy_tree(src, os.path.join(dist, "wasm", f"{name}-text"))
    for target in profile["targets"]:
        name = {"web": "web", "nodejs": "node"}.get(target, target)
        copy_tree(os.path.join(ROOT, "pkg", target), os.path.join(dist, "wasm", name))
        if target == "nodejs":
            # wasm-bindgen's nodejs glue is CommonJS inside an ES-module package.
            with open(os.path.join(dist, "wasm", name, "package.json"), "w") as f:
                f.write('{ "type": "commonjs" }\n')
    if not os.path.isfile(CLI_WASM):
        sys.exit(f"scripts/build.py: {CLI_WASM} is missing: build without --skip-wasm first")
    os.makedirs(os.path.join(dist, "cli"))
    shutil.copyfile(CLI_WASM, os.path.join(dist, "cli", "scry.wasm"))


def build_suggest_ui() -> None:
    shutil.rmtree(os.path.join(UI_DIR, "dist"), ignore_errors=True)
    run(["tsc", "-p", "tsconfig.json"], cwd=UI_DIR)


def build_demo() -> None:
    dist = os.path.join(DEMO_DIR, "dist")
    if os.path.exists(dist):
        shutil.rmtree(dist)
    copy_tree(os.path.join(DEMO_DIR, "public"), dist)
    # The package is copied in first: the demo's TypeScript resolves `./scry/index.js` against it.
    copy_tree(os.path.join(PKG_DIR, "dist"), os.path.join(dist, "scry"))
    shutil.rmtree(os.path.join(dist, "scry", "wasm", "node"), ignore_errors=True)
    # Every engine of the demo has a model: the text-only module would only be precached.
    shutil.rmtree(os.path.join(dist, "scry", "wasm", "web-text"), ignore_errors=True)
    copy_tree(os.path.join(UI_DIR, "dist"), os.path.join(dist, "suggest-ui"))
    run(["tsc", "-p", "tsconfig.json"], cwd=DEMO_DIR)
    collections = os.path.join(dist, "collections")
    os.makedirs(collections, exist_ok=True)
    # The Node.js docs: a static index prebuilt by the CLI (only its web files are published).
    node = build_node_index()
    for name in ["scry.json", *STATIC_DIRS]:
        src_path = os.path.join(node, name)
        dst_path = os.path.join(collections, "node", name)
        if os.path.isdir(src_path):
            copy_tree(src_path, dst_path)
        else:
            os.makedirs(os.path.dirname(dst_path), exist_ok=True)
            shutil.copy(src_path, dst_path)
    # The image collection: thumbnails next to their captions, paths relative to the page.
    images = os.path.join(collections, "images")
    src = os.path.join(ROOT, "tests", "fixtures", "images")
    copy_tree(src, images)
    with open(os.path.join(src, "collection.json"), encoding="utf-8") as f:
        collection = json.load(f)
    for doc in collection["documents"]:
        name = os.path.basename(doc["metadata"]["image"])
        doc["metadata"]["image"] = f"collections/images/{name}"
    with open(os.path.join(images, "collection.json"), "w", encoding="utf-8") as f:
        json.dump(collection, f, ensure_ascii=False)
    # The model, served by the site itself (scripts/setup.sh fetched and verified it).
    model = os.path.join(ROOT, "models", "cache", "all-MiniLM-L6-v2-int8")
    os.makedirs(os.path.join(dist, "models", "all-MiniLM-L6-v2-int8"), exist_ok=True)
    for name in ("model.onnx", "tokenizer.json"):
        shutil.copy(os.path.join(model, name),
                    os.path.join(dist, "models", "all-MiniLM-L6-v2-int8", name))
    write_precache(dist)


# Folders of a static index that browsers load: `scry index --out` writes only these and
# `scry.json`; its build state (the stored index, the embedding cache) goes to NODE_STATE.
STATIC_DIRS = ["meta", "post", "docs", "vec"]
NODE_INDEX = os.path.join(ROOT, "target", "site", "node")
NODE_STATE = os.path.join(ROOT, "target", "site", "node-state")


def build_node_index() -> str:
    """`scry index` over Debian's Node.js docs with the model: the static index in NODE_INDEX,
    the build state in NODE_STATE (its embedding cache makes a rebuild embed only passages that
    changed; the first build after the state moved out of NODE_INDEX reuses the cache left
    there and removes it). Returns the static index folder."""
    # SCRY_CLI: a build of the CLI at hand (scripts/test.sh passes the one its native tests
    # built: dependencies optimised as in release, so indexing is as fast); else the release one.
    cli = os.environ.get("SCRY_CLI")
    if not cli:
        run(["cargo", "build", "--release", "--locked", "-p", "scry-cli"])
        target = os.environ.get("CARGO_TARGET_DIR", os.path.join(ROOT, "target"))
        cli = os.path.join(target, "release", "scry")
    run([
        cli, "index",
        os.path.join(ROOT, "corpora", "nodejs", "api"),
        "--out", NODE_INDEX,
        "--state", NODE_STATE,
        "--model", os.path.join(ROOT, "models", "cache", "all-MiniLM-L6-v2-int8"),
        "--url-prefix", "https://nodejs.org/docs/latest-v18.x/api/",
        "--url-ext", "html",
    ])
    return NODE_INDEX


# Left to the scry package's own Cache Storage (content-checked): the model and index chunks.
PRECACHE_SKIP = ("models/", "collections/node/")


def write_precache(dist: str) -> None:
    """precache.json: what the demo's service worker keeps at install (the app shell)."""
    files = ["./"]
    for dirpath, _, names in os.walk(dist):
        for name in sorted(names):
            rel = os.path.relpath(os.path.join(dirpath, name), dist).replace(os.sep, "/")
            if rel in ("sw.js", "precache.json") or rel.startswith(PRECACHE_SKIP):
                continue
            if rel.endswith((".d.ts", ".map")):
                continue
            files.append(rel)
    with open(os.path.join(dist, "precache.json"), "w", encoding="utf-8") as f:
        json.dump(sorted(files), f, indent=0)
    # The service worker's cache is named after a hash of what it keeps: a new build is a new
    # worker (browsers compare sw.js byte for byte), which replaces the old cache.
    digest = hashlib.sha256()
    for rel in sorted(files):
        path = os.path.join(dist, "index.html" if rel == "./" else rel)
        digest.update(rel.encode())
        with open(path, "rb") as f:
            digest.update(hashlib.sha256(f.read()).digest())
    sw = os.path.join(dist, "sw.js")
    with open(sw, encoding="utf-8") as f:
        text = f.read()
    stamped = text.replace("const BUILD = 'dev';", f"const BUILD = '{digest.hexdigest()[:16]}';")
    if stamped == text:
        sys.exit("scripts/build.py: sw.js has no BUILD line to stamp")
    with open(sw, "w", encoding="utf-8") as f:
        f.write(stamped)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--profile", default="release")
    ap.add_argument("--skip-wasm", action="store_true", help="reuse pkg/ as it is")
    ap.add_argument("--wasm-only", action="store_true", help="build pkg/ only (bench pages)")
    args = ap.parse_args()
    with open(os.path.join(ROOT, "wasm-pack.toml"), "rb") as f:
        cfg = tomllib.load(f)
    profile = cfg.get("profile", {}).get(args.profile)
    if profile is None:
        sys.exit(f"scripts/build.py: no [profile.{args.profile}] in wasm-pack.toml")
    t0 = time.monotonic()
    if not args.skip_wasm:
        t = step(f"wasm ({args.profile})")
        build_wasm(cfg, profile)
        print(f"   {time.monotonic() - t:.1f} s")
    if args.wasm_only:
        return
    if not args.skip_wasm:
        t = step("the CLI for WASI (npx scry)")
        build_cli_wasi()
        print(f"   {time.monotonic() - t:.1f} s")
    t = step("npm package web/packages/scry")
    build_package(cfg, profile)
    print(f"   {time.monotonic() - t:.1f} s")
    t = step("suggestion UI web/packages/suggest-ui")
    build_suggest_ui()
    print(f"   {time.monotonic() - t:.1f} s")
    t = step("demo web/demo")
    build_demo()
    print(f"   {time.monotonic() - t:.1f} s")
    print(f"\nbuilt in {time.monotonic() - t0:.1f} s")


if __name__ == "__main__":
    main()
