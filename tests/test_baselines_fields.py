"""EOFKMeans and fields_baselines: the weather-regime baselines of DSC."""

import numpy as np
import pytest
from sklearn.cluster import KMeans
from sklearn.decomposition import PCA
from sklearn.metrics import adjusted_rand_score

from skstc import DeepSpatiotemporalClustering
from skstc.baselines import EOFKMeans, area_weights, fields_baselines
from skstc.datasets import make_climate_fields

LAT = np.linspace(30.0, 70.0, 8)


@pytest.fixture(scope="module")
def fields():
    return make_climate_fields(n_times=80, n_regimes=3, grid_shape=(8, 8), random_state=0)


def test_area_weights_by_hand():
    np.testing.assert_allclose(area_weights([0.0, 60.0, 90.0]), [1.0, np.sqrt(0.5), 0.0],
                               atol=1e-8)
    with pytest.raises(ValueError, match="latitudes"):
        area_weights([0.0, 95.0])


def test_eof_kmeans_equals_the_steps_done_by_hand(fields):
    X, _ = fields
    model = EOFKMeans(3, n_eofs=5, latitudes=LAT, random_state=0).fit(X)
    X = X.astype(np.float32).astype(np.float64)  # the input contract reads float32
    A = X - X.mean(axis=0)
    A = A * np.sqrt(np.cos(np.deg2rad(LAT)))[None, None, :, None]
    sd = np.sqrt(((A - A.mean(0)) ** 2).mean(axis=(0, 2, 3)))
    A = (A / sd[None, :, None, None]).reshape(len(X), -1)
    pcs = PCA(5, svd_solver="full").fit(A)
    Z = pcs.transform(A)
    np.testing.assert_allclose(np.abs(model.transform(X)), np.abs(Z), rtol=1e-6, atol=1e-8)
    np.testing.assert_allclose(model.explained_variance_ratio_, pcs.explained_variance_ratio_)
    km = KMeans(3, n_init=10, random_state=0).fit(Z)
    assert adjusted_rand_score(km.labels_, model.labels_) == pytest.approx(1.0)
    np.testing.assert_array_equal(model.predict(X), model.labels_)
    # the weighting changes the result: without it the anomalies differ
    flat = EOFKMeans(3, n_eofs=5, area_weighting=False, random_state=0).fit(X)
    assert flat.area_weights_ is None and model.area_weights_ is not None
    assert not np.allclose(np.abs(flat.transform(X)), np.abs(model.transform(X)))


def test_kmeans_baseline_is_kmeans_on_per_variable_scaled_fields(fields):
    X, _ = fields
    base = fields_baselines(DeepSpatiotemporalClustering(3, random_state=0))
    assert set(base) == {"kmeans", "eof_kmeans"}
    km = base["kmeans"].fit(X)
    sd = np.sqrt(((X - X.mean(0)) ** 2).mean(axis=(0, 2, 3)))
    flat = (X / sd[None, :, None, None]).reshape(len(X), -1)
    ref = KMeans(3, n_init=10, random_state=0).fit(flat)
    assert adjusted_rand_score(ref.labels_, km.labels_) == pytest.approx(1.0)
    assert base["eof_kmeans"].n_eofs == 20 and base["eof_kmeans"].anomalies == "time_mean"


def test_planted_regimes_recovered(fields):
    X, y = fields
    model = EOFKMeans(3, n_eofs=10, latitudes=LAT, random_state=0).fit(X)
    assert adjusted_rand_score(y, model.labels_) > 0.5


def test_xarray_latitudes_and_monthly_anomalies(fields):
    xr = pytest.importorskip("xarray")
    X, _ = fields
    time = np.datetime64("2001-01-01") + np.arange(80) * np.timedelta64(5, "D")
    da = xr.DataArray(X, dims=("time", "variable", "lat", "lon"),
                      coords={"time": time, "lat": LAT, "variable": ["a", "b", "c"]})
    from_coords = EOFKMeans(3, n_eofs=5, random_state=0).fit(da)
    explicit = EOFKMeans(3, n_eofs=5, latitudes=LAT, random_state=0).fit(X)
    np.testing.assert_allclose(from_coords.area_weights_, area_weights(LAT))
    np.testing.assert_array_equal(from_coords.labels_, explicit.labels_)
    monthly = EOFKMeans(3, n_eofs=5, anomalies="monthly", random_state=0).fit(da)
    months = time.astype("datetime64[M]").astype(int) % 12 + 1
    assert sorted(monthly.monthly_fields_) == sorted(set(months.tolist()))
    jan = X[months == 1].mean(0)
    A = (X[months == 1] - jan) * area_weights(LAT)[None, None, :, None]
    A = A / monthly.variable_scale_[None, :, None, None]
    np.testing.assert_allclose(np.abs(monthly.transform(da.isel(time=months == 1))),
                               np.abs(monthly.pca_.transform(A.reshape(len(A), -1))),
                               rtol=1e-6, atol=1e-8)
    with pytest.raises(ValueError, match="monthly"):
        EOFKMeans(3, anomalies="monthly").fit(X)


@pytest.mark.realdata
def test_realdata_era5_djf(data_file):
    xr = pytest.importorskip("xarray")
    ds = xr.open_dataset(data_file("era5_msl_vo850_djf2025-26_6h.nc"))
    ds = ds[["msl", "vo850"]].isel(valid_time=slice(0, 120)).coarsen(
        latitude=3, longitude=3, boundary="trim").mean().load()
    model = EOFKMeans(4, n_eofs=20, random_state=0).fit(ds)
    assert model.labels_.shape == (120,)
    assert model.area_weights_ is not None and model.area_weights_.min() < 0.3
    assert len(np.unique(model.labels_)) == 4


def test_invalid_parameters_give_sklearn_errors():
    from sklearn.utils._param_validation import InvalidParameterError

    X = np.zeros((6, 1, 3, 3))
    with pytest.raises(InvalidParameterError, match="'n_eofs' parameter of EOFKMeans"):
        EOFKMeans(2, n_eofs=0).fit(X)
    with pytest.raises(InvalidParameterError, match="'anomalies' parameter of EOFKMeans"):
        EOFKMeans(2, anomalies="daily").fit(X)
