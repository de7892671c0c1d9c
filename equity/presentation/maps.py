"""The folium map of one analysis: units coloured by the gap, cameras with their fields of view, crime as a
heat layer, a layer control, tooltips.

Every string that comes from the data (unit names, OSM tag values) is HTML-escaped before it reaches the map:
tag values are written by anyone, and folium puts tooltip text into the page as HTML.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

import folium
import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from folium.plugins import HeatMap
from jinja2 import Template

from equity.columns import column
from equity.io.assets import LEAFLET_VERSION, MapAssets
from equity.metrics import CLASS_LABELS
from equity.presentation.formatting import (
    CLASS_OUTLINE,
    KIND_COLOURS,
    OWNERSHIP_COLOURS,
    esc,
    gap_colour,
    gap_span,
    number_values,
    show_values,
    text_values,
)
from equity.presentation.maplayer import COORD_DECIMALS, FeatureLayer
from equity.projection import to_wgs84

if TYPE_CHECKING:
    from equity.result import StudyResult

#: Tolerance in metres of the simplification of fields of view and viewsheds drawn on the map (the tables are
#: computed from the exact geometry).
SIMPLIFY_M = 0.5
LEAFLET_JS = f"https://cdn.jsdelivr.net/npm/leaflet@{LEAFLET_VERSION}/dist/leaflet.js"
LEAFLET_CSS = f"https://cdn.jsdelivr.net/npm/leaflet@{LEAFLET_VERSION}/dist/leaflet.css"


class Markup(folium.Element):
    """HTML that equity wrote (every user's or file's text in it escaped) added to the page as it is.

    folium's own ``Element(html)`` takes its argument as the source of a Jinja template and renders it, so that
    ``{{ ... }}`` in a study's name or a unit's name would run as template code. Here the markup is the value of
    a fixed template's variable: Jinja writes a variable's value out and never evaluates it.
    """

    _template = Template("{{ this.markup }}")

    def __init__(self, markup: str) -> None:
        super().__init__()
        self.markup = markup


def build_map(result: StudyResult, *, title: str = "Camera coverage and crime") -> folium.Map:
    """Build the folium map of a :class:`equity.study.StudyResult` (nothing is written)."""
    units = to_wgs84(result.units)
    minx, miny, maxx, maxy = units.total_bounds
    m = folium.Map(
        location=[(miny + maxy) / 2, (minx + maxx) / 2],
        zoom_start=12,
        tiles=None,
        control_scale=True,
        prefer_canvas=True,
    )
    # Only Leaflet itself: the map uses no icon fonts, Bootstrap or jQuery, and each would be one more request
    # (and one more thing to inline for an offline map).
    m.default_js = [("leaflet", LEAFLET_JS)]
    m.default_css = [("leaflet_css", LEAFLET_CSS)]
    folium.TileLayer("OpenStreetMap", name="OpenStreetMap", control=True).add_to(m)
    m.fit_bounds([[miny, minx], [maxy, maxx]])

    gap = units["gap"].astype(float)
    span = gap_span(gap)
    props = pd.DataFrame({name: show_values(units[name], column(name)) for name in UNIT_TOOLTIP})
    props["colour"] = gap.map(lambda v: gap_colour(v, span)).to_numpy()
    props["outline"] = units["class"].map(lambda c: CLASS_OUTLINE.get(c, "#555555")).to_numpy()
    props["weight"] = units["class"].map(lambda c: 3 if c in CLASS_OUTLINE else 1).to_numpy()
    unit_layer = gpd.GeoDataFrame(props, geometry=units.geometry.simplify(1e-5).to_numpy(), crs=units.crs)
    FeatureLayer(
        unit_layer,
        name="Units: gap between coverage and crime",
        style={"fillOpacity": 0.6},
        style_columns={"fillColor": "colour", "color": "outline", "weight": "weight"},
        tooltip={name: column(name).label for name in UNIT_TOOLTIP},
    ).add_to(m)
    m.get_root().html.add_child(Markup(_legend(span, result)))

    if result.crime is not None and len(result.crime):
        pts = to_wgs84(result.crime).geometry
        heat, decimals = heat_points(pts.y.to_numpy(), pts.x.to_numpy())
        name = "Crime incidents (heat)"
        if decimals < COORD_DECIMALS:
            name = f"Crime incidents (heat, binned to about {111_000 / 10**decimals:,.0f} m)"
        HeatMap(heat, name=name, radius=12, blur=15, min_opacity=0.3, show=False).add_to(m)

    views = result.views
    keep = result.sectors.notna()
    if keep.any():
        # The sectors carry only their style and the camera id: the attributes are on the camera points, once.
        sel = views[keep]
        fov = gpd.GeoDataFrame(
            {
                "camera_id": sel["camera_id"].astype(str).to_numpy(),
                "fill": sel["kind"].map(KIND_COLOURS).fillna("#666666").to_numpy(),
                "outline": sel["ownership"].map(OWNERSHIP_COLOURS).fillna("#999999").to_numpy(),
            },
            geometry=_for_display(result.sectors[keep], simplified="surface" in result.meta),
            crs=result.crs,
        )
        FeatureLayer(
            to_wgs84(fov),
            name="Cameras: what they see (viewsheds)" if "surface" in result.meta else "Cameras: fields of view",
            style={"weight": 1, "fillOpacity": 0.35},
            style_columns={"fillColor": "fill", "color": "outline"},
            tooltip={"camera_id": "Field of view of camera"},
        ).add_to(m)
    _camera_layer(
        m,
        views,
        name="Cameras",
        style={"radius": 4, "weight": 1, "fillOpacity": 0.9},
        style_columns={"fillColor": "fill", "color": "outline"},
        tooltip=_SHORT_FIELDS,
        popup=_TOOLTIP_FIELDS,
    )
    if "looks_into_homes" in views and views["looks_into_homes"].any():
        _camera_layer(
            m,
            views[views["looks_into_homes"]],
            name="Cameras looking mostly into homes",
            style={"radius": 9, "weight": 3, "fillOpacity": 0.9, "fillColor": "#ffffff", "color": "#7f0000"},
            tooltip=_TOOLTIP_FIELDS,
            popup=_TOOLTIP_FIELDS,
        )
    if "anomaly_flag" in views and views["anomaly_flag"].astype(bool).any():
        fields = {"camera_id": "Camera", "operator": "Operator", "score": "Anomaly score", "why": "Why"}
        _camera_layer(
            m,
            views[views["anomaly_flag"].astype(bool)],
            name="Placement anomalies",
            style={"radius": 8, "weight": 3, "fillOpacity": 0.8, "fillColor": "#ffd92f", "color": "#762a83"},
            tooltip=fields,
            popup=fields,
            show=False,
        )
    if getattr(result, "personal_data", False):
        from equity.io.outputs import PERSONAL_DATA_NOTE

        banner = (
            "<div style='position:fixed;top:10px;left:60px;z-index:1000;background:#7f0000;color:#fff;"
            f"padding:6px 10px;font:bold 13px sans-serif;max-width:60%'>{esc(PERSONAL_DATA_NOTE)}</div>"
        )
        m.get_root().html.add_child(Markup(banner))
    folium.LayerControl(collapsed=False).add_to(m)
    m.get_root().header.add_child(Markup(f"<title>{esc(title)}</title>"))
    _stable_ids(m)
    return m


#: The columns of units.csv that a unit's tooltip shows, in order (labels and formats from :mod:`equity.columns`).
UNIT_TOOLTIP = (
    "unit_id",
    "class",
    "cameras",
    "crimes",
    "population",
    "covered_share",
    "crime_share",
    "coverage_share",
    "gap",
)

#: What a camera's tooltip shows on hover; the popup (on a click) shows all of :data:`_TOOLTIP_FIELDS`.
_SHORT_FIELDS = {"camera_id": "Camera", "kind": "Kind", "operator": "Operator", "direction": "Direction"}

_TOOLTIP_FIELDS = {
    "camera_id": "Camera",
    "kind": "Kind",
    "ownership": "Ownership",
    "camera_type": "Type",
    "operator": "Operator",
    "name": "Name",
    "direction": "Direction",
    "fov": "Field of view",
    "range": "Range",
    "height": "Height",
    "direction_source": "Direction is",
    "issues": "Tag problems",
    "homes": "Homes in view",
    "intrusion": "Intrusion score",
}


def _camera_layer(m: folium.Map, views: pd.DataFrame, *, name: str, style: dict[str, Any], **options: Any) -> None:
    """One circle marker per camera of ``views`` (its first view), with the normalised attributes, and for
    placement anomalies their score and explanation."""
    first = views.drop_duplicates("camera_id")
    props = _camera_props(first)
    if "anomaly_score" in first:
        props["why"] = text_values(first["anomaly_explanation"])
        props["score"] = number_values(first["anomaly_score"], 2, "")
    pts = gpd.GeoDataFrame(props, geometry=first.geometry.to_numpy(), crs=first.crs)
    FeatureLayer(to_wgs84(pts), name=name, style={"fill": True, **style}, **options).add_to(m)


def _for_display(geoms: gpd.GeoSeries, *, simplified: bool) -> np.ndarray:
    """Fields of view simplified by :data:`SIMPLIFY_M` for the map, without the (slow) topology preservation
    as they are only drawn; viewsheds arrive simplified to half a cell already and are kept as they are."""
    arr = geoms.to_numpy()
    return arr if simplified else shapely.simplify(arr, SIMPLIFY_M, preserve_topology=False)


def _camera_props(views: pd.DataFrame) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "camera_id": text_values(views["camera_id"]),
            "kind": text_values(views["kind"]),
            "ownership": text_values(views["ownership"]),
            "camera_type": text_values(views["camera_type"]),
            "operator": text_values(views["operator"]),
            "name": text_values(views["name"]),
            "direction": number_values(views["direction_deg"], 0, "°"),
            "fov": number_values(views["fov_deg"], 0, "°"),
            "range": number_values(views["range_m"], 0, " m"),
            "height": number_values(views["height_m"], 1, " m"),
            "direction_source": text_values(views["direction_source"]),
            "issues": text_values(views["issues"]),
            "homes": (
                (
                    views["homes_in_view"].astype(int).astype(str)
                    + " (+"
                    + views["probable_homes_in_view"].astype(int).astype(str)
                    + " probable)"
                ).to_numpy()
                if "homes_in_view" in views
                else "n/a"
            ),
            "intrusion": number_values(views["intrusion_score"], 2, "") if "intrusion_score" in views else "n/a",
            "fill": views["kind"].map(KIND_COLOURS).fillna("#666666").to_numpy(),
            "outline": views["ownership"].map(OWNERSHIP_COLOURS).fillna("#999999").to_numpy(),
        }
    )


def _stable_ids(root: Any) -> None:
    """Replace folium's random element ids with counters, so that the same inputs give the same file."""
    counter = 0

    def walk(el: Any) -> None:
        nonlocal counter
        el._id = f"{counter:016x}"
        counter += 1
        for child in list(getattr(el, "_children", {}).values()):
            walk(child)

    walk(root.get_root())


#: Most points the heat layer draws; beyond, incidents are binned to a grid of 10^-d degrees with their count.
MAX_HEAT_POINTS = 50_000


def heat_points(lat: np.ndarray, lon: np.ndarray, max_points: int = MAX_HEAT_POINTS) -> tuple[list, int]:
    """Points of the crime heat layer, and the decimals of the degrees they were rounded to.

    Up to ``max_points`` incidents are drawn one by one (rounded to 5 decimals, about 1 m). A city's million
    incidents would make the page tens of megabytes and slow to draw, so beyond that they are binned to
    4 decimals (about 11 m), or 3 or 2 when still too many, as ``[lat, lon, w]`` with
    ``w = min(1, count / q99)``, ``q99`` the 99th percentile of the counts per bin (leaflet.heat saturates at
    a weight of 1).

    Examples
    --------
    >>> pts, d = heat_points(np.array([1.0, 1.00001, 2.0]), np.array([3.0, 3.0, 4.0]), max_points=2)
    >>> d, len(pts)
    (4, 2)
    """
    lat, lon = np.asarray(lat, dtype=float), np.asarray(lon, dtype=float)
    if len(lat) <= max_points:
        return np.round(np.column_stack([lat, lon]), COORD_DECIMALS).tolist(), COORD_DECIMALS
    for decimals in (4, 3, 2):
        cells, counts = np.unique(np.round(np.column_stack([lat, lon]), decimals), axis=0, return_counts=True)
        if len(cells) <= max_points or decimals == 2:
            break
    weight = np.minimum(1.0, counts / max(float(np.quantile(counts, 0.99)), 1.0))
    return np.column_stack([cells, np.round(weight, 3)]).tolist(), decimals


def _legend(span: float, result: StudyResult) -> str:
    """The map's legend: the gap's colour scale, the class outlines, camera kinds and ownership (static HTML)."""
    gradient = f"linear-gradient(to right,{gap_colour(-1, 1)},{gap_colour(0, 1)},{gap_colour(1, 1)})"
    kinds = sorted(set(result.views["kind"].dropna()) & set(KIND_COLOURS)) if len(result.views) else []
    owners = sorted(set(result.views["ownership"].dropna()) & set(OWNERSHIP_COLOURS)) if len(result.views) else []
    rows = [
        "<div id='equity-legend' style='position:fixed;bottom:24px;right:10px;z-index:1000;background:#fff;"
        "padding:8px 10px;font:12px/1.4 sans-serif;border:1px solid #999;border-radius:4px;max-width:260px'>",
        "<b>Gap</b>: share of the area in view minus share of crime",
        f"<div style='height:10px;background:{gradient};margin:3px 0'></div>",
        f"<div style='display:flex;justify-content:space-between'><span>{-100 * span:+.1f} pts</span><span>0</span>"
        f"<span>{100 * span:+.1f} pts</span></div>",
        "<div>red: less coverage than crime; grey: no data</div>",
    ]
    for cls, colour in CLASS_OUTLINE.items():
        rows.append(
            f"<div><span style='display:inline-block;width:14px;height:10px;border:3px solid {colour}'></span> "
            f"{esc(CLASS_LABELS[cls])}</div>"
        )
    if kinds:
        rows.append("<b>Cameras</b> (fill: kind)")
        rows.extend(
            f"<div><span style='display:inline-block;width:10px;height:10px;border-radius:50%;"
            f"background:{KIND_COLOURS[k]}'></span> {esc(k)}</div>"
            for k in kinds
        )
    if owners:
        rows.append("<b>Outline</b>: ownership")
        rows.extend(
            f"<div><span style='display:inline-block;width:10px;height:10px;border-radius:50%;"
            f"border:2px solid {OWNERSHIP_COLOURS[o]}'></span> {esc(o)}</div>"
            for o in owners
        )
    rows.append("</div>")
    return "".join(rows)


_SCRIPT_TAG = re.compile(r'<script src="([^"]+)"></script>')
_STYLE_TAG = re.compile(r'<link rel="stylesheet" href="([^"]+)"/>')


def _asset_name(url: str) -> str | None:
    name = url.rsplit("/", 1)[-1]
    return {"leaflet.js": "leaflet", "leaflet_heat.min.js": "leaflet-heat.js", "leaflet.css": "leaflet_css"}.get(name)


def render_map(m: folium.Map, *, assets: MapAssets | None = None) -> str:
    """The map as one HTML document.

    With ``assets`` (see :func:`equity.io.assets.map_assets`) every script and style sheet is inlined, so the
    page makes no request but for the background tiles; without, they are linked from a CDN.

    Raises
    ------
    AssetError
        With ``assets``, when the page links a script or style sheet that is not among them (a folium upgrade
        that brought a new dependency), rather than writing a map that silently needs the network.
    """
    page = m.get_root().render()
    if assets is None:
        return page
    from equity.io.assets import AssetError

    def inline(match: re.Match[str], table: dict[str, str], tag: str) -> str:
        name = _asset_name(match.group(1))
        if name not in table:
            msg = f"The map links {match.group(1)}, which equity cannot inline; use the CDN assets instead."
            raise AssetError(msg)
        body = table[name].replace("</script", "<\\/script").replace("</style", "<\\/style")
        return f"<{tag}>{body}</{tag}>"

    page = _SCRIPT_TAG.sub(lambda mt: inline(mt, assets.scripts, "script"), page)
    return _STYLE_TAG.sub(lambda mt: inline(mt, assets.styles, "style"), page)
