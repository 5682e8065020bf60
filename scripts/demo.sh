#!/usr/bin/env bash
# Builds everything (after installing what is missing) and serves the demo on 127.0.0.1.
# PORT=8080 by default.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/setup.sh
python3 scripts/build.py
exec node scripts/serve.mjs --port "${PORT:-8080}"
