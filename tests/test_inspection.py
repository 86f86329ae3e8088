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
