"""The folium map of one analysis: units coloured by the gap, cameras with their fields of view, crime as a
heat layer, a layer control, tooltips.

Every string that comes from the data (unit names, OSM tag values) is HTML-escaped before it reaches the map:
tag values are written by anyone, and folium puts tooltip text into the page as HTML.
"""

from __future__ import annotations

import html
import json
import math
import re
from typing import Any

import branca.colormap as cm
import folium
import geopandas as gpd
import pandas as pd
from folium.plugins import HeatMap

from equity.io.assets import LEAFLET_VERSION, MapAssets
from equity.metrics import CLASS_LABELS
from equity.projection import to_wgs84

#: Fill colour of a camera by kind.
KIND_COLOURS = {"camera": "#1f78b4", "ALPR": "#e66101", "guard": "#6a3d9a", "gunshot_detector": "#33a02c"}
#: Outline colour of a field of view by ownership.
OWNERSHIP_COLOURS = {"public": "#b2182b", "outdoor": "#4d4d4d", "indoor": "#878787", "unknown": "#999999"}
CLASS_OUTLINE = {"under_covered": "#67001f", "over_covered": "#053061"}

#: Decimal places kept in map coordinates (5 places is about 1 m), to keep the file small.
COORD_DECIMALS = 5
#: Tolerance in metres of the simplification of fields of view and viewsheds drawn on the map (the tables are
#: computed from the exact geometry).
SIMPLIFY_M = 0.5
LEAFLET_JS = f"https://cdn.jsdelivr.net/npm/leaflet@{LEAFLET_VERSION}/dist/leaflet.js"
LEAFLET_CSS = f"https://cdn.jsdelivr.net/npm/leaflet@{LEAFLET_VERSION}/dist/leaflet.css"


def esc(value: Any) -> str:
    """Text for display in HTML: escaped, with missing values as an empty string."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    return html.escape(str(value), quote=True)


def _fmt(value: Any, digits: int = 2) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "n/a"
    if isinstance(value, float):
        return f"{value:,.{digits}f}"
    return esc(value)


def _round_coords(geojson: dict[str, Any]) -> dict[str, Any]:
    def walk(obj: Any) -> Any:
        if isinstance(obj, list):
            if obj and isinstance(obj[0], (int, float)):
                return [round(float(v), COORD_DECIMALS) for v in obj]
            return [walk(v) for v in obj]
        return obj

    for feat in geojson["features"]:
        if feat.get("geometry"):
            feat["geometry"]["coordinates"] = walk(feat["geometry"]["coordinates"])
        feat.pop("bbox", None)
        feat.pop("id", None)
    geojson.pop("bbox", None)
    return geojson


def _geojson(gdf: gpd.GeoDataFrame) -> dict[str, Any]:
    return _round_coords(json.loads(gdf.to_json(drop_id=True)))


def build_map(result: Any, *, title: str = "Camera coverage and crime") -> folium.Map:
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
    span = float(gap.abs().max()) if gap.notna().any() and gap.abs().max() > 0 else 1.0
    colormap = cm.LinearColormap(
        ["#b2182b", "#f7f7f7", "#2166ac"],
        vmin=-span,
        vmax=span,
        caption="Gap: share of coverage minus share of crime (red: less coverage than crime)",
    )
    props = pd.DataFrame(
        {
            "name": units["unit_id"].map(esc),
            "class_label": units["class"].map(lambda c: esc(CLASS_LABELS.get(c, c))),
            "cameras": units["cameras"].map(_fmt),
            "crimes": units["crimes"].map(lambda v: _fmt(v, 0)),
            "population": units["population"].map(lambda v: _fmt(v, 0)),
            "covered": units["covered_share"].map(lambda v: "n/a" if pd.isna(v) else f"{100 * v:.2f}%"),
            "crime_share": units["crime_share"].map(lambda v: "n/a" if pd.isna(v) else f"{100 * v:.2f}%"),
            "coverage_share": units["coverage_share"].map(lambda v: "n/a" if pd.isna(v) else f"{100 * v:.2f}%"),
            "gap_text": gap.map(lambda v: "n/a" if pd.isna(v) else f"{100 * v:+.2f} points"),
            "colour": gap.map(lambda v: "#cccccc" if pd.isna(v) else colormap(v)),
            "outline": units["class"].map(lambda c: CLASS_OUTLINE.get(c, "#555555")),
            "weight": units["class"].map(lambda c: 3 if c in CLASS_OUTLINE else 1),
        }
    )
    unit_layer = gpd.GeoDataFrame(props, geometry=units.geometry.simplify(1e-5).to_numpy(), crs=units.crs)
    folium.GeoJson(
        _geojson(unit_layer),
        name="Units: gap between coverage and crime",
        style_function=lambda f: {
            "fillColor": f["properties"]["colour"],
            "color": f["properties"]["outline"],
            "weight": f["properties"]["weight"],
            "fillOpacity": 0.6,
        },
        highlight_function=lambda f: {"weight": 4, "fillOpacity": 0.8},
        tooltip=folium.GeoJsonTooltip(
            fields=[
                "name",
                "class_label",
                "cameras",
                "crimes",
                "population",
                "covered",
                "crime_share",
                "coverage_share",
                "gap_text",
            ],
            aliases=[
                "Unit",
                "Class",
                "Cameras",
                "Crimes",
                "Residents",
                "Area in view",
                "Share of crime",
                "Share of coverage",
                "Gap",
            ],
            sticky=True,
        ),
    ).add_to(m)
    m.get_root().html.add_child(folium.Element(_legend(span, result)))

    if result.crime is not None and len(result.crime):
        pts = to_wgs84(result.crime).geometry
        heat = [[round(y, COORD_DECIMALS), round(x, COORD_DECIMALS)] for x, y in zip(pts.x, pts.y, strict=True)]
        HeatMap(heat, name="Crime incidents (heat)", radius=12, blur=15, min_opacity=0.3, show=False).add_to(m)

    views = result.views
    keep = result.sectors.notna()
    if keep.any():
        # The sectors carry only their style and the camera id: the attributes are on the camera points, once.
        sel = views[keep]
        fov = gpd.GeoDataFrame(
            {
                "camera_id": sel["camera_id"].map(esc).to_numpy(),
                "fill": sel["kind"].map(lambda k: KIND_COLOURS.get(k, "#666666")).to_numpy(),
                "outline": sel["ownership"].map(lambda o: OWNERSHIP_COLOURS.get(o, "#999999")).to_numpy(),
            },
            geometry=result.sectors[keep].simplify(SIMPLIFY_M).to_numpy(),
            crs=result.crs,
        )
        fov = to_wgs84(fov)
        folium.GeoJson(
            _geojson(fov),
            name="Cameras: what they see (viewsheds)" if "surface" in result.meta else "Cameras: fields of view",
            style_function=lambda f: {
                "fillColor": f["properties"]["fill"],
                "color": f["properties"]["outline"],
                "weight": 1,
                "fillOpacity": 0.35,
            },
            tooltip=folium.GeoJsonTooltip(fields=["camera_id"], aliases=["Field of view of camera"]),
        ).add_to(m)
    first = views.drop_duplicates("camera_id")
    pts = gpd.GeoDataFrame(_camera_props(first), geometry=first.geometry.to_numpy(), crs=first.crs)
    folium.GeoJson(
        _geojson(to_wgs84(pts)),
        name="Cameras",
        marker=folium.CircleMarker(radius=4, weight=1, fill=True, fill_opacity=0.9),
        style_function=lambda f: {"fillColor": f["properties"]["fill"], "color": f["properties"]["outline"]},
        tooltip=folium.GeoJsonTooltip(fields=list(_SHORT_FIELDS), aliases=list(_SHORT_FIELDS.values())),
        popup=folium.GeoJsonPopup(fields=list(_TOOLTIP_FIELDS), aliases=list(_TOOLTIP_FIELDS.values())),
    ).add_to(m)

    if "looks_into_homes" in views and views["looks_into_homes"].any():
        flagged = views[views["looks_into_homes"]].drop_duplicates("camera_id")
        layer = gpd.GeoDataFrame(_camera_props(flagged), geometry=flagged.geometry.to_numpy(), crs=flagged.crs)
        folium.GeoJson(
            _geojson(to_wgs84(layer)),
            name="Cameras looking mostly into homes",
            marker=folium.CircleMarker(radius=9, weight=3, fill=True, fill_opacity=0.9),
            style_function=lambda f: {"fillColor": "#ffffff", "color": "#7f0000"},
            tooltip=folium.GeoJsonTooltip(fields=list(_TOOLTIP_FIELDS), aliases=list(_TOOLTIP_FIELDS.values())),
        ).add_to(m)
    if "anomaly_flag" in views and views["anomaly_flag"].astype(bool).any():
        odd = views[views["anomaly_flag"].astype(bool)].drop_duplicates("camera_id")
        props = _camera_props(odd)
        props["why"] = odd["anomaly_explanation"].map(esc).to_numpy()
        props["score"] = odd["anomaly_score"].map(lambda v: f"{v:.2f}").to_numpy()
        layer = gpd.GeoDataFrame(props, geometry=odd.geometry.to_numpy(), crs=odd.crs)
        fields = {"camera_id": "Camera", "operator": "Operator", "score": "Anomaly score", "why": "Why"}
        folium.GeoJson(
            _geojson(to_wgs84(layer)),
            name="Placement anomalies",
            marker=folium.CircleMarker(radius=8, weight=3, fill=True, fill_opacity=0.8),
            style_function=lambda f: {"fillColor": "#ffd92f", "color": "#762a83"},
            tooltip=folium.GeoJsonTooltip(fields=list(fields), aliases=list(fields.values())),
            show=False,
        ).add_to(m)
    if getattr(result, "personal_data", False):
        from equity.io.outputs import PERSONAL_DATA_NOTE

        banner = (
            "<div style='position:fixed;top:10px;left:60px;z-index:1000;background:#7f0000;color:#fff;"
            f"padding:6px 10px;font:bold 13px sans-serif;max-width:60%'>{esc(PERSONAL_DATA_NOTE)}</div>"
        )
        m.get_root().html.add_child(folium.Element(banner))
    folium.LayerControl(collapsed=False).add_to(m)
    m.get_root().header.add_child(folium.Element(f"<title>{esc(title)}</title>"))
    _stable_ids(m)
    return m


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


def _camera_props(views: pd.DataFrame) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "camera_id": views["camera_id"].map(esc).to_numpy(),
            "kind": views["kind"].map(esc).to_numpy(),
            "ownership": views["ownership"].map(esc).to_numpy(),
            "camera_type": views["camera_type"].map(esc).to_numpy(),
            "operator": views["operator"].map(esc).to_numpy(),
            "name": views["name"].map(esc).to_numpy(),
            "direction": views["direction_deg"].map(lambda v: "n/a" if pd.isna(v) else f"{v:.0f}°").to_numpy(),
            "fov": views["fov_deg"].map(lambda v: "n/a" if pd.isna(v) else f"{v:.0f}°").to_numpy(),
            "range": views["range_m"].map(lambda v: "n/a" if pd.isna(v) else f"{v:.0f} m").to_numpy(),
            "height": views["height_m"].map(lambda v: "n/a" if pd.isna(v) else f"{v:.1f} m").to_numpy(),
            "direction_source": views["direction_source"].map(esc).to_numpy(),
            "issues": views["issues"].map(esc).to_numpy(),
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
            "intrusion": (
                views["intrusion_score"].map(lambda v: "n/a" if pd.isna(v) else f"{v:.2f}").to_numpy()
                if "intrusion_score" in views
                else "n/a"
            ),
            "fill": views["kind"].map(lambda k: KIND_COLOURS.get(k, "#666666")).to_numpy(),
            "outline": views["ownership"].map(lambda o: OWNERSHIP_COLOURS.get(o, "#999999")).to_numpy(),
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


def _legend(span: float, result: Any) -> str:
    """The map's legend: the gap's colour scale, the class outlines, camera kinds and ownership (static HTML)."""
    gradient = "linear-gradient(to right,#b2182b,#f7f7f7,#2166ac)"
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
