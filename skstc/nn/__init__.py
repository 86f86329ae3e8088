"""Pure torch modules (encoders, decoders, clustering heads).

Nothing under ``skstc.nn`` imports scikit-learn or xarray. Docstrings name tensor axes as
``(batch, channels, height, width)``, ``(batch, time, features)`` etc.
"""

from ._dsc import ClusteringHead, CNNLSTMAutoencoder, DenseAutoencoder
from ._multimodal import (
    MultimodalAutoencoder,
    MultimodalClassifierNet,
    SpatialDecoder,
    SpatialEncoder,
    TemporalDecoder,
    TemporalEncoder,
)
from ._tilenet import ResidualBlock, TileNet

__all__ = [
    "CNNLSTMAutoencoder",
    "ClusteringHead",
    "DenseAutoencoder",
    "MultimodalAutoencoder",
    "MultimodalClassifierNet",
    "ResidualBlock",
    "SpatialDecoder",
    "SpatialEncoder",
    "TemporalDecoder",
    "TemporalEncoder",
    "TileNet",
]
