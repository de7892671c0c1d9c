"""A Study: the inputs and settings of one analysis, and the pipeline that runs its stages.

``io (read, validate) -> projection.to_metric -> cameras (tags -> views -> field of view) -> coverage (per unit)
-> metrics (equity)``. The study calls the readers of :mod:`equity.io` and never opens a file itself; writing
the outputs is :func:`equity.io.outputs.write_outputs`'s job.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
from affine import Affine

from equity import coverage
from equity._errors import InputError, InputFormatError
from equity.cameras import fov_sectors, normalise_cameras
from equity.inequality import BOOTSTRAP_SAMPLES, city_measures, need_gap
from equity.io import cameras_from_file, crime_from_file, population_layer_from_file, units_from_file
from equity.io._common import REJECTED_COLUMNS
from equity.metrics import equity_table
from equity.operators import normalise_operators
from equity.population import interpolate_population
from equity.projection import metric_crs, to_metric
from equity.sensitivity import sensitivity
from equity.settings import Settings

log = logging.getLogger(__name__)


@dataclass
class Study:
    """The inputs and settings of one analysis.

    Parameters
    ----------
    cameras
        Camera source: .osm, .osm.bz2, .osm.pbf, Overpass JSON, GeoJSON, GeoPackage or CSV.
    units
        Polygon layer of the units of analysis (neighbourhoods, tracts, ...).
    unit_id
        Column of ``units`` that identifies a unit (guessed when None).
    crime
        Incident points (CSV with coordinates, or a point layer), or None.
    crime_columns
        Columns of ``units`` that hold crime counts per unit, summed (used instead of ``crime``).
    categories, since, until
        Filters of the incident points: categories (case-insensitive) and a date range.
    population
        A column of ``units``, or a polygon layer to interpolate from by area (see
        :func:`equity.population.interpolate_population`), or None.
    population_column
        The population column of the population layer (guessed when None).
    buildings
        Building footprints (an OSM file, Overpass JSON or a polygon layer) that block views; their heights
        come from :func:`equity.buildings.building_height`.
    streets
        The street network (an OSM file or a line layer), for the share of each unit's street length in view.
    dem
        A digital elevation model (any raster rasterio reads, any CRS). With ``buildings`` or ``dem`` the
        study computes viewsheds (:mod:`equity.visibility`) instead of open-ground sectors.
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
    sources
        Where each input comes from, with its date and licence, by role (``cameras``, ``crime``, ...): shown in
        the report's data sources. OpenStreetMap's attribution is always shown for OSM camera data.
    """

    cameras: str | Path
    units: str | Path
    unit_id: str | None = None
    crime: str | Path | None = None
    crime_columns: list[str] | None = None
    categories: list[str] | None = None
    since: str | None = None
    until: str | None = None
    population: str | Path | None = None
    population_column: str | None = None
    buildings: str | Path | None = None
    streets: str | Path | None = None
    dem: str | Path | None = None
    dem_fill: str | None = None
    land: str | Path | None = None
    home_column: str | None = None
    privacy: str = "public"
    sensitivity: bool = True
    statistics: bool = True
    settings: Settings = field(default_factory=Settings)
    name: str = "study"
    engine: Any = None
    sources: dict[str, str] | None = None

    def inputs(self) -> dict[str, Path]:
        """The input files of the study by role."""
        files = {"cameras": Path(self.cameras), "units": Path(self.units)}
        if self.crime is not None:
            files["crime"] = Path(self.crime)
        if self.population is not None and _is_file_like(self.population):
            files["population"] = Path(self.population)
        if self.buildings is not None:
            files["buildings"] = Path(self.buildings)
        if self.streets is not None:
            files["streets"] = Path(self.streets)
        if self.dem is not None:
            files["dem"] = Path(self.dem)
        if self.land is not None:
            files["land"] = Path(self.land)
        return files

    def run(self) -> StudyResult:
        """Read the inputs, compute coverage and equity per unit, and return everything in memory."""
        if self.privacy not in ("public", "internal"):
            msg = f"privacy must be 'public' or 'internal', not {self.privacy!r}."
            raise InputError(msg)
        if self.crime is not None and self.crime_columns:
            msg = "Give crime either as incident points (--crime) or as unit columns (--crime-columns), not both."
            raise InputError(msg)
        s = self.settings
        counts: dict[str, Any] = {}
        rejected: list[pd.DataFrame] = []
        meta: dict[str, Any] = {}
        if self.engine is not None and (self.buildings is not None or self.dem is not None):
            self.engine.warm()  # the tiles' workers load equity while the inputs are read
        # the incidents are read in a thread of their own while the cameras, buildings and viewsheds are
        # worked on (they need none of them); a problem with the file is raised where it was always raised
        crime_reader = (
            _Background(
                crime_from_file,
                self.crime,
                categories=self.categories,
                since=self.since,
                until=self.until,
                dedupe=s.dedupe_incidents,
            )
            if self.crime is not None
            else None
        )

        unit_read = units_from_file(self.units, id_column=self.unit_id)
        rejected.append(unit_read.rejected)
        meta["units"] = unit_read.meta
        crs = metric_crs(unit_read.data)
        units = to_metric(unit_read.data, crs)
        counts["units"] = len(units)
        counts["unit_geometries_repaired"] = unit_read.counts.get("repaired_geometries", 0)

        cam_read = cameras_from_file(self.cameras)
        rejected.append(cam_read.rejected)
        meta["cameras"] = cam_read.meta
        views = to_metric(normalise_cameras(cam_read.data, s), crs)
        views["unit_id"] = coverage.assign_units(views, units).to_numpy()
        operator_of = normalise_operators(views)  # the tiles count each operator's cells in view
        n_cams = views["camera_id"].nunique()
        inside = views["unit_id"].notna()
        if not inside.any():
            msg = (
                f"{self.cameras}: none of its {n_cams} cameras lies inside the units of {self.units}; "
                "check that both cover the same area."
            )
            raise InputFormatError(msg)
        first_view = views.drop_duplicates("camera_id")
        counts.update(
            {
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
            }
        )
        counts["camera_kinds"] = first_view["kind"].value_counts().sort_index().to_dict()
        counts["camera_ownership"] = first_view["ownership"].value_counts().sort_index().to_dict()

        table = pd.DataFrame({"unit_id": units["unit_id"], "area_m2": units.geometry.area})
        table["cameras"] = coverage.cameras_by_unit(views, units)
        streets = None
        if self.streets is not None:
            from equity.io.streets import streets_from_file

            street_read = streets_from_file(self.streets)
            rejected.append(street_read.rejected)
            meta["streets"] = street_read.meta
            streets = to_metric(street_read.data, crs)
            counts["streets"] = len(streets)

        seen = None
        homes = None
        if self.buildings is not None or self.dem is not None:
            seen = self._visibility(views, units, table, meta, counts, rejected, streets, operator_of)
            sectors = seen.polygons
            homes = seen.homes
            operator_cells = seen.operators
        else:
            operator_cells = None
            sectors = fov_sectors(views, s)
            table["covered_m2"] = coverage.covered_area_by_unit(sectors, units)
            table["open_m2"] = table["area_m2"]

        if streets is not None:
            table["street_m"] = coverage.street_length_by_unit(streets, units)
            table["street_in_view_m"] = (
                coverage.street_length_in_view(streets, units, sectors=sectors)
                if seen is None
                else coverage.street_length_in_view(streets, units, seen=seen, step=s.cell_size_m / 2)
            )

        crime_points = None
        if self.crime is not None:
            crime_read = crime_reader.result()
            rejected.append(crime_read.rejected)
            meta["crime"] = crime_read.meta
            counts.update({f"crime_{k}": v for k, v in crime_read.counts.items()})
            crime_points = to_metric(crime_read.data, crs)
            in_view = coverage.points_in_view(crime_points, sectors) if seen is None else seen.points_seen(crime_points)
            per_unit = coverage.crimes_by_unit(crime_points, units, in_view)
            if per_unit["crimes"].sum() == 0:
                msg = f"{self.crime}: none of its {len(crime_points)} incidents lies inside the units of {self.units}."
                raise InputFormatError(msg)
            table["crimes"] = per_unit["crimes"]
            table["crimes_in_view"] = per_unit["crimes_in_view"]
            counts["crime_incidents_outside_units"] = int(len(crime_points) - per_unit["crimes"].sum())
        elif self.crime_columns:
            table["crimes"] = _sum_columns(units, self.crime_columns, self.units)
            table["crimes_in_view"] = float("nan")
            meta["crime"] = {"format": "unit columns", "columns": list(self.crime_columns)}
        else:
            table["crimes"] = float("nan")
            table["crimes_in_view"] = float("nan")

        table["population"] = self._population(units, meta, counts, rejected)
        result_table = equity_table(table, s)
        counts["units_by_class"] = result_table["class"].value_counts().sort_index().to_dict()
        for col in HOME_UNIT_COLUMNS:
            if col in table:
                result_table[col] = table[col]
        result_table = result_table.join(need_gap(result_table, s.need_crime_weight))
        if self.dem is not None:
            result_table = result_table.join(self._terrain(units, meta))
        if self.statistics:
            result_table = result_table.join(_clusters(gpd.GeoDataFrame(result_table, geometry=units.geometry), counts))
        result_table["data_gaps"] = _data_gaps(result_table, units, cam_read.meta)
        counts["units_with_data_gaps"] = int(result_table["data_gaps"].notna().sum())
        operators, operators_units = self._who_watches(
            views, sectors, units, result_table, crime_points, meta, counts, operator_cells, operator_of
        )
        out_units = gpd.GeoDataFrame(result_table, geometry=units.geometry, crs=crs)
        rej = (
            pd.concat([r for r in rejected if not r.empty], ignore_index=True)
            if any(not r.empty for r in rejected)
            else pd.DataFrame(columns=REJECTED_COLUMNS)
        )
        counts["rejected_rows"] = len(rej)
        result = StudyResult(
            study=self,
            units=out_units,
            views=views,
            sectors=sectors,
            crime=crime_points,
            rejected=rej,
            counts=counts,
            meta=meta,
            crs=crs,
            homes=homes if self.privacy == "internal" else None,
            city=city_measures(result_table, samples=BOOTSTRAP_SAMPLES if self.statistics else 0),
            operators=operators,
            operators_by_unit=operators_units,
        )
        if self.sensitivity:
            result.sensitivity = sensitivity(self, result)
            robustness = result.sensitivity.robust
            result.units["robustness"] = result.units["unit_id"].map(robustness).to_numpy()
            counts["units_uncertain"] = int((robustness == "uncertain").sum())
        return result

    def _visibility(
        self,
        views: gpd.GeoDataFrame,
        units: gpd.GeoDataFrame,
        table: pd.DataFrame,
        meta: dict,
        counts: dict,
        rejected: list,
        streets: gpd.GeoDataFrame | None = None,
        operator_of: pd.Series | None = None,
    ) -> SeenArea:
        """Viewsheds on the surface model (buildings and/or DEM); fills the table's covered and open areas."""
        from equity.buildings import buildings_with_heights
        from equity.engine import Engine, grid_over, run_tiles
        from equity.io.buildings import buildings_from_file

        s = self.settings
        crs = units.crs
        footprints = None
        if self.buildings is not None:
            read = buildings_from_file(self.buildings)
            if self.privacy == "public" and len(read.rejected):
                # a building's id can be a home's: public outputs list the rejected buildings without ids
                read.rejected["record"] = "(building id withheld in public mode)"
            rejected.append(read.rejected)
            meta["buildings"] = read.meta
            footprints = to_metric(buildings_with_heights(read.data), crs)
            counts["buildings"] = len(footprints)
            counts["buildings_incomplete"] = read.counts.get("incomplete_buildings", 0)
            for source, n in footprints["height_source"].value_counts().sort_index().items():
                counts[f"buildings_height_{source}"] = int(n)
            counts["buildings_with_tag_issues"] = int(footprints["issues"].notna().sum())
        bounds = _grid_bounds(views, units)
        grid = grid_over(bounds, s.cell_size_m)
        shape = grid.shape
        dem_fill = None
        if self.dem is not None:
            dem_fill = self._dem_check(grid, crs, meta)
        home_inputs = None
        if footprints is not None:
            home_inputs = self._home_inputs(units, footprints, streets, counts)
        if operator_of is None:
            operator_of = normalise_operators(views)
        operator_codes, operator_names = pd.factorize(operator_of)
        tiled = run_tiles(
            engine=self.engine or Engine(),
            grid=grid,
            views=views,
            units=units,
            buildings=footprints,
            dem=None if self.dem is None else str(self.dem),
            dem_fill=dem_fill,
            settings=s,
            homes=home_inputs,
            groups=operator_codes,
        )
        if self.dem is not None:
            missing = tiled.missing_cells / float(shape[0] * shape[1])
            meta["dem"]["missing_share"] = missing
            counts["dem_cells_missing_share"] = round(missing, 6)
            if missing > 0 and self.dem_fill != "flat":
                msg = (
                    f"{self.dem}: the DEM has no elevation for {100 * missing:.1f}% of the study area's grid; "
                    "give a DEM that covers it, or add --dem-fill flat to use flat ground there."
                )
                raise InputFormatError(msg)
        cell_area = grid.cell**2
        views["visible_m2"] = tiled.visible_cells * cell_area
        views["observer_status"] = tiled.status
        for status, n in tiled.status.value_counts().sort_index().items():
            counts[f"views_observer_{status.replace(' ', '_')}"] = int(n)
        # area of each unit in view: open (not building) cells seen by at least one view, counted tile by tile
        table["covered_m2"] = tiled.covered_cells.to_numpy() * cell_area
        if footprints is not None and not footprints.empty:
            table["open_m2"] = table["area_m2"] - coverage.built_area_by_unit(footprints.geometry, units).to_numpy()
        else:
            table["open_m2"] = table["area_m2"]
        meta["surface"] = {
            "cell_size_m": grid.cell,
            "shape": list(shape),
            "bounds": list(bounds),
            "tiles": tiled.tiles,
            "tile_cells": tiled.tile_cells,
        }
        homes = None
        if home_inputs is not None:
            homes = self._homes_merge(views, units, table, home_inputs, tiled, meta, counts)
        cells = tiled.group_cells
        operators = pd.DataFrame(
            {
                "operator": np.asarray(operator_names, dtype=object)[cells["group"].to_numpy()],
                "unit": cells["unit"].to_numpy(),
                "m2": cells["cells"].to_numpy() * cell_area,
            }
        )
        return SeenArea(tiled.mosaic, tiled.polygons, homes, operators)

    def _dem_check(self, grid: Any, crs: Any, meta: dict) -> float | None:
        """Check the DEM once over the whole study area on a coarse grid (at most 2,048 cells a side): that
        rasterio reads it, that it has elevations there, and, with ``dem_fill="flat"``, the elevation used
        where it has none: the median of that coarse grid. Returns that elevation, or None."""
        from equity.io.dem import dem_on_grid

        rows, cols = grid.shape
        step = max(1, math.ceil(max(rows, cols) / 2048))
        shape = (math.ceil(rows / step), math.ceil(cols / step))
        transform = grid.transform @ Affine.scale(step)
        ground, dem_meta = dem_on_grid(self.dem, crs, transform, shape)
        meta["dem"] = dem_meta
        missing = dem_meta["missing_share"]
        if missing > 0 and self.dem_fill != "flat":
            msg = (
                f"{self.dem}: the DEM has no elevation for {100 * missing:.1f}% of the study area's grid "
                f"(checked at {grid.cell * step:g} m cells); give a DEM that covers it, or add --dem-fill flat "
                "to use flat ground there."
            )
            raise InputFormatError(msg)
        if self.dem_fill != "flat":
            return None
        fill = float(np.nanmedian(ground))
        meta["dem"]["filled_with_m"] = fill
        return fill

    def _home_inputs(
        self,
        units: gpd.GeoDataFrame,
        footprints: gpd.GeoDataFrame,
        streets: gpd.GeoDataFrame | None,
        counts: dict,
    ) -> HomeInputs:
        """The homes and the land layers of the homes-in-view analysis (see :mod:`equity.homes`)."""
        from equity import homes as home_analysis
        from equity.io.landuse import land_from_file

        residential = public = None
        land_source = self.land if self.land is not None else self.buildings
        if self.land is not None or _is_osm(land_source):
            land_read = land_from_file(land_source)
            land_layer = to_metric(land_read.data, units.crs)
            residential = land_layer.geometry[land_layer["kind"] == "residential"]
            public = land_layer.geometry[land_layer["kind"] == "public"]
            counts["land_residential_areas"] = len(residential)
            counts["land_public_areas"] = len(public)
        footprints = footprints.copy()
        footprints["home"] = home_analysis.classify_homes(footprints, residential, home_column=self.home_column)
        homes = footprints[footprints["home"].notna()]
        counts["homes"] = int((homes["home"] == "home").sum())
        counts["probable_homes"] = int((homes["home"] == "probable").sum())
        public_known = streets is not None or (public is not None and len(public) > 0)
        if not public_known:
            counts["intrusion_score"] = "not computed: no streets or public spaces were given (--streets, --land)"
        return HomeInputs(
            homes=homes,
            residential=residential,
            public=public,
            streets=None if streets is None else streets.geometry,
            public_known=public_known,
        )

    def _homes_merge(
        self,
        views: gpd.GeoDataFrame,
        units: gpd.GeoDataFrame,
        table: pd.DataFrame,
        inputs: HomeInputs,
        tiled: Any,
        meta: dict,
        counts: dict,
    ) -> gpd.GeoDataFrame:
        """Homes in view of every camera, from the tiles; fills the views and the units' home counts."""
        from equity import homes as home_analysis

        per_view = tiled.homes_views
        for col in per_view.columns:
            views[col] = per_view[col]
        counts["views_looking_into_homes"] = int(per_view["looks_into_homes"].sum())
        homes = inputs.homes.copy()
        homes["seen_by"] = tiled.homes_seen.reindex(homes.index, fill_value=0).astype("int64").to_numpy()
        per_unit = home_analysis.homes_by_unit(homes, homes["seen_by"], units)
        for col in per_unit.columns:
            table[col] = per_unit[col].to_numpy()
        meta["homes"] = {"source": "home column " + self.home_column if self.home_column else "OSM building types"}
        return homes

    def _who_watches(
        self,
        views: gpd.GeoDataFrame,
        fields: gpd.GeoSeries,
        units: gpd.GeoDataFrame,
        table: pd.DataFrame,
        crime: gpd.GeoDataFrame | None,
        meta: dict,
        counts: dict,
        operator_cells: pd.DataFrame | None = None,
        operator_of: pd.Series | None = None,
    ) -> tuple[pd.DataFrame, pd.DataFrame]:
        """Operators and ownership (:mod:`equity.operators`) and placement anomalies (:mod:`equity.anomalies`);
        adds their columns to the views and the units' table. ``operator_cells``: each operator's seen open
        cells per unit from the viewshed grid (:attr:`SeenArea.operators`), used instead of ``fields``."""
        from equity import anomalies, operators

        views["operator_normalised"] = operators.normalise_operators(views) if operator_of is None else operator_of
        counts["cameras_without_operator"] = int(
            (views.drop_duplicates("camera_id")["operator_normalised"] == operators.UNKNOWN).sum()
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
        density = (table["population"] / table["area_km2"]).set_axis(units["unit_id"].to_numpy())
        cam_density = cams["unit_id"].map(density)
        crime_meta = meta.get("crime") or {}
        period = f"{crime_meta['date_min']} and {crime_meta['date_max']}" if crime_meta.get("date_min") else None
        s = self.settings
        thresholds = anomalies.AnomalySettings(
            radius_m=s.anomaly_radius_m, flag_score=s.anomaly_flag_score, lonely_m=s.anomaly_lonely_m
        )
        density = cam_density if crime is None else None
        scores = anomalies.anomaly_scores(
            cams, crime, intrusion=intrusion, density=density, period=period, settings=thresholds
        )
        scores["anomaly_flag_robustness"] = anomalies.flag_sensitivity(
            cams, crime, scores, intrusion=intrusion, density=density, period=period, settings=thresholds
        )
        per_camera = scores.set_axis(cams["camera_id"].to_numpy())
        for col in per_camera.columns:
            views[col] = views["camera_id"].map(per_camera[col]).to_numpy()
        counts["cameras_flagged_as_anomalies"] = int(scores["anomaly_flag"].sum())
        return city_table, per_unit

    def _terrain(self, units: gpd.GeoDataFrame, meta: dict) -> pd.DataFrame:
        """Mean elevation, slope and terrain class per unit from the DEM, on a grid of
        ``settings.terrain_cell_m`` cells over the units."""
        from equity.io.dem import dem_on_grid
        from equity.terrain import terrain_by_unit
        from equity.visibility import grid_for

        transform, shape = grid_for(tuple(units.total_bounds), self.settings.terrain_cell_m)
        ground, dem_meta = dem_on_grid(self.dem, units.crs, transform, shape)
        meta.setdefault(
            "terrain", {"cell_size_m": self.settings.terrain_cell_m, "missing_share": dem_meta["missing_share"]}
        )
        return terrain_by_unit(ground, transform, units, hillside_pct=self.settings.hillside_slope_pct)

    def _population(self, units: gpd.GeoDataFrame, meta: dict, counts: dict, rejected: list) -> pd.Series:
        if self.population is None:
            meta["population"] = {"source": None}
            return pd.Series(float("nan"), index=units.index)
        if not _is_file_like(self.population):
            col = str(self.population)
            if col not in units.columns:
                msg = (
                    f"{self.units}: no population column {col!r} (and no file of that name); the unit layer's "
                    f"columns are {', '.join(c for c in units.columns if c != 'geometry')}."
                )
                raise InputFormatError(msg)
            values = pd.to_numeric(units[col], errors="coerce")
            bad = values.isna() | (values < 0)
            if bad.any():
                first = units.loc[bad, "unit_id"].iloc[0]
                value = units.loc[bad, col].iloc[0]
                value = value.item() if hasattr(value, "item") else value
                msg = (
                    f"{self.units}: population column {col!r} of unit {first!r} holds {value!r}; "
                    "expected a count of at least 0."
                )
                raise InputFormatError(msg)
            meta["population"] = {"source": "unit column", "column": col}
            return values.astype(float)
        read = population_layer_from_file(self.population, column=self.population_column)
        rejected.append(read.rejected)
        layer = to_metric(read.data, units.crs)
        values, outside = interpolate_population(layer, units)
        meta["population"] = {"source": "area-weighted interpolation", **read.meta}
        counts["population_source_total"] = float(layer["population"].sum())
        counts["population_outside_units"] = outside
        return values


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


@dataclass
class HomeInputs:
    """The homes (buildings of a residential type, with ``home``: home or probable) and the land layers of the
    homes-in-view analysis, as the tiles need them."""

    homes: gpd.GeoDataFrame
    residential: gpd.GeoSeries | None
    public: gpd.GeoSeries | None
    streets: gpd.GeoSeries | None
    public_known: bool


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


def _clusters(units: gpd.GeoDataFrame, counts: dict) -> pd.DataFrame:
    """Bivariate local Moran clusters of crime rate and coverage, when PySAL's esda is installed."""
    try:
        from equity.clusters import bivariate_clusters

        return bivariate_clusters(units)[["cluster"]]
    except ImportError:
        counts["clusters"] = "not computed: install equity[stats] (PySAL esda and libpysal)"
        return pd.DataFrame({"cluster": "not computed"}, index=units.index)


def _data_gaps(table: pd.DataFrame, units: gpd.GeoDataFrame, camera_meta: dict) -> pd.Series:
    """What is unknown about each unit, in words; None when nothing is. A unit with no crime data, no residents
    or outside the area the camera data covers is reported as such, never as zero."""
    gaps = []
    extent = camera_meta.get("bounds")
    outside = None
    if extent is not None:
        from shapely import box

        area = gpd.GeoSeries([box(*extent)], crs="EPSG:4326").to_crs(units.crs).iloc[0]
        outside = ~units.geometry.intersects(area)
    for i, (_, row) in enumerate(table.iterrows()):
        items = []
        if pd.isna(row["crimes"]):
            items.append("no crime data")
        if pd.isna(row["population"]):
            items.append("no population data")
        elif row["population"] == 0:
            items.append("no residents")
        if outside is not None and bool(outside.iloc[i]):
            items.append("outside the area of the camera data")
        gaps.append("; ".join(items) or None)
    return pd.Series(gaps, index=table.index, dtype=object)


def _is_osm(path: str | Path | None) -> bool:
    if path is None:
        return False
    name = str(path).lower()
    return name.endswith((".osm", ".osm.bz2", ".osm.pbf", ".pbf"))


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


def _is_file_like(value: str | Path) -> bool:
    p = Path(value)
    return p.exists() or p.suffix.lower() in {".geojson", ".json", ".gpkg", ".shp", ".fgb", ".csv", ".zip"}


def _sum_columns(units: gpd.GeoDataFrame, columns: list[str], path: str | Path) -> pd.Series:
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
        bad = values < 0
        if bad.any():
            unit = units.loc[bad, "unit_id"].iloc[0]
            msg = f"{path}: crime count column {col!r} holds a negative count for unit {unit!r}."
            raise InputFormatError(msg)
        total = total + values  # a missing count leaves the unit's crime unknown (NaN), never zero
    return total


class _Background:
    """A call run in a daemon thread of its own; :meth:`result` waits for it and returns its value or raises
    its exception, as the call itself would have. A study that fails before asking for the result does not
    wait for it (the thread ends with the process)."""

    def __init__(self, fn: Any, *args: Any, **kwargs: Any) -> None:
        import threading

        self._value: Any = None
        self._error: BaseException | None = None

        def work() -> None:
            try:
                self._value = fn(*args, **kwargs)
            except BaseException as err:  # handed to result(), which raises it where the call would have
                self._error = err

        self._thread = threading.Thread(target=work, name="equity-read", daemon=True)
        self._thread.start()

    def result(self) -> Any:
        self._thread.join()
        if self._error is not None:
            raise self._error
        return self._value


@dataclass
class StudyResult:
    """Everything one analysis computed, in memory, in the study's metric CRS.

    Attributes
    ----------
    units : geopandas.GeoDataFrame
        One row per unit with the columns of :data:`equity.metrics.EQUITY_COLUMNS`.
    views : geopandas.GeoDataFrame
        One row per camera view (:data:`equity.cameras.VIEW_COLUMNS`, plus ``unit_id``), camera points.
    sectors : geopandas.GeoSeries
        Field-of-view polygon of each view (None for views that do not count), aligned to ``views``.
    crime : geopandas.GeoDataFrame or None
        The incident points that were counted.
    rejected : pandas.DataFrame
        Every input row that was dropped, with the reason.
    counts : dict
        Counts of every default and decision used, for the manifest and the report.
    meta : dict
        Facts about the inputs (formats, columns used, OSM timestamp, date range of the crime data).
    crs : pyproj.CRS
        The metric CRS of the analysis.
    city : list of equity.inequality.Estimate
        City-level measures with their bootstrap intervals.
    sensitivity : equity.sensitivity.Sensitivity or None
        The findings under the low and high assumptions, when the study asked for them.
    operators : pandas.DataFrame
        City-wide table of operators (:func:`equity.operators.operators_table`).
    operators_by_unit : pandas.DataFrame
        Cameras and area in view per unit and operator (:func:`equity.operators.by_unit`).
    homes : geopandas.GeoDataFrame or None
        Each home with ``seen_by`` (the views that see it): personal data, kept only in an internal analysis
        (``privacy="internal"``); None in a public one.
    """

    study: Study
    units: gpd.GeoDataFrame
    views: gpd.GeoDataFrame
    sectors: gpd.GeoSeries
    crime: gpd.GeoDataFrame | None
    rejected: pd.DataFrame
    counts: dict[str, Any]
    meta: dict[str, Any]
    crs: Any
    homes: gpd.GeoDataFrame | None = None
    city: list[Any] = field(default_factory=list)
    sensitivity: Any = None
    operators: pd.DataFrame | None = None
    operators_by_unit: pd.DataFrame | None = None

    @property
    def personal_data(self) -> bool:
        """Whether this result holds personal data (an internal analysis with homes)."""
        return self.homes is not None
