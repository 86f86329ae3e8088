"""The input-contract layer (skstc.utils._inputs) and the output policy (skstc.utils._xarray)."""

import numpy as np
import pytest

from skstc.utils._inputs import (
    find_dim,
    parse_fields,
    parse_multimodal,
    parse_regions,
)
from skstc.utils._xarray import is_dask, is_xarray, map_samples, wrap_fields, wrap_samples

xr = pytest.importorskip("xarray")


def _fields():
    rng = np.random.RandomState(0)
    coords = {"time": np.arange(6), "lat": np.linspace(50, 52, 3), "lon": np.arange(4)}
    return xr.Dataset({"t2m": (("time", "lat", "lon"), rng.rand(6, 3, 4)),
                       "msl": (("time", "lat", "lon"), rng.rand(6, 3, 4) + 10)},
                      coords=coords, attrs={"crs": "EPSG:4326"})


def test_find_dim_by_name_alias_cf_and_override():
    da = xr.DataArray(np.zeros((2, 3, 4)), dims=("Latitude", "valid_time", "rlon"))
    assert find_dim(da, "time") == "valid_time"
    assert find_dim(da, "lat") == "Latitude" and find_dim(da, "lon") == "rlon"
    assert find_dim(da, "variable") is None
    cf = xr.DataArray(np.zeros((2, 3)), dims=("a", "b"),
                      coords={"a": ("a", [0, 1], {"axis": "T"}),
                              "b": ("b", [0, 1, 2], {"standard_name": "latitude"})})
    assert find_dim(cf, "time") == "a" and find_dim(cf, "lat") == "b"
    assert find_dim(cf, "time", override="b") == "b"
    with pytest.raises(ValueError, match=r"no lon dim found .* expected the contract"):
        find_dim(cf, "lon", contract="the contract")
    with pytest.raises(ValueError, match="time_dim='c' is not one of them"):
        find_dim(cf, "time", override="c")


def test_parse_fields_canonical_order_whatever_the_input_order():
    ds = _fields()
    ref, spec = parse_fields(ds)
    assert ref.shape == (6, 2, 3, 4) and spec.variables == ("t2m", "msl")
    assert spec.roles == {"time": "time", "lat": "lat", "lon": "lon"}
    assert spec.container == "Dataset" and spec.attrs["crs"] == "EPSG:4326"
    values, _ = parse_fields(ds.transpose("lon", "time", "lat"))
    np.testing.assert_array_equal(values, ref)
    da = ds.to_dataarray(dim="variable").transpose("lat", "variable", "lon", "time")
    values, spec = parse_fields(da)
    np.testing.assert_array_equal(values, ref)
    assert spec.variables == ("t2m", "msl") and spec.roles["variable"] == "variable"
    # variables are selected by name in the fitted order
    values, spec = parse_fields(ds[["msl", "t2m"]], variables=("t2m", "msl"))
    np.testing.assert_array_equal(values, ref)
    values, _ = parse_fields(da.sel(variable=["msl", "t2m"]), variables=("t2m", "msl"))
    np.testing.assert_array_equal(values, ref)
    with pytest.raises(ValueError, match=r"missing \['msl'\]"):
        parse_fields(ds[["t2m"]], variables=("t2m", "msl"))


def test_parse_fields_numpy_positions_and_rank_errors():
    X = np.zeros((5, 3, 4))
    values, spec = parse_fields(X)
    assert values.shape == (5, 1, 3, 4) and spec.kind == "numpy" and spec.ndim == 3
    values, spec = parse_fields(np.zeros((5, 6)))
    assert values is None and spec.ndim == 2
    with pytest.raises(ValueError, match=r"5-D array .*expected \(n_times, n_variables"):
        parse_fields(np.zeros((1, 2, 3, 4, 5)))
    with pytest.raises(ValueError, match=r"2-D DataArray .*expected"):
        parse_fields(xr.DataArray(np.zeros((2, 3)), dims=("time", "lat")))
    with pytest.raises(TypeError, match="numeric"):
        parse_fields(np.array([[["a"]]]))


def test_dask_inputs_stay_lazy_and_unknown_chunks_are_refused():
    dsa = pytest.importorskip("dask.array")
    ds = _fields().chunk({"time": 2})
    assert is_dask(ds) and is_xarray(ds) and not is_dask(ds.compute())
    values, spec = parse_fields(ds)
    assert isinstance(values, dsa.Array) and spec.lazy
    X = dsa.from_array(np.zeros((6, 2, 3, 4)), chunks=2)
    with pytest.raises(ValueError, match="compute_chunk_sizes"):
        parse_fields(X[X[:, 0, 0, 0] >= 0])


@pytest.mark.parametrize("halo", [0, 1, 2])
def test_map_samples_with_halo_repeats_edges(halo):
    dsa = pytest.importorskip("dask.array")
    x = np.arange(11.0)[:, None] * [1.0, 10.0]

    def window_sum(block):  # the sum over a centred window, edges repeated
        idx = np.clip(np.arange(len(block))[:, None] + np.arange(-halo, halo + 1), 0,
                      len(block) - 1)
        return block[idx].sum(axis=1)[:, 0]

    lazy = map_samples(window_sum, dsa.from_array(x, chunks=3), (), np.float64, halo=halo)
    assert isinstance(lazy, dsa.Array)
    np.testing.assert_allclose(lazy.compute(), window_sum(x))


def test_wrap_samples_and_fields_follow_the_input():
    ds = _fields()
    _, spec = parse_fields(ds.transpose("lat", "lon", "time"))
    labels = wrap_samples(np.arange(6), spec, name="cluster")
    assert labels.dims == ("time",) and labels.attrs["crs"] == "EPSG:4326"
    z = wrap_samples(np.zeros((6, 2)), spec, feature_dim="latent", name="code")
    assert z.dims == ("time", "latent")
    values, _ = parse_fields(ds)
    out = wrap_fields(values * 2, spec)
    assert isinstance(out, xr.Dataset) and out["t2m"].dims == ("lat", "lon", "time")
    np.testing.assert_allclose(out["msl"].transpose("time", ...).values, 2 * ds["msl"].values)
    da = ds.to_dataarray(dim="variable").transpose("lon", "time", "variable", "lat")
    _, spec = parse_fields(da)
    out = wrap_fields(values, spec)
    assert out.dims == da.dims
    np.testing.assert_array_equal(out["variable"].values, ["t2m", "msl"])
    _, spec = parse_fields(np.zeros((6, 3, 4)))
    assert wrap_fields(np.zeros((6, 1, 3, 4)), spec).shape == (6, 3, 4)


def test_parse_multimodal_dims_by_name_and_contract_errors():
    maps = np.random.RandomState(0).rand(5, 2, 3)
    series = np.random.RandomState(1).rand(5, 4)
    ds = xr.Dataset({"fraction_map": (("obj", "y", "x"), maps),
                     "area": (("obj", "month"), series)}, coords={"obj": np.arange(5) + 10})
    rows, spec = parse_multimodal(ds, (2, 3))
    np.testing.assert_allclose(rows, np.concatenate([maps.reshape(5, -1), series], axis=1))
    assert spec.roles["sample"] == "obj"
    rows_t, _ = parse_multimodal(ds.transpose("x", "month", "y", "obj"), (2, 3))
    np.testing.assert_array_equal(rows_t, rows)
    with pytest.raises(ValueError, match=r"missing \['area'\]"):
        parse_multimodal(ds[["fraction_map"]], (2, 3))
    with pytest.raises(TypeError, match="DataArray; expected 2-D"):
        parse_multimodal(ds["area"], (2, 3))
    with pytest.raises(ValueError, match="spatial_shape"):
        parse_multimodal(ds, (3, 2))


def test_parse_regions_by_name():
    data = np.random.RandomState(0).rand(2, 3, 4, 5)
    da = xr.DataArray(data, dims=("date", "channel", "lat", "lon"))
    out, spec = parse_regions(da.transpose("lon", "lat", "channel", "date"))
    np.testing.assert_array_equal(out.values, data)
    assert spec.roles == {"time": "date", "variable": "channel", "lat": "lat", "lon": "lon"}
    one_band, _ = parse_regions(da.isel(channel=0, drop=True))
    assert one_band.shape == (2, 1, 4, 5)
    with pytest.raises(ValueError, match="unexpected"):
        parse_regions(da.expand_dims(member=2))
    with pytest.raises(TypeError, match="Dataset"):
        parse_regions(da.to_dataset(name="v"))
