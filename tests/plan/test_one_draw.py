"""A run is one draw of the plan: the plan's walk with the methodology's own weights (1, K) gives
the run's node values, root scores, ranking key and ranks bit for bit, for every preset and
edition of the demo world and the COINr pipelines; a batch of identical draws gives that key
once per draw."""

from __future__ import annotations

import numpy as np
import pytest
from recorded import DEMO_PRESETS, asem, asem_methods, demo_world

from palmares.engine import run
from palmares.plan.bound import DrawPlan, bind
from palmares.plan.compiled import ReplayUnsupported, compile_plan
from palmares.plan.walk import aggregate_draws, aggregate_one, ranking_keys
from palmares.ranking import competition_rank, competition_rank_on_grid
from palmares.result import Result

NOT_APPLICABLE = 2

#: Cases whose batch key may differ from the run's in the last units (how many): a geometric
#: mean of many draws sums its logarithms through one matrix product (BLAS gemm) where one draw
#: takes a vector product (gemv), in another order. Changing either would change the recorded
#: runs or the uncertainty outputs; the ranks are the same.
LAST_UNIT = {"asem/zscore-geometric": 4}


def bound(result: Result) -> DrawPlan:
    """The run's plan bound to the run's leaves."""
    return bind(
        compile_plan(result.methodology, result.tree),
        tuple(result.leaves),
        result.leaf_values,
        result.leaf_mask,
        eligible=result.eligible,
        applicable=lambda: np.asarray(result.status != NOT_APPLICABLE),
        grades=result.grades,
    )


def results() -> list[tuple[str, Result]]:
    world = demo_world()
    out = [
        (f"{preset}/{year}", run(world, preset, year, data_hash="x"))
        for preset in DEMO_PRESETS
        for year in world.edition_years(preset)
    ]
    data = asem()
    out += [
        (f"asem/{name}", run(data, m, 2018, data_hash="x")) for name, m in asem_methods().items()
    ]
    return out


@pytest.fixture(scope="module")
def every_result() -> list[tuple[str, Result]]:
    return results()


def same(a: np.ndarray, b: np.ndarray) -> bool:
    return bool(np.array_equal(a, b, equal_nan=True))


def test_a_run_is_one_draw_of_the_plan(every_result: list[tuple[str, Result]]) -> None:
    for case, result in every_result:
        plan = bound(result)
        one = plan.plan.draw_weights()
        assert one.shape == (1, len(plan.weights.nodes)), case
        eligible = np.asarray(result.eligible, dtype=bool)
        # The walk's working: every inner node's values, shares and grade counts.
        aggregated = aggregate_one(plan, one)
        root = result.tree.index(result.tree.roots[0])
        inner = [i for i in range(len(result.tree)) if i != root]
        assert same(aggregated.values[eligible][:, inner], result.node_values[eligible][:, inner])
        assert same(aggregated.weights[eligible], result.node_weights[eligible]), case
        assert same(aggregated.values[eligible, root], result.raw_score[eligible]), case
        if result.grade_counts is not None:
            assert aggregated.counts is not None
            assert np.array_equal(aggregated.counts[eligible], result.grade_counts[eligible])
        # The root's scores and the ranking key of that one draw.
        if result.grades is None:
            scores = aggregate_draws(plan, one)
            assert same(scores[0], np.where(eligible, result.raw_score, np.nan)), case
        key, grid = ranking_keys(plan, one)
        ranks = (competition_rank_on_grid(key) if grid else competition_rank(key))[0]
        assert np.array_equal(ranks[eligible], result.ranking.rank[eligible]), case
        if not grid and result.grades is None:
            assert same(key[0], np.where(eligible, result.score, np.nan)), case


def test_a_batch_of_identical_draws_is_the_run_once_per_draw(
    every_result: list[tuple[str, Result]],
) -> None:
    unsupported = []
    for case, result in every_result:
        plan = bound(result)
        one = plan.plan.weights.nominal[None]
        key, grid = ranking_keys(plan, one)
        try:
            keys, grids = ranking_keys(plan, np.repeat(one, 3, axis=0))
        except ReplayUnsupported:
            unsupported.append(case)
            continue
        assert grids == grid, case
        assert same(keys[1:], keys[:-1]), case  # every draw alike
        if case in LAST_UNIT:
            np.testing.assert_allclose(keys[0], key[0], rtol=4e-16 * LAST_UNIT[case], atol=0)
            ranks = competition_rank_on_grid(keys) if grid else competition_rank(keys)
            assert np.array_equal(ranks[0], competition_rank(key)[0]), case
        else:
            assert same(keys, np.repeat(key, 3, axis=0)), case
    assert unsupported == ["asem/percentile-copeland"]  # pairwise votes: no batch of draws
