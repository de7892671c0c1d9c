"""The command line: argument parsing, logging set-up and exit codes; the work is done by the library.

Exit codes: 0 success; 2 bad input (one plain sentence naming the file, the row or field and what was
expected; ``--debug`` adds the traceback); 1 an unexpected internal error.
"""

from __future__ import annotations

import logging
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


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
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
    configure_logging(-1 if quiet else verbose + (2 if debug else 0))


def settings_options(f: Any) -> Any:
    """The options that change the documented defaults of the camera model (their help reads the defaults)."""
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
    ]
    for option in reversed(options):
        f = option(f)
    return f


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


def _map_assets(choice: str, quiet: bool) -> Any:
    """The assets to inline into the map, or None for CDN links (``auto`` falls back with a warning)."""
    if choice == "cdn":
        return None
    from equity.io.assets import AssetError, map_assets

    try:
        return map_assets()
    except AssetError as exc:
        if choice == "inline":
            raise
        if not quiet:
            _echo(f"Warning: map.html links Leaflet from a CDN and needs network to open: {exc}", err=True)
        return None


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
    from equity.io.outputs import write_outputs
    from equity.presentation import i18n
    from equity.presentation.maps import build_map, render_map
    from equity.presentation.report import build_report

    t0 = time.perf_counter()
    result = study.run()
    if fine[0] is not None:
        result.scales = _two_scales(study, result, *fine)
    assets = _map_assets(map_assets, quiet)
    result.meta["map_assets"] = "inline" if assets is not None else "cdn"
    with i18n.use(lang):  # everything written for a reader (report, map, and pages) in the reader's language
        written = write_outputs(
            result,
            out,
            map_html=render_map(build_map(result, title=study.name), assets=assets),
            report_html=build_report(result),
            force=force,
            manifest_extra={"language": i18n.check_language(lang)},
        )
    _summary(result, written, time.perf_counter() - t0, quiet)


@cli.command()
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
@settings_options
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
    --fine-units data/sf/block_groups.geojson --fine-unit-id GEO_ID."""
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


@cli.command()
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
@click.option("--units", required=True, type=click.Path(path_type=Path), help="Polygon layer of the units.")
@click.option("--unit-id", help="Column that identifies a unit (guessed when not given).")
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
@click.option("--population", help="A population column of --units, or a polygon layer to interpolate from by area.")
@click.option("--population-column", help="The population column of the --population layer.")
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
@click.option("--dem", type=click.Path(path_type=Path), help="A digital elevation model (any raster, any CRS).")
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
    groups: str | None,
    rank_by: str | None,
    crime_rates: str | None,
    crime_rate_per: float,
    camera_tags: str | None,
    buildings: Path | None,
    streets: Path | None,
    dem: Path | None,
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
        unit_id=unit_id,
        crime=crime,
        crime_columns=[c.strip() for c in crime_columns.split(",") if c.strip()] if crime_columns else None,
        no_crime_data=_no_crime_data(no_crime_data),
        categories=list(categories) or None,
        since=since,
        until=until,
        population=population,
        population_column=population_column,
        groups=groups,
        rank_by=rank_by,
        crime_rates=[c.strip() for c in crime_rates.split(",") if c.strip()] if crime_rates else None,
        crime_rate_per=crime_rate_per,
        camera_tags=_camera_tags(camera_tags),
        buildings=buildings,
        streets=streets,
        dem=dem,
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


@cli.command("cameras")
@click.argument("source", type=click.Path(path_type=Path))
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write the normalised camera views (.csv, .gpkg or .geojson).",
)
@settings_options
@click.pass_context
def cameras_cmd(ctx: click.Context, source: Path, output: Path | None, **settings: Any) -> None:
    """Read and normalise cameras; summarise their tags and tag problems."""
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


@cli.command()
@click.option("--place", required=True, help='A place name that Nominatim knows, e.g. "Quito, Ecuador".')
@click.option("--out", required=True, type=click.Path(file_okay=False, path_type=Path), help="Output folder.")
@click.option("--buildings/--no-buildings", default=False, help="Also download building footprints.")
@click.pass_context
def fetch(ctx: click.Context, place: str, out: Path, buildings: bool) -> None:
    """Download cameras (and the place's boundary) from OpenStreetMap, for offline use."""
    from equity.io.fetch import fetch_place

    written = fetch_place(place, out, buildings=buildings)
    if not ctx.obj["quiet"]:
        for path in written.values():
            _echo(f"Wrote {path}")


def main() -> None:
    """Entry point of the ``equity`` console script."""
    cli(obj={})


if __name__ == "__main__":  # pragma: no cover
    main()
