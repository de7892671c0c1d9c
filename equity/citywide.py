"""The city as a whole: the totals of the units and the city's own rates, the figures a unit's page is read against.

A unit's rate is set beside the city's rate, and the city's rate is a ratio of sums over the units, never a mean
of the units' rates (a mean of rates would give a unit of 200 residents the weight of one of 40,000). Each sum
runs over the units where every term of the ratio is known, so that a unit without crime data or without
residents is left out of a rate rather than counted as zero.

This module reads a units table as :mod:`equity.io.outputs` writes it (``units.csv`` or ``units.gpkg``) and
imports nothing of equity.
"""

from __future__ import annotations

import math

import pandas as pd


def _sum(values: pd.Series) -> float:
    """The sum of the known values, NaN when none is known (missing data is never a zero)."""
    v = pd.to_numeric(values, errors="coerce")
    return float(v.sum()) if v.notna().any() else math.nan


def _ratio(units: pd.DataFrame, num: str, den: str, scale: float = 1.0) -> float:
    """``scale · Σ num / Σ den`` over the units where both are known, NaN when the denominator is not positive."""
    if num not in units or den not in units:
        return math.nan
    a = pd.to_numeric(units[num], errors="coerce")
    b = pd.to_numeric(units[den], errors="coerce")
    both = a.notna() & b.notna()
    total = float(b[both].sum())
    return scale * float(a[both].sum()) / total if total > 0 else math.nan


def city_totals(units: pd.DataFrame) -> dict[str, float]:
    r"""The city's totals and rates over the units of one analysis, keyed by the units table's column names.

    With ``C_u`` cameras, ``A_u`` area (km²), ``P_u`` residents, ``K_u`` recorded crimes, ``O_u`` open area and
    ``V_u`` area in view of unit u (``V2_u`` at the study's second detail level):

    - ``units``: the number of units; ``area_km2`` = Σ A_u; ``cameras`` = Σ C_u; ``population`` = Σ P_u and
      ``crimes`` = Σ K_u over the units where they are known (NaN when no unit's is);
    - ``cameras_per_km2`` = Σ C_u / Σ A_u;
    - ``cameras_per_1k_residents`` = 1000 Σ C_u / Σ P_u over the units whose residents are known;
    - ``crimes_per_1k`` = 1000 Σ K_u / Σ P_u over the units whose crimes and residents are known; it is also
      ``crimes_per_1k_smoothed``, since the empirical-Bayes rates shrink toward this city-wide rate (Marshall
      1991);
    - ``covered_share`` = Σ V_u / Σ O_u, and ``covered_share_<level>`` = Σ V2_u / Σ O_u for each second level
      the table has;
    - ``crime_share`` and ``coverage_share`` are 1 over the units whose crime is known, and ``gap`` 0, by their
      definitions; they are not repeated here.

    Examples
    --------
    >>> units = pd.DataFrame({"cameras": [2, 0], "area_km2": [1.0, 3.0], "population": [1000.0, None],
    ...                       "crimes": [10.0, 30.0], "open_km2": [1.0, 3.0], "covered_km2": [0.1, 0.1]})
    >>> t = city_totals(units)
    >>> t["cameras_per_km2"], t["cameras_per_1k_residents"], t["crimes_per_1k"], t["covered_share"]
    (0.5, 2.0, 10.0, 0.05)
    """
    out: dict[str, float] = {"units": float(len(units))}
    for col in ("area_km2", "cameras", "population", "crimes"):
        out[col] = _sum(units[col]) if col in units else math.nan
    out["cameras_per_km2"] = _ratio(units, "cameras", "area_km2")
    out["cameras_per_1k_residents"] = _ratio(units, "cameras", "population", 1000.0)
    out["crimes_per_1k"] = _ratio(units, "crimes", "population", 1000.0)
    out["crimes_per_1k_smoothed"] = out["crimes_per_1k"]
    out["covered_share"] = _ratio(units, "covered_km2", "open_km2")
    for col in units.columns:
        if col.startswith("covered_km2_"):
            out["covered_share_" + col.removeprefix("covered_km2_")] = _ratio(units, col, "open_km2")
    return out
