"""Documented defaults of an analysis.

Every assumption the analysis makes is a field of :class:`Settings`, with its value, its unit and why it was
chosen. The manifest and the report print the settings of each run, and the places where a default was used
are counted (see ``Study.counts``).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any, Literal

#: Pixels per metre on the target for the detail levels of EN 62676-4 (the CCTV standard's "DORI" levels).
DETAIL_LEVELS_PX_PER_M: dict[str, float] = {
    "identification": 250.0,
    "recognition": 62.5,
    "observation": 25.0,
    "detection": 12.5,
}

#: Camera height in metres when ``height`` is not tagged, by ``camera:mount``. A wall or ceiling camera sits
#: at about first-floor level, a pole camera above traffic, a street-lamp camera at the lamp head.
MOUNT_HEIGHT_M: dict[str, float] = {
    "wall": 3.0,
    "ceiling": 3.0,
    "building": 3.0,
    "pole": 5.0,
    "street_lamp": 6.0,
    "streetlamp": 6.0,
    "traffic_signals": 5.0,
    "gantry": 6.0,
    "bridge": 6.0,
}


@dataclass(frozen=True)
class Settings:
    """The settings of one analysis; every field is a documented default that the user can change.

    Attributes
    ----------
    fixed_fov_deg
        Horizontal field of view of a fixed camera (or one of unknown type with a tagged direction), in
        degrees. Typical fixed lenses cover 60 to 90 degrees; the default takes the narrow end, so that the
        coverage of a camera is not overstated.
    sensor_px
        Horizontal resolution of the camera's image in pixels (1920 for the common 1080p camera).
    detail_level
        The level of detail at which a camera is counted as seeing a place: one of
        ``DETAIL_LEVELS_PX_PER_M`` (identification 250 px/m, recognition 62.5, observation 25,
        detection 12.5).
    lens_fov_cap_deg
        For the range model, the widest lens assumed: a dome or panning camera covers 360 degrees by
        turning or by spreading its pixels, and is given the range of a lens of this width.
    range_m
        A fixed range in metres for every camera; ``None`` (the default) uses the range model of
        :func:`equity.cameras.camera_range`.
    unknown_direction
        What to do with a directional camera whose direction is not tagged (or cannot be read): ``"skip"``
        (the default: the camera is counted where it stands but adds no covered area) or ``"disc"`` (a full
        circle at the fixed camera's range, marked ``confidence = "low"``).
    include_indoor
        Whether cameras tagged ``surveillance=indoor`` count toward outdoor coverage (default no).
    default_height_m
        Camera height when neither ``height`` nor a known ``camera:mount`` is tagged.
    camera_height_offset_m
        Added to every camera height that comes from a default (not to tagged heights); 0 by default. The
        sensitivity runs use it to test the height assumption.
    arc_segments
        Vertices used to draw a full circle; a sector uses its share. 128 keeps the polygon's area within
        0.05 % of the true sector area.
    high_crime_quantile, low_crime_quantile
        Quantiles of the units' crime shares above (below) which a unit counts as high (low) crime.
    low_coverage_ratio, high_coverage_ratio
        A high-crime unit is under-covered when its coverage share is below ``low_coverage_ratio`` times its
        crime share; a low-crime unit is over-covered when its coverage share is above
        ``high_coverage_ratio`` times its crime share and at or above the ``high_coverage_quantile`` of the
        units' coverage shares (by default the median: more coverage than half the units).
    target_height_m
        Height above the surface that a camera must see for a place to count as seen, in metres: the top of
        a person's head (1.7 m). Used by the viewshed.
    cell_size_m
        Cell size of the surface model in metres (the viewshed's resolution).
    curvature_coeff
        Curvature and refraction coefficient of the viewshed (GDAL's ``-cc``; 0.85714 for visible light).
        Within a camera's range it changes heights by millimetres.
    need_crime_weight
        Weight of crime in a unit's need (``need = a * crime_share + (1 - a) * population_share``): 1 (the
        default) measures need by crime only, 0 by residents only.
    anomaly_radius_m, anomaly_flag_score, anomaly_lonely_m
        Thresholds of the placement anomalies (:class:`equity.anomalies.AnomalySettings`): the radius within
        which incidents count as a camera's local need (150 m, about the reach of a camera at the "detection"
        level), the anomaly score from which a camera is flagged (0.9: with all three components known, about
        the top tenth of the city's cameras on each at once), and the distance to the nearest other camera
        from which the explanation says "no other camera within" it (400 m).
    anomaly_min_covered_share
        The share of a disc around a camera that must lie in the area its data covers for a count or distance
        within it to be used (0.5). A count within ``anomaly_radius_m`` is corrected to the whole disc
        (``k / c``) and the distance to the nearest other camera to the radius of a whole disc of the same
        observed area (``d √c``); below one half the correction more than doubles a count and the figure rests
        more on the assumption of an even spread than on the data, so it is unknown instead (a camera just
        outside the city, whose disc the city's crime data does not cover, is not "0 incidents").
    anomaly_min_components
        How many of the three components a camera needs for an anomaly score, a rank and a flag (2). One
        component alone reaches any threshold for a share of the cameras fixed by construction (a tenth of them
        rank in its top tenth), which says nothing of a placement against the pattern; two must agree.
    homes_window_heights_m
        Heights above the ground at which a home's façade is looked at, in metres (homes in view,
        :class:`equity.homes.HomeSettings`): a ground-floor window (1.5 m) and a first-floor window (4.5 m).
    homes_ring_m
        Width of the strip along a home's footprint whose cells stand for its façade (2 m).
    homes_yard_m
        Distance around a home counted as its private yard when no residential land use is mapped (10 m);
        streets and public spaces inside it stay public.
    homes_yard_min_m2
        Area of a home's yard that a camera must see for the home to count as seen through its yard (20 m²):
        a glimpse of a strip of land in front of a garden wall is not a look into the yard.
    homes_street_half_width_m
        Half the width given to a street centre line to make it public space (4 m: an 8 m street).
    homes_flag_share
        A camera "looks mostly into homes" when its intrusion score is at least this share (0.5) and it sees
        at least one home.
    terrain_cell_m
        Cell size of the DEM grid for each unit's mean elevation and slope (10 m).
    hillside_slope_pct
        Mean slope in percent from which a unit is "hillside" (10 %).
    dedupe_incidents
        Count an incident once when several rows share an incident number (one report can list several
        offences), where an incident-number column is found.
    """

    fixed_fov_deg: float = 60.0
    sensor_px: int = 1920
    detail_level: Literal["identification", "recognition", "observation", "detection"] = "observation"
    lens_fov_cap_deg: float = 90.0
    range_m: float | None = None
    unknown_direction: Literal["skip", "disc"] = "skip"
    include_indoor: bool = False
    default_height_m: float = 4.0
    camera_height_offset_m: float = 0.0
    mount_height_m: dict[str, float] = field(default_factory=lambda: dict(MOUNT_HEIGHT_M))
    arc_segments: int = 128
    high_crime_quantile: float = 2 / 3
    low_crime_quantile: float = 1 / 3
    low_coverage_ratio: float = 0.5
    high_coverage_ratio: float = 2.0
    high_coverage_quantile: float = 0.5
    dedupe_incidents: bool = True
    need_crime_weight: float = 1.0
    anomaly_radius_m: float = 150.0
    anomaly_flag_score: float = 0.9
    anomaly_lonely_m: float = 400.0
    anomaly_min_covered_share: float = 0.5
    anomaly_min_components: int = 2
    homes_window_heights_m: tuple[float, ...] = (1.5, 4.5)
    homes_ring_m: float = 2.0
    homes_yard_m: float = 10.0
    homes_yard_min_m2: float = 20.0
    homes_street_half_width_m: float = 4.0
    homes_flag_share: float = 0.5
    terrain_cell_m: float = 10.0
    hillside_slope_pct: float = 10.0
    target_height_m: float = 1.7
    cell_size_m: float = 1.0
    curvature_coeff: float = 0.85714

    def __post_init__(self) -> None:
        problems = []
        if not 0 < self.fixed_fov_deg <= 360:
            problems.append(f"fixed_fov_deg must be in (0, 360], not {self.fixed_fov_deg!r}")
        if self.detail_level not in DETAIL_LEVELS_PX_PER_M:
            problems.append(f"detail_level must be one of {sorted(DETAIL_LEVELS_PX_PER_M)}, not {self.detail_level!r}")
        if self.range_m is not None and not self.range_m > 0:
            problems.append(f"range_m must be positive, not {self.range_m!r}")
        if self.unknown_direction not in ("skip", "disc"):
            problems.append(f"unknown_direction must be 'skip' or 'disc', not {self.unknown_direction!r}")
        if self.sensor_px <= 0:
            problems.append(f"sensor_px must be positive, not {self.sensor_px!r}")
        if not 0 < self.lens_fov_cap_deg < 180:
            problems.append(f"lens_fov_cap_deg must be in (0, 180), not {self.lens_fov_cap_deg!r}")
        if not self.cell_size_m > 0:
            problems.append(f"cell_size_m must be positive, not {self.cell_size_m!r}")
        if self.target_height_m < 0:
            problems.append(f"target_height_m must be at least 0, not {self.target_height_m!r}")
        if self.arc_segments < 8:
            problems.append(f"arc_segments must be at least 8, not {self.arc_segments!r}")
        if not 0 <= self.low_crime_quantile <= self.high_crime_quantile <= 1:
            problems.append("crime quantiles must satisfy 0 <= low <= high <= 1")
        if not self.anomaly_radius_m > 0:
            problems.append(f"anomaly_radius_m must be positive, not {self.anomaly_radius_m!r}")
        if not 0 <= self.anomaly_flag_score <= 1:
            problems.append(f"anomaly_flag_score must be in [0, 1], not {self.anomaly_flag_score!r}")
        if not self.anomaly_lonely_m > 0:
            problems.append(f"anomaly_lonely_m must be positive, not {self.anomaly_lonely_m!r}")
        if not 0 < self.anomaly_min_covered_share <= 1:
            problems.append(f"anomaly_min_covered_share must be in (0, 1], not {self.anomaly_min_covered_share!r}")
        if self.anomaly_min_components not in (1, 2, 3):
            problems.append(f"anomaly_min_components must be 1, 2 or 3, not {self.anomaly_min_components!r}")
        try:
            heights = tuple(float(h) for h in self.homes_window_heights_m)
        except (TypeError, ValueError):
            heights = ()
        if isinstance(self.homes_window_heights_m, str) or not heights or not all(h >= 0 for h in heights):
            problems.append(
                f"homes_window_heights_m must be one or more heights of at least 0, not {self.homes_window_heights_m!r}"
            )
        else:  # a list (as read back from a manifest) is kept as a tuple of floats
            object.__setattr__(self, "homes_window_heights_m", heights)
        if not self.homes_ring_m > 0:
            problems.append(f"homes_ring_m must be positive, not {self.homes_ring_m!r}")
        if not self.homes_yard_m >= 0:
            problems.append(f"homes_yard_m must be at least 0, not {self.homes_yard_m!r}")
        if not self.homes_yard_min_m2 >= 0:
            problems.append(f"homes_yard_min_m2 must be at least 0, not {self.homes_yard_min_m2!r}")
        if not self.homes_street_half_width_m >= 0:
            problems.append(f"homes_street_half_width_m must be at least 0, not {self.homes_street_half_width_m!r}")
        if not 0 <= self.homes_flag_share <= 1:
            problems.append(f"homes_flag_share must be in [0, 1], not {self.homes_flag_share!r}")
        if problems:
            from equity._errors import InputError

            raise InputError("Invalid settings: " + "; ".join(problems) + ".")

    @property
    def px_per_m(self) -> float:
        """Pixels per metre of the chosen detail level."""
        return DETAIL_LEVELS_PX_PER_M[self.detail_level]

    def replace(self, **changes: Any) -> Settings:
        """Return a copy with some fields changed (validated again)."""
        return dataclasses.replace(self, **changes)

    def to_dict(self) -> dict[str, Any]:
        """The settings as a plain dictionary, for the manifest and the report."""
        return dataclasses.asdict(self)
