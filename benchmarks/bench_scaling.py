"""Scaling of every estimator's fit and transform/predict, against the machine's limit.

1. Machine limit, measured in the same run: fp32 matmul (1024^3) and a representative 3x3
   convolution (64 -> 64 channels, 56 x 56), in GFLOP/s with the run's torch threads.
2. For each estimator (small architectures, fixed epochs) and each of 4 sizes spanning 32x or
   more: wall time and peak memory of ``fit`` and of ``transform``/``predict``, each size in a
   fresh process after a warm-up fit on the smallest size (time: best of 2 fits when a fit
   takes under 3 s, best of 3 transforms; peak memory: peak resident set during the first
   call minus the resident set just before it, sampled every 2 ms); log-log slopes from a
   least-squares line over the sizes.
3. FLOPs of one fit and one transform at the second size, counted with
   ``torch.utils.flop_counter.FlopCounterMode`` (matmuls and convolutions, forward and
   backward), divided by the timed wall time, as a fraction of the matmul and conv limits.

Run: ``OMP_NUM_THREADS=1 python benchmarks/bench_scaling.py [--threads 1] [--png PATH]``
(about 6 minutes on an idle core). Prints markdown tables; writes the plot to
``benchmarks/results/scaling.png``.
"""

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from benchmarks._memory import PeakRSS  # noqa: E402

SIZES = {
    # objects; from 128 on, the class-balanced batches hold at least as many unlabelled rows
    # as labelled ones (below, the labelled rows fill the batches and an epoch grows)
    "MultimodalConstrainedAE": [128, 512, 2048, 4096],
    "MultimodalClassifier": [128, 512, 2048, 4096],
    "Tile2VecSeriesKMeans": [64, 256, 1024, 4096],           # 8 x 8 px tiles in the region
    "DeepSpatiotemporalClustering": [100, 400, 1600, 3200],  # daily time steps
}
UNITS = {"MultimodalConstrainedAE": "objects", "MultimodalClassifier": "objects",
         "Tile2VecSeriesKMeans": "tiles", "DeepSpatiotemporalClustering": "time steps"}


def make(name, n, threads):
    """``(estimator, X, y)`` of size ``n`` (small architectures, fixed epochs)."""
    from skstc import (
        DeepSpatiotemporalClustering,
        MultimodalClassifier,
        MultimodalConstrainedAE,
        Tile2VecSeriesKMeans,
    )
    from skstc.datasets import make_climate_fields, make_image_sequence, make_water_bodies

    common = dict(n_threads=threads, device="cpu", random_state=0)
    if name.startswith("Multimodal"):
        X, y = make_water_bodies(n, n_timesteps=64, map_size=32, random_state=0)
        arch = dict(spatial_shape=(32, 32), embedding_dim=32, conv_channels=(8, 16), lstm_hidden_size=16)
        if name == "MultimodalClassifier":
            return MultimodalClassifier(hidden_units=16, max_epochs=2, **arch, **common), X, y
        y_few = np.full_like(y, -1)
        for c in np.unique(y):
            idx = np.flatnonzero(y == c)
            y_few[idx[:max(2, len(idx) // 10)]] = c
        return MultimodalConstrainedAE(4, max_epochs=2, **arch, **common), X, y_few
    if name == "Tile2VecSeriesKMeans":
        side = int(round(np.sqrt(n))) * 8
        images, _ = make_image_sequence(n_regions=1, n_times=4, height=side, width=side,
                                        random_state=0)
        est = Tile2VecSeriesKMeans(n_clusters=4, tile_size=8, embedding_dim=16, n_blocks=(1, 1),
                                   base_width=8, n_triplets=256, max_epochs=1, refine_epochs=1,
                                   **common)
        return est, images[0], None
    X, _ = make_climate_fields(n_times=n, grid_shape=(16, 16), random_state=0)
    est = DeepSpatiotemporalClustering(n_clusters=4, embedding_dim=8, conv_channels=(8, 16),
                                       lstm_hidden_size=16, dense_units=(32,), pretrain_epochs=1,
                                       max_epochs=2, update_interval=10, tol=0.0, **common)
    return est, X, None


def measured(fn, *args):
    """``(seconds, peak extra resident bytes)`` of ``fn(*args)``."""
    with PeakRSS() as mem:
        t0 = time.perf_counter()
        fn(*args)
        dt = time.perf_counter() - t0
    return dt, mem.extra


def _apply(est, X):
    return est.predict(X) if not hasattr(est, "transform") else est.transform(X)


def worker(name, n, threads, count):
    sys.path.insert(0, str(HERE))
    from _flops import counted_flops

    # warm-up on the smallest size: lazy imports, allocator pools and first-call buffers are
    # not charged to the measured call
    est, X, y = make(name, SIZES[name][0], threads)
    _apply(est.fit(X, y), X)
    est, X, y = make(name, n, threads)
    fit_t, fit_mem = measured(est.fit, X, y)
    if fit_t < 3.0:   # short fits: best of two, less sensitive to other load
        fit_t = min(fit_t, measured(est.fit, X, y)[0])
    tr_t, tr_mem = measured(_apply, est, X)
    tr_t = min([tr_t] + [measured(_apply, est, X)[0] for _ in range(2)])
    out = {"fit_s": fit_t, "fit_mb": fit_mem / 2**20, "transform_s": tr_t,
           "transform_mb": tr_mem / 2**20}
    if count:
        est2, X2, y2 = make(name, n, threads)
        _, out["fit_flops"] = counted_flops(est2.fit, X2, y2)
        _, out["transform_flops"] = counted_flops(_apply, est2, X2)
    print("RESULT " + json.dumps(out), flush=True)


def slope(sizes, values):
    x, v = np.log(np.asarray(sizes, float)), np.log(np.maximum(np.asarray(values), 1e-9))
    return float(np.polyfit(x, v, 1)[0])


def _mem_slope(sizes, mb):
    """Slope of the memory curve; flat when every peak stays under 1 MB (page noise)."""
    if max(mb) < 1.0:
        return f"flat (< 1 MB, max {max(mb):.2f})"
    return f"{slope(sizes, mb):.2f}"


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--png", default=str(HERE / "results" / "scaling.png"))
    parser.add_argument("--worker", nargs=2, metavar=("NAME", "N"))
    parser.add_argument("--count", action="store_true")
    parser.add_argument("--quick", action="store_true",
                        help="two smallest sizes only (a smoke test of the script)")
    args = parser.parse_args(argv)
    if args.worker:
        worker(args.worker[0], int(args.worker[1]), args.threads, args.count)
        return 0

    import torch

    sys.path.insert(0, str(HERE))
    from _flops import conv_peak, matmul_peak

    torch.set_num_threads(args.threads)   # this process only measures the machine
    mm, conv = matmul_peak("cpu"), conv_peak("cpu")
    print(f"load average at start: {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores; "
          f"torch threads {args.threads}")
    print(f"machine limit: fp32 matmul {mm / 1e9:.1f} GFLOP/s, conv3x3 {conv / 1e9:.1f} GFLOP/s")
    env = dict(os.environ, OMP_NUM_THREADS=str(args.threads))
    results = {}
    for name, sizes in SIZES.items():
        sizes = sizes[:2] if args.quick else sizes
        rows = []
        for i, n in enumerate(sizes):
            cmd = [sys.executable, __file__, "--worker", name, str(n),
                   "--threads", str(args.threads)] + (["--count"] if i == 1 else [])
            proc = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=900)
            line = [x for x in proc.stdout.splitlines() if x.startswith("RESULT ")]
            if proc.returncode or not line:
                raise RuntimeError(f"{name} n={n} failed:\n{proc.stderr[-3000:]}")
            rows.append(dict(json.loads(line[0][7:]), n=n))
            print(f"  {name} n={n}: fit {rows[-1]['fit_s']:.2f} s, transform "
                  f"{rows[-1]['transform_s']:.3f} s", flush=True)
        results[name] = rows

    print("\n| estimator | unit | n | fit s | fit peak MB | transform s | transform peak MB |")
    print("|---|---|---:|---:|---:|---:|---:|")
    for name, rows in results.items():
        for r in rows:
            print(f"| {name} | {UNITS[name]} | {r['n']} | {r['fit_s']:.2f} | {r['fit_mb']:.1f} "
                  f"| {r['transform_s']:.3f} | {r['transform_mb']:.1f} |")
    print("\n| estimator | sizes (span) | slope fit time | slope transform time "
          "| slope fit memory | slope transform memory |")
    print("|---|---|---:|---:|---:|---:|")
    for name, rows in results.items():
        n = [r["n"] for r in rows]
        print(f"| {name} | {n[0]}-{n[-1]} ({n[-1] / n[0]:.0f}x) "
              f"| {slope(n, [r['fit_s'] for r in rows]):.2f} "
              f"| {slope(n, [r['transform_s'] for r in rows]):.2f} "
              f"| {_mem_slope(n, [r['fit_mb'] for r in rows])} "
              f"| {_mem_slope(n, [r['transform_mb'] for r in rows])} |")
    print("\n| estimator | n | fit GFLOP | fit GFLOP/s | of matmul | of conv "
          "| transform GFLOP | transform GFLOP/s | of matmul | of conv |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for name, rows in results.items():
        r = rows[1]
        fr, tr = r["fit_flops"] / r["fit_s"], r["transform_flops"] / r["transform_s"]
        print(f"| {name} | {r['n']} | {r['fit_flops'] / 1e9:.2f} | {fr / 1e9:.2f} "
              f"| {fr / mm:.1%} | {fr / conv:.1%} | {r['transform_flops'] / 1e9:.3f} "
              f"| {tr / 1e9:.2f} | {tr / mm:.1%} | {tr / conv:.1%} |")
    print(f"\nload average at end: {os.getloadavg()[0]:.2f}")
    _plot(results, args.png)
    return 0


def _plot(results, path):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 2, figsize=(11, 4.2))
    for name, rows in results.items():
        n = [r["n"] for r in rows]
        for ax, key in zip(axes, ("s", "mb")):
            floor = 1e-3 if key == "s" else 1e-2
            line, = ax.loglog(n, [max(r[f"fit_{key}"], floor) for r in rows], "o-",
                              label=f"{name} fit")
            ax.loglog(n, [max(r[f"transform_{key}"], floor) for r in rows], "s--",
                      color=line.get_color(), label=f"{name} transform/predict")
    axes[0].set(xlabel="size (objects, tiles or time steps)", ylabel="wall time (s)")
    axes[1].set(xlabel="size (objects, tiles or time steps)",
                ylabel="peak extra RSS during the call (MB, floor 0.01)")
    axes[0].legend(fontsize=6)
    for ax in axes:
        ax.grid(True, which="both", alpha=0.3)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    print(f"plot: {path}")


if __name__ == "__main__":
    sys.exit(main())
