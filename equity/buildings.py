"""Building heights from OSM tags, with documented defaults that are counted when used.

Rules, in order: ``height`` (metres, or feet as in ``30'``); else ``building:levels`` times
:data:`STOREY_HEIGHT_M` (plus half a storey per ``roof:levels``); else a default by ``building`` type
(:data:`DEFAULT_HEIGHT_BY_TYPE`, else :data:`DEFAULT_HEIGHT_M`). The column ``height_source`` says which rule
gave each building its height: ``tagged``, ``levels`` or ``default``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

import geopandas as gpd
import numpy as np
import pandas as pd

from equity.cameras import TagValueError, parse_height

#: Height of one storey in metres (floor to floor, a common figure for residential and office buildings).
STOREY_HEIGHT_M = 3.0

#: Height in metres by ``building`` value when neither ``height`` nor ``building:levels`` is tagged: the
#: typical number of storeys of that type times :data:`STOREY_HEIGHT_M`.
DEFAULT_HEIGHT_BY_TYPE: dict[str, float] = {
    "house": 6.0,
    "detached": 6.0,
    "semidetached_house": 6.0,
    "terrace": 6.0,
    "bungalow": 3.0,
    "residential": 9.0,
    "apartments": 12.0,
    "dormitory": 12.0,
    "commercial": 9.0,
    "retail": 6.0,
    "office": 12.0,
    "hotel": 15.0,
    "industrial": 8.0,
    "warehouse": 8.0,
    "school": 9.0,
    "university": 12.0,
    "hospital": 15.0,
    "church": 15.0,
    "cathedral": 25.0,
    "civic": 9.0,
    "public": 9.0,
    "train_station": 9.0,
    "garage": 3.0,
    "garages": 3.0,
    "carport": 2.5,
    "shed": 2.5,
    "hut": 2.5,
    "kiosk": 3.0,
    "roof": 4.0,
    "container": 2.6,
}

#: Height in metres of a building of unknown or unlisted type (``building=yes``): two storeys.
DEFAULT_HEIGHT_M = 6.0

_LEVELS_RE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*$")


def building_height(tags: Mapping[str, object]) -> tuple[float, str, str | None]:
    """Height of one building in metres, the rule that gave it, and a tag problem if any.

    Examples
    --------
    >>> building_height({"building": "yes", "height": "12 m"})
    (12.0, 'tagged', None)
    >>> building_height({"building": "apartments", "building:levels": "5"})
    (15.0, 'levels', None)
    >>> building_height({"building": "house"})
    (6.0, 'default', None)
    """
    issue = None
    raw = tags.get("height")
    if raw is not None and str(raw).strip():
        try:
            return parse_height(str(raw)), "tagged", None
        except TagValueError as err:
            issue = f"height: {err}"
    levels = tags.get("building:levels")
    if levels is not None and str(levels).strip():
        match = _LEVELS_RE.match(str(levels))
        if match and 0 < float(match.group(1)) <= 200:
            n = float(match.group(1))
            roof = tags.get("roof:levels")
            roof_match = _LEVELS_RE.match(str(roof)) if roof is not None else None
            extra = 0.5 * float(roof_match.group(1)) if roof_match else 0.0
            return (n + extra) * STOREY_HEIGHT_M, "levels", issue
        issue = (issue + "; " if issue else "") + f"building:levels: {str(levels)[:40]!r} is not a number of storeys"
    kind = str(tags.get("building") or "yes").strip().lower()
    return DEFAULT_HEIGHT_BY_TYPE.get(kind, DEFAULT_HEIGHT_M), "default", issue


def buildings_with_heights(raw: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Add ``building``, ``height_m``, ``height_source`` and ``issues`` to raw buildings (``building_id``,
    ``tags`` dicts, polygon geometry); keep the CRS and the order.
    """
    heights = [building_height(t) for t in raw["tags"]]
    out = raw[["building_id"]].copy()
    out["building"] = [str(t.get("building") or "yes") for t in raw["tags"]]
    out["height_m"] = np.array([h[0] for h in heights], dtype=float)
    out["height_source"] = [h[1] for h in heights]
    out["issues"] = pd.Series([h[2] for h in heights], index=raw.index, dtype=object)
    out["tags"] = raw["tags"]
    return gpd.GeoDataFrame(out, geometry=raw.geometry, crs=raw.crs)
