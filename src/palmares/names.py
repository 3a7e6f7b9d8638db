"""Names of institutions: the folded form user queries are matched on, and the typo-tolerant
search over ids, names and aliases (rapidfuzz) shared by the Dataset and the store.

Imports neither pandas nor pyarrow: searching a store stays light.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

#: Below this similarity (0-100) a name is not offered.
MIN_SCORE = 60.0


def fold_name(text: str) -> str:
    """Case- and accent-insensitive form of a name, for exact matching of user queries."""
    decomposed = unicodedata.normalize("NFKD", text)
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return " ".join(stripped.casefold().split())


@dataclass(frozen=True)
class SearchHit:
    """One institution found by a search (contracts section 9)."""

    id: str
    name: str
    country: str | None
    matched: str
    score: float

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "name": self.name,
            "country": self.country,
            "matched": self.matched,
            "score": self.score,
        }


def rank_names(
    text: str, names: Sequence[tuple[str, str, str | None, str]], *, limit: int = 10
) -> list[SearchHit]:
    """Best-first hits for ``text`` among ``(id, name, country, known-by name)`` rows: each
    institution once, with its best-matching name; ties by id."""
    from rapidfuzz import fuzz

    # WRatio weighs whole, partial and token matches: "mines ales" finds "IMT Mines Alès".
    best = _best_per_institution(text, names, fuzz.WRatio, MIN_SCORE, exact_is_full=True)
    order = sorted(best.items(), key=lambda item: (-item[1][0], item[0]))[:limit]
    return _hits(names, order)


def _best_per_institution(
    text: str,
    names: Sequence[tuple[str, str, str | None, str]],
    scorer: Any,
    cutoff: float,
    *,
    exact_is_full: bool = False,
) -> dict[str, tuple[float, int]]:
    """Each institution's best (score, row) among ``names`` for ``text`` (rapidfuzz's
    ``scorer`` on folded names, at least ``cutoff``); an exact folded match scores 100 when
    ``exact_is_full``."""
    from rapidfuzz import process, utils

    query = fold_name(text)
    if not query or not names:
        return {}
    choices = [fold_name(n) for _, _, _, n in names]
    scored = process.extract(
        query,
        choices,
        scorer=scorer,
        processor=utils.default_process,
        limit=None,
        score_cutoff=cutoff,
    )
    best: dict[str, tuple[float, int]] = {}
    for _choice, score, index in scored:
        ident = names[index][0]
        value = 100.0 if exact_is_full and choices[index] == query else float(score)
        if ident not in best or value > best[ident][0]:
            best[ident] = (value, index)
    return best


def _hits(
    names: Sequence[tuple[str, str, str | None, str]],
    order: Sequence[tuple[str, tuple[float, int]]],
) -> list[SearchHit]:
    return [
        SearchHit(
            id=ident,
            name=names[index][1],
            country=names[index][2],
            matched=names[index][3],
            score=round(score, 1),
        )
        for ident, (score, index) in order
    ]


#: A did-you-mean offers a name only this similar to what was typed (0-100, whole names).
CLOSE_SCORE = 80.0
#: ... and only the names about as close as the best: a typo names its institution.
CLOSE_MARGIN = 5.0


def closest_names(
    text: str, names: Sequence[tuple[str, str, str | None, str]], *, limit: int = 5
) -> list[SearchHit]:
    """The institutions a mistyped id, name or alias most likely meant, best first: the one
    did-you-mean of the CLI, the API and the web pages (never used to pick one).

    Whole names are compared (rapidfuzz's token sort ratio: case, accents, punctuation and word
    order ignored, a shared word such as "université" alone scoring low, unlike a search,
    which also matches parts): at least :data:`CLOSE_SCORE`, within :data:`CLOSE_MARGIN` of the
    best. More such institutions than ``limit`` is a crowd, not an answer: none, as when
    nothing is close (then :func:`unknown_institution` points to ``palmares search``).
    """
    from rapidfuzz import fuzz

    best = _best_per_institution(text, names, fuzz.token_sort_ratio, CLOSE_SCORE)
    if not best:
        return []
    top = max(score for score, _ in best.values())
    near = sorted(
        ((ident, hit) for ident, hit in best.items() if hit[0] >= top - CLOSE_MARGIN),
        key=lambda item: (-item[1][0], item[0]),
    )
    if len(near) > limit:
        return []
    return _hits(names, near)


def unknown_institution(query: str, closest: Sequence[tuple[str, str]]) -> str:
    """The one message for an unknown institution: the closest ``(id, name)``, or that nothing
    is close and how to search (translatable: :mod:`palmares.translatable`)."""
    from palmares.translatable import tr

    if closest:
        hint = tr("; closest: {names}", names=", ".join(f"{i} ({n})" for i, n in closest))
    else:
        hint = tr("; nothing close: search with palmares search {query!r}", query=query)
    return tr("no institution with id, name or alias {query!r}{hint}", query=query, hint=hint)
