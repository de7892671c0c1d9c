"""Read back a written analysis folder for its unit pages (``equity report``): ``units.gpkg``, ``cameras.gpkg``,
``operators_by_unit.csv`` and ``manifest.json``, as :mod:`equity.io.outputs` wrote them.

The folder is the command's input: it is read, never written. A folder sent by someone else is treated as any
input: the GeoPackages go through the same checks and GDAL access policy as the readers' (a view that would run
for minutes, a file that is not a GeoPackage), and a missing file or column is one sentence naming it.
"""

from __future__ import annotations

import difflib
import json
import unicodedata
from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd

from equity._errors import InputError, InputFileError, InputFormatError
from equity.io._common import check_geopackage_views, gdal_policy, open_csv
from equity.io.outputs import FORMULA_STARTS, MANIFEST, AnalysisTables, analysis_tables

#: The files of an analysis folder that its unit pages are built from.
PAGE_INPUTS = ("units.gpkg", "cameras.gpkg", "operators_by_unit.csv", MANIFEST)
#: The columns each table must have.
REQUIRED = {
    "units.gpkg": ("unit_id", "cameras", "area_km2", "gap", "class"),
    "cameras.gpkg": ("camera_id", "unit_id", "kind"),
    "operators_by_unit.csv": ("unit_id", "operator", "cameras"),
}


def unspreadsheet(value: object) -> object:
    """Undo :func:`equity.io.outputs.spreadsheet_safe`: ``'=1+1`` read from a CSV is the text ``=1+1``."""
    if isinstance(value, str) and value.startswith("'") and value[1:].startswith(FORMULA_STARTS):
        return value[1:]
    return value


def _gpkg(path: Path, layer: str) -> gpd.GeoDataFrame:
    import pyogrio
    from pyogrio.errors import DataLayerError, DataSourceError

    gdal_policy()
    check_geopackage_views(path)
    try:
        return pyogrio.read_dataframe(path, layer=layer)
    except (DataSourceError, DataLayerError, ValueError, RuntimeError) as err:
        first = str(err).splitlines()[0] if str(err) else type(err).__name__
        msg = f"{path}: cannot read its layer {layer!r} as equity wrote it ({first})."
        raise InputFormatError(msg) from err


def _require(frame: pd.DataFrame, path: Path, name: str) -> None:
    missing = [c for c in REQUIRED[name] if c not in frame.columns]
    if missing:
        msg = (
            f"{path}: has no column {missing[0]!r}; expected the {name} of an equity analysis "
            f"(columns {', '.join(REQUIRED[name])})."
        )
        raise InputFormatError(msg)


def read_analysis(folder: str | Path) -> AnalysisTables:
    """The tables of an analysis folder that its unit pages show (:class:`~equity.io.outputs.AnalysisTables`).

    Raises
    ------
    InputFileError
        The folder, or one of :data:`PAGE_INPUTS` in it, is missing.
    InputFormatError
        A file is not what equity writes (a manifest that is not JSON, a table without its columns).
    """
    folder = Path(folder)
    if not folder.is_dir():
        msg = f"{folder}: no such folder; give the folder an analysis was written to (its --out)."
        raise InputFileError(msg)
    for name in PAGE_INPUTS:
        if not (folder / name).is_file():
            msg = f"{folder}: holds no {name}; give the folder an equity analysis was written to (its --out)."
            raise InputFileError(msg)
    try:
        manifest: Any = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError) as err:
        msg = f"{folder / MANIFEST}: is not the JSON manifest equity writes ({type(err).__name__})."
        raise InputFormatError(msg) from err
    if not isinstance(manifest, dict) or "equity_manifest" not in manifest:
        msg = f"{folder / MANIFEST}: is not an equity manifest (no equity_manifest key)."
        raise InputFormatError(msg)
    units = _gpkg(folder / "units.gpkg", "units")
    _require(units, folder / "units.gpkg", "units.gpkg")
    cameras = _gpkg(folder / "cameras.gpkg", "cameras")
    _require(cameras, folder / "cameras.gpkg", "cameras.gpkg")
    source = open_csv(folder / "operators_by_unit.csv")
    chunks = list(source.chunks())  # a study without cameras writes the header alone
    operators = pd.concat(chunks, ignore_index=True) if chunks else pd.DataFrame(columns=source.columns)
    _require(operators, folder / "operators_by_unit.csv", "operators_by_unit.csv")
    for col in ("unit_id", "operator"):
        if col in operators:
            operators[col] = operators[col].map(unspreadsheet)
    if "cameras" in operators:
        operators["cameras"] = pd.to_numeric(operators["cameras"], errors="coerce")
    if "covered_km2" in operators:
        operators["covered_km2"] = pd.to_numeric(operators["covered_km2"], errors="coerce")
    return analysis_tables(units, cameras, operators, manifest, folder=folder)


def name_key(text: object) -> str:
    """A unit's name as :func:`find_unit` compares it: accents dropped, case folded, whitespace removed.

    Examples
    --------
    >>> name_key("  Nob  Hill "), name_key("ÑUÑOA"), name_key("Castro/Upper Market")
    ('nobhill', 'nunoa', 'castro/uppermarket')
    """
    decomposed = unicodedata.normalize("NFKD", str(text))
    bare = "".join(c for c in decomposed if not unicodedata.combining(c))
    return "".join(bare.casefold().split())


def find_unit(tables: AnalysisTables, name: str) -> str:
    """The id of the unit called ``name``: its id as written, or else the one id equal to it case-, accent- and
    whitespace-insensitively (:func:`name_key`).

    Raises
    ------
    InputError
        No unit has that name (the sentence names the folder and the closest names), or two units match it.
    """
    ids = [str(i) for i in tables.units["unit_id"]]
    if name in ids:
        return name
    key = name_key(name)
    hits = sorted({i for i in ids if name_key(i) == key})
    where = tables.folder if tables.folder is not None else "the analysis"
    if len(hits) == 1:
        return hits[0]
    if hits:
        msg = f"{where}: {name!r} names {len(hits)} units ({', '.join(map(repr, hits))}); give the id as written."
        raise InputError(msg)
    keys = {name_key(i): i for i in sorted(ids, reverse=True)}
    close = [keys[k] for k in difflib.get_close_matches(key, list(keys), n=3, cutoff=0.6)]
    near = (
        f"the closest names are {', '.join(map(repr, close))}"
        if close
        else f"its {len(ids)} units are listed in units.csv"
    )
    msg = f"{where}: holds no unit named {name!r}; {near}."
    raise InputError(msg)
