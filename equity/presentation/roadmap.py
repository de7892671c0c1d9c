"""The map layers of the plate-reader analysis and of trips: logged road segments, cordoned units and road
entrances on the map of a study (:func:`add_road_layers`), the same as one folium ``GeoJson`` group for other maps
(:func:`roads_layer`), routes with their stretches in view (:func:`route_layer`), and the standalone map of
``equity route --map`` (:func:`route_map`).

They draw what :mod:`equity.roads` and :mod:`equity.routes` computed and compute nothing (a logged direction's
heading is rounded to the nearest compass point for its label). The map of a study
(:func:`equity.presentation.maps.build_map`) calls :func:`add_road_layers` when ``result.roads`` is not None.
"""

from __future__ import annotations

from typing import Any

import folium
import geopandas as gpd
import numpy as np
import pandas as pd

from equity.presentation.formatting import esc
from equity.presentation.i18n import _, number
from equity.presentation.maplayer import FeatureLayer
from equity.presentation.maps import LEAFLET_CSS, LEAFLET_JS, LegendEntry, LegendSection, _dot
from equity.projection import to_wgs84

#: Colour of a segment logged in one direction, and in both: magentas, a hue no other symbol of the map uses (the
#: plate readers' own dots are orange, the gap's scale red to blue).
LOGGED_ONE_WAY = "#e7298a"
LOGGED_BOTH_WAYS = "#7a0177"
#: Outline of a cordoned unit (a teal no other symbol uses), and its dash pattern.
CORDON_COLOUR = "#01868a"
CORDON_DASH = "8 5"
#: An entrance logged inward (filled, in the cordons' teal) and one not logged inward (a grey ring).
ENTRANCE_LOGGED = "#01868a"
ENTRANCE_UNLOGGED = "#636363"
#: Entrances drawn switched on when at most this many (a city has thousands: then the layer starts off).
MAX_ENTRANCES_SHOWN = 500
#: The layers' places on the map's one canvas (:class:`equity.presentation.maplayer.FeatureLayer`): the cordons
#: over the units (they take no mouse), the roads over the cameras' fields of view and under the camera dots, the
#: entrances over the roads.
CORDON_RANK, ROAD_RANK, ENTRANCE_RANK = 0.5, 2.5, 2.7


def compass_point(bearing: np.ndarray) -> np.ndarray:
    """The index of the nearest of the eight compass points (0 north, 1 north-east, ... 7 north-west) of each
    bearing in degrees clockwise from true north: ``round(b / 45) mod 8``.

    Examples
    --------
    >>> compass_point(np.array([0.0, 22.4, 22.6, 180.0, 350.0])).tolist()
    [0, 0, 1, 4, 0]
    """
    return (np.rint(np.asarray(bearing, dtype=float) / 45.0).astype(int)) % 8


def _heading_texts() -> list[str]:
    return [
        _("traffic heading north"),
        _("traffic heading north-east"),
        _("traffic heading east"),
        _("traffic heading south-east"),
        _("traffic heading south"),
        _("traffic heading south-west"),
        _("traffic heading west"),
        _("traffic heading north-west"),
    ]


def _line(colour: str, dash: str | None = None) -> str:
    dashed = f" stroke-dasharray='{dash}'" if dash else ""
    return (
        f"<svg width='22' height='12' aria-hidden='true'><line x1='1' y1='6' x2='21' y2='6' stroke='{colour}' "
        f"stroke-width='4'{dashed}/></svg>"
    )


def add_road_layers(m: folium.Map, findings: Any, units: gpd.GeoDataFrame, legend: list[LegendSection]) -> None:
    """Draw the plate-reader findings on the map of a study, with their legend sections.

    Three :class:`~equity.presentation.maplayer.FeatureLayer` on the map's one canvas, so the units under them
    keep their tooltips:

    - the **logged road segments** only (not every street: a city has tens of thousands), magenta where logged
      in one direction, dark magenta in both; the tooltip names the segment's length (and OSM class), the readers
      on it and the direction of travel they log, as the compass point the traffic heads to
      (``heading_deg`` of :attr:`equity.roads.RoadFindings.segments`, :func:`equity.roads.segment_headings`);
    - the **cordoned units** outlined in dashed teal, taking no mouse (the unit's own tooltip stays);
    - the units' **road entrances** (:attr:`equity.roads.RoadFindings.crossings` a car may travel inward), a
      teal dot where logged inward, a grey ring where not; switched off at first when there are more than
      :data:`MAX_ENTRANCES_SHOWN`.

    ``findings`` is ``result.roads`` (:class:`equity.roads.RoadFindings`), ``units`` the result's units (with
    ``unit_id`` and ``cordoned``). Reader ids and unit names are shown as text (never parsed as HTML).
    """
    seg = findings.segments
    if len(seg):
        readers = findings.readers
        by_edge = (
            readers.groupby("edge_id")["camera_id"].agg(lambda ids: ", ".join(sorted(set(map(str, ids)))))
            if len(readers)
            else pd.Series(dtype=object)
        )
        fwd = seg["logged_forward"].astype(bool).to_numpy()
        bwd = seg["logged_backward"].astype(bool).to_numpy()
        heading = compass_point(seg["heading_deg"].to_numpy(float))
        texts = _heading_texts()
        both = _("both directions")
        direction = np.where(
            fwd & bwd,
            both,
            [texts[h] if f else texts[(h + 4) % 8] for h, f in zip(heading, fwd, strict=True)],
        )
        length = [_("{length} m").format(length=number(float(v))) for v in seg["length_m"]]
        if findings.classed and "road_class" in seg:
            length = [
                f"{n} ({c})" if isinstance(c, str) and c else n for n, c in zip(length, seg["road_class"], strict=True)
            ]
        name = _("Plate readers: road segments logged")
        frame = gpd.GeoDataFrame(
            {
                "road": length,
                "readers": seg["edge_id"].map(by_edge).fillna("").to_numpy(),
                "direction": direction,
                "colour": np.where(fwd & bwd, LOGGED_BOTH_WAYS, LOGGED_ONE_WAY),
            },
            geometry=seg.geometry.to_numpy(),
            crs=seg.crs,
        )
        FeatureLayer(
            to_wgs84(frame),
            name=name,
            style={"weight": 5, "opacity": 0.9},
            style_columns={"color": "colour"},
            tooltip={
                "road": _("Road segment logged by a plate reader"),
                "readers": _("Logged by"),
                "direction": _("Traffic logged"),
            },
            rank=ROAD_RANK,
        ).add_to(m)
        legend.append(
            LegendSection(
                (name,),
                name,
                [
                    LegendEntry(
                        _("logged in one direction of travel"), swatch=_line(LOGGED_ONE_WAY), stroke=LOGGED_ONE_WAY
                    ),
                    LegendEntry(
                        _("logged in both directions of travel"),
                        swatch=_line(LOGGED_BOTH_WAYS),
                        stroke=LOGGED_BOTH_WAYS,
                    ),
                ],
            )
        )
    cordoned = units[units["cordoned"].fillna(False).astype(bool)] if "cordoned" in units else units.iloc[:0]
    if len(cordoned):
        name = _("Plate readers: cordoned units")
        FeatureLayer(
            to_wgs84(gpd.GeoDataFrame(geometry=cordoned.geometry.to_numpy(), crs=cordoned.crs)),
            name=name,
            style={
                "color": CORDON_COLOUR,
                "weight": 4,
                "fill": False,
                "dashArray": CORDON_DASH,
                "interactive": False,
            },
            rank=CORDON_RANK,
        ).add_to(m)
        legend.append(
            LegendSection(
                (name,),
                name,
                [
                    LegendEntry(
                        _("a unit that no car can enter by road without being logged by a plate reader"),
                        swatch=_line(CORDON_COLOUR, CORDON_DASH),
                        stroke=CORDON_COLOUR,
                        dash=CORDON_DASH,
                    )
                ],
            )
        )
    cross = findings.crossings
    entrances = cross[cross["inward"].astype(bool)] if len(cross) else cross
    if len(entrances):
        name = _("Plate readers: road entrances of the units")
        logged = entrances["logged_in"].astype(bool).to_numpy()
        frame = gpd.GeoDataFrame(
            {
                "unit": entrances["unit_id"].astype(str).to_numpy(),
                "logged": np.where(logged, _("logged inward"), _("not logged inward")),
                "fill": np.where(logged, ENTRANCE_LOGGED, ""),
                "opacity": np.where(logged, "1", "0"),
                "outline": np.where(logged, ENTRANCE_LOGGED, ENTRANCE_UNLOGGED),
            },
            geometry=entrances.geometry.to_numpy(),
            crs=entrances.crs,
        )
        FeatureLayer(
            to_wgs84(frame),
            name=name,
            style={"radius": 3, "weight": 1.5, "fill": True},
            style_columns={"fillColor": "fill", "color": "outline", "fillOpacity": "opacity"},
            tooltip={"unit": _("Road entrance of"), "logged": _("Traffic entering")},
            show=len(entrances) <= MAX_ENTRANCES_SHOWN,
            rank=ENTRANCE_RANK,
        ).add_to(m)
        legend.append(
            LegendSection(
                (name,),
                name,
                [
                    LegendEntry(
                        _("a road entrance where a plate reader logs the traffic entering"),
                        swatch=_dot(ENTRANCE_LOGGED, ENTRANCE_LOGGED),
                        fill=ENTRANCE_LOGGED,
                        stroke=ENTRANCE_LOGGED,
                    ),
                    LegendEntry(
                        _("a road entrance where no plate reader logs the traffic entering"),
                        swatch=_dot("#ffffff", ENTRANCE_UNLOGGED),
                        stroke=ENTRANCE_UNLOGGED,
                    ),
                ],
            )
        )


def roads_layer(findings: Any, units: gpd.GeoDataFrame, name: str | None = None) -> folium.FeatureGroup:
    """A folium ``FeatureGroup`` of the plate-reader findings, for a folium map of one's own (a notebook): the
    logged segments in magenta (dark magenta where logged both ways), the cordoned units outlined in dashed teal,
    and the entrances of cordoned-or-not units that are not logged inward as small grey rings, in the colours of
    :func:`add_road_layers` (which the map of a study uses: on the map's one canvas, with a legend).

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
                "color": LOGGED_BOTH_WAYS if f["properties"]["both"] else LOGGED_ONE_WAY,
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
            style_function=lambda _f: {"color": CORDON_COLOUR, "weight": 4, "fill": False, "dashArray": CORDON_DASH},
            tooltip=folium.GeoJsonTooltip(fields=["label"], labels=False),
        ).add_to(group)
    gaps = to_wgs84(findings.unlogged)[["unit_id", "geometry"]].copy()
    if len(gaps):
        gaps["label"] = [esc(str(u)) + ": " + _("road entrance not logged inward") for u in gaps["unit_id"]]
        folium.GeoJson(
            gaps[["label", "geometry"]].to_json(),
            marker=folium.CircleMarker(radius=3, color=ENTRANCE_UNLOGGED, fill=False),
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
