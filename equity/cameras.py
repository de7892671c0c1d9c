"""OSM camera tags to a table of camera views, and the field-of-view geometry of each view.

The camera model follows the OSM wiki's ``man_made=surveillance`` tags; every rule below is one row of the
camera model of docs/camera-model.md. A tag that cannot be read is never guessed: it is recorded in the view's
``issues`` column with its raw value, and the documented default of :class:`equity.settings.Settings` is
used (and counted) instead.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from shapely import Polygon

from equity.projection import grid_north_offset, require_metric
from equity.settings import Settings


class TagValueError(ValueError):
    """A tag value that the camera model cannot read; the message says what was expected."""


#: Compass points to degrees clockwise from north.
COMPASS_DEG: dict[str, float] = {
    name: i * 22.5
    for i, name in enumerate(
        ["N", "NNE", "NE", "ENE", "E", "ESE", "SE", "SSE", "S", "SSW", "SW", "WSW", "W", "WNW", "NW", "NNW"]
    )
}

#: ``surveillance:type`` values, lower-cased, to the normalised kind. Others are kept, lower-cased.
KIND_ALIASES: dict[str, str] = {
    "camera": "camera",
    "cctv": "camera",
    "alpr": "ALPR",
    "anpr": "ALPR",
    "lpr": "ALPR",
    "guard": "guard",
    "gunshot_detector": "gunshot_detector",
    "gunshot_detection": "gunshot_detector",
}

#: The kinds that are cameras: an area camera (CCTV) and a licence-plate reader. Every other
#: ``surveillance:type`` (a guard, a gunshot detector, a microphone, ...) is not counted as a camera.
CAMERA_KINDS: tuple[str, ...] = ("camera", "ALPR")

#: Tags that mark a dummy camera, which records nothing: ``fake=yes`` or ``dummy=yes``, or ``fake`` or
#: ``dummy`` as the ``surveillance:type`` or ``camera:type``.
DUMMY_TAGS: tuple[str, ...] = ("fake", "dummy")

#: ``surveillance`` values to ownership. ``traffic`` is a common (deprecated) value for a public traffic
#: camera; it is read as public and counted.
OWNERSHIP_ALIASES: dict[str, str] = {
    "public": "public",
    "outdoor": "outdoor",
    "indoor": "indoor",
    "traffic": "public",
}

#: ``camera:type`` values to the normalised type.
CAMERA_TYPES: dict[str, str] = {"fixed": "fixed", "dome": "dome", "panning": "panning"}

#: Columns of the camera-view table, in order (geometry last).
VIEW_COLUMNS: list[str] = [
    "view_id",
    "camera_id",
    "view",
    "kind",
    "ownership",
    "camera_type",
    "mount",
    "zone",
    "operator",
    "name",
    "direction_deg",
    "fov_deg",
    "height_m",
    "height_source",
    "tilt_deg",
    "range_m",
    "direction_source",
    "confidence",
    "in_coverage",
    "excluded_reason",
    "issues",
    "tags",
]

_NUMBER = r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)"
_HEIGHT_RE = re.compile(
    rf"^\s*(?P<num>{_NUMBER})\s*(?P<unit>m|meters?|metres?|ft|feet|foot|'|′)?\s*"
    rf"(?:(?P<inch>{_NUMBER})\s*(?:\"|″|in|inch|inches))?\s*$",
    re.IGNORECASE,
)
_ANGLE_RE = re.compile(rf"^\s*(?P<num>{_NUMBER})\s*(?:°|deg|degrees?)?\s*$", re.IGNORECASE)


@dataclass(frozen=True)
class ViewDirection:
    """One direction a camera looks: centre in degrees clockwise from true north, and the width of a range
    (``None`` when the tag gave a single direction).
    """

    centre_deg: float
    width_deg: float | None = None


def parse_angle(value: str) -> float:
    """Read one direction: a number of degrees in [0, 360] or a compass point (``N``, ``NNE``, ... ``NNW``).

    Returns degrees clockwise from north in [0, 360); 360 is read as 0.

    Examples
    --------
    >>> parse_angle("NE"), parse_angle("90"), parse_angle("360")
    (45.0, 90.0, 0.0)
    """
    text = value.strip()
    if text.upper() in COMPASS_DEG:
        return COMPASS_DEG[text.upper()]
    match = _ANGLE_RE.match(text)
    if not match:
        msg = f"{value!r} is not a direction (expected degrees 0-360 or a compass point such as 'NE')"
        raise TagValueError(msg)
    deg = float(match["num"])
    if not 0 <= deg <= 360:
        msg = f"{value!r} is outside 0-360 degrees"
        raise TagValueError(msg)
    return deg % 360.0


def parse_direction(value: str) -> list[ViewDirection]:
    """Read a ``direction`` or ``camera:direction`` tag into one or more view directions.

    Accepted forms (as mappers write them): a number of degrees (``90``), a compass point (``SW``), a
    clockwise range ``from-to`` (``90-270``, ``NW-NE``) whose centre is ``from + w/2`` and width
    ``w = (to - from) mod 360`` (``0-360`` is a full circle), and a semicolon list of any of these
    (``0;180``), one view each.

    Examples
    --------
    >>> parse_direction("315-45")
    [ViewDirection(centre_deg=0.0, width_deg=90.0)]
    >>> [v.centre_deg for v in parse_direction("N;S")]
    [0.0, 180.0]
    """
    if value is None or not str(value).strip():
        msg = "empty direction"
        raise TagValueError(msg)
    views = []
    for part in str(value).split(";"):
        text = part.strip()
        if not text:
            msg = f"{value!r} has an empty item in its ';' list"
            raise TagValueError(msg)
        start, sep, end = text.partition("-")
        if sep and start.strip() and end.strip():
            a, b = parse_angle(start), parse_angle(end)
            # "0-360" is the whole circle, although 360 and 0 are the same bearing
            width = (b - a) % 360.0 or (360.0 if parse_angle(start) != _angle_unwrapped(end) else 0.0)
            if width == 0:
                msg = f"{value!r} is a range of zero width"
                raise TagValueError(msg)
            views.append(ViewDirection((a + width / 2) % 360.0, width))
        else:
            views.append(ViewDirection(parse_angle(text)))
    return views


def _angle_unwrapped(value: str) -> float:
    """Like :func:`parse_angle` but keeps 360 as 360."""
    match = _ANGLE_RE.match(value.strip())
    return float(match["num"]) if match else parse_angle(value)


def parse_height(value: str) -> float:
    r"""Read a ``height`` tag into metres: ``5``, ``5 m``, ``5.5m``, ``16'``, ``16 ft``, ``16'6"``.

    Feet are converted with 1 ft = 0.3048 m and 1 in = 0.0254 m. A height must be above 0 and at most 500 m.

    Examples
    --------
    >>> parse_height("5 m"), round(parse_height("16'"), 3), round(parse_height("10'6\""), 3)
    (5.0, 4.877, 3.2)
    """
    match = _HEIGHT_RE.match(str(value))
    if not match:
        msg = f"{value!r} is not a height (expected metres such as '5' or '5 m', or feet such as '16\\'')"
        raise TagValueError(msg)
    number = float(match["num"])
    unit = (match["unit"] or "m").lower()
    if match["inch"] is not None and unit not in ("'", "′", "ft", "feet", "foot"):
        msg = f"{value!r} mixes metres and inches"
        raise TagValueError(msg)
    metres = number * 0.3048 if unit in ("'", "′", "ft", "feet", "foot") else number
    if match["inch"] is not None:
        metres += float(match["inch"]) * 0.0254
    if not 0 < metres <= 500:
        msg = f"{value!r} is not a plausible camera height (expected above 0 and at most 500 m)"
        raise TagValueError(msg)
    return metres


def parse_tilt(*, angle: str | None = None, tilt: str | None = None) -> float | None:
    """Read the vertical angle of a camera in degrees below the horizontal.

    ``camera:angle`` counts from 0 (horizontal) to 90 (straight down); ``camera:tilt`` counts from -90
    (down) to 90 (up), so ``below = -tilt``. When both are given, ``camera:angle`` wins and a disagreement
    of more than one degree is an error.

    Examples
    --------
    >>> parse_tilt(angle="30"), parse_tilt(tilt="-30"), parse_tilt()
    (30.0, 30.0, None)
    """
    below_from_angle = below_from_tilt = None
    if angle is not None:
        below_from_angle = _parse_signed_degrees(angle, "camera:angle", 0, 90)
    if tilt is not None:
        below_from_tilt = -_parse_signed_degrees(tilt, "camera:tilt", -90, 90)
    if below_from_angle is not None and below_from_tilt is not None:
        if abs(below_from_angle - below_from_tilt) > 1:
            msg = (
                f"camera:angle={angle!r} and camera:tilt={tilt!r} disagree "
                "(camera:tilt counts upward, camera:angle downward)"
            )
            raise TagValueError(msg)
        return below_from_angle
    result = below_from_angle if below_from_angle is not None else below_from_tilt
    return None if result is None else result + 0.0  # normalise -0.0


def _parse_signed_degrees(value: str, key: str, low: float, high: float) -> float:
    match = _ANGLE_RE.match(str(value))
    if not match:
        msg = f"{key}={value!r} is not a number of degrees"
        raise TagValueError(msg)
    deg = float(match["num"])
    if not low <= deg <= high:
        msg = f"{key}={value!r} is outside {low:g} to {high:g} degrees"
        raise TagValueError(msg)
    return deg


def camera_kind(tags: Mapping[str, object]) -> str:
    """The normalised kind of a surveillance object from its ``surveillance:type`` (``camera`` when untagged).

    Examples
    --------
    >>> camera_kind({"surveillance:type": "ANPR"}), camera_kind({}), camera_kind({"surveillance:type": "Guard"})
    ('ALPR', 'camera', 'guard')
    """
    raw = _clean(tags.get("surveillance:type"))
    return KIND_ALIASES.get(raw.lower(), raw.lower()) if raw else "camera"


def not_a_camera(tags: Mapping[str, object]) -> str | None:
    """Why a ``man_made=surveillance`` object is not counted as a camera, or None when it is one.

    Not cameras: a ``surveillance:type`` other than a camera or a licence-plate reader (:data:`CAMERA_KINDS`:
    a guard, a gunshot detector, ...), and a dummy camera (:data:`DUMMY_TAGS`).

    Examples
    --------
    >>> not_a_camera({"surveillance:type": "guard"})
    'surveillance:type=guard is not a camera'
    >>> not_a_camera({"surveillance:type": "camera", "fake": "yes"})
    'a dummy camera (fake=yes) records nothing'
    >>> not_a_camera({"surveillance:type": "ALPR"}) is None
    True
    """
    kind = camera_kind(tags)
    if kind in DUMMY_TAGS:
        return f"a dummy camera (surveillance:type={kind}) records nothing"
    if kind not in CAMERA_KINDS:
        return f"surveillance:type={_short(kind)} is not a camera"
    for key in DUMMY_TAGS:
        if (_clean(tags.get(key)) or "").lower() == "yes":
            return f"a dummy camera ({key}=yes) records nothing"
    ctype = (_clean(tags.get("camera:type")) or "").lower()
    if ctype in DUMMY_TAGS:
        return f"a dummy camera (camera:type={ctype}) records nothing"
    return None


def split_non_cameras(raw: gpd.GeoDataFrame, source: str) -> tuple[gpd.GeoDataFrame, pd.DataFrame]:
    """Set aside the surveillance objects that are not cameras (:func:`not_a_camera`).

    Parameters
    ----------
    raw : geopandas.GeoDataFrame
        Cameras as read (``camera_id``, ``tags``).
    source : str
        The file they were read from, for the set-aside rows.

    Returns
    -------
    cameras : geopandas.GeoDataFrame
        The rows that are cameras.
    set_aside : pandas.DataFrame
        One row per object left out, with ``source``, ``record`` (its id), ``reason`` and ``value`` (its
        ``surveillance:type``), for rejected.csv.
    """
    reasons = [not_a_camera(tags) for tags in raw["tags"]]
    out = np.array([r is not None for r in reasons], dtype=bool)
    set_aside = pd.DataFrame(
        {
            "source": source,
            "record": raw.loc[out, "camera_id"].astype(str).to_numpy(),
            "reason": [r for r in reasons if r is not None],
            "value": [_clean(t.get("surveillance:type")) for t, o in zip(raw["tags"], out, strict=True) if o],
        },
        columns=["source", "record", "reason", "value"],
    )
    return raw.loc[~out], set_aside


def camera_range(fov_deg: float, settings: Settings) -> float:
    """Distance in metres at which a camera still resolves ``settings.px_per_m`` pixels per metre.

    A lens of horizontal field of view ``f`` spreads ``P`` pixels over a width ``2 d tan(f/2)`` at distance
    ``d``, so the distance for a pixel density ``p`` is::

        d = P / (2 p tan(min(f, f_cap) / 2))

    with ``P = settings.sensor_px``, ``p = settings.px_per_m`` and ``f_cap = settings.lens_fov_cap_deg``
    (wide and panning cameras get the range of a lens of the cap's width). ``settings.range_m``, when set,
    replaces the model.

    Examples
    --------
    >>> round(camera_range(60.0, Settings()), 1)   # 1080p, detection (25 px/m)
    66.5
    """
    if settings.range_m is not None:
        return float(settings.range_m)
    lens = math.radians(min(fov_deg, settings.lens_fov_cap_deg))
    return settings.sensor_px / (2.0 * settings.px_per_m * math.tan(lens / 2.0))


def _clean(value: object) -> str | None:
    """A tag value as a stripped string, or None when missing."""
    if value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NA:
        return None
    text = str(value).strip()
    return text or None


def _short(value: str, limit: int = 80) -> str:
    return value if len(value) <= limit else value[: limit - 1] + "…"


def views_from_tags(camera_id: str, tags: Mapping[str, object], settings: Settings) -> list[dict[str, object]]:
    """Normalise the tags of one camera into one record per view (see docs/camera-model.md).

    Rules, in order: kind from ``surveillance:type`` (``ANPR`` is ALPR; default ``camera``; a licence-plate
    reader gets ``settings.alpr_fov_deg`` and ``settings.alpr_range_m`` and is never all-round); ownership from
    ``surveillance`` (missing: ``unknown``); camera type from ``camera:type`` (``revolving=yes`` without a
    type means ``panning``); direction from ``camera:direction``, else ``direction``; field of view 360 for
    dome and panning cameras, the width of a tagged range, else ``settings.fixed_fov_deg``; height from
    ``height``, else by ``camera:mount``, else ``settings.default_height_m``; tilt from ``camera:angle`` or
    ``camera:tilt``; range from :func:`camera_range`. A directional camera with no readable direction
    follows ``settings.unknown_direction``.
    """
    get = {str(k): _clean(v) for k, v in tags.items()}
    issues: list[str] = []

    def note(key: str, raw: str, why: str) -> None:
        issues.append(f"{key}={_short(raw)!r}: {why}")

    kind = camera_kind(get)
    alpr = kind == "ALPR"

    raw_owner = get.get("surveillance")
    if raw_owner is None:
        ownership = "unknown"
    elif raw_owner.lower() in OWNERSHIP_ALIASES:
        ownership = OWNERSHIP_ALIASES[raw_owner.lower()]
    else:
        ownership = "unknown"
        note("surveillance", raw_owner, "expected public, outdoor or indoor")

    raw_type = get.get("camera:type")
    if raw_type is None:
        camera_type = "panning" if (get.get("revolving") or "").lower() == "yes" else "unknown"
    elif raw_type.lower() in CAMERA_TYPES:
        camera_type = CAMERA_TYPES[raw_type.lower()]
    else:
        camera_type = "unknown"
        note("camera:type", raw_type, "expected fixed, dome or panning")

    mount = get.get("camera:mount")
    height_source = "tagged"
    height: float | None = None
    if get.get("height") is not None:
        try:
            height = parse_height(get["height"])
        except TagValueError as err:
            note("height", get["height"], str(err))
    if height is None:
        height_source = "mount" if mount and mount.lower() in settings.mount_height_m else "default"
        height = settings.mount_height_m.get((mount or "").lower(), settings.default_height_m)
        height = max(0.5, height + settings.camera_height_offset_m)

    tilt = None
    angle_raw, tilt_raw = get.get("camera:angle"), get.get("camera:tilt")
    readable = {}
    for key, kwargs in (("camera:angle", {"angle": angle_raw}), ("camera:tilt", {"tilt": tilt_raw})):
        raw = angle_raw if key == "camera:angle" else tilt_raw
        if raw is None:
            continue
        try:
            readable[key] = parse_tilt(**kwargs)
        except TagValueError as err:
            note(key, raw, str(err))
    if len(readable) == 2:
        try:
            tilt = parse_tilt(angle=angle_raw, tilt=tilt_raw)
        except TagValueError as err:
            note("camera:angle", f"{angle_raw} / camera:tilt={tilt_raw}", str(err))
    elif readable:
        tilt = next(iter(readable.values()))

    dir_key = "camera:direction" if get.get("camera:direction") is not None else "direction"
    directions: list[ViewDirection] | None = None
    if get.get(dir_key) is not None:
        try:
            directions = parse_direction(get[dir_key])
        except TagValueError as err:
            note(dir_key, get[dir_key], str(err))

    omni = camera_type in ("dome", "panning") and not alpr  # a plate reader watches one carriageway
    base = {
        "camera_id": camera_id,
        "kind": kind,
        "ownership": ownership,
        "camera_type": camera_type,
        "mount": mount,
        "zone": get.get("surveillance:zone"),
        "operator": get.get("operator"),
        "name": get.get("name"),
        "height_m": height,
        "height_source": height_source,
        "tilt_deg": tilt,
        "tags": json.dumps({str(k): v for k, v in get.items() if v is not None}, ensure_ascii=False, sort_keys=True),
    }
    excluded = None
    if ownership == "indoor" and not settings.include_indoor:
        excluded = "indoor camera (settings.include_indoor is off)"

    records: list[dict[str, object]] = []
    if directions and omni:  # a dome or panning camera sees all around, whatever directions are listed
        records.append(
            {
                **base,
                "direction_deg": directions[0].centre_deg,
                "fov_deg": 360.0,
                "direction_source": "tagged",
                "confidence": "high",
            }
        )
    elif directions:
        for d in directions:
            lens = settings.alpr_fov_deg if alpr else settings.fixed_fov_deg
            fov = 360.0 if omni else (d.width_deg if d.width_deg is not None else lens)
            records.append(
                {
                    **base,
                    "direction_deg": d.centre_deg,
                    "fov_deg": fov,
                    "direction_source": "tagged",
                    "confidence": "high",
                }
            )
    elif omni:
        records.append(
            {**base, "direction_deg": None, "fov_deg": 360.0, "direction_source": "default", "confidence": "high"}
        )
    elif settings.unknown_direction == "disc":
        records.append(
            {**base, "direction_deg": None, "fov_deg": 360.0, "direction_source": "unknown", "confidence": "low"}
        )
    else:
        records.append(
            {**base, "direction_deg": None, "fov_deg": None, "direction_source": "unknown", "confidence": "none"}
        )
        excluded = excluded or "direction unknown (settings.unknown_direction is 'skip')"

    for i, rec in enumerate(records):
        fov = rec["fov_deg"]
        if fov is None:
            rec["range_m"] = None
        elif alpr and settings.range_m is None:  # the capture zone at any detail level (Settings.alpr_range_m)
            rec["range_m"] = float(settings.alpr_range_m)
        elif rec["confidence"] == "low":  # a disc drawn for a fixed lens keeps the fixed lens's range
            rec["range_m"] = camera_range(settings.fixed_fov_deg, settings)
        else:
            rec["range_m"] = camera_range(float(fov), settings)
        rec["view"] = i
        rec["view_id"] = camera_id if len(records) == 1 else f"{camera_id}#{i}"
        rec["in_coverage"] = excluded is None
        rec["excluded_reason"] = excluded
        rec["issues"] = "; ".join(issues) or None
    return records


#: The most views a camera has: a camera with several lenses has up to 4, rarely 8. A camera tagged with more
#: directions is one view (see :func:`bounded_views`), so that a file of cameras tagged with dozens of
#: directions each cannot multiply the work (20,000 cameras of 20 directions took 239 s on open ground, median of 3).
MAX_VIEWS_PER_CAMERA = 8


def _sees_all_around(directions: list[float], widths: list[float]) -> bool:
    """Whether fields of view centred on ``directions`` with ``widths`` (degrees) together cover the circle."""
    spans = sorted(((d - w / 2.0) % 360.0, w) for d, w in zip(directions, widths, strict=True))
    reach = spans[0][0]  # covered from the first start, clockwise, up to reach
    for start, width in spans:
        if start > reach + 1e-9:
            return False
        reach = max(reach, start + width)
    return reach >= spans[0][0] + 360.0 - 1e-9


def bounded_views(records: list[dict[str, object]]) -> list[dict[str, object]]:
    """The views of one camera (:func:`views_from_tags`), or one view in their place when there are more than
    :data:`MAX_VIEWS_PER_CAMERA`.

    When the views have one range and their fields together cover the full circle, the one view sees all around
    at that range (``fov_deg`` 360, the union of their sectors to within the polygons' approximation of the arc);
    otherwise it counts toward no coverage (``excluded_reason``), as which lenses the camera has cannot be told.
    Either way the camera's ``issues`` say so.
    """
    if len(records) <= MAX_VIEWS_PER_CAMERA:
        return records
    first = records[0]
    widths = [r["fov_deg"] for r in records]
    ranges = {r["range_m"] for r in records}
    around = (
        len(ranges) == 1
        and all(isinstance(w, float | int) and w > 0 for w in widths)
        and all(isinstance(r["direction_deg"], float | int) for r in records)
        and _sees_all_around([float(r["direction_deg"]) for r in records], [float(w) for w in widths])
    )
    why = f"{len(records)} directions, more than the {MAX_VIEWS_PER_CAMERA} views a camera has"
    one = {**first, "view": 0, "view_id": str(first["camera_id"])}
    if around:
        one.update(direction_deg=None, fov_deg=360.0)
        why += ": one view all around, as their fields cover the circle"
    else:
        one.update(in_coverage=False, excluded_reason=first["excluded_reason"] or f"tagged with {why}")
        why += ": counted toward no coverage"
    one["issues"] = "; ".join(filter(None, [first["issues"], why]))
    return [one]


def normalise_cameras(raw: gpd.GeoDataFrame, settings: Settings | None = None) -> gpd.GeoDataFrame:
    """Turn raw cameras (``camera_id``, ``tags`` dicts, point geometry) into one row per camera view.

    Parameters
    ----------
    raw : geopandas.GeoDataFrame
        As returned by the readers in :mod:`equity.io.cameras`.
    settings : Settings, optional
        Defaults of the camera model.

    Returns
    -------
    geopandas.GeoDataFrame
        Columns :data:`VIEW_COLUMNS` and the camera's point, in the CRS of ``raw``, indexed by ``view_id``.
    """
    settings = settings or Settings()
    rows: list[dict[str, object]] = []
    geoms = []
    for cid, tags, geom in zip(raw["camera_id"], raw["tags"], raw.geometry, strict=True):
        for rec in bounded_views(views_from_tags(str(cid), tags, settings)):
            rows.append(rec)
            geoms.append(geom)
    frame = pd.DataFrame(rows, columns=VIEW_COLUMNS)
    for col in ("direction_deg", "fov_deg", "height_m", "tilt_deg", "range_m"):
        frame[col] = pd.to_numeric(frame[col]).astype("float64")
    frame["view"] = frame["view"].astype("int64")
    frame["in_coverage"] = frame["in_coverage"].astype(bool)
    views = gpd.GeoDataFrame(frame, geometry=gpd.GeoSeries(geoms, crs=raw.crs), crs=raw.crs)
    return views.set_index("view_id", drop=False).rename_axis(None)


def sector_polygon(
    x: float, y: float, bearing_deg: float, fov_deg: float, range_m: float, arc_segments: int = 128
) -> Polygon:
    """The field of view of one camera in the plane: a sector with its apex at ``(x, y)``.

    The sector spans grid bearings ``bearing - fov/2`` to ``bearing + fov/2`` (clockwise from grid north) out
    to ``range_m``; a bearing ``b`` points to ``(x + r sin b, y + r cos b)``. Its area is
    ``fov/360 * pi * r^2`` up to the polygonal approximation of the arc (``arc_segments`` vertices per full
    circle). A field of view of 360 degrees or more gives a full disc.

    Examples
    --------
    >>> round(sector_polygon(0, 0, 0, 90, 10, 4096).area / (math.pi * 100 / 4), 4)
    1.0
    """
    if fov_deg >= 360 - 1e-6:  # a full circle (a width a hair below 360 would make the two edges touch)
        n = arc_segments
        angles = np.linspace(0.0, 2 * math.pi, n, endpoint=False)
        return Polygon(np.column_stack([x + range_m * np.sin(angles), y + range_m * np.cos(angles)]))
    n = max(2, math.ceil(arc_segments * fov_deg / 360.0)) + 1
    start = math.radians(bearing_deg - fov_deg / 2.0)
    angles = np.linspace(start, start + math.radians(fov_deg), n)
    arc = np.column_stack([x + range_m * np.sin(angles), y + range_m * np.cos(angles)])
    return Polygon(np.vstack([[x, y], arc]))


def fov_sectors(views: gpd.GeoDataFrame, settings: Settings | None = None) -> gpd.GeoSeries:
    """Field-of-view sectors of the views that count toward coverage, in the views' metric CRS.

    Each view with ``in_coverage`` and a field of view gets :func:`sector_polygon` at its point, turned from
    true north to grid north by :func:`equity.projection.grid_north_offset`. Other views get an empty geometry
    (None). Returns a GeoSeries aligned to ``views.index``.

    The sectors are built all at once, those with the same number of vertices in one array, with the arithmetic
    of :func:`sector_polygon` (and of ``numpy.linspace``) element by element, so that each polygon is the one
    :func:`sector_polygon` makes, to the last bit (400,000 views took 33 s one by one).
    """
    settings = settings or Settings()
    require_metric(views, "camera layer")
    n_views = len(views)
    out = np.full(n_views, None, dtype=object)
    if not n_views:
        return gpd.GeoSeries(out, index=views.index, crs=views.crs)
    offsets = np.asarray(grid_north_offset(views.geometry), dtype=float)
    fov = pd.to_numeric(views["fov_deg"]).to_numpy(float)
    rng = pd.to_numeric(views["range_m"]).to_numpy(float)
    direction = pd.to_numeric(views["direction_deg"]).to_numpy(float)
    use = views["in_coverage"].to_numpy(bool) & ~np.isnan(fov) & ~np.isnan(rng)
    bearing = np.where(np.isnan(direction), 0.0, direction) + offsets
    x, y = shapely.get_x(views.geometry.to_numpy()), shapely.get_y(views.geometry.to_numpy())
    segments = settings.arc_segments
    disc = use & (fov >= 360 - 1e-6)
    sector = use & ~disc
    vertices = np.zeros(n_views, dtype=np.int64)
    vertices[sector] = np.maximum(2, np.ceil(segments * fov[sector] / 360.0)).astype(np.int64) + 1
    for n in np.unique(vertices[sector]):
        rows = np.flatnonzero(sector & (vertices == n))
        start = np.radians(bearing[rows] - fov[rows] / 2.0)
        stop = start + np.radians(fov[rows])
        step = (stop - start) / (n - 1)
        angles = np.arange(n, dtype=float)[None, :] * step[:, None] + start[:, None]
        angles[:, -1] = stop
        arc_x = x[rows, None] + rng[rows, None] * np.sin(angles)
        arc_y = y[rows, None] + rng[rows, None] * np.cos(angles)
        ring = np.empty((len(rows), n + 2, 2))
        ring[:, 0, 0], ring[:, 0, 1] = x[rows], y[rows]
        ring[:, 1:-1, 0], ring[:, 1:-1, 1] = arc_x, arc_y
        ring[:, -1] = ring[:, 0]  # closed, as shapely closes a ring
        out[rows] = shapely.polygons(ring)
    rows = np.flatnonzero(disc)
    if len(rows):
        angles = np.arange(segments, dtype=float) * (2 * math.pi / segments)
        ring = np.empty((len(rows), segments + 1, 2))
        ring[:, :-1, 0] = x[rows, None] + rng[rows, None] * np.sin(angles)[None, :]
        ring[:, :-1, 1] = y[rows, None] + rng[rows, None] * np.cos(angles)[None, :]
        ring[:, -1] = ring[:, 0]
        out[rows] = shapely.polygons(ring)
    return gpd.GeoSeries(out, index=views.index, crs=views.crs)
