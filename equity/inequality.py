"""City-level measures of how camera coverage is shared among units, each with a bootstrap confidence interval.

Every measure takes the per-unit table (:func:`equity.metrics.equity_table`) and uses only the units where the
quantities it needs are known: a unit without crime data or without residents is left out (and counted), never
read as zero. Intervals come from a seeded bootstrap over units, so the same inputs give the same intervals.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd

#: Bootstrap resamples, confidence level and seed used by default.
BOOTSTRAP_SAMPLES = 2000
CONFIDENCE = 0.95
SEED = 20261126


@dataclass(frozen=True)
class Estimate:
    """A measure, its bootstrap interval, and the number of units it rests on (and of units left out)."""

    name: str
    value: float
    low: float
    high: float
    n: int
    excluded: int
    interpretation: str

    def to_dict(self) -> dict[str, object]:
        """Plain values for tables and the manifest."""
        return {
            "measure": self.name,
            "value": self.value,
            "ci_low": self.low,
            "ci_high": self.high,
            "n": self.n,
            "excluded": self.excluded,
            "interpretation": self.interpretation,
        }


def concentration_curve(outcome: pd.Series, rank_by: pd.Series, weight: pd.Series | None = None) -> pd.DataFrame:
    """The concentration curve of ``outcome`` over units ranked by ``rank_by`` (ascending).

    Units are sorted by ``rank_by`` (ties keep their order); ``x`` is the cumulative share of ``weight``
    (residents, say; units count equally when None) and ``y`` the cumulative share of ``outcome``, both from
    (0, 0) to (1, 1). A curve above the diagonal means the outcome is concentrated among the low-ranked units.
    """
    w = pd.Series(1.0, index=outcome.index) if weight is None else weight.astype(float)
    order = np.argsort(rank_by.to_numpy(), kind="stable")
    o, ww = outcome.to_numpy(float)[order], w.to_numpy(float)[order]
    x = np.concatenate([[0.0], np.cumsum(ww) / ww.sum()])
    y = np.concatenate([[0.0], np.cumsum(o) / o.sum()]) if o.sum() > 0 else np.linspace(0, 1, len(o) + 1)
    return pd.DataFrame({"x": x, "y": y})


def concentration_index(outcome: np.ndarray, rank_by: np.ndarray, weight: np.ndarray | None = None) -> float:
    r"""Concentration index of ``outcome`` over units ranked by ``rank_by``.

    With units sorted by ``rank_by`` and ``X_k``, ``Y_k`` the cumulative shares of weight and outcome:

    .. math:: C = 1 - \sum_k (X_k - X_{k-1}) (Y_k + Y_{k-1})

    ``C`` lies in [-1, 1]: 0 when the outcome is shared in proportion to weight whatever the rank; positive
    when it is concentrated among the high-ranked units (coverage going to high-crime units, when ranking by
    crime rate); negative when concentrated among the low-ranked ones.

    Examples
    --------
    >>> round(concentration_index(np.array([0.0, 0.0, 1.0]), np.array([1, 2, 3])), 3)
    0.667
    """
    w = np.ones(len(outcome)) if weight is None else np.asarray(weight, float)
    order = np.argsort(rank_by, kind="stable")
    o, ww = np.asarray(outcome, float)[order], w[order]
    if o.sum() <= 0 or ww.sum() <= 0:
        return float("nan")
    x = np.concatenate([[0.0], np.cumsum(ww) / ww.sum()])
    y = np.concatenate([[0.0], np.cumsum(o) / o.sum()])
    return float(1.0 - np.sum((x[1:] - x[:-1]) * (y[1:] + y[:-1])))


def gini(values: np.ndarray, weight: np.ndarray | None = None) -> float:
    r"""Gini coefficient of ``values`` (each counted ``weight`` times; once each when None).

    .. math:: G = \frac{\sum_i \sum_j w_i w_j |v_i - v_j|}{2 (\sum w)^2 \bar v}, \quad
              \bar v = \sum w_i v_i / \sum w_i

    0 when every unit (every resident, when weighted by population) has the same value; toward 1 when one
    has everything.

    Examples
    --------
    >>> gini(np.array([1.0, 1.0, 1.0])), round(gini(np.array([0.0, 0.0, 3.0])), 3)
    (0.0, 0.667)
    """
    v = np.asarray(values, float)
    w = np.ones(len(v)) if weight is None else np.asarray(weight, float)
    total = w.sum()
    mean = (w * v).sum() / total if total > 0 else float("nan")
    if not mean > 0:
        return float("nan")
    # the double sum in O(n log n): with values sorted and B_i the weight before i,
    # sum_i sum_j w_i w_j |v_i - v_j| = 2 sum_i w_i v_i (2 B_i + w_i - W)
    order = np.argsort(v, kind="stable")
    v, w = v[order], w[order]
    before = np.cumsum(w) - w
    return float(np.sum(w * v * (2 * before + w - total)) / (total**2 * mean))


def spearman(a: np.ndarray, b: np.ndarray) -> float:
    """Spearman's rank correlation: Pearson's correlation of the ranks (ties get their average rank)."""
    if len(a) < 3:
        return float("nan")
    ra = pd.Series(a).rank().to_numpy()
    rb = pd.Series(b).rank().to_numpy()
    if ra.std() == 0 or rb.std() == 0:
        return float("nan")
    return float(np.corrcoef(ra, rb)[0, 1])


def bootstrap(
    stat: Callable[[np.ndarray], float],
    n: int,
    *,
    samples: int = BOOTSTRAP_SAMPLES,
    seed: int = SEED,
    confidence: float = CONFIDENCE,
) -> tuple[float, float]:
    """Percentile bootstrap interval of ``stat(index)`` over ``n`` units resampled with replacement."""
    rng = np.random.default_rng(seed)
    values = np.array([stat(rng.integers(0, n, n)) for _ in range(samples)])
    values = values[np.isfinite(values)]
    if len(values) == 0:
        return float("nan"), float("nan")
    alpha = (1 - confidence) / 2
    return float(np.quantile(values, alpha)), float(np.quantile(values, 1 - alpha))


def city_measures(units: pd.DataFrame, *, samples: int = BOOTSTRAP_SAMPLES, seed: int = SEED) -> list[Estimate]:
    """The city-level measures of a study's units, with intervals.

    - ``concentration index of coverage by crime rate``: area in camera view over units ranked by crimes per
      1,000 residents (smoothed, see :func:`_crime_rate`), weighted by residents (positive: coverage goes where
      crime is high);
    - ``concentration index of cameras by crime rate``: the same for the number of cameras;
    - ``concentration index of coverage by population density``: ranked by residents per km²;
    - ``Gini of cameras per resident``: weighted by residents (how unequally residents are watched);
    - ``Spearman of crime rate and coverage``: rank correlation of crimes per 1,000 residents with the
      share of the unit's area in view.
    """
    u = units
    has_pop = u["population"].notna() & (u["population"] > 0)
    has_crime = u["crimes"].notna()
    both = has_pop & has_crime
    crime_rate = _crime_rate(u).to_numpy(float)
    cover = u["covered_km2"].to_numpy(float)
    cams = u["cameras"].to_numpy(float)
    pop = u["population"].to_numpy(float)
    density = (u["population"] / u["area_km2"]).to_numpy(float)
    share = u["covered_share"].to_numpy(float)

    def measure(name, mask, func, interpretation):
        idx = np.flatnonzero(mask.to_numpy())
        value = func(idx)
        low, high = (
            bootstrap(lambda b: func(idx[b]), len(idx), samples=samples, seed=seed)
            if len(idx) > 2 and samples > 0
            else (float("nan"), float("nan"))
        )
        return Estimate(name, value, low, high, len(idx), int(len(u) - len(idx)), interpretation)

    return [
        measure(
            "concentration index of coverage by crime rate",
            both,
            lambda i: concentration_index(cover[i], crime_rate[i], pop[i]),
            "above 0: camera coverage goes to the units with more crime per resident; below 0: to those with less",
        ),
        measure(
            "concentration index of cameras by crime rate",
            both,
            lambda i: concentration_index(cams[i], crime_rate[i], pop[i]),
            "above 0: cameras stand in the units with more crime per resident; below 0: in those with less",
        ),
        measure(
            "concentration index of coverage by population density",
            has_pop,
            lambda i: concentration_index(cover[i], density[i], pop[i]),
            "above 0: coverage goes to the densely populated units; below 0: to the sparsely populated",
        ),
        measure(
            "Gini of cameras per resident",
            has_pop,
            lambda i: gini(cams[i] / pop[i], pop[i]),
            "0: every resident lives with the same number of cameras per resident; toward 1: a few units have them all",
        ),
        measure(
            "Spearman of crime rate and coverage",
            both,
            lambda i: spearman(crime_rate[i], share[i]),
            "+1: the more crime per resident, the larger the share of a unit in view; -1: the reverse; 0: no relation",
        ),
    ]


def _crime_rate(units: pd.DataFrame) -> pd.Series:
    """The crime rate the city-level measures rank the units by: the empirical-Bayes smoothed crimes per 1,000
    residents (``crimes_per_1k_smoothed``, :mod:`equity.rates`) when the table has it, else the raw
    ``1000 K_u / P_u``."""
    if "crimes_per_1k_smoothed" in units:
        return units["crimes_per_1k_smoothed"].astype(float)
    return units["crimes"] / units["population"] * 1000


@dataclass(frozen=True)
class CrimeRateCurves:
    """The units ranked by crime rate, as the report draws them (see :func:`crime_rate_curves`).

    Attributes
    ----------
    coverage : pandas.DataFrame
        The concentration curve (``x``, ``y``) of the area in view over residents.
    cameras : pandas.DataFrame
        The concentration curve (``x``, ``y``) of the cameras over residents.
    units : pandas.DataFrame
        One row per unit the curves rest on (crime known, residents > 0), in the table's order: ``unit_id``,
        ``crime_rate`` (crimes per 1,000 residents) and ``covered_share`` (share of its open area in view).
    """

    coverage: pd.DataFrame
    cameras: pd.DataFrame
    units: pd.DataFrame


def crime_rate_curves(units: pd.DataFrame) -> CrimeRateCurves | None:
    """The concentration curves of the area in view and of the cameras over the units ranked by crimes per
    1,000 residents, weighted by residents (:func:`concentration_curve`; the curves of the first two measures
    of :func:`city_measures`), and each unit's crime rate and share of its area in view.

    Only the units whose crime is known and that have residents count; None when fewer than two do.
    """
    both = units["crimes"].notna() & (units["population"] > 0)
    if both.sum() < 2:
        return None
    u = units.loc[both]
    rate = _crime_rate(u)
    return CrimeRateCurves(
        coverage=concentration_curve(u["covered_km2"], rate, u["population"]),
        cameras=concentration_curve(u["cameras"].astype(float), rate, u["population"]),
        units=pd.DataFrame(
            {"unit_id": u["unit_id"].to_numpy(), "crime_rate": rate.to_numpy(), "covered_share": u["covered_share"]}
        ).reset_index(drop=True),
    )


def need_gap(units: pd.DataFrame, crime_weight: float = 1.0) -> pd.DataFrame:
    """Each unit's share of coverage against its share of need, ranked.

    ``need_share = a * crime_share + (1 - a) * population_share`` with ``a = crime_weight`` (1: need is crime;
    0: need is residents), and ``need_gap = coverage_share - need_share``: negative when the unit gets less
    coverage than its share of need. ``need_rank`` 1 is the largest shortfall. Units without the data are
    left out (NaN), not read as zero.
    """
    if not 0 <= crime_weight <= 1:
        msg = f"crime_weight must be between 0 and 1, not {crime_weight!r}."
        raise ValueError(msg)
    pop = units["population"].astype(float)
    pop_share = pop / pop.sum(min_count=1)
    crime_share = units["crime_share"].astype(float)
    if crime_weight == 1:
        need = crime_share
    elif crime_weight == 0:
        need = pop_share
    else:
        need = crime_weight * crime_share + (1 - crime_weight) * pop_share
    out = pd.DataFrame({"need_share": need, "need_gap": units["coverage_share"] - need}, index=units.index)
    out["need_rank"] = out["need_gap"].rank(method="min").astype("Int64")
    return out
