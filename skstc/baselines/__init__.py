"""The simple baselines a practitioner would use instead of each deep method.

Each baseline takes the same input as the skstc estimator it stands beside, so that the two
can be compared on the user's own data (see :func:`compare_with_baselines`).
"""

from ._compare import compare_with_baselines
from ._fields import EOFKMeans, area_weights, fields_baselines
from ._objects import objects_baselines
from ._tiles import TilePixelKMeans, tiles_baselines

__all__ = [
    "EOFKMeans",
    "TilePixelKMeans",
    "area_weights",
    "compare_with_baselines",
    "fields_baselines",
    "objects_baselines",
    "tiles_baselines",
]
