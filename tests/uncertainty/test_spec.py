"""Uncertainty specs: validated, and located errors when they vary what the methodology lacks."""

from __future__ import annotations

import pytest
from conftest import FULL, MEAN, make_methodology

from palmares.problems import InvalidInput
from palmares.uncertainty.spec import check_spec, load_spec, option_methodology, parse_spec


def problems_of(error: pytest.ExceptionInfo[InvalidInput]) -> list[str]:
    return [p.to_text() for p in error.value.problems]


def test_defaults_and_uncertainty_table() -> None:
    loaded = parse_spec(
        """
[uncertainty]
chunk = 500
quantiles = [0.1, 0.9]

[uncertainty.weights]
method = "uniform"
spread = 0.25
"""
    )
    assert loaded.spec.chunk == 500
    assert loaded.spec.quantiles == (0.1, 0.9)
    assert loaded.spec.weights.method == "uniform"
    assert parse_spec("top_k = 3\n").spec.weights.method == "dirichlet"


def test_shape_errors_are_located_with_line_and_key_path() -> None:
    with pytest.raises(InvalidInput) as error:
        parse_spec(
            """
[uncertainty]
chunk = 0

[uncertainty.weights]
method = "gaussian"
sprad = 0.1
""",
            "u.toml",
        )
    lines = problems_of(error)
    assert any("u.toml" in t and ":3:" in t and "uncertainty.chunk" in t for t in lines), lines
    assert any(":6:" in t and "uncertainty.weights.method" in t for t in lines), lines
    assert any(":7:" in t and "unknown key 'sprad'" in t for t in lines), lines


def test_varying_a_step_the_methodology_lacks_fails_loudly() -> None:
    loaded = parse_spec(
        """
[[alternatives]]
step = "impute"
options = [{ method = "median" }]

[[alternatives]]
step = "normalise"
options = [{ method = "nonsense" }, { method = "zscore", sd = -1 }]
""",
        "spec.toml",
    )
    with pytest.raises(InvalidInput) as error:
        check_spec(loaded, make_methodology(MEAN, "", 'rank_on = "unrounded"'))
    lines = problems_of(error)
    assert any(
        "spec.toml" in t
        and ":3:" in t
        and "alternatives[0].step" in t
        and "has no 'impute' step" in t
        and "invalid-uncertainty" in t
        for t in lines
    ), lines
    assert any("alternatives[1].step" in t and "no 'normalise'" in t for t in lines), lines


def test_bad_options_and_unknown_nodes_are_reported_together() -> None:
    loaded = parse_spec(
        """
[weights]
parents = ["s.nowhere"]

[[alternatives]]
step = "normalise"
options = [{ method = "nonsense" }, { method = "zscore", sd = -1 }]

[exclude]
nodes = ["s.x"]

[noise]
per_indicator = { "s.zz" = 0.1 }
"""
    )
    with pytest.raises(InvalidInput) as error:
        check_spec(loaded, make_methodology(FULL), ["s", "s.a", "s.b"])
    lines = problems_of(error)
    assert any("alternatives[0].options[0].method" in t for t in lines), lines
    assert any("alternatives[0].options[1].sd" in t for t in lines), lines
    assert any("weights.parents[0]" in t and "s.nowhere" in t for t in lines), lines
    assert any("exclude.nodes[0]" in t and "'s.x'" in t for t in lines), lines
    assert any("noise.per_indicator" in t and "'s.zz'" in t for t in lines), lines


def test_option_methodology_replaces_one_step() -> None:
    m = make_methodology(FULL)
    loaded = parse_spec('[[alternatives]]\nstep = "normalise"\noptions = [{ method = "rank" }]\n')
    alt = loaded.spec.alternatives[0]
    assert option_methodology(m, alt, 0) is m
    changed = option_methodology(m, alt, 1)
    assert [s.tag for s in changed.steps][1] == "normalise.rank"
    assert [s.tag for s in m.steps][1] == "normalise.minmax"


def test_load_spec_from_a_file(tmp_path) -> None:
    path = tmp_path / "u.toml"
    path.write_text("top_k = 7\n", encoding="utf-8")
    assert load_spec(path).spec.top_k == 7
    with pytest.raises(InvalidInput):
        load_spec(tmp_path / "missing.toml")
