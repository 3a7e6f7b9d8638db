"""Every rank and score form of the addendum on published tables, and the refused ones."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from palmares.published import (
    CellError,
    Rank,
    parse_rank,
    parse_rank_column,
    parse_score,
    parse_score_column,
)
from palmares.ranking import BAND_OPEN


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("39", Rank("ranked", 39, False, 39, 39, "39")),
        ("=39", Rank("ranked", 39, True, 39, 39, "=39")),
        (" =193", Rank("ranked", 193, True, 193, 193, "=193")),
        ("15=", Rank("ranked", 15, True, 15, 15, "15=")),
        ("= 7", Rank("ranked", 7, True, 7, 7, "= 7")),
        ("201-250", Rank("banded", 0, False, 201, 250, "201-250")),
        ("201–250", Rank("banded", 0, False, 201, 250, "201–250")),
        ("301—350", Rank("banded", 0, False, 301, 350, "301—350")),
        ("54 - 71", Rank("banded", 0, False, 54, 71, "54 - 71")),
        ("801+", Rank("banded", 0, False, 801, BAND_OPEN, "801+")),
        ("1001+", Rank("banded", 0, False, 1001, BAND_OPEN, "1001+")),
        ("1,001+", Rank("banded", 0, False, 1001, BAND_OPEN, "1,001+")),
        ("601+", Rank("banded", 0, False, 601, BAND_OPEN, "601+")),
        ("Reporter", Rank("reporter", display="Reporter")),
        ("reporter", Rank("reporter", display="reporter")),
        ("N/A", Rank("unranked", display="N/A")),
        ("n/a", Rank("unranked", display="n/a")),
        ("-", Rank("unranked", display="-")),
        ("", Rank("unranked", display="")),
        ("\u00a012\u00a0", Rank("ranked", 12, False, 12, 12, "12")),
    ],
)
def test_rank_forms(text: str, expected: Rank) -> None:
    assert parse_rank(text) == expected


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("0", "starts at 1"),
        ("250-201", "not 250 to 201"),
        ("0-10", "low rank >= 1"),
        ("12.5", "whole number"),
        ("first", "not a rank"),
        ("=", "not a rank"),
        ("#39", "not a rank"),
        ("0+", "band starts"),
    ],
)
def test_rank_refused(text: str, reason: str) -> None:
    with pytest.raises(CellError, match=reason):
        parse_rank(text)


@pytest.mark.parametrize(
    ("text", "value", "lo", "hi"),
    [
        ("96.1", 96.1, None, None),
        (" 72.2 ", 72.2, None, None),
        ("100", 100.0, None, None),
        ("20,152", 20152.0, None, None),
        ("1,234,567.5", 1234567.5, None, None),
        ("25%", 25.0, None, None),
        ("12.5 %", 12.5, None, None),
        (".5", 0.5, None, None),
        ("-1.5", -1.5, None, None),
        ("0", 0.0, None, None),
        ("46.3—50.4", None, 46.3, 50.4),
        ("46.3–50.4", None, 46.3, 50.4),
        ("46.3-50.4", None, 46.3, 50.4),
    ],
)
def test_score_forms(text: str, value: float | None, lo: float | None, hi: float | None) -> None:
    score = parse_score(text)
    assert math.isnan(score.value) if value is None else score.value == value
    assert math.isnan(score.lo) if lo is None else score.lo == lo
    assert math.isnan(score.hi) if hi is None else score.hi == hi
    assert not score.empty


@pytest.mark.parametrize("text", ["", "-", "–", "—", "n/a", "N/A", "NA", "  "])
def test_score_missing_forms(text: str) -> None:
    assert parse_score(text).empty


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("33 : 67", "a ratio"),
        ("72,2", "decimal comma"),
        ("72,2345", "decimal comma"),
        ("inf", "finite"),
        ("NaN", "finite"),
        ("12.3.4", "not a number"),
        ("abc", "not a number"),
        ("50.4-46.3", "low to high"),
        ("1,23,456", "not a number"),
    ],
)
def test_score_refused(text: str, reason: str) -> None:
    with pytest.raises(CellError, match=reason):
        parse_score(text)


def test_rank_column_keeps_positions_and_reports_refused_cells() -> None:
    column = parse_rank_column(["1", "=2", "=2", "201–250", "Reporter", "x", "801+"])
    assert column.status.tolist() == [
        "ranked",
        "ranked",
        "ranked",
        "banded",
        "reporter",
        "unranked",
        "banded",
    ]
    assert column.rank.tolist() == [1, 2, 2, 0, 0, 0, 0]
    assert column.tied.tolist() == [False, True, True, False, False, False, False]
    assert column.band_lo.tolist() == [1, 2, 2, 201, 0, 0, 801]
    assert column.band_hi.tolist() == [1, 2, 2, 250, 0, 0, BAND_OPEN]
    assert list(column.errors) == [5]
    assert "not a rank" in column.errors[5]


def test_score_column() -> None:
    column = parse_score_column(["96.1", "-", "46.3—50.4", "33 : 67", "20,152"])
    np.testing.assert_array_equal(column.value, [96.1, np.nan, np.nan, np.nan, 20152.0])
    np.testing.assert_array_equal(column.lo, [np.nan, np.nan, 46.3, np.nan, np.nan])
    assert column.present.tolist() == [True, False, False, False, True]
    assert list(column.errors) == [3]


def test_empty_columns() -> None:
    assert parse_rank_column([]).rank.size == 0
    assert parse_score_column([]).value.size == 0


@settings(max_examples=60, deadline=None)
@given(st.integers(1, 10**6), st.sampled_from(["{}", "={}", "{}=", " ={}", "{:,}"]))
def test_any_printed_rank_reads_back(rank: int, form: str) -> None:
    parsed = parse_rank(form.format(rank))
    assert parsed.status == "ranked"
    assert parsed.rank == rank
    assert parsed.tied == ("=" in form)


@settings(max_examples=60, deadline=None)
@given(st.floats(0, 1e6, allow_nan=False), st.integers(0, 3))
def test_any_printed_score_reads_back(value: float, decimals: int) -> None:
    text = f"{value:,.{decimals}f}"
    assert parse_score(text).value == float(f"{value:.{decimals}f}")
