"""benchmarks/_data.py: the readers of the project's benchmark files."""

import numpy as np
import pytest

from benchmarks._data import load_image_series, load_sinop_objects, load_slovenia_objects


# ---- real data loaders ---------------------------------------------------------------------
@pytest.mark.realdata
@pytest.mark.parametrize("name,shape,has_labels,has_nan", [
    ("sentinel2_slovenia_ndvi.nc", (68, 1, 101, 100), True, True),
    ("sentinel2_slovenia_13band.nc", (5, 13, 101, 100), False, False),
    ("cbers4_awfi_2018.nc", (14, 4, 50, 50), False, False),
    ("sinop_modis_2000_2017.nc", (392, 2, 40, 40), True, True),
    ("landsat_lsts_2008-2013.nc", (105, 3, 61, 61), False, True),
    ("formosat2_tempcnn_image.nc", (149, 3, 16, 16), False, False),
])
def test_load_image_series(data_file, name, shape, has_labels, has_nan):
    da, labels = load_image_series(data_file(name))
    assert da.shape == shape and da.dims == ("time", "band", "y", "x")
    assert (labels is not None) == has_labels
    assert bool(np.isnan(da.values).any()) == has_nan
    assert np.nanmin(da.values) > -1000   # no-data codes gone
    if "time" in da.coords and np.issubdtype(da["time"].dtype, np.datetime64):
        assert (np.diff(da["time"].values) > np.timedelta64(0)).all()


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

