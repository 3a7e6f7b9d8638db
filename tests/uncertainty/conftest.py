"""Small datasets and methodologies for the uncertainty tests."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd
import pytest

from palmares.dataset import Dataset
from palmares.methodology import Methodology, load_methodology


def make_dataset(
    parents: Mapping[str, str],
    values: Mapping[int, Mapping[str, Sequence[float | None]]],
) -> Dataset:
    """System ``s`` with the given tree; ``values[year][leaf]`` lists one value per institution."""
    first = next(iter(values.values()))
    n = len(next(iter(first.values())))
    ids = [f"i{k}" for k in range(n)]
    rows = []
    for year, table in values.items():
        for node, column in table.items():
            for k, v in enumerate(column):
                rows.append((ids[k], node, "s", year, v, "missing" if v is None else "reported"))
    inner = set(parents.values())
    return Dataset(
        {
            "institutions": pd.DataFrame(
                {"id": ids, "name": [f"Inst {k}" for k in range(n)], "country": "FR"}
            ),
            "indicators": pd.DataFrame(
                {
                    "id": list(parents),
                    "label_en": list(parents),
                    "label_fr": list(parents),
                    "parent": list(parents.values()),
                    "direction": ["" if node in inner else "higher" for node in parents],
                }
            ),
            "editions": pd.DataFrame({"system": "s", "year": sorted(values)}),
            "observations": pd.DataFrame(
                rows, columns=["institution", "indicator", "system", "year", "value", "status"]
            ),
        }
    )


def make_methodology(steps: str, weights: str = "", ranking: str = "") -> Methodology:
    return load_methodology(
        f"""
[methodology]
id = "t"
system = "s"
version = "1"
label_en = "test"
editions = {{ from = 2020 }}

[weights]
{weights}

{steps}

[ranking]
{ranking}
"""
    )


MEAN = """
[[steps]]
type = "aggregate"
method = "arithmetic"
"""

FULL = """
[[steps]]
type = "impute"
method = "none"

[[steps]]
type = "normalise"
method = "minmax"
range = [0, 100]

[[steps]]
type = "aggregate"
method = "arithmetic"

[[steps]]
type = "rescale"
method = "top100"

[[steps]]
type = "round"
method = "half_up"
decimals = 1
"""

TWO_LEVELS = {
    "s": "",
    "s.p": "s",
    "s.q": "s",
    "s.a": "s.p",
    "s.b": "s.p",
    "s.c": "s.p",
    "s.d": "s.q",
    "s.e": "s.q",
}


def random_values(n: int, seed: int, missing: float = 0.1) -> dict[str, list[float | None]]:
    rng = np.random.default_rng(seed)
    out: dict[str, list[float | None]] = {}
    for leaf in ("s.a", "s.b", "s.c", "s.d", "s.e"):
        x = np.exp(rng.normal(size=n))
        gap = rng.random(n) < missing
        gap[:2] = False  # every column keeps values
        out[leaf] = [None if g else float(v) for v, g in zip(x, gap, strict=True)]
    return out


@pytest.fixture
def field() -> Dataset:
    """40 institutions, two editions, a 2-level tree, 10 % gaps."""
    return make_dataset(TWO_LEVELS, {2023: random_values(40, 1), 2024: random_values(40, 2)})


@pytest.fixture
def full_method() -> Methodology:
    return make_methodology(FULL, '"s.p" = 0.6\n"s.q" = 0.4', 'ties = "equals"')


@pytest.fixture(scope="session")
def demo_world() -> Dataset:
    """The default demo world (seed 0), generated once per test session."""
    from palmares.demo import generate

    return generate(0)
