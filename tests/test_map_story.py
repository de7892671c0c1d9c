"""The map as a story: its language, its legend and labels, the buildings, the coverage map without crime data,
and the report's static map and charts (the browser half is in test_browser.py)."""

from __future__ import annotations

import dataclasses
import json
import re

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st

from equity.columns import column
from equity.demo import demo_study
from equity.metrics import CLASS_LABELS
from equity.presentation import i18n
from equity.presentation.charts import bar_chart, map_legend, unit_key, unit_map
from equity.presentation.choropleth import COVERAGE_COLOURS, coverage_classes
from equity.presentation.formatting import class_label
from equity.presentation.maps import (
    ROAD_TOOLTIP,
    UNIT_TOOLTIP,
    build_map,
    number_texts,
    render_map,
    unit_label,
)
from equity.study import Study
from tests.conftest import PAYLOADS


@pytest.fixture(scope="module")
def sf():
    return demo_study(sensitivity=False).run()


@pytest.fixture(scope="module")
def sf_no_crime():
    return dataclasses.replace(demo_study(sensitivity=False), crime=None, no_crime_data=None).run()


def _layer_payloads(html: str) -> list[dict]:
    return [json.loads(m) for m in re.findall(r"const \w+_data = (\{.*?\});\n", html)]


def test_map_in_spanish_has_spanish_text_and_numbers(sf):
    with i18n.use("es"):
        html = render_map(build_map(sf))
    assert html.startswith('<!DOCTYPE html>\n<html lang="es">')
    legend = html.split("<div id='equity-legend'>", 1)[1].split("</div></div></div>", 1)[0]
    assert "<b>Brecha</b>: proporción de la superficie a la vista menos proporción de delitos" in legend
    assert "-9,50" in legend  # the gap's scale, in points, with a decimal comma
    assert "lector de matrículas (ALPR)" in legend
    assert "Unidades: brecha entre cobertura y delitos" in html
    assert "<title>Cobertura de cámaras y delitos</title>" in html
    units = next(p for p in _layer_payloads(html) if p["name"].startswith("Unidades"))
    labels = dict(units["tooltip"])
    assert labels["population"] == "Residentes"
    residents = units["columns"]["population"]["values"]
    assert "23.448" in residents  # Bernal Heights: 23,448 in English
    assert all("," not in v for v in residents)
    shares = units["columns"]["covered_share"]["values"]
    assert any(re.fullmatch(r"\d+,\d{1,2}\u00a0%", v) for v in shares)
    # the names of units are never translated
    assert "Bernal Heights" in units["columns"]["unit_id"]["values"]
    # and outside the block, English again
    assert render_map(build_map(sf)).startswith('<!DOCTYPE html>\n<html lang="en">')


@pytest.mark.parametrize(("lang", "text"), [("es", "1.234,5"), ("de", "1.234,5"), ("fr", "1\u202f234,5")])
def test_camera_numbers_follow_the_language(lang, text):
    with i18n.use(lang):
        shown = number_texts(pd.Series([1234.5, None]), 1, " m")
    assert list(shown) == [f"{text} m", {"es": "n/d", "de": "k. A.", "fr": "n.d."}[lang]]


@settings(max_examples=60, deadline=None)
@given(
    st.floats(min_value=-1e7, max_value=1e7, allow_nan=False),
    st.integers(min_value=0, max_value=2),
    st.sampled_from(["es", "fr", "de"]),
)
def test_fast_localised_numbers_are_babels(value, digits, lang):
    english = number_texts(pd.Series([value]), digits, "")[0]
    with i18n.use(lang):
        # pandas rounds the binary value, Babel the decimal one: compare on the English text's value
        assert number_texts(pd.Series([value]), digits, "")[0] == i18n.number(float(english.replace(",", "")), digits)


def test_map_labels_in_english_are_the_column_records():
    for name in (*UNIT_TOOLTIP, *ROAD_TOOLTIP, "cameras_per_1k_residents", "cameras_per_km2"):
        assert unit_label(name).startswith(column(name).label), name
    for cls, text in CLASS_LABELS.items():
        assert class_label(cls) == text


def test_unit_names_layer_with_zoom_levels(sf):
    html = render_map(build_map(sf))
    payload = json.loads(re.search(r"equityLabelLayer\((\{.*?\})\)", html).group(1))
    names = dict(zip(payload["text"], payload["minZoom"], strict=True))
    assert len(names) == 41
    # a large unit is named from a wider view than a small one
    assert names["Bayview Hunters Point"] < names["Japantown"]
    assert all(0 <= z <= 19 for z in names.values())
    # each label lies inside its unit
    units = sf.units.to_crs(4326).set_index("unit_id")
    for text, lat, lon in zip(payload["text"], payload["lat"], payload["lon"], strict=True):
        assert units.geometry[text].buffer(1e-4).contains(shapely.Point(lon, lat)), text


def test_hostile_unit_names_are_text_in_the_labels(hostile_study):
    result = hostile_study.run()
    html = render_map(build_map(result, title=hostile_study.name))
    payload = re.search(r"equityLabelLayer\((\{.*?\})\)", html).group(1)
    assert "<" not in payload
    assert ">" not in payload
    assert PAYLOADS[1] in json.loads(payload)["text"]
    svg = unit_map(result.units, labels="numbers")
    assert "<script" not in svg
    assert "<img" not in svg


def test_legend_names_every_layer(sf):
    html = render_map(build_map(sf))
    layers = [p["name"] for p in _layer_payloads(html)] + ["Unit names", "Crime incidents (heat)"]
    sections = [json.loads(s.replace("&quot;", '"')) for s in re.findall(r"data-layers='([^']*)'", html)]
    covered = {name for s in sections for name in s}
    assert set(layers) <= covered, set(layers) - covered


def test_without_crime_a_coverage_choropleth(sf_no_crime):
    units = sf_no_crime.units
    classes = coverage_classes(units)
    assert classes.column == "cameras_per_1k_residents"
    assert len(classes.colours) == 5
    # every unit with residents is in a class, each class of about a fifth of them
    has = units["cameras_per_1k_residents"].notna().to_numpy()
    assert set(classes.fill[has]) <= set(COVERAGE_COLOURS)
    assert (classes.fill[~has] == "#cccccc").all()
    counts = pd.Series(classes.fill[has]).value_counts()
    assert counts.max() <= 0.4 * has.sum()
    # the lowest class holds the smallest rate, the highest the largest
    rate = units["cameras_per_1k_residents"].to_numpy()
    assert classes.fill[np.nanargmin(rate)] == classes.colours[0]
    assert classes.fill[np.nanargmax(rate)] == classes.colours[-1]
    html = render_map(build_map(sf_no_crime))
    assert "Units: cameras per 1,000 residents" in html
    assert "No crime data was given" in html
    svg = unit_map(units, legend=True)
    assert "Cameras per 1,000 residents" in svg
    assert svg.count("fill='#cccccc'") < len(units)  # not the grey gap map


def test_without_residents_per_km2():
    units = pd.DataFrame({"cameras_per_1k_residents": [np.nan] * 4, "cameras_per_km2": [0.0, 1.0, 4.0, 9.0]})
    classes = coverage_classes(units, n=2)
    assert classes.column == "cameras_per_km2"
    assert classes.edges == (0.0, 2.5, 9.0)
    assert list(classes.fill) == [COVERAGE_COLOURS[0], COVERAGE_COLOURS[0], COVERAGE_COLOURS[-1], COVERAGE_COLOURS[-1]]


def _scene(tmp_path):
    lon0, lat0, d = 24.94, 60.17, 0.002
    units = {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "properties": {"name": "A"},
                "geometry": {
                    "type": "Polygon",
                    "coordinates": [
                        [
                            [lon0 - d, lat0 - d / 2],
                            [lon0 + d, lat0 - d / 2],
                            [lon0 + d, lat0 + d / 2],
                            [lon0 - d, lat0 + d / 2],
                            [lon0 - d, lat0 - d / 2],
                        ]
                    ],
                },
            }
        ],
    }
    (tmp_path / "units.geojson").write_text(json.dumps(units))
    (tmp_path / "cams.csv").write_text(
        "id,lon,lat,man_made,surveillance,camera:type,direction,camera:mount,height\n"
        f"node/1,{lon0},{lat0},surveillance,public,fixed,0,pole,5\n"
    )

    def box(x, y, kind):
        w = 0.0003
        ring = [[x - w, y], [x + w, y], [x + w, y + w / 2], [x - w, y + w / 2], [x - w, y]]
        return {
            "type": "Feature",
            "properties": {"building": kind},
            "geometry": {"type": "Polygon", "coordinates": [ring]},
        }

    buildings = [box(lon0, lat0 + 0.0002, "commercial"), box(lon0 - 0.001, lat0, "house")]
    (tmp_path / "buildings.geojson").write_text(json.dumps({"type": "FeatureCollection", "features": buildings}))
    return Study(
        sensitivity=False,
        cameras=tmp_path / "cams.csv",
        units=tmp_path / "units.geojson",
        buildings=tmp_path / "buildings.geojson",
    )


def test_buildings_drawn_and_homes_withheld_in_public(tmp_path):
    result = _scene(tmp_path).run()
    assert result.buildings is not None
    assert len(result.buildings) == 1  # the commercial building; the house is a home
    assert result.buildings.attrs["homes_withheld"] == 1
    html = render_map(build_map(result))
    layer = next(p for p in _layer_payloads(html) if p["name"] == "Buildings (used for the viewsheds)")
    assert layer["n"] == 1
    assert layer["style"]["interactive"] is False
    assert "1 homes block views too but are not drawn" in html
    internal = dataclasses.replace(_scene(tmp_path), privacy="internal").run()
    assert len(internal.buildings) == 2


def test_no_buildings_layer_without_buildings(sf):
    assert sf.buildings is None
    assert "Buildings (used for the viewsheds)" not in render_map(build_map(sf))


def test_static_map_labels_and_key(sf):
    cams = sf.views.drop_duplicates("camera_id")
    html = unit_map(sf.units, cams)
    svg, key = html.split("</svg>", 1)
    texts = re.findall(r"<text [^>]*>([^<]*)</text>", svg)
    names = [t for t in texts if not t.isdigit() and not t.endswith(("km", " m"))]
    numbers = [t for t in texts if t.isdigit()]
    assert "Bayview Hunters Point" in names
    assert len(names) + len(numbers) == 41  # each unit carries its name or its number
    assert numbers == [str(i) for i in range(1, len(numbers) + 1)] or sorted(numbers, key=int) == [
        str(i) for i in range(1, len(numbers) + 1)
    ]
    listed = re.findall(r"<b>(\d+)</b> ([^·<]+)", key)
    assert len(listed) == len(numbers)
    assert all(n not in names for _, n in listed)
    # numbers keyed to the caller's table: no list follows
    ranks = {u: str(i) for i, u in enumerate(sf.units.sort_values("gap")["unit_id"], start=1)}
    keyed = unit_map(sf.units, labels="numbers", key=ranks)
    assert "map-key" not in keyed
    assert sorted(re.findall(r"font-weight='700'[^>]*>(\d+)<", keyed), key=int) == sorted(ranks.values(), key=int)
    assert unit_key(sf.units)["Bayview Hunters Point"] == "1"
    assert "plate reader (ALPR)" in map_legend(sf.units, cams)


def test_bar_chart_text_stays_inside():
    items = [("hillside", 123456.5), ("flat", 3.2), ("a label far longer than the others, cut at forty", 7.0)]
    svg = bar_chart(items, unit="crimes per 1,000", digits=1)
    width = int(re.search(r"width='(\d+)'", svg).group(1))
    assert f"viewBox='0 0 {width} " in svg
    for x, anchor, text in re.findall(
        r"<text x='([\d.]+)' y='[\d.]+'( text-anchor='end')? font-size='11'>([^<]*)<", svg
    ):
        left = float(x) - (6.5 * len(text) if anchor else 0)
        right = float(x) + (0 if anchor else 6.5 * len(text))
        assert left >= 0
        assert right <= width, text


def test_static_map_of_many_small_units_writes_no_list_of_hundreds():
    cells = [shapely.box(x * 100, y * 100, x * 100 + 100, y * 100 + 100) for x in range(20) for y in range(10)]
    units = gpd.GeoDataFrame(
        {
            "unit_id": [f"Census tract {i:04d}" for i in range(200)],
            "gap": np.linspace(-0.1, 0.1, 200),
            "class": ["other"] * 200,
        },
        geometry=cells,
        crs=32616,
    )
    html = unit_map(units)
    assert "map-key" not in html
    assert "font-weight='700'" not in html
    numbered = unit_map(units, labels="numbers")
    assert numbered.count("font-weight='700'") == 200


def test_road_layers_draw_only_the_logged_segments_and_entrances(sf):
    """The SF demo's plate readers on the map: its logged segments and its units' road entrances, never all of the
    city's streets, in a few tens of kilobytes; each with its legend section."""
    roads = sf.roads
    html = render_map(build_map(sf))
    layers = {p["name"]: p for p in _layer_payloads(html)}
    segments = layers["Plate readers: road segments logged"]
    assert segments["n"] == len(roads.segments) < 1_000
    assert segments["geometry"]["kind"] in ("line", "multiline")
    entrances = layers["Plate readers: road entrances of the units"]
    assert entrances["n"] == int(roads.crossings["inward"].astype(bool).sum())
    assert "Plate readers: cordoned units" not in layers  # no SF neighbourhood is cordoned
    size = sum(len(json.dumps(p)) for name, p in layers.items() if name.startswith("Plate readers"))
    assert size < 150_000
    assert "logged in one direction of travel" in html
    assert "a road entrance where no plate reader logs the traffic entering" in html


def test_lines_encoded_for_the_map_layer():
    from equity.presentation.maplayer import encode_geometry

    lines = gpd.GeoSeries([shapely.LineString([(1.0, 2.0), (1.00002, 2.00001)]), shapely.LineString([(3, 4), (3, 5)])])
    g = encode_geometry(lines)
    assert g["kind"] == "line"
    assert g["offsets"] == [[0, 2, 4]]
    assert g["x"] == [100_000, 2, 199_998, 0]  # differences of 1e-5 degrees
    multi = gpd.GeoSeries([shapely.MultiLineString([[(0, 0), (0, 1)], [(1, 1), (2, 1)]]), lines.iloc[1]])
    g = encode_geometry(multi)
    assert g["kind"] == "multiline"
    assert g["offsets"] == [[0, 2, 4, 6], [0, 2, 3]]


def test_road_layers_in_spanish(sf):
    with i18n.use("es"):
        html = render_map(build_map(sf))
    assert "Lectores de matrículas: tramos de calle registrados" in html
    assert "tráfico en dirección" in html
    assert "Proporción de calles registradas" in html
    assert "traffic heading" not in html
