"""Street readers: the street network from an OSM file (.osm, .osm.bz2, .osm.pbf) with pyosmium, or any line
layer GDAL reads (a city's street centre lines)."""

from __future__ import annotations

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
    ids, kinds, geoms, rejected = [], [], [], []
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
            geoms.append(geom)
    except osm_read_errors() as err:
        msg = osm_error(p, err)
        raise InputFormatError(msg) from err
    data = gpd.GeoDataFrame(
        {"street_id": pd.Series(ids, dtype=object), "highway": pd.Series(kinds, dtype=object)},
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
    data = gpd.GeoDataFrame(
        {"street_id": [f"feature {i + 1}" for i in range(len(gdf)) if keep[i]], "highway": None},
        geometry=gdf.geometry[keep].to_numpy(),
        crs=gdf.crs,
    )
    return ReadResult(data, rejected_frame(rejected), {}, {})
