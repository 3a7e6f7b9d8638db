import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from scipy.special import ndtr

from palmares.steps import normalise

pytestmark = pytest.mark.filterwarnings("error")

nan = np.nan


def frozen(a: object) -> np.ndarray:
    arr = np.array(a, dtype=float)
    arr.flags.writeable = False
    return arr


# Column 0 higher-is-better 1, 2, 4 (one missing); column 1 lower-is-better 10, 20, 20, 40.
X = frozen([[1.0, 10.0], [2.0, 20.0], [4.0, 20.0], [nan, 40.0]])
M = ~np.isnan(X)
M.flags.writeable = False
D = np.array([1, -1], dtype=np.int8)


def assert_close(actual: np.ndarray, expected: object) -> None:
    np.testing.assert_allclose(actual, np.array(expected, dtype=float), rtol=1e-12, atol=1e-12)


def test_minmax_by_hand() -> None:
    out = normalise.minmax(X, M, D)
    assert_close(out, [[0, 100], [100 / 3, 200 / 3], [100, 200 / 3], [nan, 0]])
    assert_close(normalise.minmax(X, M, D, 1, 100)[:, 0], [1, 34, 100, nan])


def test_minmax_constant_single_and_empty_columns() -> None:
    x = frozen([[5.0, nan, 2.0], [5.0, nan, nan]])
    mask = ~np.isnan(x)
    d = np.ones(3, dtype=int)
    assert_close(normalise.minmax(x, mask, d), [[50, nan, 50], [50, nan, nan]])
    assert_close(normalise.minmax(x, mask, d, constant=100.0), [[100, nan, 100], [100, nan, nan]])
    assert np.isnan(normalise.minmax(x, mask, d, constant=nan)).all()  # COINr's choice


def test_zscore_by_hand() -> None:
    mean, sd = 7 / 3, math.sqrt(7 / 3)
    z = [(v - mean) / sd for v in (1.0, 2.0, 4.0)]
    out = normalise.zscore(X, M, D)
    assert_close(out[:3, 0], z)
    assert np.isnan(out[3, 0])
    # Lower-is-better flips the sign; mean 22.5, sample sd sqrt(525 / 3).
    sd1 = math.sqrt(((10 - 22.5) ** 2 + 2 * (20 - 22.5) ** 2 + (40 - 22.5) ** 2) / 3)
    assert_close(out[:, 1], [-(v - 22.5) / sd1 for v in (10.0, 20.0, 20.0, 40.0)])
    shifted = normalise.zscore(X, M, D, mean=50.0, sd=10.0)
    assert_close(shifted[:3, 0], [50 + 10 * v for v in z])


def test_zscore_and_zcdf_of_constant_and_single_values() -> None:
    x = frozen([[3.0, 7.0], [3.0, nan]])
    mask = ~np.isnan(x)
    d = np.array([1, 1])
    assert_close(normalise.zscore(x, mask, d, mean=50.0), [[50, 50], [50, nan]])
    assert_close(normalise.zcdf(x, mask, d), [[50, 50], [50, nan]])


def test_zcdf_is_the_normal_cdf_of_z() -> None:
    out = normalise.zcdf(X, M, D, scale=1.0)
    assert_close(out, ndtr(normalise.zscore(X, M, D)))
    assert np.isnan(out[3, 0])


def test_percent_of_best_by_hand() -> None:
    out = normalise.percent_of_best(X, M, D)
    assert_close(out, [[25, 100], [50, 50], [100, 50], [nan, 25]])


def test_percent_of_best_zero_cases_and_negative_values() -> None:
    x = frozen([[0.0, 0.0, 5.0], [0.0, 2.0, 5.0]])
    mask = np.ones_like(x, dtype=bool)
    d = np.array([1, -1, 1])
    # All-zero higher-better column: nobody scored. Lower-better best 0: zeros are the best.
    assert_close(normalise.percent_of_best(x, mask, d), [[0, 100, 100], [0, 0, 100]])
    with pytest.raises(ValueError, match=r"non-negative.*columns \[1\]"):
        normalise.percent_of_best(frozen([[1.0, -1.0]]), np.ones((1, 2), bool), np.array([1, 1]))


def test_rank_competition_best_first() -> None:
    out = normalise.rank(X, M, D)
    assert_close(out, [[3, 1], [2, 2], [1, 2], [nan, 4]])
    ties = normalise.rank(frozen([[2.0], [2.0], [2.0]]), np.ones((3, 1), bool), np.array([1]))
    assert_close(ties, [[1], [1], [1]])


def test_percentile_rank_by_hand() -> None:
    out = normalise.percentile_rank(X, M, D)
    assert_close(out, [[0, 100], [50, 100 / 3], [100, 100 / 3], [nan, 0]])


def test_percentile_rank_ties_and_single_value() -> None:
    x = frozen([[2.0, 9.0], [2.0, nan]])
    mask = ~np.isnan(x)
    assert_close(normalise.percentile_rank(x, mask, np.array([1, 1])), [[0, 0], [0, nan]])


def test_distance_to_target_by_hand() -> None:
    out = normalise.distance_to_target(X, M, D, target=[3.0, 15.0])
    # Column 0: (x - 1) / (3 - 1), capped; column 1: reached at <= 15, else (40 - x) / (40 - 15).
    assert_close(out, [[0, 100], [50, 80], [100, 80], [nan, 0]])
    met = normalise.distance_to_target(X, M, D, target=[0.5, 50.0])
    assert_close(met, [[100, 100], [100, 100], [100, 100], [nan, 100]])


def test_goalposts_by_hand_with_clipping() -> None:
    out = normalise.goalposts(X, M, D, low=[0.0, 0.0], high=[5.0, 50.0])
    assert_close(out, [[20, 80], [40, 60], [80, 60], [nan, 20]])
    clipped = normalise.goalposts(X, M, D, low=[2.0, 15.0], high=[3.0, 30.0], scale=1.0)
    assert_close(clipped, [[0, 1], [0, 2 / 3], [1, 2 / 3], [nan, 0]])
    with pytest.raises(ValueError, match="high > low"):
        normalise.goalposts(X, M, D, low=1.0, high=1.0)


def test_points_by_thresholds_by_hand() -> None:
    thresholds = [[1.0, 2.0, 3.0], [15.0, 25.0, nan]]
    out = normalise.points_by_thresholds(X, M, D, thresholds)
    # Higher-better passes at x >= t; lower-better at x <= t.
    assert_close(out, [[1, 2], [2, 1], [3, 1], [nan, 0]])


def test_points_by_thresholds_validates_the_table() -> None:
    with pytest.raises(ValueError, match="ascending"):
        normalise.points_by_thresholds(X, M, D, [[2.0, 1.0], [1.0, 2.0]])
    with pytest.raises(ValueError, match="NaN-padded"):
        normalise.points_by_thresholds(X, M, D, [[nan, 1.0], [1.0, 2.0]])
    with pytest.raises(ValueError, match="thresholds must be"):
        normalise.points_by_thresholds(X, M, D, [[1.0, 2.0]])


def test_points_by_quantiles_equal_count_classes() -> None:
    x = frozen(np.arange(10.0)[:, None])
    mask = np.ones((10, 1), dtype=bool)
    out = normalise.points_by_quantiles(x, mask, np.array([1]), max_points=4)
    assert out[:, 0].tolist() == [0, 0, 1, 1, 2, 2, 3, 3, 4, 4]
    lower = normalise.points_by_quantiles(x, mask, np.array([-1]), max_points=4)
    assert lower[:, 0].tolist() == [4, 4, 3, 3, 2, 2, 1, 1, 0, 0]
    six = normalise.points_by_quantiles(x[:6], mask[:6], np.array([1]))
    assert six[:, 0].tolist() == [0, 1, 2, 3, 4, 5]


def test_points_by_quantiles_ties_single_and_missing() -> None:
    x = frozen([[1.0, 4.0], [1.0, nan], [3.0, nan]])
    mask = ~np.isnan(x)
    out = normalise.points_by_quantiles(x, mask, np.array([1, 1]), max_points=2)
    # Column 0: r = 0, 0, 2 of 3 -> floor(r * 3 / 3); column 1 a single value.
    assert_close(out, [[0, 0], [0, nan], [2, nan]])
    with pytest.raises(ValueError, match="max_points"):
        normalise.points_by_quantiles(x, mask, np.array([1, 1]), max_points=0)


def test_all_missing_column_stays_missing_everywhere() -> None:
    x = frozen([[1.0, nan], [2.0, nan]])
    mask = ~np.isnan(x)
    d = np.array([1, 1])
    outs = [
        normalise.minmax(x, mask, d),
        normalise.zscore(x, mask, d),
        normalise.zcdf(x, mask, d),
        normalise.percent_of_best(x, mask, d),
        normalise.rank(x, mask, d),
        normalise.percentile_rank(x, mask, d),
        normalise.distance_to_target(x, mask, d, 5.0),
        normalise.goalposts(x, mask, d, 0.0, 5.0),
        normalise.points_by_thresholds(x, mask, d, [[1.0], [1.0]]),
        normalise.points_by_quantiles(x, mask, d),
    ]
    for out in outs:
        assert np.isnan(out[:, 1]).all() and np.isfinite(out[:, 0]).all()


def test_inputs_are_validated() -> None:
    with pytest.raises(ValueError, match="direction"):
        normalise.minmax(X, M, np.array([1, 0]))
    with pytest.raises(ValueError, match="not finite"):
        normalise.minmax(X, np.ones_like(M), D)
    with pytest.raises(ValueError, match="2-D"):
        normalise.minmax(X[:, 0], M[:, 0], D[:1])
    with pytest.raises(ValueError, match="hi > lo"):
        normalise.minmax(X, M, D, 1.0, 1.0)


def test_mask_decides_presence_not_the_value() -> None:
    mask = M.copy()
    mask[0, 0] = False
    out = normalise.minmax(X, mask, D)
    assert np.isnan(out[0, 0])
    assert_close(out[1:3, 0], [0, 100])


matrices = hnp.arrays(
    np.float64,
    st.tuples(st.integers(1, 9), st.integers(1, 4)),
    elements=st.one_of(st.floats(-1e6, 1e6), st.just(nan)),
)

ORDER_BASED = {
    "minmax": lambda x, m, d: normalise.minmax(x, m, d, 0.0, 100.0),
    "rank": normalise.rank,
    "percentile_rank": normalise.percentile_rank,
    "points_by_quantiles": normalise.points_by_quantiles,
    "goalposts": lambda x, m, d: normalise.goalposts(x, m, d, -1e5, 1e5),
    "distance_to_target": lambda x, m, d: normalise.distance_to_target(x, m, d, 0.0),
}
SUM_BASED = {"zscore": normalise.zscore, "zcdf": normalise.zcdf}


@settings(max_examples=80, deadline=None)
@given(matrices, st.sampled_from(sorted(ORDER_BASED | SUM_BASED)), st.randoms(), st.data())
def test_permuting_rows_permutes_outputs(x, name, rnd, data) -> None:  # type: ignore[no-untyped-def]
    mask = ~np.isnan(x)
    direction = np.array(
        data.draw(st.lists(st.sampled_from([1, -1]), min_size=x.shape[1], max_size=x.shape[1]))
    )
    perm = np.array(rnd.sample(range(x.shape[0]), x.shape[0]))
    fn = (ORDER_BASED | SUM_BASED)[name]
    out = fn(x, mask, direction)
    out_p = fn(x[perm], mask[perm], direction)
    if name in ORDER_BASED:
        np.testing.assert_array_equal(out[perm], out_p)
    else:  # column sums depend on row order in the last bit
        np.testing.assert_allclose(out[perm], out_p, rtol=1e-9, atol=1e-9)


@settings(max_examples=80, deadline=None)
@given(matrices, st.floats(-100, 100), st.floats(0.5, 100), st.data())
def test_minmax_within_range_and_order_preserving(x, lo, width, data) -> None:  # type: ignore[no-untyped-def]
    mask = ~np.isnan(x)
    direction = np.array(
        data.draw(st.lists(st.sampled_from([1, -1]), min_size=x.shape[1], max_size=x.shape[1]))
    )
    hi = lo + width
    out = normalise.minmax(x, mask, direction, lo, hi)
    assert (np.isnan(out) == ~mask).all()
    present = out[mask]
    assert ((present >= lo - 1e-9) & (present <= hi + 1e-9)).all()
    # Better raw values never get lower normalised values.
    for j in range(x.shape[1]):
        v = direction[j] * x[mask[:, j], j]
        o = out[mask[:, j], j]
        better = v[:, None] > v[None, :]
        assert (o[:, None] >= o[None, :])[better].all()


def test_zscore_can_reverse_an_improvement() -> None:
    """Documented: with z-scores, raising a benefit indicator can lose a place.

    A's first indicator goes from 5 to 13; the column's mean and sd grow, which lifts C (far
    below the mean) more than A gains, so C overtakes A.
    """
    from palmares.steps import aggregate

    d = np.array([1, 1])
    mask = np.ones((3, 2), dtype=bool)
    before = frozen([[5.0, 1.0], [1.0, 6.0], [0.0, 7.0]])
    after = before.copy()
    after[0, 0] = 13.0
    s0 = aggregate.arithmetic(normalise.zscore(before, mask, d), mask, [1.0, 1.0])
    s1 = aggregate.arithmetic(normalise.zscore(after, mask, d), mask, [1.0, 1.0])
    assert s0[0] > s0[2] and s1[0] < s1[2]


@settings(max_examples=80, deadline=None)
@given(
    st.integers(2, 8).flatmap(
        lambda n: st.tuples(
            hnp.arrays(np.float64, (n, 3), elements=st.one_of(st.floats(0, 1e3), st.just(nan))),
            hnp.arrays(np.float64, (3,), elements=st.floats(0.1, 10)),
            st.integers(0, n - 1),
            st.integers(0, 2),
            st.floats(0.0, 1e3),
            st.sampled_from(["minmax", "percent_of_best"]),
        )
    )
)
def test_raising_a_benefit_indicator_never_loses_ground(case) -> None:  # type: ignore[no-untyped-def]
    """min-max or percent-of-best, then a renormalised weighted mean with positive weights:
    raising institution i's value never lowers its score relative to anyone else's."""
    from palmares.steps import aggregate

    x, w, i, j, bump, method = case
    mask = ~np.isnan(x)
    if not mask[i, j]:
        return
    d = np.ones(3, dtype=int)
    fn = normalise.minmax if method == "minmax" else normalise.percent_of_best
    raised = x.copy()
    raised[i, j] += bump
    s0 = aggregate.arithmetic(fn(x, mask, d), mask, w)
    s1 = aggregate.arithmetic(fn(raised, mask, d), mask, w)
    others = np.arange(x.shape[0]) != i
    gap0 = s0[i] - s0[others]
    gap1 = s1[i] - s1[others]
    present = ~np.isnan(gap0)
    assert (gap1[present] >= gap0[present] - 1e-9).all()
