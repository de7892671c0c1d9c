"""Plate readers on the street graph: known answers on small graphs for the matching, the direction read, the
roads logged and the cordons; the columns of a whole study with streets."""

from __future__ import annotations

import json
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from hypothesis import given
from hypothesis import settings as hsettings
from hypothesis import strategies as st
from shapely import LineString, Point, box

from equity.cameras import normalise_cameras
from equity.network import network_from_lines
from equity.roads import cordons, match_readers, road_findings, roads_by_unit, segment_headings
from equity.settings import Settings

#: UTM zone 10 N, around San Francisco; the test's local origin.
CRS = "EPSG:32610"
X0, Y0 = 550_000.0, 4_180_000.0


def _lines(*coords: list[tuple[float, float]]) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(geometry=[LineString([(X0 + x, Y0 + y) for x, y in c]) for c in coords], crs=CRS)


def _readers(*items: tuple[float, float, str | None]) -> gpd.GeoDataFrame:
    """Plate readers at local (x, y) with a direction tag (or none)."""
    tags = []
    for _x, _y, direction in items:
        t = {"man_made": "surveillance", "surveillance:type": "ALPR", "surveillance": "public"}
        if direction is not None:
            t["direction"] = direction
        tags.append(t)
    raw = gpd.GeoDataFrame(
        {"camera_id": [f"node/{i + 1}" for i in range(len(items))], "tags": tags},
        geometry=[Point(X0 + x, Y0 + y) for x, y, _ in items],
        crs=CRS,
    )
    return normalise_cameras(raw)


def _unit() -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame({"unit_id": ["Square"]}, geometry=[box(X0, Y0, X0 + 200, Y0 + 200)], crs=CRS)


@pytest.fixture
def tee() -> gpd.GeoDataFrame:
    """A unit (the 200 m square) with two roads into it: A from the west along y = 100 and B from the north along
    x = 100, meeting at (100, 100) inside, where a dead end C runs south to (100, 20)."""
    return _lines([(-200, 100), (100, 100)], [(100, 100), (100, 400)], [(100, 100), (100, 20)])


def test_graph_is_noded_and_merged() -> None:
    # two lines crossing in a plus, and a line continued by another end to end (merged into one segment)
    net = network_from_lines(_lines([(0, -50), (0, 50)], [(-50, 0), (50, 0)], [(50, 0), (80, 0)]))
    assert len(net.nodes) == 5  # the crossing and four ends
    assert len(net.edges) == 4
    assert sorted(np.round(net.edges["length_m"], 6)) == [50, 50, 50, 80]
    assert net.nodes["degree"].max() == 4


def test_two_entrances_one_logged(tee: gpd.GeoDataFrame) -> None:
    net = network_from_lines(tee)
    # 8 m north of A, facing west: it faces the traffic coming from the west, which drives east, into the unit
    views = _readers((-50, 108, "W"))
    table, findings, _ = road_findings(views, net, _unit(), Settings())
    row = table.iloc[0]
    assert row["entrances"] == 2
    assert row["entrances_logged"] == 1
    assert row["exits_logged"] == 0
    assert not bool(row["cordoned"])
    assert findings.cordoned == []
    # the unlogged crossing is B, where it meets the boundary at (100, 185): the unit shrunk by 15 m
    unlogged = findings.unlogged
    assert len(unlogged) == 1
    p = unlogged.geometry.iloc[0]
    assert (p.x - X0, p.y - Y0) == pytest.approx((100, 185))
    # roads: A inside is 100 m, B 100 m, C 80 m; the logged segment is A
    assert row["road_m"] == pytest.approx(280)
    assert row["roads_logged_m"] == pytest.approx(100)
    assert row["roads_logged_share"] == pytest.approx(100 / 280)
    assert np.isnan(row["roads_logged_share_by_class"])  # the lines have no class


def test_both_entrances_logged_is_a_cordon(tee: gpd.GeoDataFrame) -> None:
    net = network_from_lines(tee)
    # on B, facing north: it reads the traffic coming south, into the unit
    views = _readers((-50, 108, "W"), (108, 300, "N"))
    table, findings, counts = road_findings(views, net, _unit(), Settings())
    assert table.iloc[0]["entrances_logged"] == 2
    assert bool(table.iloc[0]["cordoned"])
    assert findings.cordoned == ["Square"]
    assert findings.unlogged.empty
    assert counts["units_cordoned"] == 1


def test_receding_readers_log_the_way_out(tee: gpd.GeoDataFrame) -> None:
    net = network_from_lines(tee)
    views = _readers((-50, 108, "W"), (108, 300, "N"))
    table, _, _ = road_findings(views, net, _unit(), Settings(alpr_reads="receding"))
    row = table.iloc[0]
    assert (row["entrances_logged"], row["exits_logged"]) == (0, 2)
    assert not bool(row["cordoned"])
    # the roads logged in at least one direction do not depend on the convention
    assert row["roads_logged_m"] == pytest.approx(200)


def test_reader_without_direction_logs_both_ways(tee: gpd.GeoDataFrame) -> None:
    net = network_from_lines(tee)
    readers, unmatched = match_readers(_readers((-50, 108, None)), net)
    assert unmatched.empty
    assert readers["reads"].tolist() == ["both"]
    table, _ = cordons(net, readers, _unit())
    assert (table.iloc[0]["entrances_logged"], table.iloc[0]["exits_logged"]) == (1, 1)


def test_unmatched_readers_are_listed_with_reasons(tee: gpd.GeoDataFrame) -> None:
    net = network_from_lines(tee)
    # facing north 8 m from A, which runs east-west: the reader does not look along it; 50 m from any road
    views = _readers((-50, 108, "N"), (-100, 160, "W"))
    readers, unmatched = match_readers(views, net)
    assert readers.empty
    reasons = dict(zip(unmatched["record"], unmatched["reason"], strict=True))
    assert reasons["node/1"].startswith("plate reader: no road segment within 30 m runs along its direction")
    assert (
        unmatched.set_index("record").loc["node/1", "value"]
        == "nearest segment 8 m away at 90° to the reader's direction"
    )
    assert reasons["node/2"] == "plate reader: no road segment within 30 m"


def test_a_unit_without_roads_in_has_no_answer(tee: gpd.GeoDataFrame) -> None:
    net = network_from_lines(tee)
    far = gpd.GeoDataFrame({"unit_id": ["Empty"]}, geometry=[box(X0 + 1000, Y0, X0 + 1200, Y0 + 200)], crs=CRS)
    table, crossings = cordons(net, _readers((-50, 108, "W")).iloc[:0].pipe(lambda v: match_readers(v, net)[0]), far)
    assert table.iloc[0]["entrances"] == 0
    assert pd.isna(table.iloc[0]["cordoned"])
    assert crossings.empty
    roads, _ = roads_by_unit(net, match_readers(_readers((-50, 108, "W")), net)[0], far)
    assert roads.iloc[0]["road_m"] == 0
    assert np.isnan(roads.iloc[0]["roads_logged_share"])  # no road: unknown, not 0


def test_road_classes_weigh_the_share() -> None:
    lines = _lines([(-200, 100), (100, 100)], [(100, 100), (100, 400)], [(100, 100), (100, 20)])
    lines["road_class"] = ["primary", "residential", "residential"]
    net = network_from_lines(lines)
    views = _readers((-50, 108, "W"))
    table, _, _ = road_findings(views, net, _unit(), Settings())
    # A (primary, weight 4) logged: 4 x 100 / (4 x 100 + 1 x 100 + 1 x 80)
    assert table.iloc[0]["roads_logged_share_by_class"] == pytest.approx(400 / 580)


def test_footways_are_not_roads() -> None:
    lines = _lines([(-200, 100), (100, 100)], [(100, 100), (100, 400)], [(100, 100), (100, 20)])
    lines["road_class"] = ["residential", "footway", "residential"]
    net = network_from_lines(lines)
    table, _, _ = road_findings(_readers((-50, 108, "W")), net, _unit(), Settings())
    # B is a footway: no car enters on it, so the one road entrance is logged and the unit is cordoned
    assert table.iloc[0]["entrances"] == 1
    assert bool(table.iloc[0]["cordoned"])
    assert table.iloc[0]["road_m"] == pytest.approx(180)


@hsettings(max_examples=40, deadline=None)
@given(
    x=st.floats(-180, 80),
    offset=st.floats(-29, 29),
    direction=st.floats(0, 359.9),
)
def test_matching_properties(x: float, offset: float, direction: float) -> None:
    """A reader near A is matched within 30 m and only when it looks along A (within 45 degrees of its axis); the
    direction it logs is the one its facing implies."""
    net = network_from_lines(_lines([(-200, 100), (100, 100)], [(100, 100), (100, 400)], [(100, 100), (100, 20)]))
    views = _readers((x, 100 + offset, f"{direction:.1f}"))
    readers, unmatched = match_readers(views, net)
    assert len(readers) + len(unmatched) == 1
    if len(readers):
        r = readers.iloc[0]
        assert r["distance_m"] <= 30 + 1e-9
        assert r["angle_deg"] <= 45 + 1e-9
        if r["edge_id"] == int(net.edges.index[net.edges.geometry.centroid.y.round(3) == Y0 + 100][0]):
            # A runs west to east or east to west; an approaching reader facing west logs eastbound travel
            a = net.edges.geometry.iloc[int(r["edge_id"])]
            eastward = shapely.get_coordinates(a)[-1, 0] > shapely.get_coordinates(a)[0, 0]
            facing_west = np.cos(np.radians(direction - 270)) > 0
            assert (r["reads"] == "forward") == (facing_west == eastward)


def test_study_with_streets_writes_the_columns(tmp_path: Path) -> None:
    """A whole study through the command line: units.csv gets the columns, rejected.csv the unmatched reader."""
    from click.testing import CliRunner

    from equity.cli import cli

    to4326 = lambda g: gpd.GeoSeries(g, crs=CRS).to_crs(4326)  # noqa: E731
    streets = gpd.GeoDataFrame(
        geometry=to4326(_lines([(-200, 100), (100, 100)], [(100, 100), (100, 400)], [(100, 100), (100, 20)]).geometry)
    )
    streets.to_file(tmp_path / "streets.geojson", driver="GeoJSON")
    units = gpd.GeoDataFrame(
        {"name": ["Square", "East"]},
        geometry=to4326([box(X0, Y0, X0 + 200, Y0 + 200), box(X0 + 200, Y0, X0 + 400, Y0 + 200)]),
    )
    units.to_file(tmp_path / "units.geojson", driver="GeoJSON")
    pts = to4326([Point(X0 - 50, Y0 + 108), Point(X0 + 108, Y0 + 300), Point(X0 + 300, Y0 + 100)])
    nodes = "".join(
        f'<node id="{i + 1}" version="1" lat="{p.y:.7f}" lon="{p.x:.7f}">'
        '<tag k="man_made" v="surveillance"/><tag k="surveillance:type" v="ALPR"/>'
        f'<tag k="direction" v="{d}"/></node>'
        for i, (p, d) in enumerate(zip(pts, ["W", "N", "W"], strict=True))
    )
    (tmp_path / "cameras.osm").write_text(f'<?xml version="1.0"?><osm version="0.6">{nodes}</osm>', encoding="utf-8")
    res = CliRunner().invoke(
        cli,
        [
            "analyze",
            "--cameras",
            str(tmp_path / "cameras.osm"),
            "--units",
            str(tmp_path / "units.geojson"),
            "--unit-id",
            "name",
            "--streets",
            str(tmp_path / "streets.geojson"),
            "--out",
            str(tmp_path / "out"),
            "--no-sensitivity",
            "--map-assets",
            "cdn",
        ],
        obj={},
    )
    assert res.exit_code == 0, res.output
    u = pd.read_csv(tmp_path / "out" / "units.csv").set_index("unit_id")
    assert u.loc["Square", "entrances"] == 2
    assert u.loc["Square", "entrances_logged"] == 2
    assert u.loc["Square", "cordoned"] in (True, "True", "yes")
    assert pd.isna(u.loc["East", "cordoned"])  # no road enters it
    rejected = pd.read_csv(tmp_path / "out" / "rejected.csv")
    assert (rejected["record"] == "node/3").sum() == 1
    manifest = json.loads((tmp_path / "out" / "manifest.json").read_text())
    assert manifest["counts"]["units_cordoned"] == 1


def test_map_layer_draws_logged_roads_and_cordons(tee: gpd.GeoDataFrame) -> None:
    """The folium layer (for the map): the logged segment, the cordoned unit's outline with its name escaped, and
    no unlogged entrance when every entrance is logged; an unlogged entrance drawn when one is not."""
    import folium

    from equity.presentation.roadmap import roads_layer

    net = network_from_lines(tee)
    unit = _unit().assign(unit_id=["<img src=x onerror=alert(1)>"])
    table, findings, _ = road_findings(_readers((-50, 108, "W"), (108, 300, "N")), net, unit, Settings())
    units = unit.join(table)
    m = folium.Map()
    roads_layer(findings, units).add_to(m)
    html = m.get_root().render()
    assert html.count("Road segment logged by a plate reader") == 2
    assert "every road entrance is logged by a plate reader" in html
    assert "<img src=x" not in html
    assert "\\u0026lt;img src=x" in html  # escaped for HTML, then written into the layer's JSON
    assert "road entrance not logged inward" not in html
    table, findings, _ = road_findings(_readers((-50, 108, "W")), net, unit, Settings())
    m = folium.Map()
    roads_layer(findings, unit.join(table)).add_to(m)
    html = m.get_root().render()
    assert "road entrance not logged inward" in html
    assert "every road entrance is logged" not in html


def test_one_way_streets(tee: gpd.GeoDataFrame) -> None:
    """B is one way out of the unit (drawn from the inside north, oneway=yes): it is no entrance, so the unit is
    cordoned by the reader on A alone; a reader on B logs the one direction B's traffic travels, whichever way
    it faces; and a -1 drawn the other way means the same."""
    lines = tee.assign(oneway=[0, 1, 0])
    net = network_from_lines(lines)
    table, findings, _ = road_findings(_readers((-50, 108, "W"), (108, 300, "N")), net, _unit(), Settings())
    row = table.iloc[0]
    assert (row["entrances"], row["entrances_logged"]) == (1, 1)
    assert bool(row["cordoned"])
    # the reader on B faces north, so by the approaching rule it would read southbound (inward) traffic; B only
    # carries northbound traffic, which it logs: an exit logged outward
    assert row["exits_logged"] == 1
    on_b = findings.readers.set_index("camera_id").loc["node/2"]
    assert on_b["reads"] in ("forward", "backward")
    reversed_b = gpd.GeoDataFrame(
        geometry=[*tee.geometry[:1], LineString([(X0 + 100, Y0 + 400), (X0 + 100, Y0 + 100)]), tee.geometry[2]],
        crs=CRS,
    ).assign(oneway=[0, -1, 0])
    again, _, _ = road_findings(
        _readers((-50, 108, "W"), (108, 300, "N")), network_from_lines(reversed_b), _unit(), Settings()
    )
    assert again.iloc[0][["entrances", "entrances_logged", "exits_logged"]].tolist() == [1, 1, 1]


def test_oneway_tags_as_mappers_write_them() -> None:
    from equity.io.streets import oneway_of

    assert [oneway_of({"oneway": v}) for v in ("yes", "1", "true", "-1", "reverse", "no", "reversible")] == [
        1,
        1,
        1,
        -1,
        -1,
        0,
        0,
    ]
    assert oneway_of({"junction": "roundabout", "highway": "primary"}) == 1
    assert oneway_of({"junction": "roundabout", "oneway": "no"}) == 0  # the tag wins over the implied value
    assert oneway_of({"highway": "residential"}) == 0


def test_street_readers_keep_highway_and_oneway(tmp_path: Path) -> None:
    """An OSM file's ways and a line layer's columns give the road class and the one-way direction."""
    from equity.io import streets_from_file

    osm = (
        '<?xml version="1.0"?><osm version="0.6">'
        '<node id="1" version="1" lat="37.770" lon="-122.420"/><node id="2" version="1" lat="37.770" lon="-122.410"/>'
        '<node id="3" version="1" lat="37.780" lon="-122.410"/>'
        '<way id="10" version="1"><nd ref="1"/><nd ref="2"/><tag k="highway" v="primary"/>'
        '<tag k="oneway" v="-1"/></way>'
        '<way id="11" version="1"><nd ref="2"/><nd ref="3"/><tag k="highway" v="residential"/></way>'
        "</osm>"
    )
    (tmp_path / "streets.osm").write_text(osm, encoding="utf-8")
    read = streets_from_file(tmp_path / "streets.osm").data.set_index("street_id")
    assert read.loc["way/10", ["highway", "oneway"]].tolist() == ["primary", -1]
    assert read.loc["way/11", ["highway", "oneway"]].tolist() == ["residential", 0]
    layer = gpd.GeoDataFrame(
        {"highway": ["secondary", None], "oneway": ["yes", None]},
        geometry=[LineString([(-122.42, 37.77), (-122.41, 37.77)]), LineString([(-122.41, 37.77), (-122.41, 37.78)])],
        crs=4326,
    )
    layer.to_file(tmp_path / "streets.geojson", driver="GeoJSON")
    read = streets_from_file(tmp_path / "streets.geojson").data
    assert read["highway"].iloc[0] == "secondary"
    assert pd.isna(read["highway"].iloc[1])
    assert read["oneway"].tolist() == [1, 0]


@hsettings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 2**31 - 1), share=st.floats(0, 1))
def test_cordon_properties_on_random_grids(seed: int, share: float) -> None:
    """On a jittered grid with a random unit and readers on a random share of the segments: the logged entrances
    are some of the entrances, cordoned means all of them, every unlogged entrance is listed, and readers logging
    both ways on every crossing segment make a cordon."""
    rng = np.random.default_rng(seed)
    xy = {(i, j): (i * 100 + rng.uniform(-25, 25), j * 100 + rng.uniform(-25, 25)) for i in range(7) for j in range(7)}
    lines = [[xy[i, j], xy[i + 1, j]] for i in range(6) for j in range(7)]
    lines += [[xy[i, j], xy[i, j + 1]] for i in range(7) for j in range(6)]
    net = network_from_lines(_lines(*[c for c in lines if rng.uniform() > 0.1]))
    x0, y0 = rng.uniform(50, 250, 2)
    unit = gpd.GeoDataFrame({"unit_id": ["u"]}, geometry=[box(X0 + x0, Y0 + y0, X0 + x0 + 300, Y0 + y0 + 300)], crs=CRS)
    on = np.flatnonzero(rng.uniform(size=len(net.edges)) < share)
    fwd = rng.uniform(size=len(on)) < 0.5
    readers = pd.DataFrame(
        {"edge_id": on, "camera_id": [f"c{i}" for i in on], "logs_forward": fwd, "logs_backward": ~fwd}
    )
    table, crossings = cordons(net, readers, unit)
    row = table.iloc[0]
    assert 0 <= row["entrances_logged"] <= row["entrances"] == crossings["inward"].sum()
    assert (row["entrances"] - row["entrances_logged"]) == (crossings["inward"] & ~crossings["logged_in"]).sum()
    if row["entrances"] == 0:
        assert pd.isna(row["cordoned"])
    else:
        assert bool(row["cordoned"]) == (row["entrances_logged"] == row["entrances"])
    every = pd.DataFrame(
        {
            "edge_id": crossings["edge_id"].to_numpy(),
            "camera_id": "all",
            "logs_forward": True,
            "logs_backward": True,
        }
    )
    full, _ = cordons(net, every, unit)
    assert full.iloc[0]["entrances"] == row["entrances"]
    assert pd.isna(full.iloc[0]["cordoned"]) or bool(full.iloc[0]["cordoned"])


def test_segment_headings_known_answers():
    from equity.presentation.roadmap import compass_point

    x0, y0 = 550_000.0, 4_180_000.0
    lines = [
        [(0, 0), (0, 100)],  # north
        [(0, 0), (100, 0)],  # east
        [(0, 0), (-70, -70)],  # south-west
        [(0, 0), (50, 10), (0, 100)],  # bent, but leads north
    ]
    seg = gpd.GeoDataFrame(geometry=[LineString([(x0 + x, y0 + y) for x, y in c]) for c in lines], crs=CRS)
    heading = segment_headings(seg)
    assert compass_point(heading).tolist() == [0, 2, 5, 0]
    # 50 km east of the zone's central meridian grid north is a fraction of a degree off true north, and the
    # heading of a segment drawn due grid north is corrected by exactly that
    from equity.projection import grid_north_offset

    offset = grid_north_offset(gpd.GeoSeries([Point(x0, y0 + 50)], crs=CRS))[0]
    assert 0.1 < abs(offset) < 1
    assert heading[0] == pytest.approx((-offset) % 360)


@given(st.floats(-1_000, 1_000), st.floats(-1_000, 1_000))
@hsettings(max_examples=50, deadline=None)
def test_a_reversed_segment_heads_the_other_way(dx, dy):
    if abs(dx) + abs(dy) < 1:
        return
    x0, y0 = 550_000.0, 4_180_000.0
    seg = gpd.GeoDataFrame(
        geometry=[LineString([(x0, y0), (x0 + dx, y0 + dy)]), LineString([(x0 + dx, y0 + dy), (x0, y0)])],
        crs=CRS,
    )
    a, b = segment_headings(seg)
    assert abs(((a - b) % 360) - 180) < 1e-6


def test_logged_segments_carry_the_heading_of_travel_forward(tee: gpd.GeoDataFrame) -> None:
    """A's reader, facing west, logs the eastbound traffic; B's, facing north, the southbound: the heading of the
    direction each segment is logged in (forward: ``heading_deg``, backward: + 180°) is east and south."""
    net = network_from_lines(tee)
    _, findings, _ = road_findings(_readers((-50, 108, "W"), (108, 300, "N")), net, _unit(), Settings())
    seg = findings.segments
    assert len(seg) == 2
    logged = np.where(seg["logged_forward"], seg["heading_deg"], (seg["heading_deg"] + 180) % 360)
    assert sorted(np.round(logged).tolist()) == [90, 180]  # grid north is under a degree off true north there
