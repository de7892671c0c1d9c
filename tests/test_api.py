"""The Python API as researchers use it: every input a path or a (Geo)DataFrame, read by the readers of files
with their checks; StudyResult.write/explore/report; the folder a notebook writes is the folder the CLI writes."""

from __future__ import annotations

import datetime
import json
from pathlib import Path

import folium
import geopandas as gpd
import pandas as pd
import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from shapely.geometry import box

from equity import CRSError, InputError, InputFormatError, OutputError, Study
from equity.cli import cli
from equity.demo import demo_study
from equity.io.frames import FrameSource

READERS = Path(__file__).parent / "data" / "readers"
COLS = ["unit_id", "cameras", "crimes", "population", "covered_share", "gap", "class"]


def small(**inputs: object) -> Study:
    """The four-unit fixture, each input a path unless given."""
    given = {
        "cameras": READERS / "cameras.csv",
        "units": READERS / "units.geojson",
        "unit_id": "code",
        "crime": READERS / "crime.csv",
        "population": "pop",
        **inputs,
    }
    return Study(**given, sensitivity=False, statistics=False, name="Small")  # type: ignore[arg-type]


def table(result) -> pd.DataFrame:
    return result.units[COLS].set_index("unit_id").sort_index()


def test_frames_give_the_results_of_their_files():
    units = gpd.read_file(READERS / "units.geojson")
    cameras = pd.read_csv(READERS / "cameras.csv", dtype=str, keep_default_na=False)
    crime = pd.read_csv(READERS / "crime.csv")
    from_files = small().run()
    from_frames = small(units=units, cameras=cameras, crime=crime).run()
    pd.testing.assert_frame_equal(table(from_frames), table(from_files))
    assert from_frames.counts["cameras"] == from_files.counts["cameras"]
    assert len(from_frames.rejected) == len(from_files.rejected)


def test_crime_as_points_gives_the_counts_of_the_csv():
    crime = pd.read_csv(READERS / "crime.csv", dtype=str)
    x, y = pd.to_numeric(crime["X"], errors="coerce"), pd.to_numeric(crime["Y"], errors="coerce")
    crime = crime[x.notna() & y.notna()]  # rows the CSV reader sets aside (a latitude of "37.7x")
    points = gpd.GeoDataFrame(crime, geometry=gpd.points_from_xy(x[crime.index], y[crime.index]), crs=4326)
    points = points.to_crs(3857)
    a = small(crime=points).run()
    b = small().run()
    pd.testing.assert_series_equal(table(a)["crimes"], table(b)["crimes"])


def test_the_frames_are_not_modified():
    units = gpd.read_file(READERS / "units.geojson").set_index("name")  # an index of text, not a range
    units["surveyed"] = pd.to_datetime(["2020-01-01", "2020-02-01", None, "2021-05-05"])
    before = units.copy()
    result = small(units=units, unit_id="code").run()
    pd.testing.assert_frame_equal(units, before)
    assert sorted(result.units["unit_id"]) == sorted(before["code"])


def test_a_frame_with_lists_is_not_modified_by_the_reader():
    """The reader turns list values into their JSON text (as GDAL reads a file's), on its own copy."""
    from equity.io import units_from_file

    units = gpd.read_file(READERS / "units.geojson")
    units["parts"] = [[1, 2], {"k": 1}, None, []]
    read = units_from_file(FrameSource(units, "units"), id_column="code")
    assert read.data["parts"].tolist()[:2] == ["[1, 2]", '{"k": 1}']
    assert units["parts"].tolist()[:2] == [[1, 2], {"k": 1}]


def test_building_a_study_reads_nothing():
    """A frame is turned into what its reader reads when the study is loaded, not when it is built: a study of
    a large DataFrame is built at once, and holds the frame it was given, not a copy."""
    crime = pd.read_csv(READERS / "crime.csv")
    study = small(crime=crime)
    assert study.crime.source_frame is crime
    assert "_csv" not in vars(study.crime)  # the CSV text is written when the reader first asks for it
    study.run()
    assert "_csv" in vars(study.crime)


def test_a_geodataframe_without_crs_is_one_sentence():
    units = gpd.read_file(READERS / "units.geojson").set_crs(None, allow_override=True)
    with pytest.raises(CRSError) as err:
        small(units=units).run()
    assert str(err.value).startswith("the units GeoDataFrame has no CRS; set it")


def test_a_table_without_geometry_where_a_layer_needs_one():
    units = pd.DataFrame(gpd.read_file(READERS / "units.geojson").drop(columns="geometry"))
    with pytest.raises(InputFormatError, match=r"^the units DataFrame has no geometry, and a unit layer needs one"):
        small(units=units).run()


def test_a_camera_table_without_coordinates_names_the_frame():
    cameras = pd.read_csv(READERS / "cameras.csv", dtype=str).drop(columns=["lon", "lat"])
    with pytest.raises(InputFormatError, match=r"^the cameras DataFrame"):
        small(cameras=cameras).run()


def test_units_that_are_points_are_refused_as_in_a_file():
    units = gpd.read_file(READERS / "units.geojson")
    units["geometry"] = units.geometry.to_crs(3857).centroid.to_crs(units.crs)
    with pytest.raises(InputFormatError, match=r"^the units GeoDataFrame: units must be polygons"):
        small(units=units).run()


def test_the_manifest_records_a_frame_by_rows_and_hash(tmp_path):
    units = gpd.read_file(READERS / "units.geojson")
    result = small(units=units).run()
    written = result.write(tmp_path / "out", map_assets="cdn")
    manifest = json.loads(written["manifest.json"].read_text())
    entry = manifest["inputs"]["units"]
    assert entry["in_memory"] == "GeoDataFrame"
    assert entry["rows"] == 4
    assert len(entry["sha256"]) == 64
    assert entry["path"].startswith("in-memory GeoDataFrame (4 rows, sha256 of its WKB and attributes ")
    assert manifest["inputs"]["cameras"]["path"] == str((READERS / "cameras.csv").resolve())
    # the same frames again: the same study, written over without --force
    small(units=units.copy()).run().write(tmp_path / "out", map_assets="cdn")
    # another frame: another study, refused
    moved = units.copy()
    moved.loc[0, "name"] = "Elsewhere"
    with pytest.raises(OutputError, match="different study"):
        small(units=moved).run().write(tmp_path / "out", map_assets="cdn")


def test_the_hash_follows_the_content():
    units = gpd.read_file(READERS / "units.geojson")
    same = FrameSource(units.copy(), "units").sha256
    assert FrameSource(units, "units").sha256 == same
    shifted = units.copy()
    shifted["geometry"] = shifted.geometry.translate(1e-6, 0)
    assert FrameSource(shifted, "units").sha256 != same
    assert FrameSource(units.to_crs(3857), "units").sha256 != same
    renamed = units.rename(columns={"pop": "population"})
    assert FrameSource(renamed, "units").sha256 != same
    counted = units.copy()
    counted.loc[2, "pop"] += 1
    assert FrameSource(counted, "units").sha256 != same
    missing, word = units.astype({"name": object}), units.astype({"name": object})
    missing.loc[0, "name"], word.loc[0, "name"] = None, "None"
    assert FrameSource(missing, "units").sha256 != FrameSource(word, "units").sha256
    reordered = units.iloc[::-1].reset_index(drop=True)
    assert FrameSource(reordered, "units").sha256 != same


def test_write_is_the_folder_of_the_cli(tmp_path):
    res = CliRunner().invoke(
        cli, ["-q", "demo", "--out", str(tmp_path / "cli"), "--no-sensitivity", "--map-assets", "cdn"], obj={}
    )
    assert res.exit_code == 0, res.output
    written = demo_study(sensitivity=False).run().write(tmp_path / "api", map_assets="cdn")
    cli_files = sorted(p.name for p in (tmp_path / "cli").iterdir())
    assert sorted({name.split("/")[0] for name in written}) == cli_files  # units/index.html: the pages' folder
    for name in ("units.csv", "cameras.csv", "rejected.csv", "operators.csv"):
        assert (tmp_path / "api" / name).read_bytes() == (tmp_path / "cli" / name).read_bytes(), name
    api = json.loads((tmp_path / "api" / "manifest.json").read_text())
    cli_manifest = json.loads((tmp_path / "cli" / "manifest.json").read_text())
    assert api["inputs"] == cli_manifest["inputs"]
    assert api["counts"] == cli_manifest["counts"]


def test_explore_and_report_in_a_notebook():
    result = small().run()
    m = result.explore()
    assert isinstance(m, folium.Map)
    page = m.get_root().render()
    assert "U1" in page  # a unit's id on the map
    report = result.report()
    assert isinstance(report, str)
    assert report.startswith("<!DOCTYPE html>")
    assert "Small: surveillance camera coverage and crime" in report
    frame = report._repr_html_()
    assert frame.startswith("<iframe srcdoc=")
    assert "<!DOCTYPE html>" not in frame  # escaped into the attribute, its styles kept out of the notebook
    assert isinstance(result.report(lang="es"), str)  # the language is the reader's (see tests/test_i18n.py)


def test_write_refuses_an_unknown_language(tmp_path):
    result = small().run()
    with pytest.raises(Exception, match="language 'xx' is not one equity writes"):
        result.write(tmp_path / "out", lang="xx")
    assert not (tmp_path / "out").exists()


def test_dem_as_an_open_rasterio_dataset(tmp_path):
    import numpy as np
    import rasterio
    from affine import Affine

    from equity import InputError

    path = tmp_path / "dem.tif"
    profile = {"driver": "GTiff", "width": 4, "height": 4, "count": 1, "dtype": "float32", "crs": "EPSG:4326"}
    with rasterio.open(path, "w", **profile, transform=Affine(0.01, 0, -122.43, 0, -0.01, 37.72)) as dst:
        dst.write(np.zeros((1, 4, 4), "float32"))
    with rasterio.open(path) as src:
        assert small(dem=src).dem == path
    profile = {"driver": "GTiff", "width": 2, "height": 2, "count": 1, "dtype": "float32", "crs": "EPSG:4326"}
    with (
        rasterio.MemoryFile() as mem,
        mem.open(**profile, transform=Affine(1, 0, 10, 0, -1, 10)) as src,
        pytest.raises(InputError, match="was not opened from a file on disk"),
    ):
        small(dem=src)


def test_the_cli_and_the_api_name_each_option_alike():
    import dataclasses
    import inspect

    from equity.engine import Engine
    from equity.result import StudyResult
    from equity.settings import OPTION_NAMES, Settings

    api = (
        {f.name for f in dataclasses.fields(Study)}
        | {f.name for f in dataclasses.fields(Settings)}
        | set(OPTION_NAMES)
        | set(inspect.signature(StudyResult.write).parameters)
        | set(inspect.signature(Engine).parameters)
    )
    elsewhere = {  # options of the command line that are not one setting of the API, and why
        "category": "Study.categories (the option is repeated once per category)",
        "out": "StudyResult.write(folder)",
        "fine_units": "equity.scales.compare_scales of two studies",
        "fine_unit_id": "equity.scales.compare_scales of two studies",
        "verbose": "logging",
        "quiet": "logging",
        "debug": "logging",
        "help": "the help",
    }
    for command in ("analyze", "demo"):
        for param in cli.commands[command].params:
            longs = [o for o in getattr(param, "opts", []) if o.startswith("--")]
            if not longs:
                continue
            name = longs[0].removeprefix("--").replace("-", "_")
            assert name in api or name in elsewhere, f"--{name} of {command} has no name in the API"
            if name in OPTION_NAMES:  # the command's option sets the field its API name stands for
                assert param.name == OPTION_NAMES[name]
    assert Settings(fov=90, range=40, buffer=100) == Settings(fixed_fov_deg=90, range_m=40, buffer_m=100)
    assert Settings().replace(cell_size=2.0).cell_size_m == 2.0
    with pytest.raises(ValueError, match="fov= and fixed_fov_deg= are the same setting"):
        Settings(fov=90, fixed_fov_deg=80)


def test_buildings_and_streets_as_frames_give_the_results_of_their_files(tmp_path):
    """A small study on a surface model (one building, one street): frames and the GeoPackages they are saved to
    give the same views, shares of area and of street in view."""
    from shapely.geometry import LineString, Point

    utm = "EPSG:32610"  # San Francisco's zone
    x0, y0 = 550_000.0, 4_180_000.0
    units = gpd.GeoDataFrame(
        {"name": ["west", "east"]}, geometry=[box(x0, y0, x0 + 100, y0 + 100), box(x0 + 100, y0, x0 + 200, y0 + 100)]
    ).set_crs(utm)
    tags = {"man_made": "surveillance", "surveillance:type": "camera", "camera:type": "fixed", "height": "4"}
    cameras = gpd.GeoDataFrame(
        [{"osmid": "node/1", "camera:direction": "90", **tags}, {"osmid": "node/2", "camera:direction": "270", **tags}],
        geometry=[Point(x0 + 60, y0 + 50), Point(x0 + 150, y0 + 50)],
        crs=utm,
    )
    buildings = gpd.GeoDataFrame(
        {"building": ["yes"], "height": ["10"]}, geometry=[box(x0 + 80, y0 + 30, x0 + 90, y0 + 70)], crs=utm
    )
    streets = gpd.GeoDataFrame(
        {"highway": ["residential"]}, geometry=[LineString([(x0, y0 + 50), (x0 + 200, y0 + 50)])], crs=utm
    )
    files = {}
    for name, frame in {"units": units, "cameras": cameras, "buildings": buildings, "streets": streets}.items():
        files[name] = tmp_path / f"{name}.gpkg"
        frame.to_file(files[name], driver="GPKG")
    options = {"unit_id": "name", "sensitivity": False, "statistics": False}
    from_frames = Study(cameras=cameras, units=units, buildings=buildings, streets=streets, **options).run()
    from_files = Study(**files, **options).run()  # type: ignore[arg-type]
    cols = ["unit_id", "cameras", "covered_share", "street_covered_share"]
    a = from_frames.units[cols].set_index("unit_id").sort_index()
    b = from_files.units[cols].set_index("unit_id").sort_index()
    pd.testing.assert_frame_equal(a, b)
    assert a["covered_share"].gt(0).all()  # both cameras see something, on either side of the building
    assert from_frames.counts["buildings"] == from_files.counts["buildings"] == 1
    assert from_frames.study.inputs()["buildings"].name.startswith("in-memory GeoDataFrame (1 rows")


@st.composite
def unit_layers(draw):
    """Small unit layers with attributes of the kinds a GeoDataFrame holds: whole numbers, numbers with gaps,
    text of any script, flags, dates, dates and times."""
    n = draw(st.integers(1, 5))
    text = st.text(st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")), min_size=1, max_size=12)
    names = draw(st.lists(text, min_size=n, max_size=n, unique_by=lambda t: t.strip()).filter(
        lambda ns: all(t.strip() for t in ns)
    ))  # fmt: skip
    day = st.dates(min_value=datetime.date(1900, 1, 1), max_value=datetime.date(2100, 1, 1))
    moment = st.datetimes(datetime.datetime(1970, 1, 1), datetime.datetime(2100, 1, 1))
    columns = {
        "name": names,
        "count": draw(st.lists(st.integers(-(2**40), 2**40), min_size=n, max_size=n)),
        "share": draw(st.lists(st.one_of(st.none(), st.floats(-1e9, 1e9)), min_size=n, max_size=n)),
        "flag": draw(st.lists(st.booleans(), min_size=n, max_size=n)),
        "surveyed": draw(st.lists(day, min_size=n, max_size=n)),
        "seen": pd.to_datetime(draw(st.lists(moment, min_size=n, max_size=n))).floor("s"),
    }
    squares = [box(i, 0, i + 0.01, 0.01) for i in range(n)]
    return gpd.GeoDataFrame(columns, geometry=squares, crs="EPSG:4326")


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(layer=unit_layers())
def test_a_unit_frame_reads_as_the_geopackage_it_saves_to(layer, tmp_path_factory):
    """Property: a GeoDataFrame of units is read as the GeoPackage ``to_file`` writes of it is: the same ids,
    geometries and attribute values (dates as ISO text)."""
    from equity.io import units_from_file

    path = tmp_path_factory.mktemp("units") / "units.gpkg"
    layer.to_file(path, driver="GPKG")
    from_frame = units_from_file(FrameSource(layer, "units"), id_column="name")
    from_file = units_from_file(path, id_column="name")
    a, b = from_frame.data, from_file.data
    assert list(a.columns) == list(b.columns)
    assert a.geometry.geom_equals_exact(b.geometry, 1e-12).all()
    assert a.crs == b.crs

    def values(frame: pd.DataFrame) -> list:
        return [[None if pd.isna(v) else v for v in row] for row in frame.drop(columns="geometry").to_numpy().tolist()]

    assert values(a) == values(b)
    assert from_frame.counts == from_file.counts


def test_a_geodataframe_without_an_active_geometry_is_one_sentence():
    units = gpd.read_file(READERS / "units.geojson").rename(columns={"geometry": "shape"})
    units = gpd.GeoDataFrame(pd.DataFrame(units))  # its geometry column is not set as the geometry
    with pytest.raises(InputFormatError, match=r"^the units GeoDataFrame: the unit layer has no geometry"):
        small(units=units).run()


def test_an_empty_frame_is_one_sentence():
    units = gpd.read_file(READERS / "units.geojson").iloc[:0]
    with pytest.raises(InputFormatError, match=r"^the units GeoDataFrame: the unit layer has no features"):
        small(units=units).run()


def test_grid_units_by_the_names_of_the_command_line():
    """``Study(units="grid:S", area=...)`` is ``--units grid:S --area``: squares of S metres over the area."""
    res = Study(
        cameras=READERS / "cameras.csv", units="grid:500", area=READERS / "units.geojson", sensitivity=False
    ).run()
    assert len(res.units) > 0
    assert res.units["unit_id"].str.startswith("sq500m_").all()
    with pytest.raises(InputError, match="a file"):
        Study(cameras=READERS / "cameras.csv", units=gpd.read_file(READERS / "units.geojson"), units_level=9)
