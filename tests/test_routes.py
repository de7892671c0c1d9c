"""Trips: known answers on a watched street and a parallel unwatched one, the routes checked against networkx on
random grids, and the ``equity route`` command."""

from __future__ import annotations

import json
from pathlib import Path

import geopandas as gpd
import networkx as nx
import numpy as np
import pandas as pd
import pytest
import shapely
from click.testing import CliRunner
from hypothesis import given
from hypothesis import settings as hsettings
from hypothesis import strategies as st
from shapely import LineString, Point, box

from equity.cameras import normalise_cameras
from equity.cli import cli
from equity.network import network_from_lines
from equity.roads import match_readers
from equity.routes import RoutePlanner, route_features, watched_length
from equity.settings import Settings

CRS = "EPSG:32610"
X0, Y0 = 550_000.0, 4_180_000.0


def _lines(*coords: list[tuple[float, float]]) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(geometry=[LineString([(X0 + x, Y0 + y) for x, y in c]) for c in coords], crs=CRS)


def _pt(x: float, y: float) -> Point:
    return Point(X0 + x, Y0 + y)


@pytest.fixture
def parallel() -> gpd.GeoDataFrame:
    """From O (0, 0) to D (1000, 0): a straight street (1,000 m) and a parallel one 100 m north (1,200 m with its
    two ends); a stub beyond each end, so that O and D are intersections."""
    return _lines(
        [(0, 0), (1000, 0)],
        [(0, 0), (0, 100), (1000, 100), (1000, 0)],
        [(-50, 0), (0, 0)],
        [(1000, 0), (1050, 0)],
    )


def _watched(net, polygons) -> np.ndarray:
    return watched_length(net, gpd.GeoSeries(polygons, crs=CRS))


def _alpr(x: float, y: float, direction: str) -> gpd.GeoDataFrame:
    raw = gpd.GeoDataFrame(
        {
            "camera_id": ["node/7"],
            "tags": [{"man_made": "surveillance", "surveillance:type": "ALPR", "direction": direction}],
        },
        geometry=[_pt(x, y)],
        crs=CRS,
    )
    return normalise_cameras(raw)


def test_least_watched_takes_the_parallel_street(parallel: gpd.GeoDataFrame) -> None:
    net = network_from_lines(parallel)
    watched = _watched(net, [box(X0 + 400, Y0 - 20, X0 + 600, Y0 + 20)])  # 200 m of the straight street in view
    planner = RoutePlanner(net, "walk", watched, match_readers(_alpr(300, -8, "W"), net)[0], Settings())
    table, paths = planner.trips(np.array([_pt(0, 0)]), np.array([_pt(1000, 0)]), paths=True)
    r = table.iloc[0]
    assert r["length_m"] == pytest.approx(1000)
    assert r["watched_m"] == pytest.approx(200)
    assert r["watched_share"] == pytest.approx(0.2)
    # W + 0.1 L: 200 + 100 on the straight street, 0 + 120 on the parallel one
    assert r["least_watched_length_m"] == pytest.approx(1200)
    assert r["least_watched_watched_m"] == pytest.approx(0)
    assert r["extra_length_m"] == pytest.approx(200)
    assert r["alpr_passed"] == 1
    assert r["least_watched_alpr_passed"] == 0
    feats = route_features(planner, table, paths)
    assert feats["route"].tolist() == ["shortest", "least_watched"]
    assert feats.geometry.length.tolist() == pytest.approx([1000, 1200])
    assert shapely.get_coordinates(feats.geometry.iloc[1])[0] == pytest.approx([X0, Y0])  # from the origin


def test_a_heavy_length_penalty_keeps_the_shortest_route(parallel: gpd.GeoDataFrame) -> None:
    net = network_from_lines(parallel)
    watched = _watched(net, [box(X0 + 400, Y0 - 20, X0 + 600, Y0 + 20)])
    # lambda = 2: 200 + 2,000 against 0 + 2,400: a metre out of view is not worth two metres of walking
    planner = RoutePlanner(
        net, "walk", watched, match_readers(_alpr(300, -8, "W"), net)[0], Settings(route_length_penalty=2)
    )
    r = planner.trips(np.array([_pt(0, 0)]), np.array([_pt(1000, 0)]))[0].iloc[0]
    assert r["least_watched_length_m"] == pytest.approx(1000)
    assert r["extra_length_m"] == 0


def test_plate_readers_count_in_the_direction_they_log(parallel: gpd.GeoDataFrame) -> None:
    net = network_from_lines(parallel)
    readers = match_readers(_alpr(300, -8, "W"), net)[0]  # faces west: logs eastbound traffic
    zero = np.zeros(len(net.edges))
    drive = RoutePlanner(net, "drive", zero, readers, Settings())
    walk = RoutePlanner(net, "walk", zero, readers, Settings())
    east, west = (np.array([_pt(0, 0)]), np.array([_pt(1000, 0)])), (np.array([_pt(1000, 0)]), np.array([_pt(0, 0)]))
    assert drive.trips(*east)[0].iloc[0]["alpr_passed"] == 1
    assert drive.trips(*west)[0].iloc[0]["alpr_passed"] == 0
    assert walk.trips(*west)[0].iloc[0]["alpr_passed"] == 1  # a walker passes it whatever it logs


def test_a_far_origin_is_not_routed(parallel: gpd.GeoDataFrame) -> None:
    net = network_from_lines(parallel)
    planner = RoutePlanner(
        net, "walk", np.zeros(len(net.edges)), match_readers(_alpr(300, -8, "W"), net)[0], Settings()
    )
    table, _ = planner.trips(np.array([_pt(0, 2000), _pt(0, 0)]), np.array([_pt(1000, 0), _pt(1000, 0)]))
    assert "more than route_snap_m (500 m)" in table.iloc[0]["not_routed"]
    assert np.isnan(table.iloc[0]["length_m"])  # unknown, not 0
    assert table.iloc[1]["length_m"] == pytest.approx(1000)


@hsettings(max_examples=15, deadline=None)
@given(seed=st.integers(0, 2**31 - 1), lam=st.sampled_from([0.05, 0.1, 0.5]))
def test_routes_agree_with_networkx(seed: int, lam: float) -> None:
    """On a jittered 6 x 6 grid with random views: the shortest route has networkx's shortest length, the
    least-watched route networkx's least cost, and it is never more watched nor shorter than the shortest."""
    rng = np.random.default_rng(seed)
    xy = {(i, j): (i * 100 + rng.uniform(-20, 20), j * 100 + rng.uniform(-20, 20)) for i in range(6) for j in range(6)}
    lines = [[xy[i, j], xy[i + 1, j]] for i in range(5) for j in range(6)]
    lines += [[xy[i, j], xy[i, j + 1]] for i in range(6) for j in range(5)]
    lines = [c for c in lines if rng.uniform() > 0.15]
    net = network_from_lines(_lines(*lines))
    views = [shapely.buffer(_pt(*rng.uniform(0, 500, 2)), rng.uniform(10, 80)) for _ in range(5)]
    watched = _watched(net, views)
    planner = RoutePlanner(
        net, "walk", watched, pd.DataFrame(columns=["edge_id", "camera_id"]), Settings(route_length_penalty=lam)
    )
    nodes = planner.snap_nodes
    o, d = rng.choice(nodes, 20), rng.choice(nodes, 20)
    pts = net.nodes.geometry.to_numpy()
    table, _ = planner.trips(pts[o], pts[d])
    g_len = net.to_networkx()
    g_cost = net.to_networkx(watched + lam * net.edges["length_m"].to_numpy())
    for k in range(20):
        r = table.iloc[k]
        assert r["length_m"] == pytest.approx(
            nx.shortest_path_length(g_len, int(o[k]), int(d[k]), weight="weight"), abs=1e-6
        )
        best = nx.shortest_path_length(g_cost, int(o[k]), int(d[k]), weight="weight")
        assert r["least_watched_watched_m"] + lam * r["least_watched_length_m"] == pytest.approx(best, abs=1e-6)
        assert r["least_watched_watched_m"] <= r["watched_m"] + 1e-6
        assert r["extra_length_m"] >= 0


def _write_layers(tmp: Path, parallel: gpd.GeoDataFrame) -> tuple[Path, Path]:
    streets = parallel.to_crs(4326)
    streets.to_file(tmp / "streets.geojson", driver="GeoJSON")
    cams = gpd.GeoSeries([_pt(400, 0), _pt(300, -8)], crs=CRS).to_crs(4326)
    tags = [
        '<tag k="man_made" v="surveillance"/><tag k="surveillance:type" v="camera"/><tag k="camera:type" v="fixed"/>'
        '<tag k="camera:direction" v="90"/>',
        '<tag k="man_made" v="surveillance"/><tag k="surveillance:type" v="ALPR"/><tag k="direction" v="W"/>',
    ]
    nodes = "".join(
        f'<node id="{i + 1}" version="1" lat="{p.y:.7f}" lon="{p.x:.7f}">{t}</node>'
        for i, (p, t) in enumerate(zip(cams, tags, strict=True))
    )
    (tmp / "cameras.osm").write_text(f'<?xml version="1.0"?><osm version="0.6">{nodes}</osm>', encoding="utf-8")
    return tmp / "cameras.osm", tmp / "streets.geojson"


def _lonlat(x: float, y: float) -> str:
    p = gpd.GeoSeries([_pt(x, y)], crs=CRS).to_crs(4326).iloc[0]
    return f"{p.x:.7f},{p.y:.7f}"


def test_route_command(tmp_path: Path, parallel: gpd.GeoDataFrame) -> None:
    cameras, streets = _write_layers(tmp_path, parallel)
    out = tmp_path / "route.geojson"
    args = ["route", "--cameras", str(cameras), "--streets", str(streets), "--from", _lonlat(0, 0)]
    args += ["--to", _lonlat(1000, 0), "--mode", "drive", "-o", str(out), "--map", str(tmp_path / "route.html")]
    res = CliRunner().invoke(cli, args, obj={})
    assert res.exit_code == 0, res.output
    assert "Shortest route (drive): 1,000 m" in res.output
    assert "Least-watched route: 1,200 m (+200 m), 0.0% in view, 0 plate readers passed." in res.output
    feats = json.loads(out.read_text())["features"]
    props = {f["properties"]["route"]: f["properties"] for f in feats}
    assert props["shortest"]["alpr_passed"] == 1
    assert props["shortest"]["length_m"] == pytest.approx(1000, abs=0.5)  # projected there and back
    assert 0 < props["shortest"]["watched_share"] < 1
    assert props["least_watched"]["extra_length_m"] == pytest.approx(200, abs=0.5)
    assert "shortest_in_view" in props
    html = (tmp_path / "route.html").read_text()
    assert "leaflet" in html.lower()
    assert "plate readers passed" in html


def test_route_command_pairs_and_bad_rows(tmp_path: Path, parallel: gpd.GeoDataFrame) -> None:
    cameras, streets = _write_layers(tmp_path, parallel)
    a, b = _lonlat(0, 0).split(","), _lonlat(1000, 0).split(",")
    (tmp_path / "pairs.csv").write_text(
        f"from_lon,from_lat,to_lon,to_lat\n{a[0]},{a[1]},{b[0]},{b[1]}\n{b[0]},{b[1]},{a[0]},{a[1]}\nwest,{a[1]},1,1\n",
        encoding="utf-8",
    )
    out = tmp_path / "trips.csv"
    args = ["route", "--cameras", str(cameras), "--streets", str(streets), "--pairs", str(tmp_path / "pairs.csv")]
    res = CliRunner().invoke(cli, [*args, "-o", str(out)], obj={})
    assert res.exit_code == 0, res.output
    assert "2 of 2 trips routed (walk)" in res.output
    assert "row 4: set aside: from_lon not a number (west)" in res.output
    trips = pd.read_csv(out)
    assert trips["length_m"].round(0).tolist() == [1000, 1000]
    # bad input: a missing column, and a --from that is not LON,LAT: one sentence, exit code 2
    (tmp_path / "bad.csv").write_text("lon,lat\n1,2\n", encoding="utf-8")
    res = CliRunner().invoke(
        cli,
        [
            "route",
            "--cameras",
            str(cameras),
            "--streets",
            str(streets),
            "--pairs",
            str(tmp_path / "bad.csv"),
            "-o",
            str(out),
        ],
        obj={},
    )
    assert res.exit_code == 2
    assert "bad.csv: no column from_lon, from_lat, to_lon, to_lat" in res.output
    res = CliRunner().invoke(
        cli,
        ["route", "--cameras", str(cameras), "--streets", str(streets), "--from", "x", "--to", "1,2", "-o", str(out)],
        obj={},
    )
    assert res.exit_code == 2
    assert "is not LON,LAT" in res.output


def test_many_origins_to_one_destination_search_from_it(parallel: gpd.GeoDataFrame) -> None:
    """With fewer destinations than origins the searches start at the destinations and the routes are reversed:
    the direction of travel (and so the plate readers passed) stays the trip's."""
    net = network_from_lines(parallel)
    readers = match_readers(_alpr(300, -8, "W"), net)[0]  # logs eastbound traffic
    drive = RoutePlanner(net, "drive", np.zeros(len(net.edges)), readers, Settings())
    table, paths = drive.trips(np.array([_pt(0, 0), _pt(-50, 0)]), np.array([_pt(1000, 0), _pt(1000, 0)]), paths=True)
    assert table["length_m"].tolist() == pytest.approx([1000, 1050])
    assert table["alpr_passed"].tolist() == [1, 1]
    line = drive.geometry(paths[1][0])
    assert shapely.get_coordinates(line)[0] == pytest.approx([X0 - 50, Y0])  # starts at the origin


def test_a_process_pool_finds_the_same_routes(monkeypatch: pytest.MonkeyPatch) -> None:
    import equity.routes

    monkeypatch.setattr(equity.routes, "BLOCK", 3)
    rng = np.random.default_rng(3)
    lines = [[(i * 100, j * 100), (i * 100 + 100, j * 100)] for i in range(5) for j in range(6)]
    lines += [[(i * 100, j * 100), (i * 100, j * 100 + 100)] for i in range(6) for j in range(5)]
    net = network_from_lines(_lines(*lines))
    watched = _watched(net, [shapely.buffer(_pt(250, 250), 120)])
    nodes = net.nodes.geometry.to_numpy()
    o, d = nodes[rng.integers(0, len(nodes), 12)], nodes[rng.integers(0, len(nodes), 12)]
    none = pd.DataFrame(columns=["edge_id", "camera_id"])
    one = RoutePlanner(net, "walk", watched, none, Settings()).trips(o, d)[0]
    two = RoutePlanner(net, "walk", watched, none, Settings(), workers=2).trips(o, d)[0]
    pd.testing.assert_frame_equal(one, two)


def test_drive_keeps_to_one_way_streets(parallel: gpd.GeoDataFrame) -> None:
    """The straight street one way east: eastbound cars take it, westbound cars take the parallel street; a
    walker goes straight both ways; the batch from many origins to one destination gives the same routes."""
    net = network_from_lines(parallel.assign(oneway=[1, 0, 0, 0]))
    none = pd.DataFrame(columns=["edge_id", "camera_id"])
    drive = RoutePlanner(net, "drive", np.zeros(len(net.edges)), none, Settings())
    walk = RoutePlanner(net, "walk", np.zeros(len(net.edges)), none, Settings())
    o, d = np.array([_pt(0, 0), _pt(1000, 0)]), np.array([_pt(1000, 0), _pt(0, 0)])
    assert drive.trips(o, d)[0]["length_m"].tolist() == pytest.approx([1000, 1200])
    assert walk.trips(o, d)[0]["length_m"].tolist() == pytest.approx([1000, 1000])
    many = drive.trips(np.array([_pt(1000, 0), _pt(1050, 0)]), np.array([_pt(0, 0), _pt(0, 0)]))[0]
    assert many["length_m"].tolist() == pytest.approx([1200, 1250])
    g = net.to_networkx(usable=drive.usable, oneway=True)
    assert nx.shortest_path_length(g, int(drive.snap(d[:1])[0][0]), int(drive.snap(o[:1])[0][0]), weight="weight") == (
        pytest.approx(1200)
    )


def test_route_map_in_a_browser(tmp_path: Path, parallel: gpd.GeoDataFrame) -> None:
    """route.html in headless Chromium with the network refused: no script error, and moving the mouse onto the
    shortest route shows its tooltip with its length, its share in view and the plate readers it passes."""
    playwright = pytest.importorskip("playwright.sync_api")
    from tests.test_browser import ARGS, _chromium

    cameras, streets = _write_layers(tmp_path, parallel)
    args = ["route", "--cameras", str(cameras), "--streets", str(streets), "--from", _lonlat(0, 0)]
    args += ["--to", _lonlat(1000, 0), "--mode", "drive", "-o", str(tmp_path / "r.geojson")]
    res = CliRunner().invoke(cli, [*args, "--map", str(tmp_path / "route.html")], obj={})
    assert res.exit_code == 0, res.output
    with playwright.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=_chromium(), args=ARGS)
        page = browser.new_page(viewport={"width": 1000, "height": 700})
        errors: list[str] = []
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.route("http://**/*", lambda route: route.abort())
        page.route("https://**/*", lambda route: route.abort())
        page.goto((tmp_path / "route.html").resolve().as_uri())
        page.wait_for_load_state("load")
        shortest = page.locator('path.leaflet-interactive[stroke="#555555"]').first
        box = shortest.bounding_box()
        assert box is not None
        page.mouse.move(box["x"] + 0.15 * box["width"], box["y"] + box["height"] / 2)
        tooltip = page.locator(".leaflet-tooltip")
        tooltip.first.wait_for(timeout=5000)
        text = tooltip.first.inner_text()
        page.screenshot(path=str(tmp_path / "route.png"))
        browser.close()
    assert errors == []
    assert text.startswith("Shortest route: 1,000 m, ")
    assert text.endswith("in view of a camera, plate readers passed: 1")
