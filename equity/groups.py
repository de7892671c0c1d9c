"""Who is watched: the camera exposure of groups of residents (by race and ethnicity, by income band, ...).

A group is a count of residents per unit: a count column, or a percentage column with the total it is a
percentage of (``Black=Blk14P%Pop2014``). What a member of the group lives with, on average, is the mean of a
unit-level exposure measure over the units, weighted by the group's residents in each; the ratio of two such
means compares two groups. Intervals come from a seeded bootstrap over units: the units are treated as a sample
of places the city could have had, which says how much the comparison rests on a few units; it is not a margin
of error of the census estimates (which the inputs do not carry) nor of the camera list.

These are ecological figures: a unit's exposure is its average, not each resident's, and a group's mean says
where its members live, not what each of them experiences.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np
import pandas as pd

from equity._errors import InputError
from equity.columns import column
from equity.inequality import BOOTSTRAP_SAMPLES, CONFIDENCE, SEED, Estimate, concentration_curve, concentration_index
from equity.inequality import bootstrap as _bootstrap

#: The measure given beside the exposure for context: the crime the group's units record.
CRIME_CONTEXT = "crimes_per_1k_smoothed"

#: The name of the row of all residents in the group table.
ALL_RESIDENTS = "all residents"

_SPEC_RE = re.compile(r"^\s*(?P<name>[^=,%]+?)\s*=\s*(?P<column>[^=,%]+?)\s*(?:%\s*(?P<total>[^=,%]+?)\s*)?$")


@dataclass(frozen=True)
class GroupSpec:
    """One group of residents: its name, the column that counts it and, for a percentage column, the column of
    the total it is a percentage of (``count = column / 100 * total``)."""

    name: str
    column: str
    total: str | None = None

    @property
    def definition(self) -> str:
        """How the group is counted, as written on the command line (``Blk14P%Pop2014``)."""
        return self.column if self.total is None else f"{self.column}%{self.total}"

    @property
    def columns(self) -> tuple[str, ...]:
        """The columns the group needs."""
        return (self.column,) if self.total is None else (self.column, self.total)


def parse_groups(text: str | list[str] | tuple[str, ...]) -> list[GroupSpec]:
    """The groups of ``--groups``: ``NAME=COLUMN`` (a count of residents) or ``NAME=COLUMN%TOTAL`` (a percentage,
    0 to 100, of the count in TOTAL), separated by commas.

    Raises
    ------
    InputError
        When an item is not of that form, or two groups share a name.

    Examples
    --------
    >>> [g.definition for g in parse_groups("Black=Blk14P%Pop2014, White = pop_white")]
    ['Blk14P%Pop2014', 'pop_white']
    """
    items = [text] if isinstance(text, str) else list(text)
    specs = []
    for item in (part for chunk in items for part in chunk.split(",")):
        if not item.strip():
            continue
        m = _SPEC_RE.match(item)
        if m is None:
            msg = (
                f"--groups: {item.strip()!r} is not a group; expected NAME=COLUMN (a count of residents) or "
                "NAME=COLUMN%TOTAL (a percentage of the TOTAL column), for example Black=Blk14P%Pop2014."
            )
            raise InputError(msg)
        specs.append(GroupSpec(m["name"], m["column"], m["total"]))
    names = [s.name for s in specs]
    dup = next((n for n in names if names.count(n) > 1 or n == ALL_RESIDENTS), None)
    if dup is not None:
        msg = f"--groups: the group name {dup!r} is used twice (or is reserved); give each group its own name."
        raise InputError(msg)
    if not specs:
        msg = "--groups: no group given; expected NAME=COLUMN or NAME=COLUMN%TOTAL, separated by commas."
        raise InputError(msg)
    return specs


def group_counts(frame: pd.DataFrame, specs: list[GroupSpec], where: str, labels: pd.Series) -> pd.DataFrame:
    """Each group's residents per row of ``frame`` (a unit layer or a population layer).

    A count column is read as it is; a percentage column ``p`` of a total ``T`` gives ``p / 100 * T``. An empty
    value leaves the row's count unknown (NaN), never zero.

    Raises
    ------
    InputError
        When a column is missing, or holds a value that is not a count (or a percentage from 0 to 100), naming
        the file, the column, the row and the value.
    """
    out = {}
    for spec in specs:
        for col in spec.columns:
            if col not in frame.columns:
                found = ", ".join(c for c in frame.columns if c != "geometry")
                msg = f"{where}: no column {col!r} for the group {spec.name!r}; the layer's columns are {found}."
                raise InputError(msg)
        values = _numbers(frame, spec.column, where, labels, high=100.0 if spec.total is not None else None)
        if spec.total is not None:
            values = values / 100.0 * _numbers(frame, spec.total, where, labels, high=None)
        out[spec.name] = values.to_numpy(float)
    return pd.DataFrame(out, index=frame.index)


def _numbers(frame: pd.DataFrame, col: str, where: str, labels: pd.Series, high: float | None) -> pd.Series:
    raw = frame[col]
    values = pd.to_numeric(raw, errors="coerce").astype(float)
    arr = values.to_numpy()
    bad = (
        (values.isna() & raw.notna()) | np.isinf(arr) | (values < 0) | ((values > high) if high is not None else False)
    )
    if bad.any():
        i = int(np.flatnonzero(bad.to_numpy())[0])
        value = raw.iloc[i]
        value = value.item() if hasattr(value, "item") else value
        expected = f"a percentage from 0 to {high:g}" if high is not None else "a count of at least 0"
        msg = f"{where}: column {col!r} holds {value!r} for {labels.iloc[i]}; expected {expected}."
        raise InputError(msg)
    return values


@dataclass(frozen=True)
class GroupResult:
    """The group table and what the report says of it.

    Attributes
    ----------
    table : pandas.DataFrame
        One row per reported group (the first: all residents): ``group``, ``definition``, ``population``,
        ``population_share`` and, per measure ``m``, ``m``, ``m_low``, ``m_high``, ``m_ratio``, ``m_ratio_low``,
        ``m_ratio_high`` (groups.csv).
    ratios : pandas.DataFrame
        One row per ordered pair of reported groups and measure: ``group``, ``other``, ``measure``, ``ratio``,
        ``ratio_low``, ``ratio_high`` (group_ratios.csv).
    not_reported : dict of str to float
        The groups left out for having fewer residents than the minimum, with their residents.
    measures : tuple of str
        The measures of the table, in order.
    headline : dict or None
        The comparison the report states in one sentence (:func:`headline`).
    """

    table: pd.DataFrame
    ratios: pd.DataFrame
    not_reported: dict[str, float]
    measures: tuple[str, ...]
    headline: dict[str, object] | None


def group_table(
    units: pd.DataFrame,
    counts: pd.DataFrame,
    specs: list[GroupSpec],
    measures: tuple[str, ...],
    *,
    min_population: float,
    headline_measure: str,
    samples: int = BOOTSTRAP_SAMPLES,
    seed: int = SEED,
    confidence: float = CONFIDENCE,
) -> GroupResult:
    r"""Each group's mean exposure and its ratios to all residents and to each other group.

    With ``g_u`` the group's residents in unit ``u``, ``P_u`` all residents and ``x_u`` a measure, over the units
    ``U_x`` where ``x_u`` and ``g_u`` are known:

    .. math::

        \bar x_g = \frac{\sum_{u \in U_x} g_u x_u}{\sum_{u \in U_x} g_u}, \qquad
        \bar x = \frac{\sum_{u \in U_x} P_u x_u}{\sum_{u \in U_x} P_u}, \qquad
        r_g = \bar x_g / \bar x, \qquad r_{g,h} = \bar x_g / \bar x_h

    A group with fewer than ``min_population`` residents in the study area (``Σ_u g_u``) is not reported. The
    intervals are percentile intervals over ``samples`` resamples of the units with residents, drawn with
    replacement with a fixed seed; each resample gives every mean and ratio at once, so a ratio's interval is that
    of the ratio, not a ratio of intervals. With ``samples = 0`` or fewer than 3 units there are no intervals.

    Parameters
    ----------
    units : pandas.DataFrame
        The units table (``population`` and the measures), aligned to ``counts``.
    counts : pandas.DataFrame
        Each group's residents per unit (:func:`group_counts`), one column per group.
    specs : list of GroupSpec
        The groups, in the order of the table.
    measures : tuple of str
        Columns of ``units`` to average.
    min_population : float
        Residents a group needs in the study area to be reported.
    headline_measure : str
        The measure of the one-sentence comparison (:func:`headline`).
    """
    pop = units["population"].to_numpy(float)
    has_pop = np.isfinite(pop) & (pop > 0)
    rows = np.flatnonzero(has_pop)
    n = len(rows)
    totals = {s.name: float(np.nansum(counts[s.name].to_numpy(float))) for s in specs}
    reported = [s for s in specs if totals[s.name] >= min_population]
    not_reported = {s.name: totals[s.name] for s in specs if totals[s.name] < min_population}
    names = [ALL_RESIDENTS] + [s.name for s in reported]
    weights = {ALL_RESIDENTS: pop[rows]} | {s.name: counts[s.name].to_numpy(float)[rows] for s in reported}
    alpha = (1 - confidence) / 2

    def interval(values: np.ndarray | None) -> tuple[float, float]:
        if values is None:
            return float("nan"), float("nan")
        values = values[np.isfinite(values)]
        if len(values) == 0:
            return float("nan"), float("nan")
        return float(np.quantile(values, alpha)), float(np.quantile(values, 1 - alpha))

    # every mean is a weighted sum over the units: Σ w x / Σ w; its numerator and denominator are columns
    keys, numerators, denominators, means = [], [], [], {}
    for m in measures:
        x = units[m].to_numpy(float)[rows] if m in units else np.full(n, np.nan)
        for name in names:
            w = weights[name]
            ok = np.isfinite(x) & np.isfinite(w)
            wx, ww = np.where(ok, w * np.where(ok, x, 0.0), 0.0), np.where(ok, w, 0.0)
            means[(m, name)] = float(wx.sum() / ww.sum()) if ww.sum() > 0 else float("nan")
            keys.append((m, name))
            numerators.append(wx)
            denominators.append(ww)
    draws = (
        _bootstrap_means(np.column_stack(numerators), np.column_stack(denominators), samples, seed)
        if samples > 0 and n > 2 and keys
        else None
    )
    column_of = {key: i for i, key in enumerate(keys)}

    def boot(m: str, name: str) -> np.ndarray | None:
        return None if draws is None else draws[:, column_of[(m, name)]]

    known_pop = float(pop[rows].sum())
    table: dict[str, list] = {
        "group": names,
        "definition": ["residents"] + [s.definition for s in reported],
        "population": [known_pop] + [totals[s.name] for s in reported],
    }
    table["population_share"] = [p / known_pop if known_pop > 0 else float("nan") for p in table["population"]]
    ratio_rows = []
    for m in measures:
        col_mean, col_low, col_high, col_r, col_rlow, col_rhigh = [], [], [], [], [], []
        for name in names:
            col_mean.append(means[(m, name)])
            lo, hi = interval(boot(m, name))
            col_low.append(lo)
            col_high.append(hi)
            col_r.append(_div(means[(m, name)], means[(m, ALL_RESIDENTS)]))
            rlo, rhi = interval(_div_array(boot(m, name), boot(m, ALL_RESIDENTS)))
            col_rlow.append(rlo)
            col_rhigh.append(rhi)
        table[m], table[f"{m}_low"], table[f"{m}_high"] = col_mean, col_low, col_high
        table[f"{m}_ratio"], table[f"{m}_ratio_low"], table[f"{m}_ratio_high"] = col_r, col_rlow, col_rhigh
        for a in names[1:]:
            for b in names[1:]:
                if a == b:
                    continue
                lo, hi = interval(_div_array(boot(m, a), boot(m, b)))
                ratio_rows.append((a, b, m, _div(means[(m, a)], means[(m, b)]), lo, hi))
    frame = pd.DataFrame(table)
    ratios = pd.DataFrame(ratio_rows, columns=["group", "other", "measure", "ratio", "ratio_low", "ratio_high"])
    return GroupResult(frame, ratios, not_reported, tuple(measures), headline(frame, ratios, headline_measure))


def _div(a: float, b: float) -> float:
    return a / b if b == b and b != 0 and a == a else float("nan")


def _div_array(a: np.ndarray | None, b: np.ndarray | None) -> np.ndarray | None:
    if a is None or b is None:
        return None
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(b > 0, a / np.where(b > 0, b, 1.0), np.nan)


def _bootstrap_means(numerators: np.ndarray, denominators: np.ndarray, samples: int, seed: int) -> np.ndarray:
    """Weighted means over resampled units: ``samples`` resamples of the ``n`` units with replacement (seeded),
    each giving ``Σ_u k_u a_{u,j} / Σ_u k_u b_{u,j}`` for every column ``j`` of the ``n`` x ``K`` numerators
    ``a`` and denominators ``b``, with ``k_u`` how often unit ``u`` was drawn; NaN where the denominator is 0.
    The resamples are drawn in blocks, so memory stays ``block x n`` whatever the number of units."""
    n, k = numerators.shape
    rng = np.random.default_rng(seed)
    num, den = np.empty((samples, k)), np.empty((samples, k))
    block = max(1, min(samples, 2_000_000 // max(n, 1)))
    for start in range(0, samples, block):
        size = min(block, samples - start)
        drawn = np.stack([np.bincount(rng.integers(0, n, n), minlength=n) for _ in range(size)]).astype(float)
        num[start : start + size] = drawn @ numerators
        den[start : start + size] = drawn @ denominators
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(den > 0, num / np.where(den > 0, den, 1.0), np.nan)


def headline(table: pd.DataFrame, ratios: pd.DataFrame, measure: str) -> dict[str, object] | None:
    """The comparison the report states in one sentence: of the reported groups, the one with the highest mean
    of ``measure`` against the one with the lowest (against all residents when one group is reported), with the
    ratio and its interval. None when no group is reported or the measure is unknown for them."""
    groups = table[table["group"] != ALL_RESIDENTS]
    if groups.empty or measure not in table or groups[measure].isna().all():
        return None
    known = groups.dropna(subset=[measure])
    high = known.loc[known[measure].idxmax()]
    if len(known) == 1:
        return _with_sentence(
            {
                "measure": measure,
                "group": high["group"],
                "other": ALL_RESIDENTS,
                "ratio": float(high[f"{measure}_ratio"]),
                "low": float(high[f"{measure}_ratio_low"]),
                "high": float(high[f"{measure}_ratio_high"]),
                "group_mean": float(high[measure]),
                "other_mean": float(table.loc[table["group"] == ALL_RESIDENTS, measure].iloc[0]),
            }
        )
    low = known.loc[known[measure].idxmin()]
    if low["group"] == high["group"]:  # every group has the same mean: compare the first two
        high, low = known.iloc[0], known.iloc[1]
    pair = ratios[
        (ratios["group"] == high["group"]) & (ratios["other"] == low["group"]) & (ratios["measure"] == measure)
    ]
    r = pair.iloc[0]
    crime = ratios[
        (ratios["group"] == high["group"]) & (ratios["other"] == low["group"]) & (ratios["measure"] == CRIME_CONTEXT)
    ]
    return _with_sentence(
        {
            "crime_ratio": float(crime["ratio"].iloc[0]) if len(crime) else float("nan"),
            "measure": measure,
            "group": high["group"],
            "other": low["group"],
            "ratio": float(r["ratio"]),
            "low": float(r["ratio_low"]),
            "high": float(r["ratio_high"]),
            "group_mean": float(high[measure]),
            "other_mean": float(low[measure]),
        }
    )


def _with_sentence(h: dict[str, object]) -> dict[str, object]:
    """The comparison with its plain sentence (``sentence``), as the report and the command line state it."""
    label = column(str(h["measure"])).label.lower() if _has_column(str(h["measure"])) else str(h["measure"])
    other = "all residents" if h["other"] == ALL_RESIDENTS else f"{h['other']} residents"
    digits = 3 if max(abs(float(h["group_mean"])), abs(float(h["other_mean"]))) < 10 else 1
    interval = (
        f"95% interval of the ratio {float(h['low']):.2f} to {float(h['high']):.2f}, from a bootstrap over the units"
        if h["low"] == h["low"]
        else "no interval"
    )
    h["sentence"] = (
        f"{h['group']} residents live on average with {float(h['ratio']):.2f} times the camera exposure of {other} "
        f"({label}: {float(h['group_mean']):.{digits}f} against {float(h['other_mean']):.{digits}f}; {interval})."
    )
    crime = float(h.get("crime_ratio", float("nan")))  # type: ignore[arg-type]
    if crime == crime:
        h["sentence"] += (
            f" Their units record {crime:.2f} times the crime per resident (smoothed rate), so the comparison is not "
            "one of places with the same crime."
        )
    return h


def _has_column(name: str) -> bool:
    try:
        column(name)
    except KeyError:
        return False
    return True


#: The outcomes of the concentration curves over units ranked by a column (``--rank-by``).
RANK_OUTCOMES: tuple[str, ...] = ("effective_cameras", "covered_km2", "cameras")


@dataclass(frozen=True)
class RankConcentration:
    """The concentration of camera exposure over units ranked by a column (``--rank-by``).

    Attributes
    ----------
    column : str
        The ranking column.
    estimates : list of equity.inequality.Estimate
        One concentration index per outcome of :data:`RANK_OUTCOMES`, with its bootstrap interval.
    curves : dict of str to pandas.DataFrame
        The concentration curve (``x``, ``y``) of each outcome.
    """

    column: str
    estimates: list[Estimate]
    curves: dict[str, pd.DataFrame]


def rank_concentration(
    units: pd.DataFrame,
    rank_values: pd.Series,
    column: str,
    *,
    samples: int = BOOTSTRAP_SAMPLES,
    seed: int = SEED,
) -> RankConcentration:
    r"""Concentration indices and curves of the effective cameras, the area in view and the cameras over the units
    ranked by ``rank_values`` (lowest first), weighted by residents
    (:func:`equity.inequality.concentration_index`):

    .. math:: C = 1 - \sum_k (X_k - X_{k-1}) (Y_k + Y_{k-1})

    Positive: the outcome is concentrated among the units ranked high (the poorest, when ranked by a poverty
    rate); negative: among those ranked low. Only the units with residents and a known rank count.
    """
    pop = units["population"].astype(float).to_numpy()
    rank = pd.to_numeric(rank_values, errors="coerce").astype(float).to_numpy()
    estimates, curves = [], {}
    for outcome in RANK_OUTCOMES:
        values = units[outcome].to_numpy(float)
        # a unit whose outcome is unknown is left out, never read as zero
        idx = np.flatnonzero((pop > 0) & np.isfinite(rank) & np.isfinite(values))
        r, w, y = rank[idx], pop[idx], values[idx]

        def stat(i: np.ndarray, y: np.ndarray = y, r: np.ndarray = r, w: np.ndarray = w) -> float:
            return concentration_index(y[i], r[i], w[i])

        value = stat(np.arange(len(idx)))
        none = (float("nan"), float("nan"))
        low, high = _bootstrap(stat, len(idx), samples=samples, seed=seed) if samples > 0 and len(idx) > 2 else none
        estimates.append(
            Estimate(
                f"concentration index of {outcome.replace('_', ' ')} by {column}",
                value,
                low,
                high,
                len(idx),
                int(len(units) - len(idx)),
                f"above 0: {outcome.replace('_', ' ')} concentrated in the units with a high {column}; below 0: "
                f"in those with a low {column}",
            )
        )
        curves[outcome] = concentration_curve(pd.Series(y), pd.Series(r), pd.Series(w))
    return RankConcentration(column, estimates, curves)
