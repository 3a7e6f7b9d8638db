"""The one published view (contracts section 12): a banded row's score as the publisher prints
it (docs/published-view.md), and the table order of a personalised page (one mixed-radix sort
equals ``np.lexsort``)."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from palmares.methodology.model import Ranking
from palmares.published_view import (
    band_score_ranges,
    lexsort_ints,
    position_text,
    published_view,
    score_range_text,
    table_positions,
)
from palmares.ranking_table import rank_scores

#: Six scores ranked one by one up to 2, then in bands 3-4 and 5-6 (docs/published-view.md).
SCORES = np.array([90.0, 85.0, 80.0, 79.5, 70.2, 60.0])
BANDS = {"default": {"individual_until": 2, "bands": [[3, 4], [5, 6]]}}


def _result(banded_score: str, cutoff: int | None = None) -> SimpleNamespace:
    spec = Ranking(
        rank_on="published",
        decimals=1,
        method="competition",
        ties="equals",
        cutoff=cutoff,
        banded_score=banded_score,  # type: ignore[arg-type]
        bands=BANDS,  # type: ignore[arg-type]
    )
    table = rank_scores(spec, 2024, SCORES, SCORES, decimals=1)
    ids = tuple(f"i{k}" for k in range(len(SCORES)))
    return SimpleNamespace(
        ranking=table, methodology=SimpleNamespace(ranking=spec), institutions=ids
    )


@pytest.mark.parametrize("cutoff", [None, 2])
def test_a_band_prints_its_lowest_and_highest_score(cutoff: int | None) -> None:
    # With or without a cut-off hiding the single scores, the range is the band's own.
    low, high = band_score_ranges(_result("range", cutoff))
    nan = float("nan")
    assert np.array_equal(low, [nan, nan, 79.5, 79.5, 60.0, 60.0], equal_nan=True)
    assert np.array_equal(high, [nan, nan, 80.0, 80.0, 70.2, 70.2], equal_nan=True)


def test_no_range_where_the_publisher_prints_a_single_score_or_none() -> None:
    low, high = band_score_ranges(_result("single", 2))
    assert np.isnan(low).all() and np.isnan(high).all()


def test_the_published_view_prints_the_range_never_the_rows_own_score() -> None:
    result = _result("range")
    table = result.ranking
    frame = pd.DataFrame(
        {
            "institution": list(result.institutions),
            "name": ["Nu", "Mu", "Zeta", "Alpha", "Omega", "Beta"],
            "rank": table.rank,
            "rank_display": table.display("en"),
            "tie_size": table.tie_size,
            "score": SCORES,
            "band": table.bands(),
            "band_lo": table.band_lo,
            "band_hi": table.band_hi,
        }
    )
    out = published_view(frame, grade_counts=False, score_range=band_score_ranges(result))
    # Inside a band, alphabetical: the computed order would print the rank the view hides.
    assert out["name"].tolist() == ["Nu", "Mu", "Alpha", "Zeta", "Beta", "Omega"]
    assert out["rank_display"].tolist() == ["1", "2", "3–4", "3–4", "5–6", "5–6"]
    assert out["rank"].tolist()[:2] == [1, 2] and out["rank"].isna().tolist()[2:] == [True] * 4
    assert out["score"].tolist()[:2] == [90.0, 85.0] and out["score"].isna().sum() == 4
    assert out["score_lo"].tolist()[2:] == [79.5, 79.5, 60.0, 60.0]
    assert out["score_hi"].tolist()[2:] == [80.0, 80.0, 70.2, 70.2]
    assert out["score_lo"].isna().tolist()[:2] == [True, True]
    assert score_range_text(79.5, 80.0, "en") == "79.5–80.0"
    assert score_range_text(60.0, 70.2, "fr") == "60,0–70,2"


def test_lexsort_ints_worked_example() -> None:
    # Last key first (A count, descending as negatives), then name, then id.
    ids = np.array([0, 1, 2, 3])
    names = np.array([1, 0, 1, 0])
    a_count = -np.array([2, 2, 5, 2])
    assert lexsort_ints([ids, names, a_count]).tolist() == [2, 1, 3, 0]


def test_lexsort_ints_falls_back_when_the_code_would_overflow() -> None:
    big = np.array([0, 2**40, 5, 2**40], dtype=np.int64)
    keys = [np.array([3, 2, 1, 0]), big, -big]
    assert lexsort_ints(keys).tolist() == np.lexsort(keys).tolist()


def _keys(bound: int) -> st.SearchStrategy[list[np.ndarray]]:
    return st.integers(1, 60).flatmap(
        lambda n: st.lists(
            hnp.arrays(np.int64, n, elements=st.integers(-bound, bound)), min_size=1, max_size=8
        )
    )


@settings(max_examples=200, deadline=None)
@given(st.one_of(_keys(40), _keys(2**20)))
def test_lexsort_ints_is_np_lexsort(keys: list[np.ndarray]) -> None:
    # Small ranges take the mixed-radix code, wide ones the fallback: both give lexsort's order.
    assert lexsort_ints(keys).tolist() == np.lexsort(keys).tolist()


# -- positions as every chart states them (position_text, table_positions) ---------------------


def test_position_text_hand_cases() -> None:
    display = ["=1", "=1", "3", "4", "5", "0"]
    band = ["", "", "3–4", "3–4", "5+", ""]
    ranked = [True, True, True, True, True, False]
    banded = [False, False, True, True, True, False]
    published = position_text(display, band, ranked, banded, published=True)
    assert published.tolist() == ["=1", "=1", "3–4", "3–4", "5+", ""]
    producer = position_text(display, band, ranked, banded, published=False)
    assert producer.tolist() == ["=1", "=1", "3", "4", "5", ""]
    beside = position_text(display, band, ranked, banded, published=False, band_beside=True)
    assert beside.tolist() == ["=1", "=1", "3 (3–4)", "4 (3–4)", "5 (5+)", ""]
    # no rank printed at all (U-Multirank's published view); the producer view keeps them
    assert (
        position_text(display, band, ranked, banded, published=True, no_rank=True).tolist()
        == [""] * 6
    )
    assert position_text(display, band, ranked, banded, published=False, no_rank=True)[2] == "3"


def test_table_positions_a_tied_exact_rank_is_no_band() -> None:
    result = _result("single")
    tied = rank_scores(
        result.methodology.ranking,
        2024,
        np.array([90.0, 90.0, *SCORES[2:]]),
        np.array([90.0, 90.0, *SCORES[2:]]),
        decimals=1,
    )
    shown = table_positions(result, tied, "en", "published")
    # a band of one place is an exact rank: "=1", never "band 1"
    assert shown.shown.tolist() == ["=1", "=1", "3–4", "3–4", "5–6", "5–6"]
    assert shown.banded.tolist() == [False, False, True, True, True, True]
    assert shown.band == ["", "", "3–4", "3–4", "5–6", "5–6"]
    producer = table_positions(result, tied, "en", "producer", band_beside=True)
    assert producer.shown.tolist() == ["=1", "=1", "3 (3–4)", "4 (3–4)", "5 (5–6)", "6 (5–6)"]
    assert not producer.published and not producer.no_rank


@settings(max_examples=50, deadline=None)
@given(
    rows=st.lists(
        st.tuples(st.integers(0, 9), st.booleans(), st.booleans()), min_size=0, max_size=12
    ),
    published=st.booleans(),
    no_rank=st.booleans(),
    beside=st.booleans(),
)
def test_position_text_never_states_a_rank_inside_a_band_when_published(
    rows: list[tuple[int, bool, bool]], published: bool, no_rank: bool, beside: bool
) -> None:
    rank = np.array([r for r, _, _ in rows], dtype=np.int64)
    ranked = rank > 0
    banded = ranked & np.array([b for _, b, _ in rows], dtype=bool)
    display = [f"={r}" if tied else str(r) for r, _, tied in rows]
    band = [f"{r}–{r + 5}" if b else "" for r, b in zip(rank, banded, strict=True)]
    shown = position_text(
        display, band, ranked, banded, published=published, no_rank=no_rank, band_beside=beside
    )
    for k in range(len(rows)):
        if not ranked[k] or (published and no_rank):
            assert shown[k] == ""  # nothing printed: missing, never 0
        elif banded[k] and published:
            assert shown[k] == band[k]  # the band, never the rank inside it
        elif banded[k] and beside:
            assert shown[k] == f"{display[k]} ({band[k]})"
        else:
            assert shown[k] == display[k]
