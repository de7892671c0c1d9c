"""Map and report: layers, legend, tooltips, and user-contributed text that stays text."""

from __future__ import annotations

import json

import numpy as np
import pytest

from equity.demo import demo_study
from equity.presentation.formatting import esc
from equity.presentation.maps import build_map, render_map
from equity.presentation.report import build_report
from tests.conftest import PAYLOADS


@pytest.fixture(scope="module")
def sf_html():
    result = demo_study(sensitivity=False).run()
    return render_map(build_map(result)), build_report(result)


def test_map_has_layers_legend_and_heat(sf_html):
    html, _ = sf_html
    for name in (
        "Units: gap between coverage and crime",
        "Cameras: fields of view",
        "Cameras",
        "Crime incidents (heat)",
    ):
        assert json.dumps(name)[1:-1] in html
    assert "L.control.layers" in html
    assert "id='equity-legend'" in html
    assert "<b>Gap</b>: share of the area in view minus share of crime" in html
    assert "heatLayer" in html
    assert "Tenderloin" in html


def test_report_has_sections_and_numbers(sf_html):
    _, report = sf_html
    for heading in ("Key findings", "Units ranked by gap", "Methodology", "Data sources", "Limitations"):
        assert f"<h2>{heading}</h2>" in report
    assert (
        "Tenderloin (10.4% of recorded crime, 1,056 incidents; 0.9% of the city's area in camera view, 3 cameras)"
        in report
    )
    assert "Golden Gate Park (0.9% of recorded crime, 89 incidents;" in report
    over = next(line for line in report.splitlines() if line.startswith("<li>Low crime, high coverage"))
    assert "Presidio" not in over  # no crime data there: in no class
    assert "ODbL" in report
    assert "2012-12-31" in report  # the date gap is stated
    assert "2025-10-04" in report
    assert "<script" not in report
    assert "http://" not in report.split("Data sources")[0]


def test_esc():
    assert esc("<b>&'\"") == "&lt;b&gt;&amp;&#x27;&quot;"
    assert esc(None) == ""
    assert esc(float("nan")) == ""


def test_hostile_text_is_escaped_everywhere(hostile_study):
    result = hostile_study.run()
    html = render_map(build_map(result, title=hostile_study.name))
    report = build_report(result, title=hostile_study.name)
    for payload in [*PAYLOADS[:3], "<b>bold</b>", "<i>study</i>"]:
        assert payload not in html, payload
        assert payload not in report, payload
    # in the map's data with < and > escaped for the script; the page shows it with textContent, as text
    assert "\\u003cimg src=x onerror=alert(1)\\u003e" in html
    assert "&lt;b&gt;bold&lt;/b&gt;" in report
    # the direction payload is recorded as a tag problem, escaped
    assert result.views["issues"].str.contains("not a direction", regex=False).sum() >= 4


def test_map_is_deterministic(hostile_study):
    result = hostile_study.run()
    assert render_map(build_map(result)) == render_map(build_map(result))


def test_heat_layer_bins_a_million_incidents():
    from equity.presentation.maps import heat_points

    rng = np.random.default_rng(0)
    lat = 37.7 + rng.random(1_000_000) * 0.1
    lon = -122.5 + rng.random(1_000_000) * 0.1
    pts, decimals = heat_points(lat, lon)
    assert decimals == 3  # 4 decimals would leave ~10^6 cells, 3 leave 10^4
    assert len(pts) <= 50_000
    assert all(0 < p[2] <= 1 for p in pts)
    few, d = heat_points(lat[:10], lon[:10])
    assert d == 5
    assert len(few) == 10
    assert len(few[0]) == 2


def test_chart_helpers_known_answers():
    from equity.presentation.charts import bar_chart, nice_ticks
    from equity.presentation.formatting import gap_colour

    assert gap_colour(-0.1, 0.1) == "#b2182b"
    assert gap_colour(0.0, 0.1) == "#f7f7f7"
    assert gap_colour(0.1, 0.1) == "#2166ac"
    assert gap_colour(0.5, 0.1) == "#2166ac"  # clipped to the scale
    assert gap_colour(float("nan"), 0.1) == "#cccccc"
    assert nice_ticks(0.0) == [0.0, 1.0]
    assert nice_ticks(7)[-1] >= 7
    svg = bar_chart([("<script>x</script>", 3.0), ("b", float("nan"))], unit="cameras")
    assert "<script>" not in svg
    assert "&lt;script&gt;" in svg
    assert "n/a" in svg


def test_report_map_draws_every_unit(sf_html):
    _, report = sf_html
    svg = report.split("<svg class='map'", 1)[1].split("</svg>", 1)[0]
    assert svg.count("<path ") == 41
    assert "<title>Tenderloin: -9.50 points</title>" in svg
