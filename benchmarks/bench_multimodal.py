"""Benchmarks of MultimodalConstrainedAE / LabelAugmenter / MultimodalClassifier.

Reproduces the analogues of the paper's tables with 10 labels per class (the rest
unlabelled) on the synthetic water bodies and on objects cut from the Sinop MODIS cube and
from the Sentinel-2 Slovenia patch (``../shared/data``, skipped when absent):

* Table 1: frozen-encoder classifier macro-F1 on a held-out test split for SAE, TAE, SLTLAE,
  SLTLAE_DEC, SLTLAE_CONS, SLTLAE_CL (+ the centred-cosine variant), mean and spread over
  seeds; also a scaled logistic-regression probe on the embeddings, the adjusted Rand index
  of the estimator's k-means clusters, the collapse measure and same/different-class cosines;
* Table 2: classifier from scratch vs frozen vs fine-tuned encoder, with and without the
  labels added by LabelAugmenter;
* Table 3: augmented labels per class and their precision against the true labels;
* whether the constraint changes the embedding (same-class cosine before/after);
* speed: training samples/s of the estimator vs the same torch module trained by a plain
  hand-written loop in the same run (ratio, target >= 0.9);
* memory: resident memory added by ``transform`` on 10k and 100k objects (it streams in
  batches, so the extra beyond the output array should not grow with n);
* ladder: the few-label macro-F1 of the default pipeline against what a practitioner would
  do instead, on the same splits: raw stacked features (scaled), PCA of them, each modality
  alone, the untrained network, the default model (and its branch embeddings) and two
  variants built from the new options, each read by the same linear probe and LabelAugmenter
  (StandardScaler + LogisticRegression). ``--data hard`` adds the synthetic water bodies
  with nuisance factors (``make_water_bodies(nuisance=1.0)``).

Run ``python benchmarks/bench_multimodal.py [--quick] [--parts table1 table23 speed memory
ladder] [--data synthetic,hard,sinop,slovenia] [--seeds 0,1,2] [--out results.jsonl]`` (one
JSON row per result on stdout, and appended to ``--out`` when given).
"""

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from sklearn.linear_model import LogisticRegression  # noqa: E402
from sklearn.metrics import adjusted_rand_score, f1_score  # noqa: E402
from sklearn.model_selection import train_test_split  # noqa: E402
from sklearn.pipeline import make_pipeline  # noqa: E402
from sklearn.preprocessing import StandardScaler  # noqa: E402

from benchmarks._cli import add_parts_argument, selected_parts  # noqa: E402
from benchmarks._data import load_sinop_objects, load_slovenia_objects  # noqa: E402
from skstc import LabelAugmenter, MultimodalClassifier, MultimodalConstrainedAE  # noqa: E402
from skstc.datasets import make_water_bodies  # noqa: E402

# the paper's ablations, on top of the published loss and training choices
# (MultimodalConstrainedAE.paper_params() without its network size and budget, which the data
# sets below give; lambda rescaled to keep its per-pixel weight on small maps)
_SIZE_AND_BUDGET = {"embedding_dim", "conv_channels", "lstm_hidden_size", "max_epochs",
                    "batch_size", "min_steps_per_epoch", "lr", "optimizer"}
VARIANTS = {
    "SAE": dict(modalities="spatial", clustering_loss=None),
    "TAE": dict(modalities="temporal", clustering_loss=None),
    "SLTLAE": dict(clustering_loss=None),
    "SLTLAE_DEC": dict(clustering_loss="dec"),
    "SLTLAE_CONS": dict(clustering_loss="pairwise", pairwise_schedule="alternate"),
    "SLTLAE_CL": dict(clustering_loss="constrained"),
    "SLTLAE_CL_centred": dict(clustering_loss="constrained", constraint_center=True),
}


DATA_DIR = Path(os.environ.get("SKSTC_DATA_DIR", REPO.parent / "shared" / "data"))


def data_sets(quick, names=("synthetic", "sinop", "slovenia")):
    """(name, X, y, standardise, model settings) for the synthetic, Sinop and Slovenia data.

    The real objects (index values min-max scaled over the cube, hence a small spread) are
    standardised column-wise with the statistics of the training split (``standardise``);
    without it the autoencoders barely beat predicting the mean series in the budget.

    Sizes are set so that the whole benchmark (3 seeds, 1 thread) runs in about half an hour
    on a CPU; ``--quick`` is a few minutes.
    """
    out = []
    if "synthetic" in names:
        n, t, s, epochs = (160, 36, 16, 30) if quick else (400, 36, 16, 40)
        X, y = make_water_bodies(n, n_timesteps=t, map_size=s, random_state=0)
        # the published lambda=0.01 was set for 64x64 maps: keep its per-pixel weight
        out.append(("synthetic", X, y, False, dict(spatial_shape=(s, s), embedding_dim=32,
                                                   conv_channels=(8, 16, 32), lstm_hidden_size=32,
                                                   lr=3e-3, max_epochs=epochs)))
    if "hard" in names:
        # the development set: water bodies under nuisance factors (translation, seasonal
        # phase shift, amplitude, noise, cloud gaps) the class signal is invariant to
        n, t, s = (200, 60, 16) if quick else (400, 60, 16)
        X, y = make_water_bodies(n, n_timesteps=t, map_size=s, nuisance=1.0, random_state=0)
        out.append(("hard synthetic", X, y, False, dict(
            spatial_shape=(s, s), embedding_dim=32, conv_channels=(8, 16, 32), lstm_hidden_size=32,
            lr=3e-3, max_epochs=20 if quick else 30)))
    real = dict(spatial_shape=(9, 9), embedding_dim=32, conv_channels=(8, 16), lstm_hidden_size=32,
                lr=3e-3, max_epochs=15 if quick else 20)
    sinop = DATA_DIR / "sinop_modis_2000_2017.nc"
    if "sinop" in names and sinop.is_file():
        Xs, ys, codes = load_sinop_objects(sinop, window=9, stride=1)
        # 392 16-day steps: keep every 2nd (quick) / 4th step to bound the LSTM cost on CPU
        Xs = np.hstack([Xs[:, :81], Xs[:, 81::2 if quick else 4]])
        if quick:
            keep = np.random.RandomState(0).permutation(len(ys))[:400]
            Xs, ys = Xs[keep], ys[keep]
        out.append(("sinop", Xs, ys, True, real))
    slovenia = DATA_DIR / "sentinel2_slovenia_ndvi.nc"
    if "slovenia" in names and slovenia.is_file():
        # 9x9 windows of mean NDVI + the centre pixel's series (41 mostly cloud-free dates),
        # land-use labels (forest, grassland, shrubland: strongly imbalanced)
        Xs, ys, codes = load_slovenia_objects(slovenia, window=9, stride=3 if quick else 2)
        keep = np.random.RandomState(0).permutation(len(ys))[:400 if quick else 800]
        out.append(("slovenia", Xs[keep], ys[keep], True, real))
    return out


_OUT = None
THREADS = 1


def emit(row):
    """Print one result row as JSON (and append it to ``--out``)."""
    line = json.dumps(row)
    print(line, flush=True)
    if _OUT:
        with open(_OUT, "a") as f:
            f.write(line + "\n")


def prepare(X, train, test, standardise):
    """Training and test rows, standardised with the training rows' statistics if asked."""
    Xtr, Xte = X[train], X[test]
    if standardise:
        scaler = StandardScaler().fit(Xtr)
        Xtr = scaler.transform(Xtr).astype(np.float32)
        Xte = scaler.transform(Xte).astype(np.float32)
    return Xtr, Xte


def split_few_labels(y, seed, per_class=10, test_size=0.3):
    idx = np.arange(len(y))
    train, test = train_test_split(idx, test_size=test_size, stratify=y, random_state=seed)
    rng = np.random.RandomState(seed)
    y_train = np.full(len(train), -1)
    for c in np.unique(y):
        members = np.flatnonzero(y[train] == c)
        pick = rng.choice(members, min(per_class, len(members)), replace=False)
        y_train[pick] = c
    return train, test, y_train


def macro_f1(clf, X, y):
    return f1_score(y, clf.predict(X), average="macro")


def same_class_cosine(Z, y):
    Zn = Z / np.linalg.norm(Z, axis=1, keepdims=True)
    cos = Zn @ Zn.T
    same = (y[:, None] == y[None]) & ~np.eye(len(y), dtype=bool)
    diff = y[:, None] != y[None]
    return float(cos[same].mean()), float(cos[diff].mean())


def table1(datasets, seeds, clf_epochs, variants=None):
    rows = []
    for name, X, y, standardise, settings in datasets:
        for variant, params in VARIANTS.items():
            if variants and variant not in variants:
                continue
            scores, secs, collapse, cosines, probe, ari = [], [], [], [], [], []
            for seed in seeds:
                train, test, y_train = split_few_labels(y, seed)
                Xtr, Xte = prepare(X, train, test, standardise)
                t0 = time.perf_counter()
                h, w = settings["spatial_shape"]
                published = {k: v for k, v in MultimodalConstrainedAE.paper_params().items()
                             if k not in _SIZE_AND_BUDGET}
                published["spatial_weight"] = 0.01 * 4096 / (h * w)
                ae = MultimodalConstrainedAE(len(np.unique(y)),
                                             **{**settings, **published, **params},
                                             n_threads=THREADS, random_state=seed)
                ae.fit(Xtr, y_train)
                clf = MultimodalClassifier(ae, freeze_encoder=True, hidden_units=64,
                                           max_epochs=clf_epochs, lr=5e-3, n_threads=THREADS,
                                           random_state=seed).fit(Xtr, y_train)
                secs.append(time.perf_counter() - t0)
                scores.append(macro_f1(clf, Xte, y[test]))
                collapse.append(ae.history_[-1]["collapse"])
                Zte = ae.transform(Xte)
                cosines.append(same_class_cosine(Zte, y[test]))
                # more sensitive read-outs of the embedding: a scaled linear probe on the
                # 10 labels per class, and k-means (the estimator's predict) against truth
                lab = y_train >= 0
                lin = make_pipeline(StandardScaler(), LogisticRegression(max_iter=2000))
                lin.fit(ae.transform(Xtr)[lab], y_train[lab])
                probe.append(macro_f1(lin, Zte, y[test]))
                ari.append(adjusted_rand_score(y[test], ae.predict(Xte)))
            row = dict(data=name, model=variant, f1_mean=float(np.mean(scores)),
                       f1_std=float(np.std(scores)), scores=[round(s, 3) for s in scores],
                       probe_f1_mean=float(np.mean(probe)), probe_f1_std=float(np.std(probe)),
                       kmeans_ari_mean=float(np.mean(ari)), kmeans_ari_std=float(np.std(ari)),
                       collapse=float(np.mean(collapse)),
                       cos_same=float(np.mean([c[0] for c in cosines])),
                       cos_diff=float(np.mean([c[1] for c in cosines])),
                       sec_per_fit=float(np.mean(secs)))
            emit(row)
            rows.append(row)
    return rows


def tables2_3(datasets, seeds, clf_epochs):
    rows2, rows3 = [], []
    for name, X, y, standardise, settings in datasets:
        results = {}
        for seed in seeds:
            train, test, y_train = split_few_labels(y, seed)
            Xtr, Xte = prepare(X, train, test, standardise)
            ae = MultimodalConstrainedAE(len(np.unique(y)), **settings, n_threads=THREADS,
                                         random_state=seed).fit(Xtr, y_train)
            Z = ae.transform(Xtr)
            aug = LabelAugmenter(n_clusters=min(50, len(train) // 4), random_state=seed)
            aug.fit(Z, y_train)
            y_aug = aug.transduction_
            new = (y_aug >= 0) & (y_train < 0)
            truth = y[train]
            per_class = {}
            for c in np.unique(y):
                got = new & (y_aug == c)
                per_class[int(c)] = (int(got.sum()),
                                     float((truth[got] == c).mean()) if got.any() else None)
            rows3.append(dict(data=name, seed=seed, labelled=int((y_train >= 0).sum()),
                              added=int(new.sum()),
                              precision=float((truth[new] == y_aug[new]).mean())
                              if new.any() else None, per_class=per_class))
            emit(rows3[-1])
            for labels_name, labels in (("few", y_train), ("augmented", y_aug)):
                for mode, enc, freeze in (("scratch", None, False), ("frozen", ae, True),
                                          ("fine-tuned", ae, False)):
                    kw = {} if enc is not None else dict(
                        spatial_shape=settings["spatial_shape"],
                        embedding_dim=settings["embedding_dim"],
                        conv_channels=settings["conv_channels"], lstm_hidden_size=settings["lstm_hidden_size"])
                    clf = MultimodalClassifier(enc, freeze_encoder=freeze, max_epochs=clf_epochs,
                                               lr=5e-3, n_threads=THREADS, random_state=seed,
                                               **kw)
                    clf.fit(Xtr, labels)
                    results.setdefault((mode, labels_name), []).append(
                        macro_f1(clf, Xte, y[test]))
            # a linear model on the (scaled) embeddings, without and with augmentation
            scaled_lr = make_pipeline(StandardScaler(), LogisticRegression(max_iter=2000))
            lab = y_train >= 0
            Zte = ae.transform(Xte)
            few = scaled_lr.fit(Z[lab], y_train[lab])
            results.setdefault(("logreg on embeddings", "few"), []).append(
                macro_f1(few, Zte, y[test]))
            lin = LabelAugmenter(scaled_lr, n_clusters=min(50, len(train) // 4),
                                 random_state=seed)
            lin.fit(Z, y_train)
            results.setdefault(("logreg on embeddings", "augmented"), []).append(
                macro_f1(lin, Zte, y[test]))
        for (mode, labels_name), scores in results.items():
            row = dict(data=name, classifier=mode, labels=labels_name,
                       f1_mean=float(np.mean(scores)), f1_std=float(np.std(scores)))
            emit(row)
            rows2.append(row)
    return rows2, rows3


def speed(quick):
    """Samples/s of the estimator's fit vs a plain torch loop over the same module."""
    import torch

    from skstc.losses import _MultimodalLoss
    from skstc.nn import MultimodalAutoencoder

    n, t, s = (512, 36, 16) if quick else (1024, 60, 32)
    X, y = make_water_bodies(n, n_timesteps=t, map_size=s, random_state=0)
    epochs, batch = 3, 64
    params = dict(spatial_shape=(s, s), embedding_dim=32, conv_channels=(8, 16, 32), lstm_hidden_size=32)
    est = MultimodalConstrainedAE(4, **params, clustering_loss=None, max_epochs=epochs,
                                  batch_size=batch, min_steps_per_epoch=1, n_threads=THREADS,
                                  random_state=0)
    maps = X[:, :s * s].reshape(n, s, s).copy()
    series = X[:, s * s:].copy()

    def plain():
        """Train the same module, criterion and optimizer in a hand-written loop.

        Returns the seconds spent in the epochs (the engine's time is the sum of its epoch
        times).
        """
        prev = torch.get_num_threads()
        torch.set_num_threads(THREADS)
        with torch.random.fork_rng():
            torch.manual_seed(0)
            module = MultimodalAutoencoder((s, s), t, 32, "both", (8, 16, 32), 32)
        crit = _MultimodalLoss(clustering_loss=None)
        opt = torch.optim.Adam(module.parameters(), lr=1e-3)
        g = torch.Generator().manual_seed(0)
        m_t, s_t = torch.as_tensor(maps), torch.as_tensor(series)
        t0 = time.perf_counter()
        for _ in range(epochs):
            perm = torch.randperm(n, generator=g)
            for i in range(0, n, batch):
                idx = perm[i:i + batch]
                xb = {"maps": m_t[idx], "series": s_t[idx]}
                opt.zero_grad()
                loss = crit(module(**xb), None, xb)
                loss.backward()
                opt.step()
        elapsed = time.perf_counter() - t0
        torch.set_num_threads(prev)
        return elapsed

    def engine():
        # training only (the k-means step after training is excluded by timing the history)
        est.fit(X)
        return sum(h["dur"] for h in est.history_)

    t_plain, t_engine = [], []
    for _ in range(3):      # interleaved, so that load changes hit both
        t_plain.append(plain())
        t_engine.append(engine())
    ratios = [p / e for p, e in zip(t_plain, t_engine, strict=True)]
    row = dict(n=n, epochs=epochs, batch_size=batch,
               samples_per_s_engine=n * epochs / float(np.median(t_engine)),
               samples_per_s_plain=n * epochs / float(np.median(t_plain)),
               ratio_engine_over_plain=float(np.median(ratios)),
               ratios=[round(r, 3) for r in ratios])
    emit(row)
    return row


_MEM_CHILD = r"""
import sys
import numpy as np
sys.path.insert(0, {repo!r})
from benchmarks._memory import PeakRSS
from skstc import MultimodalConstrainedAE
from skstc.datasets import make_water_bodies

X, _ = make_water_bodies(64, n_timesteps=36, map_size=16, random_state=0)
ae = MultimodalConstrainedAE(4, spatial_shape=(16, 16), embedding_dim=32, conv_channels=(8, 16),
                             lstm_hidden_size=32, max_epochs=1, clustering_loss=None,
                             n_threads={threads}, random_state=0).fit(X)
ae.transform(X)                       # warm-up (lazy allocations of the first call)
n = {n}
big = np.ascontiguousarray(np.tile(X, (n // 64 + 1, 1))[:n])
with PeakRSS() as mem:
    Z = ae.transform(big)
print(mem.base / 2**20, mem.peak / 2**20, big.nbytes / 2**20, Z.nbytes / 2**20)
"""


def memory():
    """Resident memory added by ``transform`` (sampled every 2 ms) on 10k and 100k objects.

    Streaming in batches means the extra memory is the output array plus a constant (one
    batch's tensors), not a multiple of the input.
    """
    rows = []
    for n in (10_000, 100_000):
        code = _MEM_CHILD.format(repo=str(REPO), n=n, threads=THREADS)
        out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                             check=True).stdout.split()
        before, peak, in_mb, out_mb = map(float, out)
        rows.append(dict(n=n, rss_before_mb=before, rss_peak_mb=peak, input_mb=in_mb,
                         output_mb=out_mb, transform_extra_mb=peak - before,
                         transform_extra_minus_output_mb=peak - before - out_mb))
        emit(rows[-1])
    return rows


# ---------------------------------------------------------------------------------------------
# the baseline ladder: is the default pipeline worth using on these objects?
# ---------------------------------------------------------------------------------------------
# model rows of the ladder: name -> estimator parameters on top of the data set's sizes
LADDER_MODELS = {
    "skstc default (the published settings)": {},
    # the strongest variant on the real sets in a screen of the new options: scale-free
    # reconstruction terms + the contrastive term (negative pairs)
    "variant: normalized + contrastive": dict(reconstruction="normalized", spatial_weight=1.0,
                                               clustering_loss="contrastive"),
    # every new option on (the candidate default before the screen)
    "variant: all new options": dict(
        reconstruction="normalized", spatial_weight=1.0, clustering_loss="contrastive",
        map_pooling="mean", series_readout="mean", balanced_batches="constraint",
        early_stopping=True),
}
DEFAULT_MODEL = "skstc default (the published settings)"


def _few_label_scores(Ztr, Zte, y_train, y_test, seed):
    """(linear probe, LabelAugmenter) macro-F1 of StandardScaler + LogisticRegression."""
    lab = y_train >= 0
    probe = make_pipeline(StandardScaler(), LogisticRegression(max_iter=2000))
    probe.fit(Ztr[lab], y_train[lab])
    aug = LabelAugmenter(make_pipeline(StandardScaler(), LogisticRegression(max_iter=2000)),
                         n_clusters=min(50, len(Ztr) // 4), random_state=seed)
    aug.fit(Ztr, y_train)
    return macro_f1(probe, Zte, y_test), macro_f1(aug, Zte, y_test)


def _untrained_embedding(ae_params, n_map, Xtr, Xte, seed):
    """Embeddings of the network at its random initialisation (same architecture)."""
    import torch

    from skstc.nn import MultimodalAutoencoder

    with torch.random.fork_rng():
        torch.manual_seed(seed)
        module = MultimodalAutoencoder(**ae_params).eval()
    h, w = ae_params["spatial_shape"]

    def embed(X):
        with torch.no_grad():
            maps = torch.as_tensor(X[:, :n_map].reshape(-1, h, w))
            return module.encode(maps, torch.as_tensor(X[:, n_map:])).numpy()

    return embed(Xtr), embed(Xte)


def ladder(datasets, seeds, pca_components=20):
    """Few-label macro-F1 (10 labels per class) of representations, same classifiers.

    Each representation is read by a linear probe (StandardScaler + LogisticRegression on
    the labelled rows) and by LabelAugmenter around the same pipeline (fitted on every
    training row), and scored on the held-out test split.
    """
    from sklearn.decomposition import PCA

    rows = []
    for name, X, y, standardise, settings in datasets:
        h, w = settings["spatial_shape"]
        n_map = h * w
        scores = {}
        for seed in seeds:
            train, test, y_train = split_few_labels(y, seed)
            Xtr, Xte = prepare(X, train, test, standardise)
            reps = {
                "raw features (scaled)": (Xtr, Xte),
                "map features only": (Xtr[:, :n_map], Xte[:, :n_map]),
                "series features only": (Xtr[:, n_map:], Xte[:, n_map:]),
            }
            pca = make_pipeline(StandardScaler(),
                                PCA(pca_components, random_state=seed)).fit(Xtr)
            reps[f"PCA ({pca_components}) of raw features"] = (pca.transform(Xtr),
                                                               pca.transform(Xte))
            for model, params in LADDER_MODELS.items():
                kw = dict(settings)
                kw.update(params)
                t0 = time.perf_counter()
                ae = MultimodalConstrainedAE(len(np.unique(y)), **kw, n_threads=THREADS,
                                             random_state=seed).fit(Xtr, y_train)
                secs = time.perf_counter() - t0
                reps[model] = (ae.transform(Xtr), ae.transform(Xte))
                if model == DEFAULT_MODEL:
                    zs_tr, zt_tr = ae.transform_branches(Xtr)
                    zs_te, zt_te = ae.transform_branches(Xte)
                    reps["skstc default: map branch"] = (zs_tr, zs_te)
                    reps["skstc default: series branch"] = (zt_tr, zt_te)
                    ae_params = dict(
                        spatial_shape=(h, w), n_timesteps=Xtr.shape[1] - n_map,
                        embedding_dim=ae.embedding_dim, mode=ae.modalities,
                        conv_channels=tuple(ae.conv_channels), lstm_hidden_size=ae.lstm_hidden_size,
                        bidirectional=ae.bidirectional, activation=ae.activation,
                        map_pooling=ae.map_pooling,
                        series_readout=ae.series_readout, fusion=ae.fusion,
                        decoders=ae.decoders)
                    reps["untrained network (default architecture)"] = _untrained_embedding(
                        ae_params, n_map, Xtr, Xte, seed)
                last = ae.history_[-1]
                emit(dict(data=name, seed=seed, model=model, epochs=ae.n_iter_,
                          sec=round(secs, 1), valid_recon=last.get("valid_recon"),
                          valid_recon_mean=last.get("valid_recon_mean")))
            for rep, (Ztr, Zte) in reps.items():
                probe, aug = _few_label_scores(Ztr, Zte, y_train, y[test], seed)
                scores.setdefault(rep, []).append((probe, aug))
        for rep, vals in scores.items():
            vals = np.asarray(vals)
            row = dict(part="ladder", data=name, representation=rep,
                       probe_f1_mean=float(vals[:, 0].mean()),
                       probe_f1_std=float(vals[:, 0].std()),
                       augmenter_f1_mean=float(vals[:, 1].mean()),
                       augmenter_f1_std=float(vals[:, 1].std()),
                       probe_scores=[round(v, 3) for v in vals[:, 0]],
                       augmenter_scores=[round(v, 3) for v in vals[:, 1]])
            emit(row)
            rows.append(row)
    return rows


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true")
    add_parts_argument(parser, ["table1", "table23", "speed", "memory", "ladder"],
                       default=["table1", "table23", "speed", "memory"])
    parser.add_argument("--seeds", default="0,1,2")
    parser.add_argument("--data", default="synthetic,sinop,slovenia")
    parser.add_argument("--out", default=None, help="append the JSON rows to this file")
    parser.add_argument("--threads", type=int, default=1, help="torch threads (default 1)")
    parser.add_argument("--ladder-models", default=None,
                        help='JSON {"row name": {estimator parameters}} replacing the ladder\'s '
                             'variant rows (the default model is always run)')
    parser.add_argument("--variants", default=None,
                        help="comma-separated Table 1 rows to run (default: all)")
    parser.add_argument("--ae-epochs", type=int, default=None,
                        help="override the autoencoders' max_epochs (a smaller training budget)")
    args = parser.parse_args()
    global _OUT, THREADS
    _OUT, THREADS = args.out, args.threads
    os.environ.setdefault("OMP_NUM_THREADS", str(THREADS))
    seeds = [int(s) for s in args.seeds.split(",")]
    parts = selected_parts(parser, args)
    clf_epochs = 30 if args.quick else 60
    datasets = (data_sets(args.quick, args.data.split(","))
                if {"table1", "table23", "ladder"} & set(parts) else [])
    if args.ae_epochs is not None:
        for *_, settings in datasets:
            settings["max_epochs"] = args.ae_epochs
    t0 = time.perf_counter()
    if "speed" in parts:
        speed(args.quick)
    if "memory" in parts:
        memory()
    if "table1" in parts:
        table1(datasets, seeds, clf_epochs,
               args.variants.split(",") if args.variants else None)
    if "table23" in parts:
        tables2_3(datasets, seeds, clf_epochs)
    if "ladder" in parts:
        if args.ladder_models:
            extra = json.loads(args.ladder_models)
            LADDER_MODELS.clear()
            LADDER_MODELS.update({DEFAULT_MODEL: {}, **extra})
        ladder(datasets, seeds)
    emit(dict(total_seconds=time.perf_counter() - t0, quick=args.quick, seeds=seeds,
              parts=parts, data=[d[0] for d in datasets], ae_epochs=args.ae_epochs))


if __name__ == "__main__":
    main()
