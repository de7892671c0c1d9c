"""Static charts and the static map of the report, as inline SVG.

The report must open offline, print to PDF and run no script, so its charts are SVG written here rather
than a plotting library's images: a few hundred lines of text per chart, sharp at any zoom and in print, and
every label escaped. matplotlib would give PNGs (blurry in print, larger) or SVGs with embedded fonts of
hundreds of kilobytes; the map page (folium) needs scripts, which the report avoids.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import geopandas as gpd
import numpy as np
import shapely

from equity.presentation.formatting import (
    CLASS_OUTLINE,
    KIND_COLOURS,
    NO_DATA_COLOUR,
    esc,
    gap_colour,
    gap_span,
    points,
    tick,
)


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
    characters, the value written after each bar."""
    if not items:
        return ""
    finite = [v for _, v in items if math.isfinite(v)]
    top = max(finite, default=0.0) or 1.0
    row, label_w = 22, 260
    out = [f"<svg class='chart' width='{width}' height='{row * len(items) + 10}' role='img' aria-label='{esc(unit)}'>"]
    for i, (label, value) in enumerate(items):
        y = 5 + i * row
        bar = (width - label_w - 80) * value / top if math.isfinite(value) else 0.0
        text = f"{value:,.{digits}f} {esc(unit)}" if math.isfinite(value) else "n/a"
        out.append(
            f"<text x='{label_w - 6}' y='{y + 14}' text-anchor='end' font-size='11'>{esc(str(label)[:40])}</text>"
            f"<rect x='{label_w}' y='{y + 3}' width='{bar:.1f}' height='{row - 8}' fill='#4575b4'/>"
            f"<text x='{label_w + bar + 4:.1f}' y='{y + 14}' font-size='11'>{text}</text>"
        )
    out.append("</svg>")
    return "".join(out)


def _path(geom: Any, sx: Any, sy: Any) -> str:
    parts = []
    for poly in getattr(geom, "geoms", [geom]):
        if poly.is_empty or poly.geom_type != "Polygon":
            continue
        for ring in [poly.exterior, *poly.interiors]:
            xy = np.asarray(ring.coords)
            parts.append("M" + "L".join(f"{sx(x):.1f},{sy(y):.1f}" for x, y in xy) + "Z")
    return "".join(parts)


def unit_map(units: gpd.GeoDataFrame, cameras: gpd.GeoDataFrame | None = None, *, width: int = 720) -> str:
    """A static choropleth of the gap per unit with the cameras as dots, as inline SVG (for the report and its
    printout; the interactive map is map.html).

    ``units`` needs ``unit_id``, ``gap`` and ``class`` and a projected CRS (north up, metres); ``cameras``
    points in the same CRS with ``kind``. Shapes are simplified to half a pixel. Each unit carries its name and
    gap as a hover title.
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

    def sx(x: float) -> float:
        return 10 + (x - minx) * scale

    def sy(y: float) -> float:
        return 10 + (maxy - y) * scale

    tolerance = 0.5 / scale
    out = [
        f"<svg class='map' width='{width}' height='{height}' viewBox='0 0 {width} {height}' role='img' "
        "aria-label='Map of the gap between coverage and crime per unit'>"
    ]
    geoms = shapely.simplify(units.geometry.to_numpy(), tolerance, preserve_topology=True)
    for geom, (_, row) in zip(geoms, units.iterrows(), strict=True):
        if geom is None or geom.is_empty:
            continue
        g = row["gap"]
        gap_text = "no data" if g is None or not math.isfinite(float(g)) else f"{points(float(g))} points"
        outline = CLASS_OUTLINE.get(row["class"], "#666666")
        stroke = 2 if row["class"] in CLASS_OUTLINE else 0.6
        out.append(
            f"<path d='{_path(geom, sx, sy)}' fill='{gap_colour(float(g), span)}' stroke='{outline}' "
            f"stroke-width='{stroke}' fill-rule='evenodd'><title>{esc(row['unit_id'])}: {gap_text}</title></path>"
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
    out.append(_scale_bar(scale, height))
    out.append("</svg>")
    return "".join(out)


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


def gap_legend(span: float) -> str:
    """The legend of :func:`unit_map` as HTML (gradient of the gap, class outlines, no data)."""
    lo, mid, hi = gap_colour(-span, span), gap_colour(0.0, span), gap_colour(span, span)
    return (
        "<div class='legend'><span class='swatch' style='background:linear-gradient(to right,"
        f"{lo},{mid},{hi});width:120px'></span> gap from {-100 * span:+.1f} to {100 * span:+.1f} points "
        "(red: less coverage than crime) · "
        f"<span class='swatch' style='border:2px solid {CLASS_OUTLINE['under_covered']}'></span> high crime, low "
        f"coverage · <span class='swatch' style='border:2px solid {CLASS_OUTLINE['over_covered']}'></span> low "
        f"crime, high coverage · <span class='swatch' style='background:{NO_DATA_COLOUR}'></span> no data · "
        "dots: cameras</div>"
    )
