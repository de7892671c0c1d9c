"""Camera readers: OSM XML (.osm, .osm.bz2), .osm.pbf, Overpass JSON, GeoJSON (plain and overpass-turbo's
flat export with ``@id``), GeoPackage and other vector layers, and CSV with coordinate columns.

Every reader returns a :class:`~equity.io.ReadResult` whose data has the columns ``camera_id``, ``tags``
(a dict of the OSM tags, or of the row's columns) and a point geometry in WGS84. The camera model is applied
afterwards by :func:`equity.cameras.normalise_cameras`.
"""

from __future__ import annotations

import contextlib
import json
import re
from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd

from equity._errors import InputFormatError
from equity._progress import progress
from equity.io._common import (
    _CONTROL_RE,
    LAT_NAMES,
    LON_NAMES,
    OSM_FORMATS,
    ReadResult,
    SourceFile,
    clean_text,
    fetched_metadata,
    find_column,
    nonfinite_features,
    osm_error,
    osm_read_errors,
    overpass_json,
    overpass_timestamp,
    points_from_table,
    read_csv_table,
    read_vector,
    reads_source,
    rejected_frame,
)

_TIMESTAMP_RE = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ")
_OSM_TYPES = {"n": "node", "w": "way", "r": "relation"}
ID_NAMES = ("@id", "camera_id", "osm_id", "id", "osmid", "@osm_id")


def check_cameras(result: ReadResult, path: str | Path) -> ReadResult:
    """The cameras read from ``path`` by a reader of this module, checked as :func:`equity.io.cameras_from_file`
    returns them: control characters in ids and tag values replaced (see :func:`_clean_controls`), and refused
    when there is no camera (saying why) or when two cameras share an id.

    Raises
    ------
    InputFormatError
        When no camera was read, or an id appears on more than one camera.
    """
    p = Path(path)
    _clean_controls(result)
    if result.data.empty:
        if result.meta.get("overpass_remark"):
            msg = f"{p}: no cameras; the Overpass server answered with an error: {result.meta['overpass_remark']}"
            raise InputFormatError(msg.rstrip(".") + ".")
        if len(result.rejected):
            reason = result.rejected["reason"].value_counts().index[0]
            msg = f"{p}: no usable cameras: all {len(result.rejected)} tagged features were set aside ({reason})."
        else:
            msg = f"{p}: no cameras found (no point tagged man_made=surveillance)."
        raise InputFormatError(msg)
    dup = result.data["camera_id"][result.data["camera_id"].duplicated()]
    if not dup.empty:
        n = int((result.data["camera_id"] == dup.iloc[0]).sum())
        msg = (
            f"{p}: camera id {dup.iloc[0]!r} appears on {n} rows; every camera needs its own id "
            "(or leave the id column out and rows are numbered)."
        )
        raise InputFormatError(msg)
    return result


def _clean_controls(result: ReadResult) -> None:
    """Replace control characters (terminal escapes, bells, tabs, line breaks) in camera ids and tag values by
    spaces, counted in ``meta["tag_values_with_control_characters"]``: they are never part of a value, and
    would reach terminals, CSV and HTML outputs as they are."""
    n = 0
    tags = []
    for t in result.data["tags"]:
        # one search of all the keys and text values run together: most cameras have no control character
        if not _CONTROL_RE.search("".join([*map(str, t), *(v for v in t.values() if isinstance(v, str))])):
            tags.append(t)
            continue
        cleaned = {clean_text(str(k)): clean_text(v) if isinstance(v, str) else v for k, v in t.items()}
        n += sum(1 for k, v in t.items() if isinstance(v, str) and cleaned.get(clean_text(str(k))) != v)
        tags.append(cleaned)
    if n:
        result.data["tags"] = pd.Series(tags, index=result.data.index, dtype=object)
        result.meta["tag_values_with_control_characters"] = n
    result.data["camera_id"] = result.data["camera_id"].map(clean_text)


def _frame(ids: list[str], tags: list[dict[str, Any]], lons: list[float], lats: list[float]) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {"camera_id": pd.Series(ids, dtype=object), "tags": pd.Series(tags, dtype=object)},
        geometry=gpd.points_from_xy(lons, lats),
        crs="EPSG:4326",
    )


@reads_source
def cameras_from_osm(source: SourceFile, *, fmt: str | None = None) -> ReadResult:
    """Read ``man_made=surveillance`` nodes from an OSM file (XML, bzip2-compressed XML or PBF) with pyosmium.

    Ways and relations tagged ``man_made=surveillance`` (rare: a camera is a point) are listed in the
    rejected rows rather than guessed into a point. ``source`` is a path or an open :class:`SourceFile`.
    """
    import osmium

    p = source.path
    fmt = fmt or source.format
    if fmt not in OSM_FORMATS:
        msg = f"{p}: not an OSM file (it looks like {fmt})."
        raise InputFormatError(msg)
    ids, tags, lons, lats, rejected = [], [], [], [], []
    # pyosmium's iterator holds neither the file nor the filter: both are kept here while it runs
    osm_file, man_made = source.osmium_file(), osmium.filter.KeyFilter("man_made")
    try:
        with osmium.io.Reader(osm_file) as reader:  # one reader for the header and the objects
            header = reader.header()
            meta = {
                "osm_timestamp": header.get("osmosis_replication_timestamp") or _timestamp_in(header.get("generator")),
                "generator": header.get("generator") or None,
            }
            objects = osmium.OsmFileIterator(reader, man_made)
            for obj in progress(objects, desc=f"reading {p.name}", unit="object"):
                if obj.tags.get("man_made") != "surveillance":
                    continue
                oid = f"{_OSM_TYPES[obj.type_str()]}/{obj.id}"
                if not obj.is_node():
                    rejected.append((p.name, oid, "a way or relation, not a point; map cameras as nodes", ""))
                    continue
                if not obj.location.valid():
                    rejected.append((p.name, oid, "node without a valid location", str(obj.location)))
                    continue
                ids.append(oid)
                tags.append({t.k: t.v for t in obj.tags})
                lons.append(obj.location.lon)
                lats.append(obj.location.lat)
    except osm_read_errors() as err:
        msg = osm_error(p, err)
        raise InputFormatError(msg) from err
    return ReadResult(_frame(ids, tags, lons, lats), rejected_frame(rejected), {}, meta)


def _timestamp_in(text: str | None) -> str | None:
    match = _TIMESTAMP_RE.search(text or "")
    return match.group(0) if match else None


@reads_source
def cameras_from_overpass(source: SourceFile) -> ReadResult:
    """Read cameras from an Overpass API JSON response (``{"elements": [...]}``).

    Nodes give their ``lat``/``lon``. Ways and relations tagged ``man_made=surveillance`` are listed in the
    rejected rows, as by :func:`cameras_from_osm` (even with a ``center``), so that the same data gives the
    same cameras in every format. ``source`` is a path or an open :class:`SourceFile`.
    """
    data = overpass_json(source)
    result = cameras_from_overpass_elements(data["elements"], source=source.path.name)
    result.meta["osm_timestamp"] = overpass_timestamp(data, source.path)
    if isinstance(data.get("remark"), str) and data["remark"].strip():  # how Overpass reports a failed query
        result.meta["overpass_remark"] = clean_text(data["remark"])
    return result


def cameras_from_overpass_elements(elements: list[Any], *, source: str) -> ReadResult:
    """Cameras from a list of Overpass JSON elements (pure; used by the file reader and by ``fetch``)."""
    ids, tags, lons, lats, rejected = [], [], [], [], []
    for i, el in enumerate(elements):
        if not isinstance(el, dict):
            rejected.append((source, f"element {i}", "not a JSON object", repr(el)[:80]))
            continue
        el_tags = el.get("tags")
        oid = f"{el.get('type', 'element')}/{el.get('id', i)}"
        if el_tags is not None and not isinstance(el_tags, dict):  # a camera or not: it cannot be told
            rejected.append((source, oid, "tags are not a JSON object", repr(el_tags)[:80]))
            continue
        if not el_tags or el_tags.get("man_made") != "surveillance":
            continue
        if el.get("type") != "node":
            rejected.append((source, oid, "a way or relation, not a point; map cameras as nodes", ""))
            continue
        try:
            lon, lat = float(el["lon"]), float(el["lat"])
        except (TypeError, KeyError, ValueError):
            rejected.append((source, oid, "node without coordinates", ""))
            continue
        if not (-180 <= lon <= 180 and -90 <= lat <= 90):
            rejected.append((source, oid, "coordinate out of range", f"lon={lon}, lat={lat}"))
            continue
        ids.append(oid)
        tags.append({str(k): str(v) for k, v in el_tags.items()})
        lons.append(lon)
        lats.append(lat)
    return ReadResult(_frame(ids, tags, lons, lats), rejected_frame(rejected), {}, {})


def _ids_and_tags(table: pd.DataFrame, source: str, rows: list[str]) -> tuple[list[str], list[dict[str, Any]]]:
    """Camera ids and tag dicts from a flat table: overpass-turbo's ``@id``, or an id column, or the row."""
    columns = [c for c in table.columns if c not in ("geometry", "_line")]
    id_col = find_column(columns, ID_NAMES)
    nested = "tags" in columns
    ids, tags = [], []
    for row_label, (_, row) in zip(rows, table.iterrows(), strict=True):
        values: dict[str, Any] = {}
        if nested and isinstance(row["tags"], dict):  # overpass-turbo's older export nests the tags
            values.update(row["tags"])
        elif nested and isinstance(row["tags"], str) and row["tags"].startswith("{"):
            with contextlib.suppress(json.JSONDecodeError):
                values.update(json.loads(row["tags"]))
        for col in columns:
            if col == "tags" or col == id_col or col.startswith("@") or col.lower().strip() in ID_NAMES:
                continue
            val = row[col]
            if val is None or pd.isna(val) or (isinstance(val, str) and not val.strip()):
                continue
            values[col] = val if isinstance(val, str) else str(val)
        raw_id = row[id_col] if id_col else None
        if raw_id is None or (isinstance(raw_id, float) and pd.isna(raw_id)) or not str(raw_id).strip():
            ids.append(f"{source}:{row_label}")
        else:
            ids.append(str(raw_id).strip())  # the source's own id, as it is
        tags.append(values)
    return ids, tags


def _only_surveillance(ids: list[str], tags: list[dict[str, Any]]) -> list[bool]:
    """Keep rows tagged man_made=surveillance when the table has a man_made column at all."""
    if not any("man_made" in t for t in tags):
        return [True] * len(tags)
    return [t.get("man_made") == "surveillance" for t in tags]


@reads_source
def cameras_from_csv(source: SourceFile) -> ReadResult:
    """Read cameras from a CSV with longitude/latitude columns; the other columns are taken as tags.

    ``source`` is a path or an open :class:`SourceFile`.
    """
    p = source.path
    table, counts = read_csv_table(p, source.handle)
    lon_col, lat_col = find_column(list(table.columns), LON_NAMES), find_column(list(table.columns), LAT_NAMES)
    points, rejected, more = points_from_table(table, p, lon_col=lon_col, lat_col=lat_col)
    counts.update(more)
    lines = [f"line {n}" for n in points["_line"]]
    ids, tags = _ids_and_tags(points.drop(columns=["geometry", lon_col, lat_col]), p.name, lines)
    keep = _only_surveillance(ids, tags)
    gdf = _frame(
        [i for i, k in zip(ids, keep, strict=True) if k],
        [t for t, k in zip(tags, keep, strict=True) if k],
        list(points.geometry.x[keep]),
        list(points.geometry.y[keep]),
    )
    return ReadResult(gdf, rejected, counts, {})


@reads_source
def cameras_from_vector(source: SourceFile) -> ReadResult:
    """Read cameras from a point layer (GeoJSON, GeoPackage, Shapefile, ...); properties are taken as tags.

    Handles overpass-turbo's GeoJSON export (``@id`` = ``node/123`` and the tags as flat properties).
    Features that are not points are listed as rejected. ``source`` is a path or an open :class:`SourceFile`.
    """
    p = source.path
    gdf = read_vector(source, "camera", points=True)
    gdf = gdf.to_crs("EPSG:4326")
    nonfinite = nonfinite_features(gdf.geometry.to_numpy())
    rows = [f"feature {i + 1}" for i in range(len(gdf))]
    ids, tags = _ids_and_tags(pd.DataFrame(gdf.drop(columns=gdf.geometry.name)), p.name, rows)
    rejected = []
    keep = []
    for i, (geom, ok) in enumerate(zip(gdf.geometry, _only_surveillance(ids, tags), strict=True)):
        if not ok:
            keep.append(False)
            continue
        if geom is None or geom.is_empty:
            rejected.append((p.name, ids[i], "no geometry", ""))
            keep.append(False)
        elif geom.geom_type != "Point":
            rejected.append((p.name, ids[i], f"a {geom.geom_type}, expected a point", ""))
            keep.append(False)
        elif nonfinite[i]:
            rejected.append((p.name, ids[i], "coordinate is not a number", f"lon={geom.x}, lat={geom.y}"))
            keep.append(False)
        else:
            keep.append(True)
    sel = gdf.geometry[keep]
    data = _frame(
        [i for i, k in zip(ids, keep, strict=True) if k],
        [t for t, k in zip(tags, keep, strict=True) if k],
        list(sel.x),
        list(sel.y),
    )
    fetched = fetched_metadata(source)  # the cameras layer of an area of equity fetch: the OSM data's date
    meta = {"osm_timestamp": fetched["osm_timestamp"]} if fetched.get("osm_timestamp") else {}
    return ReadResult(data, rejected_frame(rejected), {}, meta)
