import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from palmares.steps import grade

pytestmark = pytest.mark.filterwarnings("error")

nan = np.nan
A, B, C, D, E, NONE = 0, 1, 2, 3, 4, -1


def frozen(a: object) -> np.ndarray:
    arr = np.array(a, dtype=float)
    arr.flags.writeable = False
    return arr


def test_default_groups_by_distance_to_the_median_with_boundaries() -> None:
    # Median 100 (odd count including 100 itself); deviations +30 %, +25 %, +10 %, 0, -10 %,
    # -10.1 %, -25 %, -26 %; plus one missing.
    values = [130.0, 125.0, 110.0, 100.0, 90.0, 89.9, 75.0, 74.0, 100.0, nan]
    x = frozen(values)[:, None]
    mask = ~np.isnan(x)
    out = grade.median_distance(x, mask, np.array([1]))
    assert out.dtype == np.int8
    assert out[:, 0].tolist() == [A, A, B, C, C, D, D, E, C, NONE]


def test_lower_is_better_flips_the_deviation() -> None:
    x = frozen([[50.0], [100.0], [150.0]])
    out = grade.median_distance(x, np.ones((3, 1), bool), np.array([-1]))
    assert out[:, 0].tolist() == [A, C, E]


def test_configurable_and_per_node_thresholds() -> None:
    x = frozen([[105.0, 105.0], [100.0, 100.0], [95.0, 95.0]])
    mask = np.ones((3, 2), dtype=bool)
    d = np.array([1, 1])
    tight = grade.median_distance(x, mask, d, thresholds=[0.04, 0.02, -0.02, -0.04])
    assert tight.tolist() == [[A, A], [C, C], [E, E]]
    per_node = grade.median_distance(
        x, mask, d, thresholds=[[0.04, 0.02, -0.02, -0.04], [0.25, 0.1, -0.1, -0.25]]
    )
    assert per_node.tolist() == [[A, C], [C, C], [E, C]]
    three = grade.median_distance(x, mask, d, thresholds=[0.01, -0.01])
    assert three[:, 0].tolist() == [0, 1, 2]


def test_zero_median_single_institution_and_constant_column() -> None:
    x = frozen(
        [[0.0, 5.0, 7.0], [0.0, nan, 7.0], [1.0, nan, 7.0], [-1.0, nan, 7.0], [0.0, nan, 7.0]]
    )
    mask = ~np.isnan(x)
    out = grade.median_distance(x, mask, np.array([1, 1, 1]))
    assert out[:, 0].tolist() == [C, C, A, E, C]  # median 0: any gain is infinite
    assert out[:, 1].tolist() == [C, NONE, NONE, NONE, NONE]
    assert out[:, 2].tolist() == [C] * 5


def test_negative_median_uses_its_magnitude() -> None:
    x = frozen([[-100.0], [-80.0], [-120.0]])
    out = grade.median_distance(x, np.ones((3, 1), bool), np.array([1]))
    assert out[:, 0].tolist() == [C, B, D]  # -80 is 20 % above -100; -120 is 20 % below


def test_all_missing_column() -> None:
    x = frozen([[nan], [nan]])
    assert grade.median_distance(x, ~np.isnan(x), np.array([1])).tolist() == [[NONE], [NONE]]


def test_rejects_bad_thresholds() -> None:
    x = frozen([[1.0]])
    mask = np.ones((1, 1), dtype=bool)
    with pytest.raises(ValueError, match="descending"):
        grade.median_distance(x, mask, np.array([1]), thresholds=[0.1, 0.2])
    with pytest.raises(ValueError, match="shape"):
        grade.median_distance(x, mask, np.array([1]), thresholds=[[0.1, 0.0], [0.1, 0.0]])


@settings(max_examples=60, deadline=None)
@given(
    hnp.arrays(
        np.float64,
        st.tuples(st.integers(1, 9), st.integers(1, 3)),
        elements=st.one_of(st.floats(-1e4, 1e4), st.just(nan)),
    ),
    st.randoms(),
)
def test_permutation_and_monotonicity(x, rnd) -> None:  # type: ignore[no-untyped-def]
    mask = ~np.isnan(x)
    direction = np.ones(x.shape[1], dtype=int)
    out = grade.median_distance(x, mask, direction)
    perm = np.array(rnd.sample(range(x.shape[0]), x.shape[0]))
    np.testing.assert_array_equal(out[perm], grade.median_distance(x[perm], mask[perm], direction))
    assert ((out == NONE) == ~mask).all()
    for j in range(x.shape[1]):
        v, g = x[mask[:, j], j], out[mask[:, j], j]
        # A higher value never gets a worse (larger) grade code.
        assert (g[:, None] <= g[None, :])[v[:, None] > v[None, :]].all()
