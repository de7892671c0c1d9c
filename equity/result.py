"""What one analysis computed: :class:`StudyResult`, the one object the writers, the map and the report read."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import geopandas as gpd
import pandas as pd

from equity.ledger import Ledger
from equity.settings import Settings

if TYPE_CHECKING:
    from equity.study import Study


@dataclass
class StudyResult:
    """Everything one analysis computed, in memory, in the study's metric CRS.

    Attributes
    ----------
    study : equity.study.Study
        The study analysed (its files, options and name).
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
    operators: pd.DataFrame | None = None
    operators_by_unit: pd.DataFrame | None = None

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
