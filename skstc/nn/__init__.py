"""Pure torch modules (encoders, decoders, clustering heads).

Nothing under ``skstc.nn`` imports scikit-learn or xarray. Docstrings name tensor axes as
``(batch, channels, height, width)``, ``(batch, time, features)`` etc.
"""

# --- shared ---

# --- MultimodalConstrainedAE / LabelAugmenter / MultimodalClassifier (issue 3) ---
from ._multimodal import (  # noqa: E402, F401
    MultimodalAutoencoder,
    MultimodalClassifierNet,
    SpatialDecoder,
    SpatialEncoder,
    TemporalDecoder,
    TemporalEncoder,
)


# --- Tile2VecSeriesKMeans (issue 4) ---
from ._tilenet import ResidualBlock, TileNet  # noqa: E402,F401

# --- DeepSpatiotemporalClustering (issue 5) ---
from ._dsc import ClusteringHead, CNNLSTMAutoencoder, DenseAutoencoder  # noqa: E402

# --- constructor arguments kept on instances, for skstc.save / skstc.load ---
from . import _dsc, _multimodal, _tilenet  # noqa: E402
from ._record import record_package_modules  # noqa: E402

record_package_modules(_dsc, _multimodal, _tilenet)
