"""The latent-space clusterer wiring shared by MultimodalConstrainedAE and Tile2Vec."""

import numpy as np
import pytest
from sklearn.cluster import DBSCAN, AgglomerativeClustering, KMeans

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
