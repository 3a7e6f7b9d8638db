"""Two hand-made worlds for the field composition, the scale change and the ranks inside a
dimension (every count below is the expected answer of a test).

**Points world** (system ``e``: ``e.acad`` -> ``e.a``; ``e.open`` -> ``e.div``), schools s1..s9,
all French. Methodology 2022: criteria by quantiles out of 5 points, ``e.div`` out of 3;
methodology 2023: every criterion out of 10 (a scale change). s8 is absent in 2023, so the 2023
field is s1..s7 and s9 (8 schools):

| school | intake | status | 2022 | 2023 |
|---|---|---|---|---|
| s1..s4 | post-bac | public (s3 private) | yes | yes |
| s5, s6 | post-prepa | public, private | yes | yes |
| s7 | apprenticeship | public | yes | yes |
| s8 | post-prepa | private | yes | no |
| s9 | (none) | private | yes | yes |

2023: intake post-prepa 2, post-bac 4, apprenticeship 1 (s9 not counted); status public 5,
private 3. The subsets list post-prepa before post-bac, and a country subset (never counted).

**Grades world** (system ``g``: ``g.t`` -> t1, t2, t3; ``g.r`` -> r1, r2), 2021, grades by the
distance to the median (A from +25 %). Every value is 100 (grade C) except the 200s (grade A)
below; no leaf has more than 5 of 13 values at 200, so every median is 100.

| leaf | 200 (A) |
|---|---|
| t1 | d1, f1, f2, f3, f4 |
| t2 | d1, f1, f2, f3 |
| t3 | d1 |
| r1 | f1, f4, f6 |
| r2 | f4 |

A counts: teaching d1 3, f1 2, f2 2, f3 2, f4 1; research f4 2, f1 1, f6 1. France: f1..f6 (6
with grades); Occitanie: f1, f2, f5; Île-de-France: f3, f4, f6; d1..d7 are German.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from palmares.dataset import Dataset

POINTS_METHOD = """
[methodology]
id = "e"
system = "e"
version = "{version}"
label_en = "E palmarès"
editions = {editions}

[tree]
source = "bundle"

[[steps]]
type = "points"
method = "quantiles"
max_points = {points}
{override}

[[steps]]
type = "aggregate"
method = "sum_points"

[ranking]
rank_on = "published"
decimals = 0
method = "competition"
ties = "ex-aequo"

[subsets.france]
label_en = "France"
where = {{ country = "FR" }}

[subsets.post-prepa]
label_en = "Post-prepa schools"
where = {{ intake = "post-prepa" }}

[subsets.post-bac]
label_en = "Post-bac schools"
where = {{ intake = "post-bac" }}

[subsets.public]
label_en = "Public schools"
where = {{ status = "public" }}

[subsets.private]
label_en = "Private schools"
where = {{ status = "private" }}
"""

GRADES_METHOD = """
[methodology]
id = "g"
system = "g"
version = "1"
label_en = "G grades"
editions = { from = 2021 }

[tree]
source = "bundle"

[[steps]]
type = "grade"
method = "median_distance"
thresholds = [0.25, 0.10, -0.10, -0.25]

[[steps]]
type = "aggregate"
method = "grade_counts"

[ranking]
by = "grade_counts"
method = "competition"
ties = "ex-aequo"
"""

INTAKE = {
    "s1": "post-bac",
    "s2": "post-bac",
    "s3": "post-bac",
    "s4": "post-bac",
    "s5": "post-prepa",
    "s6": "post-prepa",
    "s7": "apprenticeship",
    "s8": "post-prepa",
    "s9": None,
}
STATUS = {
    "s1": "public",
    "s2": "public",
    "s3": "private",
    "s4": "public",
    "s5": "public",
    "s6": "private",
    "s7": "public",
    "s8": "private",
    "s9": "private",
}
A_GRADES = {
    "g.t1": ("d1", "f1", "f2", "f3", "f4"),
    "g.t2": ("d1", "f1", "f2", "f3"),
    "g.t3": ("d1",),
    "g.r1": ("f1", "f4", "f6"),
    "g.r2": ("f4",),
}
REGIONS = {
    "f1": ("FR-OCC", "Occitanie"),
    "f2": ("FR-OCC", "Occitanie"),
    "f5": ("FR-OCC", "Occitanie"),
    "f3": ("FR-IDF", "Île-de-France"),
    "f4": ("FR-IDF", "Île-de-France"),
    "f6": ("FR-IDF", "Île-de-France"),
}


def write_points_methods(folder: Path) -> tuple[Path, Path]:
    """2022 (out of 5, diversity out of 3) and 2023 (every criterion out of 10)."""
    folder.mkdir(parents=True, exist_ok=True)
    a, b = folder / "e2022.toml", folder / "e2023.toml"
    override = '\n[steps.overrides."e.div"]\nmax_points = 3\n'
    a.write_text(
        POINTS_METHOD.format(
            version="2022", editions="{ from = 2022, to = 2022 }", points=5, override=override
        ),
        encoding="utf-8",
    )
    b.write_text(
        POINTS_METHOD.format(version="2023", editions="{ from = 2023 }", points=10, override=""),
        encoding="utf-8",
    )
    return a, b


def write_grades_method(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "g.toml"
    path.write_text(GRADES_METHOD, encoding="utf-8")
    return path


def _indicators(labels: dict[str, tuple[str, str, str]]) -> pd.DataFrame:
    """``{id: (parent, label_fr, label_en)}``; leaves are higher-better."""
    parents = {parent for parent, _, _ in labels.values()}
    return pd.DataFrame(
        {
            "id": list(labels),
            "label_fr": [fr for _, fr, _ in labels.values()],
            "label_en": [en for _, _, en in labels.values()],
            "parent": [parent for parent, _, _ in labels.values()],
            "direction": ["" if i in parents else "higher" for i in labels],
        }
    )


def points_world() -> Dataset:
    ids = list(INTAKE)
    institutions = pd.DataFrame(
        {
            "id": ids,
            "name": [f"École {i.upper()}" for i in ids],
            "country": "FR",
            "gender": "f",
            "intake": [INTAKE[i] for i in ids],
            "status": [STATUS[i] for i in ids],
        }
    )
    indicators = _indicators(
        {
            "e": ("", "Palmarès E", "E palmarès"),
            "e.acad": ("e", "Excellence", "Excellence"),
            "e.open": ("e", "Ouverture", "Openness"),
            "e.a": ("e.acad", "Recherche", "Research"),
            "e.div": ("e.open", "Diversité", "Diversity"),
        }
    )
    rows = []
    for year in (2022, 2023):
        for k, inst in enumerate(ids, start=1):
            if year == 2023 and inst == "s8":
                continue
            rows.append((inst, "e.a", "e", year, 10.0 * k, "reported"))
            rows.append((inst, "e.div", "e", year, float(k), "reported"))
    observations = pd.DataFrame(
        rows, columns=["institution", "indicator", "system", "year", "value", "status"]
    )
    editions = pd.DataFrame({"system": ["e", "e"], "year": [2022, 2023]})
    return Dataset.from_frames(
        {
            "institutions": institutions,
            "indicators": indicators,
            "editions": editions,
            "observations": observations,
        }
    )


def grades_world(without_region_code: tuple[str, ...] = ()) -> Dataset:
    """``without_region_code``: institutions that keep their region name but lose its code."""
    ids = [f"f{k}" for k in range(1, 7)] + [f"d{k}" for k in range(1, 8)]
    institutions = pd.DataFrame(
        {
            "id": ids,
            "name": [f"École {i.upper()}" for i in ids],
            "country": ["FR" if i.startswith("f") else "DE" for i in ids],
            "region_code": [
                "" if i in without_region_code else REGIONS.get(i, ("", ""))[0] for i in ids
            ],
            "region": [REGIONS.get(i, ("", ""))[1] for i in ids],
            "gender": "f",
        }
    )
    indicators = _indicators(
        {
            "g": ("", "Classement G", "G ranking"),
            "g.t": ("g", "Enseignement et apprentissage", "Teaching and learning"),
            "g.r": ("g", "Recherche", "Research"),
            **{leaf: (leaf[:3], leaf, leaf) for leaf in A_GRADES},
        }
    )
    rows = [
        (inst, leaf, "g", 2021, 200.0 if inst in tops else 100.0, "reported")
        for leaf, tops in A_GRADES.items()
        for inst in ids
    ]
    observations = pd.DataFrame(
        rows, columns=["institution", "indicator", "system", "year", "value", "status"]
    )
    editions = pd.DataFrame({"system": ["g"], "year": [2021]})
    return Dataset.from_frames(
        {
            "institutions": institutions,
            "indicators": indicators,
            "editions": editions,
            "observations": observations,
        }
    )
