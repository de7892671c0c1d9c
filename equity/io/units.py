"""Unit readers: any polygon layer with an id column; and a population layer for area-weighted
interpolation (see :func:`equity.population.interpolate_population`).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from equity._errors import InputError, InputFormatError
from equity.io._common import ReadResult, SourceFile, clean_text, read_vector, rejected_frame

#: Column names tried, in order, when no unit id column is given.
UNIT_ID_NAMES = ("unit_id", "id", "geoid", "geo_id", "nhood", "neighborhood", "neighbourhood", "name", "code")
POPULATION_NAMES = ("population", "pop", "pop_total", "total_population", "pop100", "residents", "inhabitants")

#: Square metres in a square mile (the international mile of 1,609.344 m).
SQ_MILE_M2 = 1609.344**2

#: Columns of a population layer that state each polygon's area, whose meaning and unit are documented by the
#: layer's publisher, by lower-case name: the US Census Bureau's TIGER/Line files give land and water areas in
#: square metres (``ALAND``, ``AWATER``, with the suffix ``10`` or ``20`` of the census in some), its 2010
#: cartographic boundary files the land area in square miles (``CENSUSAREA``). Columns named ``area`` or
#: ``Shape_Area`` are not read: their unit is that of whatever CRS the layer was made in, which it does not say.
STATED_LAND_AREAS = {"aland": 1.0, "aland10": 1.0, "aland20": 1.0, "censusarea": SQ_MILE_M2}


def _polygons(gdf: gpd.GeoDataFrame, p: Path, labels: list[str], what: str) -> tuple[gpd.GeoDataFrame, list, int]:
    """Drop rows without geometry (listed), refuse non-polygons, repair invalid polygons (counted)."""
    rejected = []
    missing = gdf.geometry.isna() | gdf.geometry.is_empty
    for i in missing.to_numpy().nonzero()[0]:
        rejected.append((p.name, labels[i], f"{what} without geometry", ""))
    gdf = gdf[~missing.to_numpy()].copy()
    types = gdf.geom_type
    bad = ~types.isin(["Polygon", "MultiPolygon"])
    if bad.any():
        first = bad.to_numpy().nonzero()[0][0]
        msg = (
            f"{p}: {what}s must be polygons, but {bad.sum()} of {len(gdf)} features are not "
            f"(the first is a {types.iloc[first]})."
        )
        raise InputFormatError(msg)
    invalid = ~gdf.geometry.is_valid
    n_invalid = int(invalid.sum())
    if n_invalid:
        repaired = shapely.make_valid(gdf.geometry[invalid].to_numpy())
        repaired = [
            shapely.union_all([g for g in getattr(r, "geoms", [r]) if g.geom_type in ("Polygon", "MultiPolygon")])
            for r in repaired
        ]
        gdf.loc[invalid, gdf.geometry.name] = repaired
    return gdf, rejected, n_invalid


def units_from_layer(source: SourceFile, *, id_column: str | None = None) -> ReadResult:
    """The reader of :func:`equity.io.units_from_file` for a polygon layer."""
    p = source.path
    gdf = read_vector(source, "unit")
    columns = [c for c in gdf.columns if c != gdf.geometry.name]
    if id_column is not None and id_column not in columns:
        msg = f"{p}: no unit id column {id_column!r}; the layer's columns are {', '.join(columns)}."
        raise InputFormatError(msg)
    if id_column is None:
        id_column = _guess_id_column(gdf, columns)
    labels = [f"feature {i + 1}" for i in range(len(gdf))]
    gdf, rejected, n_repaired = _polygons(gdf, p, labels, "unit")
    if id_column is None:
        ids = pd.Series([f"unit {i + 1}" for i in range(len(gdf))], index=gdf.index)
    else:
        ids = gdf[id_column]
        if ids.isna().any():
            first = ids.isna().to_numpy().nonzero()[0][0]
            msg = f"{p}: unit id column {id_column!r} is empty in feature {first + 1}; every unit needs an id."
            raise InputFormatError(msg)
        if pd.api.types.is_float_dtype(ids) and np.all(np.isfinite(ids)) and np.all(ids == np.round(ids)):
            # whole numbers stored as floats (a shapefile's census ids): 17031842400, not 17031842400.0
            ids = ids.astype("int64")
        ids = ids.astype(str).str.strip()
    # control characters (terminal escapes) are never part of a name: they would reach terminals and tables
    cleaned = ids.map(clean_text)
    n_cleaned = int((cleaned != ids).sum())
    ids = cleaned
    dup = ids[ids.duplicated()]
    if not dup.empty:
        msg = f"{p}: unit id column {id_column!r} is not unique: {dup.iloc[0]!r} appears more than once."
        raise InputFormatError(msg)
    if "unit_id" in gdf.columns:  # the layer's own column of that name: its ids were taken, or another column's
        gdf = gdf.drop(columns="unit_id")
    gdf.insert(0, "unit_id", ids.to_numpy())
    meta = {"id_column": id_column or "(row number)"}
    counts = {"repaired_geometries": n_repaired, "unit_ids_with_control_characters": n_cleaned}
    return ReadResult(gdf.reset_index(drop=True), rejected_frame(rejected), counts, meta)


def _guess_id_column(gdf: gpd.GeoDataFrame, columns: list[str]) -> str | None:
    lowered = {c.lower(): c for c in columns}
    for name in UNIT_ID_NAMES:
        col = lowered.get(name)
        if col is not None and gdf[col].notna().all() and gdf[col].is_unique:
            return col
    for col in columns:
        if gdf[col].dtype == object and gdf[col].notna().all() and gdf[col].is_unique:
            return col
    return None


def population_from_layer(source: SourceFile, *, column: str | None = None, keep: tuple[str, ...] = ()) -> ReadResult:
    """The reader of :func:`equity.io.population_layer_from_file` for a polygon layer; the columns ``keep``
    (those of the groups of residents) are kept as they are, beside ``population``."""
    p = source.path
    gdf = read_vector(source, "population")
    columns = [c for c in gdf.columns if c != gdf.geometry.name]
    if column is None:
        lowered = {c.lower(): c for c in columns}
        column = next((lowered[n] for n in POPULATION_NAMES if n in lowered), None)
        if column is None:
            expected = ", ".join(POPULATION_NAMES)
            msg = f"{p}: no population column found (expected one of {expected}; give it with --population-column)."
            raise InputFormatError(msg)
    elif column not in columns:
        msg = f"{p}: no population column {column!r}; the layer's columns are {', '.join(columns)}."
        raise InputFormatError(msg)
    labels = [f"feature {i + 1}" for i in range(len(gdf))]
    gdf, rejected, n_repaired = _polygons(gdf, p, labels, "population polygon")
    values = pd.to_numeric(gdf[column], errors="coerce")
    infinite = np.isinf(values.to_numpy(dtype=float))
    if infinite.any():  # inf, or a number too large for a float (1e400)
        first = infinite.nonzero()[0][0]
        msg = (
            f"{p}: population column {column!r} holds {values.iloc[first]} in feature {first + 1}, which is not a "
            "finite number; expected a count of at least 0."
        )
        raise InputFormatError(msg)
    bad = values.isna() | (values < 0)
    if bad.any():
        first = bad.to_numpy().nonzero()[0][0]
        value = gdf[column].iloc[first]
        value = value.item() if hasattr(value, "item") else value  # 1.5, not np.float64(1.5)
        msg = f"{p}: population column {column!r} holds {value!r} in a feature; expected a count of at least 0."
        raise InputFormatError(msg)
    missing = [c for c in keep if c not in columns]
    if missing:
        msg = f"{p}: no column {missing[0]!r} for the groups (--groups); the layer's columns are {', '.join(columns)}."
        raise InputFormatError(msg)
    name_column = _guess_id_column(gdf, [c for c in columns if c != column])
    names = gdf[name_column].astype(str).map(clean_text) if name_column else pd.Series(labels).loc[gdf.index]
    out = gpd.GeoDataFrame(
        {
            "population": values.astype(float).to_numpy(),
            "name": names.to_numpy(),
            **{c: gdf[c].to_numpy() for c in keep if c not in ("population", "name")},
        },
        geometry=gdf.geometry.to_numpy(),
        crs=gdf.crs,
    )
    meta = {"column": column, "name_column": name_column or "(feature number)"}
    stated = _stated_areas(gdf, columns)
    if stated is not None:
        out["stated_land_m2"], out["stated_total_m2"], meta["stated_area"] = stated
    return ReadResult(out, rejected_frame(rejected), {"repaired_geometries": n_repaired}, meta)


def _stated_areas(gdf: gpd.GeoDataFrame, columns: list[str]) -> tuple[np.ndarray, np.ndarray, str] | None:
    """Each polygon's stated land area and land and water area in m² (NaN where not a number), from the first
    column of :data:`STATED_LAND_AREAS` the layer has (its water area from ``AWATER`` of the same suffix; without
    one, the total is the land), and the columns' description; None when the layer has none of them."""
    lowered = {c.lower(): c for c in columns}
    for name, factor in STATED_LAND_AREAS.items():
        if name not in lowered:
            continue
        land = pd.to_numeric(gdf[lowered[name]], errors="coerce").to_numpy(dtype=float) * factor
        water_name = lowered.get(name.replace("aland", "awater")) if name.startswith("aland") else None
        if water_name is None:
            unit = "square miles" if factor != 1.0 else "m²"
            return land, land.copy(), f"{lowered[name]} (land area, {unit})"
        water = pd.to_numeric(gdf[water_name], errors="coerce").to_numpy(dtype=float)
        return land, land + np.nan_to_num(water), f"{lowered[name]} and {water_name} (land and water areas, m²)"
    return None


# ---------------------------------------------------------------------------------------------------------------
# units made from a fetched area (``--units-level``) or a grid (``--units grid:500``)

#: The part of a boundary that must lie inside the place for it to be a unit: at least this share of the
#: boundary's own area, or of the place's area. A neighbour that only touches the place, or overlaps it by a
#: digitising sliver, is left out (listed in rejected.csv); a region that holds the whole place is kept (clipped).
MIN_INSIDE_SHARE = 0.01


@dataclass(frozen=True)
class UnitsSpec:
    """Units made from another layer: the boundaries of one ``admin_level`` of an area written by ``equity
    fetch``, or the cells of a grid over a study area.

    It stands where a unit layer's path stands (``Study(units=UnitsSpec(...))``): as a path (``os.fspath``) it is
    the file the units come from, which the manifest records with its hash.

    Attributes
    ----------
    source : pathlib.Path or None
        ``area.gpkg`` of ``equity fetch`` for ``level``; for a grid, the study area's file (``--area``), else None.
    level : str, optional
        The ``admin_level`` of the boundaries to take (``--units-level``).
    grid : tuple of (str, float), optional
        The kind of cell (``square`` or ``hexagon``) and its size in metres (:func:`equity.grid.parse_grid`).
    cameras : pathlib.Path, optional
        The cameras' file: a grid without ``source`` covers the fetched place when it is an ``area.gpkg``, else
        the cameras' extent (the last resort, with a warning).
    """

    source: Path | None = None
    level: str | None = None
    grid: tuple[str, float] | None = None
    cameras: Path | None = None

    def __fspath__(self) -> str:
        path = self.source if self.source is not None else self.cameras
        if path is None:
            msg = "A grid needs a study area: give --area, or the cameras (--cameras) whose extent it covers."
            raise InputError(msg)
        return os.fspath(path)

    def __str__(self) -> str:
        if self.grid is not None:
            word = "grid" if self.grid[0] == "square" else "hex"
            over = self.source if self.source is not None else self.cameras
            return f"{word}:{self.grid[1]:g} over {over}"
        return f"{self.source} (admin_level {self.level})"


def units_spec(
    units: str | Path,
    *,
    level: str | int | None = None,
    area: str | Path | None = None,
    cameras: str | Path | None = None,
) -> str | Path | UnitsSpec:
    """The units as ``--units``, ``--units-level`` and ``--area`` give them: a plain path, or a :class:`UnitsSpec`.

    Raises :class:`InputError` for a level without a file of boundaries, an area without a grid, or a malformed
    grid (:func:`equity.grid.parse_grid`).
    """
    from equity.grid import parse_grid

    grid = parse_grid(str(units))
    if grid is not None:
        if level is not None:
            msg = f"--units-level picks boundaries of a fetched area; --units {units} is a grid, which has none."
            raise InputError(msg)
        if area is None and cameras is None:
            msg = f"--units {units}: a grid needs a study area; give --area, or the cameras (--cameras) it covers."
            raise InputError(msg)
        return UnitsSpec(
            source=None if area is None else Path(area), grid=grid, cameras=None if cameras is None else Path(cameras)
        )
    if area is not None:
        msg = "--area is the study area of a grid (--units grid:500 or hex:500); the units given are a file."
        raise InputError(msg)
    if level is None:
        return units
    return UnitsSpec(source=Path(units), level=str(level).strip())


def admin_levels(boundaries: gpd.GeoDataFrame, examples: int = 3) -> pd.DataFrame:
    """The administrative levels of a boundaries layer: ``admin_level``, ``count`` and up to ``examples`` names.

    Levels are ordered as numbers (2 the country, 4 a region, 8 a municipality in most countries, higher ones
    finer; what each level means is set per country: https://wiki.openstreetmap.org/wiki/Tag:boundary=administrative).
    A level that is not a whole number is listed after the others, as written.

    Examples
    --------
    >>> import geopandas as gpd
    >>> levels, names = ["10", "9", "10"], ["Norte", "Centro", "Sur"]
    >>> b = gpd.GeoDataFrame({"admin_level": levels, "name": names}, geometry=[None] * 3)
    >>> admin_levels(b).to_dict(orient="records")  # doctest: +NORMALIZE_WHITESPACE
    [{'admin_level': '9', 'count': 1, 'examples': 'Centro'},
     {'admin_level': '10', 'count': 2, 'examples': 'Norte, Sur'}]
    """
    if boundaries.empty or "admin_level" not in boundaries.columns:
        return pd.DataFrame({"admin_level": pd.Series(dtype=object), "count": [], "examples": []})
    rows = []
    for level, group in boundaries.groupby(boundaries["admin_level"].astype(str)):
        names = group["name"].dropna().astype(str) if "name" in group.columns else pd.Series(dtype=str)
        rows.append({"admin_level": level, "count": len(group), "examples": ", ".join(sorted(names)[:examples])})
    return (
        pd.DataFrame(rows, columns=["admin_level", "count", "examples"])
        .sort_values("admin_level", key=lambda s: s.map(_level_key))
        .reset_index(drop=True)
    )


def place_levels(boundaries: gpd.GeoDataFrame, place: gpd.GeoDataFrame) -> pd.DataFrame:
    """:func:`admin_levels` of the boundaries that would be units: those :func:`clip_to_place` keeps (a neighbour
    that only touches the place is not counted)."""
    if boundaries.empty:
        return admin_levels(boundaries)
    return admin_levels(clip_to_place(boundaries, place, "")[0])


def _level_key(level: str) -> tuple[int, float, str]:
    try:
        return (0, float(level), level)
    except ValueError:
        return (1, 0.0, level)


def is_fetched_area(path: str | Path) -> bool:
    """Whether ``path`` is a GeoPackage written by ``equity fetch`` (it has a ``boundaries`` and a ``place`` layer)."""
    from equity.io._common import geopackage_tables

    p = Path(path)
    if p.suffix.lower() != ".gpkg" or not p.is_file():
        return False
    return {"boundaries", "place", "metadata"} <= geopackage_tables(p)


def area_layer(path: str | Path, layer: str) -> gpd.GeoDataFrame:
    """One layer of an area written by ``equity fetch`` (``place``, ``boundaries``, ...), empty or not."""
    import pyogrio

    from equity.io._common import gdal_policy

    gdal_policy()
    try:
        return pyogrio.read_dataframe(path, layer=layer, datetime_as_string=True)
    except (pyogrio.errors.DataSourceError, pyogrio.errors.DataLayerError) as err:
        msg = f"{path}: has no {layer!r} layer of an area fetched by equity fetch ({str(err).splitlines()[0]})."
        raise InputFormatError(msg) from err


def units_from_spec(
    spec: UnitsSpec, *, id_column: str | None = None, read_cameras: Callable[[Path], ReadResult] | None = None
) -> ReadResult:
    """The units of a :class:`UnitsSpec`: the boundaries of one level, or grid cells (:mod:`equity.grid`).

    ``read_cameras`` reads the cameras' file when a grid covers their extent (the registry's
    :func:`~equity.io.cameras_from_file`, handed in, as the reader modules do not import the registry).
    """
    if spec.grid is not None:
        return _grid_units(spec, read_cameras)
    return _level_units(spec, id_column)


def _level_units(spec: UnitsSpec, id_column: str | None) -> ReadResult:
    """The boundaries of ``spec.level`` in a fetched area, clipped to its place."""
    p = Path(spec.source)
    if not is_fetched_area(p):
        msg = (
            f"{p}: --units-level picks boundaries of an area written by equity fetch (area.gpkg, with the layers "
            "boundaries and place); this file is not one."
        )
        raise InputFormatError(msg)
    boundaries = area_layer(p, "boundaries")
    place = area_layer(p, "place")
    levels = place_levels(boundaries, place)
    present = levels["admin_level"].astype(str).tolist()
    if spec.level not in present:
        listed = ", ".join(f"{r.admin_level} ({r.count})" for r in levels.itertuples()) or "none"
        msg = (
            f"{p}: no administrative boundaries at admin_level {spec.level} in the place; the levels present (with "
            f"their numbers of boundaries) are {listed}."
        )
        raise InputError(msg)
    picked = boundaries[boundaries["admin_level"].astype(str) == spec.level].reset_index(drop=True)
    units, rejected, counts = clip_to_place(picked, place, p.name)
    if units.empty:
        msg = (
            f"{p}: none of the {len(picked)} boundaries at admin_level {spec.level} lies inside the place "
            f"(at least {100 * MIN_INSIDE_SHARE:g}% of it); pick another level."
        )
        raise InputFormatError(msg)
    if id_column is not None:
        if id_column not in units.columns:
            msg = f"{p}: no unit id column {id_column!r}; the boundaries' columns are {', '.join(units.columns)}."
            raise InputFormatError(msg)
        ids = units[id_column].astype(str).str.strip()
    else:
        id_column = "name (osm_id where names repeat or are missing)"
        ids = boundary_ids(units)
    if ids.duplicated().any():
        msg = f"{p}: unit id column {id_column!r} is not unique: {ids[ids.duplicated()].iloc[0]!r} appears twice."
        raise InputFormatError(msg)
    units = units.drop(columns=[c for c in ("unit_id",) if c in units.columns])
    units.insert(0, "unit_id", ids.map(clean_text).to_numpy())
    meta = {
        "units_from": "OpenStreetMap administrative boundaries (equity fetch)",
        "admin_level": spec.level,
        "id_column": id_column,
        "boundaries_at_level": len(picked),
        "levels_present": present,
        **counts,
    }
    counts = {
        "repaired_geometries": 0,
        "units_boundaries_clipped_to_place": counts["boundaries_clipped"],
        "units_boundaries_outside_place": counts["boundaries_outside_place"],
    }
    return ReadResult(units, rejected_frame(rejected), counts, meta)


def boundary_ids(boundaries: gpd.GeoDataFrame) -> pd.Series:
    """Unit ids of boundaries: each one's ``name`` when all are named and no name repeats; otherwise the name
    and the OSM id (``Centro (relation/123)``), or the OSM id alone for a boundary without a name."""
    names = [None if pd.isna(n) or not str(n).strip() else str(n).strip() for n in boundaries["name"]]
    if all(names) and len(set(names)) == len(names):
        return pd.Series(names, index=boundaries.index, dtype=object)
    return pd.Series(
        [f"{n} ({o})" if n else str(o) for n, o in zip(names, boundaries["osm_id"], strict=True)],
        index=boundaries.index,
        dtype=object,
    )


def clip_to_place(
    boundaries: gpd.GeoDataFrame, place: gpd.GeoDataFrame, source: str
) -> tuple[gpd.GeoDataFrame, list[tuple[str, str, str, str]], dict[str, int]]:
    """Boundaries clipped to the place's outline, in the place's metric CRS (:func:`equity.projection.metric_crs`).

    A boundary is kept when its part inside the place is at least :data:`MIN_INSIDE_SHARE` of its own area or of
    the place's; the others are returned as rejected rows (``source``, ``osm_id``, the reason, the share inside).

    Returns
    -------
    tuple
        The kept boundaries (clipped), the rejected rows, and the counts ``boundaries_clipped`` (kept with a part
        outside the place) and ``boundaries_outside_place``.
    """
    from equity.projection import metric_crs, to_metric

    crs = metric_crs(place)
    outline = shapely.union_all(to_metric(place, crs).geometry.to_numpy())
    metric = to_metric(boundaries, crs)
    geoms = shapely.make_valid(metric.geometry.to_numpy())
    own = shapely.area(geoms)
    inside = shapely.intersection(geoms, outline)
    inside = np.array(
        [
            g
            if g.geom_type in ("Polygon", "MultiPolygon")
            else shapely.union_all([q for q in getattr(g, "geoms", []) if q.geom_type in ("Polygon", "MultiPolygon")])
            for g in inside
        ],
        dtype=object,
    )
    part = shapely.area(inside)
    with np.errstate(divide="ignore", invalid="ignore"):
        share_own = np.where(own > 0, part / own, 0.0)
    keep = (part > 0) & ((share_own >= MIN_INSIDE_SHARE) | (part >= MIN_INSIDE_SHARE * outline.area))
    rejected = [
        (source, str(metric["osm_id"].iloc[i]), "boundary outside the place", f"{100 * share_own[i]:.2f}% inside")
        for i in np.flatnonzero(~keep)
    ]
    kept = metric[keep].copy()
    kept = kept.set_geometry(inside[keep], crs=crs)
    counts = {
        # clipped: less than 99.99 % inside (a boundary drawn on the place's edge differs from it by its vertices)
        "boundaries_clipped": int(((share_own < 0.9999) & keep).sum()),
        "boundaries_outside_place": int((~keep).sum()),
    }
    return kept.reset_index(drop=True), rejected, counts


def _grid_units(spec: UnitsSpec, read_cameras: Callable[[Path], ReadResult] | None) -> ReadResult:
    """Grid cells over the study area: ``--area``'s polygons (the place, of a fetched area), else the fetched
    place of the cameras' ``area.gpkg``, else the cameras' extent (with a warning)."""
    from equity.grid import cell_area, grid_cells, slivers
    from equity.projection import metric_crs, to_metric

    kind, size = spec.grid
    warnings: list[str] = []
    if spec.source is not None and is_fetched_area(spec.source):
        area, described = area_layer(spec.source, "place"), f"the place of {spec.source} (equity fetch)"
    elif spec.source is not None:
        area, described = _area_polygons(spec.source), f"the polygons of {spec.source}"
    elif spec.cameras is not None and is_fetched_area(spec.cameras):
        area, described = area_layer(spec.cameras, "place"), f"the place of {spec.cameras} (equity fetch)"
    elif spec.cameras is not None and read_cameras is not None:
        area, described = _camera_extent(read_cameras(spec.cameras).data, spec.cameras, size)
        warnings.append(
            f"The grid covers the cameras' extent ({spec.cameras}: their bounding box widened by one cell, "
            f"{size:g} m, on each side), not a place's boundary: cells without cameras beyond it are not counted. "
            "Give the study area with --area for figures over a whole city."
        )
    else:
        msg = "A grid needs a study area: give --area, or the cameras (--cameras) whose extent it covers."
        raise InputError(msg)
    crs = metric_crs(area)
    cells = grid_cells(to_metric(area, crs), kind, size)
    n_slivers = slivers(cells)
    meta = {
        "units_from": f"{kind} grid",
        "id_column": "grid cell id (equity.grid: the cell's place in the grid of the metric CRS)",
        "cell_kind": kind,
        "cell_size_m": size,
        "cell_area_m2": round(cell_area(kind, size), 3),
        "crs": crs.to_string(),
        "study_area": described,
        "cells": len(cells),
        "sliver_cells": n_slivers,
        "warnings": warnings,
    }
    counts = {"repaired_geometries": 0, "units_grid_cells": len(cells), "units_grid_sliver_cells": n_slivers}
    return ReadResult(cells, rejected_frame([]), counts, meta)


def _area_polygons(path: Path) -> gpd.GeoDataFrame:
    """The polygons of ``--area`` (any polygon layer GDAL reads), repaired where invalid."""
    from equity.io._common import open_source

    with open_source(path) as source:
        gdf = read_vector(source, "study area")
    labels = [f"feature {i + 1}" for i in range(len(gdf))]
    gdf, _, _ = _polygons(gdf, Path(path), labels, "study area polygon")
    return gdf


def _camera_extent(cameras: gpd.GeoDataFrame, path: Path, size: float) -> tuple[gpd.GeoDataFrame, str]:
    """The cameras' bounding box in their metric CRS, widened by ``size`` metres on each side."""
    from equity.projection import metric_crs, to_metric

    crs = metric_crs(cameras)
    minx, miny, maxx, maxy = to_metric(cameras, crs).total_bounds
    box = shapely.box(minx - size, miny - size, maxx + size, maxy + size)
    return gpd.GeoDataFrame(geometry=[box], crs=crs), f"the extent of the cameras of {path} (no --area given)"
