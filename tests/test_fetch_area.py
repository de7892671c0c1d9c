"""A whole study area from OpenStreetMap, offline: ``equity fetch`` of the made-up town of
tests/data/fetch/make_town.py (its recorded Nominatim and Overpass answers, served by osmnx's own cache, see
tests/fetch_recordings.py), then its units: the boundaries of one admin_level, or a grid over the place."""

from __future__ import annotations

import itertools
import json
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pyogrio
import pytest
import shapely
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

from equity._errors import InputError, InputFileError, InputFormatError
from equity.cli import cli
from equity.grid import grid_cells
from equity.io import buildings_from_file, cameras_from_file, fetch, land_from_file, streets_from_file, units_from_file
from equity.io.fetch import AREA_LAYERS, fetch_place
from equity.io.units import UnitsSpec, area_layer, clip_to_place, units_spec
from equity.projection import metric_crs, to_metric
from tests.fetch_recordings import TOWN, Recorder, equity_logger, network, osm, osm_server, recorded

__all__ = ["equity_logger", "network", "osm", "osm_server"]  # fixtures

#: The town's barrios (admin_level 10) and parishes (9), as make_town.py draws them.
BARRIOS = ["El Centro", "La Loma", "La Ribera", "Los Pinos"]
PARISHES = ["San José", "Santa Ana"]


@pytest.fixture
def area(osm: Recorder, tmp_path: Path) -> Path:
    """The town fetched into tmp_path/town/area.gpkg."""
    osm.town()
    return fetch_place(TOWN, tmp_path / "town")["area.gpkg"]


def _run(args: list[str]):
    return CliRunner().invoke(cli, args, obj={})


# ---------------------------------------------------------------------------------------------------------------
# the GeoPackage


def test_area_has_every_layer(area: Path):
    assert [name for name, _ in pyogrio.list_layers(area)] == list(AREA_LAYERS)
    assert sorted(p.name for p in area.parent.iterdir()) == [
        "area.gpkg",
        "boundary.geojson",
        "cameras.geojson",
        "fetch.json",
    ]  # no temporary file left behind


def test_boundaries_are_the_relations_with_their_levels(area: Path):
    b = area_layer(area, "boundaries")
    answer = recorded("overpass_town_boundaries.json")
    relations = {f"relation/{el['id']}": el["tags"] for el in answer["elements"] if el["type"] == "relation"}
    assert sorted(b["osm_id"]) == sorted(relations)  # the member ways (tagged too) are not boundaries
    for row in b.itertuples():
        assert row.name == relations[row.osm_id]["name"]
        assert row.admin_level == relations[row.osm_id]["admin_level"]
    assert list(b.columns[:3]) == ["osm_id", "name", "admin_level"]
    assert set(b.geom_type) <= {"Polygon", "MultiPolygon"}
    assert b.crs.to_epsg() == 4326


def test_buildings_streets_and_land_with_their_tags(area: Path):
    buildings = area_layer(area, "buildings").set_index("osm_id")
    assert sorted(buildings.index) == sorted(
        [
            f"way/{el['id']}"
            for el in recorded("overpass_town_buildings.json")["elements"]
            if el["type"] == "way" and "building" in el.get("tags", {})
        ]
        + ["relation/130001"]
    )  # the kiosk (a node) is not a footprint; the school's courtyard is a hole
    school = buildings.loc["relation/130001"]
    assert school["name"] == "Escuela Fiscal 12"
    assert len(school.geometry.interiors) == 1
    streets = area_layer(area, "streets")
    assert sorted(streets["highway"]) == ["footway", "primary", "residential"]  # no bus stop, no pedestrian area
    assert set(streets.geom_type) == {"LineString"}
    assert streets.set_index("highway").loc["primary", "ref"] == "E35"
    land = area_layer(area, "landuse").set_index("osm_id")
    assert sorted(zip(land["landuse"].fillna(""), land["leisure"].fillna(""), land["kind"], strict=True)) == [
        ("", "park", "public"),
        ("commercial", "", ""),
        ("residential", "", "residential"),
    ]


def test_tags_beyond_the_columns_go_to_other_tags(osm: Recorder, tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    answer = recorded("overpass_town_buildings.json")
    tagged = [el for el in answer["elements"] if el["type"] == "way" and "building" in el.get("tags", {})]
    tagged[0]["tags"].update({"fixme": "check the levels", "FIXME": "survey"})  # SQLite: one column name
    monkeypatch.setattr(fetch, "MAX_TAG_COLUMNS", 3)
    osm.town(buildings=answer)
    area = fetch_place(TOWN, tmp_path / "town")["area.gpkg"]
    buildings = area_layer(area, "buildings").set_index("osm_id")
    assert list(buildings.columns[:4]) == ["building", "name", "building:levels", "other_tags"]
    row = buildings.loc[f"way/{tagged[0]['id']}"]
    assert json.loads(row["other_tags"]) == {"fixme": "check the levels", "FIXME": "survey"}
    assert row["building:levels"] == "5"
    house = buildings.loc[f"way/{tagged[1]['id']}"]
    assert json.loads(house["other_tags"]) == {"height": "6.5"}


def test_metadata_has_the_oldest_osm_timestamp(area: Path):
    meta = dict(pyogrio.read_dataframe(area, layer="metadata")[["key", "value"]].itertuples(index=False))
    # the streets' answer is of 09:27:40, the others of 09:26:53: the data are at least as new as the oldest
    assert meta["osm_timestamp"] == "2025-03-14T09:26:53Z"
    assert meta["place"] == TOWN
    assert meta["attribution"] == "© OpenStreetMap contributors, ODbL 1.0"
    prov = json.loads((area.parent / "fetch.json").read_text(encoding="utf-8"))
    assert prov["osm_timestamp"] == "2025-03-14T09:26:53Z"
    assert prov["admin_levels"] == [
        {"admin_level": "8", "count": 1, "examples": "Villa Muestra"},
        {"admin_level": "9", "count": 2, "examples": "San José, Santa Ana"},
        {"admin_level": "10", "count": 4, "examples": "El Centro, La Loma, La Ribera"},
    ]


def test_the_readers_take_their_layer_of_the_area(area: Path, caplog: pytest.LogCaptureFixture):
    cameras = cameras_from_file(area)
    assert sorted(cameras.data["camera_id"]) == [f"node/1100000{i}" for i in range(1, 5)]
    assert cameras.meta["osm_timestamp"] == "2025-03-14T09:26:53Z"
    heights = buildings_from_file(area).data.set_index("building_id")["tags"]
    assert heights.map(lambda t: t.get("height")).dropna().tolist() == ["6.5"]
    assert len(streets_from_file(area).data) == 3
    assert sorted(land_from_file(area).data["kind"]) == ["public", "residential"]
    assert "layers; reading the first" not in caplog.text


def test_cli_fetch_lists_the_levels(osm: Recorder, tmp_path: Path, equity_logger):
    osm.town()
    result = _run(["fetch", "--place", TOWN, "--out", str(tmp_path / "town")])
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    start = lines.index("Administrative boundaries in the place (pick the units with --units-level):")
    table = [line.split(None, 2) for line in lines[start + 2 : start + 5]]
    assert table == [
        ["8", "1", "Villa Muestra"],
        ["9", "2", "San José, Santa Ana"],
        ["10", "4", "El Centro, La Loma, La Ribera"],
    ]
    assert f"--units {tmp_path / 'town' / 'area.gpkg'} --units-level 10" in result.stdout


def test_skip_a_layer(osm: Recorder, tmp_path: Path):
    osm.town()
    written = fetch_place(TOWN, tmp_path / "town", layers=("boundaries",))
    area = written["area.gpkg"]
    assert [name for name, _ in pyogrio.list_layers(area)] == list(AREA_LAYERS)  # the others empty
    assert [len(area_layer(area, name)) for name in ("boundaries", "buildings", "streets", "landuse")] == [9, 0, 0, 0]
    meta = dict(pyogrio.read_dataframe(area, layer="metadata")[["key", "value"]].itertuples(index=False))
    assert meta["layers_not_downloaded"] == "buildings, streets, landuse"
    with pytest.raises(InputFormatError, match="the building layer has no features"):
        buildings_from_file(area)


def test_buildings_geojson_keeps_the_rare_tags(osm: Recorder, tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setattr(fetch, "MAX_TAG_COLUMNS", 1)
    osm.town()
    written = fetch_place(TOWN, tmp_path / "town", buildings=True)
    footprints = gpd.read_file(written["buildings.geojson"]).set_index("@id")
    assert footprints.loc["relation/130001", "name"] == "Escuela Fiscal 12"  # from other_tags
    assert "other_tags" not in footprints.columns


def test_an_incomplete_answer_is_refused(osm: Recorder, tmp_path: Path):
    answer = recorded("overpass_town_buildings.json")
    answer["remark"] = 'runtime error: Query timed out in "query" at line 1 after 181 seconds.'
    answer["elements"] = answer["elements"][:5]
    osm.town(buildings=answer)
    with pytest.raises(
        InputFileError,
        match=r"buildings of 'Villa Muestra, Ecuador': Overpass .* stopped before the "
        r"end, so its answer is incomplete \(runtime error: Query timed out",
    ):
        fetch_place(TOWN, tmp_path / "town")
    assert not (tmp_path / "town").exists()


def test_unknown_layer(osm: Recorder, tmp_path: Path):
    with pytest.raises(InputError, match="Unknown layer 'roads' to fetch; the layers are boundaries, buildings"):
        fetch_place(TOWN, tmp_path / "town", layers=("roads",))


# ---------------------------------------------------------------------------------------------------------------
# units of one level


def test_units_of_a_level_are_clipped_to_the_place(area: Path):
    read = units_from_file(UnitsSpec(source=area, level="10"))
    units = read.data.set_index("unit_id")
    assert sorted(units.index) == BARRIOS
    place = to_metric(area_layer(area, "place"), units.crs).geometry.iloc[0]
    # the four barrios tile the town (to 1e-6: their vertices halfway along its edges are projected, its edges not)
    assert units.geometry.area.sum() == pytest.approx(place.area, rel=1e-6)
    # the neighbour that touches the town's edge and the one that overlaps it by a sliver are listed, not units
    rejected = read.rejected.set_index("record")
    assert sorted(rejected.index) == ["relation/120024", "relation/120025"]
    assert set(rejected["reason"]) == {"boundary outside the place"}
    assert rejected.loc["relation/120024", "value"] == "0.00% inside"
    assert rejected.loc["relation/120025", "value"] == "0.49% inside"
    assert read.meta["admin_level"] == "10"
    assert read.meta["boundaries_outside_place"] == 2


def test_units_of_another_level(area: Path):
    assert sorted(units_from_file(UnitsSpec(source=area, level="9")).data["unit_id"]) == PARISHES


def test_a_level_not_present_names_the_levels(area: Path):
    with pytest.raises(
        InputError,
        match=r"no administrative boundaries at admin_level 7 in the place; the levels present .* are "
        r"8 \(1\), 9 \(2\), 10 \(4\)\.",
    ):
        units_from_file(UnitsSpec(source=area, level="7"))


def test_level_of_a_file_that_is_not_a_fetched_area(tmp_path: Path, data_dir: Path):
    units = next(data_dir.rglob("*.geojson"))
    with pytest.raises(InputFormatError, match="--units-level picks boundaries of an area written by equity fetch"):
        units_from_file(UnitsSpec(source=units, level="9"))


def test_fetched_area_without_a_level(area: Path):
    with pytest.raises(InputFormatError, match=r"pick the units with --units-level N .* 8 \(1\), 9 \(2\), 10 \(4\)"):
        units_from_file(area)


def test_repeated_names_get_their_osm_id(area: Path, tmp_path: Path):
    b = area_layer(area, "boundaries")
    b.loc[b["name"] == "Los Pinos", "name"] = "La Loma"
    b.loc[b["name"] == "El Centro", "name"] = None
    copy = tmp_path / "copy.gpkg"
    for layer in ("place", "boundaries", "metadata"):
        frame = b if layer == "boundaries" else area_layer(area, layer)
        pyogrio.write_dataframe(frame, copy, layer=layer, driver="GPKG", append=copy.exists())
    ids = sorted(units_from_file(UnitsSpec(source=copy, level="10")).data["unit_id"])
    assert ids == [
        "La Loma (relation/120020)",
        "La Loma (relation/120023)",
        "La Ribera (relation/120022)",
        "relation/120021",
    ]


# ---------------------------------------------------------------------------------------------------------------
# from the recordings to units.csv through the command line, without writing any Python


def test_fetch_pick_a_level_and_analyze(osm: Recorder, tmp_path: Path, equity_logger):
    osm.town()
    town = tmp_path / "town"
    assert _run(["fetch", "--place", TOWN, "--out", str(town)]).exit_code == 0
    area = town / "area.gpkg"
    out = tmp_path / "analysis"
    result = _run(
        [
            "-q",
            "analyze",
            "--cameras",
            str(area),
            "--units",
            str(area),
            "--units-level",
            "10",
            "--out",
            str(out),
            "--no-sensitivity",
        ]
    )
    assert result.exit_code == 0, result.output
    units = pd.read_csv(out / "units.csv")
    assert sorted(units["unit_id"]) == BARRIOS  # one row per barrio
    cameras = units.set_index("unit_id")["cameras"]
    assert cameras.to_dict() == {"El Centro": 0, "La Loma": 4, "La Ribera": 0, "Los Pinos": 0}
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["inputs"]["units"]["name"] == "area.gpkg"
    assert manifest["sources"]["units"]["admin_level"] == "10"
    assert manifest["counts"]["units_boundaries_outside_place"] == 2
    assert manifest["osm_timestamp"] == "2025-03-14T09:26:53Z"
    report = (out / "report.html").read_text(encoding="utf-8")
    assert "OSM data as of 2025-03-14T09:26:53Z" in report
    assert "administrative boundaries at admin_level 10 from OpenStreetMap, clipped to the place" in report


def test_cli_level_not_present_exits_2(area: Path, tmp_path: Path, equity_logger):
    result = _run(
        ["analyze", "--cameras", str(area), "--units", str(area), "--units-level", "11", "--out", str(tmp_path / "out")]
    )
    assert result.exit_code == 2
    assert "no administrative boundaries at admin_level 11 in the place; the levels present" in result.stderr
    assert "Traceback" not in result.output


def test_cli_grid_over_the_fetched_place(area: Path, tmp_path: Path, equity_logger):
    out = tmp_path / "grid"
    result = _run(
        ["-q", "analyze", "--cameras", str(area), "--units", "grid:500", "--out", str(out), "--no-sensitivity"]
    )
    assert result.exit_code == 0, result.output
    units = gpd.read_file(out / "units.gpkg")
    crs = metric_crs(units)
    place = to_metric(area_layer(area, "place"), crs).geometry.iloc[0]
    assert to_metric(units, crs).geometry.area.sum() == pytest.approx(place.area, rel=1e-6)
    assert all(i.startswith("sq500m_") for i in units["unit_id"])
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["sources"]["units"]["study_area"].startswith("the place of")
    assert not any("extent" in w for w in manifest.get("warnings", []))
    expected = grid_cells(to_metric(area_layer(area, "place"), manifest["sources"]["units"]["crs"]), "square", 500)
    assert sorted(units["unit_id"]) == sorted(expected["unit_id"])
    slivers = int((expected["cell_share"] < 0.1).sum())
    assert manifest["counts"]["units_grid_cells"] == len(units)
    assert manifest["counts"]["units_grid_sliver_cells"] == slivers
    report = (out / "report.html").read_text(encoding="utf-8")
    assert f"square cells of 500 m: {len(units)} cells, {slivers} of them slivers" in report


def test_cli_grid_over_the_cameras_extent_warns(area: Path, tmp_path: Path, equity_logger):
    cameras = area.parent / "cameras.geojson"
    out = tmp_path / "hex"
    result = _run(
        ["-q", "analyze", "--cameras", str(cameras), "--units", "hex:200", "--out", str(out), "--no-sensitivity"]
    )
    assert result.exit_code == 0, result.output
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert any("The grid covers the cameras' extent" in w for w in manifest["warnings"])
    units = pd.read_csv(out / "units.csv")
    assert units["cameras"].sum() == 4


def test_cli_bad_grid_exits_2(area: Path, tmp_path: Path, equity_logger):
    result = _run(["analyze", "--cameras", str(area), "--units", "grid:5", "--out", str(tmp_path / "o")])
    assert result.exit_code == 2
    assert "the cell size must be between 10 and 100,000 metres, not 5" in result.stderr


def test_grid_over_an_area_file(area: Path, tmp_path: Path):
    square = tmp_path / "square.geojson"
    place = area_layer(area, "place")
    centre = place.to_crs(place.estimate_utm_crs()).geometry.iloc[0].centroid
    box = gpd.GeoSeries(
        [shapely.box(centre.x - 500, centre.y - 500, centre.x + 500, centre.y + 500)], crs=place.estimate_utm_crs()
    )
    box.to_frame("geometry").to_crs(4326).to_file(square)
    read = units_from_file(UnitsSpec(source=square, grid=("square", 250.0)))
    assert read.meta["study_area"] == f"the polygons of {square}"
    assert read.data.geometry.area.sum() == pytest.approx(1_000_000, rel=1e-3)


@pytest.mark.parametrize(
    ("units", "options", "message"),
    [
        ("grid:500", {"level": "9"}, "--units grid:500 is a grid, which has none"),
        ("units.geojson", {"area": "area.geojson"}, "--area is the study area of a grid"),
        ("hex:300", {}, "a grid needs a study area; give --area, or the cameras"),
    ],
)
def test_units_options_that_do_not_go_together(units, options, message):
    with pytest.raises(InputError, match=message):
        units_spec(units, **options)


def test_units_spec_is_the_path_it_comes_from(tmp_path: Path):
    assert units_spec("units.geojson") == "units.geojson"
    level = units_spec(tmp_path / "area.gpkg", level=10)
    assert Path(level) == tmp_path / "area.gpkg"  # what the manifest records and hashes
    assert str(level) == f"{tmp_path / 'area.gpkg'} (admin_level 10)"
    grid = units_spec("hex:250", cameras=tmp_path / "cams.geojson")
    assert Path(grid) == tmp_path / "cams.geojson"
    assert str(grid) == f"hex:250 over {tmp_path / 'cams.geojson'}"


def test_cli_area_without_a_grid_exits_2(area: Path, tmp_path: Path, equity_logger):
    result = _run(
        [
            "analyze",
            "--cameras",
            str(area),
            "--units",
            str(area),
            "--units-level",
            "10",
            "--area",
            str(area),
            "--out",
            str(tmp_path / "o"),
        ]
    )
    assert result.exit_code == 2
    assert "--area is the study area of a grid" in result.stderr


def test_fetch_over_http_from_a_local_server(osm_server, tmp_path: Path, equity_logger):
    """The same, with osmnx's real requests to a local server that answers with the recordings."""
    result = _run(["fetch", "--place", TOWN, "--out", str(tmp_path / "town")])
    assert result.exit_code == 0, result.output
    assert osm_server.requests[0] == ("GET", "/search", TOWN)
    assert sorted(r[2] for r in osm_server.requests[1:]) == sorted(name for _, name in osm_server.LAYERS)
    assert {r[:2] for r in osm_server.requests[1:]} == {("POST", "/interpreter")}
    area = tmp_path / "town" / "area.gpkg"
    assert sorted(units_from_file(UnitsSpec(source=area, level="10")).data["unit_id"]) == BARRIOS
    again = _run(["fetch", "--place", TOWN, "--out", str(tmp_path / "again")])
    assert again.exit_code == 0, again.output
    assert len(osm_server.requests) == 6  # the second download came from osmnx's cache


# ---------------------------------------------------------------------------------------------------------------
# clip_to_place: drawn subdivisions of a place and their neighbours


@settings(max_examples=30, deadline=None)
@given(
    cuts=st.lists(st.integers(1, 19), min_size=1, max_size=6, unique=True),
    overlap=st.floats(0.0, 0.009),
)
def test_subdivisions_are_kept_whole_and_neighbours_left_out(cuts, overlap):
    """Strips that tile the place are all kept and add up to it; a neighbour beside it, overlapping it by less than
    1 % of either area, is left out."""
    w, s, e, n = -78.52, -0.23, -78.50, -0.215
    xs = [w, *sorted(w + c / 20 * (e - w) for c in cuts), e]  # strips at least a 20th of the place wide
    strips = [shapely.box(a, s, b, n) for a, b in itertools.pairwise(xs)]
    depth = overlap * (n - s)  # the neighbour's overlap, a share of the place's height and of its own
    neighbour = shapely.box(w, s - (n - s) + depth, e, s + depth)
    boundaries = gpd.GeoDataFrame(
        {"osm_id": [f"relation/{i}" for i in range(len(strips) + 1)]},
        geometry=[*strips, neighbour],
        crs=4326,
    )
    place = gpd.GeoDataFrame(geometry=[shapely.box(w, s, e, n)], crs=4326)
    kept, rejected, counts = clip_to_place(boundaries, place, "test")
    assert sorted(kept["osm_id"]) == sorted(f"relation/{i}" for i in range(len(strips)))
    assert [r[1] for r in rejected] == [f"relation/{len(strips)}"]
    outline = to_metric(place, kept.crs).geometry.iloc[0]
    assert kept.geometry.area.sum() == pytest.approx(outline.area, rel=1e-6)
    assert counts == {"boundaries_clipped": 0, "boundaries_outside_place": 1}
