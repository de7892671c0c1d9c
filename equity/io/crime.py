"""Crime readers: incident points from a CSV (longitude/latitude columns under their common names) or from a
point layer, with filters by category and date range. Counts per unit that are already columns of the unit
layer are read by :func:`equity.io.units.units_from_file` and summed by the study.
"""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

import geopandas as gpd
import pandas as pd

from equity._errors import InputError, InputFormatError
from equity.io._common import (
    ReadResult,
    check_file,
    find_column,
    points_from_table,
    read_csv_table,
    read_vector,
    rejected_frame,
    sniff_format,
)

CATEGORY_NAMES = (
    "category",
    "incident category",
    "incident_category",
    "offense",
    "offence",
    "crime_type",
    "crime type",
    "primary type",
    "primary_type",
    "offense_type",
    "type",
)
DATE_NAMES = (
    "date",
    "incident date",
    "incident_date",
    "datetime",
    "date_time",
    "occurred",
    "occurred_date",
    "occurred_on",
    "report date",
    "report_date",
    "reported_date",
    "incident_datetime",
)
ID_NAMES = (
    "incidntnum",
    "incident_number",
    "incident number",
    "incidentnum",
    "incident_id",
    "incident id",
    "case_number",
    "case number",
    "casenumber",
    "report_number",
    "id",
)


def _parse_bound(value: str | date | None, what: str) -> pd.Timestamp | None:
    if value is None or value == "":
        return None
    try:
        # text must be an ISO date: pd.Timestamp alone reads "June" as June of the current year
        return _wall_time(datetime.fromisoformat(value.strip()) if isinstance(value, str) else value)
    except (ValueError, TypeError) as err:
        msg = f"--{what} {value!r} is not a date (expected YYYY-MM-DD)."
        raise InputError(msg) from err


def _wall_time(value: object) -> pd.Timestamp:
    """A timestamp without its UTC offset (the local time as written), so that aware and naive times compare."""
    ts = pd.Timestamp(value)
    return ts.tz_localize(None) if ts is not pd.NaT and ts.tzinfo is not None else ts


def _parse_dates(values: pd.Series) -> pd.Series:
    """Incident dates as naive timestamps in the local time written in the file; unreadable dates are NaT.

    A UTC offset (``Z``, ``-07:00``) is dropped, not applied, so that an incident keeps the day written in the
    file and dates with different offsets can be read and compared with ``since`` and ``until``.
    """
    try:
        dates = pd.to_datetime(values, errors="coerce", format="mixed")
    except ValueError:  # several UTC offsets in one column
        dates = pd.to_datetime(values.map(_safe_wall_time), errors="coerce")
    if isinstance(dates.dtype, pd.DatetimeTZDtype):
        dates = dates.dt.tz_localize(None)
    return dates


def _safe_wall_time(value: object) -> pd.Timestamp:
    try:
        return _wall_time(value)
    except (ValueError, TypeError):
        return pd.NaT


def crime_from_file(
    path: str | Path,
    *,
    categories: list[str] | None = None,
    since: str | date | datetime | None = None,
    until: str | date | datetime | None = None,
    dedupe: bool = True,
) -> ReadResult:
    """Read crime incidents as WGS84 points, filtered by category and date.

    Parameters
    ----------
    path
        A CSV with longitude/latitude columns (``X``/``Y``, ``lon``/``lat``, ``longitude``/``latitude``, ...)
        or a point layer GDAL reads.
    categories
        Keep only incidents whose category (case-insensitive) is one of these.
    since, until
        Keep only incidents dated on or after ``since`` and on or before ``until`` (whole days).
    dedupe
        Count an incident once when several rows share its incident number (one report, several
        offences); the extra rows are listed in the rejected rows.

    Returns
    -------
    ReadResult
        Data columns ``incident_id``, ``category``, ``date`` and the point; counts ``rows_read``,
        ``rows_filtered_category``, ``rows_filtered_date``, ``duplicate_incident_rows``.
    """
    p = check_file(path)
    fmt = sniff_format(p)
    counts: dict[str, int] = {}
    if fmt == "csv":
        table, counts = read_csv_table(p)
        gdf, rejected, more = points_from_table(table, p)
        counts.update(more)
        labels = [f"line {n}" for n in gdf["_line"]]
    elif fmt in ("geojson", "gpkg", "vector"):
        gdf = read_vector(p, "crime").to_crs("EPSG:4326")
        labels = [f"feature {i + 1}" for i in range(len(gdf))]
        bad = gdf.geometry.isna() | gdf.geometry.is_empty | (gdf.geom_type != "Point")
        rejected = rejected_frame(
            [
                (p.name, labels[i], "not a point geometry", str(gdf.geom_type.iloc[i]))
                for i in bad.to_numpy().nonzero()[0]
            ]
        )
        gdf = gdf[~bad.to_numpy()]
        labels = [lab for lab, b in zip(labels, bad, strict=True) if not b]
        if gdf.empty:
            msg = f"{p}: the crime layer has no point features."
            raise InputFormatError(msg)
    else:
        msg = f"{p}: crime must be a CSV with coordinate columns or a point layer, not {fmt}."
        raise InputFormatError(msg)
    counts["rows_read"] = len(gdf) + len(rejected)
    columns = [c for c in gdf.columns if c != gdf.geometry.name]
    cat_col = find_column(columns, CATEGORY_NAMES)
    date_col = find_column(columns, DATE_NAMES)
    id_col = find_column(columns, ID_NAMES)

    out = gpd.GeoDataFrame(
        {
            # a missing incident number stays missing (not the text "None"), so that it is never a duplicate
            "incident_id": gdf[id_col].map(lambda v: None if pd.isna(v) else str(v).strip()).astype(object)
            if id_col
            else pd.Series(None, index=gdf.index, dtype=object),
            "category": gdf[cat_col].astype(str).str.strip()
            if cat_col
            else pd.Series(None, index=gdf.index, dtype=object),
            "date": _parse_dates(gdf[date_col]) if date_col else pd.NaT,
            "record": labels,
        },
        geometry=gdf.geometry.to_numpy(),
        crs="EPSG:4326",
        index=gdf.index,
    )
    more_rejected = []
    if categories:
        if cat_col is None:
            expected = ", ".join(CATEGORY_NAMES[:5])
            msg = f"{p}: a category filter was given but no category column was found (expected one of {expected})."
            raise InputFormatError(msg)
        wanted = {c.strip().lower() for c in categories}
        keep = out["category"].str.lower().isin(wanted)
        counts["rows_filtered_category"] = int((~keep).sum())
        out = out[keep]
    lo, hi = _parse_bound(since, "since"), _parse_bound(until, "until")
    if lo is not None or hi is not None:
        if date_col is None:
            expected = ", ".join(DATE_NAMES[:5])
            msg = f"{p}: a date filter was given but no date column was found (expected one of {expected})."
            raise InputFormatError(msg)
        undated = out["date"].isna()
        for rec in out.loc[undated, "record"]:
            more_rejected.append((p.name, rec, "date missing or unreadable (a date filter is set)", ""))
        day = out["date"].dt.normalize()
        keep = ~undated
        if lo is not None:
            keep &= day >= lo.normalize()
        if hi is not None:
            keep &= day <= hi.normalize()
        counts["rows_filtered_date"] = int((~keep & ~undated).sum())
        out = out[keep]
    if dedupe and id_col is not None:
        known = out["incident_id"].notna() & out["incident_id"].ne("")
        dup = out["incident_id"].where(known).duplicated(keep="first") & known
        for rec, iid in zip(out.loc[dup, "record"], out.loc[dup, "incident_id"], strict=True):
            more_rejected.append(
                (p.name, rec, "another row of an incident already counted (same incident number)", iid)
            )
        counts["duplicate_incident_rows"] = int(dup.sum())
        out = out[~dup]
    if out.empty:
        msg = f"{p}: no incidents left after the filters (categories={categories!r}, since={since!r}, until={until!r})."
        raise InputFormatError(msg)
    rejected = pd.concat([rejected, rejected_frame(more_rejected)], ignore_index=True) if more_rejected else rejected
    meta = {"format": fmt, "id_column": id_col, "category_column": cat_col, "date_column": date_col}
    if date_col is not None and out["date"].notna().any():
        meta["date_min"] = out["date"].min().date().isoformat()
        meta["date_max"] = out["date"].max().date().isoformat()
    counts["incidents"] = len(out)
    return ReadResult(out.reset_index(drop=True), rejected, counts, meta)
