"""Baselines for MultimodalConstrainedAE: the same task on raw features, PCA, one modality."""

import numpy as np
from sklearn.base import clone
from sklearn.cluster import KMeans
from sklearn.compose import ColumnTransformer
from sklearn.decomposition import PCA
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.semi_supervised import SelfTrainingClassifier

from ..utils._inputs import parse_multimodal

__all__ = ["objects_baselines"]


def _split_pipeline(estimator):
    """(the autoencoder, the steps after it) of a model built on MultimodalConstrainedAE."""
    from .._multimodal import MultimodalConstrainedAE

    if isinstance(estimator, MultimodalConstrainedAE):
        return estimator, []
    if isinstance(estimator, Pipeline):
        first = estimator.steps[0][1]
        if isinstance(first, MultimodalConstrainedAE):
            return first, list(estimator.steps[1:])
    raise TypeError(
        "objects_baselines needs a MultimodalConstrainedAE or a Pipeline whose first step is "
        f"one (e.g. followed by a LabelAugmenter); got {type(estimator).__name__}.")


def objects_baselines(estimator):
    """Simple baselines for a model built on :class:`skstc.MultimodalConstrainedAE`.

    Each baseline replaces the autoencoder by a representation a practitioner would try first
    and keeps everything else:

    - ``"raw"``: the stacked map and series columns, standardised;
    - ``"pca"``: the standardised columns projected on the principal components explaining
      90 % of their variance;
    - ``"map only"`` / ``"series only"``: one modality, standardised;
    - ``"untrained network"``: the autoencoder at its random initialisation (one epoch at a
      learning rate of 1e-12, so that no weight moves).

    For a bare autoencoder (a clusterer) each representation is followed by k-means with the
    autoencoder's ``n_clusters``. For a Pipeline ``[autoencoder, *steps]`` (e.g. a
    :class:`skstc.LabelAugmenter` wrapping a few-label classifier) it is followed by clones of
    the same steps; when the last step is a LabelAugmenter with an ``estimator``, the raw
    features with that estimator alone, fitted on the labelled rows (no augmentation), are
    added as ``"raw, no augmentation"``.

    Parameters
    ----------
    estimator : MultimodalConstrainedAE or Pipeline
        The model to compare; fitted or not (only its parameters are read).

    Returns
    -------
    baselines : dict of str to estimator
        Unfitted baselines taking the same 2-D input ``(n_samples, height * width +
        n_timesteps)`` as the model.

    Examples
    --------
    >>> from skstc import MultimodalConstrainedAE
    >>> from skstc.baselines import objects_baselines
    >>> sorted(objects_baselines(MultimodalConstrainedAE(3, spatial_shape=(4, 4))))
    ['map only', 'pca', 'raw', 'series only', 'untrained network']
    """
    ae, head = _split_pipeline(estimator)
    h, w = ae.spatial_shape
    n_map = int(h) * int(w)
    representations = {
        "raw": [("scale", StandardScaler())],
        "pca": [("scale", StandardScaler()),
                ("pca", PCA(n_components=0.9, svd_solver="full"))],
        "map only": [("select", ColumnTransformer(
            [("map", StandardScaler(), np.arange(n_map))]))],
        "series only": [("select", ColumnTransformer(
            [("series", StandardScaler(), slice(n_map, None))]))],
    }
    if head:
        tail = [(name, clone(step)) for name, step in head]
    else:
        tail = [("kmeans", KMeans(ae.n_clusters, n_init=10, random_state=ae.random_state))]
    out = {name: Pipeline(steps + [(n, clone(s)) for n, s in tail])
           for name, steps in representations.items()}
    # the same network at its random initialisation: one epoch at a learning rate so small
    # that no weight moves (a representation must beat its own random init)
    untrained = clone(ae).set_params(max_epochs=1, lr=1e-12)
    if head:
        out["untrained network"] = Pipeline([("ae", untrained)] + tail)
    else:
        out["untrained network"] = untrained
    if head:
        from .._label_augmenter import LabelAugmenter

        last = head[-1][1]
        if isinstance(last, LabelAugmenter) and last.estimator is not None:
            # trained on the labelled rows only (-1 is not a class)
            steps = [(n, clone(s)) for n, s in head[:-1]]
            out["raw, no augmentation"] = Pipeline(
                [("scale", StandardScaler())] + steps
                + [("clf", SelfTrainingClassifier(clone(last.estimator), max_iter=0))])
    return out


def objects_input(estimator, X):
    """The 2-D array every model of the comparison reads (an xarray Dataset is stacked)."""
    ae, _ = _split_pipeline(estimator)
    rows, _ = parse_multimodal(X, ae.spatial_shape)
    return np.asarray(rows)
