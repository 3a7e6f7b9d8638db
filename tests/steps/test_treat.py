import numpy as np
import pytest
from scipy import stats

from palmares.steps import treat

pytestmark = pytest.mark.filterwarnings("error")

nan = np.nan


def column(values: list[float]) -> tuple[np.ndarray, np.ndarray]:
    x = np.array(values, dtype=float)[:, None]
    x.flags.writeable = False
    return x, ~np.isnan(x)


def fails(values: list[float]) -> bool:
    # The rule with scipy's unbiased estimators, which equal e1071 type 2 (excess kurtosis).
    v = np.asarray(values, dtype=float)
    return bool(abs(stats.skew(v, bias=False)) >= 2.0 and stats.kurtosis(v, bias=False) >= 3.5)


# 1..20 with two outliers: winsorising 100 -> 60 still fails; then both 60s -> 20 passes.
TWO_STEPS = [float(v) for v in range(1, 21)] + [60.0, 100.0]
# 40 zeros and 1, 2, 4, ..., 2048: five winsorisation steps are not enough; the log is used.
NEEDS_LOG = [0.0] * 40 + [2.0**i for i in range(12)]


def test_moments_match_e1071_type_2_via_scipy() -> None:
    rng = np.random.default_rng(0)
    x = rng.lognormal(size=(30, 5))
    x[rng.random((30, 5)) < 0.2] = nan
    mask = ~np.isnan(x)
    for j in range(5):
        v = x[mask[:, j], j]
        assert treat.skewness(x, mask)[j] == pytest.approx(stats.skew(v, bias=False), rel=1e-10)
        assert treat.kurtosis(x, mask)[j] == pytest.approx(stats.kurtosis(v, bias=False), rel=1e-10)


def test_moments_by_the_e1071_formula_on_a_small_case() -> None:
    x, mask = column([1.0, 2.0, 3.0, 10.0])
    d = np.array([1.0, 2.0, 3.0, 10.0]) - 4.0
    n = 4
    m2, m3, m4 = (d**2).sum(), (d**3).sum(), (d**4).sum()
    skew = np.sqrt(n) * m3 / m2**1.5 * np.sqrt(n * (n - 1)) / (n - 2)
    r = n * m4 / m2**2
    kurt = ((n + 1) * (r - 3) + 6) * (n - 1) / ((n - 2) * (n - 3))
    assert treat.skewness(x, mask)[0] == pytest.approx(skew, rel=1e-12)
    assert treat.kurtosis(x, mask)[0] == pytest.approx(kurt, rel=1e-12)


def test_moments_undefined_for_few_values_and_constant_columns() -> None:
    x = np.array([[1.0, 5.0, 0.1], [2.0, 5.0, 0.1], [4.0, 5.0, 0.1], [nan, 5.0, 0.1]])
    mask = ~np.isnan(x)
    sk = treat.skewness(x, mask)
    kt = treat.kurtosis(x, mask)
    assert np.isfinite(sk[0]) and np.isnan(kt[0])  # 3 values: skew only
    assert np.isnan(sk[1:]).all() and np.isnan(kt[1:]).all()  # constant columns


def test_two_winsorisation_steps_by_hand() -> None:
    assert fails(TWO_STEPS)
    after_one = [*range(1, 21), 60.0, 60.0]
    after_two = [*range(1, 21), 20.0, 20.0]
    assert fails(after_one) and not fails(after_two)
    x, mask = column(TWO_STEPS)
    result = treat.jrc(x, mask)
    np.testing.assert_array_equal(result.x[:, 0], after_two)
    assert result.steps.tolist() == [2]
    assert result.n_winsorised.tolist() == [2]
    assert result.winsorised[:, 0].tolist() == [False] * 20 + [True, True]
    assert result.logged.tolist() == [False] and result.treated.tolist() == [True]


def test_log_when_five_steps_do_not_pass() -> None:
    assert fails(NEEDS_LOG)
    x, mask = column(NEEDS_LOG)
    result = treat.jrc(x, mask)
    assert result.logged.tolist() == [True] and result.treated.tolist() == [True]
    assert result.steps.tolist() == [5]
    assert result.n_winsorised.tolist() == [0] and not result.winsorised.any()
    # COINr log_CT on the original data: log(x - min + 0.01 (max - min)).
    expected = np.log(np.array(NEEDS_LOG) - 0.0 + 0.01 * 2048.0)
    np.testing.assert_allclose(result.x[:, 0], expected, rtol=1e-15)
    shifted = treat.jrc(x, mask, log="log_shift1")
    np.testing.assert_allclose(shifted.x[:, 0], np.log(np.array(NEEDS_LOG) + 1.0), rtol=1e-15)


def test_zero_winsorisation_goes_straight_to_log() -> None:
    x, mask = column(TWO_STEPS)
    result = treat.jrc(x, mask, max_winsorised=0)
    assert result.logged.tolist() == [True] and result.steps.tolist() == [0]


def test_negative_skew_is_winsorised_from_the_bottom_and_logged_as_a_mirror() -> None:
    mirrored = [-v for v in TWO_STEPS]
    x, mask = column(mirrored)
    result = treat.jrc(x, mask)
    np.testing.assert_array_equal(result.x[:, 0], [*range(-1, -21, -1), -20.0, -20.0])
    x, mask = column([-v for v in NEEDS_LOG])
    logged = treat.jrc(x, mask)
    assert logged.logged.tolist() == [True]
    # -log(max - x + c) keeps the order of the values.
    order = np.argsort(-np.array(NEEDS_LOG), kind="stable")
    assert np.all(np.diff(logged.x[order, 0]) >= 0)


def test_passing_constant_short_and_empty_columns_are_untouched() -> None:
    rng = np.random.default_rng(1)
    x = np.column_stack(
        [rng.normal(size=12), np.full(12, 3.0), [1.0, 2.0, 50.0] + [nan] * 9, np.full(12, nan)]
    )
    mask = ~np.isnan(x)
    result = treat.jrc(x, mask)
    np.testing.assert_array_equal(result.x, np.where(mask, x, nan))
    assert not result.treated.any() and result.steps.tolist() == [0, 0, 0, 0]


def test_columns_are_treated_independently_in_one_call() -> None:
    rng = np.random.default_rng(2)
    normal = rng.normal(size=52)
    x = np.column_stack([TWO_STEPS + [nan] * 30, NEEDS_LOG, normal])
    mask = ~np.isnan(x)
    together = treat.jrc(x, mask)
    for j in range(3):
        alone = treat.jrc(x[:, [j]], mask[:, [j]])
        np.testing.assert_array_equal(together.x[:, j], alone.x[:, 0])
        assert together.steps[j] == alone.steps[0]
        assert together.logged[j] == alone.logged[0]
    assert together.logged.tolist() == [False, True, False]
    assert together.n_winsorised.tolist() == [2, 0, 0]
    assert np.isnan(together.x[22:, 0]).all()


def test_tied_extremes_move_together() -> None:
    values = [float(v) for v in range(1, 31)] + [100.0, 100.0]
    assert fails(values)
    x, mask = column(values)
    result = treat.jrc(x, mask)
    # One step moves both 100s to 30; the rule then passes.
    assert result.steps.tolist() == [1]
    assert result.n_winsorised.tolist() == [2]
    assert result.x[30:, 0].tolist() == [30.0, 30.0]
    assert not fails(result.x[:, 0].tolist())


def test_thresholds_are_parameters() -> None:
    x, mask = column(TWO_STEPS)
    lenient = treat.jrc(x, mask, skew_max=5.0)
    assert not lenient.treated.any()


def test_rejects_bad_parameters() -> None:
    x, mask = column(TWO_STEPS)
    with pytest.raises(ValueError, match="max_winsorised"):
        treat.jrc(x, mask, max_winsorised=-1)
    with pytest.raises(ValueError, match="log method"):
        treat.jrc(x, mask, log="box-cox")  # type: ignore[arg-type]


def reference_jrc(values: np.ndarray, max_steps: int = 5) -> tuple[np.ndarray, int, bool]:
    """A plain per-column transcription of COINr's loop, for comparison."""
    v = values.copy()
    steps = 0
    while fails(v.tolist()) and steps < max_steps:
        if stats.skew(v, bias=False) > 0:
            top = v.max()
            v[v == top] = v[v < top].max()
        else:
            bottom = v.min()
            v[v == bottom] = v[v > bottom].min()
        steps += 1
    if fails(v.tolist()):
        lo, hi = values.min(), values.max()
        shift = 0.01 * (hi - lo)
        if stats.skew(values, bias=False) < 0:
            return -np.log(hi - values + shift), steps, True
        return np.log(values - lo + shift), steps, True
    return v, steps, False


def test_vectorised_rule_equals_a_column_by_column_transcription() -> None:
    rng = np.random.default_rng(11)
    n, k = 60, 40
    sigma = rng.uniform(0.1, 2.5, k)
    x = rng.lognormal(0.0, sigma, (n, k))
    x[:, ::3] *= -1  # negative skew in a third of the columns
    x[:, 5] = np.round(x[:, 5])  # ties
    x[rng.random((n, k)) < 0.15] = nan
    x[:, 0] = NEEDS_LOG + [nan] * (n - len(NEEDS_LOG))
    x[:, 1] = -x[:, 0]
    mask = ~np.isnan(x)
    result = treat.jrc(x, mask)
    kinds = set()
    for j in range(k):
        present = mask[:, j]
        expected, steps, logged = reference_jrc(x[present, j])
        np.testing.assert_allclose(result.x[present, j], expected, rtol=1e-12)
        assert result.steps[j] == steps and result.logged[j] == logged
        assert np.isnan(result.x[~present, j]).all()
        kinds.add((steps > 0, logged))
    # The sample exercises untouched, winsorised and logged columns.
    assert kinds >= {(False, False), (True, False), (True, True)}


def test_jrc_can_reverse_an_improvement() -> None:
    """Documented: with the JRC step, raising a benefit indicator can lose a place.

    A leads indicator 0 with 30 (the column passes). Raised to 100, the column fails, A is
    winsorised down to the runner-up's 20, and after min-max B (strong on indicator 1) ties A
    on indicator 0 and overtakes it.
    """
    from palmares.steps import aggregate, normalise

    indicator1 = np.linspace(0.0, 10.0, 21)
    indicator1[0] = 8.0  # A
    before = np.column_stack([[30.0, *range(1, 21)], indicator1])  # B is the last row
    after = before.copy()
    after[0, 0] = 100.0
    mask = np.ones_like(before, dtype=bool)
    d = np.array([1, 1])

    def score(x: np.ndarray) -> np.ndarray:
        treated = treat.jrc(x, mask)
        return aggregate.arithmetic(normalise.minmax(treated.x, mask, d), mask, [1.0, 1.0])

    s0, s1 = score(before), score(after)
    assert not treat.jrc(before, mask).treated[0] and treat.jrc(after, mask).treated[0]
    assert s0[0] > s0[20] and s1[0] < s1[20]


def test_permuting_rows_permutes_the_treatment() -> None:
    rng = np.random.default_rng(12)
    x = rng.lognormal(0.0, 1.5, (80, 12))
    x[rng.random((80, 12)) < 0.1] = nan
    mask = ~np.isnan(x)
    perm = rng.permutation(80)
    a = treat.jrc(x, mask)
    b = treat.jrc(x[perm], mask[perm])
    np.testing.assert_allclose(a.x[perm], b.x, rtol=1e-13)
    np.testing.assert_array_equal(a.winsorised[perm], b.winsorised)
    np.testing.assert_array_equal(a.steps, b.steps)
    np.testing.assert_array_equal(a.logged, b.logged)


def test_long_ties_and_a_skew_that_changes_sign_follow_the_reference() -> None:
    rng = np.random.default_rng(13)
    base = rng.normal(size=3000)
    # After the 1000 goes, 50 tied 500s move together: more than the cut-out tail holds.
    long_ties = np.concatenate([base, [1000.0], [500.0] * 50])
    # +100 dominates the skew at first; once winsorised, three -60s make it negative.
    flipping = np.concatenate([base, [100.0], [-60.0] * 3, base[:47]])
    x = np.column_stack([long_ties, flipping])
    mask = ~np.isnan(x)
    result = treat.jrc(x, mask)
    for j in range(2):
        expected, steps, logged = reference_jrc(x[:, j])
        np.testing.assert_allclose(result.x[:, j], expected, rtol=1e-12)
        assert (result.steps[j], result.logged[j]) == (steps, logged)
    first = stats.skew(flipping, bias=False)
    capped = np.where(flipping == 100.0, np.sort(flipping)[-2], flipping)
    assert first > 0 and stats.skew(capped, bias=False) < 0  # the sign did change
    assert result.steps[0] >= 2
