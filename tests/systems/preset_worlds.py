"""Small hand-made datasets shaped like the demo world, for the presets' known-answer tests."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import pandas as pd

from palmares.dataset import Dataset

#: A cell: a number, None (missing) or "n/a" (not applicable).
Cell = float | int | str | None


def make_dataset(
    system: str,
    year: int,
    tree: Mapping[str, str],
    values: Mapping[str, Sequence[Cell]],
    *,
    institutions: Sequence[Mapping[str, Any]] | None = None,
) -> Dataset:
    """One edition of ``system``: ``tree`` maps node -> parent ("" for the root; leaves are the
    nodes nobody names as parent); ``values`` maps a leaf to one cell per institution (ids i0,
    i1, ...). ``institutions`` gives extra attributes per institution (name, country, ...)."""
    n = len(next(iter(values.values())))
    rows = [dict(institutions[k]) if institutions else {} for k in range(n)]
    for k, row in enumerate(rows):
        row.setdefault("id", f"i{k}")
        row.setdefault("name", f"Inst {k:02d}")
        row.setdefault("country", "FR")
    inst = pd.DataFrame(rows)
    parents = set(tree.values())
    indicators = pd.DataFrame(
        {
            "id": list(tree),
            "label_en": list(tree),
            "label_fr": list(tree),
            "parent": list(tree.values()),
            "direction": ["" if node in parents else "higher" for node in tree],
        }
    )
    obs = []
    for leaf, column in values.items():
        for k, v in enumerate(column):
            if v == "n/a":
                obs.append((rows[k]["id"], leaf, system, year, None, "not_applicable"))
            elif v is None:
                obs.append((rows[k]["id"], leaf, system, year, None, "missing"))
            else:
                obs.append((rows[k]["id"], leaf, system, year, float(v), "reported"))
    observations = pd.DataFrame(
        obs, columns=["institution", "indicator", "system", "year", "value", "status"]
    )
    editions = pd.DataFrame({"system": [system], "year": [year]})
    return Dataset(
        {
            "institutions": inst,
            "indicators": indicators,
            "editions": editions,
            "observations": observations,
        }
    )
