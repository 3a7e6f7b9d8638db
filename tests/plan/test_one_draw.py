"""A run is one draw: the plan's batch path with the methodology's own weights gives the scores
and ranks the run gave, for every preset and edition of the demo world and the COINr pipelines
(the aggregation to the last units of precision, the ranks exactly)."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from recorded import DEMO_PRESETS, asem, asem_methods, demo_world

from palmares.engine import run
from palmares.plan.batch import ReplayUnsupported, aggregate_draws, compile_draws, ranking_keys
from palmares.ranking import competition_rank, competition_rank_on_grid
from palmares.result import Result


def one_draw(result: Result) -> tuple[Any, Any, Any]:
    """The batch path over a run's leaves with one draw of its own weights."""
    plan = compile_draws(
        result.methodology,
        result.tree,
        tuple(result.leaves),
        result.leaf_values,
        result.leaf_mask,
        result.eligible,
        applicable=lambda: np.ones((len(result.tree), len(result.institutions)), dtype=bool),
        grades=result.grades,
    )
    w = plan.weights.nominal[None]
    key, grid = ranking_keys(plan, w)
    ranks = competition_rank_on_grid(key) if grid else competition_rank(key)
    aggregated = None if plan.grades is not None else aggregate_draws(plan, w)[0]
    return aggregated, key[0], ranks[0]


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


def test_a_run_is_one_draw_of_the_batch_path(every_result: list[tuple[str, Result]]) -> None:
    checked, unsupported = [], []
    for case, result in every_result:
        try:
            aggregated, _, ranks = one_draw(result)
        except ReplayUnsupported:
            unsupported.append(case)
            continue
        if aggregated is not None:
            expected = np.where(result.eligible, result.raw_score, np.nan)
            np.testing.assert_allclose(aggregated, expected, rtol=1e-12, atol=1e-12, err_msg=case)
        eligible = np.asarray(result.eligible, dtype=bool)
        np.testing.assert_array_equal(ranks[eligible], result.ranking.rank[eligible], err_msg=case)
        checked.append(case)
    assert unsupported == ["asem/percentile-copeland"]  # pairwise votes: no batch of draws
    assert len(checked) == len(every_result) - 1
