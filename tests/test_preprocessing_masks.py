"""skstc.preprocessing masks family: FractionMapFeatures, (un)stacking."""

import numpy as np
import pytest

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

