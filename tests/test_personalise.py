"""Personalised rankings re-aggregate cached leaf values; they never rerun earlier steps."""

from __future__ import annotations

import numpy as np
import pytest
from test_engine import MINMAX_MEAN, dataset, methodology

from palmares.engine import run
from palmares.personalise import PersonalisationError
from palmares.ranking import competition_rank

ZSCORE_MEAN = MINMAX_MEAN.replace('method = "minmax"\nrange = [0, 100]', 'method = "zscore"')


@pytest.fixture
def result():
    ds = dataset(
        {
            "s.a": [0, 5, 10, 20, 40],
            "s.b": [10, 20, 30, 0, 0],
            "s.c": [3, 1, 2, 9, 0],
        }
    )
    return run(ds, methodology(MINMAX_MEAN), 2024, data_hash="x")


def test_subset_of_criteria_ranks_on_those_leaves_only(result) -> None:
    mine = result.personalise(criteria=["s.c"])
    # normalised c: 3 -> 33.3, 1 -> 11.1, 2 -> 22.2, 9 -> 100, 0 -> 0; the tree keeps s > s.q > s.c
    np.testing.assert_allclose(mine.score, [100 / 3, 100 / 9, 200 / 9, 100.0, 0.0])
    assert mine.ranking.rank.tolist() == [2, 4, 3, 1, 5]
    assert mine.tree.leaves == ("s.c",)
    assert mine.personalisation.describe() == "re-ranked on criteria s.c"


def test_new_weights_reaggregate_from_cached_values(result) -> None:
    mine = result.personalise(weights={"s.q": 3.0})
    p = result.node_scores("s.p")
    q = result.node_scores("s.q")
    np.testing.assert_allclose(mine.score, (p + 3 * q) / 4)
    # the leaf values are the ones the engine computed on the whole field, not recomputed
    np.testing.assert_array_equal(mine.leaf_values, result.leaf_values)


def test_peer_filter_keeps_scores_of_the_whole_field(result) -> None:
    mine = result.personalise(where={"country": "FR"})
    assert mine.institutions == ("i0", "i2", "i4")
    np.testing.assert_allclose(mine.score, result.score[[0, 2, 4]])
    # ranks inside the subset are the competition ranks of the same scores
    assert mine.ranking.rank.tolist() == competition_rank(result.score[[0, 2, 4]]).tolist()
    assert mine.ranking.rank[1] == 1


def test_personalising_does_not_rerun_normalisation() -> None:
    """Filtering peers keeps the z-scores of the whole field (a rerun would re-standardise)."""
    ds = dataset({"s.a": [0, 5, 10, 100], "s.b": [1, 2, 3, 4], "s.c": [1, 2, 3, 4]})
    full = run(ds, methodology(ZSCORE_MEAN), 2024, data_hash="x")
    mine = full.personalise(where={"country": "FR"})
    np.testing.assert_array_equal(mine.leaf_values, full.leaf_values[[0, 2]])


def test_unknown_criterion_weight_or_attribute_is_refused_with_the_choices(result) -> None:
    with pytest.raises(PersonalisationError, match=r"unknown criterion 's\.zz'.*nodes: s,"):
        result.personalise(criteria=["s.zz"])
    with pytest.raises(PersonalisationError, match="weight on unknown node"):
        result.personalise(weights={"nope": 1.0})
    with pytest.raises(PersonalisationError, match="no institution attribute 'intake'"):
        result.personalise(where={"intake": "post-bac"})


def test_batched_weights_give_the_same_as_one_by_one(result) -> None:
    """The aggregation scores many weight vectors at once (the uncertainty engine relies on it);
    personalising with each vector separately agrees with the engine's single runs."""
    for wp, wq in [(1.0, 1.0), (2.0, 1.0), (0.5, 4.0)]:
        mine = result.personalise(weights={"s.p": wp, "s.q": wq})
        p = result.node_scores("s.p")
        q = result.node_scores("s.q")
        np.testing.assert_allclose(mine.score, (wp * p + wq * q) / (wp + wq))
