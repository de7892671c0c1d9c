"""All reading and writing of equity: the only package that touches the disk or the network. The readers'
entry points (:mod:`equity.io.registry`), the DEM (:mod:`equity.io.dem`), the writers of the outputs
(:mod:`equity.io.outputs`, which also writes the map and the report that :mod:`equity.presentation` builds),
the map's assets and the live download from OpenStreetMap.
"""

from equity.io._common import ReadResult
from equity.io.cameras import cameras_from_osm, cameras_from_overpass
from equity.io.registry import (
    buildings_from_file,
    cameras_from_file,
    crime_from_file,
    land_from_file,
    population_layer_from_file,
    streets_from_file,
    units_from_file,
)

__all__ = [
    "ReadResult",
    "buildings_from_file",
    "cameras_from_file",
    "cameras_from_osm",
    "cameras_from_overpass",
    "crime_from_file",
    "land_from_file",
    "population_layer_from_file",
    "streets_from_file",
    "units_from_file",
]
