"""skstc.datasets: generators with planted structure and the readers."""


import numpy as np
import pytest
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import confusion_matrix
from sklearn.model_selection import cross_val_predict
from sklearn.preprocessing import StandardScaler

from skstc.datasets import (
    cut_objects,
    load_era5,
    make_climate_fields,
    make_image_sequence,
    make_water_bodies,
    tile_majority,
)
from skstc.preprocessing import FieldMinMaxScaler, FractionMapFeatures


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


# ---- make_image_sequence ---------------------------------------------------------------
def test_make_image_sequence_shapes_and_reproducible():
    im1, z1 = make_image_sequence(n_regions=3, n_times=5, n_bands=2, height=40, width=30,
                                  n_zones=4, random_state=1)
    im2, z2 = make_image_sequence(n_regions=3, n_times=5, n_bands=2, height=40, width=30,
                                  n_zones=4, random_state=1)
    assert im1.shape == (3, 5, 2, 40, 30) and im1.dtype == np.float32
    assert z1.shape == (3, 40, 30)
    np.testing.assert_array_equal(im1, im2)
    np.testing.assert_array_equal(z1, z2)
    for r in range(3):   # every zone in every region
        assert set(np.unique(z1[r])) == {0, 1, 2, 3}
    assert np.isfinite(im1).all()


def test_make_image_sequence_zones_are_compact_and_seasonal():
    im, z = make_image_sequence(n_regions=2, n_times=12, height=64, width=64, n_zones=4,
                                noise=0.0, random_state=0)
    tiles = tile_majority(z[0], 8)
    shuffled = np.random.RandomState(0).permutation(tiles.ravel()).reshape(tiles.shape)

    def same_as_neighbour(m):
        pairs = [(m[1:] == m[:-1]).ravel(), (m[:, 1:] == m[:, :-1]).ravel()]
        return np.mean(np.concatenate(pairs))

    # Voronoi zones are spatially compact: adjacent tiles mostly share their zone
    assert same_as_neighbour(tiles) > 0.6 > 0.4 > same_as_neighbour(shuffled)
    # zones change through seasons: per-zone mean trajectories are not constant
    zone0 = im[0][:, :, z[0] == 0].mean(axis=2)   # (time, band)
    assert zone0.std(axis=0).min() > 0.01


def test_make_image_sequence_pairs_share_means_but_not_texture():
    im, z = make_image_sequence(n_regions=1, n_times=6, height=96, width=96, n_zones=4,
                                noise=0.0, shared_means=True, random_state=3)
    px = im[0]
    m0 = px[:, :, z[0] == 0].mean(axis=2)
    m1 = px[:, :, z[0] == 1].mean(axis=2)
    m2 = px[:, :, z[0] == 2].mean(axis=2)
    assert np.abs(m0 - m1).max() < 0.05        # pair (0, 1): same means
    assert np.abs(m0 - m2).max() > 0.05        # different pairs: different means
    s0 = px[:, :, z[0] == 0].std(axis=2).mean()
    s1 = px[:, :, z[0] == 1].std(axis=2).mean()
    assert s1 > 3 * s0 + 0.05                  # zone 1 textured, zone 0 flat


def test_make_image_sequence_clouds_and_xarray():
    im, z = make_image_sequence(n_regions=1, n_times=8, height=32, width=32,
                                cloud_fraction=0.2, as_xarray=True, random_state=0)
    assert im.dims == ("region", "time", "band", "y", "x")
    assert z.dims == ("region", "y", "x")
    frac = float(np.isnan(im.values).mean())
    assert 0.05 < frac < 0.45
    with pytest.raises(ValueError, match="cloud_fraction"):
        make_image_sequence(cloud_fraction=1.5)
    with pytest.raises(ValueError, match="n_times"):
        make_image_sequence(n_times=0)


def test_tile_majority():
    lm = np.array([[1, 1, 2, 2], [1, 2, 2, 0], [0, 0, 3, 3], [0, 0, 3, 0]])
    np.testing.assert_array_equal(tile_majority(lm, 2), [[1, 2], [0, 3]])
    np.testing.assert_array_equal(tile_majority(lm, 2, ignore=0), [[1, 2], [-1, 3]])


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


def test_make_water_bodies_nuisance_factors():
    """nuisance=0 is the default set; nuisance=1 translates maps, scales and shifts series,
    adds noise and cloud gaps, while the class signal survives (invariant features)."""
    X0, y0 = make_water_bodies(200, n_timesteps=96, map_size=24, random_state=0)
    Xz, yz = make_water_bodies(200, n_timesteps=96, map_size=24, nuisance=0.0,
                               random_state=0)
    np.testing.assert_array_equal(X0, Xz)
    X1, y1 = make_water_bodies(200, n_timesteps=96, map_size=24, nuisance=1.0,
                               random_state=0)
    np.testing.assert_array_equal(y0, y1)
    n_map = 576
    # amplitude: the default series are scaled to a maximum of 1, the nuisance ones are not
    assert np.allclose(X0[:, n_map:].max(axis=1), 1.0)
    assert X1[:, n_map:].max(axis=1).std() > 0.1
    # translation: the maps' centres of mass move (up to 3 pixels at map_size=24)
    rows = np.arange(24)

    def centre(X):
        m = np.clip(X[:, :n_map], 0, None).reshape(-1, 24, 24)
        return (m.sum(axis=2) * rows).sum(axis=1) / m.sum(axis=(1, 2))

    assert centre(X1).std() > 1.5 * centre(X0).std()
    # the class signal is invariant to the nuisances: shift- and scale-free features (map
    # moments, amplitude spectra of the max-normalised series) still separate the classes
    series = X1[:, n_map:] / np.abs(X1[:, n_map:]).max(axis=1, keepdims=True)
    spectra = np.abs(np.fft.rfft(series, axis=1))[:, 1:20]
    maps = np.clip(X1[:, :n_map], 0, None).reshape(-1, 24, 24)
    shape = np.column_stack([maps.sum(axis=(1, 2)), (maps > 0.5).sum(axis=(1, 2)),
                             maps.max(axis=1).sum(axis=1), maps.max(axis=2).sum(axis=1)])
    F = StandardScaler().fit_transform(np.hstack([shape, spectra]))
    pred = cross_val_predict(LogisticRegression(max_iter=3000), F, y1, cv=3)
    assert np.diag(confusion_matrix(y1, pred, normalize="true")).min() > 0.8
    with pytest.raises(ValueError, match="nuisance"):
        make_water_bodies(4, nuisance=1.5)


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

