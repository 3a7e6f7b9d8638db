"""Every registered step checked against the same contract (as scikit-learn's check_estimator).

For each step class of the methodology: a batch equals its rows (draws, institutions) taken
one by one, bit for bit, and its columns (indicators) to the last few units of precision;
cells outside the mask are never read and stay missing; flipping an indicator's direction and
its values changes nothing; a bootstrap reference of multiplicities one equals no bootstrap;
the declared output range holds on random data. The plan's agreement with the recorded results
of every preset and edition is test_recorded.py.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from pydantic import TypeAdapter

from palmares.methodology import model as md
from palmares.methodology.intervals import Interval, NodeState, RangeInput
from palmares.steps.registry import (
    AGGREGATE,
    REGISTRY,
    SCORES,
    WEIGHT,
    DrawChildren,
    LeafBatch,
    LeafChildren,
    LeafStep,
    eligibility_operation,
    leaf_operation,
    operation,
    takes_statistics,
)

STEP = TypeAdapter(md.Step)

#: One example of every leaf step (parameters the data need filled in).
LEAF_STEPS: list[dict[str, Any]] = [
    {"type": "impute", "method": "none"},
    {"type": "impute", "method": "mean"},
    {"type": "impute", "method": "median"},
    {"type": "impute", "method": "zero"},
    {"type": "impute", "method": "constant", "value": 7.5},
    {"type": "impute", "method": "percentile", "q": 25},
    {"type": "impute", "method": "group_mean", "by": "country"},
    {"type": "treat", "method": "jrc"},
    {"type": "normalise", "method": "minmax", "range": [0, 100]},
    {"type": "normalise", "method": "zscore"},
    {"type": "normalise", "method": "zcdf"},
    {"type": "normalise", "method": "percent_of_best"},
    {"type": "normalise", "method": "percentile_rank"},
    {"type": "normalise", "method": "rank"},
    {"type": "normalise", "method": "target", "target": 60.0},
    {"type": "normalise", "method": "goalposts", "low": 10.0, "high": 90.0},
    {"type": "points", "method": "thresholds", "thresholds": [20.0, 40.0, 60.0]},
    {"type": "points", "method": "quantiles", "max_points": 4},
    {"type": "grade", "method": "median_distance"},
]
SCORE_STEPS: list[dict[str, Any]] = [
    {"type": "rescale", "method": "top100"},
    {"type": "rescale", "method": "minmax", "range": [1, 100]},
    {"type": "rescale", "method": "affine", "floor": 5.0},
    {"type": "round", "method": "half_up", "decimals": 1},
]
AGGREGATE_STEPS: list[dict[str, Any]] = [
    {"type": "aggregate", "method": "arithmetic"},
    {"type": "aggregate", "method": "geometric"},
    {"type": "aggregate", "method": "harmonic"},
    {"type": "aggregate", "method": "generalised", "p": 2.0},
    {"type": "aggregate", "method": "sum_points"},
]
#: Variants the batch of draws treats apart (its fast paths and their conditions).
DRAW_STEPS: list[dict[str, Any]] = [
    *AGGREGATE_STEPS,
    {"type": "aggregate", "method": "arithmetic", "renormalise": False},
    {"type": "aggregate", "method": "arithmetic", "min_children": 3},
    {"type": "aggregate", "method": "generalised", "p": -1.0, "min_children": 2},
    {"type": "aggregate", "method": "sum_points", "bonus": ["d"]},
]
#: Steps with no batch of draws (pairwise votes, grade counts: no weighted composite).
OTHER_STEPS: list[dict[str, Any]] = [
    {"type": "aggregate", "method": "copeland"},
    {"type": "aggregate", "method": "grade_counts"},
]
WEIGHT_STEPS: list[dict[str, Any]] = [
    {"type": "weight", "method": "fixed", "weights": {"a": 2.0}},
    {"type": "weight", "method": "equal"},
    {"type": "weight", "method": "renormalise"},
    {"type": "weight", "method": "best_k", "k": 2},
    {"type": "weight", "method": "best_k", "k": 2, "always": ["a"]},
    {"type": "impute", "method": "redistribute"},
]
ELIGIBILITY_STEPS: list[dict[str, Any]] = [
    {"type": "eligibility", "method": "coverage", "min_share": 0.5},
    {"type": "eligibility", "method": "required", "nodes": ["x"]},
    {"type": "eligibility", "method": "k_of", "nodes": ["x", "y", "z"], "k": 2},
    {"type": "eligibility", "method": "where", "equals": {"country": "FR"}},
]


def name(spec: Mapping[str, Any]) -> str:
    """A test id: the method and any parameter given."""
    extra = [f"{k}={v}" for k, v in spec.items() if k not in ("type", "method")]
    return "-".join([spec["method"], *extra])


def step(spec: Mapping[str, Any]) -> md.StepBase:
    return STEP.validate_python(dict(spec))  # type: ignore[no-any-return]


def leaf_data(seed: int, n: int = 40, k: int = 5) -> LeafBatch:
    rng = np.random.default_rng(seed)
    x = rng.uniform(1.0, 100.0, size=(n, k))
    x[:, 1] = np.round(x[:, 1] / 10)  # ties
    x[:, 2] = rng.lognormal(2.0, 1.5, size=n)  # skewed: the JRC rule treats it
    mask = rng.random((n, k)) > 0.15
    mask[:3] = True  # every column keeps a few values
    return LeafBatch(
        x=np.where(mask, x, np.nan),
        mask=mask,
        direction=np.array([1, -1, 1, 1, -1][:k], dtype=np.int8),
        applicable=np.ones((n, k), dtype=bool),
        attributes={"country": np.array(["FR", "DE", "IT", "ES"] * (n // 4), dtype=object)},
    )


def apply(op: LeafStep, s: md.StepBase, batch: LeafBatch) -> tuple[Any, Any, Any]:
    done = op.apply(s, s.params(), batch)
    return done.x, done.imputed, done.grades


def same(a: Any, b: Any, *, ulps: bool = False) -> None:
    """Equal bit for bit; with ``ulps``, floats within a few units in the last place (a column
    sum over a wider matrix may add in another order)."""
    if a is None or b is None:
        assert a is None and b is None
    elif ulps and np.asarray(a).dtype.kind == "f":
        np.testing.assert_allclose(a, b, rtol=1e-13, atol=0)
        np.testing.assert_array_equal(np.isnan(a), np.isnan(b))
    else:
        np.testing.assert_array_equal(a, b)


def test_every_step_class_has_exactly_one_operation() -> None:
    assert set(REGISTRY) == set(md.STEP_CLASSES)
    for cls in md.STEP_CLASSES:
        assert sum(cls in op.classes for op in set(REGISTRY.values())) == 1, cls


def test_the_examples_cover_every_step_class() -> None:
    every = [
        *LEAF_STEPS,
        *SCORE_STEPS,
        *DRAW_STEPS,
        *OTHER_STEPS,
        *WEIGHT_STEPS,
        *ELIGIBILITY_STEPS,
    ]
    assert {type(step(s)) for s in every} == set(REGISTRY)


@pytest.mark.parametrize("spec", LEAF_STEPS, ids=lambda s: f"{s['type']}.{s['method']}")
def test_leaf_batch_equals_its_columns_one_by_one(spec: dict[str, Any]) -> None:
    s = step(spec)
    op = leaf_operation(s)
    assert op is not None
    batch = leaf_data(1)
    whole = apply(op, s, batch)
    for j in range(batch.x.shape[1]):
        one = LeafBatch(
            x=batch.x[:, [j]],
            mask=batch.mask[:, [j]],
            direction=batch.direction[[j]],
            applicable=batch.applicable[:, [j]],
            attributes=batch.attributes,
        )
        for part, column in zip(whole, apply(op, s, one), strict=True):
            same(None if part is None else part[:, [j]], column, ulps=True)


@pytest.mark.parametrize("spec", LEAF_STEPS, ids=lambda s: f"{s['type']}.{s['method']}")
def test_leaf_cells_outside_the_mask_are_never_read(spec: dict[str, Any]) -> None:
    s = step(spec)
    op = leaf_operation(s)
    assert op is not None
    batch = leaf_data(2)
    garbage = LeafBatch(
        x=np.where(batch.mask, batch.x, 1e6),
        mask=batch.mask,
        direction=batch.direction,
        applicable=batch.applicable,
        attributes=batch.attributes,
    )
    x, imputed, grades = apply(op, s, batch)
    for a, b in zip((x, imputed, grades), apply(op, s, garbage), strict=True):
        same(a, b)
    if x is not None:
        filled = batch.mask if imputed is None else batch.mask | imputed
        assert np.isnan(x[~filled]).all()  # missing is never zero
        assert not np.isnan(x[filled]).any()
    if grades is not None:
        assert (grades[~batch.mask] == -1).all()


#: Steps that read values only through the direction (ratios, targets, thresholds and logs
#: depend on the sign of the values themselves).
ORIENTED = [
    s
    for s in LEAF_STEPS
    if s["type"] in ("normalise", "points", "grade")
    and s["method"] not in ("percent_of_best", "target", "goalposts", "thresholds")
]


def test_the_oriented_steps_are_the_statistical_normalisations_points_and_grades() -> None:
    assert [f"{s['type']}.{s['method']}" for s in ORIENTED] == [
        "normalise.minmax",
        "normalise.zscore",
        "normalise.zcdf",
        "normalise.percentile_rank",
        "normalise.rank",
        "points.quantiles",
        "grade.median_distance",
    ]


@pytest.mark.parametrize("spec", ORIENTED, ids=lambda s: f"{s['type']}.{s['method']}")
def test_flipping_direction_and_values_changes_nothing(spec: dict[str, Any]) -> None:
    s = step(spec)
    op = leaf_operation(s)
    assert op is not None
    batch = leaf_data(3)
    flipped = LeafBatch(
        x=-batch.x,
        mask=batch.mask,
        direction=-batch.direction,
        applicable=batch.applicable,
        attributes=batch.attributes,
    )
    for a, b in zip(apply(op, s, batch), apply(op, s, flipped), strict=True):
        if a is None:
            assert b is None
        else:
            np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("spec", LEAF_STEPS, ids=lambda s: f"{s['type']}.{s['method']}")
def test_multiplicities_of_one_are_no_bootstrap(spec: dict[str, Any]) -> None:
    s = step(spec)
    op = leaf_operation(s)
    assert op is not None
    batch = leaf_data(4)
    ones = LeafBatch(
        x=batch.x,
        mask=batch.mask,
        direction=batch.direction,
        applicable=batch.applicable,
        attributes=batch.attributes,
        reference=np.ones(batch.x.shape[0], dtype=np.int64),
    )
    for a, b in zip(apply(op, s, batch), apply(op, s, ones), strict=True):
        same(a, b)
    if takes_statistics(s):
        twice = LeafBatch(
            x=batch.x,
            mask=batch.mask,
            direction=batch.direction,
            applicable=batch.applicable,
            attributes=batch.attributes,
            reference=np.where(np.arange(batch.x.shape[0]) < 10, 3, 0),
        )
        moved = [
            not np.array_equal(a, b, equal_nan=True)
            for a, b in zip(apply(op, s, batch), apply(op, s, twice), strict=True)
            if a is not None
        ]
        assert any(moved), "a step that takes statistics must follow its reference sample"


def within(values: np.ndarray, declared: tuple[float, float] | None, what: Any) -> None:
    """Every present value lies in the declared range (None: unbounded, nothing to hold)."""
    present = values[~np.isnan(values)]
    if declared is None or not present.size:
        return
    lo, hi = declared
    assert present.min() >= lo - 1e-9 and present.max() <= hi + 1e-9, (what, declared)


def random_columns(data: st.DataObject, n: int, k: int) -> tuple[np.ndarray, np.ndarray]:
    """(n, k) values of any sign and scale with a mask keeping a value in every column."""
    centre = data.draw(st.floats(-1e3, 1e3))
    spread = data.draw(st.floats(1e-3, 1e3))
    x = data.draw(hnp.arrays(np.float64, (n, k), elements=st.floats(-1.0, 1.0)))
    mask = data.draw(hnp.arrays(np.bool_, (n, k)))
    mask[0] = True
    return np.where(mask, centre + spread * x, np.nan), mask


def refused(s: md.StepBase, given: tuple[float, float]) -> bool:
    """Whether the step's own range rule reports a problem with inputs in ``given``."""
    problems: list[str] = []
    state = NodeState(Interval(*given), "values", "test data")
    s.leaf_range(s.params(), RangeInput(state, report=lambda *a: problems.append(a[1])))
    return bool(problems)


@settings(max_examples=25, deadline=None)
@given(data=st.data())
@pytest.mark.parametrize("spec", LEAF_STEPS, ids=lambda s: f"{s['type']}.{s['method']}")
def test_declared_leaf_ranges_hold_on_random_data(
    spec: dict[str, Any], data: st.DataObject
) -> None:
    s = step(spec)
    op = leaf_operation(s)
    assert op is not None
    x, mask = random_columns(data, 12, 3)
    if refused(s, (float(np.nanmin(x)), float(np.nanmax(x)))):
        x = np.abs(x)  # outside the step's domain (the walk says so): take values it accepts
    batch = LeafBatch(
        x=x,
        mask=mask,
        direction=np.array([1, -1, 1], dtype=np.int8),
        applicable=np.ones(x.shape, dtype=bool),
        attributes={"country": np.array(["FR", "DE", "IT"] * 4, dtype=object)},
    )
    given = (float(np.nanmin(x)), float(np.nanmax(x)))
    declared = op.output_range(s, s.params(), given)
    out, _, grades = apply(op, s, batch)
    values = np.where(grades >= 0, grades, np.nan).astype(float) if grades is not None else out
    within(values, declared, spec)


@pytest.mark.parametrize("spec", SCORE_STEPS, ids=lambda s: f"{s['type']}.{s['method']}")
def test_score_batch_of_draws_equals_each_draw(spec: dict[str, Any]) -> None:
    s = step(spec)
    rng = np.random.default_rng(5)
    draws = rng.uniform(10.0, 90.0, size=(6, 50))
    draws[2, :7] = np.nan
    draws[3] = 42.0  # one value for all
    population = rng.random(50) > 0.2
    for pop in (None, population):
        batch = SCORES.apply(s, s.params(), draws, pop)
        for d in range(draws.shape[0]):
            one = SCORES.apply(s, s.params(), draws[d], pop)
            np.testing.assert_array_equal(batch[d], one)
        declared = SCORES.output_range(s, s.params(), (10.0, 90.0))
        assert declared is not None
        within(batch, declared, spec)
        if pop is not None and not SCORES.rounds(s):
            assert np.isnan(batch[:, ~pop]).all()  # outside the population: no scaled score


@pytest.mark.parametrize("spec", AGGREGATE_STEPS, ids=lambda s: s["method"])
def test_aggregate_batch_equals_each_institution(spec: dict[str, Any]) -> None:
    s = step(spec)
    assert operation(s) is AGGREGATE
    rng = np.random.default_rng(6)
    x = rng.uniform(1.0, 100.0, size=(30, 4))
    mask = rng.random(x.shape) > 0.2
    x = np.where(mask, x, np.nan)
    names = ["a", "b", "c", "d"]
    shared = np.array([1.0, 2.0, 0.5, 1.5])
    per_row = rng.uniform(0.1, 2.0, size=x.shape)
    for w in (shared, per_row):
        whole = AGGREGATE.apply(s, s.params(), names, x, mask, w)
        for i in range(x.shape[0]):
            wi = w if w.ndim == 1 else w[[i]]
            one = AGGREGATE.apply(s, s.params(), names, x[[i]], mask[[i]], wi)
            same(whole[[i]], one, ulps=True)  # a matrix product may add in another order
        lo, hi = np.nanmin(x, axis=1), np.nanmax(x, axis=1)
        if s.method != "sum_points":  # means stay within their children's values
            ok = ~np.isnan(whole)
            assert (whole[ok] >= lo[ok] - 1e-9).all() and (whole[ok] <= hi[ok] + 1e-9).all()
        assert np.isnan(whole[~mask.any(axis=1)]).all()


@pytest.mark.parametrize("spec", ELIGIBILITY_STEPS, ids=lambda s: s["method"])
def test_eligibility_batch_equals_each_institution(spec: dict[str, Any]) -> None:
    s = step(spec)
    rule = eligibility_operation(s)
    assert rule is not None
    rng = np.random.default_rng(8)
    submitted = rng.random((25, 3)) > 0.4
    attributes = {"country": np.array(["FR", "DE", "IT", "FR", "ES"] * 5, dtype=object)}
    whole = rule.apply(s, s.params(), submitted, [0, 1, 2], attributes)
    assert whole.dtype == np.bool_ and whole.shape == (25,)
    for i in range(25):
        one = rule.apply(
            s, s.params(), submitted[[i]], [0, 1, 2], {k: v[[i]] for k, v in attributes.items()}
        )
        assert one.tolist() == [bool(whole[i])]


def draw_data(seed: int, *, gaps: bool = True) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(n, k) children with gaps (NaN where absent), their mask, (d, k) weights of draws."""
    rng = np.random.default_rng(seed)
    x = rng.uniform(1.0, 100.0, size=(30, 4))
    x[:, 1] = np.round(x[:, 1] / 20) + 1.0  # ties
    mask = rng.random(x.shape) > 0.25 if gaps else np.ones(x.shape, dtype=bool)
    w = rng.uniform(0.1, 2.0, size=(5, 4))
    w[1, 2] = 0.0  # a child left out of a draw
    return np.where(mask, x, np.nan), mask, w


def draw_children(
    x: np.ndarray, mask: np.ndarray, draws: int, *, leaves: bool, gap_free: bool = False
) -> DrawChildren:
    filled = np.where(mask, x, 0.0)
    operands = LeafChildren.of(
        filled, mask, np.ascontiguousarray(filled.T), np.ascontiguousarray(mask.T, dtype=float)
    )

    def values() -> list[np.ndarray]:
        return [np.broadcast_to(x[:, j], (draws, x.shape[0])) for j in range(x.shape[1])]

    return DrawChildren(operands if leaves else None, values, gap_free=gap_free)


NAMES = ["a", "b", "c", "d"]


@pytest.mark.parametrize("path", ["leaves", "per draw", "gap-free"])
@pytest.mark.parametrize("spec", DRAW_STEPS, ids=lambda s: name(s))
def test_aggregate_batch_of_draws_equals_each_draw(spec: dict[str, Any], path: str) -> None:
    s = step(spec)
    params = s.params()
    x, mask, w = draw_data(9, gaps=path != "gap-free")
    batch = draw_children(x, mask, w.shape[0], leaves=path == "leaves", gap_free=path == "gap-free")
    out, whole = AGGREGATE.draws(w, s, params, NAMES, batch)
    assert out.shape == (w.shape[0], x.shape[0])
    if whole:
        assert not np.isnan(out).any()
    for d in range(w.shape[0]):
        one = AGGREGATE.apply(s, params, NAMES, x, mask, w[d])
        np.testing.assert_allclose(out[d], one, rtol=1e-12, atol=1e-12, equal_nan=True)


@pytest.mark.parametrize("leaves", [True, False])
@pytest.mark.parametrize("spec", DRAW_STEPS[:4], ids=lambda s: s["method"])
def test_aggregate_draws_never_read_cells_outside_the_mask(
    spec: dict[str, Any], leaves: bool
) -> None:
    s = step(spec)
    x, mask, w = draw_data(10)
    garbage = np.where(mask, x, 1e6)
    first, _ = AGGREGATE.draws(w, s, s.params(), NAMES, draw_children(x, mask, 5, leaves=leaves))
    if leaves:  # the leaves' operands hold 0 where absent: garbage there must not count
        again, _ = AGGREGATE.draws(
            w, s, s.params(), NAMES, draw_children(garbage, mask, 5, leaves=True)
        )
        np.testing.assert_array_equal(first, again)
    assert np.isnan(first[:, ~mask.any(axis=1)]).all()  # missing is never zero


@pytest.mark.parametrize("weight_spec", WEIGHT_STEPS[3:5], ids=["best_k", "best_k+always"])
@pytest.mark.parametrize("spec", DRAW_STEPS[:4] + DRAW_STEPS[5:8], ids=lambda s: name(s))
def test_best_k_batch_of_draws_equals_each_draw(
    spec: dict[str, Any], weight_spec: dict[str, Any]
) -> None:
    s, chooser = step(spec), step(weight_spec)
    x, mask, w = draw_data(11)
    children = [np.broadcast_to(x[:, j], (w.shape[0], x.shape[0])) for j in range(4)]
    out = WEIGHT.draws(w, children, chooser, chooser.params(), NAMES, (s, s.params()))
    for d in range(w.shape[0]):
        chosen = WEIGHT.apply(chooser, chooser.params(), NAMES, w[d], x, mask)
        one = AGGREGATE.apply(s, s.params(), NAMES, x, mask, chosen)
        np.testing.assert_allclose(out[d], one, rtol=1e-12, atol=1e-12, equal_nan=True)


@settings(max_examples=25, deadline=None)
@given(data=st.data())
@pytest.mark.parametrize("spec", DRAW_STEPS, ids=lambda s: name(s))
def test_declared_aggregate_ranges_hold_on_random_data(
    spec: dict[str, Any], data: st.DataObject
) -> None:
    s = step(spec)
    x, mask = random_columns(data, 8, 4)
    declared = AGGREGATE.output_range(s, s.params(), (float(np.nanmin(x)), float(np.nanmax(x))), 4)
    if s.input_domain() is not None:  # type: ignore[attr-defined]
        x = np.abs(x) + 1e-3  # a mean of logs or inverses takes positive values only
        declared = AGGREGATE.output_range(
            s, s.params(), (float(np.nanmin(x)), float(np.nanmax(x))), 4
        )
    out = AGGREGATE.apply(s, s.params(), NAMES, x, mask, np.ones(4))  # weights of 1
    within(out, declared, spec)


@settings(max_examples=25, deadline=None)
@given(data=st.data())
@pytest.mark.parametrize("spec", SCORE_STEPS, ids=lambda s: f"{s['type']}.{s['method']}")
def test_declared_score_ranges_hold_on_random_data(
    spec: dict[str, Any], data: st.DataObject
) -> None:
    s = step(spec)
    scores, present = random_columns(data, 3, 10)  # three draws of ten scores, any sign
    if s.method == "top100":  # s / max(s): any sign, the best of each draw above 0
        best = np.fmax.reduce(scores, axis=1, keepdims=True)
        scores = np.where(best > 0, scores, scores - best + 1.0)
    if s.method == "affine":  # the best score of each draw must lie above the floor
        best = np.fmax.reduce(scores, axis=1, keepdims=True)  # NaN for a draw with no score
        scores = scores - best + s.params()["floor"] + 1.0
    given_range = (float(np.nanmin(scores)), float(np.nanmax(scores)))
    declared = SCORES.output_range(s, s.params(), given_range)
    out = SCORES.apply(s, s.params(), scores, present.any(axis=0))
    within(out, declared, spec)
