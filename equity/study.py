"""A Study: the input files, options and settings of one analysis.

``Study.load() -> Inputs`` reads, validates and projects every input once (:mod:`equity.inputs`);
``analyse(inputs, settings) -> StudyResult`` runs the stages of one analysis on them (:mod:`equity.analysis`),
as often as asked; :meth:`Study.run` does both, and the sensitivity runs (:mod:`equity.sensitivity`) on the same
loaded inputs. The study never opens a file itself; writing the outputs is
:func:`equity.io.outputs.write_outputs`'s job.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd

from equity._errors import InputError
from equity.analysis import analyse
from equity.inputs import Inputs, is_file_like, load
from equity.io.frames import FrameSource, as_source
from equity.result import StudyResult
from equity.settings import Settings

log = logging.getLogger(__name__)

__all__ = ["Study", "StudyResult"]


@dataclass
class Study:
    """The inputs and settings of one analysis.

    Every input layer (``cameras``, ``units``, ``crime``, ``population``, ``buildings``, ``streets``, ``land``,
    ``no_crime_data``) is a file's path or a (Geo)DataFrame held in memory. A frame is read by the reader of its
    layer with the checks a file gets (:mod:`equity.io.frames`): a GeoDataFrame must have a CRS; a DataFrame of
    cameras or incidents without geometry is read as a CSV table with longitude and latitude columns. The study
    keeps it as its :class:`~equity.io.frames.FrameSource` (the frame is never modified), and the manifest
    records it as ``in-memory GeoDataFrame (n rows, sha256 ...)`` where a file has its path and hash. ``dem`` is
    a path, or a rasterio dataset opened from a file.

    Parameters
    ----------
    cameras
        Camera source: .osm, .osm.bz2, .osm.pbf, Overpass JSON, GeoJSON, GeoPackage or CSV, or a GeoDataFrame of
        points, or a DataFrame with longitude and latitude columns; None with ``camera_counts``.
    camera_counts
        A column of ``units`` with the number of cameras in each unit, for a source that publishes counts per
        district, not locations (used instead of ``cameras``). The measures that need no location are computed
        (cameras per km², per 1,000 residents, per 100 crimes, the groups' means of them); those that need one
        (coverage, the gap and the classes, effective cameras, cameras within a buffer, operators, anomalies) are
        left empty, and no sensitivity run is made.
    units
        Polygon layer of the units of analysis (neighbourhoods, tracts, ...); or the ``area.gpkg`` of ``equity
        fetch`` with ``units_level``; or a grid, ``"grid:500"`` (squares of 500 m) or ``"hex:500"`` (hexagons
        500 m across), over ``area`` or the cameras (:mod:`equity.grid`).
    units_level
        The ``admin_level`` of the boundaries of an ``area.gpkg`` to take as units (``--units-level``).
    area
        The study area a grid covers (``--area``): a polygon layer, or the ``area.gpkg`` of ``equity fetch``.
    unit_id
        Column of ``units`` that identifies a unit (guessed when None).
    crime
        Incident points (CSV with coordinates, or a point layer), or None.
    crime_columns
        Columns of ``units`` that hold crime counts per unit, summed (used instead of ``crime``).
    crime_rates
        Columns of ``units`` that hold crime rates per resident (or per ``crime_rate_per`` residents), for sources
        that publish rates, not incidents: each unit's crimes are ``Σ rates · P_u / crime_rate_per`` with ``P_u``
        its residents (an estimate; a unit without residents gets no crime data, as a rate cannot give its
        count). Used instead of ``crime`` and ``crime_columns``.
    crime_rate_per
        The number of residents the ``crime_rates`` are per (1: incidents per resident).
    no_crime_data
        Where the crime data does not apply (a park or a base policed by another agency): unit ids, or a polygon
        layer of the region. Those units get "no crime data", not a count of zero, and no class.
    categories, since, until
        Filters of the incident points: categories (case-insensitive) and a date range.
    population
        A column of ``units``, or a polygon layer to interpolate from by area (see
        :func:`equity.population.interpolate_population`), or None.
    population_column
        The population column of the population layer (guessed when None).
    population_density
        For a population raster of residents per unit of area: ``"km2"`` or ``"ha"`` (WorldPop's ``pph``). A
        raster is read as residents per cell otherwise (see :mod:`equity.io.population_raster`).
    population_year
        The year of the population raster's estimate, recorded and shown (default: read from its file name,
        ``ppp_2020``, ``GHS_POP_E2020``).
    groups
        Groups of residents (``--groups``): a string ``NAME=COLUMN,NAME=COLUMN%TOTAL`` or a list of
        :class:`equity.groups.GroupSpec`. Columns of ``units``, else of the ``population`` layer (interpolated by
        area like the population). See :mod:`equity.groups`.
    rank_by
        A column of ``units`` (median income, a poverty rate, ...) to rank the units by for the concentration
        curves of camera exposure (``--rank-by``).
    camera_tags
        Tags given to every camera that lacks them (``{"camera:type": "dome"}``), for a camera source without
        tags (an official list of locations): an assumption about the source, counted in the ledger
        (``cameras_tags_assumed``) and stated in the report. A camera's own tag always wins.
    buildings
        Building footprints (an OSM file, Overpass JSON or a polygon layer) that block views; their heights
        come from :func:`equity.buildings.building_height`.
    streets
        The street network (an OSM file or a line layer), for the share of each unit's street length in view.
    dem
        A digital elevation model (any raster rasterio reads, any CRS), or its tiles (.hgt, .tif) in one CRS: a
        list of files, or a folder, mosaicked in the process (:class:`equity.io.dem.DemSource`). With
        ``buildings`` or ``dem`` the study computes viewsheds (:mod:`equity.visibility`) instead of open-ground sectors.
    dem_fill
        ``"flat"`` to go on where the DEM has no data, with flat ground at the DEM's median elevation; by
        default a DEM that does not cover the study area is an error that says how much is missing.
    land
        Land use (an OSM file, or a polygon layer with a ``kind`` column of ``residential`` or ``public``) for
        the homes-in-view analysis; by default read from ``buildings`` when that is an OSM file.
    home_column
        A column (tag) of the building layer that marks homes (yes/true/1), instead of OSM building types.
    statistics
        Compute the city-level measures' bootstrap intervals and the spatial clusters (default yes; the
        sensitivity runs switch them off, as they compare point values).
    sensitivity
        Run the study again under low and high values of the assumptions that matter
        (:mod:`equity.sensitivity`) and mark each unit's class robust or uncertain (default yes).
    privacy
        ``public`` (the default): outputs carry camera-level figures and unit-level aggregates only, never a
        home's geometry or id. ``internal``: the result also holds each home and the cameras that see it, and
        every output says that it holds personal data.
    settings
        The documented defaults (:class:`equity.settings.Settings`).
    engine
        Where the tiles of the viewshed work run (:class:`equity.engine.Engine`): in the process (the default),
        in a local process pool or on a Dask cluster. It never changes the results.
    name
        The study's title in the map and report.
    notes
        What a reader of the outputs must be told about the data (a data README's notes: the dates of a snapshot,
        how a figure was derived), shown first among the report's caveats.
    crime_table
        Tables of crime counts per unit (CSV, JSON, .xlsx or DataFrames; one or several, one per category or year),
        joined to the units by a key column or by name (:mod:`equity.io.crime_tables`; used instead of ``crime``).
    crime_table_key, crime_table_count
        The tables' column of unit ids or names and of counts (guessed when None, and the guess stated).
    crime_table_category
        A column of the tables holding each row's category, or a regular expression on the file names (by default
        the file's name without its suffix is its category).
    crime_table_complete
        The tables list every unit with crime: a unit without a row has 0 crimes (by default it has no count).
    period
        A label of the period the crime data covers (``"2023"``, ``"Jan-Jun 2024"``), recorded in the manifest
        (``sources.crime.period``) and shown in the report.
    sources
        Where each input comes from, with its date and licence, by role (``cameras``, ``crime``, ...): shown in
        the report's data sources. OpenStreetMap's attribution is always shown for OSM camera data.
    """

    cameras: str | Path | pd.DataFrame | None
    units: str | Path | gpd.GeoDataFrame
    unit_id: str | None = None
    crime: str | Path | gpd.GeoDataFrame | None = None
    crime_columns: list[str] | None = None
    camera_counts: str | None = None
    crime_rates: list[str] | None = None
    crime_rate_per: float = 1.0
    no_crime_data: list[str] | str | Path | gpd.GeoDataFrame | None = None
    categories: list[str] | None = None
    since: str | None = None
    until: str | None = None
    population: str | Path | gpd.GeoDataFrame | None = None
    population_column: str | None = None
    population_density: str | None = None
    population_year: int | None = None
    groups: Any = None
    rank_by: str | None = None
    camera_tags: dict[str, str] | None = None
    buildings: str | Path | gpd.GeoDataFrame | None = None
    streets: str | Path | gpd.GeoDataFrame | None = None
    dem: str | Path | list[str | Path] | Any = None
    dem_fill: str | None = None
    land: str | Path | gpd.GeoDataFrame | None = None
    home_column: str | None = None
    privacy: str = "public"
    sensitivity: bool = True
    statistics: bool = True
    settings: Settings = field(default_factory=Settings)
    name: str = "study"
    engine: Any = None
    sources: dict[str, str] | None = None
    notes: list[str] | None = None
    crime_table: Any = None
    crime_table_key: str | None = None
    crime_table_count: str | None = None
    crime_table_category: str | None = None
    crime_table_complete: bool = False
    period: str | None = None
    units_level: str | int | None = None
    area: str | Path | None = None

    #: The inputs that may be given as a (Geo)DataFrame instead of a file.
    FRAME_INPUTS = ("cameras", "units", "crime", "population", "buildings", "streets", "land", "no_crime_data")

    def __post_init__(self) -> None:
        """Wrap each input given as a (Geo)DataFrame in its :class:`equity.io.frames.FrameSource`, which the
        readers read as they read a file of the layer (the same checks: a GeoDataFrame needs a CRS; a DataFrame of
        cameras or incidents with longitude and latitude columns is read as a CSV table is), and take a DEM
        given as an open rasterio dataset by the file it was opened from."""
        for role in self.FRAME_INPUTS:
            setattr(self, role, as_source(getattr(self, role), role))
        if isinstance(self.units, (str, Path)):  # boundaries of one level, or a grid (equity.io.units.units_spec)
            from equity.io.units import units_spec

            cameras = self.cameras if isinstance(self.cameras, (str, Path)) else None
            self.units = units_spec(self.units, level=self.units_level, area=self.area, cameras=cameras)
        elif self.units_level is not None or self.area is not None:
            msg = "units_level and area make units from a file (an area.gpkg, or a grid over an area); units is none."
            raise InputError(msg)
        if self.dem is not None and not isinstance(self.dem, (str, Path)) and hasattr(self.dem, "read"):
            name = getattr(self.dem, "name", None)
            if not name or not Path(name).is_file():
                msg = (
                    f"the DEM dataset {name!r} was not opened from a file on disk; give the DEM's file (any raster "
                    "rasterio reads), so that every process of the analysis can open it."
                )
                raise InputError(msg)
            self.dem = Path(name)

    def inputs(self) -> dict[str, Path | FrameSource]:
        """The inputs of the study by role: a file's path, or the :class:`~equity.io.frames.FrameSource` of an
        input given in memory (its ``name`` says what it is; the manifest records its rows and hash)."""

        def source(value: Any) -> Path | FrameSource:
            return value if isinstance(value, FrameSource) else Path(value)

        files = {"units": source(self.units)} if self.cameras is None else {"cameras": source(self.cameras)}
        files["units"] = source(self.units)
        if self.crime is not None:
            files["crime"] = source(self.crime)
        if self.population is not None and is_file_like(self.population):
            files["population"] = source(self.population)
        if self.buildings is not None:
            files["buildings"] = source(self.buildings)
        if self.streets is not None:
            files["streets"] = source(self.streets)
        if self.dem is not None and not isinstance(self.dem, (list, tuple)) and not Path(self.dem).is_dir():
            files["dem"] = source(self.dem)
        elif self.dem is not None:  # tiles: each file, a folder's listed
            from equity.io.dem import dem_tiles

            files.update({f"dem_{i + 1}": p for i, p in enumerate(dem_tiles(self.dem))})
        if self.land is not None:
            files["land"] = source(self.land)
        tables = [t for t in self.crime_tables() if isinstance(t, Path)]  # a DataFrame is no file
        for i, table in enumerate(tables):
            files["crime_table" if i == 0 else f"crime_table_{i + 1}"] = table
        if isinstance(self.no_crime_data, (str, Path, FrameSource)) and is_file_like(self.no_crime_data):
            files["no_crime_data"] = source(self.no_crime_data)
        return files

    def crime_tables(self) -> list[Any]:
        """The tables of crime counts (``crime_table``: one path or DataFrame, or several) as a list, paths as
        Paths."""
        if self.crime_table is None:
            return []
        one = isinstance(self.crime_table, (str, Path)) or hasattr(self.crime_table, "columns")
        tables = [self.crime_table] if one else self.crime_table
        return [t if hasattr(t, "columns") else Path(t) for t in tables]

    def check(self) -> None:
        """Refuse options that contradict each other, before anything is read."""
        if self.crime_tables() and (self.crime is not None or self.crime_columns or self.crime_rates):
            msg = (
                "Give crime either as tables of counts (--crime-table) or as incidents, unit columns or rates "
                "(--crime, --crime-columns, --crime-rates), not both."
            )
            raise InputError(msg)
        if self.period is not None and not (
            self.crime is not None or self.crime_columns or self.crime_rates or self.crime_tables()
        ):
            msg = "--period labels the crime data's period; give the crime data too."
            raise InputError(msg)
        if self.privacy not in ("public", "internal"):
            msg = f"privacy must be 'public' or 'internal', not {self.privacy!r}."
            raise InputError(msg)
        if (
            self.no_crime_data is not None
            and self.crime is None
            and not self.crime_columns
            and not self.crime_rates
            and not self.crime_tables()
        ):
            msg = "--no-crime-data says where the crime data does not apply; give the crime data (--crime) too."
            raise InputError(msg)
        if (self.cameras is None) == (self.camera_counts is None):
            msg = (
                "Give the cameras either as locations (--cameras) or as counts per unit (--camera-counts), "
                "one of the two."
            )
            raise InputError(msg)
        if self.crime is not None and self.crime_columns:
            msg = "Give crime either as incident points (--crime) or as unit columns (--crime-columns), not both."
            raise InputError(msg)
        if self.crime_rates and (self.crime is not None or self.crime_columns):
            msg = "Give crime either as rates (--crime-rates) or as counts (--crime, --crime-columns), not both."
            raise InputError(msg)
        if self.crime_rates and self.population is None:
            msg = "--crime-rates are rates per resident; give the residents too (--population)."
            raise InputError(msg)
        if not self.crime_rate_per > 0:
            msg = f"--crime-rate-per must be a positive number of residents, not {self.crime_rate_per!r}."
            raise InputError(msg)
        if self.groups:
            from equity.groups import GroupSpec, parse_groups

            if isinstance(self.groups, str) or not all(isinstance(g, GroupSpec) for g in self.groups):
                self.groups = parse_groups(
                    self.groups if isinstance(self.groups, str) else [str(g) for g in self.groups]
                )

    def load(self) -> Inputs:
        """Read, validate and project every input once (:func:`equity.inputs.load`)."""
        self.check()
        return load(self)

    def run(self) -> StudyResult:
        """Load the inputs, analyse them under the study's settings and, when asked, under the sensitivity
        variants (on the same loaded inputs), and return everything in memory."""
        self.check()
        if self.engine is not None and (self.buildings is not None or self.dem is not None):
            self.engine.warm()  # the tiles' workers load equity while the inputs are read
        inputs = self.load()
        try:
            if self.sensitivity and inputs.dem is not None:
                from equity.io.dem import REUSE_CACHE_BYTES

                inputs.dem.cache_bytes = REUSE_CACHE_BYTES  # the runs read the same blocks of the DEM
            result = analyse(inputs, self.settings)
            if self.sensitivity and inputs.camera_counts is None:  # with counts only, no class to test
                from equity.sensitivity import with_sensitivity

                with_sensitivity(inputs, result)
        finally:
            inputs.close()
        for message in result.ledger.warnings:
            log.warning("%s", message)
        return result
