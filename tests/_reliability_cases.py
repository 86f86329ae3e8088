"""Tiny fitted-model recipes shared by test_persistence, test_reliability and test_bad_inputs.

Each case: ``name -> (make_estimator, X, y, methods)``; ``methods`` are the output methods
whose results must be reproducible (``predict``/``transform``...).
"""

import numpy as np
from sklearn.linear_model import LogisticRegression

from skstc import (
    DeepSpatiotemporalClustering,
    LabelAugmenter,
    MultimodalClassifier,
    MultimodalConstrainedAE,
    Tile2VecSeriesKMeans,
)
from skstc.baselines import EOFKMeans, TilePixelKMeans
from skstc.datasets import make_climate_fields, make_image_sequence, make_water_bodies
from skstc.preprocessing import (
    FieldMinMaxScaler,
    FieldNaNFiller,
    FractionMapFeatures,
    ImageBandScaler,
    ImageToTiles,
    TemporalGapFiller,
)

MM = dict(spatial_shape=(8, 8), embedding_dim=8, conv_channels=(4,), lstm_hidden_size=8,
          max_epochs=2, n_threads=1, random_state=0)
T2V = dict(tile_size=8, embedding_dim=8, n_blocks=(1,), base_width=4, n_triplets=64,
           batch_size=32, max_epochs=1, refine_epochs=1, n_threads=1, random_state=0)
DSC = dict(embedding_dim=4, conv_channels=(4,), lstm_hidden_size=8, pretrain_epochs=1,
           max_epochs=2, batch_size=16, n_init=2, n_threads=1, random_state=0)


def water():
    X, y = make_water_bodies(40, n_timesteps=12, map_size=8, random_state=0)
    y_few = np.where(np.arange(40) % 3 == 0, y, -1)
    return X.astype(np.float32), y_few


def images():
    imgs, _ = make_image_sequence(n_regions=1, n_times=3, n_bands=2, height=32, width=32,
                                  random_state=0)
    return imgs


def fields():
    X, _ = make_climate_fields(n_times=40, n_regimes=3, n_variables=2, grid_shape=(8, 8),
                               random_state=0)
    return FieldMinMaxScaler().fit_transform(X).astype(np.float32)


def cases():
    Xw, yw = water()
    Z = np.random.RandomState(0).randn(40, 3)
    Z[20:] += 4
    yz = np.where(np.arange(40) % 5 == 0, (np.arange(40) >= 20).astype(int), -1)
    imgs = images()
    F = fields()
    Fnan = F.copy()
    Fnan[3, 0, 2, 2] = np.nan
    masks = np.random.RandomState(0).randint(0, 3, size=(6, 12, 5, 7))
    series = np.random.RandomState(1).rand(10, 8)
    series[2, 3] = np.nan
    return {
        "MultimodalConstrainedAE": (lambda: MultimodalConstrainedAE(3, **MM), Xw, yw,
                                    ("predict", "transform")),
        "MultimodalClassifier": (
            lambda: MultimodalClassifier(MultimodalConstrainedAE(3, **MM), hidden_units=8,
                                         **dict(MM, max_epochs=3)),
            Xw, np.where(np.arange(40) < 20, np.arange(40) % 2, -1),
            ("predict", "predict_proba")),
        "LabelAugmenter": (lambda: LabelAugmenter(LogisticRegression(), n_clusters=4,
                                                  random_state=0), Z, yz,
                           ("predict", "predict_proba")),
        "Tile2VecSeriesKMeans": (lambda: Tile2VecSeriesKMeans(3, **T2V), imgs, None,
                                 ("predict", "transform")),
        "DeepSpatiotemporalClustering": (lambda: DeepSpatiotemporalClustering(3, **DSC), F,
                                         None, ("predict", "transform")),
        "FractionMapFeatures": (lambda: FractionMapFeatures(map_size=4), masks, None,
                                ("transform",)),
        "ImageBandScaler": (lambda: ImageBandScaler(), imgs, None, ("transform",)),
        "ImageToTiles": (lambda: ImageToTiles(tile_size=8), imgs, None, ("transform",)),
        "TemporalGapFiller": (lambda: TemporalGapFiller(), series, None, ("transform",)),
        "FieldNaNFiller": (lambda: FieldNaNFiller(add_mask=True), Fnan, None, ("transform",)),
        "FieldMinMaxScaler": (lambda: FieldMinMaxScaler(), F, None, ("transform",)),
        "EOFKMeans": (lambda: EOFKMeans(3, n_eofs=4, n_init=2, random_state=0), F, None,
                      ("predict", "transform")),
        "TilePixelKMeans": (lambda: TilePixelKMeans(3, tile_size=8, n_init=2, n_threads=1,
                                                    random_state=0), imgs, None,
                            ("predict", "transform")),
    }


# the data contract each case reads (decides which xarray/dask forms apply)
CONTRACTS = {
    "MultimodalConstrainedAE": "multimodal", "MultimodalClassifier": "multimodal",
    "LabelAugmenter": "rows", "Tile2VecSeriesKMeans": "images",
    "DeepSpatiotemporalClustering": "fields", "FractionMapFeatures": "masks",
    "ImageBandScaler": "images", "ImageToTiles": "images", "TemporalGapFiller": "rows",
    "FieldNaNFiller": "fields", "FieldMinMaxScaler": "fields", "EOFKMeans": "fields",
    "TilePixelKMeans": "images",
}
