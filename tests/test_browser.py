"""The demo's map.html and report.html in a real browser: headless Chromium driven by Playwright.

Each page is opened from disk with every network request refused (the map's background tiles fail, nothing
else may be asked for), and must raise no JavaScript error. Hostile tag values must appear as text and run
nothing, also in the tooltips and popups that Leaflet builds only when they open. Screenshots and a PDF print
are saved in the test's temporary folder.

Chromium is Debian's (``apt-get install chromium``, as .ci/run does); Playwright drives it without downloading
a browser of its own. Set ``EQUITY_CHROMIUM`` to use another binary.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from equity.cli import cli
from tests.conftest import PAYLOADS

playwright = pytest.importorskip("playwright.sync_api")

ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
TILE_HOST = "tile.openstreetmap.org"


def _chromium() -> str:
    for candidate in (os.environ.get("EQUITY_CHROMIUM"), "chromium", "chromium-browser", "google-chrome"):
        if candidate and shutil.which(candidate):
            return str(shutil.which(candidate))
    if os.environ.get("CI"):
        pytest.fail("no Chromium on this machine: .ci/run installs Debian's chromium package")
    pytest.skip("no Chromium on this machine (apt-get install chromium)")
    raise AssertionError  # unreachable


@pytest.fixture(scope="module")
def browser():
    with playwright.sync_playwright() as p:
        b = p.chromium.launch(executable_path=_chromium(), args=ARGS)
        yield b
        b.close()


class Visit:
    """One page opened from disk with the network refused: its errors, requests and dialogs."""

    def __init__(self, browser, path: Path, *, viewport: tuple[int, int] = (1200, 800)) -> None:
        self.errors: list[str] = []
        self.console_errors: list[str] = []
        self.requests: list[str] = []
        self.dialogs: list[str] = []
        self.page = browser.new_page(viewport={"width": viewport[0], "height": viewport[1]})
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))
        self.page.on("console", lambda m: self.console_errors.append(m.text) if m.type == "error" else None)
        self.page.on("request", lambda r: self.requests.append(r.url))
        self.page.on("dialog", self._dialog)
        self.page.route("http://**/*", lambda route: route.abort())
        self.page.route("https://**/*", lambda route: route.abort())
        self.page.goto(path.resolve().as_uri())
        self.page.wait_for_load_state("load")
        self.page.wait_for_timeout(300)

    def _dialog(self, dialog) -> None:
        self.dialogs.append(dialog.message)
        dialog.dismiss()

    def remote(self) -> list[str]:
        """Requests that would have left the machine, other than the background tiles."""
        return [u for u in self.requests if u.startswith("http") and TILE_HOST not in u]

    def unexplained_console_errors(self) -> list[str]:
        """Console errors other than the refused tile requests."""
        return [e for e in self.console_errors if "Failed to load resource" not in e]


@pytest.fixture(scope="module")
def demo_out(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("demo")
    res = CliRunner().invoke(cli, ["-q", "demo", "--out", str(out), "--map-assets", "inline", "--no-sensitivity"])
    assert res.exit_code == 0, res.output
    return out


def test_map_opens_offline_with_layers_and_legend(browser, demo_out, tmp_path):
    v = Visit(browser, demo_out / "map.html")
    assert v.errors == []
    assert v.unexplained_console_errors() == []
    assert v.remote() == []
    labels = [t.strip() for t in v.page.locator(".leaflet-control-layers-overlays label").all_inner_texts()]
    assert labels == [
        "Units: gap between coverage and crime",
        "Crime incidents (heat)",
        "Cameras: fields of view",
        "Cameras",
        "Placement anomalies",
    ]
    legend = v.page.locator("#equity-legend")
    assert legend.is_visible()
    assert "Gap" in legend.inner_text()
    assert "high crime, low coverage" in legend.inner_text()
    # the layers hold the data: 41 units, 343 cameras drawn on the canvas
    counts = v.page.evaluate(
        """() => {
            const map = Object.keys(window).filter(k => k.startsWith('map_')).map(k => window[k])[0];
            const counts = {};
            map.eachLayer(l => { if (l.feature) counts[l.feature.layer] = (counts[l.feature.layer] || 0) + 1; });
            return [counts['Units: gap between coverage and crime'], counts['Cameras']];
        }"""
    )
    assert counts[0] == 41
    assert counts[1] == 343
    # the heat layer draws on its canvas when switched on
    v.page.get_by_text("Crime incidents (heat)").click()
    v.page.wait_for_timeout(300)
    assert v.page.locator("canvas.leaflet-heatmap-layer").count() == 1
    v.page.screenshot(path=str(tmp_path / "map.png"))
    assert (tmp_path / "map.png").stat().st_size > 20_000
    assert v.errors == []


def test_report_opens_offline_and_prints(browser, demo_out, tmp_path):
    v = Visit(browser, demo_out / "report.html")
    assert v.errors == []
    assert v.console_errors == []
    assert [u for u in v.requests if not u.startswith(("file:", "data:"))] == []
    headings = v.page.locator("h2").all_inner_texts()
    order = ["Key findings", "Units ranked by gap", "City-level measures", "Map", "Methodology", "Data sources"]
    assert [h for h in headings if h in order] == order
    assert headings[-1] == "Limitations"
    findings = v.page.locator("ul.findings").inner_text()
    assert "Tenderloin (10.4% of recorded crime, 1,056 incidents" in findings
    assert v.page.locator("svg.map path").count() == 41
    assert v.page.locator("svg.chart").count() >= 2
    assert "ODbL" in v.page.locator("body").inner_text()
    v.page.screenshot(path=str(tmp_path / "report.png"), full_page=True)
    v.page.pdf(path=str(tmp_path / "report.pdf"), format="A4")
    pdf = (tmp_path / "report.pdf").read_bytes()
    assert pdf.startswith(b"%PDF")
    assert pdf.count(b"/Type /Page") - pdf.count(b"/Type /Pages") >= 3


@pytest.fixture
def hostile_out(hostile_study, tmp_path) -> Path:
    from equity.io.assets import map_assets
    from equity.io.outputs import write_outputs
    from equity.presentation.maps import build_map, render_map
    from equity.presentation.report import build_report

    result = hostile_study.run()
    out = tmp_path / "hostile"
    write_outputs(
        result,
        out,
        map_html=render_map(build_map(result, title=hostile_study.name), assets=map_assets()),
        report_html=build_report(result, title=hostile_study.name),
        force=False,
    )
    return out


def test_hostile_values_show_as_text_and_run_nothing(browser, hostile_out):
    v = Visit(browser, hostile_out / "map.html")
    # open every tooltip and popup: the page builds their content only then
    opened = v.page.evaluate(
        """() => {
            const map = Object.keys(window).filter(k => k.startsWith('map_')).map(k => window[k])[0];
            const texts = [];
            map.eachLayer(l => {
                if (!l.feature) return;
                if (l.getTooltip()) { l.openTooltip(); texts.push(l.getTooltip().getElement().innerText); }
                if (l.getPopup()) { l.openPopup(); texts.push(l.getPopup().getElement().innerText); }
            });
            return texts;
        }"""
    )
    v.page.wait_for_timeout(300)
    shown = "\n".join(opened)
    for payload in PAYLOADS[:3]:
        assert payload in shown  # the payload is displayed, as text
    assert v.dialogs == []
    assert v.errors == []
    assert (
        v.page.evaluate("() => document.querySelectorAll('img[src=x], svg[onload], [onerror], [onmouseover]').length")
        == 0
    )
    r = Visit(browser, hostile_out / "report.html")
    assert r.dialogs == []
    assert r.errors == []
    assert r.page.evaluate("() => document.querySelectorAll('script, img, [onerror], [onload]').length") == 0
    assert "<b>bold</b>" in r.page.locator("body").inner_text()
