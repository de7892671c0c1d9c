"""fetch_place offline: recorded Nominatim and Overpass answers served by osmnx's own response cache.

Each test gets an empty osmnx cache folder in tmp_path and writes the recorded answers (tests/data/fetch/)
into it under the file names osmnx computes for the requests it will make, so that osmnx runs its real code
path and reads them back instead of reaching the servers (tests/fetch_recordings.py). The network is blocked: a
cache miss fails the test at once, naming the request osmnx tried to send.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
from pathlib import Path

import geopandas as gpd
import osmnx as ox
import pyogrio
import pytest
import requests
import shapely
from click.testing import CliRunner

from equity._errors import InputError, InputFileError, InputFormatError, OutputError
from equity.cli import cli
from equity.io import cameras_from_file
from equity.io.fetch import AREA_LAYERS, ATTRIBUTION, fetch_place
from equity.io.units import area_layer
from tests.fetch_recordings import (
    PLACE,
    POINT_ONLY,
    UNKNOWN,
    Network,
    Recorder,
    camera_nodes,
    equity_logger,
    network,
    osm,
    osmnx_settings,
    recorded,
)

__all__ = ["equity_logger", "network", "osm"]  # fixtures


# ---------------------------------------------------------------------------------------------------------
# the files written


def test_fetch_writes_the_files(osm: Recorder, network: Network, tmp_path: Path):
    osm.place()
    before = osmnx_settings()
    out = tmp_path / "new" / "folder"
    written = fetch_place(PLACE, out)
    assert list(written) == ["cameras.geojson", "boundary.geojson", "fetch.json", "area.gpkg"]
    assert all(p == out / name and p.is_file() and p.stat().st_size > 0 for name, p in written.items())
    assert sorted(p.name for p in out.iterdir()) == sorted(written)  # no temporary file left behind
    assert network.requests == []  # everything came from the recorded answers
    assert osmnx_settings() == before  # fetch_place leaves osmnx's settings alone


def test_cameras_read_back_with_the_same_ids_and_tags(osm: Recorder, tmp_path: Path):
    osm.place()
    written = fetch_place(PLACE, tmp_path / "out")
    read = cameras_from_file(written["cameras.geojson"])
    expected = camera_nodes(recorded("overpass_cameras.json"))
    assert read.meta["format"] == "geojson"
    assert list(read.data["camera_id"]) == sorted(expected)
    assert dict(zip(read.data["camera_id"], read.data["tags"], strict=True)) == expected
    assert read.rejected.empty
    first = read.data.set_index("camera_id").geometry["node/11000001"]
    assert (first.x, first.y) == (-78.513, -0.2205)


def test_camera_mapped_as_a_way_is_not_a_camera(osm: Recorder, tmp_path: Path, caplog: pytest.LogCaptureFixture):
    osm.place()
    with caplog.at_level(logging.WARNING, logger="equity"):
        written = fetch_place(PLACE, tmp_path / "out")
    cameras = json.loads(written["cameras.geojson"].read_text(encoding="utf-8"))
    ids = [f["properties"]["@id"] for f in cameras["features"]]
    assert "way/22000001" not in ids
    assert all(i.startswith("node/") for i in ids)
    assert {f["geometry"]["type"] for f in cameras["features"]} == {"Point"}
    assert "Hotel Ejemplo" not in written["cameras.geojson"].read_text(encoding="utf-8")
    assert any("way/22000001" in r.getMessage() for r in caplog.records)


def test_fetch_json_has_provenance_attribution_and_counts(osm: Recorder, tmp_path: Path):
    osm.place()
    start = dt.datetime.now(dt.UTC).replace(microsecond=0)
    written = fetch_place(PLACE, tmp_path / "out")
    prov = json.loads(written["fetch.json"].read_text(encoding="utf-8"))
    assert prov["attribution"] == ATTRIBUTION == "© OpenStreetMap contributors, ODbL 1.0"
    assert prov["place"] == PLACE
    assert prov["counts"] == {
        "cameras": 4,
        "cameras_not_points": 1,
        **dict.fromkeys(("boundaries", "buildings", "streets", "landuse"), 0),
        **{f"{name}_left_out": 0 for name in ("boundaries", "buildings", "streets", "landuse")},
        "buildings_not_polygons": 0,
    }
    assert prov["osm_timestamp"] == "2025-03-14T09:26:53Z"  # the osm3s timestamp_osm_base of the answers
    assert prov["cameras_not_points"] == ["way/22000001"]
    assert prov["osmnx_version"] == ox.__version__
    assert prov["endpoints"] == {"nominatim": ox.settings.nominatim_url, "overpass": ox.settings.overpass_url}
    assert prov["boundary"]["osm_id"] == "way/912345678"
    assert prov["files"] == ["cameras.geojson", "boundary.geojson", "fetch.json", "area.gpkg"]
    when = dt.datetime.strptime(prov["downloaded_at"], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=dt.UTC)
    assert start <= when <= dt.datetime.now(dt.UTC)
    cameras = json.loads(written["cameras.geojson"].read_text(encoding="utf-8"))
    assert cameras["copyright"] == ATTRIBUTION


def test_boundary_is_the_nominatim_polygon(osm: Recorder, tmp_path: Path):
    osm.place()
    written = fetch_place(PLACE, tmp_path / "out")
    boundary = gpd.read_file(written["boundary.geojson"])
    assert len(boundary) == 1  # osmnx picks the polygon result, not the bus stop of the same name
    assert boundary.crs.to_epsg() == 4326
    expected = shapely.geometry.shape(recorded("nominatim_plaza.json")[0]["geojson"])
    assert boundary.geometry.iloc[0].equals(expected)
    assert boundary.loc[0, "@id"] == "way/912345678"
    assert boundary.loc[0, "display_name"] == "Plaza Ejemplo, Villa Muestra, Ecuador"


def test_buildings_when_asked(osm: Recorder, tmp_path: Path):
    osm.place(buildings=recorded("overpass_buildings.json"))
    written = fetch_place(PLACE, tmp_path / "out", buildings=True)
    assert list(written) == ["cameras.geojson", "boundary.geojson", "buildings.geojson", "fetch.json", "area.gpkg"]
    footprints = gpd.read_file(written["buildings.geojson"])
    assert sorted(footprints["@id"]) == ["way/22000101", "way/22000102"]  # the kiosk node is not a footprint
    assert set(footprints.geom_type) == {"Polygon"}
    assert set(footprints["building"]) == {"civic", "apartments"}
    prov = json.loads(written["fetch.json"].read_text(encoding="utf-8"))
    assert prov["counts"]["buildings"] == 2
    assert prov["counts"]["buildings_not_polygons"] == 1
    assert prov["queries"]["buildings"] == {"building": True}


def test_no_buildings_mapped_is_an_empty_layer(osm: Recorder, tmp_path: Path):
    osm.place(buildings={"version": 0.6, "elements": []})
    written = fetch_place(PLACE, tmp_path / "out", buildings=True)
    assert json.loads(written["buildings.geojson"].read_text(encoding="utf-8"))["features"] == []
    assert json.loads(written["fetch.json"].read_text(encoding="utf-8"))["counts"]["buildings"] == 0


def test_a_second_download_replaces_the_files(osm: Recorder, tmp_path: Path):
    osm.place()
    out = tmp_path / "out"
    first = fetch_place(PLACE, out)
    (out / "cameras.geojson").write_text("stale", encoding="utf-8")
    second = fetch_place(PLACE, out)
    assert first == second
    assert cameras_from_file(out / "cameras.geojson").data["camera_id"].tolist()[0] == "node/11000001"


# ---------------------------------------------------------------------------------------------------------
# errors: one sentence naming the place


def test_unknown_place_is_an_input_error(osm: Recorder, tmp_path: Path):
    osm.nominatim(UNKNOWN, [])
    out = tmp_path / "out"
    with pytest.raises(InputError, match="Nominatim found no place called 'Atlantis, Nowhere Land'"):
        fetch_place(UNKNOWN, out)
    assert not out.exists()


def test_a_failed_download_leaves_earlier_files_alone(osm: Recorder, tmp_path: Path):
    osm.place()
    osm.nominatim(UNKNOWN, [])
    out = tmp_path / "out"
    fetch_place(PLACE, out)
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    with pytest.raises(InputError):
        fetch_place(UNKNOWN, out)
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before


def test_place_known_only_as_a_point(osm: Recorder, tmp_path: Path):
    osm.nominatim(POINT_ONLY, recorded("nominatim_point_only.json"))
    with pytest.raises(InputError, match=r"'Fuente Ejemplo, Villa Muestra' only as a point"):
        fetch_place(POINT_ONLY, tmp_path / "out")


def test_no_cameras_mapped(osm: Recorder, tmp_path: Path):
    osm.place(cameras={"version": 0.6, "elements": []})
    with pytest.raises(InputFormatError, match=r"No cameras are mapped in 'Plaza Ejemplo, Villa Muestra'"):
        fetch_place(PLACE, tmp_path / "out")
    assert not (tmp_path / "out").exists()


def test_only_ways_tagged_as_cameras(osm: Recorder, tmp_path: Path):
    answer = recorded("overpass_cameras.json")
    answer["elements"] = [el for el in answer["elements"] if "tags" not in el or el["type"] == "way"]
    osm.place(cameras=answer)
    with pytest.raises(InputFormatError, match=r"No cameras are mapped in .*1 ways or relations"):
        fetch_place(PLACE, tmp_path / "out")


def test_no_network(osm: Recorder, network: Network, tmp_path: Path):
    osm.nominatim(PLACE, recorded("nominatim_plaza.json"))  # the boundary is cached, the cameras are not
    network.down = True
    with pytest.raises(InputFileError, match=r"cameras of 'Plaza Ejemplo, Villa Muestra': Overpass .* cannot be"):
        fetch_place(PLACE, tmp_path / "out")
    assert network.requests[-1] == f"post {ox.settings.overpass_url}/interpreter"


def test_no_network_for_nominatim(osm: Recorder, network: Network, tmp_path: Path):
    network.down = True  # osmnx pauses 1 s before each Nominatim request, as its usage policy asks
    with pytest.raises(InputFileError, match=r"boundary of 'Plaza Ejemplo, Villa Muestra': Nominatim"):
        fetch_place(PLACE, tmp_path / "out")


def test_server_error(osm: Recorder, network: Network, tmp_path: Path):
    osm.nominatim(PLACE, recorded("nominatim_plaza.json"))
    answer = requests.Response()
    answer.status_code, answer.reason = 500, "Internal Server Error"
    answer.url = ox.settings.overpass_url + "/interpreter"
    answer._content = b"<html><body><h1>500 Internal Server Error</h1></body></html>"
    network.answer = answer
    with pytest.raises(InputFileError, match=r"Overpass .* answered with an error \(.*500 Internal Server Error\)"):
        fetch_place(PLACE, tmp_path / "out")


def test_output_folder_is_a_file(osm: Recorder, tmp_path: Path):
    osm.place()
    (tmp_path / "taken").write_text("x", encoding="utf-8")
    with pytest.raises(OutputError, match="not a folder"):
        fetch_place(PLACE, tmp_path / "taken")


def test_empty_place_name(osm: Recorder, tmp_path: Path):
    with pytest.raises(InputError, match="empty"):
        fetch_place("  ", tmp_path / "out")


# ---------------------------------------------------------------------------------------------------------
# the command line


def test_cli_fetch(osm: Recorder, tmp_path: Path, equity_logger):
    osm.place()
    out = tmp_path / "out"
    result = CliRunner().invoke(cli, ["fetch", "--place", PLACE, "--out", str(out)], obj={})
    assert result.exit_code == 0, result.output
    assert f"Wrote {out / 'cameras.geojson'}" in result.stdout
    assert (out / "fetch.json").is_file()


def test_cli_fetch_unknown_place_exits_2(osm: Recorder, tmp_path: Path, equity_logger):
    osm.nominatim(UNKNOWN, [])
    result = CliRunner().invoke(cli, ["fetch", "--place", UNKNOWN, "--out", str(tmp_path / "out")], obj={})
    assert result.exit_code == 2
    assert "equity: error: Nominatim found no place called 'Atlantis, Nowhere Land'" in result.stderr
    assert "Traceback" not in result.output


# ---------------------------------------------------------------------------------------------------------
# date-like tag values stay text (GDAL would read them as dates)


def test_date_tags_read_back_unchanged(osm: Recorder, tmp_path: Path):
    answer = recorded("overpass_cameras.json")
    answer["elements"][0]["tags"]["survey:date"] = "2023-04-18"
    osm.place(cameras=answer)
    written = fetch_place(PLACE, tmp_path / "out")
    read = cameras_from_file(written["cameras.geojson"])
    assert dict(zip(read.data["camera_id"], read.data["tags"], strict=True)) == camera_nodes(answer)


# ---------------------------------------------------------------------------------------------------------
# live


@pytest.mark.network
def test_fetch_live_vatican_city(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setattr(ox.settings, "cache_folder", tmp_path / "osmnx-cache")
    written = fetch_place("Vatican City", tmp_path / "out")
    prov = json.loads(written["fetch.json"].read_text(encoding="utf-8"))
    read = cameras_from_file(written["cameras.geojson"])
    assert len(read.data) == prov["counts"]["cameras"] > 0
    assert all(cid.startswith("node/") for cid in read.data["camera_id"])
    assert gpd.read_file(written["boundary.geojson"]).geom_type.isin(["Polygon", "MultiPolygon"]).all()
    # the whole area: every layer, the OSM data's date, and at least the country's own boundary (admin_level 2)
    area = written["area.gpkg"]
    assert [name for name, _ in pyogrio.list_layers(area)] == list(AREA_LAYERS)
    assert dt.datetime.strptime(prov["osm_timestamp"], "%Y-%m-%dT%H:%M:%SZ")
    assert "2" in set(area_layer(area, "boundaries")["admin_level"])
    assert len(area_layer(area, "buildings")) > 0
