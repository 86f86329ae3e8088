"""LabelAugmenter: cluster-based label augmentation (Algorithm 2), a meta-estimator."""

from numbers import Integral

import numpy as np
from sklearn.base import BaseEstimator, MetaEstimatorMixin, _fit_context, clone
from sklearn.cluster import KMeans
from sklearn.utils._param_validation import HasMethods, Interval
from sklearn.utils._tags import get_tags
from sklearn.utils.metaestimators import available_if
from sklearn.utils.validation import check_is_fitted, validate_data

from .utils._fitting import TransactionalFitMixin
from .utils._inputs import _required_labels, _split_labels
from .utils._random import draw_seed, local_random_state

__all__ = ["LabelAugmenter"]


def _has_estimator_method(name):
    def check(self):
        est = getattr(self, "estimator_", None) or self.estimator
        return est is not None and hasattr(est, name)

    return check


def augment_labels(X, y, cluster_labels, centers, min_labeled=2):
    """Algorithm 2 given a clustering: propagate labels inside pure clusters.

    In each cluster whose labelled members all share one class and number at least
    ``min_labeled``, every unlabelled member whose distance to the centre is at most the
    mean distance of those labelled members receives that class.

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features)
    y : ndarray of shape (n_samples,) of int
        Encoded labels, ``-1`` for unlabelled.
    cluster_labels : ndarray of shape (n_samples,)
    centers : ndarray of shape (n_clusters, n_features)
    min_labeled : int, default=2

    Returns
    -------
    y_aug : ndarray of shape (n_samples,)
        ``y`` with the propagated labels filled in.
    """
    y_aug = y.copy()
    dist = np.linalg.norm(X - centers[cluster_labels], axis=1)
    for k in range(len(centers)):
        members = cluster_labels == k
        lab = members & (y >= 0)
        if lab.sum() < min_labeled:
            continue
        classes = np.unique(y[lab])
        if classes.size != 1:
            continue
        radius = dist[lab].mean()
        take = members & (y < 0) & (dist <= radius)
        y_aug[take] = classes[0]
    return y_aug


class LabelAugmenter(TransactionalFitMixin, MetaEstimatorMixin, BaseEstimator):
    """Augment few labels by propagation inside pure k-means clusters (Algorithm 2).

    k-means partitions the input (normally the embeddings of
    :class:`skstc.MultimodalConstrainedAE`: put it after the autoencoder in a Pipeline). In
    each cluster whose labelled members all belong to one class and number at least
    ``min_labeled``, every unlabelled member whose distance to the cluster centre is at most
    the mean distance of those labelled members receives that class.

    With an ``estimator``, a clone is fitted on the labelled and augmented rows and
    ``predict``/``predict_proba``/``decision_function``/``score`` delegate to it (the
    :class:`~sklearn.semi_supervised.SelfTrainingClassifier` pattern: a plain Pipeline cannot
    change ``y``). Embeddings have a small per-feature spread: put a
    :class:`~sklearn.preprocessing.StandardScaler` in front of a linear estimator.

    Parameters
    ----------
    estimator : classifier or None, default=None
        Classifier trained on the augmented labelled rows; None only augments.
    n_clusters : int, default=50
        Number of k-means clusters (capped at the number of samples).
    min_labeled : int, default=2
        Minimum number of labelled members for a cluster to propagate its class.
    n_init : int, default=10
        k-means restarts.
    random_state : int, RandomState instance or None, default=None
        Seeds k-means (and the estimator when it has a ``random_state`` left at None is
        *not* changed); the global RNG is not used.

    Attributes
    ----------
    transduction_ : ndarray of shape (n_samples,)
        Labels after augmentation (original labels kept), ``-1`` where none.
    classes_ : ndarray
        Classes seen in the labelled rows.
    augmented_counts_ : dict
        ``{class: number of newly labelled samples}``.
    labeled_counts_ : dict
        ``{class: number of labelled samples after augmentation}``.
    n_augmented_ : int
        Total number of newly labelled samples.
    clusterer_ : KMeans
        The fitted k-means.
    estimator_ : classifier
        The fitted clone of ``estimator`` (when given).
    n_features_in_ : int

    Examples
    --------
    >>> import numpy as np
    >>> from skstc import LabelAugmenter
    >>> X = np.array([[0.0], [0.1], [0.2], [5.0], [5.1], [5.3]])
    >>> y = np.array([0, 0, -1, 1, 1, -1])
    >>> aug = LabelAugmenter(n_clusters=2, random_state=0).fit(X, y)
    >>> aug.transduction_
    array([ 0,  0, -1,  1,  1, -1])
    >>> X2 = np.array([[0.0], [0.2], [0.1], [5.0], [5.3], [5.1]])
    >>> LabelAugmenter(n_clusters=2, random_state=0).fit(X2, y).transduction_
    array([0, 0, 0, 1, 1, 1])
    """

    _parameter_constraints: dict = {
        "estimator": [HasMethods(["fit", "predict"]), None],
        "n_clusters": [Interval(Integral, 1, None, closed="left")],
        "min_labeled": [Interval(Integral, 1, None, closed="left")],
        "n_init": [Interval(Integral, 1, None, closed="left")],
        "random_state": ["random_state"],
    }

    def __init__(self, estimator=None, *, n_clusters=50, min_labeled=2, n_init=10,
                 random_state=None):
        self.estimator = estimator
        self.n_clusters = n_clusters
        self.min_labeled = min_labeled
        self.n_init = n_init
        self.random_state = random_state

    def _augment(self, X, y):
        X = validate_data(self, X, dtype=[np.float64, np.float32])
        y_enc, self.classes_ = _required_labels(y, X.shape[0], "LabelAugmenter")
        if self.classes_.size == 0:
            raise ValueError("y has no labelled sample (all -1): there is nothing to augment.")
        rng = local_random_state(self.random_state)
        k = min(self.n_clusters, X.shape[0])
        self.clusterer_ = KMeans(k, n_init=self.n_init, random_state=draw_seed(rng)).fit(X)
        y_aug = augment_labels(X, y_enc, self.clusterer_.labels_,
                               self.clusterer_.cluster_centers_, self.min_labeled)
        new = (y_aug >= 0) & (y_enc < 0)
        self.n_augmented_ = int(new.sum())
        self.augmented_counts_ = {
            c: int(((y_aug == i) & new).sum()) for i, c in enumerate(self.classes_.tolist())}
        self.labeled_counts_ = {
            c: int((y_aug == i).sum()) for i, c in enumerate(self.classes_.tolist())}
        trans = np.full(X.shape[0], -1, dtype=object if self.classes_.dtype.kind in "OUS"
                        else self.classes_.dtype)
        trans[y_aug >= 0] = self.classes_[y_aug[y_aug >= 0]]
        self.transduction_ = trans
        return X, y_aug >= 0

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y):
        """Augment the labels and fit the estimator (if any) on the labelled rows.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Features (normally embeddings).
        y : array-like of shape (n_samples,)
            Class labels, ``-1`` for unlabelled.

        Returns
        -------
        self : LabelAugmenter
        """
        X, mask = self._augment(X, y)
        if self.estimator is not None:
            self.estimator_ = clone(self.estimator).fit(X[mask], self.transduction_[mask])
        return self

    @_fit_context(prefer_skip_nested_validation=True)
    def fit_resample(self, X, y):
        """Return the labelled rows after augmentation (imbalanced-learn's resampler API).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
        y : array-like of shape (n_samples,)
            Class labels, ``-1`` for unlabelled.

        Returns
        -------
        X_resampled : ndarray of shape (n_labelled, n_features)
        y_resampled : ndarray of shape (n_labelled,)
        """
        X, mask = self._augment(X, y)
        return X[mask], self.transduction_[mask]

    def _delegate_input(self, X):
        check_is_fitted(self, "estimator_")
        return validate_data(self, X, dtype=[np.float64, np.float32], reset=False)

    @available_if(_has_estimator_method("predict"))
    def predict(self, X):
        """Predict classes with the fitted estimator."""
        X = self._delegate_input(X)
        return self.estimator_.predict(X)

    @available_if(_has_estimator_method("predict_proba"))
    def predict_proba(self, X):
        """Class probabilities from the fitted estimator."""
        X = self._delegate_input(X)
        return self.estimator_.predict_proba(X)

    @available_if(_has_estimator_method("predict_log_proba"))
    def predict_log_proba(self, X):
        """Log class probabilities from the fitted estimator."""
        X = self._delegate_input(X)
        return self.estimator_.predict_log_proba(X)

    @available_if(_has_estimator_method("decision_function"))
    def decision_function(self, X):
        """Decision function of the fitted estimator."""
        X = self._delegate_input(X)
        return self.estimator_.decision_function(X)

    @available_if(_has_estimator_method("score"))
    def score(self, X, y):
        """Score of the fitted estimator on the rows of ``y`` that are not ``-1``."""
        X = self._delegate_input(X)
        y = np.asarray(y)
        y_enc, _ = _split_labels(y, X.shape[0])
        mask = y_enc >= 0
        if not mask.any():
            raise ValueError("score needs at least one labelled row (y != -1).")
        return self.estimator_.score(X[mask], y[mask])

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        if self.estimator is not None:
            sub = get_tags(self.estimator)
            tags.estimator_type = sub.estimator_type
            tags.classifier_tags = sub.classifier_tags
        tags.target_tags.required = True
        return tags
