"""Street readers: the street network from an OSM file (.osm, .osm.bz2, .osm.pbf) with pyosmium, or any line
layer GDAL reads (a city's street centre lines)."""

from __future__ import annotations

import math
from pathlib import Path

import geopandas as gpd
import pandas as pd
import shapely

from equity._errors import InputFormatError
from equity._progress import progress
from equity.io._common import (
    ReadResult,
    SourceFile,
    osm_error,
    osm_read_errors,
    read_vector,
    rejected_frame,
)

#: ``highway`` values read as public streets and paths: the ways people walk or drive in public space.
#: Motorways and their links are left out (no one stands there), and so are private service roads
#: (``access=private`` or ``no``).
STREET_HIGHWAYS = frozenset(
    {
        "trunk",
        "trunk_link",
        "primary",
        "primary_link",
        "secondary",
        "secondary_link",
        "tertiary",
        "tertiary_link",
        "unclassified",
        "residential",
        "living_street",
        "pedestrian",
        "service",
        "footway",
        "cycleway",
        "path",
        "steps",
        "track",
        "road",
    }
)


#: ``oneway`` values (OSM wiki, Key:oneway) to the direction of travel allowed relative to the way's drawing:
#: ``1`` along it, ``-1`` against it; other values (``no``, ``reversible``, ``alternating``, untagged) leave both.
ONEWAY_VALUES = {"yes": 1, "true": 1, "1": 1, "-1": -1, "reverse": -1}


def oneway_of(tags: object) -> int:
    """The direction of travel of an OSM way: 1 along its drawing, -1 against it, 0 both ways. ``oneway`` as
    tagged; else one way along the drawing for ``junction=roundabout`` and ``highway=motorway`` (the OSM wiki's
    implied oneway).

    Examples
    --------
    >>> oneway_of({"oneway": "yes"}), oneway_of({"oneway": "-1"}), oneway_of({"junction": "roundabout"})
    (1, -1, 1)
    """
    get = tags.get  # type: ignore[attr-defined]
    value = get("oneway")
    if value is not None:
        return ONEWAY_VALUES.get(str(value).strip().lower(), 0)
    return 1 if get("junction") in ("roundabout", "circular") or get("highway") == "motorway" else 0


def check_streets(result: ReadResult, path: str | Path) -> ReadResult:
    """The streets read from ``path`` by a reader of this module, refused when there is none (as
    :func:`equity.io.streets_from_file` returns them)."""
    if result.data.empty:
        msg = f"{Path(path)}: no streets found (no way tagged highway=* of a public street or path, or no lines)."
        raise InputFormatError(msg)
    return result


def streets_from_osm(source: SourceFile) -> ReadResult:
    """The reader of :func:`equity.io.streets_from_file` for an OSM file."""
    import osmium

    p = source.path
    wkb = osmium.geom.WKBFactory()
    ids, kinds, oneways, geoms, rejected = [], [], [], [], []
    try:
        processor = (
            osmium.FileProcessor(source.osmium_file(), osmium.osm.NODE | osmium.osm.WAY)
            .with_locations()
            .with_filter(osmium.filter.KeyFilter("highway"))
        )
        for obj in progress(processor, desc=f"reading {p.name}", unit="object"):
            if not obj.is_way():
                continue
            kind = obj.tags.get("highway")
            if kind not in STREET_HIGHWAYS or obj.tags.get("access") in ("private", "no"):
                continue
            try:
                geom = shapely.from_wkb(wkb.create_linestring(obj))
            except (RuntimeError, osmium.InvalidLocationError):  # a way whose nodes are missing from the extract
                rejected.append((p.name, f"way/{obj.id}", "street with nodes missing from the file", ""))
                continue
            ids.append(f"way/{obj.id}")
            kinds.append(kind)
            oneways.append(oneway_of(obj.tags))
            geoms.append(geom)
    except osm_read_errors() as err:
        msg = osm_error(p, err)
        raise InputFormatError(msg) from err
    data = gpd.GeoDataFrame(
        {
            "street_id": pd.Series(ids, dtype=object),
            "highway": pd.Series(kinds, dtype=object),
            "oneway": pd.Series(oneways, dtype="int64"),
        },
        geometry=gpd.GeoSeries(geoms, crs="EPSG:4326").to_numpy(),
        crs="EPSG:4326",
    )
    return ReadResult(data, rejected_frame(rejected), {"streets_incomplete": len(rejected)}, {})


def streets_from_vector(source: SourceFile) -> ReadResult:
    """The reader of :func:`equity.io.streets_from_file` for a line layer."""
    p = source.path
    gdf = read_vector(source, "street")
    keep = gdf.geom_type.isin(["LineString", "MultiLineString"]).to_numpy()
    rejected = [
        (p.name, f"feature {i + 1}", f"a {t}, expected a line", "") for i, t in enumerate(gdf.geom_type) if not keep[i]
    ]
    # a layer exported from OSM (overpass-turbo, osmnx, QGIS) keeps the ways' highway and oneway tags as columns
    tagged = [c for c in ("highway", "oneway", "junction") if c in gdf.columns]
    rows = [
        {k: str(v) for k, v in r.items() if v is not None and not (isinstance(v, float) and math.isnan(v))}
        for r in gdf.loc[keep, tagged].to_dict("records")
    ]
    highway = [r.get("highway") for r in rows] if "highway" in tagged else None
    data = gpd.GeoDataFrame(
        {
            "street_id": [f"feature {i + 1}" for i in range(len(gdf)) if keep[i]],
            "highway": highway,
            "oneway": pd.Series([oneway_of(r) for r in rows], dtype="int64"),
        },
        geometry=gdf.geometry[keep].to_numpy(),
        crs=gdf.crs,
    )
    return ReadResult(data, rejected_frame(rejected), {}, {})
