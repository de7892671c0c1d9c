"""Crime readers: incident points from a CSV (longitude/latitude columns under their common names) or from a
point layer, with filters by category and date range. Counts per unit that are already columns of the unit
layer are read by :func:`equity.io.units_from_file` and summed by the study.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd

from equity._errors import InputError, InputFormatError
from equity._progress import byte_progress
from equity.io._common import (
    WARNINGS_LOCK,
    CoordinateCheck,
    ReadResult,
    SourceFile,
    coordinate_columns,
    find_column,
    nonfinite_features,
    open_csv,
    parse_coordinates,
    read_vector,
    rejected_frame,
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
    file and dates with different offsets can be read and compared with ``since`` and ``until``. The format of
    the first date is tried on all at once (fast); the dates it does not fit are read one by one.
    """
    text = values.astype(object).where(values.notna(), "").astype(str).str.strip()
    fast = None
    with WARNINGS_LOCK, warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # "could not infer format": the slow path below
        try:
            fast = pd.to_datetime(text, errors="coerce")
        except (ValueError, TypeError):
            fast = None
    if fast is not None and isinstance(fast.dtype, pd.DatetimeTZDtype):
        fast = fast.dt.tz_localize(None)
    if fast is None or not pd.api.types.is_datetime64_dtype(fast.dtype):
        return _in_range(_parse_dates_one_by_one(text))
    fast = _in_range(fast)
    retry = (fast.isna() & text.ne("")).to_numpy()
    if retry.any():
        fast[retry] = _in_range(_parse_dates_one_by_one(text[retry])).to_numpy()
    return fast


def _in_range(dates: pd.Series) -> pd.Series:
    """Dates as ``datetime64[ns]``; those beyond the years it holds (1677-2262: a year 3012 or 1012, mistyped) are
    unreadable (NaT), as pandas cannot compare or store them with the others."""
    if not pd.api.types.is_datetime64_dtype(dates.dtype):
        dates = pd.to_datetime(dates, errors="coerce")  # objects (Timestamps and NaT) or nothing readable
        if not pd.api.types.is_datetime64_dtype(dates.dtype):
            return pd.Series(pd.NaT, index=dates.index, dtype="datetime64[ns]")
    beyond = dates.notna() & ((dates < pd.Timestamp.min) | (dates > pd.Timestamp.max))
    return dates.where(~beyond).astype("datetime64[ns]")


def _parse_dates_one_by_one(values: pd.Series) -> pd.Series:
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


@dataclass
class _Selection:
    """The filters of :func:`equity.io.crime_from_file`, applied chunk by chunk: category, date range, one row per
    incident.

    The rows dropped by the date filter (no readable date) and the repeated rows of an incident are listed in
    ``rejected``; the others are counted.
    """

    source: str
    categories: set[str] | None
    lo: pd.Timestamp | None
    hi: pd.Timestamp | None
    dedupe: bool
    seen: set[str] = field(default_factory=set)
    undated: list[tuple[str, str, str, str]] = field(default_factory=list)
    repeated: list[tuple[str, str, str, str]] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)

    @property
    def rejected(self) -> list[tuple[str, str, str, str]]:
        """The rows without a date (when a date filter is set), then the repeated rows of incidents."""
        return self.undated + self.repeated

    def apply(self, frame: pd.DataFrame, labels: np.ndarray) -> np.ndarray:
        """The mask of the rows of ``frame`` (columns incident_id, category, date) to keep."""
        keep = np.ones(len(frame), dtype=bool)
        if self.categories is not None:
            ok = frame["category"].str.lower().isin(self.categories).to_numpy()
            self._count("rows_filtered_category", int((~ok).sum()))
            keep &= ok
        if self.lo is not None or self.hi is not None:
            undated = frame["date"].isna().to_numpy() & keep
            self.undated += [
                (self.source, label, "date missing or unreadable (a date filter is set)", "")
                for label in labels[undated]
            ]
            day = frame["date"].dt.normalize()
            ok = ~frame["date"].isna().to_numpy()
            if self.lo is not None:
                ok &= (day >= self.lo.normalize()).to_numpy()
            if self.hi is not None:
                ok &= (day <= self.hi.normalize()).to_numpy()
            self._count("rows_filtered_date", int((keep & ~ok & ~undated).sum()))
            keep &= ok
        if self.dedupe and frame["incident_id"].notna().any():
            ids = frame["incident_id"].to_numpy()
            for i in np.flatnonzero(keep):
                iid = ids[i]
                if iid is None or iid == "":
                    continue
                if iid in self.seen:
                    keep[i] = False
                    self.repeated.append(
                        (
                            self.source,
                            labels[i],
                            "another row of an incident already counted (same incident number)",
                            iid,
                        )
                    )
                    self._count("duplicate_incident_rows", 1)
                else:
                    self.seen.add(iid)
        return keep

    def _count(self, key: str, n: int) -> None:
        self.counts[key] = self.counts.get(key, 0) + n


def _columns_of(frame: pd.DataFrame, cols: dict[str, str | None], n: int) -> pd.DataFrame:
    """The incident_id, category and date columns of a chunk of text (or of a layer's attributes)."""
    id_col, cat_col, date_col = cols["id"], cols["category"], cols["date"]
    index = frame.index
    return pd.DataFrame(
        {
            # a missing incident number stays missing (not the text "None"), so that it is never a duplicate
            "incident_id": frame[id_col].map(lambda v: None if pd.isna(v) else str(v).strip()).astype(object)
            if id_col
            else pd.Series(None, index=index, dtype=object),
            "category": frame[cat_col].astype(str).str.strip()
            if cat_col
            else pd.Series(None, index=index, dtype=object),
            "date": _parse_dates(frame[date_col])
            if date_col
            else pd.Series(pd.NaT, index=index, dtype="datetime64[ns]"),
        },
        index=index,
    )


def _find_columns(columns: list[str], p: Path, categories: list[str] | None, dated: bool) -> dict[str, str | None]:
    cols = {
        "category": find_column(columns, CATEGORY_NAMES),
        "date": find_column(columns, DATE_NAMES),
        "id": find_column(columns, ID_NAMES),
    }
    if categories and cols["category"] is None:
        expected = ", ".join(CATEGORY_NAMES[:5])
        msg = f"{p}: a category filter was given but no category column was found (expected one of {expected})."
        raise InputFormatError(msg)
    if dated and cols["date"] is None:
        expected = ", ".join(DATE_NAMES[:5])
        msg = f"{p}: a date filter was given but no date column was found (expected one of {expected})."
        raise InputFormatError(msg)
    return cols


def crime_selection(
    path: Path,
    *,
    categories: list[str] | None = None,
    since: str | date | datetime | None = None,
    until: str | date | datetime | None = None,
    dedupe: bool = True,
) -> _Selection:
    """The filters of :func:`equity.io.crime_from_file` for the file ``path``, which its readers apply to the rows
    as they read them.

    Raises
    ------
    InputError
        When ``since`` or ``until`` is not a date.
    """
    lo, hi = _parse_bound(since, "since"), _parse_bound(until, "until")
    wanted = {c.strip().lower() for c in categories} if categories else None
    return _Selection(path.name, wanted, lo, hi, dedupe)


def crime_from_rows(
    rows: tuple[gpd.GeoDataFrame, pd.DataFrame, dict[str, int], dict[str, str | None]],
    selection: _Selection,
    path: Path,
    fmt: str,
    *,
    categories: list[str] | None = None,
    since: str | date | datetime | None = None,
    until: str | date | datetime | None = None,
) -> ReadResult:
    """The incidents of :func:`equity.io.crime_from_file`, from what a reader of this module returned for the file
    ``path`` of format ``fmt`` (``rows``: the incidents kept, the rows set aside, the counts and the columns used)
    and from the filters it applied (``selection``, made by :func:`crime_selection` from ``categories``,
    ``since`` and ``until``, which the message names when no incident is left).

    Raises
    ------
    InputFormatError
        When no incident is left after the filters.
    """
    out, rejected, counts, cols = rows
    counts.update(selection.counts)
    if selection.categories:
        counts.setdefault("rows_filtered_category", 0)
    if selection.lo is not None or selection.hi is not None:
        counts.setdefault("rows_filtered_date", 0)
    if selection.dedupe and cols["id"] is not None:
        counts.setdefault("duplicate_incident_rows", 0)
    if out.empty:
        msg = (
            f"{path}: no incidents left after the filters "
            f"(categories={categories!r}, since={since!r}, until={until!r})."
        )
        raise InputFormatError(msg)
    more = rejected_frame(selection.rejected)
    rejected = pd.concat([rejected, more], ignore_index=True) if len(more) else rejected
    meta = {"format": fmt, "id_column": cols["id"], "category_column": cols["category"], "date_column": cols["date"]}
    if cols["date"] is not None and out["date"].notna().any():
        meta["date_min"] = out["date"].min().date().isoformat()
        meta["date_max"] = out["date"].max().date().isoformat()
    counts["incidents"] = len(out)
    return ReadResult(out.reset_index(drop=True), rejected, counts, meta)


def crime_rows_from_csv(
    file: SourceFile, selection: _Selection, categories: list[str] | None, chunksize: int
) -> tuple[gpd.GeoDataFrame, pd.DataFrame, dict[str, int], dict[str, str | None]]:
    """The reader of :func:`equity.io.crime_from_file` for a CSV with coordinate columns: its rows read in chunks of
    ``chunksize``, each filtered by ``selection`` before the next is read; the incidents kept, the rows set
    aside, the counts and the columns used."""
    p = file.path
    source = open_csv(p, file.handle)
    lon_col, lat_col = coordinate_columns(source.columns, p)
    cols = _find_columns(source.columns, p, categories, selection.lo is not None or selection.hi is not None)
    usecols = [c for c in (lon_col, lat_col, cols["id"], cols["category"], cols["date"]) if c is not None]
    check = CoordinateCheck()
    kept: list[pd.DataFrame] = []
    bad_rows: list[tuple[str, str, str, str]] = []
    bar = byte_progress(p.stat().st_size, desc=f"reading {p.name}")
    try:
        for chunk in source.chunks(usecols=usecols, chunksize=chunksize):
            lon, lat, in_range, rows = parse_coordinates(chunk, lon_col, lat_col, p.name)
            check.add(lon, lat, in_range)
            bad_rows += rows
            good = chunk[in_range]
            frame = _columns_of(good, cols, len(good))
            lines = good.index.to_numpy() + 2
            keep = selection.apply(frame, np.array([f"line {n}" for n in lines], dtype=object))
            frame = frame[keep]
            frame["line"] = lines[keep]
            frame["lon"] = lon.to_numpy()[in_range][keep]
            frame["lat"] = lat.to_numpy()[in_range][keep]
            kept.append(frame)
            bar.update_to(source.bytes_read)
    finally:
        bar.close()
    if check.rows == 0:
        msg = f"{p}: the table has a header but no rows."
        raise InputFormatError(msg)
    check.check(p, lon_col, lat_col)
    table = pd.concat(kept, ignore_index=True)
    out = gpd.GeoDataFrame(
        {
            "incident_id": table["incident_id"].astype(object),
            "category": table["category"].astype(object),
            "date": table["date"].astype("datetime64[ns]"),
            "record": [f"line {n}" for n in table["line"]],
        },
        geometry=gpd.points_from_xy(table["lon"], table["lat"]),
        crs="EPSG:4326",
    )
    counts = {"rows_read": check.rows, "rows_without_coordinates": len(bad_rows)}
    if source.cp1252_lines:
        counts["csv_read_as_cp1252"] = source.cp1252_lines
    return out, rejected_frame(bad_rows), counts, cols


def crime_rows_from_layer(
    file: SourceFile, selection: _Selection, categories: list[str] | None, chunksize: int
) -> tuple[gpd.GeoDataFrame, pd.DataFrame, dict[str, int], dict[str, str | None]]:
    """The reader of :func:`equity.io.crime_from_file` for a point layer (read whole: ``chunksize`` is not used), as
    :func:`crime_rows_from_csv`."""
    p = file.path
    gdf = read_vector(file, "crime", points=True).to_crs("EPSG:4326")
    labels = np.array([f"feature {i + 1}" for i in range(len(gdf))], dtype=object)
    missing = (gdf.geometry.isna() | gdf.geometry.is_empty).to_numpy()
    not_point = (gdf.geom_type != "Point").to_numpy()
    bad = missing | not_point | nonfinite_features(gdf.geometry.to_numpy())
    rejected = rejected_frame(
        [
            (
                p.name,
                labels[i],
                "no geometry"
                if missing[i]
                else ("not a point geometry" if not_point[i] else "coordinate is not a number"),
                "" if missing[i] else str(gdf.geom_type.iloc[i]) if not_point[i] else str(gdf.geometry.iloc[i]),
            )
            for i in np.flatnonzero(bad)
        ]
    )
    gdf, labels = gdf[~bad], labels[~bad]
    if gdf.empty:
        msg = f"{p}: the crime layer has no point features."
        raise InputFormatError(msg)
    columns = [c for c in gdf.columns if c != gdf.geometry.name]
    cols = _find_columns(columns, p, categories, selection.lo is not None or selection.hi is not None)
    frame = _columns_of(gdf, cols, len(gdf))
    keep = selection.apply(frame, labels)
    out = gpd.GeoDataFrame(
        {
            "incident_id": frame["incident_id"][keep].to_numpy(),
            "category": frame["category"][keep].to_numpy(),
            "date": frame["date"][keep].to_numpy(),
            "record": labels[keep],
        },
        geometry=gdf.geometry[keep].to_numpy(),
        crs="EPSG:4326",
    )
    return out, rejected, {"rows_read": len(bad)}, cols
