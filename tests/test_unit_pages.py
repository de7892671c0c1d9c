"""The unit pages: ``units/<slug>.html`` and ``units/index.html`` written with every analysis, and ``equity report
DIR --unit NAME`` that writes a unit's page again from the folder.

A small study of three squares (known answers: its cameras, residents and incidents are placed by hand), the San
Francisco demo's Tenderloin through the command line, unit names from ``tests/conftest.py``'s PAYLOADS, and the
pages in a real browser (headless Chromium through Playwright) with the network refused.
"""

from __future__ import annotations

import html
import json
import re
import shutil
from html.parser import HTMLParser
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner
from hypothesis import given
from hypothesis import strategies as st

from equity.cli import cli
from equity.io.outputs import UNIT_PAGE_NAME
from equity.presentation import i18n
from equity.presentation.unit_page import slug, unit_slugs
from tests.conftest import PAYLOADS
from tests.test_browser import browser, share_screenshot  # noqa: F401 (browser: the fixture of a headless Chromium)

#: Where the browser test leaves its screenshot for people to look at (a temporary folder where it cannot).

# -- fixtures -------------------------------------------------------------------------------------------------

CAMERA_HEADER = "id,lon,lat,man_made,operator,name,surveillance,camera:type,direction,camera:mount"
#: Three squares of 0.01° side in a row; Bêta has fewer residents than the small-population threshold (1,000).
SQUARES = (("Alpha Norte", -122.42, 2000), ("Bêta", -122.41, 500), ("Gamma", -122.40, 1500))
#: Cameras placed by hand: four in Alpha Norte (three of the police, one of a shop whose name is HTML), one in
#: Gamma, none in Bêta, one outside every unit.
CAMERAS = (
    ("node/1", -122.415, 37.775, "City Police", "north", 0),
    ("node/2", -122.418, 37.772, "City Police", "", 90),
    ("node/3", -122.412, 37.777, "City Police", "", 180),
    ("node/4", -122.416, 37.778, "Shop <b>&</b> Co", "", 270),
    ("node/5", -122.395, 37.775, "City Police", "", 45),
    ("node/6", -122.405, 37.795, "City Police", "", 45),  # north of every unit: in none
)
#: Incidents: three in Alpha Norte, two in Bêta, one in Gamma.
INCIDENTS = ((-122.414, 37.774), (-122.417, 37.776), (-122.411, 37.773), (-122.405, 37.775), (-122.404, 37.776))
INCIDENTS += ((-122.394, 37.774),)


def _squares(names_pops: list[tuple[str, float, int]]) -> str:
    features = []
    for name, west, pop in names_pops:
        ring = [[west, 37.77], [west + 0.01, 37.77], [west + 0.01, 37.78], [west, 37.78], [west, 37.77]]
        features.append(
            {
                "type": "Feature",
                "properties": {"name": name, "pop": pop},
                "geometry": {"type": "Polygon", "coordinates": [ring]},
            }
        )
    return json.dumps({"type": "FeatureCollection", "features": features}, ensure_ascii=False)


def _analyze(folder: Path, units: list[tuple[str, float, int]], *extra: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    rows = [CAMERA_HEADER]
    for cid, lon, lat, operator, name, direction in CAMERAS:
        rows.append(f'{cid},{lon},{lat},surveillance,"{operator}",{name},public,fixed,{direction},wall')
    (folder / "cams.csv").write_text("\n".join(rows) + "\n", encoding="utf-8")
    (folder / "units.geojson").write_text(_squares(units), encoding="utf-8")
    crime = ["lon,lat,category"] + [f"{lon},{lat},theft" for lon, lat in INCIDENTS]
    (folder / "crime.csv").write_text("\n".join(crime) + "\n", encoding="utf-8")
    out = folder / "out"
    args = ["-q", "analyze", "--cameras", str(folder / "cams.csv"), "--units", str(folder / "units.geojson")]
    args += ["--unit-id", "name", "--crime", str(folder / "crime.csv"), "--population", "pop", "--name", "Squares"]
    args += ["--out", str(out), "--map-assets", "cdn", "--no-sensitivity", *extra]
    res = CliRunner().invoke(cli, args, obj={})
    assert res.exit_code == 0, res.output
    return out


@pytest.fixture(scope="module")
def squares(tmp_path_factory) -> Path:
    return _analyze(tmp_path_factory.mktemp("squares"), list(SQUARES))


@pytest.fixture(scope="module")
def demo(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("demo") / "out"
    res = CliRunner().invoke(cli, ["-q", "demo", "--out", str(out), "--map-assets", "inline"], obj={})
    assert res.exit_code == 0, res.output
    return out


def _values(page: str) -> dict[str, float | None]:
    """The figures of a page's table: ``data-col`` to ``data-value`` (None for a value shown as unknown)."""
    return {c: (float(v) if v else None) for c, v in re.findall(r"data-col='([^']+)' data-value='([^']*)'", page)}


def _shown(page: str, col: str) -> str:
    m = re.search(rf"data-col='{re.escape(col)}' data-value='[^']*'>([^<]*)</td>", page)
    assert m, col
    return html.unescape(m.group(1))


def _units_csv(out: Path) -> pd.DataFrame:
    return pd.read_csv(out / "units.csv", keep_default_na=True).set_index("unit_id")


# -- known answers --------------------------------------------------------------------------------------------


def test_unit_page_numbers_are_the_units_csv_row(squares):
    units = _units_csv(squares)
    assert sorted(p.name for p in (squares / "units").iterdir()) == [
        "alpha-norte.html",
        "beta.html",
        "gamma.html",
        "index.html",
    ]
    page = (squares / "units" / "alpha-norte.html").read_text(encoding="utf-8")
    values = _values(page)
    row = units.loc["Alpha Norte"]
    shown_unit = [c for c in values if not c.startswith("city:")]
    assert {"population", "cameras", "cameras_per_1k_residents", "crimes", "gap", "covered_share"} <= set(shown_unit)
    for col in shown_unit:
        expected = row[col]
        if pd.isna(expected):
            assert values[col] is None, col
        else:
            assert values[col] == pytest.approx(float(expected), abs=1e-9), col
    # the hand-placed answers
    assert row["cameras"] == 4
    assert values["cameras"] == 4
    assert row["population"] == 2000
    assert row["crimes"] == 3
    assert values["cameras_per_1k_residents"] == pytest.approx(2.0)
    assert _shown(page, "cameras_per_1k_residents") == "2.00"
    assert _shown(page, "crimes_per_1k") == "1.5"
    assert _shown(page, "population") == "2,000"
    # the city: sums over the three squares, and ratios of the sums
    assert values["city:cameras"] == 5
    assert values["city:population"] == 4000
    assert values["city:crimes"] == 6
    assert values["city:cameras_per_1k_residents"] == pytest.approx(1000 * 5 / 4000)
    assert values["city:crimes_per_1k"] == pytest.approx(1000 * 6 / 4000)
    assert values["city:cameras_per_km2"] == pytest.approx(5 / units["area_km2"].sum(), rel=1e-5)
    assert values["city:covered_share"] == pytest.approx(units["covered_km2"].sum() / units["open_km2"].sum(), rel=1e-4)
    # its cameras and who runs them; the operator's name is escaped
    assert "<td>City Police</td><td class='n'>3</td>" in page
    assert "Shop &lt;b&gt;&amp;&lt;/b&gt; Co" in page
    assert "Shop <b>" not in page
    assert page.count("<circle") == 4  # the four cameras on its map
    assert "The dates of the data are not known." in page  # a CSV of cameras, incidents without dates


def test_caveats_apply_to_the_unit(squares):
    beta = (squares / "units" / "beta.html").read_text(encoding="utf-8")
    alpha = (squares / "units" / "alpha-norte.html").read_text(encoding="utf-8")
    assert "Fewer than 1,000 residents live here" in beta
    assert "No camera is mapped in this unit" in beta
    assert "Fewer than 1,000 residents" not in alpha
    assert "No camera is mapped" not in alpha
    assert "its probability was not computed" in alpha  # --no-sensitivity: no draws, said so
    index = (squares / "units" / "index.html").read_text(encoding="utf-8")
    assert re.findall(r"href='([^']+)'", index) == ["../report.html", "alpha-norte.html", "beta.html", "gamma.html"]
    assert "B\u00eata" in index  # the name as written, not its slug


def test_a_page_without_crime_data_says_unknown_not_zero(tmp_path):
    out = _analyze(tmp_path, list(SQUARES), "--no-crime-data", "Gamma")
    page = (out / "units" / "gamma.html").read_text(encoding="utf-8")
    assert "No crime data covers this unit" in page
    assert _values(page)["crimes"] is None
    assert _shown(page, "crimes") == "n/a"
    assert _shown(page, "gap") == "n/a"
    assert "Class: no crime data." in page


def test_earlier_unit_pages_are_replaced_whole(squares, tmp_path):
    out = tmp_path / "copy"
    shutil.copytree(squares, out)
    (out / "units" / "stale-unit.html").write_text("old", encoding="utf-8")
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["unit_pages"] == {"folder": "units/", "files": 4}
    src = Path(manifest["inputs"]["units"]["path"]).parent
    args = ["-q", "analyze", "--cameras", str(src / "cams.csv"), "--units", str(src / "units.geojson"), "--unit-id"]
    args += ["name", "--crime", str(src / "crime.csv"), "--population", "pop", "--name", "Squares", "--out", str(out)]
    res = CliRunner().invoke(cli, [*args, "--map-assets", "cdn", "--no-sensitivity"], obj={})
    assert res.exit_code == 0, res.output
    assert not (out / "units" / "stale-unit.html").exists()
    assert len(list((out / "units").iterdir())) == 4
    assert not [p for p in out.iterdir() if p.name.startswith(".equity-staging")]


# -- user text in names ---------------------------------------------------------------------------------------


class _Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[str] = []
        self.handlers: list[str] = []
        self.hrefs: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        self.handlers += [k for k, _v in attrs if k.startswith("on")]
        self.hrefs += [v for k, v in attrs if k == "href"]


HOSTILE = [*PAYLOADS, "../../etc/passwd", "index", "Nob Hill", "nob hill", "CON", "東京", "nan"]


def test_hostile_unit_names_are_escaped_and_make_safe_file_names(tmp_path):
    units = [(name, -122.46 + 0.01 * i, 1000 + i) for i, name in enumerate(HOSTILE)]
    out = _analyze(tmp_path, units)
    files = sorted(p.name for p in (out / "units").iterdir())
    assert len(files) == len(HOSTILE) + 1
    assert all(UNIT_PAGE_NAME.match(f) for f in files), files
    assert {"nob-hill.html", "nob-hill-2.html", "index-unit.html", "con-unit.html", "etc-passwd.html"} <= set(files)
    assert not (tmp_path / "etc").exists()
    assert not (out / "etc").exists()
    nan = (out / "units" / "nan.html").read_text(encoding="utf-8")
    assert "<h1>nan</h1>" in nan
    assert nan.count("<circle") == 0  # the camera outside every unit is not the unit "nan"'s
    index = (out / "units" / "index.html").read_text(encoding="utf-8")
    for name in HOSTILE:
        assert html.escape(name, quote=True) in index, name
    for path in (out / "units").iterdir():
        text = path.read_text(encoding="utf-8")
        parser = _Tags()
        parser.feed(text)
        assert not {"script", "img", "iframe", "svg"} & set(parser.tags[: parser.tags.index("body")]), path.name
        assert "script" not in parser.tags, path.name
        assert "img" not in parser.tags, path.name
        assert parser.handlers == [], path.name
        assert all(not h.startswith("javascript:") for h in parser.hrefs), path.name
        assert all(h.startswith("../") or UNIT_PAGE_NAME.match(h) for h in parser.hrefs), path.name
    # equity report finds a hostile name as written, and a folded one
    runner = CliRunner()
    res = runner.invoke(cli, ["report", str(out), "--unit", PAYLOADS[0]], obj={})
    assert res.exit_code == 0, res.output
    assert f"<h1>{html.escape(PAYLOADS[0], quote=True)}</h1>" in res.output
    res = runner.invoke(cli, ["report", str(out), "--unit", "nob hill"], obj={})
    assert res.exit_code == 0, res.output  # the id as written comes first
    assert "<h1>nob hill</h1>" in res.output
    res = runner.invoke(cli, ["report", str(out), "--unit", "NOB HILL"], obj={})
    assert res.exit_code == 2
    assert "names 2 units ('Nob Hill', 'nob hill'); give the id as written" in res.output


@given(st.lists(st.text(max_size=40), max_size=12))
def test_slugs_are_safe_unique_and_independent_of_order(ids):
    names = unit_slugs(ids)
    assert set(names) == {str(i) for i in ids}
    assert len(set(names.values())) == len(names)
    assert all(UNIT_PAGE_NAME.match(n) and n != "index.html" for n in names.values())
    assert unit_slugs(list(reversed(ids))) == names


def test_slug_known_answers():
    assert slug("Bayview Hunters Point") == "bayview-hunters-point"
    assert slug("São Paulo / Sé") == "sao-paulo-se"
    assert slug("..") == "unit"
    assert slug("x" * 200) == "x" * 60


# -- the San Francisco demo: Tenderloin -----------------------------------------------------------------------


def test_demo_tenderloin_page(demo):
    units = _units_csv(demo)
    pages = sorted(p.name for p in (demo / "units").iterdir())
    assert len(pages) == len(units) + 1 == 42
    page = (demo / "units" / "tenderloin.html").read_text(encoding="utf-8")
    values = _values(page)
    row = units.loc["Tenderloin"]
    for col in ("cameras", "population", "crimes", "crimes_per_1k", "crimes_per_1k_smoothed", "gap", "covered_share"):
        assert values[col] == pytest.approx(float(row[col]), abs=1e-9), col
    assert _shown(page, "cameras") == "3"
    assert _shown(page, "crimes") == "1,056"
    assert _shown(page, "gap") == "-9.50"
    assert values["city:cameras"] == units["cameras"].sum()
    assert "Class: high crime, low coverage; it holds in 100.0% of 1,000 draws" in page
    assert "(robust)" in page
    assert "<td>San Francisco Police Department</td><td class='n'>3</td>" in page
    assert "Every camera counted here is a licence-plate reader" in page
    assert "cameras from OpenStreetMap data of Oct 4, 2025" in page
    assert "crime recorded from Jul 1, 2012 to Dec 31, 2012" in page
    assert "13 years newer than the crime data" in page
    assert "homes" not in page.lower()
    # a class that does not hold over the draws says so, on its page and in the index
    excelsior = (demo / "units" / "excelsior.html").read_text(encoding="utf-8")
    assert units.loc["Excelsior", "robustness"] == "uncertain"
    assert "Its class is uncertain: it holds in" in excelsior
    index = (demo / "units" / "index.html").read_text(encoding="utf-8")
    assert "excelsior.html'>Excelsior</a></td><td class='cls'>high crime, low coverage (uncertain)</td>" in index


def test_equity_report_renders_the_page_again(demo, tmp_path):
    runner = CliRunner()
    written = (demo / "units" / "tenderloin.html").read_text(encoding="utf-8")
    res = runner.invoke(cli, ["report", str(demo), "--unit", "  TENDERLOIN "], obj={})
    assert res.exit_code == 0, res.output
    table = re.compile(r"<table class='numbers'>.*?</table>", re.S)
    assert table.search(res.output).group(0) == table.search(written).group(0)
    assert "<nav>" not in res.output  # a page on its own links nowhere
    # in Spanish, to a file
    target = tmp_path / "tenderloin-es.html"
    res = runner.invoke(cli, ["report", str(demo), "--unit", "Tenderloin", "--lang", "es", "-o", str(target)], obj={})
    assert res.exit_code == 0, res.output
    es = target.read_text(encoding="utf-8")
    assert "<html lang='es'>" in es
    assert _shown(es, "crimes") == "1.056"
    assert _shown(es, "gap") == "-9,50"
    assert "Clase: muchos delitos, poca cobertura" in es
    assert "del 1 jul 2012 al 31 dic 2012" in es
    assert _values(es) == _values(written)
    # an accented, spaced name
    res = runner.invoke(cli, ["report", str(demo), "--unit", "bayview  hunters POÍNT", "--lang", "de"], obj={})
    assert res.exit_code == 0
    assert "<h1>Bayview Hunters Point</h1>" in res.output
    # every page, in French, into a folder of its own; the links lead back to the analysis's report
    res = runner.invoke(cli, ["report", str(demo), "--all", "--lang", "fr", "-o", str(tmp_path / "fr")], obj={})
    assert res.exit_code == 0, res.output
    assert len(list((tmp_path / "fr").iterdir())) == 42
    index = (tmp_path / "fr" / "index.html").read_text(encoding="utf-8")
    report = re.search(r"<nav><a href='([^']+)'", index).group(1)
    assert (tmp_path / "fr" / report).resolve() == (demo / "report.html").resolve()
    assert "Les unités, une page chacune" in index


def test_equity_report_refuses_in_one_sentence(demo, tmp_path):
    runner = CliRunner()
    res = runner.invoke(cli, ["report", str(demo), "--unit", "Tenderlion"], obj={})
    assert res.exit_code == 2
    assert res.output.strip() == (
        f"equity: error: {demo}: holds no unit named 'Tenderlion'; the closest names are 'Tenderloin'."
    )
    res = runner.invoke(cli, ["report", str(tmp_path / "nothing"), "--unit", "Tenderloin"], obj={})
    assert res.exit_code == 2
    assert "no such folder" in res.output
    res = runner.invoke(cli, ["report", str(tmp_path), "--unit", "Tenderloin"], obj={})
    assert res.exit_code == 2
    assert "holds no units.gpkg" in res.output
    res = runner.invoke(
        cli, ["report", str(demo), "--unit", "Tenderloin", "-o", str(demo / "units" / "x.html")], obj={}
    )
    assert res.exit_code == 2
    assert "never changes" in res.output
    assert not (demo / "units" / "x.html").exists()
    res = runner.invoke(cli, ["report", str(demo)], obj={})
    assert res.exit_code == 2
    assert "either --unit NAME or --all" in res.output
    res = runner.invoke(cli, ["report", str(demo), "--unit", "Tenderloin", "--lang", "xx"], obj={})
    assert res.exit_code == 2
    assert "language 'xx'" in res.output
    (tmp_path / "a-file").write_text("", encoding="utf-8")
    res = runner.invoke(cli, ["report", str(demo), "--unit", "Tenderloin", "-o", str(tmp_path / "a-file" / "p.html")])
    assert res.exit_code == 2
    assert res.output.startswith(f"equity: error: {tmp_path / 'a-file' / 'p.html'}: cannot write the page (")
    broken = tmp_path / "broken"
    shutil.copytree(demo, broken, ignore=shutil.ignore_patterns("units", "map.html", "report.html"))
    (broken / "manifest.json").write_text("{not json", encoding="utf-8")
    res = runner.invoke(cli, ["report", str(broken), "--unit", "Tenderloin"], obj={})
    assert res.exit_code == 2
    assert "manifest.json: is not the JSON manifest equity writes" in res.output


# -- in a browser ---------------------------------------------------------------------------------------------

pytest.importorskip("playwright.sync_api")


def test_unit_page_in_a_browser_offline(browser, demo, tmp_path):  # noqa: F811
    page = browser.new_page(viewport={"width": 900, "height": 1100})
    errors: list[str] = []
    requests: list[str] = []
    dialogs: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("request", lambda r: requests.append(r.url))
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    page.route("http://**/*", lambda route: route.abort())
    page.route("https://**/*", lambda route: route.abort())
    page.goto((demo / "units" / "index.html").resolve().as_uri())
    page.wait_for_load_state("load")
    link = page.get_by_role("link", name="Tenderloin", exact=True)
    link.scroll_into_view_if_needed()  # the 30th of 41 rows: below the fold
    box = link.bounding_box()
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    with page.expect_navigation():
        page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    assert page.url.endswith("/units/tenderloin.html")
    assert page.locator("h1").inner_text() == "Tenderloin"
    assert page.locator("svg.map path").count() >= 1  # the outline (and whatever labels the map draws)
    assert page.locator("svg.map circle").count() == 3
    headings = page.locator("h2").all_inner_texts()
    assert headings == ["The unit against the city", "Map", "Its cameras", "What to keep in mind"]
    # the map and the tables sit side by side, the caveats below both, all within the page's width
    numbers = page.locator("table.numbers").bounding_box()
    svg = page.locator("svg.map").bounding_box()
    assert svg["x"] > numbers["x"] + numbers["width"] - 1
    assert page.evaluate("document.documentElement.scrollWidth") <= 900
    shot = tmp_path / "unit_page.png"
    page.screenshot(path=str(shot), full_page=True)
    share_screenshot(shot)
    assert shot.stat().st_size > 30_000
    # printed on A4: one page
    page.emulate_media(media="print")
    pdf = page.pdf(format="A4", prefer_css_page_size=True)
    (tmp_path / "tenderloin.pdf").write_bytes(pdf)
    assert len(re.findall(rb"/Type\s*/Page(?!s)", pdf)) == 1
    # the link back to the list of the units
    page.emulate_media(media="screen")
    page.click("text=All units")
    assert page.url.endswith("/units/index.html")
    assert errors == []
    assert dialogs == []
    assert [u for u in requests if not u.startswith("file:")] == []
    page.close()


def test_unit_pages_of_hostile_names_run_nothing(browser, tmp_path):  # noqa: F811
    units = [(name, -122.46 + 0.01 * i, 1000 + i) for i, name in enumerate(HOSTILE)]
    out = _analyze(tmp_path, units)
    page = browser.new_page()
    dialogs: list[str] = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    page.route("http://**/*", lambda route: route.abort())
    page.route("https://**/*", lambda route: route.abort())
    page.goto((out / "units" / "index.html").resolve().as_uri())
    names = page.locator("table.index td:first-child a").all_inner_texts()
    assert sorted(names) == sorted(HOSTILE)
    for name in PAYLOADS:
        link = page.get_by_role("link", name=name, exact=True)
        link.hover()
        with page.expect_navigation():
            link.click()
        assert page.locator("h1").inner_text() == name
        page.mouse.move(300, 400)
        page.go_back()
    assert dialogs == []
    page.close()


def test_translated_pages_keep_their_figures(squares):
    from equity.io.analysis_folder import read_analysis
    from equity.presentation.unit_page import render_unit_page

    tables = read_analysis(squares)
    pages = {}
    for lang in i18n.LANGUAGES:
        with i18n.use(lang):
            pages[lang] = render_unit_page(tables, "Alpha Norte")
    assert len({json.dumps(_values(p)) for p in pages.values()}) == 1
    assert _shown(pages["fr"], "population") == "2\u202f000"
    assert _shown(pages["de"], "cameras_per_1k_residents") == "2,00"


@given(st.lists(st.text(min_size=1, max_size=20), min_size=1, max_size=8, unique=True), st.data())
def test_find_unit_by_its_id_or_its_folded_name(ids, data):
    from types import SimpleNamespace

    from equity._errors import InputError
    from equity.io.analysis_folder import find_unit, name_key

    tables = SimpleNamespace(units=pd.DataFrame({"unit_id": ids}), folder=Path("out"))
    uid = data.draw(st.sampled_from(ids))
    assert find_unit(tables, uid) == uid
    folded = f"  {uid.upper()} "
    same = [i for i in ids if name_key(i) == name_key(folded)]
    if folded in ids:
        assert find_unit(tables, folded) == folded
    elif len(same) == 1:
        assert find_unit(tables, folded) == same[0]
    else:
        with pytest.raises(InputError, match=r"^out: "):
            find_unit(tables, folded)
