"""Synthetic generators (``make_*``, with ground truth) and readers (``load_*``)."""

# --- shared ---

# --- MultimodalConstrainedAE / LabelAugmenter / MultimodalClassifier (issue 3) ---

# --- Tile2VecSeriesKMeans (issue 4) ---

# --- DeepSpatiotemporalClustering (issue 5) ---

import numpy as np  # noqa: E402

from .utils._random import local_random_state  # noqa: E402


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
        Time frequency to average to (e.g. ``"1D"`` for daily means of hourly data).
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
