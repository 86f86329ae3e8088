"""Tests of the multimodal data contract: FractionMapFeatures, (un)stacking, generators."""

import numpy as np
import pytest
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import confusion_matrix
from sklearn.model_selection import cross_val_predict

from benchmarks._data import load_sinop_objects, load_slovenia_objects
from skstc.datasets import cut_objects, make_water_bodies
from skstc.preprocessing import FractionMapFeatures, split_modalities, stack_modalities


def test_stack_split_roundtrip():
    rng = np.random.RandomState(0)
    maps, series = rng.rand(5, 4, 3), rng.rand(5, 7)
    X = stack_modalities(maps, series)
    assert X.shape == (5, 19)
    m2, s2 = split_modalities(X, (4, 3))
    np.testing.assert_allclose(m2, maps)
    np.testing.assert_allclose(s2, series)


@pytest.mark.parametrize("maps,series,msg", [
    (np.zeros((3, 2, 2)), np.zeros((2, 4)), "same length"),
    (np.zeros((3, 2, 2)), np.zeros((3, 0)), "length 0"),
    (np.zeros((3, 2, 2)), np.zeros(3), "n_timesteps"),
])
def test_stack_modalities_bad_input(maps, series, msg):
    with pytest.raises(ValueError, match=msg):
        stack_modalities(maps, series)


def test_split_modalities_bad_shape():
    with pytest.raises(ValueError, match="spatial_shape"):
        split_modalities(np.zeros((2, 16)), (4, 4))
    with pytest.raises(ValueError, match="2-D"):
        split_modalities(np.zeros((2, 4, 4)), (4, 4))


def test_fraction_map_by_hand():
    # one object, 2 months, 2x4 pixels (non-square: padded to 4x4 with zeros)
    masks = np.ones((1, 2, 2, 4), dtype=np.uint8)
    masks[0, 0, 0, :] = 2          # month 0: top row wet (4 pixels)
    masks[0, 1, 0, :2] = 2         # month 1: two pixels wet
    masks[0, 1, 1, 3] = 0          # a no-data pixel counts as not water
    X = FractionMapFeatures(map_size=4).fit_transform(masks)
    maps, series = split_modalities(X, (4, 4))
    expected = np.zeros((4, 4))
    expected[1, :] = [1.0, 1.0, 0.5, 0.5]   # centred: one zero row above, one below
    np.testing.assert_allclose(maps[0], expected)
    np.testing.assert_allclose(series[0], [1.0, 0.5])


def test_fraction_map_resize_and_ragged_list():
    big = np.full((3, 8, 8), 2, dtype=np.uint8)   # always wet
    small = np.ones((3, 2, 3), dtype=np.uint8)    # never wet
    X = FractionMapFeatures(map_size=4).fit_transform([big, small])
    maps, series = split_modalities(X, (4, 4))
    np.testing.assert_allclose(maps[0], 1.0)
    np.testing.assert_allclose(maps[1], 0.0)
    np.testing.assert_allclose(series[0], 1.0)
    np.testing.assert_array_equal(series[1], 0.0)   # all dry: zeros, not NaN


def test_fraction_map_nearest_upsampling():
    m = np.ones((1, 1, 2, 2), dtype=np.uint8)
    m[0, 0, 0, 0] = 2
    maps, _ = split_modalities(FractionMapFeatures(map_size=4).fit_transform(m), (4, 4))
    expected = np.zeros((4, 4))
    expected[:2, :2] = 1
    np.testing.assert_array_equal(maps[0], expected)


def test_fraction_map_dataarray_and_errors():
    xr = pytest.importorskip("xarray")
    masks = np.ones((2, 3, 4, 4), dtype=np.uint8)
    da = xr.DataArray(masks, dims=("sample", "time", "y", "x"))
    np.testing.assert_array_equal(FractionMapFeatures(map_size=4).fit_transform(da),
                                  FractionMapFeatures(map_size=4).fit_transform(masks))
    t = FractionMapFeatures(map_size=4).fit(masks)
    with pytest.raises(ValueError, match="months"):
        t.transform(np.ones((1, 5, 4, 4)))
    with pytest.raises(ValueError, match="4 months.*mask_shape"):
        t.transform(np.ones((4, 4)))                # 2-D: 4 months of one pixel
    with pytest.raises(ValueError, match="2D array"):
        t.transform(np.ones(4))
    with pytest.raises(ValueError, match="n_months, height, width"):
        t.transform([np.ones((3, 4, 4)), np.ones((4, 4))])
    with pytest.raises(ValueError, match="same number of months"):
        FractionMapFeatures().fit([np.ones((3, 2, 2)), np.ones((4, 2, 2))])
    with pytest.raises(ValueError, match="map_size"):
        FractionMapFeatures(map_size=0).fit(masks)
    assert len(t.get_feature_names_out()) == 16 + 3


def test_fraction_map_flattened_2d_input_with_mask_shape():
    rng = np.random.RandomState(0)
    masks = rng.randint(0, 3, size=(300, 5, 3, 4)).astype(np.uint8)   # > one chunk
    ref = FractionMapFeatures(map_size=6).fit_transform(masks)
    # the 4-D path (vectorised by chunks) equals the per-object list path
    np.testing.assert_array_equal(ref, FractionMapFeatures(map_size=6).fit_transform(list(masks)))
    flat = masks.reshape(300, -1)
    t = FractionMapFeatures(map_size=6, mask_shape=(3, 4)).fit(flat)
    np.testing.assert_array_equal(t.transform(flat), ref)
    assert t.n_features_in_ == 60 and t.n_timesteps_ == 5
    with pytest.raises(ValueError, match="features"):
        t.transform(flat[:, :-12])                       # 4 months instead of 5
    with pytest.raises(ValueError, match="multiple"):
        FractionMapFeatures(mask_shape=(3, 4)).fit(flat[:, :-1])
    with pytest.raises(ValueError, match="mask_shape"):
        FractionMapFeatures(mask_shape=(3,)).fit(flat)
    # default mask_shape=None: one pixel per object, each column a month
    series = np.array([[2, 1, 2, 2], [1, 1, 1, 1]])
    maps, area = split_modalities(FractionMapFeatures(map_size=2).fit_transform(series), (2, 2))
    np.testing.assert_allclose(maps[0], 0.75)
    np.testing.assert_allclose(area, [[1, 0, 1, 1], [0, 0, 0, 0]])
    # a 4-D fit forgets the 2-D input size
    t.fit(masks)
    assert not hasattr(t, "n_features_in_")


@pytest.mark.parametrize("bad", [np.nan, np.inf])
def test_fraction_map_rejects_non_finite_masks(bad):
    masks = np.ones((2, 3, 4, 4))
    masks[1, 2, 0, 0] = bad
    with pytest.raises(ValueError, match="NaN|infinity"):
        FractionMapFeatures(map_size=4).fit(masks)
    with pytest.raises(ValueError, match="NaN|infinity"):
        FractionMapFeatures(map_size=4).fit([masks[0], masks[1, :, :2]])
    with pytest.raises(ValueError, match="NaN|infinity"):
        FractionMapFeatures(map_size=4, mask_shape=(4, 4)).fit(masks.reshape(2, -1))


def test_make_water_bodies_shapes_and_reproducibility():
    X, y, masks = make_water_bodies(12, n_timesteps=30, map_size=16, return_masks=True,
                                    random_state=3)
    assert X.shape == (12, 256 + 30) and X.dtype == np.float32
    assert np.bincount(y).tolist() == [3, 3, 3, 3]
    assert len(masks) == 12 and all(m.shape[0] == 30 for m in masks)
    np.testing.assert_array_equal(FractionMapFeatures(map_size=16).fit_transform(masks), X)
    X2, y2 = make_water_bodies(12, n_timesteps=30, map_size=16, random_state=3)
    np.testing.assert_array_equal(X, X2)
    np.testing.assert_array_equal(y, y2)
    assert np.isfinite(X).all() and X.min() >= 0 and X.max() <= 1
    state = np.random.get_state()[1].copy()
    make_water_bodies(4, n_timesteps=10, map_size=8)
    np.testing.assert_array_equal(state, np.random.get_state()[1])


def test_make_water_bodies_modalities_are_complementary():
    """Maps separate ponds/rivers but not the lakes; series (spectra) the converse."""
    X, y = make_water_bodies(200, n_timesteps=96, map_size=24, random_state=0)
    maps, series = X[:, :576], X[:, 576:]
    spectra = np.abs(np.fft.rfft(series, axis=1))

    def confusion(F):
        pred = cross_val_predict(LogisticRegression(max_iter=3000), F, y, cv=3)
        cm = confusion_matrix(y, pred, normalize="true")
        return cm

    cm_map = confusion(maps)
    cm_ser = confusion(spectra)
    cm_both = confusion(np.hstack([maps, spectra]))
    # shape: ponds vs rivers easy, stable vs seasonal lakes at chance
    assert cm_map[0, 0] > 0.9 and cm_map[1, 1] > 0.9
    assert cm_map[2, 2] < 0.75 and cm_map[3, 3] < 0.75
    # dynamics: lakes easy, ponds vs rivers at chance
    assert cm_ser[2, 2] > 0.9 and cm_ser[3, 3] > 0.9
    assert cm_ser[0, 0] < 0.75 and cm_ser[1, 1] < 0.75
    assert np.diag(cm_both).min() > 0.9


def test_cut_objects_by_hand():
    images = np.arange(2 * 4 * 4, dtype=float).reshape(2, 4, 4)
    maps, series = cut_objects(images, np.array([[1, 1], [0, 3]]), window=3)
    np.testing.assert_allclose(series, [[5, 21], [3, 19]])
    np.testing.assert_allclose(maps[0], images[:, 0:3, 0:3].mean(axis=0))
    # border: edge padding repeats the last row/column
    expected = np.pad(images, [(0, 0), (1, 1), (1, 1)], mode="edge")[:, 0:3, 3:6].mean(0)
    np.testing.assert_allclose(maps[1], expected)
    _, s2 = cut_objects(images, np.array([[1, 1]]), window=3, series_reducer="window_mean")
    np.testing.assert_allclose(s2[0], images[:, 0:3, 0:3].mean(axis=(1, 2)))
    first, _ = cut_objects(images, np.array([[1, 1]]), window=1, map_reducer="first")
    assert first[0, 0, 0] == 5


@pytest.mark.parametrize("kwargs,msg", [
    ({"window": 2}, "odd"),
    ({"positions": np.array([[9, 0]])}, "inside"),
    ({"positions": np.array([0.5, 1])}, "n_objects, 2"),
    ({"map_reducer": "max"}, "map_reducer"),
])
def test_cut_objects_bad_input(kwargs, msg):
    args = {"images": np.zeros((2, 4, 4)), "positions": np.array([[1, 1]]), "window": 3}
    args.update(kwargs)
    with pytest.raises(ValueError, match=msg):
        cut_objects(**args)
    with pytest.raises(ValueError, match="NaN"):
        cut_objects(np.full((2, 4, 4), np.nan), np.array([[1, 1]]), 3)


@pytest.mark.realdata
def test_load_sinop_objects(data_file):
    X, y, codes = load_sinop_objects(data_file("sinop_modis_2000_2017.nc"), window=9, stride=2)
    assert X.shape[1] == 81 + 392
    assert np.isfinite(X).all()
    assert len(codes) >= 2 and y.max() == len(codes) - 1
    assert np.bincount(y).min() >= 30


@pytest.mark.realdata
def test_load_slovenia_objects(data_file):
    path = data_file("sentinel2_slovenia_ndvi.nc")
    X, y, codes = load_slovenia_objects(path, window=9, stride=3)
    xr = pytest.importorskip("xarray")
    with xr.open_dataset(path) as ds:
        n_dates = int(((ds["cloud_mask"] != 0) | (ds["is_valid"] == 0)).mean(("y", "x"))
                      .pipe(lambda f: (f <= 0.5).sum()))
        lulc = ds["lulc"].values
        ndvi = ds["ndvi"].values
    assert 2 <= n_dates < 68
    assert X.shape[1] == 81 + n_dates
    assert np.isfinite(X).all() and X.min() >= 0 and X.max() <= 1
    assert 0 not in codes and set(codes) <= {1, 2, 3, 4, 8}      # no-data code dropped
    assert np.bincount(y).min() >= 30 and y.max() == len(codes) - 1
    # object grid: every 3rd pixel from (4, 4); labels are the centre pixel's land use
    rr, cc = np.mgrid[4:97:3, 4:96:3]
    centre = lulc[rr.ravel(), cc.ravel()]
    kept = np.isin(centre, codes)
    np.testing.assert_array_equal(codes[y], centre[kept])
    # the map is the temporal mean of the scaled NDVI: forest (code 2) is greener than
    # grassland (code 3) on average, as in the raw cube
    forest, grass = list(codes).index(2), list(codes).index(3)
    raw = ndvi.mean(0)[rr.ravel(), cc.ravel()][kept]
    assert (X[y == forest, 40].mean() > X[y == grass, 40].mean()) == (
        raw[y == forest].mean() > raw[y == grass].mean())
    with pytest.raises(ValueError, match="max_cloud_fraction"):
        load_slovenia_objects(path, max_cloud_fraction=1.5)
