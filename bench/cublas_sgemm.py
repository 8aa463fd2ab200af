"""cuBLAS sgemm through PyTorch on the same GPU, for the GPU closing figures:
    python3 bench/cublas_sgemm.py [N ...]      (default 1024 4096)
Prints N, median ms and GFLOP/s (CUDA events, 50 timed calls after warm-up, TF32 off: true fp32).
Runs on a GPU host with PyTorch; kloop itself does not need it."""
import sys
import torch

torch.backends.cuda.matmul.allow_tf32 = False
sizes = [int(a) for a in sys.argv[1:]] or [1024, 4096]
print(f"device: {torch.cuda.get_device_name(0)}; torch {torch.__version__}, CUDA {torch.version.cuda}")
print("| N | median ms | GFLOP/s (fp32, cuBLAS) |\n|---|---|---|")
for n in sizes:
    a = torch.randn(n, n, device="cuda", dtype=torch.float32)
    b = torch.randn(n, n, device="cuda", dtype=torch.float32)
    c = torch.empty(n, n, device="cuda", dtype=torch.float32)
    for _ in range(10):
        torch.matmul(a, b, out=c)
    torch.cuda.synchronize()
    times = []
    for _ in range(50):
        s, e = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
        s.record()
        torch.matmul(a, b, out=c)
        e.record()
        e.synchronize()
        times.append(s.elapsed_time(e))
    times.sort()
    ms = times[len(times) // 2]
    print(f"| {n} | {ms:.4f} | {2 * n ** 3 / (ms * 1e6):.0f} |")
