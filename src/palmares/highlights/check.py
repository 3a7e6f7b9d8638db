"""Check a claim ``KIND=VALUE`` against the facts: whether it holds, the proof, and the correct
phrasing in French and English.

- ``percentile=X`` (alias ``top-percent``): holds when the worse rank r of a field of n meets
  ``ceil(100 r / n) <= X``, i.e. ``100 r <= X n`` (27th of 168 is top 17 %, not top 15 %).
- ``top_n=N``: holds when the worse rank (a band's upper end) is <= N.
- ``rank=R``, ``national_rank=R``, ``regional_rank=R``: the (worse end of the) rank equals R; a
  leading ``=`` or a trailing ``e``/``th``... is ignored.
- ``band=LO-HI`` (or ``band=HI``): the printed band is that one (or lies inside the top HI).
- ``movement=P`` (or ``movement=P@YEAR``): the places gained since the previous edition (or
  since YEAR) equal P.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from palmares.highlights.facts import Fact, build_movement, context, facts
from palmares.highlights.render import render
from palmares.history import EditionSeries

ALIASES = {"top-percent": "percentile", "top_percent": "percentile", "top-n": "top_n"}
CHECKABLE = ("percentile", "top_n", "rank", "band", "national_rank", "regional_rank", "movement")


@dataclass(frozen=True)
class Check:
    """The verdict on one claim."""

    claim: str
    kind: str
    value: str
    holds: bool
    proof: str
    correct_text_fr: str
    correct_text_en: str

    def to_json(self) -> dict[str, Any]:
        return {
            "claim": self.claim,
            "kind": self.kind,
            "value": self.value,
            "holds": self.holds,
            "proof": self.proof,
            "correct_text_fr": self.correct_text_fr,
            "correct_text_en": self.correct_text_en,
        }


def parse_claim(claim: str) -> tuple[str, str]:
    """``"top-percent=15"`` -> ``("percentile", "15")``; ValueError when malformed."""
    kind, sep, value = claim.partition("=")
    kind = ALIASES.get(kind.strip(), kind.strip())
    if not sep or not value.strip():
        raise ValueError(f"claim {claim!r}: expected KIND=VALUE")
    if kind not in CHECKABLE:
        raise ValueError(f"claim {claim!r}: KIND must be one of {', '.join(CHECKABLE)}")
    return kind, value.strip()


def _int(value: str, claim: str) -> int:
    found = re.fullmatch(r"=?\s*([+-]?\d+)\s*(?:e|er|re|st|nd|rd|th|%)?", value.strip())
    if not found:
        raise ValueError(f"claim {claim!r}: {value!r} is not a whole number")
    return int(found.group(1))


def _first(found: list[Fact], kind: str, node: bool = True) -> Fact | None:
    for f in found:
        if f.kind == kind and (not node or f.values.get("node") is None):
            return f
    return None


def check(
    series: EditionSeries,
    institution: str,
    edition: int,
    claim: str,
    *,
    data_hash: str | None = None,
) -> Check:
    """Whether ``claim`` holds for ``institution`` in ``edition``, with proof and phrasing."""
    kind, value = parse_claim(claim)
    found = facts(series, institution, edition, data_hash=data_hash)
    dataset = series.dataset
    fact: Fact | None
    holds: bool
    if kind == "percentile":
        x = _int(value, claim)
        fact = _first(found, "percentile")
        if fact is None:
            return _unranked(claim, kind, value)
        r, n = int(fact.values["rank"]), int(fact.values["field_size"])
        holds = 100 * r <= x * n
        proof = (
            f"rank {r} of {n}: 100 x {r} / {n} = {100 * r / n:.2f}, "
            f"top {fact.values['top_percent']}% (ceil); top {x}% needs rank <= "
            f"{x * n / 100:.2f}"
        )
    elif kind == "top_n":
        x = _int(value, claim)
        fact = _first(found, "top_n", node=False)
        if fact is None:
            return _unranked(claim, kind, value)
        r = int(fact.values["rank"])
        holds = r <= x
        sign = "<=" if holds else ">"
        proof = f"rank {r} (worse end) {sign} {x}; smallest rung: top {fact.values['n']}"
    elif kind in ("rank", "national_rank", "regional_rank"):
        x = _int(value, claim)
        fact = _first(found, kind)
        if fact is None:
            return _unranked(claim, kind, value)
        r, tie = int(fact.values["rank"]), int(fact.values["tie_size"])
        holds = r == x
        proof = f"rank {r} of {fact.values['field_size']} (tie of {tie})"
    elif kind == "band":
        fact = _first(found, "band")
        if fact is None:
            return _unranked(claim, kind, value)
        lo, hi = int(fact.values["band_lo"]), int(fact.values["band_hi"])
        parts = [p for p in re.split(r"\s*[-–]\s*", value) if p]
        if len(parts) == 2:
            holds = (_int(parts[0], claim), _int(parts[1], claim)) == (lo, hi)
        else:
            holds = hi <= _int(parts[0], claim)
        proof = f"printed band {fact.values['band']} of {fact.values['field_size']}"
    else:
        places_text, _, year_text = value.partition("@")
        x = _int(places_text, claim)
        earlier = _int(year_text, claim) if year_text else None
        ctx = context(series, institution, edition, data_hash=data_hash)
        moves = build_movement(ctx, earlier)
        previous = earlier or ctx.row.get("previous_edition")
        fact = next((m for m in moves if m.values["previous_edition"] == previous), None)
        if fact is None:
            return _unranked(claim, kind, value)
        p = int(fact.values["places"])
        holds = p == x
        proof = (
            f"{fact.values['previous_edition']}: rank {fact.values['previous_rank']}, "
            f"{edition}: rank {fact.values['rank']}; places = "
            f"{fact.values['previous_rank']} - {fact.values['rank']} = {p}"
        )
        if fact.values.get("flags"):
            proof += f" (flags: {', '.join(fact.values['flags'])})"
    return Check(
        claim=claim,
        kind=kind,
        value=value,
        holds=holds,
        proof=proof,
        correct_text_fr=render(fact, dataset, "fr"),
        correct_text_en=render(fact, dataset, "en"),
    )


def _unranked(claim: str, kind: str, value: str) -> Check:
    return Check(
        claim=claim,
        kind=kind,
        value=value,
        holds=False,
        proof=f"no {kind} fact: the institution is not ranked (or not so) in this edition",
        correct_text_fr="",
        correct_text_en="",
    )
