"""The languages of the report and the map: catalogs complete, placeholders kept, numbers in each language."""

from __future__ import annotations

import pytest

from equity._errors import InputError
from equity.presentation import i18n

TRANSLATED = [code for code in i18n.LANGUAGES if code != i18n.SOURCE_LANGUAGE]


@pytest.mark.parametrize("lang", TRANSLATED)
def test_every_marked_sentence_has_a_translation(lang: str) -> None:
    missing = i18n.missing(lang)
    assert not missing, f"{len(missing)} sentences have no {lang} translation:\n" + "\n".join(missing)


@pytest.mark.parametrize("lang", TRANSLATED)
def test_translations_keep_the_placeholders(lang: str) -> None:
    assert i18n.placeholders_differ(lang) == []


@pytest.mark.parametrize("lang", TRANSLATED)
def test_domains_agree_on_shared_sentences(lang: str) -> None:
    assert i18n.conflicts(lang) == []


@pytest.mark.parametrize(
    ("lang", "text"), [("en", "1,234.5"), ("es", "1.234,5"), ("de", "1.234,5"), ("fr", "1\u202f234,5")]
)
def test_numbers_in_each_language(lang: str, text: str) -> None:
    with i18n.use(lang):
        assert i18n.number(1234.5, 1) == text
    assert i18n.current() == "en"


def test_untranslated_sentence_falls_back_to_english() -> None:
    with i18n.use("de"):
        assert i18n._("A sentence no catalog holds.") == "A sentence no catalog holds."
        assert i18n.ngettext("{n} thing no catalog holds", "{n} things no catalog holds", 3) == (
            "{n} things no catalog holds"
        )


def test_unknown_language_is_one_sentence() -> None:
    with pytest.raises(InputError, match="language 'xx' is not one equity writes; expected one of en"):
        i18n.check_language("xx")
