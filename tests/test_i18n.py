"""The catalogue of words: French plurals, CLDR country names, a language added as a catalogue."""

from __future__ import annotations

from pathlib import Path

import pytest

from palmares import i18n


def test_french_plural_follows_the_catalogue_rule() -> None:
    # French counts 0 and 1 as singular (Plural-Forms: n > 1), English only 1.
    assert i18n.ngettext("fr", "{n} institution ranked", "{n} institutions ranked", 0) == (
        "0 établissement classé"
    )
    assert i18n.ngettext("fr", "{n} institution ranked", "{n} institutions ranked", 2) == (
        "2 établissements classés"
    )
    assert i18n.ngettext("en", "{n} institution ranked", "{n} institutions ranked", 0) == (
        "0 institutions ranked"
    )


def test_english_is_the_source_and_untranslated_messages_pass_through() -> None:
    assert i18n.gettext("en", "Rank") == "Rank"
    assert i18n.gettext("fr", "Rank") == "Rang"
    assert i18n.gettext("fr", "No such message {x}", x=3) == "No such message 3"


def test_country_names_come_from_cldr() -> None:
    assert i18n.country_name("FR", "fr") == "France"
    assert i18n.country_name("DE", "fr") == "Allemagne"
    assert i18n.country_name("NA", "en") == "Namibia"
    assert i18n.country_name("ci", "fr") == "Côte d’Ivoire"
    assert i18n.country_name("ZZZ", "fr") == "ZZZ"


def test_a_language_is_added_by_a_catalogue_alone(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = tmp_path / "xx" / "LC_MESSAGES"
    folder.mkdir(parents=True)
    (folder / "palmares.po").write_text(
        'msgid ""\nmsgstr ""\n"Content-Type: text/plain; charset=UTF-8\\n"\n'
        '"Plural-Forms: nplurals=2; plural=(n != 1);\\n"\n\n'
        'msgid "Rank"\nmsgstr "[Ŕàñķ]"\n\n'
        'msgid "{n} institution ranked"\nmsgid_plural "{n} institutions ranked"\n'
        'msgstr[0] "[{n} ïñšţ]"\nmsgstr[1] "[{n} ïñšţš]"\n',
        encoding="utf-8",
    )
    monkeypatch.setenv(i18n.LOCALE_PATH_ENV, str(tmp_path))
    i18n.reload()
    try:
        assert i18n.languages() == ("fr", "en", "xx")
        assert i18n.gettext("xx", "Rank") == "[Ŕàñķ]"
        assert i18n.ngettext("xx", "{n} institution ranked", "{n} institutions ranked", 3) == (
            "[3 ïñšţš]"
        )
        assert i18n.country_name("FR", "xx") == "France"
    finally:
        monkeypatch.delenv(i18n.LOCALE_PATH_ENV)
        i18n.reload()
    assert i18n.languages() == ("fr", "en")
