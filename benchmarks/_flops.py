"""Machine limits and FLOP counts shared by the scale benchmarks (gpu_check, bench_scaling).

FLOPs are counted with :class:`torch.utils.flop_counter.FlopCounterMode` (matmuls,
convolutions and their backward passes; element-wise ops are not counted), so a model's
"fraction of peak" is a lower bound on how busy the arithmetic units were.
"""

import time

import torch
from torch.utils.flop_counter import FlopCounterMode


def _sync(device):
    if str(device).startswith("cuda"):
        torch.cuda.synchronize(device)


def _best_rate(fn, flops, device, min_time=1.0, min_repeat=3):
    """Best FLOP/s of ``fn`` over repeats totalling at least ``min_time`` seconds."""
    fn()  # warm-up (allocations, cuDNN algorithm choice)
    _sync(device)
    best, spent, k = float("inf"), 0.0, 0
    while spent < min_time or k < min_repeat:
        t0 = time.perf_counter()
        fn()
        _sync(device)
        dt = time.perf_counter() - t0
        best, spent, k = min(best, dt), spent + dt, k + 1
    return flops / best


def matmul_peak(device="cpu", n=None, min_time=1.0):
    """Measured fp32 matmul FLOP/s (``n x n`` by ``n x n``, TF32 disabled on CUDA)."""
    n = n or (8192 if str(device).startswith("cuda") else 1024)
    a = torch.randn(n, n, device=device)
    b = torch.randn(n, n, device=device)
    out = torch.empty(n, n, device=device)
    prev = torch.backends.cuda.matmul.allow_tf32
    torch.backends.cuda.matmul.allow_tf32 = False
    try:
        return _best_rate(lambda: torch.mm(a, b, out=out), 2.0 * n ** 3, device, min_time)
    finally:
        torch.backends.cuda.matmul.allow_tf32 = prev


def conv_peak(device="cpu", batch=None, min_time=1.0):
    """Measured FLOP/s of a representative fp32 convolution (3x3, 64 -> 64 channels, 56x56)."""
    batch = batch or (64 if str(device).startswith("cuda") else 8)
    x = torch.randn(batch, 64, 56, 56, device=device)
    conv = torch.nn.Conv2d(64, 64, 3, padding=1, bias=False).to(device)
    flops = 2.0 * batch * 64 * 64 * 9 * 56 * 56
    with torch.no_grad():
        return _best_rate(lambda: conv(x), flops, device, min_time)


def counted_flops(fn, *args, **kwargs):
    """Run ``fn(*args, **kwargs)`` under FlopCounterMode; return ``(result, total FLOPs)``."""
    counter = FlopCounterMode(display=False)
    with counter:
        out = fn(*args, **kwargs)
    return out, float(counter.get_total_flops())
