"""Write the corpus of broken inputs of this folder, and its README table.

Run from anywhere: ``python tests/data/broken/make_corpus.py``. It reads the valid fixtures of
``tests/data/readers`` (``cameras.osm``, ``crime.csv``, ``units.geojson``) and writes one small file per case
next to itself, each damaged in one way. :data:`CORPUS` lists them: the file, the option of ``equity analyze``
it is given to, what it tests and the expected outcome; ``tests/test_broken_corpus.py`` checks each outcome.
"""

from __future__ import annotations

import bz2
import csv
import gzip
import io
import json
import xml.etree.ElementTree as ET
from pathlib import Path

import numpy as np
import osmium
import rasterio
from pyproj import Transformer
from rasterio.transform import from_bounds

HERE = Path(__file__).resolve().parent
READERS = HERE.parent / "readers"

#: file, option of ``equity analyze``, what it tests, expected outcome. The README table is written from it.
CORPUS: list[tuple[str, str, str, str]] = [
    # OSM XML, PBF, bzip2 and Overpass JSON
    ("osm_truncated.osm", "--cameras", "OSM XML cut in the middle of a tag", "exit 2: not a readable OSM file"),
    ("osm_unclosed.osm", "--cameras", "OSM XML without its closing `</osm>`", "exit 2: not a readable OSM file"),
    ("osm_bad_coordinates.osm", "--cameras", 'camera nodes with `lat="north"`', "exit 2: not a readable OSM file"),
    (
        "osm_out_of_range.osm",
        "--cameras",
        "camera nodes at latitude 95 and longitude 190",
        "read; the two nodes in rejected.csv (node without a valid location)",
    ),
    ("osm_bad_id.osm", "--cameras", 'a node with `id="abc"`', "exit 2: not a readable OSM file"),
    ("osm_html_page.osm", "--cameras", "an HTML error page saved as .osm", "exit 2: an XML file that is not OSM XML"),
    ("pbf_truncated.osm.pbf", "--cameras", "PBF cut in half", "exit 2: not a readable OSM file"),
    (
        "pbf_corrupt.osm.pbf",
        "--cameras",
        "PBF with bytes of its compressed block changed",
        "exit 2: not a readable OSM file",
    ),
    ("bz2_truncated.osm.bz2", "--cameras", "bzip2 OSM XML cut in half", "exit 2: not a readable OSM file"),
    ("overpass_truncated.json", "--cameras", "Overpass JSON cut in half", "exit 2: not valid JSON"),
    (
        "overpass_error.json",
        "--cameras",
        "Overpass's answer to a timed-out query (no elements, a `remark`)",
        "exit 2: the Overpass server's remark",
    ),
    ("overpass_wrong_shape.json", "--cameras", "`elements` is an object, not a list", "exit 2: an 'elements' list"),
    (
        "overpass_bad_elements.json",
        "--cameras",
        "elements without coordinates, with text or out-of-range coordinates, a string, a way",
        'read 3 cameras (a latitude as text `"37.7"` is read); 5 records in rejected.csv',
    ),
    (
        "osm_duplicate_ids.osm",
        "--cameras",
        "the same camera node twice",
        "exit 2: camera id 'node/…' appears on 2 rows",
    ),
    (
        "osm_absurd_tags.osm",
        "--cameras",
        "direction 720, height -3, height 'very high', fov 'wide', a tab and a line break in a name",
        "read; each bad tag in the camera's issues, defaults used; tab and line break replaced by spaces",
    ),
    (
        "osm_long_value.osm",
        "--cameras",
        "a tag value of 10,000 characters",
        "exit 2: not a readable OSM file (OSM allows at most 255 characters)",
    ),
    # wrong extension, empty, another format
    ("cameras_xml_named.pbf", "--cameras", "OSM XML with a .pbf name", "read 8 cameras (format from content)"),
    ("cameras_geojson_named.csv", "--cameras", "GeoJSON with a .csv name", "read 8 cameras (format from content)"),
    ("cameras_csv_named.geojson", "--cameras", "CSV with a .geojson name", "read 8 cameras (format from content)"),
    ("empty.osm.pbf", "--cameras", "0 bytes", "exit 2: the file is empty"),
    ("blank.csv", "--cameras", "only spaces and newlines", "exit 2: only blank space"),
    ("cameras.osm.gz", "--cameras", "gzip-compressed OSM XML", "exit 2: a gzip file; unpack it first"),
    ("dem_as_cameras.tif", "--cameras", "a GeoTIFF given as cameras", "exit 2: unknown format"),
    ("crime_as_units.csv", "--units", "a CSV of incidents given as units", "exit 2: units must be a polygon layer"),
    # CSV cameras
    (
        "cameras_missing_coords.csv",
        "--cameras",
        "two rows with an empty longitude or latitude",
        "read 6 cameras; 2 rows in rejected.csv (missing coordinate)",
    ),
    (
        "cameras_nonnumeric_coords.csv",
        "--cameras",
        "coordinates `n/a` and `37°42'N`",
        "read 6 cameras; 2 rows in rejected.csv (coordinate is not a number)",
    ),
    (
        "cameras_swapped_coords.csv",
        "--cameras",
        "longitude and latitude columns swapped",
        "exit 2: coordinates look swapped",
    ),
    (
        "cameras_out_of_range.csv",
        "--cameras",
        "longitude 200, latitude -95",
        "read 6 cameras; 2 rows in rejected.csv (coordinate out of range)",
    ),
    (
        "cameras_mixed_encoding.csv",
        "--cameras",
        "UTF-8 with one line in latin-1 bytes",
        "read; both lines' accents right (the latin-1 line decoded as Windows-1252)",
    ),
    ("cameras_latin1.csv", "--cameras", "a whole file in latin-1", "read; accents right"),
    ("cameras_bom.csv", "--cameras", "UTF-8 byte-order mark before the header", "read; the `id` column found"),
    (
        "cameras_semicolon_decimal_comma.csv",
        "--cameras",
        "`;` separator and decimal commas",
        "read 8 cameras at the right coordinates",
    ),
    (
        "cameras_quoted_decimal_comma.csv",
        "--cameras",
        "`,` separator with quoted decimal commas",
        "read 8 cameras at the right coordinates",
    ),
    ("cameras_duplicate_ids.csv", "--cameras", "two rows with the same id", "exit 2: camera id appears on 2 rows"),
    (
        "cameras_absurd_tags.csv",
        "--cameras",
        "direction 720, height -3, 'very high', fov 'wide', 10,000 characters, control characters",
        "read; each bad tag in the camera's issues; control characters removed",
    ),
    (
        "cameras_ragged.csv",
        "--cameras",
        "a row with more fields than the header",
        "exit 2: not a readable CSV table, line 4",
    ),
    # GeoJSON cameras: geometries and CRS
    (
        "cameras_null_geometry.geojson",
        "--cameras",
        "two features with a null geometry",
        "read 6 cameras; 2 records in rejected.csv (no geometry)",
    ),
    (
        "cameras_invalid_geometry.geojson",
        "--cameras",
        "points with no coordinates, with text coordinates",
        "read 6 cameras; the 2 unreadable points in rejected.csv (no geometry)",
    ),
    (
        "cameras_mixed_geometry.geojson",
        "--cameras",
        "points, a line and a polygon",
        "read 6 cameras; 2 records in rejected.csv (expected a point)",
    ),
    ("cameras_epsg3857.geojson", "--cameras", "coordinates in Web Mercator (EPSG:3857)", "read; reprojected to WGS84"),
    ("cameras_utm10n.geojson", "--cameras", "coordinates in UTM 10N (EPSG:32610)", "read; reprojected to WGS84"),
    (
        "cameras_utm_no_crs.geojson",
        "--cameras",
        "UTM coordinates without a CRS (read as WGS84)",
        "exit 2: coordinates are not longitudes and latitudes",
    ),
    # units
    ("units_self_intersecting.geojson", "--units", "a bow-tie polygon", "read; repaired, counted in the manifest"),
    ("units_null_geometry.geojson", "--units", "one unit without geometry", "read 3 units; 1 record in rejected.csv"),
    ("units_mixed_geometry.geojson", "--units", "3 polygons and a line", "exit 2: units must be polygons"),
    ("units_duplicate_ids.geojson", "--units", "unit id 'Centre' twice", "exit 2: unit id column 'name' is not unique"),
    (
        "units_missing_id.geojson",
        "--units",
        "a unit with a null id",
        "exit 2: unit id column 'name' is empty in feature 2",
    ),
    (
        "units_no_features.geojson",
        "--units",
        "a FeatureCollection without features",
        "exit 2: the unit layer has no features",
    ),
    ("units_epsg3857.geojson", "--units", "units in Web Mercator (EPSG:3857)", "read; same areas as in WGS84"),
    (
        "units_utm_no_crs.geojson",
        "--units",
        "UTM coordinates without a CRS",
        "exit 2: coordinates are not longitudes and latitudes",
    ),
    (
        "units_open_ring.geojson",
        "--units",
        "a polygon ring of 3 points, not closed",
        "exit 2: cannot read it as a unit layer",
    ),
    # crime
    (
        "crime_missing_coords.csv",
        "--crime",
        "rows with an empty X or Y",
        "read 12 incidents; 2 rows in rejected.csv (missing coordinate)",
    ),
    (
        "crime_nonnumeric_coords.csv",
        "--crime",
        "coordinates `NULL` and `-122.41.5`",
        "read 12 incidents; 2 rows in rejected.csv (coordinate is not a number)",
    ),
    (
        "crime_out_of_range.csv",
        "--crime",
        "Y 97.7 and X -522",
        "read 12 incidents; 2 rows in rejected.csv (coordinate out of range)",
    ),
    ("crime_swapped.csv", "--crime", "X holds latitudes, Y longitudes", "exit 2: coordinates look swapped"),
    (
        "crime_projected.csv",
        "--crime",
        "X/Y in UTM metres, not degrees",
        "exit 2: no usable coordinates; they look like projected metres",
    ),
    (
        "crime_semicolon_decimal_comma.csv",
        "--crime",
        "`;` separator, decimal commas, a BOM",
        "read 14 incidents (15 rows, one incident on two rows), coordinates right",
    ),
    (
        "crime_mixed_encoding.csv",
        "--crime",
        "UTF-8 with latin-1 categories on two lines",
        "read; `--category AGRESSÃO` matches both lines (2 incidents)",
    ),
    ("crime_header_only.csv", "--crime", "a header and no rows", "exit 2: the table has a header but no rows"),
    (
        "crime_bad_dates.csv",
        "--crime",
        "dates `yesterday`, `2012-13-45`, empty (run with `--since 2012-01-01`)",
        "read 11 incidents; 3 rows in rejected.csv (date missing or unreadable)",
    ),
    (
        "crime_mixed_geometry.geojson",
        "--crime",
        "incident points, a polygon and a null geometry",
        "read 14 incidents; 2 records in rejected.csv (no geometry, not a point geometry)",
    ),
    # population
    ("population_negative.geojson", "--population", "a population of -5", "exit 2: expected a count of at least 0"),
    ("population_text.geojson", "--population", "a population of 'many'", "exit 2: expected a count of at least 0"),
    # streets and buildings
    ("streets_truncated.osm", "--streets", "OSM XML of streets cut in the middle", "exit 2: not a readable OSM file"),
    ("buildings_truncated.osm.pbf", "--buildings", "PBF of buildings cut in half", "exit 2: not a readable OSM file"),
    # DEM
    (
        "dem_nodata.tif",
        "--dem",
        "a GeoTIFF whose every cell is nodata",
        "exit 2: no elevation anywhere in the study area",
    ),
    ("dem_no_crs.tif", "--dem", "a GeoTIFF without a CRS", "exit 2: the DEM has no CRS"),
    ("dem_truncated.tif", "--dem", "a GeoTIFF cut in half", "exit 2: not a raster that can be read"),
    # hostile files (see docs/security.md)
    (
        "cameras_multistream.osm.bz2",
        "--cameras",
        "OSM XML in three bzip2 streams, as pbzip2 writes it (pyosmium reads only the first)",
        "read 8 cameras",
    ),
    (
        "cameras_bz2_bomb.osm.bz2",
        "--cameras",
        "6 KB of bzip2 that unpack to 20 MB of one camera node repeated",
        "exit 2: unpacks to over 100 times its size",
    ),
    (
        "cameras_recursive_view.gpkg",
        "--cameras",
        "a GeoPackage whose layer is a view over a recursive query without an end",
        "exit 2: the view gives no end to its rows (within 5 s)",
    ),
    (
        "cameras_circular_views.gpkg",
        "--cameras",
        "a GeoPackage whose layer is a view defined on another view defined on it",
        "exit 2: the view is defined on itself",
    ),
    (
        "cameras_many_directions.csv",
        "--cameras",
        "a camera tagged with 20 directions around the circle, one with 20 narrow ranges",
        "read; the first one view all around, the second one view counted toward no coverage",
    ),
    (
        "cameras_formulas.csv",
        "--cameras",
        "operators and names that a spreadsheet would run as formulas (`=cmd|...`, `@SUM`, `+1`)",
        "read; written to every CSV with a leading apostrophe",
    ),
    (
        "cameras_list_property.geojson",
        "--cameras",
        "a property holding a list and one holding an object",
        "read 8 cameras; the values kept as their JSON text",
    ),
    (
        "overpass_deep.json",
        "--cameras",
        "JSON arrays nested 5,000 deep",
        "exit 2: JSON nested too deep",
    ),
    (
        "units_terminal_escapes.geojson",
        "--units",
        "unit names holding terminal escapes (`ESC ] 0 ; title BEL`, `ESC [ 31m`)",
        "read; the control characters replaced by spaces, none reaches an output or the terminal",
    ),
    (
        "units_crs_link.geojson",
        "--units",
        "a `crs` member that links to a URL (GDAL fetches it)",
        "exit 2: the 'crs' member links to another document",
    ),
    (
        "units_ogr_vrt.gml",
        "--units",
        "an OGR virtual dataset named .gml that reads another folder's file",
        "exit 2: a GDAL virtual dataset (VRT)",
    ),
    (
        "units_polygonz.geojson",
        "--units",
        "units as 3D polygons (a height on every vertex)",
        "read; the heights dropped",
    ),
    (
        "units_nan_coordinate.geojson",
        "--units",
        "a unit with a vertex at NaN",
        "exit 2: a coordinate that is not a number",
    ),
    (
        "dem_vrt_other_file.vrt",
        "--dem",
        "a GDAL VRT whose band is raw bytes of a file in another folder",
        "exit 2: a VRT raster reads its cells from other files",
    ),
]

CAMERA_KEYS = ["surveillance", "surveillance:type", "camera:type", "camera:mount", "direction", "operator"]
UNIT_BOUNDS = (-122.4260, 37.7040, -122.4020, 37.7180)


def read_osm(path: Path) -> list[dict]:
    """The camera nodes (id, lat, lon, tags) of an OSM XML file, in file order."""
    nodes = []
    for el in ET.parse(path).getroot():
        tags = {t.get("k"): t.get("v") for t in el.findall("tag")}
        if el.tag == "node" and tags.get("man_made") == "surveillance":
            nodes.append(
                {"id": int(el.get("id")), "lat": float(el.get("lat")), "lon": float(el.get("lon")), "tags": tags}
            )
    return nodes


def osm_xml(nodes: list[dict], *, closing: bool = True) -> bytes:
    """OSM XML 0.6 of some nodes; attributes given as text are written as they are."""
    out = io.StringIO()
    out.write('<?xml version="1.0" encoding="UTF-8"?>\n<osm version="0.6" generator="equity make_corpus.py">\n')
    for n in nodes:
        out.write(f'  <node id="{n["id"]}" lat="{n["lat"]}" lon="{n["lon"]}">\n')
        for k, v in n["tags"].items():
            out.write(f'    <tag k="{_xml_attr(k)}" v="{_xml_attr(v)}"/>\n')
        out.write("  </node>\n")
    if closing:
        out.write("</osm>\n")
    return out.getvalue().encode("utf-8")


def _xml_attr(value: str) -> str:
    text = value.replace("&", "&amp;").replace('"', "&quot;").replace("<", "&lt;").replace(">", "&gt;")
    return text.replace("\t", "&#9;").replace("\n", "&#10;")


def write_csv(path: Path, header: list[str], rows: list[list[str]], *, sep: str = ",", bom: bool = False) -> None:
    """A CSV in UTF-8 (optionally with a byte-order mark)."""
    path.write_bytes((b"\xef\xbb\xbf" if bom else b"") + csv_text(header, rows, sep=sep).encode("utf-8"))


def csv_text(header: list[str], rows: list[list[str]], *, sep: str = ",") -> str:
    buf = io.StringIO()
    writer = csv.writer(buf, delimiter=sep, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    return buf.getvalue()


def camera_rows(cameras: list[dict], *, decimal_comma: bool = False) -> tuple[list[str], list[list[str]]]:
    def num(v: float) -> str:
        text = f"{v:.7f}"
        return text.replace(".", ",") if decimal_comma else text

    rows = [
        [f"node/{n['id']}", num(n["lon"]), num(n["lat"]), *(n["tags"].get(k, "") for k in CAMERA_KEYS)] for n in cameras
    ]
    return ["id", "lon", "lat", *CAMERA_KEYS], rows


def write_json(path: Path, data: object) -> None:
    path.write_text(json.dumps(data, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")


def point_features(cameras: list[dict], transform: Transformer | None = None) -> list[dict]:
    features = []
    for n in cameras:
        x, y = (n["lon"], n["lat"]) if transform is None else transform.transform(n["lon"], n["lat"])
        features.append(
            {
                "type": "Feature",
                "properties": {"@id": f"node/{n['id']}", **{k: n["tags"][k] for k in CAMERA_KEYS if k in n["tags"]}},
                "geometry": {
                    "type": "Point",
                    "coordinates": [round(x, 3 if transform else 7), round(y, 3 if transform else 7)],
                },
            }
        )
    return features


def collection(features: list[dict], crs: str | None = None) -> dict:
    data: dict = {"type": "FeatureCollection"}
    if crs is not None:
        data["crs"] = {"type": "name", "properties": {"name": crs}}
    data["features"] = features
    return data


def reproject_units(units: dict, transform: Transformer) -> list[dict]:
    features = []
    for f in units["features"]:
        ring = [[round(c, 3) for c in transform.transform(x, y)] for x, y in f["geometry"]["coordinates"][0]]
        features.append({**f, "geometry": {"type": "Polygon", "coordinates": [ring]}})
    return features


def write_pbf(xml: bytes, dst: Path) -> None:
    """OSM XML to PBF with pyosmium (through a temporary .osm file next to ``dst``)."""
    tmp = dst.with_name("_tmp.osm")
    tmp.write_bytes(xml)
    dst.unlink(missing_ok=True)
    writer = osmium.SimpleWriter(str(dst), overwrite=True)
    try:
        for obj in osmium.FileProcessor(str(tmp)):
            writer.add(obj)
    finally:
        writer.close()
        tmp.unlink()


def write_dem(path: Path, data: np.ndarray, *, crs: str | None, nodata: float | None) -> None:
    path.unlink(missing_ok=True)
    profile = {
        "driver": "GTiff",
        "height": data.shape[0],
        "width": data.shape[1],
        "count": 1,
        "dtype": "float32",
        "transform": from_bounds(*UNIT_BOUNDS, data.shape[1], data.shape[0]),
    }
    if crs is not None:
        profile["crs"] = crs
    if nodata is not None:
        profile["nodata"] = nodata
    with rasterio.open(path, "w", **profile) as dst:
        dst.write(data.astype("float32"), 1)


def main() -> None:
    src = READERS / "cameras.osm"
    xml = src.read_bytes()
    cameras = read_osm(src)
    units = json.loads((READERS / "units.geojson").read_text(encoding="utf-8"))
    crime_lines = (READERS / "crime.csv").read_text(encoding="utf-8").splitlines()
    crime_header, crime_rows = crime_lines[0].split(","), [line.split(",") for line in crime_lines[1:]]
    good_crime = crime_rows[:13]  # the first 13 rows: coordinates and dates all good
    to_utm = Transformer.from_crs("EPSG:4326", "EPSG:32610", always_xy=True)
    to_merc = Transformer.from_crs("EPSG:4326", "EPSG:3857", always_xy=True)
    for p in HERE.iterdir():
        if p.is_file() and p.name not in ("make_corpus.py", "README.md"):
            p.unlink()

    # OSM XML, PBF, bzip2 and Overpass JSON
    (HERE / "osm_truncated.osm").write_bytes(xml[: xml.index(b'<tag k="operator"', len(xml) // 2) + 12])
    (HERE / "osm_unclosed.osm").write_bytes(osm_xml(cameras, closing=False))
    bad = [dict(n) for n in cameras]
    bad[1]["lat"] = "north"
    (HERE / "osm_bad_coordinates.osm").write_bytes(osm_xml(bad))
    bad = [dict(n) for n in cameras]
    bad[1]["lat"], bad[2]["lon"] = 95.0, 190.0
    (HERE / "osm_out_of_range.osm").write_bytes(osm_xml(bad))
    bad = [dict(n) for n in cameras]
    bad[3]["id"] = "abc"
    (HERE / "osm_bad_id.osm").write_bytes(osm_xml(bad))
    (HERE / "osm_html_page.osm").write_text(
        "<!DOCTYPE html>\n<html><head><title>504 Gateway Timeout</title></head>\n"
        "<body><h1>504 Gateway Timeout</h1><p>The server is busy; try again later.</p></body></html>\n",
        encoding="utf-8",
    )
    pbf = HERE / "_whole.osm.pbf"
    write_pbf(xml, pbf)
    raw = pbf.read_bytes()
    pbf.unlink()
    (HERE / "pbf_truncated.osm.pbf").write_bytes(raw[: len(raw) // 2])
    corrupt = bytearray(raw)
    for i in range(len(raw) // 2, len(raw) // 2 + 16):
        corrupt[i] ^= 0x5A
    (HERE / "pbf_corrupt.osm.pbf").write_bytes(bytes(corrupt))
    packed = bz2.compress(xml, 9)
    (HERE / "bz2_truncated.osm.bz2").write_bytes(packed[: len(packed) // 2])
    elements = [{"type": "node", "id": n["id"], "lat": n["lat"], "lon": n["lon"], "tags": n["tags"]} for n in cameras]
    overpass = {
        "version": 0.6,
        "generator": "Overpass API 0.7.62.7 375dc00a",
        "osm3s": {"timestamp_osm_base": "2025-10-04T09:29:18Z"},
        "elements": elements,
    }
    text = json.dumps(overpass, indent=1)
    (HERE / "overpass_truncated.json").write_text(text[: len(text) // 2], encoding="utf-8")
    write_json(
        HERE / "overpass_error.json",
        {
            "version": 0.6,
            "generator": "Overpass API 0.7.62.7 375dc00a",
            "osm3s": {"timestamp_osm_base": "2025-10-04T09:29:18Z"},
            "elements": [],
            "remark": 'runtime error: Query timed out in "query" at line 3 after 26 seconds.',
        },
    )
    write_json(HERE / "overpass_wrong_shape.json", {**overpass, "elements": {"node": elements[0]}})
    broken = [dict(e) for e in elements[:6]]
    del broken[0]["lat"]  # no latitude
    broken[1]["lat"] = str(broken[1]["lat"])  # text, but a number: read
    broken[2]["lon"] = "west"  # text, not a number
    broken[3]["lon"] = 200.0  # out of range
    broken.append("node 1 2 3")  # not an object
    broken.append(
        {"type": "way", "id": 1, "center": {"lat": 37.71, "lon": -122.41}, "tags": {"man_made": "surveillance"}}
    )
    write_json(HERE / "overpass_bad_elements.json", {**overpass, "elements": broken})
    (HERE / "osm_duplicate_ids.osm").write_bytes(osm_xml([*cameras, cameras[2]]))
    absurd = [dict(n, tags=dict(n["tags"])) for n in cameras]
    absurd[0]["tags"].update({"camera:direction": "720", "direction": "720"})
    absurd[1]["tags"]["height"] = "-3"
    absurd[2]["tags"]["height"] = "very high"
    absurd[3]["tags"]["fov"] = "wide"
    absurd[6]["tags"]["name"] = "Camera\tone\nline two"
    (HERE / "osm_absurd_tags.osm").write_bytes(osm_xml(absurd))
    long_value = [dict(n, tags=dict(n["tags"])) for n in cameras]
    long_value[5]["tags"]["operator"] = "A" * 10_000
    (HERE / "osm_long_value.osm").write_bytes(osm_xml(long_value))

    # wrong extension, empty, another format
    (HERE / "cameras_xml_named.pbf").write_bytes(xml)
    write_json(HERE / "cameras_geojson_named.csv", collection(point_features(cameras)))
    header, rows = camera_rows(cameras)
    write_csv(HERE / "cameras_csv_named.geojson", header, rows)
    (HERE / "empty.osm.pbf").write_bytes(b"")
    (HERE / "blank.csv").write_bytes(b"   \n\n  \t \n\n")
    (HERE / "cameras.osm.gz").write_bytes(gzip.compress(xml, mtime=0))
    write_dem(HERE / "dem_as_cameras.tif", np.full((8, 8), 20.0), crs="EPSG:4326", nodata=None)
    (HERE / "crime_as_units.csv").write_bytes((READERS / "crime.csv").read_bytes())

    # CSV cameras
    def csv_with(name: str, change: dict[int, dict[int, str]], **kwargs: object) -> None:
        header, rows = camera_rows(cameras)
        for i, cols in change.items():
            for j, value in cols.items():
                rows[i][j] = value
        write_csv(HERE / name, header, rows, **kwargs)

    csv_with("cameras_missing_coords.csv", {1: {1: ""}, 4: {2: ""}})
    csv_with("cameras_nonnumeric_coords.csv", {1: {1: "n/a"}, 4: {2: "37°42'N"}})
    header, rows = camera_rows(cameras)
    write_csv(
        HERE / "cameras_swapped_coords.csv",
        ["id", "longitude", "latitude", *CAMERA_KEYS],
        [[r[0], r[2], r[1], *r[3:]] for r in rows],
    )
    csv_with("cameras_out_of_range.csv", {1: {1: "200.0"}, 4: {2: "-95.0"}})
    header, rows = camera_rows(cameras)
    rows[0][-1], rows[1][-1] = "Café Müller Sicherheit", "Société Générale"
    lines = csv_text(header, rows).splitlines(keepends=True)
    body = lines[0].encode() + lines[1].encode("utf-8") + lines[2].encode("latin-1") + "".join(lines[3:]).encode()
    (HERE / "cameras_mixed_encoding.csv").write_bytes(body)
    (HERE / "cameras_latin1.csv").write_bytes(csv_text(header, rows).encode("latin-1"))
    header, rows = camera_rows(cameras)
    write_csv(HERE / "cameras_bom.csv", header, rows, bom=True)
    header, rows = camera_rows(cameras, decimal_comma=True)
    write_csv(HERE / "cameras_semicolon_decimal_comma.csv", header, rows, sep=";")
    write_csv(HERE / "cameras_quoted_decimal_comma.csv", header, rows)
    header, rows = camera_rows(cameras)
    rows[5][0] = rows[2][0]
    write_csv(HERE / "cameras_duplicate_ids.csv", header, rows)
    header, rows = camera_rows(cameras)
    header = [*header, "fov", "name", "height"]
    rows = [[*r, "", "", ""] for r in rows]
    rows[0][header.index("direction")] = "720"
    rows[1][header.index("height")] = "-3"
    rows[2][header.index("operator")] = "A" * 10_000
    rows[3][header.index("fov")] = "wide"
    rows[4][header.index("name")] = "Cam\x01era\x07 \x1b[31mred\x1b[0m\x7f"
    rows[6][header.index("height")] = "very high"
    write_csv(HERE / "cameras_absurd_tags.csv", header, rows)
    header, rows = camera_rows(cameras)
    text = csv_text(header, rows).splitlines(keepends=True)
    text[3] = text[3].rstrip("\n") + ",extra,fields\n"
    (HERE / "cameras_ragged.csv").write_text("".join(text), encoding="utf-8")

    # GeoJSON cameras
    feats = point_features(cameras)
    for i in (1, 4):
        feats[i]["geometry"] = None
    write_json(HERE / "cameras_null_geometry.geojson", collection(feats))
    feats = point_features(cameras)
    feats[1]["geometry"] = {"type": "Point", "coordinates": []}
    feats[4]["geometry"] = {"type": "Point", "coordinates": ["west", "north"]}
    write_json(HERE / "cameras_invalid_geometry.geojson", collection(feats))
    feats = point_features(cameras)
    c1, c4 = cameras[1], cameras[4]
    feats[1]["geometry"] = {
        "type": "LineString",
        "coordinates": [[c1["lon"], c1["lat"]], [c1["lon"] + 0.001, c1["lat"]]],
    }
    feats[4]["geometry"] = {
        "type": "Polygon",
        "coordinates": [
            [
                [c4["lon"], c4["lat"]],
                [c4["lon"] + 0.001, c4["lat"]],
                [c4["lon"], c4["lat"] + 0.001],
                [c4["lon"], c4["lat"]],
            ]
        ],
    }
    write_json(HERE / "cameras_mixed_geometry.geojson", collection(feats))
    write_json(
        HERE / "cameras_epsg3857.geojson", collection(point_features(cameras, to_merc), "urn:ogc:def:crs:EPSG::3857")
    )
    write_json(
        HERE / "cameras_utm10n.geojson", collection(point_features(cameras, to_utm), "urn:ogc:def:crs:EPSG::32610")
    )
    write_json(HERE / "cameras_utm_no_crs.geojson", collection(point_features(cameras, to_utm)))

    # units
    feats = json.loads(json.dumps(units["features"]))
    x0, y0, x1, y1 = -122.4090, 37.7040, -122.4020, 37.7140
    feats[2]["geometry"]["coordinates"] = [[[x0, y0], [x1, y1], [x1, y0], [x0, y1], [x0, y0]]]
    write_json(HERE / "units_self_intersecting.geojson", collection(feats))
    feats = json.loads(json.dumps(units["features"]))
    feats[2]["geometry"] = None
    write_json(HERE / "units_null_geometry.geojson", collection(feats))
    feats = json.loads(json.dumps(units["features"]))
    feats[3]["geometry"] = {"type": "LineString", "coordinates": [[-122.426, 37.714], [-122.402, 37.718]]}
    write_json(HERE / "units_mixed_geometry.geojson", collection(feats))
    feats = json.loads(json.dumps(units["features"]))
    feats[3]["properties"]["name"] = "Centre"
    write_json(HERE / "units_duplicate_ids.geojson", collection(feats))
    feats = json.loads(json.dumps(units["features"]))
    feats[1]["properties"]["name"] = None
    write_json(HERE / "units_missing_id.geojson", collection(feats))
    write_json(HERE / "units_no_features.geojson", collection([]))
    write_json(
        HERE / "units_epsg3857.geojson", collection(reproject_units(units, to_merc), "urn:ogc:def:crs:EPSG::3857")
    )
    write_json(HERE / "units_utm_no_crs.geojson", collection(reproject_units(units, to_utm)))
    feats = json.loads(json.dumps(units["features"]))
    feats[1]["geometry"]["coordinates"] = [feats[1]["geometry"]["coordinates"][0][:3]]
    write_json(HERE / "units_open_ring.geojson", collection(feats))

    # crime
    # 15 rows with good coordinates and dates, 14 incidents (two rows of incident 120600004)
    extra = [list(r) for r in good_crime] + [
        list(crime_rows[17]),
        ["120600020", "ROBBERY", "2012-11-11", "-122.4110", "37.7090"],
    ]
    rows = [list(r) for r in extra]
    rows[13][3], rows[14][4] = "", ""
    write_csv(HERE / "crime_missing_coords.csv", crime_header, rows)
    rows = [list(r) for r in extra]
    rows[13][4], rows[14][3] = "NULL", "-122.41.5"
    write_csv(HERE / "crime_nonnumeric_coords.csv", crime_header, rows)
    rows = [list(r) for r in extra]
    rows[13][4], rows[14][3] = "97.7", "-522.4"
    write_csv(HERE / "crime_out_of_range.csv", crime_header, rows)
    write_csv(HERE / "crime_swapped.csv", crime_header, [[*r[:3], r[4], r[3]] for r in extra])
    projected = []
    for r in extra:
        x, y = to_utm.transform(float(r[3]), float(r[4]))
        projected.append([*r[:3], f"{x:.1f}", f"{y:.1f}"])
    write_csv(HERE / "crime_projected.csv", crime_header, projected)
    write_csv(
        HERE / "crime_semicolon_decimal_comma.csv",
        crime_header,
        [[*r[:3], r[3].replace(".", ","), r[4].replace(".", ",")] for r in extra],
        sep=";",
        bom=True,
    )
    rows = [list(r) for r in extra]
    rows[1][1], rows[2][1] = "AGRESSÃO", "AGRESSÃO"
    lines = csv_text(crime_header, rows).splitlines(keepends=True)
    body = lines[0].encode() + lines[1].encode() + lines[2].encode("utf-8") + lines[3].encode("latin-1")
    (HERE / "crime_mixed_encoding.csv").write_bytes(body + "".join(lines[4:]).encode())
    write_csv(HERE / "crime_header_only.csv", crime_header, [])
    rows = [list(r) for r in extra]
    rows[2][2], rows[5][2], rows[8][2] = "yesterday", "2012-13-45", ""
    write_csv(HERE / "crime_bad_dates.csv", crime_header, rows)
    feats = [
        {
            "type": "Feature",
            "properties": {"IncidntNum": r[0], "Category": r[1], "Date": r[2]},
            "geometry": {"type": "Point", "coordinates": [float(r[3]), float(r[4])]},
        }
        for r in extra
    ]
    feats.append({**feats[0], "properties": {**feats[0]["properties"], "IncidntNum": "1"}, "geometry": None})
    feats.append(
        {
            **feats[0],
            "properties": {**feats[0]["properties"], "IncidntNum": "2"},
            "geometry": {
                "type": "Polygon",
                "coordinates": [[[-122.42, 37.71], [-122.41, 37.71], [-122.41, 37.712], [-122.42, 37.71]]],
            },
        }
    )
    write_json(HERE / "crime_mixed_geometry.geojson", collection(feats))

    # population
    feats = json.loads(json.dumps(units["features"]))
    feats[1]["properties"]["pop"] = -5
    write_json(HERE / "population_negative.geojson", collection(feats))
    feats[1]["properties"]["pop"] = "many"
    write_json(HERE / "population_text.geojson", collection(feats))

    # streets and buildings
    streets = (
        '<?xml version="1.0" encoding="UTF-8"?>\n<osm version="0.6" generator="equity make_corpus.py">\n'
        '  <node id="1" lat="37.7060" lon="-122.4250"/>\n  <node id="2" lat="37.7060" lon="-122.4030"/>\n'
        '  <node id="3" lat="37.7120" lon="-122.4250"/>\n  <node id="4" lat="37.7120" lon="-122.4030"/>\n'
        '  <way id="10"><nd ref="1"/><nd ref="2"/><tag k="highway" v="residential"/></way>\n'
        '  <way id="11"><nd ref="3"/><nd ref="4"/><tag k="highway" v="resid'
    )
    (HERE / "streets_truncated.osm").write_text(streets, encoding="utf-8")
    buildings = ['<?xml version="1.0" encoding="UTF-8"?>\n<osm version="0.6" generator="equity make_corpus.py">\n']
    node = 1
    for b in range(20):
        x, y = -122.425 + 0.001 * b, 37.7065
        refs = []
        for dx, dy in ((0, 0), (0.0003, 0), (0.0003, 0.0002), (0, 0.0002)):
            buildings.append(f'  <node id="{node}" lat="{y + dy:.7f}" lon="{x + dx:.7f}"/>\n')
            refs.append(node)
            node += 1
        nds = "".join(f'<nd ref="{r}"/>' for r in [*refs, refs[0]])
        buildings.append(f'  <way id="{100 + b}">{nds}<tag k="building" v="house"/></way>\n')
    buildings.append("</osm>\n")
    pbf = HERE / "_buildings.osm.pbf"
    write_pbf("".join(buildings).encode(), pbf)
    raw = pbf.read_bytes()
    pbf.unlink()
    (HERE / "buildings_truncated.osm.pbf").write_bytes(raw[: len(raw) // 2])

    # DEM
    write_dem(HERE / "dem_nodata.tif", np.full((16, 16), -9999.0), crs="EPSG:4326", nodata=-9999.0)
    write_dem(HERE / "dem_no_crs.tif", np.full((16, 16), 20.0), crs=None, nodata=None)
    whole = HERE / "_dem.tif"
    write_dem(whole, np.linspace(0, 90, 64 * 64).reshape(64, 64), crs="EPSG:4326", nodata=None)
    raw = whole.read_bytes()
    whole.unlink()
    (HERE / "dem_truncated.tif").write_bytes(raw[: len(raw) // 2])

    write_hostile(xml, cameras, units)

    written = sorted(p.name for p in HERE.iterdir() if p.name not in ("make_corpus.py", "README.md"))
    listed = sorted(c[0] for c in CORPUS)
    if written != listed:
        msg = f"files and CORPUS differ: {sorted(set(written) ^ set(listed))}"
        raise SystemExit(msg)
    too_big = {p.name: p.stat().st_size for p in HERE.iterdir() if p.suffix != ".py" and p.stat().st_size >= 20_000}
    if too_big:
        msg = f"corpus files over 20 KB: {too_big}"
        raise SystemExit(msg)
    write_readme()
    print(f"wrote {len(written)} files in {HERE}")


def write_hostile(xml: bytes, cameras: list[dict], units: dict) -> None:
    """The files made to mislead equity, to keep it busy or to make it reach elsewhere (docs/security.md)."""
    import bz2
    import shutil
    import sqlite3

    third = len(xml) // 3
    cut1 = xml.index(b"<node", third)
    cut2 = xml.index(b"<node", 2 * third)
    (HERE / "cameras_multistream.osm.bz2").write_bytes(
        b"".join(bz2.compress(part) for part in (xml[:cut1], xml[cut1:cut2], xml[cut2:]))
    )
    node = b'<node id="1" lat="37.71" lon="-122.41"><tag k="man_made" v="surveillance"/></node>\n'
    head = b'<?xml version="1.0" encoding="UTF-8"?>\n<osm version="0.6">\n'
    (HERE / "cameras_bz2_bomb.osm.bz2").write_bytes(bz2.compress(head + node * (20_000_000 // len(node)) + b"</osm>\n"))

    def geopackage(name: str, *sql: str, layer: str) -> None:
        path = HERE / name
        shutil.copy(READERS / "cameras.gpkg", path)
        conn = sqlite3.connect(path)
        for statement in sql:
            conn.execute(statement)
        conn.execute("DELETE FROM gpkg_geometry_columns WHERE table_name = 'cameras'")
        conn.execute("DELETE FROM gpkg_contents WHERE table_name = 'cameras'")
        conn.execute(
            "INSERT INTO gpkg_contents (table_name, data_type, identifier, srs_id) VALUES (?, 'features', ?, 32610)",
            (layer, layer),
        )
        conn.execute("INSERT INTO gpkg_geometry_columns VALUES (?, 'geom', 'POINT', 32610, 0, 0)", (layer,))
        conn.commit()
        conn.execute("VACUUM")
        conn.close()

    geopackage(
        "cameras_recursive_view.gpkg",
        "CREATE VIEW endless AS WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n) "
        "SELECT n.i AS fid, c.geom, c.id FROM n, cameras c",
        layer="endless",
    )
    geopackage(
        "cameras_circular_views.gpkg",
        "CREATE VIEW a AS SELECT * FROM cameras",
        "CREATE VIEW b AS SELECT * FROM a",
        "DROP VIEW a",
        "CREATE VIEW a AS SELECT * FROM b",
        layer="a",
    )

    header, rows = camera_rows(cameras)
    many = [list(r) for r in rows]
    many[0][header.index("direction")] = ";".join(str(18 * i) for i in range(20))
    many[1][header.index("direction")] = ";".join(f"{18 * i}-{18 * i + 5}" for i in range(20))
    write_csv(HERE / "cameras_many_directions.csv", header, many)
    formulas = [list(r) for r in rows]
    for row, value in zip(formulas, ["=cmd|' /C calc'!A0", "@SUM(1+1)", "+1", "-2+3"], strict=False):
        row[header.index("operator")] = value
    write_csv(HERE / "cameras_formulas.csv", header, formulas)
    features = point_features(cameras)
    features[0]["properties"]["note"] = ["a", "list"]
    features[1]["properties"]["note"] = {"an": "object"}
    write_json(HERE / "cameras_list_property.geojson", collection(features))
    (HERE / "overpass_deep.json").write_text('{"elements": ' + "[" * 5000 + "]" * 5000 + "}\n")

    escaped = json.loads(json.dumps(units))
    escaped["features"][0]["properties"]["name"] = "West\x1b]0;title\x07 side"
    escaped["features"][1]["properties"]["name"] = "Centre\x1b[31m red\x1b[0m"
    write_json(HERE / "units_terminal_escapes.geojson", escaped)
    linked = {**units, "crs": {"type": "link", "properties": {"href": "http://127.0.0.1:9/crs.wkt", "type": "ogcwkt"}}}
    write_json(HERE / "units_crs_link.geojson", linked)
    (HERE / "units_ogr_vrt.gml").write_text(
        '<OGRVRTDataSource><OGRVRTLayer name="units">'
        '<SrcDataSource relativeToVRT="1">../readers/units.geojson</SrcDataSource>'
        "</OGRVRTLayer></OGRVRTDataSource>\n"
    )
    raised = json.loads(json.dumps(units))
    for feature in raised["features"]:
        ring = feature["geometry"]["coordinates"][0]
        feature["geometry"]["coordinates"][0] = [[x, y, 12.5] for x, y in ring]
    write_json(HERE / "units_polygonz.geojson", raised)
    holed = json.loads(json.dumps(units))
    holed["features"][2]["geometry"]["coordinates"][0][2][1] = "NOT-A-NUMBER"  # a vertex that does not close the ring
    (HERE / "units_nan_coordinate.geojson").write_text(
        json.dumps(holed).replace('"NOT-A-NUMBER"', "NaN") + "\n", encoding="utf-8"
    )
    (HERE / "dem_vrt_other_file.vrt").write_text(
        '<VRTDataset rasterXSize="64" rasterYSize="64"><SRS>EPSG:4326</SRS>'
        f"<GeoTransform>{UNIT_BOUNDS[0]}, 0.000375, 0, {UNIT_BOUNDS[3]}, 0, -0.00021875</GeoTransform>"
        '<VRTRasterBand dataType="Byte" band="1" subClass="VRTRawRasterBand">'
        '<SourceFilename relativeToVRT="1">../readers/cameras.osm</SourceFilename><ImageOffset>0</ImageOffset>'
        "<PixelOffset>1</PixelOffset><LineOffset>64</LineOffset></VRTRasterBand></VRTDataset>\n"
    )


def write_readme() -> None:
    """README.md: what the corpus is, and the table of :data:`CORPUS`."""
    lines = [
        "# Broken inputs",
        "",
        "A corpus of small damaged or unusual input files, one case each, for `tests/test_broken_corpus.py`. The test",
        "gives each file to `equity analyze` (with the valid fixtures of `tests/data/readers` for the other inputs)",
        "and checks the expected outcome below: either the file is read, with the fix-up or the rejected rows",
        "named, or the run stops with exit code 2 and one line on stderr that names the file and says what was",
        "expected; never a traceback.",
        "",
        "Every file is written by `make_corpus.py` from `tests/data/readers/cameras.osm`, `crime.csv` and",
        "`units.geojson` (the camera files hold OpenStreetMap data, © OpenStreetMap contributors, ODbL 1.0; see",
        "`tests/data/readers/README.md`):",
        "",
        "```sh",
        "python tests/data/broken/make_corpus.py",
        "```",
        "",
        f"{len(CORPUS)} files:",
        "",
        "| file | given as | what it tests | expected outcome |",
        "|---|---|---|---|",
    ]
    lines += [f"| `{f}` | `{role}` | {what} | {outcome} |" for f, role, what, outcome in CORPUS]
    (HERE / "README.md").write_text("\n".join(lines) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
