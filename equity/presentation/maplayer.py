"""A compact vector layer for folium maps of whole cities: 10,000 cameras in a few megabytes.

folium's ``GeoJson`` writes every feature as GeoJSON with its properties spelt out, parses and re-serialises
the data, and builds tooltips by putting property values into HTML. For a city of 10,000 cameras with their
viewsheds that is tens of megabytes and tens of seconds. This layer writes instead:

- coordinates as integers of 1e-5 degrees (about 1 m), each the difference from the previous one, so most are
  one to three digits: ``q_k = round(10^5 c_k)``, written ``q_0, q_1 - q_0, q_2 - q_1, ...`` and decoded by a
  running sum;
- the ring and part structure as offsets, straight from :func:`shapely.to_ragged_array`;
- each property column once, dictionary-encoded (the distinct values and one small integer per feature).

The page decodes it with a few lines of JavaScript and draws on Leaflet's canvas renderer. All the layers of a
page draw on **one** canvas (:data:`_DECODER_JS`, ``equityRenderer``): Leaflet's canvas renderer finds the feature
under the mouse itself, but only among the features of its own canvas, and a canvas covers the whole map, so
with one canvas per layer the topmost canvas took every mouse event and no unit under it ever showed its tooltip.
On the shared canvas the layers are kept in the order of their ``rank`` (units under cameras) whenever one is
switched on again, since Leaflet draws a layer that is added last on top. Tooltips and popups
are built as DOM nodes with ``textContent``, so no property value is ever parsed as HTML, whatever a mapper
wrote into a tag; the JSON is embedded with ``<``, ``>`` and ``&`` escaped, so no value can close the script.
The layer is a folium ``Layer``: it takes part in the layer control like any other.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import folium
import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from branca.element import Element
from jinja2 import Template

#: Coordinates are written in units of 10^-COORD_DECIMALS degrees (5: about 1.1 m at the equator).
COORD_DECIMALS = 5

_KIND = {
    shapely.GeometryType.POINT: "point",
    shapely.GeometryType.LINESTRING: "line",
    shapely.GeometryType.MULTILINESTRING: "multiline",
    shapely.GeometryType.POLYGON: "polygon",
    shapely.GeometryType.MULTIPOLYGON: "multipolygon",
}


def safe_json(value: Any) -> str:
    r"""JSON for embedding in a ``<script>``: ``<``, ``>`` and ``&`` escaped as ``\u003c`` etc., so that no
    string can end the script or open a comment.

    Examples
    --------
    >>> safe_json({"a": "</script><b>"})
    '{"a":"\\u003c/script\\u003e\\u003cb\\u003e"}'
    """
    text = json.dumps(value, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def encode_columns(frame: pd.DataFrame) -> dict[str, dict[str, list]]:
    """Each column as its distinct values (text; missing values as "") and one code per row."""
    out = {}
    for col in frame.columns:
        column = frame[col]
        values = column.astype(object).where(column.notna(), "").astype(str)
        codes, uniques = pd.factorize(values, sort=False)
        out[col] = {"values": [str(u) for u in uniques], "codes": codes.tolist()}
    return out


def encode_geometry(geoms: gpd.GeoSeries) -> dict[str, Any]:
    """Points, (multi)lines or (multi)polygons in WGS84 as delta-encoded integer coordinates and offsets.

    Raises
    ------
    ValueError
        When the geometries mix points with lines or polygons, lines with polygons, or are of another type.
    """
    arr = geoms.to_numpy()
    kind, coords, offsets = shapely.to_ragged_array(arr)
    if kind not in _KIND:
        msg = f"the map layer takes points, lines or polygons, not {kind.name.lower()}"
        raise ValueError(msg)
    q = np.rint(coords[:, :2] * 10**COORD_DECIMALS).astype(np.int64)
    delta = np.diff(q, axis=0, prepend=np.zeros((1, 2), dtype=np.int64))
    return {
        "kind": _KIND[kind],
        "scale": 10**COORD_DECIMALS,
        "x": delta[:, 0].tolist(),
        "y": delta[:, 1].tolist(),
        "offsets": [o.tolist() for o in offsets],
    }


#: The decoder, defined once per page: builds a Leaflet feature group from one layer's data, on the page's one
#: canvas renderer, and keeps the layers on it in the order of their rank.
_DECODER_JS = """
let equitySharedRenderer = null;
function equityRenderer() {
    if (!equitySharedRenderer) equitySharedRenderer = L.canvas({padding: 0.5, tolerance: 2});
    return equitySharedRenderer;
}
const equityLayers = [];
function equityKeepOrder(added) {
    const map = added._map;
    if (!map) return;
    equityLayers
        .filter(g => g.equityRank > added.equityRank && map.hasLayer(g))
        .sort((a, b) => a.equityRank - b.equityRank)
        .forEach(g => g.bringToFront());
}
function equityFeatureLayer(d) {
    const group = L.featureGroup();
    const renderer = equityRenderer();
    const g = d.geometry, n = d.n;
    const xs = new Float64Array(g.x.length), ys = new Float64Array(g.y.length);
    let ax = 0, ay = 0;
    for (let i = 0; i < g.x.length; i++) {
        ax += g.x[i];
        ay += g.y[i];
        xs[i] = ax / g.scale;
        ys[i] = ay / g.scale;
    }
    const value = (col, i) => d.columns[col].values[d.columns[col].codes[i]];
    const table = (fields, i) => {
        const t = document.createElement("table");
        for (const [col, label] of fields) {
            const row = t.insertRow();
            const th = document.createElement("th");
            th.textContent = label;
            th.style.textAlign = "left";
            th.style.paddingRight = "6px";
            row.appendChild(th);
            row.insertCell().textContent = value(col, i);
        }
        return t;
    };
    const ring = (start, end) => {
        const out = [];
        for (let k = start; k < end; k++) out.push([ys[k], xs[k]]);
        return out;
    };
    for (let i = 0; i < n; i++) {
        const style = Object.assign({renderer: renderer}, d.style);
        for (const [option, col] of d.styleColumns) {
            const v = value(col, i);
            if (v === "") continue;
            style[option] = isNaN(Number(v)) ? v : Number(v);
        }
        let layer;
        if (g.kind === "point") {
            layer = L.circleMarker([ys[i], xs[i]], style);
        } else if (g.kind === "line") {
            layer = L.polyline(ring(g.offsets[0][i], g.offsets[0][i + 1]), style);
        } else if (g.kind === "multiline") {
            const lines = g.offsets[0], parts = [];
            for (let p = g.offsets[1][i]; p < g.offsets[1][i + 1]; p++) parts.push(ring(lines[p], lines[p + 1]));
            layer = L.polyline(parts, style);
        } else {
            const rings = g.offsets[0], polys = g.offsets[1];
            const parts = [];
            const range = g.kind === "multipolygon" ? [g.offsets[2][i], g.offsets[2][i + 1]] : [i, i + 1];
            for (let p = range[0]; p < range[1]; p++) {
                const rs = [];
                for (let r = polys[p]; r < polys[p + 1]; r++) rs.push(ring(rings[r], rings[r + 1]));
                parts.push(rs);
            }
            layer = L.polygon(parts, style);
        }
        if (d.tooltip.length) layer.bindTooltip(() => table(d.tooltip, i), {sticky: true});
        if (d.popup.length) layer.bindPopup(() => table(d.popup, i), {maxWidth: 420});
        layer.feature = {index: i, layer: d.name};
        group.addLayer(layer);
    }
    group.equityRank = d.rank;
    equityLayers.push(group);
    group.on("add", () => equityKeepOrder(group));
    return group;
}
function equityLabelLayer(d) {
    const group = L.layerGroup();
    const labels = [];
    for (let i = 0; i < d.text.length; i++) {
        const span = document.createElement("span");
        span.textContent = d.text[i];
        const icon = L.divIcon({html: span, className: "equity-label", iconSize: null});
        const marker = L.marker([d.lat[i], d.lon[i]], {icon: icon, interactive: false, keyboard: false});
        labels.push([marker, d.minZoom[i]]);
    }
    const update = () => {
        if (!group._map) return;
        const zoom = group._map.getZoom();
        for (const [marker, minZoom] of labels) {
            if (zoom >= minZoom) group.addLayer(marker);
            else group.removeLayer(marker);
        }
    };
    group.on("add", () => { group._map.on("zoomend", update); update(); });
    group.onRemove = function (map) {
        map.off("zoomend", update);
        L.LayerGroup.prototype.onRemove.call(this, map);
    };
    return group;
}
"""


class _Raw(Element):
    """Text put into the page as it is, not through a template: folium would otherwise compile each layer's
    rendered script, data included, as a Jinja template (about a second for 6 MB)."""

    def __init__(self, text: str) -> None:
        super().__init__()
        self.text = text

    def render(self, **kwargs: Any) -> str:
        return self.text


class FeatureLayer(folium.map.Layer):
    """A layer of points (circle markers), lines (polylines) or polygons with per-feature style, tooltip and popup.

    Parameters
    ----------
    gdf
        Features in WGS84 (points, lines and multilines, or polygons and multipolygons); rows with a missing or
        empty geometry are left out.
    style
        Leaflet path options for every feature (``radius`` for points), e.g. ``{"weight": 1}``.
    style_columns
        Leaflet path options read per feature from a column: ``{"fillColor": "fill", "color": "outline"}``.
    tooltip, popup
        Column -> label of what the tooltip (on hover) and the popup (on a click) show, as a two-column table.
    rank
        Where the layer lies on the page's one canvas: a layer of a higher rank is drawn over, and takes the
        mouse before, a layer of a lower rank, also after either was switched off and on again.
    """

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        var {{ this.get_name() }} = equityFeatureLayer({{ this.get_name() }}_data);
        {% endmacro %}
        """
    )

    def __init__(
        self,
        gdf: gpd.GeoDataFrame,
        *,
        name: str,
        style: Mapping[str, Any] | None = None,
        style_columns: Mapping[str, str] | None = None,
        tooltip: Mapping[str, str] | None = None,
        popup: Mapping[str, str] | None = None,
        show: bool = True,
        rank: float = 0,
    ) -> None:
        super().__init__(name=name, overlay=True, control=True, show=show)
        self._name = "FeatureLayer"
        self.rank = rank
        keep = gdf.geometry.notna() & ~gdf.geometry.is_empty
        gdf = gdf[keep]
        style_columns = dict(style_columns or {})
        tooltip, popup = dict(tooltip or {}), dict(popup or {})
        used = list(dict.fromkeys([*style_columns.values(), *tooltip, *popup]))
        self.n = len(gdf)
        payload = {
            "name": name,
            "n": self.n,
            "geometry": encode_geometry(gdf.geometry)
            if self.n
            else {"kind": "point", "scale": 1, "x": [], "y": [], "offsets": []},
            "columns": encode_columns(pd.DataFrame(gdf[used]).reset_index(drop=True)),
            "style": dict(style or {}),
            "styleColumns": list(style_columns.items()),
            "tooltip": list(tooltip.items()),
            "popup": list(popup.items()),
            "rank": rank,
        }
        self.payload = safe_json(payload)

    def render(self, **kwargs: Any) -> None:
        """Put the decoder (once) and this layer's data into the page's script, then the layer itself."""
        script = self.get_root().script
        script.add_child(_Raw(_DECODER_JS), name="equity_feature_layer_decoder")
        script.add_child(_Raw(f"const {self.get_name()}_data = {self.payload};"), name=f"{self.get_name()}_data")
        super().render(**kwargs)


class LabelLayer(folium.map.Layer):
    """Text labels at points, each shown from a zoom level on (a unit's name once the unit is wide enough on
    the screen to hold it).

    The labels are Leaflet markers with a ``DivIcon`` whose text is set with ``textContent`` (never parsed as
    HTML) and that take no mouse events, so the features under them keep their tooltips.

    Parameters
    ----------
    points
        Points in WGS84.
    text
        The label of each point.
    min_zoom
        The zoom level from which each label is shown.
    """

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        var {{ this.get_name() }} = equityLabelLayer({{ this.payload }});
        {% endmacro %}
        """
    )

    def __init__(self, points: gpd.GeoSeries, text: Any, min_zoom: Any, *, name: str, show: bool = True) -> None:
        super().__init__(name=name, overlay=True, control=True, show=show)
        self._name = "LabelLayer"
        arr = points.to_numpy()
        keep = ~(shapely.is_missing(arr) | shapely.is_empty(arr))
        xy = shapely.get_coordinates(arr[keep])
        self.payload = safe_json(
            {
                "lat": np.round(xy[:, 1], COORD_DECIMALS).tolist(),
                "lon": np.round(xy[:, 0], COORD_DECIMALS).tolist(),
                "text": [str(t) for t in np.asarray(text, dtype=object)[keep]],
                "minZoom": [int(z) for z in np.asarray(min_zoom)[keep]],
            }
        )

    def render(self, **kwargs: Any) -> None:
        """Put the decoder (once) into the page's script, then the layer."""
        self.get_root().script.add_child(_Raw(_DECODER_JS), name="equity_feature_layer_decoder")
        super().render(**kwargs)
