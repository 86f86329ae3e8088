"""Baselines for clustering the time steps of gridded fields (weather regimes).

:class:`EOFKMeans` is what climate scientists do to find weather regimes: anomalies of the
fields (time mean or monthly climatology removed), weighted by ``sqrt(cos(latitude))`` so that
every grid cell counts by its area, each variable scaled to unit total variance, projected on
the leading empirical orthogonal functions (EOFs, i.e. PCA), then k-means on the principal
components. With ``n_eofs=None, anomalies=None, area_weighting=False`` it is k-means on the
per-variable scaled fields. It reads the same inputs as
:class:`skstc.DeepSpatiotemporalClustering`.
"""

from numbers import Integral

import numpy as np
from sklearn.base import BaseEstimator, ClusterMixin, TransformerMixin, _fit_context
from sklearn.cluster import KMeans
from sklearn.decomposition import PCA
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.validation import check_is_fitted

from ..utils._fitting import TransactionalFitMixin
from ..utils._inputs import check_field_values, read_fields
from ..utils._validation import check_n_clusters

__all__ = ["EOFKMeans", "area_weights", "fields_baselines"]

_ANOMALIES = (None, "time_mean", "monthly")


def area_weights(latitudes):
    """``sqrt(cos(latitude))`` weights of grid rows (squared, they are the cells' areas).

    Parameters
    ----------
    latitudes : array-like of shape (n_lat,)
        Latitudes in degrees.

    Returns
    -------
    weights : ndarray of shape (n_lat,)
        Non-negative weights (0 at the poles).

    Examples
    --------
    >>> from skstc.baselines import area_weights
    >>> area_weights([0.0, 60.0]).round(4)
    array([1.    , 0.7071])
    """
    lat = np.asarray(latitudes, dtype=np.float64)
    if lat.ndim != 1 or not np.isfinite(lat).all() or (np.abs(lat) > 90).any():
        raise ValueError("latitudes must be a 1-D array of degrees in [-90, 90].")
    return np.sqrt(np.clip(np.cos(np.deg2rad(lat)), 0.0, None))


def _months(times):
    """Month (1-12) of each time stamp (numpy datetime64 or cftime), or None."""
    if times is None:
        return None
    times = np.asarray(times)
    if np.issubdtype(times.dtype, np.datetime64):
        return times.astype("datetime64[M]").astype(int) % 12 + 1
    if times.dtype == object and len(times) and hasattr(times[0], "month"):
        return np.array([t.month for t in times])
    return None


class EOFKMeans(TransactionalFitMixin, ClusterMixin, TransformerMixin, BaseEstimator):
    """k-means on the leading EOFs of area-weighted anomalies (weather regimes baseline).

    Each time step's fields are turned into anomalies (``anomalies``), multiplied by
    ``sqrt(cos(latitude))`` (``area_weighting``), each variable is divided by its total
    standard deviation (so that variables count alike), the result is projected on the
    first ``n_eofs`` EOFs (PCA over time) and the principal components are clustered by
    k-means. Inputs are those of :class:`skstc.DeepSpatiotemporalClustering`.

    Parameters
    ----------
    n_clusters : int, default=7
        Number of clusters.
    n_eofs : int or None, default=20
        Number of EOFs kept (at most ``min(n_times, n_values)``); None clusters the
        weighted, scaled anomalies themselves.
    anomalies : {"time_mean", "monthly"} or None, default="time_mean"
        Remove the mean field of the training period (``"time_mean"``) or the mean field of
        each calendar month (``"monthly"``, needs datetime coordinates on the time dim of
        xarray input; months absent from the training data fall back to the time mean), or
        nothing (None).
    area_weighting : bool, default=True
        Weight grid rows by ``sqrt(cos(latitude))``; the latitudes come from ``latitudes`` or
        from the latitude coordinate of xarray input. Without either, no weighting is done
        (``area_weights_`` is None).
    latitudes : array-like of shape (n_lat,) or None, default=None
        Latitudes (degrees) of the grid rows, for numpy input.
    n_init : int, default=10
        k-means restarts.
    input_shape : tuple (n_variables, n_lat, n_lon) or None, default=None
        Shape of one sample for 2-D input; None reads 2-D input as ``n_features`` variables
        on a 1x1 grid.
    time_dim, lat_dim, lon_dim : str or None, default=None
        Dim names of xarray input; None takes the first dim as time and the last two as
        latitude and longitude.
    variable_dim : str, default="variable"
        Dim of a DataArray holding the variables.
    random_state : int, RandomState instance or None, default=None
        Seed of the PCA solver and of k-means.

    Attributes
    ----------
    labels_ : ndarray of shape (n_times,)
        Cluster of each training time step.
    cluster_centers_ : ndarray of shape (n_clusters, n_components)
        Centres in the space of :meth:`transform`.
    components_ : ndarray of shape (n_eofs, n_values) or None
        The EOFs (in the weighted, scaled anomaly space).
    explained_variance_ratio_ : ndarray of shape (n_eofs,) or None
        Variance fraction of each EOF.
    area_weights_ : ndarray of shape (n_lat,) or None
        Row weights used.
    input_shape_ : tuple (n_variables, n_lat, n_lon)
        Shape of one sample.
    n_features_in_ : int
        Values per sample.
    inertia_ : float
        k-means inertia in the transformed space.

    Examples
    --------
    >>> from skstc.baselines import EOFKMeans
    >>> from skstc.datasets import make_climate_fields
    >>> X, y = make_climate_fields(n_times=40, n_regimes=2, grid_shape=(8, 8), random_state=0)
    >>> model = EOFKMeans(n_clusters=2, n_eofs=5, latitudes=range(40, 56, 2),
    ...                   random_state=0).fit(X)
    >>> model.labels_.shape, model.transform(X).shape
    ((40,), (40, 5))
    """

    _parameter_constraints = {
        "n_clusters": [Interval(Integral, 1, None, closed="left")],
        "n_eofs": [Interval(Integral, 1, None, closed="left"), None],
        "anomalies": [StrOptions({"time_mean", "monthly"}), None],
        "area_weighting": ["boolean"],
        "latitudes": ["array-like", None],
        "n_init": [Interval(Integral, 1, None, closed="left")],
        "input_shape": ["array-like", None],
        "time_dim": [str, None],
        "lat_dim": [str, None],
        "lon_dim": [str, None],
        "variable_dim": [str],
        "random_state": ["random_state"],
    }

    def __init__(self, n_clusters=7, *, n_eofs=20, anomalies="time_mean", area_weighting=True,
                 latitudes=None, n_init=10, input_shape=None, time_dim=None, lat_dim=None,
                 lon_dim=None, variable_dim="variable", random_state=None):
        self.n_clusters = n_clusters
        self.n_eofs = n_eofs
        self.anomalies = anomalies
        self.area_weighting = area_weighting
        self.latitudes = latitudes
        self.n_init = n_init
        self.input_shape = input_shape
        self.time_dim = time_dim
        self.lat_dim = lat_dim
        self.lon_dim = lon_dim
        self.variable_dim = variable_dim
        self.random_state = random_state

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.transformer_tags.preserves_dtype = ["float64"]
        return tags

    def _latitudes(self, info, n_lat):
        if self.latitudes is not None:
            lat = np.asarray(self.latitudes, dtype=np.float64)
        elif info is not None and info.roles.get("lat") in info.coords:
            lat = np.asarray(info.coords[info.roles["lat"]], dtype=np.float64)
        else:
            return None
        if lat.shape != (n_lat,):
            raise ValueError(f"latitudes has shape {lat.shape} but the grid has {n_lat} rows.")
        return lat

    @staticmethod
    def _times(info):
        if info is None:
            return None
        return info.coords.get(info.roles.get("time"))

    def _prepare(self, X, info, *, fit):
        """Weighted, scaled anomalies, flattened: (n_times, n_values) float64."""
        X = np.asarray(X, dtype=np.float64)
        n = X.shape[0]
        if fit:
            lat = self._latitudes(info, X.shape[2]) if self.area_weighting else None
            self.area_weights_ = None if lat is None else area_weights(lat)
            self.mean_field_ = X.mean(axis=0)
            self.monthly_fields_ = None
            if self.anomalies == "monthly":
                months = _months(self._times(info))
                if months is None:
                    raise ValueError('anomalies="monthly" needs xarray input with datetime '
                                     "coordinates on the time dim.")
                self.monthly_fields_ = {int(m): X[months == m].mean(axis=0)
                                        for m in np.unique(months)}
        A = X
        if self.anomalies == "time_mean":
            A = X - self.mean_field_
        elif self.anomalies == "monthly":
            months = _months(self._times(info))
            if months is None:
                raise ValueError('anomalies="monthly" needs xarray input with datetime '
                                 "coordinates on the time dim.")
            clim = np.stack([self.monthly_fields_.get(int(m), self.mean_field_)
                             for m in months]) if n else X
            A = X - clim
        if self.area_weights_ is not None:
            A = A * self.area_weights_[None, None, :, None]
        if fit:
            centred = A - A.mean(axis=0)
            sd = np.sqrt((centred ** 2).mean(axis=(0, 2, 3)))
            self.variable_scale_ = np.where(sd > 0, sd, 1.0)
        A = A / self.variable_scale_[None, :, None, None]
        return A.reshape(n, -1)

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y=None):
        """Compute the EOFs and the k-means clusters of the time steps of ``X``.

        Parameters
        ----------
        X : array-like of shape (n_times, n_variables, n_lat, n_lon), (n_times, n_lat, n_lon)
            or (n_times, n_features) with ``input_shape``; or an xarray Dataset/DataArray
            Fields in time order.
        y : None
            Ignored.

        Returns
        -------
        self : EOFKMeans
        """
        X, info = read_fields(self, X, reset=True)
        n = X.shape[0]
        check_n_clusters(self.n_clusters, n, what="time steps")
        check_field_values(X, self._variable_names)
        rng = check_random_state(self.random_state)
        A = self._prepare(X, info, fit=True)
        self.pca_ = None
        self.components_ = self.explained_variance_ratio_ = None
        Z = A
        if self.n_eofs is not None:
            k = min(self.n_eofs, n, A.shape[1])
            self.pca_ = PCA(k, svd_solver="full", random_state=rng).fit(A)
            self.components_ = self.pca_.components_
            self.explained_variance_ratio_ = self.pca_.explained_variance_ratio_
            Z = self.pca_.transform(A)
        self.kmeans_ = KMeans(self.n_clusters, n_init=self.n_init, random_state=rng).fit(Z)
        self.labels_ = self.kmeans_.labels_
        self.cluster_centers_ = self.kmeans_.cluster_centers_
        self.inertia_ = float(self.kmeans_.inertia_)
        return self

    def _transform(self, X):
        check_is_fitted(self, "kmeans_")
        X, info = read_fields(self, X, reset=False)
        check_field_values(X, self._variable_names)
        A = self._prepare(X, info, fit=False)
        return A if self.pca_ is None else self.pca_.transform(A)

    def transform(self, X):
        """Principal components (or the weighted, scaled anomalies when ``n_eofs=None``).

        Parameters
        ----------
        X : array-like or xarray object
            Fields shaped as in :meth:`fit`.

        Returns
        -------
        Z : ndarray of shape (n_times, n_components)
        """
        return self._transform(X)

    def predict(self, X):
        """Cluster of each time step (nearest k-means centre).

        Parameters
        ----------
        X : array-like or xarray object
            Fields shaped as in :meth:`fit`.

        Returns
        -------
        labels : ndarray of shape (n_times,)
        """
        check_is_fitted(self, "kmeans_")
        return self.kmeans_.predict(self._transform(X))


def fields_baselines(estimator):
    """Unfitted baselines configured like a :class:`skstc.DeepSpatiotemporalClustering`.

    Parameters
    ----------
    estimator : DeepSpatiotemporalClustering
        Fitted or not; its number of clusters, input contract (``input_shape``, dim names)
        and ``random_state`` are copied.

    Returns
    -------
    baselines : dict of str to estimator
        ``"kmeans"``: k-means on the per-variable scaled fields; ``"eof_kmeans"``: k-means on
        20 EOFs of area-weighted anomalies (:class:`EOFKMeans` defaults).

    Examples
    --------
    >>> from skstc import DeepSpatiotemporalClustering
    >>> from skstc.baselines import fields_baselines
    >>> sorted(fields_baselines(DeepSpatiotemporalClustering(n_clusters=4)))
    ['eof_kmeans', 'kmeans']
    """
    shared = {name: getattr(estimator, name) for name in
              ("n_clusters", "input_shape", "time_dim", "lat_dim", "lon_dim", "variable_dim",
               "random_state")}
    return {
        "kmeans": EOFKMeans(n_eofs=None, anomalies=None, area_weighting=False, **shared),
        "eof_kmeans": EOFKMeans(**shared),
    }
