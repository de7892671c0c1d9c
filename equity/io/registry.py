"""The registry of readers: for each layer of a study, the reader of each file format it takes.

A file's format is told from its content (see :func:`equity.io._common.sniff_format`), once, by
:func:`read_layer`, which then hands the open file to the layer's reader for that format, or refuses the file
in one sentence naming the format found and the formats the layer takes. Adding a format to a layer is one line
of :data:`LAYERS`, such as ``"csv": crime.crime_rows_from_csv``.

The entry points of the layers, the ``*_from_file`` functions, are defined here and handed on by
:mod:`equity.io`: each reads the file with :func:`read_layer` (crime with :func:`open_layer`, to filter the rows
as they are read), then hands what was read to its layer's module for what that checks or sums up. The reader
modules import nothing of this registry:

========================================== ===================================================================
entry point                                what it does
========================================== ===================================================================
:func:`cameras_from_file`                  :func:`read_layer`, then :func:`~equity.io.cameras.check_cameras`
:func:`crime_from_file`                    :func:`open_layer`, the filters of
                                           :func:`~equity.io.crime.crime_selection` applied as the rows are
                                           read, then :func:`~equity.io.crime.crime_from_rows`
:func:`units_from_file`                    :func:`read_layer`
:func:`population_layer_from_file`         :func:`read_layer`
:func:`buildings_from_file`                :func:`read_layer`, then :func:`~equity.io.buildings.check_buildings`
:func:`streets_from_file`                  :func:`read_layer`, then :func:`~equity.io.streets.check_streets`
:func:`land_from_file`                     :func:`read_layer`
========================================== ===================================================================

========== ================================================================================================
layer      formats
========== ================================================================================================
cameras    OSM XML, .osm.bz2, .osm.pbf, Overpass JSON, CSV with coordinate columns, GeoJSON, GeoPackage,
           another vector format GDAL reads (points)
crime      CSV with coordinate columns; GeoJSON, GeoPackage, another vector format (points)
units      GeoJSON, GeoPackage, another vector format (polygons)
population GeoJSON, GeoPackage, another vector format (polygons)
buildings  OSM XML, .osm.bz2, .osm.pbf, Overpass JSON; GeoJSON, GeoPackage, another vector format (polygons)
streets    OSM XML, .osm.bz2, .osm.pbf; GeoJSON, GeoPackage, another vector format (lines)
land       OSM XML, .osm.bz2, .osm.pbf; GeoJSON, GeoPackage, another vector format (polygons, ``kind`` column)
========== ================================================================================================

Each input file is opened once by its reader where the format allows (see
:class:`~equity.io._common.SourceFile`): the format is told from the head of the one open handle, and

- a CSV is read in chunks from that handle (the header, then the rows);
- an Overpass JSON file is parsed from it (once: the parse that told it from GeoJSON is kept);
- a GeoJSON or OSM XML file of up to 50 MB (:data:`~equity.io._common.IN_MEMORY_BYTES`) is read whole from it,
  and its bytes are handed to GDAL (an in-memory dataset) or to pyosmium (a file buffer).

The other formats are opened again, by the library that reads them, after their first bytes told the format;
this cannot be avoided, as these libraries read from a path, and the files are not to be held in memory whole:

- GeoPackage, Shapefile (with its .shx, .dbf and .prj) and the other formats of GDAL, which opens them itself,
  once to list their layers and once to read the first (a GeoPackage is opened twice each time, and once more
  as units, to tell an area of ``equity fetch``, which is refused without ``--units-level``);
- .osm.pbf, which pyosmium reads itself: once for cameras and streets, twice for buildings and land (their
  areas are assembled in two passes); a .osm.bz2 file is unpacked from the open handle into a temporary file
  (bounded: see :meth:`~equity.io._common.SourceFile.osmium_file`), which pyosmium reads;
- GeoJSON and OSM XML files larger than 50 MB;
- a GeoJSON file that GDAL cannot read from memory (a damaged one), read again from its path so that GDAL's
  message on it is the one it always gives.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

from equity._errors import InputError, InputFormatError
from equity.io import buildings, cameras, crime, crime_tables, landuse, streets, units
from equity.io._common import OSM_FORMATS, ReadResult, SourceFile, open_source

#: A reader: the open file, then the layer's options, to what was read (a ReadResult; for crime, the rows that
#: :func:`crime_from_file` sums up).
Reader = Callable[..., Any]

#: How a format is named in the sentence that refuses a file of it.
FORMAT_NAMES = {
    "osm-xml": "an OSM XML file",
    "osm-bz2": "a bzip2-compressed OSM file",
    "osm-pbf": "an OSM PBF file",
    "overpass-json": "an Overpass JSON file",
    "geojson": "a GeoJSON file",
    "gpkg": "a GeoPackage",
    "csv": "a CSV file",
    "vector": "a vector file",
}


@dataclass(frozen=True)
class Layer:
    """A layer of a study: the reader of each format it takes, and how it is named in messages.

    Attributes
    ----------
    what : str
        The layer's name in a sentence ("building" in "cannot be read as a building layer").
    expected : str
        The formats it takes, in words.
    readers : Mapping
        Format (as :func:`~equity.io._common.sniff_format` names it) -> reader, called with the open
        :class:`~equity.io._common.SourceFile` and the options of :func:`read_layer` (crime's readers by
        :func:`crime_from_file`, with the filters to apply as the rows are read).
    refusal : str or None
        The sentence that refuses a file of another format, with ``{path}`` and ``{fmt}``, where the layer had
        its own before the registry; None for the usual one (see :meth:`refuse`).
    format_in_meta : bool
        Whether the format is recorded in the result's ``meta["format"]`` (unless the reader set it).
    """

    what: str
    expected: str
    readers: Mapping[str, Reader]
    refusal: str | None = None
    format_in_meta: bool = False

    def refuse(self, source: SourceFile) -> InputFormatError:
        """The error for a file of a format this layer has no reader for (or a DataFrame without geometry where
        the layer needs one)."""
        if source.format == "csv" and getattr(source, "kind", None) == "DataFrame":
            return InputFormatError(
                f"{source.path} has no geometry, and a {self.what} layer needs one; expected a GeoDataFrame "
                f"(or {self.expected})."
            )
        if self.refusal is not None:
            return InputFormatError(self.refusal.format(path=source.path, fmt=source.format))
        name = FORMAT_NAMES.get(source.format, f"a {source.format} file")
        return InputFormatError(
            f"{source.path}: {name} cannot be read as a {self.what} layer; expected {self.expected}."
        )


#: The formats pyosmium reads, and those GDAL reads (``vector``: any other format GDAL knows).
OSM = tuple(OSM_FORMATS)
VECTOR = ("geojson", "gpkg", "vector")

LAYERS: dict[str, Layer] = {
    "cameras": Layer(
        "camera",
        "an OSM file, Overpass JSON, a CSV with coordinate columns or a point layer (GeoJSON, GeoPackage, ...)",
        {
            **dict.fromkeys(OSM, cameras.cameras_from_osm),
            "overpass-json": cameras.cameras_from_overpass,
            "csv": cameras.cameras_from_csv,
            **dict.fromkeys(VECTOR, cameras.cameras_from_vector),
        },
        format_in_meta=True,
    ),
    "crime": Layer(  # the readers return the rows for crime_from_file to sum up (see open_layer)
        "crime",
        "a CSV with coordinate columns or a point layer (GeoJSON, GeoPackage, ...)",
        {
            "csv": crime.crime_rows_from_csv,
            **dict.fromkeys(VECTOR, crime.crime_rows_from_layer),
        },
        refusal="{path}: crime must be a CSV with coordinate columns or a point layer, not {fmt}.",
    ),
    "units": Layer(
        "unit",
        "a polygon layer (GeoJSON, GeoPackage, Shapefile, ...)",
        dict.fromkeys(VECTOR, units.units_from_layer),
        refusal="{path}: units must be a polygon layer (GeoJSON, GeoPackage, Shapefile, ...).",
    ),
    "population": Layer(
        "population",
        "a polygon layer (GeoJSON, GeoPackage, Shapefile, ...)",
        dict.fromkeys(VECTOR, units.population_from_layer),
    ),
    "buildings": Layer(
        "building",
        "an OSM file, Overpass JSON or a polygon layer (GeoJSON, GeoPackage, ...)",
        {
            **dict.fromkeys(OSM, buildings.buildings_from_osm),
            "overpass-json": buildings.buildings_from_overpass,
            **dict.fromkeys(VECTOR, buildings.buildings_from_vector),
        },
        refusal="{path}: buildings must be an OSM file, Overpass JSON or a polygon layer, not {fmt}.",
        format_in_meta=True,
    ),
    "streets": Layer(
        "street",
        "an OSM file or a line layer (GeoJSON, GeoPackage, ...)",
        {**dict.fromkeys(OSM, streets.streets_from_osm), **dict.fromkeys(VECTOR, streets.streets_from_vector)},
        refusal="{path}: streets must be an OSM file or a line layer, not {fmt}.",
        format_in_meta=True,
    ),
    "land": Layer(
        "land use",
        "an OSM file or a polygon layer with a 'kind' column (GeoJSON, GeoPackage, ...)",
        {**dict.fromkeys(OSM, landuse.land_from_osm), **dict.fromkeys(VECTOR, landuse.land_from_vector)},
        refusal="{path}: land use must be an OSM file or a polygon layer, not {fmt}.",
    ),
}


@contextmanager
def open_layer(layer: str, path: str | Path) -> Iterator[tuple[SourceFile, Reader]]:
    """The file of one layer, checked, opened and its format told, with the layer's reader for that format; the
    file is closed at the end of the block.

    Raises
    ------
    InputFileError
        When the file is missing, empty, or of no format equity reads.
    InputFormatError
        When the layer has no reader for the file's format (one sentence naming the file, the format found and
        the formats the layer takes).
    """
    spec = LAYERS[layer]
    with open_source(path) as source:
        reader = spec.readers.get(source.format)
        if reader is None:
            raise spec.refuse(source)
        yield source, reader


def read_layer(layer: str, path: str | Path, **options: Any) -> ReadResult:
    """Read one layer of a study from a file of any format the layer takes.

    The file is checked (it exists, is a file, is not empty), opened, and its format told from its first bytes;
    the layer's reader for that format reads it from the same open file (see :func:`open_layer`).

    Parameters
    ----------
    layer
        One of the keys of :data:`LAYERS`: ``cameras``, ``crime``, ``units``, ``population``, ``buildings``,
        ``streets``, ``land``.
    path
        The file.
    **options
        The reader's options (for crime: ``categories``, ``since``, ``until``, ``dedupe``, ``chunksize``; for
        units: ``id_column``; for population: ``column``).

    Returns
    -------
    ReadResult
        What the reader read.

    Raises
    ------
    InputFileError
        When the file is missing, empty, or of no format equity reads.
    InputFormatError
        When the layer has no reader for the file's format (one sentence naming the file, the format found and
        the formats the layer takes), or from the reader.
    """
    if layer == "crime":  # its readers return rows filtered as they are read, which crime_from_file sums up
        return crime_from_file(path, **options)
    with open_layer(layer, path) as (source, reader):
        result = reader(source, **options)
    if LAYERS[layer].format_in_meta:
        result.meta.setdefault("format", source.format)
    return result


def cameras_from_file(path: str | Path) -> ReadResult:
    """Read cameras from any supported file, telling its format from its content (not its extension), with the
    readers of :data:`LAYERS`; checked by :func:`~equity.io.cameras.check_cameras`."""
    return cameras.check_cameras(read_layer("cameras", path), path)


def crime_from_file(
    path: str | Path,
    *,
    categories: list[str] | None = None,
    since: str | date | datetime | None = None,
    until: str | date | datetime | None = None,
    dedupe: bool = True,
    chunksize: int = 100_000,
) -> ReadResult:
    """Read crime incidents as WGS84 points, filtered by category and date.

    A CSV is read in chunks of ``chunksize`` rows, each parsed, checked and filtered before the next is read,
    and only the columns the analysis uses are kept, so that a file of millions of incidents is read in
    memory bounded by the incidents kept (a progress bar shows on a terminal).

    Parameters
    ----------
    path
        A CSV with longitude/latitude columns (``X``/``Y``, ``lon``/``lat``, ``longitude``/``latitude``, ...)
        or a point layer GDAL reads.
    categories
        Keep only incidents whose category (case-insensitive) is one of these.
    since, until
        Keep only incidents dated on or after ``since`` and on or before ``until`` (whole days).
    dedupe
        Count an incident once when several rows share its incident number (one report, several
        offences); the extra rows are listed in the rejected rows.
    chunksize
        Rows of a CSV read at a time.

    Returns
    -------
    ReadResult
        Data columns ``incident_id``, ``category``, ``date``, ``record`` and the point; counts ``rows_read``,
        ``rows_without_coordinates``, ``rows_filtered_category``, ``rows_filtered_date``,
        ``duplicate_incident_rows``.
    """
    try:
        with open_layer("crime", path) as (source, read_rows):
            selection = crime.crime_selection(
                source.path, categories=categories, since=since, until=until, dedupe=dedupe
            )
            rows = read_rows(source, selection, categories, chunksize)
    except InputError as err:
        # a table of counts per unit given as incident points: say so, and name the option that reads it
        if not isinstance(err, crime_tables.CountTableError) and crime_tables.looks_like_count_table(Path(path)):
            msg = (
                f"{path}: a table of counts per unit (no coordinates, no geometry), not incident points; give it "
                "with --crime-table (and --crime-table-key, --crime-table-count to name its columns)."
            )
            raise crime_tables.CountTableError(msg) from err
        raise
    return crime.crime_from_rows(
        rows, selection, source.path, source.format, categories=categories, since=since, until=until
    )


def units_from_file(path: str | Path | units.UnitsSpec, *, id_column: str | None = None) -> ReadResult:
    """Read the units of analysis: a polygon layer, each unit with a unique id.

    Parameters
    ----------
    path
        Any polygon layer GDAL reads (GeoJSON, GeoPackage, Shapefile, ...); or a
        :class:`~equity.io.units.UnitsSpec`: the boundaries of one ``admin_level`` of an area written by
        ``equity fetch``, or the cells of a grid (:func:`~equity.io.units.units_from_spec`). An area of
        ``equity fetch`` given as a path is refused, with its levels listed.
    id_column
        The column that identifies a unit. When None, the first of :data:`~equity.io.units.UNIT_ID_NAMES`
        present with unique values is used, else the first text column with unique values.

    Returns
    -------
    ReadResult
        Data with a text column ``unit_id`` first, then the layer's own columns, in the layer's CRS.
        Invalid polygons are repaired (``shapely.make_valid``) and counted in ``counts["repaired_geometries"]``.
    """
    if isinstance(path, units.UnitsSpec):  # the boundaries of one level of a fetched area, or a grid
        return units.units_from_spec(path, id_column=id_column, read_cameras=cameras_from_file)
    if units.is_fetched_area(path):
        levels = units.place_levels(units.area_layer(path, "boundaries"), units.area_layer(path, "place"))
        listed = ", ".join(f"{r.admin_level} ({r.count})" for r in levels.itertuples()) or "none"
        msg = (
            f"{path}: is an area fetched by equity fetch; pick the units with --units-level N (the levels of its "
            f"administrative boundaries, with their numbers, are {listed}), or use a grid (--units grid:500)."
        )
        raise InputFormatError(msg)
    return read_layer("units", path, id_column=id_column)


def population_layer_from_file(
    path: str | Path, *, column: str | None = None, keep: tuple[str, ...] = ()
) -> ReadResult:
    """Read a polygon layer with a population count per polygon (for area-weighted interpolation).

    The population column is ``column``, else the first of :data:`~equity.io.units.POPULATION_NAMES` (any
    case). Its values must be numbers of at least 0; a missing value is an error, not a zero.
    """
    return read_layer("population", path, column=column, keep=keep)


def buildings_from_file(path: str | Path) -> ReadResult:
    """Read building footprints from any supported file, telling its format from its content, with the readers
    of :data:`LAYERS`; refused by :func:`~equity.io.buildings.check_buildings` when there is none."""
    return buildings.check_buildings(read_layer("buildings", path), path)


def streets_from_file(path: str | Path) -> ReadResult:
    """Read streets as lines: from an OSM file (ways tagged with a ``highway`` of
    :data:`~equity.io.streets.STREET_HIGHWAYS`), or from a line layer (every line is a street), with the readers
    of :data:`LAYERS`; refused by :func:`~equity.io.streets.check_streets` when there is none."""
    return streets.check_streets(read_layer("streets", path), path)


def land_from_file(path: str | Path) -> ReadResult:
    """Residential and public land as polygons with columns ``kind`` (``residential`` or ``public``) and
    ``tag`` (the OSM tag that made it so), with the readers of :data:`LAYERS`."""
    return read_layer("land", path)
