"""Unit readers: any polygon layer with an id column; and a population layer for area-weighted
interpolation (see :func:`equity.population.interpolate_population`).
"""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from equity._errors import InputFormatError
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
