"""skstc: scikit-learn compatible deep spatiotemporal clustering with few or no labels.

The public API is the estimators listed in ``__all__``; helpers live in the public
submodules :mod:`skstc.preprocessing`, :mod:`skstc.datasets`, :mod:`skstc.metrics`,
:mod:`skstc.losses`, :mod:`skstc.inspection`, :mod:`skstc.baselines` and :mod:`skstc.plotting`.
"""

from ._classifier import MultimodalClassifier
from ._dsc import DeepSpatiotemporalClustering
from ._label_augmenter import LabelAugmenter
from ._multimodal import MultimodalConstrainedAE
from ._tile2vec import Tile2VecSeriesKMeans

__version__ = "0.1.0.dev0"

__all__ = [
    "DeepSpatiotemporalClustering",
    "LabelAugmenter",
    "MultimodalClassifier",
    "MultimodalConstrainedAE",
    "Tile2VecSeriesKMeans",
    "__version__",
]
