"""Reference for BENCHMARKS.md (scry-gpu): the same exact scan through PyTorch on the same GPU —
cuBLAS matmul + topk, k = 10, 384-d unit vectors, the k (index, score) pairs copied back to the
CPU each call (as scry's search does). Prints one line per configuration."""

import time

import torch

torch.manual_seed(0)
DIMS, K = 384, 10
print("torch", torch.__version__, torch.cuda.get_device_name(0))
for n in (100_000, 1_000_000):
    for dtype in (torch.float32, torch.float16):
        x = torch.nn.functional.normalize(torch.randn(n, DIMS, device="cuda"), dim=1).to(dtype)
        for batch in (1, 64):
            q = torch.nn.functional.normalize(torch.randn(batch, DIMS, device="cuda"), dim=1).to(dtype)

            def once():
                s = q @ x.T
                v, i = s.topk(K, dim=1)
                return v.cpu(), i.cpu()

            for _ in range(20):
                once()
            torch.cuda.synchronize()
            iters = 200
            t0 = time.perf_counter()
            for _ in range(iters):
                once()
            ms = (time.perf_counter() - t0) * 1000 / iters
            gbs = n * DIMS * x.element_size() / (ms / 1000) / 1e9
            print(f"torch {str(dtype).split('.')[-1]:8s} n={n:>9,} batch={batch:>2}  {ms:.3f} ms/call  {ms / batch:.4f} ms/query  {gbs:.0f} GB/s")
