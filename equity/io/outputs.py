"""Writers of one analysis folder: units and cameras (GeoPackage and CSV), map, report, manifest, rejected
rows. Every file is first written into a staging folder beside its final place and renamed into place only
when all of them are written, so that a failed run leaves the previous outputs whole.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import platform
import re
import shutil
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd

from equity._errors import OutputError
from equity.citywide import city_totals
from equity.projection import to_metric, to_wgs84

MANIFEST = "manifest.json"

#: The lock file of an output folder (:func:`output_lock`).
LOCK_FILE = ".equity.lock"
PERSONAL_DATA_NOTE = (
    "INTERNAL ANALYSIS: these outputs hold personal data (homes, and the cameras that see each one). "
    "Do not publish them; the public mode (--privacy public) aggregates homes by camera and by unit."
)
OUTPUT_FILES = (
    "operators.csv",
    "operators_by_unit.csv",
    "units.gpkg",
    "units.csv",
    "cameras.gpkg",
    "cameras.csv",
    "map.html",
    "report.html",
    "manifest.json",
    "rejected.csv",
)
#: Written only when the study has groups of residents (``--groups``); removed otherwise, so that an earlier run's
#: groups never stand beside another run's units.
GROUP_FILES = ("groups.csv", "group_ratios.csv")
#: The folder of the unit pages inside the analysis folder: ``units/index.html`` and a page per unit.
UNIT_PAGES_DIR = "units"
#: What a unit page's file name may be: the safe slugs of :func:`equity.presentation.unit_page.unit_slugs`.
UNIT_PAGE_NAME = re.compile(r"^[a-z0-9][a-z0-9-]{0,79}\.html$")
_VERSIONS_OF = ("equity", "geopandas", "shapely", "pyogrio", "pyproj", "osmium", "folium", "pandas", "numpy")


def sha256_of(path: Path) -> str:
    """SHA-256 of a file's bytes, read in 1 MiB blocks."""
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def versions() -> dict[str, str]:
    """Versions of Python and of the libraries whose behaviour shapes the results."""
    out = {"python": platform.python_version()}
    for name in _VERSIONS_OF:
        try:
            out[name] = version(name)
        except PackageNotFoundError:
            continue
    return out


def check_output_dir(out: Path, inputs: dict[str, Path], *, force: bool) -> None:
    """Refuse to write into a folder that holds something other than an earlier run of the same study.

    A folder is the same study's when its ``manifest.json`` names the same input files (by role and path).
    An existing folder without a manifest but with files in it is someone else's. ``force`` overrides.
    """
    written = {(out / name).resolve() for name in (*OUTPUT_FILES, *GROUP_FILES, "homes.gpkg")}
    files = {role: p for role, p in inputs.items() if isinstance(p, Path)}  # not the frames held in memory
    clash = sorted(str(p) for p in files.values() if p.resolve() in written)
    pages = (out / UNIT_PAGES_DIR).resolve()
    clash += sorted(str(p) for p in files.values() if p.resolve().is_relative_to(pages))
    if clash:
        msg = f"{out}: writing the outputs there would replace the input {clash[0]}; choose another --out."
        raise OutputError(msg)
    if force or not out.exists():
        return
    if not out.is_dir():
        msg = f"{out}: exists and is not a folder; choose another --out."
        raise OutputError(msg)
    entries = [p for p in out.iterdir() if not p.name.startswith(".")]
    if not entries:
        return
    manifest = out / MANIFEST
    if not manifest.exists():
        msg = f"{out}: the folder is not empty and holds no equity manifest; choose another --out or add --force."
        raise OutputError(msg)
    try:
        text = manifest.read_text(encoding="utf-8")
    except (UnicodeDecodeError, OSError) as err:  # not text, a folder, unreadable: not an equity manifest
        why = "not UTF-8 text" if isinstance(err, UnicodeDecodeError) else (err.strerror or str(err)).lower()
        msg = (
            f"{out}: its {MANIFEST} cannot be read as an equity manifest ({why}); choose another --out "
            "or add --force to replace the folder's outputs."
        )
        raise OutputError(msg) from err
    try:
        old = json.loads(text)
        old_inputs = {role: item["path"] for role, item in old.get("inputs", {}).items()}
    except (json.JSONDecodeError, RecursionError, KeyError, TypeError, AttributeError):
        old_inputs = None
    new_inputs = {role: str(p.resolve()) if isinstance(p, Path) else p.name for role, p in inputs.items()}
    if old_inputs != new_inputs:
        msg = (
            f"{out}: holds the results of a different study (other input files); choose another --out "
            "or add --force to replace them."
        )
        raise OutputError(msg)


def manifest_dict(result: Any, extra: dict[str, Any] | None = None) -> dict[str, Any]:
    """The provenance of one analysis: inputs with their hashes, settings, versions, counts, data dates."""
    inputs = {
        role: {"path": str(p.resolve()), "name": p.name, "bytes": p.stat().st_size, "sha256": sha256_of(p)}
        if isinstance(p, Path)
        else p.record()  # a frame held in memory (equity.io.frames.FrameSource): its kind, rows and hash
        for role, p in result.study.inputs().items()
    }
    study = result.study
    options = {
        "unit_id": result.meta.get("units", {}).get("id_column"),
        "crime_columns": study.crime_columns,
        "crime_rates": getattr(study, "crime_rates", None),
        "crime_rate_per": getattr(study, "crime_rate_per", None),
        "camera_counts": getattr(study, "camera_counts", None),
        "camera_tags": getattr(study, "camera_tags", None),
        "groups": None if not getattr(study, "groups", None) else {g.name: g.definition for g in study.groups},
        "rank_by": getattr(study, "rank_by", None),
        "categories": study.categories,
        "since": study.since,
        "until": study.until,
        "population": None if study.population is None else str(study.population),
        "population_column": study.population_column,
        "buildings": None if study.buildings is None else str(study.buildings),
        "streets": None if study.streets is None else str(study.streets),
        "dem": None if study.dem is None else str(study.dem),
        "dem_fill": study.dem_fill,
        "land": None if study.land is None else str(study.land),
        "home_column": study.home_column,
    }
    outputs = (
        list(OUTPUT_FILES)
        + (list(GROUP_FILES) if result.groups is not None else [])
        + (["homes.gpkg"] if result.personal_data else [])
    )
    return {
        "equity_manifest": 1,
        "name": study.name,
        "privacy": study.privacy,
        "personal_data": result.personal_data,
        **({"personal_data_note": PERSONAL_DATA_NOTE} if result.personal_data else {}),
        "inputs": inputs,
        "options": options,
        "settings": result.settings.to_dict(),
        "metric_crs": result.crs.to_string(),
        "osm_timestamp": result.meta.get("cameras", {}).get("osm_timestamp"),
        "sources": result.meta,
        "counts": result.counts,
        "warnings": list(result.ledger.warnings),
        "city_measures": [e.to_dict() for e in result.city],
        "sensitivity": None
        if result.sensitivity is None
        else {
            "variants": [c for c in result.sensitivity.classes.columns if c != "baseline"],
            "not_run": result.sensitivity.skipped,
            "uncertain_units": result.sensitivity.uncertain,
        },
        "groups": _groups_manifest(result),
        "rank_by": None
        if result.rank_concentration is None
        else {
            "column": result.rank_concentration.column,
            "measures": [e.to_dict() for e in result.rank_concentration.estimates],
        },
        "uncertainty": None
        if getattr(result, "uncertainty", None) is None
        else {
            "draws": result.uncertainty.draws,
            "seed": result.uncertainty.seed,
            "robust_probability": result.uncertainty.threshold,
            "uncertain_units": result.uncertainty.uncertain,
            "scenarios": result.uncertainty.scenarios.to_dict("records"),
            "city_measures": result.uncertainty.measures.to_dict("records"),
        },
        "scales": None if getattr(result, "scales", None) is None else result.scales.to_dict("records"),
        "versions": versions(),
        "outputs": outputs,
        **(extra or {}),
    }


def _groups_manifest(result: Any) -> dict[str, Any] | None:
    """The groups of residents of the manifest: their definitions, the minimum, the groups left out, the
    comparison the report states, and groups.csv's rows."""
    g = result.groups
    if g is None:
        return None
    s = result.settings
    return {
        "definitions": {spec.name: spec.definition for spec in result.study.groups},
        "min_population": s.group_min_population,
        "not_reported": g.not_reported,
        "measures": list(g.measures),
        "headline": g.headline,
        "intervals": "95% percentile intervals of a seeded bootstrap over units (units treated as a sample of places); "
        "not margins of error of the census estimates",
        "table": _round_floats(g.table).to_dict(orient="records"),
    }


def _json_default(value: Any) -> Any:
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, np.floating):
        return float(value)
    if isinstance(value, (pd.Timestamp,)):
        return value.isoformat()
    if isinstance(value, Path):
        return str(value)
    return str(value)


def units_for_output(result: Any) -> gpd.GeoDataFrame:
    """The units table as written: WGS84, floats rounded to 6 significant decimals for stable files."""
    units = to_wgs84(result.units)
    return _round_floats(units)


def cameras_for_output(result: Any) -> gpd.GeoDataFrame:
    """The camera-view table as written: WGS84 points with ``lon``/``lat`` columns."""
    views = to_wgs84(result.views).reset_index(drop=True)
    views.insert(len(views.columns) - 1, "lon", views.geometry.x.round(7))
    views.insert(len(views.columns) - 1, "lat", views.geometry.y.round(7))
    return _round_floats(views)


@dataclass(frozen=True)
class AnalysisTables:
    """The written tables of one analysis that its unit pages show, read back from the folder
    (:func:`equity.io.analysis_folder.read_analysis`) or handed over while the folder is written.

    Attributes
    ----------
    units : geopandas.GeoDataFrame
        The units table as written (``units.gpkg``), projected to the analysis's metric CRS.
    cameras : geopandas.GeoDataFrame
        The camera-view table as written (``cameras.gpkg``, one row per view), in the same CRS.
    operators_by_unit : pandas.DataFrame
        ``operators_by_unit.csv``: cameras and area in view per unit and operator.
    manifest : dict
        ``manifest.json``: the settings, the data's dates, the sources.
    city : dict of str to float
        The city's totals and rates over the units (:func:`equity.citywide.city_totals`).
    folder : pathlib.Path or None
        The analysis folder, when the tables were read from one.
    """

    units: gpd.GeoDataFrame
    cameras: gpd.GeoDataFrame
    operators_by_unit: pd.DataFrame
    manifest: dict[str, Any]
    city: dict[str, float] = field(default_factory=dict)
    folder: Path | None = None


def analysis_tables(
    units: gpd.GeoDataFrame,
    cameras: gpd.GeoDataFrame,
    operators_by_unit: pd.DataFrame,
    manifest: dict[str, Any],
    *,
    folder: Path | None = None,
) -> AnalysisTables:
    """The tables of a unit page from the tables as written: the layers projected to the manifest's
    ``metric_crs`` (for the static maps, north up in metres), the city's totals computed from the units."""
    crs = manifest.get("metric_crs")
    units_m = to_metric(units, crs) if crs else to_metric(units)
    cameras_m = to_metric(cameras, units_m.crs)
    return AnalysisTables(units_m, cameras_m, operators_by_unit, manifest, city_totals(units), folder)


def homes_for_output(result: Any) -> gpd.GeoDataFrame:
    """Homes with the number of camera views that see each (internal analyses only: personal data)."""
    homes = result.homes
    gdf = gpd.GeoDataFrame(
        {
            "building_id": homes["building_id"].to_numpy(),
            "home": homes["home"].to_numpy(),
            "building": homes["building"].to_numpy(),
            "seen_by": homes["seen_by"].to_numpy(),
        },
        geometry=homes.geometry.to_numpy(),
        crs=homes.crs,
    )
    return to_wgs84(gdf)


def sectors_for_output(result: Any) -> gpd.GeoDataFrame:
    """Field-of-view polygons of the views that count, WGS84, keyed by ``view_id``."""
    keep = result.sectors.notna()
    gdf = gpd.GeoDataFrame(
        {
            "view_id": result.views.loc[keep, "view_id"].to_numpy(),
            "camera_id": result.views.loc[keep, "camera_id"].to_numpy(),
        },
        geometry=result.sectors[keep].to_numpy(),
        crs=result.crs,
    )
    return to_wgs84(gdf)


def _round_floats(frame: pd.DataFrame) -> pd.DataFrame:
    """Floats rounded to 6 decimals, so that the files do not change with the last bits of a computation."""
    frame = frame.copy()
    for col in frame.columns:
        if pd.api.types.is_float_dtype(frame[col]):
            frame[col] = frame[col].round(6)
    return frame


#: The first characters with which a spreadsheet takes a cell for a formula (or, tab and carriage return, which
#: some spreadsheets drop before looking at the next one).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_safe(value: object) -> object:
    """A text cell as a spreadsheet shows it and never runs it: text that begins with ``=``, ``+``, ``-``, ``@``,
    a tab or a carriage return gets a leading apostrophe (``'=1+1``), which a spreadsheet takes for "this is
    text" and does not show. Numbers, and text that begins otherwise, are unchanged.

    Examples
    --------
    >>> spreadsheet_safe("=1+1"), spreadsheet_safe("-3"), spreadsheet_safe(-3.0), spreadsheet_safe("Mission")
    ("'=1+1", "'-3", -3.0, 'Mission')
    """
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def write_csv(frame: pd.DataFrame, path: Path) -> None:
    """Write a table as CSV (UTF-8, Unix line ends, no index), every text cell made safe for spreadsheets by
    :func:`spreadsheet_safe`; the column names too. GeoPackages keep the raw text."""
    frame = frame.copy()
    for col in frame.columns:
        if frame[col].dtype == object or pd.api.types.is_string_dtype(frame[col]):
            frame[col] = frame[col].map(spreadsheet_safe)
    frame.columns = [spreadsheet_safe(str(c)) for c in frame.columns]
    frame.to_csv(path, index=False, lineterminator="\n")


def _write_gpkg(gdf: gpd.GeoDataFrame, path: Path, layer: str, append: bool = False) -> None:
    """Write one layer of a GeoPackage; GDAL's failures (a full disk) are raised as :class:`OSError`, as Python's
    own writes raise them."""
    import pyogrio
    from pyogrio.errors import DataLayerError, DataSourceError, FieldError, GeometryError

    try:
        pyogrio.write_dataframe(gdf, path, layer=layer, driver="GPKG", append=append)
    except (DataSourceError, DataLayerError, FieldError, GeometryError) as err:
        raise OSError(str(err).splitlines()[0] if str(err) else type(err).__name__) from err


def write_outputs(
    result: Any,
    out: str | Path,
    *,
    map_html: str,
    report_html: str,
    force: bool = False,
    manifest_extra: dict[str, Any] | None = None,
    unit_pages: Callable[[AnalysisTables], dict[str, str]] | None = None,
) -> dict[str, Path]:
    """Write the analysis folder atomically and return the paths written by name.

    ``unit_pages`` builds the unit pages from the tables as written (:class:`AnalysisTables`): a dict of file
    name (``index.html`` and a safe slug per unit, :data:`UNIT_PAGE_NAME`) to HTML, written into ``units/``
    beside the other files and put in place with them (the earlier ``units/`` folder is replaced as a whole).
    Without it an earlier run's ``units/`` folder is removed, so that its pages never stand beside other units.

    All files are written into a hidden staging folder inside ``out``; only when every one is complete are
    they renamed into place (``os.replace``, atomic on one file system). On any failure the staging folder
    is removed and the earlier outputs stay as they were. The folder is locked for the check and the writing
    (:func:`output_lock`): a second run that writes to the same folder waits, then finds the first one's
    outputs and refuses to replace them unless they are its own study's (or ``force``). Staging folders that a
    killed run left behind are removed under the lock.
    """
    out = Path(out)
    with output_lock(out, result.study):
        return _write_locked(result, out, map_html, report_html, force, manifest_extra, unit_pages)


def output_lock(out: Path, study: Any) -> contextlib.AbstractContextManager[None]:
    """Hold the output folder for one run: an exclusive ``flock`` on ``out/.equity.lock`` (the folder is created
    when it does not exist), which names the run (process, study, inputs) for whoever looks, and is removed
    when the run ends; the system releases it when the process dies. A run that finds the lock file replaced
    while it waited locks the new one, so two runs never hold the folder at once. Where ``fcntl`` is missing
    (Windows), the folder is not locked."""

    @contextlib.contextmanager
    def held() -> Iterator[None]:
        try:
            exists, is_dir, is_link = out.exists(), out.is_dir(), out.is_symlink()
        except OSError as err:  # a name too long for the system, ...
            msg = f"{out}: cannot be used as the output folder ({err.strerror or err}); choose another --out."
            raise OutputError(msg) from err
        if is_link and not exists:
            msg = (
                f"{out}: is a symbolic link that leads to no folder (a loop of links, or a missing target); "
                "choose another --out."
            )
            raise OutputError(msg)
        if exists and not is_dir:
            msg = f"{out}: exists and is not a folder; choose another --out."
            raise OutputError(msg)
        created = not exists
        try:
            out.mkdir(parents=True, exist_ok=True)
            fh = _locked(out / LOCK_FILE)
        except OSError as err:
            msg = f"{out}: cannot create the output folder ({err.strerror or err})."
            raise OutputError(msg) from err
        try:
            names = {role: str(p) for role, p in study.inputs().items()}
            fh.write(json.dumps({"pid": os.getpid(), "study": study.name, "inputs": names}) + "\n")
            fh.flush()
            yield
        finally:
            (out / LOCK_FILE).unlink(missing_ok=True)  # before the lock goes, so no one locks a removed file
            fh.close()
            if created and not any(out.iterdir()):  # a refused run leaves no folder behind
                out.rmdir()

    return held()


def _locked(path: Path) -> Any:
    """The lock file at ``path``, opened and locked (exclusively, waiting for another run to end)."""
    while True:
        fh = open(path, "a+", encoding="utf-8")  # noqa: SIM115 (returned open, held until the run ends)
        try:
            import fcntl
        except ImportError:  # pragma: no cover - not POSIX
            return fh
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            if os.stat(path).st_ino == os.fstat(fh.fileno()).st_ino:
                fh.seek(0)
                fh.truncate()
                return fh
        except FileNotFoundError:
            pass
        fh.close()  # the file was removed by the run that held it: lock the new one


def _write_locked(
    result: Any,
    out: Path,
    map_html: str,
    report_html: str,
    force: bool,
    manifest_extra: dict[str, Any] | None,
    unit_pages: Callable[[AnalysisTables], dict[str, str]] | None = None,
) -> dict[str, Path]:
    check_output_dir(out, result.study.inputs(), force=force)
    for stale in out.glob(".equity-staging-*"):  # left by a run that was killed: no run holds the lock
        shutil.rmtree(stale, ignore_errors=True)
    try:
        staging = Path(tempfile.mkdtemp(prefix=".equity-staging-", dir=out))
    except OSError as err:
        msg = f"{out}: cannot create the output folder ({err.strerror or err})."
        raise OutputError(msg) from err
    try:
        manifest = manifest_dict(result, manifest_extra)
        pages = _unit_pages(result, manifest, unit_pages)
        if pages is not None:
            manifest["outputs"].append(f"{UNIT_PAGES_DIR}/")
            manifest["unit_pages"] = {"folder": f"{UNIT_PAGES_DIR}/", "files": len(pages)}
        writers: dict[str, Callable[[Path], None]] = {
            "units.gpkg": lambda p: _write_gpkg(units_for_output(result), p, "units"),
            "units.csv": lambda p: write_csv(units_for_output(result).drop(columns="geometry"), p),
            "cameras.gpkg": lambda p: (
                _write_gpkg(cameras_for_output(result), p, "cameras"),
                _write_gpkg(sectors_for_output(result), p, "fields_of_view", append=True)
                if result.sectors.notna().any()
                else None,
            ),
            "cameras.csv": lambda p: write_csv(cameras_for_output(result).drop(columns="geometry"), p),
            "map.html": lambda p: p.write_text(map_html, encoding="utf-8"),
            "report.html": lambda p: p.write_text(report_html, encoding="utf-8"),
            "rejected.csv": lambda p: write_csv(result.rejected, p),
            "operators.csv": lambda p: write_csv(_round_floats(result.operators), p),
            "operators_by_unit.csv": lambda p: write_csv(_round_floats(result.operators_by_unit), p),
            **(
                {
                    "groups.csv": lambda p: write_csv(_round_floats(result.groups.table), p),
                    "group_ratios.csv": lambda p: write_csv(_round_floats(result.groups.ratios), p),
                }
                if result.groups is not None
                else {}
            ),
            **(
                {"homes.gpkg": lambda p: _write_gpkg(homes_for_output(result), p, "homes")}
                if result.personal_data
                else {}
            ),
            "manifest.json": lambda p: p.write_text(
                json.dumps(
                    manifest,
                    indent=2,
                    sort_keys=False,
                    default=_json_default,
                    ensure_ascii=False,
                )
                + "\n",
                encoding="utf-8",
            ),
        }
        for name, write in writers.items():
            write(staging / name)
        if pages is not None:
            (staging / UNIT_PAGES_DIR).mkdir()
            for name, text in pages.items():
                (staging / UNIT_PAGES_DIR / name).write_text(text, encoding="utf-8")
        written = {}
        for name in writers:
            os.replace(staging / name, out / name)
            written[name] = out / name
        _replace_unit_pages(out, staging, pages is not None)
        if pages is not None:
            written[f"{UNIT_PAGES_DIR}/index.html"] = out / UNIT_PAGES_DIR / "index.html"
        if not result.personal_data:  # an earlier internal run's homes must not stay beside public outputs
            (out / "homes.gpkg").unlink(missing_ok=True)
        if result.groups is None:  # nor an earlier run's groups beside another run's units
            for name in GROUP_FILES:
                (out / name).unlink(missing_ok=True)
        return written
    except OSError as err:
        msg = f"{out}: cannot write the outputs ({err.strerror or err}); the earlier outputs are unchanged."
        raise OutputError(msg) from err
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def _unit_pages(
    result: Any, manifest: dict[str, Any], build: Callable[[AnalysisTables], dict[str, str]] | None
) -> dict[str, str] | None:
    """The unit pages built from the tables as they are written, their file names checked."""
    if build is None:
        return None
    tables = analysis_tables(
        units_for_output(result),
        cameras_for_output(result),
        _round_floats(result.operators_by_unit) if result.operators_by_unit is not None else pd.DataFrame(),
        manifest,
    )
    pages = build(tables)
    bad = sorted(name for name in pages if not UNIT_PAGE_NAME.match(name))
    if bad or "index.html" not in pages:  # a bug of the builder, not of the input: never write outside units/
        msg = f"unit pages with unsafe file names {bad!r}" if bad else "unit pages without index.html"
        raise ValueError(msg)
    return pages


def _replace_unit_pages(out: Path, staging: Path, written: bool) -> None:
    """Put the staged ``units/`` folder in place of the earlier one (moved into the staging folder, which is
    removed after), or remove the earlier one when no pages were written."""
    target = out / UNIT_PAGES_DIR
    if target.is_symlink() or target.is_file():
        target.unlink()
    elif target.exists():
        os.replace(target, staging / f"{UNIT_PAGES_DIR}.old")
    if written:
        os.replace(staging / UNIT_PAGES_DIR, target)


def write_text_atomic(path: str | Path, text: str) -> Path:
    """Write a text file through a temporary file in the same folder and a rename."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def write_views(views: gpd.GeoDataFrame, path: str | Path) -> Path:
    """Write a camera-view table to CSV, GeoPackage or GeoJSON (by extension), atomically, in WGS84."""
    import pyogrio

    path = Path(path)
    suffix = path.suffix.lower()
    gdf = _round_floats(to_wgs84(views).reset_index(drop=True))
    if suffix not in (".csv", ".gpkg", ".geojson", ".json"):
        msg = f"{path}: unknown output format {suffix!r}; use .csv, .gpkg or .geojson."
        raise OutputError(msg)
    tmp: Path | None = None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp_name = tempfile.mkstemp(prefix=f".{path.stem}.", suffix=suffix, dir=path.parent)
        os.close(fd)
        tmp = Path(tmp_name)
        if suffix == ".csv":
            gdf.insert(len(gdf.columns) - 1, "lon", gdf.geometry.x.round(7))
            gdf.insert(len(gdf.columns) - 1, "lat", gdf.geometry.y.round(7))
            write_csv(gdf.drop(columns="geometry"), tmp)
        else:
            tmp.unlink()
            # the layer is named after the file (not the temporary file), in the letters GeoPackage allows
            layer = re.sub(r"[^A-Za-z0-9_]", "_", path.stem).strip("_") or "cameras"
            if suffix == ".gpkg":
                _write_gpkg(gdf, tmp, layer)
            else:
                pyogrio.write_dataframe(gdf, tmp, layer=layer, driver="GeoJSON")
        os.replace(tmp, path)
    except OSError as err:
        msg = f"{path}: cannot write the output ({err.strerror or err})."
        raise OutputError(msg) from err
    finally:
        if tmp is not None:
            tmp.unlink(missing_ok=True)
    return path
