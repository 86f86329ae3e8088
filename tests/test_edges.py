"""The edge policy across estimators: dims by name, variables by name, xarray/dask out."""

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.pipeline import make_pipeline

from skstc import DeepSpatiotemporalClustering
from skstc.datasets import make_climate_fields
from skstc.preprocessing import FieldMinMaxScaler, FieldNaNFiller

xr = pytest.importorskip("xarray")

TINY = dict(embedding_dim=4, conv_channels=(4, 8), lstm_hidden_size=8, pretrain_epochs=2,
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
    assert z.dims == ("time", "embedding") and z.shape == (40, 4)
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
    assert pipe.transform(raw).dims == ("time", "embedding")


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


# ---- MultimodalConstrainedAE / MultimodalClassifier ----------------------------------------
MM_TINY = dict(spatial_shape=(8, 8), embedding_dim=8, conv_channels=(4,), lstm_hidden_size=8,
               max_epochs=2, n_threads=1, random_state=0)


@pytest.fixture(scope="module")
def objects():
    from skstc.datasets import make_water_bodies

    X, y = make_water_bodies(40, n_timesteps=12, map_size=8, random_state=0)
    ds = xr.Dataset({"fraction_map": (("sample", "y", "x"), X[:, :64].reshape(-1, 8, 8)),
                     "area": (("sample", "time"), X[:, 64:])},
                    coords={"sample": np.arange(100, 140)}, attrs={"crs": "EPSG:32633"})
    return X, y, ds


def test_multimodal_xarray_and_dask_out(objects):
    from skstc import MultimodalConstrainedAE

    X, _, ds = objects
    ae = MultimodalConstrainedAE(3, **MM_TINY).fit(ds)
    assert ae.labels_.dims == ("sample",) and int(ae.labels_["sample"][0]) == 100
    labels = ae.predict(ds)
    assert isinstance(labels, xr.DataArray) and labels.dims == ("sample",)
    np.testing.assert_array_equal(labels.values, ae.predict(X))
    # the Dataset's dims in another order: matched by name
    swapped = ds.transpose("x", "y", "time", "sample")
    np.testing.assert_array_equal(ae.predict(swapped).values, labels.values)
    pytest.importorskip("dask")
    import dask.array as dsa

    lazy = ae.predict(ds.chunk({"sample": 16}))
    assert isinstance(lazy.data, dsa.Array)
    np.testing.assert_array_equal(lazy.values, labels.values)
    Z = ae.transform(dsa.from_array(X, chunks=(16, -1)))
    assert isinstance(Z, dsa.Array)
    np.testing.assert_allclose(Z.compute(), ae.transform(X), rtol=1e-5, atol=1e-6)


def test_classifier_outputs_follow_input(objects):
    from skstc import MultimodalClassifier

    X, y, ds = objects
    clf = MultimodalClassifier(hidden_units=8, **MM_TINY).fit(X, y)
    pred = clf.predict(ds)
    assert pred.dims == ("sample",)
    np.testing.assert_array_equal(pred.values, clf.predict(X))
    proba = clf.predict_proba(ds)
    assert proba.dims == ("sample", "class")
    np.testing.assert_array_equal(proba["class"].values, clf.classes_)
    pytest.importorskip("dask")
    import dask.array as dsa

    lazy = clf.predict_proba(dsa.from_array(X, chunks=(10, -1)))
    assert isinstance(lazy, dsa.Array)
    np.testing.assert_allclose(lazy.compute(), clf.predict_proba(X), rtol=1e-5)


# ---- Tile2VecSeriesKMeans ------------------------------------------------------------------
T2V_TINY = dict(tile_size=8, embedding_dim=8, n_blocks=(1,), base_width=4, n_triplets=64,
                batch_size=32, max_epochs=1, refine_epochs=1, n_threads=1, random_state=0)


@pytest.fixture(scope="module")
def t2v():
    from skstc import Tile2VecSeriesKMeans
    from skstc.datasets import make_image_sequence

    images, _ = make_image_sequence(n_regions=2, n_times=3, n_bands=2, height=32, width=40,
                                    random_state=0)
    da = xr.DataArray(images, dims=("region", "time", "band", "y", "x"),
                      coords={"y": np.arange(32) * 10.0 + 1000, "x": np.arange(40) * 10.0},
                      attrs={"crs": "EPSG:32633"})
    return Tile2VecSeriesKMeans(3, **T2V_TINY).fit(images), images, da


def test_tile2vec_xarray_and_dask_out(t2v):
    model, images, da = t2v
    labels = model.predict(da)
    assert isinstance(labels, xr.DataArray) and labels.dims == ("tile",)
    np.testing.assert_array_equal(labels.values, model.predict(images))
    assert labels.attrs["crs"] == "EPSG:32633"
    # tile centres: row 1, column 2 of region 0
    first = labels.where((labels.region == 0) & (labels.row == 1) & (labels.col == 2),
                         drop=True)
    assert first.y.item() == 1000 + 10 * (8 + 3.5) and first.x.item() == 10 * (16 + 3.5)
    Z = model.transform(da.transpose("region", "x", "y", "band", "time"))
    assert Z.dims == ("tile", "feature")
    np.testing.assert_allclose(Z.values, model.transform(images), rtol=1e-5)
    pytest.importorskip("dask")
    import dask.array as dsa

    lazy = model.predict(dsa.from_array(images, chunks=(1, 1, 2, 16, 16)))
    assert isinstance(lazy, dsa.Array)
    np.testing.assert_array_equal(lazy.compute(), labels.values)
    lazy_da = model.transform(da.chunk({"y": 16}))
    assert isinstance(lazy_da.data, dsa.Array)
    np.testing.assert_allclose(lazy_da.values, Z.values, rtol=1e-5)


def _counted_region(images, chunks, reads):
    """``images`` as a dask array built from ``chunks`` blocks, counting the block reads."""
    dsa = pytest.importorskip("dask.array")

    def read(block_info=None):
        reads.append(1)
        sl = tuple(slice(a, b) for a, b in block_info[None]["array-location"])
        return images[sl]

    lazy = dsa.from_array(images, chunks=chunks)
    return dsa.map_blocks(read, dtype=images.dtype, chunks=lazy.chunks,
                          meta=np.empty((0,) * images.ndim, images.dtype))


def test_tile2vec_dask_region_is_lazy_and_blockwise(t2v):
    dsa = pytest.importorskip("dask.array")
    model, images, da = t2v
    reads = []
    # 5-D (region, time, band, y, x) in chunks of one date and band, 16 x 16 pixels
    lazy_in = da.copy(data=_counted_region(images, (1, 1, 1, 16, 16), reads))
    n_chunks = lazy_in.data.npartitions
    labels = model.predict(lazy_in)
    series = model.transform(lazy_in)
    maps = model.predict_label_maps(lazy_in)
    assert reads == []                      # nothing computed before asked
    assert isinstance(labels.data, dsa.Array) and isinstance(series.data, dsa.Array)
    assert all(isinstance(m.data, dsa.Array) for m in maps)
    # one task per 16-pixel spatial chunk (2 x 2 tiles of 8), not one per region
    assert maps[0].data.chunks == ((2, 2), (2, 2, 1))
    computed = [m.compute() for m in maps]
    # each stored chunk is read once per computation (no strip-wise re-reads)
    assert len(reads) == n_chunks
    expected = model.predict_label_maps(da)
    for got, ref in zip(computed, expected):
        np.testing.assert_array_equal(got.values, ref.values)
        np.testing.assert_array_equal(got.y.values, ref.y.values)
        assert got.attrs["crs"] == "EPSG:32633"
    np.testing.assert_array_equal(labels.values, model.predict(images))
    np.testing.assert_allclose(series.values, model.transform(images), rtol=1e-5, atol=1e-6)


def test_tile2vec_zarr_region_to_zarr_label_map(t2v, tmp_path):
    # a region opened lazily from a zarr store is labelled lazily and written chunk by chunk
    pytest.importorskip("zarr")
    from skstc.io import to_zarr

    model, images, da = t2v
    da.isel(region=0).rename("reflectance").to_dataset().chunk({"y": 16, "x": 16}).to_zarr(
        tmp_path / "stack.zarr")
    opened = xr.open_zarr(tmp_path / "stack.zarr")["reflectance"]
    label_map = model.predict_label_maps(opened)[0]
    assert label_map.chunks == ((2, 2), (2, 2, 1))
    to_zarr(label_map, tmp_path / "labels.zarr", estimator=model)
    store = xr.open_zarr(tmp_path / "labels.zarr")
    np.testing.assert_array_equal(store["cluster"].values,
                                  model.predict_label_maps(images[0])[0])
    assert store.attrs["skstc_estimator"] == "Tile2VecSeriesKMeans"


@pytest.mark.parametrize("chunks, expected", [
    ((16, 16, 8), (16, 16, 8)),          # already on tile boundaries: kept
    ((12, 12, 12, 4), (16, 16, 8)),      # rounded to whole tiles
    ((3,) * 13 + (1,), (8,) * 5),        # smaller than a tile: one tile per chunk
])
def test_tile_aligned_chunks(chunks, expected):
    from skstc._tile2vec import _tile_aligned_chunks

    assert _tile_aligned_chunks(chunks, 8) == expected


# ---- scikit-learn API ----------------------------------------------------------------------
def test_score_is_negative_inertia(ds, dsc, t2v):
    z = dsc.transform(ds).values
    d2 = ((z[:, None] - dsc.cluster_centers_[None]) ** 2).sum(-1).min(1)
    assert dsc.score(ds) == pytest.approx(-d2.sum(), rel=1e-5)
    model, images, _ = t2v
    assert model.score(images) == pytest.approx(model.clusterer_.score(model.transform(images)))


def test_grid_search_without_scoring(ds):
    from sklearn.model_selection import GridSearchCV

    X = np.stack([ds[v].values for v in ds.data_vars], axis=1)
    search = GridSearchCV(DeepSpatiotemporalClustering(3, **TINY),
                          {"embedding_dim": [2, 4]}, cv=2).fit(X)
    assert search.best_params_["embedding_dim"] in (2, 4)
    assert np.isfinite(search.cv_results_["mean_test_score"]).all()


def test_set_output_pandas(ds, dsc, objects):
    pd = pytest.importorskip("pandas")
    from skstc import MultimodalConstrainedAE

    X = np.stack([ds[v].values for v in ds.data_vars], axis=1)
    rows = X.reshape(40, -1)[:, :6]
    for est in (FieldNaNFiller(), FieldMinMaxScaler()):
        out = clone(est).set_output(transform="pandas").fit_transform(
            pd.DataFrame(rows, columns=[f"c{i}" for i in range(6)]))
        assert isinstance(out, pd.DataFrame) and list(out.columns)[0] == "c0"
    filler = FieldNaNFiller(add_mask=True).fit(np.where(rows > 0.5, np.nan, rows))
    assert filler.get_feature_names_out()[-1].endswith("_observed")
    assert len(filler.get_feature_names_out()) == filler.transform(rows).shape[1]
    est = clone(dsc).set_output(transform="pandas")
    Z = est.fit(X).transform(X)
    assert isinstance(Z, pd.DataFrame)
    assert list(Z.columns) == [f"deepspatiotemporalclustering{i}" for i in range(4)]
    X_mm, _, _ = objects
    pipe = make_pipeline(MultimodalConstrainedAE(3, **MM_TINY)).set_output(transform="pandas")
    assert list(pipe.fit(X_mm).transform(X_mm).columns)[:2] == [
        "multimodalconstrainedae0", "multimodalconstrainedae1"]


def test_set_output_image_transformers_and_tiles(t2v):
    pd = pytest.importorskip("pandas")
    from skstc.preprocessing import ImageBandScaler, ImageToTiles, TemporalGapFiller

    model, images, _ = t2v
    rows = pd.DataFrame(images[0, 0, 0], columns=[f"p{i}" for i in range(40)])
    for est in (ImageBandScaler(), TemporalGapFiller()):
        out = est.set_output(transform="pandas").fit_transform(rows)
        assert isinstance(out, pd.DataFrame) and list(out.columns) == list(rows.columns)
    tiles = ImageToTiles(tile_size=8).set_output(transform="pandas").fit_transform(images[0])
    assert isinstance(tiles, pd.DataFrame) and tiles.shape == (20, 3 * 2 * 64)
    assert tiles.columns[0] == "imagetotiles0"
    assert model.get_feature_names_out().shape == (model.cluster_centers_.shape[1],)


@pytest.mark.parametrize("make, params", [
    (lambda: DeepSpatiotemporalClustering(3, **TINY), {"window": 0}),
    (lambda: DeepSpatiotemporalClustering(3, **TINY), {"architecture": "lstm"}),
    (lambda: DeepSpatiotemporalClustering(3, **TINY), {"max_epochs": 1.5}),
    (lambda: FieldNaNFiller(), {"strategy": "median"}),
    (lambda: FieldMinMaxScaler(), {"per": "time"}),
])
def test_invalid_parameters_give_sklearn_error(ds, make, params):
    from sklearn.utils._param_validation import InvalidParameterError

    name = next(iter(params))
    with pytest.raises(InvalidParameterError, match=f"The '{name}' parameter of"):
        make().set_params(**params).fit(ds)


def test_invalid_parameters_every_estimator():
    from sklearn.utils._param_validation import InvalidParameterError

    from skstc import (
        LabelAugmenter,
        MultimodalClassifier,
        MultimodalConstrainedAE,
        Tile2VecSeriesKMeans,
    )
    from skstc.preprocessing import (
        FractionMapFeatures,
        ImageBandScaler,
        ImageToTiles,
        TemporalGapFiller,
    )

    X = np.random.RandomState(0).rand(6, 5)
    y = np.array([0, 1, 0, 1, -1, -1])
    cases = [(MultimodalConstrainedAE(embedding_dim=0), "embedding_dim"),
             (MultimodalConstrainedAE(lr=-1.0), "lr"),
             (MultimodalClassifier(encoder="ae"), "encoder"),
             (LabelAugmenter(n_clusters="3"), "n_clusters"),
             (Tile2VecSeriesKMeans(tile_size=0), "tile_size"),
             (Tile2VecSeriesKMeans(n_threads=0), "n_threads"),
             (FractionMapFeatures(map_size=0), "map_size"),
             (ImageToTiles(tile_size=-2), "tile_size"),
             (TemporalGapFiller(method="cubic"), "method")]
    for est, name in cases:
        with pytest.raises(InvalidParameterError, match=f"The '{name}' parameter"):
            est.fit(X, y)
    assert ImageBandScaler._parameter_constraints == {}


def test_pipeline_band_scaler_tile2vec_keeps_coordinates(t2v):
    from skstc import Tile2VecSeriesKMeans
    from skstc.preprocessing import ImageBandScaler

    _, images, da = t2v
    pipe = make_pipeline(ImageBandScaler(), Tile2VecSeriesKMeans(3, **T2V_TINY))
    labels = pipe.fit_predict(da)
    assert isinstance(labels, xr.DataArray) and labels.dims == ("tile",)
    assert labels.attrs["crs"] == "EPSG:32633" and "y" in labels.coords
    np.testing.assert_array_equal(pipe.predict(da).values, labels.values)
    assert pipe[-1].label_maps_[0].dims == ("y", "x")


def test_inference_uses_shapes_recorded_at_fit(ds, objects):
    from skstc import MultimodalConstrainedAE

    X = np.stack([ds[v].values for v in ds.data_vars], axis=1).reshape(40, -1)
    est = DeepSpatiotemporalClustering(3, input_shape=(3, 8, 8), **TINY).fit(X)
    labels = est.predict(X)
    np.testing.assert_array_equal(est.set_params(input_shape=(1, 24, 8)).predict(X), labels)
    scaler = FieldMinMaxScaler(input_shape=(3, 8, 8)).fit(X)
    out = scaler.transform(X)
    np.testing.assert_array_equal(scaler.set_params(input_shape=(3, 4, 16)).transform(X), out)
    X_mm, _, _ = objects
    ae = MultimodalConstrainedAE(3, **MM_TINY).fit(X_mm)
    Z = ae.transform(X_mm)
    np.testing.assert_array_equal(ae.set_params(spatial_shape=(4, 4)).transform(X_mm), Z)
    assert ae.inverse_transform(Z).shape == X_mm.shape
    with pytest.raises(ValueError, match=r"3-D array .* expected 2-D \(n_samples, height"):
        ae.predict(X_mm[:, :, None])


def test_wrong_rank_names_the_contract(t2v):
    model, images, _ = t2v
    for bad in (images[0, 0], images[None]):
        with pytest.raises(ValueError, match=r"-D array .*expected \(n_times, n_bands, height"):
            model.predict(bad)
    from skstc.preprocessing import ImageBandScaler

    with pytest.raises(ValueError, match=r"\(n_times, n_bands, height, width\)"):
        ImageBandScaler().fit(images[0, 0])


def test_image_to_tiles_keeps_tile_coordinates(t2v):
    from skstc.preprocessing import ImageToTiles

    _, images, da = t2v
    tiler = ImageToTiles(tile_size=8).fit(da)
    rows = tiler.transform(da)
    assert isinstance(rows, xr.DataArray) and rows.dims == ("tile", "feature")
    np.testing.assert_array_equal(rows.values, ImageToTiles(tile_size=8).fit_transform(images))
    np.testing.assert_array_equal(
        tiler.transform(da.transpose("x", "band", "region", "y", "time")).values, rows.values)
    assert rows.attrs["crs"] == "EPSG:32633" and rows["y"].values[0] == 1000 + 35.0


def test_label_augmenter_and_fraction_maps_follow_dataarray_input():
    import xarray as xr
    from sklearn.linear_model import LogisticRegression

    from skstc import LabelAugmenter
    from skstc.preprocessing import FractionMapFeatures

    rng = np.random.RandomState(0)
    Z = np.concatenate([rng.normal(0, 0.1, (20, 3)), rng.normal(3, 0.1, (20, 3))])
    y = np.repeat([0, 1], 20)
    y_few = np.full(40, -1)
    y_few[[0, 1, 2, 20, 21, 22]] = y[[0, 1, 2, 20, 21, 22]]
    ids = np.arange(100, 140)
    Zx = xr.DataArray(Z, dims=("lake", "embedding"), coords={"lake": ids})
    aug = LabelAugmenter(LogisticRegression(), n_clusters=4, random_state=0).fit(Zx, y_few)
    pred = aug.predict(Zx)
    assert isinstance(pred, xr.DataArray) and pred.dims == ("lake",)
    np.testing.assert_array_equal(pred["lake"], ids)
    np.testing.assert_array_equal(pred.values, aug.predict(Z))
    proba = aug.predict_proba(Zx)
    assert proba.dims == ("lake", "class") and list(proba["class"].values) == [0, 1]
    assert isinstance(aug.predict(Z), np.ndarray)

    masks = (rng.rand(6, 4, 8, 8) > 0.5).astype(float)
    mx = xr.DataArray(masks, dims=("lake", "month", "y", "x"), coords={"lake": ids[:6]})
    fmf = FractionMapFeatures(map_size=4).fit(mx)
    out = fmf.transform(mx)
    assert isinstance(out, xr.DataArray) and out.dims == ("lake", "feature")
    np.testing.assert_array_equal(out["lake"], ids[:6])
    np.testing.assert_array_equal(out.values, fmf.transform(masks))
    assert list(out["feature"].values) == list(fmf.get_feature_names_out())


def test_label_augmenter_and_fraction_maps_stay_lazy_on_dask():
    da = pytest.importorskip("dask.array")
    import xarray as xr
    from sklearn.linear_model import LogisticRegression

    from skstc import LabelAugmenter
    from skstc.preprocessing import FractionMapFeatures

    rng = np.random.RandomState(1)
    Z = np.concatenate([rng.normal(0, 0.1, (20, 3)), rng.normal(3, 0.1, (20, 3))])
    y_few = np.full(40, -1)
    y_few[[0, 1, 2, 20, 21, 22]] = [0, 0, 0, 1, 1, 1]
    aug = LabelAugmenter(LogisticRegression(), n_clusters=4, random_state=0).fit(Z, y_few)
    lazy = aug.predict(da.from_array(Z, chunks=(7, 3)))
    assert type(lazy).__module__.startswith("dask")
    np.testing.assert_array_equal(lazy.compute(), aug.predict(Z))
    Zx = xr.DataArray(da.from_array(Z, chunks=(10, 3)), dims=("lake", "embedding"),
                      coords={"lake": np.arange(40)})
    proba = aug.predict_proba(Zx)
    assert proba.dims == ("lake", "class") and type(proba.data).__module__.startswith("dask")
    np.testing.assert_allclose(proba.values, aug.predict_proba(Z))

    masks = (rng.rand(9, 4, 8, 8) > 0.5).astype(float)
    fmf = FractionMapFeatures(map_size=4).fit(masks)
    out = fmf.transform(da.from_array(masks, chunks=(4, 4, 8, 8)))
    assert type(out).__module__.startswith("dask")
    np.testing.assert_array_equal(out.compute(), fmf.transform(masks))
