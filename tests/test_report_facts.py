"""The report shows the facts the other parts of the analysis computed: the plate readers' roads (summary, key
finding, section, street layer's caveat, glossary), the crime data's period label and tables of counts, a population
raster, a DEM of several tiles and the links to the unit pages; in English and in Spanish.

Known answers on the San Francisco demo (docs/roads.md: 1.5 % of the road length logged, 16 of 2,597 entrances
logged inward, no neighbourhood cordoned, South of Market first at 4.8 %), and on small real-shaped scenes: a
crossroads whose four arms each carry a plate reader facing out (the unit around the crossing is cordoned), the
SF neighbourhoods with one table of counts per category, a 4 x 4 population raster, two DEM tiles.
"""

from __future__ import annotations

import html
import json
import math
import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from equity import Study
from equity.cli import cli
from equity.presentation import i18n
from equity.presentation.report import build_report
from tests.test_crime_tables import sf_tables  # noqa: F401  (a fixture)
from tests.test_dem_tiles import _study_files, _utm_tiles
from tests.test_population_raster import COUNTS, _lonlat_scene


def _text(page: str) -> str:
    """The text of an HTML page or fragment, tags dropped, entities read, white space collapsed."""
    inline = re.sub(r"</?(a|b|code|span)\b[^>]*>", "", page)
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", inline)).split())


def _first_page(page: str) -> str:
    start = page.index("<section class='first-page'>")
    return page[start : page.index("</section>", page.index("class='questions'", start) + 1) + 1]


def test_the_demo_first_page_says_what_the_plate_readers_log_on_the_roads(english):
    page = (english / "report.html").read_text()
    one = _text(_first_page(page))
    assert (
        "Plate readers log 1.5% of the units' road length (roads logged) and 16 of their 2,597 road entrances "
        "inward; cordoned units: none."
    ) in one
    # after the cameras' sentence of the summary, before the crime's
    assert one.index("Of the 340 cameras") < one.index("Plate readers log") < one.index("The largest shares")
    assert "The street layer has no road classes or one-way tags. Its date is not in the data" in one
    for key in ("road-logged", "entrance", "cordoned"):
        assert f"href='#g-{key}'" in page
        assert f"id='g-{key}'" in page
    assert "cordoned by plate readers" not in _text(page)  # no unit is cordoned: no key finding says one is


def test_the_demo_roads_section_lists_the_top_units_and_the_method(english):
    page = (english / "report.html").read_text()
    start = page.index("<h2>Plate readers on the roads</h2>")
    section = page[start : page.index("<h2>", start + 10)]
    text = _text(section)
    assert "342 plate-reader views are matched to a road segment and log 323 segments" in text
    assert "1.5% of the units' road length (37.3 of 2,486.0 km)" in text
    assert "2 views are matched to no segment" in text
    rows = re.findall(r"<tr><td>(.*?)</td><td>.*?</td><td>.*?</td><td>(.*?)</td>", section)
    assert [r[0] for r in rows[:5]] == [
        "South of Market",
        "Mission",
        "Visitacion Valley",
        "Japantown",
        "Bayview Hunters Point",
    ]
    assert rows[0][1] == "4.8%"
    assert len(rows) == 10
    assert "Share of roads logged, by class" not in text  # the 2015 streets have no classes
    assert "within 30 m (alpr_match_m)" in text
    assert "within 45° (alpr_match_angle_deg)" in text
    assert "the front plates of the vehicles coming towards it, which travel at bearing θ + 180°" in text
    assert "street layer streets_osm_2015.geojson (Every OpenStreetMap street way of San Francisco as of 2015" in text
    assert "It has no road classes, so every road weighs the same." in text


def test_the_units_table_links_each_unit_to_its_page(english):
    page = (english / "report.html").read_text()
    table = page[page.index("<table class='units'>") : page.index("</table>", page.index("<table class='units'>"))]
    links = re.findall(r"<td><a href='units/([a-z0-9-]+\.html)'>(.*?)</a></td>", table)
    assert len(links) == 41
    assert ("tenderloin.html", "Tenderloin") in links
    for name, _unit in links:
        assert (english / "units" / name).is_file()
    after = page[page.index("</table>", page.index("<table class='units'>")) :]
    assert after.index("<a href='units/index.html'>A page per unit, to print</a>") < 200
    assert (english / "units" / "index.html").is_file()


def test_the_spanish_demo_says_the_same_in_spanish(spanish):
    page = (spanish / "report.html").read_text()
    one = _text(_first_page(page))
    assert (
        "Los lectores de matrículas registran el 1,5 % de la longitud de calles de las unidades (calles registradas)"
        " y 16 de sus 2.597 entradas por carretera hacia dentro; unidades acordonadas: ninguna."
    ) in one
    assert "La capa de calles no tiene clases de vía ni sentidos únicos." in one
    text = _text(page)
    assert "Lectores de matrículas en las calles" in text
    assert "342 vistas de lectores de matrículas se asignan a un tramo de calle y registran 323 tramos" in text
    assert "Una página por unidad, para imprimir" in text
    assert re.search(r"<td><a href='units/tenderloin\.html'>Tenderloin</a></td>", page)


# --- a cordoned crossroads --------------------------------------------------------------------------------------

LON0, LAT0 = -122.42, 37.77
M_LAT = 1 / 111_320
M_LON = 1 / (111_320 * math.cos(math.radians(LAT0)))


def _ll(x: float, y: float) -> list[float]:
    """Metres east and north of the crossing, as longitude and latitude."""
    return [LON0 + x * M_LON, LAT0 + y * M_LAT]


def _box(name: str, x0: float, y0: float, x1: float, y1: float) -> dict:
    ring = [_ll(x0, y0), _ll(x1, y0), _ll(x1, y1), _ll(x0, y1), _ll(x0, y0)]
    return {"type": "Feature", "properties": {"name": name}, "geometry": {"type": "Polygon", "coordinates": [ring]}}


@pytest.fixture
def crossroads(tmp_path) -> dict[str, Path]:
    """A crossing at the centre of the unit "Crossing" (200 m square), its four arms 300 m long, and a unit
    "East" beside it; on each arm, 60 m from the crossing, a plate reader facing out: it reads the front plates
    of the vehicles driving in."""
    units = {
        "type": "FeatureCollection",
        "features": [_box("Crossing", -100, -100, 100, 100), _box("East", 100, -100, 300, 100)],
    }
    (tmp_path / "units.geojson").write_text(json.dumps(units))
    lines = [[_ll(-300, 0), _ll(300, 0)], [_ll(0, -300), _ll(0, 300)]]
    streets = {
        "type": "FeatureCollection",
        "features": [
            {"type": "Feature", "properties": {}, "geometry": {"type": "LineString", "coordinates": c}} for c in lines
        ],
    }
    (tmp_path / "streets.geojson").write_text(json.dumps(streets))
    rows = ["id,lon,lat,man_made,surveillance,surveillance:type,direction"]
    for i, (x, y, d) in enumerate([(0, 60, 0), (60, 0, 90), (0, -60, 180), (-60, 0, 270)], start=1):
        lon, lat = _ll(x, y)
        rows.append(f"node/{i},{lon:.7f},{lat:.7f},surveillance,public,ALPR,{d}")
    (tmp_path / "cameras.csv").write_text("\n".join(rows) + "\n")
    return {k: tmp_path / f"{k}.{e}" for k, e in (("units", "geojson"), ("streets", "geojson"), ("cameras", "csv"))}


def test_a_cordoned_unit_is_a_key_finding_and_named_on_the_first_page(crossroads):
    result = Study(
        cameras=crossroads["cameras"],
        units=crossroads["units"],
        streets=crossroads["streets"],
        sensitivity=False,
        statistics=False,
    ).run()
    assert result.roads.cordoned == ["Crossing"]
    for lang, summary, finding, street in (
        (
            "en",
            "and 4 of their 4 road entrances inward; cordoned units: Crossing.",
            "1 unit is cordoned by plate readers: every road entrance into it is logged inward, so no car enters it "
            "by road without being logged: Crossing.",
            "The street layer has no road classes or one-way tags. Its date is not in the data",
        ),
        (
            "es",
            "y 4 de sus 4 entradas por carretera hacia dentro; unidades acordonadas: Crossing.",
            "1 unidad está acordonada por lectores de matrículas: todas sus entradas por carretera están registradas "
            "hacia dentro, así que ningún coche entra en ella por carretera sin ser registrado: Crossing.",
            "La capa de calles no tiene clases de vía ni sentidos únicos. Su fecha no consta en los datos",
        ),
    ):
        with i18n.use(lang):
            page = build_report(result)
        one = _text(_first_page(page))
        assert summary in one
        assert street in one
        findings = page[page.index("<ul class='findings'>") : page.index("</ul>", page.index("<ul class='findings'>"))]
        assert finding in _text(findings)
        section = page[
            page.index("<table class='roads'>") : page.index("</table>", page.index("<table class='roads'>"))
        ]
        assert re.search(r"<tr><td>Crossing</td>.*?<td>4</td><td>4</td><td>0</td><td>(yes|sí)</td></tr>", section)


# --- the crime data's period and tables ---------------------------------------------------------------------------


def test_crime_tables_and_their_period_in_the_sources_and_the_dates_caveat(sf_tables, tmp_path):  # noqa: F811
    units_path, tables, _expected = sf_tables
    sf = Path(__file__).parents[1] / "data" / "sf"
    for lang, period, caveat, table in (
        (
            "en",
            "period: July-December 2012",
            "The crime data is counts per unit without incident dates (drug_narcotic_2012h2.csv, robbery_2012h2.csv, "
            "vandalism_2012h2.csv, vehicle_theft_2012h2.csv), labelled as covering July-December 2012; the camera "
            "data is from Oct 4, 2025",
            "table robbery_2012h2.csv: units by column Neighborhood, counts in column Incidents",
        ),
        (
            "es",
            "periodo: July-December 2012",
            "Los datos de delitos son recuentos por unidad sin fechas de los incidentes (drug_narcotic_2012h2.csv, "
            "robbery_2012h2.csv, vandalism_2012h2.csv, vehicle_theft_2012h2.csv), etiquetados como del periodo "
            "July-December 2012; los datos de cámaras son del 4 oct 2025",
            "tabla robbery_2012h2.csv: unidades por la columna Neighborhood, recuentos en la columna Incidents",
        ),
    ):
        out = tmp_path / lang
        args = ["-q", "analyze", "--cameras", str(sf / "cameras.osm"), "--units", str(units_path), "--no-sensitivity"]
        args += [a for t in tables for a in ("--crime-table", str(t))]
        args += ["--crime-table-complete", "--period", "July-December 2012", "--map-assets", "cdn", "--lang", lang]
        res = CliRunner().invoke(cli, [*args, "--out", str(out)])
        assert res.exit_code == 0, res.output
        page = (out / "report.html").read_text()
        one = _text(_first_page(page))
        assert caveat in one
        sources = _text(page[page.index("<h2>" + ("Data sources" if lang == "en" else "Fuentes de datos")) :])
        assert period in sources
        assert table in sources


def test_crime_tables_without_a_period_say_the_time_is_not_known(sf_tables, tmp_path):  # noqa: F811
    units_path, tables, _expected = sf_tables
    sf = Path(__file__).parents[1] / "data" / "sf"
    result = Study(
        cameras=sf / "cameras.osm", units=units_path, crime_table=tables[:1], sensitivity=False, statistics=False
    ).run()
    page = build_report(result)
    assert (
        "The crime data is counts per unit without incident dates (drug_narcotic_2012h2.csv), and no period was "
        "given (--period), so the time it covers is not known; the camera data is from Oct 4, 2025"
    ) in _text(_first_page(page))


# --- a population raster ------------------------------------------------------------------------------------------


def test_a_population_raster_in_the_sources_and_the_methodology(tmp_path):
    raster, units, cams = _lonlat_scene(tmp_path, COUNTS)
    result = Study(cameras=cams, units=units, population=raster, sensitivity=False, statistics=False).run()
    for lang, facts, formula in (
        (
            "en",
            "usa_ppp_2020.tif (a raster of residents per cell; year 2020 (from the file name); 136 residents in "
            "the units; ",
            "Population is taken from a raster of residents per cell by exact zonal sums: P_u = Σ_c f_uc · v_c",
        ),
        (
            "es",
            "usa_ppp_2020.tif (un ráster de residentes por celda; año 2020 (según el nombre del archivo); 136 "
            "residentes en las unidades; ",
            "La población se toma de un ráster de residentes por celda mediante sumas zonales exactas: P_u = Σ_c f_uc",
        ),
    ):
        with i18n.use(lang):
            text = _text(build_report(result))
        assert facts in text
        assert formula in text
        assert "P_u = Σ_s P_s" not in text  # not the polygons' formula


# --- a DEM of several tiles ---------------------------------------------------------------------------------------


def test_the_tiles_of_a_dem_are_listed_in_the_sources(tmp_path):
    west, east, _one = _utm_tiles(tmp_path)
    units, cams = _study_files(tmp_path, [west, east])
    result = Study(cameras=cams, units=units, dem=[west, east], sensitivity=False, statistics=False).run()
    assert result.meta["dem"]["tiles"] == ["west.tif", "east.tif"]
    for lang, line in (
        ("en", "a mosaic of 2 tiles, laid in this order (a later one on top): west.tif, east.tif"),
        ("es", "un mosaico de 2 teselas, puestas en este orden (la posterior encima): west.tif, east.tif"),
    ):
        with i18n.use(lang):
            page = build_report(result)
        sources = page[page.index("<h2>" + ("Data sources" if lang == "en" else "Fuentes de datos")) :]
        items = [_text(li) for li in re.findall(r"<li><b>dem</b>.*?</li>", sources)]
        assert len(items) == 1
        assert line in items[0]
