"""Out-of-core labelling: Tile2VecSeriesKMeans on an image time series larger than memory.

1. **generate** a synthetic stack ``(time, band, y, x)`` of uint8 reflectances (default
   20 dates x 3 bands x 16384 x 16384 = 16.1 GB) into a zarr store, block by block with dask
   (each task computes one spatial chunk with all its dates and bands, so generation is out of
   core too). The scene is ``skstc.datasets.make_image_sequence``'s model at scale: compact
   Voronoi cells (mean area ``--cell-size`` squared) each given one of 4 planted zones; a
   zone has a seasonal trajectory of its band means and a texture (flat, fine checkerboard,
   stripes, dots) whose contrast follows the seasons; zones 0/1 and 2/3 share their mean
   trajectories and differ by texture only; uniform pixel noise (13 DN standard deviation).
2. **fit** ``Tile2VecSeriesKMeans`` (CPU-sized defaults, ``--tile-size``) on
   ``--fit-windows`` windows of ``--fit-window`` pixels pulled from the store into memory;
   the pixel-mean baseline (``representation="pixel_mean"``, same tiles, same K-means) is
   fitted on the same windows.
3. **label** the whole region lazily: ``predict_label_maps`` of the ``xr.open_zarr``
   DataArray (dask-backed) builds the graph without computing. A small window is labelled
   first to extrapolate the full time.
4. **write** the lazy label map with :func:`skstc.io.to_zarr`: the labels are computed by
   dask's threaded scheduler (``--threads`` workers, one torch thread each), chunk by chunk,
   while they are stored.
5. **check**: agreement of the stored map with an in-memory ``predict_label_maps`` of
   ``--eval-windows`` windows (tile-aligned, outside the training windows), and the ARI of
   the stored map and of the pixel-mean baseline against the planted zones on those windows'
   tiles (truth: the tile's majority zone; ``ari_pure`` on the tiles inside one zone).

Peak memory is the resident set of the process tree (this process and any children), sampled
every 50 ms through the whole run, with the kernel's ``ru_maxrss`` of the process as a
cross-check. Prints one markdown table.

Run (needs ``zarr``: ``pip install 'skstc[zarr]'``)::

    OMP_NUM_THREADS=1 python benchmarks/bench_out_of_core.py --threads 2

``--size 2048`` runs the same pipeline on a 1/64 region in a minute or two (the label-time
estimate for the full region is printed before labelling). The stores live under
``--workdir`` and are deleted at the end unless ``--keep``.
"""

import argparse
import os
import resource
import shutil
import sys
import time
import warnings
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from benchmarks._memory import PeakRSS, tree_rss  # noqa: E402

N_ZONES = 4


# ---- the synthetic scene ----------------------------------------------------------------
class Scene:
    """The planted scene: zone of every pixel and the uint8 stack, computable per window.

    Every quantity is a function of the global parameters drawn from ``seed`` and of the
    pixel position, so any window (a dask block, a training window, an evaluation window) is
    computed on its own and agrees with every other.
    """

    def __init__(self, size, n_times, n_bands, cell_size, seed, texture=0.25, noise=0.05):
        from scipy.spatial import cKDTree

        rng = np.random.RandomState(seed)
        self.size, self.n_times, self.n_bands = size, n_times, n_bands
        self.noise, self.seed = noise, seed
        n_cells = max(2 * N_ZONES, int(round((size / cell_size) ** 2)))
        self.seeds = rng.uniform(0, size, size=(n_cells, 2))
        self.tree = cKDTree(self.seeds)
        self.cell_zone = np.concatenate([rng.permutation(N_ZONES),
                                         rng.randint(0, N_ZONES, n_cells - N_ZONES)])
        # as make_image_sequence(shared_means=True): zone pairs share their mean trajectory
        t = np.arange(n_times)[:, None]
        n_groups = (N_ZONES + 1) // 2
        base = rng.uniform(0.3, 0.7, size=(n_groups, 1, n_bands))
        amp = rng.uniform(0.05, 0.25, size=(n_groups, 1, n_bands))
        phase = rng.uniform(0, 2 * np.pi, size=(n_groups, 1, n_bands))
        group_means = base + amp * np.sin(2 * np.pi * t[None] / n_times + phase)
        self.means = group_means[np.arange(N_ZONES) // 2].astype(np.float32)   # (Z, T, B)
        c_phase = rng.uniform(0, 2 * np.pi, size=(N_ZONES, 1))
        contrast = texture * (0.75 + 0.25 * np.sin(2 * np.pi * t.T / n_times + c_phase))
        band_gain = rng.uniform(0.6, 1.0, size=(N_ZONES, n_bands))
        # (Z, T, B): texture amplitude of each zone, date and band
        self.tex_amp = (contrast[:, :, None] * band_gain[:, None, :]).astype(np.float32)
        self.tex_phase = rng.uniform(0, 8, size=(N_ZONES, 3)) * [1, 1, 1 / 8]

    def zones(self, y0, y1, x0, x1):
        """Planted zone of every pixel of the window, ``(y1 - y0, x1 - x0)`` int8."""
        yy, xx = np.mgrid[y0:y1, x0:x1]
        _, cell = self.tree.query(np.column_stack([yy.ravel(), xx.ravel()]))
        return self.cell_zone[cell].reshape(yy.shape).astype(np.int8)

    def block(self, y0, y1, x0, x1):
        """The stack on the window, ``(n_times, n_bands, y1 - y0, x1 - x0)`` uint8."""
        from skstc.datasets._generators import _t2v_textures

        zmap = self.zones(y0, y1, x0, x1)
        yy, xx = np.mgrid[y0:y1, x0:x1].astype(np.float32)
        tex = np.zeros(zmap.shape, np.float32)
        for z in range(N_ZONES):
            inside = zmap == z
            if inside.any():
                tex[inside] = _t2v_textures(z % 4, yy[inside], xx[inside], self.tex_phase[z])
        # uniform integer noise of +-22 DN (standard deviation 13 DN = ``noise`` * 255): each
        # (date, band) plane takes a random slice of a pool drawn once per window, from a
        # stream reproducible from the scene seed and the window's position
        rng = np.random.default_rng([self.seed, y0, x0])
        half = int(round(self.noise * 255 * np.sqrt(3)))
        n_px = zmap.size
        pool = rng.integers(-half, half + 1, size=2 * n_px, dtype=np.int8)
        starts = rng.integers(0, n_px, size=(self.n_times, self.n_bands))
        out = np.empty((self.n_times, self.n_bands) + zmap.shape, np.uint8)
        v = np.empty(zmap.shape, np.float32)
        for t in range(self.n_times):
            for b in range(self.n_bands):
                lut_mean = 255 * self.means[:, t, b] + 0.5
                lut_amp = 255 * self.tex_amp[:, t, b]
                np.multiply(lut_amp[zmap], tex, out=v)
                v += lut_mean[zmap]
                v += pool[starts[t, b]:starts[t, b] + n_px].reshape(zmap.shape)
                np.clip(v, 0, 255, out=v)
                out[t, b] = v
        return out


def _scene_block(block_info=None, *, scene):
    loc = block_info[None]["array-location"]
    (y0, y1), (x0, x1) = loc[2], loc[3]
    return scene.block(y0, y1, x0, x1)


def generate(scene, path, chunk, compression):
    """Write the scene's stack to a zarr store with dask, one spatial chunk per task."""
    import dask.array as dsa
    import xarray as xr

    T, B, S = scene.n_times, scene.n_bands, scene.size
    lazy = dsa.map_blocks(_scene_block, scene=scene, dtype=np.uint8,
                          chunks=((T,), (B,), (chunk,) * (S // chunk), (chunk,) * (S // chunk)),
                          meta=np.empty((0, 0, 0, 0), np.uint8))
    da = xr.DataArray(lazy, dims=("time", "band", "y", "x"),
                      coords={"time": np.arange(T), "band": [f"b{i}" for i in range(B)],
                              "y": np.arange(S, dtype=np.float64),
                              "x": np.arange(S, dtype=np.float64)},
                      name="reflectance")
    enc = {"chunks": (T, B, chunk, chunk)}
    if compression == "none":
        enc["compressors"] = None
    da.to_dataset().to_zarr(path, mode="w", encoding={"reflectance": enc})


def du(path):
    """Bytes on disk under ``path``."""
    return sum(f.stat().st_blocks * 512 for f in Path(path).rglob("*") if f.is_file())


def tile_truth(zmap, ts):
    """Majority zone and purity of every tile of a zone window."""
    gh, gw = zmap.shape[0] // ts, zmap.shape[1] // ts
    tiles = zmap[:gh * ts, :gw * ts].reshape(gh, ts, gw, ts).transpose(0, 2, 1, 3)
    tiles = tiles.reshape(gh, gw, ts * ts)
    counts = np.stack([(tiles == z).sum(-1) for z in range(N_ZONES)], -1)
    return counts.argmax(-1), counts.max(-1) == ts * ts


def windows(rng, size, win, n, ts, avoid=()):
    """``n`` tile-aligned square windows, not overlapping each other nor ``avoid``."""
    out = []
    for _ in range(100000):
        if len(out) == n:
            return out
        y0, x0 = (rng.randint(0, (size - win) // ts + 1, size=2) * ts).tolist()
        if all(abs(y0 - a) >= max(win, w) or abs(x0 - b) >= max(win, w)
               for a, b, w in list(avoid) + [(p, q, win) for p, q in out]):
            out.append((y0, x0))
    raise ValueError(f"could not place {n} disjoint windows of {win} px in {size} px; "
                     "use fewer or smaller windows")


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--size", type=int, default=16384, help="region side in pixels")
    p.add_argument("--dates", type=int, default=20)
    p.add_argument("--bands", type=int, default=3)
    p.add_argument("--chunk", type=int, default=512, help="spatial chunk side of the store")
    p.add_argument("--compression", choices=["none", "zstd"], default="none",
                   help="none: the store's size on disk is the stack's size")
    p.add_argument("--cell-size", type=int, default=1024,
                   help="mean side of the planted Voronoi cells in pixels")
    p.add_argument("--tile-size", type=int, default=32)
    p.add_argument("--batch-size", type=int, default=256)
    p.add_argument("--fit-windows", type=int, default=6)
    p.add_argument("--fit-window", type=int, default=768)
    p.add_argument("--eval-windows", type=int, default=8)
    p.add_argument("--eval-window", type=int, default=512)
    p.add_argument("--threads", type=int, default=2,
                   help="dask threads (each runs torch on one thread)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--workdir", default="/tmp/skstc_out_of_core")
    p.add_argument("--keep", action="store_true", help="keep the stores")
    p.add_argument("--skip-generate", action="store_true",
                   help="reuse the stack of a previous --keep run")
    args = p.parse_args(argv)

    import dask
    import dask.array as dsa
    import xarray as xr
    from dask.diagnostics import ProgressBar
    from sklearn.metrics import adjusted_rand_score

    from skstc import Tile2VecSeriesKMeans
    from skstc.io import to_zarr

    S, T, B, ts = args.size, args.dates, args.bands, args.tile_size
    if S % args.chunk or args.chunk % ts:
        p.error("--size must be a multiple of --chunk, and --chunk of --tile-size")
    work = Path(args.workdir)
    work.mkdir(parents=True, exist_ok=True)
    stack_path, labels_path = work / "stack.zarr", work / "labels.zarr"
    n_bytes = T * B * S * S
    free = shutil.disk_usage(work).free
    if not args.skip_generate and free < 1.1 * n_bytes:
        sys.exit(f"{work} has {free / 1e9:.1f} GB free; the stack needs {n_bytes / 1e9:.1f} GB")
    scene = Scene(S, T, B, args.cell_size, args.seed)
    times, peaks = {}, {}
    dask.config.set(scheduler="threads", num_workers=args.threads)

    def phase(name):
        class _Phase:
            def __enter__(self_):
                self_.mem = PeakRSS(interval=0.05, tree=True).__enter__()
                self_.t0 = time.perf_counter()
                print(f"[{time.strftime('%H:%M:%S')}] {name} ...", flush=True)

            def __exit__(self_, *exc):
                times[name] = time.perf_counter() - self_.t0
                self_.mem.__exit__(*exc)
                peaks[name] = self_.mem.peak
                print(f"[{time.strftime('%H:%M:%S')}] {name}: {times[name]:.1f} s, "
                      f"peak tree RSS {self_.mem.peak / 2**20:.0f} MiB", flush=True)
        return _Phase()

    start_rss = tree_rss()
    try:
        if not args.skip_generate:
            with phase("generate"), ProgressBar(minimum=30, dt=5):
                generate(scene, stack_path, args.chunk, args.compression)
        disk = du(stack_path)
        da = xr.open_zarr(stack_path)["reflectance"]
        assert isinstance(da.data, dsa.Array)
        print(f"stack {da.shape} {da.dtype}, {da.nbytes / 1e9:.2f} GB decoded, "
              f"{disk / 1e9:.2f} GB on disk, chunks {da.data.chunksize}", flush=True)

        rng = np.random.RandomState(args.seed + 1)
        fit_at = windows(rng, S, args.fit_window, args.fit_windows, ts)
        eval_at = windows(rng, S, args.eval_window, args.eval_windows, ts,
                          avoid=[(y, x, args.fit_window) for y, x in fit_at])
        params = dict(tile_size=ts, batch_size=args.batch_size, n_threads=1,
                      random_state=args.seed)
        with phase("fit"):
            w = args.fit_window
            train = [da[:, :, y:y + w, x:x + w].values for y, x in fit_at]
            model = Tile2VecSeriesKMeans(N_ZONES, **params).fit(train)
            del train
        with phase("fit_baseline"):
            train = [da[:, :, y:y + w, x:x + w].values for y, x in fit_at]
            baseline = Tile2VecSeriesKMeans(N_ZONES, representation="pixel_mean",
                                            **params).fit(train)
            del train

        if args.keep:  # to inspect the kept stores with the fitted models
            import joblib

            joblib.dump((model, baseline), work / "models.joblib")

        # label-time estimate from a small window through the same lazy path
        e = min(S, 2 * args.chunk)
        with phase("estimate"):
            small = model.predict_label_maps(da[:, :, :e, :e])[0].compute()
        estimate = times["estimate"] * (S / e) ** 2
        print(f"estimated label time of the whole region: {estimate / 60:.1f} min "
              f"(window {e} x {e}, {small.shape} tiles)", flush=True)

        with phase("label"):
            label_map = model.predict_label_maps(da)[0]
        assert isinstance(label_map.data, dsa.Array), "the label map must be lazy"
        with phase("write"), ProgressBar(minimum=30, dt=5):
            to_zarr(label_map, labels_path, estimator=model)
        written = xr.open_zarr(labels_path)["cluster"].values
        label_disk = du(labels_path)

        # checks on the evaluation windows: stored map vs in-memory predict, ARI vs zones
        with phase("check"):
            v = args.eval_window
            agree, y_true, y_map, y_base, pure = [], [], [], [], []
            for y, x in eval_at:
                window = da[:, :, y:y + v, x:x + v].values
                stored = written[y // ts:(y + v) // ts, x // ts:(x + v) // ts]
                agree.append(stored == np.asarray(model.predict_label_maps(window)[0]))
                truth, is_pure = tile_truth(scene.zones(y, y + v, x, x + v), ts)
                y_true.append(truth.ravel())
                pure.append(is_pure.ravel())
                y_map.append(stored.ravel())
                y_base.append(np.asarray(baseline.predict_label_maps(window)[0]).ravel())
            y_true, pure = np.concatenate(y_true), np.concatenate(pure)
            y_map, y_base = np.concatenate(y_map), np.concatenate(y_base)
            agreement = float(np.mean(np.concatenate([a.ravel() for a in agree])))
    finally:
        if not args.keep:
            shutil.rmtree(stack_path, ignore_errors=True)
            shutil.rmtree(labels_path, ignore_errors=True)

    ru_self = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    ru_children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss * 1024
    peak = max(peaks.values())
    gib = 2 ** 30
    print()
    print(f"command: {' '.join(sys.argv)}; OMP_NUM_THREADS={os.environ.get('OMP_NUM_THREADS')}")
    print(f"| stack | {T} dates x {B} bands x {S} x {S} uint8 = {n_bytes / 1e9:.2f} GB "
          f"({n_bytes / gib:.2f} GiB); {disk / 1e9:.2f} GB on disk ({args.compression}) |")
    print(f"| store chunks | {da.data.chunksize} = {np.prod(da.data.chunksize) / 2**20:.0f} MiB |")
    print(f"| label map | {label_map.shape} tiles of {ts} px, chunks "
          f"{label_map.data.chunksize}, {label_disk / 1e6:.1f} MB |")
    print(f"| fit sample | {args.fit_windows} windows of {args.fit_window} px "
          f"({args.fit_windows * (args.fit_window // ts) ** 2} tiles) |")
    print()
    print("| phase | wall time (s) | peak RSS of the process tree (GiB) |")
    print("|---|---:|---:|")
    for name in times:
        print(f"| {name} | {times[name]:.1f} | {peaks[name] / gib:.2f} |")
    print(f"| **whole run** | {sum(times.values()):.1f} | **{peak / gib:.2f}** "
          f"(start {start_rss / gib:.2f}; ru_maxrss self {ru_self / gib:.2f}, "
          f"children {ru_children / gib:.2f}) |")
    print(f"\nestimated label+write time from the {e} px window: {estimate:.0f} s; "
          f"measured label+write: {times['label'] + times['write']:.0f} s")
    print()
    print(f"| check on {len(eval_at)} windows of {args.eval_window} px ({len(y_true)} tiles, "
          f"{int(pure.sum())} pure) | value |")
    print("|---|---:|")
    print(f"| agreement stored map vs in-memory predict | {agreement:.4f} |")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for name, lab in (("Tile2VecSeriesKMeans (stored map)", y_map),
                          ("pixel-mean series k-means (baseline)", y_base)):
            print(f"| ARI {name} | {adjusted_rand_score(y_true, lab):.3f} |")
            print(f"| ARI_pure {name} | {adjusted_rand_score(y_true[pure], lab[pure]):.3f} |")
    ok = peak < 3 * gib
    print(f"\npeak RSS under 3 GiB: {ok}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
