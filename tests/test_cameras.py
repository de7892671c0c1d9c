"""The camera model: OSM tags to camera views (docs/camera-model.md), and field-of-view geometry.

Known-answer tests follow the rules of docs/camera-model.md, with tag values as mappers write them; property
tests (Hypothesis) cover the parsers and the sector geometry.
"""

from __future__ import annotations

import json
import math

import geopandas as gpd
import numpy as np
import pytest
from hypothesis import given
from hypothesis import settings as hyp_settings
from hypothesis import strategies as st
from pyproj import Transformer
from shapely import Point

from equity import cameras
from equity._errors import CRSError
from equity.settings import Settings

DEFAULT = Settings()
COMPASS = ["N", "NNE", "NE", "ENE", "E", "ESE", "SE", "SSE", "S", "SSW", "SW", "WSW", "W", "WNW", "NW", "NNW"]
FEET = 0.3048
UTM10N = "EPSG:32610"  # central meridian 123 W
UTM21S = "EPSG:32721"  # central meridian 57 W
FIXED = {"man_made": "surveillance", "surveillance": "public", "surveillance:type": "camera", "camera:type": "fixed"}
DOME = {**FIXED, "camera:type": "dome"}

#: Keys that the camera model reads, for the fuzzing tests.
TAG_KEYS = [
    "surveillance",
    "surveillance:type",
    "surveillance:zone",
    "camera:type",
    "camera:mount",
    "camera:direction",
    "direction",
    "camera:angle",
    "camera:tilt",
    "height",
    "revolving",
    "operator",
    "name",
]
#: Values as they occur in OSM, so that the fuzzing also walks the valid branches.
REAL_VALUES = [
    "camera",
    "ALPR",
    "ANPR",
    "guard",
    "public",
    "outdoor",
    "indoor",
    "traffic",
    "fixed",
    "dome",
    "panning",
    "wall",
    "pole",
    "street_lamp",
    "yes",
    "no",
    "90",
    "NE",
    "90-270",
    "315-45",
    "0;180",
    "0-360",
    "5",
    "5 m",
    "16'",
    "10'6\"",
    "30",
    "-30",
    "town",
    "parking",
    "",
]


# ----------------------------------------------------------------------------------------------- helpers


def views(tags: dict[str, str], settings: Settings = DEFAULT, camera_id: str = "node/1") -> list[dict]:
    return cameras.views_from_tags(camera_id, tags, settings)


def one(tags: dict[str, str], settings: Settings = DEFAULT) -> dict:
    """The only view of a camera."""
    records = views(tags, settings)
    assert len(records) == 1
    return records[0]


def issues(record: dict) -> str:
    return record["issues"] or ""


def angle_text(value: float) -> str:
    """A float as a mapper writes it: plain decimals, no exponent, and exactly the same number back."""
    return np.format_float_positional(value, trim="-")


def circular_diff(a: float, b: float) -> float:
    """Smallest difference between two bearings, in degrees."""
    d = abs(a - b) % 360.0
    return min(d, 360.0 - d)


def sector_area(fov: float, r: float) -> float:
    return min(fov, 360.0) / 360.0 * math.pi * r**2


def detection_range(fov: float, px: float = 1920.0, px_per_m: float = 25.0, cap: float = 90.0) -> float:
    """The range model of docs/camera-model.md written out again, independently of the implementation."""
    return px / (2.0 * px_per_m * math.tan(math.radians(min(fov, cap)) / 2.0))


def to_utm(lon: float, lat: float, crs: str) -> tuple[float, float]:
    return Transformer.from_crs("EPSG:4326", crs, always_xy=True).transform(lon, lat)


def raw_cameras(rows: list[tuple[str, dict[str, str], Point]], crs: str) -> gpd.GeoDataFrame:
    ids, tags, geoms = zip(*rows, strict=True)
    return gpd.GeoDataFrame({"camera_id": list(ids), "tags": list(tags)}, geometry=list(geoms), crs=crs)


# ----------------------------------------------------------------------------------------------- kind


@pytest.mark.parametrize(
    ("value", "kind"),
    [
        (None, "camera"),
        ("camera", "camera"),
        ("Camera", "camera"),
        ("ALPR", "ALPR"),
        ("alpr", "ALPR"),
        ("ANPR", "ALPR"),
        ("anpr", "ALPR"),
        ("guard", "guard"),
        ("Guard", "guard"),
        ("gunshot_detector", "gunshot_detector"),
        ("Gunshot_Detector", "gunshot_detector"),
        ("Audio", "audio"),  # any other value is kept, lower-cased
        ("speed_camera", "speed_camera"),
    ],
)
def test_kind_from_surveillance_type(value, kind):
    tags = {"man_made": "surveillance", "camera:type": "dome"}
    if value is not None:
        tags["surveillance:type"] = value
    record = one(tags)
    assert record["kind"] == kind
    assert record["issues"] is None


# ----------------------------------------------------------------------------------------------- ownership


@pytest.mark.parametrize(
    ("value", "ownership"),
    [
        ("public", "public"),
        ("outdoor", "outdoor"),
        ("indoor", "indoor"),
        ("Public", "public"),
        ("OUTDOOR", "outdoor"),
        ("traffic", "public"),
        (None, "unknown"),
    ],
)
def test_ownership_from_surveillance(value, ownership):
    tags = {"man_made": "surveillance", "camera:type": "dome"}
    if value is not None:
        tags["surveillance"] = value
    record = one(tags)
    assert record["ownership"] == ownership
    assert record["issues"] is None


@pytest.mark.parametrize("value", ["camera", "private", "guard"])
def test_unknown_surveillance_value_is_an_issue_naming_the_raw_value(value):
    record = one({"man_made": "surveillance", "surveillance": value, "camera:type": "dome"})
    assert record["ownership"] == "unknown"
    assert f"surveillance={value!r}" in issues(record)


# ----------------------------------------------------------------------------------------------- camera type


@pytest.mark.parametrize(
    ("tags", "camera_type"),
    [
        ({"camera:type": "fixed"}, "fixed"),
        ({"camera:type": "dome"}, "dome"),
        ({"camera:type": "panning"}, "panning"),
        ({"camera:type": "Dome"}, "dome"),
        ({}, "unknown"),
        ({"revolving": "yes"}, "panning"),
        ({"revolving": "no"}, "unknown"),
        ({"camera:type": "fixed", "revolving": "yes"}, "fixed"),  # the explicit type wins
    ],
)
def test_camera_type(tags, camera_type):
    record = one({"man_made": "surveillance", "camera:direction": "90", **tags})
    assert record["camera_type"] == camera_type
    assert record["issues"] is None


@pytest.mark.parametrize("value", ["static", "ptz", "bullet"])
def test_unknown_camera_type_is_an_issue(value):
    record = one({"man_made": "surveillance", "camera:type": value, "camera:direction": "90"})
    assert record["camera_type"] == "unknown"
    assert f"camera:type={value!r}" in issues(record)


def test_free_text_tags_are_kept_as_is():
    record = one({**DOME, "camera:mount": "Wall", "surveillance:zone": "town", "operator": "SFMTA", "name": "Cam 1"})
    assert (record["mount"], record["zone"], record["operator"], record["name"]) == ("Wall", "town", "SFMTA", "Cam 1")
    assert json.loads(record["tags"])["operator"] == "SFMTA"


# ----------------------------------------------------------------------------------------------- direction


def test_camera_direction_wins_over_direction():
    record = one({**FIXED, "camera:direction": "90", "direction": "180"})
    assert record["direction_deg"] == 90.0
    assert record["direction_source"] == "tagged"


def test_direction_used_without_camera_direction():
    record = one({**FIXED, "direction": "180"})
    assert record["direction_deg"] == 180.0
    assert record["direction_source"] == "tagged"


@pytest.mark.parametrize(
    ("value", "deg"),
    [("0", 0.0), ("45", 45.0), ("270.5", 270.5), ("360", 0.0), (" 90 ", 90.0), ("90°", 90.0), ("135 deg", 135.0)],
)
def test_direction_in_degrees(value, deg):
    assert one({**FIXED, "camera:direction": value})["direction_deg"] == deg


@pytest.mark.parametrize(("name", "deg"), [(name, i * 22.5) for i, name in enumerate(COMPASS)])
def test_all_sixteen_compass_points(name, deg):
    assert one({**FIXED, "camera:direction": name})["direction_deg"] == deg
    assert cameras.parse_angle(name.lower()) == deg


@pytest.mark.parametrize(
    ("value", "centre", "width"),
    [
        ("90-270", 180.0, 180.0),
        ("270-90", 0.0, 180.0),  # clockwise from 270 to 90 passes north
        ("315-45", 0.0, 90.0),
        ("0-360", 180.0, 360.0),
        ("NW-NE", 0.0, 90.0),
        ("E-W", 180.0, 180.0),
        ("0-90", 45.0, 90.0),
    ],
)
def test_direction_ranges(value, centre, width):
    (view,) = cameras.parse_direction(value)
    assert view.centre_deg == pytest.approx(centre)
    assert view.width_deg == pytest.approx(width)
    record = one({**FIXED, "camera:direction": value})
    assert record["direction_deg"] == pytest.approx(centre)
    assert record["fov_deg"] == pytest.approx(width)


def test_semicolon_list_gives_one_view_each():
    records = views({**FIXED, "camera:direction": "0;180"})
    assert [r["view_id"] for r in records] == ["node/1#0", "node/1#1"]
    assert [r["camera_id"] for r in records] == ["node/1", "node/1"]
    assert [r["view"] for r in records] == [0, 1]
    assert [r["direction_deg"] for r in records] == [0.0, 180.0]
    assert [r["fov_deg"] for r in records] == [DEFAULT.fixed_fov_deg] * 2


def test_single_view_has_the_camera_id_as_view_id():
    record = one({**FIXED, "camera:direction": "90"})
    assert (record["view_id"], record["camera_id"], record["view"]) == ("node/1", "node/1", 0)


def test_list_mixes_points_degrees_and_ranges():
    got = [(v.centre_deg, v.width_deg) for v in cameras.parse_direction("N;90;180-270")]
    assert got == [(0.0, None), (90.0, None), (225.0, 90.0)]


@pytest.mark.parametrize("value", ["720", "-90", "north-ish", "90-90", "0;;90", "400", "NNNE", "90;", "1,5", "0-"])
def test_invalid_direction_is_an_issue_never_guessed(value):
    with pytest.raises(cameras.TagValueError):
        cameras.parse_direction(value)
    record = one({**FIXED, "camera:direction": value})
    assert record["direction_deg"] is None
    assert record["direction_source"] == "unknown"
    assert f"camera:direction={value!r}" in issues(record)


def test_invalid_camera_direction_is_reported_under_its_own_key():
    record = one({**FIXED, "direction": "north-ish"})
    assert "direction='north-ish'" in issues(record)
    assert "camera:direction" not in issues(record)


@pytest.mark.parametrize(
    ("tags", "source"),
    [
        ({**FIXED, "camera:direction": "90"}, "tagged"),
        ({**DOME, "camera:direction": "90"}, "tagged"),
        (DOME, "default"),
        ({**FIXED, "camera:type": "panning"}, "default"),
        (FIXED, "unknown"),
        ({"man_made": "surveillance"}, "unknown"),
    ],
)
def test_direction_source(tags, source):
    assert one(tags)["direction_source"] == source


# ----------------------------------------------------------------------------------------------- field of view


@pytest.mark.parametrize("camera_type", ["dome", "panning"])
@pytest.mark.parametrize("direction", [None, "90", "NE", "90-180"])
def test_dome_and_panning_see_all_round(camera_type, direction):
    tags = {**FIXED, "camera:type": camera_type}
    if direction is not None:
        tags["camera:direction"] = direction
    record = one(tags)
    assert record["fov_deg"] == 360.0
    assert record["in_coverage"]


def test_revolving_camera_sees_all_round():
    assert one({"man_made": "surveillance", "revolving": "yes"})["fov_deg"] == 360.0


@pytest.mark.parametrize("tags", [{**FIXED, "camera:direction": "90"}, {"man_made": "surveillance", "direction": "W"}])
def test_fixed_or_unknown_type_gets_the_fixed_default(tags):
    assert one(tags)["fov_deg"] == DEFAULT.fixed_fov_deg == 60.0


def test_range_tag_sets_the_width():
    assert one({**FIXED, "camera:direction": "0-90"})["fov_deg"] == 90.0


def test_fixed_fov_setting_is_honoured():
    wide = Settings(fixed_fov_deg=90.0)
    record = one({**FIXED, "camera:direction": "90"}, wide)
    assert record["fov_deg"] == 90.0
    assert record["range_m"] == pytest.approx(detection_range(90.0))
    # a tagged range still wins over the setting
    assert one({**FIXED, "camera:direction": "0-30"}, wide)["fov_deg"] == 30.0


# ----------------------------------------------------------------------------------------------- height


@pytest.mark.parametrize(
    ("value", "metres"),
    [
        ("5", 5.0),
        ("5 m", 5.0),
        ("5.5m", 5.5),
        ("3.5 metres", 3.5),
        ("16'", 16 * FEET),
        ("16 ft", 16 * FEET),
        ("16 feet", 16 * FEET),
        ("10'6\"", 10 * FEET + 6 * 0.0254),
        ("500", 500.0),
    ],
)
def test_height_tagged(value, metres):
    assert cameras.parse_height(value) == pytest.approx(metres)
    record = one({**DOME, "height": value, "camera:mount": "pole"})
    assert record["height_m"] == pytest.approx(metres)
    assert record["height_source"] == "tagged"


@pytest.mark.parametrize(
    ("mount", "metres", "source"),
    [
        ("wall", 3.0, "mount"),
        ("ceiling", 3.0, "mount"),
        ("pole", 5.0, "mount"),
        ("street_lamp", 6.0, "mount"),
        ("Pole", 5.0, "mount"),
        ("tree", DEFAULT.default_height_m, "default"),
        (None, DEFAULT.default_height_m, "default"),
    ],
)
def test_height_default_by_mount(mount, metres, source):
    tags = dict(DOME)
    if mount is not None:
        tags["camera:mount"] = mount
    record = one(tags)
    assert record["height_m"] == metres
    assert record["height_source"] == source
    assert record["issues"] is None


def test_default_height_setting_is_honoured():
    assert one(DOME, Settings(default_height_m=2.5))["height_m"] == 2.5


@pytest.mark.parametrize("value", ["-3", "very high", "0", "5000", "5,5", "5 m 6 in", "3 floors"])
def test_absurd_height_is_an_issue_and_the_default_is_used(value):
    with pytest.raises(cameras.TagValueError):
        cameras.parse_height(value)
    record = one({**DOME, "height": value, "camera:mount": "wall"})
    assert record["height_m"] == 3.0
    assert record["height_source"] == "mount"
    assert f"height={value!r}" in issues(record)
    record = one({**DOME, "height": value})
    assert (record["height_m"], record["height_source"]) == (DEFAULT.default_height_m, "default")


# ----------------------------------------------------------------------------------------------- tilt


@pytest.mark.parametrize(
    ("angle", "tilt", "below"),
    [
        ("30", None, 30.0),
        (None, "-30", 30.0),
        ("30", "-30", 30.0),  # the two keys agree (opposite signs)
        (None, "15", -15.0),  # tilted 15 degrees upward
        ("0", None, 0.0),
        ("90", None, 90.0),
        (None, "-90", 90.0),
        ("45°", None, 45.0),
        (None, None, None),
    ],
)
def test_tilt(angle, tilt, below):
    assert cameras.parse_tilt(angle=angle, tilt=tilt) == below
    tags = dict(DOME)
    if angle is not None:
        tags["camera:angle"] = angle
    if tilt is not None:
        tags["camera:tilt"] = tilt
    record = one(tags)
    assert record["tilt_deg"] == below
    assert record["issues"] is None


def test_tilt_zero_is_not_negative_zero():
    assert math.copysign(1.0, cameras.parse_tilt(tilt="0")) == 1.0


@pytest.mark.parametrize(
    ("angle", "tilt", "raw"),
    [
        ("30", "30", "30"),  # disagree: camera:tilt=30 looks up, camera:angle=30 looks down
        ("120", None, "120"),
        ("-10", None, "-10"),
        (None, "-100", "-100"),
        (None, "95", "95"),
        ("steep", None, "steep"),
    ],
)
def test_bad_tilt_is_an_issue(angle, tilt, raw):
    with pytest.raises(cameras.TagValueError):
        cameras.parse_tilt(angle=angle, tilt=tilt)
    tags = dict(DOME)
    if angle is not None:
        tags["camera:angle"] = angle
    if tilt is not None:
        tags["camera:tilt"] = tilt
    record = one(tags)
    assert record["tilt_deg"] is None
    assert "camera:angle" in issues(record) or "camera:tilt" in issues(record)
    assert repr(raw) in issues(record)


def test_unreadable_tilt_does_not_hide_a_readable_angle():
    record = one({**DOME, "camera:angle": "30", "camera:tilt": "down"})
    assert record["tilt_deg"] == 30.0
    assert "camera:tilt='down'" in issues(record)
    assert "camera:angle='30'" not in issues(record)


def test_dome_with_direction_list_is_one_view():
    records = cameras.views_from_tags("node/7", {**DOME, "direction": "0;180"}, Settings())
    assert len(records) == 1
    assert records[0]["fov_deg"] == 360.0


# ----------------------------------------------------------------------------------------------- policies


def test_indoor_cameras_are_excluded_by_default():
    record = one({**DOME, "surveillance": "indoor"})
    assert not record["in_coverage"]
    assert "indoor" in record["excluded_reason"]
    included = one({**DOME, "surveillance": "indoor"}, Settings(include_indoor=True))
    assert included["in_coverage"]
    assert included["excluded_reason"] is None


@pytest.mark.parametrize("ownership", ["public", "outdoor", "traffic"])
def test_outdoor_cameras_count(ownership):
    record = one({**DOME, "surveillance": ownership})
    assert record["in_coverage"]
    assert record["excluded_reason"] is None


def test_fixed_camera_without_direction_is_skipped_by_default():
    record = one(FIXED)
    assert not record["in_coverage"]
    assert record["fov_deg"] is None
    assert record["range_m"] is None
    assert record["confidence"] == "none"
    assert record["direction_source"] == "unknown"
    assert "direction" in record["excluded_reason"]


def test_fixed_camera_without_direction_as_a_low_confidence_disc():
    record = one(FIXED, Settings(unknown_direction="disc"))
    assert record["in_coverage"]
    assert record["fov_deg"] == 360.0
    assert record["confidence"] == "low"
    assert record["direction_source"] == "unknown"
    # the fixed lens's range (66.5 m), not the shorter range of the widest lens (38.4 m)
    assert record["range_m"] == pytest.approx(detection_range(DEFAULT.fixed_fov_deg))
    assert record["range_m"] == pytest.approx(66.51, abs=0.01)


def test_unreadable_direction_follows_the_policy():
    record = one({**FIXED, "camera:direction": "north-ish"}, Settings(unknown_direction="disc"))
    assert (record["fov_deg"], record["confidence"]) == (360.0, "low")
    assert "camera:direction='north-ish'" in issues(record)


def test_tagged_and_dome_views_have_high_confidence():
    assert one({**FIXED, "camera:direction": "90"})["confidence"] == "high"
    assert one(DOME)["confidence"] == "high"


def test_indoor_and_skipped_both_excluded():
    record = one({**FIXED, "surveillance": "indoor"})
    assert not record["in_coverage"]
    assert "indoor" in record["excluded_reason"]


# ----------------------------------------------------------------------------------------------- range model


def test_range_of_a_60_degree_1080p_camera_at_detection_level():
    assert cameras.camera_range(60.0, Settings()) == pytest.approx(66.51, abs=0.01)


@pytest.mark.parametrize(
    ("fov", "settings", "expected"),
    [
        (90.0, Settings(), 38.4),  # tan(45) = 1: 1920 / 50
        (360.0, Settings(), 38.4),  # capped at the 90 degree lens
        (120.0, Settings(), 38.4),
        (60.0, Settings(detail_level="identification"), 1920 / (500 * math.tan(math.radians(30)))),
        (30.0, Settings(), 1920 / (50 * math.tan(math.radians(15)))),
        (90.0, Settings(sensor_px=3840), 76.8),
        (90.0, Settings(detail_level="monitor"), 76.8),
        (120.0, Settings(lens_fov_cap_deg=120.0), 1920 / (50 * math.sqrt(3))),
    ],
)
def test_range_formula(fov, settings, expected):
    assert cameras.camera_range(fov, settings) == pytest.approx(expected)


@pytest.mark.parametrize("fov", [10.0, 60.0, 360.0])
def test_range_setting_overrides_the_model(fov):
    assert cameras.camera_range(fov, Settings(range_m=100)) == 100.0


def test_views_carry_the_range_of_their_lens():
    assert one(DOME)["range_m"] == pytest.approx(38.4)
    assert one({**FIXED, "camera:direction": "90"})["range_m"] == pytest.approx(66.51, abs=0.01)
    assert one(DOME, Settings(range_m=100))["range_m"] == 100.0


# ----------------------------------------------------------------------------------------------- table


def test_normalise_cameras_table():
    raw = raw_cameras(
        [
            ("node/1", {**FIXED, "camera:direction": "0;180"}, Point(10, 20)),
            ("node/2", FIXED, Point(30, 40)),
            ("node/3", {**DOME, "height": "16'"}, Point(50, 60)),
        ],
        UTM10N,
    )
    table = cameras.normalise_cameras(raw)
    assert list(table.columns) == [*cameras.VIEW_COLUMNS, "geometry"]
    assert table.index.tolist() == ["node/1#0", "node/1#1", "node/2", "node/3"]
    assert table.crs == raw.crs
    assert [(p.x, p.y) for p in table.geometry] == [(10, 20), (10, 20), (30, 40), (50, 60)]
    assert np.isnan(table.loc["node/2", "fov_deg"])
    assert np.isnan(table.loc["node/2", "range_m"])
    assert table.loc["node/2", "confidence"] == "none"
    assert table["in_coverage"].tolist() == [True, True, False, True]
    assert table.loc["node/3", "height_m"] == pytest.approx(16 * FEET)
    for column in ("direction_deg", "fov_deg", "height_m", "tilt_deg", "range_m"):
        assert table[column].dtype == np.float64


# ----------------------------------------------------------------------------------------------- geometry


@pytest.mark.parametrize("fov", [10.0, 60.0, 90.0, 180.0, 270.0, 359.0, 360.0])
@pytest.mark.parametrize("bearing", [0.0, 45.0, 200.0])
def test_sector_area(fov, bearing):
    sector = cameras.sector_polygon(100.0, 200.0, bearing, fov, 50.0)
    assert sector.is_valid
    assert sector.area == pytest.approx(sector_area(fov, 50.0), rel=1e-3)


def test_sector_apex_at_the_camera():
    sector = cameras.sector_polygon(100.0, 200.0, 30.0, 60.0, 50.0)
    assert sector.exterior.coords[0] == (100.0, 200.0)
    assert sector.distance(Point(100.0, 200.0)) == 0.0
    assert not sector.contains(Point(100.0, 260.0))  # 60 m away on the sector's west edge: beyond range


def test_sector_facing_north():
    x, y, r = 100.0, 200.0, 50.0
    sector = cameras.sector_polygon(x, y, 0.0, 90.0, r)
    minx, miny, maxx, maxy = sector.bounds
    assert miny >= y - 1e-9
    assert maxy == pytest.approx(y + r)
    assert x - minx == pytest.approx(maxx - x)
    assert maxx - x == pytest.approx(r * math.sin(math.radians(45)))
    assert sector.contains(Point(x, y + r / 2))
    assert not sector.contains(Point(x, y - r / 2))


def test_sector_facing_east():
    x, y, r = 100.0, 200.0, 50.0
    sector = cameras.sector_polygon(x, y, 90.0, 90.0, r)
    minx, miny, maxx, maxy = sector.bounds
    assert minx >= x - 1e-9
    assert maxx == pytest.approx(x + r)
    assert y - miny == pytest.approx(maxy - y)
    assert sector.contains(Point(x + r / 2, y))
    assert not sector.contains(Point(x - r / 2, y))


def test_full_circle():
    sector = cameras.sector_polygon(100.0, 200.0, 0.0, 360.0, 50.0)
    assert sector.area == pytest.approx(math.pi * 50.0**2, rel=1e-3)
    assert sector.centroid.x == pytest.approx(100.0)
    assert sector.centroid.y == pytest.approx(200.0)
    assert sector.bounds == pytest.approx((50.0, 150.0, 150.0, 250.0), abs=0.02)


def test_grid_north_offset_is_zero_on_the_central_meridian():
    x, y = to_utm(-123.0, 37.77, UTM10N)
    offset = cameras.grid_north_offset(gpd.GeoSeries([Point(x, y)], crs=UTM10N))
    assert offset[0] == pytest.approx(0.0, abs=1e-6)


@pytest.mark.parametrize(
    ("lon", "lat", "crs", "sign"),
    [
        (-122.42, 37.77, UTM10N, -1),  # San Francisco, east of 123 W, north: true north is west of grid north
        (-124.0, 45.0, UTM10N, 1),  # west of the central meridian
        (-56.17, -34.9, UTM21S, 1),  # Montevideo, east of 57 W, south
    ],
)
def test_grid_north_offset_against_pyproj(lon, lat, crs, sign):
    x, y = to_utm(lon, lat, crs)
    nx, ny = to_utm(lon, lat + 0.001, crs)
    expected = math.degrees(math.atan2(nx - x, ny - y))
    offset = cameras.grid_north_offset(gpd.GeoSeries([Point(x, y)], crs=crs))
    assert np.sign(offset[0]) == sign
    assert offset[0] == pytest.approx(expected, abs=1e-3)
    # meridian convergence ~ (lon - lon0) * sin(lat)
    lon0 = -123.0 if crs == UTM10N else -57.0
    assert abs(offset[0]) == pytest.approx(abs((lon - lon0) * math.sin(math.radians(lat))), rel=0.02)


def test_grid_north_offset_of_no_points():
    assert cameras.grid_north_offset(gpd.GeoSeries([], crs=UTM10N)).shape == (0,)


def test_fov_sectors():
    x, y = to_utm(-123.0, 37.77, UTM10N)  # on the central meridian: grid north is true north
    raw = raw_cameras(
        [
            ("node/1", {**FIXED, "camera:direction": "E"}, Point(x, y)),
            ("node/2", FIXED, Point(x, y)),  # no direction: skipped
            ("node/3", {**DOME, "surveillance": "indoor"}, Point(x, y)),  # indoor: excluded
            ("node/4", DOME, Point(x, y)),
        ],
        UTM10N,
    )
    table = cameras.normalise_cameras(raw)
    sectors = cameras.fov_sectors(table)
    assert sectors.index.tolist() == table.index.tolist()
    assert sectors.crs == table.crs
    assert sectors["node/2"] is None
    assert sectors["node/3"] is None
    east = sectors["node/1"]
    assert east.bounds[0] >= x - 1e-6
    assert east.area == pytest.approx(sector_area(60.0, table.loc["node/1", "range_m"]), rel=1e-3)
    assert sectors["node/4"].area == pytest.approx(sector_area(360.0, 38.4), rel=1e-3)


def test_fov_sectors_turn_true_north_to_grid_north():
    x, y = to_utm(-121.0, 60.0, UTM10N)  # far from the central meridian: about -1.7 degrees convergence
    raw = raw_cameras([("node/1", {**FIXED, "camera:direction": "N"}, Point(x, y))], UTM10N)
    table = cameras.normalise_cameras(raw, Settings(range_m=100))
    sector = cameras.fov_sectors(table)["node/1"]
    c = sector.centroid
    bearing = math.degrees(math.atan2(c.x - x, c.y - y))
    offset = cameras.grid_north_offset(table.geometry)[0]
    assert offset < -1.0
    assert bearing == pytest.approx(offset, abs=1e-5)


def test_fov_sectors_refuse_a_geographic_crs():
    raw = raw_cameras([("node/1", DOME, Point(-122.42, 37.77))], "EPSG:4326")
    table = cameras.normalise_cameras(raw)
    with pytest.raises(CRSError):
        cameras.fov_sectors(table)


# ----------------------------------------------------------------------------------------------- properties

degrees = st.floats(min_value=0.0, max_value=360.0, allow_nan=False)
compass = st.sampled_from(COMPASS)
#: An angle as a mapper writes it: a compass point (any case) or degrees with a few decimals.
angle_texts = st.one_of(
    compass,
    compass.map(str.lower),
    st.integers(0, 360).map(str),
    st.integers(0, 36000).map(lambda n: str(n / 100)),
)


@st.composite
def range_texts(draw: st.DrawFn) -> str:
    a, b = draw(angle_texts), draw(angle_texts)
    if cameras.parse_angle(a) == cameras.parse_angle(b):
        b = f"{(cameras.parse_angle(a) + draw(st.integers(1, 359))) % 360}"
    return f"{a}-{b}"


@given(degrees)
def test_parse_angle_of_degrees(value):
    assert cameras.parse_angle(angle_text(value)) == value % 360.0


@given(compass, st.booleans())
def test_compass_points_round_trip(name, lower):
    deg = cameras.parse_angle(name.lower() if lower else name)
    assert 0 <= deg < 360
    assert COMPASS[round(deg / 22.5) % 16] == name


@given(st.lists(st.one_of(angle_texts, range_texts()), min_size=1, max_size=6))
def test_parse_direction_of_valid_lists(items):
    got = cameras.parse_direction(";".join(items))
    assert len(got) == len(items)
    for item, view in zip(items, got, strict=True):
        assert 0 <= view.centre_deg < 360
        if "-" in item:
            assert 0 < view.width_deg <= 360
        else:
            assert view.width_deg is None


@given(angle_texts, angle_texts)
def test_range_centre_and_width(start, end):
    a, b = cameras.parse_angle(start), cameras.parse_angle(end)
    # "0-360" (also "N-360", "360-360") is the whole circle; any other range between equal bearings is empty
    full_circle = a == 0 and end[0].isdigit() and float(end) == 360
    if a == b and not full_circle:
        with pytest.raises(cameras.TagValueError):
            cameras.parse_direction(f"{start}-{end}")
        return
    (view,) = cameras.parse_direction(f"{start}-{end}")
    width = 360.0 if full_circle else (b - a) % 360.0
    assert view.width_deg == pytest.approx(width)
    assert circular_diff(view.centre_deg, (a + width / 2) % 360.0) < 1e-9
    assert 0 <= view.centre_deg < 360


@given(st.floats(min_value=0.001, max_value=500.0))
def test_parse_height_in_metres(value):
    assert cameras.parse_height(f"{angle_text(value)} m") == value
    assert cameras.parse_height(angle_text(value)) == value


@given(st.floats(min_value=0.01, max_value=500.0 / FEET))
def test_parse_height_in_feet(value):
    assert cameras.parse_height(f"{angle_text(value)}'") == pytest.approx(value * FEET, rel=1e-12)
    assert cameras.parse_height(f"{angle_text(value)} ft") == pytest.approx(value * FEET, rel=1e-12)


#: Text that looks like tag values often enough to reach every branch of the parsers.
tag_like_text = st.one_of(st.text(), st.text(alphabet="0123456789.-;+ NESWnesw'\"m ft°", max_size=12))


@given(tag_like_text)
def test_parse_direction_reads_or_refuses_any_text(text):
    try:
        got = cameras.parse_direction(text)
    except cameras.TagValueError:
        return
    assert len(got) == text.count(";") + 1
    for view in got:
        assert 0 <= view.centre_deg < 360
        assert view.width_deg is None or 0 < view.width_deg <= 360


@given(tag_like_text)
def test_parse_height_reads_or_refuses_any_text(text):
    try:
        height = cameras.parse_height(text)
    except cameras.TagValueError:
        return
    assert 0 < height <= 500


@given(tag_like_text, tag_like_text)
def test_parse_tilt_reads_or_refuses_any_text(angle, tilt):
    try:
        below = cameras.parse_tilt(angle=angle, tilt=tilt)
    except cameras.TagValueError:
        return
    assert -90 <= below <= 90


@hyp_settings(deadline=None)
@given(
    st.dictionaries(st.sampled_from(TAG_KEYS), st.one_of(st.text(), st.sampled_from(REAL_VALUES))),
    st.sampled_from([DEFAULT, Settings(unknown_direction="disc", include_indoor=True)]),
)
def test_views_from_any_tags(tags, settings):
    records = cameras.views_from_tags("node/7", tags, settings)
    assert len(records) >= 1
    for i, record in enumerate(records):
        assert set(record) == set(cameras.VIEW_COLUMNS) - {"geometry"}
        assert record["camera_id"] == "node/7"
        assert record["view"] == i
        assert isinstance(record["in_coverage"], bool)
        assert 0 < record["height_m"] <= 500
        assert record["fov_deg"] is None or 0 < record["fov_deg"] <= 360
        assert record["direction_source"] in ("tagged", "default", "unknown")
        if record["fov_deg"] is None:
            assert not record["in_coverage"]
        # never guessed: a tagged direction comes from a readable tag, a tagged height from a readable height
        if record["direction_source"] == "tagged":
            key = "camera:direction" if (tags.get("camera:direction") or "").strip() else "direction"
            assert record["direction_deg"] == cameras.parse_direction(tags[key])[i].centre_deg
        if (tags.get("height") or "").strip() and record["height_source"] != "tagged":
            assert "height=" in issues(record)


@hyp_settings(deadline=None)
@given(
    st.floats(min_value=1.0, max_value=360.0, exclude_min=True, exclude_max=True),
    st.floats(min_value=1.0, max_value=500.0, exclude_min=True),
    st.floats(min_value=0.0, max_value=360.0, exclude_max=True),
    st.floats(min_value=-1e4, max_value=1e4),
    st.floats(min_value=-1e4, max_value=1e4),
)
def test_sector_properties(fov, r, bearing, x, y):
    sector = cameras.sector_polygon(x, y, bearing, fov, r)
    # within one float step of 360 the two straight edges coincide (see test_sector_just_short_of_a_full_circle)
    assert sector.is_valid or fov > 360 - 1e-9
    assert abs(sector.area - sector_area(fov, r)) / sector_area(fov, r) < 1e-3
    assert sector.exterior.coords[0] == (x, y) or fov >= 360 - 1e-6
    coords = np.asarray(sector.exterior.coords)
    assert np.hypot(coords[:, 0] - x, coords[:, 1] - y).max() <= r * (1 + 1e-9)
    b = math.radians(bearing)
    assert sector.contains(Point(x + r / 2 * math.sin(b), y + r / 2 * math.cos(b)))
    if fov <= 359:  # the sector is symmetric about its bearing, so its centroid lies on it
        c = sector.centroid
        assert circular_diff(math.degrees(math.atan2(c.x - x, c.y - y)), bearing) < 0.01


def test_sector_just_short_of_a_full_circle():
    fov = math.nextafter(360.0, 0.0)  # e.g. the width of the range "100.00000000000006-100"
    assert cameras.parse_direction("100.00000000000006-100")[0].width_deg == fov
    assert cameras.sector_polygon(9.0, 0.0, 0.0, fov, 1.5).is_valid
