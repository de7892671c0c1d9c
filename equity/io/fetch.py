"""Live download of a whole study area from OpenStreetMap: cameras, administrative boundaries, buildings,
streets and land use, in one GeoPackage.

The place is geocoded to its boundary polygon with Nominatim (``osmnx.geocode_to_gdf``), then the features
inside that polygon are downloaded from the Overpass API, one query per layer, with osmnx's own query builder
and parser (what ``osmnx.features_from_polygon`` does, step by step, so that the ``osm3s.timestamp_osm_base`` of
each answer, the date of the OSM data, is kept: ``features_from_polygon`` drops it).

Everything is written to ``area.gpkg`` (:data:`AREA_FILE`), one layer per kind (:data:`AREA_LAYERS`), which the
other readers take: ``--cameras area.gpkg`` reads its ``cameras`` layer, ``--buildings``, ``--streets`` and
``--land`` theirs, and ``--units area.gpkg --units-level N`` the boundaries of one ``admin_level`` clipped to the
place (:mod:`equity.io.units`). The earlier files are still written beside it: ``cameras.geojson`` in
overpass-turbo's flat GeoJSON style (``@id`` = ``node/123`` and the OSM tags as properties), ``boundary.geojson``
(the Nominatim polygon), ``buildings.geojson`` when asked, and ``fetch.json`` (provenance).

osmnx's own settings apply (``osmnx.settings``): its endpoints, timeout and response cache. With
``osmnx.settings.use_cache`` True (osmnx's default) every answer is kept in ``osmnx.settings.cache_folder``
and a repeated download of the same place is answered from there rather than from the servers.

The administrative boundaries are asked for as ``boundary=administrative`` inside the place. Overpass selects a
relation by its members: it returns the boundaries with a member way inside the place or crossing it, that is the
subdivisions of the place, the place's own boundary (whose ways lie on the query's edge) and those of neighbours
that share part of its edge, but not a country or region that holds the place without a border through it. The
neighbours are left out when units are made of a level (:func:`equity.io.units.clip_to_place`).
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from equity._errors import InputError, InputFileError, InputFormatError, OutputError
from equity.io.outputs import write_text_atomic
from equity.io.units import place_levels

if TYPE_CHECKING:
    import geopandas as gpd
    from shapely.geometry import MultiPolygon, Polygon

log = logging.getLogger(__name__)

#: The attribution that the ODbL requires wherever the downloaded data are shown or shared.
ATTRIBUTION = "© OpenStreetMap contributors, ODbL 1.0"
LICENCE_URL = "https://opendatacommons.org/licenses/odbl/1-0/"
COPYRIGHT_URL = "https://www.openstreetmap.org/copyright"
#: The Overpass tag filters of the downloads (osmnx's ``tags`` argument: the union of the tags listed).
CAMERA_TAGS: dict[str, bool | str | list[str]] = {"man_made": "surveillance"}
BUILDING_TAGS: dict[str, bool | str | list[str]] = {"building": True}
BOUNDARY_TAGS: dict[str, bool | str | list[str]] = {"boundary": "administrative"}
STREET_TAGS: dict[str, bool | str | list[str]] = {"highway": True}
#: Land use, and the public spaces of :data:`equity.io.landuse.PUBLIC_TAGS` that are not streets.
LAND_TAGS: dict[str, bool | str | list[str]] = {
    "landuse": True,
    "leisure": ["park", "playground", "common"],
    "place": ["square"],
    "amenity": ["marketplace"],
}
#: The GeoPackage of a fetched area, and its layers in the order written.
AREA_FILE = "area.gpkg"
AREA_LAYERS = ("place", "cameras", "boundaries", "buildings", "streets", "landuse", "metadata")
#: The downloads besides the cameras, by layer; ``fetch_place(..., layers=...)`` takes a subset.
OPTIONAL_LAYERS = {
    "boundaries": BOUNDARY_TAGS,
    "buildings": BUILDING_TAGS,
    "streets": STREET_TAGS,
    "landuse": LAND_TAGS,
}
#: At most this many tag keys become columns of a layer (the most used); the rarer keys of a row go to its
#: ``other_tags`` (JSON), as GDAL's OSM driver does: a city's buildings carry hundreds of keys, most on a few
#: features, and a column each would make the file large and slow (a GeoPackage table holds at most 2,000).
MAX_TAG_COLUMNS = 100
FETCH_FILES = ("cameras.geojson", "boundary.geojson", "buildings.geojson", "fetch.json", AREA_FILE)


def fetch_place(
    place: str,
    out: str | Path,
    *,
    buildings: bool = False,
    layers: tuple[str, ...] | None = None,
) -> dict[str, Path]:
    """Download a place's cameras, boundaries, buildings, streets and land use from OpenStreetMap, for offline use.

    The downloads, in this order: the place's boundary from Nominatim (``osmnx.geocode_to_gdf``); then from
    Overpass, inside that boundary, the nodes, ways and relations tagged ``man_made=surveillance``
    (:data:`CAMERA_TAGS`), and those of each layer of ``layers``: ``boundary=administrative``
    (:data:`BOUNDARY_TAGS`), ``building=*``, ``highway=*`` and land use (:data:`LAND_TAGS`). Only camera nodes are
    kept: a camera is a point, and a way or relation tagged as one is counted (and listed in ``fetch.json``) but
    not turned into a guessed point. Nothing is written unless every download succeeded; each file is then
    written through a temporary file in ``out`` and renamed into place.

    Parameters
    ----------
    place : str
        A place name that Nominatim resolves to an area with a boundary, e.g. ``"Quito, Ecuador"``.
    out : str or pathlib.Path
        Output folder, created if needed. Files of an earlier download of the same names are replaced.
    buildings : bool, default False
        Also write the building footprints to ``buildings.geojson`` (they are in ``area.gpkg`` in any case when
        ``buildings`` is among ``layers``).
    layers : tuple of str, optional
        The layers to download besides the cameras, among :data:`OPTIONAL_LAYERS`; all of them when None. The
        others are written empty (``area.gpkg`` always has every layer of :data:`AREA_LAYERS`).

    Returns
    -------
    dict of str to pathlib.Path
        The written files by name: ``cameras.geojson`` (points; properties are the OSM tags plus ``@id``),
        ``boundary.geojson`` (the Nominatim boundary and its attributes), ``buildings.geojson`` (when asked),
        ``fetch.json`` (provenance: place, osmnx version, endpoints, UTC time, OSM data time, counts, levels,
        ODbL attribution) and ``area.gpkg`` (:data:`AREA_LAYERS`: the place; the cameras; the boundaries with
        ``osm_id``, ``name``, ``admin_level`` and their tags; buildings, streets and land use with ``osm_id`` and
        their tags, land use with the ``kind`` that ``--land`` reads; and ``metadata``, a table of ``key`` and
        ``value``, among them ``osm_timestamp``).

    Raises
    ------
    InputError
        Nominatim does not know the place, or knows it only as a point; ``layers`` names an unknown layer.
    InputFileError
        Nominatim or Overpass cannot be reached, time out or answer with an error.
    InputFormatError
        No camera node is mapped inside the place's boundary.
    OutputError
        ``out`` exists and is not a folder, or cannot be written.

    Notes
    -----
    The data are © OpenStreetMap contributors and available under the Open Database Licence 1.0: maps and
    tables made from them must carry the attribution :data:`ATTRIBUTION`.

    ``downloaded_at`` in ``fetch.json`` is the time of this call; ``osm_timestamp`` is the date of the OSM data
    that Overpass answered from (its ``osm3s.timestamp_osm_base``; the oldest, when the answers differ). When
    osmnx answers from its cache (``osmnx.settings.use_cache``), the latter still tells the data's date.

    Examples
    --------
    >>> written = fetch_place("Quito, Ecuador", "quito")  # doctest: +SKIP
    >>> sorted(written)  # doctest: +SKIP
    ['area.gpkg', 'boundary.geojson', 'cameras.geojson', 'fetch.json']
    """
    import osmnx as ox  # slow to import, and only this command needs it

    if not isinstance(place, str) or not place.strip():
        msg = f"The place name {place!r} is empty; give a name that Nominatim knows, such as 'Quito, Ecuador'."
        raise InputError(msg)
    place = place.strip()
    wanted = tuple(OPTIONAL_LAYERS) if layers is None else tuple(layers)
    unknown = [name for name in wanted if name not in OPTIONAL_LAYERS]
    if unknown:
        msg = f"Unknown layer {unknown[0]!r} to fetch; the layers are {', '.join(OPTIONAL_LAYERS)}."
        raise InputError(msg)
    if buildings and "buildings" not in wanted:
        wanted = (*wanted, "buildings")
    out = Path(out)
    if out.exists() and not out.is_dir():
        msg = f"{out}: exists and is not a folder; choose another --out."
        raise OutputError(msg)

    downloaded_at = dt.datetime.now(dt.UTC).replace(microsecond=0)
    boundary = _download_boundary(ox, place)
    polygon = _query_polygon(boundary, place)

    stamps: dict[str, list[str]] = {}
    cameras, stamps["cameras"], _ = _download_features(ox, place, polygon, CAMERA_TAGS, "cameras")
    camera_features, not_points = _features(cameras, keep=("Point",), only_nodes=True)
    if not camera_features:
        also = (
            f" ({len(not_points)} ways or relations are tagged so, but a camera must be mapped as a point)"
            if not_points
            else ""
        )
        msg = (
            f"No cameras are mapped in {place!r} on OpenStreetMap: no node tagged man_made=surveillance inside "
            f"its boundary{also}."
        )
        raise InputFormatError(msg)
    if not_points:
        log.warning(
            "%s: %d cameras mapped as ways or relations are not used (%s)",
            place,
            len(not_points),
            ", ".join(not_points[:5]) + (", ..." if len(not_points) > 5 else ""),
        )

    frames: dict[str, gpd.GeoDataFrame] = {}
    skipped: dict[str, int] = {}
    for name in wanted:
        gdf, stamps[name], members = _download_features(
            ox, place, polygon, OPTIONAL_LAYERS[name], _WORDS[name], missing_ok=True
        )
        frames[name], skipped[name] = _area_layer(name, gdf, members)
    osm_timestamp = min((s for found in stamps.values() for s in found), default=None)

    members = {
        "generator": f"equity fetch (osmnx {ox.__version__})",
        "copyright": ATTRIBUTION,
        "timestamp": _iso(downloaded_at),
    }
    texts = {
        "cameras.geojson": _feature_collection(camera_features, members),
        "boundary.geojson": _feature_collection(_boundary_features(boundary), members),
    }
    counts = {"cameras": len(camera_features), "cameras_not_points": len(not_points)}
    if buildings:
        building_features, _ = _features(_osmnx_frame(frames["buildings"]), keep=("Polygon", "MultiPolygon"))
        texts["buildings.geojson"] = _feature_collection(building_features, members)
    for name in wanted:  # left out: features of another shape (a building node, a boundary's member way)
        counts[name] = len(frames[name])
        counts[f"{name}_left_out"] = skipped[name]
    if "buildings" in wanted:  # the name of this count in fetch.json's first version
        counts["buildings_not_polygons"] = skipped["buildings"]
    place_layer = _place_layer(boundary)
    levels = place_levels(frames["boundaries"], place_layer) if "boundaries" in frames else None
    first = boundary.iloc[0]
    provenance = {
        "equity_fetch": 2,
        "place": place,
        "boundary": {
            "osm_id": f"{first.get('osm_type')}/{first.get('osm_id')}",
            "display_name": first.get("display_name"),
        },
        "downloaded_at": _iso(downloaded_at),
        "osm_timestamp": osm_timestamp,
        "source": "OpenStreetMap",
        "attribution": ATTRIBUTION,
        "licence": LICENCE_URL,
        "copyright": COPYRIGHT_URL,
        "osmnx_version": ox.__version__,
        "endpoints": {"nominatim": ox.settings.nominatim_url, "overpass": ox.settings.overpass_url},
        "osmnx_cache": {"use_cache": ox.settings.use_cache, "cache_folder": str(ox.settings.cache_folder)},
        "queries": {"cameras": CAMERA_TAGS, **{name: OPTIONAL_LAYERS[name] for name in wanted}},
        "counts": counts,
        "cameras_not_points": not_points,
        "admin_levels": None if levels is None else levels.to_dict(orient="records"),
        "files": [*texts, "fetch.json", AREA_FILE],
    }
    texts["fetch.json"] = json.dumps(provenance, indent=2, ensure_ascii=False, default=_json_value) + "\n"

    area = {  # every layer, in the order of AREA_LAYERS; a layer not downloaded (``layers``) is empty
        "place": place_layer,
        "cameras": _tag_layer(_osmnx_frame_of(camera_features)),
        **{name: frames[name] if name in frames else _tag_layer(None, name) for name in OPTIONAL_LAYERS},
    }
    metadata = {
        "place": place,
        "osm_timestamp": osm_timestamp or "",
        "downloaded_at": _iso(downloaded_at),
        "generator": f"equity fetch (osmnx {ox.__version__})",
        "attribution": ATTRIBUTION,
        "licence": LICENCE_URL,
        "overpass_url": ox.settings.overpass_url,
        "nominatim_url": ox.settings.nominatim_url,
        "layers": ", ".join(area),
        "layers_not_downloaded": ", ".join(name for name in OPTIONAL_LAYERS if name not in frames),
    }
    written: dict[str, Path] = {}
    try:
        out.mkdir(parents=True, exist_ok=True)
        for name, text in texts.items():
            written[name] = write_text_atomic(out / name, text)
        written[AREA_FILE] = write_area_atomic(out / AREA_FILE, area, metadata)
    except OSError as err:
        msg = f"{out}: cannot write the downloaded files ({err.strerror or err})."
        raise OutputError(msg) from err
    return written


def write_area_atomic(path: Path, layers: dict[str, gpd.GeoDataFrame], metadata: dict[str, str]) -> Path:
    """Write the layers of a fetched area and its ``metadata`` table to one GeoPackage, through a temporary file
    in the same folder and a rename (an earlier file of the name stays whole until the new one is complete)."""
    import pandas as pd
    import pyogrio
    from pyogrio.errors import DataLayerError, DataSourceError, FieldError, GeometryError

    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".gpkg", dir=path.parent)
    os.close(fd)
    Path(tmp).unlink()  # GDAL creates the file
    try:
        for name, gdf in layers.items():
            kind = _GEOMETRY_TYPES.get(name) if gdf.empty else None
            pyogrio.write_dataframe(
                gdf,
                tmp,
                layer=name,
                driver="GPKG",
                append=Path(tmp).exists(),
                geometry_type=kind,
                promote_to_multi=False,
            )
        table = pd.DataFrame({"key": list(metadata), "value": [str(v) for v in metadata.values()]})
        pyogrio.write_dataframe(table, tmp, layer="metadata", driver="GPKG", append=True)
        os.replace(tmp, path)
    except (DataSourceError, DataLayerError, FieldError, GeometryError) as err:
        Path(tmp).unlink(missing_ok=True)
        raise OSError(str(err).splitlines()[0] if str(err) else type(err).__name__) from err
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


#: The geometry type of each layer when it is empty (GDAL needs one to create the table).
_GEOMETRY_TYPES = {
    "place": "MultiPolygon",
    "cameras": "Point",
    "boundaries": "MultiPolygon",
    "buildings": "MultiPolygon",
    "streets": "LineString",
    "landuse": "MultiPolygon",
}
#: Each layer in words, for the messages.
_WORDS = {
    "boundaries": "administrative boundaries",
    "buildings": "buildings",
    "streets": "streets",
    "landuse": "land-use areas",
}
#: The geometries kept in each layer.
_SHAPES = {
    "boundaries": ("Polygon", "MultiPolygon"),
    "buildings": ("Polygon", "MultiPolygon"),
    "streets": ("LineString", "MultiLineString"),
    "landuse": ("Polygon", "MultiPolygon"),
}


def _area_layer(name: str, gdf: gpd.GeoDataFrame | None, members: set[int]) -> tuple[gpd.GeoDataFrame, int]:
    """One layer of ``area.gpkg`` from osmnx's frame: the features of the layer's shape, and how many were not.

    Boundaries are the relations tagged ``boundary=administrative`` with an ``admin_level``, and closed ways so
    tagged that are not a member of one of those relations (the ways that make up a relation's outline carry the
    same tags in OSM, and osmnx makes a polygon of each closed one). Streets are ways only (a ``highway`` node is
    a bus stop or a crossing). Land use gets the ``kind`` that ``--land`` reads (``residential`` or ``public``,
    :func:`equity.io.landuse._kind`), empty for other land.
    """
    import numpy as np

    shapes = _SHAPES[name]
    if gdf is None or gdf.empty:
        return _tag_layer(None, name), 0
    elements = np.array([e for e, _ in gdf.index])
    ids = np.array([i for _, i in gdf.index])
    keep = gdf.geometry.notna().to_numpy() & gdf.geom_type.isin(shapes).to_numpy()
    if name == "boundaries":
        levels = gdf["admin_level"].notna().to_numpy() if "admin_level" in gdf.columns else np.zeros(len(gdf), bool)
        tagged = (gdf["boundary"] == "administrative").to_numpy() if "boundary" in gdf.columns else keep
        member = (elements == "way") & np.isin(ids, list(members))
        keep &= levels & tagged & ~member & (elements != "node")
    elif name == "streets":
        keep &= elements == "way"
    elif name == "buildings":
        keep &= elements != "node"
    layer = _tag_layer(gdf[keep], name)
    if name == "landuse":
        from equity.io.landuse import PUBLIC_TAGS, RESIDENTIAL_TAGS, _kind

        keys = [k for k in sorted({*RESIDENTIAL_TAGS, *PUBLIC_TAGS}) if k in layer.columns]
        tags = layer[keys].to_dict(orient="records")
        kinds = [(_kind({k: v for k, v in t.items() if isinstance(v, str)}) or ("", ""))[0] for t in tags]
        layer.insert(1, "kind", kinds)
    return layer, int((~keep).sum())


def _tag_layer(gdf: gpd.GeoDataFrame | None, name: str = "cameras") -> gpd.GeoDataFrame:
    """Osmnx's frame as a layer: ``osm_id`` (``way/123``), the tags as text columns, the geometry in WGS84;
    boundaries with ``name`` and ``admin_level`` first.

    A tag gets a column when it is among the :data:`MAX_TAG_COLUMNS` most used and no more used tag has the same
    name but for case (SQLite's column names ignore case: ``FIXME`` and ``fixme`` are both mapped); a row's other
    tags are written as a JSON object in ``other_tags``, as GDAL's OSM driver does.
    """
    import geopandas as gpd
    import pandas as pd

    if gdf is None or gdf.empty:
        columns = {"osm_id": pd.Series(dtype=object)}
        if name == "boundaries":
            columns.update(name=pd.Series(dtype=object), admin_level=pd.Series(dtype=object))
        return gpd.GeoDataFrame(columns, geometry=gpd.GeoSeries([], crs="EPSG:4326"), crs="EPSG:4326")
    tags = [c for c in gdf.columns if c != gdf.geometry.name]
    present = gdf[tags].notna()
    used = present.sum().sort_values(ascending=False, kind="stable")
    first = [c for c in ("name", "admin_level") if c in tags] if name == "boundaries" else []
    columns: list[str] = []
    seen = {"osm_id", "other_tags", "geometry", "fid"}
    for c in [*first, *used.index]:
        if len(columns) < MAX_TAG_COLUMNS and str(c).lower() not in seen and c not in columns:
            columns.append(c)
            seen.add(str(c).lower())
    rest = [c for c in tags if c not in columns]
    data: dict[str, Any] = {"osm_id": [f"{e}/{i}" for e, i in gdf.index]}
    for c in columns:  # OSM tag values are text: osmnx keeps them as the JSON answer has them
        col = (
            gdf[c]
            if gdf[c].map(type, na_action="ignore").isin([str]).all()
            else gdf[c].map(_tag_value, na_action="ignore")
        )
        data[str(c)] = col.astype(object).where(present[c], None).to_numpy()
    if name == "boundaries":
        for c in ("name", "admin_level"):
            data.setdefault(c, [None] * len(gdf))
    if rest:  # column by column: the rare tags are sparse
        rows: dict[int, dict[str, str]] = {}
        for c in rest:
            values = gdf[c].to_numpy()
            for i in present[c].to_numpy().nonzero()[0].tolist():
                rows.setdefault(i, {})[str(c)] = _tag_value(values[i])
        other: list[str | None] = [None] * len(gdf)
        for i, row in rows.items():
            other[i] = json.dumps(row, ensure_ascii=False)
        data["other_tags"] = other
    return gpd.GeoDataFrame(data, geometry=gdf.geometry.to_numpy(), crs=gdf.crs or "EPSG:4326")


def _osmnx_frame_of(features: list[dict[str, Any]]) -> gpd.GeoDataFrame:
    """The camera features (GeoJSON dicts) as a frame indexed like osmnx's, for :func:`_tag_layer`."""
    import geopandas as gpd
    import pandas as pd
    from shapely.geometry import shape

    index = pd.MultiIndex.from_tuples(
        [tuple(f["properties"]["@id"].split("/")) for f in features], names=["element", "id"]
    )
    rows = [{k: v for k, v in f["properties"].items() if k != "@id"} for f in features]
    return gpd.GeoDataFrame(
        pd.DataFrame(rows, index=index), geometry=[shape(f["geometry"]) for f in features], crs="EPSG:4326"
    )


def _osmnx_frame(layer: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """A layer of :func:`_tag_layer` indexed again by ``(element, id)``, with its tags as columns."""
    import pandas as pd

    if layer.empty:
        return layer
    index = pd.MultiIndex.from_tuples([tuple(i.split("/")) for i in layer["osm_id"]], names=["element", "id"])
    frame = layer.drop(columns=["osm_id", *(["other_tags"] if "other_tags" in layer.columns else [])])
    if "other_tags" in layer.columns:  # the rarer tags, back in columns of their own
        rare = pd.DataFrame([json.loads(t) if isinstance(t, str) else {} for t in layer["other_tags"]])
        frame = pd.concat([frame.reset_index(drop=True), rare], axis=1).set_geometry(layer.geometry.name)
    frame.index = index
    return frame


def _place_layer(boundary: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """The Nominatim boundary as the ``place`` layer: ``osm_id``, ``name``, ``display_name``, its polygon."""
    import geopandas as gpd

    return gpd.GeoDataFrame(
        {
            "osm_id": [f"{t}/{i}" for t, i in zip(boundary["osm_type"], boundary["osm_id"], strict=True)],
            "name": [None if _missing(v) else str(v) for v in boundary.get("name", [None] * len(boundary))],
            "display_name": [str(v) for v in boundary["display_name"]],
        },
        geometry=boundary.geometry.to_numpy(),
        crs=boundary.crs,
    )


@contextmanager
def _download_errors(place: str, what: str, service: str, endpoint: str) -> Iterator[None]:
    """Turn the network and server errors of one download into an :class:`InputFileError`."""
    import requests
    from osmnx._errors import InsufficientResponseError, ResponseStatusCodeError

    try:
        yield
    except requests.exceptions.Timeout as err:
        msg = f"Could not download {what} of {place!r}: {service} ({endpoint}) did not answer in time; try again later."
        raise InputFileError(msg) from err
    except requests.exceptions.ConnectionError as err:
        msg = (
            f"Could not download {what} of {place!r}: {service} ({endpoint}) cannot be reached (no network "
            "connection, or the server is down)."
        )
        raise InputFileError(msg) from err
    except requests.exceptions.RequestException as err:
        msg = f"Could not download {what} of {place!r}: {service} ({endpoint}) failed ({_reason(err)})."
        raise InputFileError(msg) from err
    except (ResponseStatusCodeError, InsufficientResponseError) as err:
        msg = f"Could not download {what} of {place!r}: {service} ({endpoint}) answered with an error ({_reason(err)})."
        raise InputFileError(msg) from err


def _download_boundary(ox: Any, place: str) -> gpd.GeoDataFrame:
    """The place's boundary from Nominatim, with the errors a user can cause turned into InputError."""
    from osmnx._errors import InsufficientResponseError

    try:
        with _download_errors(place, "the boundary", "Nominatim", ox.settings.nominatim_url):
            try:
                return ox.geocode_to_gdf(place)
            except InsufficientResponseError as err:
                if "0 results" not in str(err):
                    raise
                msg = (
                    f"Nominatim found no place called {place!r}; check the spelling, or add the region and the "
                    "country (for example 'Quito, Ecuador')."
                )
                raise InputError(msg) from err
    except TypeError as err:  # osmnx: no result of the query has a (Multi)Polygon geometry
        if "(Multi)Polygon" not in str(err):
            raise
        msg = (
            f"Nominatim knows {place!r} only as a point, not as an area with a boundary; name a city, district "
            "or neighbourhood instead."
        )
        raise InputError(msg) from err


def _query_polygon(boundary: gpd.GeoDataFrame, place: str) -> Polygon | MultiPolygon:
    """The boundary as one (Multi)Polygon, as ``osmnx.features_from_place`` builds it; repaired if invalid."""
    import shapely
    from shapely.geometry import MultiPolygon, Polygon

    polygon = boundary.union_all()
    if not polygon.is_valid:
        repaired = shapely.make_valid(polygon)
        parts = [g for g in getattr(repaired, "geoms", [repaired]) if isinstance(g, (Polygon, MultiPolygon))]
        polygon = shapely.union_all(parts) if parts else repaired
    if not isinstance(polygon, (Polygon, MultiPolygon)) or polygon.is_empty:
        msg = f"Nominatim's boundary of {place!r} is not a usable polygon (it is a {polygon.geom_type})."
        raise InputFormatError(msg)
    return polygon


def _download_features(
    ox: Any,
    place: str,
    polygon: Polygon | MultiPolygon,
    tags: dict[str, bool | str | list[str]],
    what: str,
    *,
    missing_ok: bool = False,
) -> tuple[gpd.GeoDataFrame | None, list[str], set[int]]:
    """Features with ``tags`` inside ``polygon`` from Overpass (None when none is mapped there), the
    ``osm3s.timestamp_osm_base`` of each answer, and the ids of the ways that are members of a relation.

    These are the two steps of ``osmnx.features_from_polygon`` (``_overpass._download_overpass_features``, then
    ``features._create_gdf``), taken apart to keep the answers' timestamps and members, which the frame drops,
    and to refuse an answer with a ``remark`` (Overpass ran out of time or memory and sent what it had).
    osmnx raises ``InsufficientResponseError`` both when the answer has no matching feature (not an error
    here: the caller decides) and when the server's answer is not JSON (an error); only the message tells
    them apart.
    """
    from osmnx import _overpass, features
    from osmnx._errors import InsufficientResponseError

    if not polygon.is_valid:  # as features_from_polygon checks (_query_polygon repairs it)
        msg = f"Nominatim's boundary of {place!r} is not a valid polygon."
        raise InputFormatError(msg)
    answers: list[dict[str, Any]] = []
    with _download_errors(place, what, "Overpass", ox.settings.overpass_url):
        answers.extend(_overpass._download_overpass_features(polygon, tags))
    remarks = [str(a["remark"]) for a in answers if isinstance(a, dict) and a.get("remark")]
    if remarks:  # Overpass stopped (a timeout, out of memory) and sent what it had: osmnx only logs it
        msg = (
            f"Could not download {what} of {place!r}: Overpass ({ox.settings.overpass_url}) stopped before the end, "
            f"so its answer is incomplete ({_reason(Exception(remarks[0]))}); try again later, or a smaller place."
        )
        raise InputFileError(msg)
    stamps = sorted({a["osm3s"]["timestamp_osm_base"] for a in answers if isinstance(a.get("osm3s"), dict)} - {None})
    members = {
        m["ref"]
        for a in answers
        for el in a.get("elements", [])
        if el.get("type") == "relation"
        for m in el.get("members", [])
        if m.get("type") == "way"
    }
    with _download_errors(place, what, "Overpass", ox.settings.overpass_url):
        try:
            return features._create_gdf(answers, polygon, tags), stamps, members
        except InsufficientResponseError as err:
            if not str(err).startswith("No matching features"):
                raise
            if missing_ok:
                log.warning("%s: no %s are mapped inside its boundary", place, what)
            return None, stamps, members


def _features(
    gdf: gpd.GeoDataFrame | None, *, keep: tuple[str, ...], only_nodes: bool = False
) -> tuple[list[dict[str, Any]], list[str]]:
    """GeoJSON features in overpass-turbo's flat style from an osmnx features frame, and the ids left out.

    osmnx indexes its frame by ``(element, id)`` and has one column per tag (missing tags are NaN) plus the
    geometry. A row is kept when its geometry type is in ``keep`` (and it is a node, when ``only_nodes``).
    """
    if gdf is None or gdf.empty:
        return [], []
    from shapely.geometry import mapping

    columns = [c for c in gdf.columns if c != gdf.geometry.name]
    features, skipped = [], []
    for (element, osmid), geom, values in zip(
        gdf.index, gdf.geometry, gdf[columns].itertuples(index=False, name=None), strict=True
    ):
        oid = f"{element}/{osmid}"
        if (only_nodes and element != "node") or geom is None or geom.is_empty or geom.geom_type not in keep:
            skipped.append(oid)
            continue
        properties: dict[str, Any] = {"@id": oid}
        properties.update({str(k): _tag_value(v) for k, v in zip(columns, values, strict=True) if not _missing(v)})
        features.append({"type": "Feature", "properties": properties, "geometry": mapping(geom)})
    return features, skipped


def _boundary_features(boundary: gpd.GeoDataFrame) -> list[dict[str, Any]]:
    """The Nominatim result(s) as GeoJSON features: its attributes as properties, ``@id`` first."""
    from shapely.geometry import mapping

    columns = [c for c in boundary.columns if c != boundary.geometry.name]
    features = []
    for geom, values in zip(boundary.geometry, boundary[columns].itertuples(index=False, name=None), strict=True):
        row = dict(zip(columns, values, strict=True))
        properties = {"@id": f"{row.get('osm_type')}/{row.get('osm_id')}"}
        properties.update({str(k): _json_value(v) for k, v in row.items() if not _missing(v)})
        features.append({"type": "Feature", "properties": properties, "geometry": mapping(geom)})
    return features


def _feature_collection(features: list[dict[str, Any]], members: dict[str, Any]) -> str:
    """A GeoJSON FeatureCollection, one feature a line (readable, and small diffs between downloads)."""
    head = json.dumps({"type": "FeatureCollection", **members}, ensure_ascii=False)[:-1]
    body = ",\n".join(json.dumps(f, ensure_ascii=False, default=_json_value) for f in features)
    return f'{head}, "features": [\n{body}\n]}}\n' if features else f'{head}, "features": []}}\n'


def _missing(value: Any) -> bool:
    import pandas as pd

    return value is None or (pd.api.types.is_scalar(value) and bool(pd.isna(value)))


def _tag_value(value: Any) -> str:
    """OSM tag values are text; osmnx keeps them as read from the JSON answer."""
    return value if isinstance(value, str) else str(_json_value(value))


def _json_value(value: Any) -> Any:
    """Plain Python values for json: numpy scalars to int/float/bool, anything else to text."""
    import numpy as np

    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, (str, int, float, bool, list, dict)) or value is None:
        return value
    return str(value)


def _iso(when: dt.datetime) -> str:
    return when.strftime("%Y-%m-%dT%H:%M:%SZ")


def _reason(err: BaseException) -> str:
    """A short reason from an error message: its first line, without a server's HTML page, at most 160 chars."""
    text = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
    text = text.split("<", 1)[0].strip() or type(err).__name__
    return text if len(text) <= 160 else text[:159] + "…"
