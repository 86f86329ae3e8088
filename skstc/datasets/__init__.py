"""Synthetic data with ground truth (``make_*``) and readers for files of a documented layout.

* generators: :func:`make_water_bodies`, :func:`make_image_sequence`,
  :func:`make_climate_fields`;
* readers and cutters: :func:`load_era5`, :func:`cut_objects`, :func:`tile_majority`.
"""

from ._generators import (
    WATER_BODY_CLASSES,
    make_climate_fields,
    make_image_sequence,
    make_water_bodies,
)
from ._readers import cut_objects, load_era5, tile_majority

__all__ = [
    "WATER_BODY_CLASSES",
    "cut_objects",
    "load_era5",
    "make_climate_fields",
    "make_image_sequence",
    "make_water_bodies",
    "tile_majority",
]
