"""The draws of the sources of error (equity.uncertainty): known answers on a small city of square units."""

from __future__ import annotations

import html
import math

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from shapely import Point, box

from equity.metrics import classify
from equity.settings import Settings
from equity.uncertainty import CLASSES, classify_draws, prepare, probabilities, run_draws, scenario_settings

UTM = "EPSG:32610"  # San Francisco's zone
X0, Y0 = 550_000.0, 4_180_000.0
SIDE = 400.0

#: Every source of error switched off: the draws must give the study's classes.
QUIET = {
    "draws_camera_omission": 0.0,
    "draws_unmapped_share": 0.0,
    "draws_level_weights": (0.0, 1.0, 0.0),
    "draws_lens_weights": (0.0, 1.0, 0.0),
    "draws_threshold_spread": 0.0,
    "draws_ratio_factor": 1.0,
}


def _city(cameras_per_unit: list[int], *, unknown: int = 0):
    """Square units in a row, each with cameras looking east from points spread inside it (the first
    ``unknown`` cameras of the last unit without a direction)."""
    n = len(cameras_per_unit)
    units = gpd.GeoDataFrame(
        {"unit_id": [f"u{i}" for i in range(n)]},
        geometry=[box(X0 + i * SIDE, Y0, X0 + (i + 1) * SIDE, Y0 + SIDE) for i in range(n)],
        crs=UTM,
    )
    rows, points = [], []
    for i, k in enumerate(cameras_per_unit):
        for j in range(k):
            tags = {"man_made": "surveillance", "surveillance": "public", "camera:type": "fixed"}
            if not (i == n - 1 and j < unknown):
                tags["camera:direction"] = "90"
            rows.append({"camera_id": f"node/{i}{j:03d}", "tags": tags})
            points.append(Point(X0 + i * SIDE + 60 + (j % 3) * 120, Y0 + 60 + (j // 3) * 90))
    cameras = gpd.GeoDataFrame(rows, geometry=points, crs=UTM)
    return units, cameras


def _prepared(cameras_per_unit, settings, **kwargs):
    from equity.cameras import normalise_cameras
    from equity.coverage import assign_units

    units, cameras = _city(cameras_per_unit, **kwargs)
    views = normalise_cameras(cameras, settings)
    views["unit_id"] = assign_units(views, units).to_numpy()
    table = pd.DataFrame({"cameras": cameras_per_unit, "area_km2": [SIDE**2 / 1e6] * len(cameras_per_unit)})
    return prepare(views, cameras, units, table, settings), views, units


def test_the_quiet_draw_sees_what_the_sectors_see():
    s = Settings(**QUIET)
    prepared, views, _units = _prepared([1, 0, 3], s)
    values = run_draws(prepared, np.array([10.0, 10.0, 10.0]), s, draws=5)
    r = views["range_m"].iloc[0]
    sector = math.pi * r**2 * s.fixed_fov_deg / 360
    # cameras 60 m from the west edge looking east: each sector lies inside its unit
    assert values.covered[0, 0] == pytest.approx(sector, rel=0.02)
    assert values.covered[0, 1] == 0
    assert (values.covered == values.covered[0]).all()  # nothing drawn changes the geometry


def test_a_unit_with_certain_data_has_probability_one():
    # u0, u1: many incidents and no camera; u3-u5: few incidents and many cameras; every source of error on
    s = Settings()
    prepared, _, _ = _prepared([0, 0, 1, 9, 9, 9], s)
    crimes = np.array([5000.0, 4000.0, 1000.0, 20.0, 15.0, 10.0])
    values = run_draws(prepared, crimes, s)
    probs, robust = probabilities(
        values.classes,
        ["u0", "u1", "u2", "u3", "u4", "u5"],
        ["under_covered", "under_covered", "other", "over_covered", "over_covered", "over_covered"],
        s.draws_robust_probability,
    )
    assert probs.loc["u0", "p_under_covered"] == 1.0
    assert probs.loc["u1", "p_under_covered"] >= 0.99  # unmapped cameras added there, now and then
    assert probs.loc["u0", "p_class"] == 1.0
    assert robust["u0"] == "robust"
    assert len(values.classes) == s.draws


def test_a_unit_on_the_threshold_has_probability_one_half():
    # only the coverage ratio is drawn; u0's coverage share is exactly half its crime share
    s = Settings(**QUIET)
    prepared, _, _ = _prepared([1, 4, 2, 3, 3, 3], s)
    covered = run_draws(prepared, np.ones(6), s, draws=1).covered[0]
    c0 = covered[0] / covered.sum()
    # crime shares: u0 2 c0 (the second highest, high crime), u1 0.55, the rest equal below it
    share0 = 2 * c0
    rest = (1 - 0.55 - share0) / 4
    assert rest < share0 < 0.55
    crimes = 1e9 * np.array([share0, 0.55, rest, rest, rest, rest])  # Poisson noise of 1e-4.5 relative: none
    noisy = Settings(**{**QUIET, "draws_ratio_factor": 1.25})
    values = run_draws(prepared, crimes, noisy, draws=2000)
    p = (values.classes[:, 0] == CLASSES.index("under_covered")).mean()
    assert p == pytest.approx(0.5, abs=0.05)


def test_omitting_every_camera_leaves_no_coverage():
    s = Settings(draws_camera_omission=1.0, draws_unmapped_share=0.0)
    prepared, _, _ = _prepared([1, 2, 3], s, unknown=1)
    values = run_draws(prepared, np.array([10.0, 20.0, 30.0]), s, draws=50)
    assert (values.covered == 0).all()
    assert (values.cameras == 0).all()
    assert (values.classes == CLASSES.index("no_data")).all()  # no coverage share without coverage


def test_unknown_directions_are_drawn_not_skipped():
    s = Settings(**QUIET)
    prepared, views, _ = _prepared([0, 0, 2], s, unknown=2)
    assert views["direction_source"].eq("unknown").sum() == 2
    assert prepared.notes["views_unknown_direction_drawn"] == 2
    values = run_draws(prepared, np.array([1.0, 1.0, 1.0]), s, draws=200)
    assert (values.covered[:, 2] > 0).all()  # the study skips them: no coverage; the draws give them some
    assert len(np.unique(values.covered[:, 2])) > 3  # and it depends on the directions drawn


def test_the_same_seed_gives_the_same_draws_and_another_seed_others():
    s = Settings()
    prepared, _, _ = _prepared([1, 2, 3, 0], s)
    crimes = np.array([100.0, 50.0, 20.0, 80.0])
    a = run_draws(prepared, crimes, s, draws=100)
    b = run_draws(prepared, crimes, s, draws=100)
    c = run_draws(prepared, crimes, s.replace(draws_seed=1), draws=100)
    assert (a.covered == b.covered).all()
    assert (a.crimes == b.crimes).all()
    assert not (a.crimes == c.crimes).all()


def test_unmapped_cameras_go_where_mapping_is_thin():
    s = Settings(draws_camera_omission=0.0, draws_unmapped_share=0.5)
    prepared, _, _ = _prepared([6, 6, 0, 0], s)
    assert set(prepared.pool_unit.tolist()) <= {2, 3}
    values = run_draws(prepared, np.array([10.0, 10.0, 10.0, 10.0]), s, draws=300)
    assert values.cameras[:, 2:].sum(axis=1).mean() == pytest.approx(6.0, rel=0.15)  # 0.5 x 12 cameras
    assert (values.cameras[:, :2] == 6).all()


def test_negative_binomial_counts_vary_more_than_poisson():
    s = Settings(**QUIET)
    prepared, _, _ = _prepared([1, 1], s)
    crimes = np.array([400.0, 400.0])
    poisson = run_draws(prepared, crimes, s, draws=2000).crimes[:, 0]
    nb = run_draws(prepared, crimes, s.replace(draws_crime_model="negative_binomial"), draws=2000).crimes[:, 0]
    assert poisson.var() == pytest.approx(400, rel=0.15)
    assert nb.var() == pytest.approx(400 + 400**2 / 10, rel=0.15)
    no_data = run_draws(prepared, np.array([np.nan, 10.0]), s, draws=10)
    assert np.isnan(no_data.crimes[:, 0]).all()  # unknown stays unknown, never zero


def test_classify_draws_is_classify_row_by_row():
    rng = np.random.default_rng(3)
    s = Settings()
    crime = rng.dirichlet(np.ones(12), 40)
    crime[:, 5] = np.nan  # a unit without crime data
    cover = rng.dirichlet(np.ones(12), 40)
    cover[:, 5] = np.nan
    full = np.full(40, 1.0)
    out = classify_draws(
        crime,
        cover,
        full * s.high_crime_quantile,
        full * s.low_crime_quantile,
        full * s.low_coverage_ratio,
        full * s.high_coverage_ratio,
        full * s.high_coverage_quantile,
    )
    for d in range(40):
        expected = classify(pd.Series(crime[d]), pd.Series(cover[d]), s).map(CLASSES.index).to_numpy()
        assert (out[d] == expected).all()


def test_scenarios_leave_out_levels_beyond_the_scale():
    names = [name for name, _, _ in scenario_settings(Settings(detail_level="inspection"))]
    assert {n.split(",")[0] for n in names} == {"inspection", "identification"}
    weights = [w for _, _, w in scenario_settings(Settings(detail_level="inspection"))]
    assert sum(weights) == pytest.approx(1.0)
    assert len(weights) == 6  # two levels (no shorter one than inspection) x three lenses


def test_draw_settings_are_checked():
    from equity._errors import InputError

    with pytest.raises(InputError, match="draws_camera_omission"):
        Settings(draws_camera_omission=1.5)
    with pytest.raises(InputError, match="draws_level_weights"):
        Settings(draws_level_weights=(0.5, 0.0, 0.5))
    assert Settings(draws_lens_weights=[0.1, 0.8, 0.1]).draws_lens_weights == (0.1, 0.8, 0.1)


def test_report_calls_an_interval_across_zero_inconclusive():
    from types import SimpleNamespace

    from equity.inequality import Estimate
    from equity.presentation.report import _measure_sentence

    e = Estimate("concentration index of coverage by crime rate", 0.05, -0.2, 0.3, 39, 2, "above 0: more")
    for low, high, inconclusive, outside in (
        (-0.1, 0.2, True, False),
        (0.01, 0.2, False, False),
        (0.1, 0.2, False, True),
    ):
        measures = pd.DataFrame([{"measure": e.name, "draws_low": low, "draws_high": high}])
        result = SimpleNamespace(uncertainty=SimpleNamespace(measures=measures))
        text = html.unescape(_measure_sentence(result, e))  # the sentence is HTML: its apostrophe escaped
        assert ("inconclusive" in text) == inconclusive
        assert ("outside the draws' interval" in text) == outside
