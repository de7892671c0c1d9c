"""Homes in view: known answers on constructed scenes."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from shapely import LineString, Point, box

from equity.homes import (
    LAND_PRIVATE,
    LAND_PUBLIC,
    classify_homes,
    facade_rings,
    homes_by_unit,
    homes_in_view,
    land_classes,
)
from equity.settings import Settings
from equity.visibility import build_surface, viewsheds

UTM = "EPSG:32635"
X0, Y0 = 385_000.0, 6_670_000.0


def buildings(*items):
    """(box coords relative to X0, Y0, building type, height) -> buildings layer with heights and tags."""
    rows = []
    for (x0, y0, x1, y1), kind, height in items:
        rows.append(
            {
                "building_id": f"way/{len(rows) + 1}",
                "building": kind,
                "height_m": float(height),
                "tags": {"building": kind},
                "geometry": box(X0 + x0, Y0 + y0, X0 + x1, Y0 + y1),
            }
        )
    return gpd.GeoDataFrame(rows, geometry="geometry", crs=UTM)


def camera(x, y, direction, *, fov=60.0, rng=45.0, height=3.0):
    return gpd.GeoDataFrame(
        {
            "camera_id": ["node/1"],
            "in_coverage": [True],
            "fov_deg": [fov],
            "range_m": [rng],
            "direction_deg": [direction],
            "tilt_deg": [np.nan],
            "height_m": [height],
            "mount": ["pole"],
        },
        geometry=[Point(X0 + x, Y0 + y)],
        crs=UTM,
    )


def analyse(cams, blds, *, streets=(), public=(), ground=None, bounds=(-60, -60, 160, 100)):
    b = (X0 + bounds[0], Y0 + bounds[1], X0 + bounds[2], Y0 + bounds[3])
    surface = build_surface(b, 1.0, UTM, ground=ground, buildings=blds)
    blds = blds.copy()
    blds["home"] = classify_homes(blds)
    homes = blds[blds["home"].notna()]
    street_layer = gpd.GeoSeries(
        [LineString([(X0 + a, Y0 + c), (X0 + bb, Y0 + d)]) for a, c, bb, d in streets], crs=UTM
    )
    public_layer = gpd.GeoSeries([box(X0 + a, Y0 + c, X0 + bb, Y0 + d) for a, c, bb, d in public], crs=UTM)
    land = land_classes(surface, homes, public=public_layer, streets=street_layer)
    rings = facade_rings(surface, homes)
    s = Settings()
    observer = viewsheds(cams, surface, s).observer
    return homes_in_view(cams, surface, homes, land, rings, observer, s), land, surface


STREET = (-60, 4, 160, 4)  # an east-west street, 8 m wide (y 0 to 8)


def test_camera_across_the_street_sees_the_house():
    blds = buildings(((40, 14, 60, 24), "house", 6))
    result, _, _ = analyse(camera(50, -2, 0.0), blds, streets=[STREET])
    view = result.per_view.iloc[0]
    assert view["homes_in_view"] == 1
    assert view["public_m2"] > 0
    assert view["private_m2"] > 0
    assert result.per_home["seen_by"].tolist() == [1]


def test_a_wall_between_hides_the_house():
    blds = buildings(((40, 14, 60, 24), "house", 6), ((20, 9, 80, 10), "wall", 8))
    result, _, _ = analyse(camera(50, -2, 0.0), blds, streets=[STREET])
    assert result.per_view["homes_in_view"].iloc[0] == 0
    assert result.per_home["seen_by"].tolist() == [0]


def test_camera_facing_the_street_between_two_houses_has_a_low_score():
    blds = buildings(((20, 14, 35, 24), "house", 6), ((65, 14, 80, 24), "house", 6))
    park = (-60, -60, 160, 0)  # a park across the street
    result, _, _ = analyse(camera(50, 12, 180.0), blds, streets=[STREET], public=[park])
    view = result.per_view.iloc[0]
    assert view["intrusion_score"] < 0.2
    assert not view["looks_into_homes"]


def test_camera_pointed_at_a_house_in_a_quiet_street_is_flagged():
    blds = buildings(((40, 20, 60, 30), "detached", 7))
    result, _, _ = analyse(camera(50, 6, 0.0, rng=30.0), blds, streets=[STREET])
    view = result.per_view.iloc[0]
    assert view["homes_in_view"] == 1
    assert view["intrusion_score"] >= 0.5
    assert view["looks_into_homes"]


def test_camera_on_a_hillside_above_a_row_of_houses_sees_the_yards():
    # a row of houses (y 40-50) with front yards behind a 2.5 m garden wall (y 28-29); south of y = 20 the
    # ground rises 50 %; the same camera stands on the hillside (30 m up the slope) or on flat ground
    n_rows, n_cols = 160, 220
    row_y = Y0 + 100 - (np.arange(n_rows) + 0.5)  # the grid's rows, north to south
    slope = np.clip((Y0 + 20 - row_y) * 0.5, 0, None)
    ground = np.repeat(slope[:, None], n_cols, axis=1).astype(np.float32)
    houses = buildings(
        *[((x, 40, x + 12, 50), "house", 6) for x in range(0, 100, 20)], ((-10, 28, 110, 29), "wall", 2.5)
    )
    cam = camera(50, -10, 0.0, rng=90.0, fov=90.0, height=4.0)
    hill, land, _ = analyse(cam, houses, ground=ground)
    flat, _, _ = analyse(cam, houses)
    assert hill.per_view["homes_in_view"].iloc[0] >= 4
    assert hill.per_view["private_m2"].iloc[0] > 2 * flat.per_view["private_m2"].iloc[0]
    assert hill.per_view["looks_into_homes"].iloc[0]
    assert (land == LAND_PRIVATE).any()


def test_classification_of_homes():
    blds = buildings(
        ((0, 0, 10, 10), "house", 6),
        ((20, 0, 30, 10), "yes", 6),
        ((40, 0, 50, 10), "yes", 6),
        ((60, 0, 70, 10), "retail", 6),
    )
    residential = gpd.GeoSeries([box(X0 + 15, Y0 - 5, X0 + 35, Y0 + 15)], crs=UTM)
    assert classify_homes(blds, residential).tolist() == ["home", "probable", None, None]


def test_homes_by_unit_counts_and_share():
    blds = buildings(((0, 0, 10, 10), "house", 6), ((20, 0, 30, 10), "house", 6), ((120, 0, 130, 10), "house", 6))
    blds["home"] = classify_homes(blds)
    units = gpd.GeoDataFrame(
        {"unit_id": ["a", "b"]},
        geometry=[box(X0 - 5, Y0 - 5, X0 + 100, Y0 + 50), box(X0 + 100, Y0 - 5, X0 + 200, Y0 + 50)],
        crs=UTM,
    )
    out = homes_by_unit(blds, pd.Series([2, 0, 0]), units)
    assert out["homes"].tolist() == [2, 1]
    assert out["homes_in_view"].tolist() == [1, 0]
    assert out["homes_in_view_share"].tolist() == pytest.approx([0.5, 0.0])


def test_public_land_wins_over_private():
    blds = buildings(((40, 14, 60, 24), "house", 6))
    _, land, surface = analyse(camera(50, -2, 0.0), blds, streets=[STREET])
    r, c = surface.cell_of(np.array([X0 + 50.5]), np.array([Y0 + 6.5]))  # on the street, inside the yard buffer
    assert land[r[0], c[0]] == LAND_PUBLIC


def test_a_yard_in_view_counts_the_home_as_seen():
    blds = buildings(((40, 14, 60, 24), "house", 6))
    # looks north past the house's east side: its façade strip is out of the sector, its side yard is in it
    result, _, _ = analyse(camera(73, -2, 0.0, fov=40.0), blds, streets=[STREET])
    assert result.per_view["homes_in_view"].iloc[0] == 1
    assert result.per_view["private_m2"].iloc[0] >= 20
