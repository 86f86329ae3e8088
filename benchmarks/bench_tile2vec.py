"""Tile2VecSeriesKMeans benchmarks: the paper's tables, speed and memory, in one run.

Parts (``--parts``, default all but ``ladder``):

* ``ladder``     the baseline ladder: pixel-mean series k-means, PCA of tile pixels +
  k-means (``skstc.baselines.TilePixelKMeans``) and the default ``Tile2VecSeriesKMeans``,
  each over ``--real-seeds``, on held-out planted texture zones (``--ladder-data-seeds``)
  and on every real image series of ``../shared/data``: ARI/NMI against the tile-majority
  reference map (``lulc``, modal ``svm_class``; ``ari_pure`` on tiles inside one planted
  zone), geographic silhouette, stability across seeds (mean pairwise ARI), fit time.
  Run: ``python benchmarks/bench_tile2vec.py --parts ladder --threads 1``.

* ``synthetic``  Table 1/2 analogues on ``make_image_sequence`` (planted zones): ARI/NMI vs
  the true zones, geographic silhouette / Calinski-Harabasz of the embedding partition vs the
  pixel-based baseline (same K), silhouette and K-means error of the series before (f^g) and
  after (f^c) refinement.
* ``real``       the same on the real regions of ``../shared/data`` (Slovenia NDVI and
  13-band, CBERS-4, Sinop MODIS, Landsat, Formosat-2), with NMI/ARI against the majority land
  use per tile where labels exist (``lulc``, ``svm_class``). ``--regions`` keeps the files
  whose name contains one of the given strings; ``--gapfill yes`` puts
  ``TemporalGapFiller`` (linear along time) before the band scaler, ``--gapfill both`` runs
  each region without and with it and prints the comparison. On regions with more than 1 %
  NaN, ``nmi_cloud`` is the NMI of the partition with the tiles' cloud pattern (K-means of
  each tile's missing-pixel fraction series on the raw data).
* ``throughput`` encoder tiles/s at inference (published TileNet, 4 bands, 50x50 tiles), as a
  fraction of the machine's measured convolution throughput (GFLOP/s of one big 3x3 conv).
* ``memory``     peak RSS growth while embedding a 20 x 3 x N x N dask-backed synthetic region
  for N = 1024 and 4096 (16x the pixels) and two ``batch_size`` values, in fresh processes:
  streaming makes the growth follow ``batch_size``, not N.
* ``kmeans``     the estimator's series K-means vs
  ``tslearn.TimeSeriesKMeans(metric="euclidean")``: the ``speed`` part of
  ``benchmarks/bench_series_kmeans.py`` (tslearn in a separate environment, see there).

Run: ``python benchmarks/bench_tile2vec.py [--parts synthetic kmeans] [--threads 1]``.
"""

import argparse
import os
import subprocess
import sys
import time
import warnings
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks._cli import add_parts_argument, selected_parts  # noqa: E402

DATA = Path(os.environ.get("SKSTC_DATA_DIR", ROOT.parent / "shared" / "data"))


def _scores(model, X, regions_truth=None, pure=None, cloud=None):
    """Table 1/2 numbers of a fitted model (+ agreement with a tile truth)."""
    from sklearn.metrics import adjusted_rand_score, normalized_mutual_info_score

    from skstc.metrics import (
        geographic_calinski_harabasz,
        geographic_silhouette,
        kmeans_error,
        series_silhouette,
    )

    out = {}
    maps = [np.asarray(m) for m in model.label_maps_]
    out["geo_sil"] = float(np.mean([geographic_silhouette(m) for m in maps
                                    if len(np.unique(m)) > 1]))
    out["geo_ch"] = float(np.mean([geographic_calinski_harabasz(m) for m in maps
                                   if len(np.unique(m)) > 1]))
    if model.representation == "tilenet":
        final = model.transform(X)
        geo = model.geographic_transform(X)
        T = model.n_times_
        for name, S, lab in (("fg", geo, model.geographic_labels_),
                             ("fc", final, model.labels_)):
            # the paper's Table 2 measures with its series distance (Eq. 3: sum over dates
            # of per-date Euclidean distances)
            out[f"{name}_series_sil"] = series_silhouette(S, lab, n_times=T)
            out[f"{name}_kmeans_err"] = kmeans_error(S, lab, metric="series", n_times=T)
            # scale-free error: over the error of the one-cluster partition
            out[f"{name}_rel_err"] = out[f"{name}_kmeans_err"] / kmeans_error(
                S, np.zeros(len(S), int), metric="series", n_times=T)
    if regions_truth is not None:
        truth = np.concatenate([t.ravel() for t in regions_truth])
        keep = truth >= 0
        out["nmi"] = float(normalized_mutual_info_score(truth[keep], model.labels_[keep]))
        out["ari"] = float(adjusted_rand_score(truth[keep], model.labels_[keep]))
        if model.representation == "tilenet":
            out["nmi_fg"] = float(normalized_mutual_info_score(
                truth[keep], model.geographic_labels_[keep]))
            out["ari_fg"] = float(adjusted_rand_score(truth[keep],
                                                      model.geographic_labels_[keep]))
    if cloud is not None:   # agreement with the tiles' cloud (missing-data) pattern
        out["nmi_cloud"] = float(normalized_mutual_info_score(cloud, model.labels_))
    if pure is not None:   # tiles lying entirely inside one planted zone
        p = np.concatenate([m.ravel() for m in pure])
        out["ari_pure"] = float(adjusted_rand_score(truth[p], model.labels_[p]))
        if model.representation == "tilenet":
            out["ari_pure_fg"] = float(adjusted_rand_score(truth[p],
                                                           model.geographic_labels_[p]))
    return out


def _fit_pair(X, n_clusters, tile_size, threads, seed, truth=None, pure=None, cloud=None,
              **params):
    from skstc import Tile2VecSeriesKMeans

    t0 = time.perf_counter()
    emb = Tile2VecSeriesKMeans(n_clusters, tile_size=tile_size, n_threads=threads,
                               random_state=seed, **params).fit(X)
    t_emb = time.perf_counter() - t0
    pix = Tile2VecSeriesKMeans(n_clusters, tile_size=tile_size, representation="pixel_mean",
                               random_state=seed).fit(X)
    return (dict(_scores(emb, X, truth, pure, cloud), fit_s=t_emb),
            _scores(pix, X, truth, pure, cloud))


NET = dict(embedding_dim=16, n_blocks=(1, 1, 1), base_width=8, n_triplets=1024, batch_size=64,
           max_epochs=5, refine_epochs=3, margin=1.0)


def _print_row(name, emb, pix):
    keys = ["geo_sil", "geo_ch", "nmi", "ari", "nmi_cloud"]
    cells = []
    for k in keys:
        if k in emb:
            cells.append(f"{k} {emb[k]:.3f}/{pix[k]:.3f}")
    print(f"  {name:<28} emb/pixel: " + "  ".join(cells))
    print(f"  {'':<28} series silhouette f^g {emb['fg_series_sil']:.3f} -> f^c "
          f"{emb['fc_series_sil']:.3f};  K-means error/total var f^g {emb['fg_rel_err']:.3f} "
          f"-> f^c {emb['fc_rel_err']:.3f}  (fit {emb['fit_s']:.0f}s)", flush=True)


def _ms(vals):
    vals = np.asarray(vals, dtype=float)
    return f"{vals.mean():.3f} ± {vals.std(ddof=1) if len(vals) > 1 else 0.0:.3f}"


def _summary(rows, title):
    """Mean ± sd over runs (markdown table rows) and how often each direction held."""
    n = len(rows)
    print(f"  -- {title}: mean ± sd over {n} run(s)")
    print("  | metric | embedding (f^c) | pixel baseline | emb > pixel |")
    print("  |---|---|---|---|")
    for k in ("ari", "ari_pure", "nmi", "geo_sil", "geo_ch", "nmi_cloud"):
        if k in rows[0][0]:
            e = [r[0][k] for r in rows]
            p = [r[1][k] for r in rows]
            wins = sum(a > b for a, b in zip(e, p))
            print(f"  | {k} | {_ms(e)} | {_ms(p)} | {wins}/{n} |")
    print("  | metric | before refinement (f^g) | after (f^c) | improved |")
    print("  |---|---|---|---|")
    for k, better in (("series_sil", 1), ("rel_err", -1), ("kmeans_err", -1), ("ari", 1),
                      ("ari_pure", 1), ("nmi", 1)):
        kg = f"fg_{k}" if f"fg_{k}" in rows[0][0] else f"{k}_fg"
        kc = f"fc_{k}" if f"fc_{k}" in rows[0][0] else k
        if kg not in rows[0][0]:
            continue
        g = [r[0][kg] for r in rows]
        c = [r[0][kc] for r in rows]
        wins = sum((b - a) * better > 0 for a, b in zip(g, c))
        print(f"  | {k} | {_ms(g)} | {_ms(c)} | {wins}/{n} |")
    print(f"  fit time {_ms([r[0]['fit_s'] for r in rows])} s", flush=True)


def part_synthetic(args):
    from skstc.datasets import make_image_sequence, tile_majority

    print("== synthetic planted zones (2 regions 64x64, 6 dates, 3 bands, 4 zones; tile 8)")
    rows = []
    for seed in args.seeds:
        images, zones = make_image_sequence(n_regions=2, n_times=6, n_bands=3, height=64,
                                            width=64, n_zones=4, random_state=seed)
        truth = [tile_majority(z, 8) for z in zones]
        pure = [z.reshape(8, 8, 8, 8).std(axis=(1, 3)) == 0 for z in zones]
        # data and model seeded alike: the spread covers both
        emb, pix = _fit_pair(images, 4, 8, args.threads, seed, truth, pure, **NET)
        _print_row(f"seed {seed}", emb, pix)
        rows.append((emb, pix))
    _summary(rows, "synthetic")
    return rows


REAL = [
    # file, K, tile_size, time subsample, labels
    ("sentinel2_slovenia_ndvi.nc", 5, 10, 1),
    ("sentinel2_slovenia_13band.nc", 5, 10, 1),
    ("cbers4_awfi_2018.nc", 5, 5, 1),
    ("sinop_modis_2000_2017.nc", 5, 4, 1),
    ("landsat_lsts_2008-2013.nc", 5, 6, 1),
    ("formosat2_tempcnn_image.nc", 4, 4, 1),
]


def _cloud_partition(images, k, ts):
    """K-means (K clusters) of the tiles' missing-pixel fraction series (raw data, before
    any filling; a pixel is missing when any band is NaN), in the tile order of the model."""
    from sklearn.cluster import KMeans

    miss = np.isnan(images.transpose("time", "band", "y", "x").values).any(axis=1)
    t, h, w = miss.shape
    gh, gw = h // ts, w // ts
    frac = miss[:, :gh * ts, :gw * ts].reshape(t, gh, ts, gw, ts).mean(axis=(2, 4))
    return KMeans(k, n_init=10, random_state=0).fit_predict(frac.reshape(t, -1).T)


def part_real(args):
    from benchmarks._data import load_image_series
    from skstc.datasets import tile_majority
    from skstc.preprocessing import ImageBandScaler, TemporalGapFiller

    fills = {"no": [False], "yes": [True], "both": [False, True]}[args.gapfill]
    print("== real regions (bands standardised; same K for embedding and pixel baseline)")
    out = {}
    for (name, k, ts, step), gapfill in ((r, g) for r in REAL for g in fills):
        if args.regions and not any(r in name for r in args.regions):
            continue
        path = DATA / name
        if not path.is_file():
            print(f"  {name}: absent, skipped")
            continue
        images, labels = load_image_series(path)
        images = images.isel(time=slice(None, None, step))
        nan_before = float(np.isnan(images.values).mean())
        cloud = _cloud_partition(images, k, ts) if nan_before > 0.01 else None
        if gapfill:
            images = TemporalGapFiller().fit_transform(images)
        print(f"  {name}: gap filling {'on' if gapfill else 'off'}; NaN {nan_before:.1%} -> "
              f"{float(np.isnan(images.values).mean()):.1%}", flush=True)
        X = ImageBandScaler().fit_transform(images)
        truth = None
        if labels is None and name == "sentinel2_slovenia_13band.nc" and \
                (DATA / "sentinel2_slovenia_ndvi.nc").is_file():
            # the same patch on the same pixel grid: its land-use map applies
            labels = load_image_series(DATA / "sentinel2_slovenia_ndvi.nc")[1]
        if labels is not None:
            lab = labels.values
            if labels.name == "svm_class":   # per-pixel modal class over the 16 seasons
                import xarray as xr
                from scipy.stats import mode

                with xr.open_dataset(path) as ds:
                    seasons = ds["svm_class"].transpose("season", "y", "x").values
                lab = mode(seasons.reshape(len(seasons), -1).T, axis=1).mode.reshape(seasons.shape[1:])
            # lulc 0 = no data
            truth = [tile_majority(lab, ts, ignore=0 if labels.name == "lulc" else None)]
        rows = []
        for seed in args.real_seeds:
            emb, pix = _fit_pair(X, k, ts, args.threads, seed, truth, cloud=cloud, **NET)
            _print_row(f"{name} K={k} tile={ts} seed {seed}", emb, pix)
            rows.append((emb, pix))
        _summary(rows, f"{name} ({X.sizes['time']} dates, {X.sizes['band']} bands, "
                       f"{X.sizes['y']}x{X.sizes['x']} px, K={k}, tile {ts}, gap filling "
                       f"{'on' if gapfill else 'off'})")
        out[(name, gapfill)] = rows
    if args.gapfill == "both":
        print("  -- gap filling off -> on (mean ± sd over model seeds)")
        print("  | region | partition | metric | off | on |")
        print("  |---|---|---|---|---|")
        for name in dict.fromkeys(n for n, _ in out):
            for part, i in (("embedding (f^c)", 0), ("pixel baseline", 1)):
                for key in ("geo_sil", "geo_ch", "nmi", "ari", "nmi_cloud"):
                    if key in out[(name, False)][0][i]:
                        off = [r[i][key] for r in out[(name, False)]]
                        on = [r[i][key] for r in out[(name, True)]]
                        print(f"  | {name} | {part} | {key} | {_ms(off)} | {_ms(on)} |")
    return out


def _reference(name, path, labels, ts):
    """Tile-majority reference map of a real file (None when it has no labels)."""
    from benchmarks._data import load_image_series
    from skstc.datasets import tile_majority

    if labels is None and name == "sentinel2_slovenia_13band.nc" and \
            (DATA / "sentinel2_slovenia_ndvi.nc").is_file():
        # the same patch on the same pixel grid: its land-use map applies
        labels = load_image_series(DATA / "sentinel2_slovenia_ndvi.nc")[1]
    if labels is None:
        return None
    lab = labels.values
    if labels.name == "svm_class":   # per-pixel modal class over the 16 seasons
        import xarray as xr
        from scipy.stats import mode

        with xr.open_dataset(path) as ds:
            seasons = ds["svm_class"].transpose("season", "y", "x").values
        lab = mode(seasons.reshape(len(seasons), -1).T, axis=1).mode.reshape(
            seasons.shape[1:])
    # lulc 0 = no data
    return tile_majority(lab, ts, ignore=0 if labels.name == "lulc" else None).ravel()


def _ladder_models(k, ts, threads, seed, skstc_params):
    from skstc import Tile2VecSeriesKMeans
    from skstc.baselines import tiles_baselines

    skstc_params = dict(skstc_params)
    if "neighborhood_tiles" in skstc_params:   # a radius in tiles, for every tile size
        skstc_params["neighborhood"] = max(1, round(skstc_params.pop("neighborhood_tiles")
                                                    * ts))
    model = Tile2VecSeriesKMeans(k, tile_size=ts, n_threads=threads, random_state=seed,
                                 **skstc_params)
    out = {name: est.set_params(n_threads=threads)
           for name, est in tiles_baselines(model).items()}
    out["Tile2VecSeriesKMeans"] = model
    return out


def _ladder_one(title, X, k, ts, seeds, threads, truth=None, pure=None, skstc_params=None):
    """Fit the ladder (baselines + skstc model) over seeds on X; print and return rows."""
    from itertools import combinations

    from sklearn.metrics import adjusted_rand_score, normalized_mutual_info_score

    from skstc.metrics import geographic_silhouette

    runs = {}
    for seed in seeds:
        for name, est in _ladder_models(k, ts, threads, seed, skstc_params or {}).items():
            t0 = time.perf_counter()
            est.fit(X)
            r = {"fit_s": time.perf_counter() - t0, "labels": est.labels_}
            maps = [np.asarray(m) for m in est.label_maps_]
            r["geo_sil"] = float(np.mean([geographic_silhouette(m) for m in maps
                                          if len(np.unique(m)) > 1]))
            for key, sel in (("", None), ("_pure", pure)):
                if truth is None or (key and sel is None):
                    continue
                keep = truth >= 0 if sel is None else sel
                r["ari" + key] = float(adjusted_rand_score(truth[keep], est.labels_[keep]))
                r["nmi" + key] = float(normalized_mutual_info_score(truth[keep],
                                                                    est.labels_[keep]))
            runs.setdefault(name, []).append(r)
    keys = [k_ for k_ in ("ari", "nmi", "ari_pure", "geo_sil") if k_ in runs[name][0]]
    print(f"  -- {title}: mean ± sd over seeds {list(seeds)}")
    pure_col = " stability on pure tiles |" if pure is not None else ""
    print("  | model | " + " | ".join(keys) + f" | stability (pairwise ARI) |{pure_col} fit s |")
    print("  |---|" + "---|" * (len(keys) + 2 + (pure is not None)))
    table = {}
    for name, rs in runs.items():
        stab = [adjusted_rand_score(a["labels"], b["labels"])
                for a, b in combinations(rs, 2)]
        cells = [_ms([r[key] for r in rs]) for key in keys]
        cells.append(_ms(stab) if stab else "-")
        if pure is not None:
            stab_p = [adjusted_rand_score(a["labels"][pure], b["labels"][pure])
                      for a, b in combinations(rs, 2)]
            cells.append(_ms(stab_p) if stab_p else "-")
        cells.append(f"{np.mean([r['fit_s'] for r in rs]):.1f}")
        print(f"  | {name} | " + " | ".join(cells) + " |", flush=True)
        table[name] = dict({key: [r[key] for r in rs] for key in keys}, stability=stab)
    return table


LADDER = [
    # file, K, tile_size
    ("sentinel2_slovenia_ndvi.nc", 5, 10),
    ("sentinel2_slovenia_13band.nc", 5, 10),
    ("cbers4_awfi_2018.nc", 5, 5),
    ("sinop_modis_2000_2017.nc", 5, 4),
    ("landsat_lsts_2008-2013.nc", 5, 6),
    ("formosat2_tempcnn_image.nc", 4, 4),
]


def part_ladder(args):
    """Baseline ladder: pixel-mean k-means, PCA of tile pixels + k-means, the default
    Tile2VecSeriesKMeans, on held-out planted texture zones and every real image series."""
    import ast

    from benchmarks._data import load_image_series
    from skstc.datasets import make_image_sequence, tile_majority
    from skstc.preprocessing import ImageBandScaler

    params = {} if args.ladder_params is None else ast.literal_eval(args.ladder_params)
    extra = f" + {args.ladder_params}" if params else ""
    print(f"== baseline ladder (skstc model: defaults{extra}, n_threads={args.threads})")
    out = {}
    if "synthetic" in args.ladder_sets:
        for seed in args.ladder_data_seeds:
            images, zones = make_image_sequence(n_regions=2, n_times=6, n_bands=3,
                                                height=64, width=64, n_zones=4,
                                                random_state=seed)
            truth = np.concatenate([tile_majority(z, 8).ravel() for z in zones])
            pure = np.concatenate([(z.reshape(8, 8, 8, 8).std(axis=(1, 3)) == 0).ravel()
                                   for z in zones])
            out[("synthetic", seed)] = _ladder_one(
                f"planted texture zones, data seed {seed} (2 regions 64x64, 6 dates, 3 bands, "
                "4 zones in pairs sharing mean values; tile 8, K=4)", images, 4, 8,
                args.real_seeds, args.threads, truth, pure, params)
    for name, k, ts in LADDER:
        if not any(r in name for r in args.ladder_sets):
            continue
        path = DATA / name
        if not path.is_file():
            print(f"  {name}: absent, skipped")
            continue
        images, labels = load_image_series(path)
        X = ImageBandScaler().fit_transform(images)
        truth = _reference(name, path, labels, ts)
        out[name] = _ladder_one(
            f"{name} ({X.sizes['time']} dates, {X.sizes['band']} bands, "
            f"{X.sizes['y']}x{X.sizes['x']} px, K={k}, tile {ts}; bands standardised)",
            X, k, ts, args.real_seeds, args.threads, truth, None, params)
    return out


def _tilenet_flops(net, size, bands):
    import torch

    flops = []

    def hook(mod, inp, out):
        k = mod.kernel_size[0] * mod.kernel_size[1]
        flops.append(2 * out.numel() * mod.in_channels // mod.groups * k)

    hs = [m.register_forward_hook(hook) for m in net.modules()
          if isinstance(m, torch.nn.Conv2d)]
    with torch.no_grad():
        net.encode(torch.zeros(1, bands, size, size))
    for h in hs:
        h.remove()
    return float(sum(flops))


def part_throughput(args):
    import torch

    from skstc._training import torch_threads
    from skstc.nn import TileNet

    print(f"== encoder throughput (published TileNet, 4 bands, 50x50 tiles, "
          f"{args.threads} thread(s))")
    def rate(fn, min_time=2.0):
        fn()
        n, t0 = 0, time.perf_counter()
        while time.perf_counter() - t0 < min_time:
            fn()
            n += 1
        return n / (time.perf_counter() - t0)

    with torch_threads(args.threads), torch.no_grad():
        # the machine's conv throughput: best of the 3x3 convs TileNet is made of; conv and
        # TileNet timings are interleaved over 3 rounds and the best of each kept, so that
        # load from other processes affects both alike
        convs = {}
        for ch, size in ((64, 50), (128, 25), (256, 13), (512, 7)):
            x = torch.randn(32, ch, size, size)
            conv = torch.nn.Conv2d(ch, ch, 3, padding=1, bias=False).eval()
            convs[(ch, size)] = (conv, x, 2 * ch * ch * 9 * size * size * 32)
        net = TileNet(4).eval()
        per_tile = _tilenet_flops(net, 50, 4)
        tiles = torch.randn(64, 4, 50, 50)
        conv_rates = {k: 0.0 for k in convs}
        tps = 0.0
        for _ in range(3):
            for k, (conv, x, flop) in convs.items():
                conv_rates[k] = max(conv_rates[k], rate(lambda: conv(x), 1.0) * flop / 1e9)
            tps = max(tps, rate(lambda: net.encode(tiles), 4.0) * len(tiles))
        conv_gflops = max(conv_rates.values())
    for (ch, size), g in conv_rates.items():
        print(f"  conv 3x3 {ch}->{ch} on {size}x{size}: {g:.1f} GFLOP/s")
    frac = tps * per_tile / 1e9 / conv_gflops
    print(f"  TileNet: {per_tile / 1e9:.2f} GFLOP/tile, {tps:.1f} tiles/s = "
          f"{tps * per_tile / 1e9:.1f} GFLOP/s = {frac:.2f} of the conv throughput")
    return {"conv_gflops": conv_gflops, "tiles_per_s": tps, "fraction": frac}


_MEM_CHILD = r"""
import pickle, sys, time
import numpy as np
sys.path.insert(0, {root!r})
import dask.array as da
import skstc
from benchmarks._memory import PeakRSS
n, batch_size = int(sys.argv[1]), int(sys.argv[3])
with open(sys.argv[2], "rb") as f:
    model = pickle.load(f)
model.set_params(batch_size=batch_size)
# warm up the encoder on one small block so that lazy allocations are in the baseline
model.transform(np.zeros((20, 3, 256, 256), np.float32))
big = da.random.RandomState(0).random_sample((20, 3, n, n), chunks=(1, 3, 128, n)).astype(
    np.float32)
with PeakRSS() as mem:
    t0 = time.perf_counter()
    Z = model.transform(big)
    dt = time.perf_counter() - t0
print(mem.base, mem.peak, Z.shape[0], dt)
"""


def part_memory(args):
    import pickle
    import tempfile

    from skstc import Tile2VecSeriesKMeans

    print("== streaming memory: embed a dask-backed 20 x 3 x N x N region (chunks of one date "
          "x 128 rows; tile 128) in a fresh process; peak RSS during transform (sampled every "
          "2 ms) minus RSS just before it")
    rng = np.random.RandomState(0)
    small = rng.rand(20, 3, 512, 512).astype(np.float32)
    model = Tile2VecSeriesKMeans(3, tile_size=128, embedding_dim=8, n_blocks=(1, 1),
                                 base_width=4, n_triplets=64, batch_size=16, max_epochs=1,
                                 refine=False, n_threads=args.threads, random_state=0).fit(small)
    res = {}
    print("  | N | region (float32) | batch_size | input block | time | RSS before | "
          "peak growth |")
    print("  |---|---|---|---|---|---|---|")
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "model.pkl")
        with open(path, "wb") as f:
            pickle.dump(model, f)
        code = _MEM_CHILD.format(root=str(ROOT))
        for bs in args.mem_batch_sizes:
            for n in args.mem_sizes:
                env = dict(os.environ, OMP_NUM_THREADS=str(args.threads))
                out = subprocess.run([sys.executable, "-c", code, str(n), path, str(bs)],
                                     capture_output=True, text=True, check=True,
                                     env=env).stdout.split()
                before, peak, n_tiles = int(out[0]), int(out[1]), int(out[2])
                dt = float(out[3])
                res[(n, bs)] = (peak - before) / 2**20
                print(f"  | {n} | {20 * 3 * n * n * 4 / 1e9:.2f} GB | {bs} | "
                      f"{bs * 3 * 128 * 128 * 4 / 2**20:.1f} MB | {dt:.1f} s "
                      f"({n_tiles} tiles x 20 dates) | {before / 2**20:.0f} MB | "
                      f"{res[(n, bs)]:.0f} MB |", flush=True)
    ns = args.mem_sizes
    for bs in args.mem_batch_sizes:
        print(f"  batch_size {bs}: {ns[-1] ** 2 // ns[0] ** 2}x the pixels -> peak growth "
              f"{res[(ns[-1], bs)]:.0f} MB vs {res[(ns[0], bs)]:.0f} MB")
    return res


def part_kmeans(args):
    """The series K-means against tslearn: ``benchmarks/bench_series_kmeans.py`` (speed
    part, its default 10,000 x 20 x 512 planted series) at ``--threads``."""
    from benchmarks.bench_series_kmeans import main as series_main

    return series_main(["--parts", "speed", "--threads", str(args.threads)])["speed"]


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    add_parts_argument(parser, ["synthetic", "real", "ladder", "throughput", "memory", "kmeans"],
                       default=["synthetic", "real", "throughput", "memory", "kmeans"])
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2, 3, 4],
                        help="data and model seeds of the synthetic part")
    parser.add_argument("--real-seeds", type=int, nargs="+", default=[0, 1, 2],
                        help="model seeds of the real part")
    parser.add_argument("--mem-sizes", type=int, nargs="+", default=[1024, 4096],
                        help="region sides N of the memory part")
    parser.add_argument("--mem-batch-sizes", type=int, nargs="+", default=[16, 128],
                        help="batch_size values of the memory part (the bounding parameter)")
    parser.add_argument("--regions", nargs="+", default=None,
                        help="real part: only the files whose name contains one of these")
    parser.add_argument("--gapfill", choices=["no", "yes", "both"], default="no",
                        help="real part: TemporalGapFiller before the band scaler (both: "
                             "compare without and with)")
    parser.add_argument("--ladder-sets", nargs="+",
                        default=["synthetic", "slovenia_ndvi", "13band", "cbers", "sinop",
                                 "landsat", "formosat"],
                        help="ladder part: 'synthetic' and/or substrings of the real files")
    parser.add_argument("--ladder-data-seeds", type=int, nargs="+", default=[100, 101, 102],
                        help="ladder part: data seeds of the held-out planted texture zones")
    parser.add_argument("--ladder-params", default=None,
                        help="ladder part: a dict literal of Tile2VecSeriesKMeans parameters "
                             "overriding the defaults, e.g. \"{'n_triplets': 1024}\"; the key "
                             "'neighborhood_tiles' sets neighborhood in tiles")
    parser.add_argument("--big", action="store_true",
                        help="a larger encoder trained longer (64-d, 4 stages of width 16, "
                             "2048 triplets x 10 epochs) for the synthetic and real parts")
    args = parser.parse_args(argv)
    if args.big:
        NET.update(embedding_dim=64, n_blocks=(1, 1, 1, 1), base_width=16, n_triplets=2048,
                   max_epochs=10, refine_epochs=5)
    warnings.filterwarnings("ignore", category=UserWarning)
    results = {}
    for part in selected_parts(parser, args):
        results[part] = globals()[f"part_{part}"](args)
    return results


if __name__ == "__main__":
    main()
