"""Benchmark of LabelAugmenter: published Algorithm 2 vs the checked default, on real objects.

For objects cut from the Sinop MODIS cube and the Sentinel-2 Slovenia patch
(``../shared/data`` or ``$SKSTC_DATA_DIR``, skipped when absent), with 10 labels per class in a 70 % training
split, on two representations of the training objects (the standardised raw features, and
the embedding of a MultimodalConstrainedAE trained on them):

* ``augment``: labels added by ``LabelAugmenter(algorithm="published")`` (one k-means run,
  50 clusters, unanimity) and by the default (significance test, consensus of 5 k-means
  runs, cross-fitted precision gate): number, true precision, cross-fitted estimate, and the
  test macro-F1 of a scaled logistic regression trained on the 10 labels per class alone
  and on the augmented labels;
* ``kmeans_seeds``: on the seed-0 representation, the same augmenters with 10 k-means seeds
  (how much the added labels depend on the k-means seed);
* ``compare``: :func:`skstc.baselines.compare_with_baselines` on the
  ``MultimodalConstrainedAE -> LabelAugmenter(scaled logistic regression)`` pipeline.

Run ``python benchmarks/bench_label_augmenter.py [--parts augment kmeans_seeds compare]
[--data sinop,slovenia] [--seeds 0,1,2] [--out results.jsonl]`` (one JSON row per result).
"""

import argparse
import json
import os
import sys
import time
import warnings
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")

import numpy as np  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from sklearn.linear_model import LogisticRegression  # noqa: E402
from sklearn.metrics import f1_score  # noqa: E402
from sklearn.model_selection import train_test_split  # noqa: E402
from sklearn.pipeline import Pipeline, make_pipeline  # noqa: E402
from sklearn.preprocessing import StandardScaler  # noqa: E402

from benchmarks._cli import add_parts_argument, selected_parts  # noqa: E402
from benchmarks._data import load_sinop_objects, load_slovenia_objects  # noqa: E402
from skstc import LabelAugmenter, MultimodalConstrainedAE  # noqa: E402
from skstc.baselines import compare_with_baselines  # noqa: E402

DATA_DIR = Path(os.environ.get("SKSTC_DATA_DIR", REPO.parent / "shared" / "data"))
AE = dict(spatial_shape=(9, 9), embedding_dim=32, conv_channels=(8, 16), lstm_hidden_size=32,
          spatial_weight=0.01 * 4096 / 81, lr=3e-3, max_epochs=20, n_threads=1)
N_OBJECTS = 800
_OUT = None


def emit(row):
    line = json.dumps(row)
    print(line, flush=True)
    if _OUT:
        with open(_OUT, "a") as f:
            f.write(line + "\n")


def data_sets(names):
    """(name, X, y): 800 objects of each real set (the settings of bench_multimodal)."""
    out = []
    sinop = DATA_DIR / "sinop_modis_2000_2017.nc"
    if "sinop" in names and sinop.is_file():
        X, y, _ = load_sinop_objects(sinop, window=9, stride=1)
        X = np.hstack([X[:, :81], X[:, 81::4]])      # every 4th 16-day step (LSTM cost)
        keep = np.random.RandomState(0).permutation(len(y))[:N_OBJECTS]
        out.append(("sinop", X[keep], y[keep]))
    slovenia = DATA_DIR / "sentinel2_slovenia_ndvi.nc"
    if "slovenia" in names and slovenia.is_file():
        X, y, _ = load_slovenia_objects(slovenia, window=9, stride=2)
        keep = np.random.RandomState(0).permutation(len(y))[:N_OBJECTS]
        out.append(("slovenia", X[keep], y[keep]))
    return out


def split(y, seed, per_class=10):
    train, test = train_test_split(np.arange(len(y)), test_size=0.3, stratify=y,
                                   random_state=seed)
    rng = np.random.RandomState(seed)
    y_train = np.full(len(train), -1)
    for c in np.unique(y):
        members = np.flatnonzero(y[train] == c)
        y_train[rng.choice(members, min(per_class, len(members)), replace=False)] = c
    return train, test, y_train


def representations(X, y, seed):
    """Training/test rows of the raw standardised features and of an AE embedding."""
    train, test, y_train = split(y, seed)
    scaler = StandardScaler().fit(X[train])
    Xtr = scaler.transform(X[train]).astype(np.float32)
    Xte = scaler.transform(X[test]).astype(np.float32)
    t0 = time.perf_counter()
    ae = MultimodalConstrainedAE(len(np.unique(y)), **AE, random_state=seed).fit(Xtr, y_train)
    secs = time.perf_counter() - t0
    return (y[train], y[test], y_train,
            {"raw": (Xtr, Xte), "embedding": (ae.transform(Xtr), ae.transform(Xte))}, secs)


def classifier():
    return make_pipeline(StandardScaler(), LogisticRegression(max_iter=2000))


AUGMENTERS = {"published": dict(algorithm="published"), "default": {}}


def augment_stats(aug, y_train, truth):
    new = (aug.transduction_ != -1) & (y_train == -1)
    return dict(added=int(new.sum()),
                precision=float((aug.transduction_[new] == truth[new]).mean())
                if new.any() else None,
                estimated=None if np.isnan(aug.overall_estimated_precision_)
                else float(aug.overall_estimated_precision_),
                per_class={str(k): v for k, v in aug.augmented_counts_.items()},
                skipped=[int(c) for c in aug.skipped_classes_])


def run_augment(datasets, seeds):
    for name, X, y in datasets:
        for seed in seeds:
            truth, y_test, y_train, reps, secs = representations(X, y, seed)
            for rep, (Ztr, Zte) in reps.items():
                lab = y_train >= 0
                few = classifier().fit(Ztr[lab], y_train[lab])
                emit(dict(part="augment", data=name, seed=seed, representation=rep,
                          augmenter="none", added=0, ae_fit_s=round(secs, 1),
                          f1=f1_score(y_test, few.predict(Zte), average="macro")))
                for label, params in AUGMENTERS.items():
                    with warnings.catch_warnings(record=True) as caught:
                        warnings.simplefilter("always")
                        aug = LabelAugmenter(classifier(), random_state=seed, **params)
                        aug.fit(Ztr, y_train)
                    row = dict(part="augment", data=name, seed=seed, representation=rep,
                               augmenter=label, **augment_stats(aug, y_train, truth),
                               f1=f1_score(y_test, aug.predict(Zte), average="macro"),
                               warned=any("added no labels" in str(w.message)
                                          for w in caught))
                    emit(row)


def run_kmeans_seeds(datasets, n_kmeans_seeds=10):
    for name, X, y in datasets:
        truth, _, y_train, reps, _ = representations(X, y, 0)
        for rep, (Ztr, _) in reps.items():
            for label, params in AUGMENTERS.items():
                stats = []
                for ks in range(n_kmeans_seeds):
                    with warnings.catch_warnings():
                        warnings.simplefilter("ignore")
                        aug = LabelAugmenter(random_state=ks, **params).fit(Ztr, y_train)
                    stats.append(augment_stats(aug, y_train, truth))
                added = [s["added"] for s in stats]
                prec = [s["precision"] for s in stats if s["precision"] is not None]
                emit(dict(part="kmeans_seeds", data=name, representation=rep,
                          augmenter=label, added=added,
                          precision_min=min(prec) if prec else None,
                          precision_max=max(prec) if prec else None,
                          runs_with_labels=len(prec)))


def run_compare(datasets, n_seeds):
    for name, X, y in datasets:
        # one labelled split: 10 labels per class among all objects, standardised columns
        _, _, y_few = split(y, 0)
        rows = np.concatenate(split(y, 0)[:2])
        Xs = StandardScaler().fit_transform(X[rows]).astype(np.float32)
        y_all = np.full(len(y), -1)
        y_all[rows] = np.r_[y_few, np.full(len(rows) - len(y_few), -1)]
        pipe = Pipeline([("ae", MultimodalConstrainedAE(len(np.unique(y)), **AE)),
                         ("aug", LabelAugmenter(classifier()))])
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            table = compare_with_baselines(pipe, Xs, y_all[rows], n_seeds=n_seeds,
                                           random_state=0)
        for model, r in table.iterrows():
            emit(dict(part="compare", data=name, model=model,
                      **{k: (round(v, 4) if isinstance(v, float) else v)
                         for k, v in r.items()}))
        emit(dict(part="compare", data=name, verdict=table.attrs["verdict"]))


def main():
    global _OUT
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_parts_argument(p, ["augment", "kmeans_seeds", "compare"],
                       default=["augment", "kmeans_seeds", "compare"])
    p.add_argument("--data", default="sinop,slovenia")
    p.add_argument("--seeds", default="0,1,2")
    p.add_argument("--out", default=None)
    args = p.parse_args()
    _OUT = args.out
    seeds = [int(s) for s in args.seeds.split(",")]
    parts = selected_parts(p, args)
    datasets = data_sets(args.data.split(","))
    if "augment" in parts:
        run_augment(datasets, seeds)
    if "kmeans_seeds" in parts:
        run_kmeans_seeds(datasets)
    if "compare" in parts:
        run_compare(datasets, len(seeds))


if __name__ == "__main__":
    main()
