"""Sensitivity of the findings to the assumptions that matter: camera range, the fixed camera's field of view,
the unknown-direction policy and the camera height. The loaded study is analysed again under a low and a high
value of each (:func:`equity.analysis.analyse` on the same :class:`equity.inputs.Inputs`: no file is read again,
and the terrain, the DEM's heights, the crime counts and the units' areas are not computed again); a unit whose
class changes under any of them is reported as uncertain, not as a finding."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pandas as pd

from equity._progress import progress
from equity.inequality import city_measures
from equity.metrics import STORY_CLASSES
from equity.settings import DETAIL_LEVELS_PX_PER_M

#: Detail levels from the shortest range to the longest.
_LEVELS = list(DETAIL_LEVELS_PX_PER_M)

#: Variants that change nothing without a surface model (height matters only for viewsheds).
NEEDS_SURFACE = ("cameras 1 m lower", "cameras 2 m higher")

#: The plate readers' ranges of the variants, and their names: they change nothing without plate readers.
ALPR_RANGES_M = (10.0, 50.0)
NEEDS_ALPR = tuple(f"plate readers' range {m:g} m" for m in ALPR_RANGES_M)


def variants_for(settings: Any) -> dict[str, dict[str, Any]]:
    """The low and high variants of a study's own settings.

    Range: the next detail level of EN 62676-4 on either side of the study's (detection gives observation,
    about 27 m for a 60 degree lens, and monitor, about 133 m); the fixed lens: 0.75 and 1.5 times its width
    (at most 360); the other unknown-direction policy; cameras 1 m lower and 2 m higher; a licence-plate
    reader's range 10 m and 50 m (run only when the study has plate readers). A variant that would not change
    anything (a detail level at the end of the scale) is left out.
    """
    out: dict[str, dict[str, Any]] = {}
    i = _LEVELS.index(settings.detail_level)
    if i > 0:
        out[f"shorter range ({_LEVELS[i - 1]} level)"] = {"detail_level": _LEVELS[i - 1]}
    if i < len(_LEVELS) - 1:
        out[f"longer range ({_LEVELS[i + 1]} level)"] = {"detail_level": _LEVELS[i + 1]}
    fov = settings.fixed_fov_deg
    out[f"narrower fixed lens ({0.75 * fov:g} degrees)"] = {"fixed_fov_deg": 0.75 * fov}
    if fov < 360:
        out[f"wider fixed lens ({min(360.0, 1.5 * fov):g} degrees)"] = {"fixed_fov_deg": min(360.0, 1.5 * fov)}
    other = "disc" if settings.unknown_direction == "skip" else "skip"
    out[f"unknown directions: {other}"] = {"unknown_direction": other}
    offset = settings.camera_height_offset_m
    out[NEEDS_SURFACE[0]] = {"camera_height_offset_m": offset - 1.0}
    out[NEEDS_SURFACE[1]] = {"camera_height_offset_m": offset + 2.0}
    for name, metres in zip(NEEDS_ALPR, ALPR_RANGES_M, strict=True):
        out[name] = {"alpr_range_m": metres}
    return out


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

    @property
    def uncertain(self) -> list:
        """The units whose class changes under at least one variant, in the order of the units."""
        return self.robust[self.robust == "uncertain"].index.tolist()

    @property
    def robust_count(self) -> int:
        """How many units keep their class under every variant."""
        return int((self.robust != "uncertain").sum())

    @property
    def unit_count(self) -> int:
        """How many units were compared."""
        return len(self.robust)

    @property
    def uncertain_findings(self) -> list:
        """The units of the two classes of the story (:data:`equity.metrics.STORY_CLASSES`) whose class changes
        under at least one variant: they are not reported as findings."""
        baseline = self.classes["baseline"]
        return [unit for unit in self.uncertain if baseline[unit] in STORY_CLASSES]


def sensitivity(inputs: Any, baseline: Any, variants: dict[str, dict[str, Any]] | None = None) -> Sensitivity:
    """Analyse the loaded ``inputs`` (:class:`equity.inputs.Inputs`) again under each variant of the baseline's
    settings and compare with ``baseline`` (their result under the study's settings)."""
    from equity.analysis import analyse

    variants = variants_for(baseline.settings) if variants is None else variants
    classes = {"baseline": baseline.units.set_index("unit_id")["class"]}
    measures = {"baseline": _points(baseline.units)}
    skipped = []
    has_alpr = bool(baseline.counts.get("camera_kinds", {}).get("ALPR"))
    for name, changes in progress(variants.items(), total=len(variants), desc="sensitivity runs"):
        if (name in NEEDS_SURFACE and not inputs.has_surface) or (name in NEEDS_ALPR and not has_alpr):
            skipped.append(name)
            continue
        result = analyse(inputs, baseline.settings.replace(**changes), statistics=False, full=False)
        classes[name] = result.units.set_index("unit_id")["class"]
        measures[name] = _points(result.units)
    table = pd.DataFrame(classes)
    same = table.eq(table["baseline"], axis=0).all(axis=1)
    robust = pd.Series(["robust" if s else "uncertain" for s in same], index=table.index, name="robustness")
    return Sensitivity(table, robust, pd.DataFrame(measures).T, skipped)


def with_sensitivity(inputs: Any, result: Any) -> Any:
    """Add the sensitivity runs to ``result`` (the baseline analysis of ``inputs``): its ``sensitivity``; and
    the draws (:func:`equity.uncertainty.with_uncertainty`): its ``uncertainty``, each unit's class
    probabilities and ``robustness`` column, and the count of uncertain units."""
    result.sensitivity = sensitivity(inputs, result)
    result.ledger.count("units_class_changed_in_a_sensitivity_run", len(result.sensitivity.uncertain))
    # robustness follows the class probabilities of the draws of the sources of error (equity.uncertainty), not
    # the reruns: a rerun moves every camera's range or lens at once, which can hardly move a unit's share, and
    # ignores the crime counts' noise and the cameras missing from the map; the reruns stay as what-ifs
    from equity.uncertainty import with_uncertainty

    with_uncertainty(inputs, result)
    result.ledger.count("units_uncertain", len(result.uncertainty.uncertain))
    return result


def _points(units: pd.DataFrame) -> dict[str, float]:
    return {e.name: e.value for e in city_measures(units, samples=0)}
