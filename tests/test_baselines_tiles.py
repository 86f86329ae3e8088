"""TilePixelKMeans and tiles_baselines: the pixel baselines of Tile2VecSeriesKMeans."""

import numpy as np
import pytest

from skstc import Tile2VecSeriesKMeans
from skstc.baselines import TilePixelKMeans, tiles_baselines
from skstc.datasets import make_image_sequence


@pytest.fixture(scope="module")
def images():
    imgs, zones = make_image_sequence(n_regions=2, n_times=3, n_bands=2, height=32, width=40,
                                      cloud_fraction=0.05, random_state=0)
    return imgs, zones


def test_mean_method_is_the_pixel_mean_encoder(images):
    imgs, _ = images
    base = TilePixelKMeans(4, tile_size=8, random_state=3).fit(imgs)
    ref = Tile2VecSeriesKMeans(4, tile_size=8, representation="pixel_mean", random_state=3).fit(imgs)
    np.testing.assert_array_equal(base.labels_, ref.labels_)
    np.testing.assert_allclose(base.transform(imgs), ref.transform(imgs), rtol=1e-6)
    assert [m.shape for m in base.label_maps_] == [(4, 5), (4, 5)]
    np.testing.assert_array_equal(base.predict(imgs), base.labels_)


def test_pca_method_projects_the_tile_pixels(images):
    from sklearn.decomposition import PCA

    imgs, _ = images
    model = TilePixelKMeans(4, tile_size=8, method="pca", n_components=5,
                            random_state=0).fit(imgs)
    # cut the tiles by hand, fill NaN with the per-band means, project
    fill = np.nanmean(imgs, axis=(0, 1, 3, 4))
    filled = np.where(np.isnan(imgs), fill[None, None, :, None, None], imgs)
    tiles = [filled[r, :, :, 8 * i:8 * i + 8, 8 * j:8 * j + 8].ravel()
             for r in range(2) for i in range(4) for j in range(5)]
    tiles = np.asarray(tiles)
    Z = model.transform(imgs)
    assert Z.shape == (40, 5)
    ref = PCA(5).fit(tiles).transform(tiles)
    # principal components are defined up to sign
    np.testing.assert_allclose(np.abs(Z), np.abs(ref), rtol=1e-3, atol=1e-3)
    assert len(np.unique(model.labels_)) == 4


def test_same_input_forms_as_the_deep_model(images):
    imgs, _ = images
    import xarray as xr

    da = xr.DataArray(imgs[0], dims=("time", "band", "y", "x"),
                      coords={"y": np.arange(32) * 10.0, "x": np.arange(40) * 10.0})
    m = TilePixelKMeans(3, tile_size=8, random_state=0).fit(da)
    assert isinstance(m.label_maps_[0], xr.DataArray)
    assert m.label_maps_[0].shape == (4, 5)
    # 2-D rows of flattened tile sequences
    tiles = imgs[0].reshape(3, 2, 4, 8, 5, 8).transpose(2, 4, 0, 1, 3, 5).reshape(20, -1)
    m2 = TilePixelKMeans(3, tile_size=8, series_shape=(3, 2), tile_grid_shape=(4, 5),
                         random_state=0).fit(np.nan_to_num(tiles))
    assert m2.labels_.shape == (20,)
    with pytest.raises(ValueError, match="method"):
        TilePixelKMeans(method="median").fit(imgs)


def test_tiles_baselines_copy_the_configuration():
    est = Tile2VecSeriesKMeans(6, tile_size=5, series_shape=(2, 3), random_state=7)
    out = tiles_baselines(est)
    assert set(out) == {"pixel-mean k-means", "pixel PCA k-means"}
    for model in out.values():
        p = model.get_params()
        assert (p["n_clusters"], p["tile_size"], p["series_shape"], p["random_state"]) == \
            (6, 5, (2, 3), 7)
        assert not hasattr(model, "labels_")
    assert out["pixel PCA k-means"].method == "pca"


def test_invalid_parameters_give_sklearn_errors():
    from sklearn.utils._param_validation import InvalidParameterError

    X = np.zeros((2, 1, 16, 16))
    for params, name in (({"tile_size": 0}, "tile_size"), ({"n_init": 1.5}, "n_init"),
                         ({"n_clusters": "4"}, "n_clusters")):
        with pytest.raises(InvalidParameterError,
                           match=f"'{name}' parameter of TilePixelKMeans"):
            TilePixelKMeans(**params).fit(X)
