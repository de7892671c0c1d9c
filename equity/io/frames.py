"""In-memory inputs: a GeoDataFrame or DataFrame a researcher already holds, read by the readers of files.

A :class:`FrameSource` stands where a :class:`~equity.io._common.SourceFile` would, so that a frame goes through
the very readers and checks of a file of its layer (:mod:`equity.io.registry`): a GeoDataFrame is read as a
vector layer (its CRS required, its geometries and attributes checked as a GeoPackage's would be), a DataFrame
without geometry as a CSV table (a list of cameras or incidents with longitude and latitude columns is read as a
CSV file with those columns is). Messages name the frame by its role ("the units GeoDataFrame") where they would
name a file, and the manifest records what identifies it: its kind, its rows and a SHA-256 of its content (see
:attr:`FrameSource.sha256`), where a file has its path and the hash of its bytes.

Why not write the frame to a temporary file and read that: the messages and the manifest would then name a
file the user never saw, and a frame of a million incidents would be written out and parsed again; here a
GeoDataFrame is handed to the checks as it is (copied), and only a DataFrame without geometry is turned into CSV
text, in memory, for the CSV readers (which parse text, so that its values are read as a file's would be).
"""

from __future__ import annotations

import datetime
import hashlib
import io
from functools import cached_property
from types import SimpleNamespace
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd

from equity.io._common import SourceFile

__all__ = ["FrameLabel", "FrameSource", "as_source", "is_frame"]


class FrameLabel(str):
    """The name of an in-memory input in messages ("the units GeoDataFrame"), standing where a reader expects
    the file's path: ``str(label)``, ``label.name`` and ``label.stat().st_size`` (the bytes of its CSV text, 0
    for a GeoDataFrame) work as a path's do; nothing opens it."""

    size: int = 0

    @property
    def name(self) -> str:
        """The label itself (a path's file name)."""
        return str(self)

    def stat(self) -> Any:
        """Its size, as a path's ``stat()`` gives it (for the progress bars of the readers)."""
        return SimpleNamespace(st_size=self.size)

    def resolve(self) -> FrameLabel:
        """Itself: there is no file to resolve."""
        return self

    def exists(self) -> bool:
        """True: the frame is there."""
        return True


def is_frame(value: object) -> bool:
    """Whether ``value`` is an in-memory table (a pandas DataFrame, a GeoDataFrame among them)."""
    return isinstance(value, pd.DataFrame)


class FrameSource(SourceFile):
    """A (Geo)DataFrame given as an input of one role of a study, opened as its layer's readers expect.

    Parameters
    ----------
    frame : pandas.DataFrame or geopandas.GeoDataFrame
        The table; never modified (the readers get a copy).
    role : str
        The input it stands for (``units``, ``cameras``, ``crime``, ...), for the messages.

    Attributes
    ----------
    source_frame : pandas.DataFrame or geopandas.GeoDataFrame
        The frame as given. A GeoDataFrame is read as a vector layer (:meth:`layer`, by
        :func:`~equity.io._common.read_vector`); a DataFrame without geometry as CSV text from :attr:`handle`.
    kind : str
        ``GeoDataFrame`` or ``DataFrame``.
    rows : int
        Its number of rows.
    """

    #: Read from memory: :func:`~equity.io._common.read_vector` takes :meth:`layer` instead of opening a file.
    in_memory = True

    def __init__(self, frame: pd.DataFrame, role: str) -> None:
        self.kind = "GeoDataFrame" if isinstance(frame, gpd.GeoDataFrame) else "DataFrame"
        self.role = role
        self.rows = len(frame)
        self.source_frame = frame
        self.path = FrameLabel(f"the {role} {self.kind}")  # type: ignore[assignment]
        self.parsed = None
        self._unpacked = None
        self._tmpdir = None
        # a table without geometry is read as CSV text, as a CSV file with the same values would be
        self.format = "vector" if self.kind == "GeoDataFrame" else "csv"

    def layer(self) -> gpd.GeoDataFrame:
        """The GeoDataFrame as its layer's reader reads it (:func:`_as_layer`), made anew at each read, so that a
        study holds only the frame it was given."""
        return _as_layer(self.source_frame)  # type: ignore[arg-type]

    @cached_property
    def _csv(self) -> bytes:
        """The CSV text of a DataFrame (empty for a GeoDataFrame), written when it is first read."""
        if self.kind == "GeoDataFrame":
            return b""
        text = self.source_frame.to_csv(index=False).encode("utf-8")
        self.path.size = len(text)  # type: ignore[attr-defined]
        return text

    @cached_property
    def handle(self) -> io.BytesIO | None:  # type: ignore[override]
        """The CSV text of a DataFrame as an open file; None for a GeoDataFrame."""
        return None if self.kind == "GeoDataFrame" else io.BytesIO(self._csv)

    @property
    def _content(self) -> bytes:  # type: ignore[override]
        return self._csv

    @property
    def _head(self) -> bytes:  # type: ignore[override]
        return self._csv[:4096]

    @property
    def size(self) -> int:  # type: ignore[override]
        """The bytes of the CSV text (0 for a GeoDataFrame)."""
        return len(self._csv)

    def __str__(self) -> str:
        return str(self.path)

    def __repr__(self) -> str:
        return f"<FrameSource {self.name}>"

    def __fspath__(self) -> str:  # so that os.fspath and Path() of it give its label, never a real file
        return str(self.path)

    def resolve(self) -> FrameSource:
        """Itself (a file's path is resolved; a frame is what it is)."""
        return self

    @cached_property
    def sha256(self) -> str:
        """SHA-256 of the frame's content: for a GeoDataFrame, its CRS (WKT), its column names, its number of
        rows, each geometry's WKB and each attribute column (:func:`_hash_columns`); for a DataFrame, its CSV text.
        The same frame gives the same hash in another session on the same kind of machine (the numbers' bytes
        are little-endian on every platform equity runs on); a changed value, geometry or CRS gives another."""
        digest = hashlib.sha256()
        frame = self.source_frame
        geometry = _geometry_name(frame) if isinstance(frame, gpd.GeoDataFrame) else None
        if geometry is not None:
            import shapely

            digest.update((frame.crs.to_wkt() if frame.crs is not None else "").encode())
            digest.update("\x1f".join(map(str, frame.columns)).encode())
            digest.update(str(len(frame)).encode())
            # WKB is self-delimiting; a missing geometry is one byte that no WKB starts with
            digest.update(b"".join(b"\xff" if w is None else w for w in shapely.to_wkb(frame.geometry.to_numpy())))
            _hash_columns(digest, pd.DataFrame(frame.drop(columns=geometry)))
        elif isinstance(frame, gpd.GeoDataFrame):
            _hash_columns(digest, pd.DataFrame(frame))
        else:
            digest.update(self._csv)
        return digest.hexdigest()

    @property
    def name(self) -> str:
        """What the report's data sources and the manifest call it."""
        what = "WKB and attributes" if self.kind == "GeoDataFrame" else "CSV text"
        return f"in-memory {self.kind} ({self.rows:,} rows, sha256 of its {what} {self.sha256[:12]})"

    def record(self) -> dict[str, Any]:
        """The manifest's entry of this input, where a file has its path, name, bytes and hash."""
        return {"path": self.name, "name": None, "in_memory": self.kind, "rows": self.rows, "sha256": self.sha256}


def _as_layer(frame: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """The GeoDataFrame as pyogrio would have read it from the file ``frame.to_file`` writes: one geometry column
    named ``geometry``, an index other than the default one as columns, then a range index, text column names,
    dates as ISO text (``datetime_as_string``), categories as their values.
    """
    geometry_name = _geometry_name(frame)
    if geometry_name is None:  # a GeoDataFrame without an active geometry: read_vector says it has none
        return pd.DataFrame(frame).reset_index(drop=True)  # type: ignore[return-value]
    other_geometries = [
        c for c in frame.columns if c != geometry_name and isinstance(frame[c].dtype, gpd.array.GeometryDtype)
    ]
    # an index of its own (osmnx's element type and id, a name) becomes columns, as GeoDataFrame.to_file writes it
    out = frame.drop(columns=other_geometries).reset_index(drop=type(frame.index) is pd.RangeIndex)
    if geometry_name != "geometry":
        out = out.drop(columns=[c for c in out.columns if c == "geometry"]).rename_geometry("geometry")
    out.columns = [str(c) for c in out.columns]
    for col in out.columns:
        if col == "geometry":
            continue
        values = out[col]
        if isinstance(values.dtype, pd.CategoricalDtype):
            out[col] = values.astype(object)
        elif pd.api.types.is_datetime64_any_dtype(values.dtype):
            out[col] = values.map(lambda v: None if pd.isna(v) else v.isoformat()).astype(object)
        elif values.dtype == object and values.map(_is_when).any():  # datetime.date objects, as a file has text
            out[col] = values.map(lambda v: v.isoformat() if _is_when(v) else v)
    return out


def _is_when(value: object) -> bool:
    """Whether ``value`` is a date, a time or a date and time (which a file holds as ISO text)."""
    return isinstance(value, (datetime.date, datetime.time))


def _hash_columns(digest: Any, frame: pd.DataFrame) -> None:
    """Feed each column to ``digest``: its name and type, then its values, as the bytes of the array for a column
    of numbers, flags or dates (exact), else as text, a missing value marked apart from any text. Column by column
    rather than the whole table as CSV text: a million points with five attribute columns hash in 1.7 s instead of
    9.6 s (measured on the project's 2-core machine; writing the numbers as CSV text is what took the time)."""
    for name in frame.columns:
        values = frame[name]
        digest.update(f"\x1d{name}\x1f{values.dtype}\x1f".encode())
        array = values.to_numpy()
        if array.dtype.kind in "biufcmM":
            digest.update(np.ascontiguousarray(array).tobytes())
        else:
            text = "\x1e".join("\x00" if v is None or (isinstance(v, float) and v != v) else str(v) for v in array)
            digest.update(text.encode("utf-8", "surrogatepass"))


def _geometry_name(frame: gpd.GeoDataFrame) -> str | None:
    """The name of the frame's active geometry column, or None when it has none (``frame.geometry`` raises)."""
    try:
        return frame.geometry.name
    except AttributeError:
        return None


def as_source(value: Any, role: str) -> Any:
    """``value`` as a study keeps it: a frame as its :class:`FrameSource`, anything else (a path, None, a
    FrameSource already) as it is."""
    if isinstance(value, pd.DataFrame):
        return FrameSource(value, role)
    return value
