#!/usr/bin/env bash
# Runs every scry test suite after installing what is missing (scripts/setup.sh).
# Suites: formatting + lints, native Rust tests, browser wasm tests (headless Chrome, WebGPU on
# SwiftShader), the build, TypeScript unit tests, the adversarial suite (tests/adversarial: every
# public entry point given hostile input, in Node and in Chromium), Playwright end-to-end tests.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/setup.sh

declare -a SUMMARY=()
suite() {
  local name=$1
  shift
  printf '\n\033[1;34m==== %s\033[0m\n' "$name"
  local t=$SECONDS
  "$@"
  SUMMARY+=("$(printf '%-48s %4d s   disk free after: %s' "$name" $((SECONDS - t)) "$(disk_free)")")
}

disk_free() { df -h --output=avail . | tail -1 | tr -d ' '; }

# A test run builds every crate once; incremental caches would only take disk (GBs on a clean
# machine) for edits that never come.
export CARGO_INCREMENTAL=0

# The debug builds (native and wasm tests) are not used after the browser tests. On a CI machine
# (CI set, as .ci/run does) they are deleted so that the release builds have the disk.
free_debug_builds() {
  if [[ -n "${CI:-}" ]]; then
    rm -rf target/debug target/wasm32-unknown-unknown/debug
    echo "deleted the debug builds (CI): $(disk_free) free"
  fi
}

# Clippy on the workspace's crates runs inside the test builds, as `cargo clippy` runs it:
# clippy-driver as the workspace crates' compiler (RUSTC_WORKSPACE_WRAPPER) and `-D warnings`
# passed the way cargo-clippy passes arguments after `--` (CLIPPY_ARGS). The dependencies are then
# compiled once, for the tests, instead of a second time for a check build of the same code
# (natively and for wasm: minutes on two cores). Only for test builds: clippy-driver turns MIR
# optimisations off, which the shipped (release) builds must keep.
with_clippy() {
  RUSTC_WORKSPACE_WRAPPER="$(rustup which clippy-driver)" \
    CLIPPY_ARGS="-D__CLIPPY_HACKERY__warnings__CLIPPY_HACKERY__" "$@"
}

lint() {
  cargo fmt --all --check
  # `cargo clippy --all-targets -- -D warnings`, natively and for wasm, happens in the native and
  # browser builds below (with_clippy). Here only the feature sets that no test build compiles:
  # The CLI compiled for WASI, without its ONNX encoder (the npm package's `npx scry`;
  # scripts/build.py).
  cargo clippy -p scry-cli --no-default-features --locked --target wasm32-wasip1 -- -D warnings
  # The text-only module (scripts/build.py builds it without the embedders and WebGPU).
  cargo clippy -p scry-wasm --no-default-features --locked --target wasm32-unknown-unknown \
    -- -D warnings
  prettier --check .
  (cd web/packages/scry && tsc -p tsconfig.json --noEmit)
  (cd web/packages/suggest-ui && tsc -p tsconfig.json --noEmit)
}

native_tests() {
  # Every target linted (benches too: their wasm variants are empty), then the tests run.
  with_clippy cargo test --workspace --all-targets --locked --no-run
  with_clippy cargo test --workspace --locked
}

browser_tests() {
  # Every crate but the CLI has browser tests (wasm_bindgen_test, run_in_browser; its
  # webdriver.json runs Chromium headless with WebGPU on SwiftShader). One cargo invocation for
  # all of them, as `wasm-pack test --headless --chrome` runs per crate (cargo test with
  # wasm-bindgen-test-runner as the runner, which finds chromedriver through CHROMEDRIVER and
  # each crate's webdriver.json in the crate's folder, where cargo runs its tests): the
  # dependencies are compiled once with one set of features (unified across the crates, as in
  # the WASI and text-only clippy runs) instead of once per crate, and linted on the way (with_clippy).
  local chromedriver crates=()
  chromedriver=$(command -v chromedriver) || { echo "chromedriver is missing (scripts/setup.sh)"; return 1; }
  for config in crates/*/webdriver.json; do crates+=(-p "$(basename "$(dirname "$config")")"); done
  # WASM_BINDGEN_TEST_TIMEOUT: a test binary gets 20 s by default; loading the real model and
  # embedding the golden inputs takes longer. ONLY_WEB: a binary not configured for the browser
  # is skipped, as under wasm-pack, rather than run in Node. The shipped wasm uses SIMD128; test
  # that code path.
  with_clippy env CHROMEDRIVER="$chromedriver" \
    WASM_BINDGEN_TEST_TIMEOUT=600 \
    WASM_BINDGEN_TEST_ONLY_WEB=1 \
    CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUNNER=wasm-bindgen-test-runner \
    CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUSTFLAGS=-Ctarget-feature=+simd128 \
    cargo test --target wasm32-unknown-unknown --locked --no-fail-fast "${crates[@]}"
}

echo "disk free at start: $(disk_free)"
T0=$SECONDS
suite "lint: rustfmt, clippy (WASI CLI, text-only wasm), prettier, tsc" lint
suite "native: cargo clippy + test --workspace" native_tests
# The CLI those tests built (dependencies optimised, as in release) indexes the demo's docs in the
# build and makes the fixtures of the later suites: no second, release build of it here.
TARGET_DIR=${CARGO_TARGET_DIR:-$PWD/target}
mkdir -p "$TARGET_DIR/cli"
cp "$TARGET_DIR/debug/scry" "$TARGET_DIR/cli/scry"
export SCRY_CLI="$TARGET_DIR/cli/scry"
# The CLI's adversarial tests, kept to run again after the build against the CLI compiled for WASI
# (the npm package's `npx scry`); cargo only names the binary it built above.
adversarial_tests=$(with_clippy cargo test -p scry-cli --test adversarial --locked --no-run --message-format=json |
  grep -o '"executable":"[^"]*/adversarial-[^"]*"' | tail -1 | cut -d'"' -f4)
cp "$adversarial_tests" "$TARGET_DIR/cli/adversarial-tests"
suite "browser: cargo clippy + test --target wasm32 (Chrome)" browser_tests
free_debug_builds
suite "build: scripts/build.py (wasm, npm package, demo)" python3 scripts/build.py
suite "typescript: unit tests (node --test)" npm test --workspace scry
suite "adversarial: hostile input in Node + Chromium" npm run test:adversarial
suite "adversarial: the CLI's cases through npx scry (WASI)" \
  env SCRY_TEST_CLI="$PWD/web/packages/scry/bin/scry.mjs" "$TARGET_DIR/cli/adversarial-tests"
suite "end-to-end: Playwright + Chromium" npm run test:e2e

printf '\n\033[1;32mall test suites passed\033[0m\n'
printf '  %s\n' "${SUMMARY[@]}"
printf '  %-48s %4d s\n' "total" $((SECONDS - T0))
