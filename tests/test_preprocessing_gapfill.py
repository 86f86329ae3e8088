"""skstc.preprocessing gap filling: TemporalGapFiller."""

import pickle
import time

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.pipeline import Pipeline

from benchmarks._data import load_image_series
from skstc import Tile2VecSeriesKMeans
from skstc.datasets import make_image_sequence
from skstc.preprocessing import ImageBandScaler, TemporalGapFiller

nan = np.nan


def _img(series):
    """One pixel, one band: (n_times, 1, 1, 1)."""
    return np.asarray(series, dtype=np.float64).reshape(-1, 1, 1, 1)


def _fill(series, **params):
    return TemporalGapFiller(**params).fit_transform(_img(series)).ravel()


# ---- xarray / dask --------------------------------------------------------------------------
def _dataarray(values, times):
    xr = pytest.importorskip("xarray")
    t, b, h, w = values.shape
    return xr.DataArray(values, dims=("time", "band", "y", "x"),
                        coords={"time": times, "band": ["ndvi", "evi"][:b],
                                "y": np.arange(h) * 10.0, "x": np.arange(w) * 10.0},
                        attrs={"source": "test"}, name="refl")


# ---- the rule, by hand ------------------------------------------------------------------
def test_linear_interior_gaps_by_hand():
    got = _fill([0.0, nan, nan, 6.0, nan, 2.0])
    np.testing.assert_allclose(got, [0.0, 2.0, 4.0, 6.0, 4.0, 2.0])


def test_edges_take_nearest_valid_value():
    np.testing.assert_allclose(_fill([nan, nan, 3.0, nan, 5.0, nan, nan]),
                               [3.0, 3.0, 3.0, 4.0, 5.0, 5.0, 5.0])
    np.testing.assert_allclose(_fill([nan, 7.0, nan]), [7.0, 7.0, 7.0])


def test_nearest_method_and_tie_goes_to_earlier_date():
    # gap of 3 between 1 and 9: dates 1 -> 1 (closer before), 2 -> tie -> 1, 3 -> 9
    np.testing.assert_allclose(_fill([1.0, nan, nan, nan, 9.0], method="nearest"),
                               [1.0, 1.0, 1.0, 9.0, 9.0])
    np.testing.assert_allclose(_fill([1.0, nan, nan, 9.0], method="nearest"),
                               [1.0, 1.0, 9.0, 9.0])


def test_max_gap_leaves_long_runs_nan():
    s = [nan, 1.0, nan, 3.0, nan, nan, nan, 7.0, nan, nan]
    np.testing.assert_allclose(_fill(s, max_gap=2),
                               [1.0, 1.0, 2.0, 3.0, nan, nan, nan, 7.0, 7.0, 7.0])
    np.testing.assert_allclose(_fill(s, max_gap=0), s)
    np.testing.assert_allclose(_fill(s, max_gap=3),
                               [1.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 7.0, 7.0])


def test_all_nan_series_stays_nan_and_valid_values_unchanged():
    rng = np.random.RandomState(0)
    X = rng.rand(9, 2, 4, 5).astype(np.float32)
    X[rng.rand(*X.shape) < 0.4] = nan
    X[:, :, 1, 2] = nan          # a pixel with no valid date in either band
    X[:, :, 3, 3] = nan          # band 0 never observed; band 1 once, at the first date
    X[0, 1, 3, 3] = 0.25
    out = TemporalGapFiller().fit_transform(X)
    assert out.dtype == np.float32 and out.shape == X.shape
    assert np.isnan(out[:, :, 1, 2]).all() and np.isnan(out[:, 0, 3, 3]).all()
    np.testing.assert_allclose(out[:, 1, 3, 3], 0.25)
    never = np.isnan(X).all(axis=0)         # (band, y, x) series with no valid date
    assert never.sum() >= 3
    np.testing.assert_array_equal(np.isnan(out), np.broadcast_to(never, X.shape))
    ok = ~np.isnan(X)
    np.testing.assert_array_equal(out[ok], X[ok])


def test_matches_np_interp_per_series_on_random_stacks():
    rng = np.random.RandomState(1)
    X = rng.randn(2, 12, 3, 6, 7)
    X[rng.rand(*X.shape) < 0.5] = nan
    out = TemporalGapFiller().fit_transform(X)
    t = np.arange(12.0)
    for r, b, i, j in np.ndindex(2, 3, 6, 7):
        s = X[r, :, b, i, j]
        ok = ~np.isnan(s)
        want = np.interp(t, t[ok], s[ok]) if ok.any() else s
        np.testing.assert_allclose(out[r, :, b, i, j], want, rtol=1e-12, atol=1e-12)


def test_regions_list_and_integer_input():
    a = _img([1.0, nan, 3.0])
    b = np.concatenate([_img([nan, 2.0, nan])] * 4, axis=3)
    out = TemporalGapFiller().fit_transform([a, b])
    assert isinstance(out, list)
    np.testing.assert_allclose(out[0].ravel(), [1.0, 2.0, 3.0])
    np.testing.assert_allclose(out[1], 2.0)
    ints = TemporalGapFiller().fit_transform(np.arange(8).reshape(2, 1, 2, 2))
    assert ints.dtype == np.float32


# ---- 2-D reading: one series per row ------------------------------------------------------
def test_two_d_rows_are_series():
    X = np.array([[nan, 1.0, nan, 5.0], [2.0, nan, nan, nan], [nan] * 4], dtype=np.float32)
    f = TemporalGapFiller().fit(X)
    assert f.n_features_in_ == 4 and f.n_times_ == 4
    out = f.transform(X)
    assert out.dtype == np.float32
    np.testing.assert_allclose(out, [[1, 1, 3, 5], [2, 2, 2, 2], [nan] * 4])
    with pytest.raises(ValueError, match="features"):
        f.transform(X[:, :3])
    with pytest.raises(ValueError, match="images"):
        TemporalGapFiller().fit(_img([1.0, 2.0])).transform(X)


def test_datetime_spacing_and_coords_kept():
    times = np.array(["2020-01-01", "2020-01-02", "2020-01-11"], dtype="datetime64[ns]")
    da = _dataarray(_img([0.0, nan, 10.0]), times)
    out = TemporalGapFiller().fit_transform(da)
    # day 1 of a 10-day gap: 1.0 on the calendar, 5.0 by index
    np.testing.assert_allclose(out.values.ravel(), [0.0, 1.0, 10.0])
    np.testing.assert_allclose(
        TemporalGapFiller(use_time_coordinate=False).fit_transform(da).values.ravel(),
        [0.0, 5.0, 10.0])
    assert out.dims == da.dims and out.name == "refl" and out.attrs == {"source": "test"}
    for c in da.coords:
        np.testing.assert_array_equal(out[c].values, da[c].values)
    # nearest on the calendar: day 2 is nearer day 1 than day 11
    near = TemporalGapFiller(method="nearest").fit_transform(da)
    np.testing.assert_allclose(near.values.ravel(), [0.0, 0.0, 10.0])


def test_unsorted_time_coordinate_is_refused():
    times = np.array(["2020-01-05", "2020-01-02", "2020-01-11"], dtype="datetime64[ns]")
    da = _dataarray(_img([0.0, nan, 10.0]), times)
    with pytest.raises(ValueError, match="strictly increasing"):
        TemporalGapFiller().fit(da)
    out = TemporalGapFiller(use_time_coordinate=False).fit_transform(da)
    np.testing.assert_allclose(out.values.ravel(), [0.0, 5.0, 10.0])


def test_dask_is_lazy_chunkwise_and_equals_numpy():
    da_mod = pytest.importorskip("dask.array")
    rng = np.random.RandomState(2)
    X = rng.rand(10, 2, 12, 14).astype(np.float32)
    X[rng.rand(*X.shape) < 0.5] = nan
    want = TemporalGapFiller().fit_transform(X)
    D = da_mod.from_array(X, chunks=(3, 1, 5, 7))   # time split over chunks: rechunked
    out = TemporalGapFiller().fit_transform(D)
    assert isinstance(out, da_mod.Array) and out.dtype == np.float32
    assert out.chunks[0] == (10,) and out.chunks[2:] == ((5, 5, 2), (7, 7))
    np.testing.assert_array_equal(out.compute(), want)
    # dask DataArray stays dask-backed, and a lazy input is not computed by fit/transform
    times = np.arange(10) * np.timedelta64(1, "D") + np.datetime64("2021-01-01", "ns")
    lazy = _dataarray(X, times).chunk({"time": 4, "y": 6})
    res = TemporalGapFiller().fit(lazy).transform(lazy)
    assert type(res.data).__module__.startswith("dask")
    np.testing.assert_array_equal(res.values, want)
    bad = da_mod.from_array(np.full((3, 1, 2, 2), np.inf), chunks=2)
    lazy_bad = TemporalGapFiller().fit_transform(bad)   # infinity found at compute time
    with pytest.raises(ValueError, match="infinity"):
        lazy_bad.compute()


# ---- API --------------------------------------------------------------------------------------
@pytest.mark.parametrize("params, match", [
    (dict(method="cubic"), "method"), (dict(max_gap=-1), "max_gap"),
    (dict(max_gap=1.5), "max_gap"), (dict(max_gap="2"), "max_gap")])
def test_bad_parameters(params, match):
    with pytest.raises(ValueError, match=match):
        TemporalGapFiller(**params).fit(_img([1.0, nan]))


def test_bad_input():
    with pytest.raises(ValueError, match="infinity"):
        TemporalGapFiller().fit_transform(_img([1.0, np.inf, nan]))
    with pytest.raises(ValueError, match="same dates"):
        TemporalGapFiller().fit([_img([1.0, 2.0]), _img([1.0, 2.0, 3.0])])
    with pytest.raises(ValueError, match="region"):
        TemporalGapFiller().fit([_img([1.0]), np.zeros((2, 1, 1))])
    xr = pytest.importorskip("xarray")
    with pytest.raises(ValueError, match="no time dim found"):
        TemporalGapFiller().fit(xr.DataArray(np.zeros((2, 1, 2, 2)),
                                             dims=("step", "band", "y", "x")))
    with pytest.raises(TypeError, match="Dataset"):
        TemporalGapFiller().fit(xr.Dataset({"a": (("time",), [1.0])}))


def test_pipeline_with_scaler_and_tile2vec_clone_pickle():
    images, _ = make_image_sequence(n_regions=2, n_times=4, n_bands=2, height=32, width=40,
                                    random_state=0)
    X = np.array(images, dtype=np.float32)
    rng = np.random.RandomState(0)
    for r, t in ((0, 1), (1, 2), (1, 3)):       # cloud blocks on some dates
        i, j = rng.randint(0, 20, size=2)
        X[r, t, :, i:i + 12, j:j + 16] = nan
    X[0, :, :, 0, 0] = nan                      # one pixel never observed
    pipe = Pipeline([("fill", TemporalGapFiller()), ("scale", ImageBandScaler()),
                     ("t2v", Tile2VecSeriesKMeans(3, tile_size=8, embedding_dim=8,
                                                  n_blocks=(1,), base_width=4, n_triplets=64,
                                                  batch_size=32, max_epochs=1, refine_epochs=1,
                                                  n_threads=1, random_state=0))])
    labels = pipe.fit_predict(X)
    assert labels.shape == (40,)
    Z = pipe.transform(X)
    assert np.isfinite(Z).all()
    filled = pipe[0].transform(X)
    assert np.isnan(filled).sum() == 4 * 2      # only the never-observed pixel
    np.testing.assert_allclose(Z, pipe[-1].transform(pipe[1].transform(filled)))
    again = pickle.loads(pickle.dumps(pipe))
    np.testing.assert_array_equal(again.predict(X), pipe.predict(X))
    c = clone(pipe)
    assert c.get_params()["fill__method"] == "linear" and not hasattr(c[0], "n_times_")


@pytest.mark.realdata
def test_slovenia_ndvi_no_gap_left(data_file):
    pytest.importorskip("xarray")
    images, _ = load_image_series(data_file("sentinel2_slovenia_ndvi.nc"))
    raw = images.values
    assert np.isnan(raw).mean() > 0.3            # the cloudy patch this is for
    start = time.perf_counter()
    out = TemporalGapFiller().fit_transform(images)
    elapsed = time.perf_counter() - start
    never = np.isnan(raw).all(axis=0)
    np.testing.assert_array_equal(np.isnan(out.values), np.broadcast_to(never, raw.shape))
    ok = ~np.isnan(raw)
    np.testing.assert_array_equal(out.values[ok], raw[ok])
    # linear interpolation and edge copies never leave the range of the series' valid values
    v = out.values.reshape(raw.shape[0], -1)
    r = raw.reshape(v.shape)
    seen = ~never.ravel()
    assert np.all(v[:, seen] >= np.nanmin(r[:, seen], axis=0))
    assert np.all(v[:, seen] <= np.nanmax(r[:, seen], axis=0))
    assert out.dims == images.dims and (out.time.values == images.time.values).all()
    assert elapsed < 3.0

