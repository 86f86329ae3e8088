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

