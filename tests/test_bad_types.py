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
