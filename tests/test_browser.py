"""The demo's map.html and report.html in a real browser: headless Chromium driven by Playwright.

Each page is opened from disk with every network request refused (the map's background tiles fail, nothing
else may be asked for), and must raise no JavaScript error. Hostile tag values must appear as text and run
nothing, also in the tooltips and popups that Leaflet builds only when they open. Screenshots and a PDF print
are saved in the test's temporary folder, and also copied to the folder ``EQUITY_SCREENS`` names, when set, for a
person to look at.

The map's tooltips are opened as a reader opens them: the real mouse pointer is moved over a unit's interior or
a camera's dot (``page.mouse.move``), with every layer of the map switched on by clicks in the layer control.

Chromium is Debian's (``apt-get install chromium``, as .ci/run does); Playwright drives it without downloading
a browser of its own. Set ``EQUITY_CHROMIUM`` to use another binary.
"""

from __future__ import annotations

import contextlib
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
#: Where screenshots are also copied for a person to look at: the folder named by ``EQUITY_SCREENS``, if any.
SCREENS = Path(os.environ["EQUITY_SCREENS"]) if os.environ.get("EQUITY_SCREENS") else None
#: The page's folium map object.
MAP = "Object.keys(window).filter(k => k.startsWith('map_')).map(k => window[k])[0]"


def save_screenshot(page, tmp_path: Path, name: str) -> Path:
    """A screenshot in the test's folder, copied to :data:`SCREENS` when that folder can be made."""
    path = tmp_path / name
    page.screenshot(path=str(path))
    share_screenshot(path)
    return path


def share_screenshot(path: Path) -> None:
    """Copy a screenshot to :data:`SCREENS` (``EQUITY_SCREENS``), when that is set and its parent exists."""
    if SCREENS is None or not SCREENS.parent.is_dir():
        return
    with contextlib.suppress(OSError):
        SCREENS.mkdir(exist_ok=True)
        shutil.copyfile(path, SCREENS / path.name)


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
        "Unit names",
        "Crime incidents (heat)",
        "Cameras: fields of view",
        "Cameras",
        "Placement anomalies",
        "Plate readers: road segments logged",
        "Plate readers: road entrances of the units",
    ]
    assert v.page.evaluate("() => document.documentElement.lang") == "en"
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
    # the static map names its units, or numbers them with a key beside it, readable in print
    labels = v.page.locator("svg.map text").all_text_contents()
    assert "Tenderloin" in labels
    numbered = [t for t in labels if t.isdigit()]
    key = v.page.locator("p.map-key").inner_text()
    assert all(f"{n} " in key for n in numbered)
    v.page.emulate_media(media="print")
    figure = v.page.locator("figure:has(svg.map)")
    figure.screenshot(path=str(tmp_path / "report_map.png"))
    share_screenshot(tmp_path / "report_map.png")
    v.page.emulate_media(media="screen")
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
    # the unit names on the map are text too, once zoomed in enough to show them
    for _ in range(6):
        if v.page.locator(LABELS).count() >= 2:
            break
        v.page.click(".leaflet-control-zoom-in")
        v.page.wait_for_timeout(400)
    names = v.page.locator(LABELS).all_inner_texts()
    assert PAYLOADS[1] in names
    assert v.page.locator(".leaflet-marker-pane script, .leaflet-marker-pane b").count() == 0
    assert v.dialogs == []
    r = Visit(browser, hostile_out / "report.html")
    assert r.dialogs == []
    assert r.errors == []
    assert r.page.evaluate("() => document.querySelectorAll('script, img, [onerror], [onload]').length") == 0
    assert "<b>bold</b>" in r.page.locator("body").inner_text()


# --- the map as a reader uses it: hover, labels, legend ---------------------------------------------------------


def switch_every_layer_on(v: Visit) -> list[str]:
    """Click each overlay of the layer control that is off; the names of all overlays."""
    labels = v.page.locator(".leaflet-control-layers-overlays label")
    names = []
    for i in range(labels.count()):
        label = labels.nth(i)
        names.append(label.inner_text().strip())
        if not label.locator("input").is_checked():
            label.locator("input").click()
            v.page.wait_for_timeout(100)
    assert all(labels.nth(i).locator("input").is_checked() for i in range(labels.count()))
    return names


def unit_targets(result) -> list[tuple[str, float, float]]:
    """Each unit's name and the centre of the largest circle inside it (WGS84): a point of its interior."""
    import shapely

    from equity.projection import to_wgs84

    circles = shapely.maximum_inscribed_circle(result.units.geometry.to_numpy(), tolerance=1.0)
    centres = to_wgs84(type(result.units.geometry)(shapely.get_point(circles, 0), crs=result.units.crs))
    return list(zip(result.units["unit_id"].astype(str), centres.y, centres.x, strict=True))


def camera_targets(result, *, inside_units: bool = False) -> list[tuple[str, float, float]]:
    """Each camera's id and place (WGS84); with ``inside_units`` only those at least 30 m inside a unit, where a
    unit drawn over the cameras would take the pointer."""
    from equity.projection import to_wgs84

    first = result.views.drop_duplicates("camera_id")
    if inside_units:
        first = first[first.geometry.within(result.units.geometry.buffer(-30).union_all())]
    first = to_wgs84(first)
    return list(zip(first["camera_id"].astype(str), first.geometry.y, first.geometry.x, strict=True))


#: Picks, among the targets, those whose pixel lies on the map's canvas (not under a control or the legend)
#: and at least ``clear`` pixels from every camera dot but their own.
PICK = """([targets, cameras, clear]) => {
    const map = MAP;
    const box = map.getContainer().getBoundingClientRect();
    const dots = cameras.map(([id, lat, lon]) => [id, map.latLngToContainerPoint([lat, lon])]);
    const out = [];
    for (const [name, lat, lon] of targets) {
        const p = map.latLngToContainerPoint([lat, lon]);
        const x = box.left + p.x, y = box.top + p.y;
        if (p.x < 20 || p.y < 20 || p.x > box.width - 20 || p.y > box.height - 20) continue;
        const el = document.elementFromPoint(x, y);
        if (!el || el.tagName !== 'CANVAS') continue;
        if (dots.some(([id, d]) => id !== name && d.distanceTo(p) < clear)) continue;
        out.push([name, x, y]);
    }
    return out;
}""".replace("MAP", MAP)


def hover(v: Visit, x: float, y: float) -> str:
    """Move the real pointer to (x, y) from outside the map; the text of the tooltip shown, or ""."""
    # at a hand's pace: Leaflet's canvas looks for the feature under the pointer at most every 32 ms and drops
    # the moves in between, so a pointer that jumps the last steps faster is never seen to arrive
    v.page.mouse.move(5, 5)
    v.page.wait_for_timeout(50)
    for i in range(1, 9):
        v.page.mouse.move(5 + (x - 5) * i / 8, 5 + (y - 5) * i / 8)
        v.page.wait_for_timeout(40)
    # the tooltips of what the pointer crossed on its way fade out within a few hundred milliseconds
    v.page.wait_for_timeout(150)
    with contextlib.suppress(playwright.TimeoutError):
        v.page.wait_for_function("() => document.querySelectorAll('.leaflet-tooltip').length <= 1", timeout=1500)
    tips = v.page.locator(".leaflet-tooltip")
    return "\n".join(tips.all_inner_texts()) if tips.count() else ""


@pytest.fixture(scope="module")
def demo_result():
    from equity.demo import demo_study

    return demo_study(sensitivity=False).run()


def test_hovering_a_unit_or_a_camera_shows_its_tooltip_with_every_layer_on(browser, demo_out, demo_result, tmp_path):
    v = Visit(browser, demo_out / "map.html")
    names = switch_every_layer_on(v)
    assert len(names) >= 5  # every overlay, the heat and the anomalies among them
    cameras = camera_targets(demo_result)
    units = v.page.evaluate(PICK, [unit_targets(demo_result), cameras, 14])
    assert len(units) >= 5, units
    for name, x, y in units[:5]:
        shown = hover(v, x, y)
        assert "Unit" in shown, (name, shown)
        assert name in shown, (name, shown)
        assert "Gap (points)" in shown
    name, x, y = units[0]
    hover(v, x, y)
    save_screenshot(v.page, tmp_path, "map_hover.png")
    picked = v.page.evaluate(PICK, [cameras, cameras, 12])
    assert len(picked) >= 3
    for camera_id, x, y in picked[:3]:
        shown = hover(v, x, y)
        assert "Camera" in shown, (camera_id, shown)
        assert camera_id in shown, (camera_id, shown)
    # the units switched off and on again come back under the cameras, not over them
    overlays = v.page.locator(".leaflet-control-layers-overlays")
    for _ in range(2):
        overlays.get_by_text("Units: gap between coverage and crime").click()
        v.page.wait_for_timeout(200)
    inside = v.page.evaluate(PICK, [camera_targets(demo_result, inside_units=True), cameras, 12])
    assert len(inside) >= 3
    for camera_id, x, y in inside[:3]:
        assert camera_id in hover(v, x, y)
    name, x, y = units[1]
    assert name in hover(v, x, y)
    assert v.errors == []


def test_unit_names_show_by_zoom_and_take_no_mouse(browser, demo_out, demo_result, tmp_path):
    v = Visit(browser, demo_out / "map.html")
    at_start = v.page.locator(LABELS).all_inner_texts()
    assert 0 < len(at_start) < 41  # the large units only
    assert "Bayview Hunters Point" in at_start
    style = f"() => getComputedStyle(document.querySelector('{LABELS}')).pointerEvents"
    assert v.page.evaluate(style) == "none"
    # zoom in twice with the zoom control, as a reader would
    for _ in range(2):
        v.page.click(".leaflet-control-zoom-in")
        v.page.wait_for_timeout(400)
    zoomed = v.page.locator(LABELS).all_inner_texts()
    assert len(zoomed) > len(at_start)
    assert "Tenderloin" in zoomed
    save_screenshot(v.page, tmp_path, "map_labels.png")
    # switched off, the names go; on again, they come back at this zoom
    v.page.locator(".leaflet-control-layers-overlays").get_by_text("Unit names").click()
    assert v.page.locator(LABELS).count() == 0
    v.page.locator(".leaflet-control-layers-overlays").get_by_text("Unit names").click()
    assert v.page.locator(LABELS).count() == len(zoomed)
    assert v.errors == []


#: The unit names on the map (the legend's sample name is not one).
LABELS = ".leaflet-marker-pane .equity-label"

#: Every feature drawn: its layer (by name), fill, outline and dash.
DRAWN = """() => {
    const map = MAP;
    const seen = {};
    map.eachLayer(l => {
        if (!l.feature) return;
        const o = l.options;
        const key = [l.feature.layer, o.fillColor || '', o.color || '', o.dashArray || ''].join('|');
        seen[key] = true;
    });
    return Object.keys(seen).map(k => k.split('|'));
}""".replace("MAP", MAP)

LEGEND = """() => [...document.querySelectorAll('#equity-legend .equity-key-section')].map(s => ({
    layers: JSON.parse(s.dataset.layers),
    keys: [...s.querySelectorAll('.equity-key')].map(k => ({
        fill: k.dataset.fill || null, stroke: k.dataset.stroke || null, dash: k.dataset.dash || null,
        scale: k.dataset.scale || null, text: k.innerText.trim(), visible: k.offsetParent !== null}))
}))"""


def check_legend(v: Visit) -> None:
    """Every overlay has a legend section, and every symbol drawn (fill, outline, dash) an entry of its layer."""
    names = switch_every_layer_on(v)
    legend = v.page.evaluate(LEGEND)
    for name in names:
        sections = [s for s in legend if name in s["layers"]]
        assert sections, f"no legend entry for the layer {name!r}"
        assert all(k["visible"] for s in sections for k in s["keys"]), name
    drawn = v.page.evaluate(DRAWN)
    assert drawn
    for layer, fill, stroke, dash in drawn:
        keys = [k for s in legend if layer in s["layers"] for k in s["keys"]]
        assert keys, layer
        if fill:
            assert any(k["fill"] == fill or k["scale"] == "fill" for k in keys), (layer, "fill", fill)
        if stroke and stroke != fill:
            assert any(k["stroke"] == stroke for k in keys), (layer, "outline", stroke)
        if dash:
            assert any(k["dash"] == dash for k in keys), (layer, "dash", dash)


def test_every_symbol_on_the_map_has_a_legend_entry(browser, demo_out):
    v = Visit(browser, demo_out / "map.html")
    legend = v.page.locator("#equity-legend").inner_text()
    assert "plate reader (ALPR)" in legend
    assert "a camera whose view is not drawn" in legend  # the 9 of unknown direction
    # a layer switched off takes its entries out of the legend
    assert "placed against the pattern" not in legend
    check_legend(v)
    legend = v.page.locator("#equity-legend").inner_text()
    assert "placed against the pattern" in legend
    assert "few to many recorded incidents" in legend
    assert v.errors == []


def write_map(result, out: Path) -> Path:
    from equity.io.assets import map_assets
    from equity.presentation.maps import build_map, render_map

    out.mkdir(parents=True, exist_ok=True)
    (out / "map.html").write_text(render_map(build_map(result), assets=map_assets()), encoding="utf-8")
    return out / "map.html"


def test_discs_and_their_legend(browser, tmp_path):
    """Cameras of unknown direction drawn as discs (``unknown_direction="disc"``): dashed, and in the legend."""
    from equity.demo import demo_study
    from equity.settings import Settings

    result = demo_study(sensitivity=False, settings=Settings(unknown_direction="disc")).run()
    v = Visit(browser, write_map(result, tmp_path / "discs"))
    assert "a full disc of the camera's range" in v.page.locator("#equity-legend").inner_text()
    check_legend(v)
    drawn = v.page.evaluate(DRAWN)
    assert any(dash == "4 3" for _, _, _, dash in drawn)
    assert v.errors == []


def test_without_crime_the_units_show_cameras_per_resident(browser, tmp_path):
    """A study without crime data: a choropleth of cameras per 1,000 residents with its own legend, hovering a
    unit shows its rate, and no unit is left grey but those without residents."""
    import dataclasses

    from equity.demo import demo_study

    study = dataclasses.replace(demo_study(sensitivity=False), crime=None, no_crime_data=None)
    result = study.run()
    assert result.units["gap"].isna().all()
    v = Visit(browser, write_map(result, tmp_path / "nocrime"))
    labels = [t.strip() for t in v.page.locator(".leaflet-control-layers-overlays label").all_inner_texts()]
    assert labels[0] == "Units: cameras per 1,000 residents"
    legend = v.page.locator("#equity-legend").inner_text()
    assert "Gap" not in legend
    assert "No crime data was given" in legend
    fills = v.page.evaluate(
        f"""() => {{ const f = new Set(); {MAP}.eachLayer(l => {{
            if (l.feature && l.feature.layer.startsWith('Units')) f.add(l.options.fillColor); }}); return [...f]; }}"""
    )
    assert len(fills) >= 4  # classes, not one grey
    check_legend(v)
    units = v.page.evaluate(PICK, [unit_targets(result), camera_targets(result), 14])
    name, x, y = units[0]
    shown = hover(v, x, y)
    assert name in shown
    assert "Cameras per 1,000 residents" in shown
    save_screenshot(v.page, tmp_path, "map_nocrime.png")
    assert v.errors == []


def test_map_in_spanish_hover_and_legend(browser, demo_result, tmp_path):
    from equity.io.assets import map_assets
    from equity.presentation import i18n
    from equity.presentation.maps import build_map, render_map

    with i18n.use("es"):
        html = render_map(build_map(demo_result), assets=map_assets())
    (tmp_path / "map.html").write_text(html, encoding="utf-8")
    v = Visit(browser, tmp_path / "map.html")
    assert v.page.evaluate("() => document.documentElement.lang") == "es"
    legend = v.page.locator("#equity-legend").inner_text()
    assert "Brecha: proporción de la superficie a la vista menos proporción de delitos" in legend
    assert "-9,50" in legend
    units = v.page.evaluate(PICK, [unit_targets(demo_result), camera_targets(demo_result), 14])
    shown = hover(v, *next((x, y) for name, x, y in units if name == "Bernal Heights"))
    assert "Residentes\t23.448" in shown
    assert "Bernal Heights" in shown
    save_screenshot(v.page, tmp_path, "map_es.png")
    assert v.errors == []


# --- the plate readers' roads -----------------------------------------------------------------------------------


def road_targets(result) -> list[tuple[str, float, float]]:
    """Points along each logged segment (at every tenth of its length, ends left out) as (edge id, lat, lon)."""
    import numpy as np
    import shapely

    from equity.projection import to_wgs84

    seg = result.roads.segments
    out = []
    for frac in np.linspace(0.1, 0.9, 9):
        pts = to_wgs84(
            type(seg.geometry)(
                shapely.line_interpolate_point(seg.geometry.to_numpy(), frac, normalized=True), crs=seg.crs
            )
        )
        out += list(zip(seg["edge_id"].astype(str), pts.y, pts.x, strict=True))
    return out


def test_hovering_a_logged_road_shows_its_readers_and_direction(browser, demo_out, demo_result, tmp_path):
    """The SF demo's logged segments are drawn on the shared canvas: the pointer on one shows the segment, the
    readers on it and the direction they log; the units around keep their tooltips."""
    roads = demo_result.roads
    assert len(roads.segments) > 100
    v = Visit(browser, demo_out / "map.html")
    labels = [t.strip() for t in v.page.locator(".leaflet-control-layers-overlays label").all_inner_texts()]
    assert "Plate readers: road segments logged" in labels
    legend = v.page.locator("#equity-legend").inner_text()
    assert "logged in one direction of travel" in legend
    assert "logged in both directions of travel" in legend
    # only the logged segments are drawn, not the city's 31,500 streets
    drawn = v.page.evaluate(
        f"""() => {{ let n = 0; {MAP}.eachLayer(l => {{
            if (l.feature && l.feature.layer === 'Plate readers: road segments logged') n++; }}); return n; }}"""
    )
    assert drawn == len(roads.segments)
    # at the whole city's zoom most logged segments lie under their readers' dots: those clear of every dot
    picked = v.page.evaluate(PICK, [road_targets(demo_result), camera_targets(demo_result), 12])
    assert len({edge for edge, _, _ in picked}) >= 2, picked
    readers = roads.readers.groupby("edge_id")["camera_id"].agg(lambda s: sorted(map(str, s)))
    seen = set()
    for edge, x, y in picked:
        if edge in seen:
            continue
        seen.add(edge)
        shown = hover(v, x, y)
        assert "Road segment logged by a plate reader" in shown, (edge, shown)
        assert "Logged by" in shown
        assert all(r in shown for r in readers[int(edge)]), (edge, shown)
        row = roads.segments.set_index("edge_id").loc[int(edge)]
        if row["logged_forward"] and row["logged_backward"]:
            assert "both directions" in shown
        else:
            assert "traffic heading " in shown, shown
        if len(seen) == 3:
            break
    save_screenshot(v.page, tmp_path, "map_roads.png")
    # a unit still shows its tooltip with the roads drawn over it
    name, x, y = v.page.evaluate(PICK, [unit_targets(demo_result), camera_targets(demo_result), 14])[0]
    assert name in hover(v, x, y)
    assert v.errors == []


def cordon_study(tmp_path: Path) -> Path:
    """A small study through the command line (the tee of tests/test_roads.py): the 200 m unit "Square" with two
    roads into it, A from the west and B from the north, each with a plate reader facing the traffic that drives
    in (A's facing west logs eastbound travel, B's facing north logs southbound): Square is cordoned. "East" beside
    it has no road entrance and a reader far from every road."""
    import geopandas as gpd
    from shapely import LineString, Point, box

    crs, x0, y0 = "EPSG:32610", 550_000.0, 4_180_000.0

    def wgs(geoms):
        return gpd.GeoSeries(geoms, crs=crs).to_crs(4326)

    lines = [[(-200, 100), (100, 100)], [(100, 100), (100, 400)], [(100, 100), (100, 20)]]
    streets = gpd.GeoDataFrame(geometry=wgs([LineString([(x0 + x, y0 + y) for x, y in c]) for c in lines]))
    streets.to_file(tmp_path / "streets.geojson", driver="GeoJSON")
    units = gpd.GeoDataFrame(
        {"name": ["Square", "East"]},
        geometry=wgs([box(x0, y0, x0 + 200, y0 + 200), box(x0 + 200, y0, x0 + 400, y0 + 200)]),
    )
    units.to_file(tmp_path / "units.geojson", driver="GeoJSON")
    # a third reader stands in East, far from every road (not matched: listed in rejected.csv)
    pts = wgs([Point(x0 - 50, y0 + 108), Point(x0 + 108, y0 + 300), Point(x0 + 300, y0 + 100)])
    nodes = "".join(
        f'<node id="{i + 1}" version="1" lat="{p.y:.7f}" lon="{p.x:.7f}">'
        '<tag k="man_made" v="surveillance"/><tag k="surveillance:type" v="ALPR"/>'
        f'<tag k="direction" v="{d}"/></node>'
        for i, (p, d) in enumerate(zip(pts, ["W", "N", "W"], strict=True))
    )
    (tmp_path / "cameras.osm").write_text(f'<?xml version="1.0"?><osm version="0.6">{nodes}</osm>', encoding="utf-8")
    args = ["-q", "analyze", "--cameras", str(tmp_path / "cameras.osm"), "--units", str(tmp_path / "units.geojson")]
    args += ["--unit-id", "name", "--streets", str(tmp_path / "streets.geojson"), "--out", str(tmp_path / "out")]
    res = CliRunner().invoke(cli, [*args, "--no-sensitivity", "--map-assets", "inline"], obj={})
    assert res.exit_code == 0, res.output
    return tmp_path / "out" / "map.html"


def test_a_cordoned_unit_is_outlined_and_in_the_legend(browser, tmp_path):
    from equity.presentation.roadmap import CORDON_COLOUR, CORDON_DASH

    v = Visit(browser, cordon_study(tmp_path))
    assert v.errors == []
    legend = v.page.locator("#equity-legend").inner_text()
    assert "Plate readers: cordoned units" in legend
    assert "no car can enter by road without being logged" in legend
    outlines = v.page.evaluate(
        f"""() => {{ const out = []; {MAP}.eachLayer(l => {{
            if (l.feature && l.feature.layer === 'Plate readers: cordoned units')
                out.push([l.options.color, l.options.dashArray, l.options.fill, l.options.interactive]); }});
            return out; }}"""
    )
    assert outlines == [[CORDON_COLOUR, CORDON_DASH, False, False]]  # Square only, not East
    check_legend(v)  # every symbol drawn, the outline's colour and dash among them, has its legend entry
    # the entrances: both logged inward, drawn as filled dots
    legend = v.page.locator("#equity-legend").inner_text()
    assert "a road entrance where a plate reader logs the traffic entering" in legend
    # the outline takes no mouse: inside Square the unit's own tooltip shows
    box = v.page.evaluate(
        f"""() => {{ const m = {MAP}; let b = null; m.eachLayer(l => {{
            if (l.feature && l.feature.layer === 'Plate readers: cordoned units') b = l.getBounds(); }});
            const r = m.getContainer().getBoundingClientRect();
            const p = m.latLngToContainerPoint(b.getSouthWest()), q = m.latLngToContainerPoint(b.getNorthEast());
            return [r.left + p.x, r.top + p.y, r.left + q.x, r.top + q.y]; }}"""
    )
    x0, y0, x1, y1 = box  # south-west (bottom left) and north-east (top right) corners in page pixels

    def at(mx: float, my: float) -> tuple[float, float]:
        """The page pixel of a point (mx, my) metres from Square's south-west corner (the square is 200 m)."""
        return x0 + mx / 200 * (x1 - x0), y0 + my / 200 * (y1 - y0)

    shown = hover(v, *at(50, 50))  # in Square, no road near
    assert "Square" in shown, shown
    assert "Road entrances\t2" in shown
    assert "Entrances logged inward\t2" in shown
    assert "Cordoned\tyes" in shown
    east = hover(v, *at(250, 50))
    assert "East" in east, east
    assert "Cordoned\tn/a" in east  # no road enters East: no answer, not "no"
    # A's reader logs traffic driving east into Square, B's traffic driving south into it
    a = hover(v, *at(-50, 100))
    assert "node/1" in a, a
    assert "traffic heading east" in a, a
    b = hover(v, *at(100, 280))
    assert "node/2" in b, b
    assert "traffic heading south" in b, b
    save_screenshot(v.page, tmp_path, "map_cordon.png")
    assert v.errors == []
