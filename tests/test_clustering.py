"""The latent-space clusterer wiring shared by MultimodalConstrainedAE and Tile2Vec."""

import numpy as np
import pytest
from sklearn.cluster import DBSCAN, AgglomerativeClustering, KMeans
from sklearn.metrics import adjusted_rand_score

from skstc import MultimodalConstrainedAE, Tile2VecSeriesKMeans
from skstc._clustering import build_clusterer, cluster_centers, clusterer_score, fit_clusterer
from skstc.datasets import make_image_sequence, make_water_bodies

MULTIMODAL = dict(spatial_shape=(8, 8), embedding_dim=8, conv_channels=(4,),
                  lstm_hidden_size=8, max_epochs=2, n_threads=1, random_state=0)


def test_build_clusterer_sets_n_clusters_and_seed_on_a_clone():
    given = KMeans(n_clusters=2, n_init=3)
    a = build_clusterer(given, 5, np.random.RandomState(0))
    b = build_clusterer(given, 5, np.random.RandomState(0))
    assert a is not given and given.n_clusters == 2 and given.random_state is None
    assert a.n_clusters == 5 and a.n_init == 3
    assert isinstance(a.random_state, int) and a.random_state == b.random_state
    default = build_clusterer(None, 3, np.random.RandomState(0))
    assert isinstance(default, KMeans) and default.n_clusters == 3 and default.n_init == 10
    # no random_state parameter: only n_clusters; neither parameter: untouched
    agglo = build_clusterer(AgglomerativeClustering(n_clusters=7), 3, np.random.RandomState(0))
    assert agglo.n_clusters == 3
    dbscan = build_clusterer(DBSCAN(eps=0.7), 3, np.random.RandomState(0))
    assert dbscan.get_params() == DBSCAN(eps=0.7).get_params()


def test_fit_clusterer_labels_centres_and_score():
    Z = np.array([[0.0, 0.0], [0.0, 1.0], [10.0, 0.0], [10.0, 1.0]])
    est = AgglomerativeClustering(n_clusters=2)
    labels = fit_clusterer(est, Z, n_threads=1)
    assert labels.dtype == np.int64
    centers = cluster_centers(est, Z, labels, 3)  # no cluster_centers_: means, NaN if empty
    np.testing.assert_allclose(centers[labels[0]], [0.0, 0.5])
    np.testing.assert_allclose(centers[labels[2]], [10.0, 0.5])
    assert np.isnan(centers[2]).all()
    with pytest.raises(AttributeError, match="cannot be scored"):
        clusterer_score(est, Z)
    km = KMeans(2, n_init=2, random_state=0)
    km.fit(Z)
    assert clusterer_score(km, Z) == pytest.approx(-1.0)


@pytest.fixture(scope="module")
def water():
    X, y = make_water_bodies(40, n_timesteps=8, map_size=8, random_state=0)
    return X


def test_multimodal_clusterer_gets_n_clusters(water):
    ae = MultimodalConstrainedAE(4, clusterer=KMeans(n_clusters=2, n_init=2), **MULTIMODAL)
    ae.fit(water)
    assert ae.clusterer_.n_clusters == 4 and ae.cluster_centers_.shape == (4, 8)
    assert len(np.unique(ae.labels_)) == 4
    assert isinstance(ae.clusterer_.random_state, int)


def test_multimodal_centres_without_clusterer_centres(water):
    ae = MultimodalConstrainedAE(3, clusterer=AgglomerativeClustering(), **MULTIMODAL)
    ae.fit(water)
    Z = np.asarray(ae.transform(water))
    labels = np.asarray(ae.labels_)
    assert ae.cluster_centers_.shape == (3, 8)
    for k in range(3):
        np.testing.assert_allclose(ae.cluster_centers_[k], Z[labels == k].mean(0), rtol=1e-5)


def test_tile2vec_clusterer_gets_n_clusters_and_n_iter_counts_epochs():
    images, _ = make_image_sequence(n_regions=1, n_times=3, n_bands=2, height=32, width=32,
                                    random_state=0)
    est = Tile2VecSeriesKMeans(3, tile_size=8, embedding_dim=4, n_triplets=16, max_epochs=2,
                               clusterer=KMeans(n_clusters=2, n_init=2), n_threads=1,
                               random_state=0).fit(images[0])
    assert est.clusterer_.n_clusters == 3 and est.cluster_centers_.shape[0] == 3
    assert est.n_iter_ == len(est.history_) == 2 + est.refine_epochs  # encoder + refinement


# ---- series K-means: float32, copy-free seeding and fit ------------------------------------
def _blobs(n_per, n_clusters, dim, seed, scale=10.0, dtype=np.float32):
    rng = np.random.RandomState(seed)
    means = rng.normal(0, scale, (n_clusters, dim))
    truth = np.repeat(np.arange(n_clusters), n_per)
    X = (means[truth] + rng.normal(0, 1, (len(truth), dim))).astype(dtype)
    perm = rng.permutation(len(truth))
    return X[perm], truth[perm]


def test_kmeans_plusplus_float32_seeds_one_row_per_blob_in_float32():
    from skstc._clustering import kmeans_plusplus_float32

    X, truth = _blobs(100, 5, 40, 0)
    for sample_size in (None, 120):
        centers = kmeans_plusplus_float32(X, 5, np.random.RandomState(1),
                                          sample_size=sample_size)
        assert centers.dtype == np.float32 and centers.shape == (5, 40)
        # every seed is a row of X, and the well separated blobs get one seed each
        rows = [np.flatnonzero((X == c).all(axis=1)) for c in centers]
        assert all(len(r) >= 1 for r in rows)
        assert sorted(truth[r[0]] for r in rows) == list(range(5))
        again = kmeans_plusplus_float32(X, 5, np.random.RandomState(1),
                                        sample_size=sample_size)
        np.testing.assert_array_equal(centers, again)
    other = kmeans_plusplus_float32(X, 5, np.random.RandomState(2))
    assert not np.array_equal(other, centers)


def test_series_kmeans_keeps_float32_and_makes_no_copy_of_the_series():
    import tracemalloc

    from skstc._clustering import series_kmeans
    from skstc.metrics import kmeans_error

    X, truth = _blobs(500, 6, 2048, 0)              # 24 MB of float32 series
    original = X.copy()
    model = Tile2VecSeriesKMeans(6, clusterer=series_kmeans(6), n_threads=1)
    tracemalloc.start()
    try:
        est, labels, centers, inertia = model._fit_clusterer(X, np.random.RandomState(0))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    # neither a copy of X (copy_x, a float64 seeding) nor X-sized temporaries (the inertia,
    # the variance behind a relative tol): well under the size of X
    assert peak < 0.5 * X.nbytes, peak / X.nbytes
    assert est.get_params()["copy_x"] is False and est.tol == 0
    assert est.cluster_centers_.dtype == np.float32 and centers.dtype == np.float32
    assert adjusted_rand_score(truth, labels) == 1.0
    np.testing.assert_allclose(X, original, atol=1e-4)   # centred in place and restored
    assert inertia == pytest.approx(kmeans_error(original, labels) * len(X), rel=1e-5)
    assert isinstance(series_kmeans(3), KMeans) and series_kmeans(3).n_init == 10


def test_kmeans_error_never_converts_the_whole_array():
    import tracemalloc

    from skstc.metrics import kmeans_error

    X, truth = _blobs(1000, 4, 2048, 1)             # 32 MB float32; float64 would be 64 MB
    expected = kmeans_error(X.astype(np.float64), truth)
    tracemalloc.start()
    try:
        got = kmeans_error(X, truth)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert got == pytest.approx(expected, rel=1e-10)
    assert peak < 0.5 * X.nbytes
    # the series distance (Eq. 3) over blocks equals the direct float64 computation
    X64 = X.astype(np.float64)
    means = np.stack([X64[truth == k].mean(0) for k in range(4)])
    direct = np.sqrt(((X64 - means[truth]).reshape(len(X), 8, -1) ** 2).sum(2)).sum(1).mean()
    assert kmeans_error(X, truth, metric="series", n_times=8) == pytest.approx(direct,
                                                                              rel=1e-10)
    assert np.isnan(kmeans_error(X[:2], [-1, -1]))


# ---- streaming (partial_fit on chunks) ------------------------------------------------
class _CountingRows:
    """A row source that records every request (the streaming step may only ask chunks)."""

    def __init__(self, X):
        self.X, self.sizes = X, []

    def __call__(self, idx):
        self.sizes.append(len(idx))
        return self.X[np.asarray(idx)]


@pytest.fixture(scope="module")
def overlapping():
    # 6 planted clusters in 64 dims that overlap a little: K-means has work to do
    return _blobs(500, 6, 64, 3, scale=0.6)


def test_stream_fit_clusterer_close_to_full_kmeans_in_chunks(overlapping):
    from sklearn.cluster import MiniBatchKMeans

    from skstc._clustering import stream_fit_clusterer
    from skstc.metrics import kmeans_error

    X, truth = overlapping
    full = KMeans(6, n_init=10, random_state=0).fit(X)
    rows = _CountingRows(X)
    mbk = MiniBatchKMeans(6, batch_size=256, random_state=0)
    labels, centers, inertia = stream_fit_clusterer(
        mbk, rows, len(X), n_passes=3, chunk_size=256, init_size=768,
        random_state=np.random.RandomState(0), n_threads=1)
    # only chunks were requested: 3 shuffled passes (the first one starting with the
    # 768 seeding rows) and 1 labelling pass, each of ceil(3000 / 256) chunks
    assert max(rows.sizes) == 768 and sum(rows.sizes) == 4 * len(X)
    assert rows.sizes[:2] == [768, 256] and len(rows.sizes) == 10 + 3 * 12
    assert labels.dtype == np.int64 and labels.shape == (len(X),)
    np.testing.assert_array_equal(labels, mbk.predict(X))
    assert inertia == pytest.approx(kmeans_error(X, labels, centers) * len(X), rel=1e-6)
    # stated tolerance: the streamed partition's inertia within 2 % of full K-means'
    assert inertia <= 1.02 * full.inertia_
    assert adjusted_rand_score(full.labels_, labels) > 0.9


def test_stream_fit_clusterer_dask_array_seeded_and_without_centres(overlapping):
    import dask.array as da
    from sklearn.cluster import Birch, MiniBatchKMeans

    from skstc._clustering import stream_fit_clusterer
    from skstc.metrics import kmeans_error

    X, _ = overlapping

    def run(rows, seed):
        return stream_fit_clusterer(MiniBatchKMeans(6, batch_size=300, random_state=seed),
                                    rows, len(X), n_passes=2, chunk_size=300,
                                    random_state=np.random.RandomState(seed))
    lazy = da.from_array(X, chunks=(250, -1))
    a, b, c = run(lazy, 0), run(X, 0), run(X, 1)
    np.testing.assert_array_equal(a[0], b[0])           # dask and numpy: same stream
    np.testing.assert_allclose(a[1], b[1])
    assert not np.array_equal(a[1], c[1])               # the seed decides the stream
    # a clusterer without cluster_centers_: centres are the cluster means
    labels, centers, inertia = stream_fit_clusterer(
        Birch(n_clusters=6), X, len(X), n_passes=1, chunk_size=500,
        random_state=np.random.RandomState(0))
    for k in np.unique(labels):
        np.testing.assert_allclose(centers[k], X[labels == k].mean(0), rtol=1e-4, atol=1e-5)
    assert inertia == pytest.approx(kmeans_error(X, labels) * len(X), rel=1e-6)


@pytest.mark.parametrize("n_threads", [1, 2])
def test_series_kmeans_openmp_threads_follow_n_threads(n_threads):
    from sklearn.utils._openmp_helpers import _openmp_effective_n_threads

    from skstc._clustering import kmeans_plusplus_float32, series_kmeans

    seen = []

    def init(X, n_clusters, random_state):      # runs inside KMeans.fit
        seen.append(_openmp_effective_n_threads())
        return kmeans_plusplus_float32(X, n_clusters, random_state)
    X, _ = _blobs(50, 3, 8, 0)
    before = _openmp_effective_n_threads()
    fit_clusterer(series_kmeans(3).set_params(init=init, n_init=2), X, n_threads=n_threads)
    assert seen == [n_threads, n_threads]
    assert _openmp_effective_n_threads() == before      # restored afterwards


# ---- SketchKMeans: restarts in a sketch, polish in full space ----------------------------
@pytest.fixture(scope="module")
def long_overlapping():
    # 6 planted clusters in 1024 dims, centres about 5 noise units apart: K-means stops in
    # different local minima from different seeds (full-space KMeans recovers them at an
    # ARI of about 0.5), and in a 64-feature sketch the clusters overlap much more, so the
    # full-space polish has work to do
    return _blobs(250, 6, 1024, 5, scale=0.12)


def test_sketch_kmeans_inertia_within_one_percent_of_kmeans_at_a_lloyd_fixed_point(
        long_overlapping):
    from skstc._clustering import SketchKMeans
    from skstc.metrics import kmeans_error

    X, truth = long_overlapping
    full = KMeans(6, n_init=10, random_state=0).fit(X)
    for seed in range(3):
        est = SketchKMeans(6, n_components=64, random_state=seed).fit(X)
        assert est.sketch_inertia_ > 0 and est.n_iter_ >= 1
        # the stated tolerance: within 1 % of full-space KMeans(n_init=10)
        assert est.inertia_ <= 1.01 * full.inertia_, (seed, est.inertia_ / full.inertia_)
        # inertia_ is the full-space one, of labels_ and cluster_centers_
        assert est.inertia_ == pytest.approx(kmeans_error(X, est.labels_) * len(X), rel=1e-5)
        # a Lloyd fixed point: nearest centres, and centres are the means of their samples
        np.testing.assert_array_equal(est.predict(X), est.labels_)
        for k in range(6):
            np.testing.assert_allclose(est.cluster_centers_[k], X[est.labels_ == k].mean(0),
                                       rtol=1e-4, atol=1e-5)


def test_sketch_kmeans_seeded_float32_and_without_a_copy_of_x(long_overlapping):
    import tracemalloc

    from skstc._clustering import SketchKMeans

    X, _ = long_overlapping                       # 6 MB of float32
    original = X.copy()
    est = SketchKMeans(6, n_components=64, random_state=3)
    tracemalloc.start()
    try:
        est.fit(X)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 0.5 * X.nbytes, peak / X.nbytes   # sketch and row blocks only
    np.testing.assert_array_equal(X, original)      # X is read, never written
    assert est.cluster_centers_.dtype == np.float32 and est.labels_.dtype == np.int64
    again = SketchKMeans(6, n_components=64, random_state=3).fit(X)
    np.testing.assert_array_equal(again.labels_, est.labels_)
    np.testing.assert_array_equal(again.cluster_centers_, est.cluster_centers_)
    assert est.transform(X).dtype == np.float32 and est.transform(X).shape == (len(X), 6)
    np.testing.assert_allclose(est.transform(X).argmin(1), est.labels_)
    assert est.score(X) == pytest.approx(-est.inertia_, rel=1e-5)


def test_sketch_kmeans_clone_pickle_params_and_full_space_path(long_overlapping):
    import pickle

    from sklearn.base import clone

    from skstc._clustering import SketchKMeans

    X, _ = long_overlapping
    est = SketchKMeans(4, n_components=32, n_init=2, random_state=0).fit(X)
    c = clone(est)
    assert c.get_params() == est.get_params() and not hasattr(c, "labels_")
    back = pickle.loads(pickle.dumps(est))
    np.testing.assert_array_equal(back.predict(X), est.labels_)
    # the clusterer rule: n_clusters and a seed are set on the clone
    built = build_clusterer(est, 6, np.random.RandomState(0))
    assert built.n_clusters == 6 and isinstance(built.random_state, int)
    # no sketch (n_components None or >= n_features): k-means restarts in full space
    small = X[:, :16].copy()
    plain = SketchKMeans(6, n_components=None, random_state=0).fit(small)
    ref = KMeans(6, n_init=10, random_state=0).fit(small)
    assert plain.inertia_ <= 1.01 * ref.inertia_
    np.testing.assert_array_equal(plain.predict(small), plain.labels_)
    with pytest.raises(ValueError, match="n_clusters"):
        SketchKMeans(8, n_components=4).fit(X[:5])


def test_tile2vec_default_clusterer_is_sketch_kmeans():
    from skstc._clustering import SketchKMeans, series_kmeans

    X, truth = _blobs(200, 4, 2048, 1, scale=0.5)
    model = Tile2VecSeriesKMeans(4, n_threads=1)
    est, labels, centers, inertia = model._fit_clusterer(X, np.random.RandomState(0))
    assert isinstance(est, SketchKMeans) and est.n_clusters == 4
    assert X.shape[1] > est.n_components and est.sketch_inertia_ != est.inertia_  # sketched
    assert adjusted_rand_score(truth, labels) == 1.0 and inertia == est.inertia_
    # plain K-means back through the clusterer parameter
    model = Tile2VecSeriesKMeans(4, clusterer=series_kmeans(4), n_threads=1)
    assert isinstance(model._fit_clusterer(X, np.random.RandomState(0))[0], KMeans)


def test_sketch_kmeans_scores_every_restart_by_full_space_sums_in_one_pass():
    from skstc._clustering import SketchKMeans
    from skstc.metrics import kmeans_error

    X, _ = _blobs(40, 3, 300, 0, scale=0.3)
    rng = np.random.RandomState(0)
    labels = rng.randint(0, 3, (4, len(X)))
    sums, counts = SketchKMeans._sums(X, labels, 3)
    sq = float(np.einsum("ij,ij->", X.astype(np.float64), X.astype(np.float64)))
    for p in range(4):
        for j in range(3):
            np.testing.assert_allclose(sums[3 * p + j], X[labels[p] == j].sum(0, np.float64),
                                       rtol=1e-5, atol=1e-4)
        assert (counts[3 * p:3 * p + 3] == np.bincount(labels[p], minlength=3)).all()
        part = slice(3 * p, 3 * p + 3)
        inertia = sq - (np.einsum("ij,ij->i", sums[part], sums[part]) / counts[part]).sum()
        assert inertia == pytest.approx(kmeans_error(X, labels[p]) * len(X), rel=1e-5)


@pytest.mark.parametrize("n_components", [2, None])
def test_sketch_kmeans_passes_the_scikit_learn_estimator_checks(n_components):
    from sklearn.utils.estimator_checks import check_estimator

    from skstc._clustering import SketchKMeans

    # n_components=2 sketches the checks' data; None runs the restarts in full space
    check_estimator(SketchKMeans(n_components=n_components, n_init=2, random_state=0))


@pytest.mark.parametrize("n_features, n_components, expected", [
    (10240, 512, 512), (4352, 512, 484), (1000, 512, 500), (513, 512, 257)])
def test_sketch_kmeans_sketch_has_at_most_n_components_features(n_features, n_components,
                                                                expected):
    from skstc._clustering import SketchKMeans

    est = SketchKMeans(n_components=n_components)
    g = est._groups(n_features)
    X = np.ones((3, n_features), np.float32)
    S, sq = est._sketch(X, np.ones(n_features, np.float32), g)
    assert S.shape == (3, expected) and S.dtype == np.float32
    np.testing.assert_allclose(S.sum(1), n_features)    # every feature counted once
    np.testing.assert_allclose(sq, n_features)
    assert SketchKMeans(n_components=n_components)._groups(n_components) is None
