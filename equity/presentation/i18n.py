"""The reader's language: message catalogs for the report and the map, and numbers and dates in that language.

The text of the report, the unit pages and the map is written in English in the code, each sentence marked with
:func:`_` (or :func:`ngettext` where it depends on a count). The translations are gettext catalogs, one ``.po``
file per part of the output (a *domain*: ``report.po``, ``map.po``, ...) under
``equity/presentation/locale/<language>/LC_MESSAGES/``; all the domains of a language are read together, with
Babel, when the language is first used. No compile step: the ``.po`` files are the catalogs.

A sentence without a translation (missing, empty or marked fuzzy) is shown in English: a report is never left
with a hole. :func:`missing` lists them (the tests do, for every language), and :func:`placeholders_differ` the
translations whose ``{name}`` fields differ from the English, which would fail when formatted.

Unit names, tag values, operator names and every other piece of the user's data are never passed through
:func:`_`: they are shown as they were written.

Numbers and dates follow the language's conventions from the Unicode CLDR, through Babel: ``1,234.5`` in
English is ``1.234,5`` in Spanish and German and ``1 234,5`` in French (with a narrow no-break space). The
language is chosen for a block of work with :func:`use` and read by :func:`current`; the formatting functions of
:mod:`equity.presentation.formatting` read it, so a caller never passes the language down.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import functools
import gettext
import re
from collections.abc import Callable, Iterator
from contextvars import ContextVar
from pathlib import Path

from babel.dates import format_date
from babel.messages.extract import extract_from_dir
from babel.messages.plurals import get_plural
from babel.messages.pofile import read_po
from babel.numbers import format_decimal

from equity._errors import InputError

#: The languages of the report and the map, by their ISO 639-1 codes, with their names in that language.
LANGUAGES = {"en": "English", "es": "Español", "fr": "Français", "de": "Deutsch"}
#: The language of the code's own text, and of any sentence without a translation.
SOURCE_LANGUAGE = "en"
#: Where the catalogs are: ``<LOCALE_DIR>/<language>/LC_MESSAGES/<domain>.po``.
LOCALE_DIR = Path(__file__).parent / "locale"
#: The names under which the code marks its sentences for translation.
KEYWORDS = {"_": None, "ngettext": (1, 2)}

_language: ContextVar[str] = ContextVar("equity_language", default=SOURCE_LANGUAGE)
_FIELD = re.compile(r"(?<!\{)\{([^{}]*)\}")


def check_language(lang: str) -> str:
    """The language code, checked against :data:`LANGUAGES`; a :class:`~equity._errors.InputError` otherwise."""
    code = str(lang).strip().lower()
    if code not in LANGUAGES:
        known = ", ".join(f"{c} ({n})" for c, n in LANGUAGES.items())
        raise InputError(f"language {lang!r} is not one equity writes; expected one of {known}")
    return code


@contextlib.contextmanager
def use(lang: str) -> Iterator[str]:
    """Write in ``lang`` inside the block: :func:`_`, :func:`number` and :func:`date` follow it."""
    token = _language.set(check_language(lang))
    try:
        yield _language.get()
    finally:
        _language.reset(token)


def current() -> str:
    """The language of the block being written (English outside any :func:`use`)."""
    return _language.get()


@functools.cache
def catalog(lang: str) -> dict[str, str | tuple[str, ...]]:
    """The translations of ``lang``: every domain's ``.po`` file read together, untranslated and fuzzy entries left out.

    A plural entry maps its English singular to the tuple of the language's plural forms.
    """
    messages: dict[str, str | tuple[str, ...]] = {}
    folder = LOCALE_DIR / lang / "LC_MESSAGES"
    for path in sorted(folder.glob("*.po")) if folder.is_dir() else []:
        with path.open("rb") as fh:
            po = read_po(fh, locale=lang)
        for message in po:
            if not message.id or message.fuzzy:
                continue
            if isinstance(message.id, (list, tuple)):
                forms = tuple(message.string or ())
                if forms and all(forms):
                    messages[message.id[0]] = forms
            elif message.string:
                messages[message.id] = message.string
    return messages


@functools.cache
def _plural_index(lang: str) -> Callable[[int], int]:
    """The gettext plural rule of ``lang`` (Babel's table), compiled by the standard library's gettext."""
    return gettext.c2py(get_plural(lang).plural_expr)


def _(message: str) -> str:
    """The sentence in the current language, or in English where it has no translation."""
    lang = _language.get()
    if lang == SOURCE_LANGUAGE:
        return message
    text = catalog(lang).get(message)
    return text if isinstance(text, str) else message


def ngettext(singular: str, plural: str, n: float) -> str:
    """The singular or plural sentence for ``n``, in the current language by its plural rule (CLDR)."""
    lang = _language.get()
    forms = catalog(lang).get(singular) if lang != SOURCE_LANGUAGE else None
    if isinstance(forms, tuple):
        i = _plural_index(lang)(abs(int(n)))
        if 0 <= i < len(forms):
            return forms[i]
    return singular if n == 1 else plural


def number(value: float, digits: int = 0, *, grouping: bool = True) -> str:
    """``value`` with ``digits`` decimals in the current language's notation (``1.234,5`` in Spanish).

    Rounded half to even on the decimal value, as Babel does; grouping separators from three integer digits on
    (the pattern ``#,##0.0``), also in languages whose CLDR data would group only from five.
    """
    pattern = ("#,##0" if grouping else "0") + ("." + "0" * digits if digits > 0 else "")
    return format_decimal(value, format=pattern, locale=_language.get())


def date(when: dt.date | str) -> str:
    """A date in the current language, in CLDR's medium format (``4 Oct 2025``, ``4 oct 2025``)."""
    if isinstance(when, str):
        when = dt.date.fromisoformat(when[:10])
    return format_date(when, format="medium", locale=_language.get())


def source_messages(root: Path | None = None) -> dict[str, set[str]]:
    """Every sentence the code marks for translation, with the files it is in (Babel's Python extractor)."""
    root = root or Path(__file__).resolve().parents[1]
    found: dict[str, set[str]] = {}
    for filename, _lineno, message, _comments, _context in extract_from_dir(
        str(root), method_map=[("**.py", "python")], keywords=KEYWORDS
    ):
        key = message[0] if isinstance(message, tuple) else message
        if key:
            found.setdefault(key, set()).add(filename)
    return found


def missing(lang: str) -> list[str]:
    """The sentences of the code that ``lang`` has no translation of, sorted (shown in English meanwhile)."""
    have = catalog(check_language(lang))
    return sorted(m for m in source_messages() if m not in have)


def conflicts(lang: str) -> list[str]:
    """The English sentences that two domains of ``lang`` translate differently (only one of them would be shown)."""
    seen: dict[str, str | tuple[str, ...]] = {}
    clash = set()
    folder = LOCALE_DIR / check_language(lang) / "LC_MESSAGES"
    for path in sorted(folder.glob("*.po")):
        with path.open("rb") as fh:
            for message in read_po(fh, locale=lang):
                if not message.id or message.fuzzy or not message.string:
                    continue
                key = message.id[0] if isinstance(message.id, (list, tuple)) else message.id
                text = tuple(message.string) if isinstance(message.string, (list, tuple)) else message.string
                if seen.setdefault(key, text) != text:
                    clash.add(key)
    return sorted(clash)


def placeholders_differ(lang: str) -> list[str]:
    """The English sentences whose translation in ``lang`` has other ``{fields}`` than they have."""
    wrong = []
    for english, text in catalog(check_language(lang)).items():
        forms = text if isinstance(text, tuple) else (text,)
        if any(sorted(_FIELD.findall(f)) != sorted(_FIELD.findall(english)) for f in forms):
            wrong.append(english)
    return sorted(wrong)
