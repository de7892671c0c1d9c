"""Map and report: layers, legend, tooltips, and user-contributed text that stays text."""

from __future__ import annotations

import json

import pytest

from equity.demo import demo_study
from equity.maps import build_map, esc, render_map
from equity.report import build_report
from equity.study import Study

PAYLOADS = [
    "<img src=x onerror=alert(1)>",
    "</script><script>alert(1)</script>",
    '"><svg onload=alert(1)>',
    "javascript:alert(1)",
    "' onmouseover='alert(1)",
]


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
    assert "Gap: share of coverage minus share of crime" in html  # the legend's caption
    assert "heatLayer" in html
    assert "Tenderloin" in html


def test_report_has_sections_and_numbers(sf_html):
    _, report = sf_html
    for heading in ("Key findings", "Units ranked by gap", "Methodology", "Data sources", "Limitations"):
        assert f"<h2>{heading}</h2>" in report
    assert "Tenderloin (10.4% of recorded crime, 1,056 incidents; 0.9% of the area in camera view, 3 cameras)" in report
    assert "Presidio (0.01% of recorded crime, 1 incident;" in report
    assert "ODbL" in report
    assert "2012-12-31" in report  # the date gap is stated
    assert "2025-10-04" in report
    assert "<script" not in report
    assert "http://" not in report.split("Data sources")[0]


def test_esc():
    assert esc("<b>&'\"") == "&lt;b&gt;&amp;&#x27;&quot;"
    assert esc(None) == ""
    assert esc(float("nan")) == ""


@pytest.fixture
def hostile_study(tmp_path):
    rows = ["id,lon,lat,man_made,operator,name,surveillance,camera:type,direction,camera:mount"]
    for i, payload in enumerate(PAYLOADS):
        p = payload.replace('"', '""')
        rows.append(f'node/{i + 1},{-122.41 + i * 0.001},37.78,surveillance,"{p}","{p}",public,fixed,"{p}",wall')
    rows.append("node/99,-122.405,37.781,surveillance,ok,ok,public,dome,,pole")
    (tmp_path / "cams.csv").write_text("\n".join(rows) + "\n", encoding="utf-8")
    unit_name = json.dumps(PAYLOADS[1])
    (tmp_path / "units.geojson").write_text(
        '{"type":"FeatureCollection","features":['
        f'{{"type":"Feature","properties":{{"name":{unit_name},"pop":10}},"geometry":{{"type":"Polygon",'
        '"coordinates":[[[-122.42,37.77],[-122.39,37.77],[-122.39,37.79],[-122.42,37.79],[-122.42,37.77]]]}},'
        '{"type":"Feature","properties":{"name":"<b>bold</b>","pop":5},"geometry":{"type":"Polygon",'
        '"coordinates":[[[-122.39,37.77],[-122.37,37.77],[-122.37,37.79],[-122.39,37.79],[-122.39,37.77]]]}}]}',
        encoding="utf-8",
    )
    (tmp_path / "crime.csv").write_text("lon,lat,category\n-122.41,37.781,<script>x</script>\n-122.38,37.78,A\n")
    return Study(
        sensitivity=False,
        cameras=tmp_path / "cams.csv",
        units=tmp_path / "units.geojson",
        unit_id="name",
        crime=tmp_path / "crime.csv",
        population="pop",
        name="<i>study</i>",
    )


def test_hostile_text_is_escaped_everywhere(hostile_study):
    result = hostile_study.run()
    html = render_map(build_map(result, title=hostile_study.name))
    report = build_report(result, title=hostile_study.name)
    for payload in [*PAYLOADS[:3], "<b>bold</b>", "<i>study</i>"]:
        assert payload not in html, payload
        assert payload not in report, payload
    # escaped for HTML, then JSON-encoded by folium (& is \u0026): the tooltip shows it as text
    assert "\\u0026lt;img src=x onerror=alert(1)\\u0026gt;" in html
    assert "&lt;b&gt;bold&lt;/b&gt;" in report
    # the direction payload is recorded as a tag problem, escaped
    assert result.views["issues"].str.contains("not a direction", regex=False).sum() >= 4


def test_map_is_deterministic(hostile_study):
    result = hostile_study.run()
    assert render_map(build_map(result)) == render_map(build_map(result))
