"""The folium map of one analysis: units coloured by the gap (or, without crime data, by their cameras), their
names, the buildings, cameras with their fields of view, crime as a heat layer, a layer control, tooltips and a
legend with an entry for every symbol drawn, in the reader's language (:mod:`equity.presentation.i18n`).

Every string that comes from the data (unit names, OSM tag values) is HTML-escaped before it reaches the map:
tag values are written by anyone, and folium puts tooltip text into the page as HTML.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import folium
import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from babel.numbers import get_decimal_symbol, get_group_symbol
from folium.plugins import HeatMap
from jinja2 import Template

from equity.columns import column
from equity.io.assets import LEAFLET_VERSION, MapAssets
from equity.presentation import i18n
from equity.presentation.choropleth import coverage_classes, needs_coverage_map
from equity.presentation.formatting import (
    CLASS_OUTLINE,
    KIND_COLOURS,
    NO_DATA_COLOUR,
    OWNERSHIP_COLOURS,
    class_label,
    esc,
    gap_colour,
    gap_span,
    points,
    show_values,
    text_values,
)
from equity.presentation.i18n import _
from equity.presentation.maplayer import COORD_DECIMALS, FeatureLayer, LabelLayer, safe_json
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


def build_map(result: StudyResult, *, title: str | None = None) -> folium.Map:
    """Build the folium map of a :class:`equity.study.StudyResult` (nothing is written).

    The map is written in the language of :func:`equity.presentation.i18n.current` (its text through
    :func:`~equity.presentation.i18n._`, its numbers in that language's notation); unit names and tag values
    are shown as they were written. ``title`` defaults to "Camera coverage and crime" in that language.

    The layers, from bottom to top (their ``rank`` on the one canvas): the units, coloured by the gap, or with
    no crime data by cameras per 1,000 residents (per km² without residents,
    :mod:`equity.presentation.choropleth`); the buildings the viewsheds were computed on; the cameras' fields
    of view; the plate readers' logged roads and the units' road entrances, with the cordoned units outlined just
    above the units (:func:`equity.presentation.roadmap.add_road_layers`, when the study had streets); the cameras;
    the cameras looking mostly into homes; the placement anomalies. The crime heat layer
    and the unit names lie above them and take no mouse events, nor do the buildings and the fields of view
    (a camera's details are on its dot), so a unit shows its tooltip wherever no camera dot is.
    """
    lang = i18n.current()
    units = to_wgs84(result.units)
    minx, miny, maxx, maxy = units.total_bounds
    m = folium.Map(
        location=[(miny + maxy) / 2, (minx + maxx) / 2],
        zoom_start=12,
        tiles=None,
        control_scale=True,
        prefer_canvas=True,
    )
    m.equity_lang = lang
    # Only Leaflet itself: the map uses no icon fonts, Bootstrap or jQuery, and each would be one more request
    # (and one more thing to inline for an offline map).
    m.default_js = [("leaflet", LEAFLET_JS)]
    m.default_css = [("leaflet_css", LEAFLET_CSS)]
    folium.TileLayer("OpenStreetMap", name="OpenStreetMap", control=True).add_to(m)
    m.fit_bounds([[miny, minx], [maxy, maxx]])
    legend: list[LegendSection] = []

    _unit_layer(m, result, units, legend)
    _label_layer(m, result, legend)

    if result.crime is not None and len(result.crime):
        pts = to_wgs84(result.crime).geometry
        heat, decimals = heat_points(pts.y.to_numpy(), pts.x.to_numpy())
        name = _("Crime incidents (heat)")
        if decimals < COORD_DECIMALS:
            name = _("Crime incidents (heat, binned to about {metres} m)").format(
                metres=i18n.number(111_000 / 10**decimals)
            )
        HeatMap(heat, name=name, radius=12, blur=15, min_opacity=0.3, show=False).add_to(m)
        heat_gradient = "linear-gradient(to right,blue,cyan,lime,yellow,red)"
        legend.append(
            LegendSection(
                (name,),
                _("Crime incidents"),
                [LegendEntry(_("few to many recorded incidents nearby"), swatch=_bar(heat_gradient), scale="heat")],
            )
        )

    buildings = getattr(result, "buildings", None)
    if buildings is not None and len(buildings):
        name = _("Buildings (used for the viewsheds)")
        withheld = int(buildings.attrs.get("homes_withheld", 0))
        shapes = gpd.GeoDataFrame(
            geometry=shapely.simplify(buildings.geometry.to_numpy(), BUILDING_SIMPLIFY_M, preserve_topology=False),
            crs=buildings.crs,
        )
        FeatureLayer(
            to_wgs84(shapes),
            name=name,
            style={**BUILDING_STYLE, "interactive": False},
            show=len(buildings) <= MAX_BUILDINGS_SHOWN,
            rank=1,
        ).add_to(m)
        legend.append(
            LegendSection(
                (name,),
                _("Buildings"),
                [
                    LegendEntry(
                        _("building footprints that block the views (simplified by {metres} m)").format(
                            metres=i18n.number(BUILDING_SIMPLIFY_M)
                        ),
                        swatch=_square(BUILDING_STYLE["fillColor"], BUILDING_STYLE["fillColor"]),
                        fill=BUILDING_STYLE["fillColor"],
                    ),
                    *(
                        [
                            LegendEntry(
                                _(
                                    "{n} homes block views too but are not drawn: a public analysis shows no home's "
                                    "footprint"
                                ).format(n=i18n.number(withheld))
                            )
                        ]
                        if withheld
                        else []
                    ),
                ],
            )
        )

    views = result.views
    kinds = sorted(set(views["kind"].dropna())) if len(views) else []
    owners = sorted(set(views["ownership"].dropna())) if len(views) else []
    camera_layers = [_("Cameras")]
    keep = result.sectors.notna()
    if keep.any():
        # The sectors carry only their style: the attributes are on the camera points, once.
        sel = views[keep]
        disc = pd.to_numeric(sel["fov_deg"], errors="coerce").to_numpy() >= 360
        fov = gpd.GeoDataFrame(
            {
                "fill": sel["kind"].map(KIND_COLOURS).fillna(OTHER_KIND_COLOUR).to_numpy(),
                "outline": sel["ownership"].map(OWNERSHIP_COLOURS).fillna(OTHER_OWNER_COLOUR).to_numpy(),
                "dash": np.where(disc, DISC_DASH, ""),
            },
            geometry=_for_display(result.sectors[keep], simplified="surface" in result.meta),
            crs=result.crs,
        )
        fov_name = _("Cameras: what they see (viewsheds)") if "surface" in result.meta else _("Cameras: fields of view")
        camera_layers.insert(0, fov_name)
        FeatureLayer(
            to_wgs84(fov),
            name=fov_name,
            style={"weight": 1, "fillOpacity": 0.35, "interactive": False},
            style_columns={"fillColor": "fill", "color": "outline", "dashArray": "dash"},
            rank=2,
        ).add_to(m)
        if disc.any():
            legend.append(
                LegendSection(
                    (fov_name,),
                    fov_name,
                    [
                        LegendEntry(
                            _("a full disc of the camera's range: direction unknown, or a camera that turns"),
                            swatch=_square("#ffffff", "#444444", dash=True),
                            dash=DISC_DASH,
                        )
                    ],
                )
            )
    _camera_layer(
        m,
        views,
        name=_("Cameras"),
        style={"radius": 4, "weight": 1, "fillOpacity": 0.9},
        style_columns={"fillColor": "fill", "color": "outline"},
        tooltip=_short_fields(),
        popup=_tooltip_fields(),
        rank=3,
    )
    legend.append(
        LegendSection(
            tuple(camera_layers),
            _("Cameras (fill: kind)"),
            [
                LegendEntry(_kind_label(k), swatch=_dot(KIND_COLOURS.get(k, OTHER_KIND_COLOUR)), fill=k_colour)
                for k in kinds
                for k_colour in [KIND_COLOURS.get(k, OTHER_KIND_COLOUR)]
            ],
        )
    )
    if len(views) and _not_drawn(views.drop_duplicates("camera_id")).any():
        legend[-1].entries.append(
            LegendEntry(
                _("a camera whose view is not drawn nor counted (direction unknown, or set aside: see cameras.csv)"),
                swatch=_dot(NOT_DRAWN_FILL, "#444444"),
                fill=NOT_DRAWN_FILL,
            )
        )
    legend.append(
        LegendSection(
            tuple(camera_layers),
            _("Outline: the OSM tag surveillance"),
            [
                LegendEntry(
                    _owner_label(o), swatch=_dot("#ffffff", OWNERSHIP_COLOURS.get(o, OTHER_OWNER_COLOUR)), stroke=c
                )
                for o in owners
                for c in [OWNERSHIP_COLOURS.get(o, OTHER_OWNER_COLOUR)]
            ],
        )
    )
    if "looks_into_homes" in views and views["looks_into_homes"].any():
        name = _("Cameras looking mostly into homes")
        _camera_layer(
            m,
            views[views["looks_into_homes"]],
            name=name,
            style={"radius": 9, **HOMES_STYLE},
            tooltip=_tooltip_fields(),
            popup=_tooltip_fields(),
            rank=4,
        )
        legend.append(
            LegendSection(
                (name,),
                name,
                [
                    LegendEntry(
                        _("a camera whose view is mostly homes"),
                        swatch=_dot(HOMES_STYLE["fillColor"], HOMES_STYLE["color"], big=True),
                        fill=HOMES_STYLE["fillColor"],
                        stroke=HOMES_STYLE["color"],
                    )
                ],
            )
        )
    if "anomaly_flag" in views and views["anomaly_flag"].astype(bool).any():
        name = _("Placement anomalies")
        fields = {"camera_id": _("Camera"), "operator": _("Operator"), "score": _("Anomaly score"), "why": _("Why")}
        _camera_layer(
            m,
            views[views["anomaly_flag"].astype(bool)],
            name=name,
            style={"radius": 8, **ANOMALY_STYLE},
            tooltip=fields,
            popup=fields,
            show=False,
            rank=5,
        )
        legend.append(
            LegendSection(
                (name,),
                name,
                [
                    LegendEntry(
                        _("a camera placed against the pattern of the others (see the report)"),
                        swatch=_dot(ANOMALY_STYLE["fillColor"], ANOMALY_STYLE["color"], big=True),
                        fill=ANOMALY_STYLE["fillColor"],
                        stroke=ANOMALY_STYLE["color"],
                    )
                ],
            )
        )
    if getattr(result, "roads", None) is not None:
        from equity.presentation.roadmap import add_road_layers

        add_road_layers(m, result.roads, result.units, legend)
    if getattr(result, "personal_data", False):
        from equity.io.outputs import PERSONAL_DATA_NOTE

        banner = (
            "<div style='position:fixed;top:10px;left:60px;z-index:1000;background:#7f0000;color:#fff;"
            f"padding:6px 10px;font:bold 13px sans-serif;max-width:60%'>{esc(PERSONAL_DATA_NOTE)}</div>"
        )
        m.get_root().html.add_child(Markup(banner))
    m.get_root().header.add_child(Markup(f"<style>{MAP_CSS}</style>"))
    m.get_root().html.add_child(Markup(_legend_html(legend, m)))
    folium.LayerControl(collapsed=False).add_to(m)
    _LegendToggle(m).add_to(m)
    if title is None:
        title = _("Camera coverage and crime")
    m.get_root().header.add_child(Markup(f"<title>{esc(title)}</title>"))
    _stable_ids(m)
    return m


#: Buildings drawn on the map when at most this many, else their layer starts switched off (it can be switched on).
MAX_BUILDINGS_SHOWN = 5_000
#: Tolerance in metres of the simplification of the buildings drawn (the viewsheds used the exact footprints).
BUILDING_SIMPLIFY_M = 1.0
BUILDING_STYLE = {"fillColor": "#737373", "color": "#737373", "weight": 0, "fillOpacity": 0.45}
HOMES_STYLE = {"weight": 3, "fillOpacity": 0.9, "fillColor": "#ffffff", "color": "#7f0000"}
ANOMALY_STYLE = {"weight": 3, "fillOpacity": 0.8, "fillColor": "#ffd92f", "color": "#762a83"}
#: Dash pattern of the outline of a field of view that is a whole disc.
DISC_DASH = "4 3"
OTHER_KIND_COLOUR = "#666666"
#: Fill of the dot of a camera whose view was set aside (no field of view drawn).
NOT_DRAWN_FILL = "#ffffff"
OTHER_OWNER_COLOUR = "#999999"
#: Outline of a unit of neither class of the story.
UNIT_OUTLINE = "#555555"
#: A unit's name is shown once the unit is this many pixels wide per character of the name (plus a margin).
LABEL_PX_PER_CHAR = 6.5
LABEL_MARGIN_PX = 8
#: Metres per pixel at zoom 0 on the equator of the web map (256-pixel tiles): ``2 pi 6378137 / 256``.
METRES_PER_PIXEL_Z0 = 156_543.03

MAP_CSS = (
    ".leaflet-heatmap-layer{pointer-events:none}"
    ".equity-label{width:0;height:0}"
    ".equity-label span{position:absolute;transform:translate(-50%,-50%);white-space:nowrap;"
    "font:600 11px/1.2 sans-serif;color:#222;text-shadow:0 0 2px #fff,0 0 2px #fff,0 0 3px #fff}"
    "#equity-legend{position:fixed;bottom:24px;right:10px;z-index:1000;background:#fff;padding:8px 10px;"
    "font:12px/1.4 sans-serif;border:1px solid #999;border-radius:4px;max-width:280px;max-height:60vh;"
    "overflow:auto}#equity-legend .equity-key{display:flex;gap:6px;align-items:center}"
    "#equity-legend svg{flex:none}.leaflet-tooltip table{font-size:12px}"
)


def _unit_layer(m: folium.Map, result: StudyResult, units: gpd.GeoDataFrame, legend: list[LegendSection]) -> None:
    """The units: by the gap, or by coverage when no unit has a gap (no crime data)."""
    classes = coverage_classes(units, no_data=NO_DATA_COLOUR) if needs_coverage_map(units) else None
    if classes is None:
        fields = UNIT_TOOLTIP
        gap = units["gap"].astype(float)
        span = gap_span(gap)
        fill = gap.map(lambda v: gap_colour(v, span)).to_numpy()
        name = _("Units: gap between coverage and crime")
    else:
        fields = (*NO_CRIME_TOOLTIP, classes.column)
        fill = classes.fill
        name = (
            _("Units: cameras per 1,000 residents")
            if classes.column == "cameras_per_1k_residents"
            else _("Units: cameras per km²")
        )
    fields = tuple(f for f in (*fields, *ROAD_TOOLTIP) if f in units)
    props = pd.DataFrame({f: show_values(units[f], column(f)) for f in fields})
    props["colour"] = fill
    props["outline"] = units["class"].map(lambda c: CLASS_OUTLINE.get(c, UNIT_OUTLINE)).to_numpy()
    props["weight"] = units["class"].map(lambda c: 3 if c in CLASS_OUTLINE else 1).to_numpy()
    unit_layer = gpd.GeoDataFrame(props, geometry=units.geometry.simplify(1e-5).to_numpy(), crs=units.crs)
    FeatureLayer(
        unit_layer,
        name=name,
        style={"fillOpacity": 0.6},
        style_columns={"fillColor": "colour", "color": "outline", "weight": "weight"},
        tooltip={f: unit_label(f) for f in fields},
        rank=0,
    ).add_to(m)
    present = set(units["class"])
    outlines = [
        LegendEntry(class_label(c), swatch=_square("#ffffff", colour, width=3), stroke=colour)
        for c, colour in CLASS_OUTLINE.items()
        if c in present
    ]
    if not present <= set(CLASS_OUTLINE):
        text = _("other units") if outlines else _("unit boundary")
        outlines.append(LegendEntry(text, swatch=_square("#ffffff", UNIT_OUTLINE), stroke=UNIT_OUTLINE))
    no_data = LegendEntry(_("no data"), swatch=_square(NO_DATA_COLOUR, NO_DATA_COLOUR), fill=NO_DATA_COLOUR)
    if classes is None:
        gradient = f"linear-gradient(to right,{gap_colour(-1, 1)},{gap_colour(0, 1)},{gap_colour(1, 1)})"
        entries = [
            LegendEntry(
                "<div style='display:flex;justify-content:space-between;width:100%'>"
                f"<span>{points(-span)}</span><span>0</span><span>{points(span)}</span></div>",
                swatch=_bar(gradient),
                scale="fill",
                raw=True,
            ),
            LegendEntry(_("red: less coverage than crime")),
            no_data,
        ]
        gap_word, gap_meaning = _("Gap"), _("share of the area in view minus share of crime")
        heading = f"<b>{esc(gap_word)}</b>: {esc(gap_meaning)}"
        legend.append(LegendSection((name,), heading, entries + outlines, raw_heading=True))
    else:
        edges = classes.edges
        digits = column(classes.column).digits
        entries = [
            LegendEntry(
                _("{low} to {high}").format(low=i18n.number(lo, digits), high=i18n.number(hi, digits)),
                swatch=_square(colour, UNIT_OUTLINE),
                fill=colour,
            )
            for lo, hi, colour in zip(edges[:-1], edges[1:], classes.colours, strict=True)
        ]
        missing = _("no residents: no rate") if classes.column == "cameras_per_1k_residents" else _("no data")
        entries.append(LegendEntry(missing, swatch=_square(NO_DATA_COLOUR, UNIT_OUTLINE), fill=NO_DATA_COLOUR))
        note = _("No crime data was given, so no unit has a gap; the units are coloured by their cameras.")
        legend.append(LegendSection((name,), name, [*entries, LegendEntry(note), *outlines]))


def _label_layer(m: folium.Map, result: StudyResult, legend: list[LegendSection]) -> None:
    """Each unit's name at the centre of the largest circle inside it, shown from the zoom level at which the
    unit is wide enough to hold it.

    A unit is taken to be ``w = min(bbox width, 4 r)`` wide, ``r`` the radius of the largest inscribed circle
    (:func:`shapely.maximum_inscribed_circle`, in the units' metric CRS), and a name of ``c`` characters to need
    ``L = 6.5 c + 8`` pixels. At zoom ``z`` a pixel is ``156543.03 cos(lat) / 2^z`` metres, so the name is shown
    from ``z = ceil(log2(L 156543.03 cos(lat) / w))`` on.
    """
    units = result.units
    geoms = units.geometry.to_numpy()
    ok = ~(shapely.is_missing(geoms) | shapely.is_empty(geoms))
    if not ok.any():
        return
    circles = shapely.maximum_inscribed_circle(geoms[ok], tolerance=1.0)
    centres = shapely.get_point(circles, 0)
    radius = shapely.length(circles)
    bounds = shapely.bounds(geoms[ok])
    width = np.minimum(bounds[:, 2] - bounds[:, 0], 4 * radius)
    names = units["unit_id"].astype(str).to_numpy()[ok]
    points = to_wgs84(gpd.GeoSeries(centres, crs=units.crs))
    lat = np.radians(points.y.to_numpy())
    need_px = LABEL_PX_PER_CHAR * np.array([len(n) for n in names]) + LABEL_MARGIN_PX
    with np.errstate(divide="ignore"):
        zoom = np.ceil(np.log2(need_px * METRES_PER_PIXEL_Z0 * np.cos(lat) / np.maximum(width, 1e-9)))
    min_zoom = np.clip(np.nan_to_num(zoom, nan=MAX_ZOOM), 0, MAX_ZOOM).astype(int)
    name = _("Unit names")
    LabelLayer(points, names, min_zoom, name=name).add_to(m)
    legend.append(
        LegendSection(
            (name,),
            name,
            [LegendEntry(_("a unit's name, shown once the unit is wide enough on the screen"), swatch=_name_swatch())],
        )
    )


#: The deepest zoom of the map (the OpenStreetMap tiles).
MAX_ZOOM = 19


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

#: What a unit's tooltip adds when the study had streets (:mod:`equity.roads`; a unit without road entrances is
#: "n/a" cordoned, not "no").
ROAD_TOOLTIP = ("roads_logged_share", "entrances", "entrances_logged", "cordoned")

#: What a unit's tooltip shows without crime data (then the coverage column of the choropleth).
NO_CRIME_TOOLTIP = ("unit_id", "cameras", "population", "area_km2", "covered_share")


def unit_label(name: str) -> str:
    """The label of a unit column on the map, in the current language (English: the column's record's label,
    :mod:`equity.columns`)."""
    labels = {
        "unit_id": _("Unit"),
        "class": _("Class"),
        "cameras": _("Cameras"),
        "crimes": _("Crimes"),
        "population": _("Residents"),
        "area_km2": _("Area (km²)"),
        "covered_share": _("Own area in view"),
        "crime_share": _("Share of crime"),
        "coverage_share": _("Share of coverage"),
        "gap": _("Gap (points)"),
        "cameras_per_1k_residents": _("Cameras per 1,000 residents"),
        "cameras_per_km2": _("Cameras per km²"),
        "roads_logged_share": _("Share of roads logged"),
        "entrances": _("Road entrances"),
        "entrances_logged": _("Entrances logged inward"),
        "cordoned": _("Cordoned"),
    }
    return labels.get(name, column(name).label)


def localised(texts: np.ndarray) -> np.ndarray:
    """Numbers written in English notation (``1,234.5``) rewritten in the current language's, for whole columns.

    A camera layer of 10,000 cameras has tens of thousands of numbers, and formatting each with Babel
    (:func:`equity.presentation.i18n.number`) would take seconds; the texts of :func:`number_values` are
    instead translated character by character, ``,`` to the language's group symbol and ``.`` to its decimal
    symbol (CLDR, through Babel), which gives the same text for the patterns ``#,##0.0...`` that both use.
    """
    lang = i18n.current()
    if lang == i18n.SOURCE_LANGUAGE:
        return texts
    table = _separators(lang)
    return np.array([t.translate(table) for t in texts], dtype=object)


@functools.cache
def _separators(lang: str) -> dict[int, str]:
    """The translation table of :func:`localised` for ``lang``: CLDR's group and decimal symbols."""
    return str.maketrans({",": get_group_symbol(lang), ".": get_decimal_symbol(lang)})


def number_texts(values: pd.Series, digits: int, suffix: str) -> np.ndarray:
    """Numbers rounded to ``digits``, grouped by thousands, in the current language (:func:`localised`), with a
    unit; "n/a" in the current language when missing (vectorised: 10,000 cameras)."""
    v = pd.to_numeric(values, errors="coerce").astype(float)
    text = v.round(digits).map(f"{{:,.{digits}f}}{suffix}".format, na_action="ignore")
    shown = localised(text.astype(object).where(v.notna(), "").to_numpy())
    return np.where(v.notna().to_numpy(), shown, _("n/a"))


def _short_fields() -> dict[str, str]:
    """What a camera's tooltip shows on hover; the popup (on a click) shows all of :func:`_tooltip_fields`."""
    return {"camera_id": _("Camera"), "kind": _("Kind"), "operator": _("Operator"), "direction": _("Direction")}


def _tooltip_fields() -> dict[str, str]:
    return {
        "camera_id": _("Camera"),
        "kind": _("Kind"),
        "ownership": _("Ownership"),
        "camera_type": _("Type"),
        "operator": _("Operator"),
        "name": _("Name"),
        "direction": _("Direction"),
        "fov": _("Field of view"),
        "range": _("Range"),
        "height": _("Height"),
        "direction_source": _("Direction is"),
        "issues": _("Tag problems"),
        "homes": _("Homes in view"),
        "intrusion": _("Intrusion score"),
    }


def _kind_label(kind: str) -> str:
    """A camera kind in the legend: the kind as equity names it, with what it is in the current language."""
    labels = {
        "camera": _("camera (CCTV)"),
        "ALPR": _("plate reader (ALPR)"),
        "guard": _("guard"),
        "gunshot_detector": _("gunshot detector"),
    }
    return labels.get(kind, str(kind))


def _owner_label(owner: str) -> str:
    """A value of the OSM tag ``surveillance`` as written, and what it means in the current language."""
    labels = {
        "public": _("watches a public space"),
        "outdoor": _("watches a private outdoor space"),
        "indoor": _("watches an indoor space"),
        "unknown": _("not tagged"),
    }
    return f"{owner}: {labels[owner]}" if owner in labels else str(owner)


def _camera_layer(
    m: folium.Map, views: pd.DataFrame, *, name: str, style: dict[str, Any], rank: int = 3, **options: Any
) -> None:
    """One circle marker per camera of ``views`` (its first view), with the normalised attributes, and for
    placement anomalies their score and explanation."""
    first = views.drop_duplicates("camera_id")
    props = _camera_props(first)
    if "anomaly_score" in first:
        props["why"] = text_values(first["anomaly_explanation"])
        props["score"] = number_texts(first["anomaly_score"], 2, "")
    pts = gpd.GeoDataFrame(props, geometry=first.geometry.to_numpy(), crs=first.crs)
    FeatureLayer(to_wgs84(pts), name=name, style={"fill": True, **style}, rank=rank, **options).add_to(m)


def _for_display(geoms: gpd.GeoSeries, *, simplified: bool) -> np.ndarray:
    """Fields of view simplified by :data:`SIMPLIFY_M` for the map, without the (slow) topology preservation
    as they are only drawn; viewsheds arrive simplified to half a cell already and are kept as they are."""
    arr = geoms.to_numpy()
    return arr if simplified else shapely.simplify(arr, SIMPLIFY_M, preserve_topology=False)


def _camera_props(views: pd.DataFrame) -> pd.DataFrame:
    na = _("n/a")

    def numbers(col: str, digits: int, suffix: str) -> np.ndarray:
        return number_texts(views[col], digits, suffix)

    if "homes_in_view" in views:
        template = _("{homes} (+{probable} probable)")
        homes = np.array(
            [
                template.format(homes=int(h), probable=int(p))
                for h, p in zip(views["homes_in_view"], views["probable_homes_in_view"], strict=True)
            ],
            dtype=object,
        )
    else:
        homes = na
    return pd.DataFrame(
        {
            "camera_id": text_values(views["camera_id"]),
            "kind": text_values(views["kind"]),
            "ownership": text_values(views["ownership"]),
            "camera_type": text_values(views["camera_type"]),
            "operator": text_values(views["operator"]),
            "name": text_values(views["name"]),
            "direction": numbers("direction_deg", 0, "°"),
            "fov": numbers("fov_deg", 0, "°"),
            "range": numbers("range_m", 0, " m"),
            "height": numbers("height_m", 1, " m"),
            "direction_source": text_values(views["direction_source"]),
            "issues": text_values(views["issues"]),
            "homes": homes,
            "intrusion": numbers("intrusion_score", 2, "") if "intrusion_score" in views else na,
            "fill": np.where(
                _not_drawn(views), NOT_DRAWN_FILL, views["kind"].map(KIND_COLOURS).fillna(OTHER_KIND_COLOUR)
            ),
            "outline": views["ownership"].map(OWNERSHIP_COLOURS).fillna(OTHER_OWNER_COLOUR).to_numpy(),
        }
    )


def _not_drawn(views: pd.DataFrame) -> np.ndarray:
    """Whether each camera's view was set aside (``excluded_reason``: direction unknown and not drawn as a disc,
    ...), so it has no field of view on the map and counts in no coverage."""
    if "excluded_reason" not in views:
        return np.zeros(len(views), dtype=bool)
    return views["excluded_reason"].notna().to_numpy()


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


@dataclass
class LegendEntry:
    """One line of the legend: a swatch and its text, with the colours and dash of the features it stands for.

    ``fill``, ``stroke`` and ``dash`` are written into the entry's ``data-`` attributes, so a test can match each
    feature drawn on the map to the entry of its symbol; ``scale`` marks a continuous colour scale (``fill``:
    the fills of the layer's features are read from it).
    """

    text: str
    swatch: str = ""
    fill: str | None = None
    stroke: str | None = None
    dash: str | None = None
    scale: str | None = None
    raw: bool = False

    def html(self) -> str:
        """The entry as a line of HTML (its text escaped unless ``raw``)."""
        attrs = "".join(
            f" data-{k}='{esc(v)}'"
            for k, v in (("fill", self.fill), ("stroke", self.stroke), ("dash", self.dash), ("scale", self.scale))
            if v is not None
        )
        text = self.text if self.raw else esc(self.text)
        return f"<div class='equity-key'{attrs}>{self.swatch}<span style='flex:1'>{text}</span></div>"


@dataclass
class LegendSection:
    """The legend's entries for the symbols of one or more layers (by their names in the layer control)."""

    layers: tuple[str, ...]
    heading: str
    entries: list[LegendEntry] = field(default_factory=list)
    raw_heading: bool = False

    def html(self) -> str:
        """The section as HTML, with its layers' names in ``data-layers`` (JSON)."""
        heading = self.heading if self.raw_heading else f"<b>{esc(self.heading)}</b>"
        return (
            f"<div class='equity-key-section' data-layers='{esc(safe_json(list(self.layers)))}'>{heading}"
            + "".join(e.html() for e in self.entries)
            + "</div>"
        )


def _legend_html(sections: list[LegendSection], m: folium.Map) -> str:
    """The map's legend: a section for the symbols of each layer (static HTML; the page hides the sections of
    the layers that are switched off)."""
    return "<div id='equity-legend'>" + "".join(s.html() for s in sections if s.entries) + "</div>"


class _LegendToggle(folium.MacroElement):
    """Shows the legend's sections of the layers that are on, hides the others, as layers are switched."""

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        (function () {
            const map = {{ this._parent.get_name() }};
            const sync = () => {
                const on = new Set();
                document.querySelectorAll('.leaflet-control-layers-overlays label').forEach(label => {
                    const box = label.querySelector('input');
                    if (box && box.checked) on.add(label.textContent.trim());
                });
                document.querySelectorAll('#equity-legend .equity-key-section').forEach(section => {
                    const layers = JSON.parse(section.dataset.layers);
                    section.style.display = layers.some(l => on.has(l)) ? '' : 'none';
                });
            };
            map.on('overlayadd overlayremove', sync);
            setTimeout(sync, 0);
        })();
        {% endmacro %}
        """
    )

    def __init__(self, m: folium.Map) -> None:
        super().__init__()
        self._name = "LegendToggle"


def _bar(gradient: str) -> str:
    return f"<span style='display:inline-block;width:60px;height:10px;background:{gradient};flex:none'></span>"


def _square(fill: str, stroke: str, *, width: float = 1, dash: bool = False) -> str:
    dashed = f" stroke-dasharray='{DISC_DASH}'" if dash else ""
    return (
        f"<svg width='16' height='12' aria-hidden='true'><rect x='1.5' y='1.5' width='13' height='9' fill='{fill}' "
        f"stroke='{stroke}' stroke-width='{width}'{dashed}/></svg>"
    )


def _dot(fill: str, stroke: str = "#ffffff", *, big: bool = False) -> str:
    r, w = (6, 3) if big else (5, 2)
    return (
        f"<svg width='16' height='16' aria-hidden='true'><circle cx='8' cy='8' r='{r}' fill='{fill}' "
        f"stroke='{stroke}' stroke-width='{w}'/></svg>"
    )


def _name_swatch() -> str:
    return "<span class='equity-label' style='position:relative;width:auto;height:auto'>Aa</span>"


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
    lang = getattr(m, "equity_lang", i18n.SOURCE_LANGUAGE)
    page = page.replace("<html>", f'<html lang="{esc(lang)}">', 1)
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
