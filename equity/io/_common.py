"""Shared pieces of the readers: format sniffing, CSV tables, vector layers, point tables, rejected rows."""

from __future__ import annotations

import csv
import io
import logging
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd

from equity._errors import CRSError, InputFileError, InputFormatError

log = logging.getLogger(__name__)

REJECTED_COLUMNS = ["source", "record", "reason", "value"]

#: The OSM file formats :func:`sniff_format` tells apart, and pyosmium's name for each.
OSM_FORMATS = {"osm-xml": "osm", "osm-bz2": "osm.bz2", "osm-pbf": "pbf"}


def osm_read_errors() -> tuple[type[BaseException], ...]:
    """What pyosmium raises on a damaged OSM file: parse errors (RuntimeError), bad ids (ValueError) and bad
    coordinates (its InvalidLocationError, not a RuntimeError)."""
    import osmium

    return (RuntimeError, ValueError, osmium.InvalidLocationError)


#: Column names, lower-cased, that hold longitudes and latitudes, in order of preference.
LON_NAMES = ("longitude", "lon", "lng", "long", "x", "@lon", "point_x")
LAT_NAMES = ("latitude", "lat", "y", "@lat", "point_y")


@dataclass
class ReadResult:
    """What a reader returns: the data, the rows it dropped (with reasons), and counts of what it assumed.

    Attributes
    ----------
    data : geopandas.GeoDataFrame
        The rows that were read.
    rejected : pandas.DataFrame
        One row per dropped input record: ``source`` (file name), ``record`` (row number or OSM id),
        ``reason`` and ``value`` (the offending raw value, shortened).
    counts : dict
        Named counts of decisions taken while reading (for the manifest and the report).
    meta : dict
        Facts about the source: its format, the OSM data timestamp where known.
    """

    data: gpd.GeoDataFrame
    rejected: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=REJECTED_COLUMNS))
    counts: dict[str, int] = field(default_factory=dict)
    meta: dict[str, Any] = field(default_factory=dict)


def rejected_frame(rows: list[tuple[str, str, str, str]]) -> pd.DataFrame:
    """Build the rejected-rows table from ``(source, record, reason, value)`` tuples."""
    frame = pd.DataFrame(rows, columns=REJECTED_COLUMNS, dtype=object)
    frame["value"] = frame["value"].map(lambda v: v if len(str(v)) <= 200 else str(v)[:199] + "…")
    return frame


def check_file(path: str | Path) -> Path:
    """Return ``path`` as a Path if it is a readable, non-empty file; else raise :class:`InputFileError`."""
    p = Path(path)
    if not p.exists():
        msg = f"{p}: no such file."
        raise InputFileError(msg)
    if p.is_dir():
        msg = f"{p}: is a folder, expected a file."
        raise InputFileError(msg)
    if p.stat().st_size == 0:
        msg = f"{p}: the file is empty."
        raise InputFileError(msg)
    return p


def sniff_format(path: Path) -> str:
    """Tell the format of a file from its first bytes, falling back on its name.

    Returns one of ``osm-xml``, ``osm-bz2``, ``osm-pbf``, ``overpass-json``, ``geojson``, ``gpkg``, ``csv``,
    ``vector`` (another format for GDAL) or raises :class:`InputFileError` when the file is not one of these.
    """
    with path.open("rb") as fh:
        head = fh.read(4096)
    name = path.name.lower()
    text = head.lstrip(b"\xef\xbb\xbf").lstrip()
    if head.startswith(b"BZh"):
        return "osm-bz2"
    if b"OSMHeader" in head[:32]:
        return "osm-pbf"
    if head.startswith(b"SQLite format 3"):
        return "gpkg"
    if text.startswith(b"<"):
        if b"<osm" in head:
            return "osm-xml"
        if name.endswith((".gml", ".kml")):
            return "vector"
        msg = f"{path}: an XML file that is not OSM XML (no <osm> element near its start)."
        raise InputFileError(msg)
    if text.startswith((b"{", b"[")):
        return _sniff_json(path, head)
    if head.startswith(b"\x1f\x8b"):
        msg = f"{path}: a gzip file; unpack it first (expected OSM XML, .osm.bz2, .osm.pbf, JSON, GeoPackage or CSV)."
        raise InputFileError(msg)
    if name.endswith((".shp", ".fgb", ".gml", ".kml", ".gpx", ".shz", ".zip")) or head.startswith(b"\x00\x00\x27\x0a"):
        return "vector"
    if _looks_like_text(head):
        return "csv"
    msg = (
        f"{path}: unknown format; expected OSM XML (.osm), .osm.bz2, .osm.pbf, Overpass JSON, GeoJSON, "
        "GeoPackage, a CSV with coordinate columns, or another vector format GDAL reads."
    )
    raise InputFileError(msg)


def _sniff_json(path: Path, head: bytes) -> str:
    """Overpass JSON has a top-level "elements" list; GeoJSON a top-level "type". Decide on the top-level keys
    when the file is small enough to parse, else on the first key that appears at the top level.
    """
    import json

    if path.stat().st_size <= 50_000_000:
        try:
            with path.open(encoding="utf-8-sig") as fh:
                data = json.load(fh)
        except (json.JSONDecodeError, UnicodeDecodeError):
            data = None  # a broken file: decide on its first bytes, and let the reader say what is wrong
        if isinstance(data, dict):
            overpass = ("elements" in data or "osm3s" in data) and "features" not in data
            return "overpass-json" if overpass else "geojson"
    features, elements = head.find(b'"features"'), head.find(b'"elements"')
    if elements >= 0 and (features < 0 or elements < features):
        return "overpass-json"
    return "geojson"


def _looks_like_text(head: bytes) -> bool:
    if b"\x00" in head:
        return False
    try:
        head.decode("utf-8")
    except UnicodeDecodeError as err:
        if err.start < len(head) - 4:  # a multi-byte character cut at the end of the sample is fine
            try:
                head.decode("cp1252")
            except UnicodeDecodeError:
                return False
    return True


def read_csv_table(path: Path) -> tuple[pd.DataFrame, dict[str, int]]:
    """Read a delimited text file into a table of strings.

    The encoding is UTF-8 (a byte-order mark is dropped), else Windows-1252; the separator is sniffed among
    comma, semicolon, tab and pipe. Every value is kept as text, so that the caller decides how to parse it.
    """
    counts: dict[str, int] = {}
    raw = path.read_bytes()
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = raw.decode("cp1252", errors="replace")
        counts["csv_read_as_cp1252"] = 1
    sample = text[:65536]
    try:
        sep = csv.Sniffer().sniff(sample.split("\n", 20)[0] if "\n" in sample else sample, ",;\t|").delimiter
    except csv.Error:
        sep = ","
    try:
        table = pd.read_csv(
            io.StringIO(text), sep=sep, dtype=str, keep_default_na=False, na_values=[], skipinitialspace=True
        )
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as err:
        msg = f"{path}: not a readable CSV table ({_first_line(err)})."
        raise InputFormatError(msg) from err
    table.columns = [str(c).strip() for c in table.columns]
    if table.empty:
        msg = f"{path}: the table has a header but no rows."
        raise InputFormatError(msg)
    return table, counts


def _first_line(err: BaseException) -> str:
    return str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__


def find_column(columns: list[str], names: tuple[str, ...] | list[str]) -> str | None:
    """The first column whose lower-cased, stripped name is in ``names`` (in the order of ``names``)."""
    lowered = {c.lower().strip(): c for c in columns}
    for name in names:
        if name in lowered:
            return lowered[name]
    return None


def parse_number(values: pd.Series) -> pd.Series:
    """Parse text to floats, accepting a decimal comma when the value has no dot (``37,77`` is 37.77)."""
    text = values.astype(str).str.strip()
    comma = text.str.contains(",", regex=False) & ~text.str.contains(".", regex=False)
    text = text.where(~comma, text.str.replace(",", ".", regex=False))
    return pd.to_numeric(text, errors="coerce")


def points_from_table(
    table: pd.DataFrame, path: Path, *, lon_col: str | None = None, lat_col: str | None = None
) -> tuple[gpd.GeoDataFrame, pd.DataFrame, dict[str, int]]:
    """Make WGS84 points from the longitude and latitude columns of a table.

    Rows with a missing, non-numeric or out-of-range coordinate are dropped and listed; a file whose
    coordinates look swapped (latitudes beyond +/-90 while longitudes all fit) is an error.
    Row numbers in the rejected list are the file's line numbers (the header is line 1).
    """
    columns = list(table.columns)
    lon_col = lon_col or find_column(columns, LON_NAMES)
    lat_col = lat_col or find_column(columns, LAT_NAMES)
    missing = [what for what, col in (("longitude", lon_col), ("latitude", lat_col)) if col is None]
    if missing:
        msg = (
            f"{path}: no {' and no '.join(missing)} column; expected columns named like "
            f"{'/'.join(LON_NAMES[:4])} and {'/'.join(LAT_NAMES[:3])} (found: {', '.join(columns[:12])})."
        )
        raise InputFormatError(msg)
    for col in (lon_col, lat_col):
        if col not in table.columns:
            msg = f"{path}: no column {col!r} (found: {', '.join(columns[:12])})."
            raise InputFormatError(msg)
    lon = parse_number(table[lon_col])
    lat = parse_number(table[lat_col])
    valid = lon.notna() & lat.notna()
    n_valid = int(valid.sum())
    if n_valid and (lat[valid].abs() > 90).mean() > 0.5 and (lon[valid].abs() <= 90).all():
        msg = (
            f"{path}: the coordinates look swapped: column {lat_col!r} holds values beyond +/-90 "
            f"(such as {float(lat[valid & (lat.abs() > 90)].iloc[0])!r}), which cannot be latitudes; "
            f"expected {lon_col!r} to hold longitudes and {lat_col!r} latitudes."
        )
        raise InputFormatError(msg)
    in_range = valid & lon.between(-180, 180) & lat.between(-90, 90)
    rows = []
    source = path.name
    for idx in np.flatnonzero(~in_range.to_numpy()):
        raw_lon, raw_lat = table[lon_col].iloc[idx], table[lat_col].iloc[idx]
        if not str(raw_lon).strip() or not str(raw_lat).strip():
            reason = "missing coordinate"
        elif pd.isna(lon.iloc[idx]) or pd.isna(lat.iloc[idx]):
            reason = "coordinate is not a number"
        else:
            reason = "coordinate out of range (longitude -180..180, latitude -90..90)"
        rows.append((source, f"line {idx + 2}", reason, f"{lon_col}={raw_lon!s}, {lat_col}={raw_lat!s}"))
    kept = table[in_range.to_numpy()].copy()
    kept["_line"] = np.flatnonzero(in_range.to_numpy()) + 2
    gdf = gpd.GeoDataFrame(kept, geometry=gpd.points_from_xy(lon[in_range], lat[in_range]), crs="EPSG:4326")
    if gdf.empty:
        msg = f"{path}: none of its {len(table)} rows has usable coordinates in {lon_col!r}/{lat_col!r}."
        raise InputFormatError(msg)
    return gdf, rejected_frame(rows), {"rows_without_coordinates": len(rows)}


def read_vector(path: Path, what: str) -> gpd.GeoDataFrame:
    """Read a vector layer (GeoJSON, GeoPackage, Shapefile, ...) with pyogrio; the first layer if several."""
    import pyogrio
    from pyogrio.errors import DataLayerError, DataSourceError

    try:
        layers = pyogrio.list_layers(path)
        layer = None
        if len(layers) > 1:
            layer = layers[0][0]
            log.warning("%s has %d layers; reading the first, %r", path, len(layers), layer)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            # dates stay text: a tag such as survey:date=2023-04-18 is a value to keep, not to reinterpret
            gdf = pyogrio.read_dataframe(path, layer=layer, datetime_as_string=True)
        for w in caught:  # GDAL's remarks (a column of mixed types kept as text, ...): worth a log line only
            log.info("%s: %s", path, w.message)
    except (DataSourceError, DataLayerError, UnicodeDecodeError, RuntimeError, ValueError) as err:
        # GDAL's own failures, and the ones it meets decoding a damaged file's text: all about the file
        msg = f"{path}: cannot read it as a {what} layer ({_first_line(err)})."
        raise InputFileError(msg) from err
    if gdf.empty:
        msg = f"{path}: the {what} layer has no features."
        raise InputFormatError(msg)
    if not isinstance(gdf, gpd.GeoDataFrame) or gdf.geometry.isna().all():
        msg = f"{path}: the {what} layer has no geometry."
        raise InputFormatError(msg)
    if gdf.crs is None:
        msg = f"{path}: the {what} layer has no CRS; save it with one (for example EPSG:4326)."
        raise CRSError(msg)
    return gdf
