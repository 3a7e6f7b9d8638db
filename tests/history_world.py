"""A small hand-made world for history, network and CLI tests (values chosen so every rank,
band, group and movement can be computed by hand; see the comments).

System ``s``: ``s`` -> ``s.p`` (``s.a``, ``s.b``) and ``s.q`` (``s.c``). Every leaf has 0
(``bottom``) and 100 (``top``) in every edition, so min-max to [0, 100] leaves values unchanged
and an institution with a = b = c = v scores v (score = mean(mean(a, b), c)).

Methodology A (2020-2022): min-max [0, 100], arithmetic means, ex-aequo ties, ranks 1..3
printed one by one then bands 4-5 and 6+, groups by points A >= 75, B >= 0.
Methodology B (2023): the same with min-max [0, 10] (a scale change): scores are v / 10.
2024 has no observations: its table is published (ranks and bands as printed).

Scores (value v per institution, ``-`` absent):

| id | country | 2020 | 2021 | 2022 | 2023 |
|---|---|---|---|---|---|
| top | FR | 100 | 100 | 100 | 100 |
| x | FR | 80 | - | 85 | 90 |
| old (renamed ``new`` in 2022) | FR | 70 | 75 | | |
| new | FR | | | 90 | 80 |
| y | FR | 60 | 65 (a 70, b 60, c 65) | 70 | 70 |
| z | FR | 60 | 60 | 50 | 70 |
| m1, m2 (merged into ``mm`` 2022) | FR | 50, 40 | 50, 45 | | |
| mm | FR | | | 55 | 60 |
| w | DE | | 30 | 40 | 50 |
| v | FR | | | 20 | 40 |
| u | DE | | | | 30 |
| bottom | DE | 0 | 0 | 0 | 0 |

Network ``net``: x and z members from 2020, w from 2021, new from 2022.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from palmares.dataset import Dataset

COUNTRY = {
    "top": "FR",
    "x": "FR",
    "old": "FR",
    "new": "FR",
    "y": "FR",
    "z": "FR",
    "m1": "FR",
    "m2": "FR",
    "mm": "FR",
    "w": "DE",
    "v": "FR",
    "u": "DE",
    "bottom": "DE",
}
REGION = {
    "top": "FR-OCC",
    "x": "FR-OCC",
    "z": "FR-OCC",
    "y": "FR-IDF",
    "old": "FR-IDF",
    "new": "FR-IDF",
    "m1": "FR-IDF",
    "m2": "FR-IDF",
    "mm": "FR-IDF",
    "v": "FR-IDF",
}
VALUES: dict[int, dict[str, float]] = {
    2020: {"top": 100, "x": 80, "old": 70, "y": 60, "z": 60, "m1": 50, "m2": 40, "bottom": 0},
    2021: {"top": 100, "old": 75, "y": 65, "z": 60, "m1": 50, "m2": 45, "w": 30, "bottom": 0},
    2022: {
        "top": 100,
        "new": 90,
        "x": 85,
        "y": 70,
        "mm": 55,
        "z": 50,
        "w": 40,
        "v": 20,
        "bottom": 0,
    },
    2023: {
        "top": 100,
        "x": 90,
        "new": 80,
        "y": 70,
        "z": 70,
        "mm": 60,
        "w": 50,
        "v": 40,
        "u": 30,
        "bottom": 0,
    },
}
#: Leaves that differ from the score (y in 2021: a 70, b 60, c 65 -> p 65, q 65).
OVERRIDES = {(2021, "y"): {"s.a": 70.0, "s.b": 60.0, "s.c": 65.0}}

METHOD = """
[methodology]
id = "t"
system = "s"
version = "{version}"
label_en = "test"
editions = {editions}

[[steps]]
type = "normalise"
method = "minmax"
range = [0, {top}]

[[steps]]
type = "aggregate"
method = "arithmetic"

[ranking]
rank_on = "unrounded"
ties = "ex-aequo"
groups_by = "points"

[ranking.groups.default]
A = {group_a}
B = 0

[ranking.bands.default]
individual_until = 3
bands = [[4, 5], [6, inf]]
"""


def write_methods(folder: Path) -> tuple[Path, Path]:
    """Methodology A (2020-2022, 0..100) and B (2023-, 0..10) as two files in ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    a = folder / "a.toml"
    b = folder / "b.toml"
    a.write_text(
        METHOD.format(version="A", editions="{ from = 2020, to = 2022 }", top=100, group_a=75),
        encoding="utf-8",
    )
    b.write_text(
        METHOD.format(version="B", editions="{ from = 2023 }", top=10, group_a=7.5),
        encoding="utf-8",
    )
    return a, b


def world() -> Dataset:
    ids = list(COUNTRY)
    institutions = pd.DataFrame(
        {
            "id": ids,
            "name": [f"École {i.upper()}" for i in ids],
            "country": [COUNTRY[i] for i in ids],
            "region_code": [REGION.get(i, "") for i in ids],
            "gender": ["f"] * len(ids),
        }
    )
    parents = {"s": "", "s.p": "s", "s.q": "s", "s.a": "s.p", "s.b": "s.p", "s.c": "s.q"}
    indicators = pd.DataFrame(
        {
            "id": list(parents),
            "label_en": list(parents),
            "label_fr": list(parents),
            "parent": list(parents.values()),
            "direction": ["" if n in ("s", "s.p", "s.q") else "higher" for n in parents],
        }
    )
    rows = []
    for year, scores in VALUES.items():
        for inst, v in scores.items():
            leaves = OVERRIDES.get((year, inst), {"s.a": v, "s.b": v, "s.c": v})
            for leaf, value in leaves.items():
                rows.append((inst, leaf, "s", year, float(value), "reported"))
    observations = pd.DataFrame(
        rows, columns=["institution", "indicator", "system", "year", "value", "status"]
    )
    editions = pd.DataFrame({"system": ["s"] * 5, "year": [2020, 2021, 2022, 2023, 2024]})
    lineage = pd.DataFrame(
        {
            "predecessor": ["old", "m1", "m2"],
            "successor": ["new", "mm", "mm"],
            "year": [2022, 2022, 2022],
            "kind": ["rename", "merger", "merger"],
        }
    )
    networks = pd.DataFrame(
        {
            "network": ["net"] * 4,
            "network_name": ["The Network"] * 4,
            "institution": ["x", "z", "w", "new"],
            "role": ["member"] * 4,
            "since": [2020, 2020, 2021, 2022],
        }
    )
    # 2024 as printed: top 1, x and new joint 2nd, y and z in 4-5, mm and bottom 6+.
    published = pd.DataFrame(
        {
            "institution": ["top", "x", "new", "y", "z", "mm", "bottom"],
            "system": "s",
            "year": 2024,
            "node": "s",
            "rank": [1, 2, 2, None, None, None, None],
            "rank_display": ["1", "=2", "=2", "4–5", "4–5", "6+", "6+"],
            "band_lo": [None, None, None, 4, 4, 6, 6],
            "band_hi": [None, None, None, 5, 5, None, None],
            "score": [95.0, 90.0, 90.0, None, None, None, None],
            "score_lo": None,
            "score_hi": None,
            "status": ["ranked"] * 3 + ["banded"] * 4,
        }
    )
    return Dataset.from_frames(
        {
            "institutions": institutions,
            "indicators": indicators,
            "editions": editions,
            "observations": observations,
            "lineage": lineage,
            "networks": networks,
            "published": published,
        }
    )
