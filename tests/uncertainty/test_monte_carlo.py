"""Acceptance of the Monte Carlo engine: known answers, determinism, paired editions."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import MEAN, TWO_LEVELS, make_dataset, make_methodology

from palmares.engine import run
from palmares.uncertainty import UncertaintySpec, uncertainty
from palmares.uncertainty.replay import build_plan, replay_ranks
from palmares.uncertainty.spec import parse_spec


def spec(**values: object) -> UncertaintySpec:
    return UncertaintySpec.model_validate(values)


def test_no_perturbation_gives_zero_width_intervals(field, full_method) -> None:
    done = uncertainty(field, full_method, 2024, 50, spec=spec(weights={"method": "none"}))
    nominal = done.nominal.ranking.rank
    ranked = nominal > 0
    s = done.summary
    np.testing.assert_array_equal(s.q_low[ranked], nominal[ranked])
    np.testing.assert_array_equal(s.q_high[ranked], nominal[ranked])
    np.testing.assert_array_equal(s.median[ranked], nominal[ranked])
    assert (s.p_same_band[ranked] == 1.0).all()
    assert done.mean_abs_rank_shift == 0.0


def test_dirichlet_two_indicators_known_probabilities() -> None:
    """w1 ~ U(0, 1): (1, 0) first iff w1 > 0.6, (0, 1) iff w1 < 0.4, (0.6, 0.6) otherwise."""
    ds = make_dataset(
        {"s": "", "s.a": "s", "s.b": "s"},
        {2024: {"s.a": [1.0, 0.0, 0.6], "s.b": [0.0, 1.0, 0.6]}},
    )
    m = make_methodology(MEAN, "", 'rank_on = "unrounded"')
    draws = 100_000
    s = spec(chunk=20_000, top_k=1, weights={"method": "dirichlet", "concentration": 2.0})
    done = uncertainty(ds, m, 2024, draws, spec=s, seed=7)
    first = done.hist[:, 1] / draws
    expected = np.array([0.4, 0.4, 0.2])
    se = np.sqrt(expected * (1 - expected) / draws)
    assert (np.abs(first - expected) < 4 * se).all(), first
    np.testing.assert_allclose(done.summary.p_top_k, first)


def test_dominant_institution_ranks_ahead_in_every_draw(field, full_method) -> None:
    nominal = run(field, full_method, 2024, data_hash="x")
    x = np.where(nominal.leaf_mask, nominal.leaf_values, -np.inf)
    complete = nominal.leaf_mask.all(axis=1)
    pairs = [
        (i, j)
        for i in np.flatnonzero(complete)
        for j in np.flatnonzero(complete)
        if i != j and (x[i] > x[j]).all()
    ]
    assert pairs
    done = uncertainty(field, full_method, 2024, 400, spec=spec(weights={"concentration": 3.0}))
    draws = done.draw_parameters()
    ranks = replay_ranks(build_plan(done.nominal), draws.weights)
    for i, j in pairs:
        assert (ranks[:, i] <= ranks[:, j]).all()


def test_same_seed_same_results_and_chunking_is_fixed(field, full_method) -> None:
    s = spec(chunk=64)
    a = uncertainty(field, full_method, 2024, 300, spec=s, seed=3)
    b = uncertainty(field, full_method, 2024, 300, spec=s, seed=3)
    np.testing.assert_array_equal(a.hist, b.hist)
    assert a.to_json() == b.to_json()
    c = uncertainty(field, full_method, 2024, 300, spec=s, seed=4)
    assert not np.array_equal(a.hist, c.hist)
    # the first 100 draws of a longer run are the draws of a shorter run
    first = a.draw_parameters().weights[:100]
    np.testing.assert_array_equal(
        first, uncertainty(field, full_method, 2024, 100, spec=s, seed=3).draw_parameters().weights
    )


def test_any_draw_replays_through_the_engine(field, full_method) -> None:
    done = uncertainty(field, full_method, 2024, 30, spec=spec(chunk=8), seed=5)
    draws = done.draw_parameters()
    ranks = replay_ranks(build_plan(done.nominal), draws.weights)
    for index in (0, 9, 29):
        again = done.replay_draw(field, index)
        np.testing.assert_array_equal(again.ranking.rank, ranks[index])


def test_identical_alternative_changes_nothing(field, full_method) -> None:
    plain = uncertainty(field, full_method, 2024, 200, spec=spec(), seed=1)
    loaded = parse_spec(
        """
[[alternatives]]
step = "normalise"
options = [{ method = "minmax", range = [0, 100] }]
"""
    )
    same = uncertainty(field, full_method, 2024, 200, spec=loaded, seed=1)
    np.testing.assert_array_equal(plain.hist, same.hist)


def test_alternative_normalisation_and_exclusion_widen_intervals(field, full_method) -> None:
    loaded = parse_spec(
        """
[weights]
method = "none"

[[alternatives]]
step = "normalise"
options = [{ method = "zcdf" }, { method = "percentile_rank" }]

[exclude]
nodes = ["s.a", "s.d"]
"""
    )
    done = uncertainty(field, full_method, 2024, 300, spec=loaded, seed=2)
    s = done.summary
    assert (s.q_high - s.q_low).max() > 0
    assert done.mean_abs_rank_shift > 0
    draws = done.draw_parameters()
    assert set(draws.options[:, 0].tolist()) == {0, 1, 2}
    assert set(draws.excluded.tolist()) == {-1, 0, 1}
    # a draw that excludes s.a and keeps the methodology's normalisation, through the engine
    index = int(np.flatnonzero((draws.options[:, 0] == 0) & (draws.excluded == 0))[0])
    replayed = done.replay_draw(field, index)
    assert replayed.ranking.rank.tolist() != done.nominal.ranking.rank.tolist()


def test_probability_that_a_move_is_real(field, full_method) -> None:
    done = uncertainty(field, full_method, 2024, 200, spec=spec(), previous_edition=2023)
    assert done.p_move_real is not None
    ranked = ~np.isnan(done.p_move_real)
    assert ranked.any()
    assert ((done.p_move_real[ranked] >= 0) & (done.p_move_real[ranked] <= 1)).all()
    assert done.methodology_changed is False
    none = uncertainty(
        field, full_method, 2024, 20, spec=spec(weights={"method": "none"}), previous_edition=2023
    )
    assert none.p_move_real is not None
    # without perturbation every published move is reproduced in every draw
    assert (none.p_move_real[~np.isnan(none.p_move_real)] == 1.0).all()
    rows = none.to_json()["results"]
    assert all(r["p_move_real"] in (1, None) for r in rows)


def test_json_document_shape(field, full_method) -> None:
    done = uncertainty(field, full_method, 2024, 20, spec=spec(top_k=5))
    doc = done.to_json()
    assert {
        "institutions",
        "draws",
        "seed",
        "methodology_hash",
        "data_hash",
        "mean_abs_rank_shift",
        "results",
    } <= set(doc)
    row = doc["results"][0]
    assert list(row) == [
        "institution",
        "nominal_rank",
        "median_rank",
        "mean_rank",
        "q05",
        "q95",
        "p_top_k",
        "p_same_band",
        "p_move_real",
    ]
    assert row["p_move_real"] is None
    assert doc["institutions"] == len(doc["results"])


def test_draws_must_be_positive(field, full_method) -> None:
    with pytest.raises(ValueError, match="draws"):
        uncertainty(field, full_method, 2024, 0)


def test_tree_of_unequal_depth() -> None:
    parents = {**TWO_LEVELS, "s.f": "s"}
    values = {
        leaf: [float(v) for v in np.arange(6) * (k + 1) % 7]
        for k, leaf in enumerate(["s.a", "s.b", "s.c", "s.d", "s.e", "s.f"])
    }
    ds = make_dataset(parents, {2024: values})
    m = make_methodology(MEAN, "", 'rank_on = "unrounded"')
    done = uncertainty(ds, m, 2024, 40, spec=spec())
    draws = done.draw_parameters()
    ranks = replay_ranks(build_plan(done.nominal), draws.weights)
    again = done.replay_draw(ds, 17)
    np.testing.assert_array_equal(again.ranking.rank, ranks[17])


def test_data_noise_runs_the_engine_per_copy_and_replays(field, full_method) -> None:
    loaded = parse_spec(
        """
[weights]
method = "none"

[noise]
relative = 0.3
per_indicator = { "s.a" = 0.0 }
replicates = 4
"""
    )
    done = uncertainty(field, full_method, 2024, 60, spec=loaded, seed=8, previous_edition=2023)
    draws = done.draw_parameters()
    assert set(draws.replicate.tolist()) == {0, 1, 2, 3}
    assert (done.summary.q_high - done.summary.q_low).max() > 0
    # every draw is the engine on one noisy copy: replay one and compare with the histogram
    again = done.replay_draw(field, 5)
    ranks = again.ranking.rank
    assert all(done.hist[i, r] > 0 for i, r in enumerate(ranks.tolist()))
    same = uncertainty(field, full_method, 2024, 60, spec=loaded, seed=8, previous_edition=2023)
    np.testing.assert_array_equal(same.hist, done.hist)
