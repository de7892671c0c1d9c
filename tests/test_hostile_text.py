"""Text from a user or a file is data in every output, never code: a study's name with template syntax."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

READERS = Path(__file__).parent / "data" / "readers"
EQUITY = str(Path(sys.executable).with_name("equity"))


@pytest.mark.parametrize(
    "name",
    [
        "{{ 7 * 7 }} {{ cycler.__init__.__globals__.os.getcwd() }}",  # runs Python when taken as a template
        "{% for x in range(3) %}loop{% endfor %}",  # a statement
        "{% if %}",  # a broken statement: a template engine raises on it
    ],
)
def test_a_name_with_template_syntax_is_written_as_text(tmp_path, name):
    out = tmp_path / "out"
    inputs = ["--cameras", str(READERS / "cameras.osm"), "--units", str(READERS / "units.geojson")]
    run = subprocess.run(
        [EQUITY, "analyze", *inputs, "--name", name, "--out", str(out), "--map-assets", "cdn", "--no-sensitivity"],
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )
    assert run.returncode == 0, run.stderr
    page = (out / "map.html").read_text()
    escaped = name.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")
    escaped = escaped.replace("'", "&#x27;")
    assert f"<title>{escaped}</title>" in page
    assert "49" not in page.split("<title>")[1].split("</title>")[0]
    assert str(Path.cwd()) not in page
    assert "looploop" not in page
    assert escaped in (out / "report.html").read_text()


def test_text_that_a_spreadsheet_would_run_and_terminal_escapes_are_neutralised(tmp_path):
    """Unit names and tag values that begin like a formula reach every CSV with a leading apostrophe (the
    GeoPackage keeps them raw); a unit name with a terminal escape reaches no output and no terminal with it;
    a unit layer that has a ``unit_id`` column of its own besides the id column chosen is read."""
    import json

    import pandas as pd
    import pyogrio

    units = json.loads((READERS / "units.geojson").read_text())
    names = ["@SUM(1+1)", "Bad\x1b]0;pwned\x07 unit", "-2+3"]
    for feature, name in zip(units["features"], names, strict=False):
        feature["properties"]["name"] = name
        feature["properties"]["unit_id"] = 7  # the same for all: not the id column
    (tmp_path / "units.geojson").write_text(json.dumps(units))
    cameras = (READERS / "cameras.csv").read_text().splitlines()
    header = cameras[0].split(",")
    rows = [line.split(",") for line in cameras[1:]]
    for row in rows:
        row[header.index("operator")] = "=cmd|' /C calc'!A0"
    (tmp_path / "cameras.csv").write_text("\n".join([",".join(header)] + [",".join(r) for r in rows]) + "\n")
    out = tmp_path / "out"
    inputs = ["--cameras", str(tmp_path / "cameras.csv"), "--units", str(tmp_path / "units.geojson")]
    run = subprocess.run(
        [EQUITY, "analyze", *inputs, "--unit-id", "name", "--out", str(out), "--map-assets", "cdn", "--no-sensitivity"],
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )
    assert run.returncode == 0, run.stderr
    assert "\x1b" not in run.stdout + run.stderr
    for name in ("units.csv", "cameras.csv", "operators.csv", "operators_by_unit.csv", "rejected.csv"):
        text = (out / name).read_text()
        assert "\x1b" not in text
        table = pd.read_csv(out / name, dtype=str, keep_default_na=False)
        for col in table.columns:
            text_cells = table[col][pd.to_numeric(table[col], errors="coerce").isna()]  # numbers are numbers
            assert not text_cells.str.startswith(("=", "+", "-", "@")).any(), (name, col)
    unit_ids = pd.read_csv(out / "units.csv", dtype=str)["unit_id"].tolist()
    assert unit_ids[:3] == ["'@SUM(1+1)", "Bad ]0;pwned unit", "'-2+3"]
    assert "'=cmd|' /C calc'!A0" in pd.read_csv(out / "operators.csv", dtype=str)["operator"].tolist()
    raw = pyogrio.read_dataframe(out / "units.gpkg")
    assert raw["unit_id"].tolist()[:3] == ["@SUM(1+1)", "Bad ]0;pwned unit", "-2+3"]


def _dem_study_args(tmp_path, dem):
    inputs = ["--cameras", str(READERS / "cameras.osm"), "--units", str(READERS / "units.geojson")]
    return [EQUITY, "analyze", *inputs, "--dem", str(dem), "--out", str(tmp_path / "out"), "--no-sensitivity"]


def test_a_dem_that_is_a_virtual_raster_of_another_file_is_refused(tmp_path):
    """A GDAL VRT can read any file of the machine as elevations (a raw band): refused, one sentence, exit 2."""
    secret = tmp_path / "elsewhere" / "secret.bin"
    secret.parent.mkdir()
    secret.write_bytes(bytes(range(256)) * 400)
    dem = tmp_path / "dem" / "dem.vrt"
    dem.parent.mkdir()
    dem.write_text(
        '<VRTDataset rasterXSize="200" rasterYSize="200"><SRS>EPSG:4326</SRS>'
        "<GeoTransform>-122.43, 0.0001, 0, 37.72, 0, -0.0001</GeoTransform>"
        '<VRTRasterBand dataType="Byte" band="1" subClass="VRTRawRasterBand">'
        f'<SourceFilename relativetoVRT="0">{secret}</SourceFilename><ImageOffset>0</ImageOffset>'
        "<PixelOffset>1</PixelOffset><LineOffset>200</LineOffset></VRTRasterBand></VRTDataset>"
    )
    run = subprocess.run(_dem_study_args(tmp_path, dem), capture_output=True, text=True, check=False, timeout=300)
    assert run.returncode == 2, run.stderr
    assert run.stderr.strip().splitlines() == [
        f"equity: error: {dem}: a VRT raster reads its cells from other files or from the network, which equity "
        "does not do; give the DEM as a raster file that holds its own cells (a GeoTIFF, made for example with "
        "gdal_translate)."
    ]
    assert not (tmp_path / "out" / "units.csv").exists()


def test_a_dem_that_reads_from_the_network_makes_no_request(tmp_path, http_server):
    """A VRT whose source is a URL (GDAL's /vsicurl/): no request reaches the server, and the DEM is refused."""
    base, requests = http_server
    dem = tmp_path / "dem.vrt"
    dem.write_text(
        '<VRTDataset rasterXSize="200" rasterYSize="200"><SRS>EPSG:4326</SRS>'
        "<GeoTransform>-122.43, 0.0001, 0, 37.72, 0, -0.0001</GeoTransform>"
        f'<VRTRasterBand dataType="Float32" band="1"><SimpleSource><SourceFilename relativeToVRT="0">/vsicurl/{base}'
        "/dem.tif</SourceFilename><SourceBand>1</SourceBand></SimpleSource></VRTRasterBand></VRTDataset>"
    )
    run = subprocess.run(_dem_study_args(tmp_path, dem), capture_output=True, text=True, check=False, timeout=300)
    assert run.returncode == 2, run.stderr
    assert "reads its cells from other files or from the network" in run.stderr
    assert requests == []


def test_a_layer_that_is_a_gdal_virtual_data_source_is_refused(tmp_path):
    """An OGR VRT named like GML would read another file (here a CSV elsewhere) as the units: refused."""
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    ring = "-122.43 37.70,-122.40 37.70,-122.40 37.72,-122.43 37.72,-122.43 37.70"
    (elsewhere / "secret.csv").write_text(f'WKT,name\n"POLYGON(({ring}))",x\n')
    units = tmp_path / "units.gml"
    units.write_text(
        '<OGRVRTDataSource><OGRVRTLayer name="units">'
        f'<SrcDataSource relativeToVRT="0">{elsewhere / "secret.csv"}</SrcDataSource>'
        '<GeometryField encoding="WKT" field="WKT"/><LayerSRS>EPSG:4326</LayerSRS>'
        "</OGRVRTLayer></OGRVRTDataSource>\n"
    )
    out = tmp_path / "out"
    run = subprocess.run(
        [EQUITY, "analyze", "--cameras", str(READERS / "cameras.osm"), "--units", str(units), "--out", str(out)],
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )
    assert run.returncode == 2, run.stderr
    assert run.stderr.strip().splitlines() == [
        f"equity: error: {units}: a GDAL virtual dataset (VRT), which reads its features or cells from other files "
        "or from the network; equity does not read it: give the layer itself (GeoJSON, GeoPackage, ...)."
    ]


def _geopackage_with_view(tmp_path, name, *views):
    """The fixture's camera GeoPackage whose one registered layer is the view ``name``, made of ``views``."""
    import shutil
    import sqlite3

    path = tmp_path / "cameras.gpkg"
    shutil.copy(READERS / "cameras.gpkg", path)
    conn = sqlite3.connect(path)
    for sql in views:
        conn.execute(sql)
    conn.execute("DELETE FROM gpkg_geometry_columns WHERE table_name = 'cameras'")
    conn.execute("DELETE FROM gpkg_contents WHERE table_name = 'cameras'")
    conn.execute(
        "INSERT INTO gpkg_contents (table_name, data_type, identifier, srs_id) VALUES (?, 'features', ?, 32610)",
        (name, name),
    )
    conn.execute("INSERT INTO gpkg_geometry_columns VALUES (?, 'geom', 'POINT', 32610, 0, 0)", (name,))
    conn.commit()
    conn.close()
    return path


ENDLESS = (
    "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n{where}) "
    "SELECT n.i AS fid, c.geom, c.id FROM n, cameras c"
)
JOINS = ", ".join(f"cameras c{i}" for i in range(12))  # 8 rows to the 12th power


@pytest.mark.parametrize(
    ("name", "views", "reason"),
    [
        ("v", ["CREATE VIEW v AS SELECT * FROM cameras", "DROP VIEW v", "CREATE VIEW v AS SELECT * FROM v"], "itself"),
        (
            "a",
            [
                "CREATE VIEW a AS SELECT * FROM cameras",
                "CREATE VIEW b AS SELECT * FROM a",
                "DROP VIEW a",
                "CREATE VIEW a AS SELECT * FROM b",
            ],
            "itself",
        ),
        ("endless", ["CREATE VIEW endless AS " + ENDLESS.format(where="")], "no end to its rows"),
        ("joins", [f"CREATE VIEW joins AS SELECT c0.fid, c0.geom, c0.id FROM {JOINS}"], "no end to its rows"),
        (
            "gdal",  # a condition on a function of GDAL's that SQLite alone does not know
            ["CREATE VIEW gdal AS " + ENDLESS.format(where=" WHERE ST_MinX(NULL) IS NOT NULL")],
            "recursive query that calls functions of GDAL's",
        ),
    ],
    ids=["self", "pair", "recursive", "joins", "gdal-functions"],
)
def test_a_geopackage_whose_view_has_no_end_is_refused_within_seconds(tmp_path, name, views, reason):
    """A layer that is a circular view, or a view whose rows never end, would keep GDAL reading: one sentence."""
    import time

    cameras = _geopackage_with_view(tmp_path, name, *views)
    start = time.perf_counter()
    run = subprocess.run([EQUITY, "cameras", str(cameras)], capture_output=True, text=True, check=False, timeout=60)
    assert time.perf_counter() - start < 20
    assert run.returncode == 2, run.stderr
    lines = run.stderr.strip().splitlines()
    assert len(lines) == 1, run.stderr
    assert lines[0].startswith(f"equity: error: {cameras}: the GeoPackage's view "), lines[0]
    assert reason in lines[0]


def test_a_geopackage_whose_layer_is_a_plain_view_is_read(tmp_path):
    """A view that ends, even one that calls GDAL's functions, is a layer like a table."""
    cameras = _geopackage_with_view(
        tmp_path, "fixed", "CREATE VIEW fixed AS SELECT * FROM cameras WHERE ST_MinX(geom) IS NOT NULL"
    )
    run = subprocess.run([EQUITY, "cameras", str(cameras)], capture_output=True, text=True, check=False, timeout=60)
    assert run.returncode == 0, run.stderr
    assert run.stdout.startswith(f"{cameras}: 8 cameras")


TITLE = "\x1b]0;title\x07"  # sets a terminal's title; a bell ends it


def _terminal_run(*args: str) -> subprocess.CompletedProcess:
    run = subprocess.run([EQUITY, *args], capture_output=True, text=True, check=False, timeout=300)
    shown = run.stdout + run.stderr
    assert not re.search(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]", shown), shown  # no control character but line ends
    return run


def _csv_cameras(path: Path, **changes: str) -> Path:
    """The fixture's camera CSV with some columns of every row set to a value."""
    lines = (READERS / "cameras.csv").read_text().splitlines()
    header = lines[0].split(",")
    rows = [line.split(",") for line in lines[1:]]
    for row in rows:
        for col, value in changes.items():
            row[header.index(col)] = value
    path.write_text("\n".join([",".join(header)] + [",".join(r) for r in rows]) + "\n")
    return path


def test_text_from_files_reaches_the_terminal_with_its_control_characters_shown(tmp_path):
    """A file name, a tag value, a camera id, a unit name and a GeoPackage layer name holding a terminal escape:
    whatever equity writes to the terminal about them (summaries, warnings, error sentences) shows the escape as
    text (``\\x1b``), and a very long value is shortened."""
    import json
    import shutil
    import sqlite3

    folder = tmp_path / f"in{TITLE}"
    folder.mkdir()
    cameras = _csv_cameras(folder / f"cams{TITLE}.csv", direction=f"north{TITLE}", id=f"node/1{TITLE}")
    run = _terminal_run("cameras", str(cameras))
    assert run.returncode == 2, run.stderr  # the ids are all the same: an error naming one of them
    assert "\\x1b]0;title\\x07" in run.stderr
    cameras = _csv_cameras(folder / f"cams{TITLE}.csv", direction=f"north{TITLE}" + "x" * 5000)
    run = _terminal_run("cameras", str(cameras))
    assert run.returncode == 0, run.stderr
    assert "in\\x1b]0;title\\x07/cams\\x1b]0;title\\x07.csv: 8 cameras" in run.stdout
    assert "is not a direction" in run.stdout  # the tag problem, with the value (cleaned when read)
    assert max(map(len, run.stdout.splitlines())) < 1000
    layered = folder / "layers.gpkg"  # a warning naming a layer
    shutil.copy(READERS / "cameras.gpkg", layered)
    conn = sqlite3.connect(layered)
    conn.execute(f'CREATE TABLE "a{TITLE}" AS SELECT * FROM cameras')
    conn.execute(
        "UPDATE gpkg_contents SET table_name = ?, identifier = ? WHERE table_name = 'cameras'", (f"a{TITLE}",) * 2
    )
    conn.execute("UPDATE gpkg_geometry_columns SET table_name = ? WHERE table_name = 'cameras'", (f"a{TITLE}",))
    conn.execute(
        "INSERT INTO gpkg_contents (table_name, data_type, identifier, srs_id) "
        "VALUES ('cameras', 'features', 'cameras', 32610)"
    )
    conn.execute("INSERT INTO gpkg_geometry_columns VALUES ('cameras', 'geom', 'POINT', 32610, 0, 0)")
    conn.commit()
    conn.close()
    run = _terminal_run("-v", "cameras", str(layered))
    assert run.returncode == 0, run.stderr
    units = json.loads((READERS / "units.geojson").read_text())
    for feature in units["features"]:
        feature["properties"]["name"] = f"Same{TITLE}"
    (folder / "units.geojson").write_text(json.dumps(units))
    run = _terminal_run(
        "analyze",
        "--cameras",
        str(cameras),
        "--units",
        str(folder / "units.geojson"),
        "--unit-id",
        "name",
        "--out",
        str(tmp_path / "out"),
        "--no-sensitivity",
        "--map-assets",
        "cdn",
    )
    assert run.returncode == 2, run.stderr
    assert "'Same" in run.stderr


CAMERA_NODE = b'<node id="1" lat="37.7" lon="-122.4"><tag k="man_made" v="surveillance"/></node>\n'


@pytest.mark.parametrize("streams", [1, 300])
def test_a_small_bzip2_file_that_unpacks_to_a_flood_of_elements_is_refused_fast(tmp_path, streams):
    """A few kilobytes of bzip2 that unpack to 20 MB (one stream) or 300 MB (300 streams, as pbzip2 writes them)
    of one camera node repeated: refused in one sentence as soon as it unpacks to over 100 times its size (it took
    the camera reader more than 2 minutes and 3 GB to read 10 million such nodes)."""
    import bz2
    import time

    head = b'<?xml version="1.0"?>\n<osm version="0.6">\n'
    if streams == 1:
        packed = bz2.compress(head + CAMERA_NODE * (20_000_000 // len(CAMERA_NODE)) + b"</osm>\n")
    else:
        block = bz2.compress(CAMERA_NODE * (1_000_000 // len(CAMERA_NODE)))
        packed = bz2.compress(head) + block * streams + bz2.compress(b"</osm>\n")
    cameras = tmp_path / "cameras.osm.bz2"
    cameras.write_bytes(packed)
    assert cameras.stat().st_size < 200_000
    start = time.perf_counter()
    run = subprocess.run([EQUITY, "cameras", str(cameras)], capture_output=True, text=True, check=False, timeout=60)
    assert time.perf_counter() - start < 20
    assert run.returncode == 2, run.stderr
    assert run.stderr.strip().splitlines() == [
        f"equity: error: {cameras}: it unpacks to more than {16 * 2**20:,} bytes, over 100 times its size; OSM XML "
        "unpacks to 10 to 20 times its size, so this is repeated content, not OSM data (give the OSM file unpacked "
        "if it is real)."
    ]


def _camera(direction: str, **tags: str):
    import geopandas as gpd
    from shapely.geometry import Point

    tags = {
        "man_made": "surveillance",
        "surveillance": "public",
        "camera:type": "fixed",
        "direction": direction,
        **tags,
    }
    return gpd.GeoDataFrame({"camera_id": ["node/1"], "tags": [tags]}, geometry=[Point(551000, 4173000)], crs=32610)


def test_a_camera_tagged_with_many_directions_is_one_view():
    """More than 8 directions: one view all around when their fields cover the circle (at their range), else one
    view that counts toward no coverage; 8 directions stay 8 views."""
    from equity.cameras import MAX_VIEWS_PER_CAMERA, normalise_cameras

    twenty = ";".join(str(18 * i) for i in range(20))
    one = normalise_cameras(_camera(twenty))
    eight = normalise_cameras(_camera(";".join(str(45 * i) for i in range(MAX_VIEWS_PER_CAMERA))))
    assert len(eight) == MAX_VIEWS_PER_CAMERA
    assert eight["in_coverage"].all()
    assert len(one) == 1
    view = one.iloc[0]
    assert view["fov_deg"] == 360.0
    assert view["in_coverage"]
    assert view["range_m"] == eight.iloc[0]["range_m"]  # the range of its 60-degree views, not of a wide lens
    assert "20 directions" in view["issues"]
    assert "all around" in view["issues"]
    narrow = normalise_cameras(_camera(";".join(f"{18 * i}-{18 * i + 5}" for i in range(20))))  # 5 degrees each
    assert len(narrow) == 1
    assert not narrow.iloc[0]["in_coverage"]
    assert narrow.iloc[0]["excluded_reason"].startswith("tagged with 20 directions")


def test_twenty_thousand_cameras_of_twenty_directions_are_twenty_thousand_views(tmp_path):
    """The installed command on a file of cameras tagged with 20 directions each (such a file of 20,000 cameras
    took 239 s through `equity analyze`, now 19 s; see benchmarks/results/many_directions.json)."""
    d = ";".join(str(18 * i) for i in range(20))
    lines = ["id,lon,lat,man_made,surveillance,camera:type,direction"]
    lines += [f"node/{i},{-122.42 + i * 1e-5:.5f},37.71,surveillance,public,fixed,{d}" for i in range(1, 2001)]
    (tmp_path / "cameras.csv").write_text("\n".join(lines) + "\n")
    run = subprocess.run(
        [EQUITY, "cameras", str(tmp_path / "cameras.csv")], capture_output=True, text=True, check=False, timeout=300
    )
    assert run.returncode == 0, run.stderr
    assert run.stdout.startswith(f"{tmp_path / 'cameras.csv'}: 2000 cameras, 2000 views (csv)")


def test_the_sectors_built_at_once_are_those_built_one_by_one():
    """fov_sectors builds every sector in arrays: each polygon is sector_polygon's, to the last bit."""
    import geopandas as gpd
    import numpy as np
    import pandas as pd
    import shapely

    from equity.cameras import fov_sectors, sector_polygon
    from equity.projection import grid_north_offset
    from equity.settings import Settings

    rng = np.random.default_rng(3)
    n = 3000
    points = gpd.points_from_xy(rng.uniform(550_000, 553_000, n), rng.uniform(4_170_000, 4_173_000, n))
    views = gpd.GeoDataFrame(
        {
            "direction_deg": rng.choice([0, 18, 355.5, np.nan, 720, -30], n).astype(float),
            "fov_deg": rng.choice([60, 90, 360, 359.9999999, 1, 0.5, 180, 37.3, np.nan, 400], n),
            "range_m": rng.choice([30, 12.5, np.nan, 100], n),
            "in_coverage": rng.random(n) < 0.9,
        },
        geometry=points,
        crs=32610,
    )
    settings = Settings()
    built = fov_sectors(views, settings).to_numpy()
    offsets = grid_north_offset(views.geometry)
    for i, (pt, off, d, fov, r, use) in enumerate(
        zip(
            views.geometry,
            offsets,
            views["direction_deg"],
            views["fov_deg"],
            views["range_m"],
            views["in_coverage"],
            strict=True,
        )
    ):
        if not use or pd.isna(fov) or pd.isna(r):
            assert built[i] is None
            continue
        bearing = (0.0 if pd.isna(d) else float(d)) + float(off)
        one = sector_polygon(pt.x, pt.y, bearing, float(fov), float(r), settings.arc_segments)
        assert shapely.to_wkb(built[i]) == shapely.to_wkb(one), i


@pytest.fixture
def http_server():
    """A local HTTP server in a thread: its base URL and the list of the paths it was asked for."""
    import http.server
    import threading

    requests: list[str] = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            requests.append(self.path)
            self.send_response(404)
            self.end_headers()

        do_HEAD = do_GET  # noqa: N815 (the name http.server calls)

        def log_message(self, *args):
            pass

    server = http.server.HTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", requests
    finally:
        server.shutdown()
        server.server_close()


def _linked_crs(source: Path, target: Path, url: str) -> Path:
    import json

    data = json.loads(source.read_text())
    data["crs"] = {"type": "link", "properties": {"href": f"{url}/crs.wkt", "type": "ogcwkt"}}
    target.write_text(json.dumps(data))
    return target


@pytest.mark.parametrize(
    ("option", "fixture"),
    [("--units", "units.geojson"), ("--cameras", "cameras_plain.geojson"), ("--crime", "crime_points.geojson")],
)
def test_a_geojson_whose_crs_links_to_a_url_makes_no_request(tmp_path, http_server, option, fixture):
    """A GeoJSON 'crs' member of type link: GDAL fetched the URL (a request reached the server); now the layer is
    refused in one sentence and nothing is asked of the network."""
    url, requests = http_server
    layer = _linked_crs(READERS / fixture, tmp_path / fixture, url)
    inputs = {"--cameras": READERS / "cameras.osm", "--units": READERS / "units.geojson", option: layer}
    args = [arg for pair in inputs.items() for arg in map(str, pair)]
    run = subprocess.run(
        [EQUITY, "analyze", *args, "--out", str(tmp_path / "out"), "--no-sensitivity", "--map-assets", "cdn"],
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )
    assert requests == []
    assert run.returncode == 2, run.stderr
    lines = run.stderr.strip().splitlines()
    assert len(lines) == 1, run.stderr
    assert lines[0].startswith(f"equity: error: {layer}: its 'crs' member links to another document"), lines[0]


def test_gdal_reads_vectors_with_the_network_off(tmp_path, http_server, monkeypatch):
    """The policy itself, below the check of the 'crs' member: pyogrio's GDAL under GDAL_POLICY asks no server
    for a linked CRS, nor for a file through /vsicurl/."""
    import pyogrio
    from pyogrio.errors import DataSourceError

    from equity.io._common import gdal_policy

    url, requests = http_server
    for name in ("no_proxy", "NO_PROXY"):  # a proxy exception for this machine would let the request through
        monkeypatch.delenv(name, raising=False)
    gdal_policy()
    layer = _linked_crs(READERS / "units.geojson", tmp_path / "units.geojson", url)
    pyogrio.read_dataframe(layer)
    with pytest.raises(DataSourceError):
        pyogrio.read_dataframe(f"/vsicurl/{url}/units.geojson")
    assert requests == []
