"""LabelAugmenter: cluster-based label augmentation (Algorithm 2), a meta-estimator."""

import math
import warnings
from numbers import Integral, Real

import numpy as np
from scipy.special import gammaln
from sklearn.base import BaseEstimator, MetaEstimatorMixin, _fit_context, clone
from sklearn.cluster import KMeans
from sklearn.pipeline import Pipeline
from sklearn.utils._param_validation import HasMethods, Interval, StrOptions
from sklearn.utils._tags import get_tags
from sklearn.utils.metaestimators import available_if
from sklearn.utils.validation import check_is_fitted, has_fit_parameter, validate_data

from .utils._fitting import TransactionalFitMixin
from .utils._inputs import _check_chunks, _required_labels, _split_labels, rows_spec
from .utils._random import draw_seed, local_random_state
from .utils._xarray import is_dask, is_xarray, map_samples, wrap_samples

__all__ = ["LabelAugmenter"]


def _has_estimator_method(name):
    def check(self):
        est = getattr(self, "estimator_", None) or self.estimator
        return est is not None and hasattr(est, name)

    return check


def _log_comb(n, k):
    return gammaln(n + 1) - gammaln(k + 1) - gammaln(n - k + 1)


def unanimity_pvalue(n_members, class_counts):
    """Chance that ``n_members`` labelled rows drawn at random all share one class.

    Under the null hypothesis that the clustering ignores the classes, the labelled members
    of a cluster are a random draw without replacement from all labelled rows; the chance
    that they are unanimous is ``sum_c C(L_c, n) / C(L, n)`` (hypergeometric), with ``L_c``
    the labelled rows of class ``c`` and ``L`` their total. It accounts for the number of
    classes and their priors: two labels out of four balanced classes agree by chance about
    a quarter of the time.

    Parameters
    ----------
    n_members : int
        Labelled members of the cluster.
    class_counts : array-like of int
        Labelled rows per class over the whole data set.

    Returns
    -------
    pvalue : float
    """
    counts = np.asarray(class_counts, dtype=float)
    total = counts.sum()
    if n_members <= 0 or n_members > total:
        return 1.0
    ok = counts >= n_members
    if not ok.any():
        return 0.0
    logs = _log_comb(counts[ok], n_members) - _log_comb(total, n_members)
    return float(min(1.0, np.exp(logs).sum()))


def augment_labels(X, y, cluster_labels, centers, min_labelled=2, significance=None,
                   n_classes=None):
    """Algorithm 2 given a clustering: propagate labels inside pure clusters.

    In each cluster whose labelled members all share one class and number at least
    ``min_labelled`` (and, with ``significance``, whose unanimity is unlikely by chance, see
    :func:`unanimity_pvalue`), every unlabelled member whose distance to the centre is at most
    the mean distance of those labelled members receives that class.

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features)
    y : ndarray of shape (n_samples,) of int
        Encoded labels ``0 .. n_classes - 1``, ``-1`` for unlabelled.
    cluster_labels : ndarray of shape (n_samples,)
    centers : ndarray of shape (n_clusters, n_features)
    min_labelled : int, default=2
    significance : float or None, default=None
        A cluster propagates only when the p-value of its unanimity is at most this level.
        None: no test (the published rule).
    n_classes : int or None, default=None
        Number of classes (for the class counts of the test); by default ``y.max() + 1``.

    Returns
    -------
    y_aug : ndarray of shape (n_samples,)
        ``y`` with the propagated labels filled in.
    """
    y_aug = y.copy()
    dist = np.linalg.norm(X - centers[cluster_labels], axis=1)
    if n_classes is None:
        n_classes = int(y.max()) + 1 if (y >= 0).any() else 0
    class_counts = np.bincount(y[y >= 0], minlength=n_classes)
    for k in range(len(centers)):
        members = cluster_labels == k
        lab = members & (y >= 0)
        n_lab = int(lab.sum())
        if n_lab < min_labelled:
            continue
        classes = np.unique(y[lab])
        if classes.size != 1:
            continue
        if significance is not None and unanimity_pvalue(n_lab, class_counts) > significance:
            continue
        radius = dist[lab].mean()
        take = members & (y < 0) & (dist <= radius)
        y_aug[take] = classes[0]
    return y_aug


def _consensus(proposals, n_classes, consensus):
    """Rows labelled by enough restarts with no restart proposing another class."""
    n_restarts, n_samples = proposals.shape
    votes = np.zeros((n_classes, n_samples), dtype=int)
    for c in range(n_classes):
        votes[c] = (proposals == c).sum(axis=0)
    best = votes.argmax(axis=0)
    top = votes.max(axis=0)
    need = max(1, math.ceil(consensus * n_restarts - 1e-9))
    agree = (top >= need) & (votes.sum(axis=0) == top)
    return np.where(agree, best, -1)


class LabelAugmenter(TransactionalFitMixin, MetaEstimatorMixin, BaseEstimator):
    """Augment few labels by propagation inside pure k-means clusters (Algorithm 2).

    k-means partitions the input (normally the embeddings of
    :class:`skstc.MultimodalConstrainedAE`: put it after the autoencoder in a Pipeline). In
    each cluster whose labelled members all belong to one class and number at least
    ``min_labelled``, every unlabelled member whose distance to the cluster centre is at most
    the mean distance of those labelled members receives that class.

    The published rule (``algorithm="published"``) trusts any unanimous cluster of one
    k-means run. With few labels this is close to a coin toss: two labels drawn at random
    from four balanced classes agree a quarter of the time, and the labels added change from
    one k-means seed to the next. The default ``algorithm="consensus"`` adds three checks:

    1. a cluster propagates only if its unanimity is significant against chance
       (``significance``, a hypergeometric test given the labelled rows per class);
    2. k-means is run ``n_restarts`` times with different seeds, and a row receives a class
       only if at least a ``consensus`` fraction of the runs propose it and no run proposes
       another class;
    3. the precision of the added labels is estimated by cross-fitting on the labelled rows
       (``cv`` folds: hide a fold, augment with the rest, score the labels given to the hidden
       rows; the k-means runs do not see labels, so they are shared), and classes whose
       estimate is below ``min_precision``, or cannot be computed, are not augmented, with a
       warning.

    With an ``estimator``, a clone is fitted on the labelled and augmented rows and
    ``predict``/``predict_proba``/``decision_function``/``score`` delegate to it (the
    :class:`~sklearn.semi_supervised.SelfTrainingClassifier` pattern: a plain Pipeline cannot
    change ``y``). Augmented rows can be down-weighted (``augmented_weight``). Embeddings
    have a small per-feature spread: put a :class:`~sklearn.preprocessing.StandardScaler` in
    front of a linear estimator.

    Parameters
    ----------
    estimator : classifier or None, default=None
        Classifier trained on the augmented labelled rows; None only augments.
    n_clusters : int or "auto", default="auto"
        Number of k-means clusters (capped at the number of samples). ``"auto"``: 50 with
        ``algorithm="published"`` (the published setting); otherwise the number of labelled
        rows divided by the smallest number of unanimous labelled members that passes the
        ``significance`` test (``min_labelled`` without the test), clipped to
        ``[n_classes, 50]``, so that a typical cluster holds enough labels to be tested.
    min_labelled : int, default=2
        Minimum number of labelled members for a cluster to propagate its class.
    n_init : int, default=10
        Initialisations of each k-means run (scikit-learn's ``n_init``).
    algorithm : {"consensus", "published"}, default="consensus"
        ``"published"``: one k-means run, unanimity only (Algorithm 2 as published);
        ``significance``, ``n_restarts``, ``consensus`` and ``min_precision`` are then
        ignored. ``"consensus"``: the checks listed above.
    significance : float in (0, 1) or None, default=0.05
        Level of the per-cluster test of unanimity against chance; None disables the test.
    n_restarts : int, default=5
        Number of k-means runs (different seeds) whose proposals must agree.
    consensus : float in (0, 1], default=0.6
        Fraction of the runs that must propose a row's class (and no run may propose
        another class).
    cv : int or None, default=10
        Folds of the cross-fitted precision estimate (capped at the number of labelled rows
        of the largest class; more folds keep each fold closer to the full set of labels);
        None skips the estimate.
    min_precision : float in [0, 1] or None, default=0.7
        Classes whose estimated precision is below this level receive no labels, and so do
        classes whose precision cannot be estimated (no hidden row received them: the
        labels cannot be checked). None: no gate. Needs ``cv``.
    augmented_weight : float in (0, 1], default=1.0
        ``sample_weight`` of the augmented rows when fitting ``estimator`` (labelled rows
        weigh 1). Values below 1 need an estimator (or a Pipeline whose last step) accepting
        ``sample_weight``.
    random_state : int, RandomState instance or None, default=None
        Seeds k-means and the folds of the estimate (the ``estimator``'s own random_state is
        not changed); the global RNG is not used.

    Attributes
    ----------
    transduction_ : ndarray of shape (n_samples,)
        Labels after augmentation (original labels kept), ``-1`` where none.
    classes_ : ndarray
        Classes seen in the labelled rows.
    augmented_counts_ : dict
        ``{class: number of newly labelled samples}`` (after the precision gate).
    labeled_counts_ : dict
        ``{class: number of labelled samples after augmentation}``.
    n_augmented_ : int
        Total number of newly labelled samples.
    estimated_precision_ : dict
        ``{class: cross-fitted precision of the labels added to that class}``, NaN when no
        hidden row received the class (empty dict when ``cv=None``).
    overall_estimated_precision_ : float
        Cross-fitted precision over all added labels (NaN when none or ``cv=None``).
    estimated_coverage_ : float
        Fraction of the hidden labelled rows that received a label in the cross-fit (an
        estimate of the fraction of unlabelled rows augmented).
    skipped_classes_ : list
        Classes whose labels were withheld by ``min_precision``.
    clusterer_ : KMeans
        The fitted k-means (the first run).
    clusterers_ : list of KMeans
        All k-means runs.
    estimator_ : classifier
        The fitted clone of ``estimator`` (when given).
    n_features_in_ : int

    See Also
    --------
    sklearn.semi_supervised.SelfTrainingClassifier : self-training on a classifier's own
        confident predictions.

    Notes
    -----
    The cross-fitted precision is slightly pessimistic: each fold augments with a fraction
    ``(cv - 1) / cv`` of the labels. It assumes the labelled rows are a random sample of all
    rows; with labels chosen differently it says little about the unlabelled rows.

    Examples
    --------
    >>> import numpy as np
    >>> from skstc import LabelAugmenter
    >>> X = np.array([[0.0], [0.1], [0.2], [5.0], [5.1], [5.3]])
    >>> y = np.array([0, 0, -1, 1, 1, -1])
    >>> X2 = np.array([[0.0], [0.2], [0.1], [5.0], [5.3], [5.1]])
    >>> aug = LabelAugmenter(n_clusters=2, algorithm="published", random_state=0).fit(X2, y)
    >>> aug.transduction_
    array([0, 0, 0, 1, 1, 1])

    With two labels per cluster, unanimity is no evidence (p = 1/3), so the default adds
    nothing; two well separated blobs with eight labels each are augmented:

    >>> LabelAugmenter(n_clusters=2, random_state=0).fit(X2, y).n_augmented_
    0
    >>> rng = np.random.RandomState(0)
    >>> X3 = np.vstack([rng.normal(0, 0.3, (40, 2)), rng.normal(5, 0.3, (40, 2))])
    >>> y3 = np.full(80, -1)
    >>> y3[:8], y3[40:48] = 0, 1
    >>> aug = LabelAugmenter(n_clusters=2, random_state=0).fit(X3, y3)
    >>> aug.n_augmented_ > 0, aug.overall_estimated_precision_
    (True, 1.0)
    """

    _parameter_constraints: dict = {
        "estimator": [HasMethods(["fit", "predict"]), None],
        "n_clusters": [Interval(Integral, 1, None, closed="left"), StrOptions({"auto"})],
        "min_labelled": [Interval(Integral, 1, None, closed="left")],
        "n_init": [Interval(Integral, 1, None, closed="left")],
        "algorithm": [StrOptions({"consensus", "published"})],
        "significance": [Interval(Real, 0, 1, closed="neither"), None],
        "n_restarts": [Interval(Integral, 1, None, closed="left")],
        "consensus": [Interval(Real, 0, 1, closed="right")],
        "cv": [Interval(Integral, 2, None, closed="left"), None],
        "min_precision": [Interval(Real, 0, 1, closed="both"), None],
        "augmented_weight": [Interval(Real, 0, 1, closed="right")],
        "random_state": ["random_state"],
    }

    def __init__(self, estimator=None, *, n_clusters="auto", min_labelled=2, n_init=10,
                 algorithm="consensus", significance=0.05, n_restarts=5, consensus=0.6,
                 cv=10, min_precision=0.7, augmented_weight=1.0, random_state=None):
        self.estimator = estimator
        self.n_clusters = n_clusters
        self.min_labelled = min_labelled
        self.n_init = n_init
        self.algorithm = algorithm
        self.significance = significance
        self.n_restarts = n_restarts
        self.consensus = consensus
        self.cv = cv
        self.min_precision = min_precision
        self.augmented_weight = augmented_weight
        self.random_state = random_state

    def _check_params(self):
        """Check what the declarative ``_parameter_constraints`` cannot say."""
        if (self.algorithm == "consensus" and self.min_precision is not None
                and self.cv is None):
            raise ValueError("min_precision needs the cross-fitted estimate: set cv (e.g. 5) "
                             "or min_precision=None.")

    def _resolve_n_clusters(self, y_enc, n_classes):
        if self.n_clusters != "auto":
            return self.n_clusters
        if self.algorithm == "published":
            return 50
        counts = np.bincount(y_enc[y_enc >= 0], minlength=n_classes)
        n_min = self.min_labelled
        if self.significance is not None:
            while (n_min < counts.sum()
                   and unanimity_pvalue(n_min, counts) > self.significance):
                n_min += 1
        return int(np.clip(counts.sum() // n_min, n_classes, 50))

    # ---- the labelling step (k-means runs are fixed, labels vary) ---------------------------
    def _propose(self, X, y_enc, n_classes):
        published = self.algorithm == "published"
        proposals = np.stack([
            augment_labels(X, y_enc, km.labels_, km.cluster_centers_, self.min_labelled,
                           None if published else self.significance, n_classes)
            for km in self.clusterers_])
        if published:
            return proposals[0]
        return _consensus(proposals, n_classes, self.consensus)

    def _cross_fit(self, X, y_enc, n_classes, rng):
        """Labels given to hidden labelled rows, fold by fold (-1 where none)."""
        lab = np.flatnonzero(y_enc >= 0)
        per_class = np.bincount(y_enc[lab], minlength=n_classes)
        n_folds = int(min(self.cv, max(per_class.max(), 2)))
        folds = np.empty(len(y_enc), dtype=int)
        for c in range(n_classes):
            members = lab[y_enc[lab] == c]
            # stratified: each class spread over the folds, starting at a random fold
            start = rng.randint(n_folds)
            folds[rng.permutation(members)] = (start + np.arange(len(members))) % n_folds
        given = np.full(len(y_enc), -1)
        for f in range(n_folds):
            hide = lab[folds[lab] == f]
            if hide.size == 0:
                continue
            y_fold = y_enc.copy()
            y_fold[hide] = -1
            given[hide] = self._propose(X, y_fold, n_classes)[hide]
        return given

    def _augment(self, X, y):
        self._check_params()
        X = validate_data(self, X, dtype=[np.float64, np.float32])
        y_enc, classes = _required_labels(y, X.shape[0], "LabelAugmenter")
        if classes.size == 0:
            raise ValueError("y has no labelled sample (all -1): there is nothing to augment.")
        n_classes = classes.size
        rng = local_random_state(self.random_state)
        k = min(self._resolve_n_clusters(y_enc, n_classes), X.shape[0])
        n_runs = 1 if self.algorithm == "published" else self.n_restarts
        clusterers = [KMeans(k, n_init=self.n_init, random_state=draw_seed(rng)).fit(X)
                      for _ in range(n_runs)]
        self.clusterers_ = clusterers
        y_aug = self._propose(X, y_enc, n_classes)
        y_aug[y_enc >= 0] = y_enc[y_enc >= 0]

        precision, overall, coverage = {}, np.nan, np.nan
        if self.cv is not None and (y_enc >= 0).sum() >= 2:
            given = self._cross_fit(X, y_enc, n_classes, rng)
            lab = y_enc >= 0
            got = lab & (given >= 0)
            coverage = float(got.sum() / lab.sum())
            if got.any():
                overall = float((given[got] == y_enc[got]).mean())
            for i, c in enumerate(classes.tolist()):
                to_c = got & (given == i)
                precision[c] = float((y_enc[to_c] == i).mean()) if to_c.any() else np.nan

        new = (y_aug >= 0) & (y_enc < 0)
        skipped = []
        if self.algorithm == "consensus" and self.min_precision is not None:
            for i, c in enumerate(classes.tolist()):
                gets = new & (y_aug == i)
                if not gets.any():
                    continue
                if not precision.get(c, np.nan) >= self.min_precision:
                    y_aug[gets] = -1
                    skipped.append(c)
            if skipped:
                shown = {c: round(precision.get(c, np.nan), 3) for c in skipped}
                warnings.warn(
                    f"LabelAugmenter added no labels to classes {skipped}: their cross-fitted "
                    f"precision {shown} (overall {overall:.3f}) is below min_precision="
                    f"{self.min_precision} or could not be estimated (nan).", UserWarning,
                    stacklevel=3)
            new = (y_aug >= 0) & (y_enc < 0)

        # all fitted attributes are set only now that the fit has succeeded
        self.classes_ = classes
        self.clusterer_ = clusterers[0]
        self.estimated_precision_ = precision
        self.overall_estimated_precision_ = overall
        self.estimated_coverage_ = coverage
        self.skipped_classes_ = skipped
        self.n_augmented_ = int(new.sum())
        self.augmented_counts_ = {
            c: int(((y_aug == i) & new).sum()) for i, c in enumerate(classes.tolist())}
        self.labeled_counts_ = {
            c: int((y_aug == i).sum()) for i, c in enumerate(classes.tolist())}
        trans = np.full(X.shape[0], -1, dtype=object if classes.dtype.kind in "OUS"
                        else classes.dtype)
        trans[y_aug >= 0] = classes[y_aug[y_aug >= 0]]
        self.transduction_ = trans
        return X, y_aug >= 0, new

    def _fit_estimator(self, X, mask, new):
        est = clone(self.estimator)
        Xl, yl = X[mask], self.transduction_[mask]
        if self.augmented_weight == 1.0 or not new.any():
            return est.fit(Xl, yl)
        weight = np.where(new[mask], float(self.augmented_weight), 1.0)
        if isinstance(est, Pipeline):
            last_name, last = est.steps[-1]
            if last not in (None, "passthrough") and has_fit_parameter(last, "sample_weight"):
                return est.fit(Xl, yl, **{f"{last_name}__sample_weight": weight})
        elif has_fit_parameter(est, "sample_weight"):
            return est.fit(Xl, yl, sample_weight=weight)
        raise ValueError(
            f"augmented_weight={self.augmented_weight} needs an estimator whose fit accepts "
            f"sample_weight; {type(est).__name__} does not.")

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
        X, mask, new = self._augment(X, y)
        if self.estimator is not None:
            self.estimator_ = self._fit_estimator(X, mask, new)
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
        X, mask, _ = self._augment(X, y)
        return X[mask], self.transduction_[mask]

    def _delegate_input(self, X):
        check_is_fitted(self, "estimator_")
        return validate_data(self, X, dtype=[np.float64, np.float32], reset=False)

    def _per_class(self, method, X, name):
        """``estimator_.method`` on ``X``; a DataArray in gives a DataArray out."""
        spec = rows_spec(X)
        data = X.data if is_xarray(X) else X
        if is_dask(data):  # lazy: rows block by block
            check_is_fitted(self, "estimator_")
            if data.ndim != 2 or data.shape[1] != self.n_features_in_:
                raise ValueError(f"X has shape {data.shape}; expected (n_samples, "
                                 f"{self.n_features_in_}) as in fit.")
            _check_chunks(data, "X")
            est = self.estimator_

            def fn(rows):
                return np.asarray(getattr(est, method)(np.asarray(rows, dtype=np.float64)))

            probe = fn(np.zeros((1, data.shape[1])))  # the output's shape and dtype
            out = map_samples(fn, data, probe.shape[1:], probe.dtype)
        else:
            rows = self._delegate_input(X)      # NotFittedError before fit
            out = getattr(self.estimator_, method)(rows)
        if np.ndim(out) == 1:
            return wrap_samples(out, spec, name=name)
        classes = getattr(self.estimator_, "classes_", self.classes_)
        return wrap_samples(out, spec, feature_dim="class", feature_coords=classes, name=name)

    @available_if(_has_estimator_method("predict"))
    def predict(self, X):
        """Predict classes with the fitted estimator (a DataArray on the rows' dim for a
        DataArray)."""
        return self._per_class("predict", X, "label")

    @available_if(_has_estimator_method("predict_proba"))
    def predict_proba(self, X):
        """Class probabilities from the fitted estimator."""
        return self._per_class("predict_proba", X, "probability")

    @available_if(_has_estimator_method("predict_log_proba"))
    def predict_log_proba(self, X):
        """Log class probabilities from the fitted estimator."""
        return self._per_class("predict_log_proba", X, "log_probability")

    @available_if(_has_estimator_method("decision_function"))
    def decision_function(self, X):
        """Decision function of the fitted estimator."""
        return self._per_class("decision_function", X, "decision")

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
