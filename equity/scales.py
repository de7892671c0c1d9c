"""The city-level findings at two scales: the same study analysed on its units and on a finer layer (block groups
inside neighbourhoods, say), each measure's reading at both, and whether it holds at both, flips, or is
inconclusive at one.

A measure's reading at a scale is taken from its interval over the draws of the sources of error
(:mod:`equity.uncertainty`) when the result has them, else from its bootstrap interval: ``positive`` when the
interval lies above zero, ``negative`` below, ``inconclusive`` when it spans zero (or is unknown). For the Gini
coefficient, which is never negative, the reading is its value. The comparison says:

- ``holds at both``: the same sign at both scales, and conclusive at both;
- ``flips``: conclusive at both scales with opposite signs;
- ``only at the coarse scale`` / ``only at the fine scale``: conclusive at one, inconclusive at the other;
- ``inconclusive at both``.

Aggregation changes the measures (the modifiable areal unit problem): a Gini of cameras per resident over 41
neighbourhoods and over 579 block groups measure inequality at different grains, and a finer grain finds more.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

#: Measures whose sign carries no finding (they are never negative): compared by value only.
UNSIGNED = ("Gini of cameras per resident",)


def _intervals(result: Any) -> pd.DataFrame:
    """``measure``, ``value``, ``low``, ``high`` and ``interval`` (its source) of a result's city-level measures."""
    rows = {e.name: {"measure": e.name, "value": e.value, "low": e.low, "high": e.high} for e in result.city}
    source = "bootstrap over units"
    unc = getattr(result, "uncertainty", None)
    if unc is not None and len(unc.measures):
        source = "draws of the sources of error"
        for _, r in unc.measures.iterrows():
            if r["measure"] in rows:
                rows[r["measure"]]["low"], rows[r["measure"]]["high"] = r["draws_low"], r["draws_high"]
    out = pd.DataFrame(list(rows.values()))
    out["interval"] = source
    return out


def reading(value: float, low: float, high: float, measure: str = "") -> str:
    """``positive``, ``negative`` or ``inconclusive`` (see the module's docstring).

    Examples
    --------
    >>> reading(0.2, 0.1, 0.3), reading(0.2, -0.1, 0.3), reading(-0.2, -0.3, -0.1)
    ('positive', 'inconclusive', 'negative')
    """
    if measure in UNSIGNED:
        return "value" if np.isfinite(value) else "inconclusive"
    if not (np.isfinite(low) and np.isfinite(high)) or low <= 0 <= high:
        return "inconclusive"
    return "positive" if low > 0 else "negative"


def compare_scales(coarse: Any, fine: Any) -> pd.DataFrame:
    """Each city-level measure of two results of one study (:class:`equity.result.StudyResult`) on a coarse and a
    fine unit layer: its value and interval at each scale, its reading at each, and the verdict.

    Returns one row per measure: ``measure``, ``coarse``, ``coarse_low``, ``coarse_high``, ``fine``,
    ``fine_low``, ``fine_high``, ``coarse_reading``, ``fine_reading``, ``verdict``, ``units_coarse``,
    ``units_fine``.
    """
    a, b = _intervals(coarse), _intervals(fine)
    m = a.merge(b, on="measure", suffixes=("_c", "_f"))
    rows = []
    n_c, n_f = len(coarse.units), len(fine.units)
    for _, r in m.iterrows():
        rc = reading(r["value_c"], r["low_c"], r["high_c"], r["measure"])
        rf = reading(r["value_f"], r["low_f"], r["high_f"], r["measure"])
        if r["measure"] in UNSIGNED:
            verdict = "compared by value"
        elif rc == rf == "inconclusive":
            verdict = "inconclusive at both"
        elif rc == "inconclusive":
            verdict = "only at the fine scale"
        elif rf == "inconclusive":
            verdict = "only at the coarse scale"
        elif rc == rf:
            verdict = "holds at both"
        else:
            verdict = "flips"
        rows.append(
            {
                "measure": r["measure"],
                "coarse": r["value_c"],
                "coarse_low": r["low_c"],
                "coarse_high": r["high_c"],
                "fine": r["value_f"],
                "fine_low": r["low_f"],
                "fine_high": r["high_f"],
                "coarse_reading": rc,
                "fine_reading": rf,
                "verdict": verdict,
                "units_coarse": n_c,
                "units_fine": n_f,
                "interval": r["interval_c"] if r["interval_c"] == r["interval_f"] else "mixed",
            }
        )
    return pd.DataFrame(rows)
