"""The schema expresses the catalogue and the presets the engine will run."""

from __future__ import annotations

import pytest

from palmares.methodology import STEP_REGISTRY, parse_methodology, propagate
from palmares.methodology.model import WeightBestK
from palmares.problems import InvalidInput

CATALOGUE = {
    "eligibility": "coverage required k_of where",
    "impute": "none mean median zero constant percentile group_mean redistribute",
    "treat": "jrc",
    "normalise": "minmax zscore zcdf percent_of_best rank percentile_rank target goalposts",
    "points": "thresholds quantiles",
    "grade": "median_distance",
    "weight": "fixed equal renormalise best_k",
    "aggregate": "arithmetic geometric harmonic generalised sum_points grade_counts copeland",
    "rescale": "top100 minmax affine",
    "round": "half_up",
}


def test_registry_is_the_step_catalogue() -> None:
    expected = {(t, m) for t, methods in CATALOGUE.items() for m in methods.split()}
    assert set(STEP_REGISTRY) == expected


def node(id_: str, parent: str | None = None, direction: str | None = None) -> str:
    lines = ["[[tree.nodes]]", f'id = "{id_}"']
    if parent:
        lines.append(f'parent = "{parent}"')
    if direction:
        lines.append(f'direction = "{direction}"')
    return "\n".join(lines) + "\n\n"


def header(system: str) -> str:
    return (
        f'[methodology]\nid = "{system}-like"\nsystem = "{system}"\nversion = "1"\n'
        f'label_en = "{system}"\neditions = {{ from = 2020 }}\n\n[tree]\nsource = "inline"\n\n'
    )


UMULTIRANK = (
    header("u-multirank")
    + node("u-multirank")
    + node("u-multirank.research", "u-multirank")
    + node("u-multirank.research.citations", "u-multirank.research", "higher")
    + node("u-multirank.research.publications", "u-multirank.research", "higher")
    + node("u-multirank.teaching", "u-multirank")
    + node("u-multirank.teaching.graduation", "u-multirank.teaching", "higher")
    + """
[[steps]]
type = "grade"
method = "median_distance"
thresholds = [0.25, 0.10, -0.10, -0.25]

[[steps]]
type = "aggregate"
method = "grade_counts"

[ranking]
by = "grade_counts"
ties = "ex-aequo"
"""
)


def test_u_multirank_like_grades_and_counts() -> None:
    m = parse_methodology(UMULTIRANK)
    walk = propagate(m)
    assert walk.root.kind == "counts"
    assert walk.root.interval.describe() == "[0, 3]"
    assert [s.kind for s in walk.steps] == ["grades", "counts"]


SDGS = ["sdg1", "sdg2", "sdg3", "sdg4", "sdg17"]


def impact(k: int = 3) -> str:
    tree = node("the-impact")
    for sdg in SDGS:
        tree += node(f"the-impact.{sdg}", "the-impact")
        for metric in ("research", "evidence"):
            tree += node(f"the-impact.{sdg}.{metric}", f"the-impact.{sdg}", "higher")
    others = ", ".join(f'"the-impact.{s}"' for s in SDGS[:-1])
    research = ", ".join(f'"the-impact.{s}.research"' for s in SDGS)
    weights = "\n".join(f'"the-impact.{s}" = 0.26' for s in SDGS[:-1])
    return (
        header("the-impact")
        + tree
        + f"""
[weights]
"the-impact.sdg17" = 0.22
{weights}

[[steps]]
type = "eligibility"
method = "required"
nodes = ["the-impact.sdg17"]

[[steps]]
type = "eligibility"
method = "k_of"
nodes = [{others}]
k = 3

[[steps]]
type = "impute"
method = "zero"

[[steps]]
type = "normalise"
method = "zscore"
nodes = [{research}]

[[steps]]
type = "aggregate"
method = "arithmetic"
level = 1
renormalise = false

[[steps]]
type = "rescale"
method = "minmax"
level = 1
range = [0, 100]

[[steps]]
type = "weight"
method = "best_k"
level = 0
k = {k}
always = ["the-impact.sdg17"]

[[steps]]
type = "aggregate"
method = "arithmetic"
level = 0
renormalise = false

[[steps]]
type = "round"
method = "half_up"
decimals = 1

[ranking]
ties = "equals"

[ranking.bands.default]
individual_until = 100
bands = [[101, 200], [201, 300], [301, 400], [401, 600], [601, 800], [801, 1000], [1001, inf]]
"""
    )


def test_the_impact_like_best_three_after_scaling() -> None:
    m = parse_methodology(impact())
    best = m.steps[6]
    assert isinstance(best, WeightBestK)
    assert best.params() == {"k": 3, "always": ["the-impact.sdg17"], "weights": None}
    walk = propagate(m)
    assert walk.root.interval.describe() == "[0, 100]"
    assert [s.scope for s in walk.steps][4:8] == ["level 1", "level 1", "level 0", "level 0"]
    with pytest.raises(InvalidInput) as caught:
        parse_methodology(impact(k=5))
    assert [p.message for p in caught.value.problems] == [
        "best_k keeps 5 children but 'the-impact' has 4 other (value 5)"
    ]
