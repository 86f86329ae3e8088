"""skstc.metrics: hand-computed metrics and scorers (-1 rows ignored)."""

import os
import pickle
import sys

import numpy as np
import pytest
from sklearn.dummy import DummyClassifier
from sklearn.metrics import accuracy_score, f1_score, log_loss

from skstc.metrics import (
    average_cluster_variance,
    average_intercluster_distance,
    cluster_quality_scores,
    cluster_rmse,
    geographic_calinski_harabasz,
    geographic_silhouette,
    kmeans_error,
    labelled_accuracy_score,
    labelled_accuracy_scorer,
    labelled_f1_macro_scorer,
    labelled_f1_score,
    labelled_score,
    make_labelled_scorer,
    silhouette,
)

sys.path.insert(0, os.path.dirname(__file__))
from _helpers import series_by_loop  # noqa: E402


# ---- metrics -------------------------------------------------------------------------------
def test_metrics_hand_computed():
    X = np.array([[0.0, 0.0], [2.0, 0.0], [10.0, 0.0], [10.0, 4.0]])
    labels = np.array([5, 5, 7, 7])
    # squared distances to centroids: 1, 1, 4, 4 -> sum 10 over n=4
    assert cluster_rmse(X, labels) == pytest.approx(np.sqrt(10 / 4))
    # per-value variances: cluster 0: 2 / (2 * 2) = 0.5, cluster 1: 8 / 4 = 2
    # -> weighted (2*.5+2*2)/4
    per_value = dict(definition="per_value")
    assert average_cluster_variance(X, labels, **per_value) == pytest.approx(1.25)
    assert average_cluster_variance(X, labels, weighted=False,
                                    **per_value) == pytest.approx(1.25)
    assert average_cluster_variance(X, labels, **per_value) == pytest.approx(
        cluster_rmse(X, labels) ** 2 / 2)
    Xu = np.array([[0.0], [1.0], [2.0], [10.0]])
    assert average_cluster_variance(Xu, [0, 0, 0, 1], weighted=False,
                                    **per_value) == pytest.approx(1 / 3)
    assert average_cluster_variance(Xu, [0, 0, 0, 1],
                                    **per_value) == pytest.approx(3 * (2 / 3) / 4)
    # Eq 10: mean over clusters of the mean squared distance to the centroid
    # cluster 0: (1 + 1) / 2 = 1, cluster 1: (4 + 4) / 2 = 4 -> 2.5
    assert average_cluster_variance(X, labels) == pytest.approx(2.5)
    # unequal sizes: clusters count the same: (2/3 + 0) / 2
    assert average_cluster_variance(Xu, [0, 0, 0, 1]) == pytest.approx(1 / 3)
    # authors' code: np.var of all values of a cluster (one scalar mean), size-weighted
    # cluster 0 values {0, 0, 2, 0}: var 0.75; cluster 1 values {10, 0, 10, 4}: var 18
    assert average_cluster_variance(X, labels, definition="authors_code") == pytest.approx(
        (2 * 0.75 + 2 * 18.0) / 4)
    with pytest.raises(ValueError, match="definition"):
        average_cluster_variance(X, labels, definition="paper")
    assert average_intercluster_distance(X, labels) == pytest.approx(8.0)
    three = np.array([[0.0], [1.0], [4.0], [10.0]])
    assert average_intercluster_distance(three, [0, 0, 1, 2]) == pytest.approx(6.0)
    # 4-D input is flattened
    assert cluster_rmse(X.reshape(4, 1, 2, 1), labels) == pytest.approx(np.sqrt(2.5))


def test_silhouette_euclidean_vs_cosine():
    # groups by amplitude: euclidean separates them, cosine (direction only) does not
    X = np.array([[1.0, 0.0], [0.0, 1.0], [10.0, 0.0], [0.0, 10.0]])
    labels = [0, 0, 1, 1]
    assert silhouette(X, labels) > 0.2
    assert silhouette(X, labels, metric="cosine") < 0.0
    scores = cluster_quality_scores(X, labels)
    assert scores["n_clusters"] == 2 and scores["davies_bouldin"] > 0
    assert np.isnan(cluster_quality_scores(X, [0, 0, 0, 0])["silhouette"])
    with pytest.raises(ValueError, match="NaN"):
        cluster_rmse(np.array([[np.nan], [1.0]]), [0, 1])
    with pytest.raises(ValueError, match="one entry per sample"):
        cluster_rmse(X, [0, 1])


def test_match_labels_hungarian():
    from skstc.metrics import match_labels

    y = np.array([0, 0, 1, 1, 2, 2, 2])
    labels = np.array([2, 2, 0, 0, 1, 1, 0])  # a permutation, one day wrong
    np.testing.assert_array_equal(match_labels(y, labels), [0, 0, 1, 1, 2, 2, 1])
    # one-to-one: matching each cluster to its majority class would send both clusters to
    # class 1 here; the optimal matching gives the 3-day cluster 1 class 1, cluster 0 class 0
    y = np.array([1, 1, 0, 1, 1, 1, 0])
    labels = np.array([0, 0, 0, 1, 1, 1, 1])
    np.testing.assert_array_equal(match_labels(y, labels), [0, 0, 0, 1, 1, 1, 1])
    # more clusters than classes: the unmatched cluster gets an id after the classes
    out = match_labels([0, 0, 1, 1], [1, 2, 0, 0])
    assert out[2] == out[3] == 1 and {out[0], out[1]} == {0, 2}
    with pytest.raises(ValueError, match="non-negative integer"):
        match_labels([0, 1], [0, -1])


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


def test_pairwise_series_distances_by_hand_and_loop():
    from skstc.metrics import pairwise_series_distances

    # dates (3, 4) and (0, 1): 5 + 1 = 6, whereas the flat Euclidean distance is sqrt(26)
    d = pairwise_series_distances([[0, 0, 0, 0]], [[3, 4, 0, 1]], n_times=2)
    assert d[0, 0] == pytest.approx(6.0)
    rng = np.random.RandomState(0)
    X, Y = rng.rand(7, 12), rng.rand(5, 12)
    np.testing.assert_allclose(pairwise_series_distances(X, Y, n_times=3),
                               series_by_loop(X, Y, 3), rtol=1e-7, atol=1e-6)
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
    D = series_by_loop(X, X, 4)
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


def test_labelled_scores_by_hand():
    y_true = np.array([0, 0, 1, 1, -1, -1])
    y_pred = np.array([0, 0, 1, 0, 1, 1])
    # labelled rows: 3 of 4 right
    assert labelled_accuracy_score(y_true, y_pred) == 0.75
    # class 0: P=2/3 R=1 F1=0.8; class 1: P=1 R=1/2 F1=2/3 -> macro 11/15
    assert labelled_f1_score(y_true, y_pred) == pytest.approx(11 / 15)
    # predictions on unlabelled rows do not matter
    assert labelled_f1_score(y_true, np.r_[y_pred[:4], 0, 0]) == pytest.approx(11 / 15)
    # weights are restricted to the labelled rows
    w = np.array([1, 1, 1, 3, 100, 100])
    assert labelled_accuracy_score(y_true, y_pred, sample_weight=w) == pytest.approx(3 / 6)
    assert labelled_score(y_true, y_pred, metric=accuracy_score, unlabelled=1) == 0.5


def test_labelled_score_labels_kinds_and_errors():
    assert labelled_accuracy_score(np.array(["a", "b"]), np.array(["a", "a"])) == 0.5
    obj = np.array(["a", -1, "b"], dtype=object)
    assert labelled_accuracy_score(obj, np.array(["a", "b", "b"], dtype=object)) == 1.0
    with pytest.raises(ValueError, match="no labelled row"):
        labelled_accuracy_score([-1, -1], [0, 1])
    with pytest.raises(ValueError, match="rows"):
        labelled_accuracy_score([0, 1, -1], [0, 1])
    with pytest.raises(ValueError, match="1-D"):
        labelled_accuracy_score([[0, 1]], [[0, 1]])


def test_scorers_ignore_unlabelled_rows_and_pickle():
    X = np.zeros((6, 1))
    y_fit = np.array([0, 0, 0, 1, 1, 1])
    est = DummyClassifier(strategy="constant", constant=0).fit(X, y_fit)
    y = np.array([0, 1, -1, -1, -1, -1])        # 1 of 2 labelled rows right
    assert labelled_accuracy_scorer(est, X, y) == 0.5
    assert labelled_f1_macro_scorer(est, X, y) == pytest.approx(f1_score([0, 1], [0, 0],
                                                                         average="macro"))
    scorer = make_labelled_scorer(f1_score, average="macro")
    assert scorer(est, X, y) == pytest.approx(labelled_f1_macro_scorer(est, X, y))
    assert pickle.loads(pickle.dumps(scorer))(est, X, y) == scorer(est, X, y)
    # probability-based losses: only the labelled rows' probabilities are scored
    prior = DummyClassifier(strategy="prior").fit(X, y_fit)
    nll = make_labelled_scorer(log_loss, response_method="predict_proba",
                               greater_is_better=False, labels=[0, 1])
    assert nll(prior, X, y) == pytest.approx(-np.log(2))

