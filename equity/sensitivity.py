"""Sensitivity of the findings to the assumptions that matter: camera range, the fixed camera's field of view,
the unknown-direction policy and the camera height. The study is run again under a low and a high value of
each; a unit whose class changes under any of them is reported as uncertain, not as a finding."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

import pandas as pd

from equity.inequality import city_measures

#: The variants: a name and the settings it changes. Ranges: the recognition level (62.5 px/m) gives a fixed
#: 60 degree camera about 27 m instead of 67 m; the detection level (12.5 px/m) about 133 m.
VARIANTS: dict[str, dict[str, Any]] = {
    "shorter range (recognition level)": {"detail_level": "recognition"},
    "longer range (detection level)": {"detail_level": "detection"},
    "narrower fixed lens (45 degrees)": {"fixed_fov_deg": 45.0},
    "wider fixed lens (90 degrees)": {"fixed_fov_deg": 90.0},
    "unknown directions as discs": {"unknown_direction": "disc"},
    "cameras 1 m lower": {"camera_height_offset_m": -1.0},
    "cameras 2 m higher": {"camera_height_offset_m": 2.0},
}

#: Variants that change nothing without a surface model (height matters only for viewsheds).
NEEDS_SURFACE = {"cameras 1 m lower", "cameras 2 m higher"}


@dataclass
class Sensitivity:
    """The study's findings under each variant.

    Attributes
    ----------
    classes : pandas.DataFrame
        One row per unit (``unit_id`` index), one column per variant (and ``baseline``): the unit's class.
    robust : pandas.Series
        Per unit: ``robust`` when its class is the same under every variant, else ``uncertain``.
    measures : pandas.DataFrame
        One row per variant (and ``baseline``), one column per city-level measure (point values).
    skipped : list of str
        Variants not run (camera height without buildings or a DEM).
    """

    classes: pd.DataFrame
    robust: pd.Series
    measures: pd.DataFrame
    skipped: list[str]


def sensitivity(study: Any, baseline: Any, variants: dict[str, dict[str, Any]] | None = None) -> Sensitivity:
    """Run ``study`` again under each variant of its settings and compare with ``baseline`` (its result)."""
    variants = VARIANTS if variants is None else variants
    has_surface = study.buildings is not None or study.dem is not None
    classes = {"baseline": baseline.units.set_index("unit_id")["class"]}
    measures = {"baseline": _points(baseline.units)}
    skipped = []
    for name, changes in variants.items():
        if name in NEEDS_SURFACE and not has_surface:
            skipped.append(name)
            continue
        variant = dataclasses.replace(
            study, settings=study.settings.replace(**changes), sensitivity=False, statistics=False
        )
        result = variant.run()
        classes[name] = result.units.set_index("unit_id")["class"]
        measures[name] = _points(result.units)
    table = pd.DataFrame(classes)
    same = table.eq(table["baseline"], axis=0).all(axis=1)
    robust = pd.Series(["robust" if s else "uncertain" for s in same], index=table.index, name="robustness")
    return Sensitivity(table, robust, pd.DataFrame(measures).T, skipped)


def _points(units: pd.DataFrame) -> dict[str, float]:
    return {e.name: e.value for e in city_measures(units, samples=0)}
