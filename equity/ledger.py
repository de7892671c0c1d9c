"""The ledger of a study: every count of a default or decision used, the facts about each input, and every input
row that was set aside, in the order the stages recorded them.

Loading a study fills one ledger per input layer (:class:`equity.inputs.Inputs` keeps them); an analysis starts
a new ledger and takes each layer's entries in when the stage that uses the layer runs, so that a loaded study
can be analysed many times and each result carries its own complete account. The manifest writes
:attr:`Ledger.counts` and :attr:`Ledger.sources`, ``rejected.csv`` writes :meth:`Ledger.rejected_table`.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from equity.io._common import REJECTED_COLUMNS


@dataclass
class Ledger:
    """Counts, facts and set-aside rows, in the order they were recorded.

    Attributes
    ----------
    counts : dict
        How often each default and decision was used (``cameras_height_default``: 12, ...), and small tables of
        counts (``camera_kinds``).
    sources : dict
        Facts about each input by role (``cameras``: its format, OSM timestamp, ...), and about derived grids
        (``surface``, ``terrain``).
    rejected : list of pandas.DataFrame
        The rows each reader set aside, with the reason (columns :data:`equity.io._common.REJECTED_COLUMNS`).
    warnings : list of str
        Plain sentences about the data that a reader of the results must know (a population polygon far from
        the units, units the DEM covers only in part, ...), each naming what it is about; the manifest, the
        report and the command line show them.
    """

    counts: dict[str, Any] = field(default_factory=dict)
    sources: dict[str, Any] = field(default_factory=dict)
    rejected: list[pd.DataFrame] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    def count(self, key: str, value: Any) -> None:
        """Record one count."""
        self.counts[key] = value

    def source(self, role: str, facts: dict[str, Any]) -> None:
        """Record the facts about one input (or derived grid)."""
        self.sources[role] = facts

    def reject(self, rows: pd.DataFrame) -> None:
        """Record the rows a reader set aside."""
        self.rejected.append(rows)

    def warn(self, message: str) -> None:
        """Record one warning (a plain sentence); the same sentence is recorded once."""
        if message not in self.warnings:
            self.warnings.append(message)

    def take(self, other: Ledger) -> None:
        """Append another ledger's entries after this one's. Facts are copied, so that an analysis that adds
        to them (the DEM's missing share) does not change the loaded ledger it took them from."""
        self.counts.update(copy.deepcopy(other.counts))
        self.sources.update(copy.deepcopy(other.sources))
        self.rejected.extend(other.rejected)
        for message in other.warnings:
            self.warn(message)

    def rejected_table(self) -> pd.DataFrame:
        """Every set-aside row in one table, in the order recorded."""
        parts = [r for r in self.rejected if not r.empty]
        if not parts:
            return pd.DataFrame(columns=REJECTED_COLUMNS)
        return pd.concat(parts, ignore_index=True)


def rejected_by_reason(rejected: pd.DataFrame) -> dict[str, int]:
    """How many set-aside rows each reason has, the most frequent first (ties in the order pandas' ``value_counts``
    gives them)."""
    return {str(reason): int(n) for reason, n in rejected["reason"].value_counts().items()}
