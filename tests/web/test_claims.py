"""Release wording to KIND=VALUE claims (palmares.web.claims), by hand."""

from __future__ import annotations

import pytest

from palmares.web.claims import claim_of


@pytest.mark.parametrize(
    ("wording", "claim"),
    [
        ("top 15 %", "percentile=15"),
        ("top 15\u00a0%", "percentile=15"),
        ("Top 15%", "percentile=15"),
        ("dans le top 17 %", "percentile=17"),
        ("top 20", "top_n=20"),
        ("16e ex aequo", "rank=16"),
        ("16e", "rank=16"),
        ("1re", "rank=1"),
        ("=16th", "rank=16"),
        ("16th", "rank=16"),
        ("6e en France", "national_rank=6"),
        ("6e ex aequo en France", "national_rank=6"),
        ("6th in France", "national_rank=6"),
        ("3e en Occitanie", "regional_rank=3"),
        ("201-300", "band=201-300"),
        ("201\u2013300", "band=201-300"),
        ("10 A", "grade_count=10"),
        ("10 notes A", "grade_count=10"),
        ("percentile=15", "percentile=15"),
        ("movement = 2018:36", "movement=2018:36"),
    ],
)
def test_wording_becomes_a_claim(wording: str, claim: str) -> None:
    assert claim_of(wording) == claim


def test_unknown_wording_names_the_forms_it_takes() -> None:
    with pytest.raises(ValueError, match="top 15 %"):
        claim_of("the best school ever")
