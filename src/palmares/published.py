"""Rank and score cells of published league tables, as publishers print them.

The forms accepted (methodologies.md, addendum on published tables):

- ranks: ``39``, ``1.0`` (a spreadsheet's whole number), ``=39`` and ``15=`` (joint), `` =193``
  (stray spaces), French ordinals (``1er``, ``2e``, ``4e ex aequo``), bands with any dash
  (``201-250``, ``201–250``, ``301—350``), open bands (``801+``, ``1,001+``), ``Reporter``, and
  no rank (empty, ``-``, ``n/a``, ``N/A``, ``NR``, ``not ranked``);
- scores: numbers (``96.1``), thousands separators (``20,152``), percentages (``25%``), points
  (``17/30`` and ``96 pts`` read 17 and 96), score ranges (``46.3—50.4``: a range, never a
  total) and no score (empty, ``-``, ``n/a``);
- trailing footnote marks (``12*``, ``96.1†``) and non-breaking spaces are ignored.

Everything else is refused with the reason (a ratio ``33 : 67``, a decimal comma ``72,2``, a
reversed band, rank 0, ``inf``). Columns are parsed once per distinct cell text, so a table of
thousands of rows costs a few hundred regular-expression matches.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Final, Literal

import numpy as np
import numpy.typing as npt

from palmares.ranking import BAND_OPEN

RankStatus = Literal["ranked", "banded", "reporter", "unranked"]

_DASHES: Final = "-\u2010\u2011\u2012\u2013\u2014\u2015\u2212"
_DASH: Final = f"[{re.escape(_DASHES)}]"
#: Thousands separated by commas or (non-breaking) spaces: "1,001", "1 001".
_INT: Final = r"\d{1,3}(?:,\d{3})+|\d{1,3}(?: \d{3})+|\d+"
_DECIMAL: Final = r"(?:\d{1,3}(?:,\d{3})+|\d{1,3}(?: \d{3})+|\d+)(?:\.\d+)?|\.\d+"
#: Cells meaning "nothing printed here" (compared after folding case and spaces).
EMPTY_FORMS: Final = frozenset({"", "n/a", "na", "n.a.", "..."} | set(_DASHES))
#: Rank cells meaning "not ranked" (compared after folding case).
_NOT_RANKED: Final = frozenset({"nr", "n.r.", "not ranked", "unranked", "non classé", "nc"})

_RANK_JOINT_BEFORE = re.compile(rf"=\s*({_INT})")
_RANK_JOINT_AFTER = re.compile(rf"({_INT})\s*=")
_RANK_PLAIN = re.compile(rf"({_INT})(?:\.0+)?")
#: French ordinals as L'Étudiant prints them: "1er", "1re", "2e", "4e ex aequo".
_RANK_FRENCH = re.compile(
    rf"({_INT})\s*(?:er|re|ère|e|ème|eme|ᵉ|ʳᵉ|ᵉʳ)(?:\s*(ex[\s-]*(?:ae|æ)quo))?", re.IGNORECASE
)
_RANK_BAND = re.compile(rf"({_INT})\s*{_DASH}\s*({_INT})")
_RANK_OPEN = re.compile(rf"({_INT})\s*\+")
_SCORE = re.compile(rf"([+-]?)({_DECIMAL})")
_PERCENT = re.compile(rf"({_DECIMAL})\s*%")
#: Points out of a maximum, as L'Étudiant prints a family ("17/30"): the points.
_OUT_OF = re.compile(rf"({_DECIMAL})\s*(?:/\s*\d+|pts\.?|points?)", re.IGNORECASE)
_SCORE_RANGE = re.compile(rf"({_DECIMAL})\s*{_DASH}\s*({_DECIMAL})")
_RATIO = re.compile(r"\d+(?:\.\d+)?\s*:\s*\d+(?:\.\d+)?")
_DECIMAL_COMMA = re.compile(r"[+-]?\d+,(?:\d{1,2}|\d{4,})")
_NON_FINITE = re.compile(r"[+-]?(?:inf|infinity|nan)", re.IGNORECASE)


#: Longest value shown in a message (a whole file read as one cell must not flood stderr).
SHOWN_MAX: Final = 80


def shown(value: object) -> str:
    """``repr(value)`` cut to :data:`SHOWN_MAX` characters, with an ellipsis when cut."""
    text = repr(value)
    return text if len(text) <= SHOWN_MAX else text[: SHOWN_MAX - 1] + "…"


def clean_cell(text: str) -> str:
    """Strip ordinary and non-breaking spaces and trailing footnote marks ("12*", "96.1†")
    around a cell."""
    return text.replace("\u00a0", " ").replace("\u202f", " ").strip().rstrip("*†‡§").strip()


def _int(text: str) -> int:
    return int(text.replace(",", "").replace(" ", ""))


def _float(text: str) -> float:
    return float(text.replace(",", "").replace(" ", ""))


@dataclass(frozen=True)
class Rank:
    """One parsed rank cell. ``rank`` is 0 when none is printed; a band has ``band_lo`` and
    ``band_hi`` (:data:`~palmares.ranking.BAND_OPEN` for "801+"); an individual rank has
    ``band_lo == band_hi == rank``."""

    status: RankStatus
    rank: int = 0
    tied: bool = False
    band_lo: int = 0
    band_hi: int = 0
    display: str = ""


@dataclass(frozen=True)
class Score:
    """One parsed score cell: a value, a range (``lo``, ``hi``; no value) or nothing (NaN)."""

    value: float = math.nan
    lo: float = math.nan
    hi: float = math.nan

    @property
    def empty(self) -> bool:
        return math.isnan(self.value) and math.isnan(self.lo)


class CellError(ValueError):
    """A cell in no accepted form; the message says what it looks like."""


def _ranked(number: str, tied: bool, display: str) -> Rank:
    value = _int(number)
    if value < 1:
        raise CellError("a rank starts at 1")
    return Rank("ranked", value, tied, value, value, display)


def parse_rank(text: str) -> Rank:
    """A rank cell in any printed form; :class:`CellError` when it is in none."""
    cell = clean_cell(text)
    if cell.casefold() in EMPTY_FORMS or cell.casefold() in _NOT_RANKED:
        return Rank("unranked", display=cell)
    if cell.casefold() == "reporter":
        return Rank("reporter", display=cell)
    for pattern, tied in (
        (_RANK_PLAIN, False),
        (_RANK_JOINT_BEFORE, True),
        (_RANK_JOINT_AFTER, True),
    ):
        match = pattern.fullmatch(cell)
        if match:
            # "1.0" (a spreadsheet's whole number) is displayed as the publisher printed it: 1.
            return _ranked(match.group(1), tied, match.group(1) if "." in cell else cell)
    match = _RANK_FRENCH.fullmatch(cell)
    if match:
        return _ranked(match.group(1), match.group(2) is not None, cell)
    match = _RANK_BAND.fullmatch(cell)
    if match:
        lo, hi = _int(match.group(1)), _int(match.group(2))
        if lo < 1 or hi < lo:
            raise CellError(f"a band runs from a low rank >= 1 to a higher one, not {lo} to {hi}")
        return Rank("banded", 0, False, lo, hi, cell)
    match = _RANK_OPEN.fullmatch(cell)
    if match:
        lo = _int(match.group(1))
        if lo < 1:
            raise CellError("a band starts at rank 1 or later")
        return Rank("banded", 0, False, lo, BAND_OPEN, cell)
    if re.fullmatch(r"[+-]?\d+[.,]\d+", cell):
        raise CellError("a rank is a whole number")
    raise CellError(
        "not a rank (expected 39, =39, 39=, a band 201-250 or 801+, Reporter, or -/n/a/empty)"
    )


def parse_score(text: str) -> Score:
    """A score cell in any printed form; :class:`CellError` when it is in none."""
    cell = clean_cell(text)
    if cell.casefold() in EMPTY_FORMS:
        return Score()
    match = _SCORE.fullmatch(cell)
    if match:
        value = _float(match.group(2))
        return Score(-value if match.group(1) == "-" else value)
    match = _PERCENT.fullmatch(cell)
    if match:
        return Score(_float(match.group(1)))
    match = _OUT_OF.fullmatch(cell)
    if match:
        return Score(_float(match.group(1)))
    match = _SCORE_RANGE.fullmatch(cell)
    if match:
        lo, hi = _float(match.group(1)), _float(match.group(2))
        if hi < lo:
            raise CellError(f"a score range runs from low to high, not {lo:g} to {hi:g}")
        return Score(math.nan, lo, hi)
    if _RATIO.fullmatch(cell):
        raise CellError("a ratio, not a score")
    if _DECIMAL_COMMA.fullmatch(cell):
        raise CellError("a decimal comma: publishers' scores use a decimal point")
    if _NON_FINITE.fullmatch(cell):
        raise CellError("not a finite number")
    raise CellError("not a number (expected 96.1, 20,152, 25%, a range 46.3-50.4, or -/n/a/empty)")


@dataclass(frozen=True)
class RankColumn:
    """A column of rank cells; ``errors`` maps a cell's position to the reason it was refused."""

    status: npt.NDArray[np.str_]
    rank: npt.NDArray[np.int64]
    tied: npt.NDArray[np.bool_]
    band_lo: npt.NDArray[np.int64]
    band_hi: npt.NDArray[np.int64]
    display: npt.NDArray[np.str_]
    errors: dict[int, str]


@dataclass(frozen=True)
class ScoreColumn:
    """A column of score cells (NaN where nothing or a range is printed)."""

    value: npt.NDArray[np.float64]
    lo: npt.NDArray[np.float64]
    hi: npt.NDArray[np.float64]
    errors: dict[int, str]

    @property
    def present(self) -> npt.NDArray[np.bool_]:
        return ~np.isnan(self.value)


def _by_unique(cells: Iterable[str]) -> tuple[list[str], npt.NDArray[np.intp]]:
    texts = np.asarray(list(cells), dtype=object)
    if texts.size == 0:
        return [], np.zeros(0, dtype=np.intp)
    uniques, inverse = np.unique(texts.astype(str), return_inverse=True)
    return uniques.tolist(), inverse


def parse_rank_column(cells: Iterable[str]) -> RankColumn:
    """Parse every cell of a rank column; refused cells become "unranked" with an error."""
    uniques, inverse = _by_unique(cells)
    parsed: list[Rank] = []
    reasons: list[str] = []
    for text in uniques:
        try:
            parsed.append(parse_rank(text))
            reasons.append("")
        except CellError as error:
            parsed.append(Rank("unranked", display=clean_cell(text)))
            reasons.append(str(error))

    def field(name: str, dtype: type) -> npt.NDArray[Any]:
        values: npt.NDArray[Any] = np.array([getattr(p, name) for p in parsed], dtype=dtype)
        return values[inverse] if values.size else np.zeros(0, dtype=dtype)

    reason = np.array(reasons, dtype=object)[inverse] if reasons else np.zeros(0, dtype=object)
    return RankColumn(
        status=field("status", object).astype(str),
        rank=field("rank", np.int64),
        tied=field("tied", np.bool_),
        band_lo=field("band_lo", np.int64),
        band_hi=field("band_hi", np.int64),
        display=field("display", object).astype(str),
        errors={int(i): str(reason[i]) for i in np.flatnonzero(reason != "")},
    )


def parse_score_column(cells: Iterable[str]) -> ScoreColumn:
    """Parse every cell of a score column; refused cells become NaN with an error."""
    uniques, inverse = _by_unique(cells)
    parsed: list[Score] = []
    reasons: list[str] = []
    for text in uniques:
        try:
            parsed.append(parse_score(text))
            reasons.append("")
        except CellError as error:
            parsed.append(Score())
            reasons.append(str(error))
    if not parsed:
        empty = np.zeros(0)
        return ScoreColumn(empty, empty, empty, {})
    value = np.array([p.value for p in parsed])[inverse]
    lo = np.array([p.lo for p in parsed])[inverse]
    hi = np.array([p.hi for p in parsed])[inverse]
    reason = np.array(reasons, dtype=object)[inverse]
    return ScoreColumn(
        value, lo, hi, {int(i): str(reason[i]) for i in np.flatnonzero(reason != "")}
    )
