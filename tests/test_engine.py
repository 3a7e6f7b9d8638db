"""The engine against known answers: hand-computed pipelines, the ASEM index, invariants."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import palmares
from palmares.dataset import Dataset
from palmares.engine import MethodologyDataError, run
from palmares.methodology import load_methodology

ASEM = Path(__file__).resolve().parent / "data" / "asem"


def dataset(values: dict[str, list[float | None]], *, lower: tuple[str, ...] = ()) -> Dataset:
    """A one-edition dataset: system ``s`` with pillars p (a, b) and q (c), as many
    institutions as values per indicator, ids i0, i1, ... in country FR then DE alternately."""
    n = len(next(iter(values.values())))
    ids = [f"i{k}" for k in range(n)]
    institutions = pd.DataFrame(
        {
            "id": ids,
            "name": [f"Inst {k}" for k in range(n)],
            "country": ["FR" if k % 2 == 0 else "DE" for k in range(n)],
            "region_code": ["FR-OCC" if k % 4 == 0 else "FR-IDF" for k in range(n)],
        }
    )
    parents = {"s": "", "s.p": "s", "s.q": "s", "s.a": "s.p", "s.b": "s.p", "s.c": "s.q"}
    indicators = pd.DataFrame(
        {
            "id": list(parents),
            "label_en": list(parents),
            "label_fr": list(parents),
            "parent": list(parents.values()),
            "direction": [
                "" if node in ("s", "s.p", "s.q") else ("lower" if node in lower else "higher")
                for node in parents
            ],
        }
    )
    rows = []
    for node, column in values.items():
        for k, v in enumerate(column):
            status = "missing" if v is None else "reported"
            rows.append((ids[k], node, "s", 2024, v, status))
    observations = pd.DataFrame(
        rows, columns=["institution", "indicator", "system", "year", "value", "status"]
    )
    editions = pd.DataFrame({"system": ["s"], "year": [2024]})
    return Dataset(
        {
            "institutions": institutions,
            "indicators": indicators,
            "editions": editions,
            "observations": observations,
        }
    )


def methodology(
    steps: str, ranking: str = 'rank_on = "unrounded"', weights: str = ""
) -> palmares.methodology.Methodology:
    text = f"""
[methodology]
id = "t"
system = "s"
version = "1"
label_en = "test"
editions = [2024]

[weights]
{weights}

{steps}

[ranking]
{ranking}
"""
    return load_methodology(text)


MINMAX_MEAN = """
[[steps]]
type = "normalise"
method = "minmax"
range = [0, 100]

[[steps]]
type = "aggregate"
method = "arithmetic"
"""


def test_hand_computed_minmax_then_weighted_means() -> None:
    ds = dataset({"s.a": [0, 5, 10], "s.b": [10, 20, 30], "s.c": [3, 1, 2]})
    m = methodology(MINMAX_MEAN, 'rank_on = "unrounded"', '"s.p" = 3\n"s.q" = 1')
    result = run(ds, m, 2024, data_hash="x")
    # a, b, c normalised: i0 (0, 0, 100), i1 (50, 50, 0), i2 (100, 100, 50)
    # p = mean(a, b); index = (3 p + 1 q) / 4
    np.testing.assert_allclose(result.score, [25.0, 37.5, 87.5])
    assert result.ranking.rank.tolist() == [3, 2, 1]
    explained = result.explain("i2").set_index("node")
    assert explained.loc["s.a", "contribution"] == pytest.approx(100 * 0.75 * 0.5)
    leaves = explained.loc[["s.a", "s.b", "s.c"], "contribution"].sum()
    assert leaves == pytest.approx(87.5)


def test_missing_values_renormalise_weights_and_are_never_zero() -> None:
    ds = dataset({"s.a": [0, None, 10], "s.b": [10, 20, 30], "s.c": [3, 1, 2]})
    result = run(ds, methodology(MINMAX_MEAN, 'rank_on = "unrounded"'), 2024, data_hash="x")
    # i1: a missing, so p = b = 50 (not (0 + 50) / 2); index = (50 + 0) / 2
    assert result.node_scores("s.p")[1] == pytest.approx(50.0)
    assert result.score[1] == pytest.approx(25.0)
    assert not result.imputed.any()


def test_eligibility_runs_on_submissions_before_imputation() -> None:
    steps = (
        """
[[steps]]
type = "eligibility"
method = "coverage"
min_share = 0.66

[[steps]]
type = "impute"
method = "median"
"""
        + MINMAX_MEAN
    )
    ds = dataset({"s.a": [0, None, 10, 4], "s.b": [10, None, 30, 6], "s.c": [3, 1, 2, 0]})
    result = run(ds, methodology(steps, 'rank_on = "unrounded"'), 2024, data_hash="x")
    assert result.eligible.tolist() == [True, False, True, True]
    assert result.ranking.rank[1] == 0
    assert np.isnan(result.score[1])
    assert result.ranking.field_size == 3


def test_median_imputation_is_marked_in_the_working() -> None:
    steps = (
        """
[[steps]]
type = "impute"
method = "median"
"""
        + MINMAX_MEAN
    )
    ds = dataset({"s.a": [0, None, 10, 4], "s.b": [10, 20, 30, 6], "s.c": [3, 1, 2, 0]})
    result = run(ds, methodology(steps, 'rank_on = "unrounded"'), 2024, data_hash="x")
    assert result.imputed[:, 0].tolist() == [False, True, False, False]
    explained = result.explain("i1").set_index("node")
    assert bool(explained.loc["s.a", "imputed"]) is True
    assert np.isnan(explained.loc["s.a", "raw"])
    assert explained.loc["s.a", "value"] == pytest.approx(40.0)  # median 4 -> (4 - 0) / 10


def test_published_precision_creates_ties_and_competition_ranks() -> None:
    steps = (
        MINMAX_MEAN
        + """
[[steps]]
type = "round"
method = "half_up"
decimals = 0
"""
    )
    ds = dataset({"s.a": [0, 1, 2, 100], "s.b": [0, 0, 0, 100], "s.c": [0, 0, 0, 100]})
    result = run(
        ds, methodology(steps, 'rank_on = "published"\nties = "equals"'), 2024, data_hash="x"
    )
    # i0 0.0, i1 0.25 -> 0, i2 0.5 -> 1 (half-up), i3 100
    assert result.score.tolist() == [0.0, 0.0, 1.0, 100.0]
    assert result.ranking.rank.tolist() == [3, 3, 2, 1]
    frame = result.to_frame()
    assert frame["rank_display"].tolist() == ["1", "2", "=3", "=3"]


def test_lower_is_better_direction_is_respected() -> None:
    ds = dataset(
        {"s.a": [1, 2, 3], "s.b": [1, 2, 3], "s.c": [1, 2, 3]}, lower=("s.a", "s.b", "s.c")
    )
    result = run(ds, methodology(MINMAX_MEAN, 'rank_on = "unrounded"'), 2024, data_hash="x")
    assert result.ranking.rank.tolist() == [1, 2, 3]


def test_national_and_regional_ranks_on_the_same_scores() -> None:
    ds = dataset({"s.a": [1, 2, 3, 4, 5], "s.b": [1, 2, 3, 4, 5], "s.c": [1, 2, 3, 4, 5]})
    frame = run(ds, methodology(MINMAX_MEAN, 'rank_on = "unrounded"'), 2024, data_hash="x")
    table = frame.to_frame().set_index("institution")
    # FR: i0, i2, i4 ; DE: i1, i3
    assert table.loc[["i4", "i2", "i0"], "national_rank"].tolist() == [1, 2, 3]
    assert table.loc[["i3", "i1"], "national_rank"].tolist() == [1, 2]
    # FR-OCC: i0, i4
    assert table.loc[["i4", "i0"], "regional_rank"].tolist() == [1, 2]


def test_methodology_for_another_edition_is_refused() -> None:
    ds = dataset({"s.a": [1, 2], "s.b": [1, 2], "s.c": [1, 2]})
    m = methodology(MINMAX_MEAN).model_copy()
    with pytest.raises(MethodologyDataError, match="applies to editions"):
        run(ds, m, 2023, data_hash="x")


def test_result_carries_hashes_seed_and_version() -> None:
    ds = dataset({"s.a": [1, 2], "s.b": [1, 2], "s.c": [1, 2]})
    result = run(ds, methodology(MINMAX_MEAN), 2024, seed=7)
    assert result.meta["seed"] == 7
    assert len(result.methodology_hash) == 64
    assert len(result.data_hash) == 64
    assert result.meta["palmares_version"] == palmares.__version__


# -- a real peer: the ASEM index, as COINr computes it -----------------------------------------


@pytest.fixture(scope="module")
def asem_result() -> palmares.result.Result:
    ds = palmares.load([ASEM / "asem_idata.csv", ASEM / "asem_imeta.csv"])
    m = load_methodology(Path(__file__).parent / "methodology" / "examples" / "asem.toml")
    return run(ds, m, 2018)


def test_asem_index_matches_coinr(asem_result: palmares.result.Result) -> None:
    table = asem_result.to_frame().set_index("institution")
    assert round(table.loc["DEU", "score"], 4) == 75.2278
    assert round(table.loc["GBR", "score"], 4) == 68.9363
    assert round(table.loc["FRA", "score"], 4) == 65.9181
    assert table.loc[["DEU", "GBR", "FRA"], "rank"].tolist() == [1, 2, 3]
    assert asem_result.ranking.field_size == 51


# -- invariants ----------------------------------------------------------------------------------

values_strategy = st.lists(
    st.tuples(
        st.floats(0, 100, allow_nan=False),
        st.floats(0, 100, allow_nan=False),
        st.floats(0, 100, allow_nan=False),
    ),
    min_size=2,
    max_size=12,
)


def _columns(rows: list[tuple[float, float, float]]) -> dict[str, list[float | None]]:
    return {node: [r[j] for r in rows] for j, node in enumerate(("s.a", "s.b", "s.c"))}


@settings(max_examples=40, deadline=None)
@given(rows=values_strategy, seed=st.integers(0, 10_000))
def test_permuting_institutions_changes_no_output(rows, seed) -> None:
    m = methodology(MINMAX_MEAN, 'rank_on = "unrounded"')
    base = run(dataset(_columns(rows)), m, 2024, data_hash="x")
    order = np.random.default_rng(seed).permutation(len(rows))
    shuffled = run(dataset(_columns([rows[i] for i in order])), m, 2024, data_hash="x")
    # institution i<k> of the shuffled set holds the values of original row order[k]
    np.testing.assert_allclose(shuffled.score, base.score[order])
    np.testing.assert_array_equal(shuffled.ranking.rank, base.ranking.rank[order])


@pytest.mark.parametrize("normalisation", ["minmax", "percent_of_best"])
@settings(max_examples=40, deadline=None)
@given(rows=values_strategy, who=st.integers(0, 11), bump=st.floats(0.01, 50))
def test_raising_a_benefit_indicator_never_worsens_a_rank(normalisation, rows, who, bump) -> None:
    who %= len(rows)
    steps = f"""
[[steps]]
type = "normalise"
method = "{normalisation}"

[[steps]]
type = "aggregate"
method = "arithmetic"
"""
    rows = [(a + 1, b + 1, c + 1) for a, b, c in rows]  # percent of best needs positive values
    m = methodology(steps, 'rank_on = "unrounded"', '"s.p" = 2\n"s.a" = 3')
    before = run(dataset(_columns(rows)), m, 2024, data_hash="x").ranking.rank[who]
    raised = list(rows)
    raised[who] = (rows[who][0] + bump, rows[who][1], rows[who][2])
    after = run(dataset(_columns(raised)), m, 2024, data_hash="x").ranking.rank[who]
    assert after <= before


def test_zscore_can_worsen_a_rank_when_a_value_rises() -> None:
    """Documented counter-example: a z-score depends on the spread, so raising the best value
    of one indicator pulls the others' z-scores on it towards the mean; the rival with the
    lowest value gains most there, and overtakes (2nd -> 3rd)."""
    steps = """
[[steps]]
type = "normalise"
method = "zscore"

[[steps]]
type = "aggregate"
method = "arithmetic"
"""
    m = methodology(steps, 'rank_on = "unrounded"')
    rows = [(9, 8, 0), (1, 6, 5), (3, 9, 0), (3, 8, 4)]
    before = run(dataset(_columns(rows)), m, 2024, data_hash="x")
    rows_up = [(29, 8, 0), (1, 6, 5), (3, 9, 0), (3, 8, 4)]
    after = run(dataset(_columns(rows_up)), m, 2024, data_hash="x")
    assert (before.ranking.rank[0], after.ranking.rank[0]) == (2, 3)


def test_aggregation_without_working_gives_the_same_scores() -> None:
    from palmares.engine import aggregate_tree

    ds = dataset({"s.a": [0, None, 10, 4], "s.b": [10, 20, 30, 6], "s.c": [3, 1, 2, None]})
    result = run(ds, methodology(MINMAX_MEAN), 2024, data_hash="x")
    args = (
        result.methodology,
        result.tree,
        result.leaf_values,
        result.leaf_mask,
        None,
        result.status != 2,
    )
    with_working = aggregate_tree(*args)
    scores_only = aggregate_tree(*args, working=False)
    np.testing.assert_array_equal(scores_only[0], with_working[0])
    leaf_columns = [result.tree.index(leaf) for leaf in result.leaves]
    assert np.isnan(scores_only[1][:, leaf_columns]).all()
    # shares within each parent sum to 1; a parent with no child present has NaN shares
    np.testing.assert_allclose(
        with_working[1][:, leaf_columns].sum(axis=1), [2.0, 2.0, 2.0, np.nan]
    )


def test_level_means_with_every_child_present_and_with_gaps() -> None:
    """Hand-computed means over s -> p (a, b), q (c): every child present (the level's constant
    weight sums), a gap (renormalised), weights overridden to zero (parent unscored), then the
    first call again (cached weighted levels keep calls apart)."""
    from palmares.engine import aggregate_tree
    from palmares.tree import Tree

    tree = Tree.from_parents(
        [("s", ""), ("s.p", "s"), ("s.q", "s"), ("s.a", "s.p"), ("s.b", "s.p"), ("s.c", "s.q")]
    )
    m = methodology(MINMAX_MEAN, weights='"s.a" = 1\n"s.b" = 3')
    x = np.array([[10.0, 20.0, 30.0], [40.0, 0.0, 50.0]])
    every = np.ones((2, 3), dtype=bool)
    gap = every.copy()
    gap[1, 1] = False  # i1 has no s.b
    applicable = np.ones((2, 3), dtype=bool)
    col = {node: tree.index(node) for node in tree.ids}

    def mean(mask: np.ndarray, overrides: dict[str, float]) -> tuple[np.ndarray, np.ndarray]:
        values, shares, _ = aggregate_tree(m, tree, x, mask, None, applicable, overrides)
        return values, shares

    values, shares = mean(every, {"s.q": 3.0})
    # p = (1 a + 3 b) / 4; root = (1 p + 3 q) / 4
    np.testing.assert_array_equal(values[:, col["s.p"]], [17.5, 10.0])
    np.testing.assert_array_equal(values[:, col["s"]], [26.875, 40.0])
    np.testing.assert_array_equal(
        shares[0, [col[n] for n in ("s.a", "s.b", "s.p", "s.q")]], [0.25, 0.75, 0.25, 0.75]
    )

    values, shares = mean(gap, {"s.q": 3.0})
    # i1: p = a alone = 40; root = (40 + 3 x 50) / 4
    np.testing.assert_array_equal(values[:, col["s"]], [26.875, 47.5])
    np.testing.assert_array_equal(shares[1, [col["s.a"], col["s.b"]]], [1.0, 0.0])

    values, shares = mean(every, {"s.a": 0.0, "s.b": 0.0, "s.q": 3.0})
    # p has no weighted child: unscored, and the root is q alone
    assert np.isnan(values[:, col["s.p"]]).all()
    np.testing.assert_array_equal(values[:, col["s"]], [30.0, 50.0])
    assert np.isnan(shares[:, col["s.a"]]).all()
    np.testing.assert_array_equal(shares[:, col["s.q"]], [1.0, 1.0])

    values, _ = mean(every, {"s.q": 3.0})
    np.testing.assert_array_equal(values[:, col["s"]], [26.875, 40.0])
