"""Crime tables: crimes published as counts per unit (a police district, a parish, a neighbourhood) rather than as
incident points, read from a CSV, a JSON file or an Excel workbook and joined to the units.

Many city portals publish crime as a table of counts per district: a CSV, a JSON list of records (Socrata's API
gives numbers as text), a CKAN ``datastore_search`` answer (``{"result": {"records": [...]}}``), an Excel sheet,
often one file per category or per year. This module reads such a table (:func:`read_count_table`) and joins it
to the units (:func:`join_count_table`), one file or several (:func:`crimes_from_tables`), stating every guess
and listing every row it sets aside with the reason.

The join
--------
A row's key (the value of the key column) is matched to a unit

1. by the unit's id, as text (``5``, ``5.0`` and ``"5"`` are the same id);
2. else by a *normalised* name, compared with the normalised unit id and with the normalised values of every text
   column of the unit layer whose values are unique (the units' names): Unicode NFKD decomposition with the
   combining marks dropped (``Iñaquito`` → ``Inaquito``), case folded, and every run of characters that are not
   letters or digits (of any script: ``Ø``, ``Ł`` and Cyrillic letters stay themselves) made one space, the ends
   stripped (``" belisario  quevedo "`` → ``belisario quevedo``). A
   normalised name shared by two units matches neither (the row is set aside, naming them).

A key that matches no unit is set aside (``rejected.csv``), with the three closest unit names (difflib's ratio
on the normalised names, at least 0.5: ``MISION DISTRICT`` finds ``Mission`` and ``Mission Bay``), and one warning
per file lists them, so that a spelling can be fixed.

When ``key`` is not given, the key column is the column whose values match the most rows to units, a column of text
preferred to a numeric one (counts can equal numeric unit ids; when only numeric columns match, one alone must);
when ``count`` is not given, it is the one numeric column (a column of which more than half the non-empty values
are numbers, the key column excepted); both guesses are stated in a warning of the ledger, and more than one
numeric column is an error that lists them.

Counts
------
A count is a whole number of at least 0, written as a number or as text (``"12"``, ``"1,234"`` and ``"1 234"``
with groups of three digits, ``"12.0"``). A dot is always a decimal point: ``"1.234"`` is not read as a thousand
(it is not a whole number, and set aside), as the two readings cannot be told apart. An empty count, text that is
not a number, a negative count or a count that is not whole is a row set aside with its reason; so is a second row
for a unit that has one (the first row is read, even when its count is then set aside, so that the unit's count is
unknown rather than the second's), unless the file has one row per category (a column named like a category,
:data:`equity.io.crime.CATEGORY_NAMES`, or the column given as the category): there the rows of a unit are summed,
one per category, and a second row for the same unit and category is set aside.

A unit with no row in a file has **no count** from it (unknown, NaN), never zero, unless the table is declared
complete (``complete=True``, ``--crime-table-complete``): then a unit without a row has 0 crimes, counted
(``crime_table_units_missing_taken_as_zero``) and stated. With several files (one per category or year), a unit's
crimes are the sum over the files, and unknown when one of the files has no count for it.

The category of a file is its name without the suffix (``robbery_2023.csv`` → ``robbery_2023``), or the part of
it a regular expression picks (its group named ``category``, else its first group, else the whole match), or a
column of the table.
"""

from __future__ import annotations

import difflib
import json
import logging
import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from equity._errors import InputFileError, InputFormatError
from equity.io._common import (
    IN_MEMORY_BYTES,
    LAT_NAMES,
    LON_NAMES,
    check_file,
    find_column,
    read_csv_table,
    rejected_frame,
)
from equity.io.crime import CATEGORY_NAMES

log = logging.getLogger(__name__)

#: Keys of a JSON object that wrap a list of records (``{"data": [...]}``), in order of preference.
WRAPPER_KEYS = ("data", "records", "rows", "items", "results", "result", "value", "values", "features")

#: The file suffixes read as Excel workbooks (Office Open XML; the older binary .xls is refused with a hint).
EXCEL_SUFFIXES = (".xlsx", ".xlsm")

#: A name closer than this (difflib's ratio on normalised names) to an unmatched key is shown beside it.
CLOSE_NAME_CUTOFF = 0.5

_NOT_ALNUM = re.compile(r"[\W_]+")
_MATCHED = re.compile(r" \(it matches \d+ of \d+ rows\)")
_WHOLE_FLOAT_TEXT = re.compile(r"^\d+\.0+$")
_GROUPED = re.compile(r"^[+]?\d{1,3}(?:[,\u00a0\u202f ]\d{3})+(?:\.0+)?$")


class CountTableError(InputFormatError):
    """A file given as incident points (``--crime``) is a table of counts per unit (no coordinates, no geometry).

    Raised by :func:`equity.io.crime_from_file`; the study then reads it as a crime table when its key matches the
    units, else refuses it with a sentence that names ``--crime-table``.
    """


@dataclass
class CountTable:
    """A table of counts as read, before the join.

    Attributes
    ----------
    path : Path
        The file.
    frame : pandas.DataFrame
        Its rows, values as read (text, numbers or None), columns named as in the file (stripped).
    labels : list of str
        Where each row is in the file (``line 2``, ``record 1``, ``sheet 'Hoja1' row 3``), for the rejected rows.
    format : str
        ``csv``, ``json`` or ``xlsx``.
    """

    path: Path
    frame: pd.DataFrame
    labels: list[str]
    format: str


@dataclass
class TableJoin:
    """Crimes per unit from one or several tables of counts.

    Attributes
    ----------
    crimes : pandas.Series
        Crimes per unit, aligned to the units' index; NaN where unknown.
    by_category : pandas.DataFrame
        The same per category (one column each), NaN where unknown.
    rejected : pandas.DataFrame
        The rows set aside, with the reason (:data:`equity.io._common.REJECTED_COLUMNS`).
    counts : dict
        Counts of the decisions taken (rows read, joined, set aside by reason, units missing).
    meta : dict
        Facts about the tables: files, formats, key and count columns and whether they were guessed, categories.
    warnings : list of str
        Plain sentences a reader of the results must know (guesses, unmatched names, units without a count).
    listed : pandas.Series or None
        Whether each unit has a row in the table (of one file: :func:`join_count_table`), its count read or not;
        a unit listed with a count set aside stays unknown when the table is declared complete.
    """

    crimes: pd.Series
    by_category: pd.DataFrame
    rejected: pd.DataFrame
    counts: dict[str, Any] = field(default_factory=dict)
    meta: dict[str, Any] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    listed: pd.Series | None = None


# --- reading ----------------------------------------------------------------------------------------------------


def read_count_table(path: str | Path) -> CountTable:
    """Read a table of counts per unit: a CSV (any of the separators :func:`equity.io._common.open_csv` knows), a
    JSON file (a list of records, or an object wrapping one: ``{"data": [...]}``, CKAN's
    ``{"result": {"records": [...]}}``, Socrata's ``rows.json`` with ``meta.view.columns``, or one object of
    ``name: count`` pairs) or an Excel workbook (.xlsx, its first sheet with data, the first row of two cells or
    more as the header).

    Raises
    ------
    InputFileError
        When the file is missing or empty, or an old binary Excel file (.xls).
    InputFormatError
        When the file is GeoJSON (a layer, not a table), holds no list of records, or has no rows.
    """
    p = check_file(path)
    with p.open("rb") as handle:
        head = handle.read(8)
    suffix = p.suffix.lower()
    if head.startswith(b"\xd0\xcf\x11\xe0") or suffix == ".xls":
        msg = f"{p}: an old binary Excel file (.xls); save it as .xlsx or as CSV."
        raise InputFileError(msg)
    if head.startswith(b"PK\x03\x04"):
        if suffix in EXCEL_SUFFIXES or suffix not in (".zip",):
            return _read_xlsx(p)
        msg = f"{p}: a zip archive; expected a table of counts (CSV, JSON or .xlsx)."
        raise InputFileError(msg)
    text = head.lstrip(b"\xef\xbb\xbf").lstrip()
    if text.startswith((b"{", b"[")) or suffix == ".json":
        return _read_json(p)
    table, _ = read_csv_table(p)
    table = table.reset_index(drop=True)
    return CountTable(p, table, [f"line {i + 2}" for i in range(len(table))], "csv")


def table_of(source: str | Path | pd.DataFrame, i: int = 0) -> CountTable:
    """A table of counts from a file (:func:`read_count_table`) or from a DataFrame a notebook already holds (named
    ``table i+1`` in messages, its rows ``row 1``, ``row 2``, ...)."""
    if isinstance(source, pd.DataFrame):
        frame = source.reset_index(drop=True).astype(object)
        frame.columns = [str(c).strip() for c in frame.columns]
        frame = frame.where(frame.notna(), None)
        return CountTable(Path(f"table {i + 1}"), frame, [f"row {n + 1}" for n in range(len(frame))], "dataframe")
    return read_count_table(source)


def _read_json(p: Path) -> CountTable:
    try:
        data = json.loads(p.read_text(encoding="utf-8-sig"))
    except (json.JSONDecodeError, UnicodeDecodeError) as err:
        msg = f"{p}: not valid JSON ({str(err).splitlines()[0]})."
        raise InputFormatError(msg) from err
    except RecursionError as err:
        msg = f"{p}: JSON nested too deep to read; expected a list of records."
        raise InputFormatError(msg) from err
    records, where = records_from_json(data, p)
    frame = pd.DataFrame.from_records([{str(k).strip(): _scalar(v) for k, v in r.items()} for r in records])
    if frame.empty or not len(frame.columns):
        msg = f"{p}: the list of records{where} is empty; expected one record per unit."
        raise InputFormatError(msg)
    frame = frame.astype(object).where(frame.notna(), None)
    return CountTable(p, frame, [f"record {i + 1}{where}" for i in range(len(frame))], "json")


def _scalar(value: Any) -> Any:
    """A JSON value as a cell: lists and objects as their JSON text (never a count)."""
    return json.dumps(value, ensure_ascii=False) if isinstance(value, (dict, list)) else value


def records_from_json(data: Any, path: Path) -> tuple[list[dict[str, Any]], str]:
    """The records of a parsed JSON table and where they were found (`` of 'data'``), for the row labels.

    Takes a list of objects; an object wrapping one under a key of :data:`WRAPPER_KEYS` (or under its only key
    that holds a list of objects); CKAN's ``{"result": {"records": [...]}}``; Socrata's ``rows.json``
    (``{"meta": {"view": {"columns": [...]}}, "data": [[...], ...]}``, the columns named by their ``fieldName``);
    and one object of ``name: count`` pairs (columns ``key`` and ``count``).

    Raises
    ------
    InputFormatError
        For GeoJSON (a layer, not a table), and for JSON that holds none of these.
    """
    if isinstance(data, dict) and (data.get("type") in ("FeatureCollection", "Feature") or "features" in data):
        msg = (
            f"{path}: a GeoJSON layer, not a table of counts; give incident points with --crime, or units that "
            "carry their counts with --units and --crime-columns."
        )
        raise InputFormatError(msg)
    if isinstance(data, list):
        return _records(data, path, ""), ""
    if not isinstance(data, dict):
        msg = f"{path}: the JSON holds a single value, not a list of records (one per unit)."
        raise InputFormatError(msg)
    socrata = _socrata_rows(data)
    if socrata is not None:
        return socrata, " of 'data'"
    result = data.get("result")
    if isinstance(result, dict) and isinstance(result.get("records"), list):  # CKAN datastore_search
        return _records(result["records"], path, " of 'result.records'"), " of 'result.records'"
    for key in WRAPPER_KEYS:
        if isinstance(data.get(key), list):
            return _records(data[key], path, f" of {key!r}"), f" of {key!r}"
    lists = [k for k, v in data.items() if isinstance(v, list) and v and all(isinstance(r, dict) for r in v)]
    if len(lists) == 1:
        return _records(data[lists[0]], path, f" of {lists[0]!r}"), f" of {lists[0]!r}"
    if data and all(isinstance(v, (int, float, str)) or v is None for v in data.values()):
        return [{"key": k, "count": v} for k, v in data.items()], ""
    keys = ", ".join(repr(str(k)) for k in list(data)[:8])
    msg = (
        f"{path}: no list of records found in the JSON object (its keys: {keys}); expected a list of records, "
        'or an object such as {"data": [...]} or {"result": {"records": [...]}}.'
    )
    raise InputFormatError(msg)


def _records(values: list[Any], path: Path, where: str) -> list[dict[str, Any]]:
    bad = next((i for i, r in enumerate(values) if not isinstance(r, dict)), None)
    if bad is not None:
        shown = json.dumps(values[bad], ensure_ascii=False)[:40]
        msg = f"{path}: record {bad + 1}{where} is {shown}, not an object; expected one object per unit."
        raise InputFormatError(msg)
    return values


def _socrata_rows(data: dict[str, Any]) -> list[dict[str, Any]] | None:
    """The records of Socrata's ``rows.json`` (rows as lists, columns in ``meta.view.columns``), else None."""
    meta = data.get("meta")
    rows = data.get("data")
    if not (isinstance(meta, dict) and isinstance(meta.get("view"), dict) and isinstance(rows, list)):
        return None
    columns = meta["view"].get("columns")
    if not isinstance(columns, list) or not all(isinstance(c, dict) for c in columns):
        return None
    names = [str(c.get("fieldName") or c.get("name") or f"column {i + 1}") for i, c in enumerate(columns)]
    if not all(isinstance(r, list) and len(r) == len(names) for r in rows):
        return None
    return [dict(zip(names, r, strict=True)) for r in rows]


def _read_xlsx(p: Path) -> CountTable:
    """The first sheet with data of a workbook: the first row with two cells or more is the header (rows of one
    cell above it are titles), the cells' values below it (the values last computed by the spreadsheet for
    formulas; a formula never computed is an empty cell)."""
    import openpyxl

    try:
        book = openpyxl.load_workbook(p, read_only=True, data_only=True)
    except Exception as err:  # openpyxl raises zipfile, KeyError and its own errors on damaged files
        detail = str(err).splitlines()[0] if str(err) else type(err).__name__
        msg = f"{p}: not a readable Excel workbook ({detail})."
        raise InputFormatError(msg) from err
    try:
        for sheet in book.worksheets:
            rows = [(n, r) for n, r in enumerate(sheet.iter_rows(values_only=True), start=1) if _filled(r) >= 1]
            while rows and _filled(rows[0][1]) < 2:  # a title above the table: the header has two cells or more
                rows = rows[1:]
            if len(rows) < 2:
                continue
            _, header = rows[0]
            names = _unique([str(v).strip() if v is not None else f"column {i + 1}" for i, v in enumerate(header)])
            body = [list(r) + [None] * (len(names) - len(r)) for _, r in rows[1:]]
            frame = pd.DataFrame([r[: len(names)] for r in body], columns=names, dtype=object)
            frame = frame.loc[:, [not (n.startswith("column ") and frame[n].isna().all()) for n in names]]
            labels = [f"sheet {sheet.title!r} row {n}" for n, _ in rows[1:]]
            return CountTable(p, frame.where(frame.notna(), None), labels, "xlsx")
    finally:
        book.close()
    msg = f"{p}: no sheet of the workbook has a header row and at least one row of data."
    raise InputFormatError(msg)


def _unique(names: list[str]) -> list[str]:
    """Header names made unique as pandas makes a CSV's (``Total``, ``Total.1``)."""
    out: list[str] = []
    for name in names:
        new, n = name, 0
        while new in out:
            n += 1
            new = f"{name}.{n}"
        out.append(new)
    return out


def _filled(row: tuple[Any, ...]) -> int:
    """How many cells of a row hold something."""
    return sum(v is not None and str(v).strip() != "" for v in row)


# --- values -----------------------------------------------------------------------------------------------------


def normalise_name(value: Any) -> str:
    """A name as compared by the join: NFKD with combining marks dropped, case folded, every run of characters that
    are not letters or digits one space, the ends stripped.

    Examples
    --------
    >>> normalise_name(" Belisario  QUEVEDO ")
    'belisario quevedo'
    >>> normalise_name("Iñaquito") == normalise_name("INAQUITO")
    True
    """
    text = unicodedata.normalize("NFKD", key_text(value))
    text = "".join(c for c in text if not unicodedata.combining(c)).casefold()
    return _NOT_ALNUM.sub(" ", text).strip()


def key_text(value: Any) -> str:
    """A key as text: a whole float without its ``.0`` (Excel and JSON write ids 5 as 5.0, and CSV exports of them
    ``"5.0"``), text stripped; None and NaN as the empty text."""
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    text = str(value).strip()
    return text.split(".")[0] if _WHOLE_FLOAT_TEXT.match(text) else text


def parse_counts(values: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Counts as floats, and for each value that is not a count the reason (else None).

    A count is a number (or text of one, with groups of three digits separated by a comma or a space allowed)
    that is whole and at least 0. Booleans are not counts.
    """
    out = np.full(len(values), np.nan)
    reasons: list[str | None] = [None] * len(values)
    for i, v in enumerate(values.tolist()):
        number = _number(v)
        if v is None or (isinstance(v, float) and np.isnan(v)) or (isinstance(v, str) and not v.strip()):
            reasons[i] = "count is empty"
        elif number is None or not np.isfinite(number):
            reasons[i] = "count is not a number"
        elif number < 0:
            reasons[i] = "count is negative"
        elif not float(number).is_integer():
            reasons[i] = "count is not a whole number"
        else:
            out[i] = number
    return pd.Series(out, index=values.index), pd.Series(reasons, index=values.index, dtype=object)


def _number(value: Any) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float, np.integer, np.floating)):
        return float(value)
    if not isinstance(value, str):
        return None
    text = value.strip()
    if _GROUPED.match(text):
        text = re.sub(r"[,\u00a0\u202f ]", "", text)
    try:
        return float(text)
    except ValueError:
        return None


#: Columns that number the rows of a portal's table, never counts: CKAN's ``_id``, GDAL's and ArcGIS's feature ids
#: (Socrata's system fields start with ``:``, as ``:id``, and are left out too).
ROW_ID_NAMES = ("_id", "objectid", "fid", "ogc_fid", "rowid", "row_id")


def numeric_columns(frame: pd.DataFrame, exclude: tuple[str, ...] = ()) -> list[str]:
    """The columns of which more than half the non-empty values are numbers (see :func:`parse_counts`), row
    numbers of the portal (:data:`ROW_ID_NAMES`, Socrata's ``:`` fields) left out."""
    out = []
    for col in frame.columns:
        if col in exclude or str(col).strip().lower() in ROW_ID_NAMES or str(col).startswith(":"):
            continue
        values = [v for v in frame[col].tolist() if key_text(v) != ""]
        if values and sum(_number(v) is not None for v in values) * 2 > len(values):
            out.append(col)
    return out


# --- the join ---------------------------------------------------------------------------------------------------


@dataclass
class UnitNames:
    """How keys find units: exact ids, and normalised ids and names (a normalised name of two units: ambiguous)."""

    ids: dict[str, Any]
    names: dict[str, Any]
    ambiguous: dict[str, list[str]]
    shown: dict[str, str]

    @classmethod
    def of(cls, units: pd.DataFrame) -> UnitNames:
        """The ids (``unit_id``) and the names (every text column with unique values) of ``units``."""
        ids = {key_text(u): i for i, u in zip(units.index, units["unit_id"], strict=True)}
        columns = ["unit_id"] + [
            c
            for c in units.columns
            if c not in ("unit_id", "geometry")
            and (pd.api.types.is_object_dtype(units[c]) or pd.api.types.is_string_dtype(units[c]))
            and units[c].notna().all()
            and units[c].map(normalise_name).is_unique
        ]
        names: dict[str, set[Any]] = {}
        shown: dict[str, str] = {}
        for col in columns:
            for i, v in zip(units.index, units[col], strict=True):
                norm = normalise_name(v)
                if norm:
                    names.setdefault(norm, set()).add(i)
                    shown.setdefault(norm, key_text(v))
        unique = {k: next(iter(v)) for k, v in names.items() if len(v) == 1}
        ambiguous = {k: sorted(key_text(units.loc[i, "unit_id"]) for i in v) for k, v in names.items() if len(v) > 1}
        return cls(ids, unique, ambiguous, shown)

    def find(self, value: Any) -> Any:
        """The index of the unit ``value`` names, else None."""
        text = key_text(value)
        if text in self.ids:
            return self.ids[text]
        return self.names.get(normalise_name(value))

    def closest(self, value: Any, n: int = 3) -> list[str]:
        """The names closest to ``value`` (difflib's ratio on normalised names, at least :data:`CLOSE_NAME_CUTOFF`)."""
        close = difflib.get_close_matches(normalise_name(value), list(self.shown), n=n, cutoff=CLOSE_NAME_CUTOFF)
        return [self.shown[c] for c in close]


def guess_key(table: CountTable, names: UnitNames, exclude: tuple[str, ...] = ()) -> tuple[str, int]:
    """The column whose values match the most units, and how many rows it matches (ties: the first column).

    A column of text is preferred to a numeric one (counts can happen to equal numeric unit ids); among numeric
    columns only, the guess is made when one column alone matches.

    Raises
    ------
    InputFormatError
        When no column's values match a unit, or several numeric columns do and no text column does.
    """
    numeric = set(numeric_columns(table.frame))
    matches = {
        str(col): sum(names.find(v) is not None for v in table.frame[col].tolist())
        for col in table.frame.columns
        if col not in exclude
    }
    text = {c: n for c, n in matches.items() if n and c not in numeric}
    numbers = {c: n for c, n in matches.items() if n and c in numeric}
    if text:
        best = max(text, key=lambda c: text[c])  # the first of the best: max keeps the first
        return best, text[best]
    if len(numbers) == 1:
        return next(iter(numbers.items()))
    if numbers:
        listed = ", ".join(repr(c) for c in numbers)
        msg = (
            f"{table.path}: the numeric columns {listed} all hold values that are unit ids; name the one with the "
            "ids with --crime-table-key."
        )
        raise InputFormatError(msg)
    sample = ", ".join(repr(s) for s in list(names.shown.values())[:3])
    columns = ", ".join(repr(str(c)) for c in table.frame.columns[:12])
    msg = (
        f"{table.path}: no column of the table holds the units' ids or names (columns {columns}; units such as "
        f"{sample}); name the column that does with --crime-table-key."
    )
    raise InputFormatError(msg)


def _category_column(table: CountTable, category: str | None) -> str | None:
    if category is not None and category in table.frame.columns:
        return category
    return find_column([str(c) for c in table.frame.columns], CATEGORY_NAMES)


def file_category(path: Path, pattern: str | None) -> str:
    """The category of a file from its name: the name without its suffix, or what ``pattern`` (a regular
    expression searched in that name) picks: its group ``category``, else its first group, else the whole match.

    Raises
    ------
    InputFormatError
        When ``pattern`` is not a regular expression or does not match the name.

    Examples
    --------
    >>> file_category(Path("robbery_2023.csv"), None)
    'robbery_2023'
    >>> file_category(Path("robbery_2023.csv"), r"^([a-z]+)_")
    'robbery'
    """
    stem = path.name[: -len(path.suffix)] if path.suffix else path.name
    if pattern is None:
        return stem
    try:
        found = re.search(pattern, stem)
    except re.error as err:
        msg = f"--crime-table-category {pattern!r} is neither a column of {path} nor a regular expression ({err})."
        raise InputFormatError(msg) from err
    if found is None:
        msg = f"{path}: --crime-table-category {pattern!r} does not match the file's name {stem!r}."
        raise InputFormatError(msg)
    if "category" in found.groupdict():
        return found.group("category")
    return found.group(1) if found.groups() else found.group(0)


def choose_columns(
    table: CountTable, names: UnitNames, *, key: str | None, count: str | None, category: str | None
) -> tuple[str, str, str | None, str]:
    """The key, count and category columns of a table (the given ones checked, the others guessed: see the
    module's docstring), and what was guessed, in words ("" when nothing was).

    Raises
    ------
    InputFormatError
        When a given column is missing, or a column cannot be guessed.
    """
    p, frame = table.path, table.frame
    columns = [str(c) for c in frame.columns]
    for what, col in (("--crime-table-key", key), ("--crime-table-count", count)):
        if col is not None and col not in columns:
            msg = f"{p}: no column {col!r} ({what}); the table's columns are {', '.join(map(repr, columns[:12]))}."
            raise InputFormatError(msg)
    cat_col = _category_column(table, category)
    exclude = (cat_col,) if cat_col else ()
    notes = []
    if key is None:
        key, matched = guess_key(table, names, exclude=(*exclude, *((count,) if count else ())))
        notes.append(f"the column {key!r} as the units' ids or names (it matches {matched} of {len(frame)} rows)")
    if count is None:
        numeric = numeric_columns(frame, exclude=(key, *exclude))
        if len(numeric) != 1:
            found = (
                f"several numeric columns ({', '.join(repr(c) for c in numeric)})"
                if numeric
                else f"no numeric column besides the key (columns {', '.join(repr(c) for c in columns[:12])})"
            )
            msg = f"{p}: {found}; name the column with the crime counts with --crime-table-count."
            raise InputFormatError(msg)
        count = numeric[0]
        notes.append(f"the column {count!r} as the crime counts (the only numeric column)")
    return key, count, cat_col, " and ".join(notes)


def _match_rows(
    table: CountTable, names: UnitNames, key: str, keep: np.ndarray, values: pd.Series
) -> tuple[list[Any], list[tuple[str, str, str, str]], list[str], float]:
    """The unit of each row of ``table`` still kept (None for the others), the rows set aside (an empty key, a name
    of several units, a key of no unit: ``keep`` turned False for them), the unmatched keys as shown (with the
    closest unit names) and the crimes they hold."""
    p, labels = table.path, table.labels
    unit_of: list[Any] = [None] * len(table.frame)
    rejected: list[tuple[str, str, str, str]] = []
    unmatched: list[str] = []
    crimes = 0.0
    for i, v in enumerate(table.frame[key].tolist()):
        if not keep[i]:
            continue
        text = key_text(v)
        unit = names.find(v) if text else None
        if unit is not None:
            unit_of[i] = unit
            continue
        keep[i] = False
        norm = normalise_name(v)
        if not text:
            rejected.append((p.name, labels[i], f"no unit id or name (column {key!r} is empty)", ""))
        elif norm in names.ambiguous:
            shown = f"{text} ({', '.join(names.ambiguous[norm])})"
            rejected.append((p.name, labels[i], "the name matches several units", shown))
        else:
            close = names.closest(v)
            shown = f"{text!r} (closest: {', '.join(repr(c) for c in close)})" if close else f"{text!r} (no close name)"
            rejected.append((p.name, labels[i], "no unit has this id or name", shown))
            unmatched.append(shown)
            crimes += 0.0 if np.isnan(values.iloc[i]) else float(values.iloc[i])
    return unit_of, rejected, unmatched, crimes


def join_count_table(
    table: CountTable,
    units: pd.DataFrame,
    *,
    key: str | None = None,
    count: str | None = None,
    category: str | None = None,
    categories: list[str] | None = None,
) -> TableJoin:
    """Join one table of counts to ``units`` (a frame with ``unit_id`` and the units' own columns).

    Parameters
    ----------
    table
        What :func:`read_count_table` read.
    units
        The units, with ``unit_id`` (their index is kept).
    key, count
        The table's key and count columns; guessed when None (see the module's docstring).
    category
        A column of the table holding each row's category, or a regular expression on the file's name (see
        :func:`file_category`); None: a column named like a category, else the file's name.
    categories
        Keep only the rows (or the file) whose category, case-insensitive, is one of these (``--category``).

    Returns
    -------
    TableJoin
        ``crimes`` the sum of each unit's rows (NaN for a unit without a row), ``by_category`` per category.

    Raises
    ------
    InputFormatError
        When a named column is missing, the count column cannot be guessed, or no row matches a unit.
    """
    p, frame = table.path, table.frame
    names = UnitNames.of(units)
    key, count, cat_col, guessed = choose_columns(table, names, key=key, count=count, category=category)
    warnings = (
        [f"{p.name}: guessed {guessed}; --crime-table-key and --crime-table-count choose others."] if guessed else []
    )
    if cat_col is not None:
        row_cat = pd.Series([key_text(v) for v in frame[cat_col].tolist()], index=frame.index, dtype=object)
        file_cat = None
    else:
        file_cat = file_category(p, category)
        row_cat = pd.Series(file_cat, index=frame.index, dtype=object)
    labels = np.array(table.labels, dtype=object)
    values, reasons = parse_counts(frame[count])
    keep = np.ones(len(frame), dtype=bool)
    if categories is not None:
        keep &= row_cat.str.lower().isin({c.strip().lower() for c in categories}).to_numpy()
    n_filtered = int((~keep).sum())
    offered = keep.copy()
    unit_of, rejected, unmatched, unmatched_crimes = _match_rows(table, names, key, keep, values)
    if offered.any() and all(unit_of[i] is None for i in np.flatnonzero(offered)):
        sample = ", ".join(repr(key_text(v)) for v in frame[key].head(3).tolist())
        msg = (
            f"{p}: none of the values of column {key!r} (such as {sample}) is a unit's id or name; name the column "
            "that holds them with --crime-table-key."
        )
        raise InputFormatError(msg)
    seen: dict[tuple[Any, str], str] = {}
    for i in np.flatnonzero(keep):
        pair = (unit_of[i], row_cat.iloc[i])
        if pair in seen:
            keep[i] = False
            where = f"category {row_cat.iloc[i]!r}" if cat_col else "this file"
            rejected.append(
                (
                    p.name,
                    labels[i],
                    f"another row for the same unit and {where} comes first ({seen[pair]}); the first is the one read",
                    key_text(frame[key].iloc[i]),
                )
            )
        else:
            seen[pair] = labels[i]
    unreadable = set()  # (unit, category) of rows whose count is set aside: unknown, never zero
    for i in np.flatnonzero(keep):
        if reasons.iloc[i] is not None:
            keep[i] = False
            unreadable.add((unit_of[i], row_cat.iloc[i]))
            rejected.append((p.name, labels[i], reasons.iloc[i], key_text(frame[count].iloc[i])))
    listed = pd.Series(False, index=units.index)
    listed[list({unit_of[i] for i in np.flatnonzero(offered) if unit_of[i] is not None})] = True
    kept = pd.DataFrame(
        {
            "unit": [unit_of[i] for i in np.flatnonzero(keep)],
            "category": row_cat[keep].to_numpy(),
            "crimes": values[keep].to_numpy(),
        }
    )
    if kept.empty:
        by_category = pd.DataFrame(index=units.index)
    else:
        by_category = kept.pivot_table(index="unit", columns="category", values="crimes", aggfunc="sum")
        by_category = by_category.reindex(units.index)
    if file_cat is not None and file_cat not in by_category.columns and (categories is None or keep.any()):
        by_category[file_cat] = np.nan
    for _, cat in unreadable:
        if cat not in by_category.columns:
            by_category[cat] = np.nan
    if cat_col is not None:  # the file lists the unit: a category without a row for it counts nothing
        by_category = by_category.fillna(0.0)
        by_category.loc[~listed] = np.nan
    for unit, cat in unreadable:
        by_category.loc[unit, cat] = np.nan
    by_category.columns = [str(c) for c in by_category.columns]
    crimes = by_category.sum(axis=1, min_count=1).where(by_category.notna().any(axis=1))
    if unmatched:
        n = len(unmatched)
        names_shown = "; ".join(unmatched[:10]) + (f"; and {n - 10} more (see rejected.csv)" if n > 10 else "")
        warnings.append(
            f"{p.name}: {n} {'rows name' if n > 1 else 'row names'} no unit of the study, so "
            f"{unmatched_crimes:,.0f} crimes are not counted: {names_shown}."
        )
    counts = {
        "rows_read": len(frame),
        "rows_joined": int(keep.sum()),
        "rows_unmatched": len(unmatched),
        "rows_filtered_category": n_filtered,
        "rows_set_aside": len(rejected),
        "crimes_unmatched": unmatched_crimes,
    }
    meta = {
        "file": p.name,
        "format": table.format,
        "key_column": key,
        "key_guessed": "the units' ids" in guessed,
        "count_column": count,
        "count_guessed": "the crime counts" in guessed,
        "category_column": cat_col,
        "category": file_cat,
        "categories_found": sorted(set(row_cat.tolist())),
    }
    return TableJoin(crimes, by_category, rejected_frame(rejected), counts, meta, warnings, listed)


def crimes_from_tables(
    paths: list[str | Path | pd.DataFrame] | tuple[str | Path | pd.DataFrame, ...],
    units: pd.DataFrame,
    *,
    key: str | None = None,
    count: str | None = None,
    category: str | None = None,
    categories: list[str] | None = None,
    complete: bool = False,
) -> TableJoin:
    """Crimes per unit from one or several tables of counts (one per category or year), summed.

    Each file (or DataFrame) is read (:func:`table_of`) and joined (:func:`join_count_table`) with the same options; a
    unit's crimes are the sum over the files, unknown (NaN) when a file has no count for it, unless ``complete``:
    then a unit without a count in a file has 0 from it, counted (``units_missing_taken_as_zero``) and stated.

    Formula: ``crimes_u = Σ_f Σ_{rows r of f joined to u} count_r``.

    Raises
    ------
    InputFormatError
        From the reader and the join; when two files have the same category (one would be counted twice).
    """
    if not paths:
        msg = "no crime table given."
        raise InputFormatError(msg)
    joins = [
        join_count_table(table_of(p, i), units, key=key, count=count, category=category, categories=categories)
        for i, p in enumerate(paths)
    ]
    parts: list[pd.DataFrame] = []
    seen: dict[str, str] = {}
    for j in joins:
        if j.meta["category_column"] is not None:  # categories of a column: told apart by the file's name
            clash = [c for c in j.by_category.columns if c in seen]
            stem = file_category(Path(j.meta["file"]), None)
            j.by_category = j.by_category.rename(columns={c: f"{c} ({stem})" for c in clash})
        for col in j.by_category.columns:
            if col in seen:
                msg = (
                    f"{j.meta['file']}: its category {col!r} is also that of {seen[col]}; each file must hold its own "
                    "category or year (name them apart, or give --crime-table-category)."
                )
                raise InputFormatError(msg)
            seen[col] = j.meta["file"]
        parts.append(j.by_category)
    by_category = pd.concat(parts, axis=1) if parts else pd.DataFrame(index=units.index)
    # a unit without a row in a file (which a complete table counts as 0), apart from one whose row was set aside
    absent = (
        pd.concat(
            [pd.DataFrame(dict.fromkeys(j.by_category.columns, ~j.listed), index=units.index) for j in joins], axis=1
        )
        if parts
        else pd.DataFrame(index=units.index)
    )
    if by_category.empty or not len(by_category.columns):
        found = sorted({str(c) for j in joins for c in j.meta["categories_found"]})
        msg = (
            f"no row of the crime tables is left after the category filter (--category {', '.join(categories or [])}); "
            f"their categories are {', '.join(found[:12])}."
        )
        raise InputFormatError(msg)
    warnings = _one_guess_sentence(joins)
    n_zero = 0
    if complete:
        zero = by_category.isna() & absent.reindex(columns=by_category.columns).fillna(False).astype(bool)
        n_zero = int(zero.any(axis=1).sum())
        by_category = by_category.mask(zero, 0.0)
        if n_zero:
            warnings.append(
                f"{n_zero} of {len(units)} units have no row in some crime table and are taken to have 0 crimes "
                "there (--crime-table-complete: the tables are declared complete)."
            )
    missing = by_category.isna().any(axis=1)
    n_missing = int(missing.sum())
    if n_missing:
        ids = ", ".join(repr(key_text(u)) for u in units.loc[missing, "unit_id"].head(10))
        more = ", ..." if n_missing > 10 else ""
        warnings.append(
            f"{n_missing} of {len(units)} units have a row whose count was set aside (see rejected.csv), so their "
            f"crime is unknown (not zero): {ids}{more}."
            if complete
            else f"{n_missing} of {len(units)} units have no count in the crime tables, so their crime is unknown "
            f"(not zero): {ids}{more}. If a missing unit means no crime, say so with --crime-table-complete."
        )
    crimes = by_category.sum(axis=1, min_count=1).where(~by_category.isna().any(axis=1))
    counts: dict[str, Any] = {}
    for j in joins:
        for k, v in j.counts.items():
            counts[k] = counts.get(k, 0) + v
    counts["units_without_count"] = n_missing
    counts["units_missing_taken_as_zero"] = n_zero
    meta = {
        "format": "table of counts per unit",
        "files": [j.meta for j in joins],
        "categories": [str(c) for c in by_category.columns],
        "complete": complete,
        "crimes_by_category": {str(c): float(by_category[c].sum()) for c in by_category.columns},
    }
    rejected = pd.concat([j.rejected for j in joins], ignore_index=True)
    return TableJoin(crimes, by_category, rejected, counts, meta, warnings)


def _one_guess_sentence(joins: list[TableJoin]) -> list[str]:
    """The joins' warnings, the guesses of the key and count columns said once when every file had the same."""
    prefixes = [f"{j.meta['file']}: guessed " for j in joins]
    guesses = [
        next((_MATCHED.sub("", w[len(pre) :]) for w in j.warnings if w.startswith(pre)), None)
        for j, pre in zip(joins, prefixes, strict=True)
    ]
    if len(joins) < 2 or guesses[0] is None or any(g != guesses[0] for g in guesses):
        return [w for j in joins for w in j.warnings]
    files = ", ".join(j.meta["file"] for j in joins)
    rest = [w for j, pre in zip(joins, prefixes, strict=True) for w in j.warnings if not w.startswith(pre)]
    return [f"{len(joins)} tables ({files}): guessed in each {guesses[0]}", *rest]


def looks_like_count_table(path: Path) -> bool:
    """Whether a file given as incident points is a table of counts per unit: a JSON list of records (or a
    wrapper of one) that is not GeoJSON, or an Excel workbook, or a CSV without coordinate columns but with a
    numeric column."""
    try:
        if path.stat().st_size > IN_MEMORY_BYTES:  # not read whole to give a hint: a table of counts is small
            return False
        table = read_count_table(path)
    except (InputFormatError, InputFileError, OSError):
        return False
    columns = [str(c) for c in table.frame.columns]
    if find_column(columns, LON_NAMES) is not None and find_column(columns, LAT_NAMES) is not None:
        return False  # incident points whose rows were refused for another reason
    return bool(numeric_columns(table.frame))


def crime_table_ledger(study: Any, tables: list[Any], units: pd.DataFrame, ledger: Any) -> pd.Series:
    """Crimes per unit from the study's tables of counts (:func:`crimes_from_tables` with the study's
    ``crime_table_*`` options and ``categories``), with what the join decided recorded in ``ledger``: the facts
    (``sources["crime"]``), the counts (``crime_table_*``), the rows set aside and the warnings.

    A file given as incident points (``study.crime``) that is a table of counts comes here too: it is joined the
    same way, with a warning that says so; when it cannot be joined, the error names ``--crime-table``.
    """
    given_as_points = getattr(study, "crime", None) is not None
    if getattr(study, "since", None) or getattr(study, "until", None):
        msg = (
            f"{tables[0] if isinstance(tables[0], Path) else 'The crime table'}: a table of counts per unit has no "
            "incident dates for --since and --until to filter; "
            "give a table of the period wanted (and label it with --period)."
        )
        raise InputFormatError(msg)
    try:
        join = crimes_from_tables(
            tables,
            units,
            key=getattr(study, "crime_table_key", None),
            count=getattr(study, "crime_table_count", None),
            category=getattr(study, "crime_table_category", None),
            categories=getattr(study, "categories", None),
            complete=bool(getattr(study, "crime_table_complete", False)),
        )
    except InputFormatError as err:
        if not given_as_points:
            raise
        reason = re.sub(r"; (name|give) [^;]*--crime-table-\w+[^;]*\.$", "", str(err).removeprefix(f"{tables[0]}: "))
        msg = (
            f"{tables[0]}: a table of counts per unit, not incident points, that cannot be joined to the units as it "
            f"is ({reason.rstrip('.')}); give it with --crime-table, naming its columns with --crime-table-key and "
            "--crime-table-count."
        )
        raise InputFormatError(msg) from err
    if given_as_points:
        ledger.warn(
            f"{tables[0].name}: given as incident points (--crime), it is a table of counts per unit; it was joined "
            "to the units as --crime-table would join it."
        )
    ledger.source("crime", join.meta)
    ledger.reject(join.rejected)
    for key, value in join.counts.items():
        ledger.count(f"crime_table_{key}", value)
    ledger.count("crime_categories", {k: round(v) for k, v in join.meta["crimes_by_category"].items()})
    for message in join.warnings:
        ledger.warn(message)
    return join.crimes
