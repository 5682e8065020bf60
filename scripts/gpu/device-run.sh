#!/usr/bin/env bash
# Runs scry-gpu's conformance tests and benchmark on a machine with a real GPU (the device tool
# in this workplace), plus the PyTorch reference. Binaries are built beforehand elsewhere and
# carried in .devbin/: see BENCHMARKS.md ("scry-gpu") for the exact commands.
set -uo pipefail
OUT=${OUT:-/tmp/out}
mkdir -p "$OUT"
if [ -d .gl ]; then
  for f in .gl/*.deb; do dpkg -x "$f" /; done
  ldconfig
fi
icd=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
[ -f "$icd" ] && export VK_DRIVER_FILES=$icd
nvidia-smi -L
echo "== conformance (scry-gpu tests on this GPU)"
.devbin/conformance --test-threads 1 --nocapture 2>&1 | grep -v XDG_RUNTIME | tee "$OUT/conformance.log" | grep -E "adapter|test result|panicked|^test " | sort -u
echo "== torch reference"
PYTHONUNBUFFERED=1 python3 scripts/gpu/torch_scan.py 2>&1 | tee "$OUT/torch.log"
echo "== scry-gpu bench"
.devbin/gpu-bench --bench "${BENCH_FILTER:-scan}" 2>&1 | grep -v XDG_RUNTIME | tee "$OUT/bench.log" | grep -E "adapter|^scan|time:"
