"""Clustering and semi-supervised metrics that complement :mod:`sklearn.metrics`."""

import numpy as np
from scipy.optimize import linear_sum_assignment
from sklearn.metrics import (
    accuracy_score,
    calinski_harabasz_score,
    davies_bouldin_score,
    f1_score,
    make_scorer,
    pairwise_distances_argmin_min,
    silhouette_score,
)

# --- shared ---

# --- MultimodalConstrainedAE / LabelAugmenter / MultimodalClassifier ---


def _labelled_rows(y_true, unlabelled=-1):
    """Boolean mask of the rows of ``y_true`` that are not ``unlabelled``."""
    y_true = np.asarray(y_true)
    if y_true.ndim != 1:
        raise ValueError(f"y_true must be 1-D of shape (n_samples,), got shape {y_true.shape}.")
    if y_true.dtype.kind == "O":
        return np.array([not (isinstance(v, (int, float, np.number)) and v == unlabelled)
                         for v in y_true], dtype=bool)
    if y_true.dtype.kind in "iufb":
        return y_true != unlabelled
    return np.ones(y_true.shape[0], dtype=bool)   # strings: every row is labelled


def labelled_score(y_true, y_pred, *, metric, unlabelled=-1, sample_weight=None,
                   **kwargs):
    """Apply a scikit-learn metric to the labelled rows only (``y_true != -1``).

    Few-label data follow scikit-learn's semi-supervised convention (``-1`` = unlabelled);
    a plain metric would count every unlabelled row as a mistake (or ``-1`` as a class).
    This drops those rows first.

    Parameters
    ----------
    y_true : array-like of shape (n_samples,)
        True labels, ``unlabelled`` where unknown.
    y_pred : array-like of shape (n_samples,) or (n_samples, n_classes)
        Predictions, probabilities or decision values (rows aligned with ``y_true``).
    metric : callable
        ``metric(y_true, y_pred, **kwargs)``, e.g. :func:`sklearn.metrics.f1_score`.
    unlabelled : int, default=-1
        Marker of unlabelled rows.
    sample_weight : array-like of shape (n_samples,) or None, default=None
        Passed (restricted to the labelled rows) when given.
    **kwargs
        Passed to ``metric`` (e.g. ``average="macro"``).

    Returns
    -------
    score : float

    Raises
    ------
    ValueError
        When no row is labelled.

    Examples
    --------
    >>> from sklearn.metrics import accuracy_score
    >>> from skstc.metrics import labelled_score
    >>> labelled_score([0, -1, 1, -1], [0, 1, 0, 0], metric=accuracy_score)
    0.5
    """
    mask = _labelled_rows(y_true, unlabelled)
    if not mask.any():
        raise ValueError("no labelled row (every y_true is the unlabelled marker "
                         f"{unlabelled!r}); the score is undefined.")
    y_true = np.asarray(y_true)[mask]
    y_pred = np.asarray(y_pred)
    if y_pred.shape[0] != mask.shape[0]:
        raise ValueError(f"y_pred has {y_pred.shape[0]} rows but y_true has {mask.shape[0]}.")
    if sample_weight is not None:
        kwargs["sample_weight"] = np.asarray(sample_weight)[mask]
    return float(metric(y_true, y_pred[mask], **kwargs))


def labelled_accuracy_score(y_true, y_pred, *, unlabelled=-1, sample_weight=None):
    """Accuracy on the rows whose true label is not ``unlabelled`` (-1).

    Examples
    --------
    >>> from skstc.metrics import labelled_accuracy_score
    >>> labelled_accuracy_score([0, -1, 1, 1], [0, 1, 1, 0])
    0.666...
    """

    return labelled_score(y_true, y_pred, metric=accuracy_score, unlabelled=unlabelled,
                          sample_weight=sample_weight)


def labelled_f1_score(y_true, y_pred, *, average="macro", unlabelled=-1, sample_weight=None):
    """F1 score (macro-averaged by default) on the rows whose true label is not -1.

    The paper's few-label classification measure. Classes present only among the
    predictions of unlabelled rows do not count.

    Examples
    --------
    >>> from skstc.metrics import labelled_f1_score
    >>> labelled_f1_score([0, 0, 1, 1, -1, -1], [0, 0, 1, 0, 1, 1])
    0.733...
    """

    return labelled_score(y_true, y_pred, metric=f1_score, unlabelled=unlabelled,
                          sample_weight=sample_weight, average=average)


def make_labelled_scorer(metric, *, response_method="predict", greater_is_better=True,
                         unlabelled=-1, **kwargs):
    """Build a scorer for ``scoring=`` (GridSearchCV, cross_validate) ignoring unlabelled rows.

    Wraps :func:`sklearn.metrics.make_scorer` around :func:`labelled_score`, so that
    model selection on few-label data (``y`` with ``-1`` for unlabelled rows, as fed to
    :class:`skstc.MultimodalConstrainedAE` + :class:`skstc.LabelAugmenter` pipelines) scores
    each validation fold on its labelled rows only. The scorer pickles (parallel search).

    Parameters
    ----------
    metric : callable
        A metric ``metric(y_true, y_pred, **kwargs)``, e.g. :func:`sklearn.metrics.f1_score`.
    response_method : {"predict", "predict_proba", "decision_function"} or list, \
default="predict"
        Which estimator method produces ``y_pred``.
    greater_is_better : bool, default=True
        False for losses (the scorer then returns the negated value).
    unlabelled : int, default=-1
        Marker of unlabelled rows.
    **kwargs
        Passed to ``metric``.

    Returns
    -------
    scorer : callable ``scorer(estimator, X, y)``

    Examples
    --------
    >>> from sklearn.metrics import f1_score
    >>> from skstc.metrics import make_labelled_scorer
    >>> scorer = make_labelled_scorer(f1_score, average="macro")
    """

    return make_scorer(labelled_score, response_method=response_method,
                       greater_is_better=greater_is_better, metric=metric,
                       unlabelled=unlabelled, **kwargs)


def labelled_f1_macro_scorer(estimator, X, y):
    """Ready-made scorer: macro-F1 of ``estimator.predict(X)`` on the rows with ``y != -1``.

    Use as ``GridSearchCV(..., scoring=labelled_f1_macro_scorer)``.
    """
    return labelled_f1_score(y, estimator.predict(X))


def labelled_accuracy_scorer(estimator, X, y):
    """Ready-made scorer: accuracy of ``estimator.predict(X)`` on the rows with ``y != -1``.

    Use as ``GridSearchCV(..., scoring=labelled_accuracy_scorer)``.
    """
    return labelled_accuracy_score(y, estimator.predict(X))


# --- Tile2VecSeriesKMeans ---
def _t2v_grid_coords(label_map):
    label_map = np.asarray(label_map)
    if label_map.ndim != 2:
        raise ValueError(f"label_map must be 2-D (rows, cols) of tile labels, got shape "
                         f"{label_map.shape}.")
    rows, cols = np.indices(label_map.shape)
    coords = np.stack([rows.ravel(), cols.ravel()], axis=1).astype(float)
    labels = label_map.ravel()
    keep = labels >= 0
    if len(np.unique(labels[keep])) < 2:
        raise ValueError("label_map needs at least two distinct labels (>= 0).")
    return coords[keep], labels[keep]


def geographic_silhouette(label_map, *, sample_size=None, random_state=None):
    """Silhouette of a tile label map computed on the tiles' grid coordinates.

    The paper's geographic compactness: a partition whose clusters form compact, contiguous
    areas scores high. Tiles labelled ``-1`` (e.g. no data) are ignored.

    Parameters
    ----------
    label_map : array-like of int of shape (n_rows, n_cols)
    sample_size : int or None, default=None
        Passed to :func:`sklearn.metrics.silhouette_score`.
    random_state : int, RandomState or None, default=None

    Returns
    -------
    score : float in [-1, 1]

    Examples
    --------
    >>> import numpy as np
    >>> halves = np.repeat([[0, 1]], 4, axis=0).repeat(2, axis=1)
    >>> round(geographic_silhouette(halves), 3)
    0.31
    """

    coords, labels = _t2v_grid_coords(label_map)
    return float(silhouette_score(coords, labels, sample_size=sample_size,
                                  random_state=random_state))


def geographic_calinski_harabasz(label_map):
    """Calinski-Harabasz index of a tile label map on the tiles' grid coordinates.

    Parameters
    ----------
    label_map : array-like of int of shape (n_rows, n_cols)
        ``-1`` entries are ignored.

    Returns
    -------
    score : float (higher = more compact, better separated areas)
    """

    coords, labels = _t2v_grid_coords(label_map)
    return float(calinski_harabasz_score(coords, labels))


def _check_series_metric(metric, n_times, n_features):
    if metric not in ("series", "euclidean"):
        raise ValueError(f"metric must be 'series' or 'euclidean', got {metric!r}.")
    if metric == "series":
        if n_times is None:
            raise ValueError("metric='series' needs n_times (dates per series).")
        if (isinstance(n_times, bool) or not isinstance(n_times, (int, np.integer))
                or n_times < 1 or n_features % n_times):
            raise ValueError(f"n_times={n_times!r} must be a positive integer dividing the "
                             f"{n_features} features of a series.")


def pairwise_series_distances(X, Y=None, *, n_times):
    """Distance between tile series as the sum over dates of per-date Euclidean distances.

    Each row is a flattened series ``(n_times, dim)`` (C order, the layout of
    :meth:`skstc.Tile2VecSeriesKMeans.transform`); the distance between series ``x`` and
    ``y`` is ``sum_t ||x_t - y_t||_2``, the series distance of the Tile2Vec series
    clustering paper (Eq. 3). It differs from the Euclidean distance of the flattened
    series, ``sqrt(sum_t ||x_t - y_t||^2)``: a date far off counts linearly, not squared.
    With ``n_times=1`` it is the Euclidean distance.

    Parameters
    ----------
    X : array-like of shape (n_samples_X, n_times * dim)
    Y : array-like of shape (n_samples_Y, n_times * dim) or None, default=None
        None uses ``X``.
    n_times : int
        Dates per series.

    Returns
    -------
    distances : ndarray of shape (n_samples_X, n_samples_Y)

    Examples
    --------
    >>> from skstc.metrics import pairwise_series_distances
    >>> # two dates of 2-D embeddings: |(3, 4)| + |(0, 1)| = 5 + 1
    >>> pairwise_series_distances([[0, 0, 0, 0]], [[3, 4, 0, 1]], n_times=2).tolist()
    [[6.0]]
    """
    from sklearn.metrics.pairwise import euclidean_distances

    X = np.asarray(X, dtype=np.float64)
    Y = X if Y is None else np.asarray(Y, dtype=np.float64)
    if X.ndim != 2 or Y.ndim != 2 or X.shape[1] != Y.shape[1]:
        raise ValueError(f"X and Y must be 2-D with the same number of features, got "
                         f"{X.shape} and {Y.shape}.")
    _check_series_metric("series", n_times, X.shape[1])
    Xs = X.reshape(len(X), n_times, -1)
    Ys = Y.reshape(len(Y), n_times, -1)
    out = np.zeros((len(X), len(Y)))
    for t in range(n_times):
        out += euclidean_distances(Xs[:, t], Ys[:, t])
    return out


def _series_dist(A, B, metric, n_times):
    """Distances between the rows of A and B under ``metric`` ('series' or 'euclidean')."""
    from sklearn.metrics.pairwise import euclidean_distances

    _check_series_metric(metric, n_times, np.shape(A)[1])
    if metric == "series":
        return pairwise_series_distances(A, B, n_times=n_times)
    return euclidean_distances(np.asarray(A, dtype=np.float64),
                               np.asarray(B, dtype=np.float64))


def series_silhouette(X, labels, *, n_times=None, metric="series", sample_size=None,
                      random_state=None):
    """Silhouette of a clustering of tile series under the series distance.

    Parameters
    ----------
    X : array-like of shape (n_samples, n_times * dim)
        Flattened series (e.g. :meth:`skstc.Tile2VecSeriesKMeans.transform`).
    labels : array-like of shape (n_samples,)
    n_times : int or None, default=None
        Dates per series; needed by ``metric="series"``.
    metric : {"series", "euclidean"}, default="series"
        ``"series"`` is :func:`pairwise_series_distances` (sum over dates of per-date
        Euclidean distances, the paper's Eq. 3); ``"euclidean"`` the Euclidean distance of
        the flattened series.
    sample_size : int or None, default=None
        Score a random subset of this many series (the distance matrix is
        ``sample_size ** 2``).
    random_state : int, RandomState or None, default=None
        Draws the subset.

    Returns
    -------
    score : float in [-1, 1]

    Examples
    --------
    >>> from skstc.metrics import series_silhouette
    >>> X = [[0, 0, 0, 0], [0, 1, 0, 0], [9, 9, 9, 9], [9, 9, 9, 8]]
    >>> round(series_silhouette(X, [0, 0, 1, 1], n_times=2), 2)
    0.96
    """
    from .utils._random import local_random_state

    X = np.asarray(X, dtype=np.float64)
    labels = np.asarray(labels)
    if X.ndim != 2 or labels.shape != (X.shape[0],):
        raise ValueError(f"X must be 2-D and labels of shape ({len(X)},); got {X.shape} and "
                         f"{labels.shape}.")
    if sample_size is not None and sample_size < len(X):
        idx = local_random_state(random_state).choice(len(X), int(sample_size), replace=False)
        X, labels = X[idx], labels[idx]
    D = _series_dist(X, X, metric, n_times)
    np.fill_diagonal(D, 0.0)
    return float(silhouette_score(D, labels, metric="precomputed"))


def kmeans_error(X, labels, centers=None, *, metric="euclidean", n_times=None):
    """Mean distance of each sample to its cluster centroid (squared Euclidean by default).

    With ``metric="euclidean"`` it is the mean squared Euclidean distance, i.e. K-means
    inertia divided by ``n_samples``; with ``metric="series"`` the mean series distance
    (:func:`pairwise_series_distances`, the paper's Eq. 3) of each series to its centroid.
    Samples labelled ``-1`` are ignored. ``X`` is read in blocks of rows, each converted to
    float64 on its own: a float32 (or memory-mapped) ``X`` is never copied whole.

    Parameters
    ----------
    X : array-like of shape (n_samples, n_features)
    labels : array-like of shape (n_samples,)
    centers : array-like of shape (n_clusters, n_features) or None, default=None
        Centroids indexed by label; None uses the mean of each cluster.
    metric : {"euclidean", "series"}, default="euclidean"
    n_times : int or None, default=None
        Dates per series; needed by ``metric="series"``.

    Returns
    -------
    error : float

    Examples
    --------
    >>> kmeans_error([[0.0], [2.0], [10.0]], [0, 0, 1])
    0.6666666666666666
    >>> kmeans_error([[0.0, 0.0], [2.0, 2.0]], [0, 0], metric="series", n_times=2)
    2.0
    """
    X = X.compute() if hasattr(X, "compute") else X
    X = np.asarray(X) if getattr(X, "dtype", None) is None else X  # memmaps stay memmaps
    if X.dtype.kind not in "fc":
        X = np.asarray(X, dtype=np.float64)
    labels = np.asarray(labels)
    if X.ndim != 2 or labels.shape != (X.shape[0],):
        raise ValueError(f"X must be 2-D and labels of shape ({len(X)},); got {X.shape} and "
                         f"{labels.shape}.")
    if metric == "series":
        _check_series_metric(metric, n_times, X.shape[1])
    elif metric != "euclidean":
        raise ValueError(f"metric must be 'euclidean' or 'series', got {metric!r}.")
    keep = labels >= 0
    n = int(keep.sum())
    if n == 0:
        return float("nan")
    if centers is None:
        centers = _chunked_cluster_means(X, labels)
    centers = np.asarray(centers, dtype=np.float64)
    total = 0.0
    for s, rows in _row_chunks(X):
        lab = labels[s]
        sel = keep[s]
        if not sel.all():
            rows, lab = rows[sel], lab[sel]
        diff = rows - centers[lab]
        if metric == "euclidean":
            total += float(np.einsum("ij,ij->", diff, diff))
        else:
            d = diff.reshape(len(diff), n_times, -1)
            total += float(np.sqrt(np.einsum("itd,itd->it", d, d)).sum())
    return total / n


def _row_chunks(X, n_values=1 << 17):
    """``(slice, rows as float64)`` over consecutive row blocks of ``X`` of about
    ``n_values`` values each: one block is converted at a time, never the whole array."""
    step = max(1, n_values // max(1, X.shape[1]))
    for start in range(0, X.shape[0], step):
        s = slice(start, min(X.shape[0], start + step))
        yield s, np.asarray(X[s], dtype=np.float64)


def _chunked_cluster_means(X, labels):
    """Mean of the rows of each label ``>= 0`` (rows ``k`` of absent labels are zero)."""
    k = int(labels.max()) + 1 if (labels >= 0).any() else 1
    sums = np.zeros((k, X.shape[1]))
    counts = np.bincount(labels[labels >= 0], minlength=k).astype(np.float64)
    for s, rows in _row_chunks(X):
        lab = labels[s]
        for j in np.unique(lab[lab >= 0]):
            sums[j] += rows[lab == j].sum(axis=0)
    return sums / np.maximum(counts, 1)[:, None]


# --- DeepSpatiotemporalClustering ---


def _flat_labelled(X, labels):
    """Flatten samples to 2-D float64 and validate the labels."""
    X = np.asarray(X.compute() if hasattr(X, "compute") else X, dtype=np.float64)
    if X.ndim < 2:
        raise ValueError(f"X must have one row per sample (at least 2-D), got shape {X.shape}.")
    X = X.reshape(X.shape[0], -1)
    if not np.isfinite(X).all():
        raise ValueError("X contains NaN or infinity; fill missing values first "
                         "(skstc.preprocessing.FieldNaNFiller).")
    labels = np.asarray(labels)
    if labels.ndim != 1 or labels.shape[0] != X.shape[0]:
        raise ValueError(f"labels must be 1-D with one entry per sample ({X.shape[0]}), got "
                         f"shape {labels.shape}.")
    _, inverse = np.unique(labels, return_inverse=True)
    return X, inverse.ravel()


def _centroids(X, codes):
    k = codes.max() + 1
    counts = np.bincount(codes, minlength=k).astype(np.float64)
    sums = np.zeros((k, X.shape[1]))
    np.add.at(sums, codes, X)
    return sums / counts[:, None], counts


def cluster_rmse(X, labels):
    """Root mean squared distance of the samples to their cluster centroid.

    ``sqrt(sum_i ||x_i - c_{l(i)}||^2 / n)`` where ``c_k`` is the mean of cluster ``k`` and
    ``n`` the number of samples (the DSC paper's cluster RMSE).

    Parameters
    ----------
    X : array-like of shape (n_samples, ...)
        Samples (any trailing shape, flattened), usually the scaled input fields.
    labels : array-like of shape (n_samples,)
        Cluster labels.

    Returns
    -------
    rmse : float

    Examples
    --------
    >>> from skstc.metrics import cluster_rmse
    >>> round(cluster_rmse([[0.0], [2.0], [10.0], [10.0]], [0, 0, 1, 1]), 4)
    0.7071
    """
    X, codes = _flat_labelled(X, labels)
    centres, _ = _centroids(X, codes)
    return float(np.sqrt(((X - centres[codes]) ** 2).sum() / X.shape[0]))


_VARIANCE_DEFINITIONS = ("eq10", "authors_code", "per_value")


def average_cluster_variance(X, labels, *, definition="eq10", weighted=True):
    """Average within-cluster variance, by the DSC paper's Eq 10 or a named variant.

    With ``c_k`` the mean of the ``n_k`` members of cluster ``k`` (``K`` clusters, ``n``
    samples of ``p`` values):

    - ``"eq10"`` (the paper's Eq 10): the mean over clusters of each cluster's mean squared
      Euclidean distance to its centroid, ``(1/K) sum_k (1/n_k) sum_{i in k} ||x_i - c_k||^2``
      (every cluster counts the same; distances summed over the ``p`` values).
    - ``"authors_code"``: what the authors' published evaluation code reports, ``sum_k n_k
      var_k / n`` where ``var_k`` is ``numpy.var`` of all the values of cluster ``k`` taken
      together (one scalar mean per cluster, so the spatial variation of the cluster's mean
      field counts as within-cluster variance); the clusters are weighted by their size.
    - ``"per_value"``: the within-cluster variance of each value averaged over the ``p``
      values, ``v_k = sum_{i in k} ||x_i - c_k||^2 / (n_k p)``, then ``sum_k n_k v_k / n``
      when ``weighted`` (this equals ``cluster_rmse**2 / p``) or ``sum_k v_k / K``.

    Parameters
    ----------
    X : array-like of shape (n_samples, ...)
        Samples (flattened to ``p`` values each).
    labels : array-like of shape (n_samples,)
        Cluster labels.
    definition : {"eq10", "authors_code", "per_value"}, default="eq10"
        Which variance (see above).
    weighted : bool, default=True
        For ``"per_value"`` only: weight each cluster by its size.

    Returns
    -------
    variance : float

    Examples
    --------
    >>> from skstc.metrics import average_cluster_variance
    >>> X = [[0.0, 0.0], [2.0, 0.0], [10.0, 10.0], [10.0, 10.0], [10.0, 10.0], [10.0, 10.0]]
    >>> y = [0, 0, 1, 1, 1, 1]
    >>> average_cluster_variance(X, y)  # ((1 + 1) / 2 + 0) / 2
    0.5
    >>> average_cluster_variance(X, y, definition="authors_code")  # (2 * 0.75 + 4 * 0) / 6
    0.25
    >>> average_cluster_variance(X, y, definition="per_value")  # (2 * 0.5 + 4 * 0) / 6
    0.1666...
    """
    if definition not in _VARIANCE_DEFINITIONS:
        raise ValueError(f"definition must be one of {_VARIANCE_DEFINITIONS}, got "
                         f"{definition!r}.")
    X, codes = _flat_labelled(X, labels)
    centres, counts = _centroids(X, codes)
    if definition == "authors_code":
        var = np.array([X[codes == k].var() for k in range(len(counts))])
        return float((counts * var).sum() / counts.sum())
    sq = np.bincount(codes, weights=((X - centres[codes]) ** 2).sum(axis=1),
                     minlength=len(counts))
    if definition == "eq10":
        return float((sq / counts).mean())
    per_cluster = sq / (counts * X.shape[1])
    if weighted:
        return float((counts * per_cluster).sum() / counts.sum())
    return float(per_cluster.mean())


def average_intercluster_distance(X, labels, *, metric="euclidean"):
    """Mean over pairs of clusters of the smallest distance between their members.

    ``mean_{k < l} min_{i in k, j in l} d(x_i, x_j)`` (single-linkage separation), computed
    in chunks so memory stays bounded.

    Parameters
    ----------
    X : array-like of shape (n_samples, ...)
        Samples (flattened).
    labels : array-like of shape (n_samples,)
        Cluster labels; at least two clusters.
    metric : str, default="euclidean"
        Any metric of :func:`sklearn.metrics.pairwise_distances`.

    Returns
    -------
    distance : float

    Examples
    --------
    >>> from skstc.metrics import average_intercluster_distance
    >>> X = [[0.0], [1.0], [4.0], [10.0]]
    >>> average_intercluster_distance(X, [0, 0, 1, 2])  # (3 + 9 + 6) / 3
    6.0
    """
    X, codes = _flat_labelled(X, labels)
    k = codes.max() + 1
    if k < 2:
        raise ValueError("average_intercluster_distance needs at least 2 clusters.")
    members = [X[codes == c] for c in range(k)]
    dists = []
    for a in range(k):
        for b in range(a + 1, k):
            _, d = pairwise_distances_argmin_min(members[a], members[b], metric=metric)
            dists.append(d.min())
    return float(np.mean(dists))


def silhouette(X, labels, *, metric="euclidean", sample_size=None, random_state=None):
    """Silhouette coefficient on flattened samples, Euclidean or cosine.

    Thin wrapper of :func:`sklearn.metrics.silhouette_score` that accepts gridded samples.
    The silhouettes of the DSC paper's tables come from the authors' evaluation code, which
    uses the cosine distance (``metric="cosine"``): it ignores the amplitude of each
    sample's (normalised) field and usually scores higher than the Euclidean silhouette, so
    compare with the paper's values in cosine. The default here is the Euclidean silhouette,
    consistent with k-means and with the other metrics of this module.

    Parameters
    ----------
    X : array-like of shape (n_samples, ...)
        Samples (flattened).
    labels : array-like of shape (n_samples,)
        Cluster labels (2 <= number of clusters <= n_samples - 1).
    metric : {"euclidean", "cosine"} or str, default="euclidean"
        Distance.
    sample_size : int or None, default=None
        Score a random subset (see scikit-learn).
    random_state : int, RandomState or None, default=None
        Seed of the subset.

    Returns
    -------
    score : float

    Examples
    --------
    >>> from skstc.metrics import silhouette
    >>> X = [[0.0, 1.0], [0.0, 2.0], [1.0, 0.0], [3.0, 0.0]]
    >>> round(silhouette(X, [0, 0, 1, 1], metric="cosine"), 3)
    1.0
    """
    X, codes = _flat_labelled(X, labels)
    return float(silhouette_score(X, codes, metric=metric, sample_size=sample_size,
                                      random_state=random_state))


def cluster_quality_scores(X, labels):
    """The DSC paper's Table 2 metrics for one clustering, on the (scaled) input space.

    Parameters
    ----------
    X : array-like of shape (n_samples, ...)
        Samples (flattened).
    labels : array-like of shape (n_samples,)
        Cluster labels.

    Returns
    -------
    scores : dict
        ``silhouette`` (Euclidean), ``silhouette_cosine`` (the distance of the authors'
        code, hence of the paper's tables), ``davies_bouldin``, ``cluster_rmse``,
        ``average_intercluster_distance``, ``average_cluster_variance`` (Eq 10),
        ``average_cluster_variance_authors_code`` and ``n_clusters`` (non-empty); the
        pairwise scores are NaN with a single cluster.
    """
    Xf, codes = _flat_labelled(X, labels)
    k = int(codes.max() + 1)
    ok = 2 <= k <= Xf.shape[0] - 1
    return {
        "silhouette": silhouette(Xf, codes) if ok else np.nan,
        "silhouette_cosine": silhouette(Xf, codes, metric="cosine") if ok else np.nan,
        "davies_bouldin": float(davies_bouldin_score(Xf, codes)) if ok else np.nan,
        "cluster_rmse": cluster_rmse(Xf, codes),
        "average_intercluster_distance": (average_intercluster_distance(Xf, codes)
                                          if k >= 2 else np.nan),
        "average_cluster_variance": average_cluster_variance(Xf, codes),
        "average_cluster_variance_authors_code": average_cluster_variance(
            Xf, codes, definition="authors_code"),
        "n_clusters": k,
    }


def match_labels(y_true, y_pred):
    """Relabel clusters with the reference class each one is matched to (Hungarian matching).

    Cluster ids are arbitrary. The one-to-one matching of clusters to classes that maximises
    the number of samples on which they agree (:func:`scipy.optimize.linear_sum_assignment`
    on the contingency table) gives each cluster its class's id, so that plots and
    confusion tables line up; ``np.mean(match_labels(y, labels) == y)`` is the usual
    unsupervised accuracy. A cluster left without a class (more clusters than classes) gets
    an id after the classes'.

    Parameters
    ----------
    y_true : array-like of shape (n_samples,)
        Reference classes (non-negative integers), e.g. planted regimes.
    y_pred : array-like of shape (n_samples,)
        Cluster labels (non-negative integers).

    Returns
    -------
    matched : ndarray of shape (n_samples,)
        ``y_pred`` with every cluster renamed to its matched class.

    Examples
    --------
    >>> from skstc.metrics import match_labels
    >>> match_labels([0, 0, 1, 1, 2], [2, 2, 0, 0, 1])
    array([0, 0, 1, 1, 2])
    """

    y_true, y_pred = np.asarray(y_true), np.asarray(y_pred)
    if y_true.shape != y_pred.shape or y_true.ndim != 1:
        raise ValueError(f"y_true and y_pred must be 1-D of the same length, got shapes "
                         f"{y_true.shape} and {y_pred.shape}.")
    for name, arr in (("y_true", y_true), ("y_pred", y_pred)):
        if arr.dtype.kind not in "iu" or (arr.size and arr.min() < 0):
            raise ValueError(f"{name} must hold non-negative integer labels.")
    n = int(max(y_true.max(initial=0), y_pred.max(initial=0))) + 1
    overlap = np.zeros((n, n), dtype=np.int64)
    np.add.at(overlap, (y_pred, y_true), 1)
    rows, cols = linear_sum_assignment(overlap, maximize=True)
    mapping = np.empty(n, dtype=np.int64)
    mapping[rows] = cols
    return mapping[y_pred]
