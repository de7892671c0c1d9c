"""The map layers of the plate-reader analysis and of trips: logged road segments, cordoned units and unlogged
entrances (:func:`roads_layer`), routes with their stretches in view (:func:`route_layer`), and the standalone map
of ``equity route --map`` (:func:`route_map`).

They draw what :mod:`equity.roads` and :mod:`equity.routes` computed and compute nothing. The map of a study adds
the first as ``roads_layer(result.roads, result.units).add_to(m)`` when ``result.roads`` is not None.
"""

from __future__ import annotations

from typing import Any

import folium
import geopandas as gpd
import pandas as pd

from equity.presentation.formatting import esc
from equity.presentation.i18n import _, number
from equity.presentation.maps import LEAFLET_CSS, LEAFLET_JS
from equity.projection import to_wgs84


def roads_layer(findings: Any, units: gpd.GeoDataFrame, name: str | None = None) -> folium.FeatureGroup:
    """A folium ``FeatureGroup`` of the plate-reader findings, for the map (:mod:`equity.presentation.maps`): the
    logged segments in orange (dark red where logged both ways), the cordoned units outlined in purple, and the
    entrances of cordoned-or-not units that are not logged inward as small grey rings.

    ``findings`` is :class:`equity.roads.RoadFindings` (``result.roads``), ``units`` the result's units (with
    ``unit_id`` and ``cordoned``). The tooltips are marked for translation;
    unit names are escaped.
    """
    group = folium.FeatureGroup(name=name or _("Plate readers' roads"))
    seg = to_wgs84(findings.segments)[["length_m", "logged_forward", "logged_backward", "geometry"]].copy()
    if len(seg):
        seg["both"] = seg["logged_forward"].astype(bool) & seg["logged_backward"].astype(bool)
        seg["label"] = [
            _("Road segment logged by a plate reader ({length} m)").format(length=number(float(v)))
            for v in seg["length_m"]
        ]
        folium.GeoJson(
            seg[["both", "label", "geometry"]].to_json(),
            style_function=lambda f: {
                "color": "#b30000" if f["properties"]["both"] else "#f16913",
                "weight": 5,
                "opacity": 0.9,
            },
            tooltip=folium.GeoJsonTooltip(fields=["label"], labels=False),
        ).add_to(group)
    cordoned = units[units["cordoned"].fillna(False).astype(bool)] if "cordoned" in units else units.iloc[:0]
    if len(cordoned):
        outline = to_wgs84(cordoned)[["unit_id", "geometry"]].copy()
        outline["label"] = [
            esc(str(u)) + ": " + _("every road entrance is logged by a plate reader") for u in outline["unit_id"]
        ]
        folium.GeoJson(
            outline[["label", "geometry"]].to_json(),
            style_function=lambda _f: {"color": "#6a3d9a", "weight": 4, "fill": False, "dashArray": "6 4"},
            tooltip=folium.GeoJsonTooltip(fields=["label"], labels=False),
        ).add_to(group)
    gaps = to_wgs84(findings.unlogged)[["unit_id", "geometry"]].copy()
    if len(gaps):
        gaps["label"] = [esc(str(u)) + ": " + _("road entrance not logged inward") for u in gaps["unit_id"]]
        folium.GeoJson(
            gaps[["label", "geometry"]].to_json(),
            marker=folium.CircleMarker(radius=3, color="#636363", fill=False),
            tooltip=folium.GeoJsonTooltip(fields=["label"], labels=False),
        ).add_to(group)
    return group


def route_layer(features: gpd.GeoDataFrame, name: str | None = None) -> folium.FeatureGroup:
    """A folium ``FeatureGroup`` of routes (:func:`route_features`): the shortest route in grey, the least-watched
    in blue, their stretches in view of a camera in red on top."""
    colours = {
        "shortest": "#555555",
        "least_watched": "#1f78b4",
        "shortest_in_view": "#e31a1c",
        "least_watched_in_view": "#e31a1c",
    }
    labels = {
        "shortest": _("Shortest route"),
        "least_watched": _("Least-watched route"),
        "shortest_in_view": _("Shortest route: stretch in view of a camera"),
        "least_watched_in_view": _("Least-watched route: stretch in view of a camera"),
    }
    group = folium.FeatureGroup(name=name or _("Routes"))
    wgs = to_wgs84(features)
    for kind in colours:
        part = wgs[wgs["route"] == kind]
        width = 6 if kind.endswith("view") else 4
        for _i, r in part.iterrows():
            share = r["watched_share"]
            text = _("{route}: {length} m, {share} % in view of a camera, plate readers passed: {alpr}").format(
                route=labels[kind],
                length=number(float(r["length_m"])),
                share=number(100 * float(share), 1) if pd.notna(share) else "—",
                alpr=number(float(r["alpr_passed"])),
            )
            folium.GeoJson(
                r.geometry.__geo_interface__,
                style_function=lambda _f, c=colours[kind], w=width: {"color": c, "weight": w, "opacity": 0.9},
                tooltip=text,
            ).add_to(group)
    return group


def route_map(features: gpd.GeoDataFrame, cameras: gpd.GeoDataFrame) -> folium.Map:
    """A standalone folium map of routes (:func:`route_layer`) and the cameras near them as small dots, with
    Leaflet alone as its script (render it with :func:`equity.presentation.maps.render_map` to inline it)."""
    wgs = to_wgs84(features)
    x0, y0, x1, y1 = wgs.total_bounds
    m = folium.Map(tiles=None, control_scale=True)
    m.default_js = [("leaflet", LEAFLET_JS)]
    m.default_css = [("leaflet_css", LEAFLET_CSS)]
    folium.TileLayer("OpenStreetMap", name="OpenStreetMap", control=True).add_to(m)
    m.fit_bounds([[y0, x0], [y1, x1]])
    route_layer(features, _("Routes")).add_to(m)
    cams = to_wgs84(cameras)
    group = folium.FeatureGroup(name=_("Cameras"))
    inside = cams.cx[x0 - 0.01 : x1 + 0.01, y0 - 0.01 : y1 + 0.01]
    for cid, geom in zip(inside["camera_id"], inside.geometry, strict=True):
        folium.CircleMarker([geom.y, geom.x], radius=3, color="#333333", fill=True, tooltip=esc(str(cid))).add_to(group)
    group.add_to(m)
    folium.LayerControl().add_to(m)
    return m
