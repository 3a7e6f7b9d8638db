"""What a bundle holds, in numbers: the summary ``palmares demo`` prints (contracts section 4)."""

from __future__ import annotations

from typing import Any

import pandas as pd

from palmares.dataset import Dataset
from palmares.schema import VALUED_STATUSES


def edition_table(ds: Dataset) -> pd.DataFrame:
    """One row per (system, year): field, leaves with rows, valued cells and coverage.

    Coverage = (reported + estimated) / (field x leaves), where the field is the institutions
    with a row in the edition and the leaves those with a row in it (the edition's own leaves).
    """
    obs = ds.observations
    valued = obs["status"].isin(sorted(VALUED_STATUSES))
    grouped = obs.assign(valued=valued).groupby(["system", "year"], sort=True)
    table = pd.DataFrame(
        {
            "field": grouped["institution"].nunique(),
            "leaves": grouped["indicator"].nunique(),
            "valued": grouped["valued"].sum(),
        }
    ).reset_index()
    table["coverage"] = table["valued"] / (table["field"] * table["leaves"])
    return table


def summarise(ds: Dataset) -> dict[str, Any]:
    """Institutions, countries, systems, editions, indicators, observations, fields, coverage.

    ``editions`` lists each system's years; ``indicators`` counts each system's leaves;
    ``fields`` (institutions), ``leaves`` (indicators with rows) and ``coverage`` are keyed by
    system then edition year (as a string, JSON-ready).
    """
    institutions = ds.institutions
    table = edition_table(ds)
    systems = list(ds.systems)
    rows = list(
        zip(
            table["system"].tolist(),
            table["year"].tolist(),
            table["field"].tolist(),
            table["leaves"].tolist(),
            table["coverage"].tolist(),
            strict=True,
        )
    )
    return {
        "institutions": len(institutions),
        "countries": int(institutions["country"].nunique()),
        "systems": systems,
        "editions": {s: list(ds.edition_years(s)) for s in systems},
        "indicators": {s: len(ds.tree(s).leaves) for s in systems},
        "observations": len(ds.observations),
        "fields": {s: {str(y): int(f) for t, y, f, _, _ in rows if t == s} for s in systems},
        "leaves": {s: {str(y): int(n) for t, y, _, n, _ in rows if t == s} for s in systems},
        "coverage": {
            s: {str(y): round(float(c), 4) for t, y, _, _, c in rows if t == s} for s in systems
        },
    }
