"""Per-unit coverage: cameras located in each unit, area in view, crimes inside and in view.

All functions take and return in-memory layers in one metric CRS; outputs are aligned to the units' index.
"""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from equity.projection import require_metric


def assign_units(points: gpd.GeoDataFrame | gpd.GeoSeries, units: gpd.GeoDataFrame) -> pd.Series:
    """The ``unit_id`` of the unit containing each point (None outside every unit).

    A point on the shared edge of two units goes to the first of them in the units' order, so that no
    point is counted twice.
    """
    geoms = points.geometry if isinstance(points, gpd.GeoDataFrame) else points
    result = pd.Series(None, index=geoms.index, dtype=object)
    if len(geoms) == 0:
        return result
    tree = shapely.STRtree(units.geometry.to_numpy())
    pt_idx, unit_idx = tree.query(geoms.to_numpy(), predicate="intersects")
    order = np.lexsort((unit_idx, pt_idx))
    pt_idx, unit_idx = pt_idx[order], unit_idx[order]
    first = np.unique(pt_idx, return_index=True)[1]
    ids = units["unit_id"].to_numpy()
    result.iloc[pt_idx[first]] = ids[unit_idx[first]]
    return result


#: Largest overlap of two units, as a share of the smaller unit's area, taken for a digitising sliver (two
#: neighbours' shared edge drawn twice) rather than for units that overlap: 1 %. Slivers are counted; a larger
#: overlap is refused, as each point would count in the first unit only and an interpolated population would be
#: split between the two.
MAX_OVERLAP_SHARE = 0.01


def unit_overlaps(units: gpd.GeoDataFrame) -> tuple[tuple[str, str, float] | None, int]:
    """The units that overlap: the pair whose overlap is the largest share of the smaller unit's area when that
    share exceeds :data:`MAX_OVERLAP_SHARE` (``(id, id, share)``, the earlier unit first), else None; and the
    number of pairs whose interiors overlap by at most that share (slivers).

    ``share(u, v) = |u ∩ v| / min(|u|, |v|)``; units in a metric CRS. Units that only touch share no area.
    """
    require_metric(units, "unit layer")
    geoms = units.geometry.to_numpy()
    i, j = shapely.STRtree(geoms).query(geoms, predicate="intersects")
    keep = i < j
    i, j = i[keep], j[keep]
    inner = shapely.relate_pattern(geoms[i], geoms[j], "T********")
    i, j = i[inner], j[inner]
    if not len(i):
        return None, 0
    areas = shapely.area(geoms)
    smaller = np.minimum(areas[i], areas[j])
    with np.errstate(divide="ignore", invalid="ignore"):
        share = np.where(smaller > 0, shapely.area(shapely.intersection(geoms[i], geoms[j])) / smaller, 0.0)
    big = share > MAX_OVERLAP_SHARE
    slivers = int((~big).sum())
    if not big.any():
        return None, slivers
    k = int(np.argmax(np.where(big, share, -1.0)))
    ids = units["unit_id"].to_numpy()
    return (str(ids[i[k]]), str(ids[j[k]]), float(share[k])), slivers


def cameras_by_unit(views: gpd.GeoDataFrame, units: gpd.GeoDataFrame, *, unit_of: pd.Series | None = None) -> pd.Series:
    """Number of distinct cameras (``camera_id``; not views) located in each unit, aligned to ``units``.
    ``unit_of``: the unit of each view when it is known already (:func:`assign_units`)."""
    if unit_of is None:
        unit_of = assign_units(views, units)
    counts = views.loc[unit_of.notna(), "camera_id"].groupby(unit_of[unit_of.notna()]).nunique()
    return units["unit_id"].map(counts).fillna(0).astype("int64").set_axis(units.index)


#: The last unions of views computed, by the digest of their distinct polygons (see :func:`union_of_views`).
_UNIONS: OrderedDict[bytes, object] = OrderedDict()
_UNIONS_KEPT = 4
_UNIONS_LOCK = threading.Lock()


def union_of_views(geoms: np.ndarray) -> object:
    """The union of views' polygons, each distinct polygon once: cameras that share a pole and a direction have
    the same field of view, and GEOS's union of many copies of one polygon costs as much as of different ones
    (100,000 cameras on one point took 12 s in three unions).

    The last few unions are kept, by the digest of the polygons' well-known binary: an analysis asks for the
    union of the same views up to three times (the area in view per unit, then per operator city-wide and per
    unit; all three are the same union when the cameras have one operator), and 400,000 views took 31 s each.
    """
    wkb = shapely.to_wkb(geoms)
    if len(geoms) > 1:
        _, first = np.unique(wkb, return_index=True)
        first = np.sort(first)
        geoms, wkb = geoms[first], wkb[first]
    digest = hashlib.blake2b(digest_size=32)
    for item in wkb:
        digest.update(len(item).to_bytes(8, "little"))
        digest.update(item)
    key = digest.digest()
    with _UNIONS_LOCK:
        if key in _UNIONS:
            _UNIONS.move_to_end(key)
            return _UNIONS[key]
    union = shapely.union_all(geoms)
    with _UNIONS_LOCK:
        _UNIONS[key] = union
        while len(_UNIONS) > _UNIONS_KEPT:
            _UNIONS.popitem(last=False)
    return union


def covered_area_by_unit(sectors: gpd.GeoSeries, units: gpd.GeoDataFrame) -> pd.Series:
    """Area in square metres of each unit seen by at least one camera.

    ``covered(u) = area(u ∩ union(views))``: overlapping views count once.
    """
    require_metric(units, "unit layer")
    views = sectors.dropna()
    views = views[~views.is_empty]
    if views.empty:
        return pd.Series(0.0, index=units.index)
    seen = union_of_views(views.to_numpy())
    return pd.Series(shapely.area(shapely.intersection(units.geometry.to_numpy(), seen)), index=units.index)


def built_area_by_unit(footprints: gpd.GeoSeries, units: gpd.GeoDataFrame) -> pd.Series:
    r"""Area (m²) of each unit covered by building footprints, overlapping footprints counted once:
    ``B(u) = |u ∩ ∪_b b|``.

    Computed as ``Σ_p |u ∩ p|`` over disjoint pieces ``p``: the footprints that overlap no other one (touching
    walls share no area) as they are, and the union of those that do overlap, so that the union is built only
    where it changes the area (a city's buildings rarely overlap; their union costs seconds at 30,000).
    """
    geoms = np.asarray(footprints.to_numpy(), dtype=object)
    geoms = geoms[~(shapely.is_missing(geoms) | shapely.is_empty(geoms))]
    if not len(geoms):
        return pd.Series(0.0, index=units.index)
    i, j = shapely.STRtree(geoms).query(geoms, predicate="intersects")
    pair = i < j
    i, j = i[pair], j[pair]
    # their interiors meet (a shared area), rather than only their boundaries (walls that touch)
    overlap = shapely.relate_pattern(geoms[i], geoms[j], "T********")
    tangled = np.zeros(len(geoms), bool)
    tangled[i[overlap]] = True
    tangled[j[overlap]] = True
    pieces = geoms[~tangled]
    if tangled.any():
        pieces = np.concatenate([pieces, shapely.get_parts(shapely.union_all(geoms[tangled]))])
    unit_geoms = units.geometry.to_numpy().copy()
    shapely.prepare(unit_geoms)
    u, p = shapely.STRtree(pieces).query(unit_geoms, predicate="intersects")
    # most pieces lie inside one unit: their own area; only those across a unit's boundary are cut
    areas = shapely.area(pieces[p])
    cut = ~shapely.contains_properly(unit_geoms[u], pieces[p])
    areas[cut] = shapely.area(shapely.intersection(unit_geoms[u[cut]], pieces[p[cut]]))
    return pd.Series(np.bincount(u, weights=areas, minlength=len(units)), index=units.index)


def points_in_view(points: gpd.GeoDataFrame, sectors: gpd.GeoSeries) -> np.ndarray:
    """Boolean array: is each point inside at least one view."""
    views = sectors.dropna()
    views = views[~views.is_empty]
    inside = np.zeros(len(points), dtype=bool)
    if views.empty or len(points) == 0:
        return inside
    tree = shapely.STRtree(views.to_numpy())
    pt_idx, _ = tree.query(points.geometry.to_numpy(), predicate="intersects")
    inside[np.unique(pt_idx)] = True
    return inside


def crimes_by_unit(
    crime: gpd.GeoDataFrame,
    units: gpd.GeoDataFrame,
    in_view: np.ndarray | None = None,
    *,
    unit_of: pd.Series | None = None,
) -> pd.DataFrame:
    """Incidents inside each unit, and of those, the ones in a camera's view.

    ``in_view`` says for each incident whether a camera sees its place (from :func:`points_in_view`, or from a
    viewshed raster). ``unit_of``: the unit of each incident when it is known already (:func:`assign_units`).
    Returns a frame aligned to ``units`` with integer columns ``crimes`` and ``crimes_in_view``.
    """
    if unit_of is None:
        unit_of = assign_units(crime, units)
    counts = unit_of.value_counts()
    out = pd.DataFrame(index=units.index)
    out["crimes"] = units["unit_id"].map(counts).fillna(0).astype("int64").to_numpy()
    if in_view is None:
        out["crimes_in_view"] = 0
        return out
    seen_counts = unit_of[np.asarray(in_view, bool)].value_counts()
    out["crimes_in_view"] = units["unit_id"].map(seen_counts).fillna(0).astype("int64").to_numpy()
    return out


def street_length_by_unit(streets: gpd.GeoDataFrame | gpd.GeoSeries, units: gpd.GeoDataFrame) -> pd.Series:
    """Length in metres of the streets inside each unit."""
    require_metric(units, "unit layer")
    lines = shapely.union_all(_geoms(streets))
    return pd.Series(shapely.length(shapely.intersection(units.geometry.to_numpy(), lines)), index=units.index)


def street_length_in_view(
    streets: gpd.GeoDataFrame | gpd.GeoSeries,
    units: gpd.GeoDataFrame,
    *,
    sectors: gpd.GeoSeries | None = None,
    seen: object | None = None,
    step: float = 0.5,
) -> pd.Series:
    """Length in metres of each unit's streets that lie in a camera's view.

    With ``sectors`` (open-ground views) it is the length of the streets inside their union. With ``seen``
    (an object with ``points_seen(points)``, the viewshed raster of a study) each street inside the unit is
    sampled every ``step`` metres and the length in view is the unit's street length times the share of
    samples on seen cells.
    """
    require_metric(units, "unit layer")
    pieces = [
        _lines_only(p) for p in shapely.intersection(units.geometry.to_numpy(), shapely.union_all(_geoms(streets)))
    ]
    if sectors is not None:
        views = sectors.dropna()
        views = views[~views.is_empty]
        if views.empty:
            return pd.Series(0.0, index=units.index)
        return pd.Series(
            shapely.length(shapely.intersection(pieces, union_of_views(views.to_numpy()))), index=units.index
        )
    out = []
    for piece in pieces:
        parts = shapely.get_parts(piece)
        lengths = shapely.length(parts)
        total = float(lengths.sum())
        if total == 0:
            out.append(0.0)
            continue
        # samples every `step` metres along each part (at least its two ends), weighted by the part's length
        n = np.maximum(2, (lengths / step).astype(np.int64))
        geoms = np.repeat(parts, n)
        fractions = np.concatenate([np.linspace(0.0, 1.0, k) for k in n])
        weights = np.repeat(lengths / n, n)
        pts = shapely.line_interpolate_point(geoms, fractions, normalized=True)
        inside = seen.points_seen(gpd.GeoDataFrame(geometry=pts, crs=units.crs))  # type: ignore[attr-defined]
        out.append(float(np.sum(weights * inside)))
    return pd.Series(out, index=units.index)


def _lines_only(geom: object) -> object:
    """The line parts of an intersection (which may also hold points where a street touches an edge)."""
    parts = [g for g in shapely.get_parts(geom) if g.geom_type in ("LineString", "MultiLineString")]
    return shapely.multilinestrings(parts) if parts else shapely.MultiLineString()


def _geoms(layer: gpd.GeoDataFrame | gpd.GeoSeries) -> np.ndarray:
    return (layer.geometry if isinstance(layer, gpd.GeoDataFrame) else layer).to_numpy()
