"""City-level measures, need-weighted gap, terrain, clusters, sensitivity and missing data."""

from __future__ import annotations

import dataclasses

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from affine import Affine
from hypothesis import given, settings
from hypothesis import strategies as st
from shapely import box

from equity.clusters import bivariate_clusters, conditional_permutation_p
from equity.inequality import (
    bootstrap,
    city_measures,
    concentration_curve,
    concentration_index,
    gini,
    need_gap,
    spearman,
)
from equity.terrain import hillside_comparison, slope_percent, terrain_by_unit

UTM = "EPSG:32610"


def test_concentration_index_by_hand():
    # three units ranked 1, 2, 3 with equal weight; outcome 1, 1, 2 (total 4)
    # X = 0, 1/3, 2/3, 1; Y = 0, 1/4, 1/2, 1
    # C = 1 - [1/3 (0 + 1/4) + 1/3 (1/4 + 1/2) + 1/3 (1/2 + 1)] = 1 - (1/3)(2.5) = 1/6
    assert concentration_index(np.array([1.0, 1.0, 2.0]), np.array([1, 2, 3])) == pytest.approx(1 / 6)
    # the same outcome in reverse rank order: -1/6
    assert concentration_index(np.array([2.0, 1.0, 1.0]), np.array([1, 2, 3])) == pytest.approx(-1 / 6)
    # shared in proportion to weight: 0
    assert concentration_index(np.array([2.0, 4.0]), np.array([1, 2]), np.array([1.0, 2.0])) == pytest.approx(0)


def test_concentration_curve_ends():
    curve = concentration_curve(pd.Series([1.0, 3.0]), pd.Series([2, 1]), pd.Series([1.0, 1.0]))
    assert curve["x"].tolist() == [0.0, 0.5, 1.0]
    assert curve["y"].tolist() == [0.0, 0.75, 1.0]


def test_gini_against_pysal_inequality():
    from inequality.gini import Gini

    rng = np.random.default_rng(3)
    for _ in range(5):
        values = rng.gamma(2.0, 3.0, 30)
        assert gini(values) == pytest.approx(Gini(values).g, rel=1e-9)


def test_weighted_gini_equals_repeated_values():
    values = np.array([1.0, 4.0, 10.0])
    weights = np.array([3, 1, 2])
    assert gini(values, weights.astype(float)) == pytest.approx(gini(np.repeat(values, weights)))


@settings(max_examples=50, deadline=None)
@given(st.lists(st.floats(0.01, 1e3), min_size=2, max_size=40))
def test_gini_between_zero_and_one(values):
    g = gini(np.array(values))
    assert -1e-12 <= g < 1


def test_spearman_by_hand():
    assert spearman(np.array([1, 2, 3, 4]), np.array([10, 20, 30, 40])) == pytest.approx(1.0)
    assert spearman(np.array([1, 2, 3, 4]), np.array([4, 3, 2, 1])) == pytest.approx(-1.0)
    assert np.isnan(spearman(np.array([1, 2, 3]), np.array([5, 5, 5])))  # no ranking of a constant


def test_bootstrap_repeats_with_its_seed():
    data = np.arange(20.0)
    a = bootstrap(lambda i: data[i].mean(), 20, samples=200, seed=1)
    b = bootstrap(lambda i: data[i].mean(), 20, samples=200, seed=1)
    assert a == b
    assert a[0] < data.mean() < a[1]


@pytest.fixture
def table():
    return pd.DataFrame(
        {
            "unit_id": ["a", "b", "c", "d", "e"],
            "area_km2": [1.0, 1.0, 2.0, 1.0, 1.0],
            "cameras": [0, 2, 8, 1, 3],
            "population": [1000.0, 1000.0, 2000.0, 0.0, np.nan],
            "crimes": [50.0, 30.0, 20.0, 5.0, np.nan],
            "covered_km2": [0.0, 0.05, 0.45, 0.01, 0.02],
            "covered_share": [0.0, 0.05, 0.225, 0.01, 0.02],
            "crime_share": [50 / 105, 30 / 105, 20 / 105, 5 / 105, np.nan],
            "coverage_share": [0.0, 0.05 / 0.53, 0.45 / 0.53, 0.01 / 0.53, 0.02 / 0.53],
        }
    )


def test_city_measures_leave_out_units_without_data(table):
    measures = {e.name: e for e in city_measures(table, samples=200)}
    by_crime = measures["concentration index of coverage by crime rate"]
    assert by_crime.n == 3  # d has no residents, e no data
    assert by_crime.excluded == 2
    # by hand: rates a 50, b 30, c 10 per 1,000 -> order c, b, a; weights 2000, 1000, 1000; coverage .45, .05, 0
    x = np.array([0, 0.5, 0.75, 1.0])
    y = np.array([0, 0.9, 1.0, 1.0])
    expected = 1 - np.sum((x[1:] - x[:-1]) * (y[1:] + y[:-1]))
    assert by_crime.value == pytest.approx(expected)
    assert by_crime.low <= by_crime.value <= by_crime.high
    assert measures["Gini of cameras per resident"].n == 3


def test_need_gap_weights(table):
    crime_only = need_gap(table)
    assert crime_only["need_share"].tolist()[:4] == pytest.approx(table["crime_share"].tolist()[:4])
    mixed = need_gap(table, 0.5)
    pop_share = table["population"] / table["population"].sum()
    assert mixed["need_share"].iloc[0] == pytest.approx(0.5 * table["crime_share"].iloc[0] + 0.5 * pop_share.iloc[0])
    assert crime_only["need_rank"].iloc[0] == 1  # a: the most crime and no coverage
    assert pd.isna(crime_only["need_gap"].iloc[4])
    with pytest.raises(ValueError, match="between 0 and 1"):
        need_gap(table, 2.0)


def test_terrain_by_unit_known_slopes():
    # a plane rising 20 m per 100 m eastward in the east unit, flat in the west unit
    cell = 10.0
    ground = np.zeros((20, 40), np.float32)
    ground[:, 20:] = (np.arange(20) * cell * 0.2)[None, :]
    transform = Affine(cell, 0, 0, 0, -cell, 200)
    units = gpd.GeoDataFrame(
        {"unit_id": ["west", "east"]}, geometry=[box(0, 0, 190, 200), box(210, 0, 400, 200)], crs=UTM
    )
    out = terrain_by_unit(ground, transform, units)
    assert out.loc[0, "slope_pct"] == pytest.approx(0.0, abs=1e-6)
    assert out.loc[1, "slope_pct"] == pytest.approx(20.0, rel=0.08)  # one-sided differences at the unit's edge
    assert out["terrain"].tolist() == ["flat", "hillside"]
    assert out.loc[1, "elevation_m"] > out.loc[0, "elevation_m"]
    assert slope_percent(np.array([[0.0, 1.0, 2.0]] * 3), 10.0)[1, 1] == pytest.approx(10.0)


def test_hillside_comparison_uses_totals():
    units = pd.DataFrame(
        {
            "terrain": ["flat", "flat", "hillside"],
            "population": [100.0, 300.0, 50.0],
            "area_km2": [1.0, 1.0, 2.0],
            "cameras": [2, 2, 0],
            "covered_km2": [0.1, 0.1, 0.0],
            "open_km2": [1.0, 1.0, 2.0],
            "crimes": [1.0, 3.0, 5.0],
        }
    )
    table = hillside_comparison(units).set_index("terrain")
    assert table.loc["flat", "crimes_per_1k"] == pytest.approx(10.0)
    assert table.loc["hillside", "crimes_per_1k"] == pytest.approx(100.0)
    assert table.loc["flat", "cameras_per_km2"] == pytest.approx(2.0)


def test_permutation_p_values_match_esda_statistics():
    # the statistic from esda; p-values against a brute-force enumeration on a tiny case are not practical,
    # so check the properties: a unit whose neighbours all hold the extreme value gets a small p-value
    rng = np.random.default_rng(0)
    n = 30
    zx = rng.standard_normal(n)
    zy = rng.standard_normal(n)
    zx[0], zy[1:4] = 3.0, 3.0
    neighbours = [np.array([1, 2, 3])] + [np.array([(i + 1) % n, (i - 1) % n]) for i in range(1, n)]
    observed = np.array([(n - 1) / n * zx[i] * zy[neighbours[i]].mean() for i in range(n)])
    p = conditional_permutation_p(zx, zy, neighbours, observed, permutations=999)
    assert p[0] < 0.01
    assert ((p > 0) & (p <= 0.5 + 1e-9)).all()
    assert (conditional_permutation_p(zx, zy, neighbours, observed, permutations=999) == p).all()


def test_clusters_on_a_grid():
    cells = [box(x, y, x + 1, y + 1) for y in range(6) for x in range(6)]
    crime = np.zeros(36)
    cover = np.full(36, 0.5)
    crime[[0, 1, 6, 7]] = 100.0  # a high-crime corner...
    cover[[0, 1, 2, 6, 7, 8, 12, 13, 14]] = 0.0  # ...surrounded by no coverage
    units = gpd.GeoDataFrame({"crimes_per_1k_smoothed": crime, "covered_share": cover}, geometry=cells, crs=UTM)
    out = bivariate_clusters(units)
    assert set(out.loc[[0, 1, 6, 7], "cluster"]) <= {"high crime, low coverage around", "not significant"}
    assert (out["cluster"] == "high crime, low coverage around").sum() >= 2


def test_sf_statistics_and_sensitivity(request):
    from equity.demo import demo_study

    result = demo_study().run()
    u = result.units.set_index("unit_id")
    assert {"need_gap", "need_rank", "cluster", "robustness", "data_gaps"} <= set(result.units.columns)
    assert u.loc["Tenderloin", "robustness"] == "robust"
    assert u.loc["Presidio", "robustness"] == "robust"
    # the class probabilities of the draws decide robustness; the key findings name only robust classes
    assert {"p_under_covered", "p_over_covered", "p_class"} <= set(result.units.columns)
    assert u.loc["Tenderloin", "p_under_covered"] == 1.0
    assert u.loc["Presidio", "p_class"] == 1.0  # no crime data in every draw
    assert (u["robustness"] == "robust").eq(u["p_class"] >= 0.9).all()
    from equity.presentation.report import key_findings

    story = [f for f in key_findings(result) if f.startswith(("High crime, low coverage (", "Low crime, high"))]
    for unit in u.index[u["class"].isin(["under_covered", "over_covered"])]:
        assert (unit in " ".join(story)) == (u.loc[unit, "p_class"] >= 0.9), unit
    assert result.uncertainty.draws == 1000
    assert u.loc["Treasure Island", "data_gaps"] == "no population data"  # no block group overlaps it
    names = [e.name for e in result.city]
    assert names[0] == "concentration index of coverage by crime rate"
    first = result.city[0]
    assert first.low <= first.value <= first.high
    assert first.n == 39  # 41 neighbourhoods; Treasure Island without residents, the Presidio without crime data
    sens = result.sensitivity
    assert "unknown directions: disc" in sens.classes.columns
    assert "wider fixed lens (90 degrees)" in sens.classes.columns
    assert sens.skipped == ["cameras 1 m lower", "cameras 2 m higher"]  # no surface model in the demo
    again = dataclasses.replace(demo_study(), sensitivity=False).run()
    assert [e.to_dict() for e in again.city] == [e.to_dict() for e in result.city]  # seeded: the same intervals


# esda warns that its permutation p-values will become two-sided in its next major release; the values it returns
# now are the folded one-sided ones that conditional_permutation_p computes
@pytest.mark.filterwarnings("ignore:The alternative hypothesis for conditional randomization:DeprecationWarning")
def test_permutation_p_values_agree_with_esda():
    """Our conditional randomisation against esda's own (which compiles for about 30 s in a new process)."""
    import esda
    from libpysal.graph import Graph

    from equity.demo import demo_study

    result = dataclasses.replace(demo_study(), sensitivity=False, statistics=False).run()
    u = result.units[result.units["crimes_per_1k"].notna()].reset_index(drop=True)
    graph = Graph.build_contiguity(u, rook=False)
    x, y = u["crimes_per_1k"].to_numpy(float), u["covered_share"].to_numpy(float)
    reference = esda.Moran_Local_BV(x, y, graph, permutations=9999, seed=1)
    neighbours = [graph.adjacency.loc[i].index.to_numpy() for i in range(len(u))]
    ours = conditional_permutation_p(reference.zx, reference.zy, neighbours, reference.Is, permutations=9999)
    assert np.abs(ours - reference.p_sim).max() < 0.02


def test_variants_follow_the_study_settings():
    from equity.sensitivity import variants_for
    from equity.settings import Settings

    narrow = variants_for(Settings(fixed_fov_deg=30.0, detail_level="inspection", unknown_direction="disc"))
    assert "narrower fixed lens (22.5 degrees)" in narrow
    assert "wider fixed lens (45 degrees)" in narrow
    assert not any(name.startswith("shorter range") for name in narrow)  # nothing shorter than inspection
    assert narrow["longer range (identification level)"] == {"detail_level": "identification"}
    default = variants_for(Settings())  # detection, 25 px/m: observation on one side, monitor on the other
    assert default["shorter range (observation level)"] == {"detail_level": "observation"}
    assert default["longer range (monitor level)"] == {"detail_level": "monitor"}
    assert "unknown directions: skip" in narrow


@pytest.mark.parametrize("strip_rows", [1, 2, 3, 7])
def test_terrain_in_strips_is_the_terrain_of_the_whole_grid(strip_rows):
    """Strips read with a row of halo on either side give every cell the slope of the whole array, and the
    units the same counts and sums (to the last bits of the summation order); a grid with holes and a ridge."""
    from equity.terrain import terrain_by_unit_in_strips

    rng = np.random.default_rng(3)
    ground = (rng.random((23, 31)) * 50 + np.arange(31)[None, :] * 4).astype(np.float32)
    ground[5:8, 10:14] = np.nan
    transform = Affine(10.0, 0, 0, 0, -10.0, 230)
    units = gpd.GeoDataFrame(
        {"unit_id": ["a", "b", "c"]},
        geometry=[box(0, 0, 150, 230), box(150, 100, 310, 230), box(150, 0, 310, 100)],
        crs=UTM,
    )
    whole = terrain_by_unit(ground, transform, units)
    strips, missing = terrain_by_unit_in_strips(
        lambda r0, r1: ground[r0:r1], transform, ground.shape, units, strip_rows=strip_rows
    )
    pd.testing.assert_frame_equal(strips, whole, rtol=1e-12)
    assert missing == pytest.approx(12 / ground.size)


def test_fdr_cutoff_known_answers():
    from equity.clusters import fdr_cutoff

    # Benjamini-Hochberg with n = 4: k alpha / n = 0.0125, 0.025, 0.0375, 0.05; the first two hold
    assert fdr_cutoff(np.array([0.3, 0.001, 0.5, 0.002])) == pytest.approx(0.025)
    # none holds: the cut-off lies below every p-value
    p = np.array([0.04] + [0.9] * 19)
    assert (p < fdr_cutoff(p)).sum() == 0
    assert (p < 0.05).sum() == 1  # while the unadjusted test finds one


def test_global_bivariate_moran_on_a_gradient():
    from esda.moran import Moran_BV
    from libpysal.graph import Graph

    from equity.clusters import global_bivariate_moran

    cells = [box(x, y, x + 1, y + 1) for y in range(6) for x in range(6)]
    col = np.array([i % 6 for i in range(36)], float)
    units = gpd.GeoDataFrame({"crimes_per_1k_smoothed": col, "covered_share": col}, geometry=cells, crs=UTM)
    m = global_bivariate_moran(units)
    graph = Graph.build_contiguity(units.reset_index(drop=True), rook=False)
    assert m.i == pytest.approx(Moran_BV(col, col, graph, permutations=0).I)
    assert m.i > 0.5
    assert m.p_value == pytest.approx(0.001)  # no permutation reaches it
    assert global_bivariate_moran(units) == m  # seeded
    reverse = global_bivariate_moran(units.assign(covered_share=5 - col))
    assert reverse.i == pytest.approx(-m.i)
    assert reverse.p_value == pytest.approx(0.001)
    assert global_bivariate_moran(units.iloc[:3]) is None
