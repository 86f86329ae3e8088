"""Preprocessing, metrics and datasets for DeepSpatiotemporalClustering."""

import warnings

import numpy as np
import pytest
from sklearn.pipeline import make_pipeline
from sklearn.utils._param_validation import InvalidParameterError

from skstc.datasets import load_era5, make_climate_fields
from skstc.metrics import (
    average_cluster_variance,
    average_intercluster_distance,
    cluster_quality_scores,
    cluster_rmse,
    silhouette,
)
from skstc.preprocessing import FieldMinMaxScaler, FieldNaNFiller


# ---- preprocessing -------------------------------------------------------------------------
def _fields_with_nan():
    X = np.zeros((3, 2, 2, 2))
    X[:, 0] = [[[1.0, 2.0], [3.0, np.nan]], [[5.0, 6.0], [7.0, 8.0]], [[1.0, 1.0], [1.0, 1.0]]]
    X[:, 1] = 100.0
    X[0, 1, 0, 0] = np.nan
    return X


def test_nan_filler_overall_and_variable_mean():
    X = _fields_with_nan()
    finite = X[np.isfinite(X)]
    overall = FieldNaNFiller(strategy="overall_mean").fit_transform(X)
    assert overall[0, 0, 1, 1] == pytest.approx(finite.mean())
    assert overall[0, 1, 0, 0] == pytest.approx(finite.mean())
    per_var = FieldNaNFiller(strategy="variable_mean").fit_transform(X)
    assert per_var[0, 0, 1, 1] == pytest.approx(np.mean([1, 2, 3, 5, 6, 7, 8, 1, 1, 1, 1]))
    assert per_var[0, 1, 0, 0] == pytest.approx(100.0)
    const = FieldNaNFiller(strategy="constant", fill_value=-1).fit_transform(X)
    assert const[0, 0, 1, 1] == -1 and not np.isnan(const).any()


def test_nan_filler_mask_channel_and_2d():
    X = _fields_with_nan()
    X[:, 1, 0, 0] = 100.0  # only variable 0 has a NaN now
    out = FieldNaNFiller(add_mask=True).fit_transform(X)
    assert out.shape == (3, 3, 2, 2)
    np.testing.assert_array_equal(out[:, 2], np.isfinite(X[:, 0]).astype(float))
    flt = FieldNaNFiller(add_mask=True, input_shape=(2, 2, 2)).fit(X.reshape(3, -1))
    assert flt.output_shape_ == (3, 2, 2)
    np.testing.assert_allclose(flt.transform(X.reshape(3, -1)), out.reshape(3, -1))


def test_all_nan_variable_named_in_error():
    X = _fields_with_nan()
    X[:, 1] = np.nan
    with pytest.raises(ValueError, match="'sst'.*NaN everywhere"):
        FieldNaNFiller(variable_names=["t2m", "sst"]).fit(X)
    with pytest.raises(ValueError, match="index 1.*NaN everywhere"):
        FieldMinMaxScaler().fit(X)
    ds, _ = make_climate_fields(n_times=5, grid_shape=(4, 4), as_xarray=True, random_state=0)
    ds["var2"][:] = np.nan
    with pytest.raises(ValueError, match="'var2'"):
        FieldNaNFiller().fit(ds)


def test_minmax_per_variable_and_per_cell():
    X = _fields_with_nan()
    out = FieldMinMaxScaler().fit_transform(X)
    # variable 0 spans [1, 8]; NaN kept
    assert out[1, 0, 0, 0] == pytest.approx((5 - 1) / 7)
    assert np.isnan(out[0, 0, 1, 1])
    # constant variable (100) maps to the lower bound, not NaN/inf
    assert out[1, 1, 0, 0] == 0.0
    cell = FieldMinMaxScaler(per="cell", feature_range=(-1, 1)).fit_transform(X)
    # cell (0, 0, 1) over time: 2, 6, 1 -> range 5
    np.testing.assert_allclose(cell[:, 0, 0, 1], [-1 + 2 * 1 / 5, 1.0, -1.0])
    sc = FieldMinMaxScaler(input_shape=(2, 2, 2)).fit(X.reshape(3, -1))
    back = sc.inverse_transform(sc.transform(X.reshape(3, -1)))
    np.testing.assert_allclose(back, X.reshape(3, -1))


def test_preprocessing_pipeline_and_bad_input():
    X = _fields_with_nan()
    pipe = make_pipeline(FieldNaNFiller(input_shape=(2, 2, 2)),
                         FieldMinMaxScaler(input_shape=(2, 2, 2)))
    out = pipe.fit_transform(X.reshape(3, -1))
    assert out.shape == (3, 8) and np.isfinite(out).all()
    assert out.min() == 0.0 and out.max() == 1.0
    with pytest.raises(ValueError, match="input_shape must be"):
        FieldNaNFiller(input_shape=(8,)).fit(X.reshape(3, -1))
    with pytest.raises(ValueError, match="strategy"):
        FieldNaNFiller(strategy="median").fit(X)
    with pytest.raises(InvalidParameterError, match="'per' parameter"):
        FieldMinMaxScaler(per="time").fit(X)
    with pytest.raises(ValueError, match="sample shape"):
        FieldMinMaxScaler().fit(X).transform(X[:, :1])


def test_2d_input_without_input_shape_is_one_variable_per_column():
    from sklearn.impute import SimpleImputer
    from sklearn.preprocessing import MinMaxScaler

    rng = np.random.RandomState(0)
    X = rng.randn(20, 5) * [1, 10, 100, 0, 3]
    X[rng.rand(20, 5) < 0.2] = np.nan
    np.testing.assert_allclose(FieldMinMaxScaler().fit_transform(X),
                               MinMaxScaler().fit_transform(X))
    np.testing.assert_allclose(FieldNaNFiller().fit_transform(X),
                               SimpleImputer().fit_transform(X))
    filler = FieldNaNFiller(add_mask=True).fit(X)
    assert filler.output_shape_ == (10, 1, 1) and filler.n_features_in_ == 5
    # float32 is kept (long records of fields), the rest becomes float64
    X32 = X.astype(np.float32)
    assert FieldMinMaxScaler().fit_transform(X32).dtype == np.float32
    assert FieldNaNFiller().fit_transform(X32.reshape(20, 5, 1, 1)).dtype == np.float32
    assert FieldMinMaxScaler().fit_transform(np.nan_to_num(X).astype(int)).dtype == np.float64
    with pytest.raises(ValueError, match="5 features"):
        FieldMinMaxScaler().fit(X).transform(X[:, :4])


@pytest.mark.parametrize("cls", [FieldMinMaxScaler, FieldNaNFiller])
def test_refit_on_fields_forgets_the_table_column_names(cls):
    pd = pytest.importorskip("pandas")
    fields = np.random.RandomState(1).rand(5, 2, 3, 3)
    flat = fields.reshape(5, -1)
    table = pd.DataFrame(flat, columns=[f"c{i}" for i in range(18)])
    est = cls(input_shape=(2, 3, 3))
    assert list(est.fit(table).feature_names_in_) == list(table.columns)
    est.fit(fields)
    assert not hasattr(est, "feature_names_in_") and est.n_features_in_ == 18
    with warnings.catch_warnings():
        warnings.simplefilter("error")        # no "feature names" warning from a stale fit
        assert est.transform(flat).shape == (5, 18)


# ---- metrics -------------------------------------------------------------------------------
def test_metrics_hand_computed():
    X = np.array([[0.0, 0.0], [2.0, 0.0], [10.0, 0.0], [10.0, 4.0]])
    labels = np.array([5, 5, 7, 7])
    # squared distances to centroids: 1, 1, 4, 4 -> sum 10 over n=4
    assert cluster_rmse(X, labels) == pytest.approx(np.sqrt(10 / 4))
    # per-value variances: cluster 0: 2 / (2 * 2) = 0.5, cluster 1: 8 / 4 = 2
    # -> weighted (2*.5+2*2)/4
    per_value = dict(definition="per_value")
    assert average_cluster_variance(X, labels, **per_value) == pytest.approx(1.25)
    assert average_cluster_variance(X, labels, weighted=False,
                                    **per_value) == pytest.approx(1.25)
    assert average_cluster_variance(X, labels, **per_value) == pytest.approx(
        cluster_rmse(X, labels) ** 2 / 2)
    Xu = np.array([[0.0], [1.0], [2.0], [10.0]])
    assert average_cluster_variance(Xu, [0, 0, 0, 1], weighted=False,
                                    **per_value) == pytest.approx(1 / 3)
    assert average_cluster_variance(Xu, [0, 0, 0, 1],
                                    **per_value) == pytest.approx(3 * (2 / 3) / 4)
    # Eq 10: mean over clusters of the mean squared distance to the centroid
    # cluster 0: (1 + 1) / 2 = 1, cluster 1: (4 + 4) / 2 = 4 -> 2.5
    assert average_cluster_variance(X, labels) == pytest.approx(2.5)
    # unequal sizes: clusters count the same: (2/3 + 0) / 2
    assert average_cluster_variance(Xu, [0, 0, 0, 1]) == pytest.approx(1 / 3)
    # authors' code: np.var of all values of a cluster (one scalar mean), size-weighted
    # cluster 0 values {0, 0, 2, 0}: var 0.75; cluster 1 values {10, 0, 10, 4}: var 18
    assert average_cluster_variance(X, labels, definition="authors_code") == pytest.approx(
        (2 * 0.75 + 2 * 18.0) / 4)
    with pytest.raises(ValueError, match="definition"):
        average_cluster_variance(X, labels, definition="paper")
    assert average_intercluster_distance(X, labels) == pytest.approx(8.0)
    three = np.array([[0.0], [1.0], [4.0], [10.0]])
    assert average_intercluster_distance(three, [0, 0, 1, 2]) == pytest.approx(6.0)
    # 4-D input is flattened
    assert cluster_rmse(X.reshape(4, 1, 2, 1), labels) == pytest.approx(np.sqrt(2.5))


def test_silhouette_euclidean_vs_cosine():
    # groups by amplitude: euclidean separates them, cosine (direction only) does not
    X = np.array([[1.0, 0.0], [0.0, 1.0], [10.0, 0.0], [0.0, 10.0]])
    labels = [0, 0, 1, 1]
    assert silhouette(X, labels) > 0.2
    assert silhouette(X, labels, metric="cosine") < 0.0
    scores = cluster_quality_scores(X, labels)
    assert scores["n_clusters"] == 2 and scores["davies_bouldin"] > 0
    assert np.isnan(cluster_quality_scores(X, [0, 0, 0, 0])["silhouette"])
    with pytest.raises(ValueError, match="NaN"):
        cluster_rmse(np.array([[np.nan], [1.0]]), [0, 1])
    with pytest.raises(ValueError, match="one entry per sample"):
        cluster_rmse(X, [0, 1])


def test_match_labels_hungarian():
    from skstc.metrics import match_labels

    y = np.array([0, 0, 1, 1, 2, 2, 2])
    labels = np.array([2, 2, 0, 0, 1, 1, 0])  # a permutation, one day wrong
    np.testing.assert_array_equal(match_labels(y, labels), [0, 0, 1, 1, 2, 2, 1])
    # one-to-one: matching each cluster to its majority class would send both clusters to
    # class 1 here; the optimal matching gives the 3-day cluster 1 class 1, cluster 0 class 0
    y = np.array([1, 1, 0, 1, 1, 1, 0])
    labels = np.array([0, 0, 0, 1, 1, 1, 1])
    np.testing.assert_array_equal(match_labels(y, labels), [0, 0, 0, 1, 1, 1, 1])
    # more clusters than classes: the unmatched cluster gets an id after the classes
    out = match_labels([0, 0, 1, 1], [1, 2, 0, 0])
    assert out[2] == out[3] == 1 and {out[0], out[1]} == {0, 2}
    with pytest.raises(ValueError, match="non-negative integer"):
        match_labels([0, 1], [0, -1])


# ---- datasets ------------------------------------------------------------------------------
def test_make_climate_fields_regimes_persist_and_are_planted():
    X, y = make_climate_fields(n_times=200, n_regimes=4, grid_shape=(10, 12), persistence=5,
                               noise=0.0, seasonal_amplitude=0.0, random_state=0)
    assert X.shape == (200, 3, 10, 12) and X.dtype == np.float32
    assert set(np.unique(y)) == {0, 1, 2, 3}
    spells = 1 + np.count_nonzero(np.diff(y))
    assert 200 / spells > 3  # persistent regimes (mean spell ~5 days)
    # without noise and season, every day is its regime's pattern times a positive strength
    for k in range(4):
        days = X[y == k].reshape((y == k).sum(), -1)
        cos = days @ days[0] / (np.linalg.norm(days, axis=1) * np.linalg.norm(days[0]))
        np.testing.assert_allclose(cos, 1.0, atol=1e-5)
    X2, y2 = make_climate_fields(n_times=200, n_regimes=4, grid_shape=(10, 12), persistence=5,
                                 noise=0.0, seasonal_amplitude=0.0, random_state=0)
    np.testing.assert_array_equal(X, X2)
    ds, regime = make_climate_fields(n_times=20, grid_shape=(5, 6), as_xarray=True,
                                     random_state=1)
    assert list(ds.data_vars) == ["var0", "var1", "var2"] and regime.dims == ("time",)
    with pytest.raises(ValueError, match="n_regimes"):
        make_climate_fields(n_times=3, n_regimes=5)


def test_load_era5_on_synthetic_dataset_with_levels_and_members():
    import xarray as xr

    rng = np.random.RandomState(0)
    raw = xr.Dataset(
        {"z": (("number", "valid_time", "isobaricInhPa", "latitude", "longitude"),
               rng.rand(2, 3, 2, 4, 5)),
         "t": (("number", "valid_time", "isobaricInhPa", "latitude", "longitude"),
               rng.rand(2, 3, 2, 4, 5))},
        coords={"number": [0, 1], "valid_time": np.arange(3).astype("datetime64[D]"),
                "isobaricInhPa": [850.0, 500.0], "latitude": np.arange(4.0),
                "longitude": np.arange(5.0)})
    ds = load_era5(raw)
    assert sorted(ds.data_vars) == ["t_500", "t_850", "z_500", "z_850"]
    assert ds["z_500"].dims == ("time", "lat", "lon") and ds.sizes["time"] == 6
    np.testing.assert_array_equal(ds["z_500"].values[1], raw["z"].values[1, 0, 1])
    one = load_era5(raw, "t", sel={"isobaricInhPa": 500, "number": 0})
    assert list(one.data_vars) == ["t"] and one.sizes["time"] == 3
    with pytest.raises(ValueError, match="not in the dataset"):
        load_era5(raw, ["q"])
    with pytest.raises(ValueError, match="lat dim"):
        load_era5(raw.rename(latitude="foo"))


@pytest.mark.realdata
def test_load_era5_real_files(data_file):
    ds = load_era5(data_file("era5_msl_vo850_djf2025-26_6h.nc"), resample="1D")
    assert list(ds.data_vars) == ["msl", "vo850"] and ds.sizes["time"] == 90
    uk = load_era5(data_file("era5_t2m_uk_2019-03_hourly.nc"))
    assert uk["t2m"].shape == (744, 33, 49)
    ens = load_era5(data_file("era5_levels_members_2017-01.nc"))
    assert sorted(ens.data_vars) == ["t_500", "t_850", "z_500", "z_850"]
    assert ens.sizes["time"] == 40 and "member" in ens.coords
    scaled = FieldMinMaxScaler().fit_transform(ds)  # a Dataset in, a Dataset out
    assert list(scaled.data_vars) == ["msl", "vo850"]
    assert scaled["msl"].shape == (90, 73, 144)
    assert max(float(scaled[v].max()) for v in scaled.data_vars) == 1.0
