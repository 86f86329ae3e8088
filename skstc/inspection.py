"""Inspection of clusterings: the number of clusters, representatives, semantic tree, MDS.

:func:`choose_n_clusters` scans ``n_clusters`` for any skstc or scikit-learn clusterer (elbow,
silhouette and stability across seeds, :doc:`/choosing_k`). The other tools are the analysis
tools of the Tile2Vec series clustering paper, usable with any clustering of series ``X`` of
shape ``(n_samples, n_features)`` (e.g. ``Tile2VecSeriesKMeans.transform`` output with its
``labels_`` and ``cluster_centers_``).

Distances: every tool takes ``metric="euclidean"`` (Euclidean distance of the flattened
series) or ``metric="series"`` with ``n_times``, the paper's series distance (Eq. 3, the sum
over dates of per-date Euclidean distances, :func:`skstc.metrics.pairwise_series_distances`).
"""

import logging
import numbers
import time
from itertools import combinations

import numpy as np
from sklearn.base import clone
from sklearn.utils import Bunch
from sklearn.utils.validation import check_array

from .metrics import _series_dist, kmeans_error

__all__ = [
    "choose_n_clusters",
    "cluster_representatives",
    "centroid_interpolation",
    "semantic_tree",
    "pca_colors",
    "mds_projection",
]


def _centers_from(X, labels, centers):
    if centers is not None:
        centers = check_array(centers, dtype=np.float64)
        if centers.shape[1] != X.shape[1]:
            raise ValueError(f"centers have {centers.shape[1]} features, X has {X.shape[1]}.")
        return centers
    if labels is None:
        raise ValueError("Give labels or centers.")
    labels = np.asarray(labels)
    if labels.shape != (X.shape[0],):
        raise ValueError(f"labels must have shape ({X.shape[0]},), got {labels.shape}.")
    ks = np.unique(labels[labels >= 0])
    return np.stack([X[labels == k].mean(axis=0) for k in ks])


def cluster_representatives(X, labels=None, centers=None, *, within_cluster=True,
                            metric="euclidean", n_times=None):
    """Index of the real series nearest each centroid (the cluster's representative).

    Parameters
    ----------
    X : array-like of shape (n_samples, n_features)
        Series (flattened); numpy, memory-mapped and dask arrays are read block by block of
        rows, never converted whole (e.g. the series of many tiles kept in a memory-mapped
        ``.npy`` file).
    labels : array-like of shape (n_samples,) or None
        Cluster of each series; used to compute the centroids when ``centers`` is None and
        to restrict each search to the cluster's members.
    centers : array-like of shape (n_clusters, n_features) or None
        Centroids; None computes the mean of each label.
    within_cluster : bool, default=True
        Search only among the members of each cluster (needs ``labels``; a cluster without
        member falls back to all series).
    metric : {"euclidean", "series"}, default="euclidean"
        Distance between a series and a centroid (see the module docstring).
    n_times : int or None, default=None
        Dates per series; needed by ``metric="series"``.

    Returns
    -------
    indices : ndarray of shape (n_clusters,)

    Examples
    --------
    >>> import numpy as np
    >>> X = np.array([[0.0], [0.9], [2.0], [10.0], [11.0]])
    >>> cluster_representatives(X, labels=[0, 0, 0, 1, 1]).tolist()
    [1, 3]
    """
    from .metrics import _chunked_cluster_means, _row_chunks

    if not (isinstance(X, np.ndarray) or hasattr(X, "compute")):
        X = check_array(X, dtype=np.float64)
    if X.ndim != 2:
        raise ValueError(f"X must be 2-D (n_samples, n_features), got shape {X.shape}.")
    if centers is None and labels is not None:
        labels = np.asarray(labels)
        if labels.shape != (X.shape[0],):
            raise ValueError(f"labels must have shape ({X.shape[0]},), got {labels.shape}.")
        ks = np.unique(labels[labels >= 0])
        C = _chunked_cluster_means(X, labels)[ks]
    else:
        C = _centers_from(X, labels, centers)
        ks = np.arange(len(C))
    restrict = within_cluster and labels is not None
    if restrict:
        labels = np.asarray(labels)
        restrict_k = np.isin(ks, labels)       # clusters without member search all series
    # X is read block by block (float64 blocks): a memory map or a dask array is never
    # loaded whole
    best = np.full(len(C), np.inf)
    index = np.zeros(len(C), dtype=np.int64)
    for s, block in _row_chunks(X):
        d = _series_dist(C, check_array(block, dtype=np.float64), metric, n_times)
        if restrict:
            other = labels[s][None, :] != ks[:, None]
            d[other & restrict_k[:, None]] = np.inf
        j = d.argmin(axis=1)
        value = d[np.arange(len(C)), j]
        better = value < best
        best[better], index[better] = value[better], s.start + j[better]
    return index


def centroid_interpolation(X, center_a, center_b, n_steps=5, *, metric="euclidean",
                           n_times=None):
    """Linear path between two centroids with the nearest real series at each step.

    Parameters
    ----------
    X : array-like of shape (n_samples, n_features)
        Real series to search.
    center_a, center_b : array-like of shape (n_features,)
        End points.
    n_steps : int, default=5
        Number of weights ``w`` in ``[0, 1]`` (both ends included); the point at ``w`` is
        ``(1 - w) * center_a + w * center_b``.
    metric : {"euclidean", "series"}, default="euclidean"
        Distance used to find the nearest series (see the module docstring).
    n_times : int or None, default=None
        Dates per series; needed by ``metric="series"``.

    Returns
    -------
    weights : ndarray of shape (n_steps,)
    points : ndarray of shape (n_steps, n_features)
    nearest : ndarray of shape (n_steps,)
        Index in ``X`` of the series nearest each point.

    Examples
    --------
    >>> import numpy as np
    >>> X = np.array([[0.0], [0.4], [1.0]])
    >>> w, P, idx = centroid_interpolation(X, [0.0], [1.0], n_steps=3)
    >>> idx.tolist()
    [0, 1, 2]
    """
    X = check_array(X, dtype=np.float64)
    a = np.asarray(center_a, dtype=np.float64).ravel()
    b = np.asarray(center_b, dtype=np.float64).ravel()
    if a.shape[0] != X.shape[1] or b.shape[0] != X.shape[1]:
        raise ValueError("centers must have as many features as X.")
    if int(n_steps) < 2:
        raise ValueError(f"n_steps must be >= 2, got {n_steps!r}.")
    w = np.linspace(0.0, 1.0, int(n_steps))
    P = (1 - w)[:, None] * a[None] + w[:, None] * b[None]
    return w, P, _series_dist(P, X, metric, n_times).argmin(axis=1)


def semantic_tree(centers, *, metric="euclidean", n_times=None):
    """Minimum spanning tree of the complete graph of centroid distances.

    Parameters
    ----------
    centers : array-like of shape (n_clusters, n_features)
    metric : {"euclidean", "series"}, default="euclidean"
        Distance between centroids (see the module docstring).
    n_times : int or None, default=None
        Dates per series; needed by ``metric="series"``.

    Returns
    -------
    edges : ndarray of shape (n_clusters - 1, 2)
        Pairs of cluster indices joined in the tree (``i < j``), sorted by weight.
    weights : ndarray of shape (n_clusters - 1,)
        Distance between the joined centroids.

    Examples
    --------
    >>> edges, w = semantic_tree([[0.0], [1.0], [5.0]])
    >>> edges.tolist(), w.tolist()
    ([[0, 1], [1, 2]], [1.0, 4.0])
    """
    C = check_array(centers, dtype=np.float64, ensure_min_samples=1)
    D = _series_dist(C, C, metric, n_times)
    np.fill_diagonal(D, 0.0)
    k = len(C)
    # Prim's algorithm on the dense distance matrix (k is the number of clusters, small)
    in_tree = np.zeros(k, dtype=bool)
    in_tree[0] = True
    best = D[0].copy()
    parent = np.zeros(k, dtype=np.int64)
    edges, weights = [], []
    for _ in range(k - 1):
        cand = np.where(in_tree, np.inf, best)
        j = int(np.argmin(cand))
        edges.append(sorted((int(parent[j]), j)))
        weights.append(float(best[j]))
        in_tree[j] = True
        closer = D[j] < best
        best = np.where(closer, D[j], best)
        parent = np.where(closer, j, parent)
    edges = np.asarray(edges, dtype=np.int64).reshape(-1, 2)
    weights = np.asarray(weights, dtype=np.float64)
    order = np.lexsort((edges[:, 1], edges[:, 0], weights)) if len(weights) else []
    return edges[order], weights[order]


def pca_colors(X, centers, *, random_state=None):
    """RGB colours of centroids from the first three principal components of all series.

    PCA is fitted on ``X``; each component of the projected centroids is min-max scaled to
    ``[0, 1]`` over the centroids (a constant component gives 0.5), so similar clusters get
    similar colours.

    Parameters
    ----------
    X : array-like of shape (n_samples, n_features)
    centers : array-like of shape (n_clusters, n_features)
    random_state : int, RandomState or None, default=None
        For the randomized PCA solver on large inputs.

    Returns
    -------
    colors : ndarray of shape (n_clusters, 3) in [0, 1]
    """
    from sklearn.decomposition import PCA

    X = check_array(X, dtype=np.float64)
    C = _centers_from(X, None, centers)
    n_comp = min(3, X.shape[0], X.shape[1])
    proj = PCA(n_components=n_comp, random_state=random_state).fit(X).transform(C)
    out = np.full((len(C), 3), 0.5)
    lo, hi = proj.min(axis=0), proj.max(axis=0)
    span = np.where(hi > lo, hi - lo, 1.0)
    out[:, :n_comp] = np.where(hi > lo, (proj - lo) / span, 0.5)
    return out


def mds_projection(X, *, n_components=2, max_samples=None, metric="euclidean", n_times=None,
                   random_state=None, **mds_params):
    """Metric MDS projection of series (optionally of a random subsample).

    The projection is a deterministic function of ``X`` and ``random_state`` (an int, or a
    RandomState in the same state): the subsample and the SMACOF initialisation are drawn
    from it and nothing else.

    Parameters
    ----------
    X : array-like of shape (n_samples, n_features)
    n_components : int, default=2
    max_samples : int or None, default=None
        Project at most this many series, drawn at random (MDS costs O(n^2) memory).
    metric : {"euclidean", "series"}, default="euclidean"
        Dissimilarity between series (see the module docstring); MDS then runs on the
        precomputed dissimilarity matrix.
    n_times : int or None, default=None
        Dates per series; needed by ``metric="series"``.
    random_state : int, RandomState or None, default=None
    **mds_params
        Passed to :class:`sklearn.manifold.MDS`.

    Returns
    -------
    embedding : ndarray of shape (n_used, n_components)
    indices : ndarray of shape (n_used,)
        Rows of ``X`` that were projected.

    Examples
    --------
    >>> import numpy as np
    >>> from skstc.inspection import mds_projection
    >>> X = np.random.RandomState(0).rand(20, 6)
    >>> E1, _ = mds_projection(X, metric="series", n_times=3, random_state=0)
    >>> E2, _ = mds_projection(X, metric="series", n_times=3, random_state=0)
    >>> E1.shape, bool((E1 == E2).all())
    ((20, 2), True)
    """
    import inspect

    from sklearn.manifold import MDS

    from .utils._random import local_random_state

    X = check_array(X, dtype=np.float64)
    rng = local_random_state(random_state)
    idx = np.arange(X.shape[0])
    if max_samples is not None and X.shape[0] > max_samples:
        idx = np.sort(rng.choice(X.shape[0], int(max_samples), replace=False))
    D = _series_dist(X[idx], X[idx], metric, n_times)
    D = (D + D.T) / 2
    np.fill_diagonal(D, 0.0)
    params = {"n_init": 1, "max_iter": 300}
    sig = inspect.signature(MDS).parameters
    if "init" in sig:
        params["init"] = "random"
    # scikit-learn >= 1.8 names the dissimilarity ``metric``; before, ``dissimilarity``
    if "metric_mds" in sig:
        params["metric"] = "precomputed"
    else:
        params["dissimilarity"] = "precomputed"
    params.update(mds_params)
    seed = int(rng.randint(np.iinfo(np.int32).max))
    mds = MDS(n_components=n_components, random_state=seed, **params)
    return mds.fit_transform(D), idx


# ---- choosing the number of clusters --------------------------------------------------------
def _check_k_range(n_clusters):
    """Sorted array of the distinct candidate ``n_clusters``, with clear errors."""
    if isinstance(n_clusters, numbers.Integral):
        raise TypeError(f"n_clusters must be a sequence of candidate values such as "
                        f"range(2, 11), got the single value {n_clusters!r}.")
    try:
        values = list(n_clusters)
    except TypeError as exc:
        raise TypeError(f"n_clusters must be a sequence of ints such as range(2, 11), got "
                        f"{n_clusters!r}.") from exc
    if not values:
        raise ValueError("n_clusters is empty: give at least one candidate, e.g. range(2, 11).")
    bad = [v for v in values if not isinstance(v, numbers.Integral) or isinstance(v, bool)]
    if bad:
        raise TypeError(f"n_clusters must hold ints, got {bad[:3]!r}.")
    ks = np.array(values, dtype=np.int64)
    if ks.min() < 1:
        raise ValueError(f"n_clusters must be >= 1, got {ks.min()}.")
    if len(np.unique(ks)) != len(ks):
        raise ValueError(f"n_clusters has repeated values: {values!r}.")
    return np.sort(ks)


def _knee(ks, inertia):
    """Knee of a decreasing within-cluster error curve (Kneedle's rule, Satopaa et al. 2011).

    Both axes are min-max scaled to [0, 1]; the knee is the k where the curve lies farthest
    below the chord from its first to its last point. None with fewer than three finite
    points or a curve that never lies below its chord (no elbow).
    """
    ks = np.asarray(ks, dtype=float)
    y = np.asarray(inertia, dtype=float)
    ok = np.isfinite(y)
    ks, y = ks[ok], y[ok]
    if len(ks) < 3 or y.max() <= y.min():
        return None
    xn = (ks - ks[0]) / (ks[-1] - ks[0])
    yn = (y - y.min()) / (y.max() - y.min())
    chord = yn[0] + (yn[-1] - yn[0]) * xn
    gap = chord - yn
    i = int(np.argmax(gap))
    return int(ks[i]) if gap[i] > 0 else None


def _space_of(estimator, space):
    if space == "auto":
        own = type(estimator).__module__.startswith("skstc.")
        return "transform" if own and hasattr(estimator, "transform") else "input"
    if space not in ("transform", "input"):
        raise ValueError(f"space must be 'auto', 'transform' or 'input', got {space!r}.")
    return space


def _reuses_embedding(estimator, reuse_embedding):
    """Whether the scan may fit the encoder once per seed and re-cluster its embedding."""
    from ._tile2vec import Tile2VecSeriesKMeans

    exact = isinstance(estimator, Tile2VecSeriesKMeans) and (
        not estimator.refine or estimator.representation == "pixel_mean")
    if reuse_embedding == "auto":
        return exact
    if reuse_embedding is True and not exact:
        raise ValueError(
            f"reuse_embedding=True needs an estimator whose embedding does not depend on "
            f"n_clusters (Tile2VecSeriesKMeans with refine=False or "
            f"representation='pixel_mean'); {type(estimator).__name__} learns it with the "
            f"clusters. Use reuse_embedding='auto' or False.")
    if reuse_embedding not in (True, False):
        raise ValueError(f"reuse_embedding must be 'auto', True or False, got "
                         f"{reuse_embedding!r}.")
    return bool(reuse_embedding)


def _within_ss(model, Z, labels, centers=None):
    """The model's own within-cluster error (``inertia_``), else the sum of squared distances
    of ``Z`` to ``centers`` or the model's centres (``cluster_centers_`` in the space of
    ``Z``), else to the cluster means."""
    inertia = getattr(model, "inertia_", None)
    if inertia is not None:
        return float(inertia)
    n = int((labels >= 0).sum())
    if n == 0:
        return 0.0
    if centers is None:
        centers = getattr(model, "cluster_centers_", None)
    if centers is not None:
        centers = np.asarray(centers, dtype=np.float64)
        if not (centers.ndim == 2 and centers.shape[1] == Z.shape[1]
                and labels.max() < len(centers)):
            centers = None
    return kmeans_error(Z, labels, centers) * n


def _silhouette(Z, labels, sample_size, seed):
    from sklearn.metrics import silhouette_score

    ok = labels >= 0
    n_labels = len(np.unique(labels[ok]))
    if n_labels < 2 or n_labels > ok.sum() - 1:
        return np.nan
    if sample_size is None or sample_size >= ok.sum():
        return float(silhouette_score(Z[ok], labels[ok]))
    rows = np.random.RandomState(seed).choice(np.flatnonzero(ok), int(sample_size),
                                              replace=False)
    if not 2 <= len(np.unique(labels[rows])) <= len(rows) - 1:
        return np.nan          # the subsample holds a single cluster: undefined
    return float(silhouette_score(Z[rows], labels[rows]))


def _as_rows(values, what):
    arr = np.asarray(values)
    if arr.ndim != 2:
        raise ValueError(f"the {what} must be 2-D (n_samples, n_features), got shape "
                         f"{arr.shape}; pass space='transform' for an estimator that embeds "
                         f"its input.")
    return arr.astype(np.float64, copy=False)


def _scan_seed(estimator, X, y, ks, seed, space, reuse, sample_size, verbose, fit_params):
    """Fit ``estimator`` for every k of ``ks`` with one seed; per-k records."""
    from ._clustering import cluster_centers, fit_clusterer
    from ._training import _emit, format_seconds

    name = type(estimator).__name__
    records = []
    model = Z = None
    for k in ks:
        t0 = time.perf_counter()
        if model is None or not reuse:
            model = clone(estimator).set_params(n_clusters=int(k), random_state=seed)
            model.fit(X, y, **fit_params) if y is not None else model.fit(X, **fit_params)
            labels = getattr(model, "labels_", None)
            labels = np.asarray(model.predict(X) if labels is None else labels)
            Z = _as_rows(model.transform(X) if space == "transform" else X,
                         "transform output" if space == "transform" else "input X")
            scored, centers = model, None
        else:  # the same encoder; only the clusterer sees k (Tile2VecSeriesKMeans._fit_clusterer)
            est = clone(model.clusterer_)
            if "n_clusters" in est.get_params():
                est.set_params(n_clusters=int(k))
            labels = fit_clusterer(est, Z, model.n_threads)
            scored, centers = None, cluster_centers(est, Z, labels, int(k))
        labels = labels.astype(np.int64).ravel()
        if labels.shape[0] != Z.shape[0]:
            raise ValueError(f"{name} gives {labels.shape[0]} labels for {Z.shape[0]} rows of "
                             f"its representation; choose the space that the labels index.")
        inertia = _within_ss(scored, Z, labels, centers)
        sil = _silhouette(Z, labels, sample_size, seed)
        dt = time.perf_counter() - t0
        _emit(verbose, logging.INFO, f"[choose_n_clusters] {name} n_clusters={k} "
              f"random_state={seed}: {format_seconds(dt)}, inertia {inertia:.4g}, "
              f"silhouette {sil:.3f}")
        records.append({"k": int(k), "labels": labels, "inertia": inertia,
                        "silhouette": sil, "fit_time": dt})
    return records


def choose_n_clusters(estimator, X, y=None, *, n_clusters=range(2, 11), n_seeds=3,
                      space="auto", sample_size=None, stability_threshold=0.8,
                      reuse_embedding="auto", n_jobs=None, verbose=0, random_state=None,
                      **fit_params):
    """Scan the number of clusters: elbow, silhouette and stability across seeds.

    For each candidate k and each of ``n_seeds`` seeds, ``estimator`` is cloned with
    ``n_clusters=k`` and ``random_state=seed`` and fitted on ``X``. Per k the scan reports

    * ``inertia``: the within-cluster sum of squares, the estimator's own ``inertia_`` when
      it has one, else the squared distances of the representation (see ``space``) to the
      estimator's ``cluster_centers_`` (e.g. DeepSpatiotemporalClustering's centres in its
      latent space), else to the cluster means; the elbow of this curve is the ``knee``;
    * ``silhouette``: :func:`sklearn.metrics.silhouette_score` of the labels in the
      representation the estimator clusters (higher is better, in [-1, 1]);
    * ``stability``: the mean adjusted Rand index between the labellings of every pair of
      seeds (1.0: every seed finds the same partition).

    Read more in :doc:`/choosing_k`.

    Parameters
    ----------
    estimator : estimator
        An unfitted clusterer with ``n_clusters`` and ``random_state`` parameters (any skstc
        clusterer, :class:`~sklearn.cluster.KMeans`, ...); never modified. Labels are its
        ``labels_`` after ``fit`` (``predict(X)`` when it has none).
    X : array-like or xarray object
        Training input, as ``estimator.fit`` takes it.
    y : array-like or None, default=None
        Passed to ``fit`` when not None (partial labels of a semi-supervised estimator).
    n_clusters : sequence of int, default=range(2, 11)
        Candidate numbers of clusters (distinct, >= 1). The knee needs three or more.
    n_seeds : int, default=3
        Fits per k, each with its own seed; stability needs two or more.
    space : {"auto", "transform", "input"}, default="auto"
        The representation in which inertia (when the estimator has no ``inertia_``) and
        silhouette are measured, which should be the one the estimator clusters:
        ``"transform"`` is the fitted estimator's ``transform(X)`` (the learnt embedding of
        the skstc estimators), ``"input"`` is ``X`` itself (2-D). ``"auto"`` is
        ``"transform"`` for skstc estimators and ``"input"`` otherwise (the ``transform`` of
        :class:`~sklearn.cluster.KMeans` gives distances to centres, not what it clusters).
    sample_size : int or None, default=None
        Silhouette on a random subsample of this many rows (the silhouette costs O(n^2));
        None uses all rows.
    stability_threshold : float, default=0.8
        A k is stable when its stability reaches this value; ``suggested_k`` is chosen
        among the stable k.
    reuse_embedding : {"auto", True, False}, default="auto"
        Fit the encoder once per seed and re-cluster its embedding for every k. Only for an
        estimator whose embedding does not depend on ``n_clusters``:
        :class:`~skstc.Tile2VecSeriesKMeans` with ``refine=False`` or
        ``representation="pixel_mean"``, where its encoder training draws the same random
        numbers whatever k is, so re-clustering with the fitted clusterer's seed gives the
        labels a full fit with that k gives. ``"auto"`` reuses it exactly there; True raises
        for other estimators; False always refits.
    n_jobs : int or None, default=None
        Fits run in parallel in joblib's worker processes (loky; one task per (k, seed), or
        per seed when the embedding is reused); None is 1 unless in a
        :func:`joblib.parallel_config` context that sets ``n_jobs``. Each worker's torch,
        BLAS and OpenMP threads are limited to one; an estimator with ``n_threads`` above 1
        is refused with ``n_jobs`` above 1.
    verbose : int, default=0
        With ``verbose >= 1`` a line per fit is printed; the lines are also logged at INFO
        level on the ``"skstc"`` logger.
    random_state : int, RandomState instance or None, default=None
        Draws the ``n_seeds`` seeds, the same seeds for every k.
    **fit_params : dict
        Passed to ``estimator.fit``.

    Returns
    -------
    result : :class:`~sklearn.utils.Bunch`
        With keys

        - ``table``: a :class:`pandas.DataFrame` with one row per k and the columns
          ``n_clusters``, ``inertia`` and ``inertia_std``, ``silhouette`` and
          ``silhouette_std`` (mean and standard deviation over seeds), ``stability``
          (NaN with one seed) and ``fit_time`` (mean seconds per fit; with a reused
          embedding the encoder's training counts for the smallest k only);
        - ``suggested_k``: the k with the highest mean silhouette among the stable k (all k
          when none is stable or with one seed), or the knee when no silhouette is defined;
        - ``knee_k``: the elbow of the mean inertia by Kneedle's rule (the k where the
          min-max scaled curve lies farthest below its chord), or None;
        - ``silhouette_k``: the k with the highest mean silhouette, or None;
        - ``stable``: the stable k;
        - ``labels``: dict mapping each k to an array of shape (n_seeds, n_samples) of the
          labels of every seed;
        - ``seeds``: the seeds used, ``reused_embedding``: whether the embedding was reused,
          ``stability_threshold``.

    See Also
    --------
    skstc.plotting.plot_choose_k : Draw the three curves with the suggestions.

    Examples
    --------
    >>> from sklearn.cluster import KMeans
    >>> from sklearn.datasets import make_blobs
    >>> from skstc.inspection import choose_n_clusters
    >>> X, _ = make_blobs(n_samples=300, centers=4, random_state=0)
    >>> result = choose_n_clusters(KMeans(n_init=3), X, n_clusters=range(2, 8), random_state=0)
    >>> result.suggested_k, result.knee_k
    (4, 4)
    >>> result.table.columns.tolist()
    ['n_clusters', 'inertia', 'inertia_std', 'silhouette', 'silhouette_std', 'stability',
     'fit_time']
    """
    import pandas as pd
    from joblib import Parallel, delayed, effective_n_jobs, parallel_config

    from .utils._random import draw_seed, local_random_state

    ks = _check_k_range(n_clusters)
    if (not isinstance(n_seeds, numbers.Integral) or isinstance(n_seeds, bool)
            or n_seeds < 1):
        raise ValueError(f"n_seeds must be an int >= 1, got {n_seeds!r}.")
    if sample_size is not None and (not isinstance(sample_size, numbers.Integral)
                                    or sample_size < 2):
        raise ValueError(f"sample_size must be None or an int >= 2, got {sample_size!r}.")
    if not 0 <= stability_threshold <= 1:
        raise ValueError(f"stability_threshold must be in [0, 1], got {stability_threshold!r}.")
    params = estimator.get_params(deep=False)
    missing = [p for p in ("n_clusters", "random_state") if p not in params]
    if missing:
        raise ValueError(f"{type(estimator).__name__} has no {' or '.join(missing)} "
                         "parameter: choose_n_clusters clones it with n_clusters=k and "
                         "random_state=seed.")
    space = _space_of(estimator, space)
    reuse = _reuses_embedding(estimator, reuse_embedding)
    jobs = effective_n_jobs(n_jobs)
    if jobs > 1 and (params.get("n_threads") or 1) > 1:
        raise ValueError(f"n_threads={params['n_threads']} with n_jobs={n_jobs}: each "
                         "parallel fit would start several torch threads; set n_threads=1 "
                         "(or None) or n_jobs=1.")
    rng = local_random_state(random_state)
    seeds = [draw_seed(rng) for _ in range(n_seeds)]
    tasks = ([(ks, s) for s in seeds] if reuse else [([k], s) for k in ks for s in seeds])
    args = (space, reuse, sample_size, int(verbose or 0), fit_params)
    if jobs == 1:
        out = [_scan_seed(estimator, X, y, task_ks, s, *args) for task_ks, s in tasks]
    else:
        with parallel_config(backend="loky", inner_max_num_threads=1):
            out = Parallel(n_jobs=n_jobs)(delayed(_scan_seed)(estimator, X, y, task_ks, s, *args)
                                          for task_ks, s in tasks)
    by_k = {int(k): [] for k in ks}
    for (_, s), records in zip(tasks, out):
        for rec in records:
            by_k[rec["k"]].append(dict(rec, seed=s))
    rows, labels = [], {}
    for k in ks:
        recs = sorted(by_k[int(k)], key=lambda r: seeds.index(r["seed"]))
        labels[int(k)] = np.stack([r["labels"] for r in recs])
        inertia = np.array([r["inertia"] for r in recs])
        sil = np.array([r["silhouette"] for r in recs])
        if n_seeds > 1:
            from sklearn.metrics import adjusted_rand_score

            stability = float(np.mean([adjusted_rand_score(a, b) for a, b in
                                       combinations(labels[int(k)], 2)]))
        else:
            stability = np.nan
        rows.append({"n_clusters": int(k), "inertia": inertia.mean(),
                     "inertia_std": inertia.std(),
                     "silhouette": np.nan if np.isnan(sil).all() else np.nanmean(sil),
                     "silhouette_std": np.nan if np.isnan(sil).all() else np.nanstd(sil),
                     "stability": stability,
                     "fit_time": float(np.mean([r["fit_time"] for r in recs]))})
    table = pd.DataFrame(rows)
    knee = _knee(table["n_clusters"], table["inertia"])
    sil = table["silhouette"].to_numpy()
    has_sil = np.isfinite(sil)
    silhouette_k = int(ks[np.nanargmax(sil)]) if has_sil.any() else None
    stable_mask = table["stability"].to_numpy() >= stability_threshold
    stable = [int(k) for k in ks[stable_mask]]
    candidates = stable_mask & has_sil
    if not candidates.any():
        candidates = has_sil
    if candidates.any():
        suggested = int(ks[candidates][np.argmax(sil[candidates])])
    else:
        suggested = knee
    return Bunch(table=table, suggested_k=suggested, knee_k=knee, silhouette_k=silhouette_k,
                 stable=stable, labels=labels, seeds=seeds, reused_embedding=reuse,
                 stability_threshold=float(stability_threshold))
