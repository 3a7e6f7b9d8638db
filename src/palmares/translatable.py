"""Sentences said in English now and in the reader's language later: the bad-input messages.

An error is raised deep in the library, where nobody knows who will read it; the CLI, the API and
the web app know. :func:`tr` builds a :class:`Translatable`: a ``str`` (the English sentence, so
every caller, log and test that reads the error as text sees it unchanged) that also remembers
its message id and values, so that :func:`localise` can say it again in French at the boundary.
A value that is itself translatable (a hint, a word such as "country") is said in the same
language. Names (institutions, systems) and codes are values: they are never translated.

Message ids live in the gettext catalogue (:mod:`palmares.i18n`); ``tr`` and ``tr_n`` are
extraction keywords, so a test checks that each has its French translation.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

#: The language of message ids (as :data:`palmares.i18n.SOURCE_LANGUAGE`, without importing
#: Babel: an English error costs no catalogue).
SOURCE_LANGUAGE = "en"


class Translatable(str):
    """An English sentence that can be said again in another language (:func:`localise`)."""

    msgid: str
    plural: str | None
    n: int | None
    values: Mapping[str, Any]

    def __new__(
        cls, msgid: str, plural: str | None = None, n: int | None = None, /, **values: Any
    ) -> Translatable:
        self = super().__new__(cls, _render(SOURCE_LANGUAGE, msgid, plural, n, values))
        self.msgid, self.plural, self.n, self.values = msgid, plural, n, values
        return self

    def said_in(self, lang: str) -> str:
        """This sentence in ``lang`` (English when the catalogue lacks it)."""
        return _render(lang, self.msgid, self.plural, self.n, self.values)

    def __reduce__(self) -> Any:  # pickled across processes (jobs, workers) as itself
        return (_rebuild, (self.msgid, self.plural, self.n, dict(self.values)))


def _rebuild(msgid: str, plural: str | None, n: int | None, values: dict[str, Any]) -> Any:
    return Translatable(msgid, plural, n, **values)


def _render(
    lang: str, msgid: str, plural: str | None, n: int | None, values: Mapping[str, Any]
) -> str:
    if lang == SOURCE_LANGUAGE:
        pattern = msgid if plural is None or n == 1 else plural
    else:
        from palmares.i18n import translations

        catalogue = translations(lang)
        if plural is None:
            pattern = catalogue.gettext(msgid)
        else:
            pattern = catalogue.ngettext(msgid, plural, int(n or 0))
    said = {key: _value(value, lang) for key, value in values.items()}
    if n is not None:
        said.setdefault("n", n)
    return pattern.format(**said) if said else pattern


def _value(value: Any, lang: str) -> Any:
    if isinstance(value, Translatable):
        return value.said_in(lang)
    if isinstance(value, list | tuple) and any(isinstance(v, Translatable) for v in value):
        return type(value)(_value(v, lang) for v in value)
    return value


def tr(msgid: str, /, **values: Any) -> Translatable:
    """``msgid`` (an English sentence with ``{placeholders}``) filled from ``values``."""
    return Translatable(msgid, None, None, **values)


def tr_n(singular: str, plural: str, n: int, /, **values: Any) -> Translatable:
    """The form of ``singular``/``plural`` that ``n`` takes; ``{n}`` is available."""
    return Translatable(singular, plural, n, **values)


def localise(text: object, lang: str | None) -> str:
    """``text`` in ``lang`` when it is translatable; as it is otherwise (or with no language)."""
    if isinstance(text, Translatable) and lang:
        return text.said_in(lang)
    return str(text)


def joined(separator: str, parts: list[Any]) -> Translatable | str:
    """``separator.join(parts)`` that stays translatable when any part is."""
    if not any(isinstance(p, Translatable) for p in parts):
        return separator.join(str(p) for p in parts)
    if separator == "; " and parts:  # French writes a narrow no-break space before ";"
        said: Any = parts[0]
        for part in parts[1:]:
            said = tr("{first}; {then}", first=said, then=part)
        return said
    fields = {f"p{i}": p for i, p in enumerate(parts)}
    pattern = separator.replace("{", "{{").replace("}", "}}").join(f"{{{k}}}" for k in fields)
    return Translatable(pattern, None, None, **fields)


def reason(error: BaseException) -> Any:
    """What an exception says: its first argument (kept translatable), else its text."""
    return error.args[0] if error.args else str(error)
