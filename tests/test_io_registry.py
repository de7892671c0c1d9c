"""The registry of readers (equity.io.registry): which formats each layer takes, and the sentence that refuses
the others."""

from __future__ import annotations

from pathlib import Path

import pytest

from equity._errors import InputFormatError
from equity.io._common import OSM_FORMATS, sniff_format
from equity.io.registry import FORMAT_NAMES, LAYERS, read_layer

READERS = Path(__file__).parent / "data" / "readers"
SF = Path(__file__).parents[1] / "data" / "sf"

#: Every format sniff_format names (one fixture of each).
FORMATS = {
    "osm-xml": "cameras.osm",
    "osm-bz2": "cameras.osm.bz2",
    "osm-pbf": "cameras.osm.pbf",
    "overpass-json": "cameras_overpass.json",
    "geojson": "cameras_plain.geojson",
    "gpkg": "cameras.gpkg",
    "csv": "cameras.csv",
    "vector": "units_no_crs.shp",
}


def test_the_fixtures_cover_every_format():
    assert {sniff_format(READERS / name) for name in FORMATS.values()} == set(FORMATS)
    assert set(FORMAT_NAMES) == set(FORMATS)


@pytest.mark.parametrize("layer", sorted(LAYERS))
def test_every_layer_reads_only_formats_that_are_told_apart(layer):
    assert set(LAYERS[layer].readers) <= set(FORMATS)


def test_what_each_layer_takes():
    vector = {"geojson", "gpkg", "vector"}
    osm = set(OSM_FORMATS)
    assert set(LAYERS["cameras"].readers) == set(FORMATS)
    assert set(LAYERS["crime"].readers) == {"csv"} | vector
    assert set(LAYERS["units"].readers) == vector
    assert set(LAYERS["population"].readers) == vector
    assert set(LAYERS["buildings"].readers) == osm | {"overpass-json"} | vector
    assert set(LAYERS["streets"].readers) == osm | vector
    assert set(LAYERS["land"].readers) == osm | vector


@pytest.mark.parametrize(
    ("layer", "name", "message"),
    [
        (
            "population",
            "crime.csv",
            r"crime\.csv: a CSV file cannot be read as a population layer; expected a polygon layer "
            r"\(GeoJSON, GeoPackage, Shapefile, \.\.\.\)\.$",
        ),
        (
            "population",
            "cameras.osm.pbf",
            r"cameras\.osm\.pbf: an OSM PBF file cannot be read as a population layer; expected a polygon layer",
        ),
        # the layers that refused a format before the registry keep their sentences
        (
            "units",
            "crime.csv",
            r"crime\.csv: units must be a polygon layer \(GeoJSON, GeoPackage, Shapefile, \.\.\.\)\.$",
        ),
        (
            "crime",
            "cameras.osm",
            r"cameras\.osm: crime must be a CSV with coordinate columns or a point layer, not osm-xml\.$",
        ),
        (
            "buildings",
            "crime.csv",
            r"crime\.csv: buildings must be an OSM file, Overpass JSON or a polygon layer, not csv\.$",
        ),
        ("streets", "cameras_overpass.json", r"streets must be an OSM file or a line layer, not overpass-json\.$"),
        ("land", "crime.csv", r"crime\.csv: land use must be an OSM file or a polygon layer, not csv\.$"),
    ],
)
def test_a_format_a_layer_does_not_take_is_refused_in_one_sentence(layer, name, message):
    with pytest.raises(InputFormatError, match=message) as info:
        read_layer(layer, READERS / name)
    assert "\n" not in str(info.value)
