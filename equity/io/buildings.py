"""Building readers: OSM files (.osm, .osm.bz2, .osm.pbf) with pyosmium's area assembly, Overpass JSON
(ways with ``out geom``, or nodes and ways), and any polygon layer GDAL reads.

The data has the columns ``building_id``, ``tags`` (a dict) and a polygon geometry; heights come from
:func:`equity.buildings.buildings_with_heights`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from equity._errors import InputFormatError
from equity._progress import progress
from equity.io._common import (
    OSM_FORMATS,
    ReadResult,
    SourceFile,
    find_column,
    osm_error,
    osm_read_errors,
    overpass_json,
    overpass_timestamp,
    read_vector,
    reads_source,
    rejected_frame,
)


def check_buildings(result: ReadResult, path: str | Path) -> ReadResult:
    """The footprints read from ``path`` by a reader of this module, refused when there is none (as
    :func:`equity.io.buildings_from_file` returns them)."""
    if result.data.empty:
        msg = f"{Path(path)}: no buildings found (no closed way or multipolygon tagged building=*)."
        raise InputFormatError(msg)
    return result


def _frame(ids: list[str], tags: list[dict[str, Any]], geoms: list[Any], crs: Any = "EPSG:4326") -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {"building_id": pd.Series(ids, dtype=object), "tags": pd.Series(tags, dtype=object)},
        geometry=gpd.GeoSeries(geoms, crs=crs).to_numpy(),
        crs=crs,
    )


def _is_building(tags: dict[str, str]) -> bool:
    value = tags.get("building")
    return value is not None and value.strip().lower() not in ("no", "")


@reads_source
def buildings_from_osm(source: SourceFile, *, fmt: str | None = None) -> ReadResult:
    """Buildings from an OSM file: closed ways and multipolygon relations tagged ``building=*`` (not ``no``).

    Areas are assembled by pyosmium (two passes over the file); a building whose way or relation is incomplete
    in the file (cut at the edge of an extract) cannot be assembled and is counted in
    ``counts["incomplete_buildings"]``. ``building:part`` outlines are not read (they lie inside a building).
    ``source`` is a path or an open :class:`SourceFile`.
    """
    import osmium

    p = source.path
    fmt = fmt or source.format
    if fmt not in OSM_FORMATS:
        msg = f"{p}: not an OSM file (it looks like {fmt})."
        raise InputFormatError(msg)
    wkb = osmium.geom.WKBFactory()
    ids, tags, geoms = [], [], []
    tagged = set()
    try:
        processor = (
            osmium.FileProcessor(source.osmium_file()).with_areas().with_filter(osmium.filter.KeyFilter("building"))
        )
        for obj in progress(processor, desc=f"reading {p.name}", unit="object"):
            if obj.is_area():
                t = {tag.k: tag.v for tag in obj.tags}
                if not _is_building(t):
                    continue
                oid = f"{'way' if obj.from_way() else 'relation'}/{obj.orig_id()}"
                try:
                    geom = shapely.from_wkb(wkb.create_multipolygon(obj))  # pyosmium gives hex WKB
                except RuntimeError:
                    continue
                ids.append(oid)
                tags.append(t)
                geoms.append(geom)
            elif (obj.is_way() or obj.tags.get("type") == "multipolygon") and _is_building(
                {tag.k: tag.v for tag in obj.tags}
            ):
                tagged.add(f"{'way' if obj.is_way() else 'relation'}/{obj.id}")
    except osm_read_errors() as err:
        msg = osm_error(p, err)
        raise InputFormatError(msg) from err
    missing = sorted(tagged - set(ids))
    rejected = [(p.name, oid, "building outline incomplete in the file (not a closed ring)", "") for oid in missing]
    data = _frame(ids, tags, geoms)
    data = data[~data.geometry.is_empty].reset_index(drop=True)
    return ReadResult(data, rejected_frame(rejected), {"incomplete_buildings": len(missing)}, {})


@reads_source
def buildings_from_overpass(source: SourceFile) -> ReadResult:
    """Buildings from Overpass JSON: ways with their ``geometry`` (``out geom``), or ways with ``nodes`` plus
    the node elements (``out body; >; out skel``). Relations are used when they carry member geometries.
    ``source`` is a path or an open :class:`SourceFile`.
    """
    p = source.path
    data = overpass_json(source)
    timestamp = overpass_timestamp(data, p)
    elements = data["elements"]
    nodes = {}
    for el in elements:  # node ids are integers, their coordinates numbers: others are no node to look up
        if isinstance(el, dict) and el.get("type") == "node" and _is_id(el.get("id")):
            point = _point(el)
            if point is not None:
                nodes[el["id"]] = point
    ids, tags, geoms, rejected = [], [], [], []
    for el in elements:
        if not isinstance(el, dict) or el.get("type") not in ("way", "relation"):
            continue
        oid = f"{el['type']}/{el.get('id')}"
        raw_tags = el.get("tags")
        if raw_tags is not None and not isinstance(raw_tags, dict):  # a building or not: it cannot be told
            rejected.append((p.name, oid, "tags are not a JSON object", repr(raw_tags)[:80]))
            continue
        t = {str(k): str(v) for k, v in (raw_tags or {}).items()}
        if not _is_building(t):
            continue
        geom = _overpass_geometry(el, nodes)
        if geom is None:
            rejected.append((p.name, oid, "no usable closed outline (query with 'out geom')", ""))
            continue
        ids.append(oid)
        tags.append(t)
        geoms.append(geom)
    meta = {"osm_timestamp": timestamp}
    return ReadResult(_frame(ids, tags, geoms), rejected_frame(rejected), {"incomplete_buildings": len(rejected)}, meta)


def _is_id(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _point(g: Any) -> tuple[float, float] | None:
    """The (lon, lat) of an Overpass node or geometry point, as numbers; None when it has none, or not numbers."""
    if not isinstance(g, dict):
        return None
    try:
        lon, lat = float(g["lon"]), float(g["lat"])
    except (KeyError, TypeError, ValueError):
        return None
    return (lon, lat) if np.isfinite(lon) and np.isfinite(lat) else None


def _points(geometry: list[Any]) -> list[tuple[float, float]] | None:
    """The points of an Overpass ``geometry`` list (entries that are not objects with ``lon`` skipped, as before);
    None when a point's coordinates are not numbers."""
    coords = []
    for g in geometry:
        if not isinstance(g, dict) or "lon" not in g:
            continue
        point = _point(g)
        if point is None:
            return None
        coords.append(point)
    return coords


def _ring(coords: list[tuple[float, float]] | None) -> Any:
    if coords is None or len(coords) < 4 or coords[0] != coords[-1]:
        return None
    poly = shapely.Polygon(coords)
    return poly if poly.is_valid else shapely.make_valid(poly)


def _overpass_geometry(el: dict[str, Any], nodes: dict[int, tuple[float, float]]) -> Any:
    if el["type"] == "way":
        if isinstance(el.get("geometry"), list):
            coords = _points(el["geometry"])
        else:
            refs = el.get("nodes", [])
            if not isinstance(refs, list) or not all(_is_id(n) and n in nodes for n in refs):
                return None
            coords = [nodes[n] for n in refs]
        return _ring(coords)
    outers, inners = [], []
    members = el.get("members", [])
    for member in members if isinstance(members, list) else []:
        if not isinstance(member, dict) or member.get("type") != "way" or not isinstance(member.get("geometry"), list):
            continue
        ring = _ring(_points(member["geometry"]))
        if ring is not None:
            (inners if member.get("role") == "inner" else outers).append(ring)
    if not outers:
        return None
    return (
        shapely.difference(shapely.union_all(outers), shapely.union_all(inners))
        if inners
        else shapely.union_all(outers)
    )


@reads_source
def buildings_from_vector(source: SourceFile) -> ReadResult:
    """Buildings from a polygon layer; its columns are read as tags (``height``, ``building:levels``,
    ``building``), so that a city's footprint layer with a ``height`` column keeps its heights. ``source`` is a
    path or an open :class:`SourceFile`.
    """
    p = source.path
    gdf = read_vector(source, "building")
    columns = [c for c in gdf.columns if c != gdf.geometry.name]
    id_col = find_column(columns, ("@id", "building_id", "osm_id", "id", "osmid"))
    n = len(gdf)
    # the tags column by column (a value is kept when it is not missing and not blank), then one dict a row
    row_tags: list[dict[str, str]] = [{} for _ in range(n)]
    for c in columns:
        col = gdf[c]
        present = np.flatnonzero(col.notna().to_numpy())
        text = col.iloc[present].map(str).to_numpy(object)
        for i, v in zip(present.tolist(), text, strict=True):
            if v.strip():
                row_tags[i][c] = v
    geoms_in = gdf.geometry.to_numpy()
    empty = shapely.is_missing(geoms_in) | shapely.is_empty(geoms_in)
    polygonal = np.isin(shapely.get_type_id(geoms_in), (3, 6))  # Polygon, MultiPolygon
    valid = shapely.is_valid(geoms_in)
    rejected, ids, tags, geoms = [], [], [], []
    for i in range(n):
        values = row_tags[i]
        bid = values.get(id_col) if id_col else None
        label = bid if bid else f"feature {i + 1}"
        if empty[i]:
            rejected.append((p.name, label, "no geometry", ""))
            continue
        geom = geoms_in[i]
        if not polygonal[i]:
            rejected.append((p.name, label, f"a {geom.geom_type}, expected a polygon", ""))
            continue
        values.setdefault("building", "yes")
        ids.append(label if "/" in label or not bid else f"{id_col.lstrip('@')}/{bid}")
        tags.append(values)
        geoms.append(geom if valid[i] else shapely.make_valid(geom))
    return ReadResult(_frame(ids, tags, geoms, crs=gdf.crs), rejected_frame(rejected), {}, {})
