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


#: The call names under which palmares passes a message to the catalogue, with Babel's spec of
#: where the message (and its context) sits among the arguments.
KEYWORDS = {
    "_": None,
    "_p": ((1, "c"), 2),
    "_n": (1, 2),
    "_np": ((1, "c"), 2, 3),
    "N_": None,
    "gettext": (2,),
    "pgettext": ((2, "c"), 3),
    "ngettext": (2, 3),
    "npgettext": ((2, "c"), 3, 4),
    # palmares.translatable: the bad-input messages, said in the reader's language
    "tr": None,
    "tr_n": (1, 2),
}
#: The packages whose every message must have a French translation.
TRANSLATED = ("highlights", "cli", "api", "web", "store")


def test_every_message_of_the_code_has_a_french_translation() -> None:
    from babel.messages.extract import extract_from_file
    from babel.messages.pofile import read_po

    with (i18n.LOCALE_DIR / "fr" / "LC_MESSAGES" / "palmares.po").open("rb") as po:
        french = read_po(po)
    # A context computed at run time (a noun) is not extracted: any context will do then.
    translated = {m.id if isinstance(m.id, str) else m.id[0] for m in french if m.string}
    package = Path(i18n.__file__).parent
    missing = []
    for folder in TRANSLATED:
        for path in sorted((package / folder).rglob("*.py")):
            for line, message, _, context in extract_from_file("python", path, keywords=KEYWORDS):
                key = message if isinstance(message, str) else message[0]
                if key not in translated:
                    missing.append(f"{path.name}:{line}: {context or ''} {key!r}")
    assert not missing, "\n".join(missing)


def test_every_bad_input_message_anywhere_has_a_french_translation() -> None:
    """An error raised deep in the library (a name, a preset, a claim) reaches a person too:
    every ``tr``/``tr_n`` message of the whole package is in the French catalogue, with the
    same placeholders."""
    import re
    import string

    from babel.messages.extract import extract_from_file
    from babel.messages.pofile import read_po

    with (i18n.LOCALE_DIR / "fr" / "LC_MESSAGES" / "palmares.po").open("rb") as po:
        french = {
            (m.id if isinstance(m.id, str) else m.id[0]): m.string for m in read_po(po) if m.id
        }

    def fields(text: str) -> set[str]:
        return {name for _, name, _, _ in string.Formatter().parse(text) if name}

    package = Path(i18n.__file__).parent
    keywords = {"tr": None, "tr_n": (1, 2)}
    missing, found = [], 0
    for path in sorted(package.rglob("*.py")):
        for line, message, _, _ in extract_from_file("python", path, keywords=keywords):
            found += 1
            key = message if isinstance(message, str) else message[0]
            said = french.get(key)
            forms = [said] if isinstance(said, str) else list(said or ())
            if not any(forms):
                missing.append(f"{path.name}:{line}: {key!r}")
            elif any(fields(form) - fields(key) - {"n"} for form in forms):
                missing.append(f"{path.name}:{line}: {key!r}: a placeholder the code never fills")
            elif any(re.search(r" [:;?!]|!r}", form) for form in forms):
                # French typography: a no-break space before ":" (U+00A0) and ";" "?" "!"
                # (U+202F); a quoted value between « » rather than repr()'s quotes.
                missing.append(f"{path.name}:{line}: {key!r}: French typography")
    assert found > 200  # the sweep reaches the CLI, the API, the web app and the library
    assert not missing, "\n".join(missing)
