"""Placement anomalies as documented in docs/formulas.md: every component a mid-rank in the city's distribution,
missing components left out, counts and distances within a radius censored or corrected where the radius leaves
the data's area, and explanations about the camera's own surroundings."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from shapely import Point

from equity._errors import InputError
from equity.anomalies import (
    AnomalySettings,
    anomaly_scores,
    disc_covered_share,
    flag_sensitivity,
    flag_variants,
    isolation,
    mid_rank,
    residents_within,
)
from equity.settings import Settings

UTM = "EPSG:32610"
X0, Y0 = 550_000.0, 4_180_000.0


def _cams(xy: list[tuple[float, float]]) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {"camera_id": [f"c{i}" for i in range(len(xy))]},
        geometry=[Point(X0 + x, Y0 + y) for x, y in xy],
        crs=UTM,
    )


def _points(xy: list[tuple[float, float]]) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(geometry=[Point(X0 + x, Y0 + y) for x, y in xy], crs=UTM)


def _box(x0: float, y0: float, x1: float, y1: float) -> shapely.Polygon:
    return shapely.box(X0 + x0, Y0 + y0, X0 + x1, Y0 + y1)


# four cameras 1 km apart on a line (each one's nearest other camera 1 km away, the ends' too)
LINE = [(0, 0), (1000, 0), (2000, 0), (3000, 0)]


def _crime(counts: list[int]) -> gpd.GeoDataFrame:
    """``counts[i]`` incidents 10 m from camera i of :data:`LINE`."""
    return _points([(x + 10, 0) for (x, _), k in zip(LINE, counts, strict=True) for _ in range(k)])


# ---- ranks --------------------------------------------------------------------------------------------------------


def test_mid_rank_known_answers():
    """F(x) = (#{x_j < x} + ½ #{x_j = x}) / n over the known values."""
    assert mid_rank([3.0, 1.0, 2.0, 4.0]).tolist() == [0.625, 0.125, 0.375, 0.875]
    assert mid_rank([5.0, 5.0, 5.0]).tolist() == [0.5, 0.5, 0.5]
    np.testing.assert_array_equal(mid_rank([1.0, np.nan, 2.0]), [0.25, np.nan, 0.75])
    assert np.isnan(mid_rank([np.nan, np.nan])).all()
    # descending: the mid-rank of -x, which is 1 - F(x)
    x = np.array([0.0, 0.0, 3.0, 5.0, 7.0])
    np.testing.assert_allclose(mid_rank(x, descending=True), 1 - mid_rank(x))


def test_ties_share_their_rank():
    """Two cameras with 0 incidents nearby share the middle of the ranks they span: with counts 0, 0, 3, 5 the low
    need is 1 - F = 0.75, 0.75, 0.375, 0.125 (the old score gave both zeros 1, the rank of the best alone)."""
    cams = _cams(LINE)
    scores = anomaly_scores(cams, _crime([0, 0, 3, 5]))
    assert scores["incidents_nearby"].tolist() == [0, 0, 3, 5]
    assert scores["need_score"].tolist() == [0.75, 0.75, 0.375, 0.125]
    # the four nearest distances tie at 1 km: each isolation is the middle rank, 0.5
    assert scores["isolation_score"].tolist() == [0.5] * 4


def test_intrusion_is_ranked_and_its_share_kept():
    cams = _cams(LINE)
    intrusion = pd.Series([0.9, 0.1, np.nan, 0.5], index=cams.index)
    scores = anomaly_scores(cams, _crime([0, 0, 3, 5]), intrusion=intrusion)
    np.testing.assert_array_equal(scores["intrusion_largest"], [0.9, 0.1, np.nan, 0.5])
    np.testing.assert_allclose(scores["intrusion_component"], [5 / 6, 1 / 6, np.nan, 0.5])


def test_a_missing_component_is_left_out_of_the_mean():
    cams = _cams(LINE)
    intrusion = pd.Series([0.9, 0.1, np.nan, 0.5], index=cams.index)
    scores = anomaly_scores(cams, _crime([0, 0, 3, 5]), intrusion=intrusion)
    assert scores["anomaly_components"].tolist() == [3, 3, 2, 3]
    # camera 2: isolation 0.5, need 0.375, intrusion unknown: the mean of the two known
    assert scores["anomaly_score"].iloc[2] == pytest.approx((0.5 + 0.375) / 2)
    assert scores["anomaly_score"].iloc[0] == pytest.approx((0.5 + 0.75 + 5 / 6) / 3)


def test_one_known_component_is_not_scored_nor_flagged():
    """A lone camera far from the others is the most isolated, but with neither crime nor population data nor
    buildings isolation is its only component: it gets no score, no rank and no flag (it was flagged at 0.9)."""
    cams = _cams([(0, 0), (30, 0), (60, 0), (90, 0), (5000, 0)])
    scores = anomaly_scores(cams, None)
    assert scores["anomaly_components"].tolist() == [1] * 5
    assert scores["anomaly_score"].isna().all()
    assert scores["anomaly_rank"].isna().all()
    assert not scores["anomaly_flag"].any()
    one = anomaly_scores(cams, None, settings=AnomalySettings(min_components=1))
    assert one["anomaly_flag"].tolist() == [False] * 4 + [True]


def test_a_camera_without_a_point_has_unknown_components():
    cams = _cams(LINE)
    cams.loc[3, "geometry"] = None
    scores = anomaly_scores(cams, _crime([0, 0, 3, 5]))
    assert np.isnan(scores["incidents_nearby"].iloc[3])
    assert np.isnan(scores["nearest_camera_m"].iloc[3])
    assert scores["anomaly_components"].iloc[3] == 0
    # ranked over the three cameras with a point: counts 0, 0, 3
    assert scores["need_score"].iloc[:3].tolist() == pytest.approx([2 / 3, 2 / 3, 1 / 6])


# ---- censoring at the edge of the data --------------------------------------------------------------------------


def test_disc_covered_share_known_answers():
    extent = _box(0, 0, 1000, 1000)
    pts = _points([(500, 500), (0, 500), (0, 0), (2000, 2000)]).geometry
    share = disc_covered_share(pts, 150.0, extent)
    np.testing.assert_allclose(share, [1.0, 0.5, 0.25, 0.0], atol=1e-9)
    assert disc_covered_share(pts, 150.0, None).tolist() == [1.0] * 4
    assert np.isnan(disc_covered_share(pts, np.array([150.0, np.nan, 0.0, 1.0]), extent)[1:3]).all()


def test_disc_covered_share_with_holes_and_parts_is_the_circles_share():
    """The exact area of the circle inside an extent with a hole, several parts and a coarse polygon, against
    the area of a 1024-gon inside it, for discs anywhere (inside, outside, across edges, over the hole, centred
    on a vertex or an edge)."""
    rng = np.random.default_rng(7)
    ring = Point(0, 0).buffer(1000).difference(shapely.box(-200, -200, 200, 200))
    extent = shapely.union_all([ring, shapely.box(1500, -300, 2500, 300), Point(900, 900).buffer(300, quad_segs=3)])
    xy = np.vstack([rng.uniform(-1500, 3000, (400, 2)), [[200, 200], [0, 200], [2500, 0], [1500, 300]]])
    pts = shapely.points(xy)
    r = np.concatenate([rng.uniform(20, 600, 400), [100.0] * 4])
    share = disc_covered_share(pts, r, extent)
    fine = shapely.buffer(pts, r, quad_segs=256)
    expected = shapely.area(shapely.intersection(fine, extent)) / shapely.area(fine)
    np.testing.assert_allclose(share, expected, atol=2e-5)
    assert (share == 0).any()
    assert (share == 1).any()
    assert ((share > 0) & (share < 1)).sum() > 100
    # centred on a corner and an edge of the hole, an edge and a corner of the box
    np.testing.assert_allclose(share[-4:], [0.75, 0.5, 0.5, 0.25], atol=1e-9)


def test_incidents_censored_below_the_threshold_and_corrected_above():
    """The crime data covers 0 <= x <= 5000, y <= 2000. Camera 0 stands on the west edge (half its disc inside:
    c = 0.5, corrected k / c), camera 1 on the north-west corner (a quarter: c = 0.25 < 0.4, unknown, not 0),
    cameras 2 and 3 well inside (c = 1)."""
    cams = _cams([(0, 0), (0, 2000), (1000, 1000), (1000, -1000)])
    extent = _box(0, -5000, 5000, 2000)
    # three incidents inside the data's area by camera 0, and two outside it (-10 m), which are not counted
    crime = _points([(10, 0)] * 3 + [(-10, 0)] * 2 + [(1000, 1005)] * 2 + [(1000, -1000)] * 9)
    a = AnomalySettings(min_covered_share=0.4)
    scores = anomaly_scores(cams, crime, crime_extent=extent, settings=a)
    np.testing.assert_allclose(scores["need_disc_covered_share"], [0.5, 0.25, 1.0, 1.0], atol=1e-9)
    np.testing.assert_array_equal(scores["incidents_nearby"], [3, np.nan, 2, 9])
    np.testing.assert_allclose(scores["incidents_nearby_corrected"], [6, np.nan, 2, 9])
    assert np.isnan(scores["need_score"].iloc[1])
    # ranked over the three known corrected counts 6, 2, 9 (low need first)
    np.testing.assert_allclose(scores["need_score"], [0.5, np.nan, 5 / 6, 1 / 6])
    # the default threshold (0.5) keeps the edge camera within a rounding of the polygonal disc: above 0.4 here
    assert scores["residents_nearby"].isna().all()


def test_isolation_censored_and_corrected_by_the_camera_data_area():
    """The camera data covers x >= 0. A camera on the edge whose nearest neighbour is 200 m away has half that
    disc in the data (d' = 200 √0.5); of two cameras 600 m apart astride the edge, the one 300 m outside has a
    fifth of its disc in the data (unknown, not the most isolated), the one inside four fifths."""
    cams = _cams([(0, 0), (0, 200), (2000, 0), (2000, 100), (-300, 5000), (300, 5000)])
    extent = _box(0, -10_000, 10_000, 10_000)
    iso = isolation(cams, extent, 0.4)
    np.testing.assert_allclose(iso["nearest_camera_m"], [200, 200, 100, 100, 600, 600])
    # the share of a disc of radius r beyond a chord h from its centre: (r² acos(h/r) - h √(r² - h²)) / (π r²)
    segment = (600**2 * np.arccos(0.5) - 300 * np.sqrt(600**2 - 300**2)) / (np.pi * 600**2)
    np.testing.assert_allclose(
        iso["nearest_disc_covered_share"], [0.5, 0.5, 1, 1, segment, 1 - segment], rtol=2e-3, atol=1e-9
    )
    np.testing.assert_allclose(
        iso["nearest_camera_effective_m"],
        [200 * np.sqrt(0.5)] * 2 + [100, 100] + [np.nan, 600 * np.sqrt(1 - segment)],
        rtol=2e-3,
    )
    scores = anomaly_scores(cams, None, camera_extent=extent, settings=AnomalySettings(min_covered_share=0.4))
    assert np.isnan(scores["isolation_score"].iloc[4])
    assert scores["isolation_score"].iloc[5] == pytest.approx(0.9)  # the most isolated of the five known


def test_residents_within_the_radius_by_area():
    """R = Σ P_j |D ∩ S_j| / |S_j|: one resident per m² in the west square, 0.1 in the east one, unknown north."""
    west, east, north = _box(0, 0, 1000, 1000), _box(1000, 0, 2000, 1000), _box(0, 1000, 2000, 2000)
    residents = gpd.GeoDataFrame(
        {"population": [1_000_000.0, 100_000.0, np.nan]}, geometry=[west, east, north], crs=UTM
    )
    cams = _cams([(500, 500), (1000, 500), (500, 1000), (5000, 5000)])
    people, share = residents_within(cams, residents, 100.0)
    disc = Point(0, 0).buffer(100.0, quad_segs=16).area  # the polygonal disc, within 0.2 % of π r²
    assert disc == pytest.approx(np.pi * 100**2, rel=2e-3)
    np.testing.assert_allclose(people, [disc, disc / 2 * 1.1, disc / 2, 0.0], rtol=1e-9)
    np.testing.assert_allclose(share, [1.0, 1.0, 0.5, 0.0], atol=1e-9)
    scores = anomaly_scores(cams, None, residents=residents, settings=AnomalySettings(radius_m=100.0))
    assert scores["need_basis"].iloc[0] == "residents within 100 m"
    np.testing.assert_allclose(scores["residents_nearby_corrected"], [disc, disc / 2 * 1.1, disc, np.nan])


# ---- explanations -------------------------------------------------------------------------------------------------


def _sparse_and_dense() -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame]:
    """Twelve cameras 50 m apart in a dense square and one 1.5 km away in a sparse one."""
    cams = _cams([(50 * i, 0) for i in range(12)] + [(1500, 1500)])
    residents = gpd.GeoDataFrame(
        {"population": [40_000.0, 566.0]},
        geometry=[_box(-500, -500, 1000, 500), _box(1000, 1000, 2000, 2000)],
        crs=UTM,
    )
    return cams, residents


def test_explanation_speaks_of_the_cameras_surroundings():
    """Without crime data the flagged lone camera is explained by the residents within the radius of it (566 per
    km² over a 150 m disc: about 40), never by its unit's density."""
    cams, residents = _sparse_and_dense()
    scores = anomaly_scores(cams, None, residents=residents)
    lone = scores.iloc[-1]
    assert lone["anomaly_flag"]
    assert lone["anomaly_explanation"] == "no other camera within 400 m; about 40 residents within 150 m"
    text = " ".join(scores["anomaly_explanation"].dropna())
    for unit_claim in ("few residents", "per km²", "unit", "percentile"):
        assert unit_claim not in text


def test_explanation_says_how_much_of_the_disc_the_data_covers():
    cams = _cams([(0, 0), (5000, 0), (5030, 0), (5060, 0), (5090, 0)])
    crime = _points([(5000 + 30 * i, 5) for i in range(4) for _ in range(20)])
    intrusion = pd.Series([0.8, 0.1, 0.2, 0.3, 0.0], index=cams.index)
    extent = _box(0, -1000, 6000, 1000)  # the lone camera stands on the data's west edge
    scores = anomaly_scores(cams, crime, intrusion=intrusion, crime_extent=extent, period="2024-01-01 and 2024-06-30")
    lone = scores.iloc[0]
    assert lone["anomaly_flag"]
    assert lone["anomaly_explanation"] == (
        "no other camera within 400 m; 0 incidents within 150 m between 2024-01-01 and 2024-06-30, on the 50% of "
        "that disc in the area the crime data covers; 80% of the private and public land in its view is homes and "
        "their yards"
    )


# ---- robustness and settings ------------------------------------------------------------------------------------


def test_flag_sensitivity_is_the_flags_under_each_variant():
    """A flag is robust exactly when the scores computed afresh under every variant flag the camera too."""
    rng = np.random.default_rng(3)
    cams = _cams([(float(x), float(y)) for x, y in rng.uniform(-2000, 2000, size=(60, 2))])
    crime = _points([(float(x), float(y)) for x, y in rng.normal(0, 600, size=(400, 2))])
    intrusion = pd.Series(rng.uniform(0, 1, 60), index=cams.index)
    extent = _box(-1800, -1800, 1800, 1800)
    options = {"intrusion": intrusion, "crime_extent": extent, "camera_extent": extent}
    a = AnomalySettings(flag_score=0.75)
    base = anomaly_scores(cams, crime, settings=a, **options)
    robust = flag_sensitivity(cams, crime, base, settings=a, **options)
    together = base["anomaly_flag"].copy()
    for v in flag_variants(a):
        together &= anomaly_scores(cams, crime, settings=v, **options)["anomaly_flag"]
    assert base["anomaly_flag"].sum() >= 3
    assert (robust[base["anomaly_flag"]] == np.where(together[base["anomaly_flag"]], "robust", "fragile")).all()
    assert robust[~base["anomaly_flag"]].isna().all()


def test_variants_keep_the_other_thresholds():
    a = AnomalySettings(min_covered_share=0.7, min_components=3, lonely_m=250.0)
    for v in flag_variants(a):
        assert (v.min_covered_share, v.min_components, v.lonely_m) == (0.7, 3, 250.0)


def test_settings_of_the_anomalies_are_checked():
    a = AnomalySettings.from_settings(Settings(anomaly_min_covered_share=0.25, anomaly_min_components=3))
    assert (a.min_covered_share, a.min_components) == (0.25, 3)
    with pytest.raises(InputError, match="anomaly_min_covered_share"):
        Settings(anomaly_min_covered_share=0.0)
    with pytest.raises(InputError, match="anomaly_min_components"):
        Settings(anomaly_min_components=4)


# ---- San Francisco ------------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def sf():
    from equity.demo import demo_study

    return demo_study(sensitivity=False).run()


def test_sf_cameras_outside_the_city_are_not_flagged_for_0_incidents(sf):
    """Two ALPR cameras of Brisbane and Daly City stand 143 m and 205 m outside San Francisco; the city's crime data
    covers under 1 % of the 150 m disc around them. Their incidents nearby are unknown, their isolation too, and
    they are not scored (they ranked 2nd and 6th, flagged for "0 incidents", before)."""
    cams = sf.views.drop_duplicates("camera_id").set_index("camera_id")
    outside = cams.loc[["node/11882737811", "node/12491811189"]]
    assert outside["unit_id"].isna().all()
    assert (outside["need_disc_covered_share"] < 0.01).all()
    assert outside["incidents_nearby"].isna().all()
    assert outside["nearest_camera_effective_m"].isna().all()
    assert not outside["anomaly_flag"].astype(bool).any()
    assert outside["anomaly_score"].isna().all()
    flagged = cams[cams["anomaly_flag"].astype(bool)]
    assert len(flagged) > 0
    assert flagged["unit_id"].notna().all()
    assert flagged["anomaly_explanation"].str.contains("incident").all()
    # the two outside the city, and the Presidio's cameras whose disc lies mostly where the crime data does not apply
    unknown = int((cams["need_disc_covered_share"] < 0.5).sum())
    assert sf.counts["anomaly_need_unknown_at_data_edge"] == unknown >= 2
    assert any("unknown, not 0" in w for w in sf.ledger.warnings)


def test_no_population_at_all_is_unknown_need_not_an_edge():
    """Units without any known population are no data, not a disc outside the data: the need is unknown and its
    covered share too (a study without population warned of cameras 'outside the population data')."""
    cams = _cams(LINE)
    residents = gpd.GeoDataFrame({"population": [np.nan]}, geometry=[_box(-500, -500, 3500, 500)], crs=UTM)
    scores = anomaly_scores(cams, None, residents=residents)
    assert (scores["need_basis"] == "unknown").all()
    assert scores["need_disc_covered_share"].isna().all()
    assert scores["need_score"].isna().all()
