"""Crime rates per resident that survive small populations: the empirical-Bayes smoothed rate, and the flag of a
rate resting on few residents.

A rate per 1,000 residents of a unit with a few hundred residents jumps with each incident (a park with 263
residents and 89 incidents has 339 per 1,000), and a ranking by raw rates puts such units at the top by chance.
The global empirical-Bayes estimate (Marshall, 1991) shrinks each unit's rate toward the city's rate by how
little its population can tell:

- ``r_u = K_u / P_u`` the raw rate, ``m = sum K / sum P`` the city's rate, over the ``n`` units with crime data and
  residents;
- ``s2 = sum P_u (r_u - m)^2 / sum P - m / (sum P / n)``, the variance of the true rates between units (0 when
  negative);
- ``w_u = s2 / (s2 + m / P_u)``, the weight of the unit's own rate;
- ``EB_u = w_u r_u + (1 - w_u) m``.

A unit with many residents keeps nearly its own rate; one with few gets nearly the city's. PySAL's esda has the
same estimator (``esda.smoothing.Empirical_Bayes``), but (as of esda 2.9) without the truncation of a negative
``s2`` at 0: where the units' rates vary less than Poisson noise alone would make them, its weights turn negative
(rates of 10 and 20 per 1,000 on 100 residents each come out as 40 and -10), and with equal rates it divides by
zero. The few lines below are the estimator with the truncation; a test checks them against esda where ``s2 > 0``.
Wherever a rate ranks units or sorts them into classes (the concentration curves and indices, the Spearman
correlation, the local clusters), the smoothed rate is used; the raw rate stays in units.csv beside it.
"""

from __future__ import annotations

import numpy as np
import pandas as pd


def smoothed_rate_per_1k(crimes: pd.Series, population: pd.Series) -> pd.Series:
    """The empirical-Bayes smoothed crimes per 1,000 residents of each unit (formulas in the module docstring).

    Units whose crime or population is unknown, or that have no residents, get NaN and take no part in the
    city's rate; with fewer than two units that do, every rate is NaN.

    Examples
    --------
    >>> crimes = pd.Series([10.0, 20.0, 5.0, 3.0])
    >>> pop = pd.Series([1000.0, 2000.0, 100.0, 0.0])
    >>> smoothed_rate_per_1k(crimes, pop).round(2).tolist()
    [10.29, 10.16, 21.23, nan]
    """
    k = crimes.astype(float)
    p = population.astype(float)
    use = (k.notna() & p.notna() & (p > 0)).to_numpy()
    out = pd.Series(np.nan, index=crimes.index)
    if use.sum() < 2:
        return out
    kk, pp = k.to_numpy()[use], p.to_numpy()[use]
    rate = kk / pp
    m = kk.sum() / pp.sum()
    s2 = max(0.0, float((pp * (rate - m) ** 2).sum() / pp.sum() - m / pp.mean()))
    if s2 == 0.0:  # the rates vary no more than chance would make them: every unit gets the city's rate
        out[use] = 1000.0 * m
        return out
    w = s2 / (s2 + m / pp)
    out[use] = 1000.0 * (w * rate + (1.0 - w) * m)
    return out


def small_population(population: pd.Series, minimum: float) -> pd.Series:
    """Whether each unit's rate rests on fewer than ``minimum`` residents (unknown population: NaN, not False).

    Examples
    --------
    >>> small_population(pd.Series([263.0, 5000.0, np.nan]), 1000).tolist()
    [True, False, nan]
    """
    p = population.astype(float)
    return (p < minimum).astype(object).where(p.notna(), np.nan)
