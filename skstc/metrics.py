"""Clustering and semi-supervised metrics that complement :mod:`sklearn.metrics`."""

# --- shared ---

# --- MultimodalConstrainedAE / LabelAugmenter / MultimodalClassifier (issue 3) ---

# --- Tile2VecSeriesKMeans (issue 4) ---
def _t2v_grid_coords(label_map):
    import numpy as np

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
    from sklearn.metrics import silhouette_score

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
    from sklearn.metrics import calinski_harabasz_score

    coords, labels = _t2v_grid_coords(label_map)
    return float(calinski_harabasz_score(coords, labels))


def kmeans_error(X, labels, centers=None):
    """Mean squared Euclidean distance of each sample to its cluster centroid.

    Equals K-means inertia divided by ``n_samples``. Samples labelled ``-1`` are ignored.

    Parameters
    ----------
    X : array-like of shape (n_samples, n_features)
    labels : array-like of shape (n_samples,)
    centers : array-like of shape (n_clusters, n_features) or None, default=None
        Centroids indexed by label; None uses the mean of each cluster.

    Returns
    -------
    error : float

    Examples
    --------
    >>> kmeans_error([[0.0], [2.0], [10.0]], [0, 0, 1])
    0.6666666666666666
    """
    import numpy as np

    X = np.asarray(X, dtype=np.float64)
    labels = np.asarray(labels)
    if X.ndim != 2 or labels.shape != (X.shape[0],):
        raise ValueError(f"X must be 2-D and labels of shape ({len(X)},); got {X.shape} and "
                         f"{labels.shape}.")
    keep = labels >= 0
    X, labels = X[keep], labels[keep]
    if centers is None:
        ks = np.unique(labels)
        centers = np.zeros((ks.max() + 1, X.shape[1]))
        for k in ks:
            centers[k] = X[labels == k].mean(axis=0)
    centers = np.asarray(centers, dtype=np.float64)
    return float(((X - centers[labels]) ** 2).sum(axis=1).mean())


# --- DeepSpatiotemporalClustering (issue 5) ---
