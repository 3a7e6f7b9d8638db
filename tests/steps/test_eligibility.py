import numpy as np
import pytest

from palmares.steps import eligibility

pytestmark = pytest.mark.filterwarnings("error")


def frozen(a: np.ndarray) -> np.ndarray:
    a = np.array(a)
    a.flags.writeable = False
    return a


MASK = frozen(
    [
        [True, True, True, True, True],
        [True, True, True, False, False],
        [True, False, False, False, False],
        [False, False, False, False, False],
    ]
)


def test_coverage_counts_share_of_all_nodes() -> None:
    assert eligibility.coverage(MASK, 0.6).tolist() == [True, True, False, False]
    assert eligibility.coverage(MASK, 0.2).tolist() == [True, True, True, False]


def test_coverage_zero_keeps_everyone_even_without_data() -> None:
    assert eligibility.coverage(MASK).tolist() == [True, True, True, True]


def test_coverage_on_a_node_subset() -> None:
    # Nodes 0 and 3: shares 1, 1/2, 1/2, 0.
    assert eligibility.coverage(MASK, 0.5, columns=[0, 3]).tolist() == [True, True, True, False]
    selector = np.array([True, False, False, True, False])
    assert eligibility.coverage(MASK, 1.0, columns=selector).tolist() == [True, False, False, False]


def test_coverage_jrc_65_percent_boundary_is_inclusive() -> None:
    mask = np.zeros((2, 20), dtype=bool)
    mask[0, :13] = True  # 13 / 20 = 0.65 exactly
    mask[1, :12] = True
    assert eligibility.coverage(mask, 0.65).tolist() == [True, False]


def test_coverage_rejects_bad_parameters() -> None:
    with pytest.raises(ValueError, match="min_share"):
        eligibility.coverage(MASK, 1.5)
    with pytest.raises(ValueError, match="at least one node"):
        eligibility.coverage(MASK, 0.5, columns=[])
    with pytest.raises(ValueError, match="2-D boolean"):
        eligibility.coverage(np.ones((2, 2)), 0.5)


def test_required_needs_every_listed_node() -> None:
    assert eligibility.required(MASK, [0, 2]).tolist() == [True, True, False, False]
    assert eligibility.required(MASK, [0]).tolist() == [True, True, True, False]
    assert eligibility.required(MASK, []).tolist() == [True, True, True, True]


def test_k_of_a_set_the_impact_rule() -> None:
    # SDG17 in column 0 required, plus 3 of columns 1..4.
    mask = np.array(
        [
            [True, True, True, True, False],
            [True, True, True, False, False],
            [False, True, True, True, True],
        ]
    )
    rule = eligibility.required(mask, [0]) & eligibility.k_of(mask, [1, 2, 3, 4], 3)
    assert rule.tolist() == [True, False, False]


def test_k_of_rejects_impossible_k() -> None:
    with pytest.raises(ValueError, match="exceeds"):
        eligibility.k_of(MASK, [0, 1], 3)
    with pytest.raises(ValueError, match=">= 0"):
        eligibility.k_of(MASK, [0, 1], -1)


def test_single_institution_and_all_missing_column() -> None:
    mask = np.array([[True, False]])
    assert eligibility.coverage(mask, 0.5).tolist() == [True]
    assert eligibility.required(mask, [1]).tolist() == [False]
    assert eligibility.k_of(mask, [0, 1], 1).tolist() == [True]


def test_where_equals_value_or_list_and_skips_missing() -> None:
    attributes = {
        "country": frozen(np.array(["FR", "DE", None, "FR"], dtype=object)),
        "type": np.array(["public", "private", "public", np.nan], dtype=object),
    }
    assert eligibility.where(attributes, {"country": "FR"}).tolist() == [True, False, False, True]
    assert eligibility.where(attributes, {"country": ["FR", "DE"]}).tolist() == [
        True,
        True,
        False,
        True,
    ]
    both = eligibility.where(attributes, {"country": "FR", "type": "public"})
    assert both.tolist() == [True, False, False, False]
    assert eligibility.where(attributes, {}).tolist() == [True, True, True, True]


def test_where_rejects_unknown_attribute_and_ragged_arrays() -> None:
    with pytest.raises(ValueError, match="unknown attribute"):
        eligibility.where({"country": np.array(["FR"])}, {"region": "EU"})
    with pytest.raises(ValueError, match="differ in length"):
        eligibility.where({"a": np.array([1, 2]), "b": np.array([1])}, {"a": 1})
    with pytest.raises(ValueError, match="at least one attribute"):
        eligibility.where({}, {})
