"""Input validation with messages that name the expected shape, dims or modality."""

import numbers

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
