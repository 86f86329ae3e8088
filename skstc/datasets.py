"""Synthetic generators (``make_*``, with ground truth) and readers (``load_*``)."""

# --- shared ---

# --- MultimodalConstrainedAE / LabelAugmenter / MultimodalClassifier (issue 3) ---
import numbers  # noqa: E402

import numpy as np  # noqa: E402

WATER_BODY_CLASSES = ("farm_pond", "river_segment", "stable_lake", "seasonal_lake")


def _fill_levels(kind, n_timesteps, rng):
    """Monthly wet-area fraction in [0, 1] of one object for a temporal ``kind``.

    ``"intermittent"`` (farm ponds and river segments): full during a wet season of random
    length starting in the same month (+- 1) every year, empty otherwise. ``"annual"``
    (seasonal lakes): a sinusoidal annual cycle aligned with the calendar (+- 1 month).
    ``"slow"`` (stable lakes): the same range of levels as ``"annual"`` but changing
    over several years, so the two lake types have identically distributed fraction maps and
    differ only in their dynamics.
    """
    t = np.arange(n_timesteps)
    if kind == "intermittent":
        wet = rng.randint(4, 8)
        start = 5 + rng.randint(-1, 2)  # the wet season follows the calendar (+- 1 month)
        in_season = ((t - start) % 12) < wet
        level = np.where(in_season, rng.uniform(0.75, 1.0, n_timesteps),
                         rng.uniform(0.0, 0.08, n_timesteps))
    else:
        mean, amp = rng.uniform(0.6, 0.75), rng.uniform(0.2, 0.25)
        if kind == "annual":
            # calendar-aligned annual cycle (+- 1 month), as for lakes of one region
            phase = 2 * np.pi * rng.uniform(-1, 1) / 12
            level = mean + amp * np.sin(2 * np.pi * t / 12 + phase)
        else:
            # one slow cycle over the record, from a random phase: annual-free dynamics
            period = n_timesteps * rng.uniform(0.8, 1.2)
            phase = rng.uniform(0, 2 * np.pi)
            level = mean + amp * np.sin(2 * np.pi * t / period + phase)
        level = level + rng.normal(0, 0.02, n_timesteps)
    return np.clip(level, 0.0, 1.0)


def _depth_map(shape_kind, rng):
    """Depth map in [0, 1] of one object (1 = deepest, 0 = never wet); deepest fills first."""
    if shape_kind == "pond":  # small rectangle, flat bottom with steep banks
        h, w = rng.randint(10, 17), rng.randint(10, 17)
        yy, xx = np.mgrid[0:h, 0:w]
        dy = np.abs(yy - (h - 1) / 2) / (h / 2)
        dx = np.abs(xx - (w - 1) / 2) / (w / 2)
        depth = 1.0 - np.maximum(dy, dx)
    elif shape_kind == "river":  # long meandering strip
        h, w = rng.randint(12, 20), rng.randint(40, 64)
        yy, xx = np.mgrid[0:h, 0:w]
        amp = rng.uniform(0.15, 0.3) * h
        centre = (h - 1) / 2 + amp * np.sin(2 * np.pi * xx / w * rng.uniform(1, 2)
                                            + rng.uniform(0, 2 * np.pi))
        half_width = rng.uniform(0.15, 0.25) * h
        depth = 1.0 - np.abs(yy - centre) / (2 * half_width)
    else:  # lake: roundish blob with an irregular shore
        side = rng.randint(24, 41)
        yy, xx = np.mgrid[0:side, 0:side]
        c = (side - 1) / 2
        ang = np.arctan2(yy - c, xx - c)
        radius = 1.0 + sum(rng.uniform(0, 0.08) * np.cos(k * ang + rng.uniform(0, 2 * np.pi))
                           for k in (2, 3, 5))
        depth = 1.0 - np.hypot(yy - c, xx - c) / (side / 2) / radius
    return np.clip(depth, 0.0, 1.0)


_CLASS_DESIGN = {0: ("pond", "intermittent"), 1: ("river", "intermittent"),
                 2: ("lake", "slow"), 3: ("lake", "annual")}


def make_water_bodies(n_samples=400, *, n_timesteps=442, map_size=64, noise=0.02,
                      return_masks=False, random_state=None):
    """Synthetic water bodies with complementary spatial and temporal modalities.

    Four classes, as in ReaLSAT-based few-label classification: 0 farm pond, 1 river segment,
    2 stable lake, 3 seasonal lake. The modalities are complementary:

    * farm ponds and river segments have the **same dynamics** (an intermittent wet season
      each year) but **different shapes** (small rectangle vs long meandering strip);
    * stable and seasonal lakes have the **same shape** (a round lake with an irregular shore)
      and sweep the **same range of fill levels** (so their fraction maps are identically
      distributed) but **different dynamics** (a slow multi-year change vs an annual cycle).

    A spatial-only model therefore confuses the two lake types, a temporal-only model confuses
    ponds and rivers, and a model using both can separate all four.

    Each object is a stack of monthly masks (1 land, 2 water, 0 no data, with a fraction
    ``noise`` of pixels set to no data or flipped) of its own size; it is turned into the model
    input by :class:`skstc.preprocessing.FractionMapFeatures`.

    Parameters
    ----------
    n_samples : int, default=400
        Number of objects, split as evenly as possible over the four classes.
    n_timesteps : int, default=442
        Number of months (ReaLSAT: 442).
    map_size : int, default=64
        Side of the fraction maps.
    noise : float, default=0.02
        Fraction of mask pixels per month that are corrupted (half no data, half flipped).
    return_masks : bool, default=False
        Also return the list of raw mask stacks (memory: about ``n_timesteps * 1 kB`` per
        object).
    random_state : int, RandomState instance or None, default=None
        Seed; the global RNG is not used.

    Returns
    -------
    X : ndarray of shape (n_samples, map_size * map_size + n_timesteps)
        Fraction maps (flattened) followed by area series, float32.
    y : ndarray of shape (n_samples,)
        Class labels in ``{0, 1, 2, 3}`` (see ``WATER_BODY_CLASSES``).
    masks : list of ndarray of shape (n_timesteps, height, width), uint8
        Only when ``return_masks=True``.

    Examples
    --------
    >>> from skstc.datasets import make_water_bodies
    >>> X, y = make_water_bodies(8, n_timesteps=24, map_size=16, random_state=0)
    >>> X.shape, sorted(set(y.tolist()))
    ((8, 280), [0, 1, 2, 3])
    """
    from .preprocessing import FractionMapFeatures
    from .utils._random import local_random_state

    for name, val, low in (("n_samples", n_samples, 1), ("n_timesteps", n_timesteps, 1),
                           ("map_size", map_size, 1)):
        if not isinstance(val, numbers.Integral) or isinstance(val, bool) or val < low:
            raise ValueError(f"{name} must be an integer >= {low}, got {val!r}.")
    if not 0 <= noise < 1:
        raise ValueError(f"noise must be in [0, 1), got {noise!r}.")
    rng = local_random_state(random_state)
    y = np.arange(n_samples) % 4
    rng.shuffle(y)
    features = FractionMapFeatures(map_size=map_size)
    features.n_timesteps_ = n_timesteps
    X = np.empty((n_samples, map_size * map_size + n_timesteps), dtype=np.float32)
    masks = [] if return_masks else None
    for i, label in enumerate(y):
        shape_kind, dyn_kind = _CLASS_DESIGN[int(label)]
        depth = _depth_map(shape_kind, rng)
        level = _fill_levels(dyn_kind, n_timesteps, rng)
        # the level is the wet *area fraction*: the deepest pixels fill first, so the area
        # series depends on the dynamics only, never on the shape
        order = np.argsort(-(depth.ravel() + 1e-6 * rng.random_sample(depth.size)))
        rank = np.empty(depth.size, dtype=np.int64)
        rank[order] = np.arange(depth.size)
        n_wet = np.rint(level * np.count_nonzero(depth > 0)).astype(np.int64)
        water = rank.reshape(depth.shape)[None] < n_wet[:, None, None]
        stack = np.where(water, 2, 1).astype(np.uint8)
        if noise > 0:
            hit = rng.random_sample(stack.shape) < noise
            flip = rng.random_sample(stack.shape) < 0.5
            stack[hit & flip] = 3 - stack[hit & flip]
            stack[hit & ~flip] = 0
        X[i] = features.transform([stack])[0]
        if return_masks:
            masks.append(stack)
    if return_masks:
        return X, y, masks
    return X, y


def cut_objects(images, positions, window, *, map_reducer="mean", series_reducer="centre",
                pad_mode="edge"):
    """Cut objects (a spatial window + a time series) out of an image time series.

    Turns a gridded image time series and a set of object positions into the two modalities
    of :class:`skstc.MultimodalConstrainedAE`: for each object, a ``window x window`` map
    around its position and the series of the object through time. Used to build real-data
    objects from e.g. the Sinop MODIS cube or the Slovenia Sentinel-2 patch.

    Parameters
    ----------
    images : array-like of shape (n_timesteps, height, width) or DataArray
        Image time series (a DataArray must have dims ``(time, y, x)`` in some order, with
        ``time`` as the first or named dim). Missing values must be filled beforehand.
    positions : array-like of shape (n_objects, 2) of int
        ``(row, col)`` pixel position of each object's centre.
    window : int
        Odd side of the spatial window.
    map_reducer : {"mean", "median", "first"} or callable, default="mean"
        How the window's stack ``(n_timesteps, window, window)`` becomes one map: the temporal
        mean/median, the first image, or ``f(stack) -> (window, window)``.
    series_reducer : {"centre", "window_mean"}, default="centre"
        Series of the centre pixel, or the mean over the window at each time step.
    pad_mode : str, default="edge"
        :func:`numpy.pad` mode for windows crossing the image border.

    Returns
    -------
    maps : ndarray of shape (n_objects, window, window), float32
    series : ndarray of shape (n_objects, n_timesteps), float32

    Examples
    --------
    >>> import numpy as np
    >>> from skstc.datasets import cut_objects
    >>> images = np.arange(2 * 4 * 4, dtype=float).reshape(2, 4, 4)
    >>> maps, series = cut_objects(images, [[1, 1], [3, 0]], window=3)
    >>> maps.shape, series.tolist()
    ((2, 3, 3), [[5.0, 21.0], [12.0, 28.0]])
    """
    from .utils._xarray import is_xarray

    if is_xarray(images):
        dims = images.dims
        if "time" in dims:
            images = images.transpose("time", ...)
        images = images.values
    images = np.asarray(images, dtype=np.float32)
    if images.ndim != 3:
        raise ValueError(
            f"images must have shape (n_timesteps, height, width), got {images.shape}.")
    if not np.isfinite(images).all():
        raise ValueError("images contains NaN or infinity; fill missing values first.")
    positions = np.asarray(positions)
    if positions.ndim != 2 or positions.shape[1] != 2 or positions.dtype.kind not in "iu":
        raise ValueError(
            f"positions must be integer (row, col) pairs of shape (n_objects, 2), got "
            f"shape {positions.shape} dtype {positions.dtype}.")
    _, height, width = images.shape
    if ((positions < 0).any() or (positions[:, 0] >= height).any()
            or (positions[:, 1] >= width).any()):
        raise ValueError(f"positions must lie inside the {height}x{width} image.")
    if not isinstance(window, numbers.Integral) or window < 1 or window % 2 == 0:
        raise ValueError(f"window must be a positive odd integer, got {window!r}.")
    half = window // 2
    padded = np.pad(images, [(0, 0), (half, half), (half, half)], mode=pad_mode)
    # (n_objects, window, window) index grids into the padded image
    off = np.arange(window)
    rows = positions[:, 0, None] + off[None]
    cols = positions[:, 1, None] + off[None]
    # stacks: (n_objects, n_timesteps, window, window)
    stacks = padded[:, rows[:, :, None], cols[:, None, :]].transpose(1, 0, 2, 3)
    if callable(map_reducer):
        maps = np.stack([np.asarray(map_reducer(s)) for s in stacks])
    elif map_reducer == "mean":
        maps = stacks.mean(axis=1)
    elif map_reducer == "median":
        maps = np.median(stacks, axis=1)
    elif map_reducer == "first":
        maps = stacks[:, 0]
    else:
        raise ValueError(
            f"map_reducer must be 'mean', 'median', 'first' or a callable, got {map_reducer!r}.")
    if series_reducer == "centre":
        series = stacks[:, :, half, half]
    elif series_reducer == "window_mean":
        series = stacks.mean(axis=(2, 3))
    else:
        raise ValueError(
            f"series_reducer must be 'centre' or 'window_mean', got {series_reducer!r}.")
    return maps.astype(np.float32), np.ascontiguousarray(series, dtype=np.float32)


def load_sinop_objects(path, *, window=9, index="ndvi", stride=3, min_class_count=30,
                       random_state=None):
    """Objects cut from the Sinop MODIS cube: window maps, 392-step series, SVM labels.

    Every ``stride``-th pixel (away from the border) becomes an object; its label is the most
    frequent ``svm_class`` over the seasons (an SVM pseudo-label, not ground truth). The
    index is scaled by 1e-4 and its no-data values (-3000) are filled by linear interpolation
    in time. Classes with fewer than ``min_class_count`` objects are dropped.

    Parameters
    ----------
    path : str or path-like
        ``sinop_modis_2000_2017.nc``.
    window : int, default=9
        Side of the spatial window (odd).
    index : {"ndvi", "evi"}, default="ndvi"
        Which vegetation index to use.
    stride : int, default=3
        Spacing of the object grid, in pixels.
    min_class_count : int, default=30
        Classes with fewer objects are dropped.
    random_state : ignored
        Kept for signature symmetry with ``make_*``; the output is deterministic.

    Returns
    -------
    X : ndarray of shape (n_objects, window * window + 392)
        Maps (min-max scaled to [0, 1] over the cube) followed by the series (same scaling).
    y : ndarray of shape (n_objects,)
        Class codes of ``svm_class`` relabelled to ``0..n_classes-1``.
    class_codes : ndarray
        The original ``svm_class`` code of each label.
    """
    import xarray as xr

    from .preprocessing import stack_modalities

    with xr.open_dataset(path) as ds:
        cube = ds[index].transpose("time", "y", "x").values.astype(np.float32)
        svm = ds["svm_class"].transpose("season", "y", "x").values
    cube[cube <= -3000] = np.nan
    cube *= 1e-4
    cube = _interp_nan_time(cube)
    lo, hi = np.nanmin(cube), np.nanmax(cube)
    cube = (cube - lo) / (hi - lo)
    half = window // 2
    _, h, w = cube.shape
    rr, cc = np.mgrid[half:h - half:stride, half:w - half:stride]
    positions = np.stack([rr.ravel(), cc.ravel()], axis=1)
    labels = np.array([np.bincount(svm[:, r, c].astype(np.int64)).argmax()
                       for r, c in positions])
    codes, counts = np.unique(labels, return_counts=True)
    keep_codes = codes[counts >= min_class_count]
    keep = np.isin(labels, keep_codes)
    maps, series = cut_objects(cube, positions[keep], window)
    y = np.searchsorted(keep_codes, labels[keep])
    return stack_modalities(maps, series), y, keep_codes


def _interp_nan_time(cube):
    """Fill NaN along axis 0 of a (time, y, x) cube by linear interpolation per pixel."""
    t = np.arange(cube.shape[0])
    flat = cube.reshape(cube.shape[0], -1)
    for j in np.flatnonzero(np.isnan(flat).any(axis=0)):
        col = flat[:, j]
        ok = ~np.isnan(col)
        if ok.any():
            flat[:, j] = np.interp(t, t[ok], col[ok])
        else:
            flat[:, j] = 0.0
    return flat.reshape(cube.shape)


# --- Tile2VecSeriesKMeans (issue 4) ---

# --- DeepSpatiotemporalClustering (issue 5) ---
