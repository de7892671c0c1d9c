"""Coverage per unit and area-weighted population on small synthetic layers in a metric CRS."""

from __future__ import annotations

import math

import geopandas as gpd
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from shapely import Point, box

from equity import coverage
from equity._errors import CRSError
from equity.population import interpolate_population

UTM = "EPSG:32610"


@pytest.fixture
def units() -> gpd.GeoDataFrame:
    # two 100 m x 100 m squares side by side: west [0,100] and east [100,200]
    return gpd.GeoDataFrame(
        {"unit_id": ["west", "east"]}, geometry=[box(0, 0, 100, 100), box(100, 0, 200, 100)], crs=UTM
    )


def test_assign_units_boundary_point_counted_once(units):
    pts = gpd.GeoSeries([Point(50, 50), Point(100, 50), Point(150, 50), Point(500, 500)], crs=UTM)
    assigned = coverage.assign_units(pts, units)
    assert assigned.tolist()[:3] == ["west", "west", "east"]
    assert assigned.isna().tolist() == [False, False, False, True]


def test_cameras_by_unit_counts_cameras_not_views(units):
    views = gpd.GeoDataFrame(
        {"camera_id": ["node/1", "node/1", "node/2", "node/3"]},
        geometry=[Point(10, 10), Point(10, 10), Point(20, 20), Point(150, 50)],
        crs=UTM,
    )
    assert coverage.cameras_by_unit(views, units).tolist() == [2, 1]


def test_covered_area_overlaps_count_once(units):
    sectors = gpd.GeoSeries([box(0, 0, 50, 100), box(25, 0, 75, 100), None, box(150, 0, 250, 100)], crs=UTM)
    covered = coverage.covered_area_by_unit(sectors, units)
    assert covered.tolist() == pytest.approx([75 * 100, 50 * 100])


def test_covered_area_without_views(units):
    assert coverage.covered_area_by_unit(gpd.GeoSeries([None], crs=UTM), units).tolist() == [0.0, 0.0]


def test_covered_area_refuses_geographic_crs(units):
    with pytest.raises(CRSError, match="not in a projected CRS"):
        coverage.covered_area_by_unit(
            gpd.GeoSeries([box(0, 0, 1, 1)], crs=UTM), units.set_crs(4326, allow_override=True)
        )


def test_crimes_by_unit_and_in_view(units):
    crime = gpd.GeoDataFrame(geometry=[Point(10, 10), Point(60, 60), Point(150, 50), Point(999, 999)], crs=UTM)
    sectors = gpd.GeoSeries([box(0, 0, 20, 20), box(140, 40, 160, 60)], crs=UTM)
    out = coverage.crimes_by_unit(crime, units, coverage.points_in_view(crime, sectors))
    assert out["crimes"].tolist() == [2, 1]
    assert out["crimes_in_view"].tolist() == [1, 1]


def test_population_interpolation_by_hand(units):
    # one source square straddles both units: 30% in west, 70% in east; another lies wholly in east;
    # a third lies half outside the units (in the "bay"): all its people go to the part inside.
    source = gpd.GeoDataFrame(
        {"population": [1000.0, 200.0, 500.0, 40.0]},
        geometry=[box(70, 0, 170, 100), box(180, 0, 200, 10), box(0, 50, 20, 150), box(900, 900, 910, 910)],
        crs=UTM,
    )
    values, outside = interpolate_population(source, units)
    assert values.tolist() == pytest.approx([300 + 500, 700 + 200])
    assert outside == pytest.approx(40.0)
    assert values.sum() + outside == pytest.approx(source["population"].sum())


@settings(max_examples=40, deadline=None)
@given(
    st.lists(
        st.tuples(st.floats(0, 180), st.floats(0, 80), st.floats(1, 60), st.floats(0, 1e4)), min_size=1, max_size=8
    )
)
def test_population_total_preserved(squares):
    units = gpd.GeoDataFrame({"unit_id": ["a", "b"]}, geometry=[box(0, 0, 100, 100), box(100, 0, 240, 100)], crs=UTM)
    source = gpd.GeoDataFrame(
        {"population": [s[3] for s in squares]},
        geometry=[box(x, y, x + w, y + w) for x, y, w, _ in squares],
        crs=UTM,
    )
    values, outside = interpolate_population(source, units)
    assert values.sum() + outside == pytest.approx(source["population"].sum(), rel=1e-9, abs=1e-6)
    assert (values.dropna() >= 0).all()


def test_points_in_view_empty_inputs():
    pts = gpd.GeoDataFrame(geometry=[Point(0, 0)], crs=UTM)
    assert coverage.points_in_view(pts, gpd.GeoSeries([], crs=UTM)).tolist() == [False]
    assert math.isclose(np.sum(coverage.points_in_view(pts, gpd.GeoSeries([Point(0, 0).buffer(1)], crs=UTM))), 1)


def test_unit_without_any_source_polygon_has_unknown_population(units):
    source = gpd.GeoDataFrame({"population": [100.0]}, geometry=[box(10, 10, 20, 20)], crs=UTM)
    values, _ = interpolate_population(source, units)
    assert values.iloc[0] == pytest.approx(100.0)
    assert np.isnan(values.iloc[1])  # east: no data, not zero
