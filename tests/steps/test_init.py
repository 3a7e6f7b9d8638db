"""The shared array checks and column statistics of palmares.steps."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from scipy.stats import rankdata

from palmares import steps

pytestmark = pytest.mark.filterwarnings("error")

nan = np.nan

matrices = hnp.arrays(
    np.float64,
    st.tuples(st.integers(1, 10), st.integers(1, 4)),
    elements=st.one_of(st.floats(-1e6, 1e6), st.just(nan)),
)


def test_check_matrix_rejects_inconsistent_input() -> None:
    with pytest.raises(ValueError, match="2-D"):
        steps.check_matrix(np.zeros(3), np.ones(3, dtype=bool))
    with pytest.raises(ValueError, match="does not match"):
        steps.check_matrix(np.zeros((2, 2)), np.ones((2, 3), dtype=bool))
    with pytest.raises(ValueError, match="boolean"):
        steps.check_matrix(np.zeros((2, 2)), np.ones((2, 2)))
    with pytest.raises(ValueError, match="row 1, column 0"):
        steps.check_matrix(np.array([[1.0], [np.inf]]), np.ones((2, 1), dtype=bool))


def test_check_direction_and_per_column() -> None:
    assert steps.check_direction([1, -1], 2).tolist() == [1, -1]
    with pytest.raises(ValueError, match="shape"):
        steps.check_direction([1], 2)
    assert steps.per_column(2.0, 3, "p").tolist() == [2.0, 2.0, 2.0]
    with pytest.raises(ValueError, match="p must be"):
        steps.per_column([1.0, 2.0], 3, "p")


def test_column_selector() -> None:
    assert steps.column_selector(None, 3).tolist() == [True, True, True]
    assert steps.column_selector([0, 2], 3).tolist() == [True, False, True]
    assert steps.column_selector([], 3).tolist() == [False, False, False]
    assert steps.column_selector(np.array([False, True, False]), 3).tolist() == [False, True, False]
    with pytest.raises(ValueError, match="out of range"):
        steps.column_selector([3], 3)
    with pytest.raises(ValueError, match="integer positions"):
        steps.column_selector([0.5], 3)


def test_column_statistics_by_hand() -> None:
    x = np.array([[1.0, nan, 0.1], [2.0, nan, 0.1], [6.0, nan, 0.1]])
    mask = ~np.isnan(x)
    np.testing.assert_array_equal(steps.column_count(mask), [3, 0, 3])
    np.testing.assert_array_equal(steps.column_min(x, mask), [1.0, nan, 0.1])
    np.testing.assert_array_equal(steps.column_max(x, mask), [6.0, nan, 0.1])
    np.testing.assert_allclose(steps.column_mean(x, mask), [3.0, nan, 0.1])
    sd = steps.column_sd(x, mask)
    assert sd[0] == pytest.approx(np.sqrt(7.0)) and np.isnan(sd[1])
    assert sd[2] == 0.0  # constant column: exactly no spread despite the mean's rounding
    np.testing.assert_allclose(steps.column_percentile(x, mask, 50.0), [2.0, nan, 0.1])
    np.testing.assert_allclose(steps.column_percentile(x, mask, 25.0), [1.5, nan, 0.1])
    with pytest.raises(ValueError, match="percentile"):
        steps.column_percentile(x, mask, 101.0)


def test_single_row_and_empty_matrix() -> None:
    x = np.array([[4.0]])
    mask = np.ones((1, 1), dtype=bool)
    assert np.isnan(steps.column_sd(x, mask)[0])
    assert steps.column_percentile(x, mask, 25.0)[0] == 4.0
    empty = np.empty((0, 2))
    assert np.isnan(steps.column_percentile(empty, np.zeros((0, 2), bool), 50.0)).all()
    assert steps.competition_rank_worst_first(empty, np.zeros((0, 2), bool)).shape == (0, 2)


@settings(max_examples=80, deadline=None)
@given(matrices, st.floats(0, 100))
def test_percentile_matches_numpy(x, q) -> None:  # type: ignore[no-untyped-def]
    mask = ~np.isnan(x)
    ours = steps.column_percentile(x, mask, q)
    for j in range(x.shape[1]):
        column = x[mask[:, j], j]
        if column.size:
            assert ours[j] == pytest.approx(np.percentile(column, q), rel=1e-12, abs=1e-9)
        else:
            assert np.isnan(ours[j])


@settings(max_examples=80, deadline=None)
@given(matrices)
def test_competition_rank_matches_scipy_min_ranks(x) -> None:  # type: ignore[no-untyped-def]
    mask = ~np.isnan(x)
    ours = steps.competition_rank_worst_first(x, mask)
    assert (np.isnan(ours) == ~mask).all()
    for j in range(x.shape[1]):
        column = x[mask[:, j], j]
        np.testing.assert_array_equal(ours[mask[:, j], j], rankdata(column, method="min"))
