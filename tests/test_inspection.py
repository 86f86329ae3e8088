"""skstc.inspection: representatives, interpolation, semantic tree, projections."""

import os
import sys

import numpy as np
import pytest

from skstc.inspection import (
    centroid_interpolation,
    cluster_representatives,
    mds_projection,
    pca_colors,
    semantic_tree,
)

sys.path.insert(0, os.path.dirname(__file__))
from _helpers import series_by_loop  # noqa: E402


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

    target = series_by_loop(S[i1], S[i1], 3)
    d2 = squareform(pdist(E1))
    flat, _ = mds_projection(S, max_samples=20, random_state=3)
    df = squareform(pdist(flat))
    scale = (d2 * target).sum() / (d2 ** 2).sum()
    scale_f = (df * target).sum() / (df ** 2).sum()
    assert ((scale * d2 - target) ** 2).sum() < ((scale_f * df - target) ** 2).sum()



# ---- choose_n_clusters ------------------------------------------------------------------
def _blobs(std=0.5, n=240, centers=4, seed=0):
    from sklearn.datasets import make_blobs

    return make_blobs(n_samples=n, centers=centers, cluster_std=std, random_state=seed)[0]


def test_choose_n_clusters_finds_planted_blobs_and_is_stable():
    from sklearn.cluster import KMeans

    from skstc.inspection import choose_n_clusters

    X = _blobs()
    res = choose_n_clusters(KMeans(n_init=4), X, n_clusters=range(2, 8), n_seeds=3,
                            random_state=0)
    table = res.table
    assert table["n_clusters"].tolist() == [2, 3, 4, 5, 6, 7]
    assert res.suggested_k == 4 and res.knee_k == 4 and res.silhouette_k == 4
    # deterministic, well separated: every seed finds the same partition
    assert table.set_index("n_clusters").loc[4, "stability"] == pytest.approx(1.0)
    assert 4 in res.stable
    assert res.labels[4].shape == (3, len(X))
    # inertia is KMeans' own, silhouette is measured on X (KMeans clusters its input)
    from sklearn.metrics import silhouette_score

    fit = KMeans(n_clusters=4, n_init=4, random_state=res.seeds[0]).fit(X)
    row = table.set_index("n_clusters").loc[4]
    assert row["inertia"] == pytest.approx(fit.inertia_, rel=1e-6)
    assert row["silhouette"] == pytest.approx(silhouette_score(X, fit.labels_), rel=1e-6)
    assert (np.diff(table["inertia"]) < 0).all()


def test_choose_n_clusters_stability_is_lower_without_structure():
    from sklearn.cluster import KMeans

    from skstc.inspection import choose_n_clusters

    X = np.random.RandomState(0).uniform(size=(200, 2))
    noisy = choose_n_clusters(KMeans(n_init=1, init="random"), X, n_clusters=[6], n_seeds=4,
                              random_state=0)
    clean = choose_n_clusters(KMeans(n_init=1, init="random"), _blobs(centers=6, std=0.3),
                              n_clusters=[6], n_seeds=4, random_state=0)
    assert noisy.table["stability"][0] < 0.9
    assert noisy.table["stability"][0] < clean.table["stability"][0]
    assert noisy.knee_k is None  # a single k has no elbow


def test_choose_n_clusters_is_reproducible():
    from sklearn.cluster import KMeans

    from skstc.inspection import choose_n_clusters

    X = np.random.RandomState(1).normal(size=(150, 3))
    cols = ["n_clusters", "inertia", "silhouette", "stability"]
    a = choose_n_clusters(KMeans(n_init=1), X, n_clusters=[2, 3, 5], random_state=3)
    b = choose_n_clusters(KMeans(n_init=1), X, n_clusters=[5, 2, 3], random_state=3)
    c = choose_n_clusters(KMeans(n_init=1), X, n_clusters=[2, 3, 5], random_state=4)
    assert a.seeds == b.seeds and a.seeds != c.seeds
    assert a.table[cols].equals(b.table[cols])
    for k in (2, 3, 5):
        np.testing.assert_array_equal(a.labels[k], b.labels[k])
    # global RNG untouched
    state = np.random.get_state()[1].copy()
    choose_n_clusters(KMeans(n_init=1), X, n_clusters=[2, 3], random_state=None)
    np.testing.assert_array_equal(np.random.get_state()[1], state)


@pytest.mark.parametrize("n_zones", [3, 5])
def test_choose_n_clusters_finds_planted_zones_with_an_skstc_estimator(n_zones):
    from skstc import Tile2VecSeriesKMeans
    from skstc.datasets import make_image_sequence
    from skstc.inspection import choose_n_clusters

    images, _ = make_image_sequence(n_regions=2, n_times=6, height=64, width=64,
                                    n_zones=n_zones, texture=0.0, shared_means=False,
                                    random_state=0)
    model = Tile2VecSeriesKMeans(tile_size=2, representation="pixel_mean", n_threads=1)
    res = choose_n_clusters(model, images, n_clusters=range(2, 9), random_state=0)
    assert res.suggested_k == n_zones
    assert res.reused_embedding  # the pixel means do not depend on k
    # silhouette is measured on what the estimator clusters: its transform (the float32
    # embedding, scored in float64), averaged over the seeds' fits
    from sklearn.metrics import silhouette_score

    sils = []
    for seed in res.seeds:
        fit = model.set_params(n_clusters=n_zones, random_state=seed).fit(images)
        Z = np.asarray(fit.transform(images), dtype=np.float64)
        sils.append(silhouette_score(Z, fit.labels_))
    row = res.table.set_index("n_clusters").loc[n_zones]
    assert row["silhouette"] == pytest.approx(np.mean(sils), rel=1e-6)


def test_choose_n_clusters_reused_embedding_equals_full_refits():
    from skstc import Tile2VecSeriesKMeans
    from skstc.datasets import make_image_sequence
    from skstc.inspection import choose_n_clusters

    images, _ = make_image_sequence(n_regions=1, n_times=3, height=32, width=32,
                                    random_state=0)
    model = Tile2VecSeriesKMeans(tile_size=8, embedding_dim=4, n_blocks=(1,), base_width=4,
                                 n_triplets=32, max_epochs=1, refine=False, n_threads=1)
    fast = choose_n_clusters(model, images[0], n_clusters=[2, 3, 4], n_seeds=2, random_state=0)
    full = choose_n_clusters(model, images[0], n_clusters=[2, 3, 4], n_seeds=2, random_state=0,
                             reuse_embedding=False)
    assert fast.reused_embedding and not full.reused_embedding
    for k in (2, 3, 4):
        np.testing.assert_array_equal(fast.labels[k], full.labels[k])
    np.testing.assert_allclose(fast.table["inertia"], full.table["inertia"], rtol=1e-5)
    # the refined encoder depends on the clusters: no reuse, and True is refused
    refined = model.set_params(refine=True)
    with pytest.raises(ValueError, match="does not depend on n_clusters"):
        choose_n_clusters(refined, images[0], n_clusters=[2, 3], reuse_embedding=True)


def test_choose_n_clusters_inertia_without_inertia_attribute():
    from sklearn.cluster import SpectralClustering

    from skstc import DeepSpatiotemporalClustering
    from skstc.datasets import make_climate_fields
    from skstc.inspection import choose_n_clusters

    X = _blobs(n=90, centers=3)
    res = choose_n_clusters(SpectralClustering(),
                            X, n_clusters=[3], n_seeds=1, random_state=0)
    lab = res.labels[3][0]
    wss = sum(((X[lab == k] - X[lab == k].mean(0)) ** 2).sum() for k in range(3))
    assert res.table["inertia"][0] == pytest.approx(wss)
    assert np.isnan(res.table["stability"][0])
    # DSC: squared distances of its codes to its centres in the latent space
    F, _ = make_climate_fields(n_times=30, n_regimes=2, grid_shape=(8, 8), random_state=0)
    dsc = DeepSpatiotemporalClustering(embedding_dim=3, conv_channels=(4, 8),
                                       lstm_hidden_size=8, pretrain_epochs=1, max_epochs=1,
                                       n_threads=1)
    res = choose_n_clusters(dsc, F, n_clusters=[2], n_seeds=1, random_state=0)
    fit = dsc.set_params(n_clusters=2, random_state=res.seeds[0]).fit(F)
    Z = np.asarray(fit.transform(F), dtype=np.float64)
    labels = np.asarray(fit.labels_)
    expected = ((Z - fit.cluster_centers_[labels]) ** 2).sum()
    assert res.table["inertia"][0] == pytest.approx(expected, rel=1e-5)


@pytest.mark.parametrize("n_clusters, err, match", [
    (5, TypeError, "sequence of candidate values"),
    ([], ValueError, "empty"),
    ([2, 3.5], TypeError, "must hold ints"),
    ([0, 2], ValueError, ">= 1"),
    ([2, 3, 3], ValueError, "repeated"),
    ("abc", TypeError, "must hold ints"),
])
def test_choose_n_clusters_bad_k_ranges(n_clusters, err, match):
    from sklearn.cluster import KMeans

    from skstc.inspection import choose_n_clusters

    with pytest.raises(err, match=match):
        choose_n_clusters(KMeans(), _blobs(), n_clusters=n_clusters)


def test_choose_n_clusters_bad_estimator_and_options():
    from sklearn.cluster import DBSCAN, KMeans

    from skstc.inspection import choose_n_clusters

    X = _blobs()
    with pytest.raises(ValueError, match="no n_clusters or random_state parameter"):
        choose_n_clusters(DBSCAN(), X, n_clusters=[2, 3])
    with pytest.raises(ValueError, match="n_seeds"):
        choose_n_clusters(KMeans(), X, n_clusters=[2, 3], n_seeds=0)
    with pytest.raises(ValueError, match="space must be"):
        choose_n_clusters(KMeans(), X, n_clusters=[2, 3], space="latent")
    from skstc import Tile2VecSeriesKMeans
    from skstc.datasets import make_image_sequence

    images, _ = make_image_sequence(n_regions=1, n_times=2, height=8, width=8, random_state=0)
    tiles = Tile2VecSeriesKMeans(tile_size=2, representation="pixel_mean", n_threads=1)
    with pytest.raises(ValueError, match="input X must be 2-D.*space='transform'"):
        choose_n_clusters(tiles, images[0], n_clusters=[2], space="input")
    with pytest.raises(ValueError, match="n_threads=2 with n_jobs=2"):
        choose_n_clusters(tiles.set_params(n_threads=2), images[0], n_clusters=[2], n_jobs=2)


def test_choose_n_clusters_verbose_logs_and_sample_size(capsys, caplog):
    import logging

    from sklearn.cluster import KMeans

    from skstc.inspection import choose_n_clusters

    X = _blobs()
    with caplog.at_level(logging.INFO, logger="skstc"):
        res = choose_n_clusters(KMeans(n_init=2), X, n_clusters=[3, 4], n_seeds=2,
                                sample_size=50, verbose=1, random_state=0)
    printed = capsys.readouterr().out.splitlines()
    assert len(printed) == 4 and all("[choose_n_clusters] KMeans n_clusters=" in p
                                     for p in printed)
    assert [r.getMessage() for r in caplog.records if "choose_n_clusters" in r.getMessage()] \
        == printed
    full = choose_n_clusters(KMeans(n_init=2), X, n_clusters=[3, 4], n_seeds=2, random_state=0)
    # the subsample changes the silhouette estimate, not the fits
    assert res.table["inertia"].equals(full.table["inertia"])
    assert not res.table["silhouette"].equals(full.table["silhouette"])


@pytest.mark.slow  # starting the worker processes takes ~10 s on a loaded machine
def test_choose_n_clusters_n_jobs_gives_the_same_result():
    from sklearn.cluster import KMeans

    from skstc.inspection import choose_n_clusters

    X = _blobs(n=120)
    cols = ["n_clusters", "inertia", "silhouette", "stability"]
    from threadpoolctl import threadpool_limits

    # the workers run one BLAS/OpenMP thread each; so does the sequential scan here, since
    # scikit-learn's sums depend on the thread count in the last bits
    with threadpool_limits(1):
        one = choose_n_clusters(KMeans(n_init=2), X, n_clusters=[2, 4], n_seeds=2,
                                random_state=0)
    two = choose_n_clusters(KMeans(n_init=2), X, n_clusters=[2, 4], n_seeds=2, random_state=0,
                            n_jobs=2)
    assert one.table[cols].equals(two.table[cols])


@pytest.mark.realdata
def test_choose_n_clusters_on_the_sentinel2_file(data_file):
    import xarray as xr

    from skstc import Tile2VecSeriesKMeans
    from skstc.inspection import choose_n_clusters

    ds = xr.open_dataset(data_file("sentinel2_slovenia_ndvi.nc"))
    ndvi = ds["ndvi"].where(ds["is_valid"] == 1)
    model = Tile2VecSeriesKMeans(tile_size=10, representation="pixel_mean", n_threads=1)
    res = choose_n_clusters(model, ndvi, n_clusters=range(2, 7), n_seeds=2, random_state=0)
    assert res.reused_embedding and len(res.table) == 5
    assert res.labels[5].shape == (2, 100)                     # 10 x 10 tiles of 10 pixels
    # the re-clustered embedding gives the labels of a full fit, on the real file too
    for j, seed in enumerate(res.seeds):
        fit = model.set_params(n_clusters=5, random_state=seed).fit(ndvi)
        np.testing.assert_array_equal(res.labels[5][j], np.asarray(fit.labels_))
    assert (np.diff(res.table["inertia"]) < 0).all()
    assert res.suggested_k in range(2, 7)


def test_choose_n_clusters_silhouette_of_a_one_cluster_subsample_is_nan():
    from sklearn.cluster import KMeans

    from skstc.inspection import choose_n_clusters

    X = np.r_[np.random.RandomState(0).normal(size=(99, 2)), [[50.0, 50.0]]]  # an outlier
    res = choose_n_clusters(KMeans(n_init=1), X, n_clusters=[2], n_seeds=2, sample_size=3,
                            random_state=0)
    assert np.isnan(res.table["silhouette"][0])   # three rows of the big cluster, no error
    full = choose_n_clusters(KMeans(n_init=1), X, n_clusters=[2], n_seeds=2, random_state=0)
    assert np.isfinite(full.table["silhouette"][0])


def test_cluster_representatives_read_by_blocks_equal_the_direct_search():
    import dask.array as da
    from sklearn.metrics import pairwise_distances

    from skstc.metrics import pairwise_series_distances

    rng = np.random.RandomState(0)
    X = rng.normal(size=(20000, 16)).astype(np.float32)    # 3 blocks of rows
    labels = rng.randint(0, 5, len(X))
    labels[labels == 4] = 3                                # cluster 4 has no member
    centers = rng.normal(size=(5, 16))
    X64 = X.astype(np.float64)
    for metric, dist in (("euclidean", lambda A, B: pairwise_distances(A, B)),
                         ("series", lambda A, B: pairwise_series_distances(A, B, n_times=4))):
        d = dist(centers, X64)
        for i in range(4):
            d[i, labels != i] = np.inf                     # cluster 4: all series
        expected = d.argmin(axis=1)
        for data in (X, da.from_array(X, chunks=(3000, 16))):
            got = cluster_representatives(data, labels, centers, metric=metric, n_times=4)
            np.testing.assert_array_equal(got, expected)
    means = np.stack([X64[labels == k].mean(0) for k in range(4)])
    expected = np.stack([np.where(labels == k, ((X64 - means[k]) ** 2).sum(1), np.inf)
                         for k in range(4)]).argmin(axis=1)
    np.testing.assert_array_equal(cluster_representatives(X, labels), expected)
    # never a float64 copy of the whole X
    import tracemalloc

    big = rng.normal(size=(4000, 512)).astype(np.float32)    # 8 MB
    big_labels = rng.randint(0, 3, len(big))
    tracemalloc.start()
    try:
        cluster_representatives(big, big_labels)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 0.5 * big.nbytes
