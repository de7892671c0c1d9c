"""Land that is private residential or public space, from an OSM file (areas assembled by pyosmium) or from a
polygon layer with a ``kind`` column (``residential`` or ``public``)."""

from __future__ import annotations

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

#: OSM tags of land where people live (private residential land: houses and their yards).
RESIDENTIAL_TAGS = {"landuse": {"residential"}}

#: OSM tags of public space: parks, squares, pedestrian areas, playgrounds, markets, village greens.
PUBLIC_TAGS = {
    "leisure": {"park", "playground", "common"},
    "place": {"square"},
    "highway": {"pedestrian"},
    "amenity": {"marketplace"},
    "landuse": {"recreation_ground", "village_green"},
}


def _kind(tags: dict[str, str]) -> tuple[str, str] | None:
    for key, values in RESIDENTIAL_TAGS.items():
        if tags.get(key) in values:
            return "residential", f"{key}={tags[key]}"
    for key, values in PUBLIC_TAGS.items():
        if tags.get(key) in values:
            return "public", f"{key}={tags[key]}"
    return None


def land_from_vector(source: SourceFile) -> ReadResult:
    """The reader of :func:`equity.io.land_from_file` for a polygon layer with a ``kind`` column."""
    p = source.path
    gdf = read_vector(source, "land use")
    if "kind" not in gdf.columns:
        msg = f"{p}: a land-use layer needs a 'kind' column of 'residential' or 'public'."
        raise InputFormatError(msg)
    kinds = gdf["kind"].astype(str).str.strip().str.lower()
    keep = kinds.isin(["residential", "public"]).to_numpy()
    data = gpd.GeoDataFrame(
        {"kind": kinds[keep].to_numpy(), "tag": "layer"}, geometry=gdf.geometry[keep].to_numpy(), crs=gdf.crs
    )
    return ReadResult(data, rejected_frame([]), {}, {"format": source.format})


def land_from_osm(source: SourceFile) -> ReadResult:
    """The reader of :func:`equity.io.land_from_file` for an OSM file (areas assembled by pyosmium)."""
    import osmium

    p = source.path
    wkb = osmium.geom.WKBFactory()
    kinds, tags, geoms = [], [], []
    keys = sorted(set(RESIDENTIAL_TAGS) | set(PUBLIC_TAGS))
    try:
        processor = osmium.FileProcessor(source.osmium_file()).with_areas().with_filter(osmium.filter.KeyFilter(*keys))
        for obj in progress(processor, desc=f"reading {p.name}", unit="object"):
            if not obj.is_area():
                continue
            found = _kind({t.k: t.v for t in obj.tags})
            if found is None:
                continue
            try:
                geom = shapely.from_wkb(wkb.create_multipolygon(obj))
            except RuntimeError:
                continue
            kinds.append(found[0])
            tags.append(found[1])
            geoms.append(geom)
    except osm_read_errors() as err:
        msg = osm_error(p, err)
        raise InputFormatError(msg) from err
    data = gpd.GeoDataFrame(
        {"kind": pd.Series(kinds, dtype=object), "tag": pd.Series(tags, dtype=object)},
        geometry=gpd.GeoSeries(geoms, crs="EPSG:4326").to_numpy(),
        crs="EPSG:4326",
    )
    return ReadResult(data, rejected_frame([]), {}, {"format": "osm"})
