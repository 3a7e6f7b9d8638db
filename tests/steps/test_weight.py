import numpy as np
import pytest

from palmares.steps import weight

pytestmark = pytest.mark.filterwarnings("error")

nan = np.nan


def frozen(a: object, dtype: type = float) -> np.ndarray:
    arr = np.array(a, dtype=dtype)
    arr.flags.writeable = False
    return arr


def test_fixed_from_a_table_in_node_order() -> None:
    table = {"teaching": 30, "international": 7.5, "research": 30, "citations": 30, "industry": 2.5}
    nodes = ["research", "teaching", "citations", "international", "industry"]
    assert weight.fixed(table, nodes).tolist() == [30.0, 30.0, 30.0, 7.5, 2.5]


def test_fixed_reports_missing_and_unknown_nodes_together() -> None:
    with pytest.raises(ValueError, match=r"no weight for b; weight for unknown node\(s\) c"):
        weight.fixed({"a": 1.0, "c": 2.0}, ["a", "b"])
    with pytest.raises(ValueError, match="non-negative"):
        weight.fixed({"a": -1.0}, ["a"])


def test_equal() -> None:
    assert weight.equal(4).tolist() == [0.25] * 4
    with pytest.raises(ValueError, match="k >= 1"):
        weight.equal(0)


def test_check_weights_shapes_and_values() -> None:
    assert weight.check_weights([1, 2], 2).dtype == np.float64
    assert weight.check_weights([[1, 2], [3, 4]], 2).shape == (2, 2)
    with pytest.raises(ValueError, match="shape"):
        weight.check_weights([1, 2, 3], 2)
    with pytest.raises(ValueError, match="finite"):
        weight.check_weights([1, nan], 2)


def test_renormalise_over_present_children() -> None:
    mask = frozen([[True, True, True], [True, False, True], [False, False, False]], bool)
    w = weight.renormalise([1.0, 2.0, 1.0], mask)
    np.testing.assert_allclose(w[0], [0.25, 0.5, 0.25])
    np.testing.assert_allclose(w[1], [0.5, 0.0, 0.5])
    assert np.isnan(w[2]).all()


def test_renormalise_batched_weights() -> None:
    mask = frozen([[True, False], [True, True]], bool)
    w = weight.renormalise([[1.0, 1.0], [3.0, 1.0]], mask)
    assert w.shape == (2, 2, 2)
    np.testing.assert_allclose(w[1, 1], [0.75, 0.25])
    np.testing.assert_allclose(w[0, 0], [1.0, 0.0])


def test_best_k_the_impact_rule_by_hand() -> None:
    # Column 0 = SDG 17 (always); columns 1..5 other SDGs, scaled scores.
    x = frozen([[80.0, 90.0, 60.0, 85.0, 70.0, nan], [50.0, 10.0, 20.0, nan, nan, 30.0]])
    mask = ~np.isnan(x)
    weights = frozen([0.22, 0.26, 0.26, 0.26, 0.26, 0.26])
    w = weight.best_k(x, mask, weights, 3, always=[0])
    np.testing.assert_allclose(w[0], [0.22, 0.26, 0.0, 0.26, 0.26, 0.0])
    np.testing.assert_allclose(
        w[1], [0.22, 0.26, 0.26, 0.0, 0.0, 0.26]
    )  # only three others present: all kept
    # Worked example from methodologies.md 3.2: 0.22 * 80 + 0.26 * (90 + 85 + 70) = 81.3.
    assert (w[0] * np.nan_to_num(x[0])).sum() == pytest.approx(81.3)


def test_best_k_with_fewer_candidates_ties_and_missing_always_node() -> None:
    x = frozen([[nan, 5.0, 5.0, 5.0], [1.0, nan, 2.0, nan]])
    mask = ~np.isnan(x)
    w = weight.best_k(x, mask, np.ones(4), 2, always=np.array([True, False, False, False]))
    assert w[0].tolist() == [1.0, 1.0, 1.0, 0.0]  # tie at 5: column order decides
    assert w[1].tolist() == [1.0, 0.0, 1.0, 0.0]  # only one candidate present


def test_best_k_without_always_and_validation() -> None:
    x = frozen([[3.0, 1.0, 2.0]])
    mask = np.ones((1, 3), dtype=bool)
    assert weight.best_k(x, mask, [1.0, 1.0, 1.0], 1).tolist() == [[1.0, 0.0, 0.0]]
    assert weight.best_k(x, mask, [1.0, 1.0, 1.0], 0).tolist() == [[0.0, 0.0, 0.0]]
    with pytest.raises(ValueError, match="one weight vector"):
        weight.best_k(x, mask, [[1.0, 1.0, 1.0]], 1)
    with pytest.raises(ValueError, match="k must be"):
        weight.best_k(x, mask, [1.0, 1.0, 1.0], -1)


def test_best_k_permutes_with_rows() -> None:
    rng = np.random.default_rng(3)
    x = rng.uniform(0, 100, (12, 6))
    x[rng.random((12, 6)) < 0.3] = nan
    mask = ~np.isnan(x)
    w = weight.best_k(x, mask, np.arange(1.0, 7.0), 3, always=[0])
    perm = rng.permutation(12)
    np.testing.assert_array_equal(
        w[perm], weight.best_k(x[perm], mask[perm], np.arange(1.0, 7.0), 3, always=[0])
    )


def test_best_k_never_picks_a_node_of_weight_zero() -> None:
    """b is best for the first row but weighs 0 (left out): c is kept instead."""
    x = np.array([[1.0, 9.0, 5.0, 2.0], [1.0, 1.0, 2.0, 3.0]])
    mask = np.ones(x.shape, dtype=bool)
    w = weight.best_k(x, mask, [1.0, 0.0, 1.0, 1.0], 1, always=[0])
    assert w.tolist() == [[1.0, 0.0, 1.0, 0.0], [1.0, 0.0, 0.0, 1.0]]
