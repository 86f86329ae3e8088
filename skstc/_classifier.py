"""MultimodalClassifier: supervised map + series classifier (scratch, frozen or fine-tuned)."""

import copy
import warnings
from numbers import Integral

import numpy as np
import torch
from sklearn.base import BaseEstimator, ClassifierMixin, _fit_context, clone
from sklearn.utils._param_validation import Interval
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_is_fitted

from ._multimodal import MultimodalConstrainedAE, _encode
from ._training import TorchEstimatorMixin, document_engine_params
from .nn._multimodal import MultimodalAutoencoder, MultimodalClassifierNet
from .utils._inputs import (
    _check_spatial_shape,
    _fitted_spatial_shape,
    _required_labels,
    _split_labels,
    _validate_multimodal,
    parse_multimodal,
)
from .utils._random import local_random_state
from .utils._xarray import apply_to_samples

__all__ = ["MultimodalClassifier"]


class _CrossEntropy(torch.nn.Module):
    """Cross-entropy on the logits (criterion protocol)."""

    def forward(self, y_pred, y_true, X):
        loss = torch.nn.functional.cross_entropy(y_pred, y_true.long())
        self.components_ = {"cross_entropy": loss.detach()}
        return loss


def _is_fitted(est):
    try:
        check_is_fitted(est, "module_")
        return True
    except Exception:
        return False


@document_engine_params
class MultimodalClassifier(TorchEstimatorMixin, ClassifierMixin, BaseEstimator):
    """Supervised classifier of objects with a map and a series (the paper's models).

    The network is the spatial CNN + temporal LSTM encoder of
    :class:`MultimodalConstrainedAE` followed by two fully connected layers trained with
    cross-entropy on the labelled rows (rows labelled ``-1`` are ignored):

    * ``encoder=None``: trained from scratch;
    * ``encoder=MultimodalConstrainedAE(...)``, ``freeze_encoder=True``: the encoder is
      taken from the autoencoder and kept fixed (the paper's enc_fixed);
    * ``freeze_encoder=False``: the encoder is initialised from the autoencoder and
      fine-tuned (enc_upd).

    A fitted ``encoder`` is used as is (its network is copied); an unfitted one is cloned and
    fitted on ``X, y`` first, with every row (the unlabelled ones too). ``clone`` (and hence
    ``GridSearchCV``) makes the encoder unfitted, so cross-validation refits it on each
    training fold.

    Parameters
    ----------
    encoder : MultimodalConstrainedAE or None, default=None
        Source of the encoder (see above). Its ``spatial_shape`` and architecture are used.
    freeze_encoder : bool, default=False
        Keep the encoder fixed (only with an ``encoder``).
    spatial_shape : tuple of int (height, width), default=(64, 64)
        Map shape, used when ``encoder`` is None.
    embedding_dim : int, default=256
        Embedding size, used when ``encoder`` is None (the encoder's defaults are those of
        :class:`MultimodalConstrainedAE`; the paper's training is :meth:`paper_params`).
    conv_channels : tuple of int, default=(16, 32, 64)
        Convolution channels, used when ``encoder`` is None.
    lstm_hidden_size : int, default=64
        LSTM hidden size, used when ``encoder`` is None.
    hidden_units : int, default=64
        Width of the first fully connected layer.
    standardize : bool, default=True
        Standardise each embedding feature before the fully connected layers, with the mean
        and standard deviation of the labelled rows' embeddings under the initial encoder
        (fixed during training). The fused embeddings have a tiny per-feature spread (sums of
        L2-normalised vectors), which stalls the head of a frozen encoder; False is the
        paper's plain head.
    min_steps_per_epoch : int, default=8
        The batch size is capped at ``ceil(n_labelled / min_steps_per_epoch)``.
    max_epochs : int, default=100
        Number of passes over the labelled rows.
    batch_size : int, default=256
        Mini-batch size (capped as above).
    lr : float, default=1e-3
        Learning rate of the optimizer.
    <engine parameter: optimizer>
    <engine parameter: tol>
    <engine parameter: n_iter_no_change>
    <engine parameter: device>
    <engine parameter: n_threads>
    <engine parameter: num_workers>
    <engine parameter: callbacks>
    <engine parameter: verbose>
    <engine parameter: random_state>
    <engine parameter: precision>

    Attributes
    ----------
    module_ : skstc.nn.MultimodalClassifierNet
    classes_ : ndarray
    encoder_ : MultimodalConstrainedAE or None
        The fitted encoder estimator (None when trained from scratch).
    history_ : list of dict
    n_iter_ : int
    n_features_in_ : int

    Examples
    --------
    >>> from skstc import MultimodalClassifier
    >>> from skstc.datasets import make_water_bodies
    >>> X, y = make_water_bodies(40, n_timesteps=12, map_size=8, random_state=0)
    >>> clf = MultimodalClassifier(spatial_shape=(8, 8), embedding_dim=8, conv_channels=(4,),
    ...                            lstm_hidden_size=8, hidden_units=8, max_epochs=2,
    ...                            n_threads=1, random_state=0).fit(X, y)
    >>> clf.predict_proba(X).shape
    (40, 4)
    """

    @classmethod
    def paper_params(cls):
        """Parameters of the published classifier (encoder size and training).

        The defaults have the published encoder; these values give the published network
        and training when trained from scratch (``encoder=None``): the encoder of
        :meth:`MultimodalConstrainedAE.paper_params` (branch embeddings of 256,
        convolutions of 16, 32 and 64 channels, an LSTM of 64 units), the plain head
        (``standardize=False``) and batches of 256 of Adam at 1e-3. With an ``encoder``,
        its own parameters give the architecture: build it with
        :meth:`MultimodalConstrainedAE.paper_params`.

        Returns
        -------
        params : dict
            Parameter names and values, a new dict at each call; pass them to the
            constructor or to ``set_params``.

        Examples
        --------
        >>> from skstc import MultimodalClassifier
        >>> clf = MultimodalClassifier(spatial_shape=(64, 64))
        >>> clf = clf.set_params(**MultimodalClassifier.paper_params())
        >>> clf.embedding_dim, clf.conv_channels, clf.lstm_hidden_size
        (256, (16, 32, 64), 64)
        """
        return {"embedding_dim": 256, "conv_channels": (16, 32, 64), "lstm_hidden_size": 64,
                "hidden_units": 64, "standardize": False, "batch_size": 256,
                "min_steps_per_epoch": 1, "lr": 1e-3, "optimizer": "adam"}

    _parameter_constraints: dict = {
        **TorchEstimatorMixin._engine_parameter_constraints,
        "encoder": [MultimodalConstrainedAE, None],
        "freeze_encoder": ["boolean"],
        "spatial_shape": ["array-like"],
        "embedding_dim": [Interval(Integral, 1, None, closed="left")],
        "conv_channels": ["array-like"],
        "lstm_hidden_size": [Interval(Integral, 1, None, closed="left")],
        "hidden_units": [Interval(Integral, 1, None, closed="left")],
        "standardize": ["boolean"],
        "min_steps_per_epoch": [Interval(Integral, 1, None, closed="left")],
    }

    # the parameters that shorten a fit, named by the long-fit warning
    _fit_time_params = ("max_epochs", "conv_channels", "lstm_hidden_size", "embedding_dim",
                        "batch_size")

    def __init__(self, encoder=None, *, freeze_encoder=False, spatial_shape=(64, 64),
                 embedding_dim=256, conv_channels=(16, 32, 64), lstm_hidden_size=64, hidden_units=64,
                 standardize=True, min_steps_per_epoch=8, max_epochs=100, batch_size=256,
                 lr=1e-3, optimizer="adam", tol=1e-4, n_iter_no_change=None, device="auto",
                 n_threads=None, num_workers=0, callbacks=None, verbose=0, random_state=None,
                 precision=None):
        self.encoder = encoder
        self.freeze_encoder = freeze_encoder
        self.spatial_shape = spatial_shape
        self.embedding_dim = embedding_dim
        self.conv_channels = conv_channels
        self.lstm_hidden_size = lstm_hidden_size
        self.hidden_units = hidden_units
        self.standardize = standardize
        self.min_steps_per_epoch = min_steps_per_epoch
        self.max_epochs = max_epochs
        self.batch_size = batch_size
        self.lr = lr
        self.optimizer = optimizer
        self.tol = tol
        self.n_iter_no_change = n_iter_no_change
        self.device = device
        self.n_threads = n_threads
        self.num_workers = num_workers
        self.callbacks = callbacks
        self.verbose = verbose
        self.random_state = random_state
        self.precision = precision

    def _shape(self):
        src = self.encoder if self.encoder is not None else self
        return _check_spatial_shape(src.spatial_shape)

    def _check_params(self):
        if self.freeze_encoder and self.encoder is None:
            raise ValueError("freeze_encoder=True needs an encoder (a MultimodalConstrainedAE).")
        return self._shape()

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y):
        """Fit on the labelled rows of ``(X, y)``.

        Parameters
        ----------
        X : array-like of shape (n_samples, height * width + n_timesteps) or xarray.Dataset
        y : array-like of shape (n_samples,)
            Class labels, ``-1`` for unlabelled rows (ignored here, used by an unfitted
            ``encoder``).

        Returns
        -------
        self : MultimodalClassifier
        """
        self._check_engine_params()
        shape = self._check_params()
        X_raw = X
        maps, series, _ = _validate_multimodal(self, X, shape, reset=True)
        y_enc, self.classes_ = _required_labels(y, maps.shape[0], "MultimodalClassifier")
        check_classification_targets(self.classes_)
        if self.classes_.size < 2:
            raise ValueError(
                f"y must hold labelled samples of at least 2 classes, got "
                f"{self.classes_.size} class.")
        rng = local_random_state(self.random_state)
        if self.encoder is None:
            self.encoder_ = None
            ae = None
        else:
            if _is_fitted(self.encoder):
                self.encoder_ = self.encoder
            else:
                self.encoder_ = clone(self.encoder)
                if self.encoder_.random_state is None:
                    self.encoder_.set_params(random_state=rng.randint(2**31 - 1))
                with warnings.catch_warnings():
                    warnings.filterwarnings("ignore", message=".*(unsupervised|skipped).*")
                    self.encoder_.fit(X_raw, np.where(y_enc >= 0, y_enc, -1))
            if self.encoder_.n_features_in_ != self.n_features_in_:
                raise ValueError(
                    f"the encoder was fitted on {self.encoder_.n_features_in_} features, X has "
                    f"{self.n_features_in_}.")
            ae = copy.deepcopy(self.encoder_.module_).cpu()
        labelled = y_enc >= 0
        n_lab = int(labelled.sum())
        batch_size = max(1, min(self.batch_size, -(-n_lab // self.min_steps_per_epoch)))
        data = {"maps": maps[labelled], "series": series[labelled]}
        with torch.random.fork_rng():
            torch.manual_seed(rng.randint(2**31 - 1))
            if ae is None:
                ae = MultimodalAutoencoder(
                    shape, series.shape[1], self.embedding_dim, "both", tuple(self.conv_channels),
                    self.lstm_hidden_size)
            net = MultimodalClassifierNet(ae, len(self.classes_), self.hidden_units,
                                          self.freeze_encoder)
        if self.standardize:
            Z = self._predict_module(_encode, data, module=ae, batch_size=max(batch_size, 256))
            scale = Z.std(axis=0)
            net.set_standardization(Z.mean(axis=0), np.where(scale > 1e-12, scale, 1.0))
        self.module_, self.history_ = self._train_module(
            net, data, y_enc[labelled], criterion=_CrossEntropy, random_state=rng,
            batch_size=batch_size, fit_epochs=self.max_epochs)
        self.n_iter_ = len(self.history_)
        return self

    def _logits(self, X):
        check_is_fitted(self)
        maps, series, _ = _validate_multimodal(self, X, None, reset=False)
        return self._predict_module(lambda m, b: m(b["maps"], b["series"]),
                                    {"maps": maps, "series": series})

    def _per_sample(self, X, fn, out_shape, dtype, **wrap):
        """``fn`` on the rows of ``X``, output in the input's form (xarray, lazy dask)."""
        check_is_fitted(self)
        rows, spec = parse_multimodal(X, _fitted_spatial_shape(self))
        return apply_to_samples(fn, rows, spec, out_shape, dtype, **wrap)

    def _decision_rows(self, rows):
        logits = self._logits(rows)
        if logits.shape[1] == 2:
            return logits[:, 1] - logits[:, 0]
        return logits

    def decision_function(self, X):
        """Return the logits of shape (n_samples, n_classes).

        For 2 classes, the logit difference of shape (n_samples,) (positive favours
        ``classes_[1]``), as scikit-learn expects. A DataArray on the sample coordinate for a
        Dataset input, dask-backed for dask input (as every output of this class).
        """
        k = len(self.classes_) if hasattr(self, "classes_") else 0
        return self._per_sample(X, self._decision_rows, () if k == 2 else (k,), np.float32,
                                feature_dim="class", feature_coords=getattr(
                                    self, "classes_", None), name="decision")

    def _proba_rows(self, rows):
        logits = self._logits(rows)
        logits = logits - logits.max(axis=1, keepdims=True)
        p = np.exp(logits)
        return p / p.sum(axis=1, keepdims=True)

    def predict_proba(self, X):
        """Class probabilities of shape (n_samples, n_classes)."""
        check_is_fitted(self)
        return self._per_sample(X, self._proba_rows, (len(self.classes_),), np.float32,
                                feature_dim="class", feature_coords=self.classes_,
                                name="probability")

    def predict(self, X):
        """Most probable class of each sample."""
        check_is_fitted(self)
        return self._per_sample(
            X, lambda rows: self.classes_[np.argmax(self._logits(rows), axis=1)], (),
            self.classes_.dtype, name="class")

    def _embed_rows(self, rows):
        maps, series, _ = _validate_multimodal(self, rows, None, reset=False)
        return self._predict_module(lambda m, b: _encode(m.autoencoder, b),
                                    {"maps": maps, "series": series})

    def embed(self, X):
        """Return the encoder embeddings of shape (n_samples, embedding_dim) (after training)."""
        check_is_fitted(self)
        dim = (self.encoder if self.encoder is not None else self).embedding_dim
        return self._per_sample(X, self._embed_rows, (dim,), np.float32,
                                feature_dim="embedding", name="embedding")

    def score(self, X, y, sample_weight=None):
        """Accuracy on the rows of ``y`` that are not ``-1``."""
        y = np.asarray(y)
        y_enc, _ = _split_labels(y, len(y))
        mask = y_enc >= 0
        if not mask.any():
            raise ValueError("score needs at least one labelled row (y != -1).")
        pred = np.asarray(self.predict(X))
        from sklearn.metrics import accuracy_score

        sw = None if sample_weight is None else np.asarray(sample_weight)[mask]
        return accuracy_score(y[mask], pred[mask], sample_weight=sw)
