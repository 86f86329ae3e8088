"""Image time series: filling gaps (clouds) along time."""
import functools
import numbers

import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.utils.validation import (
    check_is_fitted,
)

from ..utils._xarray import is_dask, is_xarray
from ._images import _ImageStackMixin


def _fill_time_gaps(a, t, method, max_gap):
    """Fill NaN along axis 0 of a 2-D float array ``a`` (n_times, n_series), vectorised.

    ``t`` are the (strictly increasing, float64) positions of the dates. Returns a new array
    of ``a``'s dtype. See :class:`TemporalGapFiller` for the rule.
    """
    if np.isinf(a).any():
        raise ValueError("X contains infinity.")
    out = a.copy()
    n_t = a.shape[0]
    valid = ~np.isnan(a)
    if n_t == 0 or valid.all():
        return out
    idx = np.arange(n_t, dtype=np.intp)[:, None]
    # last valid date at or before each date (-1: none), first valid at or after (n_t: none)
    prev = np.maximum.accumulate(np.where(valid, idx, -1), axis=0)
    nxt = np.minimum.accumulate(np.where(valid, idx, n_t)[::-1], axis=0)[::-1]
    has_p, has_n = prev >= 0, nxt < n_t
    p = np.where(has_p, prev, 0)
    q = np.where(has_n, nxt, n_t - 1)
    vp = np.take_along_axis(a, p, axis=0)
    vq = np.take_along_axis(a, q, axis=0)
    # edges (and, for now, inside gaps): the valid value before, else the one after; a
    # series with no valid date picks a NaN on both sides and stays NaN
    fill = np.where(has_p, vp, vq)
    inner = ~valid & has_p & has_n
    if inner.any():
        tt = np.broadcast_to(t[:, None], a.shape)[inner]
        tp, tq = t[p[inner]], t[q[inner]]
        a0, a1 = vp[inner].astype(np.float64), vq[inner].astype(np.float64)
        if method == "linear":
            fill[inner] = a0 + (tt - tp) / (tq - tp) * (a1 - a0)
        else:   # nearest in time; a tie goes to the earlier date
            fill[inner] = np.where(tq - tt < tt - tp, a1, a0)
    missing = ~valid
    if max_gap is not None:
        # length of the run of missing dates each missing value belongs to
        gap = np.where(has_p, np.where(has_n, q - p - 1, n_t - 1 - p), q)
        missing &= gap <= max_gap
    out[missing] = fill[missing]
    return out


def _fill_block(block, axis, t, method, max_gap, dtype):
    """Gap-fill a numpy block along ``axis`` (whole time axis), in slabs of series."""
    a = np.moveaxis(np.asarray(block), axis, 0)
    shape = a.shape
    flat = a.reshape(shape[0], -1).astype(dtype, copy=False)
    out = np.empty(flat.shape, dtype=dtype)
    step = max(1, (1 << 20) // max(shape[0], 1))   # ~1M values per slab: bounded scratch
    for s in range(0, flat.shape[1], step):
        out[:, s:s + step] = _fill_time_gaps(flat[:, s:s + step], t, method, max_gap)
    return np.ascontiguousarray(np.moveaxis(out.reshape(shape), 0, axis))


class TemporalGapFiller(_ImageStackMixin, TransformerMixin, BaseEstimator):
    """Fill missing values (NaN) of image time series along time, pixel by pixel and band by band.

    For each pixel and band, a NaN date is filled from the nearest valid dates of the same
    series: ``method="linear"`` interpolates linearly between the last valid date before and
    the first valid date after it (``np.interp``'s rule); ``method="nearest"`` copies the
    value of the closer of the two (a tie goes to the earlier date). A leading (trailing) gap
    takes the first (last) valid value of the series. A series with no valid date at all
    stays all-NaN (for :class:`~skstc.Tile2VecSeriesKMeans` such pixels stay missing: its
    NaN rule keeps mostly-missing tiles out of triplets and fills them with the per-band
    training means at inference). Valid values are never changed. Bands are filled
    independently: a pixel NaN in one band only gets that band filled.

    Input forms are those of :class:`ImageBandScaler`: ``(n_times, n_bands, height, width)``,
    ``(n_regions, n_times, n_bands, height, width)``, a list of 4-D regions (time axis 0,
    resp. 1), or an xarray.DataArray with a ``time`` dim (any other dims, coordinates and
    attributes kept). Numpy or dask: dask-backed input stays lazy and is filled chunk by
    chunk along space (the time axis is first rechunked into one chunk, which the filling
    needs). The numpy path is vectorised and works on slabs of about a million values, so its
    scratch memory does not grow with the image. Image output has the input's floating dtype
    (float32 for integer input).

    A 2-D array (what scikit-learn's checks feed) is read as one series per row over
    ``n_features`` equally spaced dates: each row is filled along its columns with the same
    rule (validated like scikit-learn's transformers: float32/float64 kept, integers ->
    float64, NaN allowed, infinity and sparse input refused).

    Parameters
    ----------
    method : {"linear", "nearest"}, default="linear"
        How a gap between two valid dates is filled.
    max_gap : int or None, default=None
        Longest run of consecutive missing dates that is filled (counted in dates, edges
        included); the values of longer runs stay NaN. None fills every run.
    use_time_coordinate : bool, default=True
        For a DataArray whose ``time`` coordinate is datetime64 or numeric, interpolate on
        the actual date spacing (datetimes in days); the coordinate must then be strictly
        increasing. Otherwise (and for numpy/dask/2-D input) dates are equally spaced.

    Attributes
    ----------
    n_times_ : int
        Dates (columns for 2-D input) of the array seen in ``fit``. The filling learns
        nothing from ``fit``: image stacks with another number of dates can be transformed.
    n_features_in_ : int
        Columns of a 2-D training array (only set for 2-D input).

    Notes
    -----
    Infinite values raise a ValueError (for dask input, when the result is computed).

    Examples
    --------
    >>> import numpy as np
    >>> from skstc.preprocessing import TemporalGapFiller
    >>> X = np.array([np.nan, 1.0, np.nan, np.nan, 4.0, np.nan]).reshape(6, 1, 1, 1)
    >>> TemporalGapFiller().fit_transform(X).ravel().tolist()
    [1.0, 1.0, 2.0, 3.0, 4.0, 4.0]
    >>> TemporalGapFiller(max_gap=1).fit_transform(X).ravel().tolist()
    [1.0, 1.0, nan, nan, 4.0, 4.0]
    """

    def __init__(self, method="linear", *, max_gap=None, use_time_coordinate=True):
        self.method = method
        self.max_gap = max_gap
        self.use_time_coordinate = use_time_coordinate

    def _check_params(self):
        if self.method not in ("linear", "nearest"):
            raise ValueError(f"method must be 'linear' or 'nearest', got {self.method!r}.")
        if self.max_gap is not None and (
                not isinstance(self.max_gap, numbers.Integral)
                or isinstance(self.max_gap, bool) or self.max_gap < 0):
            raise ValueError(f"max_gap must be None or a non-negative integer, "
                             f"got {self.max_gap!r}.")

    def _times(self, X, n_t):
        """Float positions of the dates: the DataArray's time coordinate or 0..n_t-1."""
        if is_xarray(X) and self.use_time_coordinate and "time" in X.coords:
            tc = np.asarray(X["time"].values)
            if tc.dtype.kind == "M":
                t = (tc - tc[0]) / np.timedelta64(1, "D")
            elif tc.dtype.kind in "biuf":
                t = tc.astype(np.float64)
            else:
                t = None
            if t is not None:
                t = np.asarray(t, dtype=np.float64)
                if not np.all(np.isfinite(t)) or np.any(np.diff(t) <= 0):
                    raise ValueError("The time coordinate must be strictly increasing (sort "
                                     "with X.sortby('time') or pass "
                                     "use_time_coordinate=False).")
                return t
        return np.arange(n_t, dtype=np.float64)

    def fit(self, X, y=None):
        """Check the parameters and the input form (nothing is learnt from the values).

        Parameters
        ----------
        X : array-like, list of 4-D arrays or xarray.DataArray
            Image time series, or a 2-D array (one series per row).
        y : None
            Ignored.

        Returns
        -------
        self : TemporalGapFiller
        """
        self._check_params()
        if self._is_table(X):
            X2 = self._validate_table(X, reset=True)
            self.n_times_ = X2.shape[1]
        else:
            if hasattr(self, "n_features_in_"):
                del self.n_features_in_
            parts = self._image_parts(X, "time")
            n_t = {a.shape[ax] for a, ax in parts}
            if len(n_t) != 1:
                raise ValueError(f"All regions must have the same dates, got {sorted(n_t)}.")
            self.n_times_ = n_t.pop()
            self._times(X, self.n_times_)
        return self

    def transform(self, X):
        """Return ``X`` with its NaN filled along time, in X's form.

        Parameters
        ----------
        X : array-like, list of 4-D arrays or xarray.DataArray
            Same form rules as ``fit``; dask-backed input stays lazy.

        Returns
        -------
        Xt : ndarray, dask array, list of arrays or xarray.DataArray
            Same shape as ``X``; NaN left only where the rule leaves it.
        """
        check_is_fitted(self)
        self._check_params()
        if self._is_table(X):
            X2 = self._validate_table(X, reset=False)
            t = np.arange(X2.shape[1], dtype=np.float64)
            return _fill_block(X2, 1, t, self.method, self.max_gap, X2.dtype)
        out = []
        for a, ax in self._image_parts(X, "time"):
            dtype = a.dtype if a.dtype.kind == "f" else np.dtype(np.float32)
            t = self._times(X, a.shape[ax])
            if is_dask(a):
                if len(a.chunks[ax]) > 1:
                    a = a.rechunk({ax: -1})
                fill = functools.partial(_fill_block, axis=ax, t=t, method=self.method,
                                         max_gap=self.max_gap, dtype=dtype)
                out.append(a.map_blocks(fill, dtype=dtype))
            else:
                out.append(_fill_block(a, ax, t, self.method, self.max_gap, dtype))
        if is_xarray(X):
            return X.copy(data=out[0])
        return out if self._is_regions(X) else out[0]
