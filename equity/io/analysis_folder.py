"""Read back a written analysis folder for its unit pages (``equity report``): ``units.gpkg``, ``cameras.gpkg``,
``operators_by_unit.csv`` and ``manifest.json``, as :mod:`equity.io.outputs` wrote them.

The folder is the command's input: it is read, never written. A folder sent by someone else is treated as any
input: the GeoPackages go through the same checks and GDAL access policy as the readers' (a view that would run
for minutes, a file that is not a GeoPackage), and a missing file or column is one sentence naming it.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd

from equity._errors import InputFileError, InputFormatError
from equity.io._common import check_geopackage_views, gdal_policy, read_csv_table
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
    operators, _ = read_csv_table(folder / "operators_by_unit.csv")
    if len(operators.columns) or len(operators):
        _require(operators, folder / "operators_by_unit.csv", "operators_by_unit.csv")
    for col in ("unit_id", "operator"):
        if col in operators:
            operators[col] = operators[col].map(unspreadsheet)
    if "cameras" in operators:
        operators["cameras"] = pd.to_numeric(operators["cameras"], errors="coerce")
    if "covered_km2" in operators:
        operators["covered_km2"] = pd.to_numeric(operators["covered_km2"], errors="coerce")
    return analysis_tables(units, cameras, operators, manifest, folder=folder)
