"""The coverage choropleth of a study without crime data: cameras per 1,000 residents, or per km² without
residents, in quantile classes, for the map and the report's static map.

Without crime data no unit has a gap, so a map coloured by the gap is one grey; what can still be shown is how
many cameras each unit has for its residents (``cameras_per_1k_residents`` of units.csv) or for its area
(``cameras_per_km2``). Nothing is computed here but the display classes: the values arrive in the units table.

The classes are quantiles, the usual choice for a skewed measure (a downtown of ten times the cameras of every
other unit would leave all the others one pale colour on a linear scale): with the distinct known values
``v``, the class edges are ``e_k = quantile(v, k / n)`` for ``k = 0..n`` (linear interpolation, numpy's
default), repeated edges merged, and a unit's class is the ``k`` with ``e_k <= x < e_{k+1}`` (the top class
includes its upper edge). A unit without a value (no residents) is in no class and drawn grey, never as zero.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

#: Colours of the classes, light to dark (ColorBrewer's sequential PuBu, 5 classes).
COVERAGE_COLOURS = ("#f1eef6", "#bdc9e1", "#74a9cf", "#2b8cbe", "#045a8d")
#: The column shown, by preference: per resident when the units have residents, else per km².
COVERAGE_COLUMNS = ("cameras_per_1k_residents", "cameras_per_km2")


@dataclass(frozen=True)
class CoverageClasses:
    """The classes of a coverage choropleth.

    Attributes
    ----------
    column
        The column of the units table shown.
    edges
        The class edges, increasing (one more than the classes).
    colours
        The colour of each class.
    fill
        The colour of each unit (grey for a unit without a value), aligned with the units.
    """

    column: str
    edges: tuple[float, ...]
    colours: tuple[str, ...]
    fill: np.ndarray


def needs_coverage_map(units: pd.DataFrame) -> bool:
    """Whether the units have no gap at all (no crime data), so a coverage choropleth replaces the gap map."""
    return "gap" not in units or pd.to_numeric(units["gap"], errors="coerce").isna().all()


def coverage_column(units: pd.DataFrame) -> str | None:
    """``cameras_per_1k_residents`` when any unit has a value, else ``cameras_per_km2``; None when neither."""
    for name in COVERAGE_COLUMNS:
        if name in units and pd.to_numeric(units[name], errors="coerce").notna().any():
            return name
    return None


def coverage_classes(units: pd.DataFrame, *, n: int = 5, no_data: str = "#cccccc") -> CoverageClasses | None:
    """The quantile classes of :func:`coverage_column` (see the module's docstring); None without a column.

    Examples
    --------
    >>> units = pd.DataFrame({"cameras_per_km2": [0.0, 1.0, 2.0, 3.0, 4.0, float("nan")]})
    >>> c = coverage_classes(units, n=4)
    >>> c.column, c.edges
    ('cameras_per_km2', (0.0, 1.0, 2.0, 3.0, 4.0))
    >>> [c.colours.index(f) if f in c.colours else None for f in c.fill]
    [0, 1, 2, 3, 3, None]
    """
    name = coverage_column(units)
    if name is None:
        return None
    values = pd.to_numeric(units[name], errors="coerce").to_numpy(dtype=float)
    known = values[np.isfinite(values)]
    edges = np.unique(np.quantile(known, np.linspace(0, 1, n + 1)))
    if len(edges) == 1:
        edges = np.array([edges[0], edges[0]])
    classes = len(edges) - 1
    # spread the classes over the palette: 2 classes take its lightest and darkest colours
    picks = np.round(np.linspace(0, len(COVERAGE_COLOURS) - 1, classes)).astype(int) if classes > 1 else [2]
    colours = tuple(COVERAGE_COLOURS[i] for i in picks)
    k = np.clip(np.searchsorted(edges, values, side="right") - 1, 0, classes - 1)
    fill = np.where(np.isfinite(values), np.asarray(colours, dtype=object)[k], no_data)
    return CoverageClasses(name, tuple(float(e) for e in edges), colours, fill)
