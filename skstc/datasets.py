"""Synthetic generators (``make_*``, with ground truth) and readers (``load_*``)."""

import numbers

import numpy as np

from .preprocessing import FractionMapFeatures, stack_modalities
from .utils._random import local_random_state
from .utils._xarray import is_xarray

# --- shared ---


def _majority(votes, *, ignore=None):
    """Most frequent value of each row of ``votes`` (n_groups, n_voters); ties: the smallest.

    ``ignore`` does not vote; a row with only ignored values gets -1.
    """
    values, inv = np.unique(votes, return_inverse=True)
    inv = inv.reshape(votes.shape)
    counts = np.zeros((votes.shape[0], len(values)), dtype=np.int64)
    np.add.at(counts, (np.repeat(np.arange(votes.shape[0]), votes.shape[1]), inv.ravel()), 1)
    if ignore is not None and ignore in values:
        counts[:, np.searchsorted(values, ignore)] = 0
    out = values[counts.argmax(axis=1)].astype(np.int64)
    out[counts.sum(axis=1) == 0] = -1
    return out


# --- MultimodalConstrainedAE / LabelAugmenter / MultimodalClassifier (issue 3) ---


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
    in time. Classes with fewer than ``min_class_count`` objects are dropped. The objects are
    cut by :func:`cut_objects`.

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

    with xr.open_dataset(path) as ds:
        cube = ds[index].transpose("time", "y", "x").values.astype(np.float32)
        svm = ds["svm_class"].transpose("season", "y", "x").values
    cube[cube <= -3000] = np.nan
    cube *= 1e-4
    # per-pixel label: the most frequent annual SVM class
    label_map = _majority(svm.reshape(svm.shape[0], -1).T).reshape(svm.shape[1:])
    return _grid_objects(cube, label_map, window, stride, min_class_count, ignore=())


def load_slovenia_objects(path, *, window=9, stride=3, min_class_count=30,
                          max_cloud_fraction=0.5, random_state=None):
    """Objects cut from the Sentinel-2 Slovenia patch: NDVI window maps, series, land use.

    Every ``stride``-th pixel (away from the border) becomes an object with a
    ``window x window`` map (temporal mean NDVI around it) and the NDVI series of its centre
    pixel; its label is the land-use code ``lulc`` of the centre pixel (1 cultivated,
    2 forest, 3 grassland, 4 shrubland, 8 artificial; 0 = no data is dropped). Dates on which
    more than ``max_cloud_fraction`` of the patch is cloudy or invalid are dropped; the
    remaining cloudy/invalid observations are filled by linear interpolation in time. Classes
    with fewer than ``min_class_count`` objects are dropped. The objects are cut by
    :func:`cut_objects`.

    Parameters
    ----------
    path : str or path-like
        ``sentinel2_slovenia_ndvi.nc`` (variables ``ndvi``, ``cloud_mask``, ``is_valid``,
        ``lulc``).
    window : int, default=9
        Side of the spatial window (odd).
    stride : int, default=3
        Spacing of the object grid, in pixels.
    min_class_count : int, default=30
        Classes with fewer objects are dropped.
    max_cloud_fraction : float in [0, 1], default=0.5
        Dates with a larger fraction of cloudy or invalid pixels are dropped.
    random_state : ignored
        Kept for signature symmetry with ``make_*``; the output is deterministic.

    Returns
    -------
    X : ndarray of shape (n_objects, window * window + n_dates)
        Maps (NDVI min-max scaled to [0, 1] over the cube) followed by the series (same
        scaling).
    y : ndarray of shape (n_objects,)
        Land-use codes relabelled to ``0..n_classes-1``.
    class_codes : ndarray
        The original ``lulc`` code of each label.
    """
    import xarray as xr

    if not 0 <= max_cloud_fraction <= 1:
        raise ValueError(f"max_cloud_fraction must be in [0, 1], got {max_cloud_fraction!r}.")
    with xr.open_dataset(path) as ds:
        cube = ds["ndvi"].transpose("time", "y", "x").values.astype(np.float32)
        bad = ((ds["cloud_mask"].transpose("time", "y", "x").values != 0)
               | (ds["is_valid"].transpose("time", "y", "x").values == 0))
        label_map = ds["lulc"].transpose("y", "x").values.astype(np.int64)
    keep = bad.mean(axis=(1, 2)) <= max_cloud_fraction
    if keep.sum() < 2:
        raise ValueError(
            f"only {int(keep.sum())} date(s) have at most {max_cloud_fraction} cloudy/invalid "
            "pixels; raise max_cloud_fraction.")
    cube, bad = cube[keep], bad[keep]
    cube[bad | ~np.isfinite(cube)] = np.nan
    return _grid_objects(cube, label_map, window, stride, min_class_count, ignore=(0,))


def _grid_objects(cube, label_map, window, stride, min_class_count, ignore=()):
    """Objects on a regular grid of a (time, y, x) cube with NaN gaps -> (X, y, codes).

    NaN are filled by linear interpolation in time, the cube is min-max scaled to [0, 1],
    every ``stride``-th pixel at least ``window // 2`` from the border becomes an object
    (cut by :func:`cut_objects`), labelled by ``label_map`` at its centre; labels in
    ``ignore`` and classes with fewer than ``min_class_count`` objects are dropped.
    """
    if not isinstance(window, numbers.Integral) or window < 1 or window % 2 == 0:
        raise ValueError(f"window must be a positive odd integer, got {window!r}.")
    if not isinstance(stride, numbers.Integral) or stride < 1:
        raise ValueError(f"stride must be a positive integer, got {stride!r}.")
    cube = _interp_nan_time(cube)
    lo, hi = np.nanmin(cube), np.nanmax(cube)
    cube = (cube - lo) / (hi - lo)
    half = window // 2
    _, h, w = cube.shape
    rr, cc = np.mgrid[half:h - half:stride, half:w - half:stride]
    positions = np.stack([rr.ravel(), cc.ravel()], axis=1)
    labels = label_map[positions[:, 0], positions[:, 1]]
    valid = ~np.isin(labels, list(ignore))
    codes, counts = np.unique(labels[valid], return_counts=True)
    keep_codes = codes[counts >= min_class_count]
    if keep_codes.size == 0:
        raise ValueError(
            f"no class has {min_class_count} objects; lower min_class_count or stride.")
    keep = valid & np.isin(labels, keep_codes)
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
def _t2v_textures(kind, yy, xx, phase):
    """Zero-mean texture of a given kind on pixel grids ``yy``, ``xx`` (values ~[-1, 1])."""

    if kind == 0:    # flat
        return np.zeros_like(yy, dtype=np.float32)
    if kind == 1:    # fine checkerboard, period 4 px
        return np.sign(np.sin(np.pi * (yy + phase[0]) / 2 + 1e-3)
                       * np.sin(np.pi * (xx + phase[1]) / 2 + 1e-3)).astype(np.float32)
    if kind == 2:    # coarse stripes, period 8 px, orientation from the phase
        u = yy if phase[2] < 0.5 else xx
        return np.sin(2 * np.pi * (u + phase[0]) / 8).astype(np.float32)
    # dots: bumps on a 6 px lattice
    return (2 * (np.cos(2 * np.pi * (yy + phase[0]) / 6) * np.cos(2 * np.pi * (xx + phase[1]) / 6)
                 > 0.5) - 0.5).astype(np.float32)


def make_image_sequence(n_regions=2, n_times=12, n_bands=3, height=64, width=64, *,
                        n_zones=4, n_cells=None, texture=0.25, noise=0.05, shared_means=True,
                        cloud_fraction=0.0, as_xarray=False, random_state=None):
    """Synthetic satellite image time series of several regions with planted land zones.

    Each region is cut into compact Voronoi cells, each cell given a zone (every zone appears
    in every region when there are enough cells). A zone has (i) a seasonal trajectory of its
    mean band values, ``base_b + amp * sin(2 pi t / n_times + phase)`` with zone-specific
    amplitude and phase per band, and (ii) a texture (flat, fine checkerboard, coarse stripes
    or dots, by zone index modulo 4) whose contrast also follows the seasons. With
    ``shared_means=True`` zones come in pairs (0 and 1, 2 and 3, ...) with identical mean
    trajectories, differing only by texture: a per-tile mean-value baseline cannot tell the
    two zones of a pair apart, a tile encoder that sees texture can. Gaussian pixel noise is
    added; optional cloud blobs are set to NaN.

    Parameters
    ----------
    n_regions : int, default=2
        Number of regions (all the same size).
    n_times : int, default=12
        Number of dates (one seasonal cycle).
    n_bands : int, default=3
        Number of bands.
    height, width : int, default=64
        Region size in pixels.
    n_zones : int, default=4
        Number of planted zones.
    n_cells : int or None, default=None
        Voronoi cells per region; None uses ``2 * n_zones``.
    texture : float, default=0.25
        Texture amplitude relative to the mean values.
    noise : float, default=0.05
        Standard deviation of the pixel noise.
    shared_means : bool, default=True
        Pair zones with identical mean trajectories (see above).
    cloud_fraction : float, default=0.0
        Approximate fraction of (date, pixel) values set to NaN in round cloud blobs.
    as_xarray : bool, default=False
        Return a DataArray with dims ``(region, time, band, y, x)`` and the zone map as a
        DataArray ``(region, y, x)``.
    random_state : int, RandomState or None, default=None
        Seed (the global RNG is not used).

    Returns
    -------
    images : ndarray of shape (n_regions, n_times, n_bands, height, width), float32
        (or DataArray).
    zones : ndarray of shape (n_regions, height, width), int64
        True zone of every pixel (or DataArray).

    Examples
    --------
    >>> from skstc.datasets import make_image_sequence
    >>> images, zones = make_image_sequence(n_regions=1, height=32, width=32, random_state=0)
    >>> images.shape, zones.shape
    ((1, 12, 3, 32, 32), (1, 32, 32))
    """
    for name, val, low in (("n_regions", n_regions, 1), ("n_times", n_times, 1),
                           ("n_bands", n_bands, 1), ("height", height, 1), ("width", width, 1),
                           ("n_zones", n_zones, 1)):
        if not isinstance(val, numbers.Integral) or val < low:
            raise ValueError(f"{name} must be an integer >= {low}, got {val!r}.")
    n_cells = 2 * n_zones if n_cells is None else n_cells
    if not isinstance(n_cells, numbers.Integral) or n_cells < 1:
        raise ValueError(f"n_cells must be a positive integer, got {n_cells!r}.")
    if not 0 <= cloud_fraction < 1:
        raise ValueError(f"cloud_fraction must be in [0, 1), got {cloud_fraction!r}.")
    rng = local_random_state(random_state)

    # zone dynamics: mean trajectory (n_zones, n_times, n_bands) and texture contrast
    n_groups = (n_zones + 1) // 2 if shared_means else n_zones
    t = np.arange(n_times)[:, None]
    base = rng.uniform(0.3, 0.7, size=(n_groups, 1, n_bands))
    amp = rng.uniform(0.05, 0.25, size=(n_groups, 1, n_bands))
    phase = rng.uniform(0, 2 * np.pi, size=(n_groups, 1, n_bands))
    group_means = base + amp * np.sin(2 * np.pi * t[None] / max(n_times, 1) + phase)
    group = np.arange(n_zones) // 2 if shared_means else np.arange(n_zones)
    means = group_means[group]                                      # (zones, T, B)
    c_phase = rng.uniform(0, 2 * np.pi, size=(n_zones, 1))
    contrast = texture * (0.75 + 0.25 * np.sin(2 * np.pi * t.T / max(n_times, 1) + c_phase))
    band_gain = rng.uniform(0.6, 1.0, size=(n_zones, n_bands))

    yy, xx = np.mgrid[0:height, 0:width].astype(np.float32)
    images = np.empty((n_regions, n_times, n_bands, height, width), dtype=np.float32)
    zones = np.empty((n_regions, height, width), dtype=np.int64)
    for r in range(n_regions):
        seeds = rng.uniform(0, 1, size=(n_cells, 2)) * [height, width]
        d2 = (yy[None] - seeds[:, 0, None, None]) ** 2 + (xx[None] - seeds[:, 1, None, None]) ** 2
        cell = d2.argmin(axis=0)
        cell_zone = np.concatenate([rng.permutation(n_zones),
                                    rng.randint(0, n_zones, max(n_cells - n_zones, 0))])[:n_cells]
        zmap = cell_zone[cell]
        zones[r] = zmap
        tex = np.zeros((n_zones, height, width), dtype=np.float32)
        for z in range(n_zones):
            tex[z] = _t2v_textures(z % 4, yy, xx, rng.uniform(0, 8, size=3) * [1, 1, 1 / 8])
        # (T, B, H, W) = mean + contrast * gain * texture, gathered per pixel by zone
        mean_px = np.moveaxis(means[zmap], (2, 3), (0, 1))
        tex_px = (contrast[zmap][..., None] * band_gain[zmap][:, :, None, :]
                  * tex[zmap, yy.astype(int), xx.astype(int)][..., None, None])
        img = mean_px + np.moveaxis(tex_px, (2, 3), (0, 1))
        img += rng.normal(0, noise, size=img.shape)
        images[r] = img
    if cloud_fraction > 0:
        radius = max(2.0, min(height, width) / 8)
        per_blob = np.pi * radius ** 2 / (height * width)
        for r in range(n_regions):
            for k in range(n_times):
                n_blobs = rng.poisson(cloud_fraction / per_blob)
                if n_blobs == 0:
                    continue
                centres = rng.uniform(0, 1, size=(n_blobs, 2)) * [height, width]
                d2 = ((yy[None] - centres[:, 0, None, None]) ** 2
                      + (xx[None] - centres[:, 1, None, None]) ** 2)
                images[r, k][:, (d2 < radius ** 2).any(axis=0)] = np.nan
    if as_xarray:
        import xarray as xr

        coords = {"region": np.arange(n_regions), "time": np.arange(n_times),
                  "band": [f"b{i}" for i in range(n_bands)],
                  "y": np.arange(height, dtype=float), "x": np.arange(width, dtype=float)}
        images = xr.DataArray(images, dims=("region", "time", "band", "y", "x"),
                              coords=coords, name="reflectance")
        zones = xr.DataArray(zones, dims=("region", "y", "x"),
                             coords={k: coords[k] for k in ("region", "y", "x")}, name="zone")
    return images, zones


def tile_majority(label_map, tile_size, *, ignore=None):
    """Majority label of each non-overlapping tile of a 2-D label map (row-major grid).

    Parameters
    ----------
    label_map : ndarray of int of shape (height, width)
    tile_size : int
    ignore : int or None, default=None
        Label that does not vote (e.g. 0 = no data); a tile with only ignored pixels gets -1.

    Returns
    -------
    tile_labels : ndarray of shape (height // tile_size, width // tile_size)
    """
    label_map = np.asarray(label_map)
    gh, gw = label_map.shape[0] // tile_size, label_map.shape[1] // tile_size
    blocks = label_map[:gh * tile_size, :gw * tile_size].reshape(gh, tile_size, gw, tile_size)
    blocks = blocks.transpose(0, 2, 1, 3).reshape(gh * gw, -1)
    return _majority(blocks, ignore=ignore).reshape(gh, gw)


def load_image_series(path):
    """Read one of the real image time series of ``../shared/data`` as a DataArray.

    No-data and cloud-flagged values become NaN and integer-scaled values are rescaled to
    physical units. Supported files (by their variables): Sentinel-2 Slovenia NDVI
    (``ndvi`` + ``cloud_mask`` + ``is_valid``; labels ``lulc``), Sentinel-2 Slovenia 13 bands
    (sorted into time order), CBERS-4 AWFI (``-9999`` = no data), Sinop MODIS (NDVI and EVI
    as two bands, x1e-4, ``-3000`` = no data; labels: the first ``svm_class`` season), Landsat
    (x1e-4, ``-9999`` and ``fmask`` cloud 4 / fill 255 masked) and the Formosat-2 image.

    Parameters
    ----------
    path : str or path-like
        A netCDF file.

    Returns
    -------
    images : xarray.DataArray of dims (time, band, y, x), float32
    labels : xarray.DataArray of dims (y, x) or None
        Per-pixel land-use / class map when the file has one.
    """
    import xarray as xr

    ds = xr.open_dataset(path)
    labels = None
    if "ndvi" in ds and "cloud_mask" in ds:
        valid = (ds["cloud_mask"] == 0) & (ds["is_valid"] == 1)
        da = ds["ndvi"].where(valid).expand_dims(band=["ndvi"], axis=1)
        labels = ds["lulc"]
    elif "ndvi" in ds and "evi" in ds:
        bands = [ds[v].where(ds[v] != -3000) * 1e-4 for v in ("ndvi", "evi")]
        da = xr.concat(bands, dim=xr.DataArray(["ndvi", "evi"], dims="band"))
        da = da.transpose("time", "band", "y", "x")
        if "svm_class" in ds:
            labels = ds["svm_class"].isel(season=0, drop=True)
    elif "reflectance" in ds and "fmask" in ds:
        refl = ds["reflectance"]
        ok = (refl != -9999) & ~ds["fmask"].isin([4, 255])
        da = refl.where(ok) * 1e-4
    elif "reflectance" in ds:
        refl = ds["reflectance"]
        da = refl.where(refl != -9999) if refl.dtype.kind in "iu" else refl
        if "time" in da.dims:
            da = da.sortby("time")
    elif "values" in ds and "step" in ds["values"].dims:
        da = ds["values"].rename(step="time")
    else:
        raise ValueError(f"{path}: unknown image series layout (variables {list(ds.data_vars)}).")
    da = da.transpose("time", "band", "y", "x").astype(np.float32)
    da.attrs["source"] = ds.attrs.get("source", "")
    return da.load(), (None if labels is None else labels.load())


# --- DeepSpatiotemporalClustering (issue 5) ---


def _smooth_patterns(rng, n, n_variables, grid_shape, n_bumps, width):
    """``n`` random smooth fields per variable: sums of signed Gaussian bumps, unit max."""
    ny, nx = grid_shape
    yy, xx = np.meshgrid(np.linspace(0, 1, ny), np.linspace(0, 1, nx), indexing="ij")
    out = np.zeros((n, n_variables, ny, nx))
    for i in range(n):
        for v in range(n_variables):
            cy, cx = rng.uniform(0, 1, (2, n_bumps))
            sign = rng.choice([-1.0, 1.0], n_bumps)
            field = sum(s * np.exp(-((yy - a) ** 2 + (xx - b) ** 2) / (2 * width ** 2))
                        for s, a, b in zip(sign, cy, cx))
            out[i, v] = field / np.abs(field).max()
    return out


def make_climate_fields(n_times=365, n_regimes=4, *, n_variables=3, grid_shape=(24, 24),
                        persistence=6.0, regime_amplitude=1.0, seasonal_amplitude=1.0,
                        noise=0.5, start="2001-01-01", as_xarray=False, random_state=None):
    """Synthetic daily gridded climate fields driven by planted persistent weather regimes.

    Each day belongs to one of ``n_regimes`` regimes. Regimes persist for a random number of
    days (geometric, mean ``persistence``) and then switch to another regime. A day's field of
    each variable is ``regime pattern * strength + seasonal cycle + noise``: the regime
    pattern is a smooth random field (a few signed Gaussian bumps) of unit peak, its
    strength varies from day to day (uniform in ``[0.6, 1.4] * regime_amplitude``); the
    seasonal cycle is a smooth spatial pattern times ``sin(2 pi day / 365)``, the same for all
    regimes (a nuisance that raw-field k-means tends to follow); the noise is the sum of
    white noise and a smooth random field, both of standard deviation ``noise / 2``.

    Parameters
    ----------
    n_times : int, default=365
        Number of days.
    n_regimes : int, default=4
        Number of planted regimes.
    n_variables : int, default=3
        Number of variables (e.g. pressure, temperature, wind).
    grid_shape : tuple (n_lat, n_lon), default=(24, 24)
        Grid size.
    persistence : float, default=6.0
        Mean length of a regime spell in days (>= 1).
    regime_amplitude : float, default=1.0
        Peak amplitude of the regime patterns.
    seasonal_amplitude : float, default=1.0
        Peak amplitude of the seasonal cycle.
    noise : float, default=0.5
        Noise level (see above).
    start : str, default="2001-01-01"
        First date (used when ``as_xarray``).
    as_xarray : bool, default=False
        Return an :class:`xarray.Dataset` (variables ``var0``, ``var1`` ... over ``time, lat,
        lon``) and the regimes as a DataArray on ``time``.
    random_state : int, RandomState or None, default=None
        Seed.

    Returns
    -------
    X : ndarray of shape (n_times, n_variables, n_lat, n_lon) of float32, or xarray.Dataset
        The fields.
    y : ndarray of shape (n_times,) of int, or xarray.DataArray
        The planted regime of each day.

    Examples
    --------
    >>> from skstc.datasets import make_climate_fields
    >>> X, y = make_climate_fields(n_times=30, grid_shape=(8, 8), random_state=0)
    >>> X.shape, y.shape
    ((30, 3, 8, 8), (30,))
    """
    if not (isinstance(n_times, (int, np.integer)) and n_times >= 1):
        raise ValueError(f"n_times must be a positive integer, got {n_times!r}.")
    if not (isinstance(n_regimes, (int, np.integer)) and 1 <= n_regimes <= n_times):
        raise ValueError(f"n_regimes must be an integer in [1, n_times], got {n_regimes!r}.")
    if not (isinstance(n_variables, (int, np.integer)) and n_variables >= 1):
        raise ValueError(f"n_variables must be a positive integer, got {n_variables!r}.")
    if len(grid_shape) != 2 or min(grid_shape) < 1:
        raise ValueError(f"grid_shape must be (n_lat, n_lon), got {grid_shape!r}.")
    if persistence < 1:
        raise ValueError(f"persistence must be >= 1 day, got {persistence!r}.")
    rng = local_random_state(random_state)
    grid_shape = tuple(int(g) for g in grid_shape)
    patterns = regime_amplitude * _smooth_patterns(rng, n_regimes, n_variables, grid_shape,
                                                   n_bumps=3, width=0.18)
    seasonal = seasonal_amplitude * _smooth_patterns(rng, 1, n_variables, grid_shape,
                                                     n_bumps=2, width=0.35)[0]
    y = np.empty(n_times, dtype=np.int64)
    state = rng.randint(n_regimes)
    p_switch = 1.0 / persistence
    for t in range(n_times):
        if t > 0 and n_regimes > 1 and rng.rand() < p_switch:
            state = (state + 1 + rng.randint(n_regimes - 1)) % n_regimes
        y[t] = state
    strength = rng.uniform(0.6, 1.4, n_times)
    phase = np.sin(2 * np.pi * np.arange(n_times) / 365.0 + rng.uniform(0, 2 * np.pi))
    X = (patterns[y] * strength[:, None, None, None]
         + phase[:, None, None, None] * seasonal[None])
    white = rng.standard_normal(X.shape)
    smooth = _smooth_patterns(rng, n_times, n_variables, grid_shape, n_bumps=2, width=0.25)
    smooth /= max(smooth.std(), 1e-12)
    X = (X + 0.5 * noise * (white + smooth)).astype(np.float32)
    if not as_xarray:
        return X, y
    import pandas as pd
    import xarray as xr

    time = pd.date_range(start, periods=n_times, freq="D")
    coords = {"time": time, "lat": np.linspace(60, 30, grid_shape[0]),
              "lon": np.linspace(-30, 30, grid_shape[1])}
    ds = xr.Dataset({f"var{v}": (("time", "lat", "lon"), X[:, v]) for v in range(n_variables)},
                    coords=coords, attrs={"source": "skstc.datasets.make_climate_fields"})
    return ds, xr.DataArray(y, dims=("time",), coords={"time": time}, name="regime")


_TIME_NAMES = ("time", "valid_time", "date", "datetime", "t")
_LAT_NAMES = ("latitude", "lat", "y", "rlat", "nav_lat")
_LON_NAMES = ("longitude", "lon", "x", "rlon", "nav_lon")
_MEMBER_NAMES = ("number", "member", "realization", "ensemble", "ens")


def _find_dim(dims, candidates, given, what, ds):
    if given is not None:
        if given not in dims:
            raise ValueError(f"{what} dim {given!r} is not among the dataset's dims {dims}.")
        return given
    for name in candidates:
        if name in dims:
            return name
    if what == "time":
        for d in dims:
            if d in ds.coords and np.issubdtype(ds[d].dtype, np.datetime64):
                return d
    raise ValueError(f"Could not find the {what} dim among {dims}; pass {what}_dim=... "
                     f"(tried {candidates}).")


def load_era5(path_or_dataset, variables=None, *, time_dim=None, lat_dim=None, lon_dim=None,
              sel=None, isel=None, resample=None, member_as_sample=True, chunks=None):
    """Read an ERA5 (or any CF) netCDF file into a ``(time, lat, lon)`` Dataset for DSC.

    Works unchanged on any file opened by :func:`xarray.open_dataset`: the time, latitude and
    longitude dims are found by name (``time``/``valid_time``, ``latitude``/``lat``,
    ``longitude``/``lon`` ...) or given. Other dims are handled so that the result has only
    ``time, lat, lon``: an ensemble-member dim (``number``, ``member`` ...) is stacked with
    time into the samples when ``member_as_sample`` (its values are kept as a coordinate
    ``member`` on the new ``time`` index), and any other dim (pressure level ...) becomes
    separate variables named ``{var}_{value}`` (``z_500``, ``t_850``).

    Parameters
    ----------
    path_or_dataset : str, path or xarray.Dataset
        File to open (with ``chunks`` for dask) or an opened Dataset.
    variables : list of str or None, default=None
        Data variables to keep; None keeps every variable that has the time, lat and lon dims.
    time_dim, lat_dim, lon_dim : str or None, default=None
        Dim names when they cannot be guessed.
    sel, isel : dict or None, default=None
        Label / position selections applied first (e.g. ``sel={"isobaricInhPa": 500}``,
        ``sel={"latitude": slice(70, 30)}``).
    resample : str or None, default=None
        Time frequency to average to (e.g. ``"1D"`` for daily means of hourly data). Without
        ``chunks`` the selected variables are loaded into memory first; with ``chunks`` the
        mean is computed lazily by dask.
    member_as_sample : bool, default=True
        Stack an ensemble-member dim with time into the samples; with False, members become
        separate variables.
    chunks : dict, "auto" or None, default=None
        Passed to :func:`xarray.open_dataset` (dask-backed lazy loading).

    Returns
    -------
    ds : xarray.Dataset
        Variables over ``("time", "lat", "lon")`` (renamed), attributes kept.

    Examples
    --------
    >>> from skstc.datasets import load_era5, make_climate_fields
    >>> raw, _ = make_climate_fields(n_times=10, grid_shape=(6, 8), as_xarray=True,
    ...                              random_state=0)
    >>> ds = load_era5(raw.rename(time="valid_time", lat="latitude"), resample="2D")
    >>> ds.sizes["time"], ds.sizes["lat"], ds.sizes["lon"]
    (5, 6, 8)
    """
    import xarray as xr

    if isinstance(path_or_dataset, xr.Dataset):
        ds = path_or_dataset
    elif isinstance(path_or_dataset, xr.DataArray):
        ds = path_or_dataset.to_dataset(name=path_or_dataset.name or "field")
    else:
        ds = xr.open_dataset(path_or_dataset, chunks=chunks)
    if sel:
        ds = ds.sel(sel)
    if isel:
        ds = ds.isel(isel)
    dims = tuple(ds.dims)
    tdim = _find_dim(dims, _TIME_NAMES, time_dim, "time", ds)
    ydim = _find_dim(dims, _LAT_NAMES, lat_dim, "lat", ds)
    xdim = _find_dim(dims, _LON_NAMES, lon_dim, "lon", ds)
    if variables is None:
        variables = [v for v in ds.data_vars
                     if {tdim, ydim, xdim} <= set(ds[v].dims)]
        if not variables:
            raise ValueError(f"No data variable has the dims ({tdim}, {ydim}, {xdim}).")
    else:
        variables = [variables] if isinstance(variables, str) else list(variables)
        missing = [v for v in variables if v not in ds.data_vars]
        if missing:
            raise ValueError(f"Variables {missing} are not in the dataset "
                             f"(it has {list(ds.data_vars)}).")
    ds = ds[variables]
    if resample is not None:
        if not ds.chunks:
            # resampling a lazily read (not dask) file reads it group by group: ~30x slower
            # than loading the selected variables once (the mean loads them anyway)
            ds = ds.load()
        ds = ds.resample({tdim: resample}).mean()
    member = next((d for d in ds.dims if d in _MEMBER_NAMES), None)
    if member is not None and member_as_sample:
        ds = ds.stack(_sample=(tdim, member))
        times = ds[tdim].values
        members = ds[member].values
        ds = ds.drop_vars(["_sample", tdim, member]).rename(_sample=tdim)
        ds = ds.assign_coords({tdim: times, "member": (tdim, members)})
    out = {}
    core = (tdim, ydim, xdim)
    for v in variables:
        da = ds[v]
        extra = [d for d in da.dims if d not in core]
        if not extra:
            out[v] = da.transpose(*core)
            continue
        stacked = da.stack(_extra=extra).transpose("_extra", *core)
        for i in range(stacked.sizes["_extra"]):
            key = stacked["_extra"].values[i]
            key = key if isinstance(key, tuple) else (key,)
            label = "_".join(_format_coord(k) for k in key)
            out[f"{v}_{label}"] = stacked.isel(_extra=i).drop_vars(
                ["_extra"] + extra, errors="ignore")
    res = xr.Dataset(out, attrs=dict(ds.attrs))
    res = res.rename({tdim: "time", ydim: "lat", xdim: "lon"})
    return res.transpose("time", "lat", "lon")


def _format_coord(value):
    if isinstance(value, (float, np.floating)) and float(value).is_integer():
        return str(int(value))
    return str(value)
