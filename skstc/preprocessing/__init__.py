"""Public transformers that turn raw spatiotemporal data into model input.

One module per data family:

* objects with a spatial map and a time series: :func:`stack_modalities`,
  :func:`split_modalities`, :class:`FractionMapFeatures`;
* image time series: :class:`ImageBandScaler`, :class:`ImageToTiles`,
  :class:`TemporalGapFiller`;
* gridded fields: :class:`FieldNaNFiller`, :class:`FieldMinMaxScaler`.
"""

from ._fields import FieldMinMaxScaler, FieldNaNFiller
from ._gapfill import TemporalGapFiller
from ._images import ImageBandScaler, ImageToTiles
from ._masks import FractionMapFeatures, split_modalities, stack_modalities

__all__ = [
    "FieldMinMaxScaler",
    "FieldNaNFiller",
    "FractionMapFeatures",
    "ImageBandScaler",
    "ImageToTiles",
    "TemporalGapFiller",
    "split_modalities",
    "stack_modalities",
]
