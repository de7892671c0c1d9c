"""Live download of a place's cameras, boundary and (optionally) building footprints from OpenStreetMap.

The place is geocoded to its boundary polygon with Nominatim (``osmnx.geocode_to_gdf``), then the features
inside that polygon are downloaded from the Overpass API (``osmnx.features_from_polygon``). The files written
are read back offline by the other readers: ``cameras.geojson`` is in overpass-turbo's flat GeoJSON style
(``@id`` = ``node/123`` and the OSM tags as properties), which :func:`equity.io.cameras_from_file` reads.

osmnx's own settings apply (``osmnx.settings``): its endpoints, timeout and response cache. With
``osmnx.settings.use_cache`` True (osmnx's default) every answer is kept in ``osmnx.settings.cache_folder``
and a repeated download of the same place is answered from there rather than from the servers.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from equity._errors import InputError, InputFileError, InputFormatError, OutputError
from equity.io.outputs import write_text_atomic

if TYPE_CHECKING:
    import geopandas as gpd
    from shapely.geometry import MultiPolygon, Polygon

log = logging.getLogger(__name__)

#: The attribution that the ODbL requires wherever the downloaded data are shown or shared.
ATTRIBUTION = "© OpenStreetMap contributors, ODbL 1.0"
LICENCE_URL = "https://opendatacommons.org/licenses/odbl/1-0/"
COPYRIGHT_URL = "https://www.openstreetmap.org/copyright"
#: The Overpass tag filters of the two downloads (osmnx's ``tags`` argument).
CAMERA_TAGS: dict[str, bool | str | list[str]] = {"man_made": "surveillance"}
BUILDING_TAGS: dict[str, bool | str | list[str]] = {"building": True}
FETCH_FILES = ("cameras.geojson", "boundary.geojson", "buildings.geojson", "fetch.json")


def fetch_place(place: str, out: str | Path, *, buildings: bool = False) -> dict[str, Path]:
    """Download the surveillance cameras of a place from OpenStreetMap, for offline use.

    Three downloads, in this order: the place's boundary from Nominatim (``osmnx.geocode_to_gdf``), the
    nodes, ways and relations tagged ``man_made=surveillance`` inside it from Overpass
    (``osmnx.features_from_polygon``) and, when ``buildings`` is true, the features tagged ``building=*``.
    Only camera nodes are kept: a camera is a point, and a way or relation tagged as one is counted (and
    listed in ``fetch.json``) but not turned into a guessed point. Nothing is written unless every download
    succeeded; each file is then written through a temporary file in ``out`` and renamed into place.

    Parameters
    ----------
    place : str
        A place name that Nominatim resolves to an area with a boundary, e.g. ``"Quito, Ecuador"``.
    out : str or pathlib.Path
        Output folder, created if needed. Files of an earlier download of the same names are replaced.
    buildings : bool, default False
        Also download building footprints (polygons only; building nodes are counted, not written).

    Returns
    -------
    dict of str to pathlib.Path
        The written files by name: ``cameras.geojson`` (points; properties are the OSM tags plus ``@id``),
        ``boundary.geojson`` (the Nominatim boundary and its attributes), ``buildings.geojson`` (when asked)
        and ``fetch.json`` (provenance: place, osmnx version, endpoints, UTC time, counts, ODbL attribution).

    Raises
    ------
    InputError
        Nominatim does not know the place, or knows it only as a point.
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

    The time recorded in ``fetch.json`` is the time of this call. When osmnx answers from its cache
    (``osmnx.settings.use_cache``), the data may be older; the cache settings are recorded alongside.

    Examples
    --------
    >>> written = fetch_place("Quito, Ecuador", "quito")  # doctest: +SKIP
    >>> sorted(written)  # doctest: +SKIP
    ['boundary.geojson', 'cameras.geojson', 'fetch.json']
    """
    import osmnx as ox  # slow to import, and only this command needs it

    if not isinstance(place, str) or not place.strip():
        msg = f"The place name {place!r} is empty; give a name that Nominatim knows, such as 'Quito, Ecuador'."
        raise InputError(msg)
    place = place.strip()
    out = Path(out)
    if out.exists() and not out.is_dir():
        msg = f"{out}: exists and is not a folder; choose another --out."
        raise OutputError(msg)

    downloaded_at = dt.datetime.now(dt.UTC).replace(microsecond=0)
    boundary = _download_boundary(ox, place)
    polygon = _query_polygon(boundary, place)

    cameras = _download_features(ox, place, polygon, CAMERA_TAGS, "cameras")
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

    building_features: list[dict[str, Any]] = []
    buildings_skipped: list[str] = []
    if buildings:
        footprints = _download_features(ox, place, polygon, BUILDING_TAGS, "buildings", missing_ok=True)
        building_features, buildings_skipped = _features(footprints, keep=("Polygon", "MultiPolygon"))

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
        texts["buildings.geojson"] = _feature_collection(building_features, members)
        counts.update(buildings=len(building_features), buildings_not_polygons=len(buildings_skipped))
    first = boundary.iloc[0]
    provenance = {
        "equity_fetch": 1,
        "place": place,
        "boundary": {
            "osm_id": f"{first.get('osm_type')}/{first.get('osm_id')}",
            "display_name": first.get("display_name"),
        },
        "downloaded_at": _iso(downloaded_at),
        "source": "OpenStreetMap",
        "attribution": ATTRIBUTION,
        "licence": LICENCE_URL,
        "copyright": COPYRIGHT_URL,
        "osmnx_version": ox.__version__,
        "endpoints": {"nominatim": ox.settings.nominatim_url, "overpass": ox.settings.overpass_url},
        "osmnx_cache": {"use_cache": ox.settings.use_cache, "cache_folder": str(ox.settings.cache_folder)},
        "queries": {"cameras": CAMERA_TAGS, **({"buildings": BUILDING_TAGS} if buildings else {})},
        "counts": counts,
        "cameras_not_points": not_points,
        "files": [*texts, "fetch.json"],
    }
    texts["fetch.json"] = json.dumps(provenance, indent=2, ensure_ascii=False, default=_json_value) + "\n"

    written: dict[str, Path] = {}
    try:
        out.mkdir(parents=True, exist_ok=True)
        for name, text in texts.items():
            written[name] = write_text_atomic(out / name, text)
    except OSError as err:
        msg = f"{out}: cannot write the downloaded files ({err.strerror or err})."
        raise OutputError(msg) from err
    return written


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
) -> gpd.GeoDataFrame | None:
    """Features with ``tags`` inside ``polygon`` from Overpass; None when none is mapped there.

    osmnx raises ``InsufficientResponseError`` both when the answer has no matching feature (not an error
    here: the caller decides) and when the server's answer is not JSON (an error); only the message tells
    them apart.
    """
    from osmnx._errors import InsufficientResponseError

    with _download_errors(place, what, "Overpass", ox.settings.overpass_url):
        try:
            return ox.features_from_polygon(polygon, tags=tags)
        except InsufficientResponseError as err:
            if not str(err).startswith("No matching features"):
                raise
            if missing_ok:
                log.warning("%s: no %s are mapped inside its boundary", place, what)
            return None


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
