"""The table order of a personalised page: one mixed-radix sort equals ``np.lexsort``."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from palmares.api.view import lexsort_ints


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
