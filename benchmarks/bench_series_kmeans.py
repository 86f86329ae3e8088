"""Series K-means of Tile2VecSeriesKMeans: speed against tslearn, and the streaming variant.

Data: planted tile series, ``--n`` tiles x ``--n-times`` dates x ``--dim`` embedding dims
(default 10,000 x 20 x 512, 410 MB of float32): ``--k`` zones, each a mean series
``base_k + amp_k * sin(2 pi t / T + phase_k)`` (``base``, ``amp`` of scale ``--spread`` per
dim), plus unit Gaussian noise per tile, date and dim. Row ``i`` is generated from its own
seed, so the same rows can be produced all at once (in-memory path) or chunk by chunk
(streaming path).

Parts (``--parts``):

* ``speed``   the estimator's own in-memory K-means step
  (``Tile2VecSeriesKMeans._cluster_series`` on the precomputed series) with its default
  clusterer ``skstc._clustering.SketchKMeans`` (restarts in a 512-feature sketch, Lloyd
  polish in full space until no label changes) and with the full-space
  ``skstc._clustering.series_kmeans``, vs ``tslearn.clustering.TimeSeriesKMeans(
  metric="euclidean")`` on the same series as ``(n, T, D)``, with the same ``n_init``,
  ``max_iter`` and stopping rule (until no label changes: scikit-learn ``tol=0``, tslearn
  ``tol=1e-9`` on the change of its mean inertia, exactly 0 once labels are stable) and
  one thread on both sides (``threadpoolctl`` limits,
  ``OMP_NUM_THREADS``). ``--all-variants`` adds plain ``KMeans(n_init)`` (float64
  k-means++ seeding, a copy of the series) and Elkan's algorithm. Inertia of every partition by one
  function, ``skstc.metrics.kmeans_error(series, labels) * n`` (cluster means, float64
  sums), next to each library's own report. Times: best of ``--repeats`` runs, CPU time
  of the process (the work, at one thread) and wall time (also the waits for a core on a
  shared machine).
* ``stream``  the streaming step (``Tile2VecSeriesKMeans._stream_clusterer``,
  ``streaming_passes`` passes of ``MiniBatchKMeans(batch_size=b).partial_fit`` on chunks
  of ``b`` rows generated on the fly, the first call with ``init_size = 3 b`` rows) vs the
  in-memory step (default clusterer, series generated whole), each in a fresh process: peak RSS growth over
  the step (generation included; the generator stands for the encoder), CPU and wall time,
  and the inertia of the partition by the same function, as a ratio to the in-memory
  K-means.

* ``real``    the two in-memory clusterers on real tile series: a Tile2VecSeriesKMeans
  encoder (``embedding_dim=64``, no refinement, ``random_state=0``) fitted on the Slovenia
  NDVI image of ``../shared/data`` (68 dates), its series of the ``--real-tile-size`` tiles
  (``transform``), then ``SketchKMeans`` and ``series_kmeans`` with ``n_init=10`` and
  seeds ``0..--real-seeds-1``: inertia by the shared function, agreement (ARI, NMI) with
  the majority land-use class of each tile (``lulc``, class 0 ignored), and the ARI
  between the two partitions of the same seed.

tslearn is not a dependency: run the ``speed`` part in a separate environment, e.g.::

    python -m venv --system-site-packages /tmp/bench_tslearn
    /tmp/bench_tslearn/bin/pip install tslearn
    OMP_NUM_THREADS=1 /tmp/bench_tslearn/bin/python benchmarks/bench_series_kmeans.py

(from the repository root, so that ``skstc`` is this checkout).
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks._cli import add_parts_argument, selected_parts  # noqa: E402


def planted_series(n, n_times, dim, n_clusters, seed, spread=0.1):
    """``rows(idx)`` giving the flattened planted series of the tiles ``idx``, and the zones."""
    rng = np.random.default_rng([seed, 10 ** 6])
    base = rng.normal(0, spread, (n_clusters, 1, dim))
    amp = rng.normal(0, spread, (n_clusters, 1, dim))
    phase = rng.uniform(0, 2 * np.pi, (n_clusters, 1, 1))
    t = np.arange(n_times)[None, :, None]
    profiles = (base + amp * np.sin(2 * np.pi * t / n_times + phase)).astype(np.float32)
    zones = rng.integers(0, n_clusters, n)

    def rows(idx):
        out = np.empty((len(idx), n_times * dim), np.float32)
        for j, i in enumerate(np.asarray(idx)):
            noise = np.random.default_rng([seed, int(i)]).standard_normal((n_times, dim),
                                                                          dtype=np.float32)
            out[j] = (profiles[zones[i]] + noise).ravel()
        return out
    return rows, zones


def _best(fn, repeats, before=None):
    """Best CPU time (user + system of this process) and best wall time of ``repeats`` runs.

    With one thread the CPU time is the work done; on a shared machine the wall time also
    counts the waits for a core, which differ from run to run.
    """
    cpu, wall, out = np.inf, np.inf, None
    for _ in range(repeats):
        if before is not None:
            before()
        c0, t0 = time.process_time(), time.perf_counter()
        out = fn()
        cpu = min(cpu, time.process_time() - c0)
        wall = min(wall, time.perf_counter() - t0)
    return (cpu, wall), out


def part_speed(args):
    from sklearn.cluster import KMeans
    from threadpoolctl import threadpool_limits

    from skstc import Tile2VecSeriesKMeans
    from skstc._clustering import SketchKMeans, series_kmeans
    from skstc.metrics import kmeans_error

    try:
        from tslearn.clustering import TimeSeriesKMeans
    except ImportError:
        print("== speed: tslearn not installed (see the module docstring), skipped")
        return None
    import tslearn

    n, T, D, K = args.n, args.n_times, args.dim, args.k
    rows, _ = planted_series(n, T, D, K, args.data_seed, args.spread)
    pristine = rows(np.arange(n))
    S = pristine.copy()

    def restore():   # copy_x=False rounds S in place (centred, then restored)
        np.copyto(S, pristine)
    print(f"== series K-means, {n} tiles x {T} dates x {D} dims ({S.nbytes / 1e6:.0f} MB "
          f"{S.dtype}), K={K}, max_iter={args.max_iter}, tol={args.tol} (tslearn "
          f"{args.tslearn_tol}), "
          f"{args.threads} thread(s); tslearn {tslearn.__version__}; times = best of "
          f"{args.repeats}")
    print("| n_init | seed | side | CPU time (s) | wall time (s) | n_iter | inertia (shared) | "
          "inertia (own) | tslearn / side, CPU time | inertia vs tslearn |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    out = []
    for n_init, seeds in ((1, args.seeds), (10, args.seeds[:1])):
        for seed in seeds:
            sides = {}

            def skstc_step(clusterer, seed=seed):
                model = Tile2VecSeriesKMeans(K, clusterer=clusterer, n_threads=args.threads)

                def run():
                    return model._cluster_series(S, np.random.RandomState(seed), "precomputed")
                return run

            configs = [
                ("skstc (default: SketchKMeans)",
                 SketchKMeans(K, n_init=n_init, max_iter=args.max_iter)),
                ("skstc, full-space KMeans (series_kmeans, lloyd)",
                 series_kmeans(K).set_params(n_init=n_init, max_iter=args.max_iter,
                                             tol=args.tol)),
                ("skstc, elkan", series_kmeans(K).set_params(
                    n_init=n_init, max_iter=args.max_iter, tol=args.tol, algorithm="elkan")),
                ("skstc, plain KMeans (float64 seeding, copy)", KMeans(K, n_init=n_init,
                                                          max_iter=args.max_iter,
                                                          tol=args.tol)),
            ]
            if not args.all_variants:
                configs = configs[:2]
            for name, clusterer in configs:
                with threadpool_limits(args.threads):
                    dt, res = _best(skstc_step(clusterer), args.repeats, restore)
                est, labels, _, own = res
                sides[name] = (dt, est.n_iter_, labels, own)
            ts_model = TimeSeriesKMeans(K, metric="euclidean", n_init=n_init,
                                        max_iter=args.max_iter, tol=args.tslearn_tol,
                                        random_state=seed)
            restore()
            with threadpool_limits(args.threads):
                dt, fitted = _best(lambda m=ts_model: m.fit(S.reshape(n, T, D)), args.repeats)
            sides["tslearn TimeSeriesKMeans"] = (dt, fitted.n_iter_, fitted.labels_,
                                                 fitted.inertia_ * n)
            ref_t = sides["tslearn TimeSeriesKMeans"][0][0]
            ref_i = kmeans_error(pristine, sides["tslearn TimeSeriesKMeans"][2]) * n
            for name, ((cpu, wall), n_iter, labels, own) in sides.items():
                shared = kmeans_error(pristine, labels) * n
                print(f"| {n_init} | {seed} | {name} | {cpu:.2f} | {wall:.2f} | {n_iter} | "
                      f"{shared:.6g} | {own:.6g} | {ref_t / cpu:.1f}x | "
                      f"{(shared - ref_i) / ref_i:+.3%} |", flush=True)
                out.append(dict(n_init=n_init, seed=seed, side=name, cpu=cpu, wall=wall,
                                n_iter=n_iter, inertia=shared, own=own, ratio=ref_t / cpu))
    return out


def part_real(args):
    from sklearn.metrics import adjusted_rand_score, normalized_mutual_info_score

    from benchmarks._data import load_image_series
    from skstc import Tile2VecSeriesKMeans
    from skstc._clustering import SketchKMeans, series_kmeans
    from skstc.datasets import tile_majority
    from skstc.metrics import kmeans_error

    path = Path(os.environ.get("SKSTC_DATA_DIR", ROOT.parent / "shared" / "data")) / \
        "sentinel2_slovenia_ndvi.nc"
    if not path.is_file():
        print(f"== real: {path} not found, skipped")
        return None
    images, lulc = load_image_series(path)
    K, ts = args.k_real, args.real_tile_size
    model = Tile2VecSeriesKMeans(K, tile_size=ts, embedding_dim=64, n_triplets=512,
                                 max_epochs=2, refine=False, n_threads=args.threads,
                                 random_state=0).fit(images)
    S = np.asarray(model.transform(images), dtype=np.float32)
    S = np.ascontiguousarray(S.reshape(len(S), -1))
    truth = tile_majority(lulc.values, ts, ignore=0).ravel()
    keep = truth >= 0
    print(f"== real tile series: Slovenia NDVI, {S.shape[0]} tiles of {ts} px x "
          f"{S.shape[1]} values ({images.sizes['time']} dates x 64 dims), K={K}, n_init=10")
    print("| seed | clusterer | CPU time (s) | inertia (shared) | ARI lulc | NMI lulc | "
          "ARI to the other |")
    print("|---|---|---|---|---|---|---|")
    out = []
    for seed in range(args.real_seeds):
        labels, rows = {}, []
        for name, est in (("SketchKMeans", SketchKMeans(K, random_state=seed)),
                          ("series_kmeans", series_kmeans(K).set_params(random_state=seed))):
            X = S.copy()
            (cpu, _), _ = _best(lambda est=est, X=X: est.fit(X), 1)
            labels[name] = est.labels_
            rows.append((name, cpu, kmeans_error(S, est.labels_) * len(S),
                         adjusted_rand_score(truth[keep], est.labels_[keep]),
                         normalized_mutual_info_score(truth[keep], est.labels_[keep])))
        both = adjusted_rand_score(*labels.values())
        for name, cpu, inertia, ari, nmi in rows:
            print(f"| {seed} | {name} | {cpu:.3f} | {inertia:.6g} | {ari:.3f} | {nmi:.3f} | "
                  f"{both:.3f} |", flush=True)
            out.append(dict(seed=seed, side=name, cpu=cpu, inertia=inertia, ari=ari,
                            nmi=nmi))
    return out


_STREAM_CHILD = r"""
import sys, time, json
import numpy as np
sys.path.insert(0, {root!r})
from benchmarks._memory import PeakRSS
from benchmarks.bench_series_kmeans import planted_series
from sklearn.cluster import MiniBatchKMeans
from skstc import Tile2VecSeriesKMeans
n, T, D, K, data_seed, spread, passes, batch, threads, out = sys.argv[1:]
n, T, D, K, data_seed, passes, batch, threads = map(
    int, (n, T, D, K, data_seed, passes, batch, threads))
rows, _ = planted_series(n, T, D, K, data_seed, float(spread))
if passes > 0:
    model = Tile2VecSeriesKMeans(K, n_threads=threads, streaming_passes=passes,
                                 clusterer=MiniBatchKMeans(batch_size=batch))
else:
    model = Tile2VecSeriesKMeans(K, n_threads=threads)
rng = np.random.RandomState(0)
rows(np.arange(2))   # warm-up: imports and first allocations before the baseline
with PeakRSS() as mem:
    c0, t0 = time.process_time(), time.perf_counter()
    if passes > 0:
        est, labels, centers, inertia = model._stream_clusterer(rows, n, rng)
    else:
        S = rows(np.arange(n))
        est, labels, centers, inertia = model._cluster_series(S, rng, "in-memory")
    dt, cpu = time.perf_counter() - t0, time.process_time() - c0
np.save(out, labels)
print(json.dumps(dict(base=mem.base, peak=mem.peak, time=dt, cpu=cpu, inertia=inertia)))
"""


def part_stream(args):
    from skstc.metrics import kmeans_error

    n, T, D, K = args.n, args.n_times, args.dim, args.k
    print(f"== streaming vs in-memory K-means step, {n} tiles x {T} dates x {D} dims "
          f"({n * T * D * 4 / 1e6:.0f} MB float32), K={K}, fresh process each; series "
          "generated inside the step (whole for in-memory, in chunks for streaming)")
    code = _STREAM_CHILD.format(root=str(ROOT))
    res = {}
    runs = [(0, 0)] + [(p, b) for b in args.batch_sizes for p in args.passes]
    with tempfile.TemporaryDirectory() as tmp:
        for passes, batch in runs:
            path = os.path.join(tmp, f"labels_{passes}_{batch}.npy")
            env = dict(os.environ, OMP_NUM_THREADS=str(args.threads))
            line = subprocess.run(
                [sys.executable, "-c", code, str(n), str(T), str(D), str(K),
                 str(args.data_seed), str(args.spread), str(passes), str(batch),
                 str(args.threads), path],
                capture_output=True, text=True, check=True, env=env).stdout.strip()
            res[passes, batch] = dict(json.loads(line.splitlines()[-1]), labels=np.load(path))
        rows, _ = planted_series(n, T, D, K, args.data_seed, args.spread)
        S = rows(np.arange(n))
    print("| path | CPU time (s) | wall time (s) | peak RSS growth (MiB) | inertia (shared) | "
          "inertia / in-memory |")
    print("|---|---|---|---|---|---|")
    ref = kmeans_error(S, res[0, 0]["labels"]) * n
    for (passes, batch), r in res.items():
        shared = kmeans_error(S, r["labels"]) * n
        r["inertia_shared"], r["ratio"] = shared, shared / ref
        name = ("in-memory (default SketchKMeans)" if passes == 0 else
                f"streaming MiniBatchKMeans(batch_size={batch}), {passes} pass(es)")
        print(f"| {name} | {r['cpu']:.1f} | {r['time']:.1f} | "
              f"{(r['peak'] - r['base']) / 2 ** 20:.0f} | "
              f"{shared:.6g} | {shared / ref:.4f} |", flush=True)
    return res


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    add_parts_argument(parser, ["speed", "stream", "real"], default=["speed", "stream"])
    parser.add_argument("--n", type=int, default=10_000, help="tiles")
    parser.add_argument("--n-times", type=int, default=20)
    parser.add_argument("--dim", type=int, default=512)
    parser.add_argument("--k", type=int, default=8, help="zones and clusters")
    parser.add_argument("--spread", type=float, default=0.1)
    parser.add_argument("--data-seed", type=int, default=0)
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2],
                        help="random_state of both sides (n_init=10 uses the first)")
    parser.add_argument("--max-iter", type=int, default=300)
    parser.add_argument("--tol", type=float, default=0.0,
                        help="scikit-learn's tol (0: until no label changes)")
    parser.add_argument("--tslearn-tol", type=float, default=1e-9,
                        help="tslearn's tol, an absolute change of the mean inertia (tiny: "
                             "until no label changes, where the change is exactly 0)")
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--all-variants", action="store_true",
                        help="also run the elkan and plain-KMeans rows")
    parser.add_argument("--passes", type=int, nargs="+", default=[1, 3],
                        help="streaming_passes values of the stream part")
    parser.add_argument("--batch-sizes", type=int, nargs="+", default=[1024, 256],
                        help="MiniBatchKMeans batch_size values of the stream part (chunk "
                             "size; the first call gets 3 chunks)")
    parser.add_argument("--k-real", type=int, default=5, help="clusters of the real part")
    parser.add_argument("--real-tile-size", type=int, default=5)
    parser.add_argument("--real-seeds", type=int, default=10)
    args = parser.parse_args(argv)
    results = {}
    for part in selected_parts(parser, args):
        results[part] = globals()[f"part_{part}"](args)
    return results


if __name__ == "__main__":
    main()
