import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from palmares.steps import aggregate, weight
from palmares.steps.rounding import round_half_up

pytestmark = pytest.mark.filterwarnings("error")

nan = np.nan


def frozen(a: object, dtype: type = float) -> np.ndarray:
    arr = np.array(a, dtype=dtype)
    arr.flags.writeable = False
    return arr


X = frozen([[1.0, 2.0, 3.0], [4.0, nan, 6.0], [nan, nan, nan]])
M = ~np.isnan(X)
M.flags.writeable = False
W = frozen([1.0, 2.0, 1.0])


def test_arithmetic_renormalises_over_present_children() -> None:
    out = aggregate.arithmetic(X, M, W)
    assert out[0] == 2.0  # (1 + 4 + 3) / 4
    assert out[1] == 5.0  # (4 + 6) / 2: the missing child's weight is not counted
    assert np.isnan(out[2])


def test_arithmetic_min_children_and_strict_mode() -> None:
    assert np.isnan(aggregate.arithmetic(X, M, W, min_children=3)[1])
    strict = aggregate.arithmetic(X, M, W, renormalise=False)
    assert strict[0] == 2.0 and np.isnan(strict[1]) and np.isnan(strict[2])
    # A missing child with zero weight does not matter, in either mode.
    w = [1.0, 0.0, 1.0]
    assert aggregate.arithmetic(X, M, w, renormalise=False)[1] == 5.0
    assert aggregate.arithmetic(X, M, w, min_children=2)[1] == 5.0
    assert np.isnan(aggregate.arithmetic(X, M, [0.0, 0.0, 0.0])).all()


def test_single_institution_constant_children_and_all_ties() -> None:
    assert aggregate.arithmetic(
        frozen([[7.0, 7.0]]), np.ones((1, 2), bool), [1.0, 3.0]
    ).tolist() == [7.0]
    x = np.full((4, 3), 2.5)
    out = aggregate.arithmetic(x, np.ones((4, 3), bool), [1.0, 1.0, 1.0])
    assert out.tolist() == [2.5] * 4


def test_relative_weights() -> None:
    out_pct = aggregate.arithmetic(X, M, [30.0, 60.0, 30.0])
    np.testing.assert_allclose(out_pct, aggregate.arithmetic(X, M, W), rtol=1e-15)


def test_batched_weights_equal_separate_calls() -> None:
    rng = np.random.default_rng(7)
    x = rng.uniform(1, 100, (50, 6))
    x[rng.random((50, 6)) < 0.2] = nan
    mask = ~np.isnan(x)
    weights = rng.uniform(0, 1, (9, 6))
    weights[2, 1] = 0.0
    for fn in (aggregate.arithmetic, aggregate.geometric, aggregate.harmonic):
        batched = fn(x, mask, weights, min_children=2)
        assert batched.shape == (9, 50)
        for i in range(9):
            np.testing.assert_allclose(
                batched[i], fn(x, mask, weights[i], min_children=2), rtol=1e-12
            )
    batched = aggregate.generalised(x, mask, weights, 3.0)
    for i in range(9):
        np.testing.assert_allclose(
            batched[i], aggregate.generalised(x, mask, weights[i], 3.0), rtol=1e-12
        )
    points = aggregate.sum_points(x, mask, weights, skip_missing=True)
    for i in range(9):
        np.testing.assert_allclose(
            points[i], aggregate.sum_points(x, mask, weights[i], skip_missing=True)
        )
    cope = aggregate.copeland(x, mask, weights)
    for i in range(9):
        np.testing.assert_array_equal(cope[i], aggregate.copeland(x, mask, weights[i]))


def test_per_institution_weights_the_impact_total() -> None:
    x = frozen([[80.0, 90.0, 60.0, 85.0, 70.0], [50.0, 10.0, 20.0, 40.0, 30.0]])
    mask = np.ones((2, 5), dtype=bool)
    w = weight.best_k(x, mask, [0.22, 0.26, 0.26, 0.26, 0.26], 3, always=[0])
    out = aggregate.arithmetic(x, mask, w, per_institution=True, renormalise=False)
    np.testing.assert_allclose(out, [81.3, 0.22 * 50 + 0.26 * 90], rtol=1e-12)
    stacked = aggregate.arithmetic(x, mask, np.stack([w, w]), per_institution=True)
    assert stacked.shape == (2, 2)
    np.testing.assert_allclose(stacked[1], out, rtol=1e-12)


def test_per_institution_nan_row_gives_nan_score() -> None:
    w = np.array([[1.0, 1.0, 1.0], [nan, nan, nan], [1.0, 1.0, 1.0]])
    out = aggregate.arithmetic(X, M, w, per_institution=True)
    assert out[0] == 2.0 and np.isnan(out[1]) and np.isnan(out[2])
    with pytest.raises(ValueError, match="per-institution weights"):
        aggregate.arithmetic(X, M, W, per_institution=True)


def test_geometric_and_harmonic_by_hand() -> None:
    x = frozen([[1.0, 4.0], [2.0, 8.0], [nan, 9.0]])
    mask = ~np.isnan(x)
    np.testing.assert_allclose(aggregate.geometric(x, mask, [1.0, 1.0]), [2.0, 4.0, 9.0])
    np.testing.assert_allclose(aggregate.geometric(x, mask, [1.0, 3.0])[0], 4.0**0.75)
    np.testing.assert_allclose(aggregate.harmonic(x, mask, [1.0, 1.0]), [1.6, 3.2, 9.0])


def test_geometric_and_harmonic_reject_non_positive_weighted_values() -> None:
    x = frozen([[0.0, 4.0], [2.0, -1.0]])
    mask = np.ones((2, 2), dtype=bool)
    with pytest.raises(ValueError, match=r"geometric mean needs values > 0.*column\(s\) \[0, 1\]"):
        aggregate.geometric(x, mask, [1.0, 1.0])
    with pytest.raises(ValueError, match="harmonic mean needs values > 0"):
        aggregate.harmonic(x, mask, [1.0, 1.0])
    # A column that no weight vector uses is not checked; a missing cell is not either.
    assert aggregate.geometric(x[:1], mask[:1], [0.0, 1.0]).tolist() == [4.0]
    assert aggregate.geometric(x[:1], np.array([[False, True]]), [1.0, 1.0]).tolist() == [4.0]


def test_generalised_special_cases_and_domain() -> None:
    x = frozen([[1.0, 4.0], [2.0, 8.0]])
    mask = np.ones((2, 2), dtype=bool)
    w = [1.0, 3.0]
    np.testing.assert_allclose(
        aggregate.generalised(x, mask, w, 1.0), aggregate.arithmetic(x, mask, w)
    )
    np.testing.assert_allclose(
        aggregate.generalised(x, mask, w, 0.0), aggregate.geometric(x, mask, w)
    )
    np.testing.assert_allclose(
        aggregate.generalised(x, mask, w, -1.0), aggregate.harmonic(x, mask, w)
    )
    np.testing.assert_allclose(
        aggregate.generalised(x, mask, [1.0, 1.0], 2.0)[0], math.sqrt(17 / 2)
    )
    zero = frozen([[0.0, 4.0]])
    assert aggregate.generalised(zero, np.ones((1, 2), bool), [1.0, 1.0], 2.0)[0] == math.sqrt(8.0)
    with pytest.raises(ValueError, match="needs values > 0"):
        aggregate.generalised(zero, np.ones((1, 2), bool), [1.0, 1.0], -2.0)
    with pytest.raises(ValueError, match="needs values >= 0"):
        aggregate.generalised(-zero - 1, np.ones((1, 2), bool), [1.0, 1.0], 2.0)
    with pytest.raises(ValueError, match="finite"):
        aggregate.generalised(x, mask, w, math.inf)


def test_sum_points_with_bonus() -> None:
    x = frozen([[3.0, 5.0, 1.0], [2.0, nan, nan], [4.0, 1.0, nan]])
    mask = ~np.isnan(x)
    out = aggregate.sum_points(x, mask, bonus=[2])
    assert out[0] == 9.0 and np.isnan(out[1]) and out[2] == 5.0  # a missing bonus adds nothing
    skipped = aggregate.sum_points(x, mask, bonus=[2], skip_missing=True)
    assert skipped.tolist() == [9.0, 2.0, 5.0]
    assert np.isnan(aggregate.sum_points(x, mask, bonus=[2], skip_missing=True, min_children=2)[1])
    weighted = aggregate.sum_points(x, mask, [2.0, 1.0, 5.0], bonus=[2])
    assert weighted[0] == 12.0  # 2 * 3 + 5 + bonus 1 (bonus weight is always 1)


def test_grade_counts() -> None:
    grades = frozen([[0, 0, 1, -1], [4, 4, 4, 4], [-1, -1, -1, -1]], np.int8)
    out = aggregate.grade_counts(grades)
    assert out.tolist() == [[2, 1, 0, 0, 0], [0, 0, 0, 0, 4], [0, 0, 0, 0, 0]]
    with pytest.raises(ValueError, match="grade codes"):
        aggregate.grade_counts(np.array([[5]]))
    with pytest.raises(ValueError, match="integer"):
        aggregate.grade_counts(np.array([[0.0]]))


def test_copeland_by_hand() -> None:
    x = frozen([[3.0, 1.0], [2.0, 2.0], [1.0, 3.0]])
    mask = np.ones((3, 2), dtype=bool)
    assert aggregate.copeland(x, mask, [1.0, 1.0]).tolist() == [0.0, 0.0, 0.0]
    assert aggregate.copeland(x, mask, [2.0, 1.0]).tolist() == [2.0, 0.0, -2.0]
    # Ties on a child count half for each: equal on child 0, so child 1 decides.
    x_ties = frozen([[1.0, 5.0], [1.0, 4.0]])
    assert aggregate.copeland(x_ties, np.ones((2, 2), bool), [1.0, 1.0]).tolist() == [1.0, -1.0]


def test_copeland_float_ties_missing_and_min_children() -> None:
    x = frozen([[1.0, 1.0, 0.0], [0.0, 0.0, 1.0]])
    mask = np.ones((2, 3), dtype=bool)
    # 0.1 + 0.2 against 0.3 is a draw, not a float artefact.
    assert aggregate.copeland(x, mask, [0.1, 0.2, 0.3]).tolist() == [0.0, 0.0]
    x = frozen([[5.0, nan], [nan, 1.0], [4.0, 2.0], [nan, nan]])
    mask = ~np.isnan(x)
    # 0 vs 1: no common child (draw); 0 beats 2 on child 0; 2 beats 1 on child 1.
    out = aggregate.copeland(x, mask, [1.0, 1.0])
    assert out[:3].tolist() == [1.0, -1.0, 0.0] and np.isnan(out[3])


def test_weights_are_validated() -> None:
    with pytest.raises(ValueError, match="non-negative"):
        aggregate.arithmetic(X, M, [1.0, -1.0, 1.0])
    with pytest.raises(ValueError, match="shape"):
        aggregate.arithmetic(X, M, [1.0, 1.0])
    with pytest.raises(ValueError, match="min_children"):
        aggregate.arithmetic(X, M, W, min_children=-1)


shapes = st.tuples(st.integers(1, 8), st.integers(1, 5))
values = st.one_of(st.floats(0.01, 1e4), st.just(nan))


@st.composite
def problems(draw: st.DrawFn) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    n, k = draw(shapes)
    x = draw(hnp.arrays(np.float64, (n, k), elements=values))
    w = draw(hnp.arrays(np.float64, (k,), elements=st.floats(0.01, 10)))
    return x, ~np.isnan(x), w


@settings(max_examples=80, deadline=None)
@given(problems(), st.randoms())
def test_permuting_rows_permutes_scores(problem, rnd) -> None:  # type: ignore[no-untyped-def]
    x, mask, w = problem
    perm = np.array(rnd.sample(range(x.shape[0]), x.shape[0]))
    for fn in (aggregate.arithmetic, aggregate.geometric, aggregate.harmonic):
        np.testing.assert_array_equal(fn(x, mask, w)[perm], fn(x[perm], mask[perm], w))
    np.testing.assert_array_equal(
        aggregate.copeland(x, mask, w)[perm], aggregate.copeland(x[perm], mask[perm], w)
    )


@settings(max_examples=80, deadline=None)
@given(problems())
def test_means_lie_between_the_present_children(problem) -> None:  # type: ignore[no-untyped-def]
    x, mask, w = problem
    lo = np.where(mask, x, np.inf).min(axis=1)
    hi = np.where(mask, x, -np.inf).max(axis=1)
    for fn in (aggregate.arithmetic, aggregate.geometric, aggregate.harmonic):
        out = fn(x, mask, w)
        assert (np.isnan(out) == ~mask.any(axis=1)).all()
        ok = mask.any(axis=1)
        assert (out[ok] >= lo[ok] * (1 - 1e-12)).all() and (out[ok] <= hi[ok] * (1 + 1e-12)).all()
    # Power means are ordered: harmonic <= geometric <= arithmetic.
    ok = mask.any(axis=1)
    h, g, a = (
        fn(x, mask, w)[ok] for fn in (aggregate.harmonic, aggregate.geometric, aggregate.arithmetic)
    )
    assert (h <= g * (1 + 1e-12)).all() and (g <= a * (1 + 1e-12)).all()


@settings(max_examples=80, deadline=None)
@given(problems(), st.data())
def test_arithmetic_is_monotone_in_each_child(problem, data) -> None:  # type: ignore[no-untyped-def]
    x, mask, w = problem
    n, k = x.shape
    i = data.draw(st.integers(0, n - 1))
    j = data.draw(st.integers(0, k - 1))
    if not mask[i, j]:
        return
    bump = data.draw(st.floats(0.0, 1e4))
    raised = x.copy()
    raised[i, j] += bump
    before = aggregate.arithmetic(x, mask, w)
    after = aggregate.arithmetic(raised, mask, w)
    assert after[i] >= before[i]
    others = np.arange(n) != i
    np.testing.assert_array_equal(after[others], before[others])


def test_copeland_in_row_blocks_equals_one_block(monkeypatch: pytest.MonkeyPatch) -> None:
    rng = np.random.default_rng(9)
    x = rng.integers(0, 4, (23, 5)).astype(float)  # many ties
    x[rng.random((23, 5)) < 0.2] = nan
    mask = ~np.isnan(x)
    weights = rng.uniform(0, 1, (3, 5))
    whole = aggregate.copeland(x, mask, weights)
    monkeypatch.setattr(aggregate, "_COPELAND_CELLS", 50)  # blocks of 50 // (3 * 23) -> 1 row
    np.testing.assert_array_equal(aggregate.copeland(x, mask, weights), whole)
    # Antisymmetry: the scores of a full comparison sum to zero.
    assert np.nansum(whole, axis=1).tolist() == [0.0, 0.0, 0.0]


def test_copeland_single_institution() -> None:
    assert aggregate.copeland(frozen([[1.0, 2.0]]), np.ones((1, 2), bool), [1.0, 1.0]).tolist() == [
        0.0
    ]


def test_worked_example_the_2010_11_harvard() -> None:
    # methodologies.md 4.2: 0.30*99.7 + 0.05*72.4 + 0.30*98.7 + 0.325*98.8 + 0.025*34.5 = 96.1125,
    # published as 96.1.
    pillars = frozen([[99.7, 72.4, 98.7, 98.8, 34.5]])
    total = aggregate.arithmetic(pillars, np.ones((1, 5), bool), [30.0, 5.0, 30.0, 32.5, 2.5])
    assert total[0] == pytest.approx(96.1125, abs=1e-9)
    assert round_half_up(total, 1).tolist() == [96.1]


def test_worked_example_arwu_2005() -> None:
    # methodologies.md 5.2: Harvard 97.24 and Cambridge 71.51 before the top = 100 rescaling.
    scores = frozen([[100, 100, 100, 100, 100, 72.4], [99.8, 93.4, 53.3, 56.6, 70.9, 66.9]])
    total = aggregate.arithmetic(scores, np.ones((2, 6), bool), [10, 20, 20, 20, 20, 10])
    np.testing.assert_allclose(total, [97.24, 71.51], atol=1e-9)
