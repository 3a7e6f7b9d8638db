"""Readymade rankings: named indicator sets a system offers ready to use (U-Multirank).

A readymade ranking is a personalised ranking on a fixed set of indicators: institutions are
ordered by their number of A grades on the set (then B, ..., then name), and ranked on the
A count alone. The sets are those U-Multirank announced in 2015 and 2018
(methodologies.md section 1.5), written with the demo world's node ids; indicators an edition
lacks simply drop out of the set for that edition.
"""

from __future__ import annotations

from collections.abc import Mapping

_U = "u-multirank."

#: name -> (label, first edition, indicator node ids)
READYMADE: Mapping[str, Mapping[str, tuple[str, int, tuple[str, ...]]]] = {
    "u-multirank": {
        "international-orientation": (
            "International orientation (the 2015 readymade ranking: 4 indicators)",
            2015,
            tuple(
                _U + i
                for i in (
                    "student-mobility",
                    "international-academic-staff",
                    "international-joint-publications",
                    "international-doctorates",
                )
            ),
        ),
        "research-linkages": (
            "Research and research linkages",
            2018,
            tuple(
                _U + i
                for i in (
                    "external-research-income",
                    "research-publications-normalised",
                    "citation-rate",
                    "top-cited-publications",
                    "interdisciplinary-publications",
                    "post-doc-positions",
                    "international-joint-publications",
                    "regional-joint-publications",
                    "industry-co-publications",
                )
            ),
        ),
        "economic-engagement": (
            "Economic engagement",
            2018,
            tuple(
                _U + i
                for i in (
                    "private-income",
                    "industry-co-publications",
                    "patents-awarded-normalised",
                    "industry-co-patents",
                    "spin-offs",
                    "publications-cited-in-patents",
                    "cpd-income",
                    "regional-income",
                )
            ),
        ),
        "teaching-learning": (
            "Teaching and learning",
            2018,
            tuple(
                _U + i
                for i in (
                    "bachelor-graduation-rate",
                    "masters-graduation-rate",
                    "bachelor-on-time",
                    "masters-on-time",
                )
            ),
        ),
    }
}


def readymade_sets(system: str, year: int | None = None) -> dict[str, tuple[str, ...]]:
    """The readymade rankings of ``system`` offered in ``year`` (all of them when None)."""
    return {
        name: nodes
        for name, (_, first, nodes) in READYMADE.get(system, {}).items()
        if year is None or year >= first
    }


def readymade_label(system: str, name: str) -> str:
    return READYMADE[system][name][0]
