"""Read inputs and write results (label maps, labels, embeddings) with their provenance.

Every writer stores, next to the data, the skstc version, the estimator's class and its
parameters (``skstc_version``, ``skstc_estimator``, ``skstc_params`` as JSON) and any extra
attributes given, so that a result file says how it was made:

* :func:`to_netcdf` and :func:`to_zarr` write an ``xarray`` DataArray or Dataset;
* :func:`to_geotiff` writes a 2-D label map with its coordinate reference system (needs
  ``rioxarray``: ``pip install 'skstc[geo]'``);
* :func:`labels_to_csv` writes labels on their sample or time coordinate, with the provenance
  as ``# key: value`` header lines (read back with ``pandas.read_csv(path, comment="#")``);
* :func:`provenance` is the attribute dictionary they all use;
* :func:`open_dataset` reads netCDF files, zarr stores and GeoTIFF files (one file or a
  folder of dated files) into an ``xarray.Dataset``; :func:`copy_crs` carries a grid's
  coordinate reference system over to a result.

``xarray`` is imported inside the functions; the formats' own libraries are optional.
"""

import json
import numbers
from pathlib import Path

import numpy as np

__all__ = [
    "copy_crs",
    "labels_to_csv",
    "open_dataset",
    "provenance",
    "to_geotiff",
    "to_netcdf",
    "to_zarr",
]

_GEOTIFF_SUFFIXES = (".tif", ".tiff")


def _jsonable(value):
    """JSON-friendly form of a hyper-parameter value (estimators and callables by repr)."""
    if value is None or isinstance(value, (bool, str)):
        return value
    if isinstance(value, numbers.Integral):
        return int(value)
    if isinstance(value, numbers.Real):
        return float(value)
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, np.ndarray):
        return value.tolist()
    return repr(value)


def provenance(estimator=None, **attrs):
    """Attributes recording how a result was made: skstc version, estimator, parameters.

    Parameters
    ----------
    estimator : estimator or None, default=None
        Its class name is stored as ``skstc_estimator`` and its ``get_params(deep=False)`` as
        the JSON string ``skstc_params``.
    **attrs
        Extra attributes (e.g. ``source="input.nc"``). Strings and numbers are stored as
        they are; anything else as JSON.

    Returns
    -------
    attrs : dict of str to str or number
        Values that every netCDF/zarr/GeoTIFF writer accepts.

    Examples
    --------
    >>> from sklearn.cluster import KMeans
    >>> from skstc.io import provenance
    >>> attrs = provenance(KMeans(3), source="fields.nc")
    >>> attrs["skstc_estimator"], attrs["source"]
    ('KMeans', 'fields.nc')
    >>> import json; json.loads(attrs["skstc_params"])["n_clusters"]
    3
    """
    from . import __version__

    out = {"skstc_version": __version__}
    if estimator is not None:
        out["skstc_estimator"] = type(estimator).__name__
        params = estimator.get_params(deep=False) if hasattr(estimator, "get_params") else {}
        out["skstc_params"] = json.dumps({k: _jsonable(v) for k, v in sorted(params.items())})
    for key, value in attrs.items():
        if isinstance(value, (str, numbers.Number)) and not isinstance(value, bool):
            out[key] = value
        else:
            out[key] = json.dumps(_jsonable(value))
    return out


def _with_attrs(obj, estimator, attrs, *, as_dataset=False):
    """Copy of ``obj`` with the provenance; a DataArray becomes a Dataset if asked (files)."""
    if as_dataset and not hasattr(obj, "data_vars"):
        if obj.name is None:
            raise ValueError("Name the DataArray (da.rename('cluster')): it becomes the "
                             "file's variable.")
        obj = obj.to_dataset()
    obj = obj.copy()
    obj.attrs.update(provenance(estimator, **(attrs or {})))
    return obj


def _netcdf_engine():
    for module, engine in (("netCDF4", "netcdf4"), ("h5netcdf", "h5netcdf")):
        try:
            __import__(module)
        except ImportError:
            continue
        return engine
    return "scipy"


def to_netcdf(obj, path, *, estimator=None, attrs=None):
    """Write a DataArray or Dataset to netCDF with the provenance attributes.

    Parameters
    ----------
    obj : xarray.DataArray or xarray.Dataset
        A DataArray needs a ``name`` (it becomes the variable); the provenance goes into the
        file's global attributes.
    path : str or path-like
        File to write (overwritten).
    estimator : estimator or None, default=None
        Recorded by :func:`provenance`.
    attrs : dict or None, default=None
        Extra global attributes.

    Returns
    -------
    path : pathlib.Path
    """
    path = Path(path)
    out = _with_attrs(obj, estimator, attrs, as_dataset=True)
    out.to_netcdf(path, engine=_netcdf_engine())
    return path


def to_zarr(obj, path, *, estimator=None, attrs=None, zarr_format=2):
    """Write a DataArray or Dataset to a zarr store with the provenance attributes.

    Dask-backed data is computed and written chunk by chunk.

    Parameters
    ----------
    obj : xarray.DataArray or xarray.Dataset
    path : str or path-like
        Store to write (overwritten).
    estimator : estimator or None, default=None
    attrs : dict or None, default=None
    zarr_format : {2, 3}, default=2
        Zarr storage format. Format 2 with consolidated metadata is read by zarr-python 2 and 3
        and by :func:`xarray.open_zarr` without warnings; format 3 stores need zarr-python 3.

    Returns
    -------
    path : pathlib.Path
    """
    try:
        import zarr  # noqa: F401
    except ImportError as exc:
        raise ImportError("Writing zarr needs the zarr package: pip install 'skstc[zarr]'.") \
            from exc
    path = Path(path)
    out = _with_attrs(obj, estimator, attrs, as_dataset=True)
    if zarr_format not in (2, 3):
        raise ValueError(f"zarr_format must be 2 or 3, got {zarr_format!r}.")
    out.to_zarr(path, mode="w", zarr_format=zarr_format)
    return path


def _require_rioxarray(what):
    try:
        import rioxarray  # noqa: F401
    except ImportError as exc:
        raise ImportError(f"{what} needs rioxarray: pip install 'skstc[geo]'.") from exc


def to_geotiff(label_map, path, *, crs=None, estimator=None, attrs=None, nodata=-1):
    """Write a 2-D label map to a GeoTIFF with its coordinate reference system.

    Parameters
    ----------
    label_map : xarray.DataArray of shape (y, x)
        Integer labels on ``y``/``x`` coordinates (cell centres, e.g. the tile centres of
        ``label_maps_`` of :class:`skstc.Tile2VecSeriesKMeans`).
    path : str or path-like
        ``.tif`` file to write.
    crs : str, pyproj CRS or None, default=None
        Coordinate reference system (e.g. ``"EPSG:32633"``); None keeps the one the map
        carries (``label_map.rio.crs``, a ``crs`` attribute or a ``spatial_ref``
        coordinate).
    estimator : estimator or None, default=None
    attrs : dict or None, default=None
        Extra tags.
    nodata : int, default=-1
        Value of unlabelled cells.

    Returns
    -------
    path : pathlib.Path
    """
    _require_rioxarray("Writing GeoTIFF")
    da = _with_attrs(label_map, estimator, attrs)
    if crs is None:
        crs = da.rio.crs or da.attrs.get("crs") or _grid_mapping_crs(da)
    if crs is not None:
        da = da.rio.write_crs(crs)
    da = da.rio.write_nodata(nodata)
    path = Path(path)
    da.rio.to_raster(path)
    return path


def _grid_mapping_crs(obj):
    for name in ("spatial_ref", "crs"):
        if name in getattr(obj, "coords", {}):
            wkt = obj.coords[name].attrs.get("crs_wkt") or obj.coords[name].attrs.get(
                "spatial_ref")
            if wkt:
                return wkt
    return None


def labels_to_csv(labels, path, *, index=None, index_name=None, columns=None, estimator=None,
                  attrs=None):
    """Write labels (and extra columns) on their coordinate to CSV with the provenance.

    Parameters
    ----------
    labels : array-like of shape (n_samples,) or 1-D xarray.DataArray
        A DataArray gives its coordinate as the index (e.g. ``time``) and its name as the
        column.
    path : str or path-like
    index : array-like of shape (n_samples,) or None, default=None
        Index values; None uses the DataArray's coordinate or ``0..n_samples - 1``.
    index_name : str or None, default=None
        Header of the index column (default: the DataArray's dim, or ``sample``).
    columns : dict of str to array-like or None, default=None
        Further columns of length ``n_samples`` (e.g. augmented labels, predictions).
    estimator : estimator or None, default=None
    attrs : dict or None, default=None
        Extra provenance lines.

    Returns
    -------
    path : pathlib.Path

    Examples
    --------
    >>> import pandas as pd, tempfile, os
    >>> from skstc.io import labels_to_csv
    >>> path = os.path.join(tempfile.mkdtemp(), "labels.csv")
    >>> _ = labels_to_csv([0, 1, 1], path, index_name="day")
    >>> pd.read_csv(path, comment="#")["label"].tolist()
    [0, 1, 1]
    """
    import pandas as pd

    name = "label"
    if hasattr(labels, "dims"):
        if labels.ndim != 1:
            raise ValueError(f"labels must be 1-D, got dims {labels.dims}.")
        dim = labels.dims[0]
        if index is None and dim in labels.coords:
            index = labels[dim].values
        index_name = index_name or dim
        name = labels.name or name
        values = np.asarray(labels.values)
    else:
        values = np.asarray(labels)
        if values.ndim != 1:
            raise ValueError(f"labels must be 1-D, got shape {values.shape}.")
    n = len(values)
    index = np.arange(n) if index is None else np.asarray(index)
    if len(index) != n:
        raise ValueError(f"index has {len(index)} values for {n} labels.")
    frame = pd.DataFrame({name: values}, index=pd.Index(index, name=index_name or "sample"))
    for key, col in (columns or {}).items():
        col = np.asarray(col)
        if len(col) != n:
            raise ValueError(f"column {key!r} has {len(col)} values for {n} labels.")
        frame[key] = col
    path = Path(path)
    with open(path, "w", newline="") as fh:
        for key, value in provenance(estimator, **(attrs or {})).items():
            fh.write(f"# {key}: {value}\n")
        frame.to_csv(fh)
    return path


def copy_crs(source, target):
    """Carry the coordinate reference system of ``source`` over to ``target``.

    Copies a global ``crs`` attribute, the CF grid-mapping variable named by a
    ``grid_mapping`` attribute (or a ``spatial_ref`` coordinate, rioxarray's) and points the
    target's data variables at it. With rioxarray installed and a CRS found, it is also
    written the rioxarray way (``target.rio.write_crs``).

    Parameters
    ----------
    source : xarray.Dataset or xarray.DataArray
        The input grid.
    target : xarray.Dataset
        The result on (a subsampling of) the same grid.

    Returns
    -------
    target : xarray.Dataset
        A copy with the CRS information.
    """
    target = target.copy()
    attrs = dict(getattr(source, "attrs", {}))
    if "crs" in attrs:
        target.attrs["crs"] = attrs["crs"]
    grid_mapping = None
    variables = list(getattr(source, "data_vars", {}).values()) or [source]
    for var in variables:
        gm = var.attrs.get("grid_mapping") or var.encoding.get("grid_mapping")
        if gm:
            grid_mapping = gm
            break
    if grid_mapping is None and "spatial_ref" in source.coords:
        grid_mapping = "spatial_ref"
    if grid_mapping is not None and grid_mapping in getattr(source, "variables", {}):
        gm_var = source[grid_mapping]
        target = target.assign_coords({grid_mapping: ((), gm_var.values, dict(gm_var.attrs))})
        for name in target.data_vars:
            if {"y", "x"} <= set(target[name].dims):
                target[name].attrs["grid_mapping"] = grid_mapping
    try:
        import rioxarray  # noqa: F401
    except ImportError:
        return target
    crs = attrs.get("crs") or _grid_mapping_crs(source)
    if crs is None and hasattr(source, "rio"):
        crs = source.rio.crs
    if crs is not None:
        target = target.rio.write_crs(crs)
        if "crs" in attrs:  # rioxarray drops a "crs" attribute as it writes spatial_ref
            target.attrs["crs"] = attrs["crs"]
    return target


def open_dataset(path, *, chunks=None):
    """Open a netCDF file, a zarr store, a GeoTIFF or a folder of dated GeoTIFFs.

    Parameters
    ----------
    path : str or path-like
        ``*.nc``/``*.nc4``/``*.h5`` (or any file xarray opens), a ``*.zarr`` store (a folder),
        a ``*.tif`` file (its bands become the ``band`` dim) or a folder of ``*.tif`` files,
        one per date in name order, stacked on a new ``time`` dim (coordinate: the file
        names' stems). GeoTIFF needs rioxarray (``pip install 'skstc[geo]'``); the CRS is
        kept as the ``spatial_ref`` coordinate and the ``crs`` attribute.
    chunks : dict, "auto" or None, default=None
        Dask chunks (lazy loading), passed to the reader.

    Returns
    -------
    ds : xarray.Dataset
        A GeoTIFF gives one variable named after the file (a folder: after the folder).

    Raises
    ------
    FileNotFoundError
        When ``path`` does not exist.
    """
    import xarray as xr

    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"No such file or folder: {path}")
    if path.is_dir() and (path.suffix == ".zarr" or (path / ".zgroup").exists()
                          or (path / "zarr.json").exists()):
        return xr.open_zarr(path, chunks=chunks)
    if path.is_dir():
        files = sorted(p for p in path.iterdir() if p.suffix.lower() in _GEOTIFF_SUFFIXES)
        if not files:
            raise ValueError(f"{path} is a folder without a zarr store or *.tif files.")
        _require_rioxarray("Reading GeoTIFF")
        import rioxarray

        layers = [rioxarray.open_rasterio(f, chunks=chunks) for f in files]
        da = xr.concat(layers, dim="time").assign_coords(time=[f.stem for f in files])
        return _geotiff_dataset(da, path.name)
    if path.suffix.lower() in _GEOTIFF_SUFFIXES:
        _require_rioxarray("Reading GeoTIFF")
        import rioxarray

        return _geotiff_dataset(rioxarray.open_rasterio(path, chunks=chunks), path.stem)
    return xr.open_dataset(path, chunks=chunks)


def _geotiff_dataset(da, name):
    crs = da.rio.crs
    ds = da.rename(name or "values").to_dataset()
    if crs is not None:
        ds.attrs["crs"] = crs.to_string()
    return ds
