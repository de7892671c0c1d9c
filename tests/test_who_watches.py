"""Who watches (operators, ownership) and cameras placed against the pattern."""

from __future__ import annotations

import json

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st
from shapely import Point

from equity.anomalies import AnomalySettings, anomaly_scores, flag_sensitivity, nearest_other
from equity.operators import UNKNOWN, normalise_operators, operators_table, ownership_by_unit

UTM = "EPSG:32610"
X0, Y0 = 550_000.0, 4_180_000.0


def _views(rows):
    frame = pd.DataFrame(rows)
    frame["tags"] = frame.pop("tags").map(json.dumps)
    return frame


def test_operator_names_are_normalised_for_counting():
    views = _views(
        [
            {
                "camera_id": "n/1",
                "operator": "San Francisco Police Department",
                "tags": {"operator:wikidata": "Q1320247"},
            },
            {"camera_id": "n/2", "operator": "SFPD", "tags": {"operator:wikidata": "Q1320247"}},
            {
                "camera_id": "n/3",
                "operator": "San Francisco Police Department",
                "tags": {"operator:wikidata": "Q1320247"},
            },
            {"camera_id": "n/4", "operator": "Acme  Security.", "tags": {}},
            {"camera_id": "n/5", "operator": "acme security", "tags": {}},
            {"camera_id": "n/6", "operator": None, "tags": {}},
            {"camera_id": "n/7", "operator": "  ", "tags": {}},
        ]
    )
    names = normalise_operators(views).tolist()
    assert names[:3] == ["San Francisco Police Department"] * 3  # one operator by its wikidata id
    assert names[3] == names[4]  # one operator up to case, spacing and a trailing full stop
    assert names[5] == names[6] == UNKNOWN  # missing operators are counted as unknown, not dropped


def test_operators_table_and_ownership():
    views = gpd.GeoDataFrame(
        {
            "camera_id": ["a", "a", "b", "c"],
            "ownership": ["public", "public", "outdoor", "unknown"],
            "operator_normalised": ["City", "City", "Shop", UNKNOWN],
            "unit_id": ["u1", "u1", "u1", "u2"],
        },
        geometry=[Point(X0, Y0)] * 4,
        crs=UTM,
    )
    fields = gpd.GeoSeries(
        [Point(X0, Y0).buffer(10), Point(X0 + 5, Y0).buffer(10), None, Point(X0, Y0).buffer(1)], crs=UTM
    )
    table = operators_table(views, fields).set_index("operator")
    assert table.loc["City", "cameras"] == 1
    assert table.loc["City", "views"] == 2
    assert table.loc[UNKNOWN, "cameras"] == 1
    assert table.loc["Shop", "covered_km2"] == 0.0
    assert table.loc["City", "covered_km2"] * 1e6 < 2 * np.pi * 100  # overlapping views counted once
    units = pd.DataFrame({"unit_id": ["u1", "u2"]})
    owner = ownership_by_unit(views, units)
    assert owner["cameras_public"].tolist() == [1, 0]
    assert owner["cameras_outdoor"].tolist() == [1, 0]
    assert owner["cameras_unknown"].tolist() == [0, 1]


@pytest.fixture
def city():
    """A dense cluster of 12 cameras on a high-crime street, 20 cameras spread over a middling district, and
    one lone camera 1.5 km away in a crime-free block, aimed at a house."""
    rng = np.random.default_rng(5)
    pts, ids, intrusion = [], [], []
    for i in range(12):  # the cluster: every 25 m along a street
        pts.append(Point(X0 + 25 * i, Y0))
        ids.append(f"cluster/{i}")
        intrusion.append(0.0)
    for i in range(20):
        pts.append(Point(X0 + rng.uniform(-600, 600), Y0 + rng.uniform(200, 800)))
        ids.append(f"district/{i}")
        intrusion.append(rng.uniform(0, 0.4))
    pts.append(Point(X0 + 1500, Y0 - 1500))
    ids.append("lone")
    intrusion.append(0.9)
    cams = gpd.GeoDataFrame({"camera_id": ids}, geometry=pts, crs=UTM)
    crime_pts = [Point(X0 + rng.uniform(-20, 300), Y0 + rng.uniform(-30, 30)) for _ in range(300)]
    crime_pts += [Point(X0 + rng.uniform(-600, 600), Y0 + rng.uniform(200, 800)) for _ in range(60)]
    crime = gpd.GeoDataFrame(geometry=crime_pts, crs=UTM)
    return cams, crime, pd.Series(intrusion, index=cams.index)


def test_lone_camera_at_a_house_ranks_first(city):
    cams, crime, intrusion = city
    scores = anomaly_scores(cams, crime, intrusion=intrusion, period="2024-01-01 and 2024-12-31")
    lone = scores.loc[cams["camera_id"] == "lone"].iloc[0]
    assert lone["anomaly_rank"] == 1
    assert lone["anomaly_flag"]
    assert lone["incidents_nearby"] == 0
    assert lone["anomaly_explanation"] == (
        "no other camera within 400 m; 0 incidents within 150 m between 2024-01-01 and 2024-12-31; 90% of the "
        "private and public land in its view is homes and their yards"
    )
    cluster = scores[cams["camera_id"].str.startswith("cluster")]
    assert (cluster["anomaly_rank"] > len(cams) / 2).all()  # the clustered cameras on the high-crime street rank low
    assert not cluster["anomaly_flag"].any()


def test_flag_survives_plausible_changes(city):
    cams, crime, intrusion = city
    base = anomaly_scores(cams, crime, intrusion=intrusion)
    robust = flag_sensitivity(cams, crime, base, intrusion=intrusion)
    assert robust[cams["camera_id"] == "lone"].iloc[0] == "robust"
    assert robust[~base["anomaly_flag"]].isna().all()


def test_without_crime_data_residents_nearby_stand_in(city):
    """Without crime data, need is the residents within the radius, by area from the population polygons: the
    lone camera stands in a sparse polygon, the others in a dense one."""
    cams, _, intrusion = city
    sparse = shapely.box(X0 + 1000, Y0 - 2000, X0 + 2000, Y0 - 1000)
    dense = shapely.box(X0 - 1000, Y0 - 1000, X0 + 1000, Y0 + 1000)
    residents = gpd.GeoDataFrame({"population": [100.0, 20_000.0]}, geometry=[sparse, dense], crs=UTM)
    scores = anomaly_scores(cams, None, intrusion=intrusion, residents=residents)
    assert scores["need_basis"].iloc[0] == "residents within 150 m"
    assert scores.loc[cams["camera_id"] == "lone", "anomaly_rank"].iloc[0] == 1


def test_scores_are_ranks_between_zero_and_one(city):
    cams, crime, intrusion = city
    scores = anomaly_scores(cams, crime, intrusion=intrusion, settings=AnomalySettings(radius_m=100))
    for col in ("isolation_score", "need_score", "anomaly_score"):
        assert scores[col].between(0, 1).all()
    assert scores["anomaly_components"].eq(3).all()


def test_sf_operators_and_anomalies():
    from equity.demo import demo_study

    result = demo_study(sensitivity=False).run()
    ops = result.operators.set_index("operator")
    assert ops.loc["San Francisco Police Department", "cameras"] == 316
    assert ops.loc["Golden Gate Bridge Highway and Transportation District", "cameras"] == 8
    assert ops.loc[UNKNOWN, "cameras"] == result.counts["cameras_without_operator"] > 0
    assert ops["cameras"].sum() == result.counts["cameras"]
    cams = result.views.drop_duplicates("camera_id")
    flagged = cams[cams["anomaly_flag"].astype(bool)]
    assert len(flagged) > 0
    assert flagged["anomaly_explanation"].str.contains("incident").all()
    units = result.units
    assert (
        units[["cameras_public", "cameras_outdoor", "cameras_indoor", "cameras_unknown"]].sum(axis=1)
        == units["cameras"]
    ).all()


@settings(max_examples=60, deadline=None)
@given(
    points=st.lists(st.tuples(st.integers(0, 6), st.integers(0, 6)), min_size=0, max_size=25),
    repeat=st.integers(1, 3),
)
def test_nearest_other_is_shapely_nearest_excluding_the_same_point(points, repeat):
    """The k-d tree's nearest other place is shapely's ``query_nearest(exclusive=True)``, with several cameras
    on one point (a small lattice makes them common, and ties too)."""
    xy = [(10.0 * x, 10.0 * y) for x, y in points for _ in range(repeat)]
    cams = gpd.GeoDataFrame(geometry=gpd.points_from_xy([p[0] for p in xy], [p[1] for p in xy]), crs=3857)
    expected = np.full(len(cams), np.nan)
    if len(cams) > 1:
        pts = cams.geometry.to_numpy()
        idx, dist = shapely.STRtree(pts).query_nearest(pts, exclusive=True, return_distance=True)
        expected[idx[0]] = dist
    np.testing.assert_array_equal(nearest_other(cams), expected)


def test_nearest_other_leaves_cameras_without_a_point_empty():
    cams = gpd.GeoDataFrame(geometry=[Point(0, 0), None, Point(30, 40), Point()], crs=3857)
    assert np.array_equal(nearest_other(cams), [50.0, np.nan, 50.0, np.nan], equal_nan=True)
