"""What one analysis computed: :class:`StudyResult`, the one object the writers, the map and the report read.

In a notebook, a result is looked at and written with three methods: :meth:`StudyResult.explore` (the
interactive map), :meth:`StudyResult.report` (the report, shown in the notebook) and :meth:`StudyResult.write`
(the analysis folder, as ``equity analyze`` writes it).
"""

from __future__ import annotations

import html
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import geopandas as gpd
import pandas as pd

from equity.ledger import Ledger
from equity.settings import Settings

if TYPE_CHECKING:
    import folium

    from equity.anomalies import AnomalySettings
    from equity.groups import GroupResult, RankConcentration
    from equity.inequality import CrimeRateCurves
    from equity.metrics import GapFindings


class ReportHTML(str):
    """The report: a self-contained HTML document (a ``str``), shown in a notebook in a frame of its own so that
    its styles do not reach the notebook's."""

    def _repr_html_(self) -> str:
        return (
            f'<iframe srcdoc="{html.escape(str(self), quote=True)}" '
            "style='width:100%;height:640px;border:1px solid #ccc' title='equity report'></iframe>"
        )

    def save(self, path: str | Path) -> Path:
        """Write the report alone to ``path`` (atomically); :meth:`StudyResult.write` writes the whole folder."""
        from equity.io.outputs import write_text_atomic

        return write_text_atomic(path, str(self))


@dataclass
class StudyResult:
    """Everything one analysis computed, in memory, in the study's metric CRS.

    Its last seven attributes, from ``findings`` on, are the summaries that the report, the map and the command
    line show, filled once at the end of the analysis (:func:`equity.analysis.analyse`) from the tables before
    them, so that the presentation computes nothing.

    Attributes
    ----------
    study : equity.study.Study
        The study analysed (its files, options and name); typed loosely, so that the result, which the writers
        and the presentation read, does not depend on the module that runs the study.
    settings : equity.settings.Settings
        The settings of this analysis.
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
    ledger : equity.ledger.Ledger
        Counts of every default and decision used, and the facts about the inputs, for the manifest and the
        report (:attr:`counts` and :attr:`meta` are its two parts).
    crs : pyproj.CRS
        The metric CRS of the analysis.
    city : list of equity.inequality.Estimate
        City-level measures with their bootstrap intervals.
    sensitivity : equity.sensitivity.Sensitivity or None
        The reruns under each variant of the settings (what-if per assumption).
    uncertainty : equity.uncertainty.Uncertainty or None
        The draws of the sources of error: class probabilities, robustness, the measures' intervals.
    moran : equity.clusters.GlobalMoran or None
        The global bivariate Moran's I of the smoothed crime rate and coverage (with the statistics).
    scales : pandas.DataFrame or None
        The city-level measures at this scale and on a finer unit layer (:func:`equity.scales.compare_scales`),
        when a finer layer was analysed.
        The findings under the low and high assumptions, when the study asked for them.
    operators : pandas.DataFrame
        City-wide table of operators (:func:`equity.operators.operators_table`).
    operators_by_unit : pandas.DataFrame
        Cameras and area in view per unit and operator (:func:`equity.operators.by_unit`).
    homes : geopandas.GeoDataFrame or None
        Each home with ``seen_by`` (the views that see it): personal data, kept only in an internal analysis
        (``privacy="internal"``); None in a public one.
    findings : equity.metrics.GapFindings or None
        The units ranked by gap and the members of the two classes of the story
        (:func:`equity.metrics.gap_findings`).
    hillside : pandas.DataFrame or None
        Hillside against flat units (:func:`equity.terrain.hillside_comparison`); None without a DEM.
    curves : equity.inequality.CrimeRateCurves or None
        The concentration curves over the units ranked by crime rate, and each unit's crime rate and share in
        view (:func:`equity.inequality.crime_rate_curves`); None with fewer than two units with crime and
        residents.
    fixed_camera_range_m : float or None
        The range of a fixed camera with the study's lens (:func:`equity.cameras.camera_range` of
        ``settings.fixed_fov_deg``).
    anomaly_settings : equity.anomalies.AnomalySettings or None
        The thresholds of the placement anomalies under the study's settings.
    anomaly_variants : list of equity.anomalies.AnomalySettings
        The thresholds under which a flag must also hold to be robust (:func:`equity.anomalies.flag_variants`).
    groups : equity.groups.GroupResult or None
        Each group of residents' mean exposure, its ratios and intervals (``Study.groups``); None without groups
        and in the sensitivity runs.
    rank_concentration : equity.groups.RankConcentration or None
        The concentration of camera exposure over the units ranked by ``Study.rank_by``; None without it.
    rejected_reasons : dict of str to int
        How many rows of ``rejected`` each reason has, the most frequent first
        (:func:`equity.ledger.rejected_by_reason`).
    buildings : geopandas.GeoDataFrame or None
        The building footprints the viewsheds were computed on (``Study.buildings``), for the map to draw; None
        without buildings and in the sensitivity runs. OSM footprints, with no home or person attached.
    roads : equity.roads.RoadFindings or None
        The plate readers' roads: the readers matched to road segments and directions, the roads logged and the
        units' entrances and cordons (:func:`equity.roads.road_findings`); None without a street layer.
    """

    study: Any
    settings: Settings
    units: gpd.GeoDataFrame
    views: gpd.GeoDataFrame
    sectors: gpd.GeoSeries
    crime: gpd.GeoDataFrame | None
    rejected: pd.DataFrame
    ledger: Ledger
    crs: Any
    homes: gpd.GeoDataFrame | None = None
    city: list[Any] = field(default_factory=list)
    sensitivity: Any = None
    uncertainty: Any = None
    moran: Any = None
    scales: Any = None
    operators: pd.DataFrame | None = None
    operators_by_unit: pd.DataFrame | None = None
    findings: GapFindings | None = None
    hillside: pd.DataFrame | None = None
    curves: CrimeRateCurves | None = None
    fixed_camera_range_m: float | None = None
    anomaly_settings: AnomalySettings | None = None
    anomaly_variants: list[AnomalySettings] = field(default_factory=list)
    rejected_reasons: dict[str, int] = field(default_factory=dict)
    groups: GroupResult | None = None
    rank_concentration: RankConcentration | None = None
    buildings: gpd.GeoDataFrame | None = None
    roads: Any = None

    @property
    def counts(self) -> dict[str, Any]:
        """Counts of every default and decision used (the ledger's)."""
        return self.ledger.counts

    @property
    def meta(self) -> dict[str, Any]:
        """Facts about the inputs: formats, columns used, OSM timestamp, date range of the crime data (the
        ledger's sources)."""
        return self.ledger.sources

    @property
    def personal_data(self) -> bool:
        """Whether this result holds personal data (an internal analysis with homes)."""
        return self.homes is not None

    def write(
        self, folder: str | Path, *, force: bool = False, lang: str = "en", map_assets: str = "auto"
    ) -> dict[str, Path]:
        """Write the analysis folder as ``equity analyze --out FOLDER`` does: map.html, report.html, units.csv,
        units.gpkg, cameras.csv, cameras.gpkg, the operators' and rejected rows' tables, the groups' tables when
        there are groups, and manifest.json (:func:`equity.folder.write_analysis`, the command's own writer).

        Parameters
        ----------
        folder
            The output folder (created when missing). A folder holding another study's outputs is refused, with
            an :class:`~equity._errors.OutputError`, unless ``force``.
        force
            Replace the outputs of a different study in ``folder``.
        lang
            The language of the map and the report: ``en``, ``es``, ``fr`` or ``de``.
        map_assets
            ``auto`` (Leaflet written into map.html when it can be had, else linked from a CDN with a logged
            warning), ``inline`` or ``cdn``; the command line's ``--map-assets``.

        Returns
        -------
        dict of str to Path
            The files written, by name.
        """
        from equity.folder import write_analysis

        return write_analysis(self, folder, force=force, lang=lang, map_assets=map_assets)

    def explore(self, *, lang: str = "en") -> folium.Map:
        """The interactive map (the map.html of :meth:`write`, with Leaflet from a CDN): a :class:`folium.Map`,
        shown by a notebook when it is a cell's value."""
        from equity.folder import study_map

        return study_map(self, lang=lang)

    def report(self, *, lang: str = "en") -> ReportHTML:
        """The report (the report.html of :meth:`write`) as a :class:`ReportHTML`: a ``str`` of the whole HTML
        document, shown in a frame when it is a notebook cell's value."""
        from equity.folder import study_report

        return ReportHTML(study_report(self, lang=lang))
