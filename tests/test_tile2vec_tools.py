"""Data generator, loaders, band scaler, inspection, geographic metrics and plots."""

import numpy as np
import pytest

from benchmarks._data import load_image_series
from skstc.datasets import make_image_sequence, tile_majority
from skstc.inspection import (
    centroid_interpolation,
    cluster_representatives,
    mds_projection,
    pca_colors,
    semantic_tree,
)
from skstc.metrics import geographic_calinski_harabasz, geographic_silhouette, kmeans_error
from skstc.preprocessing import ImageBandScaler


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


# ---- inspection -------------------------------------------------------------------------
def test_representatives_are_members_nearest_centroid():
    rng = np.random.RandomState(0)
    X = np.concatenate([rng.randn(20, 3), rng.randn(20, 3) + 10])
    labels = np.repeat([0, 1], 20)
    idx = cluster_representatives(X, labels)
    for k, i in enumerate(idx):
        assert labels[i] == k
        c = X[labels == k].mean(0)
        assert np.allclose(((X[i] - c) ** 2).sum(), ((X[labels == k] - c) ** 2).sum(1).min())


def test_interpolation_nearest_real_series():
    X = np.array([[0.0, 0.0], [5.0, 0.0], [10.0, 0.0], [100.0, 100.0]])
    w, P, idx = centroid_interpolation(X, [0, 0], [10, 0], n_steps=5)
    np.testing.assert_allclose(P[:, 0], [0, 2.5, 5, 7.5, 10])
    assert idx[0] == 0 and idx[2] == 1 and idx[-1] == 2 and 3 not in idx
    with pytest.raises(ValueError, match="n_steps"):
        centroid_interpolation(X, [0, 0], [1, 1], n_steps=1)


def test_semantic_tree_is_mst():
    rng = np.random.RandomState(0)
    C = rng.randn(7, 4)
    edges, w = semantic_tree(C)
    assert edges.shape == (6, 2)
    # a spanning tree: connected over 7 nodes with 6 edges
    parent = list(range(7))

    def find(a):
        while parent[a] != a:
            a = parent[a]
        return a

    for i, j in edges:
        parent[find(i)] = find(j)
    assert len({find(i) for i in range(7)}) == 1
    # minimal: equal to the total weight of Prim's tree computed here
    D = np.sqrt(((C[:, None] - C[None]) ** 2).sum(-1))
    seen, total = {0}, 0.0
    while len(seen) < 7:
        best = min((D[i, j], j) for i in seen for j in range(7) if j not in seen)
        total += best[0]
        seen.add(best[1])
    assert w.sum() == pytest.approx(total)
    edges, w = semantic_tree([[0.0], [0.0], [3.0]])  # duplicate centroids still connected
    assert len(edges) == 2 and w.tolist() == [0.0, 3.0]


def test_pca_colors_and_mds():
    rng = np.random.RandomState(0)
    X = np.concatenate([rng.randn(30, 5), rng.randn(30, 5) + 4, rng.randn(30, 5) - 4])
    labels = np.repeat([0, 1, 2], 30)
    C = np.stack([X[labels == k].mean(0) for k in range(3)])
    col = pca_colors(X, C)
    assert col.shape == (3, 3) and col.min() >= 0 and col.max() <= 1
    # clusters 1 and 2 are opposite on the first component: extreme red values
    assert {round(col[1, 0]), round(col[2, 0])} == {0, 1}
    E, idx = mds_projection(X, random_state=0, max_samples=40)
    assert E.shape == (40, 2) and len(np.unique(idx)) == 40
    # MDS keeps the clusters apart
    from sklearn.metrics import silhouette_score

    assert silhouette_score(E, labels[idx]) > 0.5


# ---- metrics -------------------------------------------------------------------------------
def test_geographic_metrics_prefer_compact_maps():
    compact = np.repeat(np.repeat([[0, 1], [2, 3]], 5, axis=0), 5, axis=1)
    rng = np.random.RandomState(0)
    scattered = rng.permutation(compact.ravel()).reshape(compact.shape)
    assert geographic_silhouette(compact) > 0.3 > geographic_silhouette(scattered)
    assert geographic_calinski_harabasz(compact) > 10 * geographic_calinski_harabasz(scattered)
    holes = compact.copy()
    holes[0, 0] = -1
    assert np.isfinite(geographic_silhouette(holes))
    with pytest.raises(ValueError, match="two distinct"):
        geographic_silhouette(np.zeros((3, 3), int))
    with pytest.raises(ValueError, match="2-D"):
        geographic_silhouette(np.zeros(9, int))


def test_kmeans_error_equals_inertia_over_n():
    from sklearn.cluster import KMeans

    X = np.random.RandomState(0).randn(50, 3)
    km = KMeans(3, n_init=2, random_state=0).fit(X)
    assert kmeans_error(X, km.labels_, km.cluster_centers_) == pytest.approx(km.inertia_ / 50)
    assert kmeans_error(X, km.labels_) == pytest.approx(km.inertia_ / 50, rel=1e-6)


# ---- plotting --------------------------------------------------------------------------------
def test_plots_draw():
    mpl = pytest.importorskip("matplotlib")
    mpl.use("Agg")
    import matplotlib.pyplot as plt

    from skstc.plotting import plot_label_maps, plot_mds, plot_semantic_tree

    maps = [np.array([[0, 1], [2, -1]]), np.array([[1, 1, 0]])]
    axes = plot_label_maps(maps, colors=np.eye(3))
    assert len(axes) == 2 and len(axes[0].images) == 1
    img = axes[0].images[0].get_array()
    np.testing.assert_allclose(img[0, 0], [1, 0, 0, 1])
    assert img[1, 1, 3] == 0   # -1 transparent
    ax = plot_mds(np.random.rand(5, 2), [0, 1, 2, 0, 1])
    assert len(ax.collections) == 1
    ax = plot_semantic_tree(np.random.rand(4, 3), [10, 5, 1, 7])
    assert len(ax.lines) == 3
    plt.close("all")


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


# ---- series distance (sum over dates of per-date Euclidean distances) ---------------------
def _series_by_loop(X, Y, n_times):
    out = np.zeros((len(X), len(Y)))
    for i, x in enumerate(X):
        for j, y in enumerate(Y):
            xs, ys = x.reshape(n_times, -1), y.reshape(n_times, -1)
            out[i, j] = sum(np.linalg.norm(xs[t] - ys[t]) for t in range(n_times))
    return out


def test_pairwise_series_distances_by_hand_and_loop():
    from skstc.metrics import pairwise_series_distances

    # dates (3, 4) and (0, 1): 5 + 1 = 6, whereas the flat Euclidean distance is sqrt(26)
    d = pairwise_series_distances([[0, 0, 0, 0]], [[3, 4, 0, 1]], n_times=2)
    assert d[0, 0] == pytest.approx(6.0)
    rng = np.random.RandomState(0)
    X, Y = rng.rand(7, 12), rng.rand(5, 12)
    np.testing.assert_allclose(pairwise_series_distances(X, Y, n_times=3),
                               _series_by_loop(X, Y, 3), rtol=1e-7, atol=1e-6)
    D = pairwise_series_distances(X, n_times=4)
    np.testing.assert_allclose(D, D.T, atol=1e-6)
    np.testing.assert_allclose(pairwise_series_distances(X, n_times=1),
                               np.linalg.norm(X[:, None] - X[None], axis=2), atol=1e-6)
    with pytest.raises(ValueError, match="n_times"):
        pairwise_series_distances(X, n_times=5)


def test_series_silhouette_and_error_use_the_series_distance():
    from sklearn.metrics import silhouette_score

    from skstc.metrics import kmeans_error, series_silhouette

    rng = np.random.RandomState(1)
    X = rng.rand(30, 8)
    labels = rng.randint(0, 3, 30)
    D = _series_by_loop(X, X, 4)
    assert series_silhouette(X, labels, n_times=4) == pytest.approx(
        silhouette_score(D, labels, metric="precomputed"))
    assert series_silhouette(X, labels, metric="euclidean") == pytest.approx(
        silhouette_score(X, labels))
    # one date far off: counts linearly under the series distance
    A = np.zeros((2, 4))
    A[1, :2] = [3.0, 4.0]
    assert kmeans_error(A, [0, 0], metric="series", n_times=2) == pytest.approx(2.5)
    assert kmeans_error(A, [0, 0]) == pytest.approx(6.25)
    with pytest.raises(ValueError, match="n_times"):
        series_silhouette(X, labels)


def test_inspection_tools_take_the_series_distance():
    from skstc.inspection import (
        centroid_interpolation,
        cluster_representatives,
        mds_projection,
        semantic_tree,
    )

    # series 1 is nearer the centroid (0, 0 | 0, 0) in flat Euclidean distance
    # (sqrt(2 * 1.9^2) = 2.69 < 3), series 0 under the series distance (3 < 3.8)
    X = np.array([[3.0, 0.0, 0.0, 0.0], [1.9, 0.0, 1.9, 0.0]])
    centers = np.zeros((1, 4))
    assert cluster_representatives(X, [0, 0], centers).tolist() == [1]
    assert cluster_representatives(X, [0, 0], centers, metric="series",
                                   n_times=2).tolist() == [0]
    _, _, near = centroid_interpolation(X, centers[0], centers[0], n_steps=2,
                                        metric="series", n_times=2)
    assert near.tolist() == [0, 0]
    # tree: centroid 1 = (1, 0 | 1, 0) is nearer 0 than 2 = (1.6, 0 | 0, 0) in flat Euclidean
    # distance (1.41 < 1.6) but farther under the series distance (2 > 1.6)
    C = np.array([[0.0, 0, 0, 0], [1.0, 0, 1.0, 0], [1.6, 0, 0, 0]])
    edges, w = semantic_tree(C, metric="series", n_times=2)
    assert edges.tolist() == [[0, 2], [1, 2]] and w.tolist() == pytest.approx([1.6, 1.6])
    edges_e, w_e = semantic_tree(C)
    assert edges_e.tolist() == [[1, 2], [0, 1]]
    assert w_e.tolist() == pytest.approx([np.sqrt(1.36), np.sqrt(2)])
    # MDS on the series dissimilarities, reproducible from the seed
    rng = np.random.RandomState(0)
    S = rng.rand(25, 6)
    E1, i1 = mds_projection(S, metric="series", n_times=3, max_samples=20, random_state=3)
    E2, i2 = mds_projection(S, metric="series", n_times=3, max_samples=20,
                            random_state=np.random.RandomState(3))
    np.testing.assert_array_equal(i1, i2)
    np.testing.assert_array_equal(E1, E2)
    # the 2-D distances approximate the series distances better than the flat ones
    from scipy.spatial.distance import pdist, squareform

    target = _series_by_loop(S[i1], S[i1], 3)
    d2 = squareform(pdist(E1))
    flat, _ = mds_projection(S, max_samples=20, random_state=3)
    df = squareform(pdist(flat))
    scale = (d2 * target).sum() / (d2 ** 2).sum()
    scale_f = (df * target).sum() / (df ** 2).sum()
    assert ((scale * d2 - target) ** 2).sum() < ((scale_f * df - target) ** 2).sum()
