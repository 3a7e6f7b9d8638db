"""``engine.run(..., reference=...)``: leaf statistics over a resampled population, every
institution still scored."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from palmares.dataset import Dataset
from palmares.demo import generate
from palmares.engine import run
from palmares.methodology import load_methodology


@pytest.fixture(scope="module")
def world() -> Dataset:
    return generate(0)


def same(a, b) -> None:
    for field in ("leaf_values", "node_values", "score", "grades"):
        x, y = getattr(a, field), getattr(b, field)
        if x is None:
            assert y is None
        else:
            np.testing.assert_array_equal(x, y)
    np.testing.assert_array_equal(a.ranking.rank, b.ranking.rank)


@pytest.mark.parametrize(
    ("preset", "edition"), [("the-impact", 2024), ("letudiant", 2024), ("u-multirank", 2022)]
)
def test_reference_of_ones_is_the_nominal_run(world, preset, edition) -> None:
    nominal = run(world, preset, edition, data_hash="x")
    ones = np.ones(len(nominal.institutions), dtype=np.int64)
    same(run(world, preset, edition, data_hash="x", reference=ones), nominal)


def small() -> tuple[Dataset, object]:
    ids = ["a", "b", "c", "d"]
    values = {"s.x": [0.0, 10.0, 20.0, 40.0], "s.y": [4.0, 3.0, 2.0, 1.0]}
    rows = [
        (i, node, "s", 2024, v[k], "reported")
        for node, v in values.items()
        for k, i in enumerate(ids)
    ]
    ds = Dataset(
        {
            "institutions": pd.DataFrame({"id": ids, "name": ids, "country": "FR"}),
            "indicators": pd.DataFrame(
                {
                    "id": ["s", "s.x", "s.y"],
                    "label_en": ["s", "x", "y"],
                    "label_fr": ["s", "x", "y"],
                    "parent": ["", "s", "s"],
                    "direction": ["", "higher", "higher"],
                }
            ),
            "editions": pd.DataFrame({"system": ["s"], "year": [2024]}),
            "observations": pd.DataFrame(
                rows, columns=["institution", "indicator", "system", "year", "value", "status"]
            ),
        }
    )
    m = load_methodology(
        """
[methodology]
id = "t"
system = "s"
version = "1"
label_en = "t"
editions = { from = 2020 }

[[steps]]
type = "normalise"
method = "minmax"
range = [0, 100]

[[steps]]
type = "aggregate"
method = "arithmetic"

[ranking]
rank_on = "unrounded"
"""
    )
    return ds, m


def test_minmax_over_a_given_resample_by_hand() -> None:
    """Resample b, b, c: x in [10, 20], y in [2, 3]; a and d, not drawn, are still scored."""
    ds, m = small()
    done = run(ds, m, 2024, data_hash="x", reference=[0, 2, 1, 0])
    np.testing.assert_allclose(done.leaf_values[:, 0], [-100.0, 0.0, 100.0, 300.0])
    np.testing.assert_allclose(done.leaf_values[:, 1], [200.0, 100.0, 0.0, -100.0])
    np.testing.assert_allclose(done.score, [50.0, 50.0, 50.0, 100.0])
    np.testing.assert_array_equal(done.ranking.rank, [2, 2, 2, 1])
    nominal = run(ds, m, 2024, data_hash="x")
    np.testing.assert_allclose(nominal.leaf_values[:, 0], [0.0, 25.0, 50.0, 100.0])
    with pytest.raises(ValueError, match="one multiplicity per institution"):
        run(ds, m, 2024, data_hash="x", reference=[1, 1])
