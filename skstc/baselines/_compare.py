"""compare_with_baselines: is the deep model worth it on this data?"""

import importlib
import time
import warnings
from itertools import combinations

import numpy as np
from sklearn.base import clone, is_classifier
from sklearn.metrics import (
    adjusted_rand_score,
    calinski_harabasz_score,
    davies_bouldin_score,
    f1_score,
    silhouette_score,
)
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler

from .._multimodal import _split_labels
from ..utils._random import draw_seed, local_random_state

__all__ = ["compare_with_baselines"]

# estimator class name -> (module, baselines function, input function or None). The input
# function turns the user's X into what every model of the comparison reads; without one,
# X is passed unchanged (the baselines share the estimator's input contract).
_REGISTRY = {
    "MultimodalConstrainedAE": ("skstc.baselines._objects", "objects_baselines",
                                "objects_input"),
    "DeepSpatiotemporalClustering": ("skstc.baselines._fields", "fields_baselines", None),
    "Tile2VecSeriesKMeans": ("skstc.baselines._tiles", "tiles_baselines", None),
}


def _registry_key(estimator):
    """The registered class the model is built on (the estimator, or a Pipeline's first step)."""
    candidates = [estimator]
    if isinstance(estimator, Pipeline):
        candidates.append(estimator.steps[0][1])
    for est in candidates:
        for cls in type(est).__mro__:
            if cls.__name__ in _REGISTRY:
                return cls.__name__
    return None


def _resolve(entry, name):
    """Import a registry entry lazily: callables are used as they are."""
    if name is None or callable(name):
        return name
    module_name = entry[0]
    try:
        module = importlib.import_module(module_name)
    except ImportError as exc:
        raise NotImplementedError(
            f"the baselines module {module_name} is not available in this installation "
            f"({exc}); pass your own baselines=... to compare_with_baselines.") from exc
    try:
        return getattr(module, name)
    except AttributeError as exc:
        raise NotImplementedError(
            f"{module_name} does not define {name}; pass your own baselines=... to "
            "compare_with_baselines.") from exc


def _baselines_for(estimator):
    key = _registry_key(estimator)
    if key is None:
        raise ValueError(
            f"no registered baselines for {type(estimator).__name__} (known: "
            f"{sorted(_REGISTRY)}); pass baselines={{name: estimator}}.")
    entry = _REGISTRY[key]
    make = _resolve(entry, entry[1])
    prepare = _resolve(entry, entry[2]) if len(entry) > 2 else None
    return key, make, prepare


def _reseed(model, seed):
    """Set every ``random_state`` of the model (nested ones included) to ``seed``."""
    params = model.get_params(deep=True)
    new = {k: seed for k in params if k == "random_state" or k.endswith("__random_state")}
    return model.set_params(**new) if new else model


def _partition(model, X):
    """Labels of the training rows: predictions of a classifier, else the clusters."""
    if is_classifier(model):
        return np.asarray(model.predict(X))
    last = model[-1] if isinstance(model, Pipeline) else model
    labels = getattr(last, "labels_", None)
    if labels is None:
        labels = model.predict(X)
    return np.asarray(labels)


def _holdout(y_enc, test_size, rng):
    """Stratified hidden subset of the labelled rows (classes with >= 2 labels)."""
    hide = np.zeros(len(y_enc), dtype=bool)
    for c in np.unique(y_enc[y_enc >= 0]):
        members = np.flatnonzero(y_enc == c)
        if len(members) < 2:
            continue
        n_hide = int(min(len(members) - 1, max(1, round(test_size * len(members)))))
        hide[rng.choice(members, n_hide, replace=False)] = True
    return hide


def _default_representation(X):
    """Rows of X flattened, NaN replaced by the column mean, standardised."""
    R = np.asarray(X, dtype=float)
    R = R.reshape(R.shape[0], -1)
    if np.isnan(R).any():
        means = np.nanmean(R, axis=0)
        means = np.where(np.isnan(means), 0.0, means)
        R = np.where(np.isnan(R), means, R)
    return StandardScaler().fit_transform(R)


def _internal_scores(R, labels, sample_size, seed):
    out = dict(silhouette=np.nan, calinski_harabasz=np.nan, davies_bouldin=np.nan)
    if R is None or len(labels) != len(R):
        return out
    k = np.unique(labels).size
    if not 2 <= k < len(labels):
        return out
    out["silhouette"] = float(silhouette_score(
        R, labels, sample_size=min(sample_size, len(R)) if sample_size else None,
        random_state=seed))
    out["calinski_harabasz"] = float(calinski_harabasz_score(R, labels))
    out["davies_bouldin"] = float(davies_bouldin_score(R, labels))
    return out


def _verdict(table, skstc_name, metric, higher_is_better=True):
    """Plain-language reading of the table on its primary metric."""
    def fmt(name):
        row = table.loc[name]
        return f"{row[metric]:.3f} +- {row[metric + '_std']:.3f}"

    own = table.loc[skstc_name]
    base = table[table["role"] == "baseline"].dropna(subset=[metric])
    if np.isnan(own[metric]):
        return f"{skstc_name} has no {metric} on this data; no verdict."
    if base.empty:
        return f"no baseline produced {metric}; no verdict."
    best = base[metric].idxmax() if higher_is_better else base[metric].idxmin()
    diff = own[metric] - base.loc[best, metric]
    if not higher_is_better:
        diff = -diff
    spread = max(own[metric + "_std"], base.loc[best, metric + "_std"])
    n = int(own["n_seeds"])
    head = (f"{metric} over {n} seeds: {skstc_name} {fmt(skstc_name)}, best baseline "
            f"'{best}' {fmt(best)}. ")
    if diff > spread:
        tail = "The deep model beats its best baseline by more than the seed spread."
    elif diff >= -spread:
        tail = ("The deep model and its best baseline are within the seed spread: the deep "
                "model is not clearly worth its cost here.")
    else:
        tail = "The deep model does not beat its best baseline on this data."
    stab = (f" Stability (mean ARI between seeds): {skstc_name} "
            f"{own['stability_ari']:.2f}, '{best}' {base.loc[best, 'stability_ari']:.2f}.")
    note = ""
    if metric == "silhouette":
        note = (" Internal scores are computed on the standardised input, whose geometry "
                "k-means on the raw input optimises directly; with a few labels, the held-out "
                "scores are the better judge.")
    return head + tail + stab + note


def compare_with_baselines(estimator, X, y=None, *, n_seeds=3, random_state=None,
                           baselines=None, representation=None, test_size=0.3,
                           silhouette_sample_size=2000):
    """Compare an skstc estimator with its method's simple baselines on the user's data.

    The estimator and each baseline are refitted on ``X`` with ``n_seeds`` seeds. Every model
    is scored the same way:

    - internal metrics of its partition (clusters, or predicted classes for a classifier) on
      one shared representation (by default the standardised input rows): silhouette,
      Calinski-Harabasz, Davies-Bouldin;
    - stability: the mean adjusted Rand index between the partitions of every pair of seeds;
    - when ``y`` holds labels (``-1`` = unlabelled): a stratified fraction ``test_size`` of
      the labelled rows is hidden from the fit (a new draw per seed) and scored: macro-F1 of
      a classifier's predictions and the adjusted Rand index of the partition on these rows;
    - the fit time.

    The baselines are what a practitioner would try first: for
    :class:`skstc.MultimodalConstrainedAE` models, :func:`objects_baselines`; for
    :class:`skstc.DeepSpatiotemporalClustering`, ``fields_baselines`` (k-means on scaled
    fields, EOF + k-means); for :class:`skstc.Tile2VecSeriesKMeans`, ``tiles_baselines``
    (pixel-mean series k-means, PCA of tile pixels + k-means).

    Parameters
    ----------
    estimator : estimator
        An skstc estimator, or a Pipeline whose first step is one, fitted or not: only its
        parameters are used (it is cloned, and not modified).
    X : array-like or xarray object
        The data, in the estimator's input contract.
    y : array-like of shape (n_samples,) or None, default=None
        Labels with ``-1`` for unlabelled rows, passed to every fit (hidden rows as ``-1``).
    n_seeds : int, default=3
        Number of seeds per model (at least 2 for a stability score).
    random_state : int, RandomState instance or None, default=None
        Draws the seeds and the hidden rows; the global RNG is not used.
    baselines : dict of str to estimator or None, default=None
        Baselines to use instead of the registered ones.
    representation : array-like of shape (n_samples, n_features) or None, default=None
        Rows on which the internal metrics are computed for every model; by default the input
        rows flattened and standardised (NaN replaced by column means) when they align with
        the partitions, else the internal metrics are NaN.
    test_size : float in (0, 1), default=0.3
        Fraction of each class's labelled rows hidden per seed.
    silhouette_sample_size : int or None, default=2000
        Rows sampled for the silhouette (None: all).

    Returns
    -------
    table : pandas.DataFrame
        One row per model (the estimator first, named after its class), columns ``role``
        (``"skstc"`` or ``"baseline"``), ``n_seeds``, ``fit_time`` (seconds per fit),
        ``n_clusters`` (distinct labels found), ``silhouette``, ``calinski_harabasz``,
        ``davies_bouldin`` (means over seeds, with ``*_std``), ``stability_ari`` and, with
        labels, ``heldout_f1_macro`` and ``heldout_ari`` (with ``*_std``).
        ``table.attrs["verdict"]`` says in words whether the estimator beats its best
        baseline on the primary metric ``table.attrs["metric"]`` (held-out macro-F1 for a
        classifier, held-out ARI for a clusterer with labels, silhouette without labels).

    See Also
    --------
    skstc.baselines.objects_baselines : baselines of MultimodalConstrainedAE models.

    Examples
    --------
    >>> import numpy as np
    >>> from skstc import MultimodalConstrainedAE
    >>> from skstc.baselines import compare_with_baselines
    >>> from skstc.datasets import make_water_bodies
    >>> X, y = make_water_bodies(60, n_timesteps=12, map_size=8, random_state=0)
    >>> y_few = np.where(np.arange(60) < 24, y, -1)
    >>> ae = MultimodalConstrainedAE(4, spatial_shape=(8, 8), embedding_dim=8, conv_channels=(4,),
    ...                              lstm_hidden_size=8, max_epochs=2, n_threads=1)
    >>> table = compare_with_baselines(ae, X, y_few, n_seeds=2, random_state=0)
    >>> list(table.index)
    ['MultimodalConstrainedAE', 'raw', 'pca', 'map only', 'series only', 'untrained network']
    >>> table.attrs["metric"]
    'heldout_ari'
    """
    import pandas as pd

    if not isinstance(n_seeds, int) or n_seeds < 1:
        raise ValueError(f"n_seeds must be a positive integer, got {n_seeds!r}.")
    if not 0 < test_size < 1:
        raise ValueError(f"test_size must be in (0, 1), got {test_size!r}.")
    prepare = None
    if baselines is None:
        _, make, prepare = _baselines_for(estimator)
        baselines = make(estimator)
    if prepare is not None:
        X = prepare(estimator, X)
    models = {type(estimator).__name__ if not isinstance(estimator, Pipeline)
              else type(estimator.steps[0][1]).__name__: estimator}
    for name, model in baselines.items():
        if name in models:
            raise ValueError(f"baseline name {name!r} is the estimator's name.")
        models[name] = model
    skstc_name = next(iter(models))

    y_arr, y_enc, classes = None, None, None
    if y is not None:
        y_arr = np.asarray(y)
        y_enc, classes = _split_labels(y_arr, len(y_arr))
    has_labels = y_enc is not None and (y_enc >= 0).sum() >= 2
    rng = local_random_state(random_state)
    seeds = [draw_seed(rng) for _ in range(n_seeds)]
    hidden = [_holdout(y_enc, test_size, local_random_state(s)) if has_labels else None
              for s in seeds]
    if representation is not None:
        R = np.asarray(representation, dtype=float)
    else:
        try:
            R = _default_representation(X)
        except (TypeError, ValueError):
            R = None           # e.g. an xarray Dataset: pass representation=...

    rows = {}
    for name, proto in models.items():
        runs, partitions = [], []
        for seed, hide in zip(seeds, hidden):
            model = _reseed(clone(proto), seed)
            y_fit = None
            if y_arr is not None:
                y_fit = y_arr.copy()
                if hide is not None and hide.any():
                    y_fit = y_fit.astype(object) if y_fit.dtype.kind in "US" else y_fit
                    y_fit[hide] = -1
            t0 = time.perf_counter()
            try:
                model.fit(X) if y_fit is None else model.fit(X, y_fit)
            except Exception as exc:
                if name == skstc_name:
                    raise
                warnings.warn(f"baseline {name!r} failed to fit ({exc!r}); its row is NaN.",
                              UserWarning, stacklevel=2)
                partitions = []
                runs = []
                break
            run = dict(fit_time=time.perf_counter() - t0)
            labels = _partition(model, X)
            partitions.append(labels)
            run["n_clusters"] = np.unique(labels).size
            run.update(_internal_scores(R, labels, silhouette_sample_size, seed))
            if has_labels and len(labels) == len(y_arr) and hide.any():
                truth, got = classes[y_enc[hide]], labels[hide]
                run["heldout_ari"] = adjusted_rand_score(y_enc[hide], got)
                run["heldout_f1_macro"] = (
                    f1_score(truth, got, average="macro", labels=classes)
                    if is_classifier(model) else np.nan)
            runs.append(run)
        row = dict(role="skstc" if name == skstc_name else "baseline", n_seeds=len(runs))
        keys = ["fit_time", "n_clusters", "silhouette", "calinski_harabasz", "davies_bouldin"]
        if has_labels:
            keys += ["heldout_f1_macro", "heldout_ari"]
        for key in keys:
            vals = np.array([r.get(key, np.nan) for r in runs], dtype=float)
            fin = vals[np.isfinite(vals)]
            row[key] = float(fin.mean()) if fin.size else np.nan
            if key not in ("fit_time", "n_clusters"):
                row[key + "_std"] = float(fin.std()) if fin.size else np.nan
        pairs = [adjusted_rand_score(a, b) for a, b in combinations(partitions, 2)
                 if len(a) == len(b)]
        row["stability_ari"] = float(np.mean(pairs)) if pairs else np.nan
        rows[name] = row
    table = pd.DataFrame.from_dict(rows, orient="index")
    if has_labels:
        metric = ("heldout_f1_macro" if np.isfinite(table.loc[skstc_name, "heldout_f1_macro"])
                  else "heldout_ari")
    else:
        metric = "silhouette"
    table.attrs["metric"] = metric
    table.attrs["verdict"] = _verdict(table, skstc_name, metric)
    return table
