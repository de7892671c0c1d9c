"""The presentation computes nothing: it imports no measure, and the summaries it shows come from the result."""

from __future__ import annotations

import ast
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

from equity.anomalies import AnomalySettings, flag_variants
from equity.inequality import concentration_curve, crime_rate_curves
from equity.ledger import rejected_by_reason
from equity.metrics import gap_findings
from equity.presentation.report import key_findings
from equity.sensitivity import Sensitivity

PRESENTATION = Path(__file__).resolve().parents[1] / "equity" / "presentation"

#: What the presentation may take from the rest of equity: labels, constants, the display projection and the
#: column table; no function that computes a measure.
ALLOWED = {
    "equity.metrics": {"CLASS_LABELS", "STORY_CLASSES"},
    "equity.io.outputs": {"PERSONAL_DATA_NOTE", "UNIT_PAGES_DIR"},
    "equity.io.assets": {"LEAFLET_VERSION", "MapAssets", "AssetError"},
    "equity.projection": {"to_wgs84"},
    "equity.settings": {"Settings", "DETAIL_LEVEL_MEANING", "DETAIL_LEVELS_PX_PER_M"},  # words and the standard's table
    "equity.result": {"StudyResult"},  # for type hints only
    "equity._errors": {"InputError"},  # an unknown language is the user's mistake
    "equity.roads": {"UNIT_COLUMNS"},  # the names of the roads' columns, in the order units.csv has them
}


def _imports(path: Path) -> list[tuple[str, str]]:
    out = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("equity"):
            out.extend((node.module, alias.name) for alias in node.names)
        elif isinstance(node, ast.Import):
            out.extend((alias.name, "*") for alias in node.names if alias.name.startswith("equity"))
    return out


@pytest.mark.parametrize("path", sorted(PRESENTATION.glob("*.py")), ids=lambda p: p.name)
def test_presentation_imports_no_computation(path):
    for module, name in _imports(path):
        if module.startswith("equity.presentation") or module == "equity.columns":
            continue
        assert name in ALLOWED.get(module, set()), f"{path.name} imports {name} from {module}"


def test_gap_findings_ranks_with_ties_in_table_order():
    units = pd.DataFrame(
        {
            "unit_id": ["a", "b", "c", "d", "e"],
            "crime_share": [0.4, 0.3, 0.1, 0.1, np.nan],
            "gap": [-0.2, -0.2, 0.3, 0.1, np.nan],
            "class": ["under_covered", "under_covered", "over_covered", "other", "no_data"],
        }
    )
    f = gap_findings(units)
    assert f.units == 5
    assert f.crime_known
    assert f.shortfall == ["a", "b"]
    assert f.surplus == ["c", "d"]
    assert f.members == {"under_covered": ["a", "b"], "over_covered": ["c"]}


def test_key_findings_without_any_gap_does_not_fail():
    """Crime known but no area in view anywhere: every gap is unknown, and no largest gap is named (the report
    used to fail on ``idxmin`` of an all-NaN column)."""
    units = pd.DataFrame(
        {
            "unit_id": ["a", "b"],
            "crime_share": [0.6, 0.4],
            "coverage_share": [np.nan, np.nan],
            "gap": [np.nan, np.nan],
            "class": ["no_data", "no_data"],
            "crimes": [6.0, 4.0],
            "cameras": [0, 0],
        }
    )
    counts = dict.fromkeys(
        [
            "cameras",
            "cameras_in_units",
            "units",
            "views_in_coverage",
            "views_direction_tagged",
            "views_direction_default_omni",
            "views_drawn_as_low_confidence_disc",
        ],
        0,
    )
    result = SimpleNamespace(units=units, counts=counts, findings=gap_findings(units), sensitivity=None, city=[])
    text = " ".join(key_findings(result))
    assert "no unit is in this class" in text
    assert "largest shortfall" not in text


def test_crime_rate_curves_are_those_of_the_city_measures():
    units = pd.DataFrame(
        {
            "unit_id": ["a", "b", "c", "d"],
            "crimes": [10.0, 30.0, np.nan, 5.0],
            "population": [1000.0, 1000.0, 500.0, 0.0],
            "covered_km2": [0.2, 0.1, 0.3, 0.4],
            "covered_share": [0.02, 0.01, 0.03, 0.04],
            "cameras": [2, 1, 3, 4],
        }
    )
    curves = crime_rate_curves(units)
    assert curves.units["unit_id"].tolist() == ["a", "b"]  # c: no crime data; d: no residents
    assert curves.units["crime_rate"].tolist() == [10.0, 30.0]
    expected = concentration_curve(units["covered_km2"][:2], pd.Series([10.0, 30.0]), units["population"][:2])
    np.testing.assert_allclose(curves.coverage[["x", "y"]], expected[["x", "y"]])
    assert crime_rate_curves(units.iloc[[0, 2, 3]]) is None  # one unit with crime and residents


def test_sensitivity_counts_and_uncertain_findings():
    classes = pd.DataFrame(
        {"baseline": ["under_covered", "other", "over_covered"], "v": ["other", "under_covered", "over_covered"]},
        index=pd.Index(["a", "b", "c"], name="unit_id"),
    )
    robust = pd.Series(["uncertain", "uncertain", "robust"], index=classes.index)
    sens = Sensitivity(classes, robust, pd.DataFrame(), [])
    assert sens.uncertain == ["a", "b"]
    assert sens.uncertain_findings == ["a"]  # b's baseline class is not one of the story's
    assert (sens.robust_count, sens.unit_count) == (1, 3)


def test_anomaly_variants_are_those_the_flags_are_tested_under():
    half, twice, stricter = flag_variants(AnomalySettings(radius_m=100.0, flag_score=0.98))
    assert (half.radius_m, twice.radius_m) == (50.0, 200.0)
    assert stricter.flag_score == 1.0


def test_rejected_by_reason_most_frequent_first():
    rejected = pd.DataFrame({"reason": ["x", "y", "y"]})
    assert list(rejected_by_reason(rejected).items()) == [("y", 2), ("x", 1)]
