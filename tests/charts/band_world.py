"""A hand-built world whose 2022 edition is an imported published table with bands only.

System ``s`` (root ``s``, one leaf ``s.a``), six schools, min-max then the mean; ties ex aequo.
2020, 2021 and 2023 are computed from the values below; 2022 has no observations, only the
publisher's table, which prints bands and no rank at all:

| id | 2020 | 2021 | 2022 (printed) | 2023 |
|---|---|---|---|---|
| a | 100 (1) | 100 (1) | 1–2 | 100 (1) |
| b | 80 (=2) | 90 (2) | 1–2 | 80 (3) |
| c | 80 (=2) | 70 (3) | 3–5 | 90 (2) |
| d | 60 (4) | 60 (4) | 3–5 | 60 (4) |
| e | 40 (5) | 50 (5) | 3–5 | 40 (5) |
| f | 0 (6) | 0 (6) | 6+ | 0 (6) |
"""

from __future__ import annotations

import pandas as pd

from palmares.dataset import Dataset
from palmares.history import EditionSeries
from palmares.methodology import load_methodology

IDS = ("a", "b", "c", "d", "e", "f")
VALUES = {
    2020: (100, 80, 80, 60, 40, 0),
    2021: (100, 90, 70, 60, 50, 0),
    2023: (100, 80, 90, 60, 40, 0),
}
PRINTED = {
    "a": ("1–2", 1, 2),
    "b": ("1–2", 1, 2),
    "c": ("3–5", 3, 5),
    "d": ("3–5", 3, 5),
    "e": ("3–5", 3, 5),
    "f": ("6+", 6, None),
}
METHOD = """
[methodology]
id = "t"
system = "s"
version = "1"
label_en = "test"
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
ties = "ex-aequo"
"""


def band_world() -> Dataset:
    rows = [
        (inst, "s.a", "s", year, float(v), "reported")
        for year, values in VALUES.items()
        for inst, v in zip(IDS, values, strict=True)
    ]
    published = pd.DataFrame(
        {
            "institution": list(PRINTED),
            "system": "s",
            "year": 2022,
            "node": "s",
            "rank": None,
            "rank_display": [p[0] for p in PRINTED.values()],
            "band_lo": [p[1] for p in PRINTED.values()],
            "band_hi": [p[2] for p in PRINTED.values()],
            "score": None,
            "score_lo": None,
            "score_hi": None,
            "status": "banded",
        }
    )
    return Dataset.from_frames(
        {
            "institutions": pd.DataFrame(
                {"id": list(IDS), "name": [f"École {i.upper()}" for i in IDS], "country": "FR"}
            ),
            "indicators": pd.DataFrame(
                {
                    "id": ["s", "s.a"],
                    "label_en": ["s", "a"],
                    "label_fr": ["s", "a"],
                    "parent": ["", "s"],
                    "direction": ["", "higher"],
                }
            ),
            "editions": pd.DataFrame({"system": "s", "year": [2020, 2021, 2022, 2023]}),
            "observations": pd.DataFrame(
                rows, columns=["institution", "indicator", "system", "year", "value", "status"]
            ),
            "published": published,
        }
    )


def band_series() -> EditionSeries:
    return EditionSeries(band_world(), load_methodology(METHOD))
