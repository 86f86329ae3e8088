"""Tests of LabelAugmenter's safeguards: significance, consensus, cross-fitted precision."""

import warnings

import numpy as np
import pytest
from scipy.special import comb
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.cluster import KMeans
from sklearn.linear_model import LogisticRegression
from sklearn.neighbors import KNeighborsClassifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from skstc import LabelAugmenter
from skstc._label_augmenter import augment_labels, unanimity_pvalue
from skstc.utils._random import draw_seed, local_random_state


def random_labels(seed, n=400, n_labelled=40, n_classes=4):
    """Gaussian cloud whose labels carry no information about X."""
    rng = np.random.RandomState(seed)
    X = rng.normal(size=(n, 8))
    y_true = rng.randint(n_classes, size=n)
    y = np.full(n, -1)
    idx = rng.choice(n, n_labelled, replace=False)
    y[idx] = y_true[idx]
    return X, y, y_true


def planted(seed, n=400, n_classes=4, sep=6.0, per_class=10):
    """One Gaussian cluster per class, ``per_class`` labels each."""
    rng = np.random.RandomState(seed)
    centers = rng.normal(0, sep, (n_classes, 8))
    y_true = np.repeat(np.arange(n_classes), n // n_classes)
    X = centers[y_true] + rng.normal(size=(n, 8))
    y = np.full(n, -1)
    for c in range(n_classes):
        y[rng.choice(np.flatnonzero(y_true == c), per_class, replace=False)] = c
    return X, y, y_true


def mixed_blobs(seed, n_blobs=16, size=100, purity=0.85, frac=0.06):
    """Separated blobs; in each, a fraction ``purity`` of the rows has the blob's class.

    Labels propagated inside a blob are right with probability about ``purity``, so the true
    precision of the added labels is known and below 1.
    """
    rng = np.random.RandomState(seed)
    centers = rng.normal(0, 10, (n_blobs, 8))
    blob = np.repeat(np.arange(n_blobs), size)
    X = centers[blob] + rng.normal(size=(len(blob), 8))
    major = blob % 4
    other = (major + rng.randint(1, 4, len(blob))) % 4
    y_true = np.where(rng.rand(len(blob)) < purity, major, other)
    y = np.where(rng.rand(len(blob)) < frac, y_true, -1)
    return X, y, y_true


def added(aug, y):
    return (aug.transduction_ != -1) & (y == -1)


def test_unanimity_pvalue_is_the_hypergeometric_chance():
    # two of 40 labels (4 classes x 10) agree by chance with probability 4 C(10,2) / C(40,2)
    assert unanimity_pvalue(2, [10, 10, 10, 10]) == pytest.approx(4 * 45 / 780)
    assert unanimity_pvalue(4, [10, 10, 10, 10]) == pytest.approx(
        4 * comb(10, 4) / comb(40, 4))
    # imbalanced priors: unanimity on the big class is cheap
    assert unanimity_pvalue(3, [18, 2]) == pytest.approx(comb(18, 3) / comb(20, 3))
    assert unanimity_pvalue(3, [2, 2]) == 0.0    # three members cannot agree
    assert unanimity_pvalue(0, [5, 5]) == 1.0


def test_significance_in_augment_labels():
    # one cluster with 3 labelled members of class 0 (of 4 classes x 3 labels)
    X = np.zeros((8, 1))
    y = np.array([0, 0, 0, -1, 1, 2, 3, -1])
    clusters = np.array([0, 0, 0, 0, 1, 1, 1, 1])
    centers = np.zeros((2, 1))
    assert augment_labels(X, y, clusters, centers)[3] == 0
    # p = 4 C(3,3) / C(12,3) = 0.018 with 3 labels per class ...
    y12 = np.concatenate([y, [1, 1, 2, 2, 3, 3, 0, -1]])
    X12, clusters12 = np.zeros((16, 1)), np.r_[clusters, [2] * 8]
    out = augment_labels(X12, y12, clusters12, np.zeros((3, 1)), significance=0.05)
    assert out[3] == 0
    # ... but unanimity of 3 among 2 classes x 3 labels (p = 0.1) is not significant
    y2 = np.array([0, 0, 0, -1, 1, 1, 1, -1])
    assert augment_labels(X, y2, clusters, centers, significance=0.05)[3] == -1
    assert augment_labels(X, y2, clusters, centers)[3] == 0


def test_random_labels_get_no_labels():
    published, default = [], []
    for seed in range(8):
        X, y, _ = random_labels(seed)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            published.append(
                added(LabelAugmenter(algorithm="published", random_state=seed).fit(X, y),
                      y).sum())
            default.append(added(LabelAugmenter(random_state=seed).fit(X, y), y).sum())
    assert sum(published) > 0          # the published rule propagates random labels
    assert sum(default) == 0


def test_planted_clusters_are_augmented_with_high_precision():
    for seed in range(3):
        X, y, y_true = planted(seed)
        aug = LabelAugmenter(random_state=seed).fit(X, y)
        new = added(aug, y)
        assert new.sum() >= 80
        assert (aug.transduction_[new] == y_true[new]).mean() >= 0.97
        assert aug.overall_estimated_precision_ >= 0.9
        assert aug.skipped_classes_ == []
        assert aug.n_augmented_ == new.sum() == sum(aug.augmented_counts_.values())
        for c in range(4):
            assert aug.augmented_counts_[c] == (new & (aug.transduction_ == c)).sum()
            assert aug.labeled_counts_[c] == 10 + aug.augmented_counts_[c]
        assert len(aug.clusterers_) == 5 and aug.clusterer_ is aug.clusterers_[0]
        assert 0 < aug.estimated_coverage_ <= 1


def test_cross_fitted_precision_is_close_to_the_true_precision():
    true, est = [], []
    for seed in range(6):
        X, y, y_true = mixed_blobs(seed)
        aug = LabelAugmenter(n_clusters=16, min_precision=None, random_state=seed).fit(X, y)
        new = added(aug, y)
        assert new.sum() > 50
        true.append((aug.transduction_[new] == y_true[new]).mean())
        est.append(aug.overall_estimated_precision_)
        assert set(aug.estimated_precision_) == {0, 1, 2, 3}
    assert 0.75 < np.mean(true) < 0.95          # the case is neither trivial nor hopeless
    assert abs(np.mean(est) - np.mean(true)) < 0.06


def test_min_precision_skips_classes_with_a_warning():
    X, y, _ = mixed_blobs(2, n_blobs=32, purity=0.75)
    free = LabelAugmenter(n_clusters=32, min_precision=None, random_state=2).fit(X, y)
    assert free.skipped_classes_ == [] and all(n > 0 for n in free.augmented_counts_.values())
    prec = free.estimated_precision_
    for level in (0.8, 0.95):
        low = [c for c in range(4) if not prec[c] >= level]
        assert 0 < len(low) < 4        # the case gates some classes, not all
        with pytest.warns(UserWarning, match="added no labels to classes"):
            gated = LabelAugmenter(n_clusters=32, min_precision=level,
                                   random_state=2).fit(X, y)
        assert gated.skipped_classes_ == low
        for c in range(4):
            expected = 0 if c in low else free.augmented_counts_[c]
            assert gated.augmented_counts_[c] == expected
        assert gated.estimated_precision_ == free.estimated_precision_
        new = added(gated, y)
        assert not np.isin(gated.transduction_[new], low).any()
    # nothing is added when no hidden row received a label (no estimate at all)
    Xr, yr, _ = random_labels(0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        blind = LabelAugmenter(algorithm="published", random_state=1).fit(Xr, yr)
    assert blind.n_augmented_ > 0      # the published rule adds labels here ...
    gated = LabelAugmenter(significance=None, n_restarts=1, consensus=1.0, n_clusters=50,
                           random_state=1)
    with pytest.warns(UserWarning, match="added no labels"):
        gated.fit(Xr, yr)             # ... the same rule with the gate does not
    assert gated.n_augmented_ == 0


def test_published_algorithm_is_algorithm_2():
    X, y, _ = planted(0, sep=1.0)
    aug = LabelAugmenter(algorithm="published", random_state=3).fit(X, y)
    km = KMeans(50, n_init=10, random_state=draw_seed(local_random_state(3))).fit(X)
    expected = augment_labels(X, y, km.labels_, km.cluster_centers_, 2)
    np.testing.assert_array_equal(aug.transduction_, expected)
    assert aug.clusterer_.n_clusters == 50 and len(aug.clusterers_) == 1
    assert aug.skipped_classes_ == []
    assert np.isfinite(aug.overall_estimated_precision_)   # the estimate is still reported


def test_auto_n_clusters_fits_the_labels():
    _, y, _ = planted(0)   # 40 labels, 4 classes: 3 unanimous labels are significant (p=0.049)
    assert LabelAugmenter()._resolve_n_clusters(y[y >= 0], 4) == 13
    assert LabelAugmenter(significance=None)._resolve_n_clusters(y[y >= 0], 4) == 20
    assert LabelAugmenter(algorithm="published")._resolve_n_clusters(y[y >= 0], 4) == 50
    assert LabelAugmenter(n_clusters=7)._resolve_n_clusters(y[y >= 0], 4) == 7


class _RecordWeights(ClassifierMixin, BaseEstimator):
    def fit(self, X, y, sample_weight=None):
        self.sample_weight_ = sample_weight
        self.classes_ = np.unique(y)
        return self

    def predict(self, X):
        return np.full(len(X), self.classes_[0])


def test_augmented_weight_reaches_the_estimator():
    X, y, _ = planted(0)
    aug = LabelAugmenter(_RecordWeights(), augmented_weight=0.3, random_state=0).fit(X, y)
    w = aug.estimator_.sample_weight_
    labelled = aug.transduction_ != -1
    assert w.shape == (labelled.sum(),)
    np.testing.assert_array_equal(w, np.where(y[labelled] == -1, 0.3, 1.0))
    pipe = make_pipeline(StandardScaler(), _RecordWeights())
    aug = LabelAugmenter(pipe, augmented_weight=0.3, random_state=0).fit(X, y)
    np.testing.assert_array_equal(aug.estimator_[-1].sample_weight_, w)
    assert LabelAugmenter(_RecordWeights(), random_state=0).fit(
        X, y).estimator_.sample_weight_ is None
    # a tiny weight makes the model close to the one fitted on the given labels only
    lr = LabelAugmenter(LogisticRegression(), augmented_weight=1e-6, random_state=0).fit(X, y)
    few = LogisticRegression().fit(X[y >= 0], y[y >= 0])
    np.testing.assert_allclose(lr.estimator_.coef_, few.coef_, atol=1e-3)
    with pytest.raises(ValueError, match="sample_weight"):
        LabelAugmenter(KNeighborsClassifier(), augmented_weight=0.5,
                       random_state=0).fit(X, y)


@pytest.mark.parametrize("params, match", [
    (dict(algorithm="fast"), "algorithm"),
    (dict(significance=0.0), "significance"),
    (dict(consensus=1.5), "consensus"),
    (dict(cv=1), "cv"),
    (dict(min_precision=-0.1), "min_precision"),
    (dict(augmented_weight=0.0), "augmented_weight"),
    (dict(n_restarts=0), "n_restarts"),
    (dict(n_clusters="many"), "n_clusters"),
    (dict(cv=None), "min_precision needs"),
])
def test_parameter_validation(params, match):
    X, y, _ = planted(0)
    with pytest.raises(ValueError, match=match):
        LabelAugmenter(**params).fit(X, y)


def test_string_labels_and_no_estimate():
    X, y, y_true = planted(1)
    names = np.array(["a", "b", "c", "d"], dtype=object)
    ys = np.where(y >= 0, names[np.maximum(y, 0)], -1).astype(object)
    aug = LabelAugmenter(random_state=1).fit(X, ys)
    assert set(aug.estimated_precision_) == set(names)
    ref = LabelAugmenter(random_state=1).fit(X, y)
    np.testing.assert_array_equal(aug.transduction_ != -1, ref.transduction_ != -1)
    bare = LabelAugmenter(cv=None, min_precision=None, random_state=1).fit(X, y)
    assert bare.estimated_precision_ == {} and np.isnan(bare.overall_estimated_precision_)


@pytest.mark.realdata
def test_slovenia_objects_published_gambles_default_does_not(data_file):
    """Raw standardised Slovenia objects, 10 labels per class, 5 k-means seeds.

    The published rule's added labels change with the k-means seed and are sometimes
    mostly wrong; the default's are right (or absent) for every seed.
    """
    from benchmarks._data import load_slovenia_objects

    X, y, _ = load_slovenia_objects(data_file("sentinel2_slovenia_ndvi.nc"), window=9,
                                    stride=3)
    X = StandardScaler().fit_transform(X)
    rng = np.random.RandomState(0)
    y_few = np.full_like(y, -1)
    for c in np.unique(y):
        pick = rng.choice(np.flatnonzero(y == c), 10, replace=False)
        y_few[pick] = c
    published, default = [], []
    for seed in range(5):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            for algo, out in (("published", published), ("consensus", default)):
                aug = LabelAugmenter(algorithm=algo, random_state=seed).fit(X, y_few)
                new = added(aug, y_few)
                out.append((new.sum(), (aug.transduction_[new] == y[new]).mean()
                            if new.any() else np.nan))
    pub_prec = [p for n, p in published if n > 0]
    assert min(pub_prec) < 0.6, published
    assert all(p >= 0.9 for n, p in default if n > 0), default


# ---- Algorithm 2 on a hand-made configuration -----------------------------------------------
def test_augment_labels_hand_made_configuration():
    # cluster 0: centre 0; labelled (class 0) at distances 1 and 3 -> radius 2
    # cluster 1: mixed labels -> no propagation
    # cluster 2: one labelled member only (< min_labelled=2) -> no propagation
    X = np.array([[-1.0], [3.0], [0.5], [-2.0], [2.5],          # cluster 0
                  [10.0], [11.0], [10.5],                        # cluster 1
                  [20.0], [20.5]])                               # cluster 2
    y = np.array([0, 0, -1, -1, -1, 1, 2, -1, 1, -1])
    clusters = np.array([0, 0, 0, 0, 0, 1, 1, 1, 2, 2])
    centers = np.array([[0.0], [10.5], [20.25]])
    out = augment_labels(X, y, clusters, centers, min_labelled=2)
    # 0.5 (d=0.5) and -2 (d=2, on the radius) join class 0; 2.5 (d=2.5) does not
    np.testing.assert_array_equal(out, [0, 0, 0, 0, -1, 1, 2, -1, 1, -1])
    out1 = augment_labels(X, y, clusters, centers, min_labelled=1)
    assert out1[9] == 1   # with min_labelled=1 the single-label cluster propagates


def test_label_augmenter_counts_resample_and_delegation():
    rng = np.random.RandomState(0)
    X = np.vstack([rng.normal(0, 0.3, (30, 2)), rng.normal(5, 0.3, (30, 2))])
    y_true = np.repeat([0, 1], 30)
    y = np.full(60, -1)
    y[[0, 1, 2, 30, 31, 32]] = y_true[[0, 1, 2, 30, 31, 32]]
    aug = LabelAugmenter(LogisticRegression(), n_clusters=2, algorithm="published",
                         random_state=0).fit(X, y)
    new = (aug.transduction_ >= 0) & (y < 0)
    assert aug.n_augmented_ == new.sum() > 0
    assert (aug.transduction_[new] == y_true[new]).all()   # precision 1 on separated blobs
    assert sum(aug.augmented_counts_.values()) == aug.n_augmented_
    assert aug.labeled_counts_[0] == 3 + aug.augmented_counts_[0]
    Xr, yr = LabelAugmenter(n_clusters=2, algorithm="published",
                            random_state=0).fit_resample(X, y)
    assert len(Xr) == len(yr) == 6 + aug.n_augmented_
    assert aug.predict(X).shape == (60,)
    assert aug.predict_proba(X).shape == (60, 2)
    assert aug.score(X, np.where(np.arange(60) % 2, y_true, -1)) == 1.0
    assert not hasattr(LabelAugmenter(), "predict")
    with pytest.raises(ValueError, match="no labelled"):
        LabelAugmenter(n_clusters=2).fit(X, np.full(60, -1))
    with pytest.raises(ValueError, match="n_clusters"):
        LabelAugmenter(n_clusters=0).fit(X, y)

