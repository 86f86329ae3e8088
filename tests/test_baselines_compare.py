"""Tests of skstc.baselines.compare_with_baselines and objects_baselines."""

import numpy as np
import pytest
from sklearn.base import BaseEstimator, ClusterMixin
from sklearn.cluster import KMeans
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import silhouette_score
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.semi_supervised import SelfTrainingClassifier

from skstc import LabelAugmenter, MultimodalConstrainedAE
from skstc.baselines import _compare, compare_with_baselines, objects_baselines
from skstc.datasets import make_water_bodies

TINY = dict(spatial_shape=(8, 8), embedding_dim=8, conv_channels=(4,), lstm_hidden_size=8, max_epochs=2,
            n_threads=1)


@pytest.fixture(scope="module")
def objects():
    X, y = make_water_bodies(80, n_timesteps=12, map_size=8, random_state=0)
    y_few = np.full_like(y, -1)
    for c in range(4):
        y_few[np.flatnonzero(y == c)[:10]] = c
    return X, y, y_few


# ---- a fake registered method -----------------------------------------------------------
class FakeDeep(ClusterMixin, BaseEstimator):
    """k-means on X (good on blobs) or random labels; records the labels it was given."""

    seen = []

    def __init__(self, mode="kmeans", random_state=None):
        self.mode = mode
        self.random_state = random_state

    def fit(self, X, y=None):
        type(self).seen.append((self.random_state, None if y is None else np.array(y)))
        if self.mode == "kmeans":
            self.labels_ = KMeans(3, n_init=5, random_state=self.random_state).fit_predict(X)
        else:
            self.labels_ = np.random.RandomState(self.random_state).randint(3, size=len(X))
        return self


def blobs():
    rng = np.random.RandomState(0)
    y = np.repeat([0, 1, 2], 30)
    X = rng.normal(0, 5, (3, 4))[y] + rng.normal(size=(90, 4))
    y_few = np.full(90, -1)
    for c in range(3):
        y_few[np.flatnonzero(y == c)[:10]] = c
    return X, y, y_few


@pytest.fixture
def fake_registry(monkeypatch):
    FakeDeep.seen = []
    monkeypatch.setitem(_compare._REGISTRY, "FakeDeep",
                        ("unused", lambda est: {"random": FakeDeep("random"),
                                                "kmeans": FakeDeep("kmeans")}, None))


def test_fake_entry_scores_hidden_rows_and_verdict(fake_registry):
    X, y, y_few = blobs()
    table = compare_with_baselines(FakeDeep("kmeans"), X, y_few, n_seeds=3, random_state=0)
    assert list(table.index) == ["FakeDeep", "random", "kmeans"]
    assert list(table["role"]) == ["skstc", "baseline", "baseline"]
    assert table.attrs["metric"] == "heldout_ari"
    # every fit saw 3 of each class's 10 labels hidden (a new draw per seed), same per model
    assert len(FakeDeep.seen) == 9
    seeds = [s for s, _ in FakeDeep.seen[:3]]
    assert len(set(seeds)) == 3 and [s for s, _ in FakeDeep.seen[3:6]] == seeds
    hidden = []
    for (_, y_seen), (_, y_other) in zip(FakeDeep.seen[:3], FakeDeep.seen[3:6]):
        np.testing.assert_array_equal(y_seen, y_other)
        hide = (y_few >= 0) & (y_seen == -1)
        assert np.bincount(y_few[hide], minlength=3).tolist() == [3, 3, 3]
        hidden.append(hide)
    assert not all((h == hidden[0]).all() for h in hidden[1:])
    own, rand = table.loc["FakeDeep"], table.loc["random"]
    assert own["heldout_ari"] == pytest.approx(1.0) and own["stability_ari"] == pytest.approx(1)
    assert rand["stability_ari"] < 0.2 and rand["heldout_ari"] < 0.5
    # internal metrics are those of the partition on the standardised input
    Xs = StandardScaler().fit_transform(X)
    labels = KMeans(3, n_init=5, random_state=seeds[0]).fit_predict(X)
    assert own["silhouette"] == pytest.approx(silhouette_score(Xs, labels), abs=1e-9)
    assert own["n_clusters"] == 3 and own["fit_time"] > 0
    assert own["silhouette"] > rand["silhouette"]
    assert "beats" not in table.attrs["verdict"]        # tied with the k-means baseline
    assert "within the seed spread" in table.attrs["verdict"]
    worse = compare_with_baselines(FakeDeep("random"), X, y_few, n_seeds=3, random_state=0)
    assert "does not beat its best baseline" in worse.attrs["verdict"]
    assert "'kmeans'" in worse.attrs["verdict"]
    only_random = compare_with_baselines(FakeDeep("kmeans"), X, y_few, n_seeds=3,
                                         random_state=0, baselines={"random": FakeDeep("r")})
    assert "beats its best baseline" in only_random.attrs["verdict"]
    # a user-given representation is used for the internal metrics of every model
    R = np.random.RandomState(1).normal(size=(90, 3))
    mine = compare_with_baselines(FakeDeep("kmeans"), X, y_few, n_seeds=3, random_state=0,
                                  representation=R)
    assert mine.loc["FakeDeep", "silhouette"] == pytest.approx(
        silhouette_score(R, labels), abs=1e-9)
    # without labels the verdict uses the silhouette
    unsup = compare_with_baselines(FakeDeep("kmeans"), X, n_seeds=2, random_state=0)
    assert unsup.attrs["metric"] == "silhouette" and "heldout_ari" not in unsup.columns


def test_registry_errors(monkeypatch):
    X, _, _ = blobs()
    with pytest.raises(ValueError, match="no registered baselines"):
        compare_with_baselines(KMeans(3), X)
    monkeypatch.setitem(_compare._REGISTRY, "FakeDeep",
                        ("skstc.baselines._no_such_module", "fake_baselines", None))
    with pytest.raises(NotImplementedError, match="not available"):
        compare_with_baselines(FakeDeep(), X)
    # user-given baselines need no registry entry
    table = compare_with_baselines(FakeDeep(), X, baselines={"km": KMeans(3, n_init=2)},
                                   n_seeds=2, random_state=0)
    assert list(table.index) == ["FakeDeep", "km"]


def test_failing_baseline_warns_and_gives_nan(fake_registry):
    X, _, y_few = blobs()
    with pytest.warns(UserWarning, match="failed to fit"):
        table = compare_with_baselines(
            FakeDeep(), X, y_few, n_seeds=2, random_state=0,
            baselines={"broken": KMeans(500)})      # more clusters than rows
    assert table.loc["broken", "n_seeds"] == 0 and np.isnan(table.loc["broken", "silhouette"])


def test_objects_baselines_structure():
    ae = MultimodalConstrainedAE(4, spatial_shape=(3, 3))
    bases = objects_baselines(ae)
    assert sorted(bases) == ["map only", "pca", "raw", "series only", "untrained network"]
    untrained = bases.pop("untrained network")
    assert isinstance(untrained, MultimodalConstrainedAE) and untrained is not ae
    assert untrained.max_epochs == 1 and untrained.lr == 1e-12
    assert all(isinstance(b[-1], KMeans) and b[-1].n_clusters == 4 for b in bases.values())
    X = np.arange(40 * 14, dtype=float).reshape(40, 14) % 7
    assert bases["map only"][0].fit_transform(X).shape == (40, 9)
    assert bases["series only"][0].fit_transform(X).shape == (40, 5)
    clf = make_pipeline(StandardScaler(), LogisticRegression())
    pipe = Pipeline([("ae", ae), ("aug", LabelAugmenter(clf, random_state=0))])
    bases = objects_baselines(pipe)
    assert sorted(bases) == ["map only", "pca", "raw", "raw, no augmentation", "series only",
                             "untrained network"]
    assert isinstance(bases["untrained network"][0], MultimodalConstrainedAE)
    assert isinstance(bases["untrained network"][-1], LabelAugmenter)
    assert isinstance(bases["raw"][-1], LabelAugmenter)
    assert bases["raw"][-1] is not pipe[-1]                    # clones
    plain = bases["raw, no augmentation"][-1]
    assert isinstance(plain, SelfTrainingClassifier) and plain.max_iter == 0
    assert isinstance(plain.estimator, Pipeline) and plain.estimator is not clf
    with pytest.raises(TypeError, match="MultimodalConstrainedAE"):
        objects_baselines(KMeans(3))


@pytest.mark.filterwarnings("ignore:LabelAugmenter added no labels")
def test_compare_multimodal_end_to_end(objects):
    X, _, y_few = objects
    ae = MultimodalConstrainedAE(4, **TINY, random_state=0)
    table = compare_with_baselines(ae, X, y_few, n_seeds=2, random_state=0)
    assert list(table.index) == ["MultimodalConstrainedAE", "raw", "pca", "map only",
                                 "series only", "untrained network"]
    assert table.attrs["metric"] == "heldout_ari"
    assert table["n_seeds"].eq(2).all()
    assert table["silhouette"].between(-1, 1).all()
    assert table["stability_ari"].between(-1, 1).all()
    assert not hasattr(ae, "labels_")                         # the estimator is not fitted
    clf = make_pipeline(StandardScaler(), LogisticRegression(max_iter=500))
    pipe = Pipeline([("ae", ae), ("aug", LabelAugmenter(clf))])
    table = compare_with_baselines(pipe, X, y_few, n_seeds=2, random_state=0)
    assert table.attrs["metric"] == "heldout_f1_macro"
    assert "raw, no augmentation" in table.index
    assert table["heldout_f1_macro"].between(0, 1).all()
    # the plain classifier learns the classes, not -1 (the unlabelled marker)
    assert table.loc["raw, no augmentation", "n_clusters"] <= 4
    assert table.loc["raw, no augmentation", "heldout_f1_macro"] > 0.3
    assert table.attrs["verdict"].startswith("heldout_f1_macro over 2 seeds")
    # the multimodal Dataset input is stacked once for every model
    import xarray as xr
    ds = xr.Dataset({"fraction_map": (("sample", "y", "x"), X[:, :64].reshape(80, 8, 8)),
                     "area": (("sample", "time"), X[:, 64:])})
    again = compare_with_baselines(pipe, ds, y_few, n_seeds=2, random_state=0)
    np.testing.assert_allclose(again["heldout_f1_macro"], table["heldout_f1_macro"])
