"""All reading and writing of equity: the only package (with maps and report) that touches the disk or
the network.
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
