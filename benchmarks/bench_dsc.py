"""DeepSpatiotemporalClustering: the DSC paper's Table 2 analogue, speed and streaming memory.

Parts (``--parts``, default all but ``ladder``):

* ``synthetic``: :func:`skstc.datasets.make_climate_fields` (365 days, planted regimes,
  seasonal cycle, noise), min-max scaled per variable. DSC (window=1 as published, the
  wider window, with and without pretraining), k-means and agglomerative (Ward) on the
  flattened scaled fields, DEC and the paper's ablations (CNN encoder only, CNN
  autoencoder, CNN-LSTM encoder only). Silhouette (Euclidean and cosine), Davies-Bouldin,
  cluster RMSE, inter-cluster distance and average cluster variance on the scaled input,
  the persistence of the labels (fraction of consecutive steps in the same cluster, next
  to its chance level for the same cluster sizes), plus ARI/NMI against the planted
  regimes; mean and standard deviation over the seeds (every run counts: no selection by
  the metrics).
* ``real``: the same table on ERA5 DJF 2025/26 (``msl`` and ``vo850``, 6-hourly, North
  Atlantic-European sector 80N-30N, 60W-40E, 2.5 deg), read with
  :func:`skstc.datasets.load_era5` from ``../shared/data`` (skipped when absent).
* ``speed``: time per epoch of the engine vs a plain torch loop on the same module, data,
  batches and loss (ratio plain/engine, target >= 0.9), and of one target update (codes and
  q on all samples) vs a plain no-grad loop.
* ``clustpy``: the DEC baseline (dense 500-500-2000-10 autoencoder, no reconstruction term
  in the clustering phase) against ClustPy's ``DEC`` on the same scaled synthetic fields,
  same widths, batch size, epochs and threads: fit time for (P pretraining, C clustering)
  epochs and the per-epoch cost of each phase from runs with doubled P or C. ClustPy runs
  in a child process with ``--clustpy-python`` (a separate environment: ClustPy needs
  torchvision, whose only builds in the registry pull a CUDA torch); skipped with the reason
  when it cannot be imported.
* ``memory``: predicting a long record (40 years of daily fields, a lazily generated dask
  array never held in memory) in streamed chunks: peak RSS increase vs the array's size.

The networks are narrower than the published stack (conv_channels=(16, 32, 64, 128),
latent 32) so that the 5-seed table runs on two shared CPU cores; the speed part also times
the published 64-64-128-256-512 stack.

Run: ``python benchmarks/bench_dsc.py [--parts synthetic] [--seeds 5] [--threads 1]
[--clustpy-python PATH]``.
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
import warnings
from pathlib import Path

import numpy as np
import torch
from sklearn.cluster import AgglomerativeClustering, KMeans
from sklearn.metrics import adjusted_rand_score, normalized_mutual_info_score

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks._cli import add_parts_argument, selected_parts  # noqa: E402
from benchmarks._memory import PeakRSS, rss  # noqa: E402
from skstc import DeepSpatiotemporalClustering  # noqa: E402
from skstc._dsc import _FieldWindows, _WindowBatches  # noqa: E402
from skstc._training import torch_threads  # noqa: E402
from skstc.datasets import load_era5, make_climate_fields  # noqa: E402
from skstc.losses import DSCLoss  # noqa: E402
from skstc.metrics import cluster_quality_scores  # noqa: E402
from skstc.preprocessing import FieldMinMaxScaler  # noqa: E402

DATA = Path(os.environ.get("SKSTC_DATA_DIR",
                           Path(__file__).resolve().parents[2] / "shared" / "data"))
METRICS = ["silhouette", "silhouette_cosine", "davies_bouldin", "cluster_rmse",
           "average_intercluster_distance", "average_cluster_variance"]
NET = dict(conv_channels=(16, 32, 64, 128), lstm_hidden_size=64, embedding_dim=32, batch_size=32,
           max_epochs=40, pretrain_epochs=20, update_interval=10, tol=1e-3)


def dsc_methods(threads):
    base = dict(NET, n_threads=threads)
    return {
        "DSC window=1 (published, no pretraining)": dict(base, window=1, pretrain_epochs=0),
        "DSC window=1": dict(base, window=1),
        "DSC window=3": dict(base, window=3),
        "DSC window=5": dict(base, window=5),
        "DEC (dense AE)": dict(base, architecture="dec", embedding_dim=10,
                               dense_units=(500, 500, 2000)),
        "ablation: CNN encoder only": dict(base, architecture="cnn"),
        "ablation: CNN autoencoder": dict(base, architecture="cnn_ae"),
        "ablation: CNN-LSTM encoder only": dict(base, architecture="cnn_lstm", window=3),
    }


def run_table(X, k, seeds, threads, y=None, title=""):
    flat = X.reshape(len(X), -1)
    rows = {}

    def add(name, labels, seconds, extra=None):
        scores = cluster_quality_scores(flat, labels)
        # persistence: consecutive time steps in the same cluster, and its chance level for
        # the same cluster sizes (regimes persist; a partition blind to time does not)
        sizes = np.bincount(labels) / len(labels)
        scores["persist"] = float(np.mean(labels[1:] == labels[:-1]))
        scores["chance"] = float(np.sum(sizes ** 2))
        if y is not None:
            scores["ARI"] = adjusted_rand_score(y, labels)
            scores["NMI"] = normalized_mutual_info_score(y, labels)
        scores["seconds"] = seconds
        if extra:
            scores.update(extra)
        rows.setdefault(name, []).append(scores)

    for seed in seeds:
        t = time.perf_counter()
        add("k-means (raw scaled fields)",
            KMeans(k, n_init=10, random_state=seed).fit_predict(flat), time.perf_counter() - t)
        if seed == seeds[0]:  # deterministic
            t = time.perf_counter()
            agg = AgglomerativeClustering(k, linkage="ward").fit_predict(flat)
            add("agglomerative (Ward)", agg, time.perf_counter() - t)
        for name, params in dsc_methods(threads).items():
            t = time.perf_counter()
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always")
                est = DeepSpatiotemporalClustering(k, random_state=seed, **params).fit(X)
            collapsed = any("collapsed" in str(w.message) or "uniform" in str(w.message)
                            for w in caught)
            add(name, est.labels_, time.perf_counter() - t,
                {"n_batches": est.n_batches_, "converged": float(est.converged_),
                 "collapsed": float(collapsed), "reseeded": est.n_reseeded_})
            print(f"  [{title}] seed {seed} {name}: "
                  + (f"ARI {rows[name][-1]['ARI']:.3f} " if y is not None else "")
                  + f"sil {rows[name][-1]['silhouette']:.3f} "
                  f"({rows[name][-1]['seconds']:.0f}s, n_batches {est.n_batches_}, "
                  f"converged {est.converged_}, collapsed {collapsed})", flush=True)
    print_table(rows, y is not None, title)
    return rows


def print_table(rows, with_truth, title):
    cols = METRICS + ["persist", "chance"] + (["ARI", "NMI"] if with_truth else []) + [
        "seconds"]
    short = {"silhouette": "sil", "silhouette_cosine": "sil_cos", "davies_bouldin": "DB",
             "cluster_rmse": "RMSE", "average_intercluster_distance": "inter_d",
             "average_cluster_variance": "var", "seconds": "sec"}
    print(f"\n### {title} (mean ± std over runs; n = runs)\n")
    print("| method | n | " + " | ".join(short.get(c, c) for c in cols) + " |")
    print("|---|---|" + "---|" * len(cols))
    for name, runs in rows.items():
        cells = []
        for c in cols:
            vals = np.array([r[c] for r in runs], dtype=float)
            cells.append(f"{np.nanmean(vals):.3f} ± {np.nanstd(vals):.3f}" if len(vals) > 1
                         else f"{vals[0]:.3f}")
        print(f"| {name} | {len(runs)} | " + " | ".join(cells) + " |")
    extra = [(n, r) for n, r in rows.items() if "collapsed" in r[0]]
    if extra:
        print("\n| method | converged runs | collapsed runs | mean n_batches | re-seeded |")
        print("|---|---|---|---|---|")
        for name, runs in extra:
            print(f"| {name} | {sum(r['converged'] for r in runs):.0f}/{len(runs)} | "
                  f"{sum(r['collapsed'] for r in runs):.0f}/{len(runs)} | "
                  f"{np.mean([r['n_batches'] for r in runs]):.0f} | "
                  f"{sum(r['reseeded'] for r in runs):.0f} |")
    print(flush=True)


def part_synthetic(args):
    X, y = make_climate_fields(n_times=365, n_regimes=5, n_variables=3, grid_shape=(24, 24),
                               random_state=2024)
    X = FieldMinMaxScaler().fit_transform(X).astype(np.float32)
    print(f"synthetic: X {X.shape}, regimes {np.bincount(y)}")
    run_table(X, 5, list(range(args.seeds)), args.threads, y=y, title="synthetic, 5 regimes")


def era5_sector():
    ds = load_era5(DATA / "era5_msl_vo850_djf2025-26_6h.nc")
    lon = ((ds["lon"] + 180) % 360) - 180
    ds = ds.assign_coords(lon=lon).sortby("lon")
    return ds.sel(lat=slice(80, 30), lon=slice(-60, 40))


def part_real(args):
    if not (DATA / "era5_msl_vo850_djf2025-26_6h.nc").is_file():
        print("real data absent: skipped")
        return
    ds = era5_sector()
    scaled = FieldMinMaxScaler().fit_transform(ds)  # a Dataset, like its input
    X = np.stack([scaled[v].values for v in scaled.data_vars], axis=1).astype(np.float32)
    print(f"ERA5 DJF 2025/26 msl+vo850, sector grid {X.shape}")
    run_table(X, 7, list(range(args.seeds)), args.threads, title="ERA5 DJF msl+vo850, k=7")


def _plain_epoch(module, dataset, batch_size, opt, crit, gen):
    module.train()
    for xb, _ in _WindowBatches(dataset, batch_size, gen):
        out = module(**xb)
        loss = crit(out, None, xb)
        opt.zero_grad()
        loss.backward()
        opt.step()


def part_speed(args):
    rng = np.random.RandomState(0)
    X, _ = make_climate_fields(n_times=365, n_variables=3, grid_shape=(24, 24), random_state=0)
    X = FieldMinMaxScaler().fit_transform(X).astype(np.float32)
    for label, chans in [("reduced stack (16,32,64,128)", (16, 32, 64, 128)),
                         ("published stack (64,64,128,256,512)", (64, 64, 128, 256, 512))]:
        epochs = 4
        est = DeepSpatiotemporalClustering(5, conv_channels=chans, lstm_hidden_size=64, embedding_dim=32,
                                           window=3, n_threads=args.threads, random_state=0)
        est._check_params()
        est._to_fields(X, reset=True)
        p = np.full((len(X), 5), 0.2, np.float32)
        ds = _FieldWindows(X, p, 3)
        crit_params = {"reconstruction_weight": 1.0, "clustering_weight": 1.0}
        best_engine, best_plain, best_dur = np.inf, np.inf, np.inf
        for rep in range(2):
            module = est._build_module(rep)
            t = time.perf_counter()
            _, hist = est._train_module(module, ds, criterion=DSCLoss,
                                        criterion_params=crit_params, random_state=rng,
                                        max_epochs=epochs, iterator_train=_WindowBatches)
            best_engine = min(best_engine, (time.perf_counter() - t) / epochs)
            best_dur = min(best_dur, float(np.mean([h["dur"] for h in hist])))
            module = est._build_module(rep)
            opt = torch.optim.Adam(module.parameters(), lr=1e-3)
            crit = DSCLoss(**crit_params)
            gen = torch.Generator().manual_seed(rep)
            with torch_threads(args.threads):
                t = time.perf_counter()
                for _ in range(epochs):
                    _plain_epoch(module, ds, 32, opt, crit, gen)
                best_plain = min(best_plain, (time.perf_counter() - t) / epochs)
        # one target update: codes + q on all samples (best of 3, both warm)
        est.module_ = module
        t_engine_upd, t_plain_upd = np.inf, np.inf
        for _ in range(3):
            t = time.perf_counter()
            est._codes_and_q(module, ds)
            t_engine_upd = min(t_engine_upd, time.perf_counter() - t)
            with torch_threads(args.threads), torch.no_grad():
                module.eval()
                t = time.perf_counter()
                for s in range(0, len(X), 256):
                    xb = ds.windows(torch.arange(s, min(len(X), s + 256)))
                    module.head(module.encode(xb))
                t_plain_upd = min(t_plain_upd, time.perf_counter() - t)
        print(f"speed, {label}, window=3, 365 samples of 3x24x24, batch 32, "
              f"{args.threads} thread(s):")
        print(f"  epoch incl. net set-up: engine {best_engine:.3f}s, plain loop "
              f"{best_plain:.3f}s, ratio plain/engine = {best_plain / best_engine:.3f}")
        print(f"  epoch as recorded by the engine (history 'dur'): {best_dur:.3f}s, ratio "
              f"plain/engine = {best_plain / best_dur:.3f}")
        print(f"  target update (all samples): engine {t_engine_upd:.3f}s, plain "
              f"{t_plain_upd:.3f}s, ratio = {t_plain_upd / t_engine_upd:.3f}", flush=True)


_CLUSTPY_CHILD = """
import json, sys, time
import numpy as np
import torch
from sklearn.metrics import adjusted_rand_score
torch.set_num_threads(int(sys.argv[2]))
from clustpy.deep import DEC
data = np.load(sys.argv[1])
X, y = data["X"], data["y"]
out = []
for pre, clu in [(1, 1)] + json.loads(sys.argv[3]):  # the first run is a warm-up
    t = time.perf_counter()
    dec = DEC(n_clusters=int(sys.argv[4]), batch_size=32, pretrain_epochs=pre,
              clustering_epochs=clu, embedding_size=10, device="cpu", random_state=0).fit(X)
    out.append({"pretrain": pre, "cluster": clu, "seconds": time.perf_counter() - t,
                "ARI": adjusted_rand_score(y, dec.labels_)})
print("RESULT" + json.dumps({"runs": out[1:], "torch": torch.__version__}))
"""


def part_clustpy(args):
    k, pre, clu = 5, 10, 10
    configs = [(pre, clu), (2 * pre, clu), (pre, 2 * clu)]
    X, y = make_climate_fields(n_times=365, n_regimes=k, n_variables=3, grid_shape=(24, 24),
                               random_state=2024)
    flat = FieldMinMaxScaler().fit_transform(X).astype(np.float32).reshape(len(X), -1)
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "fields.npz")
        np.savez(path, X=flat, y=y)
        proc = subprocess.run(
            [args.clustpy_python, "-c", _CLUSTPY_CHILD, path, str(args.threads),
             json.dumps(configs), str(k)],
            capture_output=True, text=True,
            env=dict(os.environ, OMP_NUM_THREADS=str(args.threads)))
    lines = [ln for ln in proc.stdout.splitlines() if ln.startswith("RESULT")]
    if proc.returncode or not lines:
        err = (proc.stderr.strip().splitlines() or ["no output"])[-1]
        print(f"clustpy: not available with {args.clustpy_python} ({err}); skipped")
        return
    theirs = json.loads(lines[0][len("RESULT"):])
    ours = []
    for p_ep, c_ep in [(1, 1)] + configs:  # the first run is a warm-up (imports, kernels)
        est = DeepSpatiotemporalClustering(
            k, architecture="dec", embedding_dim=10, dense_units=(500, 500, 2000),
            reconstruction_weight=0.0, pretrain_epochs=p_ep, max_epochs=c_ep, tol=0.0,
            batch_size=32, n_threads=args.threads, random_state=0)
        t = time.perf_counter()
        est.fit(flat.reshape(X.shape))
        ours.append({"seconds": time.perf_counter() - t,
                     "ARI": adjusted_rand_score(y, est.labels_)})
    ours = ours[1:]
    print(f"DEC vs ClustPy DEC ({theirs['torch']} in its environment, "
          f"{torch.__version__} here), 365 x {flat.shape[1]} features, k={k}, batch 32, "
          f"{args.threads} thread(s):")
    print("| implementation | fit (P=10, C=10) s | per pretraining epoch s | per clustering "
          "epoch s | ARI (P=10, C=10) |")
    print("|---|---|---|---|---|")
    for name, runs in (("skstc DEC (architecture='dec')", ours),
                       ("ClustPy DEC", theirs["runs"])):
        base = runs[0]["seconds"]
        print(f"| {name} | {base:.2f} | {(runs[1]['seconds'] - base) / pre:.3f} | "
              f"{(runs[2]['seconds'] - base) / clu:.3f} | {runs[0]['ARI']:.3f} |")
    ratio = theirs["runs"][0]["seconds"] / ours[0]["seconds"]
    print(f"  fit-time ratio ClustPy/skstc = {ratio:.2f} (skstc also recomputes the targets "
          "on all samples every update_interval=10 iterations; ClustPy on each batch)",
          flush=True)


def part_memory(args):
    import dask.array as da

    X, _ = make_climate_fields(n_times=365, n_variables=3, grid_shape=(32, 32), random_state=0)
    scaler = FieldMinMaxScaler().fit(X)
    Xs = scaler.transform(X).astype(np.float32)
    est = DeepSpatiotemporalClustering(5, conv_channels=(16, 32, 64, 128), lstm_hidden_size=64,
                                       embedding_dim=32, window=3, pretrain_epochs=2, max_epochs=2,
                                       n_threads=args.threads, random_state=0).fit(Xs)
    n_long = args.years * 365 + 10
    chunk = 365

    def block(block_info=None):
        loc = block_info[None]["array-location"][0]
        rng = np.random.RandomState(loc[0])
        return rng.rand(loc[1] - loc[0], 3, 32, 32).astype(np.float32)

    long = da.map_blocks(block, dtype=np.float32,
                         chunks=((chunk,) * (n_long // chunk) + ((n_long % chunk,)
                                                                 if n_long % chunk else ()),
                                 (3,), (32,), (32,)))
    full_mb = n_long * 3 * 32 * 32 * 4 / 1e6
    cold = rss()
    est.predict(long[:2 * 365])  # warm-up: torch kernels, dask thread pool and its arenas
    with PeakRSS(interval=0.01) as mem:
        t = time.perf_counter()
        labels = est.predict(long)
        dt = time.perf_counter() - t
    base, peak = mem.base, [mem.peak]
    print(f"memory: predict on {n_long} daily fields ({args.years} years, 3x32x32, "
          f"{full_mb:.0f} MB if loaded) in {dt:.1f}s: warm-up on 2 years took "
          f"{(base - cold) / 1e6:.0f} MB; peak RSS increase during the long predict "
          f"{(peak[0] - base) / 1e6:.0f} MB ({(peak[0] - base) / 1e6 / full_mb:.2f} of the "
          f"full array); {len(labels)} labels", flush=True)


# ---- the baseline ladder ------------------------------------------------------------------
LADDER_NET = {}  # the estimator's defaults; --dsc-params overrides them in every DSC row


def _scaled(fields):
    """Fields min-max scaled per variable, as a float32 (time, variable, lat, lon) array."""
    scaled = FieldMinMaxScaler().fit_transform(fields)
    if hasattr(scaled, "to_dataarray"):  # xarray in, xarray out
        scaled = scaled.to_dataarray("variable").transpose("time", "variable", "lat", "lon")
    return np.asarray(scaled, dtype=np.float32)


def ladder_sets():
    """(name, X scaled float32, latitudes, k, truth or None, time-ordered) of every set."""
    X, y = make_climate_fields(n_times=240, n_regimes=4, n_variables=3, grid_shape=(24, 24),
                               random_state=2024)
    yield ("synthetic regimes (240 x 3 x 24 x 24)",
           FieldMinMaxScaler().fit_transform(X).astype(np.float32),
           np.linspace(60.0, 37.0, 24), 4, y, True)
    if not DATA.is_dir():
        print(f"real data folder {DATA} absent: real sets skipped")
        return
    ds = era5_sector()
    yield ("ERA5 DJF msl+vo850 N-Atlantic (360 x 2 x 21 x 41)",
           _scaled(ds), ds["lat"].values, 7,
           None, True)
    uk = load_era5(DATA / "era5_t2m_uk_2019-03_hourly.nc")
    daily = uk.resample(time="1D").mean()
    yield ("ERA5 UK t2m daily means (31 x 1 x 33 x 49)",
           _scaled(daily), uk["lat"].values, 3,
           None, True)
    six_h = uk.isel(time=slice(0, None, 6))
    hours = six_h["time"].dt.hour.values
    yield ("ERA5 UK t2m 6-hourly, truth = hour of the day (124 x 1 x 33 x 49)",
           _scaled(six_h), uk["lat"].values, 4,
           hours // 6, True)
    ens = load_era5(DATA / "era5_levels_members_2017-01.nc")
    dates = np.unique(ens["time"].values, return_inverse=True)[1].ravel()
    yield ("ERA5 ensemble z+t at 850/500 hPa, 10 members x 4 dates, truth = date "
           "(40 x 4 x 61 x 120)",
           _scaled(ens), ens["lat"].values, 4,
           dates, False)


def mean_run_length(labels):
    """Mean length of the runs of identical consecutive labels (time steps)."""
    change = np.flatnonzero(labels[1:] != labels[:-1])
    return len(labels) / (len(change) + 1)


def ladder_models(k, lat, seed, threads, extra, default=True):
    from skstc.baselines import EOFKMeans

    models = {
        "k-means (scaled fields)": EOFKMeans(k, n_eofs=None, anomalies=None,
                                             area_weighting=False, random_state=seed),
        "EOF (20, area-weighted anomalies) + k-means": EOFKMeans(
            k, n_eofs=20, latitudes=lat, random_state=seed),
    }
    if default:
        models["DSC default"] = DeepSpatiotemporalClustering(
            k, n_threads=threads, random_state=seed, **LADDER_NET)
    for name, params in extra.items():
        params = dict(params)
        if params.pop("needs_latitudes", False):
            params["latitudes"] = lat
        models[name] = DeepSpatiotemporalClustering(
            k, n_threads=threads, random_state=seed, **dict(LADDER_NET, **params))
    return models


LADDER_VARIANTS = {
    "DSC area_weighting=True": dict(area_weighting=True, needs_latitudes=True),
    "DSC geometry_weight=1": dict(geometry_weight=1.0),
}


def part_ladder(args):
    cols = ["silhouette", "silhouette_cosine", "cluster_rmse", "average_cluster_variance",
            "average_cluster_variance_authors_code", "average_intercluster_distance"]
    short = {"silhouette": "sil", "silhouette_cosine": "sil_cos", "cluster_rmse": "RMSE",
             "average_cluster_variance": "var Eq10",
             "average_cluster_variance_authors_code": "var code",
             "average_intercluster_distance": "inter_d"}
    seeds = list(range(args.seeds))
    for name, X, lat, k, y, ordered in ladder_sets():
        if args.sets and not any(s in name for s in args.sets):
            continue
        print(f"\n## {name}, k={k}\n", flush=True)
        runs = {}
        for seed in seeds:
            variants = {n: v for n, v in LADDER_VARIANTS.items()
                        if args.variants is not None
                        and (not args.variants or any(w in n for w in args.variants))}
            variants.update(json.loads(args.ladder_models or "{}"))
            for model_name, model in ladder_models(k, lat, seed, args.threads, variants,
                                                   default=not args.skip_default).items():
                t = time.perf_counter()
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    labels = np.asarray(model.fit(X).labels_)
                sec = time.perf_counter() - t
                scores = cluster_quality_scores(X.reshape(len(X), -1), labels)
                scores["run_length"] = mean_run_length(labels) if ordered else np.nan
                scores["ARI"] = adjusted_rand_score(y, labels) if y is not None else np.nan
                scores["seconds"] = sec
                scores["labels"] = labels
                runs.setdefault(model_name, []).append(scores)
                print(f"  seed {seed} {model_name}: sil {scores['silhouette']:.3f} "
                      f"ARI {scores['ARI']:.3f} run {scores['run_length']:.2f} "
                      f"({sec:.0f}s)", flush=True)
        table = cols + ["run_length", "stability", "ARI", "seconds"]
        print("\n| model | " + " | ".join(short.get(c, c) for c in table) + " |")
        print("|---|" + "---|" * len(table))
        for model_name, rs in runs.items():
            cells = []
            for c in table:
                if c == "stability":
                    labs = [r["labels"] for r in rs]
                    vals = np.array([adjusted_rand_score(a, b) for i, a in enumerate(labs)
                                     for b in labs[i + 1:]])
                    cells.append(f"{vals.mean():.3f}" if len(vals) else "n/a")
                    continue
                vals = np.array([r[c] for r in rs], dtype=float)
                if np.isnan(vals).all():
                    cells.append("n/a")
                else:
                    cells.append(f"{np.mean(vals):.3f} ± {np.std(vals):.3f}")
            print(f"| {model_name} | " + " | ".join(cells) + " |", flush=True)
        if ordered:
            sizes = np.bincount(runs["k-means (scaled fields)"][0]["labels"]) / len(X)
            print("\n(run_length of a time-blind partition with the same sizes: "
                  f"~{1 / (1 - np.sum(sizes ** 2)):.2f})", flush=True)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    add_parts_argument(parser, ["ladder", "synthetic", "real", "speed", "clustpy", "memory"],
                       default=["speed", "clustpy", "memory", "synthetic", "real"])
    parser.add_argument("--sets", nargs="*", default=None,
                        help="ladder: only the sets whose name contains one of these words")
    parser.add_argument("--variants", nargs="*", default=None,
                        help="ladder: add the DSC variants (area weighting, geometry "
                             "pretraining), or those whose name contains one of these words")
    parser.add_argument("--ladder-models", default=None,
                        help='ladder: JSON {"row name": {DSC parameters}} of extra DSC rows')
    parser.add_argument("--dsc-params", default=None,
                        help="ladder: JSON {DSC parameters} applied to every DSC row (e.g. "
                             "a smaller epoch budget)")
    parser.add_argument("--skip-default", action="store_true",
                        help="ladder: leave out the default DSC (when it was run already)")
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--lstm-hidden", type=int, default=64,
                        help="LSTM width of the table networks (64: the committed tables; "
                             "the estimator's default is 256)")
    parser.add_argument("--years", type=int, default=40, help="length of the memory record")
    parser.add_argument("--clustpy-python", default=sys.executable,
                        help="python of an environment with clustpy (default: this one)")
    args = parser.parse_args(argv)
    NET["lstm_hidden_size"] = args.lstm_hidden
    LADDER_NET.update(json.loads(args.dsc_params or "{}"))
    parts = selected_parts(parser, args)
    for part in parts:
        t = time.perf_counter()
        globals()[f"part_{part}"](args)
        print(f"[{part} done in {time.perf_counter() - t:.0f}s]\n", flush=True)


if __name__ == "__main__":
    sys.exit(main())
