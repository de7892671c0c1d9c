"""The report's first page tells the story (summary, caveats, questions before any table), its settings are a
table of rounded values with units, every term links to the glossary, and ``--lang`` writes it in Spanish with
Spanish numbers. The demo is run through the command line (``equity demo --lang ...``)."""

from __future__ import annotations

import html
import json
import re
from html.parser import HTMLParser

import pytest
from click.testing import CliRunner
from hypothesis import given
from hypothesis import strategies as st

from equity.cli import cli
from equity.presentation import i18n
from equity.presentation.formatting import interval, num, pct, points, signed
from equity.presentation.report import plain


class Outline(HTMLParser):
    """The elements of a page in document order, as ``(tag, class, id)``, and the text of each element by the
    position of its start."""

    def __init__(self, text: str) -> None:
        super().__init__()
        self.starts: list[tuple[str, str, str]] = []
        self.hrefs: list[str] = []
        self.ids: set[str] = set()
        self.feed(text)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        self.starts.append((tag, a.get("class") or "", a.get("id") or ""))
        if a.get("id"):
            self.ids.add(a["id"])
        if tag == "a" and (a.get("href") or "").startswith("#"):
            self.hrefs.append(a["href"][1:])

    def first(self, tag: str, cls: str | None = None) -> int:
        """The position of the first element of ``tag`` (with ``cls`` among its classes)."""
        for i, (t, c, _id) in enumerate(self.starts):
            if t == tag and (cls is None or cls in c.split()):
                return i
        raise AssertionError(f"no <{tag} class={cls!r}> in the report")


def _section(report: str, heading: str) -> str:
    """The HTML from the heading ``heading`` to the next heading of its level."""
    start = report.index(f"<h2>{heading}</h2>")
    end = report.find("<h2", start + 4)
    return report[start : end if end > 0 else None]


def test_first_page_tells_the_story_before_any_table(english):
    report = (english / "report.html").read_text()
    page = Outline(report)
    table = page.first("table")
    order = [
        page.first("h1"),
        page.first("p", "analysed"),
        page.first("p", "summary"),
        page.first("div", "caveats"),
        page.first("section", "questions"),
    ]
    assert order == sorted(order)
    assert order[-1] < table
    first = report[: report.index("<table")]
    # the summary is drawn from the results: who has the cameras, who has the crime, what holds and what does not
    summary = first[first.index("<p class='summary'>") : first.index("<div class='warnings caveats'>")]
    text = re.sub(r"<[^>]+>", "", summary)
    assert "Bayview Hunters Point (14.1%)" in text  # the largest share of the area in view
    assert "Mission (11.3%)" in text  # the largest share of recorded crime
    assert (
        "1 unit's class does not hold under uncertainty, and is not a finding: Excelsior (high crime, low coverage "
        "in 54% of the draws)." in text  # p_class 0.54 < 0.9
    )
    assert (
        "these classes hold, each unit's with a probability of at least 0.9 (class probability): “high crime, low "
        "coverage”: Tenderloin, Nob Hill, Western Addition; “low crime, high coverage”: Golden Gate Park, "
        "Lakeshore, Mission Bay." in text
    )
    assert "its interval over the draws (+0.11 to +0.19) lies on one side of zero: it holds" in text
    # what was analysed, with the dates of the data
    assert "343 cameras (OpenStreetMap, as of Oct 4, 2025); 41 units of analysis" in first
    assert "from Jul 1, 2012 to Dec 31, 2012" in first
    # questions for each audience, from the findings
    questions = first[first.index("<section class='questions'>") :]
    for audience in ("To the camera operators", "To the police", "To the council"):
        assert f"<h3>{audience}</h3>" in questions
    assert "San Francisco Police Department runs 316 of the 343 cameras on the map" in questions
    assert "Bayview Hunters Point has 14.1% of the city's area in camera view with 7.3%" in questions
    assert "Which agency records crime in Presidio" in questions


def test_bookkeeping_is_not_a_finding(english):
    report = (english / "report.html").read_text()
    findings = _section(report, "Key findings")
    assert "cameras were read" not in findings
    data = _section(report, "What was read")
    assert "343 cameras were read; 340 of them stand inside the 41 units of analysis" in data
    assert report.index("<h2>What was read</h2>") > report.index("<h2>Units ranked by gap</h2>")


def test_settings_are_a_table_of_rounded_values_with_units(english):
    report = (english / "report.html").read_text()
    table = report[report.index("<table class='settings'>") :]
    table = table[: table.index("</table>")]
    cells = re.findall(r"<td>(.*?)</td>", table)
    assert len(cells) == 3 * len(json.loads((english / "manifest.json").read_text())["settings"])
    text = " ".join(re.sub(r"<[^>]+>", "", c) for c in cells)
    assert not re.search(r"\d\.\d{4,}", text), "a long float in the settings table"
    assert not re.search(r"[{}\[\]]|&#x27;|'", text), "Python dict or list text in the settings table"
    assert "<code>high_crime_quantile</code></td><td>0.667</td><td>0.667</td>" in table
    assert "<code>fixed_fov_deg</code></td><td>60°</td>" in table
    assert "<code>alpr_range_m</code></td><td>25 m</td>" in table
    assert "<code>include_indoor</code></td><td>no</td>" in table
    assert re.search(r"<code>mount_height_m</code></td><td>\w+: \d+(\.\d+)? m; ", table)


def test_every_term_links_to_its_glossary_entry(english):
    report = (english / "report.html").read_text()
    page = Outline(report)
    assert page.hrefs, "no term links to the glossary"
    assert set(page.hrefs) <= page.ids, set(page.hrefs) - page.ids
    for key in ("gap", "own-area", "gini", "concentration-index", "detail-levels", "smoothed-rate", "draws"):
        assert f"g-{key}" in page.ids
    # the headers of the table of the units link to the terms they use
    header = report[report.index("<table class='units'>") : report.index("</thead>")]
    assert "href='#g-gap'" in header
    assert "href='#g-own-area'" in header


def test_the_spanish_report_is_in_spanish_with_spanish_numbers(spanish):
    report = (spanish / "report.html").read_text()
    assert "<html lang='es'>" in report
    for heading in (
        "Resumen",
        "Lo que estas cifras no pueden sostener",
        "Preguntas que hacer",
        "Hallazgos principales",
    ):
        assert heading in report
    for english in ("<h2>Key findings</h2>", "<h2>Summary</h2>", "What these numbers cannot carry"):
        assert english not in report
    assert "10.140 incidentes registrados" in report  # 10,140 in English
    assert "Tenderloin (10,4\u00a0% de los delitos registrados, 1.056 incidentes" in report
    assert "805.235 residentes" in report
    # unit names, operator names and the class robustness stay as the data has them
    assert "Golden Gate Park" in report
    assert "San Francisco Police Department" in report
    assert json.loads((spanish / "manifest.json").read_text())["language"] == "es"


def test_the_english_manifest_records_its_language(english):
    assert json.loads((english / "manifest.json").read_text())["language"] == "en"


def test_an_unknown_language_is_refused(tmp_path):
    res = CliRunner().invoke(cli, ["-q", "demo", "--out", str(tmp_path / "x"), "--lang", "xx"])
    assert res.exit_code == 2
    assert "'xx' is not one of 'en', 'es', 'fr', 'de'" in res.output
    assert not (tmp_path / "x").exists()


@pytest.mark.parametrize(
    ("lang", "expected"),
    [
        ("en", ("1,234.6", "8.6%", "-9.51", "+0.220", "-0.100 to +0.200", "n/a")),
        ("es", ("1.234,6", "8,6\u00a0%", "-9,51", "+0,220", "-0,100 a +0,200", "n/d")),
        ("de", ("1.234,6", "8,6\u00a0%", "-9,51", "+0,220", "-0,100 bis +0,200", "k. A.")),
        ("fr", ("1\u202f234,6", "8,6\u00a0%", "-9,51", "+0,220", "-0,100 à +0,200", "n.d.")),
    ],
)
def test_numbers_follow_the_language(lang, expected):
    with i18n.use(lang):
        got = (num(1234.56), pct(0.0859), points(-0.0951), signed(0.22), interval(-0.1, 0.2), num(None))
    assert got == expected


@given(st.floats(min_value=-1e9, max_value=1e9, allow_nan=False), st.integers(min_value=0, max_value=4))
def test_english_numbers_are_pythons_and_spanish_ones_the_same_figures(value, digits):
    """The figures are rounded the same way in every language (Python's rounding of the float's exact value):
    only the separators change."""
    english = num(value, digits)
    assert english == (f"{int(value):,}" if value.is_integer() and digits == 0 else f"{value:,.{digits}f}")
    with i18n.use("es"):
        spanish = num(value, digits)
    assert spanish == english.replace(",", "\0").replace(".", ",").replace("\0", ".")


def test_plain_values_of_settings():
    assert plain(2 / 3) == "0.667"
    assert plain(0.05) == "0.05"
    assert plain(20261129) == "20,261,129"
    assert plain((0.25, 0.5, 0.25)) == "0.25, 0.5, 0.25"
    assert plain({"street_lamp": 6.0, "wall": 3.5}, " m") == "street_lamp: 6 m; wall: 3.5 m"
    assert plain(True) == "yes"
    with i18n.use("de"):
        assert plain(2 / 3) == "0,667"
        assert plain(False) == "nein"


def test_a_study_without_crime_data_in_french(tmp_path):
    """Cameras and units only: the summary says who has the cameras and that no gap is computed; no question is
    put to the police; the report is in French."""
    out = tmp_path / "out"
    args = ["-q", "analyze", "--cameras", "data/sf/cameras.osm", "--units", "data/sf/neighborhoods.geojson"]
    res = CliRunner().invoke(cli, [*args, "--out", str(out), "--no-sensitivity", "--map-assets", "cdn", "--lang", "fr"])
    assert res.exit_code == 0, res.output
    report = (out / "report.html").read_text()
    assert "<html lang='fr'>" in report
    first = html.unescape(re.sub(r"<[^>]+>", "", report[: report.index("<table")]))
    assert "Sur les 340 caméras dans les unités" in first
    assert "Aucune donnée de délits n'a été fournie : l'écart entre couverture et délits n'est pas calculé." in first
    assert "Aucun tirage des sources d'erreur n'a été fait" in first
    assert "Aux opérateurs des caméras" in first
    assert "À la police" not in first
    assert json.loads((out / "manifest.json").read_text())["language"] == "fr"
