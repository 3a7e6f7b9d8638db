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
from palmares.highlights.render import Labels, render
from palmares.history import EditionSeries

ALIASES = {
    "top-percent": "percentile",
    "top_percent": "percentile",
    "top-n": "top_n",
    "grades": "grade_count",
    "group": "group_position",
    "top-n-change": "top_n_change",
    "band-change": "band_change",
}
CHECKABLE = (
    "percentile",
    "top_n",
    "rank",
    "band",
    "national_rank",
    "regional_rank",
    "movement",
    "grade_count",
    "group_position",
    "participation",
    "field_size",
    "sdg_coverage",
    "sdg_bands",
    "top_n_change",
    "band_change",
)
#: Release wording accepted for a percentile: "top 15 %", "top 15%", "15 %".
_RELEASE_PERCENT = re.compile(r"(?i)^\s*(?:top\s*)?(\d+)\s*%?\s*$")


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
    """``"top-percent=15"`` -> ``("percentile", "15")``; ValueError when malformed. Release
    wording such as ``top 15 %`` (no ``=``) is a percentile claim."""
    release = re.fullmatch(r"(?i)\s*top\s*(\d+)\s*%\s*", claim)
    if release:
        return "percentile", release.group(1)
    kind, sep, value = claim.partition("=")
    kind = ALIASES.get(kind.strip().lower(), kind.strip().lower())
    if not sep or not value.strip():
        raise ValueError(f"claim {claim!r}: expected KIND=VALUE")
    if kind not in CHECKABLE:
        from rapidfuzz import process

        near = [m for m, _, _ in process.extract(kind, [*CHECKABLE, *ALIASES], limit=2)]
        raise ValueError(
            f"--claim {claim!r}: unknown KIND {kind!r}; did you mean {', '.join(near)}? "
            f"(valid: {', '.join(CHECKABLE)}; aliases: {', '.join(ALIASES)})"
        )
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


def _node_of(series: EditionSeries, edition: int, name: str) -> str | None:
    """A dimension named by id or by the end of its id ("teaching" for "umr.teaching")."""
    result = series.result(edition)
    if result is None:
        return None
    ids = list(result.tree.ids)
    for node in ids:
        if node == name or node.rsplit(".", 1)[-1] == name or node.endswith(name):
            return node
    return None


def _pair(value: str, claim: str, sep: str = ":") -> tuple[str, str]:
    first, found, second = value.partition(sep)
    if not found or not first.strip() or not second.strip():
        raise ValueError(f"claim {claim!r}: expected two values separated by {sep!r}")
    return first.strip(), second.strip()


def _band_bounds(text: str, claim: str) -> tuple[int, int | None]:
    parts = [p for p in re.split(r"\s*[-–]\s*", text.strip()) if p]
    if len(parts) == 2:
        return _int(parts[0], claim), _int(parts[1], claim)
    if len(parts) == 1:
        return 0, _int(parts[0], claim)
    raise ValueError(f"claim {claim!r}: {text!r} is not a band such as 201-300")


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
        release = _RELEASE_PERCENT.fullmatch(value)
        x = int(release.group(1)) if release else _int(value, claim)
        fact = _first(found, "percentile")
        if fact is None:
            return _missing(claim, kind, value, found, dataset, series=series, edition=edition)
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
            return _missing(claim, kind, value, found, dataset, series=series, edition=edition)
        r = int(fact.values["rank"])
        holds = r <= x
        sign = "<=" if holds else ">"
        proof = f"rank {r} (worse end) {sign} {x}; smallest rung: top {fact.values['n']}"
    elif kind in ("rank", "national_rank", "regional_rank"):
        name, _, rank_text = value.rpartition(":")
        x = _int(rank_text, claim)
        if name.strip():  # in a dimension: national_rank=teaching:1
            node = _node_of(series, edition, name.strip())
            if node is None:
                raise ValueError(
                    f"claim {claim!r}: no dimension {name.strip()!r} in {series.system}"
                )
            fact = next((f for f in found if f.kind == kind and f.values.get("node") == node), None)
        else:
            fact = _first(found, kind)
        if fact is None and not name.strip() and kind != "rank":
            stated = _scoped_without_fact(series, institution, edition, kind, found, claim, x)
            if stated is not None:
                return stated
        if fact is None:
            return _missing(claim, kind, value, found, dataset, series=series, edition=edition)
        r, tie = int(fact.values["rank"]), int(fact.values["tie_size"])
        holds = r == x
        proof = f"rank {r} of {fact.values['field_size']} (tie of {tie})"
        if fact.values.get("node"):
            proof += f" in {fact.values['node']}"
        band = _first(found, "band")
        if band is not None:
            proof += f"; the institution is in the band {band.values['band']}"
    elif kind == "band":
        fact = _first(found, "band")
        if fact is None:
            return _missing(claim, kind, value, found, dataset, series=series, edition=edition)
        lo, hi = int(fact.values["band_lo"]), int(fact.values["band_hi"])
        want_lo, want_hi = _band_bounds(value, claim)
        holds = (want_lo, want_hi) == (lo, hi) if want_lo else hi <= int(want_hi or 0)
        proof = f"printed band {fact.values['band']} of {fact.values['field_size']}"
    elif kind == "movement":
        if ":" in value:
            year_text, places_text = _pair(value, claim)
        else:
            places_text, _, year_text = value.partition("@")
        x = _int(places_text, claim)
        earlier = _int(year_text, claim) if year_text else None
        ctx = context(series, institution, edition, data_hash=data_hash)
        moves = build_movement(ctx, earlier)
        previous = earlier or ctx.row.get("previous_edition")
        fact = next((m for m in moves if m.values["previous_edition"] == previous), None)
        if fact is None:
            return _missing(
                claim, kind, value, found, dataset, "band_change", series=series, edition=edition
            )
        p = int(fact.values["places"])
        holds = p == x
        proof = (
            f"{fact.values['previous_edition']}: rank {fact.values['previous_rank']}, "
            f"{edition}: rank {fact.values['rank']}; places = "
            f"{fact.values['previous_rank']} - {fact.values['rank']} = {p}"
        )
        if fact.values.get("flags"):
            proof += f" (flags: {', '.join(fact.values['flags'])})"
    elif kind == "grade_count":
        fact = _first(found, "grade_count", node=False)
        if fact is None:
            return _missing(claim, kind, value, found, dataset, series=series, edition=edition)
        by_dimension = dict(fact.values["by_dimension"])
        if ":" in value:
            name, count_text = _pair(value, claim)
            node = _node_of(series, edition, name)
            if node is None:
                raise ValueError(f"claim {claim!r}: no dimension {name!r} in {series.system}")
            got = int(by_dimension.get(node, 0))
            holds = got == _int(count_text, claim)
            proof = f"{got} A grade(s) in {node}"
        else:
            got = int(fact.values["total"])
            holds = got == _int(value, claim)
            detail = ", ".join(f"{n}: {c}" for n, c in by_dimension.items())
            proof = f"{got} A grade(s) in total ({detail})"
    elif kind == "group_position":
        fact = _first(found, "group_position", node=False)
        if fact is None:
            return _missing(claim, kind, value, found, dataset, series=series, edition=edition)
        group, _, half = value.partition(":")
        v = fact.values
        holds = group.strip().upper() == str(v["group"]).upper()
        if half.strip():
            holds = holds and half.strip().lower().startswith(str(v["half"]))
        proof = f"group {v['group']}, {v['rank_in_group']} of {v['group_size']} ({v['half']} half)"
    elif kind in ("participation", "field_size", "sdg_coverage"):
        fact = _first(found, kind, node=False)
        if fact is None:
            return _missing(claim, kind, value, found, dataset, series=series, edition=edition)
        key = {"participation": "count", "field_size": "count", "sdg_coverage": "ranked"}[kind]
        got = int(fact.values[key])
        holds = got == _int(value, claim)
        proof = f"{kind} {got}" + (f" of {fact.values['total']}" if kind == "sdg_coverage" else "")
    elif kind == "sdg_bands":
        fact = _first(found, "sdg_bands", node=False)
        if fact is None:
            return _missing(claim, kind, value, found, dataset, series=series, edition=edition)
        rung_text, count_text = _pair(value, claim)
        rung = _int(re.sub(r"(?i)^top[-_ ]?", "", rung_text), claim)
        counts = {int(k): int(c) for k, c in fact.values["counts_by_band"].items()}
        within = sum(c for k, c in counts.items() if k <= rung)
        holds = within == _int(count_text, claim)
        proof = f"{within} SDG table(s) in the top {rung} (worse end of each band)"
    elif kind == "top_n_change":
        fact = _first(found, "top_n_change", node=False)
        if fact is None:
            return _missing(claim, kind, value, found, dataset, series=series, edition=edition)
        before, after = (_int(t, claim) for t in _pair(value, claim))
        v = fact.values
        holds = (before, after) == (int(v["previous_n"]), int(v["n"]))
        proof = f"top {v['previous_n']} in {v['previous_edition']}, top {v['n']} in {edition}"
    else:  # band_change
        fact = _first(found, "band_change", node=False)
        if fact is None:
            return _missing(claim, kind, value, found, dataset, series=series, edition=edition)
        before_text, after_text = _pair(value, claim)
        v = fact.values
        claimed = (_band_bounds(before_text, claim), _band_bounds(after_text, claim))
        actual = (_band_bounds(str(v["previous_band"]), claim), _band_bounds(str(v["band"]), claim))
        holds = claimed == actual
        proof = f"{v['previous_edition']}: {v['previous_band']}, {edition}: {v['band']}"
    return Check(
        claim=claim,
        kind=kind,
        value=value,
        holds=holds,
        proof=proof,
        correct_text_fr=render(fact, dataset, "fr"),
        correct_text_en=render(fact, dataset, "en"),
    )


#: Kinds that state an overall position: none where the publisher prints no overall rank.
OVERALL = ("rank", "movement", "percentile", "top_n", "national_rank", "regional_rank", "band")


def _scoped_without_fact(
    series: EditionSeries,
    institution: str,
    edition: int,
    kind: str,
    found: list[Fact],
    claim: str,
    x: int,
) -> Check | None:
    """A national or regional rank that no highlight states (the whole field is one country,
    or the scope ranks one institution): the published scoped rank (contracts section 6)
    answers, and the phrasing is the overall position's."""
    from palmares.highlights.facts import published_scoped_rank

    prefix = "national" if kind == "national_rank" else "regional"
    row = context(series, institution, edition).row
    rank, _ = published_scoped_rank(row, prefix)
    size = int(row.get(f"{prefix}_field_size") or 0)
    stated = next(
        (f for f in found if f.kind in ("rank", "band") and not f.values.get("node")), None
    )
    if not rank or not size or stated is None or not series.publishes_rank(edition):
        return None
    if size == int(row.get("field_size") or 0):
        proof = (
            f"the whole field is in one country: the {prefix} rank is the rank, {rank} of {size}"
        )
    else:
        proof = f"rank {rank} of {size} (no highlight: a field of {size})"
    dataset = series.dataset
    return Check(
        claim=claim,
        kind=kind,
        value=str(x),
        holds=rank == x,
        proof=proof,
        correct_text_fr=render(stated, dataset, "fr"),
        correct_text_en=render(stated, dataset, "en"),
    )


def _missing(
    claim: str,
    kind: str,
    value: str,
    found: list[Fact],
    dataset: Any,
    instead: str = "band",
    *,
    series: EditionSeries | None = None,
    edition: int | None = None,
) -> Check:
    """No fact of this kind: inside a printed band a rank is not published (the band is said
    instead); where no overall rank is printed (U-Multirank) none is published (the A counts
    or a dimension's rank are said instead); else the institution is not ranked so (the
    overall position, if any, is said)."""
    from palmares.i18n import gettext

    if (
        series is not None
        and edition is not None
        and kind in OVERALL
        and not series.publishes_rank(edition)
    ):
        # the same kind in a named dimension (its A count), else the grade count
        other = next((f for f in found if f.kind == kind and f.values.get("node")), None)
        other = other or _first(found, "grade_count", node=False)
        name = series.system
        texts = {
            lang: gettext(
                lang,
                "not published: {system} prints no overall rank",
                system=Labels(dataset, lang).node(name),
            )
            for lang in ("fr", "en")
        }
        sep = {"fr": " ; ", "en": "; "}
        return Check(
            claim=claim,
            kind=kind,
            value=value,
            holds=False,
            proof=f"not published: {name} prints no overall rank",
            correct_text_fr=texts["fr"]
            + ("" if other is None else sep["fr"] + render(other, dataset, "fr")),
            correct_text_en=texts["en"]
            + ("" if other is None else sep["en"] + render(other, dataset, "en")),
        )
    band = _first(found, "band")
    if band is not None and kind in ("rank", "movement", "national_rank", "regional_rank"):
        other = _first(found, instead, node=False) or band
        shown = str(band.values["band"])
        return Check(
            claim=claim,
            kind=kind,
            value=value,
            holds=False,
            proof=f"not published: the band is {shown}",
            correct_text_fr=gettext("fr", "not published: the band is {band}", band=shown)
            + " ; "
            + render(other, dataset, "fr"),
            correct_text_en=gettext("en", "not published: the band is {band}", band=shown)
            + "; "
            + render(other, dataset, "en"),
        )
    stated = next((f for f in found if f.kind in ("rank", "band", "grade_count")), None)
    return Check(
        claim=claim,
        kind=kind,
        value=value,
        holds=False,
        proof=f"no {kind} fact: not stated for this institution in this edition",
        correct_text_fr="" if stated is None else render(stated, dataset, "fr"),
        correct_text_en="" if stated is None else render(stated, dataset, "en"),
    )
