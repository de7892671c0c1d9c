"""Spatial clusters of crime and coverage: the bivariate local Moran's I of PySAL's esda, on a libpysal
contiguity graph. The crime rate is the smoothed one (:mod:`equity.rates`)."""

from __future__ import annotations

from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd

#: Significance level of a cluster (pseudo p-value of the permutation test).
P_VALUE = 0.05
#: Permutations of the test and their seed (so that results repeat).
PERMUTATIONS = 999
SEED = 20261126

_QUADRANTS = {
    1: "high crime, high coverage around",
    2: "low crime, high coverage around",
    3: "low crime, low coverage around",
    4: "high crime, low coverage around",
}


def bivariate_clusters(
    units: gpd.GeoDataFrame, x: str = "crimes_per_1k_smoothed", y: str = "covered_share"
) -> pd.DataFrame:
    r"""Bivariate local Moran's I of ``x`` in a unit against ``y`` in its neighbours (queen contiguity).

    :math:`I_i = \frac{n-1}{n} z_{x,i} \sum_j w_{ij} z_{y,j}` with standardised values and a row-standardised
    graph, as esda's ``Moran_Local_BV`` computes it (esda gives the statistic and the quadrant). A unit whose
    pseudo p-value is below :data:`P_VALUE` gets the class of its quadrant: for example "high crime, low
    coverage around" (its crime rate above the mean, its neighbours' coverage below it); other units get "not
    significant". Units where ``x`` or ``y`` is unknown, or with no neighbour, are "no data".

    Testing every unit at 0.05 finds about one unit in twenty by chance alone, so ``cluster_fdr`` keeps only the
    clusters that hold with the false discovery rate over all the units' tests kept at :data:`P_VALUE`
    (:func:`fdr_cutoff`); the others are "not significant" there.

    The pseudo p-values come from :func:`conditional_permutation_p`, the same conditional randomisation as
    esda's, written here in numpy: esda's compiled version takes about 30 seconds to compile in every new
    process (it is not cached), which a command-line run cannot afford.
    """
    from esda.moran import Moran_Local_BV

    out = pd.DataFrame(
        {"moran_i": np.nan, "p_value": np.nan, "cluster": "no data", "cluster_fdr": "no data"}, index=units.index
    )
    found = _with_neighbours(units, x, y)
    if found is None:
        return out
    keep, graph = found
    xs, ys = keep[x].to_numpy(float), keep[y].to_numpy(float)
    lisa = Moran_Local_BV(xs, ys, graph, permutations=0)
    neighbours = [graph.adjacency.loc[i].index.to_numpy() for i in range(len(keep))]
    p = conditional_permutation_p(lisa.zx, lisa.zy, neighbours, lisa.Is)
    quadrant = pd.Series(lisa.q).map(_QUADRANTS).to_numpy()
    cluster = np.where(p < P_VALUE, quadrant, "not significant")
    out.loc[keep.index, "moran_i"] = lisa.Is
    out.loc[keep.index, "p_value"] = p
    out.loc[keep.index, "cluster"] = cluster
    out["cluster_fdr"] = out["cluster"]
    out.loc[keep.index, "cluster_fdr"] = np.where(p < fdr_cutoff(p), quadrant, "not significant")
    return out


def _with_neighbours(units: gpd.GeoDataFrame, x: str, y: str) -> tuple[gpd.GeoDataFrame, object] | None:
    """The units where ``x`` and ``y`` are known and that have a neighbour among them (queen contiguity), and
    their contiguity graph (libpysal, not row-standardised); None with fewer than 4 such units. An island has no
    neighbour to compare with, so it takes no part in a Moran statistic."""
    from libpysal.graph import Graph

    sub = units[units[x].notna() & units[y].notna()]
    if len(sub) < 4:
        return None
    has_neighbours = Graph.build_contiguity(sub.reset_index(drop=True), rook=False).cardinalities.to_numpy() > 0
    if has_neighbours.sum() < 4:
        return None
    sub = sub[has_neighbours]
    return sub, Graph.build_contiguity(sub.reset_index(drop=True), rook=False)


def fdr_cutoff(p: np.ndarray, alpha: float = P_VALUE) -> float:
    """The p-value below which a local cluster holds when the false discovery rate over all the units' tests is
    kept at ``alpha`` (Benjamini and Hochberg's step-up rule, esda's ``fdr``): with the p-values sorted,
    ``p_(1) <= ... <= p_(n)``, the cut-off is ``k alpha / n`` for the largest ``k`` with ``p_(k) < k alpha / n``;
    when there is none, esda returns ``alpha / n``, below every p-value, so that nothing holds."""
    from esda import fdr

    return float(fdr(np.asarray(p, float), alpha))


@dataclass(frozen=True)
class GlobalMoran:
    """The global bivariate Moran's I of the city (:func:`global_bivariate_moran`).

    Attributes
    ----------
    i : float
        The statistic.
    p_value : float
        Pseudo p-value of the permutation test (folded, as esda's).
    permutations : int
    n : int
        Units it rests on.
    expected : float
        Mean of the statistic over the permutations (about ``-1 / (n - 1)`` with no association).
    """

    i: float
    p_value: float
    permutations: int
    n: int
    expected: float


def global_bivariate_moran(
    units: gpd.GeoDataFrame,
    x: str = "crimes_per_1k_smoothed",
    y: str = "covered_share",
    permutations: int = PERMUTATIONS,
    seed: int = SEED,
) -> GlobalMoran | None:
    r"""The global bivariate Moran's I of ``x`` in a unit against ``y`` in its neighbours, on the same queen
    graph as the local clusters (row-standardised):

    .. math:: I = \frac{\sum_i z_{x,i} \sum_j w_{ij} z_{y,j}}{n - 1}

    with ``z`` standardised with ``n - 1`` degrees of freedom (esda's ``Moran_BV`` gives the statistic). Its
    pseudo p-value permutes ``z_y`` over the units ``permutations`` times with a seeded numpy generator; esda
    draws its permutations from numpy's global random state, which a study cannot seed without changing other
    code's randomness. ``L`` the permutations at least as large as the observed value, folded,
    ``p = (min(L, permutations - L) + 1) / (permutations + 1)``. None with fewer than 4 units with neighbours."""
    from esda.moran import Moran_BV

    found = _with_neighbours(units, x, y)
    if found is None:
        return None
    sub, graph = found
    graph = graph.transform("r")
    xs, ys = sub[x].to_numpy(float), sub[y].to_numpy(float)
    if xs.std() == 0 or ys.std() == 0:
        return None
    stat = Moran_BV(xs, ys, graph, permutations=0)
    w = graph.sparse
    rng = np.random.default_rng(seed)
    zy = np.stack([rng.permutation(stat.zy) for _ in range(permutations)], axis=1)
    sims = (stat.zx @ (w @ zy)) / stat.den
    larger = int(np.sum(sims >= stat.I))
    larger = min(larger, permutations - larger)
    return GlobalMoran(
        i=float(stat.I),
        p_value=(larger + 1) / (permutations + 1),
        permutations=permutations,
        n=len(sub),
        expected=float(sims.mean()),
    )


def _draw_without_replacement(rng: np.random.Generator, n: int, k: int, rows: int) -> np.ndarray:
    """``rows`` draws of ``k`` distinct integers below ``n``: drawn with replacement, and the rows with a
    repeat drawn again (few when k is much smaller than n); a full shuffle when k is close to n."""
    if k * 3 > n:
        return np.argsort(rng.random((rows, n)), axis=1)[:, :k]
    out = rng.integers(0, n, (rows, k))
    while True:
        s = np.sort(out, axis=1)
        bad = (s[:, 1:] == s[:, :-1]).any(axis=1)
        if not bad.any():
            return out
        out[bad] = rng.integers(0, n, (int(bad.sum()), k))


def conditional_permutation_p(
    zx: np.ndarray,
    zy: np.ndarray,
    neighbours: list[np.ndarray],
    observed: np.ndarray,
    permutations: int = PERMUTATIONS,
    seed: int = SEED,
) -> np.ndarray:
    """Pseudo p-values of local bivariate Moran statistics by conditional randomisation.

    For unit ``i`` with ``k`` neighbours, ``permutations`` times: draw ``k`` other units at random (without
    replacement, never ``i``), and compute ``I = (n-1)/n * zx[i] * mean(zy[drawn])``. With ``L`` the number of
    draws at least as large as the observed value, folded to the smaller tail (``min(L, permutations - L)``),
    ``p = (L + 1) / (permutations + 1)``, as esda does.
    """
    rng = np.random.default_rng(seed)
    n = len(zx)
    p = np.empty(n)
    for i in range(n):
        k = len(neighbours[i])
        drawn = _draw_without_replacement(rng, n - 1, k, permutations)
        drawn = drawn + (drawn >= i)  # skip unit i itself
        sims = (n - 1) / n * zx[i] * zy[drawn].mean(axis=1)
        larger = int(np.sum(sims >= observed[i]))
        larger = min(larger, permutations - larger)
        p[i] = (larger + 1) / (permutations + 1)
    return p
