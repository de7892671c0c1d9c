"""Regenerate the derived reader fixtures of this folder from its two hand-written sources.

Run from anywhere: ``python tests/data/readers/make_fixtures.py``. It reads only ``cameras.osm`` and
``crime.csv`` in this folder and writes every other fixture next to them (see README.md). Units,
population polygons and the bad-input files are defined here.
"""

from __future__ import annotations

import bz2
import csv
import io
import json
import random
import sqlite3
import xml.etree.ElementTree as ET
from pathlib import Path

import geopandas as gpd
import osmium
import pandas as pd
import pyogrio
from shapely.geometry import Point, Polygon, box

HERE = Path(__file__).resolve().parent
OSM_TIMESTAMP = "2025-10-04T09:29:18Z"
OVERPASS_COPYRIGHT = (
    "The data included in this document is from www.openstreetmap.org. The data is made available under ODbL."
)

#: The units of analysis around the cameras (Visitacion Valley, San Francisco): name, code, residents, box.
UNITS = [
    ("West", "U1", 2100, (-122.4260, 37.7040, -122.4180, 37.7140)),
    ("Centre", "U2", 3400, (-122.4180, 37.7040, -122.4090, 37.7140)),
    ("East", "U3", 1800, (-122.4090, 37.7040, -122.4020, 37.7140)),
    ("North Hill", "U4", 2600, (-122.4260, 37.7140, -122.4020, 37.7180)),
]
#: Population polygons that overlap the units without matching them: name, Population, box.
POPULATION = [
    ("tract A", 5000, (-122.4270, 37.7030, -122.4140, 37.7190)),
    ("tract B", 4000, (-122.4140, 37.7030, -122.4010, 37.7190)),
]
#: Units on another continent (Lisbon), overlapping no camera and no incident of the fixtures.
FAR_UNITS = [
    ("Baixa", "P1", 2500, (-9.1420, 38.7080, -9.1340, 38.7140)),
    ("Alfama", "P2", 4100, (-9.1340, 38.7080, -9.1260, 38.7140)),
]


def read_osm(path: Path) -> tuple[list[dict], list[dict]]:
    """Nodes (id, lat, lon, tags) and ways (id, refs, tags) of an OSM XML file, in file order."""
    root = ET.parse(path).getroot()
    nodes, ways = [], []
    for el in root:
        tags = {t.get("k"): t.get("v") for t in el.findall("tag")}
        if el.tag == "node":
            nodes.append(
                {"id": int(el.get("id")), "lat": float(el.get("lat")), "lon": float(el.get("lon")), "tags": tags}
            )
        elif el.tag == "way":
            ways.append(
                {"id": int(el.get("id")), "refs": [int(nd.get("ref")) for nd in el.findall("nd")], "tags": tags}
            )
    return nodes, ways


def is_camera(tags: dict) -> bool:
    return tags.get("man_made") == "surveillance"


def write_json(path: Path, data: object) -> None:
    path.write_text(json.dumps(data, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")


def write_pbf(src: Path, dst: Path) -> None:
    """Copy an OSM file to PBF with pyosmium; the timestamp goes into the replication header field."""
    header = osmium.io.Header()
    header.set("generator", "equity tests/data/readers/make_fixtures.py (pyosmium)")
    header.set("osmosis_replication_timestamp", OSM_TIMESTAMP)
    dst.unlink(missing_ok=True)
    writer = osmium.SimpleWriter(str(dst), header=header, overwrite=True)
    try:
        for obj in osmium.FileProcessor(str(src)):
            writer.add(obj)
    finally:
        writer.close()


def overpass_json(nodes: list[dict], ways: list[dict]) -> dict:
    """What ``[out:json]; (nwr[man_made=surveillance]; ... ); out center;`` returns for the same data."""
    by_id = {n["id"]: n for n in nodes}
    elements: list[dict] = []
    for n in nodes:
        el = {"type": "node", "id": n["id"], "lat": n["lat"], "lon": n["lon"]}
        if n["tags"]:
            el["tags"] = n["tags"]
        elements.append(el)
    for w in ways:
        lats = [by_id[r]["lat"] for r in w["refs"]]
        lons = [by_id[r]["lon"] for r in w["refs"]]
        center = {"lat": round((min(lats) + max(lats)) / 2, 7), "lon": round((min(lons) + max(lons)) / 2, 7)}
        elements.append({"type": "way", "id": w["id"], "center": center, "nodes": w["refs"], "tags": w["tags"]})
    return {
        "version": 0.6,
        "generator": "Overpass API 0.7.62.7 375dc00a",
        "osm3s": {"timestamp_osm_base": OSM_TIMESTAMP, "copyright": OVERPASS_COPYRIGHT},
        "elements": elements,
    }


def turbo_geojson(nodes: list[dict], ways: list[dict]) -> dict:
    """overpass-turbo's GeoJSON export: flat tags, ``@id`` = ``node/123``, tagged objects only."""
    by_id = {n["id"]: n for n in nodes}
    features = []
    for n in nodes:
        if not n["tags"]:
            continue
        oid = f"node/{n['id']}"
        features.append(
            {
                "type": "Feature",
                "properties": {"@id": oid, **n["tags"]},
                "geometry": {"type": "Point", "coordinates": [n["lon"], n["lat"]]},
                "id": oid,
            }
        )
    for w in ways:
        oid = f"way/{w['id']}"
        ring = [[by_id[r]["lon"], by_id[r]["lat"]] for r in w["refs"]]
        features.append(
            {
                "type": "Feature",
                "properties": {"@id": oid, **w["tags"]},
                "geometry": {"type": "Polygon", "coordinates": [ring]},
                "id": oid,
            }
        )
    return {
        "type": "FeatureCollection",
        "generator": "overpass-turbo",
        "copyright": OVERPASS_COPYRIGHT,
        "timestamp": OSM_TIMESTAMP,
        "features": features,
    }


def plain_frame(cameras: list[dict]) -> gpd.GeoDataFrame:
    """A plain point layer: a numeric ``id`` and a few tag columns (no ``man_made``)."""
    keys = [
        "surveillance",
        "surveillance:type",
        "camera:type",
        "camera:mount",
        "camera:direction",
        "direction",
        "operator",
    ]
    rows = [{"id": str(n["id"]), **{k: n["tags"].get(k) for k in keys}} for n in cameras]
    return gpd.GeoDataFrame(rows, geometry=[Point(n["lon"], n["lat"]) for n in cameras], crs="EPSG:4326")


def plain_geojson(cameras: list[dict]) -> dict:
    keys = [
        "surveillance",
        "surveillance:type",
        "camera:type",
        "camera:mount",
        "camera:direction",
        "direction",
        "operator",
    ]
    features = [
        {
            "type": "Feature",
            "properties": {"id": n["id"], **{k: n["tags"][k] for k in keys if k in n["tags"]}},
            "geometry": {"type": "Point", "coordinates": [n["lon"], n["lat"]]},
        }
        for n in cameras
    ]
    return {"type": "FeatureCollection", "features": features}


def write_csv(path: Path, header: list[str], rows: list[list[str]], *, sep: str = ",", bom: bool = False) -> None:
    buf = io.StringIO()
    writer = csv.writer(buf, delimiter=sep, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    path.write_bytes((b"\xef\xbb\xbf" if bom else b"") + buf.getvalue().encode("utf-8"))


def cameras_csv(cameras: list[dict]) -> tuple[list[str], list[list[str]]]:
    """Every tag of every camera as a column, ids as ``node/123``."""
    keys = sorted({k for n in cameras for k in n["tags"]})
    rows = [
        [f"node/{n['id']}", f"{n['lon']:.7f}", f"{n['lat']:.7f}", *(n["tags"].get(k, "") for k in keys)]
        for n in cameras
    ]
    return ["id", "lon", "lat", *keys], rows


def unit_frame(units: list[tuple], crime: gpd.GeoDataFrame | None = None) -> gpd.GeoDataFrame:
    rows = []
    for name, code, pop, bounds in units:
        row = {"name": name, "code": code, "pop": pop}
        if crime is not None:
            inside = crime[crime.within(box(*bounds))]
            row["Robbery"] = int((inside["Category"].str.upper() == "ROBBERY").sum())
            row["Drugs"] = int((inside["Category"].str.upper() == "DRUG/NARCOTIC").sum())
        rows.append(row)
    return gpd.GeoDataFrame(rows, geometry=[box(*u[3]) for u in units], crs="EPSG:4326")


def crime_points(path: Path) -> gpd.GeoDataFrame:
    """The rows of crime.csv with usable coordinates, deduplicated by incident number, as points."""
    table = pd.read_csv(path, dtype=str, keep_default_na=False)
    x = pd.to_numeric(table["X"], errors="coerce")
    y = pd.to_numeric(table["Y"], errors="coerce")
    ok = x.between(-180, 180) & y.between(-90, 90)
    table, x, y = table[ok], x[ok], y[ok]
    gdf = gpd.GeoDataFrame(
        table[["IncidntNum", "Category", "Date"]], geometry=gpd.points_from_xy(x, y), crs="EPSG:4326"
    )
    return gdf.drop_duplicates("IncidntNum").reset_index(drop=True)


def main() -> None:
    src = HERE / "cameras.osm"
    xml = src.read_bytes()
    nodes, ways = read_osm(src)
    cameras = [n for n in nodes if is_camera(n["tags"])]

    # cameras in every supported format
    (HERE / "cameras.osm.bz2").write_bytes(bz2.compress(xml, 9))
    write_pbf(src, HERE / "cameras.osm.pbf")
    write_json(HERE / "cameras_overpass.json", overpass_json(nodes, ways))
    write_json(HERE / "cameras_turbo.geojson", turbo_geojson(nodes, ways))
    write_json(HERE / "cameras_plain.geojson", plain_geojson(cameras))
    gpkg = HERE / "cameras.gpkg"
    gpkg.unlink(missing_ok=True)  # a projected CRS, so that the reader has to bring it back to WGS84
    pyogrio.write_dataframe(
        plain_frame(cameras).to_crs("EPSG:32610"),
        gpkg,
        layer="cameras",
        driver="GPKG",
        layer_options={"SPATIAL_INDEX": "NO"},
        dataset_options={"METADATA_TABLES": "NO", "ADD_GPKG_OGR_CONTENTS": "NO"},
    )
    with sqlite3.connect(gpkg) as con:  # small pages keep the file under 20 KB
        con.execute("PRAGMA page_size=512")
        con.execute("VACUUM")
    header, rows = cameras_csv(cameras)
    write_csv(HERE / "cameras.csv", header, rows)
    (HERE / "cameras.txt").write_bytes((HERE / "cameras.csv").read_bytes())
    semi_keys = ["surveillance:type", "camera:type", "direction", "operator"]
    write_csv(
        HERE / "cameras_semicolon.csv",
        ["osm_id", "longitude", "latitude", *semi_keys],
        [
            [
                f"node/{n['id']}",
                f"{n['lon']:.7f}".replace(".", ","),
                f"{n['lat']:.7f}".replace(".", ","),
                *(n["tags"].get(k, "") for k in semi_keys),
            ]
            for n in cameras
        ],
        sep=";",
        bom=True,
    )

    # crime points, units and population around them
    crime = crime_points(HERE / "crime.csv")
    write_json(HERE / "crime_points.geojson", json.loads(crime.to_json(drop_id=True)))
    write_json(HERE / "units.geojson", json.loads(unit_frame(UNITS, crime).to_json(drop_id=True)))
    pop = gpd.GeoDataFrame(
        {"name": [p[0] for p in POPULATION], "Population": [p[1] for p in POPULATION]},
        geometry=[box(*p[2]) for p in POPULATION],
        crs="EPSG:4326",
    )
    write_json(HERE / "population.geojson", json.loads(pop.to_json(drop_id=True)))

    # units with one self-intersecting ("bow-tie") polygon, to be repaired by the reader
    bowtie = unit_frame(UNITS)
    x0, y0, x1, y1 = UNITS[2][3]
    bowtie.loc[2, "geometry"] = Polygon([(x0, y0), (x1, y1), (x1, y0), (x0, y1), (x0, y0)])
    write_json(HERE / "units_bowtie.geojson", json.loads(bowtie.to_json(drop_id=True)))

    # bad inputs
    (HERE / "empty.osm").write_bytes(b"")
    (HERE / "truncated.osm").write_bytes(xml[: xml.index(b'<tag k="surveillance:zone"', len(xml) // 2) + 18])
    (HERE / "not_osm.xml").write_text(
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<gpx version="1.1" creator="equity tests" xmlns="http://www.topografix.com/GPX/1/1">\n'
        '  <wpt lat="37.7064848" lon="-122.4131365"><name>camera</name></wpt>\n'
        "</gpx>\n",
        encoding="utf-8",
    )
    rng = random.Random(20251004)
    (HERE / "garbage.pbf").write_bytes(b"\x00\x17\x9c" + bytes(rng.randrange(256) for _ in range(2045)))
    write_csv(
        HERE / "cameras_no_coords.csv",
        ["id", "address", "surveillance:type", "direction"],
        [
            [f"node/{n['id']}", f"{i + 100} Geneva Ave", "ALPR", n["tags"].get("direction", "")]
            for i, n in enumerate(cameras)
        ],
    )
    write_csv(
        HERE / "cameras_swapped.csv",
        ["id", "longitude", "latitude", "surveillance:type"],
        [[f"node/{n['id']}", f"{n['lat']:.7f}", f"{n['lon']:.7f}", "ALPR"] for n in cameras],
    )
    points = unit_frame(UNITS)
    points["geometry"] = [Point((u[3][0] + u[3][2]) / 2, (u[3][1] + u[3][3]) / 2) for u in UNITS]
    write_json(HERE / "units_points.geojson", json.loads(points.to_json(drop_id=True)))
    shp = HERE / "units_no_crs.shp"
    for ext in (".shp", ".shx", ".dbf", ".prj", ".cpg"):
        shp.with_suffix(ext).unlink(missing_ok=True)
    pyogrio.write_dataframe(unit_frame(UNITS), shp, driver="ESRI Shapefile")
    for ext in (".prj", ".cpg"):
        shp.with_suffix(ext).unlink(missing_ok=True)
    dup = unit_frame(UNITS)
    dup.loc[3, "name"] = "Centre"
    write_json(HERE / "units_dup_ids.geojson", json.loads(dup.to_json(drop_id=True)))
    write_json(HERE / "units_far.geojson", json.loads(unit_frame(FAR_UNITS).to_json(drop_id=True)))
    write_csv(
        HERE / "crime_far.csv",
        ["IncidntNum", "Category", "Date", "X", "Y"],
        [
            ["130000001", "ROBBERY", "2012-07-02", "-9.1380", "38.7100"],
            ["130000002", "VANDALISM", "2012-08-14", "-9.1300", "38.7120"],
            ["130000003", "DRUG/NARCOTIC", "2012-09-23", "-9.1290", "38.7090"],
        ],
    )
    tree = ET.parse(src)
    root = tree.getroot()
    for el in list(root):
        if el.tag in ("node", "way") and any(
            t.get("k") == "man_made" and t.get("v") == "surveillance" for t in el.findall("tag")
        ):
            root.remove(el)
    buf = io.BytesIO()
    tree.write(buf, encoding="UTF-8", xml_declaration=True)
    (HERE / "no_cameras.osm").write_bytes(buf.getvalue())

    sizes = {p.name: p.stat().st_size for p in HERE.iterdir() if p.is_file()}
    too_big = {name: size for name, size in sizes.items() if size >= 20_000}
    if too_big:
        msg = f"fixtures over 20 KB: {too_big}"
        raise SystemExit(msg)
    print(f"wrote {len(sizes)} files in {HERE}")


if __name__ == "__main__":
    main()
