"""Inspection of clustered series: representatives, interpolation, semantic tree, colours, MDS.

The analysis tools of the Tile2Vec series clustering paper, usable with any clustering of
series ``X`` of shape ``(n_samples, n_features)`` (e.g. ``Tile2VecSeriesKMeans.transform``
output with its ``labels_`` and ``cluster_centers_``).

Distances: every tool takes ``metric="euclidean"`` (Euclidean distance of the flattened
series) or ``metric="series"`` with ``n_times``, the paper's series distance (Eq. 3, the sum
over dates of per-date Euclidean distances, :func:`skstc.metrics.pairwise_series_distances`).
"""

import numpy as np
from sklearn.utils.validation import check_array

from .metrics import _series_dist

__all__ = [
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
