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
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from palmares import i18n
from palmares.highlights.facts import Fact, build_movement, context, facts
from palmares.highlights.render import N_, Labels, render
from palmares.history import EditionSeries
from palmares.lang import check_lang, format_decimal, format_int, format_percent
from palmares.translatable import tr

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
        raise ValueError(tr("claim {claim!r}: expected KIND=VALUE", claim=claim))
    if kind not in CHECKABLE:
        from rapidfuzz import process

        near = [m for m, _, _ in process.extract(kind, [*CHECKABLE, *ALIASES], limit=2)]
        raise ValueError(
            tr(
                "--claim {claim!r}: unknown KIND {kind!r}; did you mean {near}? "
                "(valid: {kinds}; aliases: {aliases})",
                claim=claim,
                kind=kind,
                near=", ".join(near),
                kinds=", ".join(CHECKABLE),
                aliases=", ".join(ALIASES),
            )
        )
    return kind, value.strip()


def _int(value: str, claim: str) -> int:
    found = re.fullmatch(r"=?\s*([+-]?\d+)\s*(?:e|er|re|st|nd|rd|th|%)?", value.strip())
    if not found:
        raise ValueError(
            tr("claim {claim!r}: {value!r} is not a whole number", claim=claim, value=value)
        )
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
        raise ValueError(
            tr("claim {claim!r}: expected two values separated by {sep!r}", claim=claim, sep=sep)
        )
    return first.strip(), second.strip()


def _band_bounds(text: str, claim: str) -> tuple[int, int | None]:
    parts = [p for p in re.split(r"\s*[-–]\s*", text.strip()) if p]
    if len(parts) == 2:
        return _int(parts[0], claim), _int(parts[1], claim)
    if len(parts) == 1:
        return 0, _int(parts[0], claim)
    raise ValueError(
        tr("claim {claim!r}: {text!r} is not a band such as 201-300", claim=claim, text=text)
    )


class Words:
    """The catalogue and number formats of one language, for the proofs of a check."""

    def __init__(self, dataset: Any, lang: str) -> None:
        self.lang = check_lang(lang)
        self.labels = Labels(dataset, self.lang)

    def _(self, message: str, /, **values: object) -> str:
        return i18n.gettext(self.lang, message, **values)

    def _n(self, singular: str, plural: str, n: int, /, **values: object) -> str:
        """The form ``n`` takes; ``{n}`` is written as this language writes numbers."""
        text = i18n.translations(self.lang).ngettext(singular, plural, int(n))
        return text.format(n=self.n(n), **values)

    def n(self, value: Any) -> str:
        return format_int(int(value), self.lang)

    def decimal(self, value: float) -> str:
        return format_decimal(value, self.lang, 2)

    def percent(self, value: Any) -> str:
        x = float(value)
        return format_percent(x, self.lang, 0 if x.is_integer() else 1)

    def node(self, node: str) -> str:
        return self.labels.node(node)

    def flags(self, flags: Any) -> str:
        return ", ".join(i18n.pgettext(self.lang, "movement flag", str(f)) for f in flags)


#: The proof of a verdict, written in any language.
Proof = Callable[[Words], str]


def _rank_proof(kind: str, v: dict[str, Any], band: Fact | None) -> Proof:
    def prove(w: Words) -> str:
        tie, size = int(v.get("tie_size") or 1), v.get("field_size")
        if size is None:
            text = w._n(
                "rank {rank} ({n} institution at this rank)",
                "rank {rank} ({n} institutions at this rank)",
                tie,
                rank=w.n(v["rank"]),
            )
        else:
            text = w._n(
                "rank {rank} of {field} ({n} institution at this rank)",
                "rank {rank} of {field} ({n} institutions at this rank)",
                tie,
                rank=w.n(v["rank"]),
                field=w.n(size),
            )
        if v.get("node"):
            text = w._("{proof} for “{dimension}”", proof=text, dimension=w.node(v["node"]))
        scope = v.get("scope")
        if kind == "national_rank" and scope:
            text = w._("{scope}: {proof}", scope=i18n.country_name(str(scope), w.lang), proof=text)
        elif kind == "regional_rank" and scope:
            text = w._("{scope}: {proof}", scope=scope, proof=text)
        if band is not None:
            text = w._(
                "{proof}; the institution is in the band {band}",
                proof=text,
                band=band.values["band"],
            )
        return text

    return prove


def check(
    series: EditionSeries,
    institution: str,
    edition: int,
    claim: str,
    *,
    data_hash: str | None = None,
    lang: str = "en",
) -> Check:
    """Whether ``claim`` holds for ``institution`` in ``edition``, with proof (in ``lang``) and
    phrasing (in French and English)."""
    check_lang(lang)
    kind, value = parse_claim(claim)
    found = facts(series, institution, edition, data_hash=data_hash)
    dataset = series.dataset

    def missing(instead: str = "band") -> Check:
        return _missing(
            claim, kind, value, found, dataset, instead, series=series, edition=edition, lang=lang
        )

    fact: Fact | None
    holds: bool
    prove: Proof
    if kind == "percentile":
        release = _RELEASE_PERCENT.fullmatch(value)
        x = int(release.group(1)) if release else _int(value, claim)
        fact = _first(found, "percentile")
        if fact is None:
            return missing()
        r, n = int(fact.values["rank"]), int(fact.values["field_size"])
        holds = 100 * r <= x * n
        top = fact.values["top_percent"]

        def prove(w: Words) -> str:
            return w._(
                "rank {rank} of {field}: 100 × {rank} / {field} = {share}, top {top} (rounded "
                "up); top {wanted} needs rank ≤ {limit}",
                rank=w.n(r),
                field=w.n(n),
                share=w.decimal(100 * r / n),
                top=w.percent(top),
                wanted=w.percent(x),
                limit=w.decimal(x * n / 100),
            )

    elif kind == "top_n":
        x = _int(value, claim)
        fact = _first(found, "top_n", node=False)
        if fact is None:
            return missing()
        r, rung = int(fact.values["rank"]), int(fact.values["n"])
        holds = r <= x

        def prove(w: Words) -> str:
            return w._(
                "rank {rank} (worse end) {sign} {n}; smallest rung: top {rung}",
                rank=w.n(r),
                sign="≤" if holds else ">",
                n=w.n(x),
                rung=w.n(rung),
            )

    elif kind in ("rank", "national_rank", "regional_rank"):
        name, _, rank_text = value.rpartition(":")
        x = _int(rank_text, claim)
        if name.strip():  # in a dimension: national_rank=teaching:1
            node = _node_of(series, edition, name.strip())
            if node is None:
                raise ValueError(
                    tr(
                        "claim {claim!r}: no dimension {name!r} in {system}",
                        claim=claim,
                        name=name.strip(),
                        system=series.system,
                    )
                )
            fact = next((f for f in found if f.kind == kind and f.values.get("node") == node), None)
        else:
            fact = _first(found, kind)
        if fact is None and not name.strip() and kind != "rank":
            stated = _scoped_without_fact(series, institution, edition, kind, found, claim, x, lang)
            if stated is not None:
                return stated
        if fact is None:
            return missing()
        holds = int(fact.values["rank"]) == x
        prove = _rank_proof(kind, dict(fact.values), _first(found, "band"))
    elif kind == "band":
        fact = _first(found, "band")
        if fact is None:
            return missing()
        lo, hi = int(fact.values["band_lo"]), int(fact.values["band_hi"])
        want_lo, want_hi = _band_bounds(value, claim)
        holds = (want_lo, want_hi) == (lo, hi) if want_lo else hi <= int(want_hi or 0)
        shown, size = fact.values["band"], fact.values.get("field_size")

        def prove(w: Words) -> str:
            if size is None:
                return w._("band {band} as printed", band=shown)
            return w._n(
                "band {band} as printed, of {n} institution ranked",
                "band {band} as printed, of {n} institutions ranked",
                int(size),
                band=shown,
            )

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
            return missing("band_change")
        v = dict(fact.values)
        holds = int(v["places"]) == x

        def prove(w: Words) -> str:
            text = w._(
                "{previous_edition}: rank {previous_rank}, {edition}: rank {rank}; places = "
                "{previous_rank} − {rank} = {places}",
                previous_edition=v["previous_edition"],
                previous_rank=w.n(v["previous_rank"]),
                edition=edition,
                rank=w.n(v["rank"]),
                places=w.n(v["places"]),
            )
            if v.get("flags"):
                text = w._("{proof} (flags: {flags})", proof=text, flags=w.flags(v["flags"]))
            return text

    elif kind == "grade_count":
        fact = _first(found, "grade_count", node=False)
        if fact is None:
            return missing()
        by_dimension = {str(k): int(c) for k, c in dict(fact.values["by_dimension"]).items()}
        if ":" in value:
            name, count_text = _pair(value, claim)
            node = _node_of(series, edition, name)
            if node is None:
                raise ValueError(f"claim {claim!r}: no dimension {name!r} in {series.system}")
            got = by_dimension.get(node, 0)
            holds = got == _int(count_text, claim)

            def prove(w: Words) -> str:
                return w._n(
                    "{n} A grade in “{dimension}”",
                    "{n} A grades in “{dimension}”",
                    got,
                    dimension=w.node(node),
                )

        else:
            got = int(fact.values["total"])
            holds = got == _int(value, claim)

            def prove(w: Words) -> str:
                detail = ", ".join(
                    w._("{dimension}: {n}", dimension=w.node(node), n=w.n(count))
                    for node, count in by_dimension.items()
                )
                return w._n(
                    "{n} A grade in total ({detail})",
                    "{n} A grades in total ({detail})",
                    got,
                    detail=detail,
                )

    elif kind == "group_position":
        fact = _first(found, "group_position", node=False)
        if fact is None:
            return missing()
        group, _, half = value.partition(":")
        v = dict(fact.values)
        holds = group.strip().upper() == str(v["group"]).upper()
        if half.strip():
            holds = holds and half.strip().lower().startswith(str(v["half"]))

        def prove(w: Words) -> str:
            values = {
                "group": v["group"],
                "rank": w.n(v["rank_in_group"]),
                "size": w.n(v["group_size"]),
            }
            if str(v["half"]) == "first":
                return w._("group {group}, {rank} of {size} (first half)", **values)
            return w._("group {group}, {rank} of {size} (second half)", **values)

    elif kind in ("participation", "field_size", "sdg_coverage"):
        fact = _first(found, kind, node=False)
        if fact is None:
            return missing()
        key = {"participation": "count", "field_size": "count", "sdg_coverage": "ranked"}[kind]
        got = int(fact.values[key])
        holds = got == _int(value, claim)
        total = int(fact.values.get("total") or 0)

        def prove(w: Words) -> str:
            if kind == "participation":
                return w._n("ranked in {n} edition", "ranked in {n} editions", got)
            if kind == "field_size":
                return w._n("{n} institution ranked", "{n} institutions ranked", got)
            return w._n(
                "in {ranked} of the {n} SDG table",
                "in {ranked} of the {n} SDG tables",
                total,
                ranked=w.n(got),
            )

    elif kind == "sdg_bands":
        fact = _first(found, "sdg_bands", node=False)
        if fact is None:
            return missing()
        rung_text, count_text = _pair(value, claim)
        rung = _int(re.sub(r"(?i)^top[-_ ]?", "", rung_text), claim)
        counts = {int(k): int(c) for k, c in fact.values["counts_by_band"].items()}
        within = sum(c for k, c in counts.items() if k <= rung)
        holds = within == _int(count_text, claim)

        def prove(w: Words) -> str:
            return w._n(
                "{n} SDG table in the top {rung} (worse end of each band)",
                "{n} SDG tables in the top {rung} (worse end of each band)",
                within,
                rung=w.n(rung),
            )

    elif kind == "top_n_change":
        fact = _first(found, "top_n_change", node=False)
        if fact is None:
            return missing()
        before, after = (_int(t, claim) for t in _pair(value, claim))
        v = dict(fact.values)
        holds = (before, after) == (int(v["previous_n"]), int(v["n"]))

        def prove(w: Words) -> str:
            return w._(
                "top {previous_n} in {previous_edition}, top {n} in {edition}",
                previous_n=w.n(v["previous_n"]),
                previous_edition=v["previous_edition"],
                n=w.n(v["n"]),
                edition=edition,
            )

    else:  # band_change
        fact = _first(found, "band_change", node=False)
        if fact is None:
            return missing()
        before_text, after_text = _pair(value, claim)
        v = dict(fact.values)
        claimed = (_band_bounds(before_text, claim), _band_bounds(after_text, claim))
        actual = (_band_bounds(str(v["previous_band"]), claim), _band_bounds(str(v["band"]), claim))
        holds = claimed == actual

        def prove(w: Words) -> str:
            return w._(
                "{previous_edition}: band {previous_band}, {edition}: band {band}",
                previous_edition=v["previous_edition"],
                previous_band=v["previous_band"],
                edition=edition,
                band=v["band"],
            )

    return Check(
        claim=claim,
        kind=kind,
        value=value,
        holds=holds,
        proof=prove(Words(dataset, lang)),
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
    lang: str,
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
    dataset = series.dataset
    w = Words(dataset, lang)
    values = {"rank": w.n(rank), "size": w.n(size)}
    whole = size == int(row.get("field_size") or 0)
    if whole and prefix == "national":
        proof = w._(
            "the whole field is in one country: the national rank is the rank, {rank} of {size}",
            **values,
        )
    elif whole:
        proof = w._(
            "the whole field is in one region: the regional rank is the rank, {rank} of {size}",
            **values,
        )
    elif prefix == "national":
        proof = w._("national rank {rank} of {size} (no highlight for so small a field)", **values)
    else:
        proof = w._("regional rank {rank} of {size} (no highlight for so small a field)", **values)
    return Check(
        claim=claim,
        kind=kind,
        value=str(x),
        holds=rank == x,
        proof=proof,
        correct_text_fr=render(stated, dataset, "fr"),
        correct_text_en=render(stated, dataset, "en"),
    )


#: What each checkable kind states, for "not stated: no {what} ..." (French needs no elision).
KIND_WORDS: dict[str, str] = {
    "percentile": N_("top percentage"),
    "top_n": N_("top N"),
    "rank": N_("rank"),
    "band": N_("band"),
    "national_rank": N_("national rank"),
    "regional_rank": N_("regional rank"),
    "movement": N_("gain in places"),
    "grade_count": N_("number of A grades"),
    "group_position": N_("position in a group"),
    "participation": N_("number of editions"),
    "field_size": N_("number ranked"),
    "sdg_coverage": N_("number of SDG tables"),
    "sdg_bands": N_("SDG band"),
    "top_n_change": N_("change of top N"),
    "band_change": N_("change of band"),
}


def _joined(first: str, other: Fact | None, dataset: Any, lang: str) -> str:
    """``first`` then, when there is one, the sentence of ``other`` ("…; IMT Mines Alès est…")."""
    if other is None:
        return first
    return i18n.gettext(lang, "{first}; {then}", first=first, then=render(other, dataset, lang))


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
    lang: str = "en",
) -> Check:
    """No fact of this kind: inside a printed band a rank is not published (the band is said
    instead); where no overall rank is printed (U-Multirank) none is published (the A counts
    or a dimension's rank are said instead); else the institution is not ranked so (the
    overall position, if any, is said)."""
    if (
        series is not None
        and edition is not None
        and kind in OVERALL
        and not series.publishes_rank(edition)
    ):
        # the same kind in a named dimension (its A count), else the grade count
        other = next((f for f in found if f.kind == kind and f.values.get("node")), None)
        other = other or _first(found, "grade_count", node=False)
        system = series.system

        def unpublished(language: str) -> str:
            return i18n.gettext(
                language,
                "not published: {system} prints no overall rank",
                system=Labels(dataset, language).node(system),
            )

        return Check(
            claim=claim,
            kind=kind,
            value=value,
            holds=False,
            proof=unpublished(lang),
            correct_text_fr=_joined(unpublished("fr"), other, dataset, "fr"),
            correct_text_en=_joined(unpublished("en"), other, dataset, "en"),
        )
    band = _first(found, "band")
    if band is not None and kind in ("rank", "movement", "national_rank", "regional_rank"):
        other = _first(found, instead, node=False) or band
        shown = str(band.values["band"])

        def in_band(language: str) -> str:
            return i18n.gettext(language, "not published: the band is {band}", band=shown)

        return Check(
            claim=claim,
            kind=kind,
            value=value,
            holds=False,
            proof=in_band(lang),
            correct_text_fr=_joined(in_band("fr"), other, dataset, "fr"),
            correct_text_en=_joined(in_band("en"), other, dataset, "en"),
        )
    stated = next((f for f in found if f.kind in ("rank", "band", "grade_count")), None)
    what = i18n.gettext(lang, KIND_WORDS[kind])
    return Check(
        claim=claim,
        kind=kind,
        value=value,
        holds=False,
        proof=i18n.gettext(
            lang, "not stated: no {what} for this institution in this edition", what=what
        ),
        correct_text_fr="" if stated is None else render(stated, dataset, "fr"),
        correct_text_en="" if stated is None else render(stated, dataset, "en"),
    )
