"""Equity columns against values worked out by hand on a four-unit fixture."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from equity.metrics import EQUITY_COLUMNS, classify, equity_table
from equity.settings import Settings


@pytest.fixture
def four_units() -> pd.DataFrame:
    # Worked by hand:
    #  unit  area km2  cameras  pop   crimes  covered km2
    #  A     2.0       0        4000  50      0.00
    #  B     1.0       2        1000  30      0.05
    #  C     4.0       8        2000  20      0.45
    #  D     1.0       1        0     0       0.00
    #  total crimes 100, total covered 0.50 km2
    return pd.DataFrame(
        {
            "unit_id": ["A", "B", "C", "D"],
            "area_m2": [2e6, 1e6, 4e6, 1e6],
            "cameras": [0, 2, 8, 1],
            "population": [4000.0, 1000.0, 2000.0, 0.0],
            "crimes": [50.0, 30.0, 20.0, 0.0],
            "crimes_in_view": [0.0, 6.0, 10.0, 0.0],
            "covered_m2": [0.0, 0.05e6, 0.45e6, 0.0],
        }
    )


def test_columns_and_order(four_units):
    assert list(equity_table(four_units).columns) == EQUITY_COLUMNS


def test_densities_by_hand(four_units):
    t = equity_table(four_units).set_index("unit_id")
    assert t.loc["A", "cameras_per_km2"] == 0.0
    assert t.loc["C", "cameras_per_km2"] == pytest.approx(2.0)
    assert t.loc["B", "cameras_per_1k_residents"] == pytest.approx(2.0)
    assert t.loc["C", "cameras_per_1k_residents"] == pytest.approx(4.0)
    assert t.loc["A", "crimes_per_1k"] == pytest.approx(12.5)
    assert t.loc["B", "cameras_per_100_crimes"] == pytest.approx(100 * 2 / 30)
    assert t.loc["C", "cameras_per_100_crimes"] == pytest.approx(40.0)


def test_zero_denominators_are_undefined_not_zero(four_units):
    t = equity_table(four_units).set_index("unit_id")
    assert math.isnan(t.loc["D", "cameras_per_1k_residents"])  # no residents
    assert math.isnan(t.loc["D", "crimes_per_1k"])
    assert math.isnan(t.loc["D", "cameras_per_100_crimes"])  # no crimes
    assert math.isnan(t.loc["D", "crimes_in_view_share"])
    assert not np.isinf(t.select_dtypes("number").to_numpy()).any()


def test_shares_and_gap_by_hand(four_units):
    t = equity_table(four_units).set_index("unit_id")
    assert t["crime_share"].to_dict() == pytest.approx({"A": 0.5, "B": 0.3, "C": 0.2, "D": 0.0})
    assert t["coverage_share"].to_dict() == pytest.approx({"A": 0.0, "B": 0.1, "C": 0.9, "D": 0.0})
    assert t["gap"].to_dict() == pytest.approx({"A": -0.5, "B": -0.2, "C": 0.7, "D": 0.0})
    assert t.loc["C", "covered_share"] == pytest.approx(0.45 / 4)
    assert t.loc["B", "crimes_in_view_share"] == pytest.approx(0.2)
    assert t["crime_share"].sum() == pytest.approx(1.0)
    assert t["coverage_share"].sum() == pytest.approx(1.0)


def test_classes_by_hand(four_units):
    # crime shares 0.5, 0.3, 0.2, 0.0: 2/3 quantile (linear) = 0.3 + (0.5-0.3)*0 ... computed by pandas:
    shares = pd.Series([0.5, 0.3, 0.2, 0.0])
    assert shares.quantile(2 / 3) == pytest.approx(0.3)
    assert shares.quantile(1 / 3) == pytest.approx(0.2)
    t = equity_table(four_units).set_index("unit_id")
    # A: crime 0.5 >= 0.3 and coverage 0 < 0.5*0.5 -> under-covered
    # B: crime 0.3 >= 0.3 and coverage 0.1 < 0.15 -> under-covered
    # C: crime 0.2 <= 0.2, coverage 0.9 > 0.4 and >= median coverage (0.05) -> over-covered
    # D: crime 0 <= 0.2 but coverage 0 is not > 0 -> other
    assert t["class"].to_dict() == {"A": "under_covered", "B": "under_covered", "C": "over_covered", "D": "other"}


def test_thresholds_are_settings(four_units):
    t = equity_table(four_units, Settings(low_coverage_ratio=0.2)).set_index("unit_id")
    assert t.loc["B", "class"] == "other"  # 0.1 is not below 0.2 * 0.3 = 0.06


def test_no_crime_data_is_no_data_not_zero(four_units):
    four_units["crimes"] = np.nan
    four_units["crimes_in_view"] = np.nan
    t = equity_table(four_units)
    assert (t["class"] == "no_data").all()
    assert t["crime_share"].isna().all()
    assert t["gap"].isna().all()


def test_one_unit_without_crime_count(four_units):
    four_units.loc[3, "crimes"] = np.nan
    t = equity_table(four_units).set_index("unit_id")
    assert t.loc["D", "class"] == "no_data"
    assert t.loc["A", "crime_share"] == pytest.approx(0.5)


def test_no_coverage_anywhere(four_units):
    four_units["covered_m2"] = 0.0
    t = equity_table(four_units)
    assert t["coverage_share"].isna().all()  # no view could be drawn: unknown, not zero
    assert (t["class"] == "no_data").all()


def test_shares_over_the_same_units(four_units):
    four_units.loc[3, "crimes"] = np.nan  # D: no crime data, but some coverage
    four_units.loc[3, "covered_m2"] = 0.5e6
    t = equity_table(four_units).set_index("unit_id")
    assert np.isnan(t.loc["D", "coverage_share"])
    assert t["coverage_share"].sum() == pytest.approx(1.0)
    assert t.loc["C", "coverage_share"] == pytest.approx(0.9)


@given(
    st.lists(st.tuples(st.integers(0, 1000), st.floats(0, 1e6), st.integers(0, 50)), min_size=2, max_size=30).filter(
        lambda rows: sum(r[0] for r in rows) > 0 and sum(r[1] for r in rows) > 1.0  # at least 1 m2 in view
    )
)
def test_shares_sum_to_one_and_gaps_to_zero(rows):
    frame = pd.DataFrame(
        {
            "unit_id": [f"u{i}" for i in range(len(rows))],
            "area_m2": [1e6 + r[1] for r in rows],
            "cameras": [r[2] for r in rows],
            "population": [1000.0] * len(rows),
            "crimes": [float(r[0]) for r in rows],
            "crimes_in_view": [0.0] * len(rows),
            "covered_m2": [r[1] for r in rows],
        }
    )
    t = equity_table(frame)
    assert t["crime_share"].sum() == pytest.approx(1.0)
    assert t["coverage_share"].sum() == pytest.approx(1.0)
    assert t["gap"].sum() == pytest.approx(0.0, abs=1e-9)
    under = t["class"] == "under_covered"
    assert (t.loc[under, "gap"] < 0).all()
    over = t["class"] == "over_covered"
    assert (t.loc[over, "gap"] > 0).all()


def test_classify_all_unknown():
    assert (classify(pd.Series([np.nan, np.nan]), pd.Series([0.5, 0.5])) == "no_data").all()
