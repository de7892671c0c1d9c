"""Known-answer tests of the readers of equity.io on the small fixtures of tests/data/readers (see its README).

Every camera fixture holds the same eight OSM cameras (and one camera mapped as a way, which every reader
must reject), so the readers of the different formats are checked against one table of known answers.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st
from shapely.geometry import box

from equity._errors import CRSError, InputError, InputFileError, InputFormatError
from equity.io import (
    cameras_from_file,
    cameras_from_osm,
    cameras_from_overpass,
    crime_from_file,
    population_layer_from_file,
    units_from_file,
)
from equity.io._common import parse_number, sniff_format
from equity.io.cameras import cameras_from_csv, cameras_from_overpass_elements, cameras_from_vector

OSM_TIMESTAMP = "2025-10-04T09:29:18Z"

#: The cameras of tests/data/readers/cameras.osm, in file order: id -> (lon, lat).
CAMERAS: dict[str, tuple[float, float]] = {
    "node/12491811189": (-122.4131365, 37.7064848),
    "node/13016285538": (-122.4161071, 37.7118499),
    "node/13016285537": (-122.4160391, 37.7120102),
    "node/12706256210": (-122.4049824, 37.7087965),
    "node/12491811185": (-122.4044422, 37.7104136),
    "node/12537824577": (-122.4234023, 37.7093816),
    "node/12922407362": (-122.4239321, 37.7094158),
    "node/12491811184": (-122.4035092, 37.7111616),
}
WAY = "way/1420000001"

#: Every tag of the first camera, which has both ``camera:direction`` and ``direction``.
TAGS_189 = {
    "camera:direction": "355",
    "camera:mount": "pole",
    "camera:type": "fixed",
    "direction": "350",
    "man_made": "surveillance",
    "manufacturer": "Flock Safety",
    "manufacturer:wikidata": "Q108485435",
    "owner": "City of Daly City",
    "owner:wikidata": "Q370925",
    "support": "pole",
    "surveillance": "public",
    "surveillance:brand": "Flock Safety",
    "surveillance:brand:wikidata": "Q108485435",
    "surveillance:electricity": "solar",
    "surveillance:operator": "Daly City Police Department",
    "surveillance:operator:wikidata": "Q120751648",
    "surveillance:type": "ALPR",
    "surveillance:zone": "traffic",
}
#: Tags of a common SFPD licence-plate reader of the fixture (besides ``direction``).
SFPD_TAGS = {
    "camera:mount": "pole",
    "camera:type": "fixed",
    "man_made": "surveillance",
    "manufacturer": "Flock Safety",
    "manufacturer:wikidata": "Q108485435",
    "operator": "San Francisco Police Department",
    "operator:wikidata": "Q1320247",
    "surveillance": "public",
    "surveillance:type": "ALPR",
    "surveillance:zone": "traffic",
}

OSM_FILES = ["cameras.osm", "cameras.osm.bz2", "cameras.osm.pbf"]
SAME_DATA_FILES = [*OSM_FILES, "cameras_overpass.json", "cameras_turbo.geojson", "cameras.csv", "cameras.txt"]


@pytest.fixture
def readers(data_dir: Path) -> Path:
    return data_dir / "readers"


def _coords(result) -> dict[str, tuple[float, float]]:
    data = result.data
    return {cid: (g.x, g.y) for cid, g in zip(data["camera_id"], data.geometry, strict=True)}


def _assert_cameras(result, ids: list[str] | None = None) -> None:
    """The eight cameras, in file order, at their coordinates (to 1e-7 degrees), in WGS84."""
    ids = ids or list(CAMERAS)
    assert result.data["camera_id"].tolist() == ids
    assert result.data.crs.to_epsg() == 4326
    for cid, (lon, lat) in zip(ids, CAMERAS.values(), strict=True):
        geom = result.data.geometry[ids.index(cid)]
        assert geom.x == pytest.approx(lon, abs=1e-7), cid
        assert geom.y == pytest.approx(lat, abs=1e-7), cid


def _tags(result) -> dict[str, dict[str, str]]:
    return dict(zip(result.data["camera_id"], result.data["tags"], strict=True))


def _assert_osm_tags(result) -> None:
    """The tags of the OSM cameras, exactly (no coordinate, id or ``@`` columns among them)."""
    tags = _tags(result)
    assert tags["node/12491811189"] == TAGS_189
    assert tags["node/13016285538"] == {**SFPD_TAGS, "direction": "0;180"}
    assert tags["node/13016285537"] == {**SFPD_TAGS, "direction": "40"}
    assert tags["node/12706256210"] == {**SFPD_TAGS, "direction": "80", "surveillance": "indoor"}
    assert tags["node/12491811185"] == {**SFPD_TAGS, "camera:type": "dome"}
    for cid, direction in [("node/12537824577", "275"), ("node/12922407362", "90"), ("node/12491811184", "5")]:
        assert tags[cid] == {**SFPD_TAGS, "direction": direction}


def _assert_way_rejected(result, name: str, reason: str) -> None:
    rejected = result.rejected
    assert list(rejected.columns) == ["source", "record", "reason", "value"]
    assert rejected["record"].tolist() == [WAY]
    assert rejected["source"].tolist() == [name]
    assert re.search(reason, rejected["reason"].iloc[0])
    assert WAY not in result.data["camera_id"].tolist()


# --- format sniffing -------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "fmt"),
    [
        ("cameras.osm", "osm-xml"),
        ("cameras.osm.bz2", "osm-bz2"),
        ("cameras.osm.pbf", "osm-pbf"),
        ("cameras_overpass.json", "overpass-json"),
        ("cameras_turbo.geojson", "geojson"),
        ("cameras_plain.geojson", "geojson"),
        ("cameras.gpkg", "gpkg"),
        ("cameras.csv", "csv"),
        ("cameras.txt", "csv"),
        ("cameras_semicolon.csv", "csv"),
        ("units_no_crs.shp", "vector"),
        ("no_cameras.osm", "osm-xml"),
    ],
)
def test_sniff_format_reads_the_content(readers, name, fmt):
    assert sniff_format(readers / name) == fmt


def test_sniff_format_ignores_a_misleading_extension(readers, tmp_path):
    for src, fake_name, fmt in [
        ("cameras.osm.pbf", "cameras.osm", "osm-pbf"),
        ("cameras_overpass.json", "cameras.osm", "overpass-json"),
        ("cameras.osm", "cameras.json", "osm-xml"),
    ]:
        fake = tmp_path / fake_name
        fake.write_bytes((readers / src).read_bytes())
        assert sniff_format(fake) == fmt
        assert cameras_from_file(fake).data["camera_id"].tolist() == list(CAMERAS)


# --- OSM XML, .osm.bz2, .osm.pbf -------------------------------------------------------------------------------


@pytest.mark.parametrize("name", OSM_FILES)
def test_osm_cameras_ids_coordinates_tags(readers, name):
    result = cameras_from_osm(readers / name)
    _assert_cameras(result)
    _assert_osm_tags(result)
    _assert_way_rejected(result, name, r"way or relation, not a point")
    assert result.meta["osm_timestamp"] == OSM_TIMESTAMP


def test_osm_xml_timestamp_from_the_generator(readers):
    meta = cameras_from_file(readers / "cameras.osm").meta
    assert meta["format"] == "osm-xml"
    assert meta["generator"].startswith("Overpass API export, 2025-10-04T09:29:18Z")
    assert meta["osm_timestamp"] == OSM_TIMESTAMP


def test_osm_pbf_timestamp_from_the_replication_header(readers):
    # the PBF's generator holds no date: the timestamp comes from osmosis_replication_timestamp
    meta = cameras_from_file(readers / "cameras.osm.pbf").meta
    assert meta["format"] == "osm-pbf"
    assert OSM_TIMESTAMP not in meta["generator"]
    assert meta["osm_timestamp"] == OSM_TIMESTAMP


def test_osm_bz2_format(readers):
    assert cameras_from_file(readers / "cameras.osm.bz2").meta["format"] == "osm-bz2"


def test_osm_reader_ignores_other_man_made_objects(readers):
    # node 13200000002 is man_made=mast; the street lamp and the way's nodes are not cameras either
    ids = cameras_from_osm(readers / "cameras.osm").data["camera_id"]
    assert not ids.str.startswith("node/132000000").any()


def test_osm_reader_refuses_another_format(readers):
    with pytest.raises(InputFormatError, match=r"cameras\.csv: not an OSM file"):
        cameras_from_osm(readers / "cameras.csv")


# --- Overpass JSON ---------------------------------------------------------------------------------------------


def test_overpass_json(readers):
    result = cameras_from_overpass(readers / "cameras_overpass.json")
    _assert_cameras(result)
    _assert_osm_tags(result)
    assert result.meta["osm_timestamp"] == OSM_TIMESTAMP


def test_overpass_way_with_center_is_rejected_not_guessed(readers):
    data = json.loads((readers / "cameras_overpass.json").read_text(encoding="utf-8"))
    way = next(el for el in data["elements"] if el["type"] == "way")
    assert "center" in way  # the fixture has the center an 'out center;' query returns ...
    result = cameras_from_file(readers / "cameras_overpass.json")
    _assert_way_rejected(result, "cameras_overpass.json", r"way or relation, not a point")  # ... still not a camera
    assert result.meta["format"] == "overpass-json"


def test_overpass_elements_that_cannot_be_read():
    cam = {"man_made": "surveillance"}
    result = cameras_from_overpass_elements(
        [
            "not an object",
            {"type": "node", "id": 1, "tags": cam},  # no coordinates
            {"type": "node", "id": 2, "lat": 95.0, "lon": 10.0, "tags": cam},  # latitude out of range
            {"type": "node", "id": 3, "lat": 1.5, "lon": 2.5, "tags": {"man_made": "mast"}},  # not a camera
            {"type": "node", "id": 4, "lat": "1.25", "lon": "-2.75", "tags": {**cam, "height": 5}},
        ],
        source="api",
    )
    assert result.data["camera_id"].tolist() == ["node/4"]
    assert (result.data.geometry[0].x, result.data.geometry[0].y) == (-2.75, 1.25)
    assert result.data["tags"][0] == {"man_made": "surveillance", "height": "5"}
    assert result.rejected["record"].tolist() == ["element 0", "node/1", "node/2"]
    assert result.rejected["reason"].str.contains("not a JSON object|without coordinates|out of range").all()


def test_overpass_json_errors(tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text('{"elements": 5, "osm3s": {}}', encoding="utf-8")
    with pytest.raises(InputFormatError, match=r"bad\.json: expected an Overpass JSON object with an 'elements' list"):
        cameras_from_file(bad)
    cut = tmp_path / "cut.json"
    cut.write_text('{"osm3s": {}, "elements": [{"type": "node", ', encoding="utf-8")
    with pytest.raises(InputFormatError, match=r"cut\.json: not valid JSON"):
        cameras_from_file(cut)


# --- GeoJSON, GeoPackage ---------------------------------------------------------------------------------------


def test_overpass_turbo_geojson(readers):
    result = cameras_from_vector(readers / "cameras_turbo.geojson")
    _assert_cameras(result)
    _assert_osm_tags(result)  # no '@id' and no 'id' (the feature id) among the tags
    _assert_way_rejected(result, "cameras_turbo.geojson", r"a Polygon, expected a point")


def test_turbo_geojson_keeps_only_surveillance_features(readers):
    # the export also holds a street lamp and a mast (tagged, without man_made=surveillance)
    data = json.loads((readers / "cameras_turbo.geojson").read_text(encoding="utf-8"))
    assert len(data["features"]) == 11
    assert len(cameras_from_file(readers / "cameras_turbo.geojson").data) == 8


@pytest.mark.parametrize("name", ["cameras_plain.geojson", "cameras.gpkg"])
def test_plain_point_layer(readers, name):
    result = cameras_from_file(readers / name)
    assert result.meta["format"] == ("gpkg" if name.endswith("gpkg") else "geojson")
    # the id column gives the camera id (kept as the number after a prefix naming the column)
    numbers = [cid.split("/")[1] for cid in CAMERAS]
    assert [cid.rsplit("/", 1)[-1] for cid in result.data["camera_id"]] == numbers
    assert result.data.crs.to_epsg() == 4326  # the GeoPackage is in UTM 10N: brought back to WGS84
    for geom, (lon, lat) in zip(result.data.geometry, CAMERAS.values(), strict=True):
        assert geom.x == pytest.approx(lon, abs=1e-7)
        assert geom.y == pytest.approx(lat, abs=1e-7)
    tags = result.data["tags"].tolist()
    assert tags[0] == {
        "surveillance": "public",
        "surveillance:type": "ALPR",
        "camera:type": "fixed",
        "camera:mount": "pole",
        "camera:direction": "355",
        "direction": "350",
    }
    assert tags[1]["direction"] == "0;180"
    assert tags[3]["surveillance"] == "indoor"
    assert tags[4]["camera:type"] == "dome"
    assert "direction" not in tags[4]  # an empty value is not a tag
    assert tags[2]["operator"] == "San Francisco Police Department"
    assert all("id" not in t for t in tags)
    assert result.rejected.empty


def test_vector_layer_without_crs_is_an_error(readers, tmp_path):
    for ext in (".shp", ".shx", ".dbf"):
        (tmp_path / f"cams{ext}").write_bytes((readers / f"units_no_crs{ext}").read_bytes())
    with pytest.raises(CRSError, match=r"cams\.shp: the camera layer has no CRS"):
        cameras_from_file(tmp_path / "cams.shp")


# --- CSV -------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["cameras.csv", "cameras.txt"])
def test_csv_cameras(readers, name):
    result = cameras_from_file(readers / name)
    assert result.meta["format"] == "csv"
    _assert_cameras(result)
    _assert_osm_tags(result)  # every other column is a tag; id, lon and lat are not
    assert result.rejected.empty
    assert result.counts["rows_without_coordinates"] == 0


def test_semicolon_decimal_comma_bom_csv(readers):
    raw = (readers / "cameras_semicolon.csv").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbfosm_id;")
    assert b"-122,4131365" in raw
    result = cameras_from_csv(readers / "cameras_semicolon.csv")
    _assert_cameras(result)  # the BOM is not part of the first column's name: osm_id is found
    tags = _tags(result)
    assert tags["node/12491811189"] == {"surveillance:type": "ALPR", "camera:type": "fixed", "direction": "350"}
    assert tags["node/13016285538"] == {
        "surveillance:type": "ALPR",
        "camera:type": "fixed",
        "direction": "0;180",
        "operator": "San Francisco Police Department",
    }
    assert all("longitude" not in t and "latitude" not in t for t in tags.values())


def test_csv_rows_without_usable_coordinates_are_listed(tmp_path):
    path = tmp_path / "cams.csv"
    path.write_text(
        "camera,lat,lon,man_made,direction\n"
        "a,37.70,-122.41,surveillance,90\n"
        "b,,-122.41,surveillance,\n"
        "c,37.7x,-122.41,surveillance,\n"
        "d,37.71,-222.41,surveillance,\n"
        "e,37.72,-122.42,mast,\n"
        "f,37.73,-122.43,surveillance,N\n",
        encoding="utf-8",
    )
    result = cameras_from_file(path)
    # no id column: the id is the file and line; the mast (line 6) is not a camera
    assert result.data["camera_id"].tolist() == ["cams.csv:line 2", "cams.csv:line 7"]
    assert result.data["tags"][1] == {"camera": "f", "man_made": "surveillance", "direction": "N"}
    rejected = result.rejected
    assert rejected["record"].tolist() == ["line 3", "line 4", "line 5"]
    assert rejected["reason"].tolist() == [
        "missing coordinate",
        "coordinate is not a number",
        "coordinate out of range (longitude -180..180, latitude -90..90)",
    ]
    assert rejected["value"].tolist() == ["lon=-122.41, lat=", "lon=-122.41, lat=37.7x", "lon=-222.41, lat=37.71"]
    assert result.counts["rows_without_coordinates"] == 3


def test_csv_read_as_windows_1252(tmp_path):
    path = tmp_path / "cams.csv"
    path.write_bytes("id,lon,lat,operator\nnode/1,2.35,48.85,Préfecture de police\n".encode("cp1252"))
    result = cameras_from_file(path)
    assert result.data["tags"][0] == {"operator": "Préfecture de police"}
    assert result.counts["csv_read_as_cp1252"] == 1


@given(st.floats(min_value=-180, max_value=180, allow_nan=False), st.integers(min_value=0, max_value=7))
def test_parse_number_reads_dots_and_decimal_commas(value, digits):
    text = f"{value:.{digits}f}"
    expected = float(text)
    parsed = parse_number(pd.Series([text, text.replace(".", ","), f"  {text} "]))
    assert parsed.tolist() == [expected, expected, expected]


# --- the same cameras from every format ------------------------------------------------------------------------


def test_same_cameras_from_every_format(readers):
    results = {name: cameras_from_file(readers / name) for name in SAME_DATA_FILES}
    reference = results["cameras.osm"]
    for name, result in results.items():
        assert result.data["camera_id"].tolist() == reference.data["camera_id"].tolist(), name
        assert result.data["tags"].tolist() == reference.data["tags"].tolist(), name
        for cid, (x, y) in _coords(result).items():
            ref = _coords(reference)[cid]
            assert (x, y) == pytest.approx(ref, abs=1e-7), (name, cid)
        assert result.data.crs == reference.data.crs
    for name in ["cameras.osm", "cameras.osm.bz2", "cameras.osm.pbf", "cameras_overpass.json"]:
        assert results[name].meta["osm_timestamp"] == OSM_TIMESTAMP, name
    for name in ["cameras.osm", "cameras.osm.bz2", "cameras.osm.pbf", "cameras_overpass.json", "cameras_turbo.geojson"]:
        assert results[name].rejected["record"].tolist() == [WAY], name


# --- bad camera files ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "error", "message"),
    [
        ("missing.osm", InputFileError, r"missing\.osm: no such file"),
        ("empty.osm", InputFileError, r"empty\.osm: the file is empty"),
        ("truncated.osm", InputFormatError, r"truncated\.osm: not a readable OSM file \(XML parsing error"),
        ("not_osm.xml", InputFileError, r"not_osm\.xml: an XML file that is not OSM XML"),
        ("garbage.pbf", InputFileError, r"garbage\.pbf: unknown format; expected OSM XML"),
        ("no_cameras.osm", InputFormatError, r"no_cameras\.osm: no cameras found \(no point tagged man_made"),
        (
            "cameras_no_coords.csv",
            InputFormatError,
            r"cameras_no_coords\.csv: no longitude and no latitude column; expected columns named like",
        ),
        (
            "cameras_swapped.csv",
            InputFormatError,
            r"cameras_swapped\.csv: the coordinates look swapped: column 'latitude' holds values beyond \+/-90 "
            r"\(such as -122\.4131365\)",
        ),
    ],
)
def test_bad_camera_files(readers, name, error, message):
    with pytest.raises(error, match=message) as info:
        cameras_from_file(readers / name)
    assert "\n" not in str(info.value)
    assert "np.float64" not in str(info.value)


def test_truncated_compressed_and_fake_osm_files(readers, tmp_path):
    cases = {
        "cut.osm.pbf": (readers / "cameras.osm.pbf").read_bytes()[:500],
        "cut.osm.bz2": (readers / "cameras.osm.bz2").read_bytes()[:500],
        "fake.osm.bz2": b"BZh" + b"not bzip2 at all",
        "fake.osm.pbf": b"\x00\x00\x00\x0d\x0a\x09OSMHeader" + bytes(range(256)),
    }
    for name, content in cases.items():
        (tmp_path / name).write_bytes(content)
        with pytest.raises(InputFormatError, match=rf"{re.escape(name)}: not a readable OSM file \("):
            cameras_from_file(tmp_path / name)


def test_a_folder_is_not_a_camera_file(tmp_path):
    with pytest.raises(InputFileError, match="is a folder, expected a file"):
        cameras_from_file(tmp_path)


def test_csv_with_a_header_and_no_rows(tmp_path):
    path = tmp_path / "cams.csv"
    path.write_text("id,lon,lat\n", encoding="utf-8")
    with pytest.raises(InputFormatError, match=r"cams\.csv: the table has a header but no rows"):
        cameras_from_file(path)


# --- crime -----------------------------------------------------------------------------------------------------


def test_crime_csv(readers):
    result = crime_from_file(readers / "crime.csv")
    data = result.data
    assert list(data.columns) == ["incident_id", "category", "date", "record", "geometry"]
    assert len(data) == 16
    assert data["incident_id"].is_unique
    assert data.crs.to_epsg() == 4326
    first = data.iloc[0]
    assert (first["incident_id"], first["category"], first["record"]) == ("120600001", "ROBBERY", "line 2")
    assert first["date"] == pd.Timestamp("2012-07-03")
    assert (first.geometry.x, first.geometry.y) == (-122.4220, 37.7080)
    assert result.counts == {
        "rows_read": 20,
        "rows_without_coordinates": 3,
        "duplicate_incident_rows": 1,
        "incidents": 16,
    }
    assert result.meta == {
        "format": "csv",
        "id_column": "IncidntNum",
        "category_column": "Category",
        "date_column": "Date",
        "date_min": "2012-07-03",
        "date_max": "2012-12-31",
    }


def test_crime_rows_without_coordinates_dropped_with_line_numbers(readers):
    rejected = crime_from_file(readers / "crime.csv").rejected
    by_line = dict(zip(rejected["record"], rejected["reason"], strict=True))
    assert by_line["line 16"] == "missing coordinate"
    assert by_line["line 17"] == "coordinate is not a number"
    assert by_line["line 18"] == "coordinate out of range (longitude -180..180, latitude -90..90)"
    assert rejected.loc[rejected["record"] == "line 17", "value"].item() == "X=-122.4130, Y=37.7x"
    assert set(rejected["source"]) == {"crime.csv"}


def test_crime_dedupe_by_incident_number(readers):
    result = crime_from_file(readers / "crime.csv")
    dup = result.rejected[result.rejected["record"] == "line 6"]
    assert dup["reason"].item() == "another row of an incident already counted (same incident number)"
    assert dup["value"].item() == "120600004"
    kept = result.data[result.data["incident_id"] == "120600004"]
    assert kept["record"].tolist() == ["line 5"]  # the first row of the incident is kept
    assert kept["category"].tolist() == ["ROBBERY"]
    undeduped = crime_from_file(readers / "crime.csv", dedupe=False)
    assert len(undeduped.data) == 17
    assert undeduped.counts["incidents"] == 17
    assert "duplicate_incident_rows" not in undeduped.counts


@pytest.mark.parametrize("categories", [["robbery"], ["ROBBERY"], [" Robbery "]])
def test_crime_category_filter_is_case_insensitive(readers, categories):
    result = crime_from_file(readers / "crime.csv", categories=categories)
    # 120600007 is written "Robbery" in the file; the "VANDALISM" row of 120600004 is filtered before dedupe
    assert result.data["incident_id"].tolist() == [
        "120600001",
        "120600004",
        "120600007",
        "120600009",
        "120600010",
        "120600017",
    ]
    assert result.counts["rows_filtered_category"] == 11
    assert result.counts["duplicate_incident_rows"] == 0


def test_crime_several_categories(readers):
    result = crime_from_file(readers / "crime.csv", categories=["drug/narcotic", "Vandalism"])
    assert sorted(result.data["category"].unique()) == ["DRUG/NARCOTIC", "VANDALISM"]
    # 5 drug incidents and 3 of vandalism: the filter comes before the dedupe, so incident 120600004
    # (a robbery on line 5 and vandalism on line 6) counts here by its vandalism row
    assert len(result.data) == 8
    assert result.data.loc[result.data["incident_id"] == "120600004", "record"].tolist() == ["line 6"]
    assert result.counts["duplicate_incident_rows"] == 0


def test_crime_date_range_is_inclusive(readers):
    result = crime_from_file(readers / "crime.csv", since="2012-12-01", until="2012-12-31")
    # 2012-12-01 (the first day) and 2012-12-31 18:30 (during the last day) are both kept
    assert result.data["incident_id"].tolist() == ["120600011", "120600012", "120600013"]
    assert result.counts["rows_filtered_date"] == 13
    undated = result.rejected[result.rejected["record"] == "line 21"]
    assert undated["reason"].item() == "date missing or unreadable (a date filter is set)"
    assert result.meta["date_min"] == "2012-12-01"
    assert result.meta["date_max"] == "2012-12-31"


def test_crime_since_only_and_until_only(readers):
    since = crime_from_file(readers / "crime.csv", since="2012-12-24")
    assert since.data["incident_id"].tolist() == ["120600012", "120600013"]
    until = crime_from_file(readers / "crime.csv", until="2012-07-15")
    assert until.data["incident_id"].tolist() == ["120600001", "120600002"]


def test_crime_filters_that_leave_nothing(readers):
    with pytest.raises(InputFormatError, match=r"crime\.csv: no incidents left after the filters"):
        crime_from_file(readers / "crime.csv", categories=["arson"])
    with pytest.raises(InputFormatError, match=r"crime\.csv: no incidents left after the filters"):
        crime_from_file(readers / "crime.csv", since="2013-01-01")


def test_crime_bad_date_bound(readers):
    for bound in ["June", "2012/07/01", "yesterday", "2012-13-01"]:
        with pytest.raises(InputError, match=rf"--since '{bound}' is not a date \(expected YYYY-MM-DD\)"):
            crime_from_file(readers / "crime.csv", since=bound)
    with pytest.raises(InputError, match=r"--until 'December' is not a date"):
        crime_from_file(readers / "crime.csv", until="December")
    assert len(crime_from_file(readers / "crime.csv", since=" 2012-12-24 ").data) == 2


def test_crime_dates_with_utc_offsets(tmp_path):
    # an offset is dropped, not applied: each incident keeps the day written in the file
    path = tmp_path / "tz.csv"
    for dates in (
        ["2012-07-01T23:30:00Z", "2012-07-02T10:00:00Z"],
        ["2012-07-01T23:30:00-07:00", "2012-07-02T10:00:00+02:00"],
    ):
        path.write_text(
            f"id,Category,Date,X,Y\n1,A,{dates[0]},-122.41,37.71\n2,A,{dates[1]},-122.42,37.72\n", encoding="utf-8"
        )
        result = crime_from_file(path)
        assert result.data["date"].tolist() == [pd.Timestamp("2012-07-01 23:30"), pd.Timestamp("2012-07-02 10:00")]
        assert crime_from_file(path, since="2012-07-02").data["incident_id"].tolist() == ["2"]
        assert crime_from_file(path, until="2012-07-01T12:00Z").data["incident_id"].tolist() == ["1"]


def test_crime_filter_without_its_column(tmp_path):
    path = tmp_path / "points.csv"
    path.write_text("lon,lat,note\n-122.41,37.71,a\n-122.42,37.72,b\n", encoding="utf-8")
    assert len(crime_from_file(path).data) == 2  # without a filter, the columns are not needed
    with pytest.raises(InputFormatError, match=r"points\.csv: a category filter was given but no category column"):
        crime_from_file(path, categories=["robbery"])
    with pytest.raises(InputFormatError, match=r"points\.csv: a date filter was given but no date column"):
        crime_from_file(path, since="2012-01-01")
    with pytest.raises(InputFormatError, match=r"points\.csv: a date filter was given but no date column"):
        crime_from_file(path, until="2012-01-01")


def test_crime_point_layer(readers):
    csv = crime_from_file(readers / "crime.csv")
    layer = crime_from_file(readers / "crime_points.geojson")
    assert layer.meta["format"] == "geojson"
    assert layer.data["incident_id"].tolist() == csv.data["incident_id"].tolist()
    assert layer.data["category"].tolist() == csv.data["category"].tolist()
    assert layer.data["date"].tolist()[:15] == csv.data["date"].tolist()[:15]
    assert layer.data["record"].tolist()[:2] == ["feature 1", "feature 2"]
    for a, b in zip(layer.data.geometry, csv.data.geometry, strict=True):
        assert (a.x, a.y) == pytest.approx((b.x, b.y), abs=1e-9)
    dec = crime_from_file(readers / "crime_points.geojson", since="2012-12-01", until="2012-12-31")
    assert dec.data["incident_id"].tolist() == ["120600011", "120600012", "120600013"]


def test_crime_point_layer_drops_other_geometries(readers, tmp_path):
    gdf = gpd.read_file(readers / "crime_points.geojson")
    gdf.loc[1, "geometry"] = box(-122.43, 37.70, -122.42, 37.71)
    path = tmp_path / "mixed.geojson"
    path.write_text(gdf.to_json(drop_id=True), encoding="utf-8")
    result = crime_from_file(path)
    assert len(result.data) == 15
    assert result.rejected["record"].tolist() == ["feature 2"]
    assert result.rejected["reason"].tolist() == ["not a point geometry"]


def test_crime_from_an_osm_file_is_an_error(readers):
    with pytest.raises(InputFormatError, match=r"cameras\.osm: crime must be a CSV with coordinate columns"):
        crime_from_file(readers / "cameras.osm")


# --- units -----------------------------------------------------------------------------------------------------


def test_units_id_column_guessed(readers):
    result = units_from_file(readers / "units.geojson")
    data = result.data
    assert data.columns[0] == "unit_id"
    assert data["unit_id"].tolist() == ["West", "Centre", "East", "North Hill"]
    assert result.meta == {"id_column": "name"}
    assert result.counts == {"repaired_geometries": 0, "unit_ids_with_control_characters": 0}
    assert data.crs.to_epsg() == 4326
    assert data["Robbery"].tolist() == [1, 1, 1, 2]
    assert data["Drugs"].tolist() == [2, 0, 1, 2]
    assert data["pop"].tolist() == [2100, 3400, 1800, 2600]
    assert data.geometry[0].equals(box(-122.4260, 37.7040, -122.4180, 37.7140))


def test_units_id_column_given(readers):
    result = units_from_file(readers / "units.geojson", id_column="code")
    assert result.data["unit_id"].tolist() == ["U1", "U2", "U3", "U4"]
    assert result.meta == {"id_column": "code"}


def test_units_id_column_that_does_not_exist(readers):
    with pytest.raises(
        InputFormatError,
        match=r"units\.geojson: no unit id column 'nhood'; the layer's columns are "
        r"name, code, pop, Robbery, Drugs",
    ):
        units_from_file(readers / "units.geojson", id_column="nhood")


def test_units_duplicate_ids(readers):
    with pytest.raises(
        InputFormatError,
        match=r"units_dup_ids\.geojson: unit id column 'name' is not unique: "
        r"'Centre' appears more than once",
    ):
        units_from_file(readers / "units_dup_ids.geojson", id_column="name")
    # when guessing, a column with duplicates is not taken as the id
    assert units_from_file(readers / "units_dup_ids.geojson").meta == {"id_column": "code"}


def test_units_without_any_id_column_are_numbered(tmp_path):
    path = tmp_path / "grid.geojson"
    gpd.GeoDataFrame({"pop": [1, 2]}, geometry=[box(0, 0, 1, 1), box(1, 0, 2, 1)], crs="EPSG:4326").to_file(path)
    result = units_from_file(path)
    assert result.data["unit_id"].tolist() == ["unit 1", "unit 2"]
    assert result.meta == {"id_column": "(row number)"}


def test_units_that_are_points(readers):
    with pytest.raises(
        InputFormatError,
        match=r"units_points\.geojson: units must be polygons, but 4 of 4 features "
        r"are not \(the first is a Point\)",
    ):
        units_from_file(readers / "units_points.geojson")


def test_units_without_crs(readers):
    with pytest.raises(CRSError, match=r"units_no_crs\.shp: the unit layer has no CRS"):
        units_from_file(readers / "units_no_crs.shp")


def test_units_bowtie_polygon_repaired_and_counted(readers):
    result = units_from_file(readers / "units_bowtie.geojson")
    assert result.counts == {"repaired_geometries": 1, "unit_ids_with_control_characters": 0}
    assert result.data.geometry.is_valid.all()
    east = result.data.set_index("unit_id").geometry["East"]
    assert east.geom_type == "MultiPolygon"
    assert len(east.geoms) == 2
    # the two triangles of the bow-tie cover half of its bounding box
    assert east.area == pytest.approx(box(-122.4090, 37.7040, -122.4020, 37.7140).area / 2, rel=1e-9)
    assert result.data["unit_id"].tolist() == ["West", "Centre", "East", "North Hill"]


def test_units_missing_geometry_and_missing_id(readers, tmp_path):
    data = json.loads((readers / "units.geojson").read_text(encoding="utf-8"))
    data["features"][1]["geometry"] = None
    path = tmp_path / "holes.geojson"
    path.write_text(json.dumps(data), encoding="utf-8")
    result = units_from_file(path, id_column="code")
    assert result.data["unit_id"].tolist() == ["U1", "U3", "U4"]
    assert result.rejected.to_dict("records") == [
        {"source": "holes.geojson", "record": "feature 2", "reason": "unit without geometry", "value": ""}
    ]
    data["features"][1]["geometry"] = data["features"][0]["geometry"]
    data["features"][2]["properties"]["code"] = None
    path.write_text(json.dumps(data), encoding="utf-8")
    with pytest.raises(InputFormatError, match=r"holes\.geojson: unit id column 'code' is empty in feature 3"):
        units_from_file(path, id_column="code")


def test_units_from_a_csv_is_an_error(readers):
    with pytest.raises(InputFormatError, match=r"crime\.csv: units must be a polygon layer"):
        units_from_file(readers / "crime.csv")


# --- population layer ------------------------------------------------------------------------------------------


def test_population_layer(readers):
    result = population_layer_from_file(readers / "population.geojson")
    assert result.meta == {"column": "Population", "name_column": "name"}  # found whatever its case
    assert list(result.data.columns) == ["population", "name", "geometry"]
    assert result.data["name"].tolist() == ["tract A", "tract B"]
    assert result.data["population"].tolist() == [5000.0, 4000.0]
    assert result.data.crs.to_epsg() == 4326
    assert result.counts == {"repaired_geometries": 0}


def test_population_column_given_and_guessed(readers):
    assert population_layer_from_file(readers / "units.geojson").meta["column"] == "pop"
    given_col = population_layer_from_file(readers / "units.geojson", column="Robbery")
    assert given_col.data["population"].tolist() == [1.0, 1.0, 1.0, 2.0]
    with pytest.raises(InputFormatError, match=r"units\.geojson: no population column 'Pop2020'"):
        population_layer_from_file(readers / "units.geojson", column="Pop2020")
    with pytest.raises(InputFormatError, match=r"units_far\.geojson: no population column 'residents'"):
        population_layer_from_file(readers / "units_far.geojson", column="residents")


def test_population_layer_errors(readers, tmp_path):
    with pytest.raises(InputFormatError, match=r"crime_points\.geojson: population polygons must be polygons"):
        population_layer_from_file(readers / "crime_points.geojson", column="IncidntNum")
    path = tmp_path / "pop.geojson"
    gpd.GeoDataFrame({"name": ["a", "b"]}, geometry=[box(0, 0, 1, 1), box(1, 0, 2, 1)], crs="EPSG:4326").to_file(path)
    with pytest.raises(InputFormatError, match=r"pop\.geojson: no population column found"):
        population_layer_from_file(path)
    gpd.GeoDataFrame({"residents": [10.0, -1.0]}, geometry=[box(0, 0, 1, 1), box(1, 0, 2, 1)], crs="EPSG:4326").to_file(
        path
    )
    with pytest.raises(InputFormatError, match=r"pop\.geojson: population column 'residents' holds -1\.0 ") as info:
        population_layer_from_file(path)
    assert "np.float64" not in str(info.value)


# --- the real San Francisco data -------------------------------------------------------------------------------


def test_real_sf_cameras(sf_dir):
    result = cameras_from_file(sf_dir / "cameras.osm")
    assert len(result.data) == 343
    assert result.data["camera_id"].is_unique
    assert result.data["camera_id"].str.match(r"^node/\d+$").all()
    assert result.meta["osm_timestamp"] == OSM_TIMESTAMP
    assert result.meta["format"] == "osm-xml"
    assert result.rejected.empty
    # the fixture's first camera is this real one, with one tag added (direction=350)
    assert _tags(result)["node/12491811189"] == {k: v for k, v in TAGS_189.items() if k != "direction"}
    real = _coords(result)
    for cid, (lon, lat) in CAMERAS.items():
        assert real[cid] == pytest.approx((lon, lat), abs=1e-7)


def test_real_sf_crime(sf_dir):
    result = crime_from_file(sf_dir / "crime_incidents_2012H2.csv")
    assert result.counts["rows_read"] == 13_472
    assert result.counts["incidents"] == 10_140
    assert result.counts["duplicate_incident_rows"] == 13_472 - 10_140
    assert result.counts["rows_without_coordinates"] == 0
    assert len(result.data) == 10_140
    assert result.meta["date_min"] == "2012-07-01"
    assert result.meta["date_max"] == "2012-12-31"


def test_duplicate_camera_ids_are_an_error(tmp_path):
    from equity.io import cameras_from_file

    path = tmp_path / "dup.csv"
    path.write_text("id,lon,lat,man_made\nd1,-122.41,37.78,surveillance\nd1,-122.40,37.79,surveillance\n")
    with pytest.raises(InputFormatError, match="camera id 'd1' appears on 2 rows"):
        cameras_from_file(path)


def test_polygon_cameras_say_why(tmp_path):
    from equity.io import cameras_from_file

    path = tmp_path / "poly.geojson"
    path.write_text(
        '{"type":"FeatureCollection","features":[{"type":"Feature","properties":{"man_made":"surveillance"},'
        '"geometry":{"type":"Polygon","coordinates":[[[0,0],[0,1],[1,1],[0,0]]]}}]}'
    )
    with pytest.raises(InputFormatError, match="expected a point"):
        cameras_from_file(path)


def test_null_incident_numbers_are_not_duplicates(tmp_path):
    from equity.io import crime_from_file

    path = tmp_path / "c.geojson"
    point = (
        '{{"type":"Feature","properties":{{"incident_id":null}},'
        '"geometry":{{"type":"Point","coordinates":[{},37.78]}}}}'
    )
    feats = ",".join(point.format(-122.4 + i / 1000) for i in range(5))
    path.write_text(f'{{"type":"FeatureCollection","features":[{feats}]}}')
    read = crime_from_file(path)
    assert read.counts["incidents"] == 5
    assert read.counts.get("duplicate_incident_rows", 0) == 0
