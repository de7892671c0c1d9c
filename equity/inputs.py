"""The loaded inputs of a study: every file read, validated and projected once, and what does not depend on the
analysis's settings computed once.

:func:`load` is the only stage that calls the readers of :mod:`equity.io`; :func:`equity.analysis.analyse`
works on its :class:`Inputs` and can be called again with other settings (the sensitivity runs, the
uncertainty draws) without opening a file. What a loaded study holds:

- the units in the study's metric CRS (:func:`equity.projection.metric_crs` of the unit layer) and their areas;
- the cameras as read (their tags), projected, with the unit each stands in; their views depend on the
  settings of the camera model and are made by the analysis;
- the incidents, projected, with the unit each lies in, or the crime counts of the unit layer's columns;
- each unit's population;
- the buildings with their heights, each unit's built area, and the homes and land of the homes analysis;
- the streets and each unit's street length;
- the DEM (one :class:`equity.io.dem.DemSource`, opened once), its check over the study area, and each unit's
  terrain (computed once for each terrain cell size asked for).

Settings read while loading (``dedupe_incidents``, by the crime reader; the thresholds of the checks of the
population polygons) are recorded in
:attr:`Inputs.load_settings`; an analysis with other values of them is refused, as it would need another load.
"""

from __future__ import annotations

import math
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import geopandas as gpd
import numpy as np
import pandas as pd
from affine import Affine

from equity import coverage
from equity._errors import InputError, InputFormatError
from equity.cameras import split_non_cameras
from equity.ledger import Ledger
from equity.projection import MAX_SCALE_ERROR, metric_crs, scale_error, to_metric, to_wgs84
from equity.settings import Settings

if TYPE_CHECKING:
    from equity.io.dem import DemSource

#: Fields of :class:`equity.settings.Settings` that are used while loading, not while analysing.
LOAD_SETTINGS = ("dedupe_incidents", "no_crime_data_share", "population_min_inside_share", "population_area_factor")


@dataclass
class HomeInputs:
    """The homes (buildings of a residential type, with ``home``: home or probable) and the land layers of the
    homes-in-view analysis, as the tiles need them."""

    homes: gpd.GeoDataFrame
    residential: gpd.GeoSeries | None
    public: gpd.GeoSeries | None
    streets: gpd.GeoSeries | None
    public_known: bool


@dataclass
class Inputs:
    """What :func:`load` read and computed once, in the study's metric CRS.

    Attributes
    ----------
    study : equity.study.Study
        The study that was loaded (its files, options and name); typed loosely, so that loading does not depend
        on the module that runs the study.
    crs : pyproj.CRS
        The metric CRS of the analysis.
    units : geopandas.GeoDataFrame
        The units, with ``unit_id``.
    area_m2 : pandas.Series
        Each unit's area, aligned to ``units``.
    cameras : geopandas.GeoDataFrame
        The cameras as read (``camera_id``, ``tags``), projected.
    camera_meta : dict
        Facts about the camera source (its format, OSM timestamp).
    camera_counts : pandas.Series or None
        Cameras per unit from a column of the unit layer (``Study.camera_counts``), for a source that publishes
        counts, not locations; then ``cameras`` is empty and no measure that needs a location is computed.
    camera_unit : pandas.Series
        The ``unit_id`` of the unit each camera stands in (None outside them), by ``camera_id``; a camera's views
        stand where it stands.
    crime : geopandas.GeoDataFrame or None
        The incident points, projected.
    crime_unit : pandas.Series or None
        The ``unit_id`` of the unit each incident lies in (None outside them).
    crimes : pandas.Series
        Incidents (or the summed crime columns, or the joined tables of counts) per unit; NaN where unknown (no
        crime data, or a unit the user declared outside the crime data's jurisdiction, ``Study.no_crime_data``).
    crime_extent : shapely geometry or None
        Where the crime data applies: the union of the units with crime data, less the declared region
        (None without crime data); counts within a radius are censored where they leave it.
    population : pandas.Series
        Residents per unit; NaN where unknown.
    population_layer : geopandas.GeoDataFrame or None
        The population polygons in the study's metric CRS, with a ``population`` column (residents of each
        polygon, as read), when the population comes from a layer of its own (``Study.population`` a file); None
        when it is a column of the unit layer, or not given. For measures that need where people live at a finer
        grain than the units (residents within a radius of a camera).
    groups : pandas.DataFrame or None
        Each group's residents per unit (``Study.groups``, one column per group, :func:`equity.groups.group_counts`),
        interpolated by area when they come from the population layer; NaN where unknown.
    rank_values : pandas.Series or None
        The column the units are ranked by (``Study.rank_by``), as numbers (NaN where empty).
    buildings : geopandas.GeoDataFrame or None
        Footprints with ``height_m`` and ``height_source``.
    built_m2 : pandas.Series or None
        Area of each unit under a building (overlaps counted once).
    homes : HomeInputs or None
        The homes-in-view inputs (with buildings).
    streets : geopandas.GeoDataFrame or None
        The street lines.
    street_m : pandas.Series or None
        Street length per unit.
    network : equity.network.StreetNetwork or None
        The streets noded into a graph of segments from intersection to intersection (with streets and camera
        locations), for the plate-reader analysis (:mod:`equity.roads`).
    dem : equity.io.dem.DemSource or None
        The elevation model.
    dem_fill : float or None
        The elevation used where the DEM has none (``dem_fill="flat"``: the median over the study area).
    ledgers : dict of str to equity.ledger.Ledger
        What each layer's loading recorded (counts, facts, set-aside rows), by layer.
    load_settings : dict
        The values of :data:`LOAD_SETTINGS` used while loading.
    """

    study: Any
    crs: Any
    units: gpd.GeoDataFrame
    area_m2: pd.Series
    cameras: gpd.GeoDataFrame
    camera_meta: dict[str, Any]
    camera_unit: pd.Series
    crimes: pd.Series
    camera_counts: pd.Series | None
    population: pd.Series
    population_layer: gpd.GeoDataFrame | None = None
    groups: pd.DataFrame | None = None
    rank_values: pd.Series | None = None
    crime: gpd.GeoDataFrame | None = None
    crime_unit: pd.Series | None = None
    crime_extent: Any = None
    buildings: gpd.GeoDataFrame | None = None
    built_m2: pd.Series | None = None
    homes: HomeInputs | None = None
    streets: gpd.GeoDataFrame | None = None
    street_m: pd.Series | None = None
    network: Any = None
    dem: DemSource | None = None
    dem_fill: float | None = None
    ledgers: dict[str, Ledger] = field(default_factory=dict)
    load_settings: dict[str, Any] = field(default_factory=dict)
    _terrain: dict[tuple[float, float], tuple[pd.DataFrame, float]] = field(default_factory=dict, repr=False)

    @property
    def has_surface(self) -> bool:
        """Whether views are viewsheds on a surface model (buildings or a DEM were given)."""
        return self.buildings is not None or self.dem is not None

    def close(self) -> None:
        """Close the DEM and drop the blocks of it this process keeps (an analysis after this opens it again)."""
        if self.dem is not None:
            self.dem.close()

    def ledger(self, layer: str) -> Ledger:
        """What loading ``layer`` recorded (an empty ledger for a layer the study does not have)."""
        return self.ledgers.get(layer, Ledger())

    def check_settings(self, settings: Settings) -> None:
        """Refuse settings that differ from the loaded ones in a field used while loading."""
        for name in LOAD_SETTINGS:
            if getattr(settings, name) != self.load_settings.get(name):
                msg = (
                    f"The setting {name} was {self.load_settings.get(name)!r} when the study was loaded and is "
                    f"{getattr(settings, name)!r} for this analysis; load the study again with the new value."
                )
                raise InputFormatError(msg)

    def terrain(self, settings: Settings, ledger: Ledger | None = None) -> tuple[pd.DataFrame, float]:
        """Mean elevation, slope, terrain class and covered share per unit
        (:func:`equity.terrain.terrain_by_unit_in_strips`) on a grid of ``settings.terrain_cell_m`` cells over
        the units, read from the DEM strip by strip, and the share of the units' cells without an elevation;
        computed once for each cell size, hillside threshold and minimum covered share.

        With a ``ledger``, records there the terrain grid's facts (``sources["terrain"]``: its cell size, the
        missing share of the units' cells, the minimum covered share and the covered share of each unit below
        it), the count ``terrain_units_without_elevation_data``, and a warning naming those units.
        """
        from equity.terrain import NO_ELEVATION, coverage_warning, terrain_by_unit_in_strips, uncovered_units
        from equity.visibility.surface import grid_for

        key = (settings.terrain_cell_m, settings.hillside_slope_pct, settings.terrain_min_covered_share)
        if key not in self._terrain:
            assert self.dem is not None
            transform, shape = grid_for(tuple(self.units.total_bounds), settings.terrain_cell_m)
            dem = self.dem

            def rows(r0: int, r1: int) -> np.ndarray:
                window = transform @ Affine.translation(0, r0)
                return dem.ground(self.crs, window, (r1 - r0, shape[1]), keep=False)

            self._terrain[key] = terrain_by_unit_in_strips(
                rows,
                transform,
                shape,
                self.units,
                hillside_pct=settings.hillside_slope_pct,
                min_covered_share=settings.terrain_min_covered_share,
            )
        table, missing = self._terrain[key]
        if ledger is not None:
            short = uncovered_units(table, self.units["unit_id"])
            ledger.source(
                "terrain",
                {
                    "cell_size_m": settings.terrain_cell_m,
                    "missing_share": missing,
                    "missing_share_of": "the units' terrain cells (cells whose centre lies in a unit)",
                    "min_covered_share": settings.terrain_min_covered_share,
                    "units_without_elevation_data": {str(u): _share(v) for u, v in short.items()},
                },
            )
            ledger.count("terrain_units_without_elevation_data", len(short))
            partly = (table["elevation_covered_share"] < 1) & (table["terrain"] != NO_ELEVATION)
            ledger.count("terrain_units_from_covered_cells_only", int(partly.sum()))
            sentence = coverage_warning(short, settings.terrain_min_covered_share, settings.terrain_cell_m)
            if sentence is not None:
                ledger.warn(sentence)
        return table, missing


def _share(value: float) -> float | None:
    """A share rounded for the manifest (None for NaN, which JSON has not)."""
    return None if np.isnan(value) else round(float(value), 6)


def load(study: Any) -> Inputs:
    """Read, validate and project every input of ``study``, and compute what no setting of an analysis changes.

    Raises the readers' errors (:mod:`equity._errors`) with the sentence that names the file and the problem.
    """
    from equity.io import crime_from_file

    s = study.settings
    ledgers: dict[str, Ledger] = {}
    # the incidents are read in a thread of their own while the other layers are read (they need none of them);
    # a problem with the file is raised where it was always raised, after the cameras and the buildings
    crime_reader = (
        _Background(
            crime_from_file,
            study.crime,
            categories=study.categories,
            since=study.since,
            until=study.until,
            dedupe=s.dedupe_incidents,
        )
        if study.crime is not None
        else None
    )
    try:
        return _load(study, crime_reader, ledgers)
    except BaseException:
        if crime_reader is not None:  # a native reader still running when the process exits can abort it
            crime_reader.settle()
        raise


def _load(study: Any, crime_reader: _Background | None, ledgers: dict[str, Ledger]) -> Inputs:
    """The body of :func:`load`, with the incidents' reader already started."""
    from equity.io import units_from_file

    s = study.settings
    ledger = ledgers["units"] = Ledger()
    unit_read = units_from_file(study.units, id_column=study.unit_id)
    for message in unit_read.meta.pop("warnings", []):  # a grid over the cameras' extent, not a place
        ledger.warn(message)
    ledger.reject(unit_read.rejected)
    ledger.source("units", unit_read.meta)
    crs = metric_crs(unit_read.data)
    _check_metric_range(unit_read.data, crs, study.units)
    units = to_metric(unit_read.data, crs)
    _check_unit_areas(units, crs, study.units)
    ledger.count("units", len(units))
    overlap, slivers = coverage.unit_overlaps(units)
    if overlap is not None:
        a, b, share = overlap
        msg = (
            f"{study.units}: units {a!r} and {b!r} overlap by {100 * share:.1f}% of the smaller one's area; "
            f"units must not overlap (overlaps up to {100 * coverage.MAX_OVERLAP_SHARE:g}% are taken for "
            "digitising slivers)."
        )
        raise InputFormatError(msg)
    ledger.count("unit_overlaps_under_1pct", slivers)
    ledger.count("unit_geometries_repaired", unit_read.counts.get("repaired_geometries", 0))
    for key in (
        "units_grid_cells",
        "units_grid_sliver_cells",
        "units_boundaries_clipped_to_place",
        "units_boundaries_outside_place",
    ):  # units made by --units grid:500 or --units-level
        if key in unit_read.counts:
            ledger.count(key, unit_read.counts[key])
    if unit_read.counts.get("unit_ids_with_control_characters"):
        ledger.count("unit_ids_with_control_characters", unit_read.counts["unit_ids_with_control_characters"])

    ledger = ledgers["cameras"] = Ledger()
    camera_counts = None
    if study.cameras is None:  # counts per unit, no locations (``Study.camera_counts``)
        camera_counts = _camera_counts(study, units)
        cam_meta = {"format": "counts per unit", "column": study.camera_counts}
        ledger.source("cameras", cam_meta)
        ledger.count("units_with_camera_count_unknown", int(camera_counts.isna().sum()))
        cameras = gpd.GeoDataFrame({"camera_id": [], "tags": []}, geometry=gpd.GeoSeries([], crs=crs), crs=crs)
        camera_unit = pd.Series([], dtype=object)
    else:
        cameras, camera_unit, cam_meta = _cameras(study, units, crs, ledger)

    streets = street_m = network = None
    if study.streets is not None:
        from equity.io import streets_from_file

        ledger = ledgers["streets"] = Ledger()
        street_read = streets_from_file(study.streets)
        ledger.reject(street_read.rejected)
        ledger.source("streets", street_read.meta)
        streets = to_metric(street_read.data, crs)
        ledger.count("streets", len(streets))
        street_m = coverage.street_length_by_unit(streets, units)
        if camera_counts is None:  # the plate readers' roads need each camera's place
            from equity.network import network_from_lines

            network = network_from_lines(streets.rename(columns={"highway": "road_class"}))
            ledger.count("street_segments", len(network.edges))
            ledger.count("street_nodes", len(network.nodes))

    buildings = built_m2 = homes = None
    if study.buildings is not None:
        buildings = _buildings(study, crs, ledgers.setdefault("buildings", Ledger()))
        if not buildings.empty:
            built_m2 = coverage.built_area_by_unit(buildings.geometry, units)
    dem = dem_fill = None
    if study.dem is not None:
        from equity.io.dem import DemSource

        dem = DemSource(study.dem)
        dem_fill = _dem_check(study, dem, units, s.cell_size_m, ledgers.setdefault("dem", Ledger()))
    if buildings is not None:
        homes = _home_inputs(study, units, buildings, streets, ledgers.setdefault("homes", Ledger()))

    group_columns = _group_layer_columns(study, units)
    population, population_layer = _population(
        study, units, ledgers.setdefault("population", Ledger()), keep=group_columns
    )
    crime = crime_unit = None
    tables = study.crime_tables() if hasattr(study, "crime_tables") else []
    if study.crime is not None and not tables:
        tables = _crime_given_as_table(study, crime_reader)
    if tables:
        from equity.io.crime_tables import crime_table_ledger

        ledger = ledgers["crime"] = Ledger()
        crimes = crime_table_ledger(study, tables, units, ledger)
    elif study.crime is not None:
        ledger = ledgers["crime"] = Ledger()
        crime_read = crime_reader.result()
        ledger.reject(crime_read.rejected)
        ledger.source("crime", crime_read.meta)
        for key, value in crime_read.counts.items():
            ledger.count(f"crime_{key}", value)
        crime = to_metric(crime_read.data, crs)
        if "category" in crime:
            ledger.count("crime_categories", crime["category"].astype(str).value_counts().head(20).to_dict())
        crime_unit = coverage.assign_units(crime, units)
        crimes = coverage.crimes_by_unit(crime, units, unit_of=crime_unit)["crimes"]
        if crimes.sum() == 0:
            msg = f"{study.crime}: none of its {len(crime)} incidents lies inside the units of {study.units}."
            raise InputFormatError(msg)
        ledger.count("crime_incidents_outside_units", int(len(crime) - crimes.sum()))
    elif study.crime_columns:
        ledger = ledgers["crime"] = Ledger()
        crimes = _sum_columns(units, study.crime_columns, study.units)
        ledger.source("crime", {"format": "unit columns", "columns": list(study.crime_columns)})
    elif study.crime_rates:
        ledger = ledgers["crime"] = Ledger()
        rates = _sum_columns(units, study.crime_rates, study.units)
        # a count from a rate needs residents: a unit without any has no count the rate could give
        crimes = (rates * population / study.crime_rate_per).where(population > 0)
        ledger.source(
            "crime",
            {
                "format": "rates in unit columns, times residents",
                "columns": list(study.crime_rates),
                "per_residents": study.crime_rate_per,
            },
        )
        ledger.count("units_without_residents_no_crime_count_from_rates", int((~(population > 0)).sum()))
    else:
        crimes = pd.Series(float("nan"), index=units.index)
    crime_extent = None
    if study.crime is not None or study.crime_columns or study.crime_rates or tables:
        crimes, crime_extent = _jurisdiction(study, units, crimes, s, ledgers["crime"])
    if getattr(study, "period", None) and "crime" in ledgers:  # the label of the crime data's period
        ledgers["crime"].sources.setdefault("crime", {})["period"] = study.period

    groups = rank_values = None
    if study.groups:
        groups = _groups(study, units, population_layer, ledgers["population"])
    if study.rank_by is not None:
        rank_values = _rank_values(study, units, ledgers["population"])
    return Inputs(
        study=study,
        crs=crs,
        units=units,
        area_m2=units.geometry.area,
        cameras=cameras,
        camera_meta=cam_meta,
        camera_unit=camera_unit,
        camera_counts=camera_counts,
        crimes=crimes,
        population=population,
        population_layer=population_layer,
        groups=groups,
        rank_values=rank_values,
        crime=crime,
        crime_unit=crime_unit,
        crime_extent=crime_extent,
        buildings=buildings,
        built_m2=built_m2,
        homes=homes,
        streets=streets,
        street_m=street_m,
        network=network,
        dem=dem,
        dem_fill=dem_fill,
        ledgers=ledgers,
        load_settings={name: getattr(s, name) for name in LOAD_SETTINGS},
    )


def _check_metric_range(units: gpd.GeoDataFrame, crs: Any, path: str | Path) -> None:
    """Refuse units that one metric CRS cannot hold: where its scale is off by more than
    :data:`equity.projection.MAX_SCALE_ERROR` at their edge, or where they do not project at all (a whole-world
    layer in a UTM zone: its far side maps to infinity, and no camera lies in what is left). Areas, lengths and
    distances there would be wrong by more than that; a study of such an extent is several studies."""
    error = scale_error(units, crs)
    if error <= MAX_SCALE_ERROR:
        return
    west, south, east, north = to_wgs84(units).total_bounds
    how = "does not reach part of them" if not math.isfinite(error) else f"is off by {100 * error:.0f}% at their edge"
    msg = (
        f"{path}: the units span {east - west:.4g} degrees of longitude by {north - south:.4g} of latitude, more "
        f"than one metric CRS can hold (the scale of {crs.name} {how}; at most {100 * MAX_SCALE_ERROR:g}% is "
        "accepted); analyse the area in parts, each a study of its own."
    )
    raise InputFormatError(msg)


def _check_unit_areas(units: gpd.GeoDataFrame, crs: Any, path: str | Path) -> None:
    """Refuse a unit without an area in the metric CRS (a polygon that collapses to a line or a point, as one
    whose corners all lie on one parallel does): it would be a unit of 0 km² whose cameras fall outside it."""
    area = units.geometry.area.to_numpy()
    bad = ~(np.isfinite(area) & (area > 0))
    if bad.any():
        unit = units["unit_id"].to_numpy()[bad.nonzero()[0][0]]
        msg = (
            f"{path}: unit {unit!r} has no area in {crs.name} (its polygon collapses to a line or a point); "
            "every unit needs an area."
        )
        raise InputFormatError(msg)


def _buildings(study: Any, crs: Any, ledger: Ledger) -> gpd.GeoDataFrame:
    """The footprints with their heights (:func:`equity.buildings.buildings_with_heights`), projected."""
    from equity.buildings import buildings_with_heights
    from equity.io import buildings_from_file

    read = buildings_from_file(study.buildings)
    if study.privacy == "public" and len(read.rejected):
        # a building's id can be a home's: public outputs list the rejected buildings without ids
        read.rejected["record"] = "(building id withheld in public mode)"
    ledger.reject(read.rejected)
    ledger.source("buildings", read.meta)
    footprints = to_metric(buildings_with_heights(read.data), crs)
    ledger.count("buildings", len(footprints))
    ledger.count("buildings_incomplete", read.counts.get("incomplete_buildings", 0))
    for source, n in footprints["height_source"].value_counts().sort_index().items():
        ledger.count(f"buildings_height_{source}", int(n))
    ledger.count("buildings_with_tag_issues", int(footprints["issues"].notna().sum()))
    return footprints


def _dem_check(study: Any, dem: DemSource, units: gpd.GeoDataFrame, cell: float, ledger: Ledger) -> float | None:
    """Check the DEM once over the study area (the units' bounds) on a coarse grid of at most 2,048 cells a
    side: that rasterio reads it, that it has elevations there, that it has one over the units (the cells whose
    centre lies in a unit; the rest of the bounds' rectangle, water or a neighbouring town, need not be
    covered), and, with ``dem_fill="flat"``, the elevation used where it has none: the median of that coarse
    grid. Returns that elevation, or None.

    A DEM that leaves part of the units without an elevation is refused unless ``dem_fill="flat"``: the
    viewsheds of cameras that reach there would need ground that is not known (see the check of the cameras'
    reach in :func:`equity.analysis.analyse`); with it, they are computed on flat ground there, and the terrain
    of the units it covers too little of is missing (:meth:`Inputs.terrain`). The facts record the missing share
    of the units' cells at this check (``units_missing_share_at_check``)."""
    from rasterio import features

    from equity.visibility.surface import snap_grid

    transform, (rows, cols) = snap_grid(tuple(units.total_bounds), cell)
    step = max(1, math.ceil(max(rows, cols) / 2048))
    shape = (math.ceil(rows / step), math.ceil(cols / step))
    coarse = transform @ Affine.scale(step)
    ground, dem_meta = dem.read(units.crs, coarse, shape)
    dem_meta.pop("missing_share")  # of the bounds' rectangle: the share that matters is the units'
    labels = features.rasterize(
        [(g, i + 1) for i, g in enumerate(units.geometry)], out_shape=shape, transform=coarse, fill=0, dtype="int32"
    )
    inside = labels > 0
    if not inside.any():  # units smaller than a coarse cell: the whole rectangle stands for them
        inside = np.ones(shape, bool)
    known = np.isfinite(ground)
    missing = 1.0 - np.count_nonzero(known & inside) / np.count_nonzero(inside)
    dem_meta["units_missing_share_at_check"] = missing
    ledger.source("dem", dem_meta)
    ledger.count("dem_cells_at_or_below_-1e30_as_nodata", dem_meta["cells_at_or_below_fill"])
    if missing > 0 and study.dem_fill != "flat":
        n = len(units) + 1
        unknown_by_unit = np.bincount(labels[~known], minlength=n)[1:] / np.maximum(
            np.bincount(labels.ravel(), minlength=n)[1:], 1
        )
        worst = int(np.argmax(unknown_by_unit))
        msg = (
            f"{dem.path}: the DEM has no elevation for {100 * missing:.1f}% of the units' area (checked at "
            f"{cell * step:g} m cells; unit {units['unit_id'].iloc[worst]!r} is the least covered); give a DEM that "
            "covers them, or add --dem-fill flat to compute the views there on flat ground (the terrain of units "
            "the DEM covers too little of is then reported as missing)."
        )
        raise InputFormatError(msg)
    if study.dem_fill != "flat":
        return None
    fill = float(np.nanmedian(ground))
    dem_meta["filled_with_m"] = fill
    return fill


def _home_inputs(
    study: Any,
    units: gpd.GeoDataFrame,
    footprints: gpd.GeoDataFrame,
    streets: gpd.GeoDataFrame | None,
    ledger: Ledger,
) -> HomeInputs:
    """The homes and the land layers of the homes-in-view analysis (see :mod:`equity.homes`)."""
    from equity import homes as home_analysis
    from equity.io import land_from_file

    residential = public = None
    land_source = study.land if study.land is not None else study.buildings
    if study.land is not None or _is_osm(land_source):
        land_read = land_from_file(land_source)
        land_layer = to_metric(land_read.data, units.crs)
        residential = land_layer.geometry[land_layer["kind"] == "residential"]
        public = land_layer.geometry[land_layer["kind"] == "public"]
        ledger.count("land_residential_areas", len(residential))
        ledger.count("land_public_areas", len(public))
    footprints = footprints.copy()
    footprints["home"] = home_analysis.classify_homes(footprints, residential, home_column=study.home_column)
    homes = footprints[footprints["home"].notna()]
    ledger.count("homes", int((homes["home"] == "home").sum()))
    ledger.count("probable_homes", int((homes["home"] == "probable").sum()))
    public_known = streets is not None or (public is not None and len(public) > 0)
    if not public_known:
        ledger.count("intrusion_score", "not computed: no streets or public spaces were given (--streets, --land)")
    return HomeInputs(
        homes=homes,
        residential=residential,
        public=public,
        streets=None if streets is None else streets.geometry,
        public_known=public_known,
    )


def _jurisdiction(
    study: Any, units: gpd.GeoDataFrame, crimes: pd.Series, s: Settings, ledger: Ledger
) -> tuple[pd.Series, Any]:
    """Where the crime data does not apply (``Study.no_crime_data``): those units' crimes become unknown (NaN),
    never zero, so that they get no share of the city's crime and no class.

    ``no_crime_data`` is a list of unit ids, or a polygon layer of the region (a park policed by another
    agency, a military base): a unit with at least ``settings.no_crime_data_share`` of its area in the region
    is outside the data's jurisdiction; a unit partly in it (but less) keeps its count, with a warning that the
    count covers only the rest. Returns the crimes and where the crime data applies (the union of the units
    with crime data, less the region)."""
    import shapely

    declared = study.no_crime_data
    region = None
    if declared is None:
        outside = pd.Series(False, index=units.index)
    elif not isinstance(declared, list) and is_file_like(declared):
        from equity.io import units_from_file

        read = units_from_file(declared)
        region = shapely.union_all(to_metric(read.data, units.crs).geometry.to_numpy())
        share = units.geometry.intersection(region).area / units.geometry.area
        outside = share >= s.no_crime_data_share
        partly = (share > 0.01) & ~outside
        if partly.any():
            names = ", ".join(
                f"{u} ({100 * v:.0f}%)" for u, v in zip(units.loc[partly, "unit_id"], share[partly], strict=True)
            )
            ledger.warn(
                f"{declared}: units partly in the region where the crime data does not apply keep the count of "
                f"their other part: {names}."
            )
        ledger.source("no_crime_data", {"source": str(declared), "share": s.no_crime_data_share})
    else:
        ids = [declared] if isinstance(declared, str) else [str(x) for x in declared]
        known = set(units["unit_id"].astype(str))
        missing = [x for x in ids if x not in known]
        if missing:
            msg = (
                f"{study.units}: no unit {missing[0]!r} (given as outside the crime data's jurisdiction); the units "
                f"are named by their id column, for example {sorted(known)[0]!r}."
            )
            raise InputFormatError(msg)
        outside = units["unit_id"].astype(str).isin(ids)
        ledger.source("no_crime_data", {"source": "unit ids", "units": ids})
    outside = outside.to_numpy(bool)
    ledger.count("units_outside_crime_jurisdiction", int(outside.sum()))
    if outside.any():
        ledger.count("incidents_in_units_outside_crime_jurisdiction", float(crimes[outside].sum()))
        ledger.sources["no_crime_data"]["units_outside"] = units.loc[outside, "unit_id"].astype(str).tolist()
        crimes = crimes.where(~outside)
    extent = shapely.union_all(units.geometry.to_numpy()[~outside])
    if region is not None:
        extent = shapely.difference(extent, region)
    return crimes, extent


def _population(
    study: Any, units: gpd.GeoDataFrame, ledger: Ledger, keep: tuple[str, ...] = ()
) -> tuple[pd.Series, gpd.GeoDataFrame | None]:
    """Residents per unit: a column of the unit layer, or another layer interpolated by area; NaN without. With
    the population layer, also the layer itself (projected) with the columns ``keep`` (the groups'), else None."""
    from equity.io import population_layer_from_file
    from equity.population import interpolate_population

    if study.population is None:
        ledger.source("population", {"source": None})
        return pd.Series(float("nan"), index=units.index), None
    raster_options = [
        name
        for name, value in (
            ("--population-density", getattr(study, "population_density", None)),
            ("--population-year", getattr(study, "population_year", None)),
        )
        if value is not None
    ]
    if not is_file_like(study.population):
        if raster_options:
            msg = f"{raster_options[0]} describes a population raster; --population {study.population!r} is a column."
            raise InputError(msg)
        col = str(study.population)
        if col not in units.columns:
            msg = (
                f"{study.units}: no population column {col!r} (and no file of that name); the unit layer's "
                f"columns are {', '.join(c for c in units.columns if c != 'geometry')}."
            )
            raise InputFormatError(msg)
        values = pd.to_numeric(units[col], errors="coerce")
        infinite = np.isinf(values.to_numpy(dtype=float))
        if infinite.any():  # inf, or a number too large for a float (1e400): no count of residents
            first = units.loc[infinite, "unit_id"].iloc[0]
            msg = (
                f"{study.units}: population column {col!r} of unit {first!r} holds {values[infinite].iloc[0]}, "
                "which is not a finite number; expected a count of at least 0."
            )
            raise InputFormatError(msg)
        bad = values.isna() | (values < 0)
        if bad.any():
            first = units.loc[bad, "unit_id"].iloc[0]
            value = units.loc[bad, col].iloc[0]
            value = value.item() if hasattr(value, "item") else value
            msg = (
                f"{study.units}: population column {col!r} of unit {first!r} holds {value!r}; "
                "expected a count of at least 0."
            )
            raise InputFormatError(msg)
        ledger.source("population", {"source": "unit column", "column": col})
        return values.astype(float), None
    from equity.io.population_raster import open_population

    with open_population(study.population) as source:  # opened once: its first bytes say raster or layer
        if source is None:
            if keep:
                msg = (
                    f"{study.population}: a population raster holds residents only, no column {keep[0]!r} for the "
                    "groups (--groups); give the groups' columns in the unit layer or a polygon population layer."
                )
                raise InputFormatError(msg)
            return _population_raster(study, units, ledger), None
        if raster_options:
            msg = f"{study.population}: {raster_options[0]} describes a population raster, and this is a polygon layer."
            raise InputError(msg)
        read = population_layer_from_file(source, column=study.population_column, keep=keep)
    ledger.reject(read.rejected)
    layer = to_metric(read.data, units.crs)
    values, outside = interpolate_population(layer, units)
    ledger.source("population", {"source": "area-weighted interpolation", **read.meta})
    ledger.count("population_source_total", float(layer["population"].sum()))
    ledger.count("population_outside_units", outside)
    _check_polygons(layer, units, study.settings, read.meta.get("stated_area"), ledger)
    return values, layer


#: Share of the population raster's residents on the cells the units touch that may lie outside every unit
#: before a warning says so (cells along a coast or the city limit are split by the units' edge).
RASTER_OUTSIDE_WARN_SHARE = 0.01


def _population_raster(study: Any, units: gpd.GeoDataFrame, ledger: Ledger) -> pd.Series:
    """Residents per unit from a raster of residents per cell (WorldPop, GHSL): exact zonal sums on the raster's
    own cells (:func:`equity.population.population_from_raster`), the units projected to the raster's CRS. The
    facts (file, year, counts or density, totals) go to the manifest; warnings name the units on cells without
    data and the residents of the edge cells outside every unit."""
    from equity.io.population_raster import DENSITY_UNITS, read_population_raster
    from equity.population import NAMED_IN_WARNING, counts_from_density, population_from_raster

    density = getattr(study, "population_density", None)
    window = read_population_raster(
        study.population,
        tuple(units.total_bounds),
        units.crs,
        density=density,
        year=getattr(study, "population_year", None),
    )
    values = window.values
    if window.meta["kind"] != "counts":
        values = counts_from_density(values, window.transform, window.crs, DENSITY_UNITS[str(density)])
    sums = population_from_raster(values, window.valid, window.transform, window.crs, units)
    total = float(np.nansum(sums.population.to_numpy()))
    meta = {
        **window.meta,
        "total": total,
        "cells_touched_total": sums.touched_total,
        "outside_units": sums.outside,
        "counted_twice_in_unit_overlaps": sums.overlap,
        "window_total": sums.window_total,
    }
    ledger.source("population", meta)
    ledger.count("population_source_total", sums.touched_total)
    ledger.count("population_outside_units", sums.outside)
    ledger.count("population_raster_cells_touched", sums.cells_touched)
    ledger.count("population_raster_nodata_cells_touched", sums.nodata_cells_touched)
    ledger.count("population_raster_negative_cells_as_nodata", window.meta["negative_cells_as_nodata"])
    ledger.count("population_raster_counts_assumed", int(window.meta["counts_assumed"]))
    ids = units["unit_id"].astype(str).to_numpy()
    share = sums.missing_share.to_numpy()
    short = np.flatnonzero(share > 1e-6)
    ledger.count("units_population_raster_missing_share", {ids[i]: round(float(share[i]), 6) for i in short})
    name = Path(str(study.population)).name
    if window.meta["counts_assumed"]:
        ledger.warn(
            f"The population raster {name} does not say whether it holds residents per cell or per unit of area; "
            "its cells were read as residents per cell (give --population-density km2 or ha for a density)."
        )
    if len(short):
        order = short[np.argsort(-share[short], kind="stable")]
        named = [f"{ids[i]} ({100 * share[i]:.1f}%)" for i in order[:NAMED_IN_WARNING]]
        more = len(order) - len(named)
        unknown = int(sums.population.isna().sum())
        ledger.warn(
            f"{len(order):,} unit{'' if len(order) == 1 else 's'} lie partly on cells of the population raster {name} "
            "without data (nodata, or beyond its edge), whose residents are missing, not counted as none: "
            + ", ".join(named)
            + (f" and {more:,} more (all listed in the manifest)" if more else "")
            + (
                f"; {unknown:,} of them ha{'s' if unknown == 1 else 've'} no residents known at all."
                if unknown
                else "."
            )
        )
    if sums.touched_total > 0 and sums.outside > RASTER_OUTSIDE_WARN_SHARE * sums.touched_total:
        ledger.warn(
            f"{sums.outside:,.0f} residents ({100 * sums.outside / sums.touched_total:.1f}%) of the population "
            f"raster's cells along the units' edges lie outside every unit, and are not counted."
        )
    return sums.population


def _check_polygons(
    layer: gpd.GeoDataFrame, units: gpd.GeoDataFrame, s: Settings, stated: str | None, ledger: Ledger
) -> None:
    """Warn about the population polygons that lie mostly outside the units, those that lie wholly outside them,
    and those whose area disagrees with the area their layer states (:func:`equity.population.polygon_checks`),
    and list each in the ledger's counts (by name: the share inside, the residents not counted, the area over
    the stated land area). Nothing is reassigned."""
    from equity.population import area_warning, beyond_warning, outside_warning, polygon_checks

    checks = polygon_checks(
        layer, units, min_inside_share=s.population_min_inside_share, area_factor=s.population_area_factor
    )
    far = checks[checks["mostly_outside"]].sort_values("inside_share", kind="stable")
    ledger.count(
        "population_polygons_mostly_outside_units",
        {str(r.name): round(float(r.inside_share), 6) for r in far.itertuples()},
    )
    beyond = checks[checks["wholly_outside"]]
    ledger.count(
        "population_polygons_wholly_outside_units", {str(r.name): float(r.population) for r in beyond.itertuples()}
    )
    for sentence in (outside_warning(checks, s.population_min_inside_share), beyond_warning(checks)):
        if sentence is not None:
            ledger.warn(sentence)
    if stated is None:
        ledger.count("population_polygons_area_checked", "no: the layer states no area (ALAND, CENSUSAREA)")
        return
    off = checks[checks["area_disagrees"]]
    ledger.count(
        "population_polygons_area_disagrees",
        {str(r.name): None if np.isnan(r.area_ratio) else round(float(r.area_ratio), 6) for r in off.itertuples()},
    )
    sentence = area_warning(checks, s.population_area_factor, stated)
    if sentence is not None:
        ledger.warn(sentence)


def _cameras(study: Any, units: gpd.GeoDataFrame, crs: Any, ledger: Ledger) -> tuple[gpd.GeoDataFrame, pd.Series, dict]:
    """The cameras of the camera file (projected, with the study's assumed tags, objects that are not cameras
    set aside), the unit each stands in, and the facts of the source."""
    from equity.io import cameras_from_file

    cam_read = cameras_from_file(study.cameras)
    ledger.reject(cam_read.rejected)
    ledger.source("cameras", cam_read.meta)
    camera_data = cam_read.data
    if study.camera_tags:
        camera_data = _assume_tags(camera_data, study.camera_tags, ledger)
    cameras, not_cameras = split_non_cameras(to_metric(camera_data, crs), str(study.cameras))
    ledger.reject(not_cameras)
    ledger.count("surveillance_objects_not_cameras", not_cameras["reason"].value_counts().to_dict())
    if cameras.empty:
        msg = (
            f"{study.cameras}: none of its {len(not_cameras)} surveillance objects is a camera ("
            + f"{not_cameras['reason'].iloc[0]}); give a file with cameras or licence-plate readers."
        )
        raise InputFormatError(msg)
    camera_unit = coverage.assign_units(cameras, units).set_axis(cameras["camera_id"].astype(str).to_numpy())
    if camera_unit.isna().all():
        msg = (
            f"{study.cameras}: none of its {len(cameras)} cameras lies inside the units of {study.units}; "
            "check that both cover the same area."
        )
        raise InputFormatError(msg)
    return cameras, camera_unit, cam_read.meta


def _camera_counts(study: Any, units: gpd.GeoDataFrame) -> pd.Series:
    """The cameras per unit of the unit layer's column ``Study.camera_counts`` (an empty value is unknown)."""
    col = study.camera_counts
    if col not in units.columns:
        found = ", ".join(c for c in units.columns if c not in ("geometry", "unit_id"))
        msg = f"{study.units}: no camera count column {col!r} (--camera-counts); the unit layer's columns are {found}."
        raise InputFormatError(msg)
    values = pd.to_numeric(units[col], errors="coerce").astype(float)
    arr = values.to_numpy()
    bad = (values.isna() & units[col].notna()) | np.isinf(arr) | (values < 0) | (values != np.round(values))
    bad &= ~(values.isna() & units[col].isna())
    if bad.any():
        i = int(np.flatnonzero(bad.to_numpy())[0])
        value = units[col].iloc[i]
        value = value.item() if hasattr(value, "item") else value  # 1.5, not np.float64(1.5)
        msg = (
            f"{study.units}: camera count column {col!r} holds {value!r} for unit "
            f"{units['unit_id'].iloc[i]!r}; expected a whole number of cameras (or an empty value for unknown)."
        )
        raise InputFormatError(msg)
    if not (values > 0).any():
        msg = f"{study.units}: camera count column {col!r} counts no camera in any unit."
        raise InputFormatError(msg)
    return values


def _assume_tags(cameras: gpd.GeoDataFrame, assumed: dict[str, str], ledger: Ledger) -> gpd.GeoDataFrame:
    """The cameras with the study's assumed tags added where a camera lacks them (its own tags win), and how
    many cameras took each assumed tag (``cameras_tags_assumed``)."""
    cameras = cameras.copy()
    taken = dict.fromkeys((f"{k}={v}" for k, v in assumed.items()), 0)
    new_tags = []
    for tags in cameras["tags"]:
        tags = dict(tags)
        for key, value in assumed.items():
            if key not in tags or tags[key] in (None, ""):
                tags[key] = value
                taken[f"{key}={value}"] += 1
        new_tags.append(tags)
    cameras["tags"] = new_tags
    ledger.count("cameras_tags_assumed", taken)
    ledger.source("camera_tags_assumed", dict(assumed))
    return cameras


def _group_layer_columns(study: Any, units: gpd.GeoDataFrame) -> tuple[str, ...]:
    """The columns of the groups of residents to keep from the population layer: none when the unit layer has
    them all (or there are no groups), so that the population layer is read once, with them."""
    if not study.groups:
        return ()
    needed = {c for spec in study.groups for c in spec.columns}
    if needed <= set(units.columns):
        return ()
    if study.population is None or not is_file_like(study.population):
        missing = sorted(needed - set(units.columns))
        found = ", ".join(c for c in units.columns if c not in ("geometry", "unit_id"))
        msg = (
            f"{study.units}: no column {missing[0]!r} for the groups (--groups), and no population layer to take "
            f"it from; the unit layer's columns are {found}."
        )
        raise InputFormatError(msg)
    return tuple(sorted(needed))


def _groups(study: Any, units: gpd.GeoDataFrame, layer: gpd.GeoDataFrame | None, ledger: Ledger) -> pd.DataFrame:
    """Each group's residents per unit: from the unit layer when it has the groups' columns, else from the
    population layer, interpolated by area (:func:`equity.population.interpolate_population`, the weights of the
    population)."""
    from equity.groups import group_counts
    from equity.population import interpolate_population

    specs = study.groups
    if layer is None:
        labels = units["unit_id"].map(lambda u: f"unit {u!r}")
        ledger.source("groups", {"source": "unit columns", "groups": {g.name: g.definition for g in specs}})
        return group_counts(units, specs, str(study.units), labels)
    counts = group_counts(
        layer, specs, str(study.population), pd.Series([f"feature {i + 1}" for i in range(len(layer))])
    )
    out = {}
    for spec in specs:
        source = gpd.GeoDataFrame({"population": counts[spec.name].fillna(0.0).to_numpy()}, geometry=layer.geometry)
        values, _ = interpolate_population(source, units)
        # a unit whose source polygons leave the group's count unknown keeps it unknown
        unknown = gpd.GeoDataFrame(
            {"population": counts[spec.name].isna().astype(float).to_numpy()}, geometry=layer.geometry
        )
        share_unknown, _ = interpolate_population(unknown, units)
        out[spec.name] = values.where(~(share_unknown > 0))
    ledger.source(
        "groups",
        {
            "source": "area-weighted interpolation",
            "file": str(study.population),
            "groups": {g.name: g.definition for g in specs},
        },
    )
    return pd.DataFrame(out, index=units.index)


def _rank_values(study: Any, units: gpd.GeoDataFrame, ledger: Ledger) -> pd.Series:
    """The column of the unit layer the units are ranked by, as numbers (an empty value is unknown)."""
    col = study.rank_by
    if col not in units.columns:
        found = ", ".join(c for c in units.columns if c not in ("geometry", "unit_id"))
        msg = (
            f"{study.units}: no column {col!r} to rank the units by (--rank-by); the unit layer's columns are {found}."
        )
        raise InputFormatError(msg)
    values = pd.to_numeric(units[col], errors="coerce")
    bad = (values.isna() & units[col].notna()) | np.isinf(values.to_numpy(float))
    if bad.any():
        i = int(np.flatnonzero(bad.to_numpy())[0])
        value = units[col].iloc[i]
        value = value.item() if hasattr(value, "item") else value
        msg = (
            f"{study.units}: column {col!r} (--rank-by) holds {value!r} for unit "
            f"{units['unit_id'].iloc[i]!r}; expected a number (or an empty value for unknown)."
        )
        raise InputFormatError(msg)
    ledger.source("rank_by", {"column": col, "units_without_value": int(values.isna().sum())})
    return values.astype(float)


def _sum_columns(units: gpd.GeoDataFrame, columns: list[str], path: str | Path) -> pd.Series:
    """The crime counts of the unit layer's columns, summed; a missing count leaves the unit's crime unknown."""
    missing = [c for c in columns if c not in units.columns]
    if missing:
        found = ", ".join(c for c in units.columns if c != "geometry")
        msg = f"{path}: no crime count column {missing[0]!r}; the unit layer's columns are {found}."
        raise InputFormatError(msg)
    total = pd.Series(0.0, index=units.index)
    for col in columns:
        values = pd.to_numeric(units[col], errors="coerce")
        unreadable = values.isna() & units[col].notna()
        if unreadable.any():
            msg = (
                f"{path}: crime count column {col!r} holds {units.loc[unreadable, col].iloc[0]!r} for unit "
                f"{units.loc[unreadable, 'unit_id'].iloc[0]!r}; expected a count (or an empty value for unknown)."
            )
            raise InputFormatError(msg)
        infinite = np.isinf(values.to_numpy(dtype=float))
        if infinite.any():  # inf, or a number too large for a float (1e400)
            msg = (
                f"{path}: crime count column {col!r} holds {values[infinite].iloc[0]} for unit "
                f"{units.loc[infinite, 'unit_id'].iloc[0]!r}, which is not a finite number; expected a count "
                "(or an empty value for unknown)."
            )
            raise InputFormatError(msg)
        bad = values < 0
        if bad.any():
            unit = units.loc[bad, "unit_id"].iloc[0]
            msg = f"{path}: crime count column {col!r} holds a negative count for unit {unit!r}."
            raise InputFormatError(msg)
        total = total + values  # a missing count leaves the unit's crime unknown (NaN), never zero
    return total


def _crime_given_as_table(study: Any, crime_reader: _Background | None) -> list[Path]:
    """``[study.crime]`` when the file given as incident points is a table of counts per unit (the reader raised
    :class:`equity.io.crime_tables.CountTableError`), to be joined as ``--crime-table`` would; else ``[]``."""
    from equity.io.crime_tables import CountTableError

    try:
        crime_reader.result()
    except CountTableError:
        return [Path(study.crime)]
    return []


def _is_osm(path: str | Path | None) -> bool:
    if path is None:
        return False
    name = str(path).lower()
    return name.endswith((".osm", ".osm.bz2", ".osm.pbf", ".pbf"))


def is_file_like(value: Any) -> bool:
    """Whether a population option names a file or is a layer in memory (else it names a column of the unit
    layer)."""
    if getattr(value, "kind", None) in ("GeoDataFrame", "DataFrame"):  # an equity.io.frames.FrameSource
        return True
    p = Path(value)
    return p.exists() or p.suffix.lower() in {
        ".geojson",
        ".json",
        ".gpkg",
        ".shp",
        ".fgb",
        ".csv",
        ".zip",
        ".tif",
        ".tiff",
    }


#: How long a failed load waits for the incidents' reader before it raises (seconds).
SETTLE_S = 120.0


class _Background:
    """A call run in a daemon thread of its own; :meth:`result` waits for it and returns its value or raises
    its exception, as the call itself would have. A study that fails before asking for the result waits for
    it (:meth:`settle`) before its error is raised."""

    def __init__(self, fn: Any, *args: Any, **kwargs: Any) -> None:
        self._value: Any = None
        self._error: BaseException | None = None

        def work() -> None:
            try:
                self._value = fn(*args, **kwargs)
            except BaseException as err:  # handed to result(), which raises it where the call would have
                self._error = err

        self._thread = threading.Thread(target=work, name="equity-read", daemon=True)
        self._thread.start()

    def settle(self, timeout: float = SETTLE_S) -> None:
        """Wait for the call to end (at most ``timeout`` seconds), ignoring its result: a study that fails while
        the incidents are read must not exit while the reader runs in native code (a C++ thread still running
        at exit aborted the process, ``terminate called without an active exception``)."""
        self._thread.join(timeout)

    def result(self) -> Any:
        self._thread.join()
        if self._error is not None:
            raise self._error
        return self._value
