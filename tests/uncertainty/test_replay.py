"""The vectorised replay agrees with the engine and with the ranking and rounding primitives."""

from __future__ import annotations

import numpy as np
from conftest import make_methodology
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from palmares.engine import run
from palmares.ranking import competition_rank
from palmares.ranking import competition_rank_on_grid as grid_ranks
from palmares.steps.rounding import round_half_up, round_half_up_fast, round_units
from palmares.uncertainty.replay import build_plan, replay_ranks

fast_round_half_up = round_half_up_fast

scores = arrays(
    np.float64,
    st.tuples(st.integers(1, 6), st.integers(1, 30)),
    elements=st.one_of(
        st.sampled_from([0.0, 1.0, 2.5, 2.5, 3.0, np.nan]),
        st.floats(-1e6, 1e6, allow_nan=False),
    ),
)


@settings(max_examples=80, deadline=None)
@given(scores)
def test_competition_ranks_of_a_batch_count_the_better_scores(s) -> None:
    # 1 + the number of strictly better scores in the same row (NaN compares False); NaN -> 0.
    better = (s[:, None, :] > s[:, :, None]).sum(axis=2)
    expected = np.where(np.isnan(s), 0, better + 1)
    np.testing.assert_array_equal(competition_rank(s), expected)


@settings(max_examples=80, deadline=None)
@given(scores, st.integers(0, 3))
def test_grid_ranks_match_on_rounded_scores(s, decimals) -> None:
    units = round_units(s, decimals)
    expected = competition_rank(round_half_up(s, decimals))
    np.testing.assert_array_equal(grid_ranks(units), expected)


@settings(max_examples=150, deadline=None)
@given(
    arrays(
        np.float64,
        st.integers(1, 40),
        elements=st.one_of(
            st.floats(-1e6, 1e6, allow_nan=False),
            st.sampled_from([0.05, 0.15, 2.675, 3.35, -2.25, 1.005, 0.125, 99.95, np.nan]),
        ),
    ),
    st.integers(0, 4),
)
def test_fast_rounding_equals_round_half_up(x, decimals) -> None:
    np.testing.assert_array_equal(fast_round_half_up(x, decimals), round_half_up(x, decimals))


def test_known_halves() -> None:
    x = np.array([3.3499999999999996, 0.125, -2.25, 2.675, 1.0])
    np.testing.assert_array_equal(fast_round_half_up(x, 2), [3.35, 0.13, -2.25, 2.68, 1.0])
    np.testing.assert_array_equal(fast_round_half_up(x, 1), [3.4, 0.1, -2.3, 2.7, 1.0])


def test_nominal_weights_reproduce_the_engine(field, full_method) -> None:
    result = run(field, full_method, 2024, data_hash="x")
    plan = build_plan(result)
    ranks = replay_ranks(plan, plan.weights.nominal[None, :].repeat(3, axis=0))
    for row in ranks:
        np.testing.assert_array_equal(row, result.ranking.rank)


def test_geometric_root_and_published_rounding(field) -> None:
    steps = """
[[steps]]
type = "normalise"
method = "minmax"
range = [1, 100]

[[steps]]
type = "aggregate"
method = "arithmetic"
nodes = ["s.p", "s.q"]

[[steps]]
type = "aggregate"
method = "geometric"
nodes = ["s"]

[[steps]]
type = "rescale"
method = "minmax"
range = [0, 100]
"""
    m = make_methodology(steps, '"s.p" = 2\n"s.q" = 1', "decimals = 0")
    result = run(field, m, 2024, data_hash="x")
    plan = build_plan(result)
    assert plan.rank_decimals == 0
    rng = np.random.default_rng(0)
    w = plan.weights.nominal * rng.uniform(0.5, 1.5, size=(4, plan.weights.nominal.size))
    ranks = replay_ranks(plan, w)
    for i in range(4):
        weights = dict(zip(plan.weights.nodes, w[i].tolist(), strict=True))
        again = run(field, m.model_copy(update={"weights": weights}), 2024, data_hash="x")
        np.testing.assert_array_equal(ranks[i], again.ranking.rank)
