"""The the-impact preset on hand-made data: the worked example, eligibility, per-SDG tables."""

from __future__ import annotations

import numpy as np
from preset_worlds import make_dataset

from palmares.dataset import Dataset
from palmares.engine import run

T = "the-impact"
SDGS = [f"{T}.sdg{k:02d}" for k in range(1, 18)]
TREE = {T: ""} | dict.fromkeys(SDGS, T)
TREE |= {f"{s}.{m}": s for s in SDGS for m in ("research", "continuous", "evidence")}
USED = [f"{T}.sdg17", f"{T}.sdg01", f"{T}.sdg02", f"{T}.sdg03", f"{T}.sdg04"]


def world(year: int = 2022):
    """Research and continuous metrics are equal for every submitter, so their z-scores are 0
    and they score 50 each: an SDG scores 0.27 x 50 + 0.20 x 50 + 0.53 x evidence, and min-max
    over the overall table gives back the evidence when the table's evidence spans 0..100.

    i0 (the worked example): evidence 80 (SDG 17), 90, 85, 70, 60.
    i1, i2 pin every SDG's minimum (0) and maximum (100).
    i3 submits SDG 17 and only two others, with 150 on SDG 1: out of the overall table, first
    in SDG 1's table, and its 150 does not move the overall table's scaling.
    i4 misses SDG 3's evidence inside a submitted SDG: it counts 0, marked imputed.
    """
    evidence = {
        USED[0]: [80, 0, 100, 50, 40],
        USED[1]: [90, 0, 100, 150, 40],
        USED[2]: [85, 0, 100, 20, 40],
        USED[3]: [70, 0, 100, "n/a", None],
        USED[4]: [60, 0, 100, "n/a", 40],
    }
    values: dict[str, list] = {}
    for sdg, column in evidence.items():
        na = ["n/a" if v == "n/a" else 10.0 for v in column]
        values[f"{sdg}.research"] = na
        values[f"{sdg}.continuous"] = na
        values[f"{sdg}.evidence"] = column
    # an SDG nobody in the overall table submitted except i2: not a candidate for the others
    values[f"{T}.sdg05.research"] = ["n/a", "n/a", 10.0, "n/a", "n/a"]
    values[f"{T}.sdg05.continuous"] = ["n/a", "n/a", 10.0, "n/a", "n/a"]
    values[f"{T}.sdg05.evidence"] = ["n/a", "n/a", 100.0, "n/a", "n/a"]
    institutions = [{"country": c} for c in ("FR", "FR", "DE", "FR", "FR")]
    return make_dataset(T, year, TREE, values, institutions=institutions)


def test_worked_example_gives_81_3() -> None:
    result = run(world(), T, 2022)
    assert result.score[0] == 81.3  # 0.22 x 80 + 0.26 x (90 + 85 + 70); the 60 is ignored
    scaled = [result.node_scores(s)[0] for s in USED]
    np.testing.assert_allclose(scaled, [80, 90, 85, 70, 60])
    assert result.node_weights[0, result.tree.index(f"{T}.sdg04")] == 0.0
    assert result.score[1] == 0.0 and result.score[2] == 100.0


def test_sdg17_plus_two_others_is_out_of_the_overall_table_but_in_those_sdg_tables() -> None:
    result = run(world(), T, 2022)
    assert result.eligible.tolist() == [True, True, True, False, True]
    assert result.ranking.rank[3] == 0 and np.isnan(result.score[3])
    assert result.field_size == 4 and result.submitters == 5
    sdg01 = result.node_table(f"{T}.sdg01")
    # unscaled SDG 1: 23.5 + 0.53 x evidence; i3's 150 is first
    assert sdg01.rank.tolist() == [3, 5, 2, 1, 4]
    assert sdg01.field_size == 5
    assert result.node_table(f"{T}.sdg17").rank[3] == 3
    sdg03 = result.node_table(f"{T}.sdg03")
    assert sdg03.rank[3] == 0  # not submitted: not ranked there
    assert result.node_key(f"{T}.sdg01")[3] == 23.5 + 0.53 * 150
    national = result.node_subset_ranks(f"{T}.sdg01", "country")
    assert national.tolist() == [2, 4, 1, 1, 3]


def test_missing_metric_inside_a_submitted_sdg_counts_zero_and_is_marked() -> None:
    result = run(world(), T, 2022)
    leaf = result.leaves.index(f"{T}.sdg03.evidence")
    assert result.imputed[4, leaf] and result.leaf_values[4, leaf] == 0.0
    # not-applicable metrics are never imputed
    assert not result.imputed[3].any()
    assert result.node_key(f"{T}.sdg03")[4] == 23.5


def test_unsubmitted_sdg_is_never_among_the_best_three() -> None:
    result = run(world(), T, 2022)
    j = result.tree.index(f"{T}.sdg05")
    assert np.isnan(result.node_values[0, j])
    assert result.node_table(f"{T}.sdg05").rank.tolist() == [0, 0, 1, 0, 0]


def test_2019_sets_only_the_top_of_each_sdg_to_100() -> None:
    """2019 has eleven SDGs (no SDG 1 or 2): the same world with SDGs 1 and 2 renamed 8 and 9."""
    ds = world(2019)
    rename = {f"{T}.sdg01": f"{T}.sdg08", f"{T}.sdg02": f"{T}.sdg09"}

    def renamed(node: str) -> str:
        for old, new in rename.items():
            node = node.replace(old, new)
        return node

    obs = ds.observations.assign(indicator=ds.observations["indicator"].map(renamed))
    ds = Dataset(
        {
            "institutions": ds.institutions,
            "indicators": ds.indicators,
            "editions": ds.editions,
            "observations": obs,
        }
    )
    result = run(ds, T, 2019)
    assert result.eligible.tolist() == [True, True, True, False, True]
    # SDG 17 unscaled: 23.5 + 0.53 e; top100 over the table (max 23.5 + 53 = 76.5)
    s17 = result.node_scores(f"{T}.sdg17")
    np.testing.assert_allclose(s17[0], (23.5 + 0.53 * 80) / 76.5 * 100)
    np.testing.assert_allclose(s17[1], 23.5 / 76.5 * 100)  # the minimum is not set to 0
    assert result.methodology.methodology.version == "2019"


def test_an_sdg_submitted_with_every_metric_missing_still_counts_for_eligibility() -> None:
    ds = world()
    obs = ds.observations.copy()
    hit = (obs["institution"] == "i3") & obs["indicator"].str.startswith(f"{T}.sdg03.")
    obs.loc[hit, "status"] = "missing"
    tables = {
        "institutions": ds.institutions,
        "indicators": ds.indicators,
        "editions": ds.editions,
        "observations": obs,
    }
    result = run(Dataset(tables), T, 2022)
    assert result.eligible[3]  # SDG 17 + SDGs 1, 2 and 3 (declared, every metric missing)
    assert result.node_key(f"{T}.sdg03")[3] == 0.0  # three metrics counted 0
    assert result.imputed[3].sum() == 3


def test_per_sdg_table_as_rows() -> None:
    result = run(world(), T, 2022)
    frame = result.node_frame(f"{T}.sdg01")
    assert frame["institution"].tolist() == ["i3", "i2", "i0", "i4", "i1"]
    assert frame["in_overall_table"].tolist() == [False, True, True, True, True]
    assert frame["score"].tolist()[0] == 103.0  # 23.5 + 0.53 x 150 = 103 at one decimal
    assert frame["national_rank"].tolist() == [1, 1, 2, 3, 4]
