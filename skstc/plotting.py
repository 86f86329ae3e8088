"""Figures of the Tile2Vec series analysis: cluster maps, MDS scatter, semantic tree.

matplotlib is an optional dependency (``pip install skstc[plot]``), imported inside each
function. Every function draws on ``ax`` (a new figure when None) and returns the axes.
"""

import numpy as np

__all__ = ["plot_label_maps", "plot_mds", "plot_semantic_tree"]


def _plt():
    try:
        import matplotlib.pyplot as plt
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise ImportError("skstc.plotting needs matplotlib: pip install 'skstc[plot]'.") from exc
    return plt


def _rgba(labels, colors):
    """RGBA image of integer labels; ``-1`` is transparent."""
    labels = np.asarray(labels)
    n = int(labels.max()) + 1 if labels.size and labels.max() >= 0 else 1
    if colors is None:
        cmap = _plt().get_cmap("tab20" if n > 10 else "tab10")
        colors = np.array([cmap(i % cmap.N)[:3] for i in range(n)])
    colors = np.asarray(colors, dtype=float)
    if colors.shape[0] < n:
        raise ValueError(f"colors has {colors.shape[0]} rows for {n} clusters.")
    img = np.zeros(labels.shape + (4,))
    ok = labels >= 0
    img[ok, :3] = colors[labels[ok], :3]
    img[ok, 3] = 1.0
    return img


def plot_label_maps(label_maps, *, colors=None, titles=None, axes=None):
    """Draw the coloured cluster map of each region.

    Parameters
    ----------
    label_maps : 2-D array, DataArray, or list of them
        Tile labels of each region (``-1`` drawn transparent). A DataArray with ``y``/``x``
        coordinates is drawn on them.
    colors : array-like of shape (n_clusters, 3) or None, default=None
        RGB per cluster in [0, 1] (e.g. :func:`skstc.inspection.pca_colors`); None uses a
        qualitative colormap.
    titles : list of str or None, default=None
    axes : sequence of matplotlib Axes or None, default=None
        One per map; None makes a new figure with one row of panels.

    Returns
    -------
    axes : list of matplotlib Axes
    """
    plt = _plt()
    maps = label_maps if isinstance(label_maps, (list, tuple)) else [label_maps]
    if axes is None:
        _, axes = plt.subplots(1, len(maps), figsize=(3.2 * len(maps), 3.2), squeeze=False)
        axes = list(axes[0])
    axes = list(np.atleast_1d(axes))
    for i, (lm, ax) in enumerate(zip(maps, axes)):
        extent = None
        if hasattr(lm, "dims") and "x" in getattr(lm, "coords", {}) and "y" in lm.coords:
            x, y = np.asarray(lm["x"]), np.asarray(lm["y"])
            dx = (x[1] - x[0]) if x.size > 1 else 1.0
            dy = (y[1] - y[0]) if y.size > 1 else 1.0
            extent = (x[0] - dx / 2, x[-1] + dx / 2, y[-1] + dy / 2, y[0] - dy / 2)
        ax.imshow(_rgba(np.asarray(lm), colors), interpolation="nearest", extent=extent)
        ax.set_title(titles[i] if titles else f"region {i}")
        ax.set_xticks([])
        ax.set_yticks([])
    return axes


def plot_mds(embedding, labels, *, colors=None, ax=None, s=8):
    """Scatter of a 2-D MDS projection coloured by cluster.

    Parameters
    ----------
    embedding : array-like of shape (n_samples, 2)
        E.g. from :func:`skstc.inspection.mds_projection`.
    labels : array-like of shape (n_samples,)
    colors : array-like of shape (n_clusters, 3) or None, default=None
    ax : matplotlib Axes or None, default=None
    s : float, default=8
        Marker size.

    Returns
    -------
    ax : matplotlib Axes
    """
    plt = _plt()
    if ax is None:
        _, ax = plt.subplots(figsize=(4, 4))
    E = np.asarray(embedding, dtype=float)
    labels = np.asarray(labels)
    if E.ndim != 2 or E.shape[1] < 2 or len(E) != len(labels):
        raise ValueError("embedding must be (n_samples, 2) with one label per row.")
    rgba = _rgba(labels, colors)
    ax.scatter(E[:, 0], E[:, 1], c=rgba, s=s, linewidths=0)
    ax.set_xlabel("MDS 1")
    ax.set_ylabel("MDS 2")
    return ax


def plot_semantic_tree(centers, sizes, *, colors=None, ax=None, max_node_size=800,
                       metric="euclidean", n_times=None):
    """Draw the semantic tree (MST of centroid distances) with node area ~ cluster size.

    Node positions are the 2-D principal components of the centroids.

    Parameters
    ----------
    centers : array-like of shape (n_clusters, n_features)
    sizes : array-like of shape (n_clusters,)
        Number of tiles of each cluster.
    colors : array-like of shape (n_clusters, 3) or None, default=None
    ax : matplotlib Axes or None, default=None
    max_node_size : float, default=800
        Marker area of the largest cluster.
    metric : {"euclidean", "series"}, default="euclidean"
        Distance between centroids of the tree (see :func:`skstc.inspection.semantic_tree`).
    n_times : int or None, default=None
        Dates per series; needed by ``metric="series"``.

    Returns
    -------
    ax : matplotlib Axes
    """
    from .inspection import semantic_tree

    plt = _plt()
    if ax is None:
        _, ax = plt.subplots(figsize=(4, 4))
    C = np.asarray(centers, dtype=float)
    sizes = np.asarray(sizes, dtype=float)
    if len(sizes) != len(C):
        raise ValueError("sizes must have one entry per centroid.")
    Cc = C - C.mean(axis=0)
    if len(C) > 1:
        _, _, vt = np.linalg.svd(Cc, full_matrices=False)
        pos = Cc @ vt[:2].T
        if pos.shape[1] < 2:
            pos = np.column_stack([pos, np.zeros(len(pos))])
    else:
        pos = np.zeros((1, 2))
    edges, _ = semantic_tree(C, metric=metric, n_times=n_times)
    for i, j in edges:
        ax.plot(pos[[i, j], 0], pos[[i, j], 1], color="0.5", lw=1, zorder=1)
    rgba = _rgba(np.arange(len(C)), colors)
    area = max_node_size * sizes / max(sizes.max(), 1)
    ax.scatter(pos[:, 0], pos[:, 1], s=np.maximum(area, 10), c=rgba, edgecolors="k", zorder=2)
    for k, (x, y) in enumerate(pos):
        ax.annotate(str(k), (x, y), ha="center", va="center", fontsize=8, zorder=3)
    ax.set_xticks([])
    ax.set_yticks([])
    ax.set_title("semantic tree")
    return ax
