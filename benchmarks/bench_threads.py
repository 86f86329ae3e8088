"""Default torch threads under load: ``n_threads=None`` vs 1 thread vs all cores, same run.

For each deep estimator, fits the same small problem with ``n_threads=None`` (the default),
``n_threads=1`` and ``n_threads=-1`` (all usable cores, the former default), first with no extra
load and then while one extra process keeps one core busy (a pure-Python spin loop). Prints the
best of ``--repeat`` wall times and the ratios to 1 thread in the same condition. Targets:
default/1-thread <= 1.5 with a busy core; >= 1.5x speed-up from all cores on an idle machine,
which needs >= 4 cores to be measurable (on 2 cores the default is 1 thread by design).

Run: ``OMP_NUM_THREADS= python benchmarks/bench_threads.py [--repeat 2]`` (``OMP_NUM_THREADS``
must be unset, otherwise the default follows it).
"""

import argparse
import os
import subprocess
import sys
import time
import warnings

import numpy as np

from skstc import DeepSpatiotemporalClustering, MultimodalConstrainedAE, Tile2VecSeriesKMeans
from skstc._training import _usable_cores, effective_n_threads
from skstc.datasets import make_climate_fields, make_image_sequence, make_water_bodies
from skstc.preprocessing import FieldMinMaxScaler


def problems():
    X_mm, y_mm = make_water_bodies(128, n_timesteps=24, map_size=16, random_state=0)
    y_few = np.where(np.arange(len(y_mm)) < 32, y_mm, -1)
    mm = (lambda t: MultimodalConstrainedAE(
        4, spatial_shape=(16, 16), embedding_dim=32, conv_channels=(8, 16), lstm_hidden_size=32,
        max_epochs=2, batch_size=64, n_threads=t, random_state=0), (X_mm, y_few))
    images, _ = make_image_sequence(n_regions=1, n_times=4, n_bands=3, height=64, width=64,
                                    random_state=0)
    t2v = (lambda t: Tile2VecSeriesKMeans(
        4, tile_size=8, embedding_dim=16, n_blocks=(1, 1), base_width=8, n_triplets=256,
        batch_size=64, max_epochs=1, refine_epochs=1, n_threads=t, random_state=0),
        (images, None))
    X_f, _ = make_climate_fields(n_times=120, n_regimes=4, grid_shape=(16, 16), random_state=0)
    X_f = FieldMinMaxScaler().fit_transform(X_f).astype(np.float32)
    dsc = (lambda t: DeepSpatiotemporalClustering(
        4, embedding_dim=8, conv_channels=(8, 16), lstm_hidden_size=32, pretrain_epochs=1,
        max_epochs=2, batch_size=32, n_init=2, n_threads=t, random_state=0), (X_f, None))
    return {"MultimodalConstrainedAE": mm, "Tile2VecSeriesKMeans": t2v,
            "DeepSpatiotemporalClustering": dsc}


def fit_time(make, data, n_threads, repeat):
    X, y = data
    best = np.inf
    for _ in range(repeat):
        est = make(n_threads)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            t0 = time.perf_counter()
            est.fit(X, y)
            best = min(best, time.perf_counter() - t0)
    return best


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeat", type=int, default=2)
    args = parser.parse_args()
    if os.environ.get("OMP_NUM_THREADS"):
        sys.exit("unset OMP_NUM_THREADS: the default thread count follows it when set")
    cores = _usable_cores()
    print(f"usable cores: {cores}; load average before: {os.getloadavg()[0]:.2f}")
    for make, data in problems().values():  # warm-up: imports, allocator, kernels
        fit_time(make, data, 1, 1)
    rows = []
    for cond in ("idle", "one busy core"):
        spinner = None
        if cond != "idle":
            spinner = subprocess.Popen([sys.executable, "-c", "while True: pass"])
            time.sleep(1.0)
        try:
            for name, (make, data) in problems().items():
                default = effective_n_threads(None)
                t1 = fit_time(make, data, 1, args.repeat)
                td = fit_time(make, data, None, args.repeat)
                ta = fit_time(make, data, -1, args.repeat)
                rows.append((cond, name, default, t1, td, ta))
                print(f"{cond:13s} {name:29s} default={default} thread(s)  1 thread {t1:6.2f} s"
                      f"  default {td:6.2f} s ({td / t1:4.2f}x)  all {cores} cores {ta:6.2f} s "
                      f"({ta / t1:4.2f}x)", flush=True)
        finally:
            if spinner is not None:
                spinner.kill()
                spinner.wait()
    print("\n| condition | estimator | default threads | 1 thread (s) | default (s) | "
          "default / 1 thread | all cores (s) | all cores / 1 thread |")
    print("|---|---|---|---|---|---|---|---|")
    for cond, name, default, t1, td, ta in rows:
        print(f"| {cond} | {name} | {default} | {t1:.2f} | {td:.2f} | {td / t1:.2f} | "
              f"{ta:.2f} | {ta / t1:.2f} |")


if __name__ == "__main__":
    main()
