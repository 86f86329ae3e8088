"""Readers and cutters that take any file with the documented layout."""
import numbers

import numpy as np

from ..utils._xarray import is_xarray


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
