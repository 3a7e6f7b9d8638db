"""French and English wording of ranks, counts and numbers.

Pure text helpers, one value at a time; :mod:`palmares.ranking` turns them into vectorised lookup
tables. Conventions:

- Ordinals. French: ``1er`` / ``1re`` by grammatical gender, then ``2e``, ``3e``, ... (never
  ``2ème``). With no gender the masculine ``1er`` is used: it agrees with the implicit noun *rang*
  (``1er`` in a table column headed "Rang", "au 1er rang"), so it is correct wherever the rank
  stands alone. When the rank is said of the institution itself ("l'école est 1re") pass the
  institution's gender. English: ``1st``, ``2nd``, ``3rd``, ``4th``, ``11th``..``13th``,
  ``21st``, ``101st``, ``111th``. With ``html=True`` the suffix is set in ``<sup>`` in both
  languages (``1<sup>re</sup>``).
- Ties. French writes ``16e ex aequo`` (Latin adverb, no hyphen) in tables and prose; English
  writes ``=16th`` in tables and ``joint 16th`` in prose.
- Numbers. French groups thousands with a narrow no-break space U+202F (``1 115``) and uses a
  decimal comma; English uses ``,`` and ``.``. A percent sign follows a no-break space U+00A0 in
  French (``10 %``) and sticks to the number in English (``10%``). Counts under 10 are spelt out
  in running text (``quatre autres écoles``, ``four other schools``).
- Decimal rounding is half-up after snapping to 12 significant digits, as everywhere in palmares.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Literal, get_args

from palmares.i18n import languages, pgettext

Lang = Literal["fr", "en"]
Gender = Literal["f", "m"]
#: How a rank is displayed: ``equals`` "=39" for ties; ``bare`` "39"; ``ex-aequo`` "16e ex
#: aequo" / "=16th" (tables) / "joint 16th" (prose); ``ordinal`` "16e" / "16th" whatever the ties.
RankStyle = Literal["equals", "bare", "ex-aequo", "ordinal"]

LANGS: tuple[str, ...] = get_args(Lang)
RANK_STYLES: tuple[str, ...] = get_args(RankStyle)

NARROW_NBSP = "\u202f"
NBSP = "\u00a0"

_FR_WORDS = ("zéro", "un", "deux", "trois", "quatre", "cinq", "six", "sept", "huit", "neuf")
_EN_WORDS = ("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine")


@dataclass(frozen=True)
class Noun:
    """A countable noun with its plural and, in French, its grammatical gender."""

    singular: str
    plural: str
    gender: Gender | None = None


#: Nouns for the things palmares counts, by key then language.
NOUNS: dict[str, dict[str, Noun]] = {
    "institution": {
        "fr": Noun("établissement", "établissements", "m"),
        "en": Noun("institution", "institutions"),
    },
    "school": {"fr": Noun("école", "écoles", "f"), "en": Noun("school", "schools")},
    "engineering-school": {
        "fr": Noun("école d'ingénieurs", "écoles d'ingénieurs", "f"),
        "en": Noun("engineering school", "engineering schools"),
    },
    "university": {
        "fr": Noun("université", "universités", "f"),
        "en": Noun("university", "universities"),
    },
}


def check_lang(lang: str) -> Lang:
    """Return ``lang`` if palmares can write it (French, English or a catalogue), else raise
    ValueError. A language added as a catalogue alone writes numbers as English does."""
    if lang not in LANGS and lang not in languages():
        raise ValueError(f"unknown language {lang!r}: expected one of {', '.join(languages())}")
    return lang  # type: ignore[return-value]


@dataclass(frozen=True)
class NumberStyle:
    """How a language writes numbers: thousands separator, decimal mark, percent sign."""

    thousands: str
    decimal: str
    percent: str


#: Number styles by language; a language added as a catalogue alone writes numbers as English.
NUMBER_STYLES: dict[str, NumberStyle] = {
    "fr": NumberStyle(NARROW_NBSP, ",", f"{NBSP}%"),
    "en": NumberStyle(",", ".", "%"),
}


def number_style(lang: str) -> NumberStyle:
    """The number style of ``lang`` (English for a language palmares has no rules for)."""
    return NUMBER_STYLES.get(check_lang(lang), NUMBER_STYLES["en"])


def _check_gender(gender: str | None) -> None:
    if gender not in (None, "f", "m"):
        raise ValueError(f"unknown grammatical gender {gender!r}: expected 'f', 'm' or None")


def decimal_mark(lang: str) -> str:
    """The decimal mark of ``lang``: ``","`` in French, ``"."`` in English."""
    return number_style(lang).decimal


def format_int(n: int, lang: str) -> str:
    """``1115`` -> ``"1 115"`` (U+202F) in French, ``"1,115"`` in English."""
    if isinstance(n, bool) or int(n) != n:
        raise ValueError(f"format_int needs an integer, got {n!r}")
    sep = number_style(lang).thousands
    text = f"{abs(int(n)):,}".replace(",", sep)
    return f"-{text}" if n < 0 else text


def _half_up(x: float, decimals: int) -> Decimal:
    # Snap to 12 significant digits first so 3.3499999999999996 rounds like 3.35.
    return Decimal(f"{x:.12g}").quantize(Decimal(10) ** -decimals, rounding=ROUND_HALF_UP)


def format_decimal(x: float, lang: str, decimals: int = 1) -> str:
    """``72.25`` -> ``"72,3"`` in French, ``"72.3"`` in English (half-up, grouped thousands)."""
    check_lang(lang)
    if decimals < 0:
        raise ValueError(f"decimals must be >= 0, got {decimals}")
    if x != x or x in (float("inf"), float("-inf")):
        raise ValueError(f"cannot format a non-finite number: {x!r}")
    value = _half_up(float(x), decimals)
    sign = "-" if value < 0 else ""
    whole, _, frac = f"{abs(value):f}".partition(".")
    text = format_int(int(whole), lang)
    if decimals:
        text += decimal_mark(lang) + frac
    return sign + text


def format_significant(x: float, lang: str, digits: int = 4) -> str:
    """``x`` to ``digits`` significant digits, trailing zeros dropped: ``72.2549`` -> ``"72,25"``
    (fr), ``"72.25"`` (en); ``9.0`` -> ``"9"``. Very small or large numbers keep ``e`` notation."""
    text = f"{float(x):.{digits}g}"
    if "e" in text or "n" in text:  # 1e-05, inf, nan: as Python writes them
        return text
    return format_decimal(float(text), lang, len(text.partition(".")[2]))


def format_percent(x: float, lang: str, decimals: int = 0) -> str:
    """A percentage given in percent units: ``9.47`` -> ``"9 %"`` (fr, U+00A0), ``"9%"`` (en).

    ``x`` is already a number of percent (``10`` means 10 %), never a fraction.
    """
    text = format_decimal(x, lang, decimals)
    return text + number_style(lang).percent


def _en_suffix(n: int) -> str:
    if n % 100 in (11, 12, 13):
        return "th"
    return {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")


def ordinal(n: int, lang: str, gender: str | None = None, html: bool = False) -> str:
    """``1`` -> ``"1er"``/``"1re"`` (fr, by gender; ``1er`` when None), ``"1st"`` (en).

    ``html=True`` sets the suffix in superscript: ``1<sup>re</sup>``. Thousands are grouped as in
    :func:`format_int` (``1 001e``, ``1,001st``).
    """
    check_lang(lang)
    _check_gender(gender)
    if isinstance(n, bool) or int(n) != n or n < 1:
        raise ValueError(f"an ordinal needs a positive integer, got {n!r}")
    n = int(n)
    if lang == "fr":
        suffix = ("re" if gender == "f" else "er") if n == 1 else "e"
    elif lang == "en":
        suffix = _en_suffix(n)
    else:  # a language added as a catalogue: its own ordinal pattern
        return pgettext(lang, "ordinal number", "{n}th", n=format_int(n, lang))
    if html:
        suffix = f"<sup>{suffix}</sup>"
    return format_int(n, lang) + suffix


def rank_label(
    rank: int,
    tie_size: int,
    style: str,
    lang: str,
    *,
    gender: str | None = None,
    prose: bool = False,
    html: bool = False,
) -> str:
    """One display rank: ``"=39"``, ``"39"``, ``"16e ex aequo"``, ``"=16th"``, ``"joint 16th"``.

    ``rank`` 0 (unranked) gives ``""``. ``tie_size`` > 1 marks a tie. ``prose`` only changes the
    English ``ex-aequo`` style (``joint 16th`` instead of the table's ``=16th``). ``equals`` and
    ``bare`` are table codes: plain digits, no thousands separator, same in both languages.
    """
    check_lang(lang)
    if style not in RANK_STYLES:
        raise ValueError(f"unknown rank style {style!r}: expected one of {', '.join(RANK_STYLES)}")
    if rank < 0:
        raise ValueError(f"a rank cannot be negative, got {rank}")
    if rank == 0:
        return ""
    tied = tie_size > 1
    if style == "bare":
        return str(rank)
    if style == "equals":
        return f"={rank}" if tied else str(rank)
    text = ordinal(rank, lang, gender, html)
    if style == "ordinal" or not tied:
        return text
    if lang == "fr":
        return f"{text} ex aequo"
    if lang == "en":
        return f"joint {text}" if prose else f"={text}"
    if prose:
        return pgettext(lang, "tied rank in prose", "joint {rank}", rank=text)
    return pgettext(lang, "tied rank in a table", "={rank}", rank=text)


def count_words(n: int, lang: str, gender: str | None = None) -> str:
    """A count for running text: words under 10 (``"quatre"``, ``"une"``), digits from 10."""
    check_lang(lang)
    _check_gender(gender)
    if isinstance(n, bool) or int(n) != n or n < 0:
        raise ValueError(f"a count must be a non-negative integer, got {n!r}")
    n = int(n)
    if n >= 10:
        return format_int(n, lang)
    if lang == "fr":
        return "une" if n == 1 and gender == "f" else _FR_WORDS[n]
    if lang == "en":
        return _EN_WORDS[n]
    return format_int(n, lang)  # a catalogue language: digits


def noun_for(noun: str | Noun, lang: str) -> Noun:
    """Resolve a key of :data:`NOUNS` (or a ready :class:`Noun`) for ``lang``."""
    if isinstance(noun, Noun):
        return noun
    try:
        return NOUNS[noun][check_lang(lang)]
    except KeyError:
        raise ValueError(
            f"unknown noun {noun!r}: expected one of {', '.join(sorted(NOUNS))} or a Noun"
        ) from None


def tie_phrase(tie_size: int, lang: str, noun: str | Noun = "institution") -> str:
    """``5`` -> ``"ex aequo avec quatre autres écoles"`` / ``"tied with four other schools"``.

    ``tie_size`` counts the institution itself; 1 (no tie) or 0 (unranked) gives ``""``.
    """
    check_lang(lang)
    if tie_size < 0:
        raise ValueError(f"a tie size cannot be negative, got {tie_size}")
    others = int(tie_size) - 1
    if others < 1:
        return ""
    word = noun_for(noun, lang)
    name = word.singular if others == 1 else word.plural
    count = count_words(others, lang, word.gender)
    if lang == "fr":
        return f"ex aequo avec {count} {'autre' if others == 1 else 'autres'} {name}"
    return f"tied with {count} other {name}"
