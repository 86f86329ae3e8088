"""skstc.io: writers keep the parameters and version; readers open the documented formats."""

import json

import numpy as np
import pandas as pd
import pytest
import xarray as xr
from sklearn.cluster import KMeans

import skstc
from skstc.io import (
    copy_crs,
    labels_to_csv,
    open_dataset,
    provenance,
    to_geotiff,
    to_netcdf,
    to_zarr,
)


def label_map():
    y = 5_000_000.0 - 20.0 * np.arange(3)
    x = 400_000.0 + 20.0 * np.arange(4)
    return xr.DataArray(np.arange(12, dtype="int32").reshape(3, 4) % 3, dims=("y", "x"),
                        coords={"y": y, "x": x}, name="cluster")


def test_provenance_records_estimator_params_and_version():
    attrs = provenance(KMeans(4, init="random"), source="a.nc", variables=["u", "v"])
    assert attrs["skstc_version"] == skstc.__version__
    assert attrs["skstc_estimator"] == "KMeans"
    params = json.loads(attrs["skstc_params"])
    assert params["n_clusters"] == 4 and params["init"] == "random"
    assert attrs["source"] == "a.nc" and json.loads(attrs["variables"]) == ["u", "v"]
    assert provenance() == {"skstc_version": skstc.__version__}


def test_to_netcdf_round_trip(tmp_path):
    lm = label_map()
    path = to_netcdf(lm, tmp_path / "m.nc", estimator=KMeans(3), attrs={"k": 3})
    back = xr.open_dataset(path)
    np.testing.assert_array_equal(back["cluster"], lm)
    np.testing.assert_array_equal(back["x"], lm["x"])
    assert back.attrs["skstc_estimator"] == "KMeans" and back.attrs["k"] == 3
    assert json.loads(back.attrs["skstc_params"])["n_clusters"] == 3
    assert "skstc_version" not in lm.attrs          # the input is not modified


def test_labels_to_csv_on_time_coordinate(tmp_path):
    time = pd.date_range("2000-01-01", periods=4, freq="6h")
    labels = xr.DataArray([2, 0, 0, 1], dims="time", coords={"time": time}, name="regime")
    path = labels_to_csv(labels, tmp_path / "l.csv", columns={"q_max": [0.9, 0.8, 0.7, 0.6]},
                         estimator=KMeans(3))
    text = path.read_text()
    assert text.splitlines()[0] == f"# skstc_version: {skstc.__version__}"
    assert "# skstc_estimator: KMeans" in text
    frame = pd.read_csv(path, comment="#", parse_dates=["time"])
    assert list(frame.columns) == ["time", "regime", "q_max"]
    assert (frame["time"] == time).all() and frame["regime"].tolist() == [2, 0, 0, 1]
    with pytest.raises(ValueError, match="column 'x' has 1 values for 4"):
        labels_to_csv(labels, tmp_path / "bad.csv", columns={"x": [1]})


def test_copy_crs_keeps_attribute_and_grid_mapping():
    src = xr.Dataset({"ndvi": (("y", "x"), np.zeros((3, 4)), {"grid_mapping": "spatial_ref"})},
                     coords={"spatial_ref": ((), 0, {"crs_wkt": "PROJCS[...]",
                                                     "epsg_code": "EPSG:32633"})},
                     attrs={"crs": "EPSG:32633"})
    out = copy_crs(src, label_map().to_dataset())
    assert out.attrs["crs"] == "EPSG:32633"
    var = out["cluster"]
    assert (var.attrs.get("grid_mapping") or var.encoding.get("grid_mapping")) == "spatial_ref"
    try:
        import rioxarray  # noqa: F401
    except ImportError:
        assert out["spatial_ref"].attrs["crs_wkt"] == "PROJCS[...]"
    else:  # rioxarray writes the CRS itself, from the attribute
        assert out.rio.crs.to_epsg() == 32633


def test_open_dataset_errors(tmp_path):
    with pytest.raises(FileNotFoundError, match="No such file"):
        open_dataset(tmp_path / "nope.nc")
    (tmp_path / "empty").mkdir()
    with pytest.raises(ValueError, match="without a zarr store or"):
        open_dataset(tmp_path / "empty")


def test_zarr_round_trip(tmp_path):
    pytest.importorskip("zarr")
    path = to_zarr(label_map(), tmp_path / "m.zarr", estimator=KMeans(3))
    back = open_dataset(path)
    np.testing.assert_array_equal(back["cluster"], label_map())
    assert back.attrs["skstc_estimator"] == "KMeans"


def test_zarr_store_opens_without_warnings(tmp_path):
    zarr = pytest.importorskip("zarr")
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        path = to_zarr(label_map(), tmp_path / "m.zarr")
        back = xr.open_zarr(path)
    np.testing.assert_array_equal(back["cluster"], label_map())
    assert zarr.open_group(str(path), mode="r").metadata.zarr_format == 2
    if int(zarr.__version__.split(".")[0]) >= 3:
        with warnings.catch_warnings():  # zarr 3 says consolidated metadata is not in spec 3
            warnings.simplefilter("ignore")
            to_zarr(label_map(), tmp_path / "m3.zarr", zarr_format=3)
        assert zarr.open_group(str(tmp_path / "m3.zarr"), mode="r").metadata.zarr_format == 3
    with pytest.raises(ValueError, match="zarr_format must be 2 or 3"):
        to_zarr(label_map(), tmp_path / "bad.zarr", zarr_format=4)


def test_geotiff_round_trip_keeps_crs(tmp_path):
    pytest.importorskip("rioxarray")
    path = to_geotiff(label_map(), tmp_path / "m.tif", crs="EPSG:32633", estimator=KMeans(3))
    back = open_dataset(path)
    da = back["m"].squeeze("band", drop=True)
    np.testing.assert_array_equal(da, label_map())
    np.testing.assert_allclose(da["x"], label_map()["x"])
    np.testing.assert_allclose(da["y"], label_map()["y"])
    assert back.attrs["crs"] == "EPSG:32633"
    # a folder of dated GeoTIFFs is stacked on time in name order
    folder = tmp_path / "dates"
    folder.mkdir()
    for i, name in enumerate(["2020-02", "2020-01"]):
        to_geotiff(label_map() + i, folder / f"{name}.tif", crs="EPSG:32633")
    stack = open_dataset(folder)["dates"]
    assert stack.dims == ("time", "band", "y", "x")
    assert stack["time"].values.tolist() == ["2020-01", "2020-02"]
    np.testing.assert_array_equal(stack.isel(time=0, band=0), label_map() + 1)


def test_readers_need_rioxarray_for_geotiff(tmp_path, monkeypatch):
    import builtins

    real_import = builtins.__import__

    def no_rio(name, *args, **kwargs):
        if name == "rioxarray":
            raise ImportError("no rioxarray")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_rio)
    (tmp_path / "a.tif").write_bytes(b"")
    with pytest.raises(ImportError, match=r"skstc\[geo\]"):
        open_dataset(tmp_path / "a.tif")
    with pytest.raises(ImportError, match=r"skstc\[geo\]"):
        to_geotiff(label_map(), tmp_path / "b.tif")
