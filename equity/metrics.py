"""Equity indicators per unit: densities, shares, the gap between coverage and need, and the class that
names the two cases of the story.

Conventions: a ratio whose denominator is zero is undefined and left empty (NaN), never shown as zero or
infinity; a unit without crime data has ``crime_share`` NaN and the class ``no_data``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from equity.rates import small_population, smoothed_rate_per_1k
from equity.settings import Settings

#: The classes of :func:`equity_table`, with the plain-language label used by the map and the report.
CLASS_LABELS: dict[str, str] = {
    "under_covered": "high crime, low coverage",
    "over_covered": "low crime, high coverage",
    "other": "neither",
    "no_data": "no crime data",
}

#: The two classes the findings name, in the order they are told.
STORY_CLASSES: tuple[str, str] = ("under_covered", "over_covered")

#: Output columns of :func:`equity_table`, in order.
EQUITY_COLUMNS: list[str] = [
    "unit_id",
    "area_km2",
    "cameras",
    "cameras_cctv",
    "cameras_alpr",
    "cameras_per_km2",
    "population",
    "cameras_per_1k_residents",
    "crimes",
    "crimes_per_1k",
    "crimes_per_1k_smoothed",
    "small_population",
    "cameras_per_100_crimes",
    "covered_km2",
    "open_km2",
    "covered_share",
    "street_km",
    "street_covered_share",
    "crimes_in_view",
    "crimes_in_view_share",
    "crime_share",
    "coverage_share",
    "gap",
    "class",
]


def _ratio(num: pd.Series, den: pd.Series, scale: float = 1.0) -> pd.Series:
    den = den.astype(float)
    return (scale * num.astype(float) / den.where(den > 0)).astype(float)


def equity_table(units: pd.DataFrame, settings: Settings | None = None) -> pd.DataFrame:
    r"""Compute the equity columns of every unit.

    Parameters
    ----------
    units : pandas.DataFrame
        One row per unit with ``unit_id``, ``area_m2``, ``cameras``, ``population`` (NaN if unknown),
        ``crimes`` (NaN if unknown), ``crimes_in_view``, ``covered_m2`` and, optionally, ``open_m2``,
        ``street_m`` and ``street_in_view_m``.
    settings : Settings, optional
        Thresholds of the classification.

    Returns
    -------
    pandas.DataFrame
        Columns :data:`EQUITY_COLUMNS`, aligned to ``units``.

    Notes
    -----
    With ``C_u`` cameras, ``A_u`` area (km2), ``P_u`` residents, ``K_u`` crimes, ``V_u`` area in view and
    ``n`` units:

    - ``cameras_per_km2 = C_u / A_u``; ``cameras_per_1k_residents = 1000 C_u / P_u``;
      ``crimes_per_1k = 1000 K_u / P_u``; ``cameras_per_100_crimes = 100 C_u / K_u``;
    - ``crimes_per_1k_smoothed``: the empirical-Bayes smoothed rate (:mod:`equity.rates`), and
      ``small_population``: ``P_u < settings.small_population`` (the raw rate is unstable);
    - ``cameras_cctv`` and ``cameras_alpr``: the unit's cameras that are area cameras and licence-plate
      readers (``C_u`` is their sum; unknown when the input does not give them);
    - ``covered_share = V_u / O_u``: share of the unit's open area ``O_u`` (its area outside buildings when
      buildings are given, else its whole area) seen by at least one camera at ``settings.detail_level``;
    - ``covered_share_<level> = V2_u / O_u``, with ``covered_km2_<level>``: the same at
      ``settings.second_detail_level`` (when ``units`` has ``covered_m2_second``);
    - ``street_covered_share = S^view_u / S_u``: share of the unit's street length ``S_u`` in a camera's
      view (empty when no street network was given);
    - ``crimes_in_view_share = K^view_u / K_u``;
    - ``crime_share = K_u / sum K``; ``coverage_share = V_u / sum V`` (the unit's share of all the city's
      area in view), both sums over the units whose crime is known (over all units when none is); empty when
      no camera view could be drawn at all;
    - ``gap = coverage_share - crime_share``: negative when a unit gets less of the city's camera coverage
      than its share of the city's crime, positive when it gets more;
    - ``class``: ``under_covered`` ("high crime, low coverage") when ``crime_share`` is at or above the
      ``high_crime_quantile`` of all units' crime shares and ``coverage_share < low_coverage_ratio *
      crime_share``; ``over_covered`` ("low crime, high coverage") when ``crime_share`` is at or below the
      ``low_crime_quantile`` and ``coverage_share > high_coverage_ratio * crime_share`` and
      ``coverage_share`` at or above the ``high_coverage_quantile`` of all units' coverage shares
      (by default the median); ``no_data`` when the unit's crime or coverage share is unknown; else ``other``.

    Examples
    --------
    >>> t = equity_table(pd.DataFrame({"unit_id": ["a", "b"], "area_m2": [1e6, 1e6], "cameras": [0, 4],
    ...     "population": [1000, 1000], "crimes": [90, 10], "crimes_in_view": [0, 5],
    ...     "covered_m2": [0.0, 2e5]}))
    >>> t[["unit_id", "gap", "class"]].to_dict("records")
    [{'unit_id': 'a', 'gap': -0.9, 'class': 'under_covered'}, {'unit_id': 'b', 'gap': 0.9, 'class': 'over_covered'}]
    """
    s = settings or Settings()
    out = pd.DataFrame(index=units.index)
    out["unit_id"] = units["unit_id"]
    area_km2 = units["area_m2"].astype(float) / 1e6
    out["area_km2"] = area_km2
    cams = units["cameras"]  # a count per unit from the source may be unknown (NaN), never read as zero
    out["cameras"] = cams.astype("int64") if cams.notna().all() else cams.astype(float)
    for kind in ("cameras_cctv", "cameras_alpr"):
        out[kind] = units[kind].astype("int64") if kind in units else pd.Series(np.nan, index=units.index)
    out["cameras_per_km2"] = _ratio(units["cameras"], area_km2)
    pop = units["population"].astype(float)
    out["population"] = pop
    out["cameras_per_1k_residents"] = _ratio(units["cameras"], pop, 1000.0)
    crimes = units["crimes"].astype(float)
    out["crimes"] = crimes
    out["crimes_per_1k"] = _ratio(crimes, pop, 1000.0)
    out["crimes_per_1k_smoothed"] = smoothed_rate_per_1k(crimes, pop)
    out["small_population"] = small_population(pop, s.small_population)
    out["cameras_per_100_crimes"] = _ratio(units["cameras"], crimes, 100.0)
    covered_km2 = units["covered_m2"].astype(float) / 1e6
    out["covered_km2"] = covered_km2
    open_km2 = (units["open_m2"].astype(float) / 1e6) if "open_m2" in units else area_km2
    out["open_km2"] = open_km2
    out["covered_share"] = _ratio(covered_km2, open_km2)
    second = s.second_detail_level if "covered_m2_second" in units else None
    if second is not None:
        out[f"covered_km2_{second}"] = units["covered_m2_second"].astype(float) / 1e6
        out[f"covered_share_{second}"] = _ratio(out[f"covered_km2_{second}"], open_km2)
    street_km = units["street_m"].astype(float) / 1e3 if "street_m" in units else pd.Series(np.nan, index=units.index)
    out["street_km"] = street_km
    in_view_km = (
        units["street_in_view_m"].astype(float) / 1e3
        if "street_in_view_m" in units
        else pd.Series(np.nan, index=units.index)
    )
    out["street_covered_share"] = _ratio(in_view_km, street_km)
    out["crimes_in_view"] = units["crimes_in_view"].astype(float).where(crimes.notna())
    out["crimes_in_view_share"] = _ratio(out["crimes_in_view"], crimes)
    total_crime = crimes.sum(min_count=1)
    out["crime_share"] = crimes / total_crime if total_crime and total_crime > 0 else np.nan
    # the two shares are taken over the same units: those whose crime is known (all units without crime data)
    pool = crimes.notna() if crimes.notna().any() else pd.Series(True, index=units.index)
    total_cover = covered_km2[pool].sum()
    out["coverage_share"] = (covered_km2 / total_cover).where(pool) if total_cover > 0 else np.nan
    out["gap"] = out["coverage_share"] - out["crime_share"]
    out["class"] = classify(out["crime_share"], out["coverage_share"], s)
    columns = list(EQUITY_COLUMNS)
    if second is not None:
        at = columns.index("covered_share") + 1
        columns[at:at] = [f"covered_km2_{second}", f"covered_share_{second}"]
    return out[columns]


def classify(crime_share: pd.Series, coverage_share: pd.Series, settings: Settings | None = None) -> pd.Series:
    """The class of each unit from its crime share and coverage share (rules in :func:`equity_table`)."""
    s = settings or Settings()
    n = int(crime_share.notna().sum())
    result = pd.Series("no_data", index=crime_share.index, dtype=object)
    if n == 0:
        return result
    known = crime_share.notna()
    q_hi = crime_share[known].quantile(s.high_crime_quantile)
    q_lo = crime_share[known].quantile(s.low_crime_quantile)
    under = known & (crime_share >= q_hi) & (crime_share > 0) & (coverage_share < s.low_coverage_ratio * crime_share)
    over = (
        known
        & (crime_share <= q_lo)
        & (coverage_share > s.high_coverage_ratio * crime_share)
        & (coverage_share >= coverage_share[known].quantile(s.high_coverage_quantile))
    )
    result[known] = "other"
    result[under] = "under_covered"
    result[over] = "over_covered"
    result[coverage_share.isna()] = "no_data"
    return result


@dataclass(frozen=True)
class GapFindings:
    """The units that the findings name: the members of the two classes of the story and the units ranked by
    their gap, ties in the order of the table (see :func:`gap_findings`).

    Attributes
    ----------
    units : int
        Units in the table.
    crime_known : bool
        Whether any unit's crime share is known (without, there is no gap to tell).
    members : dict of str to list
        For each class of :data:`STORY_CLASSES`, its units' ids from the largest gap in the class's direction:
        ``under_covered`` from the most negative gap, ``over_covered`` from the most positive.
    shortfall : list
        The units with ``gap < 0``, from the most negative: the largest shortfall of coverage against crime
        first.
    surplus : list
        The units with ``gap > 0``, from the most positive: the largest surplus first.
    """

    units: int
    crime_known: bool
    members: dict[str, list]
    shortfall: list
    surplus: list


def gap_findings(units: pd.DataFrame) -> GapFindings:
    """Rank the units of :func:`equity_table` by their gap ``gap = coverage_share - crime_share`` and name the
    members of the two classes of the story.

    Sorting is stable, so units with the same gap keep the order of the table; units whose gap is unknown are
    in neither ``shortfall`` nor ``surplus``.

    Examples
    --------
    >>> t = pd.DataFrame({"unit_id": ["a", "b", "c"], "crime_share": [0.5, 0.3, 0.2],
    ...     "gap": [-0.3, 0.1, 0.2], "class": ["under_covered", "other", "over_covered"]})
    >>> f = gap_findings(t)
    >>> f.shortfall, f.surplus, f.members["over_covered"]
    (['a'], ['c', 'b'], ['c'])
    """
    gap = units["gap"].astype(float)

    def ids(mask: pd.Series, *, ascending: bool) -> list:
        return units.loc[mask].sort_values("gap", ascending=ascending, kind="stable")["unit_id"].tolist()

    return GapFindings(
        units=len(units),
        crime_known=bool(units["crime_share"].notna().any()),
        members={cls: ids(units["class"] == cls, ascending=cls == "under_covered") for cls in STORY_CLASSES},
        shortfall=ids(gap < 0, ascending=True),
        surplus=ids(gap > 0, ascending=False),
    )
