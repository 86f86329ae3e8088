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


# Largest input magnitude accepted for float32 training: squares of values up to 1e15 summed
# over a few thousand features stay far below float32's maximum (3.4e38), whereas 1e19 already
# overflows a single squared error.
MAX_ABS_VALUE = 1e15
# Typical magnitude above which an input is reported as probably unscaled.
UNSCALED_MAGNITUDE = 1e3


def _max_abs(X):
    """Largest finite ``|x|`` of a float array (0 for an empty or non-float array)."""
    X = np.asarray(X)
    if X.size == 0 or X.dtype.kind not in "fiu":
        return 0.0
    if X.dtype.kind in "iu":
        return float(max(abs(int(X.max())), abs(int(X.min()))))
    with np.errstate(invalid="ignore"):
        hi, lo = np.nanmax(X), np.nanmin(X)
    vals = [abs(float(v)) for v in (hi, lo) if np.isfinite(v)]
    return max(vals) if vals else 0.0


def check_float32_range(X, name="X", *, limit=MAX_ABS_VALUE):
    """Raise ``ValueError`` when finite values of ``X`` are too large for float32 training.

    Values whose magnitude exceeds ``limit`` overflow float32 arithmetic once squared or
    summed in a loss (or already when cast, above 3.4e38), which ends in NaN losses and
    NaN embeddings far from their cause. NaN and inf are left to the finiteness checks.

    Parameters
    ----------
    X : array-like
        Numeric array (float64 values are checked before any cast to float32).
    name : str, default="X"
        Name of the input, used in the message.
    limit : float, default=1e15
        Largest magnitude accepted.

    Examples
    --------
    >>> import numpy as np
    >>> from skstc.utils._validation import check_float32_range
    >>> check_float32_range(np.array([1.0, -2.0]))
    >>> check_float32_range(np.array([1e30]))
    Traceback (most recent call last):
    ...
    ValueError: X holds values up to |x| = 1e+30, too large for float32 training ...
    """
    peak = _max_abs(X)
    if peak > limit:
        raise ValueError(
            f"{name} holds values up to |x| = {peak:.3g}, too large for float32 training "
            f"(at most {limit:.0e}; squared errors would overflow to inf). Scale the input "
            "first, e.g. with sklearn.preprocessing.StandardScaler or the scalers in "
            "skstc.preprocessing.")


def warn_if_unscaled(X, name="X", *, threshold=UNSCALED_MAGNITUDE, stacklevel=3):
    """Warn when ``X`` looks unscaled (typical magnitude above ``threshold``).

    Deep models train best on inputs of order 1. Raw physical units (geopotential in
    m2 s-2, pressure in Pa, reflectances in 0..10000) give huge losses, and a variable much
    larger than the others dominates the loss while the small ones are ignored.

    Parameters
    ----------
    X : array-like
        Numeric array.
    name : str, default="X"
        Name of the input, used in the message.
    threshold : float, default=1e3
        A warning is given when the 99th percentile of ``|x|`` exceeds it.
    stacklevel : int, default=3
        Passed to :func:`warnings.warn`.

    Returns
    -------
    unscaled : bool
        Whether the warning was given.
    """
    X = np.asarray(X)
    if X.size == 0 or X.dtype.kind not in "fiu":
        return False
    flat = X.reshape(-1)
    if flat.size > 100_000:  # a strided subsample is enough for a magnitude
        flat = flat[:: flat.size // 100_000]
    flat = np.abs(flat[np.isfinite(flat)]) if flat.dtype.kind == "f" else np.abs(flat)
    if flat.size == 0:
        return False
    typical = float(np.percentile(flat, 99))
    if typical > threshold:
        warnings.warn(
            f"{name} looks unscaled: the 99th percentile of |values| is {typical:.3g}, far "
            "from the order-1 range deep models train on; the loss will be huge and variables "
            "with large values will dominate. Scale it first (e.g. sklearn's StandardScaler "
            "or the scalers in skstc.preprocessing).", UserWarning, stacklevel=stacklevel)
        return True
    return False


def split_semisupervised_labels(y, n_samples, *, name="y"):
    """Class labels with ``-1`` for unlabelled rows -> ``(encoded labels, classes)``.

    Only the number ``-1`` marks an unlabelled row. Numeric labels may be any other
    non-negative values; other negative numbers are refused (a typo for ``-1`` would
    otherwise become a class of its own), and so are the string ``"-1"``, ``None`` and NaN.
    String (or object) arrays may mix class names with the integer ``-1``.

    Parameters
    ----------
    y : array-like of shape (n_samples,) or None
        Labels; None means no labels at all.
    n_samples : int
        Number of samples in ``X``.
    name : str, default="y"
        Name used in messages.

    Returns
    -------
    y_enc : ndarray of shape (n_samples,) of int64
        Index into ``classes`` of each labelled row, ``-1`` for unlabelled rows.
    classes : ndarray
        Sorted labelled classes (empty when none).

    Examples
    --------
    >>> from skstc.utils._validation import split_semisupervised_labels
    >>> split_semisupervised_labels([3, -1, 5, 3], 4)
    (array([ 0, -1,  1,  0]), array([3, 5]))
    >>> split_semisupervised_labels([3, -2, 5, 3], 4)
    Traceback (most recent call last):
    ...
    ValueError: y holds the negative label(s) [-2]: only -1 marks unlabelled samples ...
    """
    if y is None:
        return np.full(n_samples, -1, dtype=np.int64), np.array([])
    y = np.asarray(y)
    if y.ndim == 2 and y.shape[1] == 1:
        y = y.ravel()
    if y.ndim != 1:
        raise ValueError(f"{name} must be 1-D of shape (n_samples,), got shape {y.shape}.")
    if y.shape[0] != n_samples:
        raise ValueError(
            f"{name} has {y.shape[0]} labels but X has {n_samples} samples; they must be the "
            "same length.")
    if y.dtype.kind == "c":
        raise TypeError(f"{name} must hold class labels, got complex values.")
    if y.dtype.kind == "f" and not np.isfinite(y).all():
        raise ValueError(f"{name} contains NaN or inf; use -1 for unlabelled samples.")
    if y.dtype.kind == "f" and not np.array_equal(y, np.round(y)):
        raise ValueError(
            f"Unknown label type: continuous. {name} must hold class labels (integers or "
            "strings, -1 for unlabelled samples), not continuous values.")
    if y.dtype.kind in "iufb":
        labelled = y != -1
        negative = np.unique(y[labelled & (y < 0)]) if y.dtype.kind != "b" else []
    elif y.dtype.kind == "O":
        bad = [v for v in y if v is None or isinstance(v, float) and not np.isfinite(v)]
        if bad:
            raise ValueError(f"{name} contains {len(bad)} None/NaN label(s); use -1 for "
                             "unlabelled samples.")
        is_num = np.array([isinstance(v, numbers.Number) and not isinstance(v, bool)
                           for v in y], dtype=bool)
        labelled = np.array([not (n and v == -1) for n, v in zip(is_num, y)], dtype=bool)
        negative = sorted({v for n, v, lab in zip(is_num, y, labelled) if n and lab and v < 0})
        kinds = {type(v).__name__ for v, lab in zip(y, labelled) if lab}
        if is_num[labelled].any() and not is_num[labelled].all():
            raise TypeError(
                f"{name} mixes numeric and non-numeric class labels ({sorted(kinds)}); use one "
                "type (with the integer -1 for unlabelled samples).")
    else:
        labelled = np.ones(n_samples, dtype=bool)
        negative = []
    if len(negative):
        raise ValueError(
            f"{name} holds the negative label(s) {list(np.asarray(negative).tolist())[:5]}: only "
            "-1 marks unlabelled samples and class labels must not be negative.")
    if y.dtype.kind in "OUS":
        as_text = {str(v).strip() for v, lab in zip(y, labelled) if lab}
        if as_text & {"-1", "-1.0"}:
            raise ValueError(
                f"{name} holds the string '-1': unlabelled samples are marked with the "
                "integer -1, not a string (convert y, e.g. y.astype(int), or use -1 in an "
                "object array).")
    if labelled.any():
        classes, enc = np.unique(y[labelled], return_inverse=True)
    else:
        classes, enc = np.array([]), np.array([], dtype=np.int64)
    y_enc = np.full(n_samples, -1, dtype=np.int64)
    y_enc[labelled] = enc
    return y_enc, classes
