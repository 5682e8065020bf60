#!/usr/bin/env bash
# Builds tests/fixtures/sites/{sphinx,mkdocs}: the HTML pages two real documentation generators
# make of the same small site (tests/fixtures/sites/source), for the tests of scry's HTML reader
# (crates/scry-cli/tests/sites.rs). Their output is committed, so tests need no generator; run
# this again to refresh it (versions pinned below; PyPI is reachable).
set -euo pipefail
cd "$(dirname "$0")/.."
venv=target/site-generators
python3 -m venv "$venv"
"$venv/bin/pip" install -q sphinx==8.2.3 mkdocs==1.6.1 mkdocs-material==9.6.14
src=tests/fixtures/sites/source
out=tests/fixtures/sites
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
"$venv/bin/sphinx-build" -q -b html "$src/sphinx" "$tmp/sphinx"
(cd "$src/mkdocs" && "../../../../../$venv/bin/mkdocs" build -q -d "$tmp/mkdocs")
for site in sphinx mkdocs; do
  rm -rf "${out:?}/$site"
  # Only the pages: scry reads HTML, not the themes' scripts, styles and search indexes.
  (cd "$tmp/$site" && find . -name '*.html' -print0 | while IFS= read -r -d '' page; do
    install -D -m 644 "$page" "$OLDPWD/$out/$site/$page"
  done)
done
echo "pages written under $out/sphinx and $out/mkdocs"
