import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from palmares.steps import aggregate, impute

pytestmark = pytest.mark.filterwarnings("error")

nan = np.nan


def frozen(a: np.ndarray) -> np.ndarray:
    a = np.array(a)
    a.flags.writeable = False
    return a


# Column 0: 1, 2, 3, 4 and one missing; column 1: 10, 30 present; column 2: all missing.
X = frozen(
    [
        [1.0, 10.0, nan],
        [2.0, nan, nan],
        [3.0, 30.0, nan],
        [4.0, nan, nan],
        [nan, nan, nan],
    ]
)
M = frozen(~np.isnan(X))


def test_none_keeps_missing_and_imputes_nothing() -> None:
    filled, imputed = impute.impute(X, M, "none")
    np.testing.assert_array_equal(filled, X)
    assert not imputed.any()


def test_mean_median_percentile_by_hand() -> None:
    filled, imputed = impute.impute(X, M, "mean")
    assert filled[4, 0] == 2.5 and filled[1, 1] == 20.0 and filled[3, 1] == 20.0
    filled, _ = impute.impute(X, M, "median")
    assert filled[4, 0] == 2.5 and filled[1, 1] == 20.0
    # THE: 25th percentile of the others, linear interpolation: 1 + 0.75 * (2 - 1).
    filled, imputed = impute.impute(X, M, "percentile", q=25.0)
    assert filled[4, 0] == 1.75
    assert filled[1, 1] == 15.0  # 10 + 0.25 * (30 - 10)
    assert imputed.tolist() == [
        [False, False, False],
        [False, True, False],
        [False, False, False],
        [False, True, False],
        [True, True, False],
    ]


def test_all_missing_column_stays_missing_and_is_not_marked() -> None:
    for method in ("mean", "median", "percentile"):
        filled, imputed = impute.impute(X, M, method)  # type: ignore[arg-type]
        assert np.isnan(filled[:, 2]).all()
        assert not imputed[:, 2].any()


def test_zero_and_constant_fill_every_missing_cell_and_mark_it() -> None:
    filled, imputed = impute.impute(X, M, "zero")
    assert filled[4, 0] == 0.0 and (filled[:, 2] == 0.0).all()
    np.testing.assert_array_equal(imputed, ~M)
    filled, _ = impute.impute(X, M, "constant", value=7.0)
    assert filled[1, 1] == 7.0 and filled[0, 2] == 7.0
    filled, _ = impute.impute(X, M, "constant", value=[-1.0, -2.0, -3.0])
    assert filled[4].tolist() == [-1.0, -2.0, -3.0]
    assert filled[0].tolist() == [1.0, 10.0, -3.0]


def test_constant_needs_a_finite_value_and_methods_are_checked() -> None:
    with pytest.raises(ValueError, match="needs a value"):
        impute.impute(X, M, "constant")
    with pytest.raises(ValueError, match="finite"):
        impute.impute(X, M, "constant", value=nan)
    with pytest.raises(ValueError, match="unknown impute method"):
        impute.impute(X, M, "mode")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="needs groups"):
        impute.impute(X, M, "group_mean")


def test_group_mean_by_hand() -> None:
    x = frozen([[1.0, 5.0], [3.0, nan], [nan, 6.0], [10.0, nan], [nan, nan], [nan, 1.0]])
    mask = ~np.isnan(x)
    groups = np.array(["FR", "FR", "FR", "DE", "DE", None], dtype=object)
    filled, imputed = impute.impute(x, mask, "group_mean", groups=groups)
    assert filled[2, 0] == 2.0  # mean of FR's 1 and 3
    assert filled[1, 1] == 5.5  # mean of FR's 5 and 6
    assert filled[4, 0] == 10.0
    assert np.isnan(filled[3, 1]) and np.isnan(filled[4, 1])  # DE has no value in column 1
    assert np.isnan(filled[5, 0])  # no group label: not imputed
    assert imputed.sum() == 3
    # A second step completes what the group mean could not.
    again, more = impute.impute(filled, mask | imputed, "median")
    assert more.sum() == 3 and not np.isnan(again).any()


def test_group_mean_rejects_wrong_length() -> None:
    with pytest.raises(ValueError, match="groups must have shape"):
        impute.impute(X, M, "group_mean", groups=np.array(["a"]))


def test_single_institution() -> None:
    x = np.array([[3.0, nan]])
    filled, imputed = impute.impute(x, ~np.isnan(x), "mean")
    assert filled[0, 0] == 3.0 and np.isnan(filled[0, 1])
    assert not imputed.any()


def test_mask_is_authoritative_over_values() -> None:
    # A value that the mask says is absent is treated as missing and replaced.
    x = np.array([[1.0], [99.0], [3.0]])
    mask = np.array([[True], [False], [True]])
    filled, imputed = impute.impute(x, mask, "mean")
    assert filled[:, 0].tolist() == [1.0, 2.0, 3.0]
    assert imputed[:, 0].tolist() == [False, True, False]


def test_redistribute_arwu_lse_by_hand() -> None:
    weights = frozen([10.0, 20.0, 20.0, 20.0, 20.0, 10.0])  # Alumni Award HiCi N&S PUB PCP
    applicable = np.ones((3, 6), dtype=bool)
    applicable[1, 3] = False  # LSE: N&S does not apply
    applicable[2, :] = False
    w = impute.redistribute_weights(weights, applicable)
    assert w[0].tolist() == weights.tolist()
    # The 20 points of N&S go to the others in proportion: 100 / 80 = 1.25.
    assert w[1].tolist() == [12.5, 25.0, 25.0, 0.0, 25.0, 12.5]
    assert w[1].sum() == 100.0
    assert np.isnan(w[2]).all()


def test_redistribution_equals_renormalised_mean() -> None:
    rng = np.random.default_rng(4)
    x = rng.uniform(0, 100, (8, 6))
    applicable = rng.random((8, 6)) > 0.2
    applicable[:, 0] = True
    weights = np.array([10.0, 20.0, 20.0, 20.0, 20.0, 10.0])
    w = impute.redistribute_weights(weights, applicable)
    total = (w * np.where(applicable, x, 0.0)).sum(axis=1) / weights.sum()
    expected = aggregate.arithmetic(np.where(applicable, x, nan), applicable, weights)
    np.testing.assert_allclose(total, expected, rtol=1e-12)


def test_redistribute_rejects_bad_input() -> None:
    with pytest.raises(ValueError, match="non-negative"):
        impute.redistribute_weights([1.0, -1.0], np.ones((1, 2), dtype=bool))
    with pytest.raises(ValueError, match="applicable"):
        impute.redistribute_weights([1.0, 1.0], np.ones((1, 3), dtype=bool))


matrices = hnp.arrays(
    np.float64,
    st.tuples(st.integers(1, 8), st.integers(1, 4)),
    elements=st.one_of(st.floats(-1e6, 1e6), st.just(nan)),
)


@settings(max_examples=60, deadline=None)
@given(matrices, st.sampled_from(["mean", "median", "percentile", "zero"]), st.randoms())
def test_permuting_rows_permutes_the_imputation(x: np.ndarray, method: str, rnd) -> None:  # type: ignore[no-untyped-def]
    mask = ~np.isnan(x)
    perm = np.array(rnd.sample(range(x.shape[0]), x.shape[0]))
    filled, imputed = impute.impute(x, mask, method)  # type: ignore[arg-type]
    filled_p, imputed_p = impute.impute(x[perm], mask[perm], method)  # type: ignore[arg-type]
    # Sums depend on the order of the rows in the last bit; order statistics do not.
    if method == "mean":
        np.testing.assert_allclose(filled[perm], filled_p, rtol=1e-12, atol=1e-9)
    else:
        np.testing.assert_array_equal(filled[perm], filled_p)
    np.testing.assert_array_equal(imputed[perm], imputed_p)
    # Present values are never changed; imputed cells are exactly the previously missing ones
    # that could be filled.
    np.testing.assert_array_equal(filled[mask], x[mask])
    assert not (imputed & mask).any()
