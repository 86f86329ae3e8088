"""skstc.preprocessing images family: ImageBandScaler, ImageToTiles."""

import numpy as np
import pytest

from skstc.preprocessing import ImageBandScaler


# ---- band scaler ---------------------------------------------------------------------------
def test_image_band_scaler_forms():
    rng = np.random.RandomState(0)
    X = rng.rand(2, 3, 2, 6, 6).astype(np.float32) * np.array([1, 50])[:, None, None]
    X[0, 0, 1, 0, 0] = np.nan
    sc = ImageBandScaler().fit(X)
    Xt = sc.transform(X)
    assert Xt.shape == X.shape and np.isnan(Xt[0, 0, 1, 0, 0])
    np.testing.assert_allclose(np.nanmean(Xt, axis=(0, 1, 3, 4)), 0, atol=1e-5)
    lst = sc.transform([X[0], X[1][:, :, :4]])
    np.testing.assert_allclose(lst[0], Xt[0])
    with pytest.raises(ValueError, match="bands"):
        sc.transform(X[:, :, :1])
    xr = pytest.importorskip("xarray")
    da = xr.DataArray(X[0], dims=("time", "band", "y", "x"))
    out = ImageBandScaler().fit(da).transform(da)
    assert isinstance(out, xr.DataArray) and out.dims == da.dims


def test_image_band_scaler_two_d_is_per_column_standard_scaler():
    from sklearn.preprocessing import StandardScaler

    rng = np.random.RandomState(0)
    X = rng.rand(20, 3) * [1, 10, 100] + [0, 5, -50]
    X[3, 1] = np.nan
    sc = ImageBandScaler().fit(X)
    ref = StandardScaler().fit(X)
    np.testing.assert_allclose(sc.transform(X), ref.transform(X), rtol=1e-10)
    assert sc.n_features_in_ == 3 and sc.transform(X).dtype == np.float64
    assert sc.transform(X.astype(np.float32)).dtype == np.float32
    # a nested list is an array-like table, not a list of regions
    np.testing.assert_allclose(ImageBandScaler().fit_transform(X.tolist()), sc.transform(X))
    with pytest.raises(ValueError, match="features"):
        sc.transform(X[:, :2])
    # fitted on images, a table is refused with a clear message (and vice versa)
    img = ImageBandScaler().fit(rng.rand(2, 3, 4, 4))
    with pytest.raises(ValueError, match="fitted on images"):
        img.transform(X)
    # a refit on images forgets the table's size and column names
    pd = pytest.importorskip("pandas")
    refit = ImageBandScaler().fit(pd.DataFrame(X, columns=list("abc"))).fit(rng.rand(2, 3, 4, 4))
    assert not hasattr(refit, "n_features_in_") and not hasattr(refit, "feature_names_in_")
    with pytest.raises(ValueError, match="bands"):
        sc.transform(rng.rand(2, 4, 4, 4))
    import scipy.sparse as sp

    with pytest.raises(TypeError, match="[Ss]parse"):
        ImageBandScaler().fit(sp.csr_matrix(X[:, :1] > 5))


def test_image_to_tiles_api():
    """What the common checks would test, on the image input ImageToTiles takes."""
    import pickle

    from sklearn.base import clone
    from sklearn.exceptions import NotFittedError
    from sklearn.utils import estimator_checks as ec

    from skstc.preprocessing import ImageToTiles

    for check in (ec.check_no_attributes_set_in_init, ec.check_parameters_default_constructible,
                  ec.check_get_params_invariance, ec.check_set_params,
                  ec.check_do_not_raise_errors_in_init_or_set_params):
        check("ImageToTiles", ImageToTiles(tile_size=3))
    X = np.random.RandomState(0).rand(2, 3, 2, 7, 9).astype(np.float32)
    X[0, 0, 0, 0, 0] = np.nan
    est = ImageToTiles(tile_size=3)
    with pytest.raises(NotFittedError):
        est.transform(X)
    assert est.fit(X) is est and est.get_params() == {"tile_size": 3}
    assert est.tile_grid_shapes_ == [(2, 3), (2, 3)] and est.series_shape_ == (3, 2)
    rows = est.transform(X)
    assert rows.shape == (12, 3 * 2 * 9) and np.isnan(rows[0, 0])   # NaN passes through
    np.testing.assert_array_equal(pickle.loads(pickle.dumps(est)).transform(X), rows,
                                  strict=False)
    np.testing.assert_array_equal(clone(est).fit(X).transform(X), rows)   # idempotent
    np.testing.assert_array_equal(est.transform(list(X)), rows)
    with pytest.raises(ValueError, match="n_times, n_bands"):
        est.transform(X[:, :2])
    with pytest.raises(ValueError, match="smaller than one tile"):
        est.transform(X[0, :, :, :2])
    with pytest.raises(ValueError, match="tile_size"):
        ImageToTiles(tile_size=0).fit(X)
    # a shape parameter changed after fit applies from the next fit on (transform keeps the
    # fitted tiling) and is validated there
    np.testing.assert_array_equal(est.set_params(tile_size=1.5).transform(X), rows)
    with pytest.raises(ValueError, match="tile_size"):
        est.fit(X)
    with pytest.raises(ValueError, match="must be"):
        ImageToTiles(tile_size=2).fit(X[0, 0])


def test_image_band_scaler_dask_stays_lazy_and_matches_numpy():
    dask = pytest.importorskip("dask.array")
    xr = pytest.importorskip("xarray")
    rng = np.random.RandomState(1)
    X = (rng.rand(4, 3, 2, 10, 12) * [[[[1.0]], [[30.0]]]] + 7).astype(np.float32)
    X[1, 2, 0, 3:6, 4] = np.nan
    ref = ImageBandScaler().fit(X)
    lazy = dask.from_array(X, chunks=(1, 1, 2, 5, 12))
    sc = ImageBandScaler().fit(lazy)
    np.testing.assert_allclose(sc.mean_, ref.mean_, rtol=1e-6)
    np.testing.assert_allclose(sc.scale_, ref.scale_, rtol=1e-5)
    np.testing.assert_allclose(sc.mean_, np.nanmean(X.astype(np.float64), axis=(0, 1, 3, 4)),
                               rtol=1e-6)
    np.testing.assert_allclose(sc.scale_, np.nanstd(X.astype(np.float64), axis=(0, 1, 3, 4)),
                               rtol=1e-5)
    out = sc.transform(lazy)
    assert type(out).__module__.startswith("dask") and out.dtype == np.float32
    np.testing.assert_allclose(out.compute(), ref.transform(X), rtol=1e-5, atol=1e-6)
    # a dask-backed DataArray (band not on axis -3) keeps its dims, coords and laziness
    da = xr.DataArray(np.moveaxis(X[0], 1, -1), dims=("time", "y", "x", "band"),
                      coords={"band": ["red", "nir"]}).chunk({"time": 1})
    got = ImageBandScaler().fit(da).transform(da)
    assert got.dims == da.dims and list(got["band"].values) == ["red", "nir"]
    assert type(got.data).__module__.startswith("dask")
    want = ImageBandScaler().fit(X[0]).transform(X[0])
    np.testing.assert_allclose(np.moveaxis(got.values, -1, 1), want, rtol=1e-5, atol=1e-6)
    bad = X.copy()
    bad[0, 0, 0, 0, 0] = np.inf
    with pytest.raises(ValueError, match="infinity"):
        ImageBandScaler().fit(dask.from_array(bad, chunks=2))

