"""One analysis of a loaded study: the stages that turn :class:`equity.inputs.Inputs` and a
:class:`equity.settings.Settings` into a :class:`equity.result.StudyResult`, without opening a file.

``cameras (tags -> views -> field of view) -> visibility (sectors, or viewsheds on the surface model, tiled by
the engine) -> coverage (per unit) -> metrics (equity) -> terrain, clusters, data gaps -> who watches ->
summaries`` (what the report, the map and the command line show, :func:`_summaries`).

:func:`analyse` can be called many times on the same inputs with other settings: the sensitivity runs
(:mod:`equity.sensitivity`) do. Each call starts a new :class:`equity.ledger.Ledger` and takes in what loading
recorded of each layer when the stage that uses the layer runs, so the result's counts, facts and set-aside
rows are in the order of the stages and complete for that result.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd

from equity import coverage
from equity._errors import InputFormatError
from equity.cameras import camera_range, fov_sectors, normalise_cameras
from equity.inequality import BOOTSTRAP_SAMPLES, city_measures, crime_rate_curves, need_gap
from equity.inputs import Inputs
from equity.ledger import Ledger, rejected_by_reason
from equity.metrics import equity_table, gap_findings
from equity.operators import normalise_operators
from equity.projection import WGS84
from equity.result import StudyResult
from equity.settings import Settings

#: Per-unit home columns (see :func:`equity.homes.homes_by_unit`), added to the units table when buildings are given.
HOME_UNIT_COLUMNS = (
    "cameras_public",
    "cameras_outdoor",
    "cameras_indoor",
    "cameras_unknown",
    "homes",
    "probable_homes",
    "homes_in_view",
    "probable_homes_in_view",
    "homes_in_view_share",
)


@dataclass
class SeenArea:
    """The open cells seen by at least one view (:class:`equity.engine.SeenMosaic`, kept tile by tile), each
    view's viewshed polygon, the homes (internal analyses), and each operator's seen open cells per unit
    (``operator``, ``unit``: position in the units or -1 outside them, ``m2``)."""

    seen: Any
    polygons: gpd.GeoSeries
    homes: gpd.GeoDataFrame | None = None
    operators: pd.DataFrame | None = None

    def points_seen(self, points: gpd.GeoDataFrame) -> np.ndarray:
        """Is each point on a seen cell (False outside the grid)."""
        return self.seen.points_seen(points)


def analyse(
    inputs: Inputs,
    settings: Settings | None = None,
    *,
    statistics: bool | None = None,
    engine: Any = None,
    full: bool = True,
) -> StudyResult:
    """Analyse loaded inputs under ``settings`` (the study's own by default).

    Parameters
    ----------
    inputs
        What :func:`equity.inputs.load` read.
    settings
        The settings of this analysis; the fields used while loading (:data:`equity.inputs.LOAD_SETTINGS`) must
        be those of the load.
    statistics
        Compute the city-level measures' bootstrap intervals and the spatial clusters (default: the study's
        choice; the sensitivity runs switch them off, as they compare point values).
    engine
        Where the viewshed tiles run (default: the study's engine, else in the process).
    full
        False for an analysis of the units' classes and the city's point measures only (the sensitivity runs):
        no viewshed outlines, homes in view, operators' areas, street coverage, placement anomalies, clusters,
        bootstrap intervals or summaries, none of which changes a class; the result's tables of those are
        absent (None) and its units lack their columns.
    """
    study = inputs.study
    s = study.settings if settings is None else settings
    statistics = (study.statistics if statistics is None else statistics) and full
    inputs.check_settings(s)
    units = inputs.units
    ledger = Ledger()
    ledger.take(inputs.ledger("units"))
    ledger.take(inputs.ledger("cameras"))

    views = _views(inputs, s, ledger)
    # the tiles count each operator's cells in view; a class needs no operators
    operator_of = normalise_operators(views) if full else None
    table = pd.DataFrame({"unit_id": units["unit_id"], "area_m2": inputs.area_m2})
    counts_only = inputs.camera_counts is not None  # cameras counted per unit, without locations
    if counts_only:
        table["cameras"] = inputs.camera_counts.to_numpy()  # a count does not say which are plate readers
        ledger.count("cameras", int(np.nansum(inputs.camera_counts)))
        ledger.count("cameras_in_units", int(np.nansum(inputs.camera_counts)))
    else:
        table["cameras"] = coverage.cameras_by_unit(views, units, unit_of=views["unit_id"])
        alpr = (views["kind"] == "ALPR").to_numpy()
        table["cameras_alpr"] = coverage.cameras_by_unit(views[alpr], units, unit_of=views.loc[alpr, "unit_id"])
        table["cameras_cctv"] = table["cameras"] - table["cameras_alpr"]
    ledger.take(inputs.ledger("streets"))

    seen = None
    if inputs.has_surface:
        seen = _visibility(inputs, views, table, s, ledger, operator_of, engine, full)
        sectors = seen.polygons
        operator_cells = seen.operators
    else:
        operator_cells = None
        sectors = fov_sectors(views, s)
        table["covered_m2"] = coverage.covered_area_by_unit(sectors, units)
        table["open_m2"] = table["area_m2"]

    if inputs.streets is not None and full:
        table["street_m"] = inputs.street_m
        table["street_in_view_m"] = (
            coverage.street_length_in_view(inputs.streets, units, sectors=sectors)
            if seen is None
            else coverage.street_length_in_view(inputs.streets, units, seen=seen, step=s.cell_size_m / 2)
        )

    if full and s.second_detail_level is not None:
        table["covered_m2_second"] = _second_level(inputs, views, s, engine)
    if counts_only:  # no location, no view: the area in view is unknown, never zero
        for col in ("covered_m2", "covered_m2_second", "street_in_view_m"):
            if col in table:
                table[col] = float("nan")

    ledger.take(inputs.ledger("crime"))
    table["crimes"] = inputs.crimes
    if inputs.crime is not None and not counts_only:
        in_view = coverage.points_in_view(inputs.crime, sectors) if seen is None else seen.points_seen(inputs.crime)
        per_unit = coverage.crimes_by_unit(inputs.crime, units, in_view, unit_of=inputs.crime_unit)
        table["crimes_in_view"] = per_unit["crimes_in_view"]
    else:
        table["crimes_in_view"] = float("nan")

    ledger.take(inputs.ledger("population"))
    table["population"] = inputs.population
    result_table = equity_table(table, s)
    ledger.count("units_by_class", result_table["class"].value_counts().sort_index().to_dict())
    for col in HOME_UNIT_COLUMNS:
        if col in table:
            result_table[col] = table[col]
    result_table = result_table.join(need_gap(result_table, s.need_crime_weight))
    if inputs.dem is not None:
        terrain, _ = inputs.terrain(s, ledger)
        result_table = result_table.join(terrain)
    if statistics:
        result_table = result_table.join(_clusters(gpd.GeoDataFrame(result_table, geometry=units.geometry), ledger))
    operators = operators_units = groups = ranked = None
    if full:
        result_table = result_table.join(_exposure(inputs, views, sectors, s, ledger))
        groups, ranked = _groups(inputs, result_table, s, ledger, statistics)
    if full:
        result_table["data_gaps"] = _data_gaps(result_table, units, inputs.camera_meta)
        ledger.count("units_with_data_gaps", int(result_table["data_gaps"].notna().sum()))
    roads = None
    if full and inputs.network is not None and not counts_only:
        roads_table, roads = _roads(inputs, views, s, ledger)
        result_table = result_table.join(roads_table)
    if full:
        if counts_only:  # no camera has a place, an operator or a view
            from equity.columns import OPERATORS, OPERATORS_BY_UNIT

            operators = pd.DataFrame({c.name: [] for c in OPERATORS if c.name != "share_looking_into_homes"})
            operators_units = pd.DataFrame({c.name: [] for c in OPERATORS_BY_UNIT})
        else:
            operators, operators_units = _who_watches(
                inputs, views, sectors, result_table, s, ledger, operator_cells, operator_of
            )
    rejected = ledger.rejected_table()
    ledger.count("rejected_rows", len(rejected))
    result = StudyResult(
        study=study,
        settings=s,
        units=gpd.GeoDataFrame(result_table, geometry=units.geometry, crs=inputs.crs),
        views=views,
        sectors=sectors,
        crime=inputs.crime,
        rejected=rejected,
        ledger=ledger,
        crs=inputs.crs,
        homes=seen.homes if seen is not None and study.privacy == "internal" else None,
        city=city_measures(result_table, samples=BOOTSTRAP_SAMPLES if statistics else 0),
        operators=operators,
        operators_by_unit=operators_units,
        groups=groups,
        rank_concentration=ranked,
        buildings=_map_buildings(inputs) if full else None,
        roads=roads,
    )
    if statistics:
        result.moran = _global_moran(result.units, ledger)
    if full:
        _summaries(result)
    return result


def _map_buildings(inputs: Inputs) -> gpd.GeoDataFrame | None:
    """The building footprints the map draws: every one in an internal analysis; in a public one those that are
    not homes (no output of a public analysis holds a home's footprint), with the number left out in
    ``attrs["homes_withheld"]``. None without buildings."""
    if inputs.buildings is None:
        return None
    footprints = inputs.buildings
    withheld = 0
    if inputs.study.privacy != "internal" and inputs.homes is not None:
        is_home = footprints.index.isin(inputs.homes.homes.index)
        withheld = int(is_home.sum())
        footprints = footprints[~is_home]
    drawn = gpd.GeoDataFrame(geometry=footprints.geometry.to_numpy(), crs=footprints.crs)
    drawn.attrs["homes_withheld"] = withheld
    return drawn


def _exposure(
    inputs: Inputs, views: gpd.GeoDataFrame, sectors: gpd.GeoSeries, s: Settings, ledger: Ledger
) -> pd.DataFrame:
    """The exposure columns of the units (:func:`equity.exposure.exposure_table`), and how many units' rates per
    1,000 residents were left empty for want of residents."""
    from equity.exposure import exposure_table

    table = exposure_table(
        views,
        sectors,
        inputs.units,
        inputs.population,
        buffer_m=s.buffer_m,
        per_capita_min_residents=s.per_capita_min_residents,
    )
    table.index = inputs.units.index
    if inputs.camera_counts is not None:  # they need each camera's place
        table = table.astype(float) * float("nan")
    ledger.count("exposure_buffer_m", s.buffer_m)
    ledger.count(
        "units_exposure_per_1k_left_empty_few_residents",
        int((inputs.population.notna() & ~(inputs.population > s.per_capita_min_residents)).sum()),
    )
    return table


def _roads(inputs: Inputs, views: gpd.GeoDataFrame, s: Settings, ledger: Ledger) -> tuple[pd.DataFrame, Any]:
    """The plate readers' roads and cordons per unit (:func:`equity.roads.road_findings`): the units' columns and
    the findings; the readers not matched to a road are set aside with their reasons."""
    from equity.roads import road_findings

    table, findings, counts = road_findings(views, inputs.network, inputs.units, s)
    table.index = inputs.units.index
    ledger.reject(findings.unmatched)
    for name, value in counts.items():
        ledger.count(name, value)
    if not findings.classed:
        ledger.count(
            "roads_logged_share_by_class",
            "not computed: the street layer has no road classes (highway), so every road weighs the same",
        )
    return table, findings


def _groups(inputs: Inputs, table: pd.DataFrame, s: Settings, ledger: Ledger, statistics: bool) -> tuple[Any, Any]:
    """The group table (:func:`equity.groups.group_table`) and the concentration over the units ranked by a
    column (:func:`equity.groups.rank_concentration`), each when the study asks for it."""
    from equity.groups import group_table, rank_concentration

    samples = BOOTSTRAP_SAMPLES if statistics else 0
    groups = ranked = None
    headline = s.group_headline
    if inputs.camera_counts is not None and headline not in ("cameras_per_1k_residents", "cameras_per_km2"):
        headline = "cameras_per_1k_residents"  # the others need each camera's place
        ledger.count("group_measure_used", headline)
    if inputs.groups is not None:
        groups = group_table(
            table,
            inputs.groups,
            list(inputs.study.groups),
            s.group_measures,
            min_population=s.group_min_population,
            headline_measure=headline,
            samples=samples,
        )
        ledger.count("groups_reported", len(groups.table) - 1)
        ledger.count("groups_not_reported_few_residents", len(groups.not_reported))
        if groups.not_reported:
            names = ", ".join(groups.not_reported)
            ledger.warn(
                f"The groups {names} have fewer than {s.group_min_population:,.0f} residents in the study area and "
                "are not reported (their means would rest on few people, and a small group would be singled out)."
            )
    if inputs.rank_values is not None:
        ranked = rank_concentration(table, inputs.rank_values, inputs.study.rank_by, samples=samples)
    return groups, ranked


def _global_moran(units: gpd.GeoDataFrame, ledger: Ledger) -> Any:
    """The global bivariate Moran's I beside the local clusters (:func:`equity.clusters.global_bivariate_moran`);
    its value and p-value in the ledger."""
    from equity.clusters import global_bivariate_moran

    moran = global_bivariate_moran(units)
    if moran is not None:
        ledger.count("global_bivariate_moran_i", round(moran.i, 6))
        ledger.count("global_bivariate_moran_p", round(moran.p_value, 6))
    return moran


def _summaries(result: StudyResult) -> None:
    """Fill the result's summaries that the report, the map and the command line show (the units ranked by gap,
    hillside against flat units, the curves over the crime rate, a fixed camera's range, the anomalies'
    thresholds and their variants, the set-aside rows by reason), each from the result's own tables by the
    function of its concept, so that the presentation computes nothing."""
    from equity.anomalies import AnomalySettings, flag_variants
    from equity.terrain import hillside_comparison

    units, s = result.units, result.settings
    result.findings = gap_findings(units)
    result.hillside = hillside_comparison(units) if "terrain" in units else None
    result.curves = crime_rate_curves(units) if units["covered_km2"].notna().any() else None
    result.fixed_camera_range_m = camera_range(s.fixed_fov_deg, s)
    result.anomaly_settings = AnomalySettings.from_settings(s)
    result.anomaly_variants = flag_variants(result.anomaly_settings)
    result.rejected_reasons = rejected_by_reason(result.rejected)


def _views(inputs: Inputs, s: Settings, ledger: Ledger) -> gpd.GeoDataFrame:
    """The cameras' views under the settings' camera model (:func:`equity.cameras.normalise_cameras`), each
    with the unit it stands in, and the counts of every default the model used."""
    views = normalise_cameras(inputs.cameras, s)
    views["unit_id"] = views["camera_id"].map(inputs.camera_unit).to_numpy()  # found once, at load
    n_cams = views["camera_id"].nunique()
    inside = views["unit_id"].notna()  # some camera is inside the units: load checked it
    first_view = views.drop_duplicates("camera_id")
    counted = {
        "cameras": int(n_cams),
        "camera_views": len(views),
        "cameras_in_units": int(views.loc[inside, "camera_id"].nunique()),
        "cameras_outside_units": int(n_cams - views.loc[inside, "camera_id"].nunique()),
        "views_in_coverage": int(views["in_coverage"].sum()),
        "views_direction_tagged": int((views["direction_source"] == "tagged").sum()),
        "views_direction_default_omni": int((views["direction_source"] == "default").sum()),
        "views_direction_unknown": int((views["direction_source"] == "unknown").sum()),
        "views_drawn_as_low_confidence_disc": int((views["confidence"] == "low").sum()),
        "cameras_indoor_excluded": int(first_view["excluded_reason"].fillna("").str.startswith("indoor").sum()),
        "cameras_height_tagged": int((first_view["height_source"] == "tagged").sum()),
        "cameras_height_from_mount": int((first_view["height_source"] == "mount").sum()),
        "cameras_height_default": int((first_view["height_source"] == "default").sum()),
        "cameras_fov_default": int(
            ((views["fov_deg"] == s.fixed_fov_deg) & (views["direction_source"] == "tagged")).sum()
        ),
        "cameras_with_tag_issues": int(first_view["issues"].notna().sum()),
        "camera_kinds": first_view["kind"].value_counts().sort_index().to_dict(),
        "camera_ownership": first_view["ownership"].value_counts().sort_index().to_dict(),
    }
    for key, value in counted.items():
        ledger.count(key, value)
    return views


def _second_level(inputs: Inputs, views: gpd.GeoDataFrame, s: Settings, engine: Any) -> pd.Series:
    """Each unit's open area in view at the settings' second detail level, in m².

    Each view's range is scaled by ``p1 / p2`` (:attr:`equity.settings.Settings.second_range_factor`); a
    licence-plate reader's capture zone is the same at every level and keeps its range (unless one range was
    set for every camera). With a surface model the viewsheds are computed again at the shorter ranges (the
    lines of sight are the same, so the result is the first level's seen area within the shorter reach)."""
    second = views.copy()
    keep = (second["kind"] == "ALPR").to_numpy() & (s.range_m is None)
    second["range_m"] = second["range_m"] * np.where(keep, 1.0, s.second_range_factor)
    if not inputs.has_surface:
        return coverage.covered_area_by_unit(fov_sectors(second, s), inputs.units).to_numpy()
    scratch = pd.DataFrame({"area_m2": inputs.area_m2})
    _visibility(inputs, second, scratch, s, Ledger(), None, engine, full=False)
    return scratch["covered_m2"].to_numpy()


def _grid_bounds(views: gpd.GeoDataFrame, units: gpd.GeoDataFrame) -> tuple[float, float, float, float]:
    """The area the surface model must cover: every counted view's reach, within the units' bounds widened
    by the longest range."""
    use = views["in_coverage"] & views["range_m"].notna()
    longest = float(views.loc[use, "range_m"].max()) if use.any() else 0.0
    ux0, uy0, ux1, uy1 = units.total_bounds
    if not use.any():
        return (ux0, uy0, ux1, uy1)
    x, y, r = views.geometry.x[use], views.geometry.y[use], views.loc[use, "range_m"]
    return (
        max(float((x - r).min()), ux0 - longest),
        max(float((y - r).min()), uy0 - longest),
        min(float((x + r).max()), ux1 + longest),
        min(float((y + r).max()), uy1 + longest),
    )


def _visibility(
    inputs: Inputs,
    views: gpd.GeoDataFrame,
    table: pd.DataFrame,
    s: Settings,
    ledger: Ledger,
    operator_of: pd.Series | None,
    engine: Any,
    full: bool = True,
) -> SeenArea:
    """Viewsheds on the surface model (buildings and/or DEM); fills the table's covered and open areas. Without
    ``full``, the tiles leave out the outlines, the homes and the operators' cells."""
    from equity.engine import Engine, grid_over, run_tiles

    study = inputs.study
    units = inputs.units
    ledger.take(inputs.ledger("buildings"))
    bounds = _grid_bounds(views, units)
    grid = grid_over(bounds, s.cell_size_m)
    shape = grid.shape
    ledger.take(inputs.ledger("dem"))
    ledger.take(inputs.ledger("homes"))
    operator_codes, operator_names = pd.factorize(operator_of) if full else (None, None)
    tiled = run_tiles(
        engine=engine or study.engine or Engine(),
        grid=grid,
        views=views,
        units=units,
        buildings=inputs.buildings,
        dem=inputs.dem,
        dem_fill=inputs.dem_fill,
        settings=s,
        homes=inputs.homes if full else None,
        polygons=full,
        groups=operator_codes,
    )
    if inputs.dem is not None:
        # the share of the cells within the cameras' reach (where the DEM is used) without an elevation
        missing = tiled.missing_cells / tiled.reached_cells if tiled.reached_cells else 0.0
        ledger.sources["dem"]["reach_missing_share"] = missing
        ledger.count("dem_cells_missing_share", round(missing, 6))
        if missing > 0 and study.dem_fill != "flat":
            msg = (
                f"{study.dem}: the DEM has no elevation for {100 * missing:.1f}% of the cells within the cameras' "
                "reach; give a DEM that covers them, or add --dem-fill flat to use flat ground there."
            )
            raise InputFormatError(msg)
    cell_area = grid.cell**2
    views["visible_m2"] = tiled.visible_cells * cell_area
    views["observer_status"] = tiled.status
    for status, n in tiled.status.value_counts().sort_index().items():
        ledger.count(f"views_observer_{status.replace(' ', '_')}", int(n))
    # area of each unit in view: open (not building) cells seen by at least one view, counted tile by tile
    table["covered_m2"] = tiled.covered_cells.to_numpy() * cell_area
    if inputs.built_m2 is not None:
        table["open_m2"] = table["area_m2"] - inputs.built_m2.to_numpy()
    else:
        table["open_m2"] = table["area_m2"]
    ledger.source(
        "surface",
        {
            "cell_size_m": grid.cell,
            "shape": list(shape),
            "bounds": list(bounds),
            "tiles": tiled.tiles,
            "tile_cells": tiled.tile_cells,
        },
    )
    if not full:
        return SeenArea(tiled.mosaic, tiled.polygons)
    homes = None
    if inputs.homes is not None:
        homes = _homes_merge(inputs, views, table, tiled, ledger)
    cells = tiled.group_cells
    operators = pd.DataFrame(
        {
            "operator": np.asarray(operator_names, dtype=object)[cells["group"].to_numpy()],
            "unit": cells["unit"].to_numpy(),
            "m2": cells["cells"].to_numpy() * cell_area,
        }
    )
    return SeenArea(tiled.mosaic, tiled.polygons, homes, operators)


def _homes_merge(
    inputs: Inputs, views: gpd.GeoDataFrame, table: pd.DataFrame, tiled: Any, ledger: Ledger
) -> gpd.GeoDataFrame:
    """Homes in view of every camera, from the tiles; fills the views and the units' home counts."""
    from equity import homes as home_analysis

    per_view = tiled.homes_views
    for col in per_view.columns:
        views[col] = per_view[col]
    ledger.count("views_looking_into_homes", int(per_view["looks_into_homes"].sum()))
    homes = inputs.homes.homes.copy()
    homes["seen_by"] = tiled.homes_seen.reindex(homes.index, fill_value=0).astype("int64").to_numpy()
    per_unit = home_analysis.homes_by_unit(homes, homes["seen_by"], inputs.units)
    for col in per_unit.columns:
        table[col] = per_unit[col].to_numpy()
    column = inputs.study.home_column
    ledger.source("homes", {"source": "home column " + column if column else "OSM building types"})
    return homes


def _who_watches(
    inputs: Inputs,
    views: gpd.GeoDataFrame,
    fields: gpd.GeoSeries,
    table: pd.DataFrame,
    s: Settings,
    ledger: Ledger,
    operator_cells: pd.DataFrame | None,
    operator_of: pd.Series,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Operators and ownership (:mod:`equity.operators`) and placement anomalies (:mod:`equity.anomalies`);
    adds their columns to the views and the units' table. ``operator_cells``: each operator's seen open
    cells per unit from the viewshed grid (:attr:`SeenArea.operators`), used instead of ``fields``."""
    from equity import anomalies, operators

    units = inputs.units
    crime = inputs.crime
    views["operator_normalised"] = operator_of
    ledger.count(
        "cameras_without_operator",
        int((views.drop_duplicates("camera_id")["operator_normalised"] == operators.UNKNOWN).sum()),
    )
    for col, values in operators.ownership_by_unit(views, units).items():
        table[col] = values.to_numpy()
    city_table = operators.operators_table(views, fields, seen=operator_cells)
    per_unit = operators.by_unit(views, fields, units, seen=operator_cells)
    cams = views.drop_duplicates("camera_id")
    intrusion = (
        views.groupby("camera_id")["intrusion_score"].max().reindex(cams["camera_id"]).set_axis(cams.index)
        if "intrusion_score" in views
        else None
    )
    # need without crime data: the residents around each camera, from the population polygons by area (the
    # units with their population when the population is a column of the unit layer)
    residents = getattr(inputs, "population_layer", None)
    if residents is None:
        residents = gpd.GeoDataFrame(
            {"population": table["population"].to_numpy(float)}, geometry=units.geometry.to_numpy(), crs=inputs.crs
        )
    # the areas the data cover: crime is recorded for the study area; the cameras where the camera file's
    # bounds say, else for the study area too
    study_area = units.geometry.union_all()
    crime_extent = getattr(inputs, "crime_extent", None)
    crime_extent = study_area if crime_extent is None else crime_extent
    camera_extent = _camera_extent(inputs.camera_meta, inputs.crs)
    camera_extent = study_area if camera_extent is None else camera_extent
    crime_meta = ledger.sources.get("crime") or {}
    period = f"{crime_meta['date_min']} and {crime_meta['date_max']}" if crime_meta.get("date_min") else None
    thresholds = anomalies.AnomalySettings.from_settings(s)
    options = {
        "intrusion": intrusion,
        "residents": residents if crime is None else None,
        "crime_extent": crime_extent,
        "camera_extent": camera_extent,
        "period": period,
        "settings": thresholds,
    }
    scores = anomalies.anomaly_scores(cams, crime, **options)
    scores["anomaly_flag_robustness"] = anomalies.flag_sensitivity(cams, crime, scores, **options)
    per_camera = scores.set_axis(cams["camera_id"].to_numpy())
    for col in per_camera.columns:
        views[col] = views["camera_id"].map(per_camera[col])
    _count_anomaly_edges(scores, thresholds, ledger)
    return city_table, per_unit


def _camera_extent(camera_meta: dict, crs: Any) -> Any:
    """The area the camera file covers, from its longitude/latitude bounds (``camera_meta["bounds"]``), in the
    study's CRS; None when the bounds are not known. The box's edges are densified before projecting."""
    import shapely

    extent = camera_meta.get("bounds")
    if extent is None:
        return None
    box = shapely.segmentize(shapely.box(*extent), 0.01)
    return gpd.GeoSeries([box], crs=WGS84).to_crs(crs).iloc[0]


def _count_anomaly_edges(scores: pd.DataFrame, a: Any, ledger: Ledger) -> None:
    """Count where the anomaly components met the edge of the data (censored or corrected) and the cameras with
    too few known components, and warn about those the reader must know of."""
    share = a.min_covered_share
    need_c = scores["need_disc_covered_share"]
    iso_c = scores["nearest_disc_covered_share"]
    need_unknown = int((need_c < share).sum())
    iso_unknown = int((iso_c < share).sum())
    unscored = int(scores["anomaly_score"].isna().sum())
    ledger.count("anomaly_need_unknown_at_data_edge", need_unknown)
    ledger.count("anomaly_need_corrected_at_data_edge", int(((need_c >= share) & (need_c < 1)).sum()))
    ledger.count("anomaly_isolation_unknown_at_data_edge", iso_unknown)
    ledger.count("anomaly_isolation_corrected_at_data_edge", int(((iso_c >= share) & (iso_c < 1)).sum()))
    ledger.count("anomaly_cameras_too_few_components", unscored)
    ledger.count("cameras_flagged_as_anomalies", int(scores["anomaly_flag"].sum()))
    what = "crime" if scores["incidents_nearby_corrected"].notna().any() else "population"
    if need_unknown:
        ledger.warn(
            f"Placement anomalies: {need_unknown} camera{'s have' if need_unknown != 1 else ' has'} less than "
            f"{100 * share:g}% of the {a.radius_m:g} m disc around {'them' if need_unknown != 1 else 'it'} in the "
            f"area the {what} data covers; {'their' if need_unknown != 1 else 'its'} "
            f"{'incidents' if what == 'crime' else 'residents'} nearby are unknown, not 0, and left out of the "
            "anomaly score."
        )
    if iso_unknown:
        ledger.warn(
            f"Placement anomalies: {iso_unknown} camera{'s have' if iso_unknown != 1 else ' has'} less than "
            f"{100 * share:g}% of the disc reaching the nearest other camera in the area the camera data covers; "
            "a nearer camera may stand outside it, so the isolation is unknown and left out of the anomaly score."
        )


def _clusters(units: gpd.GeoDataFrame, ledger: Ledger) -> pd.DataFrame:
    """Bivariate local Moran clusters of crime rate and coverage (esda and libpysal, dependencies of equity)."""
    from equity.clusters import bivariate_clusters

    clusters = bivariate_clusters(units)
    ledger.count("clusters_significant", int(clusters["cluster"].str.endswith("around").sum()))
    ledger.count("clusters_significant_after_fdr", int(clusters["cluster_fdr"].str.endswith("around").sum()))
    return clusters[["cluster", "cluster_fdr"]]


def _covered(share: float) -> str:
    """A unit's covered share in words ("none" when the DEM covers none of its cells, or it holds none)."""
    return "none" if pd.isna(share) or share == 0 else f"{100 * share:.1f}%"


def _data_gaps(table: pd.DataFrame, units: gpd.GeoDataFrame, camera_meta: dict) -> pd.Series:
    """What is unknown about each unit, in words; None when nothing is. A unit with no crime data, no residents,
    no elevation data (too little of it covered by the DEM, with the share covered) or outside the area the
    camera data covers is reported as such, never as zero."""
    gaps = []
    extent = camera_meta.get("bounds")
    outside = None
    if extent is not None:
        from shapely import box

        area = gpd.GeoSeries([box(*extent)], crs=WGS84).to_crs(units.crs).iloc[0]
        outside = ~units.geometry.intersects(area)
    for i, (_, row) in enumerate(table.iterrows()):
        items = []
        if pd.isna(row["crimes"]):
            items.append("no crime data")
        if pd.isna(row["population"]):
            items.append("no population data")
        elif row["population"] == 0:
            items.append("no residents")
        if row.get("terrain") == "no elevation data":
            items.append(f"no elevation data (the DEM covers {_covered(row['elevation_covered_share'])} of it)")
        if outside is not None and bool(outside.iloc[i]):
            items.append("outside the area of the camera data")
        gaps.append("; ".join(items) or None)
    return pd.Series(gaps, index=table.index, dtype=object)
