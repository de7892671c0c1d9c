"""Inputs and output folders of the wrong type or shape, given to the installed command as a user gives them:
each stops with one sentence and exit code 2 (or is read, where it is valid), never an internal error.

Deeply nested JSON, Overpass members of the wrong JSON type, a number as Overpass's timestamp, NaN coordinates,
3D units, crime dates pandas cannot hold, DEMs that cannot be brought to the study's CRS, output names and
folders that cannot be written as given.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import warnings
from pathlib import Path

import pytest

DATA = Path(__file__).parent / "data"
READERS = DATA / "readers"
EQUITY = str(Path(sys.executable).with_name("equity"))

GOOD = {
    "--cameras": READERS / "cameras.osm",
    "--units": READERS / "units.geojson",
    "--crime": READERS / "crime.csv",
    "--population": "pop",
}


def equity(*args: str | Path, timeout: int = 300) -> subprocess.CompletedProcess:
    return subprocess.run([EQUITY, *map(str, args)], capture_output=True, text=True, check=False, timeout=timeout)


def analyze(out: Path, *extra: str | Path, **replace: str | Path) -> subprocess.CompletedProcess:
    options = {**GOOD, **{f"--{k}": v for k, v in replace.items()}}
    args: list[str | Path] = ["analyze"]
    for key, value in options.items():
        args += [key, value]
    return equity(*args, *extra, "--no-sensitivity", "--map-assets", "cdn", "--out", out)


def one_sentence(run: subprocess.CompletedProcess, name: str | Path, expected: str) -> str:
    """Exit code 2 and one line 'equity: error: <name>: ...' that says ``expected``."""
    assert run.returncode == 2, run.stderr
    lines = run.stderr.strip().splitlines()
    assert len(lines) == 1, run.stderr
    assert lines[0].startswith(f"equity: error: {name}"), lines[0]
    assert expected in lines[0], lines[0]
    assert "Traceback" not in run.stderr
    return lines[0]


# ---- 8. the output of `equity cameras` -------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["cams.gpkg", "cams.v2.gpkg", "cams.v2.geojson"])
def test_cameras_command_writes_a_geopackage_whatever_its_name(tmp_path, name):
    import pyogrio

    out = tmp_path / name
    run = equity("cameras", READERS / "cameras.osm", "-o", out)
    assert run.returncode == 0, run.stderr
    layers = [layer for layer, _ in pyogrio.list_layers(out)]
    assert len(layers) == 1
    assert pyogrio.read_info(out, layer=layers[0])["features"] >= 8
    assert [p.name for p in tmp_path.iterdir()] == [name]  # no temporary file left


def _read_only_folder(tmp_path: Path) -> Path:
    """A folder that cannot be written: by permissions, or (for root, whom permissions do not stop) a read-only
    mount; the test is skipped when neither can be had."""
    folder = tmp_path / "ro"
    folder.mkdir()
    folder.chmod(0o555)
    if not os.access(folder, os.W_OK):
        return folder
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", "ro,size=64k", "tmpfs", str(folder)], check=False)
    if mounted.returncode != 0:
        pytest.skip("no read-only folder to be had (root, and no mount)")
    return folder


@pytest.mark.parametrize("name", ["views.csv", "views.gpkg"])
def test_cameras_command_into_a_read_only_folder(tmp_path, name):
    folder = _read_only_folder(tmp_path)
    try:
        run = equity("cameras", READERS / "cameras.osm", "-o", folder / name)
        one_sentence(run, folder / name, "cannot write the output (")
        assert list(folder.iterdir()) == []
    finally:
        subprocess.run(["umount", str(folder)], check=False, capture_output=True)
        folder.chmod(0o755)


# ---- 9. the output folder of `equity analyze` ------------------------------------------------------------------


def test_output_folder_that_is_a_loop_of_links(tmp_path):
    (tmp_path / "a").symlink_to(tmp_path / "b")
    (tmp_path / "b").symlink_to(tmp_path / "a")
    run = analyze(tmp_path / "a")
    one_sentence(run, tmp_path / "a", "is a symbolic link that leads to no folder (a loop of links")
    run = analyze(tmp_path / "a" / "sub")
    one_sentence(run, tmp_path / "a" / "sub", "cannot create the output folder (Too many levels of symbolic links)")


def test_output_folder_with_a_name_too_long(tmp_path):
    out = tmp_path / ("o" * 300)
    run = analyze(out)
    one_sentence(run, out, "cannot be used as the output folder (File name too long)")


@pytest.mark.parametrize("kind", ["latin-1", "folder"])
def test_manifest_that_is_not_text_or_is_a_folder(tmp_path, kind):
    out = tmp_path / "out"
    out.mkdir()
    if kind == "folder":
        (out / "manifest.json").mkdir()
        why = "is a directory"
    else:
        (out / "manifest.json").write_bytes(b'\xff\xfe{"inputs": "\xe9"}')
        why = "not UTF-8 text"
    run = analyze(out)
    one_sentence(run, out, f"its manifest.json cannot be read as an equity manifest ({why}); choose another --out")
    assert sorted(p.name for p in out.iterdir()) == ["manifest.json"]


# ---- 1-3. JSON: nesting, Overpass members of the wrong type, the timestamp --------------------------------------

CAMERA = {"type": "node", "id": 1, "lat": 37.7120, "lon": -122.4160, "tags": {"man_made": "surveillance"}}
RING = [{"lat": 37.710, "lon": -122.410}, {"lat": 37.710, "lon": -122.409}, {"lat": 37.711, "lon": -122.409}]
BUILDING = {"type": "way", "id": 7, "tags": {"building": "yes"}, "geometry": [*RING, RING[0]]}


def overpass(path: Path, elements: list, **extra: object) -> Path:
    path.write_text(json.dumps({"version": 0.6, **extra, "elements": elements}), encoding="utf-8")
    return path


@pytest.mark.parametrize(
    "text",
    [
        "[" * 100_000 + "]" * 100_000,
        '{"elements": ' + "[" * 100_000 + "]" * 100_000 + "}",
        '{"type": "FeatureCollection", "features": ' + "[" * 100_000 + "]" * 100_000 + "}",
    ],
    ids=["array", "overpass", "geojson"],
)
def test_json_nested_too_deep(tmp_path, text):
    cams = tmp_path / "deep.json"
    cams.write_text(text, encoding="utf-8")
    one_sentence(equity("cameras", cams), cams, "nested too deep")
    one_sentence(analyze(tmp_path / "out", cameras=cams), cams, "nested too deep")


def test_overpass_cameras_with_members_and_tags_of_the_wrong_type(tmp_path):
    cams = overpass(
        tmp_path / "cams.json",
        [
            CAMERA,
            5,
            "node",
            {**CAMERA, "id": 2, "tags": ["man_made", "surveillance"]},
            {**CAMERA, "id": 3, "tags": "man_made=surveillance"},
        ],
    )
    out = tmp_path / "out"
    run = analyze(out, cameras=cams)
    assert run.returncode == 0, run.stderr
    rejected = (out / "rejected.csv").read_text(encoding="utf-8")
    assert "cams.json,element 1,not a JSON object,5" in rejected
    assert "cams.json,node/2,tags are not a JSON object" in rejected
    assert "cams.json,node/3,tags are not a JSON object" in rejected


@pytest.mark.parametrize(
    "elements",
    [
        [5, "way", None],
        [{**BUILDING, "tags": ["building"]}],
        [{**BUILDING, "tags": "building=yes"}],
        [{**BUILDING, "geometry": [{"lat": "north", "lon": "west"}] * 4}],
        [{**BUILDING, "geometry": [{"lat": [1], "lon": {}}] * 4}],
        [{"type": "way", "id": 8, "tags": {"building": "yes"}, "nodes": [[1], [2]]}],
        [{"type": "node", "id": [1], "lat": 1, "lon": 2}],
        [{"type": "node", "id": 1, "lat": "a", "lon": "b"}, {**BUILDING, "geometry": None, "nodes": [1, 1, 1, 1]}],
        [{"type": "relation", "id": 9, "tags": {"building": "yes"}, "members": 5}],
        [{"type": "relation", "id": 9, "tags": {"building": "yes"}, "members": [5, {"type": "way", "geometry": 1}]}],
    ],
    ids=[
        "elements",
        "tags-list",
        "tags-text",
        "coordinates-text",
        "coordinates-objects",
        "node-refs-lists",
        "node-id-list",
        "node-lat-text",
        "members-number",
        "member-number",
    ],
)
def test_overpass_buildings_with_members_of_the_wrong_type(tmp_path, elements):
    from equity.io import buildings_from_file

    path = overpass(tmp_path / "buildings.json", [BUILDING, *elements])
    read = buildings_from_file(path)  # the good building is read; the others are skipped or listed
    assert len(read.data) == 1


@pytest.mark.parametrize("osm3s", [{"timestamp_osm_base": 1704067200}, 5, ["2024-01-01T00:00:00Z"]])
def test_overpass_timestamp_that_is_not_text(tmp_path, osm3s):
    cams = overpass(tmp_path / "cams.json", [CAMERA], osm3s=osm3s)
    for run in (equity("cameras", cams), analyze(tmp_path / "out", cameras=cams)):
        one_sentence(run, cams, "osm3s")
    buildings = overpass(tmp_path / "buildings.json", [BUILDING], osm3s=osm3s)
    one_sentence(analyze(tmp_path / "out2", "--buildings", buildings), buildings, "osm3s")


# ---- 4-6. NaN coordinates, 3D units, crime dates beyond pandas' range -----------------------------------------


def _units_frame():
    import geopandas as gpd

    return gpd.read_file(READERS / "units.geojson")


def test_cameras_with_a_nan_coordinate_in_a_geopackage(tmp_path):
    import geopandas as gpd
    from shapely.geometry import Point

    cams = gpd.read_file(READERS / "cameras.gpkg")
    cams.geometry = [Point(float("nan"), 37.7), *cams.geometry.iloc[1:]]
    path = tmp_path / "cams.gpkg"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # GDAL's remark on the NaN
        cams.to_file(path)
    out = tmp_path / "out"
    run = analyze(out, cameras=path)
    assert run.returncode == 0, run.stderr
    assert "cams.gpkg,12491811189,coordinate is not a number" in (out / "rejected.csv").read_text(encoding="utf-8")


@pytest.mark.parametrize("suffix", ["geojson", "gpkg"])
def test_units_with_a_nan_coordinate(tmp_path, suffix):
    path = tmp_path / f"units.{suffix}"
    if suffix == "geojson":  # as Python's json writes it (GDAL's GeoJSON writer would drop the vertex)
        units = json.loads((READERS / "units.geojson").read_text(encoding="utf-8"))
        units["features"][1]["geometry"]["coordinates"][0][1][1] = float("nan")
        path.write_text(json.dumps(units), encoding="utf-8")
    else:
        import numpy as np
        import shapely

        frame = _units_frame()
        coords = shapely.get_coordinates(frame.geometry.iloc[1])
        coords[1, 1] = np.nan
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # shapely's and GDAL's remarks on the NaN
            frame.loc[1, "geometry"] = shapely.Polygon(coords)
            frame.to_file(path)
    run = analyze(tmp_path / "out", units=path)
    one_sentence(run, path, "feature 2 of the unit layer has a coordinate that is not a number (NaN or infinite)")


@pytest.mark.parametrize("suffix", ["geojson", "gpkg"])
def test_units_in_3d_are_read(tmp_path, suffix):
    import shapely

    units = _units_frame()
    units.geometry = shapely.force_3d(units.geometry.to_numpy(), 12.0)
    units.loc[0, "geometry"] = shapely.MultiPolygon([units.geometry.iloc[0]])
    path = tmp_path / f"units.{suffix}"
    units.to_file(path)
    out = tmp_path / "out"
    run = analyze(out, units=path)
    assert run.returncode == 0, run.stderr
    reference = analyze(tmp_path / "ref")
    assert reference.returncode == 0, reference.stderr
    assert (out / "units.csv").read_text(encoding="utf-8") == (tmp_path / "ref" / "units.csv").read_text(
        encoding="utf-8"
    )


@pytest.mark.parametrize("year", ["3012", "1012", "12012"])
@pytest.mark.parametrize("since", [False, True])
def test_crime_date_beyond_the_years_pandas_holds(tmp_path, year, since):
    text = (READERS / "crime.csv").read_text(encoding="utf-8").replace("2012-07-03", f"{year}-07-03")
    crime = tmp_path / "crime.csv"
    crime.write_text(text, encoding="utf-8")
    out = tmp_path / "out"
    run = analyze(out, *(["--since", "2012-01-01"] if since else []), crime=crime)
    assert run.returncode == 0, run.stderr
    rejected = (out / "rejected.csv").read_text(encoding="utf-8")
    # unreadable, as 2012-13-45 is: left out (and listed) only when a date filter is set
    assert ("crime.csv,line 2,date missing or unreadable (a date filter is set)" in rejected) is since


# ---- 7. a DEM that cannot be placed on the Earth ------------------------------------------------------------------

MARS = (
    'GEOGCRS["Mars 2000",DATUM["D_Mars_2000",ELLIPSOID["Mars_2000_IAU_IAG",3396190,169.894447223612,'
    'LENGTHUNIT["metre",1]]],PRIMEM["Reference_Meridian",0,ANGLEUNIT["degree",0.0174532925199433]],'
    'CS[ellipsoidal,2],AXIS["latitude",north,ORDER[1],ANGLEUNIT["degree",0.0174532925199433]],'
    'AXIS["longitude",east,ORDER[2],ANGLEUNIT["degree",0.0174532925199433]]]'
)


@pytest.mark.parametrize(
    ("crs", "scale", "expected"),
    [
        (MARS, 0.0005, "the DEM's CRS (Mars 2000) has no transformation to the study's CRS on the Earth"),
        ("EPSG:4326", 0.0, "the DEM's georeferencing gives its pixels no size"),
    ],
    ids=["another planet", "pixels of no height"],
)
def test_a_dem_that_cannot_be_placed_on_the_earth(tmp_path, crs, scale, expected):
    import numpy as np
    import rasterio
    from affine import Affine

    dem = tmp_path / "dem.tif"
    with rasterio.open(
        dem,
        "w",
        driver="GTiff",
        width=40,
        height=40,
        count=1,
        dtype="float32",
        crs=crs,
        transform=Affine(0.0005, 0, -122.43, 0, -scale, 37.72),
    ) as out:
        out.write(np.full((40, 40), 10, "float32"), 1)
    one_sentence(analyze(tmp_path / "out", "--dem", dem), dem, expected)


# ---- valid input once refused: a bzip2 file of several streams ----------------------------------------------------


def test_an_osm_file_compressed_in_several_bzip2_streams_is_read(tmp_path):
    """pbzip2 and lbzip2 write one bzip2 stream per block; pyosmium reads only the first of them."""
    import bz2

    xml = (READERS / "cameras.osm").read_bytes()
    cut = len(xml) // 2
    multi = tmp_path / "cameras.osm.bz2"
    multi.write_bytes(bz2.compress(xml[:cut]) + bz2.compress(xml[cut:]))
    out = tmp_path / "cameras.csv"
    run = equity("cameras", multi, "-o", out)
    assert run.returncode == 0, run.stderr
    single = tmp_path / "single.csv"
    assert equity("cameras", READERS / "cameras.osm", "-o", single).returncode == 0
    assert out.read_text() == single.read_text()
    assert not list(Path(tempfile.gettempdir()).glob("equity-bz2-*"))


# ---- too slow once: many cameras on one point ---------------------------------------------------------------------


def test_many_cameras_on_one_point_are_counted_once_as_a_place():
    """The nearest other camera is found over distinct places, and the union of views takes each distinct polygon
    once (the speed is in the closing note: 100,000 cameras on one point took 67 s, now 10 s); the figures are
    those of one camera on that point."""
    import geopandas as gpd

    from equity.anomalies import nearest_other
    from equity.coverage import union_of_views

    n = 20_000
    cams = gpd.GeoDataFrame(geometry=gpd.points_from_xy([0.0] * n + [30.0], [0.0] * n + [40.0]), crs=3857)
    assert set(nearest_other(cams).tolist()) == {50.0}
    squares = gpd.GeoSeries.from_xy([0.0] * n, [0.0] * n).buffer(10, cap_style="square").to_numpy()
    assert union_of_views(squares).area == pytest.approx(400.0)


# ---- attributes that are lists (found by tests/test_fuzz_structure.py) ------------------------------------------


@pytest.mark.parametrize("layer", ["cameras", "units"])
def test_a_property_that_is_a_list_is_read_as_its_text(tmp_path, layer):
    """A GeoJSON property holding a list (GDAL reads it as a list) failed inside pandas for every reader."""
    from equity.io import cameras_from_file, units_from_file

    name = "cameras_plain.geojson" if layer == "cameras" else "units.geojson"
    data = json.loads((READERS / name).read_text())
    data["features"][0]["properties"]["note"] = [1, 2]
    data["features"][1]["properties"]["id" if layer == "cameras" else "pop"] = []
    path = tmp_path / name
    path.write_text(json.dumps(data))
    if layer == "cameras":
        result = cameras_from_file(path)
        assert result.data["tags"].iloc[0]["note"] == "[1, 2]"
    else:
        result = units_from_file(path)
        assert result.data["note"].iloc[0] == "[1, 2]"


# ---- a very long field in a CSV ----------------------------------------------------------------------------------


def test_a_csv_field_longer_than_many_blocks_is_read(tmp_path):
    """A field of 5 MB (read in blocks of 1 MB) with a Windows-1252 line after it: both rows, the text kept.
    The reader gathers a long line block by block and decodes it once (an 80 MB field took 47 s, now 1.2 s:
    the closing note's figures)."""
    from equity.io import crime_from_file

    path = tmp_path / "crime.csv"
    with path.open("wb") as out:
        out.write(b"id,lon,lat,category,date,note\n")
        out.write(b"1,-122.42,37.709,robbery,2024-01-01," + b"x" * 5_000_000 + b"\n")
        out.write("2,-122.42,37.709,robbery,2024-01-02,caf\u00e9\n".encode("cp1252"))
    result = crime_from_file(path)
    assert len(result.data) == 2
    assert result.counts["csv_read_as_cp1252"] == 1
