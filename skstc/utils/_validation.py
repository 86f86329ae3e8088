"""Input validation with messages that name the expected shape, dims or modality."""

import numbers
import warnings

import numpy as np


def check_n_clusters(n_clusters, n_samples, *, name="n_clusters", what="samples"):
    """Raise ``ValueError`` unless ``1 <= n_clusters <= n_samples``.

    Parameters
    ----------
    n_clusters : int
        Requested number of clusters.
    n_samples : int
        Number of items being clustered.
    name : str, default="n_clusters"
        Parameter name used in the message.
    what : str, default="samples"
        What is being clustered (``"tiles"``, ``"time steps"`` ...), for the message.
    """
    if not isinstance(n_clusters, numbers.Integral) or isinstance(n_clusters, bool):
        raise TypeError(f"{name} must be an integer, got {n_clusters!r}.")
    if n_clusters < 1:
        raise ValueError(f"{name} must be >= 1, got {n_clusters}.")
    if n_clusters > n_samples:
        raise ValueError(
            f"{name}={n_clusters} is larger than the number of {what} ({n_samples}); "
            f"use at most {n_samples} clusters."
        )


def check_finite(X, name="X", *, allow_nan=False):
    """Raise ``ValueError`` if ``X`` holds inf (or NaN, unless ``allow_nan``).

    Parameters
    ----------
    X : ndarray
        Numeric array.
    name : str, default="X"
        Name of the input or modality, used in the message.
    allow_nan : bool, default=False
        Whether NaN is allowed (inf never is).
    """
    X = np.asarray(X)
    if X.dtype.kind not in "fc":
        return
    if np.isinf(X).any():
        raise ValueError(f"{name} contains infinity; only finite values are allowed.")
    if not allow_nan and np.isnan(X).any():
        n_bad = int(np.isnan(X).sum())
        raise ValueError(
            f"{name} contains {n_bad} NaN value(s); fill or mask them first "
            "(see skstc.preprocessing)."
        )


def check_numeric_array(X, name="X", *, dtype=np.float32, ensure_min_samples=1):
    """Convert ``X`` to a numeric ndarray, with a clear error for non-numeric data.

    Parameters
    ----------
    X : array-like
        Input.
    name : str, default="X"
        Name used in messages.
    dtype : numpy dtype, default=np.float32
        Output dtype.
    ensure_min_samples : int, default=1
        Minimum length of the first axis.

    Returns
    -------
    X : ndarray of dtype ``dtype``
    """
    if hasattr(X, "compute") and not isinstance(X, np.ndarray):
        X = X.compute()
    try:
        arr = np.asarray(X)
    except Exception as exc:  # ragged lists, unconvertible objects
        raise TypeError(f"{name} could not be converted to a numeric array: {exc}") from exc
    if arr.dtype.kind not in "biuf":
        raise TypeError(f"{name} must be numeric, got an array of dtype {arr.dtype}.")
    if arr.ndim == 0:
        raise ValueError(f"{name} must be an array, got a scalar {arr!r}.")
    if arr.shape[0] < ensure_min_samples:
        raise ValueError(
            f"{name} has {arr.shape[0]} sample(s) (shape={arr.shape}) while a minimum of "
            f"{ensure_min_samples} is required."
        )
    return arr.astype(dtype, copy=False)


def reshape_samples(X, sample_shape, *, name="X", shape_param="input_shape"):
    """Bring 2-D flattened or n-D input to shape ``(n_samples, *sample_shape)``.

    Parameters
    ----------
    X : ndarray
        Either ``(n_samples, prod(sample_shape))`` or ``(n_samples, *sample_shape)``.
    sample_shape : tuple of int
        Shape of one sample.
    name : str, default="X"
        Name used in messages.
    shape_param : str, default="input_shape"
        Name of the hyper-parameter giving ``sample_shape``, used in messages.

    Returns
    -------
    X : ndarray of shape (n_samples, *sample_shape)

    Examples
    --------
    >>> import numpy as np
    >>> from skstc.utils._validation import reshape_samples
    >>> reshape_samples(np.zeros((2, 12)), (3, 2, 2)).shape
    (2, 3, 2, 2)
    """
    sample_shape = tuple(int(s) for s in sample_shape)
    n_flat = int(np.prod(sample_shape))
    if X.ndim == 2:
        if X.shape[1] != n_flat:
            raise ValueError(
                f"{name} has {X.shape[1]} features per sample but {shape_param}="
                f"{sample_shape} needs {n_flat} (= {' x '.join(map(str, sample_shape))})."
            )
        return X.reshape((X.shape[0],) + sample_shape)
    if X.shape[1:] != sample_shape:
        raise ValueError(
            f"{name} must have shape (n_samples, {', '.join(map(str, sample_shape))}) or "
            f"(n_samples, {n_flat}); got {X.shape}."
        )
    return X


def check_semisupervised_y(y, n_samples, *, name="y", warn_all_unlabeled=True):
    """Validate semi-supervised labels where ``-1`` marks unlabelled samples.

    Parameters
    ----------
    y : array-like of shape (n_samples,) or None
        Integer class labels, ``-1`` for unlabelled. ``None`` means fully unsupervised.
    n_samples : int
        Number of samples in ``X``.
    name : str, default="y"
        Name used in messages.
    warn_all_unlabeled : bool, default=True
        Warn when every label is ``-1``.

    Returns
    -------
    y : ndarray of shape (n_samples,) of int64
        Labels with ``-1`` for unlabelled (all ``-1`` when ``y`` is None).
    classes : ndarray
        Sorted labelled classes (empty when none).
    """
    if y is None:
        return np.full(n_samples, -1, dtype=np.int64), np.array([], dtype=np.int64)
    y = np.asarray(y)
    if y.ndim == 2 and y.shape[1] == 1:
        y = y.ravel()
    if y.ndim != 1:
        raise ValueError(f"{name} must be 1-D of shape (n_samples,), got shape {y.shape}.")
    if y.shape[0] != n_samples:
        raise ValueError(
            f"{name} has {y.shape[0]} labels but X has {n_samples} samples; "
            "they must be the same length."
        )
    if y.dtype.kind == "f":
        if not np.all(np.isfinite(y)):
            raise ValueError(f"{name} contains NaN or infinity; use -1 for unlabelled samples.")
        if not np.all(y == np.round(y)):
            raise ValueError(f"{name} must hold integer class labels (-1 = unlabelled).")
    elif y.dtype.kind not in "iub":
        raise TypeError(
            f"{name} must hold integer class labels with -1 for unlabelled samples, "
            f"got dtype {y.dtype}."
        )
    y = y.astype(np.int64)
    classes = np.unique(y[y != -1])
    if classes.size == 0 and warn_all_unlabeled:
        warnings.warn(
            f"{name} has no labelled sample (all -1): training is unsupervised.",
            UserWarning,
            stacklevel=3,
        )
    return y, classes


def negative_inertia(Z, centers):
    """Minus the sum of squared distances of the rows of ``Z`` to their closest centre.

    The ``score`` of :class:`sklearn.cluster.KMeans`, for clusterers that assign a sample to
    the closest of ``centers`` in the space of ``Z`` (dask arrays are computed here).
    """
    from sklearn.metrics import pairwise_distances_argmin_min

    Z = np.asarray(Z, dtype=np.float64)
    _, dist = pairwise_distances_argmin_min(Z, np.asarray(centers, dtype=np.float64))
    return -float(np.sum(dist ** 2))


def clusterer_score(clusterer, Z):
    """Score of a fitted latent-space clusterer on the embeddings ``Z``.

    The clusterer's own ``score`` when it has one (minus the inertia for k-means), else
    :func:`negative_inertia` to its ``cluster_centers_``.
    """
    if hasattr(clusterer, "score"):
        return float(clusterer.score(Z))
    centers = getattr(clusterer, "cluster_centers_", None)
    if centers is None:
        raise AttributeError(f"{type(clusterer).__name__} has neither score nor "
                             "cluster_centers_: the clustering cannot be scored.")
    return negative_inertia(Z, centers)
