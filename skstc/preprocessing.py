"""Public transformers that turn raw spatiotemporal data into model input."""

# --- shared ---

# --- MultimodalConstrainedAE / LabelAugmenter / MultimodalClassifier (issue 3) ---

# --- Tile2VecSeriesKMeans (issue 4) ---
from sklearn.base import BaseEstimator as _BaseEstimator_t2v  # noqa: E402
from sklearn.base import TransformerMixin as _TransformerMixin_t2v  # noqa: E402


class ImageBandScaler(_TransformerMixin_t2v, _BaseEstimator_t2v):
    """Standardise each band of image time series (NaN-aware), keeping the image layout.

    The band axis is axis ``-3`` of ``(n_times, n_bands, height, width)``,
    ``(n_regions, n_times, n_bands, height, width)``, a list of 4-D regions, or the ``band``
    dim of a DataArray; mean and standard deviation of each band are computed over all other
    axes, ignoring NaN (which stays NaN). A 2-D array is scaled per column, like
    :class:`sklearn.preprocessing.StandardScaler`, so the scaler fits in front of
    :class:`~skstc.Tile2VecSeriesKMeans` in a Pipeline whatever the input form.

    Attributes
    ----------
    mean_ : ndarray of shape (n_bands,)
    scale_ : ndarray of shape (n_bands,)

    Examples
    --------
    >>> import numpy as np
    >>> from skstc.preprocessing import ImageBandScaler
    >>> X = np.random.RandomState(0).rand(3, 2, 4, 4) * [[[[1.0]], [[100.0]]]]
    >>> Xt = ImageBandScaler().fit_transform(X)
    >>> Xt.std(axis=(0, 2, 3)).round(3).tolist()
    [1.0, 1.0]
    """

    def _bands(self, X):
        import numpy as np

        from .utils._xarray import is_xarray

        if is_xarray(X):
            if "band" not in X.dims:
                raise ValueError(f"X has dims {X.dims}; a 'band' dim is expected.")
            return [np.moveaxis(np.asarray(X.transpose(..., "band").values, dtype=np.float64),
                                -1, -3)]
        if isinstance(X, (list, tuple)):
            return [np.asarray(x, dtype=np.float64) for x in X]
        X = np.asarray(X, dtype=np.float64)
        return [X]

    def fit(self, X, y=None):
        """Compute the per-band mean and standard deviation."""
        import numpy as np

        import warnings

        arrs = self._bands(X)
        if arrs[0].ndim == 2:
            flat = arrs
        elif arrs[0].ndim in (4, 5):
            flat = [np.moveaxis(a, -3, -1).reshape(-1, a.shape[-3]) for a in arrs]
        else:
            raise ValueError(f"X must be 2-D, 4-D or 5-D, got shape {arrs[0].shape}.")
        allv = np.concatenate(flat, axis=0)
        if np.isinf(allv).any():
            raise ValueError("X contains infinity.")
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            mean = np.nanmean(allv, axis=0)
            std = np.nanstd(allv, axis=0)
        mean = np.where(np.isfinite(mean), mean, 0.0)
        std = np.where(np.isfinite(std) & (std > 0), std, 1.0)
        self.mean_, self.scale_ = mean, std
        if arrs[0].ndim == 2:
            self.n_features_in_ = allv.shape[1]
        self.n_bands_ = len(mean)
        return self

    def transform(self, X):
        """Return ``(X - mean_) / scale_`` per band, in X's form (float32)."""
        import numpy as np
        from sklearn.utils.validation import check_is_fitted

        from .utils._xarray import is_xarray

        check_is_fitted(self)
        band_axis = -1 if (not is_xarray(X) and not isinstance(X, (list, tuple))
                           and np.ndim(X) == 2) else -3

        def _one(a):
            a = np.asarray(a, dtype=np.float32)
            if a.shape[band_axis] != self.n_bands_:
                raise ValueError(f"X has {a.shape[band_axis]} bands/features, the scaler was "
                                 f"fitted on {self.n_bands_}.")
            shape = [1] * a.ndim
            shape[band_axis] = -1
            return ((a - self.mean_.reshape(shape)) / self.scale_.reshape(shape)).astype(
                np.float32)

        if is_xarray(X):
            b = list(X.dims).index("band")
            vals = np.moveaxis(np.asarray(X.values, dtype=np.float32), b, -3)
            return X.copy(data=np.moveaxis(_one(vals), -3, b))
        if isinstance(X, (list, tuple)):
            return [_one(x) for x in X]
        return _one(X)


# --- DeepSpatiotemporalClustering (issue 5) ---
