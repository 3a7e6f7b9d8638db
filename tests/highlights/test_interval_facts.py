"""``rank_interval`` and ``movement_robustness`` facts (``highlights --uncertainty``), on the
small world of ``tests/history_world.py``: 2022 (methodology A) and 2023 (B, a scale change).

2023 ranks: top 1, x 2, new 3, y and z joint 4 (printed band 4–5), mm 6 ... bottom 10.
2022 ranks: top 1, new 2, x 3, y 4 (band 4–5), mm 5, z 6 ... So x is up one place, new down
one, top keeps its rank, across a methodology change.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pandas as pd
import pytest
from history_world import world, write_methods

from palmares.highlights import facts, render
from palmares.highlights.uncertainty import floor_percent, uncertainty_facts, with_uncertainty
from palmares.history import EditionSeries
from palmares.io import write_dataset
from palmares.lang import NARROW_NBSP, NBSP
from palmares.uncertainty import uncertainty
from palmares.uncertainty.intervals import Intervals, IntervalsError, intervals_of

Cli = Callable[..., tuple[int, str, str]]


@pytest.fixture(scope="module")
def methods(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    return write_methods(tmp_path_factory.mktemp("methods"))


@pytest.fixture(scope="module")
def series(methods: tuple[Path, Path]) -> EditionSeries:
    return EditionSeries(world(), list(methods), view="producer")


def hand_intervals(series: EditionSeries, year: int = 2023, **rows: dict) -> Intervals:
    """The edition's nominal ranks, zero-width intervals, then the given rows' overrides."""
    table = series.standings(year)
    frame = pd.DataFrame(
        {
            "institution": list(table.index),
            "name": table["name"].tolist(),
            "nominal_rank": table["rank"].astype("float64").tolist(),
        }
    )
    for column in ("median_rank", "mean_rank", "q05", "q95"):
        frame[column] = frame["nominal_rank"]
    frame["p_top_k"] = 1.0
    frame["p_same_band"] = 1.0
    frame["p_move_real"] = 1.0
    for inst, changes in rows.items():
        for column, value in changes.items():
            frame.loc[frame["institution"] == inst, column] = value
    return Intervals(frame, draws=1000, previous_edition=2022, methodology_changed=True)


@pytest.fixture(scope="module")
def hand(series: EditionSeries) -> Intervals:
    return hand_intervals(
        series,
        x={"q05": 1, "q95": 4, "median_rank": 2, "p_move_real": 0.951},
        new={"p_move_real": 0.949},
        top={"p_move_real": 0.4},
        y={"q05": 3, "q95": 7, "p_same_band": 0.7289, "p_move_real": 0.5},
    )


def by_kind(found: list, kind: str) -> dict:
    (fact,) = [f for f in found if f.kind == kind]
    return fact


def test_rank_interval_states_both_ends(series: EditionSeries, hand: Intervals) -> None:
    found = uncertainty_facts(series, "x", 2023, hand)
    fact = by_kind(found, "rank_interval")
    assert dict(fact.values) == {
        "rank": 2,
        "tie_size": 1,
        "q05": 1,
        "q95": 4,
        "median": 2,
        "draws": 1000,
        "level": 90,
    }
    assert fact.priority == 89
    data = series.dataset
    assert render(fact, data, "fr") == (
        f"École X{NBSP}: rang 2e (intervalle 1er–4e sur 1{NARROW_NBSP}000 tirages, "
        f"niveau 90{NBSP}%)."
    )
    assert render(fact, data, "en") == (
        "École X is ranked 2nd (interval 1st–4th over 1,000 draws, 90% level)."
    )
    assert "1<sup>er</sup>–4<sup>e</sup>" in render(fact, data, "fr", html=True)


def test_zero_width_interval_and_tie(series: EditionSeries, hand: Intervals) -> None:
    fact = by_kind(uncertainty_facts(series, "top", 2023, hand), "rank_interval")
    assert render(fact, series.dataset, "en") == (
        "École TOP is ranked 1st (the same rank in at least 90% of 1,000 draws)."
    )
    # z: joint 4th inside the printed band 4–5: the band is stated, not the rank.
    z = by_kind(uncertainty_facts(series, "z", 2023, hand), "rank_interval")
    assert z.values["band"] == "4–5" and z.values["tie_size"] == 2, dict(z.values)


def test_a_rank_inside_a_band_gives_the_band_and_the_share_rounded_down(
    series: EditionSeries, hand: Intervals
) -> None:
    found = uncertainty_facts(series, "y", 2023, hand)
    fact = by_kind(found, "rank_interval")
    assert fact.values["band"] == "4–5"
    assert fact.values["p_same_band_percent"] == 72  # 72.89 %: never rounded up
    fr = render(fact, series.dataset, "fr")
    assert fr == (
        f"École Y{NBSP}: tranche 4–5{NARROW_NBSP}; le rang reste dans cette tranche dans "
        f"72{NBSP}% des 1{NARROW_NBSP}000 tirages."
    )
    en = render(fact, series.dataset, "en")
    assert en == "École Y is in the 4–5 band; the rank stays in this band in 72% of 1,000 draws."
    assert "3" not in fr and "7" not in en.replace("72", "")  # q05 3, q95 7 are not stated
    # Its move (banded at both ends) has no robustness fact.
    assert [f.kind for f in found] == ["rank_interval"]


def test_robust_move_across_a_methodology_change(series: EditionSeries, hand: Intervals) -> None:
    found = facts(series, "x", 2023)
    merged = with_uncertainty(found, series, "x", 2023, hand)
    fact = by_kind(merged, "movement_robustness")
    values = dict(fact.values)
    assert values["previous_edition"] == 2022 and values["places"] == 1
    assert (values["previous_rank"], values["rank"]) == (3, 2)
    assert values["robust"] is True and values["p_move_real_percent"] == 95
    assert values["threshold_percent"] == 95 and "methodology" in values["flags"]
    movement = [f for f in merged if f.kind == "movement" and f.values["previous_edition"] == 2022]
    # Same priority as the movement it qualifies, sorted right after it.
    assert fact.priority == movement[0].priority
    kinds = [f.kind for f in merged]
    assert kinds.index("movement_robustness") == kinds.index("movement") + 1
    assert render(fact, series.dataset, "fr") == (
        f"École X gagne 1 place depuis l'édition 2022 (3e → 2e){NARROW_NBSP}; ce mouvement est "
        f"robuste (même sens dans 95{NBSP}% des 1{NARROW_NBSP}000 tirages, seuil 95{NBSP}%)"
        f"{NARROW_NBSP}; la méthodologie a changé entre 2022 et 2023, le mouvement mêle données "
        "et méthode."
    )
    assert render(fact, series.dataset, "en") == (
        "École X is up 1 place since the 2022 edition (3rd → 2nd); this move is robust (the same "
        "direction in 95% of 1,000 draws, threshold 95%); the methodology changed between 2022 "
        "and 2023, so the move mixes data and method."
    )


def test_a_move_below_the_threshold_is_called_not_robust(
    series: EditionSeries, hand: Intervals
) -> None:
    fact = by_kind(uncertainty_facts(series, "new", 2023, hand), "movement_robustness")
    # 0.949 would print as 95 % if rounded: it is 94 % and not robust.
    assert fact.values["robust"] is False and fact.values["p_move_real_percent"] == 94
    en = render(fact, series.dataset, "en")
    assert en.startswith(
        "École NEW is down 1 place since the 2022 edition (2nd → 3rd); this move is not robust "
        "(the same direction in only 94% of 1,000 draws, threshold 95%)"
    )
    # A lower threshold is the caller's choice.
    relaxed = uncertainty_facts(series, "new", 2023, hand, robust=0.9)
    assert by_kind(relaxed, "movement_robustness").values["robust"] is True
    kept = by_kind(uncertainty_facts(series, "top", 2023, hand), "movement_robustness")
    assert render(kept, series.dataset, "fr").startswith(
        f"École TOP garde le même rang qu'en 2022 (1er){NARROW_NBSP}; ce maintien n'est pas "
        f"robuste (rang inchangé dans seulement 40{NBSP}% des 1{NARROW_NBSP}000 tirages"
    )


def test_floor_percent() -> None:
    assert [floor_percent(p) for p in (0.95, 0.949, 0.9999, 1.0, 0.0, 0.07)] == [
        95,
        94,
        99,
        100,
        0,
        7,
    ]


def test_intervals_of_another_edition_or_a_published_table_are_refused(
    series: EditionSeries,
) -> None:
    with pytest.raises(IntervalsError, match="differ from s 2023 for 5 institution"):
        uncertainty_facts(series, "x", 2023, hand_intervals(series, 2022))
    with pytest.raises(IntervalsError, match="published table"):
        uncertainty_facts(series, "x", 2024, hand_intervals(series, 2023))
    with pytest.raises(ValueError, match="threshold"):
        uncertainty_facts(series, "x", 2023, hand_intervals(series), robust=1.5)


def test_equal_leaves_give_zero_width_intervals_and_certain_moves(
    series: EditionSeries, methods: tuple[Path, Path]
) -> None:
    # Every leaf of an institution holds the same value in 2022 and 2023: no weight draw
    # changes a score, so every rank and every move is the same in all 40 draws.
    a, b = methods
    done = uncertainty(
        series.dataset, str(b), 2023, 40, previous_edition=2022, previous_method=str(a)
    )
    found = uncertainty_facts(series, "x", 2023, intervals_of(done))
    interval = by_kind(found, "rank_interval")
    assert (interval.values["q05"], interval.values["q95"]) == (2, 2)
    robust = by_kind(found, "movement_robustness")
    assert robust.values["p_move_real"] == 1.0 and robust.values["robust"] is True
    assert render(robust, series.dataset, "en").startswith(
        "École X is up 1 place since the 2022 edition (3rd → 2nd); this move is robust (the same "
        "direction in 100% of 40 draws"
    )


def test_highlights_cli_with_uncertainty(
    cli: Cli, series: EditionSeries, methods: tuple[Path, Path], tmp_path: Path
) -> None:
    a, b = methods
    bundle = tmp_path / "bundle"
    write_dataset(series.dataset, bundle)
    table = tmp_path / "u.parquet"
    done = uncertainty(
        series.dataset, str(b), 2023, 30, previous_edition=2022, previous_method=str(a)
    )
    done.write(table)
    base = ["highlights", "x", "--data", str(bundle), "--system", str(a.parent), "--lang", "en"]
    base += ["--edition"]
    code, stdout, err = cli(*base, "2023", "--uncertainty", str(table), "--json")
    assert code == 0, err
    doc = json.loads(stdout)
    kinds = [d["kind"] for d in doc]
    assert "rank_interval" in kinds and "movement_robustness" in kinds
    interval = doc[kinds.index("rank_interval")]
    assert interval["values"] == {
        "rank": 2,
        "tie_size": 1,
        "q05": 2,
        "q95": 2,
        "median": 2,
        "draws": 30,
        "level": 90,
    }
    assert interval["text"] == "École X is ranked 2nd (the same rank in at least 90% of 30 draws)."
    # Without --uncertainty: no interval facts.
    code, stdout, _ = cli(*base, "2023", "--json")
    assert "rank_interval" not in {d["kind"] for d in json.loads(stdout)}
    # The 2023 table read for 2022, a file that is no table, a bad threshold: exit 2.
    code, _, err = cli(*base, "2022", "--uncertainty", str(table))
    assert code == 2 and "differ" in err
    junk = tmp_path / "junk.parquet"
    junk.write_text("not parquet", encoding="utf-8")
    code, _, err = cli(*base, "2023", "--uncertainty", str(junk))
    assert code == 2 and "Parquet" in err
    code, _, err = cli(*base, "2023", "--uncertainty", str(table), "--robust", "0")
    assert code == 2 and "--robust" in err
