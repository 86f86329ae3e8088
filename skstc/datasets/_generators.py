"""Synthetic generators with ground truth, one per method."""
import numbers

import numpy as np

from ..preprocessing import FractionMapFeatures
from ..utils._random import local_random_state

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
