"""The command line: argument parsing, logging set-up and exit codes; the work is done by the library.

Exit codes: 0 success; 2 bad input (one plain sentence naming the file, the row or field and what was
expected; ``--debug`` adds the traceback); 1 an unexpected internal error.
"""

from __future__ import annotations

import logging
import os
import sys
import time
from pathlib import Path
from typing import Any

import click

from equity._errors import EquityError
from equity._terminal import terminal_text
from equity.engine import TILE_CELLS
from equity.settings import DETAIL_LEVEL_MEANING, DETAIL_LEVELS_PX_PER_M, Settings

log = logging.getLogger("equity")

EXIT_BAD_INPUT = 2
EXIT_INTERNAL = 1


class _TerminalFormatter(logging.Formatter):
    """Log records as terminal-safe text (see :func:`equity._terminal.terminal_text`)."""

    def format(self, record: logging.LogRecord) -> str:
        return terminal_text(super().format(record).rstrip("\n"))


class _StderrHandler(logging.StreamHandler):
    """A handler that writes to the standard error of the moment (a test's runner replaces it for each run)."""

    @property
    def stream(self) -> Any:  # type: ignore[override]
        return sys.stderr

    @stream.setter
    def stream(self, value: Any) -> None:
        pass


def _echo(text: str, *, err: bool = False, limit: int | None = 1000) -> None:
    """Write a line of the command line's output; its text goes through :func:`terminal_text` (``limit``: the
    line's most characters, None for a line of values shortened each)."""
    click.echo(terminal_text(text, limit), err=err)


def configure_logging(verbosity: int) -> None:
    """Send the library's log records to stderr: warnings by default, more with -v."""
    level = logging.WARNING - 10 * verbosity
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(_TerminalFormatter("%(levelname)s: %(message)s"))
    root = logging.getLogger("equity")
    root.handlers[:] = [handler]
    root.setLevel(max(level, logging.DEBUG))
    # the records of other libraries (GDAL's through pyogrio) and Python's warnings, which no handler takes
    fallback = _StderrHandler()
    fallback.setLevel(logging.WARNING)
    fallback.setFormatter(_TerminalFormatter("%(message)s"))
    logging.lastResort = fallback
    logging.captureWarnings(True)
    logging.getLogger("py.warnings").handlers[:] = [fallback]  # else captureWarnings gives it a handler of nothing


class _Group(click.Group):
    """A click group that turns equity's errors into one line and exit code 2."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except EquityError as err:
            if ctx.obj and ctx.obj.get("debug"):
                raise
            _echo(f"equity: error: {err}", err=True)
            ctx.exit(EXIT_BAD_INPUT)
        except (click.exceptions.Exit, click.ClickException, click.exceptions.Abort):
            raise
        except BrokenPipeError:  # the reader of our output went away (`equity ... | head`): nothing to report
            sys.stderr.close()
            ctx.exit(0)
        except KeyboardInterrupt:
            _echo("equity: interrupted; earlier outputs are unchanged.", err=True)
            ctx.exit(130)
        except Exception as err:
            if ctx.obj and ctx.obj.get("debug"):
                raise
            _echo(
                f"equity: internal error: {type(err).__name__}: {err}. Run again with --debug for the traceback, "
                "and please report it.",
                err=True,
            )
            ctx.exit(EXIT_INTERNAL)


@click.group(
    cls=_Group,
    context_settings={"help_option_names": ["-h", "--help"]},
    epilog="""\b
Examples:
  equity demo                     # the bundled San Francisco study, into maps/sf-demo/
  equity fetch --place "Quito, Ecuador" --out quito/
  equity analyze --cameras cameras.osm --units neighbourhoods.geojson --out analysis/
  equity analyze --help           # every option of a command, with an example

-v, -q and --debug go before or after the command (equity -q demo, equity demo -q).""",
)
@click.option("-v", "--verbose", count=True, help="More messages (repeat for more).")
@click.option("-q", "--quiet", is_flag=True, help="Only errors.")
@click.option("--debug", is_flag=True, help="Show tracebacks of errors.")
@click.version_option(package_name="equity")
@click.pass_context
def cli(ctx: click.Context, verbose: int, quiet: bool, debug: bool) -> None:
    """equity: who do a city's surveillance cameras watch, and who do they protect?"""
    ctx.ensure_object(dict)
    ctx.obj["debug"] = debug
    ctx.obj["quiet"] = quiet
    ctx.obj["verbose"] = verbose
    ctx.obj["given_before"] = {"verbose": verbose, "quiet": quiet, "debug": debug}
    configure_logging(-1 if quiet else verbose + (2 if debug else 0))


def verbosity_options(f: Any) -> Any:
    """-v, -q and --debug after the command too (``equity analyze ... -q``): each adds to what was given before
    the command, and the logging is set up again with both."""

    def given(ctx: click.Context, param: click.Parameter, value: Any) -> None:
        obj = ctx.find_root().obj
        if obj is None:  # a command invoked outside the group (a test calling it alone)
            obj = ctx.ensure_object(dict)
        before = obj.setdefault("given_before", {"verbose": 0, "quiet": False, "debug": False})
        after = obj.setdefault("given_after", {})
        after[param.name] = value
        verbose = before["verbose"] + int(after.get("verbose") or 0)
        quiet = bool(before["quiet"] or after.get("quiet"))
        debug = bool(before["debug"] or after.get("debug"))
        obj.update(verbose=verbose, quiet=quiet, debug=debug)
        configure_logging(-1 if quiet else verbose + (2 if debug else 0))

    options = [
        click.option(
            "-v", "--verbose", count=True, expose_value=False, callback=given, help="More messages (repeat for more)."
        ),
        click.option("-q", "--quiet", is_flag=True, expose_value=False, callback=given, help="Only errors."),
        click.option("--debug", is_flag=True, expose_value=False, callback=given, help="Show tracebacks of errors."),
    ]
    for option in reversed(options):
        f = option(f)
    return f


def settings_options(f: Any = None, *, leave_out: tuple[str, ...] = ()) -> Any:
    """The options that change the documented defaults of the camera model (their help reads the defaults);
    ``leave_out`` names (as their parameters) those that do nothing in a command, which it does not offer."""
    if f is None:
        return lambda g: settings_options(g, leave_out=leave_out)
    d = Settings()
    options = [
        click.option(
            "--fov",
            "fixed_fov_deg",
            type=click.FloatRange(0, 360, min_open=True),
            help=f"Field of view of a fixed camera, degrees (default {d.fixed_fov_deg:g}).",
        ),
        click.option(
            "--range",
            "range_m",
            type=click.FloatRange(0, min_open=True),
            help="One range in metres for every camera, instead of the range model.",
        ),
        click.option(
            "--detail-level",
            type=click.Choice(list(DETAIL_LEVELS_PX_PER_M)),
            help="Image-resolution level of EN 62676-4 at which a camera counts as seeing a place (default "
            f"{d.detail_level}, {DETAIL_LEVELS_PX_PER_M[d.detail_level]:g} px/m: "
            f"{DETAIL_LEVEL_MEANING[d.detail_level]}).",
        ),
        click.option(
            "--second-level",
            "second_detail_level",
            type=click.Choice([*DETAIL_LEVELS_PX_PER_M, "none"]),
            help="A second level whose coverage is reported beside the first, as covered_share_<level> "
            f"(default {d.second_detail_level}, {DETAIL_LEVELS_PX_PER_M[str(d.second_detail_level)]:g} px/m: "
            f"{DETAIL_LEVEL_MEANING[str(d.second_detail_level)]}; none for no second level).",
        ),
        click.option(
            "--unknown-direction",
            type=click.Choice(["skip", "disc"]),
            help="Directional cameras without a direction: skip, or a low-confidence disc "
            f"(default {d.unknown_direction}).",
        ),
        click.option(
            "--include-indoor/--exclude-indoor",
            default=None,
            help="Count indoor cameras toward outdoor coverage "
            f"(default: {'include' if d.include_indoor else 'exclude'}).",
        ),
        click.option(
            "--sensitivity/--no-sensitivity",
            "sensitivity",
            default=True,
            help="Rerun under low and high assumptions, and draw the sources of error 1,000 times to give each unit's "
            "class its probability, robust from 0.9, else uncertain (default on).",
        ),
        click.option(
            "--cell-size",
            "cell_size_m",
            type=click.FloatRange(0, min_open=True),
            help=f"Cell size of the surface model for viewsheds, metres (default {d.cell_size_m:g}).",
        ),
        click.option(
            "--target-height",
            "target_height_m",
            type=click.FloatRange(0),
            help=f"Height above the ground that a camera must see, metres (default {d.target_height_m:g}, a person).",
        ),
        click.option(
            "--alpr-reads",
            type=click.Choice(["approaching", "receding"]),
            help="Which vehicles a plate reader logs on its road: approaching (it faces traffic) or receding (rear "
            f"plates) (default {d.alpr_reads}; with --streets).",
        ),
        click.option(
            "--alpr-match",
            "alpr_match_m",
            type=click.FloatRange(0, min_open=True),
            help=f"Farthest distance from a plate reader to the road it reads, metres (default {d.alpr_match_m:g}).",
        ),
    ]
    for option in reversed(options):
        f = option(f)
    if leave_out:  # the options are on the function, not yet on a command: drop those the command ignores
        f.__click_params__ = [p for p in f.__click_params__ if p.name not in leave_out]
    return f


#: The settings options that change nothing without a surface model (no buildings, no DEM): the bundled demos
#: have none, and ``equity cameras`` draws no view.
SURFACE_OPTIONS = ("cell_size_m", "target_height_m")


def exposure_options(f: Any) -> Any:
    """The options of the exposure measures and of the groups' comparison (shared by ``demo`` and ``analyze``)."""
    from equity.settings import GROUP_MEASURES

    d = Settings()
    options = [
        click.option(
            "--buffer",
            "buffer_m",
            type=click.FloatRange(0),
            help="Distance from a unit's boundary within which cameras count toward cameras_within_<b>m, metres "
            f"(default {d.buffer_m:g}).",
        ),
        click.option(
            "--group-measure",
            type=click.Choice(list(GROUP_MEASURES)),
            help=f"The exposure measure of the report's comparison of groups (default {d.group_measure}).",
        ),
    ]
    for option in reversed(options):
        f = option(f)
    return f


def _camera_tags(text: str | None) -> dict[str, str] | None:
    """``--camera-tags key=value,key=value``: tags assumed for every camera that lacks them."""
    if not text:
        return None
    tags = {}
    for item in (part.strip() for part in text.split(",")):
        if not item:
            continue
        key, sep, value = item.partition("=")
        if not sep or not key.strip() or not value.strip():
            msg = f"--camera-tags: {item!r} is not a tag; expected key=value, for example camera:type=dome."
            raise click.BadParameter(msg, param_hint="--camera-tags")
        tags[key.strip()] = value.strip()
    return tags or None


def _no_crime_data(values: tuple[str, ...]) -> list[str] | Path | None:
    """``--no-crime-data``: one polygon layer, or unit ids."""
    from equity.inputs import is_file_like

    if not values:
        return None
    if len(values) == 1 and Path(values[0]).exists() and is_file_like(values[0]):
        return Path(values[0])
    return list(values)


def _settings(**kwargs: Any) -> Settings:
    kwargs.pop("sensitivity", None)
    values = {k: v for k, v in kwargs.items() if v is not None}
    if values.get("second_detail_level") == "none":
        values["second_detail_level"] = None
    return Settings(**values)


def _summary(result: Any, written: dict[str, Path], seconds: float, quiet: bool) -> None:
    if quiet:
        return
    from equity.columns import column
    from equity.metrics import CLASS_LABELS, STORY_CLASSES
    from equity.presentation.formatting import show

    out = next(iter(written.values())).parent
    c = result.counts
    _echo(f"Wrote the analysis of {c['units']} units and {c['cameras']} cameras to {out}/ in {seconds:.1f} s:")
    for name in (
        "map.html",
        "report.html",
        "units.csv",
        "units.gpkg",
        "cameras.csv",
        "cameras.gpkg",
        "rejected.csv",
        "manifest.json",
        "groups.csv",
        "group_ratios.csv",
    ):
        if name in written:
            _echo(f"  {written[name]}")
    g = result.groups
    if g is not None and g.headline is not None:
        _echo(f"Groups: {g.headline['sentence']} groups.csv has every group and measure.", limit=None)
    f = result.findings
    if f.shortfall or f.surplus:
        units = result.units.set_index("unit_id", drop=False)

        def line(unit: Any) -> str:
            r = units.loc[unit]
            gap, cameras, crimes, cls = (show(r[name], column(name)) for name in ("gap", "cameras", "crimes", "class"))
            return f"    {terminal_text(r['unit_id'], 80)}: {gap} ({cameras} cameras, {crimes} crimes; {cls})"

        _echo("Largest gaps (share of coverage minus share of crime, in points):")
        _echo("  less coverage than crime:")
        for unit in f.shortfall[:3]:
            _echo(line(unit))
        _echo("  more coverage than crime:")
        for unit in f.surplus[:3]:
            _echo(line(unit))
        unc, sens = getattr(result, "uncertainty", None), result.sensitivity
        uncertain = set(unc.uncertain) if unc is not None else set(sens.uncertain) if sens is not None else set()
        for cls in STORY_CLASSES:
            # listed from the most negative gap to the most positive, whichever the class
            names = f.members[cls] if cls == "under_covered" else f.members[cls][::-1]
            shown = [terminal_text(n, 80) + (" (uncertain)" if n in uncertain else "") for n in names]
            _echo(f"Class “{CLASS_LABELS[cls]}”: {', '.join(shown) if shown else 'none'}", limit=None)
    kinds = c.get("camera_kinds") or {}
    if kinds.get("ALPR") and kinds["ALPR"] >= sum(kinds.values()) / 2:
        _echo(
            f"{kinds['ALPR']:,} of the {sum(kinds.values()):,} cameras are licence-plate readers, modelled by their "
            "capture zone on the road: see the first page of the report.",
            limit=None,
        )
    roads = getattr(result, "roads", None)
    if roads is not None and len(roads.readers):
        cordoned = ", ".join(terminal_text(u, 80) for u in roads.cordoned) or "none"
        _echo(
            f"Plate readers log {100 * roads.logged_share:.1f}% of the road length in at least one direction; "
            f"units with every road entrance logged (cordoned): {cordoned}.",
            limit=None,
        )
    if c.get("rejected_rows"):
        _echo(f"{c['rejected_rows']:,} input rows were not used (each is listed in rejected.csv):")
        for reason, n in list(result.rejected_reasons.items())[:5]:
            _echo(f"  {n:,}: {reason}")


def map_options(f: Any) -> Any:
    """The options of how the map is written (shared by ``demo`` and ``analyze``)."""
    return click.option(
        "--map-assets",
        type=click.Choice(["auto", "inline", "cdn"]),
        default="auto",
        show_default=True,
        help="inline: Leaflet is written into map.html, which then opens without network (Leaflet is fetched "
        "once from the npm registry and cached); cdn: linked from a CDN; auto: inline when Leaflet can be had, "
        "else cdn with a warning.",
    )(f)


def _asset_warning(quiet: bool) -> Any:
    """Where the warning of the map's assets goes: stderr, unless -q."""

    def warn(sentence: str) -> None:
        if not quiet:
            _echo(f"Warning: {sentence}", err=True)

    return warn


def lang_options(f: Any) -> Any:
    """The option of the language of the report and the map (shared by ``demo`` and ``analyze``)."""
    from equity.presentation.i18n import LANGUAGES

    return click.option(
        "--lang",
        type=click.Choice(list(LANGUAGES), case_sensitive=False),
        default="en",
        show_default=True,
        help="Language of report.html and map.html: "
        + ", ".join(f"{code} ({name})" for code, name in LANGUAGES.items())
        + ". Unit names and tag values are shown as written; numbers and dates follow the language. Recorded in "
        "manifest.json.",
    )(f)


def fine_options(f: Any) -> Any:
    """The options of the second, finer unit layer (two scales)."""
    f = click.option("--fine-unit-id", help="Column that identifies a unit of --fine-units (guessed when not given).")(
        f
    )
    return click.option(
        "--fine-units",
        type=click.Path(path_type=Path),
        help="A finer polygon layer (block groups inside neighbourhoods, say): the study is analysed on it too, and "
        "the report says whether each city-level measure holds at both scales.",
    )(f)


def _two_scales(study: Any, result: Any, fine_units: Path, fine_unit_id: str | None) -> Any:
    """The study analysed again on the finer units, compared with ``result`` (:func:`equity.scales.compare_scales`).
    Units declared outside the crime data by id are handed to the finer study as their polygons."""
    import dataclasses
    import tempfile

    from equity.scales import compare_scales

    with tempfile.TemporaryDirectory() as tmp:
        region = study.no_crime_data
        if isinstance(region, list) and region:
            region = Path(tmp) / "no_crime_data.geojson"
            units = result.units
            units.loc[units["unit_id"].isin(study.no_crime_data), ["unit_id", "geometry"]].to_crs(4326).to_file(
                region, driver="GeoJSON"
            )
        fine = dataclasses.replace(
            study, units=fine_units, unit_id=fine_unit_id, no_crime_data=region, name=f"{study.name} (finer units)"
        ).run()
    return compare_scales(result, fine)


def _run_and_write(
    study: Any,
    out: Path,
    force: bool,
    quiet: bool,
    map_assets: str = "auto",
    fine: tuple[Path | None, str | None] = (None, None),
    lang: str = "en",
) -> None:
    from equity.folder import write_analysis

    t0 = time.perf_counter()
    result = study.run()
    if fine[0] is not None:
        result.scales = _two_scales(study, result, *fine)
    written = write_analysis(result, out, force=force, lang=lang, map_assets=map_assets, warn=_asset_warning(quiet))
    _summary(result, written, time.perf_counter() - t0, quiet)


@cli.command(
    epilog="""\b
Examples:
  equity demo                           # San Francisco, into maps/sf-demo/
  equity demo chicago                   # Chicago, into maps/chicago-demo/
  equity demo --out sf-wide --fov 90 -q # another lens for fixed cameras, no summary
  equity demo --fine-units data/sf/block_groups.geojson --fine-unit-id GEO_ID"""
)
@click.argument("city", required=False, default="sf", type=click.Choice(["sf", "chicago"]))
@click.option(
    "--out",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Folder of the analysis outputs (default maps/sf-demo, or maps/chicago-demo).",
)
@click.option("--force", is_flag=True, help="Replace the outputs of a different study in --out.")
@map_options
@lang_options
@exposure_options
@fine_options
@settings_options(leave_out=SURFACE_OPTIONS)
@verbosity_options
@click.pass_context
def demo(
    ctx: click.Context,
    city: str,
    out: Path | None,
    force: bool,
    map_assets: str,
    fine_units: Path | None = None,
    fine_unit_id: str | None = None,
    lang: str = "en",
    **settings: Any,
) -> None:
    """Run the analysis on bundled data: San Francisco (the default: OpenStreetMap cameras, incidents) or
    chicago (official police cameras, crime rates, groups of residents by race and ethnicity). Two scales:
    --fine-units data/sf/block_groups.geojson --fine-unit-id GEO_ID. The demos have no buildings or elevation
    model, so the options of viewsheds (--cell-size, --target-height) are those of analyze only."""
    from equity.demo import DEMO_OUT, chicago_study, demo_study

    make = chicago_study if city == "chicago" else demo_study
    study = make(sensitivity=settings["sensitivity"])
    study.settings = _settings(**settings)
    _run_and_write(
        study,
        out or Path(DEMO_OUT[city]),
        force,
        ctx.obj["quiet"],
        map_assets,
        (fine_units, fine_unit_id),
        lang.lower(),
    )


@cli.command(
    epilog="""\b
Examples:
  # cameras from OpenStreetMap, neighbourhood polygons, incidents with coordinates
  equity analyze --cameras cameras.osm --units neighbourhoods.geojson \\
      --crime incidents.csv --population block_groups.geojson --out analysis/
  # no crime data: coverage per resident and per km² are still computed
  equity analyze --cameras cameras.osm --units neighbourhoods.geojson \\
      --population POP2020 --out analysis/
  # with buildings and terrain, views stop at walls and hills
  equity analyze --cameras cameras.osm --units units.gpkg --buildings buildings.osm \\
      --dem elevation.tif --workers 2 --out analysis/"""
)
@click.option(
    "--cameras",
    "cameras",
    type=click.Path(path_type=Path),
    help="Camera source: .osm, .osm.bz2, .osm.pbf, Overpass JSON, GeoJSON, GeoPackage or CSV (or --camera-counts).",
)
@click.option(
    "--camera-counts",
    help="A column of --units with the number of cameras per unit, for a source without locations (instead of "
    "--cameras): the measures that need no location are computed, the others left empty.",
)
@click.option(
    "--units",
    required=True,
    type=click.Path(path_type=Path),
    help="Polygon layer of the units; or the area.gpkg of equity fetch with --units-level; or a grid: grid:500 "
    "(squares of 500 m) or hex:500 (hexagons 500 m across), over --area.",
)
@click.option("--unit-id", help="Column that identifies a unit (guessed when not given).")
@click.option(
    "--units-level",
    help="The admin_level of the boundaries of --units (an area.gpkg of equity fetch) to use as units, clipped "
    "to the place; equity fetch lists the levels present.",
)
@click.option(
    "--area",
    type=click.Path(path_type=Path),
    help="The study area a grid (--units grid:500) covers: a polygon layer, or an area.gpkg of equity fetch (its "
    "place). Without it, the place of --cameras when that is an area.gpkg, else the cameras' extent.",
)
@click.option(
    "--crime", type=click.Path(path_type=Path), help="Incident points: CSV with coordinates, or a point layer."
)
@click.option("--crime-columns", help="Comma-separated columns of --units holding crime counts (instead of --crime).")
@click.option(
    "--no-crime-data",
    "no_crime_data",
    multiple=True,
    help="Where the crime data does not apply (a park or base policed by another agency): a unit id "
    "(repeatable), or a polygon layer of the region. Those units get no crime data and no class, not zero crime.",
)
@click.option("--category", "categories", multiple=True, help="Keep only incidents of this category (repeatable).")
@click.option("--since", help="Keep only incidents on or after this date (YYYY-MM-DD).")
@click.option("--until", help="Keep only incidents on or before this date (YYYY-MM-DD).")
@click.option(
    "--population",
    help="A population column of --units, a polygon layer to interpolate from by area, or a raster of residents "
    "per cell (a WorldPop 'ppp' or GHSL 'GHS_POP' GeoTIFF, any CRS) summed exactly over the units.",
)
@click.option("--population-column", help="The population column of the --population layer.")
@click.option(
    "--population-density",
    type=click.Choice(["km2", "ha"]),
    help="The --population raster holds residents per km2 or per hectare (WorldPop 'pph': ha), not per cell.",
)
@click.option(
    "--population-year",
    type=int,
    help="The year of the --population raster's estimate (default: read from a name like ppp_2020, GHS_POP_E2020).",
)
@click.option(
    "--groups",
    help="Groups of residents: NAME=COLUMN (a count) or NAME=COLUMN%TOTAL (a percentage of the TOTAL column), "
    "comma-separated, e.g. Black=Blk14P%Pop2014,White=Wht14P%Pop2014; columns of --units, else of the "
    "--population layer (interpolated by area). Writes groups.csv and group_ratios.csv.",
)
@click.option("--rank-by", help="A column of --units to rank the units by for concentration curves (income, poverty).")
@click.option(
    "--crime-rates",
    help="Comma-separated columns of --units holding crime rates per resident (see --crime-rate-per); crimes = "
    "rates x residents (instead of --crime).",
)
@click.option(
    "--crime-rate-per",
    type=click.FloatRange(0, min_open=True),
    default=1.0,
    show_default=True,
    help="The number of residents the --crime-rates are per.",
)
@click.option(
    "--crime-table",
    "crime_table",
    multiple=True,
    type=click.Path(path_type=Path),
    help='A table of crime counts per unit: CSV, JSON (records, {"data": [...]}, CKAN, Socrata) or .xlsx '
    "(repeatable: one file per category or year, summed), joined to --units by id or by name (instead of "
    "--crime). Example: --crime-table robbery_2023.csv --crime-table theft_2023.csv --period 2023.",
)
@click.option("--crime-table-key", help="The column of --crime-table with the units' ids or names (guessed).")
@click.option(
    "--crime-table-count", help="The column of --crime-table with the counts (guessed when only one is numeric)."
)
@click.option(
    "--crime-table-category",
    help="A column of --crime-table with each row's category, or a regular expression picking the category from "
    "the file name (default: the file name without its suffix, robbery_2023.csv -> robbery_2023).",
)
@click.option(
    "--crime-table-complete",
    is_flag=True,
    help="The tables list every unit with crime: a unit without a row has 0 crimes (default: unknown, not zero).",
)
@click.option("--period", help="A label of the period the crime data covers (e.g. 2023), shown in the report.")
@click.option(
    "--camera-tags",
    help="Tags assumed for every camera that lacks them, key=value comma-separated (a camera list without tags: "
    "camera:type=dome draws pan-tilt-zoom cameras as discs). Counted and stated in the report.",
)
@click.option(
    "--buildings",
    type=click.Path(path_type=Path),
    help="Building footprints that block views: an OSM file, Overpass JSON or a polygon layer.",
)
@click.option(
    "--streets",
    type=click.Path(path_type=Path),
    help="The street network, for the share of street length in view: an OSM file or a line layer.",
)
@click.option(
    "--dem",
    type=click.Path(path_type=Path),
    multiple=True,
    help="A digital elevation model (any raster, any CRS); repeat it, or give a folder, for tiles (.hgt, .tif) "
    "in one CRS, mosaicked in the process.",
)
@click.option(
    "--dem-fill",
    type=click.Choice(["flat"]),
    help="Where the DEM has no data, use flat ground at its median elevation (default: an error).",
)
@click.option(
    "--land",
    type=click.Path(path_type=Path),
    help="Land use for the homes analysis: an OSM file, or a polygon layer with a 'kind' column "
    "(residential or public). Default: read from --buildings when it is an OSM file.",
)
@click.option("--home-column", help="A column of the --buildings layer that marks homes (yes/true/1).")
@click.option(
    "--privacy",
    type=click.Choice(["public", "internal"]),
    default="public",
    show_default=True,
    help="public: homes only as counts per camera and per unit; internal: also each home (personal data).",
)
@click.option("--name", default="Analysis", show_default=True, help="Title of the study in the map and report.")
@click.option("--out", required=True, type=click.Path(file_okay=False, path_type=Path), help="Output folder.")
@click.option("--force", is_flag=True, help="Replace the outputs of a different study in --out.")
@map_options
@lang_options
@exposure_options
@click.option(
    "--workers",
    type=click.IntRange(1),
    help="Run the viewshed tiles in a local pool of N processes (with --scheduler local: N Dask workers).",
)
@click.option(
    "--scheduler",
    help="Run the viewshed tiles on Dask: 'local' for a LocalCluster, or a scheduler's address (tcp://host:8786).",
)
@click.option(
    "--tile-cells",
    type=click.IntRange(16),
    help=f"Side of a tile of the viewshed work in grid cells (default {TILE_CELLS}); changes how the work is cut, "
    "never the results.",
)
@fine_options
@settings_options
@verbosity_options
@click.pass_context
def analyze(
    ctx: click.Context,
    cameras: Path | None,
    camera_counts: str | None,
    units: Path,
    unit_id: str | None,
    crime: Path | None,
    crime_columns: str | None,
    no_crime_data: tuple[str, ...],
    categories: tuple[str, ...],
    since: str | None,
    until: str | None,
    population: str | None,
    population_column: str | None,
    population_density: str | None,
    population_year: int | None,
    groups: str | None,
    rank_by: str | None,
    crime_rates: str | None,
    crime_rate_per: float,
    crime_table: tuple[Path, ...],
    crime_table_key: str | None,
    crime_table_count: str | None,
    crime_table_category: str | None,
    crime_table_complete: bool,
    period: str | None,
    camera_tags: str | None,
    buildings: Path | None,
    streets: Path | None,
    dem: tuple[Path, ...],
    dem_fill: str | None,
    land: Path | None,
    home_column: str | None,
    privacy: str,
    name: str,
    out: Path,
    force: bool,
    map_assets: str,
    workers: int | None,
    scheduler: str | None,
    tile_cells: int | None,
    fine_units: Path | None = None,
    fine_unit_id: str | None = None,
    units_level: str | None = None,
    area: Path | None = None,
    lang: str = "en",
    **settings: Any,
) -> None:
    """Run the analysis on your own files."""
    from equity.engine import TILE_CELLS, Engine
    from equity.study import Study

    engine = Engine(workers=workers, scheduler=scheduler, tile_cells=tile_cells or TILE_CELLS)

    study = Study(
        cameras=cameras,
        camera_counts=camera_counts,
        units=units,
        units_level=units_level,
        area=area,
        unit_id=unit_id,
        crime=crime,
        crime_columns=[c.strip() for c in crime_columns.split(",") if c.strip()] if crime_columns else None,
        no_crime_data=_no_crime_data(no_crime_data),
        categories=list(categories) or None,
        since=since,
        until=until,
        population=population,
        population_column=population_column,
        population_density=population_density,
        population_year=population_year,
        groups=groups,
        rank_by=rank_by,
        crime_rates=[c.strip() for c in crime_rates.split(",") if c.strip()] if crime_rates else None,
        crime_rate_per=crime_rate_per,
        crime_table=list(crime_table) or None,
        crime_table_key=crime_table_key,
        crime_table_count=crime_table_count,
        crime_table_category=crime_table_category,
        crime_table_complete=crime_table_complete,
        period=period,
        camera_tags=_camera_tags(camera_tags),
        buildings=buildings,
        streets=streets,
        dem=(dem[0] if len(dem) == 1 else list(dem)) if dem else None,
        dem_fill=dem_fill,
        land=land,
        home_column=home_column,
        privacy=privacy,
        sensitivity=settings["sensitivity"],
        settings=_settings(**settings),
        name=name,
        engine=engine,
    )
    with engine:
        _run_and_write(study, out, force, ctx.obj["quiet"], map_assets, (fine_units, fine_unit_id), lang.lower())


@cli.command(
    "cameras",
    epilog="""\b
Examples:
  equity cameras data/sf/cameras.osm                    # what the tags say, and their problems
  equity cameras cameras.osm -o views.gpkg --fov 90     # the views as the analysis would model them""",
)
@click.argument("source", type=click.Path(path_type=Path))
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write the normalised camera views (.csv, .gpkg or .geojson).",
)
@settings_options(leave_out=("second_detail_level", "sensitivity", *SURFACE_OPTIONS))
@verbosity_options
@click.pass_context
def cameras_cmd(ctx: click.Context, source: Path, output: Path | None, **settings: Any) -> None:
    """Read and normalise cameras; summarise their tags and tag problems. Only the options of the camera model are
    offered: nothing here is measured against units or a surface."""
    from equity.cameras import normalise_cameras
    from equity.io import cameras_from_file
    from equity.io.outputs import write_views

    if output is not None and output.resolve() == source.resolve():
        raise click.BadParameter(
            f"{terminal_text(output)} is the input file; write the normalised cameras elsewhere.", param_hint="-o"
        )
    read = cameras_from_file(source)
    views = normalise_cameras(read.data, _settings(**settings))
    first = views.drop_duplicates("camera_id")
    if not ctx.obj["quiet"]:
        _echo(
            f"{source}: {len(first)} cameras, {len(views)} views ({read.meta.get('format')}"
            f"{', OSM data of ' + read.meta['osm_timestamp'] if read.meta.get('osm_timestamp') else ''})."
        )
        for col in ("kind", "ownership", "camera_type", "direction_source"):
            counts = (first if col != "direction_source" else views)[col].value_counts()
            _echo(f"  {col}: " + ", ".join(f"{k} {v}" for k, v in counts.items()))
        issues = first["issues"].dropna()
        _echo(f"  cameras with tag problems: {len(issues)}")
        for cid, text in issues.head(10).items():
            _echo(f"    {terminal_text(first.loc[cid, 'camera_id'], 80)}: {terminal_text(text, 300)}")
        if len(read.rejected):
            _echo(f"  rejected records: {len(read.rejected)}")
    if output is not None:
        write_views(views, output)
        if not ctx.obj["quiet"]:
            _echo(f"Wrote {output}")


@cli.command(
    epilog="""\b
Examples:
  equity fetch --place "Quito, Ecuador" --out quito/
  equity fetch --place "Ghent, Belgium" --out ghent/ --skip buildings   # a smaller download"""
)
@click.option("--place", required=True, help='A place name that Nominatim knows, e.g. "Quito, Ecuador".')
@click.option("--out", required=True, type=click.Path(file_okay=False, path_type=Path), help="Output folder.")
@click.option(
    "--buildings/--no-buildings",
    default=False,
    help="Also write the building footprints to buildings.geojson (they are in area.gpkg in any case).",
)
@click.option(
    "--skip",
    multiple=True,
    type=click.Choice(["boundaries", "buildings", "streets", "landuse"]),
    help="Do not download this layer (repeatable); a city's buildings are the largest download.",
)
@verbosity_options
@click.pass_context
def fetch(ctx: click.Context, place: str, out: Path, buildings: bool, skip: tuple[str, ...]) -> None:
    """Download a place's cameras, administrative boundaries, buildings, streets and land use from
    OpenStreetMap into one GeoPackage (OUT/area.gpkg), for offline use, and list the boundaries' levels."""
    from equity.io.fetch import AREA_FILE, OPTIONAL_LAYERS, fetch_place
    from equity.io.units import area_layer, place_levels

    layers = tuple(name for name in OPTIONAL_LAYERS if name not in skip)
    written = fetch_place(place, out, buildings=buildings, layers=layers)
    if ctx.obj["quiet"]:
        return
    for path in written.values():
        _echo(f"Wrote {path}")
    if "boundaries" not in layers:
        return
    levels = place_levels(area_layer(written[AREA_FILE], "boundaries"), area_layer(written[AREA_FILE], "place"))
    if levels.empty:
        _echo(
            f"No administrative boundaries are mapped in {terminal_text(place, 80)}; use a grid as units "
            f"(--units grid:500 --area {written[AREA_FILE]})."
        )
        return
    _echo("Administrative boundaries in the place (pick the units with --units-level):")
    _echo(f"  {'admin_level':>11}  {'count':>5}  examples")
    for row in levels.itertuples(index=False):
        _echo(f"  {terminal_text(row.admin_level, 11):>11}  {row.count:>5}  {terminal_text(row.examples, 100)}")
    finest = levels["admin_level"].iloc[-1]
    _echo(
        f"Next: equity analyze --cameras {written[AREA_FILE]} --units {written[AREA_FILE]} "
        f"--units-level {finest} --out ANALYSIS_FOLDER"
    )


@cli.command(
    "report",
    epilog="""\b
Examples:
  equity report maps/sf-demo --unit Tenderloin                     # the page, to the terminal
  equity report maps/sf-demo --unit tenderloin --lang es -o tenderloin.html
  equity report maps/sf-demo --all --lang fr -o pages-fr/""",
)
@click.argument("folder", type=click.Path(file_okay=False, path_type=Path))
@click.option("--unit", "unit_name", help="The unit whose page to write (its id; case, accents and spaces ignored).")
@click.option("--all", "all_units", is_flag=True, help="Write every unit's page and the index (needs -o FOLDER).")
@click.option("--lang", default="en", show_default=True, help="Language of the page: en, es, fr or de.")
@click.option(
    "-o",
    "--output",
    type=click.Path(path_type=Path),
    help="The file of the page (default: the standard output); with --all, the folder of the pages.",
)
@verbosity_options
@click.pass_context
def report_cmd(
    ctx: click.Context, folder: Path, unit_name: str | None, all_units: bool, lang: str, output: Path | None
) -> None:
    """Write a unit's page again from an analysis folder (units.gpkg, cameras.gpkg, operators_by_unit.csv,
    manifest.json), in the language asked."""
    from equity.io.analysis_folder import find_unit, read_analysis
    from equity.presentation import i18n
    from equity.presentation.unit_page import build_pages, render_unit_page, unit_slugs

    lang = i18n.check_language(lang)
    if all_units == (unit_name is not None):
        raise click.UsageError("give either --unit NAME or --all.")
    if all_units and output is None:
        raise click.UsageError("--all writes a page per unit: give the folder to write them to with -o FOLDER.")
    if output is not None and output.resolve().is_relative_to(folder.resolve()):
        raise click.BadParameter(
            f"{terminal_text(output)} lies in the analysis folder, which this command reads and never changes; "
            "write the page elsewhere.",
            param_hint="-o",
        )
    tables = read_analysis(folder)
    with i18n.use(lang):
        if output is not None and all_units:
            report = os.path.relpath(folder / "report.html", output)
            pages = build_pages(tables, report=Path(report).as_posix())
            for name, html in pages.items():
                _write_page(output / name, html)
            if not ctx.obj["quiet"]:
                _echo(f"Wrote {len(pages) - 1} unit pages and index.html to {output}", err=True)
            return
        unit = find_unit(tables, str(unit_name))
        slug = unit_slugs(tables.units["unit_id"].astype(str))[unit]
        html = render_unit_page(tables, unit, index="", report="")
        if output is None:
            click.echo(html, nl=False)
            return
        if output.is_dir():
            output = output / slug
        _write_page(output, html)
        if not ctx.obj["quiet"]:
            _echo(f"Wrote the page of {unit} to {output}", err=True)


def _write_page(path: Path, html: str) -> None:
    """Write a unit page atomically; a failure is one sentence naming the file (exit code 2)."""
    from equity._errors import OutputError
    from equity.io.outputs import write_text_atomic

    try:
        write_text_atomic(path, html)
    except OSError as err:
        msg = f"{path}: cannot write the page ({err.strerror or err})."
        raise OutputError(msg) from err


def _lon_lat(text: str | None, param: str) -> tuple[float, float] | None:
    """``LON,LAT`` in WGS84 degrees, or a click error naming the option."""
    if text is None:
        return None
    try:
        lon, lat = (float(v) for v in text.split(","))
    except ValueError:
        raise click.BadParameter(
            f"{terminal_text(text, 80)!r} is not LON,LAT (for example -122.42,37.77)", param_hint=param
        ) from None
    if not (abs(lon) <= 180 and abs(lat) <= 90):
        raise click.BadParameter(f"{text!r}: longitude must be in -180..180 and latitude in -90..90", param_hint=param)
    return lon, lat


@cli.command(
    epilog="""\b
Examples:
  equity route --cameras data/sf/cameras.osm --streets data/sf/streets_osm_2015.geojson \\
      --from -122.4194,37.7793 --to -122.4058,37.7855 -o route.geojson --map route.html
  equity route --cameras data/sf/cameras.osm --streets data/sf/streets_osm_2015.geojson \\
      --pairs trips.csv --mode drive -o trips.csv"""
)
@click.option(
    "--cameras", required=True, type=click.Path(path_type=Path), help="The cameras (any format equity reads)."
)
@click.option(
    "--streets",
    required=True,
    type=click.Path(path_type=Path),
    help="The street network: an OSM file or a line layer (noded into a graph, equity.network).",
)
@click.option("--from", "origin", help="Origin of one trip, LON,LAT in WGS84 degrees.")
@click.option("--to", "destination", help="Destination of one trip, LON,LAT.")
@click.option(
    "--pairs",
    type=click.Path(path_type=Path),
    help="A CSV of trips with the columns from_lon, from_lat, to_lon, to_lat (instead of --from and --to).",
)
@click.option(
    "--mode", type=click.Choice(["walk", "drive"]), default="walk", show_default=True, help="Walk or drive network."
)
@click.option(
    "--length-penalty",
    type=float,
    default=None,
    help="lambda of the least-watched route, which minimises watched length + lambda x length (default 0.1).",
)
@click.option(
    "-o", "--output", required=True, type=click.Path(dir_okay=False, path_type=Path), help="routes.geojson or trips.csv"
)
@click.option(
    "--map", "map_path", type=click.Path(dir_okay=False, path_type=Path), help="Also write a map of the routes (.html)."
)
@verbosity_options
@click.pass_context
def route(
    ctx: click.Context,
    cameras: Path,
    streets: Path,
    origin: str | None,
    destination: str | None,
    pairs: Path | None,
    mode: str,
    length_penalty: float | None,
    output: Path,
    map_path: Path | None,
) -> None:
    """How watched a trip is: the shortest route's length, its share in view of a camera and the plate readers it
    passes, and the least-watched route with its extra length (equity.routes). The outputs show where each trip
    starts and ends: do not publish trips from homes as they are."""
    import geopandas as gpd
    import pandas as pd
    import shapely

    from equity.io import cameras_from_file, streets_from_file
    from equity.io.outputs import write_csv, write_text_atomic
    from equity.projection import metric_crs, to_metric
    from equity.routes import pairs_from_table, planner_from_layers, route_features

    if pairs is None and (origin is None or destination is None):
        raise click.UsageError("give --from and --to, or --pairs")
    if pairs is not None and (origin is not None or destination is not None):
        raise click.UsageError("give --from and --to, or --pairs, not both")
    if output.suffix.lower() not in (".geojson", ".json", ".csv"):
        raise click.BadParameter(f"{terminal_text(output)}: expected a .geojson or .csv file", param_hint="-o")
    settings = _settings(route_length_penalty=length_penalty)
    rejected = pd.DataFrame(columns=["source", "record", "reason", "value"])
    if pairs is not None:
        from equity.io._common import check_file

        try:
            table = pd.read_csv(check_file(pairs), dtype=str, keep_default_na=False)
        except (pd.errors.ParserError, UnicodeDecodeError, pd.errors.EmptyDataError) as err:
            from equity._errors import InputFormatError

            raise InputFormatError(f"{pairs}: not a CSV file of trips ({err})") from err
        trips, rejected = pairs_from_table(table, pairs.name)
    else:
        a, b = _lon_lat(origin, "--from"), _lon_lat(destination, "--to")
        trips = pd.DataFrame({"row": [1], "from_lon": [a[0]], "from_lat": [a[1]], "to_lon": [b[0]], "to_lat": [b[1]]})
    street_lines = streets_from_file(streets).data
    crs = metric_crs(street_lines)
    cams = to_metric(cameras_from_file(cameras).data, crs)
    planner, sectors, unmatched = planner_from_layers(cams, to_metric(street_lines, crs), mode=mode, settings=settings)
    pts = lambda lon, lat: gpd.GeoSeries(shapely.points(lon, lat), crs=4326).to_crs(crs).to_numpy()  # noqa: E731
    o = pts(trips["from_lon"].to_numpy(float), trips["from_lat"].to_numpy(float))
    d = pts(trips["to_lon"].to_numpy(float), trips["to_lat"].to_numpy(float))
    want_paths = output.suffix.lower() != ".csv" or map_path is not None
    result, paths = planner.trips(o, d, paths=want_paths)
    if pairs is None and pd.notna(result["not_routed"].iat[0]):
        from equity._errors import InputError

        raise InputError(f"no route: {result['not_routed'].iat[0]}")
    result.insert(1, "row", trips["row"].to_numpy())
    for col in ("from_lon", "from_lat", "to_lon", "to_lat"):
        result[col] = trips[col].to_numpy()
    if output.suffix.lower() == ".csv":
        write_csv(result, output)
    else:
        routed = result["not_routed"].isna().to_numpy()
        feats = route_features(planner, result[routed], [p for p, ok in zip(paths, routed, strict=True) if ok], sectors)
        write_text_atomic(output, feats.to_crs(4326).to_json(drop_id=True))
    if map_path is not None:
        from equity.folder import map_assets_for
        from equity.presentation.maps import render_map
        from equity.presentation.roadmap import route_map

        routed = result["not_routed"].isna().to_numpy()
        feats = route_features(planner, result[routed], [p for p, ok in zip(paths, routed, strict=True) if ok], sectors)
        html = render_map(route_map(feats, cams), assets=map_assets_for("auto", _asset_warning(ctx.obj["quiet"])))
        write_text_atomic(map_path, html)
    if ctx.obj["quiet"]:
        return
    ok = result[result["not_routed"].isna()]
    if len(result) == 1 and len(ok) == 1:
        r = ok.iloc[0]
        _echo(
            f"Shortest route ({mode}): {r['length_m']:,.0f} m, {100 * r['watched_share']:.1f}% in view of a camera, "
            f"{int(r['alpr_passed'])} plate readers passed."
        )
        _echo(
            f"Least-watched route: {r['least_watched_length_m']:,.0f} m (+{r['extra_length_m']:,.0f} m), "
            f"{100 * r['least_watched_watched_share']:.1f}% in view, {int(r['least_watched_alpr_passed'])} plate "
            "readers passed."
        )
    else:
        _echo(
            f"{len(ok):,} of {len(result):,} trips routed ({mode}): median {ok['length_m'].median():,.0f} m, "
            f"{100 * ok['watched_share'].median():.1f}% in view, {ok['alpr_passed'].median():g} plate readers passed; "
            f"least-watched: median extra length {ok['extra_length_m'].median():,.0f} m."
        )
    not_routed = result[result["not_routed"].notna()]
    for _, r in not_routed.head(5).iterrows():
        _echo(f"  row {r['row']}: not routed: {r['not_routed']}")
    for _, r in rejected.head(5).iterrows():
        _echo(f"  {r['record']}: set aside: {r['reason']} ({terminal_text(r['value'], 40)})")
    for reason, n in unmatched["reason"].value_counts().items():
        _echo(f"  {n:,} cameras set aside: {reason}")
    _echo(f"Wrote {output}" + (f" and {map_path}" if map_path else ""))


def main() -> None:
    """Entry point of the ``equity`` console script."""
    cli(obj={})


if __name__ == "__main__":  # pragma: no cover
    main()
