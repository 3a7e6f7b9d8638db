"""The replay of THE Impact, L'Etudiant and U-Multirank: best-k weights, inner rescaling, sums
of points with a bonus, weight redistribution and grade counts, against the engine and by hand."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import make_dataset, make_methodology

from palmares.dataset import Dataset
from palmares.engine import run
from palmares.uncertainty import UncertaintySpec, uncertainty
from palmares.uncertainty.monte_carlo import drawn_data, drawn_methodology
from palmares.uncertainty.replay import (
    ReplayPlan,
    ReplayUnsupported,
    aggregate_draws,
    build_plan,
    ranking_keys,
    replay_ranks,
)

PRESETS = [
    ("the-impact", 2024),  # best three SDGs + SDG 17, per-SDG min-max over the overall table
    ("the-impact", 2019),  # per-SDG top = 100
    ("the-impact", 2021),
    ("letudiant", 2024),  # points summed
    ("letudiant", 2022),  # points summed, openness as a bonus
    ("u-multirank", 2022),  # A counts
]


def weights_of(plan: ReplayPlan, rows: list[dict[str, float]]) -> np.ndarray:
    """(d, K) weights: the nominal ones with the given nodes changed."""
    w = np.tile(plan.weights.nominal, (len(rows), 1))
    for i, row in enumerate(rows):
        for node, value in row.items():
            w[i, plan.weights.nodes.index(node)] = value
    return w


def engine_ranks(ds: Dataset, m, plan: ReplayPlan, w: np.ndarray, edition: int = 2024):
    weights = dict(zip(plan.weights.nodes, w.tolist(), strict=True))
    data = drawn_data(ds, m, plan.tree, edition, weights)
    return run(data, drawn_methodology(m, weights), edition, data_hash="x")


@pytest.mark.parametrize(("preset", "edition"), PRESETS)
def test_nominal_replay_equals_the_engine(demo_world, preset, edition) -> None:
    result = run(demo_world, preset, edition, data_hash="x")
    plan = build_plan(result, perturbed=preset != "u-multirank")
    w = np.tile(plan.weights.nominal, (3, 1))
    ranks = replay_ranks(plan, w)
    for row in ranks:
        np.testing.assert_array_equal(row, result.ranking.rank)
    key, grid = ranking_keys(plan, w)
    assert grid
    ranked = result.ranking.rank > 0
    if preset == "u-multirank":
        root = result.tree.index(result.tree.roots[0])
        expected = result.grade_counts[:, root, 0]  # the A count
    else:  # the published score, in units of its last decimal
        decimals = 1 if preset == "the-impact" else 0
        expected = np.rint(result.score * 10**decimals)
    for row in key:
        np.testing.assert_array_equal(row[ranked], expected[ranked])
        assert np.isnan(row[~ranked]).all()


@pytest.mark.parametrize(("preset", "edition"), PRESETS[:4])
def test_perturbed_draws_replay_through_the_engine(demo_world, preset, edition) -> None:
    done = uncertainty(
        demo_world, preset, edition, 12, spec=UncertaintySpec(chunk=6), seed=4, data_hash="x"
    )
    ranks = replay_ranks(build_plan(done.nominal), done.draw_parameters().weights)
    assert (ranks != done.nominal.ranking.rank).any()  # the draws do move ranks
    for index in (0, 7):
        again = done.replay_draw(demo_world, index)
        np.testing.assert_array_equal(again.ranking.rank, ranks[index])


def test_u_multirank_weights_fail_naming_the_step(demo_world) -> None:
    with pytest.raises(ReplayUnsupported, match=r"steps\[1\] \(aggregate.grade_counts\)"):
        uncertainty(demo_world, "u-multirank", 2022, 10, data_hash="x")
    nominal = run(demo_world, "u-multirank", 2022, data_hash="x")
    with pytest.raises(ReplayUnsupported, match="no weights to perturb"):
        build_plan(nominal)


def test_u_multirank_exclusions_and_engine_replay(demo_world) -> None:
    spec = UncertaintySpec.model_validate(
        {
            "weights": {"method": "none"},
            "exclude": {"nodes": ["u-multirank.research", "u-multirank.bachelor-on-time"]},
        }
    )
    done = uncertainty(demo_world, "u-multirank", 2022, 30, spec=spec, seed=1, data_hash="x")
    draws = done.draw_parameters()
    assert set(draws.excluded.tolist()) == {-1, 0, 1}
    assert (done.summary.q_high - done.summary.q_low).max() > 0
    for excluded in (0, 1):
        index = int(np.flatnonzero(draws.excluded == excluded)[0])
        again = done.replay_draw(demo_world, index)
        ranks = again.ranking.rank
        assert ranks.tolist() != done.nominal.ranking.rank.tolist()
        assert all(done.hist[i, r] > 0 for i, r in enumerate(ranks.tolist()))


# -- hand-computed cases ---------------------------------------------------------------------


BEST_K = """
[[steps]]
type = "weight"
method = "best_k"
k = 1
always = ["s.a"]
nodes = ["s"]

[[steps]]
type = "aggregate"
method = "arithmetic"
"""


def test_best_k_by_hand() -> None:
    """a always counts, plus the best of b and c (b wins a tie: child order)."""
    ds = make_dataset(
        {"s": "", "s.a": "s", "s.b": "s", "s.c": "s"},
        {2024: {"s.a": [10.0, 6.0, 2.0], "s.b": [4.0, 9.0, None], "s.c": [8.0, 9.0, 5.0]}},
    )
    m = make_methodology(BEST_K, "", 'rank_on = "unrounded"')
    plan = build_plan(run(ds, m, 2024, data_hash="x"))
    w = weights_of(
        plan,
        [{"s.a": 1, "s.b": 3, "s.c": 1}, {"s.a": 2, "s.b": 1, "s.c": 1}, {"s.b": 0, "s.c": 2}],
    )
    # draw 0: i0 (10 + 8) / 2; i1 b=c=9, b kept: (6 + 3 x 9) / 4; i2 b missing: (2 + 5) / 2
    # draw 1: i0 (20 + 8) / 3; i1 (12 + 9) / 3; i2 (4 + 5) / 3
    # draw 2: b left out (weight 0) is no candidate: c everywhere, (a + 2 c) / 3
    expected = [[9.0, 8.25, 3.5], [28 / 3, 7.0, 3.0], [26 / 3, 8.0, 4.0]]
    np.testing.assert_allclose(aggregate_draws(plan, w), expected, rtol=1e-15)
    np.testing.assert_array_equal(replay_ranks(plan, w), [[1, 2, 3], [1, 2, 3], [1, 2, 3]])
    for i in range(3):
        np.testing.assert_allclose(engine_ranks(ds, m, plan, w[i]).score, expected[i])


INNER_RESCALE = """
[[steps]]
type = "eligibility"
method = "required"
nodes = ["s.c"]

[[steps]]
type = "aggregate"
method = "arithmetic"

[[steps]]
type = "rescale"
method = "minmax"
range = [0, 100]
nodes = ["s.p", "s.q"]
"""


def test_inner_rescale_per_draw_over_the_overall_table() -> None:
    """p and q are min-maxed in every draw over the table (i3, without c, is left out)."""
    ds = make_dataset(
        {"s": "", "s.p": "s", "s.q": "s", "s.a": "s.p", "s.b": "s.p", "s.c": "s.q"},
        {
            2024: {
                "s.a": [1.0, 3.0, 5.0, 100.0],
                "s.b": [3.0, 3.0, 1.0, 100.0],
                "s.c": [10.0, 20.0, 30.0, None],
            }
        },
    )
    m = make_methodology(INNER_RESCALE, "", 'rank_on = "unrounded"')
    plan = build_plan(run(ds, m, 2024, data_hash="x"))
    w = weights_of(plan, [{}, {"s.a": 1.5, "s.b": 0.5, "s.p": 0.5, "s.q": 1.5}])
    # draw 0: p = 2, 3, 3 -> 0, 100, 100; q -> 0, 50, 100; s = 0, 75, 100
    # draw 1: p = 1.5, 3, 4 -> 0, 60, 100; s = (p + 3 q) / 4 = 0, 52.5, 100
    expected = [[0.0, 75.0, 100.0, np.nan], [0.0, 52.5, 100.0, np.nan]]
    np.testing.assert_allclose(aggregate_draws(plan, w), expected, rtol=1e-14)
    for i in range(2):
        np.testing.assert_allclose(engine_ranks(ds, m, plan, w[i]).score, expected[i])


def test_inner_round_per_draw_by_hand() -> None:
    """p is rounded half up to whole units in every draw before the root averages it."""
    ds = make_dataset(
        {"s": "", "s.p": "s", "s.q": "s", "s.a": "s.p", "s.b": "s.p", "s.c": "s.q"},
        {2024: {"s.a": [1.0, 3.0], "s.b": [2.0, 2.0], "s.c": [10.0, 20.0]}},
    )
    steps = """
[[steps]]
type = "aggregate"
method = "arithmetic"

[[steps]]
type = "round"
method = "half_up"
decimals = 0
nodes = ["s.p"]
"""
    m = make_methodology(steps, "", 'rank_on = "unrounded"')
    plan = build_plan(run(ds, m, 2024, data_hash="x"))
    w = weights_of(plan, [{}, {"s.a": 3.0, "s.b": 1.0}])
    # draw 0: p = 1.5, 2.5 -> 2, 3; s = (2 + 10) / 2, (3 + 20) / 2
    # draw 1: p = 1.25, 2.75 -> 1, 3; s = 5.5, 11.5
    expected = [[6.0, 11.5], [5.5, 11.5]]
    np.testing.assert_array_equal(aggregate_draws(plan, w), expected)
    for i in range(2):
        np.testing.assert_array_equal(engine_ranks(ds, m, plan, w[i]).score, expected[i])


POINTS = """
[[steps]]
type = "aggregate"
method = "sum_points"
bonus = ["s.o"]
"""


def test_sum_of_points_with_a_bonus_by_hand() -> None:
    """s = f + bonus o; f = a + b; a missing point adds nothing; ranked on whole points."""
    ds = make_dataset(
        {"s": "", "s.f": "s", "s.o": "s", "s.a": "s.f", "s.b": "s.f"},
        {2024: {"s.a": [3.0, 1.0, 2.0], "s.b": [2.0, None, 2.0], "s.o": [1.0, 1.0, None]}},
    )
    m = make_methodology(POINTS, "", "decimals = 0")
    plan = build_plan(run(ds, m, 2024, data_hash="x"))
    nominal = dict(zip(plan.weights.nodes, plan.weights.nominal.tolist(), strict=True))
    assert nominal == {"s.a": 1.0, "s.b": 1.0, "s.f": 1.0, "s.o": 0.0}  # the bonus never varies
    w = weights_of(plan, [{}, {"s.a": 1.5, "s.b": 0.5}])
    # nominal: 3 + 2 + 1, 1 + 1, 2 + 2; draw 1: 4.5 + 1 + 1, 1.5 + 1, 3 + 1
    np.testing.assert_allclose(aggregate_draws(plan, w), [[6.0, 2.0, 4.0], [6.5, 2.5, 4.0]])
    key, grid = ranking_keys(plan, w)
    assert grid
    np.testing.assert_array_equal(key, [[6, 2, 4], [7, 3, 4]])  # half up: 6.5 -> 7, 2.5 -> 3
    np.testing.assert_array_equal(replay_ranks(plan, w), [[1, 3, 2], [1, 3, 2]])
    np.testing.assert_allclose(engine_ranks(ds, m, plan, w[1]).ranking.key, [7.0, 3.0, 4.0])


REDISTRIBUTE = """
[[steps]]
type = "aggregate"
method = "arithmetic"
renormalise = false

[[steps]]
type = "impute"
method = "redistribute"
"""


def test_redistribution_by_hand() -> None:
    """b does not apply to i1 (its weight goes to a and c); b is missing for i2 (no score)."""
    ds = make_dataset(
        {"s": "", "s.a": "s", "s.b": "s", "s.c": "s"},
        {2024: {"s.a": [1.0, 2.0, 3.0], "s.b": [3.0, None, None], "s.c": [2.0, 4.0, 1.0]}},
    )
    frames = ds.to_frames()
    obs = frames["observations"]
    obs.loc[(obs["institution"] == "i1") & (obs["indicator"] == "s.b"), "status"] = "not_applicable"
    ds = Dataset(frames)
    m = make_methodology(REDISTRIBUTE, "", 'rank_on = "unrounded"')
    plan = build_plan(run(ds, m, 2024, data_hash="x"))
    w = weights_of(plan, [{"s.a": 1, "s.b": 2, "s.c": 1}])
    # i0 (1 + 6 + 2) / 4; i1 (2 + 4) / 2; i2 NaN
    np.testing.assert_allclose(aggregate_draws(plan, w), [[2.25, 3.0, np.nan]], rtol=1e-15)
    np.testing.assert_allclose(engine_ranks(ds, m, plan, w[0]).score, [2.25, 3.0, np.nan])


GRADES = """
[[steps]]
type = "grade"
method = "median_distance"

[[steps]]
type = "aggregate"
method = "grade_counts"
"""


def test_grade_counts_with_exclusions_by_hand() -> None:
    """Medians 20: a gives i4 an A (+50 %), b and c give i0 an A; i0 has 2 A, i4 1."""
    ds = make_dataset(
        {"s": "", "s.d1": "s", "s.d2": "s", "s.a": "s.d1", "s.b": "s.d1", "s.c": "s.d2"},
        {
            2024: {
                "s.a": [10.0, 20.0, 20.0, 20.0, 30.0],
                "s.b": [30.0, 20.0, 20.0, 20.0, 10.0],
                "s.c": [30.0, 20.0, 20.0, 10.0, 20.0],
            }
        },
    )
    m = make_methodology(GRADES, "", 'by = "grade_counts"')
    result = run(ds, m, 2024, data_hash="x")
    plan = build_plan(result, perturbed=False)
    w = weights_of(plan, [{}, {"s.d1": 0.0}, {"s.c": 0.0}])
    key, grid = ranking_keys(plan, w)
    assert grid
    np.testing.assert_array_equal(key, [[2, 0, 0, 0, 1], [1, 0, 0, 0, 0], [1, 0, 0, 0, 1]])
    expected = [[1, 3, 3, 3, 2], [1, 2, 2, 2, 2], [1, 3, 3, 3, 1]]
    np.testing.assert_array_equal(replay_ranks(plan, w), expected)
    for i in range(3):
        np.testing.assert_array_equal(engine_ranks(ds, m, plan, w[i]).ranking.rank, expected[i])


def test_u_multirank_grade_thresholds_as_an_alternative(demo_world) -> None:
    spec = UncertaintySpec.model_validate(
        {
            "weights": {"method": "none"},
            "alternatives": [
                {"step": "grade", "options": [{"thresholds": [0.3, 0.15, -0.1, -0.3]}]}
            ],
        }
    )
    done = uncertainty(demo_world, "u-multirank", 2022, 20, spec=spec, seed=2, data_hash="x")
    draws = done.draw_parameters()
    assert set(draws.options[:, 0].tolist()) == {0, 1}
    index = int(np.flatnonzero(draws.options[:, 0] == 1)[0])
    again = done.replay_draw(demo_world, index)
    assert again.ranking.rank.tolist() != done.nominal.ranking.rank.tolist()
    assert all(done.hist[i, r] > 0 for i, r in enumerate(again.ranking.rank.tolist()))


def test_best_k_with_a_geometric_mean_by_hand() -> None:
    """The best of b and c with a, geometrically: b for i0 (child 0 of the candidates kept)."""
    ds = make_dataset(
        {"s": "", "s.a": "s", "s.b": "s", "s.c": "s"},
        {2024: {"s.a": [4.0, 1.0], "s.b": [9.0, 2.0], "s.c": [1.0, 8.0]}},
    )
    m = make_methodology(
        BEST_K.replace('method = "arithmetic"', 'method = "geometric"'),
        "",
        'rank_on = "unrounded"',
    )
    plan = build_plan(run(ds, m, 2024, data_hash="x"))
    w = weights_of(plan, [{}, {"s.b": 0.0}])
    # draw 0: i0 sqrt(4 x 9) = 6, i1 sqrt(1 x 8); draw 1 (b out): sqrt(4 x 1), sqrt(8)
    expected = [[6.0, np.sqrt(8.0)], [2.0, np.sqrt(8.0)]]
    np.testing.assert_allclose(aggregate_draws(plan, w), expected, rtol=1e-14)
    for i in range(2):
        np.testing.assert_allclose(engine_ranks(ds, m, plan, w[i]).score, expected[i])


def test_minmax_over_a_population_equals_minmax_over_its_scores() -> None:
    from palmares.steps import rescale

    _minmax = rescale.minmax
    rng = np.random.default_rng(3)
    s = rng.normal(size=(5, 30)) * 10
    s[0, :4] = np.nan
    s[1] = 7.0  # one score for everyone: the middle of the range
    s[2, 5:] = np.nan
    s[2, :5] = 1.0
    population = rng.random(30) > 0.2
    valid = population & ~np.isnan(s)
    np.testing.assert_array_equal(_minmax(s, valid, 0, 100), rescale.minmax(s, valid, 0, 100))
    np.testing.assert_array_equal(_minmax(s, population, 0, 100), rescale.minmax(s, valid, 0, 100))
    none = np.zeros(s.shape, dtype=bool)
    np.testing.assert_array_equal(_minmax(s, none, 1, 2), rescale.minmax(s, none, 1, 2))
