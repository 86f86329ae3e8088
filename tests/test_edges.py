"""The edge policy across estimators: dims by name, variables by name, xarray/dask out."""

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.pipeline import make_pipeline

from skstc import DeepSpatiotemporalClustering
from skstc.datasets import make_climate_fields
from skstc.preprocessing import FieldMinMaxScaler, FieldNaNFiller

xr = pytest.importorskip("xarray")

TINY = dict(latent_dim=4, conv_channels=(4, 8), lstm_hidden=8, pretrain_epochs=2,
            max_epochs=3, batch_size=16, n_init=2, n_threads=1, random_state=0)


@pytest.fixture(scope="module")
def ds():
    ds, _ = make_climate_fields(n_times=40, n_regimes=3, grid_shape=(8, 8), as_xarray=True,
                                random_state=0)
    ds = FieldMinMaxScaler().fit_transform(ds)
    ds.attrs["crs"] = "EPSG:4326"
    return ds


@pytest.fixture(scope="module")
def dsc(ds):
    return DeepSpatiotemporalClustering(3, **TINY).fit(ds)


# ---- DeepSpatiotemporalClustering ----------------------------------------------------------
def test_dsc_permuted_dims_give_canonical_labels(ds, dsc):
    labels = dsc.predict(ds)
    permuted = ds.transpose("lon", "time", "lat")
    np.testing.assert_array_equal(dsc.predict(permuted).values, labels.values)
    da = ds.to_dataarray(dim="variable")
    for order in (("lat", "lon", "time", "variable"), ("variable", "lon", "lat", "time")):
        np.testing.assert_array_equal(dsc.predict(da.transpose(*order)).values, labels.values)
    # fitting on a (lat, lon, time) array clusters the time steps, not the latitudes
    est = clone(dsc).fit(da.transpose("lat", "lon", "variable", "time"))
    assert est.labels_.dims == ("time",) and est.labels_.sizes["time"] == 40
    np.testing.assert_array_equal(est.labels_.values, dsc.labels_.values)


def test_dsc_variables_matched_by_name(ds, dsc):
    labels = dsc.predict(ds).values
    swapped = ds[["var2", "var0", "var1"]]
    np.testing.assert_array_equal(dsc.predict(swapped).values, labels)
    da = ds.to_dataarray(dim="variable").sel(variable=["var1", "var2", "var0"])
    np.testing.assert_array_equal(dsc.predict(da).values, labels)
    with pytest.raises(ValueError, match=r"missing \['var2'\]"):
        dsc.predict(ds[["var0", "var1"]])
    with pytest.raises(ValueError, match=r"unexpected \['extra'\]"):
        dsc.predict(ds.assign(extra=ds["var0"]))


def test_dsc_xarray_out(ds, dsc):
    assert dsc.labels_.dims == ("time",)
    np.testing.assert_array_equal(dsc.labels_["time"].values, ds["time"].values)
    assert dsc.fit_predict(ds).dims == ("time",)
    z = dsc.transform(ds)
    assert z.dims == ("time", "latent") and z.shape == (40, 4)
    assert z.attrs["crs"] == "EPSG:4326"
    q = dsc.soft_assignments(ds)
    assert q.dims == ("time", "cluster")
    X = np.stack([ds[v].values for v in ds.data_vars], axis=1)
    assert isinstance(dsc.predict(X), np.ndarray)
    np.testing.assert_allclose(dsc.transform(X), z.values, rtol=1e-5)


@pytest.mark.parametrize("window", [1, 3])
def test_dsc_dask_in_lazy_out(ds, window):
    pytest.importorskip("dask")
    import dask.array as dsa

    est = DeepSpatiotemporalClustering(3, window=window, **TINY).fit(ds)
    labels = est.predict(ds).values
    lazy = est.predict(ds.chunk({"time": 7}))
    assert isinstance(lazy, xr.DataArray) and isinstance(lazy.data, dsa.Array)
    np.testing.assert_array_equal(lazy.compute().values, labels)
    X = dsa.from_array(np.stack([ds[v].values for v in ds.data_vars], axis=1), chunks=9)
    z = est.transform(X)
    assert isinstance(z, dsa.Array)
    np.testing.assert_allclose(z.compute(), est.transform(ds).values, rtol=1e-5, atol=1e-6)


def test_dsc_contract_errors(ds, dsc):
    with pytest.raises(ValueError, match=r"5-D array .* expected \(n_times, n_variables"):
        dsc.predict(np.zeros((2, 3, 3, 8, 8)))
    with pytest.raises(ValueError, match="no time dim found"):
        dsc.predict(ds.rename(time="step"))
    with pytest.raises(ValueError, match=r"time_dim='when' is not one of them"):
        clone(dsc).set_params(time_dim="when").fit(ds)
    assert clone(dsc).set_params(time_dim="step").fit(ds.rename(time="step")).labels_.dims \
        == ("step",)
    pytest.importorskip("dask")
    import dask.array as dsa

    X = dsa.from_array(np.zeros((10, 3, 8, 8), dtype=np.float32), chunks=5)
    X = X[X[:, 0, 0, 0] >= 0]
    with pytest.raises(ValueError, match="unknown chunk sizes"):
        dsc.predict(X)


def test_cf_aliases_and_attributes(ds, dsc):
    renamed = ds.rename(time="valid_time", lat="latitude", lon="longitude")
    np.testing.assert_array_equal(dsc.predict(renamed).values, dsc.labels_.values)
    odd = ds.rename(lat="northing", lon="easting")
    odd["northing"].attrs["axis"] = "Y"
    odd["easting"].attrs["standard_name"] = "projection_x_coordinate"
    np.testing.assert_array_equal(dsc.predict(odd.transpose("easting", "northing", "time"))
                                  .values, dsc.labels_.values)


def test_pipeline_keeps_time_coordinate(ds):
    raw, _ = make_climate_fields(n_times=40, n_regimes=3, grid_shape=(8, 8), as_xarray=True,
                                 random_state=0)
    raw["var1"][0, 0, 0] = np.nan
    pipe = make_pipeline(FieldNaNFiller(), FieldMinMaxScaler(),
                         DeepSpatiotemporalClustering(3, **TINY))
    labels = pipe.fit_predict(raw)
    assert isinstance(labels, xr.DataArray) and labels.dims == ("time",)
    np.testing.assert_array_equal(labels["time"].values, raw["time"].values)
    assert pipe.predict(raw).dims == ("time",)
    assert pipe.transform(raw).dims == ("time", "latent")


# ---- field transformers --------------------------------------------------------------------
@pytest.mark.parametrize("est", [FieldNaNFiller(), FieldMinMaxScaler(per="cell")])
def test_field_transformers_keep_xarray(ds, est):
    est = clone(est).fit(ds)
    out = est.transform(ds)
    assert isinstance(out, xr.Dataset) and list(out.data_vars) == list(ds.data_vars)
    assert out["var0"].dims == ds["var0"].dims and out.attrs["crs"] == "EPSG:4326"
    np.testing.assert_array_equal(out["lat"].values, ds["lat"].values)
    # permuted DataArray: same dims order out, same values
    da = ds.to_dataarray(dim="variable").transpose("lon", "variable", "time", "lat")
    out_da = est.transform(da)
    assert out_da.dims == da.dims
    np.testing.assert_allclose(out_da.sel(variable="var1").transpose("time", "lat", "lon"),
                               out["var1"].values)
    # swapped variables are matched by name
    swapped = est.transform(ds[["var1", "var2", "var0"]])
    for v in ds.data_vars:
        np.testing.assert_allclose(swapped[v].values, out[v].values)


def test_field_scaler_swap_is_matched_by_name():
    ds, _ = make_climate_fields(n_times=20, grid_shape=(4, 4), as_xarray=True, random_state=1)
    ds["var1"] = ds["var1"] * 100 + 5
    scaler = FieldMinMaxScaler().fit(ds)
    out = scaler.transform(ds[["var1", "var0", "var2"]])
    for v in ds.data_vars:
        assert float(out[v].min()) == pytest.approx(0.0, abs=1e-6)
        assert float(out[v].max()) == pytest.approx(1.0, abs=1e-6)


def test_field_transformers_dask_lazy(ds):
    pytest.importorskip("dask")
    import dask.array as dsa

    filler = FieldNaNFiller(add_mask=True)
    with_nan = ds.copy(deep=True)
    with_nan["var0"][0, 0, 0] = np.nan
    filler.fit(with_nan)
    out = filler.transform(with_nan.chunk({"time": 10}))
    assert isinstance(out["var0"].data, dsa.Array)
    assert list(out.data_vars) == ["var0", "var1", "var2", "var0_observed"]
    np.testing.assert_allclose(out.compute()["var0"].values,
                               filler.transform(with_nan)["var0"].values)
    assert float(out["var0_observed"][0, 0, 0]) == 0.0
    X = dsa.from_array(np.stack([ds[v].values for v in ds.data_vars], axis=1), chunks=8)
    scaler = FieldMinMaxScaler().fit(X)
    lazy = scaler.transform(X)
    assert isinstance(lazy, dsa.Array)
    np.testing.assert_allclose(lazy.compute(), scaler.transform(X.compute()))


def test_field_transformers_keep_3d_numpy():
    X = np.random.RandomState(0).rand(5, 4, 4)
    assert FieldMinMaxScaler().fit_transform(X).shape == (5, 4, 4)
    with pytest.raises(ValueError, match="5-D array"):
        FieldMinMaxScaler().fit(X[None, None])
