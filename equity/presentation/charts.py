"""Static charts and the static map of the report, as inline SVG.

The report must open offline, print to PDF and run no script, so its charts are SVG written here rather
than a plotting library's images: a few hundred lines of text per chart, sharp at any zoom and in print, and
every label escaped. matplotlib would give PNGs (blurry in print, larger) or SVGs with embedded fonts of
hundreds of kilobytes; the map page (folium) needs scripts, which the report avoids.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import geopandas as gpd
import numpy as np
import shapely

from equity.presentation import i18n
from equity.presentation.choropleth import coverage_classes, needs_coverage_map
from equity.presentation.formatting import (
    CLASS_OUTLINE,
    KIND_COLOURS,
    NO_DATA_COLOUR,
    esc,
    gap_colour,
    gap_span,
    tick,
)
from equity.presentation.i18n import _


def nice_ticks(high: float, n: int = 4) -> list[float]:
    """Round tick values from 0 to at least ``high``: steps of 1, 2 or 5 times a power of ten, about ``n`` of
    them.

    Examples
    --------
    >>> nice_ticks(0.87)
    [0.0, 0.2, 0.4, 0.6, 0.8, 1.0]
    >>> nice_ticks(340)
    [0.0, 100.0, 200.0, 300.0, 400.0]
    """
    if not high > 0 or not math.isfinite(high):
        return [0.0, 1.0]
    raw = high / n
    power = 10 ** math.floor(math.log10(raw))
    # the round step whose number of intervals is nearest to n (ties: the coarser step)
    step = float(min((m * power for m in (10, 5, 2, 1)), key=lambda st: abs(math.ceil(high / st - 1e-9) - n)))
    count = math.ceil(high / step - 1e-9)
    return [round(i * step, 10) for i in range(count + 1)]


def line_chart(
    series: Sequence[tuple[str, Sequence[tuple[float, float]], str, bool]],
    *,
    x_label: str,
    y_label: str,
    diagonal: bool = False,
    width: int = 360,
    height: int = 320,
) -> str:
    """An inline SVG chart of lines or points, axes from 0 with round ticks.

    Parameters
    ----------
    series
        ``(label, [(x, y), ...], colour, as_line)``: a polyline when ``as_line``, else one circle per point
        (each with the label as its hover title).
    diagonal
        Draw the line of equality from (0, 0) to the top right (for concentration curves on [0, 1]²).
    """
    left, right, top, bottom = 52, 12, 12, 42
    xs = [x for _, pts, _, _ in series for x, _ in pts if math.isfinite(x)] or [1.0]
    ys = [y for _, pts, _, _ in series for _, y in pts if math.isfinite(y)] or [1.0]
    xt, yt = nice_ticks(max(xs)), nice_ticks(max(ys))
    xmax, ymax = xt[-1], yt[-1]
    w, h = width - left - right, height - top - bottom

    def sx(x: float) -> float:
        return left + x / xmax * w

    def sy(y: float) -> float:
        return top + h - y / ymax * h

    out = [
        f"<svg class='chart' width='{width}' height='{height}' viewBox='0 0 {width} {height}' role='img' "
        f"aria-label='{esc(y_label)} against {esc(x_label)}'>",
        f"<rect x='{left}' y='{top}' width='{w}' height='{h}' fill='none' stroke='#999'/>",
    ]
    for t in xt:
        out.append(
            f"<line x1='{sx(t):.1f}' y1='{top + h}' x2='{sx(t):.1f}' y2='{top + h + 4}' stroke='#999'/>"
            f"<text x='{sx(t):.1f}' y='{top + h + 15}' text-anchor='middle' font-size='10'>{tick(t)}</text>"
        )
    for t in yt:
        out.append(
            f"<line x1='{left - 4}' y1='{sy(t):.1f}' x2='{left + w}' y2='{sy(t):.1f}' stroke='#eee'/>"
            f"<text x='{left - 6}' y='{sy(t) + 3:.1f}' text-anchor='end' font-size='10'>{tick(t)}</text>"
        )
    if diagonal:
        out.append(
            f"<line x1='{sx(0):.1f}' y1='{sy(0):.1f}' x2='{sx(min(xmax, ymax)):.1f}' y2='{sy(min(xmax, ymax)):.1f}' "
            "stroke='#bbb' stroke-dasharray='4'/>"
        )
    for label, pts, colour, as_line in series:
        good = [(x, y) for x, y in pts if math.isfinite(x) and math.isfinite(y)]
        if as_line:
            coords = " ".join(f"{sx(x):.1f},{sy(y):.1f}" for x, y in good)
            out.append(
                f"<polyline fill='none' stroke='{colour}' stroke-width='2' points='{coords}'>"
                f"<title>{esc(label)}</title></polyline>"
            )
        else:
            out.extend(
                f"<circle cx='{sx(x):.1f}' cy='{sy(y):.1f}' r='3' fill='{colour}' fill-opacity='0.8'>"
                f"<title>{esc(label)}</title></circle>"
                for x, y in good
            )
    out.append(
        f"<text x='{left + w / 2:.0f}' y='{height - 6}' text-anchor='middle' font-size='11'>{esc(x_label)}</text>"
        f"<text x='12' y='{top + h / 2:.0f}' text-anchor='middle' font-size='11' "
        f"transform='rotate(-90 12 {top + h / 2:.0f})'>{esc(y_label)}</text></svg>"
    )
    return "".join(out)


def bar_chart(items: Sequence[tuple[str, float]], *, unit: str, width: int = 640, digits: int = 0) -> str:
    """A horizontal bar chart as inline SVG: one bar per ``(label, value)``, labels escaped and cut at 40
    characters, the value written after each bar.

    The label column is as wide as the longest label and the room after the bars as wide as the longest value
    text (at about 6.5 pixels a character of 11-pixel text), so no text runs past the edge; the drawing has a
    ``viewBox`` and scales down whole when the page is narrower (printed side by side, the hillside charts were
    cut at their right edge before).
    """
    if not items:
        return ""
    finite = [v for _l, v in items if math.isfinite(v)]
    top = max(finite, default=0.0) or 1.0
    row = 22
    labels = [str(label)[:40] for label, _v in items]
    texts = [f"{i18n.number(value, digits)} {unit}" if math.isfinite(value) else _("n/a") for _l, value in items]
    label_w = round(CHAR_PX * max(len(t) for t in labels)) + 12
    text_w = round(CHAR_PX * max(len(t) for t in texts)) + 8
    bar_w = max(width - label_w - text_w, 60)
    width = label_w + bar_w + text_w
    height = row * len(items) + 10
    out = [
        f"<svg class='chart' width='{width}' height='{height}' viewBox='0 0 {width} {height}' role='img' "
        f"aria-label='{esc(unit)}'>"
    ]
    for i, ((_label, value), label, text) in enumerate(zip(items, labels, texts, strict=True)):
        y = 5 + i * row
        bar = bar_w * value / top if math.isfinite(value) else 0.0
        out.append(
            f"<text x='{label_w - 6}' y='{y + 14}' text-anchor='end' font-size='11'>{esc(label)}</text>"
            f"<rect x='{label_w}' y='{y + 3}' width='{bar:.1f}' height='{row - 8}' fill='#4575b4'/>"
            f"<text x='{label_w + bar + 4:.1f}' y='{y + 14}' font-size='11'>{esc(text)}</text>"
        )
    out.append("</svg>")
    return "".join(out)


#: Width in pixels of a character of 11-pixel sans-serif text, on average (for the room text takes).
CHAR_PX = 6.5


def _path(geom: Any, sx: Any, sy: Any) -> str:
    parts = []
    for poly in getattr(geom, "geoms", [geom]):
        if poly.is_empty or poly.geom_type != "Polygon":
            continue
        for ring in [poly.exterior, *poly.interiors]:
            xy = np.asarray(ring.coords)
            parts.append("M" + "L".join(f"{sx(x):.1f},{sy(y):.1f}" for x, y in xy) + "Z")
    return "".join(parts)


def unit_key(units: gpd.GeoDataFrame) -> dict[str, str]:
    """The default numbers of the units on :func:`unit_map`: 1, 2, ... in the order of their names.

    Examples
    --------
    >>> unit_key(gpd.GeoDataFrame({"unit_id": ["b", "a"]}, geometry=[None, None]))
    {'a': '1', 'b': '2'}
    """
    names = sorted(units["unit_id"].astype(str), key=str.casefold)
    return {name: str(i) for i, name in enumerate(names, start=1)}


def unit_map(
    units: gpd.GeoDataFrame,
    cameras: gpd.GeoDataFrame | None = None,
    *,
    width: int = 720,
    labels: str = "auto",
    key: Mapping[str, str] | None = None,
    legend: bool = False,
) -> str:
    """A static choropleth of the gap per unit with the cameras as dots, as inline SVG (for the report and its
    printout; the interactive map is map.html).

    ``units`` needs ``unit_id``, ``gap`` and ``class`` and a projected CRS (north up, metres); ``cameras``
    points in the same CRS with ``kind``. Shapes are simplified to half a pixel. Each unit carries its name and
    gap as a hover title. Without crime data (no unit has a gap) the units are coloured by their cameras per
    1,000 residents, or per km², as on map.html (:mod:`equity.presentation.choropleth`).

    Parameters
    ----------
    labels
        ``"auto"``: a unit's name where it fits inside the unit (at the centre of the largest circle inside it,
        :func:`shapely.maximum_inscribed_circle`), its number elsewhere (without a ``key``, only when at most
        :data:`MAX_NUMBERED` units need one); ``"numbers"``: every unit's number;
        ``"names"``: names where they fit, nothing elsewhere; ``"none"``.
    key
        The number (or short label) of each unit by ``unit_id``, e.g. its rank in the report's table; by default
        :func:`unit_key`. When the map numbers units and no ``key`` was given, the list of the numbers and names
        follows the drawing (``<p class='map-key'>``), so the printed map can be read on its own.
    legend
        Follow the drawing with :func:`map_legend`.
    """
    minx, miny, maxx, maxy = units.total_bounds
    span_x, span_y = max(maxx - minx, 1e-9), max(maxy - miny, 1e-9)
    scale = (width - 20) / span_x
    height = round(span_y * scale + 20)
    if height > 900:  # a tall study area: fit the height instead
        scale = 880 / span_y
        height = 900
    gap = units["gap"].astype(float)
    span = gap_span(gap)
    classes = coverage_classes(units, no_data=NO_DATA_COLOUR) if needs_coverage_map(units) else None

    def sx(x: float) -> float:
        return 10 + (x - minx) * scale

    def sy(y: float) -> float:
        return 10 + (maxy - y) * scale

    tolerance = 0.5 / scale
    out = [
        f"<svg class='map' width='{width}' height='{height}' viewBox='0 0 {width} {height}' role='img' "
        f"aria-label='{esc(_map_title(classes))}'>"
    ]
    geoms = shapely.simplify(units.geometry.to_numpy(), tolerance, preserve_topology=True)
    for i, (geom, (_index, row)) in enumerate(zip(geoms, units.iterrows(), strict=True)):
        if geom is None or geom.is_empty:
            continue
        g = float(row["gap"])
        if classes is None:
            fill = gap_colour(g, span)
            value = _("no data") if not math.isfinite(g) else _("{points} points").format(points=_signed_points(g))
        else:
            fill = classes.fill[i]
            v = float(row[classes.column])
            value = _("no data") if not math.isfinite(v) else i18n.number(v, 2)
        outline = CLASS_OUTLINE.get(row["class"], "#666666")
        stroke = 2 if row["class"] in CLASS_OUTLINE else 0.6
        out.append(
            f"<path d='{_path(geom, sx, sy)}' fill='{fill}' stroke='{outline}' "
            f"stroke-width='{stroke}' fill-rule='evenodd'><title>{esc(row['unit_id'])}: {esc(value)}</title></path>"
        )
    if cameras is not None and len(cameras):
        pts = cameras[cameras.geometry.notna() & ~cameras.geometry.is_empty]
        xs, ys = pts.geometry.x.to_numpy(), pts.geometry.y.to_numpy()
        kinds = pts["kind"].to_numpy() if "kind" in pts else np.full(len(pts), "camera")
        for x, y, k in zip(xs, ys, kinds, strict=True):
            if minx <= x <= maxx and miny <= y <= maxy:
                out.append(
                    f"<circle cx='{sx(x):.1f}' cy='{sy(y):.1f}' r='1.8' fill='{KIND_COLOURS.get(k, '#666666')}' "
                    "stroke='#fff' stroke-width='0.4'/>"
                )
    numbered: list[tuple[str, str]] = []
    if labels != "none":
        text, numbered = _unit_labels(units, sx, sy, scale, labels=labels, key=key)
        out.append(text)
    out.append(_scale_bar(scale, height))
    out.append("</svg>")
    if numbered and key is None:
        entries = " · ".join(f"<b>{esc(n)}</b> {esc(name)}" for n, name in numbered)
        intro = _("Numbers on the map:")
        out.append(f"<p class='map-key' style='font-size:9pt'>{esc(intro)} {entries}</p>")
    if legend:
        out.append(map_legend(units, cameras))
    return "".join(out)


#: Most units numbered by ``labels="auto"`` without a ``key``: a list of hundreds of numbers under the map is read
#: by no one (the Chicago demo has 800 tracts), so beyond it only the names that fit are written.
MAX_NUMBERED = 60
#: Font size of the unit labels of :func:`unit_map`, in pixels, and the width of a character at that size.
LABEL_FONT_PX = 9
LABEL_CHAR_PX = 0.56 * LABEL_FONT_PX


def _unit_labels(
    units: gpd.GeoDataFrame, sx: Any, sy: Any, scale: float, *, labels: str, key: Mapping[str, str] | None
) -> tuple[str, list[tuple[str, str]]]:
    """The labels of :func:`unit_map` as SVG text with a white halo, and the (number, name) of numbered units.

    A name fits when its width, ``0.56 * 9`` pixels a character, is at most 1.6 times the diameter of the
    largest circle inside the unit and its height at most that diameter (a name may reach past the circle along
    the unit, not out of it on a small unit).
    """
    geoms = units.geometry.to_numpy()
    ok = ~(shapely.is_missing(geoms) | shapely.is_empty(geoms))
    circles = np.full(len(geoms), None, dtype=object)
    circles[ok] = shapely.maximum_inscribed_circle(geoms[ok], tolerance=0.5 / scale)
    placed = []
    for circle, name in zip(circles, units["unit_id"].astype(str), strict=True):
        if circle is None:
            continue
        centre = shapely.get_point(circle, 0)
        diameter = 2 * shapely.length(circle) * scale
        fits = len(name) * LABEL_CHAR_PX <= 1.6 * diameter and diameter >= LABEL_FONT_PX
        placed.append((name, sx(centre.x), sy(centre.y), fits and labels in ("auto", "names")))
    if key is not None:
        numbers = dict(key)
    elif labels == "numbers" or (labels == "auto" and sum(not named for *_, named in placed) <= MAX_NUMBERED):
        # consecutive numbers, in the order of the names, for the units that carry one
        numbers = unit_key(gpd.GeoDataFrame({"unit_id": [n for n, _x, _y, named in placed if not named]}))
    else:
        numbers = {}
    parts, numbered = [], []
    for name, x, y, named in placed:
        if named:
            text, weight = name, "600"
        elif name in numbers:
            text, weight = numbers[name], "700"
            numbered.append((text, name))
        else:
            continue
        parts.append(
            f"<text x='{x:.1f}' y='{y + LABEL_FONT_PX / 3:.1f}' text-anchor='middle' font-size='{LABEL_FONT_PX}' "
            f"font-weight='{weight}' fill='#111' stroke='#fff' stroke-width='2.5' stroke-linejoin='round' "
            f"paint-order='stroke'>{esc(text)}</text>"
        )
    numbered.sort(key=lambda t: (int(t[0]) if t[0].isdigit() else math.inf, t[0]))
    return "".join(parts), numbered


def _signed_points(value: float) -> str:
    return ("+" if value >= 0 else "-") + i18n.number(abs(100 * value), 2)


def _map_title(classes: Any) -> str:
    if classes is None:
        return _("Map of the gap between coverage and crime per unit")
    return _("Map of the cameras per unit")


def _scale_bar(scale: float, height: int) -> str:
    """A scale bar of a round length of about 120 pixels, bottom left."""
    metres = 120 / scale
    power = 10 ** math.floor(math.log10(metres))
    nice = min((m * power for m in (1, 2, 5, 10)), key=lambda v: abs(v - metres))
    px = nice * scale
    label = f"{nice / 1000:g} km" if nice >= 1000 else f"{nice:g} m"
    y = height - 12
    return (
        f"<line x1='12' y1='{y}' x2='{12 + px:.1f}' y2='{y}' stroke='#222' stroke-width='2'/>"
        f"<text x='12' y='{y - 4}' font-size='10'>{label}</text>"
    )


def gap_legend(span: float, *, kinds: Sequence[str] | None = None) -> str:
    """The legend of :func:`unit_map` as HTML (gradient of the gap, class outlines, no data, the cameras' dots:
    one colour per kind of ``kinds``, or "dots: cameras")."""
    lo, mid, hi = gap_colour(-span, span), gap_colour(0.0, span), gap_colour(span, span)
    low, high = _signed_points(-span), _signed_points(span)
    return (
        "<div class='legend'><span class='swatch' style='background:linear-gradient(to right,"
        f"{lo},{mid},{hi});width:120px'></span> "
        + esc(_("gap from {low} to {high} points (red: less coverage than crime)").format(low=low, high=high))
        + f" · <span class='swatch' style='border:2px solid {CLASS_OUTLINE['under_covered']}'></span> "
        + esc(_("high crime, low coverage"))
        + f" · <span class='swatch' style='border:2px solid {CLASS_OUTLINE['over_covered']}'></span> "
        + esc(_("low crime, high coverage"))
        + f" · <span class='swatch' style='background:{NO_DATA_COLOUR}'></span> "
        + esc(_("no data"))
        + " · "
        + _camera_key(kinds)
        + "</div>"
    )


def coverage_legend(units: gpd.GeoDataFrame, *, kinds: Sequence[str] | None = None) -> str:
    """The legend of :func:`unit_map` without crime data: the classes of cameras per 1,000 residents (or per
    km²), no data, the cameras' dots."""
    classes = coverage_classes(units, no_data=NO_DATA_COLOUR)
    if classes is None:
        return ""
    title = _("Cameras per 1,000 residents") if classes.column == "cameras_per_1k_residents" else _("Cameras per km²")
    swatches = " ".join(
        f"<span class='swatch' style='background:{c};border:1px solid #666'></span> "
        + esc(_("{low} to {high}").format(low=i18n.number(lo, 2), high=i18n.number(hi, 2)))
        for lo, hi, c in zip(classes.edges[:-1], classes.edges[1:], classes.colours, strict=True)
    )
    why, no_data = _("no crime data: no gap"), _("no data")
    return (
        f"<div class='legend'><b>{esc(title)}</b> ({esc(why)}): {swatches} · "
        f"<span class='swatch' style='background:{NO_DATA_COLOUR}'></span> {esc(no_data)} · "
        + _camera_key(kinds)
        + "</div>"
    )


def map_legend(units: gpd.GeoDataFrame, cameras: gpd.GeoDataFrame | None = None) -> str:
    """The legend that goes with :func:`unit_map` of these units: :func:`gap_legend`, or
    :func:`coverage_legend` when no unit has a gap; the cameras' kinds from ``cameras``."""
    kinds = sorted(set(cameras["kind"].dropna())) if cameras is not None and "kind" in cameras else None
    if needs_coverage_map(units):
        return coverage_legend(units, kinds=kinds)
    return gap_legend(gap_span(units["gap"]), kinds=kinds)


def _camera_key(kinds: Sequence[str] | None) -> str:
    if not kinds:
        return esc(_("dots: cameras"))
    names = {"camera": _("camera (CCTV)"), "ALPR": _("plate reader (ALPR)")}
    return " ".join(
        f"<span class='swatch' style='background:{KIND_COLOURS.get(k, '#666666')};border-radius:50%'></span> "
        f"{esc(names.get(k, k))}"
        for k in kinds
    )
