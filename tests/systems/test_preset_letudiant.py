"""The letudiant preset on hand-made data: points, totals, ex aequo, groups, dynamic ranking."""

from __future__ import annotations

import numpy as np
import pytest
from preset_worlds import make_dataset

from palmares.engine import run
from palmares.methodology import resolve_methodology
from palmares.problems import InvalidInput

L = "letudiant"
FAMILIES = {
    "academic": ["research-involvement", "doctoral-continuation", "doctoral-students"],
    "international": ["stays-abroad", "international-students", "graduates-abroad"],
    "companies": ["company-chairs", "work-placements"],
    "openness": ["diversity", "social-engagement", "societal-responsibility"],
}
TREE = {L: ""} | {f"{L}.{f}": L for f in FAMILIES}
TREE |= {f"{L}.{c}": f"{L}.{f}" for f, cs in FAMILIES.items() for c in cs}
CRITERIA = [f"{L}.{c}" for cs in FAMILIES.values() for c in cs]
SCHOOLS = [
    {
        "name": f"École {k:02d}",
        "gender": "f",
        "intake": "post-bac" if k % 2 == 0 else "post-prepa",
        "status": "public" if k < 6 else "private",
        "region_code": "FR-OCC" if k in (3, 6, 7) else "FR-IDF",
    }
    for k in range(11)
]


def world_2023():
    """Eleven schools, eleven criteria: school k has value k everywhere (k points of 10 by
    quantiles: k schools strictly below, floor(k x 11 / 11)), except that i7 equals i6 on the
    first criterion (both 6 points) and i6 and i7 swap values on the next five (i6 +5,
    i7 -5): i7 = 77 - 1 - 5 = 71 = 66 + 5 = i6."""
    values: dict[str, list[float | None]] = {c: [float(k) for k in range(11)] for c in CRITERIA}
    values[CRITERIA[0]][7] = 6.0
    for c in CRITERIA[1:6]:
        values[c][6], values[c][7] = 7.0, 6.0
    return make_dataset(L, 2023, TREE, values, institutions=SCHOOLS)


def test_points_totals_ex_aequo_and_groups_2023() -> None:
    result = run(world_2023(), L, 2023)
    expected = [0, 11, 22, 33, 44, 55, 71, 71, 88, 99, 110]
    np.testing.assert_array_equal(result.score, expected)
    frame = result.to_frame("fr", nodes=False).set_index("institution")
    assert frame.loc[["i10", "i9", "i8", "i7", "i6", "i5"], "rank"].tolist() == [1, 2, 3, 4, 4, 6]
    assert frame.loc["i7", "rank_display"] == "4e ex aequo"
    assert frame.loc["i5", "rank_display"] == "6e"
    en = result.to_frame("en", nodes=False).set_index("institution")
    assert en.loc["i6", "rank_display"] == "=4th"
    # 2023 groups: A+ from 80, A from 65, B from 48, C below
    groups = frame.loc[[f"i{k}" for k in range(10, -1, -1)], "group"].tolist()
    assert groups == ["A+", "A+", "A+", "A", "A", "B", "C", "C", "C", "C", "C"]
    assert frame.loc["i6", "group_rank"] == 1 and frame.loc["i6", "group_size"] == 2
    # points per criterion: 0..10, the first criterion's tie shares the lower class
    leaf = result.leaves.index(CRITERIA[0])
    assert result.leaf_values[[6, 7], leaf].tolist() == [6.0, 6.0]
    assert result.node_scores(f"{L}.openness")[10] == 30.0


def test_a_missing_criterion_scores_nothing() -> None:
    ds = world_2023()
    obs = ds.observations.copy()
    hit = (obs["institution"] == "i10") & (obs["indicator"] == CRITERIA[-1])
    obs.loc[hit, "value"] = np.nan
    obs.loc[hit, "status"] = "missing"
    from palmares.dataset import Dataset

    tables = {
        "institutions": ds.institutions,
        "indicators": ds.indicators,
        "editions": ds.editions,
        "observations": obs,
    }
    result = run(Dataset(tables), L, 2023)
    # ten criteria at 10 points; the field of the last criterion is ten schools (0..9 -> 0..9)
    assert result.score[10] == 100.0
    assert not result.imputed.any()


def test_dynamic_ranking_on_a_subset_of_criteria_with_filters() -> None:
    result = run(world_2023(), L, 2023)
    mine = result.personalise([f"{L}.companies"], where={"intake": "post-bac"})
    assert mine.institutions == ("i0", "i2", "i4", "i6", "i8", "i10")
    # companies = company chairs + work placements: 2k points (i6 swapped on neither)
    np.testing.assert_array_equal(mine.score, [0, 4, 8, 12, 16, 20])
    assert mine.ranking.rank.tolist() == [6, 5, 4, 3, 2, 1]
    regional = result.personalise(where={"region_code": "FR-OCC", "status": "private"})
    assert regional.institutions == ("i6", "i7")
    assert regional.ranking.rank.tolist() == [1, 1]
    assert mine.personalisation.describe() == (
        "re-ranked on criteria letudiant.companies; filters intake=post-bac"
    )


def test_until_2022_points_are_out_of_five_with_openness_as_bonus() -> None:
    values = {c: [float(k) for k in range(6)] for c in CRITERIA[:9]}  # no 2023 criteria
    tree = {k: v for k, v in TREE.items() if k not in CRITERIA[9:]}
    ds = make_dataset(L, 2020, tree, values, institutions=SCHOOLS[:6])
    result = run(ds, L, 2020)
    # 8 criteria x k points (0..5 with six schools), diversity 0..3: floor(k x 4 / 6)
    bonus = [0, 0, 1, 2, 2, 3]
    np.testing.assert_array_equal(result.score, [8 * k + bonus[k] for k in range(6)])
    assert result.ranking.group[5] == "A+"  # 43 >= 33
    # a dynamic ranking on the bonus family alone ranks on its points
    bonus_only = result.personalise([f"{L}.openness"])
    np.testing.assert_array_equal(bonus_only.score, bonus)
    assert bonus_only.ranking.rank.tolist() == [5, 5, 4, 2, 2, 1]
    assert result.methodology.methodology.version == "2018-2022"


def test_2016_uses_the_2017_structure_and_says_so() -> None:
    m = resolve_methodology("letudiant", 2016)
    assert m.applies_to(2016) and m.applies_to(2017)
    assert any("2016 had no general ranking" in a for a in m.methodology.assumptions)
    pinned = resolve_methodology("letudiant@2017", 2016)
    assert pinned.methodology.version == m.methodology.version == "2016-2017"
    with pytest.raises(InvalidInput, match="no methodology for 2015"):
        resolve_methodology("letudiant@2015", 2015)
