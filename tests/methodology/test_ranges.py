"""Output-range propagation: each step's declared range, carried through the steps."""

from __future__ import annotations

import math
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from palmares.methodology import Interval, load_methodology, parse_methodology, propagate
from palmares.methodology.ranges import REAL
from palmares.problems import InvalidInput

EXAMPLES = Path(__file__).parent / "examples"

HEAD = """
[methodology]
id = "r"
system = "demo"
version = "1"
label_en = "Ranges"
editions = [2020]

[tree]
source = "inline"

[[tree.nodes]]
id = "demo"

[[tree.nodes]]
id = "demo.a"
parent = "demo"

[[tree.nodes]]
id = "demo.a.x"
parent = "demo.a"
direction = "higher"

[[tree.nodes]]
id = "demo.a.y"
parent = "demo.a"
direction = "lower"

[[tree.nodes]]
id = "demo.b"
parent = "demo"
direction = "higher"

[ranking]
rank_on = "unrounded"
"""


def steps(*tables: str) -> str:
    return HEAD + "".join(f"\n[[steps]]\n{t.strip()}\n" for t in tables)


def outputs(text: str) -> list[str | None]:
    walk = propagate(parse_methodology(text))
    return [s.output.describe() if s.output else None for s in walk.steps]


def reasons(text: str) -> list[str]:
    with pytest.raises(InvalidInput) as caught:
        parse_methodology(text)
    return [f"{p.column}: {p.message}" for p in caught.value.problems]


def test_interval_hull_and_predicates() -> None:
    a, b = Interval(0, 1), Interval(0, 5, lo_open=True)
    assert a.hull(b) == Interval(0, 5)
    assert b.positive and not a.positive and a.nonnegative
    assert not REAL.nonnegative and REAL.describe() == "(-inf, inf)"
    assert Interval(-math.inf, 100, True).describe() == "(-inf, 100]"
    assert Interval(0, 100).contains(100) and not Interval(0, 100, hi_open=True).contains(100)
    assert REAL.to_json() == [None, None]


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.floats(-1e6, 1e6), st.floats(0, 1e6)), min_size=1, max_size=6))
def test_hull_contains_every_member(pairs: list[tuple[float, float]]) -> None:
    intervals = [Interval(lo, lo + width) for lo, width in pairs]
    hull = intervals[0]
    for i in intervals[1:]:
        hull = hull.hull(i)
    for i in intervals:
        assert hull.contains(i.lo) and hull.contains(i.hi)
    assert hull.lo == min(i.lo for i in intervals) and hull.hi == max(i.hi for i in intervals)


def test_ranges_of_the_examples() -> None:
    composite = propagate(load_methodology(EXAMPLES / "composite.toml"))
    assert [s.output.describe() if s.output else None for s in composite.steps] == [
        None,
        "(-inf, inf)",
        "(-inf, inf)",
        "(-inf, inf)",
        "(-inf, inf)",
        "(-inf, 100]",
        "(-inf, 100]",
    ]
    asem = propagate(load_methodology(EXAMPLES / "asem.toml"))
    assert [s.output.describe() for s in asem.steps if s.output] == ["[0, 100]", "[0, 100]"]
    assert asem.root.interval == Interval(0, 100) and asem.root.computed
    letudiant = propagate(load_methodology(EXAMPLES / "letudiant_2023.toml"))
    assert letudiant.root.interval == Interval(0, 110) and letudiant.root.kind == "points"


def test_each_step_declares_its_range() -> None:
    agg = 'type = "aggregate"\nmethod = "arithmetic"'
    assert outputs(steps('type = "normalise"\nmethod = "zcdf"\nscale = 10', agg))[0] == "[0, 10]"
    assert outputs(steps('type = "normalise"\nmethod = "rank"', agg))[0] == "[1, inf)"
    assert outputs(steps('type = "points"\nmethod = "quantiles"\nmax_points = 4', agg))[0] == (
        "[0, 4]"
    )
    minmax = 'type = "normalise"\nmethod = "minmax"\nrange = [1, 100]'
    assert outputs(steps(minmax, 'type = "impute"\nmethod = "zero"', agg))[1] == "[0, 100]"
    assert (
        outputs(steps(minmax, agg, 'type = "rescale"\nmethod = "minmax"\nrange = [0, 1]'))[2]
        == "[0, 1]"
    )
    assert outputs(steps(minmax, 'type = "aggregate"\nmethod = "geometric"'))[1] == "[1, 100]"


def test_sum_of_points_uses_weights_and_bonus() -> None:
    text = steps(
        'type = "points"\nmethod = "thresholds"\nthresholds = [1, 2, 3]',
        'type = "aggregate"\nmethod = "sum_points"',
    ).replace("[ranking]", '[weights]\n"demo.b" = 2\n\n[ranking]')
    walk = propagate(parse_methodology(text))
    # demo.a = x + y in [0, 6]; demo = demo.a + 2 demo.b in [0, 12]
    assert walk.root.interval == Interval(0, 12)


def test_override_thresholds_are_checked_against_the_range() -> None:
    text = steps(
        'type = "normalise"\nmethod = "minmax"\nrange = [0, 10]',
        'type = "points"\nmethod = "thresholds"\nthresholds = [2, 4]\n\n'
        '[steps.overrides."demo.b"]\nthresholds = [5, 11]',
        'type = "aggregate"\nmethod = "sum_points"',
    )
    assert reasons(text) == [
        'steps[1].overrides."demo.b".thresholds[1]: threshold 11 lies outside [0, 10], the range '
        "of its input (from steps[0] (normalise.minmax)): every institution or none passes it "
        "(value 11.0)"
    ]


def test_domain_rules() -> None:
    agg = 'type = "aggregate"\nmethod = "arithmetic"'
    jrc = 'type = "treat"\nmethod = "jrc"'
    # The JRC log transform can give values below 0: a geometric mean after it is refused.
    assert reasons(steps(jrc, 'type = "aggregate"\nmethod = "geometric"')) == [
        "steps[1].method: a geometric mean needs inputs > 0, but 'demo.a.x' lies in (-inf, inf) "
        "after steps[0] (treat.jrc) (value 'geometric')"
    ]
    # Raw data have no known range, so they are not judged before data are read.
    assert outputs(steps('type = "aggregate"\nmethod = "geometric"'))[0] == "(-inf, inf)"
    # A generalised mean with p < 0 needs positive inputs; p = 2 does not.
    minmax = 'type = "normalise"\nmethod = "minmax"'
    assert reasons(steps(minmax, 'type = "aggregate"\nmethod = "generalised"\np = -1')) == [
        "steps[1].method: a generalised mean needs inputs > 0, but 'demo.a.x' lies in [0, 100] "
        "after steps[0] (normalise.minmax) (value 'generalised')"
    ]
    assert outputs(steps(minmax, 'type = "aggregate"\nmethod = "generalised"\np = 2'))[1] == (
        "[0, 100]"
    )
    assert reasons(steps(agg, 'type = "aggregate"\nmethod = "grade_counts"')) == [
        "steps[1].method: grade_counts counts grades A..E: put a grade step before it "
        "(value 'grade_counts')"
    ]


def test_aggregating_a_level_before_its_children() -> None:
    text = steps('type = "aggregate"\nmethod = "arithmetic"\nlevel = 0')
    assert reasons(text) == [
        "steps[0].method: aggregate.arithmetic computes 'demo' from 'demo.a', which no earlier "
        "step has computed (aggregate lower levels first) (value 'arithmetic')"
    ]
    ok = steps(
        'type = "aggregate"\nmethod = "arithmetic"\nlevel = 1',
        'type = "aggregate"\nmethod = "sum_points"\nlevel = 0',
    )
    assert [s.scope for s in propagate(parse_methodology(ok)).steps] == ["level 1", "level 0"]
