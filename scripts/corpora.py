#!/usr/bin/env python3
"""Fetches the real documentation corpora into corpora/ (not committed; rebuilt on demand).

  corpora/nodejs/api/*.md        Node.js 18 API docs (Debian `nodejs-doc`; tuning set)
  corpora/python/html/**/*.html  Python 3.11 docs (Debian `python3.11-doc`; held-out set:
                                 never used for tuning)

`apt-get download` fetches the .deb files (nothing is installed); `dpkg -x` unpacks them.
Usage: scripts/corpora.py [nodejs|python ...]   (default: both). Idempotent.
"""
import glob
import gzip
import os
import shutil
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, "corpora")

PACKAGES = {
    "nodejs": ("nodejs-doc", "usr/share/doc/nodejs/api", "api", ".md.gz"),
    "python": ("python3.11-doc", "usr/share/doc/python3.11/html", "html", ".html"),
}


def fetch(name: str) -> None:
    package, src_rel, dst_rel, suffix = PACKAGES[name]
    dst = os.path.join(OUT, name, dst_rel)
    stamp = os.path.join(OUT, name, ".complete")
    if os.path.exists(stamp):
        print(f"ok      corpora/{name}")
        return
    shutil.rmtree(os.path.join(OUT, name), ignore_errors=True)
    with tempfile.TemporaryDirectory() as tmp:
        dl = ["apt-get", "download", package]
        if subprocess.run(dl, cwd=tmp, stdout=subprocess.DEVNULL).returncode != 0:
            # Fresh machines may have no package lists yet.
            update = ["apt-get", "update", "-q"]
            if os.geteuid() != 0:
                update.insert(0, "sudo")
            subprocess.run(update, check=True, stdout=subprocess.DEVNULL)
            subprocess.run(dl, cwd=tmp, check=True, stdout=subprocess.DEVNULL)
        deb = glob.glob(os.path.join(tmp, f"{package}_*.deb"))[0]
        subprocess.run(["dpkg", "-x", deb, os.path.join(tmp, "x")], check=True)
        src = os.path.join(tmp, "x", src_rel)
        count = 0
        for path in glob.glob(os.path.join(src, "**", "*" + suffix), recursive=True):
            rel = os.path.relpath(path, src)
            if suffix == ".md.gz":
                rel = rel[: -len(".gz")]
            target = os.path.join(dst, rel)
            os.makedirs(os.path.dirname(target), exist_ok=True)
            if suffix.endswith(".gz"):
                with gzip.open(path, "rb") as f, open(target, "wb") as g:
                    shutil.copyfileobj(f, g)
            else:
                shutil.copyfile(path, target)
            count += 1
        version = os.path.basename(deb).split("_")[1]
    with open(stamp, "w") as f:
        f.write(f"{package} {version}\n")
    print(f"fetched corpora/{name}: {count} files from {package} {version}")


def main() -> None:
    names = sys.argv[1:] or list(PACKAGES)
    for n in names:
        fetch(n)


if __name__ == "__main__":
    main()
