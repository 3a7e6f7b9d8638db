"""Small datasets for reliability tests: names that try to become formulas or scripts."""

from __future__ import annotations

import pandas as pd

from palmares.dataset import Dataset
from palmares.methodology import Methodology, load_methodology

#: Names that must come out inert in every export.
PAYLOADS: tuple[str, ...] = (
    '=HYPERLINK("http://x","y")',
    "+1+1",
    "@SUM(A1)",
    "<script>alert(1)</script>",
    "Bare\rCR",
    "-31",
)

METHOD = """
[methodology]
id = "t"
system = "s"
version = "1"
label_en = "test"
editions = [2024]

[weights]

[[steps]]
type = "normalise"
method = "minmax"
range = [0, 100]

[[steps]]
type = "aggregate"
method = "arithmetic"

[ranking]
rank_on = "unrounded"
ties = "equals"
"""


def payload_world(names: tuple[str, ...] = PAYLOADS) -> Dataset:
    """System ``s`` (one edition, 2024) with leaves a and b; institutions named ``names``,
    two of them tied (the tie display ``=N`` is text that looks like a formula)."""
    n = len(names)
    ids = [f"i{k}" for k in range(n)]
    institutions = pd.DataFrame(
        {"id": ids, "name": list(names), "country": ["FR" if k % 2 else "DE" for k in range(n)]}
    )
    parents = {"s": "", "s.a": "s", "s.b": "s"}
    indicators = pd.DataFrame(
        {
            "id": list(parents),
            "label_en": list(parents),
            "label_fr": list(parents),
            "parent": list(parents.values()),
            "direction": ["", "higher", "higher"],
        }
    )
    a = [float(k) for k in range(n)]
    a[1] = a[0]  # i0 and i1 tie
    rows = [(ids[k], "s.a", "s", 2024, a[k], "reported") for k in range(n)]
    rows += [(ids[k], "s.b", "s", 2024, 1.0, "reported") for k in range(n)]
    observations = pd.DataFrame(
        rows, columns=["institution", "indicator", "system", "year", "value", "status"]
    )
    return Dataset(
        {
            "institutions": institutions,
            "indicators": indicators,
            "editions": pd.DataFrame({"system": ["s"], "year": [2024]}),
            "observations": observations,
        }
    )


def payload_method() -> Methodology:
    return load_methodology(METHOD)
