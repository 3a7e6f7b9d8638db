"""Sobol indices: a dummy factor (identical alternatives) has indices 0 within its interval."""

from __future__ import annotations

import numpy as np

from palmares.uncertainty.sensitivity import sensitivity
from palmares.uncertainty.spec import parse_spec

SPEC = """
[weights]
method = "uniform"
spread = 0.5
parents = ["s"]

[[alternatives]]
step = "normalise"
options = [{ method = "minmax", range = [0, 100] }]
"""


def test_dummy_alternative_has_zero_indices_and_weights_matter(field, full_method) -> None:
    found = sensitivity(field, full_method, 2024, 64, spec=parse_spec(SPEC), seed=1)
    assert found.factors == ("weight:s.p", "weight:s.q", "alternative:normalise")
    assert found.runs == 64 * (3 + 2)
    dummy = 2
    assert (
        found.first[dummy] - found.first_conf[dummy]
        <= 0
        <= found.first[dummy] + found.first_conf[dummy]
    )
    assert (
        found.total[dummy] - found.total_conf[dummy]
        <= 0
        <= found.total[dummy] + found.total_conf[dummy]
    )
    assert found.total[dummy] == 0.0
    # the two root weights drive every rank move
    assert (found.total[:2] > 0).all()
    frame = found.to_frame()
    np.testing.assert_allclose(frame["interaction"], found.total - found.first)
    doc = found.to_json()
    assert doc["output"] == "mean_abs_rank_shift"
    assert [f["factor"] for f in doc["factors"]] == list(found.factors)


def test_one_institution_rank_and_same_seed_same_indices(field, full_method) -> None:
    spec = parse_spec(SPEC)
    a = sensitivity(field, full_method, 2024, 32, spec=spec, seed=4, institution="i5")
    b = sensitivity(field, full_method, 2024, 32, spec=spec, seed=4, institution="i5")
    assert a.output == "rank:i5"
    np.testing.assert_array_equal(a.total, b.total)
    np.testing.assert_array_equal(a.first_conf, b.first_conf)
