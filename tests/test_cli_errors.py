"""The command line on bad input: exit code 2, one plain sentence naming the file and what was expected, no
traceback (unless --debug), and earlier outputs left exactly as they were.

The fixtures are in tests/data/readers (see its README).
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner

from equity._errors import InputFileError
from equity.cli import cli
from equity.io import outputs

READERS = Path(__file__).parent / "data" / "readers"
OUTPUT_FILES = set(outputs.OUTPUT_FILES) | {outputs.UNIT_PAGES_DIR}  # and the unit pages


def _fixture(name: str) -> str:
    return str(READERS / name)


def invoke(*args: str):
    return CliRunner().invoke(cli, list(args), obj={})


def good_analyze(out: Path, *extra: str):
    return invoke(
        "analyze",
        "--cameras",
        _fixture("cameras.osm"),
        "--units",
        _fixture("units.geojson"),
        "--crime",
        _fixture("crime.csv"),
        "--population",
        "pop",
        "--name",
        "Fixture",
        "--out",
        str(out),
        *extra,
    )


def snapshot(folder: Path) -> dict[str, bytes]:
    """Every file under ``folder`` (hidden ones too) with its bytes."""
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()} | {
        str(p.relative_to(folder)) + "/": b"" for p in folder.rglob("*") if p.is_dir()
    }


@pytest.fixture(scope="module")
def earlier(tmp_path_factory):
    """An ``out/`` folder holding the outputs of a good analysis, and a snapshot of its bytes."""
    out = tmp_path_factory.mktemp("cli") / "out"
    result = good_analyze(out)
    assert result.exit_code == 0, result.output
    assert {p.name for p in out.iterdir()} == OUTPUT_FILES
    return out, snapshot(out)


def assert_clean_error(result, file_name: str, expected: str) -> str:
    """Exit code 2, exactly one 'equity: error:' line naming the file and saying what was expected."""
    assert result.exit_code == 2, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    lines = [line for line in result.stderr.splitlines() if line.startswith("equity: error:")]
    assert len(lines) == 1, result.stderr
    assert result.stderr.strip() == lines[0]  # nothing else on stderr ...
    assert result.stdout == ""  # ... nor on stdout
    line = lines[0]
    assert file_name in line
    assert re.search(expected, line), line
    assert "Traceback" not in result.output
    assert "np.float64" not in line
    return line


# file, what the sentence must say (regex); the options replace those of the good run
BAD_INPUTS = {
    "missing_file": (["--cameras", _fixture("missing.osm")], "missing.osm", r"missing\.osm: no such file"),
    "unknown_format": (
        ["--cameras", _fixture("garbage.pbf")],
        "garbage.pbf",
        r"unknown format; expected OSM XML \(\.osm\), \.osm\.bz2, \.osm\.pbf, Overpass JSON, GeoJSON",
    ),
    "csv_without_coordinates": (
        ["--cameras", _fixture("cameras_no_coords.csv")],
        "cameras_no_coords.csv",
        r"no longitude and no latitude column; expected columns named like longitude/lon",
    ),
    "coordinates_swapped": (
        ["--cameras", _fixture("cameras_swapped.csv")],
        "cameras_swapped.csv",
        r"coordinates look swapped.*-122\.4131365.*expected 'longitude' to hold longitudes and 'latitude' latitudes",
    ),
    "layer_without_crs": (
        ["--units", _fixture("units_no_crs.shp")],
        "units_no_crs.shp",
        r"the unit layer has no CRS; save it with one",
    ),
    "units_not_polygons": (
        ["--units", _fixture("units_points.geojson")],
        "units_points.geojson",
        r"units must be polygons, but 4 of 4 features are not \(the first is a Point\)",
    ),
    "units_do_not_overlap_cameras": (
        ["--units", _fixture("units_far.geojson")],
        "units_far.geojson",
        r"cameras\.osm: none of its 8 cameras lies inside the units of .*units_far\.geojson; check that both cover "
        r"the same area",
    ),
    "crime_does_not_overlap_units": (
        ["--crime", _fixture("crime_far.csv")],
        "crime_far.csv",
        r"crime_far\.csv: none of its 3 incidents lies inside the units of .*units\.geojson",
    ),
    "empty_camera_file": (["--cameras", _fixture("empty.osm")], "empty.osm", r"empty\.osm: the file is empty"),
    "camera_file_without_cameras": (
        ["--cameras", _fixture("no_cameras.osm")],
        "no_cameras.osm",
        r"no cameras found \(no point tagged man_made=surveillance\)",
    ),
    "duplicate_unit_ids": (
        ["--units", _fixture("units_dup_ids.geojson"), "--unit-id", "name"],
        "units_dup_ids.geojson",
        r"unit id column 'name' is not unique: 'Centre' appears more than once",
    ),
    "truncated_osm": (
        ["--cameras", _fixture("truncated.osm")],
        "truncated.osm",
        r"not a readable OSM file \(XML parsing error",
    ),
    "xml_that_is_not_osm": (["--cameras", _fixture("not_osm.xml")], "not_osm.xml", r"an XML file that is not OSM XML"),
    "crime_filter_without_category_column": (
        ["--crime", _fixture("cameras.csv"), "--category", "robbery"],
        "cameras.csv",
        r"a category filter was given but no category column was found \(expected one of category",
    ),
    "unknown_unit_id_column": (
        ["--unit-id", "nhood"],
        "units.geojson",
        r"no unit id column 'nhood'; the layer's columns are name, code",
    ),
    "unknown_population_column": (
        ["--population", "residents"],
        "units.geojson",
        r"no population column 'residents' \(and no file",
    ),
}

#: Bad options rather than bad files: the sentence names the option.
BAD_OPTIONS = {
    "crime_given_twice": (
        ["--crime-columns", "Robbery"],
        "--crime-columns",
        r"Give crime either as incident points \(--crime\) or as unit columns \(--crime-columns\), not both",
    ),
    "date_that_is_not_a_date": (
        ["--since", "June"],
        "--since",
        r"--since 'June' is not a date \(expected YYYY-MM-DD\)",
    ),
}


def _bad_args(out: Path, replace: list[str]) -> list[str]:
    options = {
        "--cameras": _fixture("cameras.osm"),
        "--units": _fixture("units.geojson"),
        "--crime": _fixture("crime.csv"),
        "--population": "pop",
    }
    extra: list[str] = []
    for key, value in zip(replace[::2], replace[1::2], strict=True):
        if key in options:
            options[key] = value
        else:
            extra += [key, value]
    args = ["analyze"]
    for key, value in options.items():
        args += [key, value]
    return [*args, *extra, "--out", str(out)]


@pytest.mark.parametrize("case", list(BAD_INPUTS))
def test_bad_input_exits_2_with_one_sentence_and_keeps_earlier_outputs(earlier, case):
    out, before = earlier
    replace, file_name, expected = BAD_INPUTS[case]
    result = invoke(*_bad_args(out, replace))
    assert_clean_error(result, file_name, expected)
    assert snapshot(out) == before  # nothing written over the earlier outputs, no staging folder left


@pytest.mark.parametrize("case", list(BAD_OPTIONS))
def test_bad_option_exits_2_with_one_sentence(earlier, case):
    out, before = earlier
    replace, option, expected = BAD_OPTIONS[case]
    assert_clean_error(invoke(*_bad_args(out, replace)), option, expected)
    assert snapshot(out) == before


@pytest.mark.parametrize(
    "case",
    [
        "missing_file",
        "unknown_format",
        "csv_without_coordinates",
        "coordinates_swapped",
        "empty_camera_file",
        "camera_file_without_cameras",
        "truncated_osm",
        "xml_that_is_not_osm",
    ],
)
def test_cameras_command_on_bad_camera_files(case, tmp_path):
    replace, file_name, expected = BAD_INPUTS[case]
    output = tmp_path / "views.csv"
    result = invoke("cameras", replace[1], "-o", str(output))
    assert_clean_error(result, file_name, expected)
    assert not output.exists()
    assert list(tmp_path.iterdir()) == []


def test_good_run_lists_the_crime_row_without_coordinates(earlier):
    out, _ = earlier
    rejected = pd.read_csv(out / "rejected.csv", dtype=str, keep_default_na=False)
    assert list(rejected.columns) == ["source", "record", "reason", "value"]
    row = rejected[(rejected["source"] == "crime.csv") & (rejected["record"] == "line 16")]
    assert row[["reason", "value"]].to_numpy().tolist() == [["missing coordinate", "X=, Y=37.7100"]]
    crime = rejected[rejected["source"] == "crime.csv"].set_index("record")["reason"]
    assert crime.to_dict() == {
        "line 16": "missing coordinate",
        "line 17": "coordinate is not a number",
        "line 18": "coordinate out of range (longitude -180..180, latitude -90..90)",
        "line 6": "another row of an incident already counted (same incident number)",
    }
    cameras = rejected[rejected["source"] == "cameras.osm"]
    assert cameras["record"].tolist() == ["way/1420000001"]
    units = pd.read_csv(out / "units.csv").set_index("unit_id")
    assert units["crimes"].to_dict() == {"West": 3, "Centre": 4, "East": 3, "North Hill": 5}
    assert units["cameras"].to_dict() == {"West": 2, "Centre": 3, "East": 3, "North Hill": 0}


def test_good_run_prints_a_summary_and_no_error(tmp_path):
    result = good_analyze(tmp_path / "out")
    assert result.exit_code == 0, result.output
    assert "equity: error" not in result.output
    assert "Wrote the analysis of 4 units and 8 cameras" in result.stdout
    assert re.search(r"\b5 input rows\b.*rejected\.csv", result.stdout)  # the 5 rows of rejected.csv


def test_debug_lets_the_exception_propagate(tmp_path):
    result = invoke(
        "--debug",
        "analyze",
        "--cameras",
        _fixture("garbage.pbf"),
        "--units",
        _fixture("units.geojson"),
        "--out",
        str(tmp_path / "out"),
    )
    assert result.exit_code != 0
    assert isinstance(result.exception, InputFileError)
    assert "garbage.pbf: unknown format" in str(result.exception)
    assert result.exc_info is not None
    assert result.exc_info[2] is not None  # a traceback to show
    assert not (tmp_path / "out").exists()


def test_debug_shows_a_traceback_from_the_console_script(tmp_path):
    args = [
        "analyze",
        "--cameras",
        _fixture("empty.osm"),
        "--units",
        _fixture("units.geojson"),
        "--out",
        str(tmp_path / "out"),
    ]
    plain = subprocess.run(
        [sys.executable, "-m", "equity.cli", *args], capture_output=True, text=True, check=False, timeout=120
    )
    assert plain.returncode == 2
    lines = plain.stderr.strip().splitlines()
    assert len(lines) == 1
    assert lines[0].startswith(f"equity: error: {_fixture('empty.osm')}: the file is empty")
    assert "Traceback" not in plain.stderr + plain.stdout
    debug = subprocess.run(
        [sys.executable, "-m", "equity.cli", "--debug", *args], capture_output=True, text=True, check=False, timeout=120
    )
    assert debug.returncode != 0
    assert "Traceback (most recent call last)" in debug.stderr
    assert "InputFileError" in debug.stderr
    assert "empty.osm: the file is empty." in debug.stderr
    assert not (tmp_path / "out").exists()


def test_out_folder_of_another_study_needs_force(tmp_path):
    out = tmp_path / "out"
    assert good_analyze(out).exit_code == 0
    before = snapshot(out)
    # the same study again into the same folder is fine
    assert good_analyze(out).exit_code == 0
    # another study (other input files) is refused without --force ...
    other = [
        "analyze",
        "--cameras",
        _fixture("cameras.osm.pbf"),
        "--units",
        _fixture("units.geojson"),
        "--crime-columns",
        "Robbery,Drugs",
        "--out",
        str(out),
    ]
    result = invoke(*other)
    line = assert_clean_error(result, str(out), r"holds the results of a different study .* add --force")
    assert line.startswith(f"equity: error: {out}:")
    assert snapshot(out).keys() == before.keys()
    assert (out / "manifest.json").read_bytes() == before["manifest.json"]
    # ... and replaces it with --force
    forced = invoke(*other, "--force")
    assert forced.exit_code == 0, forced.output
    manifest = (out / "manifest.json").read_text(encoding="utf-8")
    assert "cameras.osm.pbf" in manifest
    assert {p.name for p in out.iterdir()} == OUTPUT_FILES


def test_out_folder_with_foreign_files_needs_force(tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    (out / "notes.txt").write_text("mine", encoding="utf-8")
    result = good_analyze(out)
    assert_clean_error(result, str(out), r"the folder is not empty and holds no equity manifest; .* add --force")
    assert [p.name for p in out.iterdir()] == ["notes.txt"]
