import numpy as np
import pytest

from palmares.steps import rescale

pytestmark = pytest.mark.filterwarnings("error")

nan = np.nan


def frozen(a: object, dtype: type = float) -> np.ndarray:
    arr = np.array(a, dtype=dtype)
    arr.flags.writeable = False
    return arr


S = frozen([97.24, 71.51, nan, 50.0])
VALID = frozen([True, True, True, False], bool)


def test_top100_the_arwu_2005_example() -> None:
    out = rescale.top100(S, VALID)
    assert out[0] == 100.0
    assert out[1] == pytest.approx(73.54, abs=0.005)  # Cambridge: 71.51 / 97.24 * 100
    assert np.isnan(out[2]) and np.isnan(out[3])  # NaN score; outside the population


def test_top100_ignores_invalid_entries_for_the_maximum() -> None:
    s = frozen([10.0, 20.0, 40.0])
    out = rescale.top100(s, np.array([True, True, False]))
    assert out[:2].tolist() == [50.0, 100.0] and np.isnan(out[2])


def test_top100_all_zero_single_and_negative() -> None:
    assert rescale.top100(frozen([0.0, 0.0]), np.array([True, True])).tolist() == [0.0, 0.0]
    assert rescale.top100(frozen([3.0]), np.array([True])).tolist() == [100.0]
    # only the maximum is set (THE Impact 2019): a negative score stays negative
    assert rescale.top100(frozen([-1.0, 2.0]), np.array([True, True])).tolist() == [-50.0, 100.0]


def test_top100_negative_scores_hand_computed() -> None:
    # z-scores -1.5, 0.5, 2.5: scale 100 / 2.5 = 40 -> -60, 20, 100; the NaN stays NaN
    s = frozen([-1.5, 0.5, 2.5, nan])
    assert rescale.top100(s).tolist()[:3] == [-60.0, 20.0, 100.0]
    assert np.isnan(rescale.top100(s)[3])
    out = rescale.top100(s, np.array([True, True, True, False]))
    assert out[:3].tolist() == [-60.0, 20.0, 100.0] and np.isnan(out[3])
    # batched, no NaN (the fast path): each draw by its own maximum
    batch = frozen([[-2.0, 4.0], [1.0, -3.0]])
    assert rescale.top100(batch).tolist() == [[-50.0, 100.0], [100.0, -300.0]]
    # outside the population a larger score does not set the scale
    assert rescale.top100(frozen([-4.0, 2.0, 8.0]), np.array([True, True, False]))[:2].tolist() == [
        -200.0,
        100.0,
    ]


def test_top100_refuses_a_best_score_at_or_below_zero_naming_each_draw() -> None:
    with pytest.raises(ValueError, match=r"best score above 0.*got a best of -1$"):
        rescale.top100(frozen([-1.0, -2.0]), np.array([True, True]))
    with pytest.raises(ValueError, match=r"-0\.5 in draw 1, 0 in draw 2$"):
        rescale.top100(frozen([[1.0, 2.0], [-0.5, -1.0], [0.0, -1.0]]))
    # a draw with no valid score is all NaN, not an error
    out = rescale.top100(
        frozen([[1.0, 2.0], [-1.0, -2.0]]), np.array([[True, True], [False, False]])
    )
    assert out[0].tolist() == [50.0, 100.0] and np.isnan(out[1]).all()


def test_minmax_along_the_last_axis() -> None:
    s = frozen([[1.0, 3.0, 2.0], [5.0, 5.0, 5.0]])
    out = rescale.minmax(s, np.ones(3, dtype=bool))
    assert out.tolist() == [[0.0, 100.0, 50.0], [50.0, 50.0, 50.0]]  # ties: middle of range
    qs = rescale.minmax(s[0], np.ones(3, dtype=bool), 1.0, 100.0)
    assert qs.tolist() == [1.0, 100.0, 50.5]
    with pytest.raises(ValueError, match="hi > lo"):
        rescale.minmax(s, np.ones(3, dtype=bool), 5.0, 5.0)


def test_affine_floor_the_qs_2024_form() -> None:
    s = frozen([80.0, 50.0, 20.0, 10.0])
    out = rescale.affine_floor(s, np.ones(4, dtype=bool), floor=20.0)
    assert out.tolist() == [100.0, 50.0, 0.0, 0.0]  # below the floor: 0
    with pytest.raises(ValueError, match="above the floor"):
        rescale.affine_floor(s, np.ones(4, dtype=bool), floor=80.0)


def test_batched_rows_are_rescaled_independently() -> None:
    s = frozen([[2.0, 4.0], [1.0, 8.0]])
    valid = np.ones(2, dtype=bool)
    assert rescale.top100(s, valid).tolist() == [[50.0, 100.0], [12.5, 100.0]]
    per_row = np.array([[True, False], [True, True]])
    out = rescale.top100(s, per_row)
    assert out[0, 0] == 100.0 and np.isnan(out[0, 1])


def test_empty_population_and_shape_errors() -> None:
    out = rescale.minmax(frozen([1.0, 2.0]), np.array([False, False]))
    assert np.isnan(out).all()
    with pytest.raises(ValueError, match="does not fit"):
        rescale.top100(frozen([1.0, 2.0]), np.array([True, True, True]))
    with pytest.raises(ValueError, match="boolean"):
        rescale.top100(frozen([1.0, 2.0]), np.array([1, 1]))
