"""The output columns of an analysis, one record each: what the column is called in a table header or a tooltip,
its unit, how it is shown, and what it holds, with the formula where there is one.

The tables are those of the analysis folder: ``units.csv`` (and ``units.gpkg``), ``cameras.csv`` (and
``cameras.gpkg``), ``operators.csv``, ``operators_by_unit.csv`` and, with groups of residents, ``groups.csv`` and
``group_ratios.csv``. The records are read by the documentation of
the columns (``docs/columns.md``, the text of :func:`markdown`, written by ``python -m equity.columns >
docs/columns.md``), by the report's table of the units, by the map's unit tooltips and by the command line's
summary (their labels and formats).

A new output column is added in one place: computed by the module of its concept, it gets its record in the
tuple of its table below (:data:`UNITS`, :data:`CAMERAS`, :data:`OPERATORS` or :data:`OPERATORS_BY_UNIT`), in
the order the table writes it, and ``docs/columns.md`` is written again. ``tests/test_columns.py`` fails when an
output table has a column without a record here, and when ``docs/columns.md`` differs from :func:`markdown`.

This module holds words only: it computes nothing and imports nothing of equity.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

#: How a column's values are shown: ``text`` as they are; ``class`` as the class's plain-language label;
#: ``integer`` whole with thousands separators; ``decimal`` with :attr:`Column.digits` decimals; ``percent`` a
#: share ``v`` as ``100 v`` % (one decimal, two for small shares); ``points`` a difference of two shares in
#: percentage points, ``100 d``, signed with two decimals; ``boolean`` as yes or no.
Format = Literal["text", "class", "integer", "decimal", "percent", "points", "boolean"]


@dataclass(frozen=True)
class Column:
    """One output column.

    Attributes
    ----------
    name : str
        The column's name in the file.
    label : str
        A short name for a table header or a tooltip.
    unit : str
        What its numbers count or measure (km², %, per 1,000 residents, count, ...); empty for text.
    format : Format
        How it is shown (see :data:`Format`).
    description : str
        One sentence on what it holds, with the formula where there is one.
    digits : int
        Decimals of the ``decimal`` format.
    """

    name: str
    label: str
    unit: str
    format: Format
    description: str
    digits: int = 1


def _c(name: str, label: str, unit: str, fmt: Format, description: str, digits: int = 1) -> Column:
    return Column(name, label, unit, fmt, description, digits)


#: The detail levels of EN 62676-4 and their pixel densities, as words (the numbers are
#: ``equity.settings.DETAIL_LEVELS_PX_PER_M``): each can be a study's second level, with its own columns.
_SECOND_LEVELS = (
    ("inspection", "1,000"),
    ("identification", "250"),
    ("recognition", "125"),
    ("observation", "62.5"),
    ("detection", "25"),
    ("monitor", "12.5"),
)


#: The columns of ``units.csv``, one row per unit of analysis (symbols as in the report's methodology: ``C_u``
#: cameras, ``A_u`` area, ``P_u`` residents, ``K_u`` crimes, ``V_u`` area in view, ``O_u`` open area of unit u).
UNITS: tuple[Column, ...] = (
    _c("unit_id", "Unit", "", "text", "The unit's id, from the id column of the unit layer."),
    _c("area_km2", "Area", "km²", "decimal", "The unit's area, A_u.", 3),
    _c(
        "cameras",
        "Cameras",
        "count",
        "integer",
        "Cameras standing in the unit, C_u, each counted once: area cameras and licence-plate readers; objects "
        "that are not cameras (guards, gunshot detectors, dummy cameras) are not counted (rejected.csv).",
    ),
    _c("cameras_cctv", "Area cameras", "count", "integer", "The unit's cameras that are not licence-plate readers."),
    _c(
        "cameras_alpr",
        "Plate readers",
        "count",
        "integer",
        "The unit's licence-plate readers (surveillance:type=ALPR or ANPR), modelled by their capture zone.",
    ),
    _c("cameras_per_km2", "Cameras per km²", "per km²", "decimal", "Cameras per km², C_u / A_u."),
    _c(
        "population",
        "Residents",
        "residents",
        "integer",
        "Residents, P_u: a column of the unit layer, or interpolated by area from another polygon layer, "
        "P_u = Σ_s P_s · area(s ∩ u) / area(s ∩ U); empty when unknown.",
    ),
    _c(
        "cameras_per_1k_residents",
        "Cameras per 1,000 residents",
        "per 1,000 residents",
        "decimal",
        "Cameras per 1,000 residents, 1000 C_u / P_u; empty when the unit has no residents.",
        2,
    ),
    _c("crimes", "Crimes", "incidents", "integer", "Recorded incidents in the unit, K_u; empty without crime data."),
    _c(
        "crimes_per_1k",
        "Crimes per 1,000",
        "per 1,000 residents",
        "decimal",
        "Crimes per 1,000 residents, 1000 K_u / P_u (raw; unstable where few live: see small_population).",
    ),
    _c(
        "crimes_per_1k_smoothed",
        "Crimes per 1,000 (smoothed)",
        "per 1,000 residents",
        "decimal",
        "Empirical-Bayes smoothed crimes per 1,000 residents, 1000 (w_u r_u + (1 - w_u) m) with w_u = s2 / (s2 + "
        "m / P_u) and s2 truncated at 0 (Marshall 1991): the rate every ranking by crime rate uses.",
    ),
    _c(
        "small_population",
        "Few residents",
        "",
        "boolean",
        "Whether the unit has fewer residents than the settings' small_population (1,000 by default): its raw "
        "rate moves by more than 1 per 1,000 with each incident.",
    ),
    _c(
        "cameras_per_100_crimes",
        "Cameras per 100 crimes",
        "per 100 incidents",
        "decimal",
        "Cameras per 100 recorded incidents, 100 C_u / K_u.",
    ),
    _c(
        "covered_km2",
        "Area in view (km²)",
        "km²",
        "decimal",
        "Area in view, V_u: the unit's open area seen by at least one camera, overlaps counted once.",
        3,
    ),
    _c(
        "open_km2",
        "Open area",
        "km²",
        "decimal",
        "Open area, O_u: the unit's area outside buildings when buildings are given, else its whole area.",
        3,
    ),
    _c(
        "covered_share",
        "Own area in view",
        "%",
        "percent",
        "Share of the unit's open area in view at the study's detail level (by default detection, 25 px/m, EN "
        "62676-4), V_u / O_u.",
    ),
    *(
        column
        for level, px in _SECOND_LEVELS
        for column in (
            _c(
                f"covered_km2_{level}",
                f"Area in view ({level})",
                "km²",
                "decimal",
                f"Open area of the unit in view at the {level} level of EN 62676-4 ({px} px/m), when it is the "
                "study's second detail level, V2_u.",
                digits=3,
            ),
            _c(
                f"covered_share_{level}",
                f"Own area in view ({level})",
                "%",
                "percent",
                f"Share of the unit's open area in view at the {level} level ({px} px/m), V2_u / O_u.",
            ),
        )
    ),
    _c(
        "street_km", "Streets", "km", "decimal", "Length of the street network in the unit, S_u; empty without streets."
    ),
    _c(
        "street_covered_share",
        "Streets in view",
        "%",
        "percent",
        "Share of the unit's street length in a camera's view, S_u^view / S_u.",
    ),
    _c(
        "crimes_in_view",
        "Crimes in view",
        "incidents",
        "integer",
        "Incidents of the unit at a place in a camera's view, K_u^view.",
    ),
    _c(
        "crimes_in_view_share",
        "Share of crimes in view",
        "%",
        "percent",
        "Share of the unit's incidents in a camera's view, K_u^view / K_u.",
    ),
    _c(
        "crime_share",
        "Share of crime",
        "%",
        "percent",
        "The unit's share of the city's recorded crime, K_u / ΣK, over the units whose crime is known.",
    ),
    _c(
        "coverage_share",
        "Share of coverage",
        "%",
        "percent",
        "The unit's share of all the area in view, V_u / ΣV, over the same units as crime_share.",
    ),
    _c(
        "gap",
        "Gap (points)",
        "percentage points",
        "points",
        "coverage_share − crime_share: negative when the unit gets less of the city's coverage than its share of "
        "crime.",
    ),
    _c(
        "class",
        "Class",
        "",
        "class",
        "under_covered (high crime, low coverage), over_covered (low crime, high coverage), other (neither) or "
        "no_data, by the quantiles and ratios of the settings (see the report's methodology).",
    ),
    _c(
        "homes",
        "Homes",
        "count",
        "integer",
        "Buildings of a residential type whose centre lies in the unit (with buildings).",
    ),
    _c(
        "probable_homes",
        "Probable homes",
        "count",
        "integer",
        "Buildings of unspecified type in residential land use, counted apart from homes (with buildings).",
    ),
    _c(
        "homes_in_view",
        "Homes in view",
        "count",
        "integer",
        "Homes seen by at least one camera at a window's height along one of their façades (with buildings).",
    ),
    _c(
        "probable_homes_in_view",
        "Probable homes in view",
        "count",
        "integer",
        "Probable homes seen by at least one camera (with buildings).",
    ),
    _c("homes_in_view_share", "Share of homes in view", "%", "percent", "homes_in_view / homes (with buildings)."),
    _c(
        "need_share",
        "Share of need",
        "%",
        "percent",
        "The unit's share of need, a · crime_share + (1 − a) · population_share with a = need_crime_weight.",
    ),
    _c("need_gap", "Gap to need (points)", "percentage points", "points", "coverage_share − need_share."),
    _c("need_rank", "Rank of the gap to need", "rank", "integer", "Rank of need_gap, 1 the largest shortfall."),
    _c(
        "elevation_m",
        "Mean elevation",
        "m",
        "decimal",
        "Mean elevation of the unit's terrain cells with an elevation (cells of terrain_cell_m whose centre lies "
        "in the unit), z̄(u) = Σ z_c / #{c ∈ u : z_c known}; empty when the DEM covers less than "
        "terrain_min_covered_share of them (with a DEM).",
    ),
    _c(
        "slope_pct",
        "Mean slope",
        "%",
        "decimal",
        "Mean slope of the unit's cells, 100 √((dz/dx)² + (dz/dy)²) by central differences, over the cells whose "
        "slope is known; empty when the DEM covers less than terrain_min_covered_share of them (with a DEM).",
    ),
    _c(
        "terrain",
        "Terrain",
        "",
        "text",
        "hillside when the mean slope is at least hillside_slope_pct, else flat; no elevation data when the DEM "
        "covers less than terrain_min_covered_share of the unit's cells (with a DEM).",
    ),
    _c(
        "elevation_covered_share",
        "Area with elevation data",
        "%",
        "percent",
        "Share of the unit's terrain cells that have an elevation from the DEM, #{c ∈ u : z_c known} / #{c ∈ u}; "
        "the terrain columns are computed from those cells only, and only when the share is at least "
        "terrain_min_covered_share; empty for a unit that holds no cell centre (with a DEM).",
    ),
    _c(
        "cluster",
        "Cluster",
        "",
        "text",
        "Bivariate local Moran's I of crimes_per_1k_smoothed against the neighbours' covered_share (queen "
        "contiguity, 999 permutations, p < 0.05): the quadrant, not significant, or no data.",
    ),
    _c(
        "cluster_fdr",
        "Cluster (FDR)",
        "",
        "text",
        "The cluster when it holds with the false discovery rate over all the units' tests kept at 0.05 "
        "(Benjamini-Hochberg, esda's fdr): the quadrant, not significant, or no data.",
    ),
    _c(
        "effective_cameras",
        "Effective cameras",
        "count",
        "decimal",
        "Effective cameras, E_u = Σ_v |F_v ∩ u| / |F_v|: each camera view's share of its field of view F_v that lies "
        "in the unit (a view whose disc is half in the unit counts 0.5); views that count toward no coverage "
        "count nowhere.",
        2,
    ),
    _c(
        "effective_cameras_per_1k",
        "Effective cameras per 1,000 residents",
        "per 1,000 residents",
        "decimal",
        "1000 E_u / P_u; empty when the unit has per_capita_min_residents (250) residents or fewer.",
        2,
    ),
    _c(
        "cameras_within_200m",
        "Cameras within 200 m",
        "count",
        "integer",
        "Cameras inside the unit or within buffer_m (200 m, --buffer; the number in the column's name) of its "
        "boundary, each counted once, W_u = #{c : d(c, u) ≤ b}.",
    ),
    _c(
        "cameras_within_200m_per_1k",
        "Cameras within 200 m per 1,000 residents",
        "per 1,000 residents",
        "decimal",
        "1000 W_u / P_u; empty when the unit has per_capita_min_residents (250) residents or fewer.",
        2,
    ),
    _c(
        "data_gaps",
        "Missing data",
        "",
        "text",
        "What is unknown about the unit, in words (no crime data, no population data, no residents, outside the "
        "area of the camera data); empty when nothing is.",
    ),
    _c(
        "road_m",
        "Road length",
        "m",
        "decimal",
        "Length of the street segments a car may use inside the unit, L_u = Σ_e ‖e ∩ u‖ (with --streets; the "
        "segments of the street graph, equity.network).",
        0,
    ),
    _c(
        "roads_logged_m",
        "Road length logged",
        "m",
        "decimal",
        "Part of road_m on segments where a licence-plate reader logs vehicles in at least one direction, "
        "L_logged,u (a reader matched to the segment within alpr_match_m; equity.roads).",
        0,
    ),
    _c(
        "roads_logged_share",
        "Share of roads logged",
        "%",
        "percent",
        "roads_logged_m / road_m; empty when the unit has no road.",
    ),
    _c(
        "roads_logged_share_by_class",
        "Share of roads logged, by class",
        "%",
        "percent",
        "Σ_c w_c L_logged,u,c / Σ_c w_c L_u,c with the weights of equity.roads.CLASS_WEIGHTS by the segments' "
        "highway class; empty when the street layer has no classes.",
    ),
    _c(
        "entrances",
        "Road entrances",
        "count",
        "integer",
        "Street segments a car may travel into the unit with one end inside it (inside the unit shrunk by "
        "cordon_tolerance_m) and the other not: the ways into the unit by road (a one-way segment leading only out "
        "is none).",
    ),
    _c(
        "entrances_logged",
        "Entrances logged inward",
        "count",
        "integer",
        "Entrances where a licence-plate reader on the segment logs vehicles travelling into the unit.",
    ),
    _c(
        "exits_logged",
        "Exits logged outward",
        "count",
        "integer",
        "Crossings a car may travel out of the unit where a licence-plate reader on the segment logs vehicles "
        "travelling out.",
    ),
    _c(
        "cordoned",
        "Cordoned",
        "",
        "boolean",
        "Whether every entrance is logged inward (entrances_logged = entrances > 0): no car enters the unit by "
        "road without being logged; empty when the unit has no entrance.",
    ),
    _c(
        "cameras_public",
        "Public cameras",
        "count",
        "integer",
        "Cameras in the unit tagged surveillance=public (or the deprecated traffic).",
    ),
    _c(
        "cameras_outdoor",
        "Private outdoor cameras",
        "count",
        "integer",
        "Cameras in the unit tagged surveillance=outdoor.",
    ),
    _c("cameras_indoor", "Indoor cameras", "count", "integer", "Cameras in the unit tagged surveillance=indoor."),
    _c(
        "cameras_unknown",
        "Cameras of unknown ownership",
        "count",
        "integer",
        "Cameras in the unit without a surveillance tag.",
    ),
    _c(
        "p_under_covered",
        "P(high crime, low coverage)",
        "probability",
        "decimal",
        "Share of the uncertainty draws (Settings.draws) in which the unit is under_covered: crime counts drawn "
        "around the recorded ones, cameras left out and unmapped ones added, unknown directions drawn, detail "
        "level, lens and class thresholds drawn (equity.uncertainty); absent without the sensitivity runs.",
        3,
    ),
    _c(
        "p_over_covered",
        "P(low crime, high coverage)",
        "probability",
        "decimal",
        "Share of the uncertainty draws in which the unit is over_covered; absent without the sensitivity runs.",
        3,
    ),
    _c(
        "p_class",
        "P(class)",
        "probability",
        "decimal",
        "Share of the uncertainty draws in which the unit has the class of the class column; absent without the "
        "sensitivity runs.",
        3,
    ),
    _c(
        "robustness",
        "Robustness",
        "",
        "text",
        "robust when p_class >= Settings.draws_robust_probability (0.9), else uncertain: an uncertain class is "
        "not reported as a finding; absent without the sensitivity runs.",
    ),
)

#: The columns of ``cameras.csv``, one row per camera view (a camera with two tagged directions has two).
CAMERAS: tuple[Column, ...] = (
    _c("view_id", "View", "", "text", "The view's id: the camera's id, with #i for the i-th of several views."),
    _c("camera_id", "Camera", "", "text", "The camera's id in its source (node/123 for OpenStreetMap)."),
    _c("view", "View number", "index", "integer", "The view's number among the camera's views, from 0."),
    _c("kind", "Kind", "", "text", "camera, ALPR, guard or gunshot_detector, from surveillance:type."),
    _c("ownership", "Ownership", "", "text", "public, outdoor, indoor or unknown, from surveillance."),
    _c("camera_type", "Type", "", "text", "fixed, dome or panning, from camera:type."),
    _c("mount", "Mount", "", "text", "camera:mount as tagged (wall, pole, ceiling, ...)."),
    _c("zone", "Zone", "", "text", "surveillance:zone as tagged (traffic, parking, town, ...)."),
    _c("operator", "Operator", "", "text", "operator as tagged."),
    _c("name", "Name", "", "text", "name as tagged."),
    _c(
        "direction_deg",
        "Direction",
        "degrees",
        "decimal",
        "The centre of the view in degrees clockwise from true north; empty for a view all around.",
        0,
    ),
    _c("fov_deg", "Field of view", "degrees", "decimal", "The view's width in degrees (360 all around).", 0),
    _c(
        "height_m",
        "Height",
        "m",
        "decimal",
        "Mounting height above the ground: tagged, else by mount, else the default of the settings.",
    ),
    _c("height_source", "Height is", "", "text", "Where height_m comes from: tagged, mount or default."),
    _c(
        "tilt_deg",
        "Tilt",
        "degrees",
        "decimal",
        "Degrees below the horizon, from camera:angle (0 horizontal, 90 straight down), else minus camera:tilt.",
        0,
    ),
    _c(
        "range_m",
        "Range",
        "m",
        "decimal",
        "The distance at which the camera still resolves the level of detail, d = P / (2 p tan(min(f, f_cap)/2)).",
        0,
    ),
    _c(
        "direction_source",
        "Direction is",
        "",
        "text",
        "tagged, default (a dome or panning camera seeing all around) or unknown.",
    ),
    _c(
        "confidence",
        "Confidence",
        "",
        "text",
        "high for a tagged or all-around view, low for a disc drawn for want of a direction, none when not drawn.",
    ),
    _c("in_coverage", "Counts toward coverage", "", "boolean", "Whether the view counts toward the coverage."),
    _c("excluded_reason", "Excluded because", "", "text", "Why the view does not count, when it does not."),
    _c("issues", "Tag problems", "", "text", "The tags that could not be read, with their raw values."),
    _c("tags", "Tags", "", "text", "All the camera's tags, as JSON."),
    _c("unit_id", "Unit", "", "text", "The unit the camera stands in; empty outside the units."),
    _c("visible_m2", "Area seen", "m²", "decimal", "Area of the cells the view sees on the surface model.", 0),
    _c(
        "observer_status",
        "Observer",
        "",
        "text",
        "Where the viewshed was computed from: ok; moved off a building (a wall camera whose point fell in its "
        "footprint); inside a building (not computed); outside surface; no ground height; or not in coverage.",
    ),
    _c(
        "homes_in_view",
        "Homes in view",
        "count",
        "integer",
        "Homes the view sees at a window's height along a façade (with buildings).",
    ),
    _c(
        "probable_homes_in_view",
        "Probable homes in view",
        "count",
        "integer",
        "Probable homes the view sees (with buildings).",
    ),
    _c("private_m2", "Private land in view", "m²", "decimal", "Private residential land in the view, P.", 0),
    _c(
        "public_m2",
        "Public space in view",
        "m²",
        "decimal",
        "Public space (streets, squares, parks) in the view, Q.",
        0,
    ),
    _c("other_m2", "Other land in view", "m²", "decimal", "Land in the view that is neither P nor Q.", 0),
    _c(
        "intrusion_score",
        "Intrusion score",
        "share",
        "decimal",
        "I = P / (P + Q): the share of private residential land in the private and public land in view.",
        2,
    ),
    _c(
        "looks_into_homes",
        "Looks into homes",
        "",
        "boolean",
        "Whether I ≥ homes_flag_share and the view sees at least one home.",
    ),
    _c(
        "operator_normalised",
        "Operator (normalised)",
        "",
        "text",
        "The operator, the same for the names that share an operator:wikidata id or are equal up to case and "
        "spacing; unknown without an operator tag.",
    ),
    _c(
        "nearest_camera_m",
        "Nearest other camera",
        "m",
        "decimal",
        "Distance to the nearest other camera at another place in the camera data, d.",
        0,
    ),
    _c(
        "nearest_disc_covered_share",
        "Camera data around",
        "share",
        "decimal",
        "c_d: the share of the disc of radius d around the camera inside the area the camera data covers (the "
        "camera file's bounds when known, else the units).",
        3,
    ),
    _c(
        "nearest_camera_effective_m",
        "Isolation distance",
        "m",
        "decimal",
        "d' = d √c_d, the radius of a whole disc of the same area known to hold no other camera; empty (unknown) "
        "when c_d < anomaly_min_covered_share.",
        0,
    ),
    _c(
        "isolation_score",
        "Isolation score",
        "share",
        "decimal",
        "s_iso = F(d'): the mid-rank of d' among the cameras where it is known, F(x) = (#{x_j < x} + ½ #{x_j = x}) "
        "/ n.",
        2,
    ),
    _c(
        "incidents_nearby",
        "Incidents nearby",
        "incidents",
        "integer",
        "k: the incidents in the crime data within anomaly_radius_m of the camera; empty without crime data and "
        "where c < anomaly_min_covered_share (unknown, not 0).",
    ),
    _c(
        "incidents_nearby_corrected",
        "Incidents nearby (whole disc)",
        "incidents",
        "decimal",
        "k / c: the incidents nearby at the same rate over the whole disc; empty where k is.",
    ),
    _c(
        "residents_nearby",
        "Residents nearby",
        "residents",
        "decimal",
        "R = Σ_j P_j |D ∩ S_j| / |S_j|: the residents within anomaly_radius_m of the camera, by area from the "
        "population polygons S_j whose population P_j is known; only without crime data, empty where "
        "c < anomaly_min_covered_share.",
        0,
    ),
    _c(
        "residents_nearby_corrected",
        "Residents nearby (whole disc)",
        "residents",
        "decimal",
        "R / c: the residents nearby at the same density over the whole disc; empty where R is.",
        0,
    ),
    _c(
        "need_disc_covered_share",
        "Need data around",
        "share",
        "decimal",
        "c: the share of the disc of radius anomaly_radius_m around the camera inside the area the crime data "
        "covers (the units), or, without crime data, covered by population polygons with a known population.",
        3,
    ),
    _c(
        "need_basis",
        "Need from",
        "",
        "text",
        "What need_score ranks: incidents within the radius, residents within the radius, or unknown.",
    ),
    _c(
        "need_score",
        "Low-need score",
        "share",
        "decimal",
        "s_need = 1 − F(k / c): one minus the mid-rank of the corrected incidents nearby (of R / c without crime "
        "data) among the cameras where it is known.",
        2,
    ),
    _c(
        "intrusion_largest",
        "Largest intrusion score",
        "share",
        "decimal",
        "I: the camera's largest intrusion score over its views; empty without buildings.",
        2,
    ),
    _c(
        "intrusion_component",
        "Intrusion component",
        "share",
        "decimal",
        "s_int = F(I): the mid-rank of I among the cameras where it is known.",
        2,
    ),
    _c(
        "anomaly_score",
        "Anomaly score",
        "share",
        "decimal",
        "A = mean(s_iso, s_need, s_int) over the known components; empty with fewer than anomaly_min_components known.",
        2,
    ),
    _c("anomaly_components", "Components", "count", "integer", "How many of the three components are known."),
    _c(
        "anomaly_rank",
        "Anomaly rank",
        "rank",
        "integer",
        "Rank of the anomaly score, 1 the highest; empty without one.",
    ),
    _c("anomaly_flag", "Flagged", "", "boolean", "Whether A ≥ anomaly_flag_score."),
    _c(
        "anomaly_explanation",
        "Why",
        "",
        "text",
        "One sentence on why a flagged camera is flagged: distances, counts and shares around the camera itself.",
    ),
    _c("lon", "Longitude", "degrees", "decimal", "The camera's longitude (WGS84).", 7),
    _c("lat", "Latitude", "degrees", "decimal", "The camera's latitude (WGS84).", 7),
    _c(
        "anomaly_flag_robustness",
        "Flag holds",
        "",
        "text",
        "robust when the flag holds with half and twice the radius and a threshold 0.05 higher, else fragile; "
        "empty when not flagged.",
    ),
)

#: The columns of ``operators.csv``, one row per operator, city-wide.
OPERATORS: tuple[Column, ...] = (
    _c("operator", "Operator", "", "text", "The normalised operator (see operator_normalised of cameras.csv)."),
    _c("cameras", "Cameras", "count", "integer", "The operator's cameras."),
    _c("views", "Views", "count", "integer", "The operator's camera views."),
    _c(
        "covered_km2",
        "Area in view (km²)",
        "km²",
        "decimal",
        "Area in view of the operator's cameras, A(o) = |∪_{v ∈ o} F_v|, overlaps counted once.",
        3,
    ),
    _c("public", "Public", "count", "integer", "The operator's cameras tagged surveillance=public."),
    _c("outdoor", "Private outdoor", "count", "integer", "The operator's cameras tagged surveillance=outdoor."),
    _c("indoor", "Indoor", "count", "integer", "The operator's cameras tagged surveillance=indoor."),
    _c("unknown_ownership", "Unknown", "count", "integer", "The operator's cameras without a surveillance tag."),
    _c(
        "share_looking_into_homes",
        "Looking mostly into homes",
        "%",
        "percent",
        "Share of the operator's cameras with a view that looks into homes (with buildings).",
    ),
)

#: The columns of ``operators_by_unit.csv``, one row per unit and operator with a camera or a view in it.
OPERATORS_BY_UNIT: tuple[Column, ...] = (
    _c("unit_id", "Unit", "", "text", "The unit."),
    _c("operator", "Operator", "", "text", "The normalised operator."),
    _c("cameras", "Cameras", "count", "integer", "The operator's cameras standing in the unit."),
    _c(
        "covered_km2",
        "Area in view (km²)",
        "km²",
        "decimal",
        "Area of the unit in view of the operator's cameras, |u ∩ ∪_{v ∈ o} F_v|.",
        3,
    ),
)

#: The measures groups.csv averages over each group's residents (``Settings.group_measures``, with the default
#: buffer's name), with their labels and units.
_GROUP_MEASURES = (
    ("effective_cameras_per_1k", "Effective cameras per 1,000 residents", "per 1,000 residents", 3),
    ("cameras_within_200m_per_1k", "Cameras within 200 m per 1,000 residents", "per 1,000 residents", 3),
    ("cameras_per_1k_residents", "Cameras per 1,000 residents", "per 1,000 residents", 3),
    ("covered_share", "Share in view", "share", 4),
    ("cameras_per_km2", "Cameras per km²", "per km²", 2),
    ("crimes_per_1k_smoothed", "Crimes per 1,000 (smoothed)", "per 1,000 residents", 1),
)


def _group_columns() -> tuple[Column, ...]:
    out = []
    for name, label, unit, digits in _GROUP_MEASURES:
        out += [
            _c(
                name,
                label,
                unit,
                "decimal",
                f"The group's mean of units.csv's {name} over the units, weighted by the group's residents in each: "
                "Σ_u g_u x_u / Σ_u g_u (what a member of the group lives with, on average).",
                digits,
            ),
            _c(f"{name}_low", f"{label}: low", unit, "decimal", "Lower end of the 95% bootstrap interval.", digits),
            _c(f"{name}_high", f"{label}: high", unit, "decimal", "Upper end of the 95% bootstrap interval.", digits),
            _c(
                f"{name}_ratio",
                f"{label}: ratio to all residents",
                "ratio",
                "decimal",
                f"The group's mean of {name} divided by that of all residents over the same units.",
                2,
            ),
            _c(f"{name}_ratio_low", f"{label}: ratio, low", "ratio", "decimal", "Lower end of its interval.", 2),
            _c(f"{name}_ratio_high", f"{label}: ratio, high", "ratio", "decimal", "Upper end of its interval.", 2),
        ]
    return tuple(out)


#: The columns of ``groups.csv``, one row per group of residents (``--groups``) with at least
#: ``group_min_population`` residents, after a first row of all residents. ``g_u``: the group's residents in unit
#: u. Intervals: percentile intervals of a seeded bootstrap over the units (units treated as a sample).
GROUPS: tuple[Column, ...] = (
    _c("group", "Group", "", "text", "The group's name as given to --groups; the first row is all residents."),
    _c(
        "definition",
        "Counted as",
        "",
        "text",
        "The column that counts the group (COLUMN), or a percentage column of a total (COLUMN%TOTAL: "
        "g_u = COLUMN / 100 · TOTAL).",
    ),
    _c("population", "Residents", "residents", "integer", "The group's residents in the study area, Σ_u g_u."),
    _c(
        "population_share",
        "Share of residents",
        "%",
        "percent",
        "Σ_u g_u / Σ_u P_u over the units with residents; groups may overlap (race and ethnicity).",
    ),
    *_group_columns(),
)

#: The columns of ``group_ratios.csv``, one row per ordered pair of reported groups and measure of groups.csv.
GROUP_RATIOS: tuple[Column, ...] = (
    _c("group", "Group", "", "text", "The group whose mean is the numerator."),
    _c("other", "Compared with", "", "text", "The group whose mean is the denominator."),
    _c("measure", "Measure", "", "text", "The measure (a column of units.csv averaged in groups.csv)."),
    _c("ratio", "Ratio", "ratio", "decimal", "The group's mean of the measure divided by the other group's.", 2),
    _c("ratio_low", "Ratio: low", "ratio", "decimal", "Lower end of the ratio's 95% bootstrap interval.", 2),
    _c("ratio_high", "Ratio: high", "ratio", "decimal", "Upper end of the ratio's 95% bootstrap interval.", 2),
)

#: Each output table's columns by file name.
TABLES: dict[str, tuple[Column, ...]] = {
    "units.csv": UNITS,
    "cameras.csv": CAMERAS,
    "operators.csv": OPERATORS,
    "operators_by_unit.csv": OPERATORS_BY_UNIT,
    "groups.csv": GROUPS,
    "group_ratios.csv": GROUP_RATIOS,
}

_BUFFER_RE = re.compile(r"cameras_within_[0-9.]+m")


def column(name: str, table: str = "units.csv") -> Column:
    """The record of the column ``name`` of ``table``.

    Raises
    ------
    KeyError
        When the table has no such column.

    Examples
    --------
    >>> column("gap").label
    'Gap (points)'
    """
    for record in TABLES[table]:
        if record.name == name:
            return record
    if _BUFFER_RE.match(name) and not name.startswith("cameras_within_200m"):
        # a study's own buffer: the record of the default's, with its distance
        base = column(_BUFFER_RE.sub("cameras_within_200m", name, count=1), table)
        distance = _BUFFER_RE.match(name).group(0)[len("cameras_within_") : -1]
        return Column(
            name,
            base.label.replace("200 m", f"{distance} m"),
            base.unit,
            base.format,
            base.description.replace("(200 m, --buffer;", "(--buffer;"),
            base.digits,
        )
    msg = f"{table} has no column {name!r}"
    raise KeyError(msg)


def markdown() -> str:
    """The documentation of every output column, as the Markdown of ``docs/columns.md``."""

    def cell(text: str) -> str:
        return text.replace("|", "\\|")

    lines = [
        "# Output columns",
        "",
        "The columns of the tables of an analysis folder. Generated from `equity/columns.py` by",
        "`python -m equity.columns > docs/columns.md`; do not edit by hand (a test compares the two).",
    ]
    for table, records in TABLES.items():
        lines += [
            "",
            f"## {table}",
            "",
            "| column | label | unit | shown as | description |",
            "| --- | --- | --- | --- | --- |",
        ]
        for c in records:
            shown = f"{c.digits} decimal{'' if c.digits == 1 else 's'}" if c.format == "decimal" else c.format
            lines.append(f"| `{c.name}` | {cell(c.label)} | {cell(c.unit)} | {shown} | {cell(c.description)} |")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":  # pragma: no cover - writes the documentation to stdout
    print(markdown(), end="")
