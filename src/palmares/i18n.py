"""One catalogue of words: gettext catalogues per language, read with Babel.

Message ids are English sentences with named ``{placeholders}`` (``str.format`` fields). English is
the source language and needs no catalogue; every other language has
``locale/<lang>/LC_MESSAGES/palmares.po`` beside this module. Adding a language is adding a
catalogue: a folder under ``locale/`` (or under a folder listed in ``$PALMARES_LOCALE_PATH``) is
enough for :func:`languages` to offer it. Plurals follow the catalogue's own ``Plural-Forms``
(French says "0 école", "1 école", "2 écoles"). Country names come from Babel's CLDR data, so every
ISO 3166-1 code has a name in every language CLDR knows.

The ``.po`` files are compiled in memory on first use (no ``.mo`` files to build or commit).
"""

from __future__ import annotations

import gettext as _gettext
import io
import os
import threading
from functools import cache
from pathlib import Path

from babel import Locale, UnknownLocaleError
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

SOURCE_LANGUAGE = "en"
DOMAIN = "palmares"
LOCALE_DIR = Path(__file__).with_name("locale")
#: Extra catalogue folders (os.pathsep-separated), searched before the bundled one.
LOCALE_PATH_ENV = "PALMARES_LOCALE_PATH"

_lock = threading.Lock()


def locale_dirs() -> tuple[Path, ...]:
    """Folders holding ``<lang>/LC_MESSAGES/palmares.po`` catalogues, in search order."""
    extra = os.environ.get(LOCALE_PATH_ENV, "")
    return (*(Path(p) for p in extra.split(os.pathsep) if p), LOCALE_DIR)


def _catalogue_path(lang: str) -> Path | None:
    for folder in locale_dirs():
        path = folder / lang / "LC_MESSAGES" / f"{DOMAIN}.po"
        if path.is_file():
            return path
    return None


def languages() -> tuple[str, ...]:
    """Languages palmares can write: French and English first, then any other catalogue."""
    found = {SOURCE_LANGUAGE}
    for folder in locale_dirs():
        if folder.is_dir():
            found.update(
                p.name for p in folder.iterdir() if (p / "LC_MESSAGES" / f"{DOMAIN}.po").is_file()
            )
    first = [lang for lang in ("fr", "en") if lang in found]
    return (*first, *sorted(found - set(first)))


@cache
def _translations(lang: str) -> _gettext.NullTranslations:
    path = _catalogue_path(lang)
    if path is None:
        return _gettext.NullTranslations()
    with path.open("rb") as po:
        catalogue = read_po(po, locale=_babel_locale_name(lang))
    compiled = io.BytesIO()
    write_mo(compiled, catalogue)
    compiled.seek(0)
    return _gettext.GNUTranslations(compiled)


def _babel_locale_name(lang: str) -> str | None:
    """The CLDR locale for ``lang``, or None for a pseudo-locale CLDR does not know."""
    try:
        return str(Locale.parse(lang))
    except (UnknownLocaleError, ValueError):
        return None


def translations(lang: str) -> _gettext.NullTranslations:
    """The compiled catalogue of ``lang`` (an empty one for English or an unknown language)."""
    with _lock:
        return _translations(lang.lower())


def reload() -> None:
    """Forget compiled catalogues (after a catalogue is added or edited)."""
    with _lock:
        _translations.cache_clear()


def gettext(lang: str, message: str, /, **values: object) -> str:
    """``message`` in ``lang``, its ``{placeholders}`` filled from ``values``."""
    text = translations(lang).gettext(message)
    return text.format(**values) if values else text


def pgettext(lang: str, context: str, message: str, /, **values: object) -> str:
    """Like :func:`gettext` for a message whose meaning depends on ``context``."""
    text = translations(lang).pgettext(context, message)
    return text.format(**values) if values else text


def ngettext(lang: str, singular: str, plural: str, n: int, /, **values: object) -> str:
    """The form of ``singular``/``plural`` that ``n`` takes in ``lang``; ``{n}`` is available."""
    text = translations(lang).ngettext(singular, plural, n)
    return text.format(n=n, **values)


def npgettext(
    lang: str, context: str, singular: str, plural: str, n: int, /, **values: object
) -> str:
    """Like :func:`ngettext` for a message whose meaning depends on ``context``."""
    text = translations(lang).npgettext(context, singular, plural, n)
    return text.format(n=n, **values)


#: The context under which a catalogue gives a word's grammatical gender ("f" or "m").
GENDER_CONTEXT = "grammatical gender (f or m)"


def gender(lang: str, word: str) -> str | None:
    """The grammatical gender of ``word`` in ``lang`` as its catalogue states it, else None.

    French says ``msgctxt "grammatical gender (f or m)"``, ``msgid "school"``, ``msgstr "f"``:
    ordinals and participles agree with it ("la 1re école", "écoles classées").
    """
    found = translations(lang).pgettext(GENDER_CONTEXT, word)
    return found if found in ("f", "m") else None


def country_name(code: str, lang: str) -> str:
    """The CLDR name of ISO 3166-1 ``code`` in ``lang`` (English for a pseudo-locale).

    An unknown code comes back as given.
    """
    locale_name = _babel_locale_name(lang) or SOURCE_LANGUAGE
    territories = Locale.parse(locale_name).territories
    return str(territories.get(code.upper(), code))
