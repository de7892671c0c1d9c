"""Documented defaults of an analysis.

Every assumption the analysis makes is a field of :class:`Settings`, with its value, its unit and why it was
chosen. The manifest and the report print the settings of each run, and the places where a default was used
are counted (see ``Study.counts``).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any, Literal

#: Pixels per metre on the target for the image-resolution levels of EN 62676-4 (video surveillance systems
#: for use in security applications, part 4: application guidelines), by the standard's names: monitor 12.5,
#: detection 25, observation 62.5, recognition 125, identification 250 (and inspection 1,000, a level for
#: reading details such as a banknote, which no street camera reaches at a distance that matters here). Until
#: version 0.x of equity these levels were misnamed (25 px/m was called "observation"); see docs/camera-model.md.
DETAIL_LEVELS_PX_PER_M: dict[str, float] = {
    "inspection": 1000.0,
    "identification": 250.0,
    "recognition": 125.0,
    "observation": 62.5,
    "detection": 25.0,
    "monitor": 12.5,
}

#: What a person can do with the image at each level, in plain words (for the report and the CLI help).
DETAIL_LEVEL_MEANING: dict[str, str] = {
    "inspection": "details on a person or object can be examined",
    "identification": "a person unknown to the viewer can be identified beyond reasonable doubt",
    "recognition": "a person known to the viewer can be recognised",
    "observation": "characteristic details of a person, such as clothing, can be seen",
    "detection": "a person can be seen to be present",
    "monitor": "a crowd or the movement of people can be watched",
}

#: The exposure measures a group comparison can be stated in (``Settings.group_measure``);
#: ``cameras_within_per_1k`` stands for the column of the study's buffer (``cameras_within_200m_per_1k``).
GROUP_MEASURES = (
    "effective_cameras_per_1k",
    "cameras_within_per_1k",
    "cameras_per_1k_residents",
    "covered_share",
    "cameras_per_km2",
)

DetailLevel = Literal["inspection", "identification", "recognition", "observation", "detection", "monitor"]

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
        The level of detail at which a camera is counted as seeing a place, by the names of EN 62676-4
        (``DETAIL_LEVELS_PX_PER_M``: identification 250 px/m, recognition 125, observation 62.5, detection 25,
        monitor 12.5). The default is ``detection`` (25 px/m, 66.5 m for a 60 degree 1080p lens): coverage asks
        whether a person in a place is in a camera's image at all, which is what deters and what a recording
        can later show; the standard calls that level detection. A person is recognised only much closer (the
        second level below).
    second_detail_level
        A second level whose coverage is reported beside the first, as the ``*_<level>`` columns of units.csv
        (``covered_share_recognition``, ...), or ``None`` for none. The default, ``recognition`` (125 px/m,
        13.3 m for a 60 degree lens), answers "could a known person be recognised there?". Each view's range at
        this level is its range at ``detail_level`` times ``p1 / p2``, the ratio of the two pixel densities.
    alpr_fov_deg, alpr_range_m
        Field of view (30 degrees) and range (25 m) of a licence-plate reader (``surveillance:type=ALPR``):
        the capture zone on the carriageway in front of it, not an area camera's sector. Installers' guidance
        puts the zone where plates are read 4.6 to 9.1 m (15 to 30 ft) from the camera, one or two lanes wide,
        with plates read up to 30 degrees off the lens axis, and cameras 6 to 46 m (20 to 150 ft)
        from where vehicles pass; the defaults take a two-lane zone out to 25 m. The image there is at plate-
        reading resolution (finer than identification), so the view is the same at every detail level. The
        sensitivity runs test 10 m and 50 m. See docs/camera-model.md for the sources.
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
    alpr_match_m
        Farthest distance in metres from a licence-plate reader to the street segment it is matched to (30 m):
        a reader stands at the kerb or over the carriageway; 30 m reaches the far side of a wide avenue and no
        farther (:mod:`equity.roads`).
    alpr_match_angle_deg
        Largest angle between a reader's direction and the segment's axis for a match (45 degrees): a reader
        looks along the road it reads, so a cross street at right angles to it is not the one it reads.
    alpr_reads
        Which vehicles a reader logs: ``approaching`` (the default: it faces traffic and reads the front plates of
        vehicles coming towards it, travelling opposite to its direction tag) or ``receding`` (it reads the rear
        plates of vehicles moving away, travelling along its direction). Only the direction logged changes: the
        roads logged in at least one direction are the same.
    cordon_tolerance_m
        A street node is inside a unit when it lies inside the unit shrunk by this much (15 m): unit boundaries
        follow street centre lines, and the intersections of a boundary street are on the boundary, not inside.
    route_length_penalty
        The least-watched route minimises ``W + lambda L`` (W its length in view of a camera, L its length, in
        metres) with ``lambda`` this (0.1): a detour is taken when it leaves at least one metre out of view for
        every 10 metres it adds (:mod:`equity.routes`).
    route_snap_m
        Farthest distance in metres from a trip's origin or destination to the nearest node of the street graph
        (500 m); a point farther away is refused.
    small_population
        A unit's crime rate rests on few residents below this many (1,000): with fewer, each incident moves the
        rate by more than 1 per 1,000. Such units are flagged (``small_population``); the smoothed rate
        (:mod:`equity.rates`) is used wherever rates rank units.
    need_crime_weight
        Weight of crime in a unit's need (``need = a * crime_share + (1 - a) * population_share``): 1 (the
        default) measures need by crime only, 0 by residents only.
    anomaly_radius_m, anomaly_flag_score, anomaly_lonely_m
        Thresholds of the placement anomalies (:class:`equity.anomalies.AnomalySettings`): the radius within
        which incidents count as a camera's local need (150 m, about the reach of a camera at the "monitor"
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
    no_crime_data_share
        A unit with at least this share (0.5) of its area in the region where the crime data does not apply
        (``--no-crime-data``) gets no crime data: most of it is policed, and its crime recorded, by another
        agency.
    terrain_min_covered_share
        Share of a unit's terrain cells that must have an elevation from the DEM for the unit's terrain to be
        computed (0.9), from those cells only; below it, its elevation, slope and class are missing ("no
        elevation data"), never guessed. A DEM's voids (water, radar shadow, the edge of a tile) usually take a
        few percent of an area, which this lets through; a mean over nine tenths of a unit can move by at most a
        tenth of the difference between the ground left out and the rest (a slope 20 points steeper there moves
        the mean by 2 points, against the hillside threshold of 10 %), while a unit the DEM covers half of would
        be classed from a half that need not be like the other.
    population_min_inside_share
        Share of a population polygon's area that must lie inside the units (0.5) for it not to be reported as
        lying mostly outside them. Its residents all go to its part inside the units (area-weighted
        interpolation); when that part is a small corner, the polygon is probably misplaced, or mostly water, and
        a reader must be told. Nothing is reassigned: this only writes a warning.
    population_area_factor
        Factor by which a population polygon's area on the map may differ from the area its layer states before it
        is reported (3): below its stated land area divided by 3, or above its stated land and water area times 3.
        In the demo's 2010 census block groups (land area stated in ``CENSUSAREA``, square miles), the polygons'
        areas lie between 0.66 and 2.3 times their land area (shoreline polygons hold some water), all but one:
        the Treasure Island block group, drawn at Hunters Point at 1/36 of its area. Nothing is reassigned.
    buffer_m
        Distance from a unit's boundary within which a camera counts toward the unit's ``cameras_within_<b>m``
        (200 m, ``--buffer``): the distance press accounts of Amnesty International's Decode Surveillance NYC give
        for its tracts' "surveillance level" (publicly owned cameras within 200 m of a tract's borders, per
        1,000 residents), about two city blocks: a camera across the street from a unit watches its residents too.
    per_capita_min_residents
        A unit's exposure per 1,000 residents (``effective_cameras_per_1k``, ``cameras_within_<b>m_per_1k``) is
        left empty unless it has more residents than this (250): on a handful of residents a rate says nothing
        about them (one camera among 10 residents is 100 per 1,000). The threshold is the one the issue this
        measure comes from gives for Amnesty's study (tracts with more than 250 residents); it could not be
        confirmed in Amnesty's published material (docs/formulas.md).
    group_min_population
        A group of residents (``--groups``) with fewer residents than this in the study area (1,000) is not
        reported: its mean would rest on few people (a rate per 1,000 on fewer than 1,000 moves by more than 1
        with each person, as ``small_population``), and a small group would be singled out. The census
        estimates behind such a group also carry margins of error as large as the group.
    group_measure
        The exposure measure of the one-sentence comparison of groups in the report: ``effective_cameras_per_1k``
        (the default: each camera's view shared among the units it falls in, per 1,000 residents),
        ``cameras_within_per_1k`` (cameras within ``buffer_m`` of the unit, per 1,000 residents),
        ``cameras_per_1k_residents`` (cameras standing in the unit, per 1,000 residents: the measure of a source
        that gives counts per unit, which a study of counts uses instead of a measure that needs locations),
        ``covered_share`` (share of the unit's area in view) or ``cameras_per_km2``. groups.csv gives all of them.
    dedupe_incidents
        Count an incident once when several rows share an incident number (one report can list several
        offences), where an incident-number column is found.
    draws
        Draws of the uncertainty simulation (:mod:`equity.uncertainty`), 1,000: a class probability of 0.9 is then
        known within about +-0.02 (binomial standard error 0.0095), enough to tell it from the threshold.
    draws_seed
        Seed of the draws' generator (numpy's PCG64), so that the same study gives the same probabilities.
    draws_robust_probability
        Probability of its class from which a unit's class is a finding (0.9): below it the class is called
        uncertain and the report does not name it. Nine draws in ten keep the class under the errors drawn.
    draws_crime_model, draws_crime_dispersion
        How each draw varies a unit's recorded crime count ``K``: ``poisson`` (the default; mean and variance
        ``K``, the spread of counts of a fixed risk), or ``negative_binomial`` with size ``r`` (variance
        ``K + K^2 / r``, for counts that vary more than Poisson from one period to the next; ``r`` 10 by
        default, used only then).
    draws_camera_omission
        Probability that a mapped camera is left out of a draw (0.2). No completeness rate of OpenStreetMap's
        surveillance cameras is published; a fifth is an assumption, printed in the report, that an analyst
        should set from a local comparison where one exists.
    draws_unmapped_share
        Expected number of unmapped cameras added in a draw, as a share of the cameras in the units (0.1), put
        where mapping is thin (units with fewer cameras per km² than the median unit). An assumption like the
        omission, smaller because mapping is thin mostly where few cameras stand.
    draws_directions
        Directions among which an untagged view's direction is drawn (8, every 45 degrees): the discretisation
        of a direction that is unknown, fine enough for lenses of 30 to 90 degrees.
    draws_level_weights
        Probabilities of the detail level with the next shorter range, the study's, and the next longer one
        (0.25, 0.5, 0.25): what "seeing" a place needs is a choice, drawn around the study's.
    draws_lens_weights
        Probabilities of a fixed lens 0.75, 1 and 1.5 times ``fixed_fov_deg`` (0.25, 0.5, 0.25).
    draws_threshold_spread
        Half-width of the uniform draw around each of the classes' quantiles (0.05: two of the 41 demo units'
        ranks either way).
    draws_ratio_factor
        The classes' coverage ratios are multiplied by ``f^U(-1, 1)`` in a draw (1.25: a ratio of 2 between 1.6
        and 2.5).
    draws_cell_m
        Side of the cells in which open-ground views are counted in the draws (1 m; with a surface model the
        draws use ``cell_size_m``). A 30 degree, 25 m plate reader's zone is about 164 cells.
    """

    fixed_fov_deg: float = 60.0
    sensor_px: int = 1920
    detail_level: DetailLevel = "detection"
    second_detail_level: DetailLevel | None = "recognition"
    alpr_fov_deg: float = 30.0
    alpr_range_m: float = 25.0
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
    draws: int = 1000
    draws_seed: int = 20261129
    draws_robust_probability: float = 0.9
    draws_crime_model: Literal["poisson", "negative_binomial"] = "poisson"
    draws_crime_dispersion: float = 10.0
    draws_camera_omission: float = 0.2
    draws_unmapped_share: float = 0.1
    draws_directions: int = 8
    draws_level_weights: tuple[float, ...] = (0.25, 0.5, 0.25)
    draws_lens_weights: tuple[float, ...] = (0.25, 0.5, 0.25)
    draws_threshold_spread: float = 0.05
    draws_ratio_factor: float = 1.25
    draws_cell_m: float = 1.0
    no_crime_data_share: float = 0.5
    small_population: float = 1000.0
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
    terrain_min_covered_share: float = 0.9
    population_min_inside_share: float = 0.5
    population_area_factor: float = 3.0
    buffer_m: float = 200.0
    per_capita_min_residents: float = 250.0
    group_min_population: float = 1000.0
    group_measure: str = "effective_cameras_per_1k"
    target_height_m: float = 1.7
    cell_size_m: float = 1.0
    curvature_coeff: float = 0.85714
    alpr_match_m: float = 30.0
    alpr_match_angle_deg: float = 45.0
    alpr_reads: Literal["approaching", "receding"] = "approaching"
    cordon_tolerance_m: float = 15.0
    route_length_penalty: float = 0.1
    route_snap_m: float = 500.0

    def __post_init__(self) -> None:
        problems = []
        if not 0 < self.fixed_fov_deg <= 360:
            problems.append(f"fixed_fov_deg must be in (0, 360], not {self.fixed_fov_deg!r}")
        if self.detail_level not in DETAIL_LEVELS_PX_PER_M:
            problems.append(f"detail_level must be one of {list(DETAIL_LEVELS_PX_PER_M)}, not {self.detail_level!r}")
        if self.second_detail_level is not None and self.second_detail_level not in DETAIL_LEVELS_PX_PER_M:
            problems.append(
                f"second_detail_level must be one of {list(DETAIL_LEVELS_PX_PER_M)} or None, "
                f"not {self.second_detail_level!r}"
            )
        if not 0 < self.alpr_fov_deg <= 360:
            problems.append(f"alpr_fov_deg must be in (0, 360], not {self.alpr_fov_deg!r}")
        if not self.alpr_range_m > 0:
            problems.append(f"alpr_range_m must be positive, not {self.alpr_range_m!r}")
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
        if not 0 < self.no_crime_data_share <= 1:
            problems.append(f"no_crime_data_share must be in (0, 1], not {self.no_crime_data_share!r}")
        if not self.small_population >= 0:
            problems.append(f"small_population must be at least 0, not {self.small_population!r}")
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
        if not self.buffer_m >= 0:
            problems.append(f"buffer_m must be at least 0, not {self.buffer_m!r}")
        if not self.per_capita_min_residents >= 0:
            problems.append(f"per_capita_min_residents must be at least 0, not {self.per_capita_min_residents!r}")
        if not self.group_min_population >= 0:
            problems.append(f"group_min_population must be at least 0, not {self.group_min_population!r}")
        if self.group_measure not in GROUP_MEASURES:
            problems.append(f"group_measure must be one of {list(GROUP_MEASURES)}, not {self.group_measure!r}")
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
        if not 0 <= self.terrain_min_covered_share <= 1:
            problems.append(f"terrain_min_covered_share must be in [0, 1], not {self.terrain_min_covered_share!r}")
        if not 0 <= self.population_min_inside_share <= 1:
            problems.append(f"population_min_inside_share must be in [0, 1], not {self.population_min_inside_share!r}")
        if not self.population_area_factor >= 1:
            problems.append(f"population_area_factor must be at least 1, not {self.population_area_factor!r}")
        problems.extend(self._draws_problems())
        if not self.alpr_match_m > 0:
            problems.append(f"alpr_match_m must be positive, not {self.alpr_match_m!r}")
        if not 0 < self.alpr_match_angle_deg <= 90:
            problems.append(f"alpr_match_angle_deg must be in (0, 90], not {self.alpr_match_angle_deg!r}")
        if self.alpr_reads not in ("approaching", "receding"):
            problems.append(f"alpr_reads must be 'approaching' or 'receding', not {self.alpr_reads!r}")
        if not self.cordon_tolerance_m >= 0:
            problems.append(f"cordon_tolerance_m must be at least 0, not {self.cordon_tolerance_m!r}")
        if not self.route_length_penalty > 0:
            problems.append(f"route_length_penalty must be positive, not {self.route_length_penalty!r}")
        if not self.route_snap_m > 0:
            problems.append(f"route_snap_m must be positive, not {self.route_snap_m!r}")
        if problems:
            from equity._errors import InputError

            raise InputError("Invalid settings: " + "; ".join(problems) + ".")

    def _draws_problems(self) -> list[str]:
        """The problems of the draws' fields (and their weights kept as tuples of floats)."""
        problems = []
        if not (isinstance(self.draws, int) and self.draws >= 1):
            problems.append(f"draws must be a whole number of at least 1, not {self.draws!r}")
        if not 0 <= self.draws_robust_probability <= 1:
            problems.append(f"draws_robust_probability must be in [0, 1], not {self.draws_robust_probability!r}")
        if self.draws_crime_model not in ("poisson", "negative_binomial"):
            problems.append(
                f"draws_crime_model must be 'poisson' or 'negative_binomial', not {self.draws_crime_model!r}"
            )
        if not self.draws_crime_dispersion > 0:
            problems.append(f"draws_crime_dispersion must be positive, not {self.draws_crime_dispersion!r}")
        if not 0 <= self.draws_camera_omission <= 1:
            problems.append(f"draws_camera_omission must be in [0, 1], not {self.draws_camera_omission!r}")
        if not self.draws_unmapped_share >= 0:
            problems.append(f"draws_unmapped_share must be at least 0, not {self.draws_unmapped_share!r}")
        if not (isinstance(self.draws_directions, int) and self.draws_directions >= 1):
            problems.append(f"draws_directions must be a whole number of at least 1, not {self.draws_directions!r}")
        for name in ("draws_level_weights", "draws_lens_weights"):
            value = getattr(self, name)
            try:
                weights = tuple(float(w) for w in value)
            except (TypeError, ValueError):
                weights = ()
            if len(weights) != 3 or not all(w >= 0 for w in weights) or not weights[1] > 0:
                problems.append(f"{name} must be three weights of at least 0, the middle one positive, not {value!r}")
            else:
                object.__setattr__(self, name, weights)
        if not 0 <= self.draws_threshold_spread <= 0.5:
            problems.append(f"draws_threshold_spread must be in [0, 0.5], not {self.draws_threshold_spread!r}")
        if not self.draws_ratio_factor >= 1:
            problems.append(f"draws_ratio_factor must be at least 1, not {self.draws_ratio_factor!r}")
        if not self.draws_cell_m > 0:
            problems.append(f"draws_cell_m must be positive, not {self.draws_cell_m!r}")
        return problems

    @property
    def buffer_column(self) -> str:
        """The name of the column of cameras within ``buffer_m`` of a unit (``cameras_within_200m``).

        Examples
        --------
        >>> Settings().buffer_column, Settings(buffer_m=50).buffer_column
        ('cameras_within_200m', 'cameras_within_50m')
        """
        return f"cameras_within_{self.buffer_m:g}m"

    @property
    def group_measures(self) -> tuple[str, ...]:
        """The columns of units.csv that groups.csv averages over each group's residents, in order: the
        exposure measures, then the smoothed crime rate (the crime the group's units record, for context)."""
        return (
            "effective_cameras_per_1k",
            f"{self.buffer_column}_per_1k",
            "cameras_per_1k_residents",
            "covered_share",
            "cameras_per_km2",
            "crimes_per_1k_smoothed",
        )

    @property
    def group_headline(self) -> str:
        """The column of :attr:`group_measure` (the buffer's column for ``cameras_within_per_1k``)."""
        if self.group_measure == "cameras_within_per_1k":
            return f"{self.buffer_column}_per_1k"
        return self.group_measure

    @property
    def px_per_m(self) -> float:
        """Pixels per metre of the chosen detail level."""
        return DETAIL_LEVELS_PX_PER_M[self.detail_level]

    @property
    def second_range_factor(self) -> float | None:
        """The factor ``p1 / p2`` that turns a range at ``detail_level`` into one at ``second_detail_level``
        (range is inversely proportional to the pixel density); None without a second level.

        Examples
        --------
        >>> Settings().second_range_factor
        0.2
        """
        if self.second_detail_level is None:
            return None
        return self.px_per_m / DETAIL_LEVELS_PX_PER_M[self.second_detail_level]

    def replace(self, **changes: Any) -> Settings:
        """Return a copy with some fields changed (validated again); the command line's names
        (:data:`OPTION_NAMES`) are taken too."""
        return dataclasses.replace(self, **{OPTION_NAMES.get(k, k): v for k, v in changes.items()})

    def to_dict(self) -> dict[str, Any]:
        """The settings as a plain dictionary, for the manifest and the report."""
        return dataclasses.asdict(self)


#: The command line's names of the settings whose field names differ (``--fov`` is ``fixed_fov_deg``): each is
#: also a keyword of :class:`Settings` and of :meth:`Settings.replace`, so that a notebook says
#: ``Settings(fov=90, range=40)`` as the command says ``--fov 90 --range 40``. The field name stays the one
#: written in the manifest; giving both names of one setting is an error. The other options of the command line
#: have the names of :class:`Settings` fields (``--detail-level``, ``--unknown-direction``, ...), of
#: :class:`equity.study.Study` fields (``--unit-id``, ``--crime-columns``, ...) or of
#: :meth:`equity.result.StudyResult.write`'s parameters (``--force``, ``--map-assets``), as the README's "In a
#: notebook" lists them (tests/test_api.py checks that every option of ``analyze`` and ``demo`` has its name).
OPTION_NAMES = {
    "fov": "fixed_fov_deg",
    "range": "range_m",
    "second_level": "second_detail_level",
    "cell_size": "cell_size_m",
    "target_height": "target_height_m",
    "buffer": "buffer_m",
    "alpr_match": "alpr_match_m",
}


def _with_option_names(init: Any) -> Any:
    """The dataclass's ``__init__``, taking the command line's names (:data:`OPTION_NAMES`) as well."""
    import functools

    @functools.wraps(init)
    def init_with_option_names(self: Settings, *args: Any, **kwargs: Any) -> None:
        for option, name in OPTION_NAMES.items():
            if option in kwargs:
                if name in kwargs:
                    from equity._errors import InputError

                    msg = f"Settings: {option}= and {name}= are the same setting; give one of them."
                    raise InputError(msg)
                kwargs[name] = kwargs.pop(option)
        init(self, *args, **kwargs)

    return init_with_option_names


Settings.__init__ = _with_option_names(Settings.__init__)  # type: ignore[method-assign]
