"""Readers that know the layout of the benchmark files in ../shared/data."""
import numbers

import numpy as np
from scipy.stats import mode

from skstc.datasets import cut_objects
from skstc.preprocessing import stack_modalities


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
    label_map = mode(svm.reshape(svm.shape[0], -1).T, axis=1).mode.reshape(svm.shape[1:])
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
