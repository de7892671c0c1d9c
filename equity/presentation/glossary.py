"""The glossary of the report: every term the report uses, what it means, and its formula in words.

Each entry has a key (the anchor ``g-<key>`` that the terms in the text link to, see
:func:`equity.presentation.story.term`), the term, and its definition. Terms are named as their sources name
them: the detail levels as EN 62676-4 names them, the concentration index and the Gini coefficient as the
literature on inequality names them.
"""

from __future__ import annotations

from equity.presentation.formatting import esc
from equity.presentation.i18n import _


def entries() -> list[tuple[str, str, str]]:
    """The glossary as ``(key, term, definition)``, in the current language, in the order the report shows it."""
    return [
        (
            "unit",
            _("Unit"),
            _(
                "One of the areas the city is divided into for the study (a neighbourhood, a census tract). Every "
                "figure of the report is about units, never about one person or one home."
            ),
        ),
        (
            "coverage-share",
            _("Area in camera view; share of coverage"),
            _(
                "The ground that at least one camera sees at the chosen detail level (overlaps counted once). A "
                "unit's share of coverage is its area in view divided by the area in view of the whole city."
            ),
        ),
        (
            "own-area",
            _("Own area in view"),
            _(
                "The share of a unit's own open ground (outside buildings when buildings were given) that is in "
                "camera view: the unit's area in view divided by its open area."
            ),
        ),
        (
            "crime-share",
            _("Recorded crime; share of crime"),
            _(
                "The incidents the police recorded in the unit, counted once each. A unit's share of crime is its "
                "count divided by the city's count."
            ),
        ),
        (
            "gap",
            _("Gap (percentage points)"),
            _(
                "The unit's share of coverage minus its share of crime, times 100. A gap of −9.5 points means the "
                "unit has 9.5 percentage points less of the city's camera coverage than of its recorded crime; a "
                "positive gap, more coverage than crime."
            ),
        ),
        (
            "classes",
            _("High crime, low coverage; low crime, high coverage"),
            _(
                "The two classes of the story, by default. High crime, low coverage: the unit's share of crime is "
                "among the "
                "highest third of the units and its share of coverage is less than half of its share of crime. Low "
                "crime, high coverage: its share of crime is among the lowest third, its share of coverage more "
                "than twice its share of crime and at least the median unit's (the thresholds used are in Settings)."
            ),
        ),
        (
            "smoothed-rate",
            _("Smoothed rate (crimes per 1,000 residents)"),
            _(
                "Crimes per 1,000 residents, pulled toward the city's rate in proportion to how few residents a "
                "unit has (empirical Bayes): a unit of 300 residents does not top the ranking because of a few "
                "incidents."
            ),
        ),
        (
            "draws",
            _("Draws of the sources of error"),
            _(
                "The study computed again many times, each time with the uncertain inputs changed at random within "
                "their plausible range: crime counts, cameras missing from the map, unknown directions, detail "
                "level, lens and the thresholds of the classes."
            ),
        ),
        (
            "class-probability",
            _("Class probability; robustness"),
            _(
                "The share of the draws in which a unit falls in a class. A class is a finding, and the unit robust, "
                "when this probability is at least the threshold (0.9 by default); below it the unit is uncertain."
            ),
        ),
        (
            "concentration-index",
            _("Concentration index"),
            _(
                "With the units ranked by a measure of need (crimes per resident, or residents per km²) and weighted "
                "by their residents: one minus twice the area under the curve of the cumulative share of coverage "
                "(or cameras) against the cumulative share of residents. 0: coverage is spread in proportion to "
                "residents; above 0: it goes to the units ranked high; below 0: to those ranked low. Between −1 and 1."
            ),
        ),
        (
            "gini",
            _("Gini of cameras per resident"),
            _(
                "How unequally residents live with cameras: the mean difference of cameras per resident between "
                "every two residents, divided by twice the mean. 0: every resident has the same number of cameras "
                "per resident; toward 1: a few units have them all."
            ),
        ),
        (
            "spearman",
            _("Spearman's rank correlation"),
            _(
                "The correlation of the units' ranks by crimes per resident with their ranks by the share of their "
                "area in view: +1 the same order, −1 the reverse order, 0 no relation."
            ),
        ),
        (
            "bootstrap",
            _("95% interval (bootstrap over units)"),
            _(
                "The range in which the measure falls in 95% of 2,000 recomputations on the units drawn again with "
                "replacement: how much the measure rests on a few units, not a sampling error."
            ),
        ),
        (
            "clusters",
            _("Spatial clusters (local Moran's I)"),
            _(
                "Units whose crime rate goes with their neighbours' coverage more than chance would give: the "
                "product of a unit's standardised crime rate and the mean standardised coverage of its neighbours, "
                "tested against 999 random rearrangements."
            ),
        ),
        (
            "fdr",
            _("False discovery rate"),
            _(
                "When many units are tested at p < 0.05, about one in twenty is significant by chance. Keeping the "
                "false discovery rate at 0.05 (Benjamini and Hochberg) keeps the expected share of chance findings "
                "among those reported at 5%."
            ),
        ),
        (
            "detail-levels",
            _("Detection and recognition (EN 62676-4)"),
            _(
                "Levels of detail of the European standard for video surveillance, in pixels per metre of the "
                "scene: detection (25 px/m), a person can be seen to be present; recognition (125 px/m), a person "
                "known to the viewer can be recognised. A camera's range at a level is the distance at which its "
                "image still has that many pixels per metre: sensor width in pixels divided by twice the level's "
                "pixels per metre times the tangent of half the lens angle."
            ),
        ),
        (
            "alpr",
            _("Licence-plate reader (ALPR)"),
            _(
                "A camera that reads the number plates of passing vehicles and logs them. Its view is modelled as a "
                "short capture zone on the road, not as the view of a CCTV camera."
            ),
        ),
        (
            "field-of-view",
            _("Field of view; viewshed"),
            _(
                "The ground a camera sees: a sector centred on its direction, as wide as its lens and as long as its "
                "range at the chosen detail level; where buildings or a terrain model were given, the part of that "
                "sector in the line of sight (the viewshed)."
            ),
        ),
        (
            "quantile",
            _("Quantile"),
            _(
                "The value below which a given share of the units falls: the 0.667 quantile of the units' shares of "
                "crime is the share that two thirds of the units are at or below."
            ),
        ),
        (
            "effective-cameras",
            _("Effective cameras"),
            _(
                "Each camera shared among the units its field of view falls in, in proportion to the part of the "
                "view in each: a unit's effective cameras are the sum of those parts."
            ),
        ),
        (
            "need-gap",
            _("Need-weighted gap"),
            _(
                "The share of coverage minus the share of need, where need is a weighted mean of the share of "
                "crime and the share of residents (the weight is in Settings)."
            ),
        ),
        (
            "anomaly",
            _("Anomaly score"),
            _(
                "The mean of a camera's ranks among the city's cameras, each between 0 and 1, for how isolated it "
                "is, how little crime (or how few residents) lies around it and how much of its view is private "
                "residential land. A camera is flagged from the threshold in Settings."
            ),
        ),
        (
            "intrusion",
            _("Intrusion score"),
            _(
                "The share of private residential land in the part of a camera's view that is private residential "
                "land or public space: private area divided by private plus public area. It is about the camera; no "
                "home is named."
            ),
        ),
        (
            "road-logged",
            _("Road logged"),
            _(
                "A road segment (from one intersection to the next) on which a licence-plate reader logs the vehicles "
                "that pass in at least one direction. A unit's share of roads logged is the length of its roads on "
                "logged segments divided by the length of all its roads."
            ),
        ),
        (
            "entrance",
            _("Entrance"),
            _(
                "A road segment that a car may travel into a unit: one end inside the unit, the other outside. It is "
                "logged inward when a plate reader on it logs the vehicles driving in."
            ),
        ),
        (
            "cordoned",
            _("Cordoned"),
            _(
                "A unit every road entrance of which is logged inward by a plate reader: no car enters it by road "
                "without being logged."
            ),
        ),
        (
            "ecological",
            _("Ecological fallacy"),
            _(
                "Reading a figure about an area as a figure about the people in it. A unit's rate says nothing of "
                "any one resident."
            ),
        ),
        (
            "maup",
            _("Modifiable areal unit problem"),
            _(
                "Measures computed over areas change with the areas chosen: other boundaries, or finer units, can "
                "give other classes and other city-level measures."
            ),
        ),
    ]


def glossary_section() -> list[str]:
    """The glossary as a section of the report: a definition list, each term with its anchor."""
    items = "".join(f"<dt id='g-{key}'>{esc(name)}</dt><dd>{esc(text)}</dd>" for key, name, text in entries())
    return ["<h2 id='glossary'>" + esc(_("Glossary")) + f"</h2><dl class='glossary'>{items}</dl>"]
