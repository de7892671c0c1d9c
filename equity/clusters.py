"""Spatial clusters of crime and coverage: the bivariate local Moran's I of PySAL's esda, on a libpysal
contiguity graph. The crime rate is the smoothed one (:mod:`equity.rates`)."""

from __future__ import annotations

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

    The pseudo p-values come from :func:`conditional_permutation_p`, the same conditional randomisation as
    esda's, written here in numpy: esda's compiled version takes about 30 seconds to compile in every new
    process (it is not cached), which a command-line run cannot afford.
    """
    try:
        from esda.moran import Moran_Local_BV
        from libpysal.graph import Graph
    except ImportError as err:  # pragma: no cover - depends on the environment
        msg = "Spatial clusters need PySAL's esda and libpysal: pip install 'equity[stats]'."
        raise ImportError(msg) from err
    out = pd.DataFrame({"moran_i": np.nan, "p_value": np.nan, "cluster": "no data"}, index=units.index)
    ok = units[x].notna() & units[y].notna()
    sub = units[ok]
    if len(sub) < 4:
        return out
    graph = Graph.build_contiguity(sub.reset_index(drop=True), rook=False)
    has_neighbours = graph.cardinalities.to_numpy() > 0
    if has_neighbours.sum() < 4:
        return out
    keep = sub[has_neighbours]
    graph = Graph.build_contiguity(keep.reset_index(drop=True), rook=False)
    xs, ys = keep[x].to_numpy(float), keep[y].to_numpy(float)
    lisa = Moran_Local_BV(xs, ys, graph, permutations=0)
    neighbours = [graph.adjacency.loc[i].index.to_numpy() for i in range(len(keep))]
    p = conditional_permutation_p(lisa.zx, lisa.zy, neighbours, lisa.Is)
    cluster = np.where(p < P_VALUE, pd.Series(lisa.q).map(_QUADRANTS).to_numpy(), "not significant")
    out.loc[keep.index, "moran_i"] = lisa.Is
    out.loc[keep.index, "p_value"] = p
    out.loc[keep.index, "cluster"] = cluster
    return out


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
