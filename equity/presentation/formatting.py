"""How the map, the report and the command line show a value: HTML escaping, number formats, the value of an
output column in the format its record gives (:func:`show`, :mod:`equity.columns`), palettes and the gap's colour
scale, in one copy.

Nothing here computes a measure: a share arrives as a share and leaves as text (``0.0859 -> "8.6%"``), a gap
arrives as a difference of shares and leaves in percentage points (``-0.0951 -> "-9.51"``). Missing values
(None, NaN) are shown as ``n/a`` for numbers and as an empty string for text, never as zero.

Numbers follow the language of the block being written (:func:`equity.presentation.i18n.use`): ``1,234.5`` in
English, ``1.234,5`` in Spanish and German, ``1 234,5`` in French, through :func:`equity.presentation.i18n.number`
(Babel, CLDR). A float is handed to Babel as its exact binary value (:class:`decimal.Decimal` of the float), so it
is rounded half to even on that value as Python's own ``format`` rounds it: the same figure in every language.
"""

from __future__ import annotations

import functools
import html
import math
from decimal import Decimal
from typing import Any

import numpy as np
import pandas as pd

from equity.columns import Column
from equity.metrics import CLASS_LABELS
from equity.presentation import i18n

#: Fill colour of a camera by kind.
KIND_COLOURS = {"camera": "#1f78b4", "ALPR": "#e66101", "guard": "#6a3d9a", "gunshot_detector": "#33a02c"}
#: Outline colour of a field of view by ownership.
OWNERSHIP_COLOURS = {"public": "#b2182b", "outdoor": "#4d4d4d", "indoor": "#878787", "unknown": "#999999"}
#: Outline colour of a unit of one of the two classes of the story.
CLASS_OUTLINE = {"under_covered": "#67001f", "over_covered": "#053061"}
#: The colours of the gap's diverging scale, from most negative to most positive (as on the map).
GAP_COLOURS = ((0xB2, 0x18, 0x2B), (0xF7, 0xF7, 0xF7), (0x21, 0x66, 0xAC))
#: Fill of a unit whose gap is unknown.
NO_DATA_COLOUR = "#cccccc"


def _missing(value: Any) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def _number(value: Any, digits: int) -> str:
    """``value`` with ``digits`` decimals and grouping in the current language; a float as its exact value."""
    exact = Decimal(value) if isinstance(value, float) else value
    return i18n.number(exact, digits)


def _signed(value: float, digits: int) -> str:
    """A number with its sign always shown (``+0.220``, ``-0.000`` for a small negative), in the language."""
    negative = value < 0 or (value == 0 and math.copysign(1.0, value) < 0)
    return ("-" if negative else "+") + _number(abs(value), digits)


def percent_sign() -> str:
    """The percent sign as the current language writes it after a number: ``%`` in English, a no-break space and
    ``%`` in Spanish, French and German (CLDR's percent pattern)."""
    return _percent_sign(i18n.current())


@functools.cache
def _percent_sign(lang: str) -> str:
    from babel import Locale

    pattern = Locale.parse(lang).percent_formats[None].pattern
    return pattern[pattern.rindex("0") + 1 :].split(";")[0] or "%"


def esc(value: Any) -> str:
    """Text for display in HTML: escaped, with missing values as an empty string.

    Examples
    --------
    >>> esc("<b>&"), esc(None)
    ('&lt;b&gt;&amp;', '')
    """
    if _missing(value):
        return ""
    return html.escape(str(value), quote=True)


def pct(value: float) -> str:
    """A share as a percentage, ``100 v`` with one decimal, two for small non-zero shares (0.01%, not 0.0%).

    Examples
    --------
    >>> pct(0.0859), pct(0.0001), pct(float("nan"))
    ('8.6%', '0.01%', 'n/a')
    """
    if _missing(value):
        return na()
    return _number(100 * value, 2 if 0 < abs(value) < 0.001 else 1) + percent_sign()


def whole_pct(value: float) -> str:
    """A share as a whole percentage (``0.539 -> "54%"``), in the current language; n/a when unknown."""
    if _missing(value):
        return na()
    return _number(float(round(100 * value)), 0) + percent_sign()


def num(value: Any, digits: int = 1) -> str:
    """A number with thousands separators and ``digits`` decimals (a whole float with ``digits=0`` as an
    integer; an integer as it is).

    Examples
    --------
    >>> num(1234.56), num(1056.0, 0), num(3), num(None)
    ('1,234.6', '1,056', '3', 'n/a')
    """
    if _missing(value):
        return na()
    if isinstance(value, float) and value.is_integer() and digits == 0:
        return _number(int(value), 0)
    return _number(value, digits) if isinstance(value, float) else _number(value, 0)


def na() -> str:
    """The mark of a value that is not known, in the current language (``n/a``, ``n. d.``, ``k. A.``)."""
    return i18n._("n/a")


def signed(value: float, digits: int = 3) -> str:
    """A signed measure with ``digits`` decimals (three by default), or n/a when it could not be computed (too few
    units with data)."""
    return na() if value is None or value != value else _signed(value, digits)


def interval(low: float, high: float) -> str:
    """An interval of two signed measures, or n/a when either end is unknown."""
    if low != low or high != high:
        return na()
    return i18n._("{low} to {high}").format(low=_signed(low, 3), high=_signed(high, 3))


def points(value: float) -> str:
    """A difference of two shares in percentage points, ``100 (a - b)``, signed with two decimals.

    Examples
    --------
    >>> points(-0.0951), points(float("nan"))
    ('-9.51', 'n/a')
    """
    return na() if pd.isna(value) else _signed(100 * value, 2)


def plural(n: Any, word: str) -> str:
    """A count and its noun, ``1 incident``, ``1,056 incidents``."""
    return f"{num(float(n), 0)} {word}{'' if n == 1 else 's'}"


def tick(value: float) -> str:
    """An axis tick: whole above 10 or when whole, else as short as it goes (0.2, 2.5)."""
    if value >= 10 or value == int(value):
        return _number(float(round(value)), 0)
    text = f"{value:g}"
    return text if i18n.current() == i18n.SOURCE_LANGUAGE else _number(value, len(text.partition(".")[2]))


def show(value: Any, column: Column) -> str:
    """A value of an output column as text, in the column's format (:data:`equity.columns.Format`): ``text``
    as it is, ``class`` as its label (:data:`equity.metrics.CLASS_LABELS`), ``integer`` and ``decimal`` by
    :func:`num`, ``percent`` by :func:`pct`, ``points`` by :func:`points`, ``boolean`` as yes or no. A missing
    value is "" as text and "n/a" as a number. Plain text: escape it (:func:`esc`) for HTML.

    Examples
    --------
    >>> from equity.columns import column
    >>> show(-0.0951, column("gap")), show(0.0859, column("crime_share")), show(1056.0, column("crimes"))
    ('-9.51', '8.6%', '1,056')
    >>> show("under_covered", column("class")), show(float("nan"), column("data_gaps"))
    ('high crime, low coverage', '')
    """
    fmt = column.format
    if value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value)):
        return "" if fmt in ("text", "class") else na()
    if fmt == "text":
        return str(value)
    if fmt == "class":
        return class_label(value)
    if fmt == "boolean":
        return i18n._("yes") if value else i18n._("no")
    if fmt == "percent":
        return pct(value)
    if fmt == "points":
        return points(value)
    return num(value, 0 if fmt == "integer" else column.digits)


def class_label(value: Any) -> str:
    """The label of a class of units (:data:`equity.metrics.CLASS_LABELS`) in the current language; a value that
    is not a class is shown as it is."""
    label = CLASS_LABELS.get(value)
    return i18n._(label) if label is not None else str(value)


def show_values(values: pd.Series, column: Column) -> np.ndarray:
    """:func:`show` of every value of a column."""
    return np.array([show(v, column) for v in values], dtype=object)


def text_values(values: pd.Series) -> np.ndarray:
    """Values as display text, missing as an empty string (the map layer shows text, never HTML)."""
    return values.astype(object).where(values.notna(), "").astype(str).to_numpy()


def number_values(values: pd.Series, digits: int, suffix: str) -> np.ndarray:
    """Numbers rounded to ``digits`` with a unit, "n/a" when missing (vectorised: 10,000 cameras), in the current
    language (without grouping, as in English: ``1234.5 m``, ``1234,5 m``)."""
    v = pd.to_numeric(values, errors="coerce").astype(float)
    if i18n.current() == i18n.SOURCE_LANGUAGE:  # the fast path: Python's own format, as English writes it
        text = v.round(digits).map(f"{{:.{digits}f}}{suffix}".format, na_action="ignore")
    else:
        text = v.round(digits).map(
            lambda x: i18n.number(Decimal(x), digits, grouping=False) + suffix, na_action="ignore"
        )
    return text.astype(object).where(v.notna(), na()).to_numpy()


def gap_colour(gap: float, span: float) -> str:
    r"""The colour of a gap on the diverging scale from ``-span`` (red) through 0 (white) to ``+span`` (blue);
    grey when the gap is unknown.

    With ``t = clip(gap / span, -1, 1)`` each channel is interpolated linearly, between the red and the white
    of :data:`GAP_COLOURS` for ``t < 0`` (at ``t + 1``) and between the white and the blue for ``t >= 0``.

    Examples
    --------
    >>> gap_colour(-0.1, 0.1), gap_colour(0.0, 0.1), gap_colour(float("nan"), 0.1)
    ('#b2182b', '#f7f7f7', '#cccccc')
    """
    if gap is None or not math.isfinite(gap):
        return NO_DATA_COLOUR
    t = min(max(gap / span, -1.0), 1.0) if span > 0 else 0.0
    lo, mid, hi = GAP_COLOURS
    a, b, f = (lo, mid, t + 1) if t < 0 else (mid, hi, t)
    return "#" + "".join(f"{round(a[i] + (b[i] - a[i]) * f):02x}" for i in range(3))


def gap_span(gap: pd.Series) -> float:
    """Half-width of the gap's colour scale, the same on the map, its legend and the report: ``max |gap|``, or 1
    when no gap is known or every gap is 0."""
    top = pd.to_numeric(gap, errors="coerce").abs().max()
    return float(top) if top == top and top > 0 else 1.0
