"""Bootstrap of the population behind leaf statistics in the Monte Carlo run."""

from __future__ import annotations

import numpy as np
from conftest import TWO_LEVELS, make_dataset, make_methodology, random_values

from palmares.engine import run
from palmares.uncertainty import uncertainty
from palmares.uncertainty.monte_carlo import (
    bootstrap_references,
    build_side,
    noisy_copies,
    uses_statistics,
)
from palmares.uncertainty.spec import SpecSource, parse_spec

BOOTSTRAP = """
[weights]
method = "none"

[noise]
relative = 0.0
bootstrap = true
replicates = 5
"""

GOALPOSTS = """
[[steps]]
type = "normalise"
method = "goalposts"
low = 0
high = 10

[[steps]]
type = "aggregate"
method = "arithmetic"
"""


def test_references_resample_the_scored_institutions() -> None:
    spec = parse_spec(BOOTSTRAP).spec
    scored = np.array([True, True, False, True, True])
    refs = bootstrap_references(scored, spec, seed=3, side=0)
    assert len(refs) == 5
    for ref in refs:
        assert ref is not None
        assert ref.sum() == 4 and ref[2] == 0 and (ref >= 0).all()
    again = bootstrap_references(scored, spec, seed=3, side=0)
    assert all(np.array_equal(a, b) for a, b in zip(refs, again, strict=True))  # type: ignore[arg-type]
    other = bootstrap_references(scored, spec, seed=3, side=1)
    assert not all(np.array_equal(a, b) for a, b in zip(refs, other, strict=True))  # type: ignore[arg-type]
    plain = parse_spec("[noise]\nreplicates = 2\n").spec
    assert bootstrap_references(scored, plain, 3, 0) == [None, None]


def test_bootstrap_widens_intervals_and_every_draw_replays(field, full_method) -> None:
    loaded = parse_spec(BOOTSTRAP)
    done = uncertainty(field, full_method, 2024, 40, spec=loaded, seed=6, data_hash="x")
    s = done.summary
    assert (s.q_high - s.q_low).max() > 0
    draws = done.draw_parameters()
    assert set(draws.replicate.tolist()) == {0, 1, 2, 3, 4}
    for index in (0, 13, 39):
        ranks = done.replay_draw(field, index).ranking.rank
        assert all(done.hist[i, r] > 0 for i, r in enumerate(ranks.tolist()))
    same = uncertainty(field, full_method, 2024, 40, spec=loaded, seed=6, data_hash="x")
    np.testing.assert_array_equal(same.hist, done.hist)


def test_engine_runs_once_per_replicate_only_when_statistics_are_taken(field, full_method) -> None:
    loaded = parse_spec(BOOTSTRAP)
    side = build_side(field, full_method, 2024, loaded.spec, 0, "x", SpecSource())
    assert uses_statistics(full_method)
    assert len({id(p) for p in side.plans}) == 5  # min-max: one engine run per resample
    fixed = make_methodology(GOALPOSTS, "", 'rank_on = "unrounded"')
    assert not uses_statistics(fixed)
    side = build_side(field, fixed, 2024, loaded.spec, 0, "x", SpecSource())
    assert len({id(p) for p in side.plans}) == 1  # goalposts: the resample changes nothing
    done = uncertainty(field, fixed, 2024, 30, spec=loaded, data_hash="x")
    ranked = done.nominal.ranking.rank > 0
    np.testing.assert_array_equal(done.summary.q_low[ranked], done.nominal.ranking.rank[ranked])
    np.testing.assert_array_equal(done.summary.q_high[ranked], done.nominal.ranking.rank[ranked])


def test_bootstrap_with_noise_pairs_copy_and_resample() -> None:
    """Replicate r is noisy copy r with resample r: replay_draw is that engine run."""
    ds = make_dataset(TWO_LEVELS, {2024: random_values(30, 5)})
    m = make_methodology(
        """
[[steps]]
type = "normalise"
method = "zscore"

[[steps]]
type = "aggregate"
method = "arithmetic"
""",
        "",
        'rank_on = "unrounded"',
    )
    loaded = parse_spec(BOOTSTRAP.replace("relative = 0.0", "relative = 0.1"))
    done = uncertainty(ds, m, 2024, 20, spec=loaded, seed=2, data_hash="x")
    index = int(np.flatnonzero(done.draw_parameters().replicate == 3)[0])
    replayed = done.replay_draw(ds, index)
    copy = noisy_copies(ds, m, 2024, loaded.spec, 2, 0)[3]
    reference = bootstrap_references(done.nominal.scored, loaded.spec, 2, 0)[3]
    direct = run(copy, m, 2024, data_hash="x", reference=reference)
    np.testing.assert_array_equal(replayed.leaf_values, direct.leaf_values)
    np.testing.assert_array_equal(replayed.ranking.rank, direct.ranking.rank)
    assert all(done.hist[i, r] > 0 for i, r in enumerate(direct.ranking.rank.tolist()))
    unsampled = run(copy, m, 2024, data_hash="x")  # the same copy, every row once
    assert not np.array_equal(unsampled.leaf_values, direct.leaf_values, equal_nan=True)
