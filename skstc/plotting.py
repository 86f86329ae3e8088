"""Figures of the three methods: label maps, training curves, cluster series, composites.

matplotlib is an optional dependency (``pip install skstc[plot]``), imported inside each
function. Every function draws on the given axes (a new figure when None) and returns them,
so figures compose: pass ``fig.subplots(...)`` axes to draw several panels.

* maps: :func:`plot_label_maps`, :func:`plot_truth_and_clusters` (reference and clusters in
  one Hungarian-matched colour scheme);
* training: :func:`plot_history` (the ``history_`` of any estimator);
* clusters: :func:`plot_cluster_series` (mean series with spread),
  :func:`plot_composites` (regime composites), :func:`plot_label_confusion` (augmented
  labels against the truth);
* Tile2Vec analysis: :func:`plot_mds`, :func:`plot_semantic_tree`;
* the number of clusters: :func:`plot_choose_k` (the scan of
  :func:`skstc.inspection.choose_n_clusters`).
"""

import numpy as np

__all__ = [
    "plot_choose_k",
    "plot_cluster_series",
    "plot_composites",
    "plot_history",
    "plot_label_confusion",
    "plot_label_maps",
    "plot_mds",
    "plot_semantic_tree",
    "plot_truth_and_clusters",
]


def _plt():
    try:
        import matplotlib.pyplot as plt
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise ImportError("skstc.plotting needs matplotlib: pip install 'skstc[plot]'.") from exc
    return plt


def _palette(n):
    """``n`` distinguishable RGB colours (tab10, tab20, then evenly spaced hues)."""
    from matplotlib import colormaps

    if n <= 10:
        cmap = colormaps["tab10"]
        return np.array([cmap(i)[:3] for i in range(n)])
    if n <= 20:
        cmap = colormaps["tab20"]
        return np.array([cmap(i)[:3] for i in range(n)])
    cmap = colormaps["hsv"]
    return np.array([cmap(i / n)[:3] for i in range(n)])


def _rgba(labels, colors):
    """RGBA image of integer labels; ``-1`` is transparent."""
    labels = np.asarray(labels)
    n = int(labels.max()) + 1 if labels.size and labels.max() >= 0 else 1
    colors = _palette(n) if colors is None else np.asarray(colors, dtype=float)
    if colors.shape[0] < n:
        raise ValueError(f"colors has {colors.shape[0]} rows for {n} clusters.")
    img = np.zeros(labels.shape + (4,))
    ok = labels >= 0
    img[ok, :3] = colors[labels[ok], :3]
    img[ok, 3] = 1.0
    return img


def _new_axes(n, size=3.4):
    _, axes = _plt().subplots(1, n, figsize=(size * n, size), squeeze=False)
    return list(axes[0])


def _extent(lm):
    """imshow extent of a DataArray map on 1-D y/x (or lat/lon) coordinates, else None."""
    if not hasattr(lm, "dims") or lm.ndim != 2:
        return None
    ydim, xdim = lm.dims
    if ydim not in lm.coords or xdim not in lm.coords:
        return None
    y, x = np.asarray(lm[ydim]), np.asarray(lm[xdim])
    if not (np.issubdtype(y.dtype, np.number) and np.issubdtype(x.dtype, np.number)):
        return None
    dx = (x[1] - x[0]) if x.size > 1 else 1.0
    dy = (y[1] - y[0]) if y.size > 1 else 1.0
    return (x[0] - dx / 2, x[-1] + dx / 2, y[-1] + dy / 2, y[0] - dy / 2)


def _legend_patches(ax, colors, names, **kwargs):
    from matplotlib.patches import Patch

    handles = [Patch(facecolor=c, edgecolor="0.3", label=n) for c, n in zip(colors, names)]
    kwargs.setdefault("loc", "upper left")
    kwargs.setdefault("bbox_to_anchor", (1.02, 1.0))
    kwargs.setdefault("fontsize", 8)
    kwargs.setdefault("frameon", False)
    return ax.legend(handles=handles, borderaxespad=0.0, **kwargs)


def plot_label_maps(label_maps, *, colors=None, titles=None, axes=None, legend=False):
    """Draw the coloured cluster map of each region.

    Parameters
    ----------
    label_maps : 2-D array, DataArray, or list of them
        Tile labels of each region (``-1`` drawn transparent). A DataArray with ``y``/``x``
        coordinates is drawn on them.
    colors : array-like of shape (n_clusters, 3) or None, default=None
        RGB per cluster in [0, 1] (e.g. :func:`skstc.inspection.pca_colors`); None uses a
        qualitative palette (tab10, tab20 beyond ten clusters).
    titles : list of str or None, default=None
    axes : sequence of matplotlib Axes or None, default=None
        One per map; None makes a new figure with one row of panels.
    legend : bool, default=False
        Add a legend naming each cluster's colour beside the last map.

    Returns
    -------
    axes : list of matplotlib Axes

    Examples
    --------
    >>> import numpy as np
    >>> from skstc.plotting import plot_label_maps
    >>> axes = plot_label_maps(np.array([[0, 1], [1, 2]]), legend=True)
    >>> axes[0].images[0].get_array().shape
    (2, 2, 4)
    """
    maps = label_maps if isinstance(label_maps, (list, tuple)) else [label_maps]
    axes = _new_axes(len(maps)) if axes is None else list(np.ravel(axes))
    n = max((int(np.max(np.asarray(m))) + 1 for m in maps if np.asarray(m).size), default=1)
    colors = _palette(n) if colors is None else np.asarray(colors, dtype=float)
    for i, (lm, ax) in enumerate(zip(maps, axes)):
        ax.imshow(_rgba(np.asarray(lm), colors), interpolation="nearest", extent=_extent(lm))
        ax.set_title(titles[i] if titles else (f"region {i}" if len(maps) > 1 else "clusters"))
        ax.set_xticks([])
        ax.set_yticks([])
    if legend:
        _legend_patches(axes[len(maps) - 1], colors[:n], [f"cluster {k}" for k in range(n)])
    return axes


def plot_truth_and_clusters(truth, clusters, *, class_names=None, axes=None,
                            titles=("reference", "clusters (matched)")):
    """Reference map and cluster map side by side in one matched colour scheme.

    Cluster ids are arbitrary: each cluster is renamed to the reference class it overlaps
    best under a one-to-one (Hungarian) matching (:func:`skstc.metrics.match_labels`) and
    drawn in that class's colour; clusters left without a class get colours of their own.
    One legend names every colour.

    Parameters
    ----------
    truth : array-like or DataArray of shape (n_rows, n_cols)
        Reference class of each cell (any non-negative integer codes; ``-1`` = no reference,
        drawn transparent and left out of the matching).
    clusters : array-like or DataArray of shape (n_rows, n_cols)
        Cluster of each cell (``-1`` transparent).
    class_names : dict of int to str or None, default=None
        Legend names of the reference codes (default ``"class <code>"``).
    axes : sequence of two matplotlib Axes or None, default=None
    titles : tuple of two str, default=("reference", "clusters (matched)")

    Returns
    -------
    axes : list of two matplotlib Axes

    Examples
    --------
    >>> import numpy as np
    >>> from skstc.plotting import plot_truth_and_clusters
    >>> truth = np.array([[3, 3], [8, 8]])
    >>> clusters = np.array([[1, 1], [0, 0]])      # cluster 1 is class 3, cluster 0 is 8
    >>> ax_t, ax_c = plot_truth_and_clusters(truth, clusters)
    >>> bool((ax_t.images[0].get_array() == ax_c.images[0].get_array()).all())
    True
    """
    from .metrics import match_labels

    t = np.asarray(truth)
    c = np.asarray(clusters)
    if t.shape != c.shape or t.ndim != 2:
        raise ValueError(f"truth and clusters must be 2-D maps of one shape, got {t.shape} "
                         f"and {c.shape}.")
    t = t.astype(np.int64)
    c = c.astype(np.int64)
    both = (t >= 0) & (c >= 0)
    matched_ok = match_labels(t[both], c[both]) if both.any() else np.empty(0, np.int64)
    mapping = dict(zip(c[both].tolist(), matched_ok.tolist()))
    classes = sorted(np.unique(t[t >= 0]).tolist())
    next_id = max(classes + list(mapping.values()) + [-1]) + 1
    for k in sorted(np.unique(c[c >= 0]).tolist()):
        if k not in mapping:
            mapping[k] = next_id
            next_id += 1
    matched = np.full(c.shape, -1, dtype=np.int64)
    for k, v in mapping.items():
        matched[c == k] = v
    ids = classes + sorted(set(mapping.values()) - set(classes))   # classes first
    position = {v: i for i, v in enumerate(ids)}
    colors = _palette(len(ids))

    def index_map(m):
        out = np.full(m.shape, -1, dtype=np.int64)
        for v, i in position.items():
            out[m == v] = i
        return out

    axes = _new_axes(2) if axes is None else list(np.ravel(axes))
    for ax, m, src, title in zip(axes, (t, matched), (truth, clusters), titles):
        ax.imshow(_rgba(index_map(m), colors), interpolation="nearest", extent=_extent(src))
        ax.set_title(title)
        ax.set_xticks([])
        ax.set_yticks([])
    names = dict(class_names or {})
    inverse = {}
    for k, v in mapping.items():
        inverse.setdefault(v, []).append(k)
    labels = []
    for v in ids:
        name = names.get(v, f"class {v}") if v in classes else "no class"
        members = inverse.get(v)
        labels.append(f"{name}: cluster {', '.join(map(str, members))}" if members
                      else f"{name}: no cluster")
    _legend_patches(axes[1], colors, labels)
    return axes


def plot_history(history, *, keys=("train_loss",), ax=None, log=False):
    """Training curves from an estimator's ``history_``, with the phases marked.

    Parameters
    ----------
    history : list of dict
        One record per epoch (``estimator.history_``); a ``phase`` key (``"pretrain"``,
        ``"cluster"``, ``"geographic"``, ``"refine"`` ...) splits the curve into phases.
    keys : sequence of str, default=("train_loss",)
        Record keys to draw (e.g. ``("train_loss", "recon", "kl")``); epochs without a key
        (a term that starts later) leave a gap.
    ax : matplotlib Axes or None, default=None
    log : bool, default=False
        Logarithmic y axis.

    Returns
    -------
    ax : matplotlib Axes

    Examples
    --------
    >>> from skstc.plotting import plot_history
    >>> hist = [{"phase": "pretrain", "train_loss": 2.0}, {"phase": "pretrain", "train_loss": 1.0},
    ...         {"phase": "cluster", "train_loss": 0.5}]
    >>> ax = plot_history(hist)
    >>> ax.lines[0].get_ydata().tolist()
    [2.0, 1.0, 0.5]
    """
    if ax is None:
        _, ax = _plt().subplots(figsize=(5, 3.2))
    history = list(history)
    if not history:
        raise ValueError("history is empty: fit the estimator first.")
    missing = [k for k in keys if not any(k in h for h in history)]
    if missing:
        available = sorted({k for h in history for k, v in h.items()
                            if isinstance(v, (int, float, np.number))})
        raise ValueError(f"history has no {missing}; numeric keys are {available}.")
    epochs = np.arange(1, len(history) + 1)
    for key in keys:
        values = np.array([float(h[key]) if h.get(key) is not None else np.nan
                           for h in history])
        ax.plot(epochs, values, marker="o", ms=3, label=key)
    phases = [h.get("phase") for h in history]
    starts = [i for i in range(len(phases)) if i == 0 or phases[i] != phases[i - 1]]
    if any(p is not None for p in phases):
        for i in starts:
            if i > 0:
                ax.axvline(i + 0.5, color="0.6", ls="--", lw=1)
            ax.text(i + 0.6, 1.0, str(phases[i]), transform=ax.get_xaxis_transform(),
                    va="bottom", ha="left", fontsize=8, color="0.3")
    if log:
        ax.set_yscale("log")
    ax.set_xlabel("epoch")
    ax.set_ylabel("loss" if len(keys) > 1 or "loss" in keys[0] else keys[0])
    ax.legend(fontsize=8)
    return ax


def plot_cluster_series(series, labels, *, time=None, spread="std", colors=None,
                        names=None, ax=None):
    """Mean series of each cluster with its spread.

    Parameters
    ----------
    series : array-like of shape (n_samples, n_timesteps) or DataArray (sample, time)
        One series per sample (e.g. each tile's NDVI, each object's area); a DataArray's
        second coordinate is used as ``time``. NaN (clouds) is left out of the statistics;
        a step missing in every member of a cluster is a gap in its line.
    labels : array-like of shape (n_samples,)
        Cluster (or class) of each sample; ``-1`` is left out.
    time : array-like of shape (n_timesteps,) or None, default=None
        x values (dates or step numbers).
    spread : {"std", "quartiles", None}, default="std"
        Band drawn around the mean: mean +- one standard deviation, the 25-75 % quantiles,
        or none.
    colors : array-like of shape (n_clusters, 3) or None, default=None
    names : list of str or None, default=None
        Legend names per cluster (default ``"cluster k (n=...)"``).
    ax : matplotlib Axes or None, default=None

    Returns
    -------
    ax : matplotlib Axes

    Examples
    --------
    >>> import numpy as np
    >>> from skstc.plotting import plot_cluster_series
    >>> X = np.array([[0.0, 1.0], [2.0, 3.0], [10.0, 10.0]])
    >>> ax = plot_cluster_series(X, [0, 0, 1])
    >>> ax.lines[0].get_ydata().tolist(), len(ax.collections)
    ([1.0, 2.0], 2)
    """
    if ax is None:
        _, ax = _plt().subplots(figsize=(5.5, 3.2))
    if time is None and hasattr(series, "dims") and series.ndim == 2:
        tdim = series.dims[1]
        if tdim in series.coords:
            time = np.asarray(series[tdim].values)
    X = np.asarray(series, dtype=float)
    labels = np.asarray(labels)
    if X.ndim != 2 or len(X) != len(labels):
        raise ValueError(f"series must be (n_samples, n_timesteps) with one label per row, "
                         f"got shapes {X.shape} and {labels.shape}.")
    if spread not in ("std", "quartiles", None):
        raise ValueError(f"spread must be 'std', 'quartiles' or None, got {spread!r}.")
    t = np.arange(X.shape[1]) if time is None else np.asarray(time)
    ks = sorted(np.unique(labels[labels >= 0]).tolist())
    n = (max(ks) + 1) if ks else 1
    colors = _palette(n) if colors is None else np.asarray(colors, dtype=float)
    for k in ks:
        rows = X[labels == k]
        seen = np.isfinite(rows)
        count = seen.sum(axis=0)
        has = count > 0                       # steps where every member is missing: a gap
        safe = np.where(has, count, 1)
        mean = np.where(has, np.where(seen, rows, 0.0).sum(axis=0) / safe, np.nan)
        name = names[k] if names is not None else f"cluster {k} (n={len(rows)})"
        ax.plot(t, mean, color=colors[k], lw=1.8, label=name)
        if spread == "std":
            sd = np.sqrt(np.where(seen, (rows - mean) ** 2, 0.0).sum(axis=0) / safe)
            lo, hi = mean - sd, mean + sd
        elif spread == "quartiles":
            lo = np.full(X.shape[1], np.nan)
            hi = np.full(X.shape[1], np.nan)
            if has.any():
                lo[has], hi[has] = np.nanpercentile(rows[:, has], [25, 75], axis=0)
        if spread is not None:
            ax.fill_between(t, lo, hi, color=colors[k], alpha=0.2, lw=0)
    if np.issubdtype(t.dtype, np.datetime64):
        ax.tick_params(axis="x", labelrotation=30)   # dates are long: keep them apart
    ax.set_xlabel("time")
    ax.set_ylabel("value")
    ax.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.02, 1.0), frameon=False)
    return ax


def plot_composites(composites, *, axes=None, anomaly=False, cmap=None, title=None,
                    frequency=None):
    """One map per regime (cluster) of a composite field, on one colour scale.

    Parameters
    ----------
    composites : array-like of shape (n_regimes, n_lat, n_lon) or DataArray
        Mean field of each regime (e.g. ``fields.groupby(labels).mean("time")``); a
        DataArray's last two coordinates give the map extent and its first dim the panels.
    axes : sequence of matplotlib Axes or None, default=None
        One per regime; None makes a new row of panels.
    anomaly : bool, default=False
        Draw each composite minus the mean of the composites, on a diverging scale centred
        on zero.
    cmap : str or None, default=None
        ``"RdBu_r"`` for anomalies, ``"viridis"`` otherwise.
    title : str or None, default=None
        Prefix of the panel titles (e.g. the variable name).
    frequency : array-like of shape (n_regimes,) or None, default=None
        Fraction of the time steps in each regime, shown in the titles.

    Returns
    -------
    axes : list of matplotlib Axes
        The images share one colour scale (``ax.images[0].get_clim()``) and one colour bar.

    Examples
    --------
    >>> import numpy as np
    >>> from skstc.plotting import plot_composites
    >>> axes = plot_composites(np.arange(12.0).reshape(3, 2, 2))
    >>> [ax.images[0].get_clim() for ax in axes] == [(0.0, 11.0)] * 3
    True
    """
    C = np.asarray(composites, dtype=float)
    if C.ndim != 3:
        raise ValueError(f"composites must be (n_regimes, n_lat, n_lon), got shape {C.shape}.")
    k = C.shape[0]
    if frequency is None and hasattr(composites, "coords") and "frequency" in composites.coords:
        frequency = np.asarray(composites["frequency"])
    if anomaly:
        C = C - np.nanmean(C, axis=0, keepdims=True)
        vmax = float(np.nanmax(np.abs(C))) or 1.0
        vmin, cmap = -vmax, cmap or "RdBu_r"
    else:
        vmin, vmax, cmap = float(np.nanmin(C)), float(np.nanmax(C)), cmap or "viridis"
    extent, origin = None, "upper"
    if hasattr(composites, "dims"):
        ydim, xdim = composites.dims[-2:]
        if ydim in composites.coords and xdim in composites.coords:
            y, x = np.asarray(composites[ydim]), np.asarray(composites[xdim])
            if y.size > 1 and x.size > 1:
                origin = "lower" if y[0] < y[-1] else "upper"
                extent = (x[0], x[-1], min(y[0], y[-1]), max(y[0], y[-1]))
    axes = _new_axes(k, size=2.6) if axes is None else list(np.ravel(axes))
    if len(axes) < k:
        raise ValueError(f"{k} composites need {k} axes, got {len(axes)}.")
    im = None
    for r, ax in enumerate(axes[:k]):
        im = ax.imshow(C[r], cmap=cmap, vmin=vmin, vmax=vmax, origin=origin, extent=extent,
                       interpolation="nearest")
        label = f"{title}: regime {r}" if title else f"regime {r}"
        if frequency is not None:
            label += f" ({100 * float(frequency[r]):.0f}%)"
        ax.set_title(label, fontsize=9)
        ax.set_xticks([])
        ax.set_yticks([])
    axes[0].figure.colorbar(im, ax=axes[:k], shrink=0.8,
                            label=("anomaly" if anomaly else (title or "value")))
    return axes[:k]


def plot_label_confusion(y_true, y_pred, *, class_names=None, ax=None, unlabelled=-1):
    """Confusion matrix of labels (e.g. LabelAugmenter's added labels) against the truth.

    Parameters
    ----------
    y_true : array-like of shape (n_samples,)
        True classes.
    y_pred : array-like of shape (n_samples,)
        Labels to check (e.g. ``augmenter.transduction_`` on the rows that had no label);
        rows where either is ``unlabelled`` are left out.
    class_names : list of str or None, default=None
        Names of the classes in sorted order.
    ax : matplotlib Axes or None, default=None
    unlabelled : int, default=-1

    Returns
    -------
    ax : matplotlib Axes
        The matrix (rows: true class, columns: given label) is ``ax.images[0]``, with the
        counts written in the cells and the precision in the title.

    Examples
    --------
    >>> from skstc.plotting import plot_label_confusion
    >>> ax = plot_label_confusion([0, 0, 1, 1, -1], [0, 1, 1, 1, 0])
    >>> ax.images[0].get_array().tolist()
    [[1, 1], [0, 2]]
    """
    from sklearn.metrics import confusion_matrix

    y_true, y_pred = np.asarray(y_true), np.asarray(y_pred)
    if y_true.shape != y_pred.shape or y_true.ndim != 1:
        raise ValueError(f"y_true and y_pred must be 1-D of one length, got {y_true.shape} "
                         f"and {y_pred.shape}.")
    keep = (y_true != unlabelled) & (y_pred != unlabelled)
    if not keep.any():
        raise ValueError("no row has both a true class and a label.")
    classes = np.unique(np.concatenate([y_true[keep], y_pred[keep]]))
    cm = confusion_matrix(y_true[keep], y_pred[keep], labels=classes)
    if ax is None:
        _, ax = _plt().subplots(figsize=(0.6 * len(classes) + 2.5, 0.6 * len(classes) + 2))
    ax.imshow(cm, cmap="Blues", vmin=0)
    threshold = cm.max() / 2.0
    for i in range(cm.shape[0]):
        for j in range(cm.shape[1]):
            ax.text(j, i, str(cm[i, j]), ha="center", va="center", fontsize=8,
                    color="white" if cm[i, j] > threshold else "black")
    names = list(class_names) if class_names is not None else [str(c) for c in classes]
    ax.set_xticks(range(len(classes)), names, rotation=45, ha="right")
    ax.set_yticks(range(len(classes)), names)
    ax.set_xlabel("given label")
    ax.set_ylabel("true class")
    ax.set_title(f"{int(keep.sum())} labels, precision {np.trace(cm) / cm.sum():.2f}",
                 fontsize=9)
    return ax


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
    if ax is None:
        _, ax = _plt().subplots(figsize=(4, 4))
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

    if ax is None:
        _, ax = _plt().subplots(figsize=(4, 4))
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


def plot_choose_k(result, *, axes=None):
    """Elbow, silhouette and stability against k, with the suggested k marked.

    Parameters
    ----------
    result : Bunch
        The result of :func:`skstc.inspection.choose_n_clusters`.
    axes : sequence of 3 matplotlib Axes or None, default=None
        Panels for inertia, silhouette and stability; a new 1 x 3 figure when None.

    Returns
    -------
    axes : list of 3 matplotlib Axes
        Inertia (the knee as a dotted line), mean silhouette and stability (the threshold as
        a dashed line) against k, each with the seeds' spread as error bars where it exists
        and ``suggested_k`` as a solid vertical line.

    Examples
    --------
    >>> from sklearn.cluster import KMeans
    >>> from sklearn.datasets import make_blobs
    >>> from skstc.inspection import choose_n_clusters
    >>> from skstc.plotting import plot_choose_k
    >>> X, _ = make_blobs(n_samples=200, centers=3, random_state=0)
    >>> result = choose_n_clusters(KMeans(n_init=2), X, n_clusters=range(2, 6), n_seeds=2,
    ...                            random_state=0)
    >>> ax_inertia, ax_silhouette, ax_stability = plot_choose_k(result)
    >>> ax_silhouette.get_title()
    'silhouette (higher is better)'
    """
    table = result["table"]
    if len(table) == 0:
        raise ValueError("result has an empty table: run choose_n_clusters first.")
    if axes is None:
        axes = _new_axes(3, size=3.2)
    axes = list(axes)
    if len(axes) != 3:
        raise ValueError(f"axes must hold 3 Axes (inertia, silhouette, stability), got "
                         f"{len(axes)}.")
    ks = table["n_clusters"].to_numpy()
    panels = [("inertia", "inertia_std", "within-cluster error (inertia)"),
              ("silhouette", "silhouette_std", "silhouette (higher is better)"),
              ("stability", None, "stability across seeds (mean ARI)")]
    for ax, (col, std, title) in zip(axes, panels):
        values = table[col].to_numpy(dtype=float)
        err = None if std is None else table[std].to_numpy(dtype=float)
        ax.errorbar(ks, values, yerr=err, marker="o", ms=4, capsize=3, color="C0",
                    label=col)
        ax.set_title(title, fontsize=10)
        ax.set_xlabel("number of clusters k")
        ax.set_ylabel(col)
        ax.set_xticks(ks)
        if result.get("suggested_k") is not None:
            ax.axvline(result["suggested_k"], color="C3", lw=1.5,
                       label=f"suggested k = {result['suggested_k']}")
    if result.get("knee_k") is not None:
        axes[0].axvline(result["knee_k"], color="0.3", ls=":", lw=1.5,
                        label=f"knee k = {result['knee_k']}")
    threshold = result.get("stability_threshold")
    if threshold is not None:
        axes[2].axhline(threshold, color="0.5", ls="--", lw=1,
                        label=f"stable (>= {threshold:g})")
        axes[2].set_ylim(min(-0.05, np.nanmin(table["stability"].to_numpy(float), initial=0)),
                         1.05)
    for ax in axes:
        ax.legend(fontsize=7)
    return axes
