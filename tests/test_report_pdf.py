"""The printed report: Chromium prints the demo's report.html to PDF (``page.pdf``), and the PDF's text, read back
with pypdf, has the summary and the caveats on page 1; at print width no table is wider than the page; a term
clicked in the text leads to its glossary entry. The Spanish report is printed in Spanish.

Screenshots of the first printed page (English and Spanish) and the PDF are saved in the test's temporary folder,
or in the folder named by ``EQUITY_SCREENS``.
"""

from __future__ import annotations

import os
import unicodedata
from pathlib import Path

import pytest

from tests.test_browser import Visit, browser  # noqa: F401 (browser: the fixture of a headless Chromium)

pypdf = pytest.importorskip("pypdf")

#: The width of an A4 page inside the report's margins (@page: 1.5 cm each side), in CSS pixels (96 per inch).
A4_PRINT_WIDTH_PX = (210 - 2 * 15) / 25.4 * 96
#: The height of an A4 page, in CSS pixels.
A4_HEIGHT_PX = 297 / 25.4 * 96


@pytest.fixture
def screens(tmp_path) -> Path:
    folder = Path(os.environ.get("EQUITY_SCREENS") or tmp_path)
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _pdf_pages(v: Visit, path: Path) -> list[str]:
    """Print the page to an A4 PDF as Chromium does and read back each page's text (ligatures unfolded, white
    space collapsed)."""
    v.page.pdf(path=str(path), format="A4")
    reader = pypdf.PdfReader(str(path))
    return [" ".join(unicodedata.normalize("NFKC", p.extract_text() or "").split()) for p in reader.pages]


def _first_page_shot(v: Visit, path: Path) -> None:
    """A screenshot of the first printed page: print media, an A4 page's width and height, its margins, the first
    page's section alone."""
    v.page.set_viewport_size({"width": round(A4_PRINT_WIDTH_PX + 2 * 57), "height": round(A4_HEIGHT_PX)})
    v.page.emulate_media(media="print")
    # the page's margins, and nothing after the first page's section (which the printed page breaks after)
    v.page.add_style_tag(content="body{padding:57px !important}.first-page~*{display:none !important}")
    v.page.screenshot(path=str(path))
    assert path.stat().st_size > 50_000


def test_page_one_of_the_printed_report_has_the_summary_and_the_caveats(browser, english, screens):  # noqa: F811
    v = Visit(browser, english / "report.html")
    assert v.errors == []
    pages = _pdf_pages(v, screens / "report.pdf")
    assert len(pages) >= 5
    one = pages[0]
    assert one.startswith("San Francisco demo: surveillance camera coverage and crime What was analysed: 343 cameras")
    assert "Summary Of the 340 cameras in the units, the largest shares of the city's area in camera view" in one
    assert "What these numbers cannot carry All 343 cameras are licence-plate readers (ALPR), not CCTV" in one
    assert "The figures are about units, not people" in one  # the last caveat
    assert "Questions to ask To the camera operators" in one
    assert "Key findings" not in one  # the findings begin on a page of their own
    assert pages[1].startswith(("Warnings about the data", "Key findings"))
    _first_page_shot(v, screens / "report_first_page.png")


@pytest.mark.parametrize("lang", ["english", "spanish"])
def test_no_table_is_wider_than_the_printed_page(browser, lang, request):  # noqa: F811
    out = request.getfixturevalue(lang)
    v = Visit(browser, out / "report.html", viewport=(round(A4_PRINT_WIDTH_PX), 1000))
    v.page.emulate_media(media="print")
    sizes = v.page.evaluate(
        """() => [...document.querySelectorAll('table, svg, figure, dl')].map(e => ({
            what: e.tagName + (e.className && typeof e.className === 'string' ? '.' + e.className : ''),
            scroll: e.scrollWidth, right: e.getBoundingClientRect().right,
            page: document.documentElement.clientWidth}))"""
    )
    tables = [s for s in sizes if s["what"].startswith("TABLE")]
    assert len(tables) >= 8
    assert {s["page"] for s in sizes} == {round(A4_PRINT_WIDTH_PX)}
    wide = [s for s in sizes if s["scroll"] > s["page"] or s["right"] > s["page"] + 0.5]
    assert wide == []


def test_a_term_clicked_in_the_text_opens_its_glossary_entry(browser, english):  # noqa: F811
    v = Visit(browser, english / "report.html")
    link = v.page.locator("p.note a.term[href='#g-gap']").first
    link.scroll_into_view_if_needed()
    box = link.bounding_box()
    v.page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    v.page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    v.page.wait_for_timeout(200)
    assert v.page.evaluate("location.hash") == "#g-gap"
    entry = v.page.locator("#g-gap")
    top = entry.bounding_box()["y"]
    assert -1 < top < 800  # scrolled into view (to the top of the window, give or take a sub-pixel)
    assert entry.inner_text() == "Gap (percentage points)"
    assert "share of coverage minus its share of crime" in v.page.locator("#g-gap + dd").inner_text()


def test_the_spanish_report_prints_in_spanish(browser, spanish, screens, tmp_path):  # noqa: F811
    v = Visit(browser, spanish / "report.html")
    assert v.errors == []
    one = _pdf_pages(v, tmp_path / "report_es.pdf")[0]
    assert one.startswith("San Francisco demo: cobertura de cámaras de vigilancia y delincuencia Qué se analizó: 343")
    assert "10.140 incidentes registrados del 1 jul 2012 al 31 dic 2012; 805.235 residentes" in one
    assert "Resumen De las 340 cámaras en las unidades" in one
    assert "Lo que estas cifras no pueden sostener Las 343 cámaras son lectores de matrículas (ALPR)" in one
    assert "Preguntas que hacer A los operadores de cámaras" in one
    _first_page_shot(v, screens / "report_es.png")
