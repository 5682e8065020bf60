#!/usr/bin/env bash
# Installs whatever scry's build and tests need and is missing; a second run only checks.
# Needs: rustup/cargo, node >= 20 with npm, python3 >= 3.11, apt (Debian 12).
# Sourced by scripts/test.sh and scripts/demo.sh (it also puts the tools on PATH); can run alone.
set -euo pipefail

SCRY_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
WASM_PACK_VERSION="0.15.1"

say() { printf '\033[1m[setup]\033[0m %s\n' "$*"; }
die() { printf '\033[1;31m[setup] ERROR:\033[0m %s\n' "$*" >&2; exit 1; }

as_root() {
  if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi
}

setup_main() {
  local t0=$SECONDS
  command -v cargo >/dev/null || die "cargo is missing: install Rust with rustup first"
  command -v node >/dev/null || die "node is missing: install Node.js >= 20"
  local node_major
  node_major=$(node -p 'process.versions.node.split(".")[0]')
  [ "$node_major" -ge 20 ] || die "Node.js >= 20 is needed (found $(node --version))"
  python3 -c 'import sys; sys.exit(sys.version_info < (3, 11))' || die "python3 >= 3.11 is needed"

  # 1. Rust: rustfmt and clippy (the lint suite), the wasm target, wasm-pack, and
  #    wasm-bindgen-cli at exactly Cargo.lock's version.
  local components
  components=$(rustup component list --installed)
  for c in rustfmt clippy; do
    grep -q "^$c" <<<"$components" || { say "rustup component add $c"; rustup component add "$c"; }
  done
  rustup target list --installed | grep -qx wasm32-unknown-unknown \
    || { say "rustup target add wasm32-unknown-unknown"; rustup target add wasm32-unknown-unknown; }
  # The CLI compiled for WASI: the npm package's `npx scry` (scripts/build.py).
  rustup target list --installed | grep -qx wasm32-wasip1 \
    || { say "rustup target add wasm32-wasip1"; rustup target add wasm32-wasip1; }
  # The two cargo installs compile for minutes: they run in the background while the steps below
  # wait on the network (apt, npm, PyPI), and are waited for at the end.
  local wbg installs=()
  wbg=$(awk '/^name = "wasm-bindgen"$/ { getline; gsub(/version = |"/, ""); print; exit }' \
    "$SCRY_ROOT/Cargo.lock")
  [ -n "$wbg" ] || die "no wasm-bindgen version in Cargo.lock"
  if [ "$(wasm-pack --version 2>/dev/null)" != "wasm-pack $WASM_PACK_VERSION" ]; then
    say "cargo install wasm-pack $WASM_PACK_VERSION (a few minutes, in the background)"
    installs+=("cargo install wasm-pack --locked --version $WASM_PACK_VERSION")
  fi
  if [ "$(wasm-bindgen --version 2>/dev/null)" != "wasm-bindgen $wbg" ]; then
    # No --locked: its lockfile pins a webpki-roots version the registry here lacks (TOOLCHAIN.md).
    say "cargo install wasm-bindgen-cli $wbg (a few minutes, in the background)"
    installs+=("cargo install wasm-bindgen-cli --version $wbg")
  fi
  local install_log install_pid=""
  if [ ${#installs[@]} -gt 0 ]; then
    install_log=$(mktemp "${TMPDIR:-/tmp}/scry-setup-cargo.XXXXXX")
    (for cmd in "${installs[@]}"; do $cmd || exit 1; done) >"$install_log" 2>&1 &
    install_pid=$!
  fi

  # 2. Debian packages: Chromium + ChromeDriver (browser tests), Mesa lavapipe + Vulkan loader
  #    (native WGSL tests on the CPU), util-linux's unshare + mount (the full-disk tests mount a
  #    small tmpfs in a private mount namespace; slim images may lack `mount`).
  local missing=()
  for p in chromium chromium-driver mesa-vulkan-drivers libvulkan1 util-linux mount; do
    dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
  done
  if [ ${#missing[@]} -gt 0 ]; then
    say "apt-get install ${missing[*]}"
    as_root apt-get update -q
    DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -q "${missing[@]}"
  fi
  if dpkg -s binaryen >/dev/null 2>&1; then
    say "warning: Debian's binaryen is installed; its wasm-opt breaks scry's wasm (TOOLCHAIN.md)."
    say "         scry uses npm's binaryen from node_modules/.bin, which comes first on PATH."
  fi

  # 3. npm: TypeScript, prettier, binaryen (wasm-opt), playwright-core — exactly as locked.
  if [ ! -f "$SCRY_ROOT/node_modules/.package-lock.json" ] \
    || [ "$SCRY_ROOT/package-lock.json" -nt "$SCRY_ROOT/node_modules/.package-lock.json" ]; then
    say "npm ci"
    (cd "$SCRY_ROOT" && npm ci --no-audit --no-fund)
  fi

  # 4. Model files, pinned by sha256 (models/manifest.json), and the documentation corpora
  #    (Debian's nodejs-doc, python3.11-doc, debian-faq and git-doc, unpacked into corpora/,
  #    and the evaluation corpora scripts/eval/make_sets.py builds from them in corpora/eval/).
  python3 "$SCRY_ROOT/models/fetch.py"
  python3 "$SCRY_ROOT/scripts/corpora.py"

  if [ -n "$install_pid" ]; then
    say "waiting for the cargo installs"
    wait "$install_pid" || { cat "$install_log" >&2; die "a cargo install failed (above)"; }
    rm -f "$install_log"
  fi
  say "ready ($((SECONDS - t0)) s)"
}

# Tools on PATH for this shell (and the scripts that source this file).
export PATH="$SCRY_ROOT/node_modules/.bin:$HOME/.cargo/bin:$PATH"
# Mesa prints a warning per process without it.
export XDG_RUNTIME_DIR="${XDG_RUNTIME_DIR:-/tmp}"

setup_main
