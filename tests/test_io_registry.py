"""The registry of readers (equity.io.registry): which formats each layer takes, the sentence that refuses the
others, and each input file opened once by its reader where the format allows."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import pytest

from equity._errors import InputFormatError
from equity.io import _common
from equity.io._common import OSM_FORMATS, sniff_format
from equity.io.registry import FORMAT_NAMES, LAYERS, read_layer
from tests.file_opens import Opens

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


# --- each file opened once ---------------------------------------------------------------------------------------

#: (layer, file) read from the one open handle: CSV, GeoJSON, Overpass JSON, OSM XML.
OPEN_ONCE = [
    ("crime", SF / "crime_incidents_2012H2.csv"),
    ("units", SF / "neighborhoods.geojson"),
    ("population", SF / "block_groups.geojson"),
    ("cameras", SF / "cameras.osm"),
    *[
        ("cameras", READERS / name)
        for name in ("cameras.osm", "cameras_overpass.json", "cameras_turbo.geojson", "cameras.csv", "cameras.txt")
    ],
    ("cameras", READERS / "cameras_semicolon.csv"),
    ("crime", READERS / "crime.csv"),
    ("crime", READERS / "crime_points.geojson"),
    ("units", READERS / "units.geojson"),
    ("buildings", READERS / "units.geojson"),
    ("buildings", READERS / "cameras_overpass.json"),
    ("streets", READERS / "cameras.osm"),
    ("land", READERS / "cameras.osm"),
]


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="inotify is Linux's")
@pytest.mark.parametrize(
    ("layer", "path"), OPEN_ONCE, ids=lambda v: f"{v.parent.name}/{v.name}" if isinstance(v, Path) else v
)
def test_a_text_file_is_opened_once_by_its_reader(tmp_path, layer, path):
    copy = tmp_path / path.name
    shutil.copy(path, copy)
    opens = Opens(tmp_path)
    read_layer(layer, copy)  # a file of another layer may hold none of this one's features: no matter here
    assert opens.read() == {path.name: 1}


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="inotify is Linux's")
@pytest.mark.parametrize(("name", "times"), [("cameras.osm.pbf", 2), ("cameras.osm.bz2", 1)])
def test_pyosmium_opens_a_pbf_file_once_more(tmp_path, name, times):
    copy = tmp_path / name
    shutil.copy(READERS / name, copy)
    opens = Opens(tmp_path)
    read_layer("cameras", copy)  # the header and the objects from one reader; bzip2 unpacked from the open file
    assert opens.read() == {name: times}


@pytest.mark.parametrize(
    ("layer", "name"),
    [
        ("cameras", "cameras.osm"),
        ("cameras", "cameras_overpass.json"),
        ("cameras", "cameras_turbo.geojson"),
        ("units", "units.geojson"),
        ("land", "cameras.osm"),
        ("buildings", "cameras_overpass.json"),
    ],
)
def test_a_file_too_large_for_memory_reads_the_same_from_its_path(monkeypatch, layer, name):
    def read():
        try:
            result = read_layer(layer, READERS / name)
        except InputFormatError as err:
            return str(err)
        return result.data.to_wkt().to_csv(), result.rejected.to_csv(), result.counts, result.meta

    in_memory = read()
    monkeypatch.setattr(_common, "IN_MEMORY_BYTES", 0)
    assert read() == in_memory
