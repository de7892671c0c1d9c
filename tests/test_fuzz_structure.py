"""A mutation fuzzer over the real sample files: values of the wrong type or of hostile content put into their
structure (a JSON member, a CSV cell, an OSM XML attribute, a cell of a GeoPackage's row through sqlite3, a GeoTIFF
DEM's georeferencing, CRS or nodata value through rasterio), read by every reader (the DEM by its own). The outcome
must be a result or one of equity's input errors (one sentence), never another exception.

Hypothesis draws the mutations (seeded by its database and derandomised in CI runs through the profile below);
each test tries a bounded number of inputs, counted in its settings.
"""

from __future__ import annotations

import contextlib
import copy
import json
import os
import re
from pathlib import Path

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from equity._errors import InputError
from equity.io import buildings_from_file, cameras_from_file, crime_from_file, streets_from_file, units_from_file

FIXTURES = Path(__file__).parent / "data" / "readers"
READERS = [cameras_from_file, crime_from_file, units_from_file, buildings_from_file, streets_from_file]
EXAMPLES = int(os.environ.get("EQUITY_FUZZ_EXAMPLES", "300"))  # more for a longer hunt

#: Values a careless or hostile file puts where another kind of value belongs.
ODD_JSON = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(2**70), 2**70),
    st.floats(allow_nan=False, allow_infinity=False),
    st.sampled_from(["", "nan", "inf", "1e400", "=1+1", "-", "\x1b]0;x\x07", "3012-01-01", "x" * 5000, "[]"]),
    st.lists(st.integers(), max_size=3),
    st.dictionaries(st.text(max_size=3), st.integers(), max_size=2),
)
ODD_TEXT = st.one_of(
    st.sampled_from(["", "nan", "NaN", "inf", "-inf", "1e400", "-1e400", "=1+1", "@x", "\x1b[31m", "3012-01-01"]),
    st.sampled_from(["0x10", "1,5", "  ", '"', "'", "<", "&amp;", "\u202e", "9" * 40, "-0"]),
    st.text(max_size=20),
)


def _read_all(path: Path) -> None:
    for reader in READERS:
        with contextlib.suppress(InputError):  # a clean refusal is a good outcome; anything else fails
            reader(path)


def _paths(node: object, here: tuple = ()) -> list[tuple]:
    """Every path to a value inside parsed JSON."""
    out = [here]
    if isinstance(node, dict):
        for key, value in node.items():
            out += _paths(value, (*here, key))
    elif isinstance(node, list):
        for i, value in enumerate(node):
            out += _paths(value, (*here, i))
    return out


def _replaced(node: object, path: tuple, value: object) -> object:
    if not path:
        return value
    node = copy.copy(node)
    node[path[0]] = _replaced(node[path[0]], path[1:], value)
    return node


JSON_SEEDS = ["cameras_overpass.json", "cameras_turbo.geojson", "cameras_plain.geojson", "units.geojson"]


@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(seed=st.sampled_from(JSON_SEEDS), where=st.integers(0, 10**6), value=ODD_JSON)
def test_json_samples_with_a_value_of_another_kind(tmp_path, seed, where, value):
    data = json.loads((FIXTURES / seed).read_text())
    paths = _paths(data)
    path = paths[where % len(paths)]
    target = tmp_path / seed
    target.write_text(json.dumps(_replaced(data, path, value)))
    _read_all(target)


CSV_SEEDS = ["cameras.csv", "crime.csv"]


@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(seed=st.sampled_from(CSV_SEEDS), row=st.integers(0, 10**6), col=st.integers(0, 10**6), value=ODD_TEXT)
def test_csv_samples_with_an_odd_cell(tmp_path, seed, row, col, value):
    lines = (FIXTURES / seed).read_text().splitlines()
    cells = [line.split(",") for line in lines]
    r = row % len(cells)
    c = col % len(cells[r])
    cells[r][c] = '"' + value.replace('"', '""') + '"'
    target = tmp_path / seed
    target.write_text("\n".join(",".join(line) for line in cells) + "\n")
    _read_all(target)


_ATTRIBUTE = re.compile(r'(\b(?:lat|lon|id|k|v|ref|timestamp)=")([^"]*)(")')


@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(which=st.integers(0, 10**6), value=ODD_TEXT)
def test_osm_xml_sample_with_an_odd_attribute(tmp_path, which, value):
    text = (FIXTURES / "cameras.osm").read_text()
    spots = list(_ATTRIBUTE.finditer(text))
    spot = spots[which % len(spots)]
    escaped = value.replace("&", "&amp;").replace('"', "&quot;").replace("<", "&lt;")
    target = tmp_path / "cameras.osm"
    target.write_text(text[: spot.start(2)] + escaped + text[spot.end(2) :])
    _read_all(target)


#: What a careless or hostile GeoPackage holds in a cell: a value of another kind (SQLite keeps any type in any
#: column), bytes that are not a geometry, text where a number or a CRS belongs.
ODD_CELL = st.one_of(
    st.none(),
    st.integers(-(2**63), 2**63 - 1),
    st.floats(allow_nan=True, allow_infinity=True),
    ODD_TEXT,
    st.binary(max_size=64),
    st.sampled_from([b"GP\x00\x01\xe6\x10\x00\x00", b"GP\x00\x07" + b"\xff" * 40, "POINT(1 2)", "EPSG:99999999"]),
)

#: The tables of a GeoPackage a reader looks at: the features, and the metadata that say where they are and what
#: they are (their layer, geometry column and type, CRS).
GPKG_TABLES = ["cameras", "gpkg_contents", "gpkg_geometry_columns", "gpkg_spatial_ref_sys"]


@settings(
    max_examples=max(EXAMPLES // 3, 10), deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(table=st.sampled_from(GPKG_TABLES), row=st.integers(0, 10**6), col=st.integers(0, 10**6), value=ODD_CELL)
@example(table="gpkg_geometry_columns", row=0, col=5, value=1)  # found: an M geometry type, GDAL's warning escaped
def test_geopackage_sample_with_an_odd_cell(tmp_path, table, row, col, value):
    """One cell of a row of the camera GeoPackage replaced through sqlite3, the file read by every reader."""
    import shutil
    import sqlite3

    target = tmp_path / "cameras.gpkg"
    shutil.copy(FIXTURES / "cameras.gpkg", target)
    conn = sqlite3.connect(target)
    try:
        columns = [r[1] for r in conn.execute(f'PRAGMA table_info("{table}")')]
        rowids = [r[0] for r in conn.execute(f'SELECT rowid FROM "{table}"')]
        column = columns[col % len(columns)]
        conn.execute(f'UPDATE "{table}" SET "{column}" = ? WHERE rowid = ?', (value, rowids[row % len(rowids)]))
        conn.commit()
    except sqlite3.IntegrityError:  # a value the table's constraints refuse: the file keeps its cell
        pass
    finally:
        conn.close()
    _read_all(target)


#: Odd values of a GeoTIFF's header: its georeferencing, CRS and nodata value.
ODD_NUMBER = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True), st.sampled_from([0.0, -0.0, 1e-300, 1e300, -1e30, -3.4e38])
)
ODD_CRS = st.sampled_from(
    [
        "EPSG:4326",
        "EPSG:32610",
        "EPSG:3857",
        'LOCAL_CS["engineering",UNIT["metre",1]]',
        "+proj=longlat +a=1737400 +no_defs",  # the Moon
        "+proj=utm +zone=60 +south +datum=WGS84",
        "+proj=geos +h=35785831 +lon_0=0",
    ]
)


@settings(
    max_examples=max(EXAMPLES // 3, 10), deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    which=st.sampled_from(["transform", "crs", "nodata"]),
    numbers=st.lists(ODD_NUMBER, min_size=6, max_size=6),
    crs=ODD_CRS,
    keep=st.integers(0, 5),
)
# found: a transform GDAL cannot invert though its determinant is not 0 (an internal error), and one whose
# coefficients overflow when squared
@example(which="transform", numbers=[0.0, 0.0, 0.0, 115.0, 0.0, 0.0], crs="EPSG:4326", keep=3)
@example(which="transform", numbers=[1.3407807929942597e154, 0.0, 0.0, 0.0, 0.0, 0.0], crs="EPSG:4326", keep=0)
def test_dem_with_an_odd_header(tmp_path, which, numbers, crs, keep):
    """A small GeoTIFF DEM over the fixture's units whose georeferencing, CRS or nodata value (set through
    rasterio) is replaced by an odd one, read onto a UTM grid of the study area: the heights, or an InputError."""
    import warnings

    import numpy as np
    import rasterio
    from affine import Affine
    from pyproj import CRS

    from equity.io.dem import dem_on_grid

    path = tmp_path / "dem.tif"
    bounds = (-122.4260, 37.7040, -122.4020, 37.7180)
    profile = {"driver": "GTiff", "height": 16, "width": 16, "count": 1, "dtype": "float32", "crs": "EPSG:4326"}
    good = Affine((bounds[2] - bounds[0]) / 16, 0.0, bounds[0], 0.0, (bounds[1] - bounds[3]) / 16, bounds[3])
    with rasterio.open(path, "w", **profile, transform=good) as dst:
        dst.write(np.linspace(0, 90, 256, dtype="float32").reshape(16, 16), 1)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # rasterio's remarks on odd values
        with rasterio.open(path, "r+") as dst:
            if which == "transform":
                values = list(good)[:6]
                values[keep] = numbers[keep]  # one coefficient odd, or all of them
                dst.transform = Affine(*(numbers if keep == 5 else values))
            elif which == "crs":
                dst.crs = rasterio.crs.CRS.from_user_input(crs)
            else:
                dst.nodata = numbers[0]
    grid = CRS.from_epsg(32610)
    transform = Affine(10.0, 0.0, 551_000.0, 0.0, -10.0, 4_173_500.0)
    with contextlib.suppress(InputError):  # a clean refusal is a good outcome; anything else fails
        dem_on_grid(path, grid, transform, (40, 60))
