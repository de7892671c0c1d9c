"""Every file of the broken-input corpus (tests/data/broken, listed in its README.md) through `equity analyze`:
read with the fix-up named in the table, or exit code 2 with one line that names the file and what was
expected; never a traceback, and within a time bound."""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner

from equity.cli import cli

DATA = Path(__file__).parent / "data"
BROKEN = DATA / "broken"
READERS = DATA / "readers"
TIME_LIMIT_S = 20

#: The other inputs of every run: the valid SF-like fixtures.
GOOD = {
    "--cameras": READERS / "cameras.osm",
    "--units": READERS / "units.geojson",
    "--crime": READERS / "crime.csv",
    "--population": "pop",
}


def table() -> dict[str, tuple[str, str, str]]:
    """The README table: file -> (option, what it tests, expected outcome)."""
    rows = {}
    for line in (BROKEN / "README.md").read_text(encoding="utf-8").splitlines():
        match = re.match(r"^\| `([^`]+)` \| `(--[a-z-]+)` \| (.*) \| (.*) \|$", line)
        if match:
            rows[match[1]] = (match[2], match[3], match[4])
    return rows


TABLE = table()

# ---- what "read with a fix-up" means for each file: a check of the outputs --------------------------------


def _cameras(out: Path) -> pd.DataFrame:
    return pd.read_csv(out / "cameras.csv", dtype={"camera_id": str}, keep_default_na=False).drop_duplicates(
        "camera_id"
    )


def _rejected(out: Path, name: str) -> pd.DataFrame:
    rejected = pd.read_csv(out / "rejected.csv", dtype=str, keep_default_na=False)
    return rejected[rejected["source"] == name]


def _units(out: Path) -> pd.DataFrame:
    return pd.read_csv(out / "units.csv").set_index("unit_id")


def _manifest(out: Path) -> dict:
    return json.loads((out / "manifest.json").read_text(encoding="utf-8"))


def _good_positions() -> pd.DataFrame:
    """Camera positions of the valid fixture (node id -> lon, lat)."""
    good = pd.read_csv(READERS / "cameras.csv", dtype=str)
    return good.assign(lon=good["lon"].astype(float), lat=good["lat"].astype(float)).set_index("id")[["lon", "lat"]]


def cameras_read(n: int, *, reason: str | None = None, rejected: int = 0, same_places: bool = False) -> Callable:
    def check(out: Path, name: str) -> None:
        cams = _cameras(out)
        assert len(cams) == n, cams["camera_id"].tolist()
        rej = _rejected(out, name)
        assert len(rej) == rejected, rej.to_dict("records")
        if reason is not None:
            assert rej["reason"].str.contains(reason, regex=False).all(), rej["reason"].tolist()
        if same_places:
            good = _good_positions()
            cams = cams.set_index("camera_id")
            assert set(cams.index) <= set(good.index)
            for cid, row in cams.iterrows():
                assert row["lon"] == pytest.approx(good.loc[cid, "lon"], abs=1e-6), cid
                assert row["lat"] == pytest.approx(good.loc[cid, "lat"], abs=1e-6), cid

    return check


def absurd_tags(out: Path, name: str) -> None:
    cams = _cameras(out).set_index("camera_id")
    issues = cams["issues"].to_dict()
    assert "'720' is outside 0-360 degrees" in issues["node/12491811189"]
    assert cams.loc["node/12491811189", "direction_source"] == "unknown"  # not guessed
    assert "'-3' is not a plausible camera height" in issues["node/13016285538"]
    assert cams.loc["node/13016285538", "height_m"] == 5.0  # the pole's default height
    assert cams.loc["node/13016285538", "height_source"] == "mount"
    high = "node/12922407362" if name.endswith(".csv") else "node/13016285537"
    assert "'very high' is not a height" in issues[high]
    fov = "node/12706256210"
    assert json.loads(cams.loc[fov, "tags"])["fov"] == "wide"  # kept as a tag; the lens comes from the model
    assert float(cams.loc[fov, "fov_deg"]) == 30.0  # a plate reader: the capture zone's width (alpr_fov_deg)
    if name.endswith(".csv"):
        long_operator = cams.loc["node/13016285537", "operator"]
        assert long_operator == "A" * 10_000  # kept whole in the table; shortened only in messages
        assert cams.loc["node/12491811185", "name"] == "Cam era [31mred [0m"
    else:
        assert cams.loc["node/12922407362", "name"] == "Camera one line two"
    for path in out.iterdir():  # no control character reaches an output (terminal escapes, bells)
        if path.suffix in (".csv", ".html", ".json"):
            text = path.read_text(encoding="utf-8")
            assert not re.search(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]", text), path.name


def accents(out: Path, name: str) -> None:
    cams = _cameras(out).set_index("camera_id")
    assert cams.loc["node/12491811189", "operator"] == "Café Müller Sicherheit"
    assert cams.loc["node/13016285538", "operator"] == "Société Générale"


def bom(out: Path, name: str) -> None:
    cameras_read(8, same_places=True)(out, name)
    assert _cameras(out)["camera_id"].str.startswith("node/").all()  # the id column was found behind the BOM


def units_repaired(out: Path, name: str) -> None:
    units = _units(out)
    assert len(units) == 4
    assert _manifest(out)["counts"]["unit_geometries_repaired"] == 1
    # the bow-tie East (0.0070 x 0.0100 degrees) becomes its two triangles: half its area
    assert 1e6 * units.loc["East", "area_km2"] == pytest.approx(0.5 * 0.0070 * 0.0100 * 111_320**2 * 0.7909, rel=0.01)


def units_reprojected(out: Path, name: str) -> None:
    units = _units(out)
    # the units of the fixture are boxes of whole thousandths of a degree; the same in Web Mercator
    assert 1e6 * units.loc["Centre", "area_km2"] == pytest.approx(0.0090 * 0.0100 * 111_320**2 * 0.7909, rel=0.01)
    assert units["cameras"].to_dict() == {"West": 2, "Centre": 3, "East": 3, "North Hill": 0}


def units_one_dropped(out: Path, name: str) -> None:
    assert list(_units(out).index) == ["West", "Centre", "North Hill"]
    rej = _rejected(out, name)
    assert rej[["record", "reason"]].to_numpy().tolist() == [["feature 3", "unit without geometry"]]


def crimes(
    total: int, *, reason: str | None = None, rejected: int = 0, records: list[str] | None = None, dup: bool = True
) -> Callable:
    def check(out: Path, name: str) -> None:
        assert _manifest(out)["counts"]["crime_incidents"] == total
        rej = _rejected(out, name)
        repeated = rej["reason"].str.startswith("another row of an incident")
        # the second row of incident 120600004 is counted once (unless a filter dropped both)
        assert rej.loc[repeated, "value"].tolist() == (["120600004"] if dup else [])
        rej = rej[~repeated]
        assert len(rej) == rejected, rej.to_dict("records")
        if reason is not None:
            assert rej["reason"].str.startswith(reason).all(), rej["reason"].tolist()
        if records is not None:
            assert rej["record"].tolist() == records

    return check


def error(pattern: str) -> str:
    return pattern


def many_directions(out: Path, name: str) -> None:
    views = pd.read_csv(out / "cameras.csv", dtype={"camera_id": str}, keep_default_na=False)
    around, narrow = "node/12491811189", "node/13016285538"  # the first two rows of the file
    for cid in (around, narrow):
        assert (views["camera_id"] == cid).sum() == 1, cid  # one view each
    views = views.set_index("camera_id")
    assert float(views.loc[around, "fov_deg"]) == 360.0
    assert str(views.loc[around, "in_coverage"]) == "True"
    assert "20 directions" in views.loc[around, "issues"]
    assert str(views.loc[narrow, "in_coverage"]) == "False"
    assert views.loc[narrow, "excluded_reason"].startswith("tagged with 20 directions")


def formulas(out: Path, name: str) -> None:
    cameras_read(8, same_places=True)(out, name)
    operators = pd.read_csv(out / "operators.csv", dtype=str)["operator"].tolist()
    assert "'=cmd|' /C calc'!A0" in operators
    assert "'@SUM(1+1)" in operators
    for path in out.glob("*.csv"):  # no text cell begins like a formula
        table = pd.read_csv(path, dtype=str, keep_default_na=False)
        for col in table.columns:
            text = table[col][pd.to_numeric(table[col], errors="coerce").isna()]
            assert not text.str.startswith(("=", "+", "-", "@")).any(), (path.name, col)


def escapes_replaced(out: Path, name: str) -> None:
    assert list(_units(out).index) == ["West ]0;title side", "Centre [31m red [0m", "East", "North Hill"]
    for path in out.iterdir():
        if path.suffix in (".csv", ".html", ".json"):
            assert not re.search(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]", path.read_text(encoding="utf-8")), path.name


def units_in_plan(out: Path, name: str) -> None:
    assert _units(out)["cameras"].to_dict() == {"West": 2, "Centre": 3, "East": 3, "North Hill": 0}


#: file -> a check of the outputs (read with a fix-up), or the regex the one error line must match.
EXPECTED: dict[str, Callable | str] = {
    "osm_truncated.osm": error(r"not a readable OSM file \(XML parsing error at line \d+"),
    "osm_unclosed.osm": error(r"not a readable OSM file \(XML parsing error .*no element found"),
    "osm_bad_coordinates.osm": error(r"not a readable OSM file \(wrong format for coordinate: 'north'\)"),
    "osm_out_of_range.osm": cameras_read(6, reason="node without a valid location", rejected=2),
    "osm_bad_id.osm": error(r"not a readable OSM file \(illegal id: 'abc'\)"),
    "osm_html_page.osm": error(r"an XML file that is not OSM XML"),
    "pbf_truncated.osm.pbf": error(r"not a readable OSM file \(PBF error"),
    "pbf_corrupt.osm.pbf": error(r"not a readable OSM file \(failed to uncompress data"),
    "bz2_truncated.osm.bz2": error(r"not a readable OSM file \(bzip2 error"),
    "overpass_truncated.json": error(r"not valid JSON \(Unterminated string"),
    "overpass_error.json": error(
        r"no cameras; the Overpass server answered with an error: runtime error: Query timed out"
    ),
    "overpass_wrong_shape.json": error(r"expected an Overpass JSON object with an 'elements' list"),
    "overpass_bad_elements.json": cameras_read(3, rejected=5, same_places=True),
    "osm_duplicate_ids.osm": error(r"camera id 'node/13016285537' appears on 2 rows"),
    "osm_absurd_tags.osm": absurd_tags,
    "osm_long_value.osm": error(r"not a readable OSM file \(OSM tag value is too long; OSM allows at most 255"),
    "cameras_xml_named.pbf": cameras_read(8, rejected=1, same_places=True),  # and the camera mapped as a way
    "cameras_geojson_named.csv": cameras_read(8, same_places=True),
    "cameras_csv_named.geojson": cameras_read(8, same_places=True),
    "empty.osm.pbf": error(r"the file is empty"),
    "blank.csv": error(r"the file holds only blank space"),
    "cameras.osm.gz": error(r"a gzip file; unpack it first"),
    "dem_as_cameras.tif": error(r"unknown format; expected OSM XML"),
    "crime_as_units.csv": error(r"units must be a polygon layer"),
    "cameras_missing_coords.csv": cameras_read(6, reason="missing coordinate", rejected=2, same_places=True),
    "cameras_nonnumeric_coords.csv": cameras_read(6, reason="coordinate is not a number", rejected=2),
    "cameras_swapped_coords.csv": error(r"the coordinates look swapped: column 'latitude' holds values beyond"),
    "cameras_out_of_range.csv": cameras_read(6, reason="coordinate out of range", rejected=2, same_places=True),
    "cameras_mixed_encoding.csv": accents,
    "cameras_latin1.csv": accents,
    "cameras_bom.csv": bom,
    "cameras_semicolon_decimal_comma.csv": cameras_read(8, same_places=True),
    "cameras_quoted_decimal_comma.csv": cameras_read(8, same_places=True),
    "cameras_duplicate_ids.csv": error(r"camera id 'node/13016285537' appears on 2 rows"),
    "cameras_absurd_tags.csv": absurd_tags,
    "cameras_ragged.csv": error(r"not a readable CSV table \(.*Expected 9 fields in line 4, saw 11"),
    "cameras_null_geometry.geojson": cameras_read(6, reason="no geometry", rejected=2, same_places=True),
    "cameras_invalid_geometry.geojson": cameras_read(6, reason="no geometry", rejected=2, same_places=True),
    "cameras_mixed_geometry.geojson": cameras_read(6, reason="expected a point", rejected=2, same_places=True),
    "cameras_epsg3857.geojson": cameras_read(8, same_places=True),
    "cameras_utm10n.geojson": cameras_read(8, same_places=True),
    "cameras_utm_no_crs.geojson": error(
        r"feature 1 of the camera layer has coordinates \(551\d+\.\d, 4173\d+\.\d\) that"
    ),
    "units_self_intersecting.geojson": units_repaired,
    "units_null_geometry.geojson": units_one_dropped,
    "units_mixed_geometry.geojson": error(r"units must be polygons, but 1 of 4 features are not \(the first is a Line"),
    "units_duplicate_ids.geojson": error(r"unit id column 'name' is not unique: 'Centre' appears more than once"),
    "units_missing_id.geojson": error(r"unit id column 'name' is empty in feature 2"),
    "units_no_features.geojson": error(r"the unit layer has no features"),
    "units_epsg3857.geojson": units_reprojected,
    "units_utm_no_crs.geojson": error(r"feature 1 of the unit layer has coordinates .* not longitudes and latitudes"),
    "units_open_ring.geojson": error(r"cannot read it as a unit layer \(feature 2 has a geometry that is not valid"),
    "crime_missing_coords.csv": crimes(12, reason="missing coordinate", rejected=2, records=["line 15", "line 16"]),
    "crime_nonnumeric_coords.csv": crimes(12, reason="coordinate is not a number", rejected=2),
    "crime_out_of_range.csv": crimes(12, reason="coordinate out of range", rejected=2),
    "crime_swapped.csv": error(r"the coordinates look swapped: column 'Y' holds values beyond \+/-90"),
    "crime_projected.csv": error(r"none of its 15 rows has usable coordinates .* look like projected coordinates"),
    "crime_semicolon_decimal_comma.csv": crimes(14),
    "crime_mixed_encoding.csv": crimes(2, dup=False),  # both rows of "AGRESSÃO", one UTF-8 and one latin-1
    "crime_header_only.csv": error(r"the table has a header but no rows"),
    "crime_bad_dates.csv": crimes(
        11, reason="date missing or unreadable", rejected=3, records=["line 4", "line 7", "line 10"]
    ),
    "crime_mixed_geometry.geojson": crimes(14, rejected=2),
    "population_negative.geojson": error(r"population column 'pop' holds -5 in a feature; expected a count"),
    "population_text.geojson": error(r"population column 'pop' holds 'many' in a feature; expected a count"),
    "streets_truncated.osm": error(r"not a readable OSM file \(XML parsing error"),
    "buildings_truncated.osm.pbf": error(r"not a readable OSM file \(PBF error"),
    "dem_nodata.tif": error(r"the DEM has no elevation anywhere in the study area"),
    "dem_no_crs.tif": error(r"the DEM has no CRS"),
    "dem_truncated.tif": error(r"the DEM's cells cannot be read: the file is damaged or cut short"),
    # hostile files (docs/security.md)
    "cameras_multistream.osm.bz2": cameras_read(8, rejected=1, same_places=True),  # and the camera mapped as a way
    "cameras_bz2_bomb.osm.bz2": error(r"it unpacks to more than 16,777,216 bytes, over 100 times its size"),
    "cameras_recursive_view.gpkg": error(r"the GeoPackage's view 'endless' gives no end to its rows within 5 s"),
    "cameras_circular_views.gpkg": error(r"the GeoPackage's view '[ab]' is defined on itself"),
    "cameras_many_directions.csv": many_directions,
    "cameras_formulas.csv": formulas,
    "cameras_list_property.geojson": cameras_read(8, same_places=True),
    "overpass_deep.json": error(r"JSON nested too deep to read"),
    "units_terminal_escapes.geojson": escapes_replaced,
    "units_crs_link.geojson": error(r"its 'crs' member links to another document"),
    "units_ogr_vrt.gml": error(r"a GDAL virtual dataset \(VRT\)"),
    "units_polygonz.geojson": units_in_plan,
    "units_nan_coordinate.geojson": error(r"has a coordinate that is not a number \(NaN or infinite\)"),
    "dem_vrt_other_file.vrt": error(r"a VRT raster reads its cells from other files or from the network"),
}

#: Options some cases need besides the file.
EXTRA = {
    "crime_bad_dates.csv": ["--since", "2012-01-01"],
    "crime_mixed_encoding.csv": ["--category", "AGRESSÃO"],
    "units_duplicate_ids.geojson": ["--unit-id", "name"],
    "units_missing_id.geojson": ["--unit-id", "name"],
    "population_negative.geojson": ["--population-column", "pop"],
    "population_text.geojson": ["--population-column", "pop"],
}


def test_the_corpus_and_its_table_agree():
    files = {p.name for p in BROKEN.iterdir() if p.name not in ("README.md", "make_corpus.py")}
    assert len(files) >= 40
    assert set(TABLE) == files
    assert set(EXPECTED) == files
    for name, (_, _, outcome) in TABLE.items():  # the table says which outcome the test checks
        assert outcome.startswith("exit 2") == isinstance(EXPECTED[name], str), name
    assert all(p.stat().st_size < 20_000 for p in BROKEN.iterdir() if p.suffix != ".py")


@pytest.mark.parametrize("name", sorted(TABLE))
def test_broken_input(name, tmp_path):
    option = TABLE[name][0]
    options = {**GOOD, option: BROKEN / name}
    args = ["analyze"]
    for key, value in options.items():
        args += [key, str(value)]
    out = tmp_path / "out"
    args += [*EXTRA.get(name, []), "--no-sensitivity", "--name", "Corpus", "--out", str(out)]
    start = time.perf_counter()
    result = CliRunner().invoke(cli, args, obj={})
    seconds = time.perf_counter() - start
    assert "Traceback" not in result.output
    assert not re.search(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]", result.output), result.output  # the terminal's text
    assert seconds < TIME_LIMIT_S, f"{name} took {seconds:.1f} s"
    expected = EXPECTED[name]
    if isinstance(expected, str):
        assert result.exit_code == 2, result.output
        assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 1, result.stderr
        assert lines[0].startswith(f"equity: error: {BROKEN / name}: "), lines[0]
        assert re.search(expected, lines[0]), lines[0]
        assert result.stdout == ""
        assert not out.exists()
    else:
        assert result.exit_code == 0, result.output
        assert "equity: error" not in result.stderr
        expected(out, name)
