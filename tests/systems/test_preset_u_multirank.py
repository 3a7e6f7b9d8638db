"""The u-multirank preset on hand-made data: grades from a known median, A counts, ties."""

from __future__ import annotations

import numpy as np
from preset_worlds import make_dataset

from palmares.engine import run
from palmares.lang import rank_label, tie_phrase
from palmares.systems import preset_path

U = "u-multirank"
TREE = {
    U: "",
    f"{U}.teaching": U,
    f"{U}.international": U,
    f"{U}.masters-graduation-rate": f"{U}.teaching",
    f"{U}.masters-on-time": f"{U}.teaching",
    f"{U}.student-mobility": f"{U}.international",
    # in the bundle's tree (the preset's overrides name them) but without data this edition
    f"{U}.bachelor-graduation-rate": f"{U}.teaching",
    f"{U}.bachelor-on-time": f"{U}.teaching",
}


def world():
    # Eleven institutions: each column's median is 100.
    # graduation: +30 % (A) for i0..i4, at the median (C) for the others.
    # on time (the teaching rates' cut-offs +/-10 %, +/-4 %): i0 and i5 +6 % (B), i10 -8 % (D).
    # mobility (the default cut-offs +/-25 %, +/-10 %): i6 +30 % (A), i7 missing (no grade),
    # i8 -30 % (E).
    values = {
        f"{U}.masters-graduation-rate": [130] * 5 + [100] * 6,
        f"{U}.masters-on-time": [106, 100, 100, 100, 100, 106, 100, 100, 100, 100, 92],
        f"{U}.student-mobility": [100, 100, 100, 100, 100, 100, 130, None, 70, 100, 100],
    }
    institutions = [
        {"name": f"École {k:02d}", "country": "FR" if k < 8 else "DE", "gender": "f"}
        for k in range(11)
    ]
    return make_dataset(U, 2021, TREE, values, institutions=institutions)


def test_grades_follow_the_distance_to_the_median() -> None:
    result = run(world(), U, 2021)
    letters = np.array(list("ABCDE"))
    grades = result.grades
    assert grades is not None
    col = result.leaves.index
    assert "".join(letters[grades[:, col(f"{U}.masters-graduation-rate")]]) == "AAAAACCCCCC"
    assert "".join(letters[grades[:, col(f"{U}.masters-on-time")]]) == "BCCCCBCCCCD"
    mobility = grades[:, col(f"{U}.student-mobility")]
    assert mobility[7] == -1  # missing: no grade, out of every count
    assert "".join(letters[np.delete(mobility, 7)]) == "CCCCCCAECC"
    assert result.methodology.id == "u-multirank"
    assert preset_path(U, 2021).name == "2016-2022.toml"


def test_five_way_tie_on_a_counts_is_first_ex_aequo_with_the_tie_size() -> None:
    result = run(world(), U, 2021)
    teaching = result.node_table(f"{U}.teaching")
    assert teaching.rank.tolist() == [1, 1, 1, 1, 1, 6, 6, 6, 6, 6, 6]
    assert teaching.tie_size[:5].tolist() == [5] * 5
    national = result.node_subset_ranks(f"{U}.teaching", "country")
    assert national.tolist() == [1, 1, 1, 1, 1, 6, 6, 6, 1, 1, 1]
    assert rank_label(1, 1, "ordinal", "fr", gender="f") == "1re"
    assert tie_phrase(int(teaching.tie_size[0]), "fr", "school") == (
        "ex aequo avec quatre autres écoles"
    )


def test_overall_standing_is_on_a_counts_and_the_display_on_a_then_b_then_name() -> None:
    result = run(world(), U, 2021)
    # A counts: i0..i4 and i6 have one A; the rest none (i7 has grades, so it is in the field).
    assert result.ranking.rank.tolist() == [1, 1, 1, 1, 1, 7, 1, 7, 7, 7, 7]
    assert result.ranking.tie_size[0] == 6
    assert result.field_size == 11
    frame = result.to_frame("fr", nodes=False)
    # i0 has A and B; then the A-only by name; then i5 (B); then three C (i9); then two C
    # each: i10 (and a D), i8 (and an E), i7 (its mobility has no grade)
    assert frame["institution"].tolist()[:7] == ["i0", "i1", "i2", "i3", "i4", "i6", "i5"]
    assert frame["institution"].tolist()[-4:] == ["i9", "i10", "i8", "i7"]
    assert frame["rank_display"].tolist()[0] == "1re ex aequo"


def test_personalised_ranking_counts_grades_on_the_chosen_indicators() -> None:
    result = run(world(), U, 2021)
    mine = result.personalise([f"{U}.masters-on-time", f"{U}.student-mobility"])
    assert mine.ranking.rank.tolist() == [2, 2, 2, 2, 2, 2, 1, 2, 2, 2, 2]
    frame = mine.to_frame(nodes=False)
    # after the A (i6): the B holders i0 and i5 by name, then the rest
    assert frame["institution"].tolist()[:3] == ["i6", "i0", "i5"]


def test_readymade_ranking_is_a_named_indicator_set() -> None:
    result = run(world(), U, 2021)
    mine = result.personalise(["international-orientation"])
    assert mine.leaves == (f"{U}.student-mobility",)
    assert mine.ranking.rank[mine.institutions.index("i6")] == 1
    assert mine.field_size == 10  # i7 has no grade on the set


def test_personalised_grade_counts_are_the_same_when_counted_once_per_tree() -> None:
    """Grade counts depend on neither weights nor filters: kept per table and tree, every
    personalisation reads the hand-counted ones (and cannot change them)."""
    result = run(world(), U, 2021)
    chosen = [f"{U}.masters-on-time", f"{U}.student-mobility"]
    for _ in range(2):  # counted, then read back
        mine = result.personalise(chosen, weights={f"{U}.international": 3.0})
        a_counts = mine.grade_counts[:, mine.tree.index(U), 0]
        b_counts = mine.grade_counts[:, mine.tree.index(U), 1]
        # A: i6's mobility; B: i0 and i5 on time; i7 (no mobility grade) counts one C
        assert a_counts.tolist() == [0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0]
        assert b_counts.tolist() == [1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0]
        assert mine.grade_counts[7, mine.tree.index(U)].tolist() == [0, 0, 1, 0, 0]
        assert not mine.grade_counts.flags.writeable
    # another tree (every indicator) is counted on its own: the graduation A's of i0..i4
    every = result.personalise()
    assert every.grade_counts[:, every.tree.index(U), 0].tolist() == [1] * 5 + [0] + [1] + [0] * 4
    # a filter keeps the peers' rows of the same counts
    french = result.personalise(chosen, where={"country": "FR"})
    assert french.grade_counts[:, french.tree.index(U), 1].tolist() == [1, 0, 0, 0, 0, 1, 0, 0]
