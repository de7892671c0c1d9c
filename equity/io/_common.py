"""Shared pieces of the readers: format sniffing, CSV tables, vector layers, point tables, rejected rows."""

from __future__ import annotations

import csv
import functools
import io
import json
import logging
import os
import re
import sys
import tempfile
import threading
import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO, Concatenate, ParamSpec, TypeVar

import geopandas as gpd
import numpy as np
import pandas as pd

from equity._errors import CRSError, InputFileError, InputFormatError

log = logging.getLogger(__name__)

P = ParamSpec("P")
R = TypeVar("R")

REJECTED_COLUMNS = ["source", "record", "reason", "value"]

#: The OSM file formats :func:`sniff_format` tells apart, and pyosmium's name for each.
OSM_FORMATS = {"osm-xml": "osm", "osm-bz2": "osm.bz2", "osm-pbf": "pbf"}


def osm_error(path: Path, err: BaseException) -> str:
    """The sentence for pyosmium's error on a damaged or unusual OSM file."""
    text = _first_line(err)
    if "too long" in text:  # pyosmium refuses what OSM's own API refuses
        text += "; OSM allows at most 255 characters in a key or value"
    return f"{path}: not a readable OSM file ({text})."


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
    with path.open("rb") as handle:
        return SourceFile(path, handle).format


#: A bzip2 OSM file may unpack to this many times its size (OSM XML: 10 to 20 times); beyond it, it is refused.
BZ2_MOST_RATIO = 100

#: ... and to this many bytes whatever its size (a small file of real OSM data may pack better than most).
BZ2_FREE_BYTES = 16 * 2**20

#: Files of a text format read whole anyway (GeoJSON, Overpass JSON, OSM XML) are held in memory up to this size,
#: so that the reader parses the bytes the format was told from; JSON is parsed up to this size to tell Overpass
#: JSON from GeoJSON. Larger files are read by GDAL or pyosmium from their path, in bounded memory.
IN_MEMORY_BYTES = 50_000_000


class SourceFile:
    """An input file opened once: its format, told from its first bytes, and the handle its reader reads.

    A CSV is read in chunks from the handle; a GeoJSON or OSM XML file up to :data:`IN_MEMORY_BYTES` is read whole
    once and handed to GDAL or pyosmium as bytes; an Overpass JSON file is parsed from the handle (once, while its
    format is told, when it is small enough); a .osm.bz2 file is unpacked from the handle into a temporary file.
    Other formats (GeoPackage, Shapefile, .osm.pbf, larger files) are opened again by GDAL or pyosmium from
    :attr:`path`.

    Parameters
    ----------
    path : Path
        The file.
    handle : binary file
        The file opened for reading; it stays the caller's to close.

    Attributes
    ----------
    path : Path
        The file.
    handle : binary file
        The open file (read by a CSV reader, which rewinds it).
    format : str
        Its format, one of those of :func:`sniff_format`.
    size : int
        Its size in bytes.
    parsed : object
        The JSON of an Overpass JSON file parsed while its format was told (None otherwise).
    """

    #: Whether the source is a frame in memory (:class:`equity.io.frames.FrameSource`), read by its ``layer()``.
    in_memory = False

    def __init__(self, path: Path, handle: BinaryIO) -> None:
        self.path = path
        self.handle = handle
        self.size = os.fstat(handle.fileno()).st_size
        self._head = handle.read(4096)
        self._content: bytes | None = self._head if len(self._head) >= self.size else None
        self.parsed: Any = None
        self._unpacked: Path | None = None
        self._tmpdir: Any = None
        self.format = self._sniff()

    def _rewound(self) -> BinaryIO:
        self.handle.seek(0)
        return self.handle

    def content(self) -> bytes:
        """The whole file, read once and then held."""
        if self._content is None:
            self._content = self._rewound().read()
        return self._content

    def text(self) -> str:
        """The whole file as text, as ``open(path, encoding="utf-8-sig").read()`` gives it."""
        raw = io.BytesIO(self.content()) if self.size <= IN_MEMORY_BYTES else self._rewound()
        wrapper = io.TextIOWrapper(raw, encoding="utf-8-sig")
        try:
            return wrapper.read()
        finally:
            wrapper.detach()  # the handle stays open

    def geojson_bytes(self) -> bytes | None:
        """The bytes of a GeoJSON file to be read from memory (up to :data:`IN_MEMORY_BYTES`); None otherwise."""
        return self.content() if self.format == "geojson" and self.size <= IN_MEMORY_BYTES else None

    def osmium_file(self) -> Any:
        """What pyosmium is to read: the bytes of an OSM XML file up to :data:`IN_MEMORY_BYTES`, else the file by
        its path (pyosmium opens it: a PBF file is never read whole into memory); a bzip2 file unpacked into a
        temporary file first (:meth:`_unpacked_bz2`)."""
        import osmium

        if self.format == "osm-xml" and self.size <= IN_MEMORY_BYTES:
            return osmium.io.FileBuffer(self.content(), OSM_FORMATS[self.format])
        if self.format == "osm-bz2":
            return osmium.io.File(str(self._unpacked_bz2()), "osm")
        return osmium.io.File(str(self.path), OSM_FORMATS[self.format])

    def _unpacked_bz2(self) -> Path:
        """The bzip2 file unpacked from the open handle into a temporary file that lives as long as this source;
        once per source, however many times its reader asks.

        Unpacked here rather than by pyosmium for two reasons: a file of several streams (as pbzip2 and lbzip2
        write them, one per block) is read whole (pyosmium reads only the first stream), and a file that unpacks
        to more than :data:`BZ2_MOST_RATIO` times its size (and more than :data:`BZ2_FREE_BYTES`) is refused as
        soon as it does, in one sentence: OSM XML unpacks to 10 to 20 times its size, while a few kilobytes of
        bzip2 can hold hundreds of megabytes of repeated elements, which would keep the readers busy for minutes.
        """
        import bz2

        if self._unpacked is None:
            most = max(BZ2_FREE_BYTES, BZ2_MOST_RATIO * self.size)
            tmpdir = tempfile.TemporaryDirectory(prefix="equity-bz2-")
            target = Path(tmpdir.name) / (self.path.name.removesuffix(".bz2") or "unpacked.osm")
            written = 0
            try:
                with bz2.BZ2File(self._rewound()) as packed, target.open("wb") as out:
                    while block := packed.read(1 << 20):
                        written += len(block)
                        if written > most:
                            msg = (
                                f"{self.path}: it unpacks to more than {most:,} bytes, over {BZ2_MOST_RATIO} times "
                                "its size; OSM XML unpacks to 10 to 20 times its size, so this is repeated content, "
                                "not OSM data (give the OSM file unpacked if it is real)."
                            )
                            raise InputFormatError(msg)
                        out.write(block)
            except (OSError, EOFError) as err:  # damaged or cut short
                tmpdir.cleanup()
                msg = f"{self.path}: not a readable OSM file (bzip2 error: {_first_line(err)})."
                raise InputFormatError(msg) from err
            except InputFormatError:
                tmpdir.cleanup()
                raise
            self._tmpdir, self._unpacked = tmpdir, target
        return self._unpacked

    def _sniff(self) -> str:
        path, head = self.path, self._head
        name = path.name.lower()
        text = head.lstrip(b"\xef\xbb\xbf").lstrip()
        if not text and self.size <= len(head):
            msg = f"{path}: the file holds only blank space (spaces, tabs or empty lines), no data."
            raise InputFileError(msg)
        if head.startswith(b"BZh"):
            return "osm-bz2"
        if b"OSMHeader" in head[:32]:
            return "osm-pbf"
        if head.startswith(b"SQLite format 3"):
            return "gpkg"
        if text.startswith(b"<"):
            if b"<OGRVRTDataSource" in head or b"<VRTDataset" in head:
                msg = (
                    f"{path}: a GDAL virtual dataset (VRT), which reads its features or cells from other files or "
                    "from the network; equity does not read it: give the layer itself (GeoJSON, GeoPackage, ...)."
                )
                raise InputFileError(msg)
            if b"<osm" in head:
                return "osm-xml"
            if name.endswith((".gml", ".kml")):
                return "vector"
            msg = f"{path}: an XML file that is not OSM XML (no <osm> element near its start)."
            raise InputFileError(msg)
        if text.startswith((b"{", b"[")):
            return self._sniff_json()
        if head.startswith(b"\x1f\x8b"):
            msg = (
                f"{path}: a gzip file; unpack it first (expected OSM XML, .osm.bz2, .osm.pbf, JSON, GeoPackage or CSV)."
            )
            raise InputFileError(msg)
        if name.endswith((".shp", ".fgb", ".gml", ".kml", ".gpx", ".shz", ".zip")) or head.startswith(
            b"\x00\x00\x27\x0a"
        ):
            return "vector"
        if _looks_like_text(head):
            return "csv"
        msg = (
            f"{path}: unknown format; expected OSM XML (.osm), .osm.bz2, .osm.pbf, Overpass JSON, GeoJSON, "
            "GeoPackage, a CSV with coordinate columns, or another vector format GDAL reads."
        )
        raise InputFileError(msg)

    def _sniff_json(self) -> str:
        """Overpass JSON has a top-level "elements" list; GeoJSON a top-level "type". Decide on the top-level keys
        when the file is small enough to parse, else on the first key that appears at the top level.
        """
        if self.size <= IN_MEMORY_BYTES:
            try:
                data = json.loads(self.text())
            except (json.JSONDecodeError, UnicodeDecodeError):
                data = None  # a broken file: decide on its first bytes, and let the reader say what is wrong
            except RecursionError as err:
                raise InputFormatError(_too_deep(self.path)) from err
            if isinstance(data, dict):
                overpass = ("elements" in data or "osm3s" in data) and "features" not in data
                self.parsed = data if overpass else None  # GDAL parses GeoJSON itself
                return "overpass-json" if overpass else "geojson"
        head = self._head
        features, elements = head.find(b'"features"'), head.find(b'"elements"')
        if elements >= 0 and (features < 0 or elements < features):
            return "overpass-json"
        return "geojson"


@contextmanager
def open_source(source: str | Path | SourceFile) -> Iterator[SourceFile]:
    """Check a file (see :func:`check_file`), open it and tell its format: the :class:`SourceFile` its reader
    reads, closed at the end of the block. A :class:`SourceFile` already open is handed on as it is."""
    if isinstance(source, SourceFile):
        yield source
        return
    path = check_file(source)
    with path.open("rb") as handle:
        opened = SourceFile(path, handle)
        try:
            yield opened
        finally:
            if opened._tmpdir is not None:
                opened._tmpdir.cleanup()


def reads_source(read: Callable[Concatenate[SourceFile, P], R]) -> Callable[Concatenate[str | Path | SourceFile, P], R]:
    """Let a reader of a :class:`SourceFile` be called with a path as well (the file is then opened for the call)."""

    @functools.wraps(read)
    def reader(source: str | Path | SourceFile, /, *args: P.args, **kwargs: P.kwargs) -> R:
        with open_source(source) as opened:
            return read(opened, *args, **kwargs)

    return reader


def overpass_json(source: SourceFile) -> dict[str, Any]:
    """The parsed object of an Overpass JSON file; an :class:`InputFormatError` when it is not JSON, or not an
    object with an ``elements`` list."""
    data = source.parsed
    if data is None:
        try:
            data = json.loads(source.text())
        except (json.JSONDecodeError, UnicodeDecodeError) as err:
            msg = f"{source.path}: not valid JSON ({_first_line(err)})."
            raise InputFormatError(msg) from err
        except RecursionError as err:
            raise InputFormatError(_too_deep(source.path)) from err
    if not isinstance(data, dict) or not isinstance(data.get("elements"), list):
        msg = f"{source.path}: expected an Overpass JSON object with an 'elements' list."
        raise InputFormatError(msg)
    return data


def _too_deep(path: Path) -> str:
    return (
        f"{path}: JSON nested too deep to read (arrays or objects inside each other beyond Python's limit of about "
        f"{sys.getrecursionlimit()} levels); expected Overpass JSON or GeoJSON, which nest a few levels."
    )


def overpass_timestamp(data: dict[str, Any], path: Path) -> str | None:
    """The date of the OSM data of an Overpass JSON object (``osm3s.timestamp_osm_base``), None when it has none;
    an :class:`InputFormatError` when ``osm3s`` is not an object or the timestamp is not text."""
    osm3s = data.get("osm3s")
    if osm3s is None:
        return None
    if not isinstance(osm3s, dict):
        msg = f"{path}: 'osm3s' holds {_json_shown(osm3s)}; expected an object such as {{\"timestamp_osm_base\": ...}}."
        raise InputFormatError(msg)
    stamp = osm3s.get("timestamp_osm_base")
    if stamp is None or isinstance(stamp, str):
        return stamp
    msg = (
        f"{path}: 'osm3s.timestamp_osm_base' holds {_json_shown(stamp)}; expected text such as "
        '"2024-01-01T00:00:00Z".'
    )
    raise InputFormatError(msg)


def _json_shown(value: Any) -> str:
    """A JSON value in a message: its text, cut to 40 characters."""
    text = json.dumps(value, ensure_ascii=False)
    return text if len(text) <= 40 else text[:37] + "..."


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


#: Characters that are never part of a value: C0 and C1 controls (tab and line breaks included) and DEL.
#: Held around every ``warnings.catch_warnings`` block of the readers: the warnings filters are global to the
#: process, and a study reads its incidents in a thread beside the other files (two blocks that overlap
#: would leave the filters of one of them in place).
WARNINGS_LOCK = threading.RLock()

_CONTROL_RE = re.compile(r"[\x00-\x1f\x7f-\x9f]")


def clean_text(value: str) -> str:
    r"""``value`` with every control character (terminal escapes, bells, tabs, line breaks) replaced by a space,
    runs of spaces this leaves collapsed, and the ends stripped.

    Examples
    --------
    >>> clean_text("Cam\x1b[31mera\tone\nline")
    'Cam [31mera one line'
    """
    if not _CONTROL_RE.search(value):
        return value
    return re.sub(r" {2,}", " ", _CONTROL_RE.sub(" ", value)).strip()


class DecodedText(io.TextIOBase):
    """A binary file read as text, block by block: UTF-8 (a leading byte-order mark dropped), and any line that
    is not UTF-8 decoded as Windows-1252 (a superset of latin-1), so that one latin-1 line inside a UTF-8 file
    (two exports pasted together) costs neither the whole file's UTF-8 nor the file.

    Attributes
    ----------
    cp1252_lines : int
        How many lines were decoded as Windows-1252.
    bytes_read : int
        How far into the file the reader is (for a progress bar).
    """

    def __init__(self, fh: io.BufferedIOBase, block_size: int = 1 << 20) -> None:
        self._fh = fh
        self._block_size = block_size
        self._pending: list[bytes] = []  # the bytes after the last line end read, in the blocks they came in
        self._buf = ""
        self._pos = 0  # what of the buffer was handed out already: kept, not cut off, so a read costs its size
        self._first = True
        self.cp1252_lines = 0
        self.bytes_read = 0

    def readable(self) -> bool:
        """It is."""
        return True

    def _decode_block(self) -> bool:
        """Decode the next whole lines into the buffer. A line longer than a block (a field of 160 MB) is gathered
        block by block, each block searched once for a line end, and joined once: the cost stays linear."""
        while True:
            raw = self._fh.read(self._block_size)
            self.bytes_read += len(raw)
            if not raw:
                data, self._pending = b"".join(self._pending), []
                break
            cut = raw.rfind(b"\n") + 1
            if cut:
                data = b"".join([*self._pending, raw[:cut]])
                self._pending = [raw[cut:]]
                break
            self._pending.append(raw)  # no line end in the block: keep reading
        if not data:
            return False
        if self._first:
            data = data.removeprefix(b"\xef\xbb\xbf")
            self._first = False
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError:
            parts = []
            for line in data.splitlines(keepends=True):
                try:
                    parts.append(line.decode("utf-8"))
                except UnicodeDecodeError:
                    parts.append(line.decode("cp1252", errors="replace"))
                    self.cp1252_lines += 1
            text = "".join(parts)
        self._buf = self._buf[self._pos :] + text
        self._pos = 0
        return True

    def read(self, size: int | None = -1) -> str:
        """Up to ``size`` characters (all that is left when ``size`` is negative or None)."""
        want = -1 if size is None else size
        while (want < 0 or len(self._buf) - self._pos < want) and self._decode_block():
            pass
        if want < 0:
            out, self._buf, self._pos = self._buf[self._pos :], "", 0
        else:
            out = self._buf[self._pos : self._pos + want]
            self._pos += len(out)
        return out

    def readline(self, size: int | None = -1) -> str:
        """One line, with its line end."""
        while self._buf.find("\n", self._pos) < 0 and self._decode_block():
            pass
        end = self._buf.find("\n", self._pos) + 1 or len(self._buf)
        out = self._buf[self._pos : end]
        self._pos = end
        return out


@dataclass
class CsvSource:
    """A delimited text file whose header has been read, to be read in chunks of rows (see :func:`open_csv`).

    Attributes
    ----------
    path : Path
        The file.
    columns : list of str
        Its header, each name stripped (repeated names numbered by pandas: ``a``, ``a.1``).
    sep : str
        The separator found in the header line.
    cp1252_lines : int
        How many lines were not UTF-8 and were read as Windows-1252 (known once the rows are read).
    bytes_read : int
        How far into the file the rows have been read (for a progress bar).
    handle : binary file or None
        The file already open, to read the rows from (rewound); None to open :attr:`path` for them.
    """

    path: Path
    columns: list[str]
    sep: str
    cp1252_lines: int = 0
    bytes_read: int = 0
    handle: BinaryIO | None = None

    def chunks(self, *, usecols: list[str] | None = None, chunksize: int = 100_000) -> Iterator[pd.DataFrame]:
        """The rows as tables of text, ``chunksize`` rows at a time; the index counts rows from 0 over the file.

        Raises :class:`InputFormatError` naming the line when a row cannot be parsed (more fields than the
        header, an unclosed quote).
        """
        wanted = None if usecols is None else set(usecols)
        with _from_start(self.path, self.handle) as handle:
            text = DecodedText(handle)
            try:
                reader = pd.read_csv(
                    text,
                    sep=self.sep,
                    header=0,
                    usecols=None if wanted is None else (lambda c: str(c).strip() in wanted),
                    dtype=str,
                    keep_default_na=False,
                    na_values=[],
                    skipinitialspace=True,
                    chunksize=chunksize,
                    engine="c",
                )
                for chunk in reader:
                    if not isinstance(chunk.index, pd.RangeIndex):  # pandas took the extra fields as an index
                        msg = (
                            f"{self.path}: not a readable CSV table (its first row has more fields than the "
                            f"{len(self.columns)} of the header)."
                        )
                        raise InputFormatError(msg)
                    chunk.columns = [str(c).strip() for c in chunk.columns]
                    self.cp1252_lines, self.bytes_read = text.cp1252_lines, text.bytes_read
                    yield chunk
            except (pd.errors.ParserError, UnicodeDecodeError) as err:
                msg = f"{self.path}: not a readable CSV table ({_first_line(err)})."
                raise InputFormatError(msg) from err


@contextmanager
def _from_start(path: Path, handle: BinaryIO | None) -> Iterator[BinaryIO]:
    """``handle`` rewound to the start of the file; without one, ``path`` opened for the block."""
    if handle is None:
        with path.open("rb") as opened:
            yield opened
    else:
        handle.seek(0)
        yield handle


def open_csv(path: Path, handle: BinaryIO | None = None) -> CsvSource:
    """Read the header of a delimited text file (from ``handle`` when the file is open already).

    The encoding is UTF-8 (a byte-order mark is dropped), and any line that is not UTF-8 is read as
    Windows-1252; the separator is sniffed among comma, semicolon, tab and pipe in the header line. Values
    stay text, so that the caller decides how to parse them.
    """
    with _from_start(path, handle) as opened:
        text = DecodedText(opened, block_size=65536)
        header = text.readline()
        try:
            sep = csv.Sniffer().sniff(header, ",;\t|").delimiter
        except csv.Error:
            sep = ","
    with _from_start(path, handle) as opened:
        try:
            columns = pd.read_csv(DecodedText(opened, block_size=65536), sep=sep, nrows=0, skipinitialspace=True)
        except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as err:
            msg = f"{path}: not a readable CSV table ({_first_line(err)})."
            raise InputFormatError(msg) from err
    return CsvSource(path, [str(c).strip() for c in columns.columns], sep, handle=handle)


def read_csv_table(path: Path, handle: BinaryIO | None = None) -> tuple[pd.DataFrame, dict[str, int]]:
    """Read a whole delimited text file into a table of strings (see :func:`open_csv`); for small tables."""
    source = open_csv(path, handle)
    chunks = list(source.chunks())
    table = pd.concat(chunks) if chunks else pd.DataFrame(columns=source.columns)
    counts = {"csv_read_as_cp1252": source.cp1252_lines} if source.cp1252_lines else {}
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


def coordinate_columns(
    columns: list[str], path: Path, *, lon_col: str | None = None, lat_col: str | None = None
) -> tuple[str, str]:
    """The longitude and latitude columns of a table (given, or found by :data:`LON_NAMES`/:data:`LAT_NAMES`);
    an :class:`InputFormatError` that lists the columns when either is missing."""
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
        if col not in columns:
            msg = f"{path}: no column {col!r} (found: {', '.join(columns[:12])})."
            raise InputFormatError(msg)
    return str(lon_col), str(lat_col)


@dataclass
class CoordinateCheck:
    """Checks on the coordinates of a whole file, gathered chunk by chunk (see :func:`parse_coordinates`): that
    they are not swapped, and that some are usable.
    """

    rows: int = 0
    numeric: int = 0
    lat_beyond_90: int = 0
    lon_beyond_90: int = 0
    beyond_180: int = 0
    usable: int = 0
    lat_example: float | None = None
    example: tuple[float, float] | None = None

    def add(self, lon: pd.Series, lat: pd.Series, in_range: np.ndarray) -> None:
        """Count one chunk's parsed coordinates."""
        valid = (lon.notna() & lat.notna()).to_numpy()
        vlon, vlat = lon.to_numpy()[valid], lat.to_numpy()[valid]
        self.rows += len(lon)
        self.numeric += int(valid.sum())
        beyond = np.abs(vlat) > 90
        self.lat_beyond_90 += int(beyond.sum())
        self.lon_beyond_90 += int((np.abs(vlon) > 90).sum())
        self.beyond_180 += int(((np.abs(vlon) > 180) | (np.abs(vlat) > 180)).sum())
        self.usable += int(in_range.sum())
        if self.lat_example is None and beyond.any():
            self.lat_example = float(vlat[beyond][0])
        if self.example is None and len(vlon):
            self.example = (float(vlon[0]), float(vlat[0]))

    def check(self, path: Path, lon_col: str, lat_col: str) -> None:
        """Raise :class:`InputFormatError` when the coordinates look swapped, or when no row has usable ones."""
        if self.numeric and self.lat_beyond_90 > self.numeric / 2 and self.lon_beyond_90 == 0:
            msg = (
                f"{path}: the coordinates look swapped: column {lat_col!r} holds values beyond +/-90 "
                f"(such as {self.lat_example!r}), which cannot be latitudes; "
                f"expected {lon_col!r} to hold longitudes and {lat_col!r} latitudes."
            )
            raise InputFormatError(msg)
        if self.usable == 0:
            msg = f"{path}: none of its {self.rows} rows has usable coordinates in {lon_col!r}/{lat_col!r}"
            if self.numeric and self.beyond_180 == self.numeric and self.example is not None:
                x, y = self.example
                msg += (
                    f"; values such as {x:g}, {y:g} look like projected coordinates (metres), not degrees: "
                    "expected longitudes and latitudes in WGS84 (EPSG:4326)"
                )
            raise InputFormatError(msg + ".")


def parse_coordinates(
    table: pd.DataFrame, lon_col: str, lat_col: str, source: str
) -> tuple[pd.Series, pd.Series, np.ndarray, list[tuple[str, str, str, str]]]:
    """Longitudes and latitudes of a table of text, a mask of the rows whose coordinates are usable, and one
    rejected row ``(source, "line N", reason, value)`` for every other row.

    Line numbers are the table's index + 2 (the index counts rows from 0; the header is line 1).
    """
    lon = parse_number(table[lon_col])
    lat = parse_number(table[lat_col])
    valid = lon.notna() & lat.notna()
    in_range = (valid & lon.between(-180, 180) & lat.between(-90, 90)).to_numpy()
    rows = []
    lines = table.index.to_numpy() + 2
    for idx in np.flatnonzero(~in_range):
        raw_lon, raw_lat = table[lon_col].iloc[idx], table[lat_col].iloc[idx]
        if not _filled(raw_lon) or not _filled(raw_lat):
            reason = "missing coordinate"
        elif pd.isna(lon.iloc[idx]) or pd.isna(lat.iloc[idx]):
            reason = "coordinate is not a number"
        else:
            reason = "coordinate out of range (longitude -180..180, latitude -90..90)"
        rows.append((source, f"line {lines[idx]}", reason, f"{lon_col}={raw_lon!s}, {lat_col}={raw_lat!s}"))
    return lon, lat, in_range, rows


def _filled(value: object) -> bool:
    return not (value is None or (isinstance(value, float) and np.isnan(value)) or not str(value).strip())


def points_from_table(
    table: pd.DataFrame, path: Path, *, lon_col: str | None = None, lat_col: str | None = None
) -> tuple[gpd.GeoDataFrame, pd.DataFrame, dict[str, int]]:
    """Make WGS84 points from the longitude and latitude columns of a table.

    Rows with a missing, non-numeric or out-of-range coordinate are dropped and listed; a file whose
    coordinates look swapped (latitudes beyond +/-90 while longitudes all fit) is an error, and so is one
    without any usable row (with a hint when its values look like projected metres).
    Row numbers in the rejected list are the file's line numbers (the header is line 1).
    """
    lon_col, lat_col = coordinate_columns(list(table.columns), path, lon_col=lon_col, lat_col=lat_col)
    table = table.reset_index(drop=True)
    lon, lat, in_range, rows = parse_coordinates(table, lon_col, lat_col, path.name)
    check = CoordinateCheck()
    check.add(lon, lat, in_range)
    check.check(path, lon_col, lat_col)
    kept = table[in_range].copy()
    kept["_line"] = np.flatnonzero(in_range) + 2
    gdf = gpd.GeoDataFrame(kept, geometry=gpd.points_from_xy(lon[in_range], lat[in_range]), crs="EPSG:4326")
    return gdf, rejected_frame(rows), {"rows_without_coordinates": len(rows)}


#: GDAL's settings for every file equity has it open (the vector layers through pyogrio, the DEM through rasterio,
#: each with its own copy of GDAL): GDAL reaches no network and no other file on a file's say. Its curl-based
#: virtual file systems (/vsicurl/ and those built on it) take only files of the extensions listed, and this lists
#: none; its other HTTP requests (a GeoJSON 'crs' member that links to a URL is fetched) go to a proxy on a port
#: of this machine that nothing serves, and are not retried; SQL of a GeoPackage may not open other datasets
#: (``gdal_get_pixel_value``, virtual tables); GML's links to other documents are not followed.
GDAL_POLICY = {
    "CPL_VSIL_CURL_ALLOWED_EXTENSIONS": ".equity-reads-no-network-files",
    "GDAL_HTTP_PROXY": "127.0.0.1:9",
    "GDAL_HTTP_MAX_RETRY": "0",
    "GDAL_HTTP_TIMEOUT": "2",
    "GDAL_HTTP_CONNECTTIMEOUT": "2",
    "OGR_SQLITE_ALLOW_EXTERNAL_ACCESS": "NO",
    "GML_SKIP_RESOLVE_ELEMS": "ALL",
}


@functools.cache
def gdal_policy() -> None:
    """Put :data:`GDAL_POLICY` in force in pyogrio's GDAL, once per process, before it opens any file: every
    vector read of equity goes through :func:`read_vector`, which calls this first (the DEM opens its raster
    under the same settings, :class:`equity.io.dem.DemSource`)."""
    import pyogrio

    pyogrio.set_gdal_config_options(GDAL_POLICY)


#: A GeoJSON 'crs' member whose value links to a document (a URL, a file), which GDAL fetches.
_CRS_LINK = re.compile(rb'"crs"\s*:\s*\{[^{}]*"link"')


def check_geojson_crs(source: SourceFile) -> None:
    """Refuse a GeoJSON file whose ``crs`` member is a link (``{"type": "link", "properties": {"href": ...}}``,
    of the 2008 GeoJSON specification): GDAL fetches the linked document, over the network or from another file,
    and equity reads nothing from elsewhere on a file's say. The whole file is searched (in blocks when it is not
    held in memory), as the member may stand anywhere at the top level."""
    found = None
    if source.size <= IN_MEMORY_BYTES:
        found = _CRS_LINK.search(source.content())
    else:
        handle, tail = source._rewound(), b""
        while found is None and (block := handle.read(1 << 24)):
            found = _CRS_LINK.search(tail + block)
            tail = block[-4096:]
    if found is not None:
        msg = (
            f"{source.path}: its 'crs' member links to another document, which GDAL would fetch from the network or "
            "another file; equity reads nothing from elsewhere: save the layer in WGS84 (EPSG:4326) without a 'crs' "
            'member, or name its CRS ("urn:ogc:def:crs:EPSG::32610").'
        )
        raise InputFormatError(msg)


#: The time the views of a GeoPackage may take, all together, to be counted before GDAL reads the file (see
#: :func:`check_geopackage_views`); a view of a real layer is counted in a fraction of it.
VIEW_SECONDS = 5.0

#: How many functions SQLite does not know (GDAL's ST_MinX, ...) a view may call before the check gives up.
_MAX_STUBS = 32


def check_geopackage_views(path: Path, seconds: float = VIEW_SECONDS) -> None:
    """Refuse a GeoPackage one of whose views would keep GDAL reading forever, before GDAL opens the file.

    A GeoPackage is an SQLite database, and a layer of it may be a view: a query that SQLite runs whenever the
    layer is read. A view defined on itself, or two views on each other, are circular (SQLite says so when the
    query is prepared); a view over a recursive query without an end, or over joins whose rows multiply,
    never ends or ends in hours. Each view of the file is counted here (``SELECT count(*)``), read-only, with
    SQLite's progress handler stopping the count when ``seconds`` have passed for all the views together.
    Functions SQLite does not know (those GDAL adds, such as ``ST_MinX``) stand as functions that return NULL
    for the count; a view that needs them and holds a recursive query is refused, since what it would do under
    GDAL cannot be told from the count.

    Raises
    ------
    InputFormatError
        Naming the view and why it is refused.
    """
    import sqlite3
    import time
    from urllib.parse import quote

    try:
        conn = sqlite3.connect(f"file:{quote(str(path.resolve()))}?mode=ro", uri=True, check_same_thread=False)
    except sqlite3.Error:
        return  # not a database SQLite opens: GDAL says what is wrong with the file
    deadline = time.monotonic() + seconds
    conn.set_progress_handler(lambda: time.monotonic() > deadline, 10_000)
    try:
        try:
            views = [row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type = 'view'")]
        except sqlite3.Error:
            return  # a damaged database: GDAL says what is wrong with it
        for view in views:
            problem = _view_problem(conn, view, seconds)
            if problem is not None:
                shown = view if len(view) <= 60 else view[:57] + "..."
                msg = f"{path}: the GeoPackage's view {shown!r} {problem}; equity reads views that end (plain queries)."
                raise InputFormatError(msg)
    finally:
        conn.close()


def _view_problem(conn: Any, view: str, seconds: float) -> str | None:
    """Why a view is refused (see :func:`check_geopackage_views`), or None."""
    import sqlite3

    quoted = '"' + view.replace('"', '""') + '"'
    endless = f"gives no end to its rows within {seconds:g} s (a recursive query or joins without an end)"
    stubs: set[str] = set()
    while True:
        try:
            plan = [row[3] for row in conn.execute(f"EXPLAIN QUERY PLAN SELECT * FROM {quoted}")]
            break
        except sqlite3.Error as err:
            text = str(err)
            if "circularly defined" in text:
                return "is defined on itself (directly or through other views)"
            if "interrupted" in text:
                return endless
            missing = re.match(r"no such function: (\S+)", text)
            if missing is None or len(stubs) >= _MAX_STUBS:
                return None  # another fault (a missing table, ...): GDAL names it when it reads the layer
            stubs.add(missing[1])
            conn.create_function(missing[1], -1, lambda *args: None)
    if stubs and any("RECURSIVE STEP" in step for step in plan):
        return "holds a recursive query that calls functions of GDAL's, whose end cannot be checked"
    try:
        conn.execute(f"SELECT count(*) FROM {quoted}").fetchone()
    except sqlite3.OperationalError as err:
        if "interrupted" in str(err):
            return endless
        return None  # another fault: GDAL names it when it reads the layer
    return None


def _sqlite_rows(path: str | Path, query: str) -> list[tuple] | None:
    """The rows of ``query`` on the SQLite database ``path`` opened read-only; None when SQLite cannot run it."""
    import sqlite3
    from urllib.parse import quote

    try:
        conn = sqlite3.connect(f"file:{quote(str(Path(path).resolve()))}?mode=ro", uri=True)
    except sqlite3.Error:
        return None
    try:
        return conn.execute(query).fetchall()
    except sqlite3.Error:
        return None
    finally:
        conn.close()


def geopackage_tables(path: str | Path) -> set[str]:
    """The names of the tables of a GeoPackage (an SQLite database), read with SQLite, not GDAL: GDAL's remarks
    on a damaged geometry table are said once, when the layer itself is read; empty when it is no database."""
    rows = _sqlite_rows(path, "SELECT name FROM sqlite_master WHERE type = 'table'")
    return {str(r[0]) for r in rows or []}


def fetched_metadata(source: SourceFile) -> dict[str, str]:
    """The ``metadata`` table (``key``, ``value``) of a GeoPackage written by ``equity fetch``; empty for any
    other file (its ``osm_timestamp`` is the date of the OSM data, as Overpass's ``timestamp_osm_base``).
    A plain attribute table, read with SQLite (:func:`geopackage_tables`)."""
    if source.format != "gpkg" or "metadata" not in geopackage_tables(source.path):
        return {}
    rows = _sqlite_rows(source.path, 'SELECT "key", "value" FROM "metadata"') or []
    return {str(k): str(v) for k, v in rows if isinstance(v, str) and v}


#: The layer each reader takes from a file of several layers, by the reader's word for its layer: the layers of an
#: area written by ``equity fetch`` (:data:`equity.io.fetch.AREA_LAYERS`).
LAYER_NAMES = {"camera": "cameras", "building": "buildings", "street": "streets", "land use": "landuse"}


def read_vector(source: SourceFile, what: str, *, points: bool = False, layer: str | None = None) -> gpd.GeoDataFrame:
    """Read a vector layer (GeoJSON, GeoPackage, Shapefile, ...) with pyogrio: ``layer`` when given; of a file of
    several layers, the one :data:`LAYER_NAMES` names for ``what`` when the file has it, else the first.

    A GeoJSON file held in memory (see :class:`SourceFile`) is read from its bytes when GDAL's GeoJSON driver
    takes them; any other file, and a GeoJSON file that cannot be read so, is read by GDAL from its path (so that
    what GDAL says of a damaged file is said of the file, as always).
    """
    import pyogrio
    import shapely
    from pyogrio.errors import DataLayerError, DataSourceError

    path = source.path
    gdal_errors = (DataSourceError, DataLayerError, UnicodeDecodeError, RuntimeError, ValueError)
    gdal_policy()
    if source.format == "geojson":
        check_geojson_crs(source)
    gdf = None
    if source.in_memory:  # a GeoDataFrame in memory (equity.io.frames), checked below as a file is
        gdf = source.layer()  # type: ignore[attr-defined]
    data = source.geojson_bytes()
    if data is not None:
        try:
            gdf = _read_dataframe(data, None, path, driver="GeoJSON")
        except (*gdal_errors, shapely.errors.GEOSException):
            gdf = None  # read again from the path below, for GDAL's and GEOS's own words on the file
    if gdf is None:  # not held in memory, taken by GDAL for another format, or damaged
        # GDAL tells formats by the name first: say it is GeoJSON
        gdal_path = f"GeoJSON:{path}" if source.format == "geojson" else str(path)
        if source.format == "gpkg":
            check_geopackage_views(path)
        try:
            if source.format != "geojson" and layer is None:  # a GeoJSON file is one layer
                with WARNINGS_LOCK, warnings.catch_warnings(record=True) as caught:
                    warnings.simplefilter("always")
                    layers = pyogrio.list_layers(gdal_path)
                for w in caught:  # GDAL's remarks on the layers (an M geometry type read as 2D, ...)
                    log.info("%s: %s", path, w.message)
                spatial = {str(name) for name, kind in layers.tolist() if kind}  # a layer with geometry
                if len(layers) > 1 and LAYER_NAMES.get(what) in spatial:
                    layer = LAYER_NAMES[what]
                elif len(layers) > 1:
                    layer = layers[0][0]
                    log.warning("%s has %d layers; reading the first, %r", path, len(layers), layer)
            gdf = _read_dataframe(gdal_path, layer, path)
        except shapely.errors.GEOSException as err:  # a geometry GEOS cannot build (a ring that is not closed, ...)
            msg = f"{path}: cannot read it as a {what} layer ({_bad_geometry(gdal_path, layer, err)})."
            raise InputFileError(msg) from err
        except gdal_errors as err:
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
        if source.in_memory:
            msg = f"{path} has no CRS; set it (for example gdf.set_crs('EPSG:4326') for longitudes and latitudes)."
        raise CRSError(msg)
    _lists_as_text(gdf)
    geoms = gdf.geometry.to_numpy()
    if shapely.has_z(geoms).any():  # 3D (PolygonZ, PointZ): the heights are not used, the plan is read
        gdf = gdf.set_geometry(shapely.force_2d(geoms), crs=gdf.crs)
    if not points:  # a point layer's reader lists its points without numbers; a feature here is a mistake
        bad = nonfinite_features(gdf.geometry.to_numpy())
        if bad.any():
            msg = (
                f"{path}: feature {int(np.flatnonzero(bad)[0]) + 1} of the {what} layer has a coordinate that is not "
                "a number (NaN or infinite); expected finite coordinates."
            )
            raise InputFormatError(msg)
    if gdf.crs.is_geographic:
        _check_degrees(gdf, path, what)
    return gdf


def _lists_as_text(gdf: gpd.GeoDataFrame) -> None:
    """Attribute values that are lists or objects (a GeoJSON property holding ``[1, 2]`` or ``{}``, which GDAL
    reads as a list) become their JSON text, in place: every attribute of a layer is a single value, text or
    number, whatever the reader does with it next."""
    for col in gdf.columns:
        if col == gdf.geometry.name or gdf[col].dtype != object:
            continue
        values = gdf[col]
        nested = values.map(lambda v: isinstance(v, list | tuple | dict | np.ndarray))
        if nested.any():
            gdf[col] = values.where(~nested, values[nested].map(_json_text))


def _json_text(value: object) -> str:
    if isinstance(value, np.ndarray):
        value = value.tolist()
    return json.dumps(value, default=str, ensure_ascii=False)


def nonfinite_features(geoms: np.ndarray) -> np.ndarray:
    """The mask of the geometries with a coordinate that is NaN or infinite."""
    import shapely

    coords, index = shapely.get_coordinates(geoms, return_index=True)
    bad = np.zeros(len(geoms), dtype=bool)
    bad[index[~np.isfinite(coords).all(axis=1)]] = True
    return bad


def _read_dataframe(
    gdal_source: str | bytes, layer: str | None, path: Path, *, driver: str | None = None
) -> gpd.GeoDataFrame | None:
    """One layer read by pyogrio, dates as text; None when ``driver`` is given and GDAL takes the data for another
    format. GDAL's remarks (a column of mixed types kept as text, ...) are worth a log line only."""
    import pyogrio

    with WARNINGS_LOCK, warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        if driver is not None and pyogrio.read_info(gdal_source, layer=layer)["driver"] != driver:
            return None
        # dates stay text: a tag such as survey:date=2023-04-18 is a value to keep, not to reinterpret
        gdf = pyogrio.read_dataframe(gdal_source, layer=layer, datetime_as_string=True)
    for w in caught:
        log.info("%s: %s", path, w.message)
    return gdf


def _bad_geometry(source: str, layer: str | None, err: Exception) -> str:
    """Which feature's geometry GEOS refused, found by reading the layer's geometries one by one."""
    import pyogrio.raw
    import shapely

    reason = _first_line(err).split(": ", 1)[-1]
    try:
        with WARNINGS_LOCK, warnings.catch_warnings():
            warnings.simplefilter("ignore")  # GDAL's remark on the same ring
            geometries = pyogrio.raw.read(source, layer=layer, read_geometry=True, columns=[])[2]
    except Exception:  # only to find the feature; the error is reported either way
        return f"a geometry is not valid: {reason}"
    for i, wkb in enumerate(geometries):
        try:
            shapely.from_wkb(wkb)
        except shapely.errors.GEOSException:
            return f"feature {i + 1} has a geometry that is not valid: {reason}"
    return f"a geometry is not valid: {reason}"


def _check_degrees(gdf: gpd.GeoDataFrame, path: Path, what: str) -> None:
    """A layer in a geographic CRS must hold longitudes and latitudes: GeoJSON without a ``crs`` member is read
    as WGS84 whatever it holds, so projected metres there are a mistake to name, not to reproject."""
    import shapely

    geoms = gdf.geometry.to_numpy()
    present = ~(shapely.is_missing(geoms) | shapely.is_empty(geoms))
    if not present.any():
        return
    bounds = shapely.bounds(geoms[present])
    beyond = (np.abs(bounds[:, [0, 2]]) > 180).any(axis=1) | (np.abs(bounds[:, [1, 3]]) > 90).any(axis=1)
    if beyond.any():
        i = int(np.flatnonzero(present)[np.flatnonzero(beyond)[0]])
        x, y = bounds[np.flatnonzero(beyond)[0], :2]
        msg = (
            f"{path}: feature {i + 1} of the {what} layer has coordinates ({x:.1f}, {y:.1f}) that are not "
            f"longitudes and latitudes, although the layer's CRS is {gdf.crs.name}; a GeoJSON file without a "
            "'crs' member is read as WGS84: save it in WGS84 (EPSG:4326), or in a format that records its CRS."
        )
        raise CRSError(msg)
