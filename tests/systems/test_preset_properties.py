"""Invariants of the presets on random small datasets (hypothesis)."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from preset_worlds import make_dataset
from test_preset_the_impact import TREE as IMPACT_TREE
from test_preset_u_multirank import TREE as UMR_TREE

from palmares.engine import run

U = "u-multirank"
T = "the-impact"
cell = st.one_of(st.none(), st.integers(min_value=1, max_value=200))


@settings(max_examples=25, deadline=None)
@given(st.lists(st.tuples(cell, cell, cell), min_size=2, max_size=12))
def test_u_multirank_standing_is_the_competition_rank_on_a_counts(rows) -> None:
    leaves = [f"{U}.masters-graduation-rate", f"{U}.masters-on-time", f"{U}.student-mobility"]
    values = {leaf: [r[k] for r in rows] for k, leaf in enumerate(leaves)}
    if all(v is None for column in values.values() for v in column):
        return
    result = run(make_dataset(U, 2021, UMR_TREE, values), U, 2021, data_hash="x")
    counts = result.grade_counts[:, result.tree.index(U)]
    graded = counts.sum(axis=1) > 0
    a = counts[:, 0]
    expected = np.where(graded, 1 + (a[None, :] > a[:, None])[:, graded].sum(axis=1), 0)
    assert result.ranking.rank.tolist() == expected.tolist()
    assert result.field_size == int(graded.sum())
    shown = result.to_frame(nodes=False)["grades_A"].tolist()
    assert shown[: int(graded.sum())] == sorted(a[graded].tolist(), reverse=True)


sdg_cell = st.one_of(st.just("n/a"), st.none(), st.floats(min_value=0, max_value=100))


@settings(max_examples=25, deadline=None)
@given(st.lists(st.lists(sdg_cell, min_size=5, max_size=5), min_size=3, max_size=10))
def test_impact_overall_score_is_bounded_and_uses_the_table_only(rows) -> None:
    sdgs = [f"{T}.sdg17", f"{T}.sdg01", f"{T}.sdg02", f"{T}.sdg03", f"{T}.sdg04"]
    values: dict[str, list] = {}
    for k, sdg in enumerate(sdgs):
        evidence = [r[k] for r in rows]
        applies = ["n/a" if v == "n/a" else 10.0 for v in evidence]
        values[f"{sdg}.research"] = applies
        values[f"{sdg}.continuous"] = applies
        values[f"{sdg}.evidence"] = evidence
    result = run(make_dataset(T, 2022, IMPACT_TREE, values), T, 2022, data_hash="x")
    submitted = np.array([[v != "n/a" for v in r] for r in rows])
    expected = submitted[:, 0] & (submitted[:, 1:].sum(axis=1) >= 3)
    assert result.eligible.tolist() == expected.tolist()
    scores = result.score[expected]
    assert ((scores >= 0) & (scores <= 100)).all()
    assert np.isnan(result.score[~expected]).all()
    for k, sdg in enumerate(sdgs):
        table = result.node_table(sdg)
        assert ((table.rank > 0) == submitted[:, k]).all()
