"""``check``: "top X %" rounded towards the less favourable side (claims.md), on hand-made
fields: 27th of 168 is top 17 % (not 15 %), joint 16th of 169 is top 10 %."""

from __future__ import annotations

import math
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from palmares.highlights import check, facts, parse_claim, render, top_percent
from palmares.history import EditionSeries
from tests.highlights.percentile_world import world, write_method


@pytest.fixture(scope="module")
def method(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_method(tmp_path_factory.mktemp("p"))


@pytest.fixture(scope="module")
def s27(method: Path) -> EditionSeries:
    return EditionSeries(world(168, 27, tied=False), method)


@pytest.fixture(scope="module")
def s16(method: Path) -> EditionSeries:
    return EditionSeries(world(169, 16, tied=True), method)


def test_top_percent_is_a_ceiling() -> None:
    assert top_percent(27, 168) == 17  # 16.07 -> 17
    assert top_percent(16, 169) == 10  # 9.47 -> 10
    assert top_percent(25, 100) == 25  # exact stays


def test_27th_of_168_is_top_17_percent_not_15(s27: EditionSeries) -> None:
    (fact,) = [f for f in facts(s27, "t", 2023) if f.kind == "percentile"]
    assert dict(fact.values) == {"rank": 27, "field_size": 168, "top_percent": 17, "band": None}
    false = check(s27, "t", 2023, "percentile=15")
    assert not false.holds
    assert false.kind == "percentile" and false.value == "15"
    assert "rank 27 of 168" in false.proof and "top 17%" in false.proof
    assert false.correct_text_fr == (
        "École T est dans le top 17\u00a0% des 168 établissements classés (27e sur 168)."
    )
    assert false.correct_text_en == (
        "École T is in the top 17% of the 168 institutions ranked (27th of 168)."
    )
    assert check(s27, "t", 2023, "top-percent=17").holds
    assert check(s27, "t", 2023, "top-percent=16").holds is False


def test_joint_16th_of_169_is_top_10_percent(s16: EditionSeries) -> None:
    verdict = check(s16, "t", 2023, "percentile=10")
    assert verdict.holds
    (rank,) = [f for f in facts(s16, "t", 2023) if f.kind == "rank"]
    assert dict(rank.values) == {"node": None, "rank": 16, "tie_size": 2, "field_size": 169}
    # Gendered French ordinal and the tie with its size in both languages.
    assert render(rank, s16.dataset, "fr") == (
        "École T est 16e ex aequo des 169 établissements classés, "
        "à égalité avec un autre établissement."
    )
    assert render(rank, s16.dataset, "en") == (
        "École T is joint 16th of the 169 institutions ranked, tied with one other institution."
    )
    assert check(s16, "t", 2023, "rank=16").holds
    assert check(s16, "t", 2023, "rank=15").holds is False


def test_top_n_uses_the_ladder_and_the_worse_rank(s27: EditionSeries) -> None:
    (top,) = [f for f in facts(s27, "t", 2023) if f.kind == "top_n"]
    assert (top.values["n"], top.values["rank"]) == (30, 27)
    assert check(s27, "t", 2023, "top_n=30").holds
    assert not check(s27, "t", 2023, "top_n=25").holds


def test_malformed_claims() -> None:
    assert parse_claim("top-percent=15") == ("percentile", "15")
    with pytest.raises(ValueError, match="KIND=VALUE"):
        parse_claim("percentile")
    with pytest.raises(ValueError, match="unknown KIND"):
        parse_claim("prestige=1")


@given(st.integers(1, 5000), st.integers(1, 5000), st.integers(1, 100))
@settings(max_examples=200, deadline=None)
def test_top_percent_never_flatters(rank: int, extra: int, claimed: int) -> None:
    field = rank + extra - 1
    x = top_percent(rank, field)
    assert x == math.ceil(100 * rank / field) or abs(100 * rank / field - x) < 1e-9
    assert 100 * rank <= x * field  # the stated top X % holds
    assert x == 1 or 100 * rank > (x - 1) * field  # and no smaller X does
    assert (100 * rank <= claimed * field) == (claimed >= x)
