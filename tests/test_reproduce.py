"""``palmares reproduce``: worked rows of the reference, generated tables, injected defects.

Worked rows (totals and ranks) come from methodologies.md sections 4.2 and 5.2-5.3. Where the
reference gives only a rebuilt total (THE 2015-16 UC San Diego 72.255 and UC Santa Barbara
72.2125; ARWU 2005 Duke and Minnesota, both 37.7), the component values below are constructed
to give exactly that total: they are not the publisher's printed components. Rows above a
worked row are filler whose components all equal its total, so ranks read as in the source.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from palmares.io.published_table import PublishedTable, read_published_table
from palmares.methodology import Methodology, methodology_hash, resolve_methodology
from palmares.problems import UsageProblem
from palmares.reproduce import (
    DIFF_COLUMNS,
    NotRebuildable,
    Reproduction,
    estimate_floor,
    publish_table,
    rebuild_totals,
    reproduce,
)
from palmares.translatable import localise
from tests.io.published_tables import THE_PRINTED_HEADER, cli, run_reproduce

THE_2011 = ("teaching", "international", "research", "citations", "income")


def write_table(path: Path, header: Sequence[str], rows: Sequence[Sequence[object]]) -> Path:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows([[str(v) for v in row] for row in rows])
    return path


def run(path: Path, system: str, year: int) -> tuple[PublishedTable, Reproduction]:
    method = resolve_methodology(system, year)
    table = read_published_table(path, method.system, year, method)
    return table, reproduce(table, method)


def row_of(table: PublishedTable, result: Reproduction, name: str) -> int:
    return int(np.flatnonzero(table.institution == name)[0])


# -- worked rows ---------------------------------------------------------------------------------


def test_the_2010_11_harvard(tmp_path: Path) -> None:
    path = write_table(
        tmp_path / "the2011.csv",
        ["World Rank", "University Name", "Total Score", *THE_2011],
        [[1, "Harvard University", "96.1", 99.7, 72.4, 98.7, 98.8, 34.5]],
    )
    _, result = run(path, "the-wur", 2011)
    assert round(float(result.rebuilt.total[0]), 4) == 96.1125
    assert round(abs(float(result.rebuilt.total[0]) - 96.1), 4) == 0.0125
    assert result.summary["total_within_0_1_pct"] == 100.0
    assert result.summary["total_max_error"] == 0.0125
    assert result.summary["rank_exact_pct"] == 100.0


def _the_2016_rows() -> list[list[object]]:
    rows: list[list[object]] = [
        [1, "California Institute of Technology", "95.2", 95.6, 64.0, 97.6, 99.8, 97.8]
    ]
    for rank in range(2, 39):
        total = 95.0 - (rank - 2) * 0.5
        rows.append([rank, f"Filler {rank}", f"{total:.1f}", *[f"{total:.1f}"] * 5])
    rows.append(
        ["=39", "University of California, San Diego", "72.2", 60.0, 50.0, 70.0, 95.0, 40.2]
    )
    rows.append(
        ["=39", "University of California, Santa Barbara", "72.2", 60.0, 50.0, 70.0, 95.0, 38.5]
    )
    rows.append([41, "Filler 41", "71.0", *["71.0"] * 5])
    return rows


def test_the_2015_16_caltech_and_the_joint_39(tmp_path: Path) -> None:
    path = write_table(
        tmp_path / "the2016.csv",
        list(THE_PRINTED_HEADER),
        _the_2016_rows(),
    )
    table, result = run(path, "the-wur", 2016)
    caltech = row_of(table, result, "California Institute of Technology")
    ucsd = row_of(table, result, "University of California, San Diego")
    ucsb = row_of(table, result, "University of California, Santa Barbara")
    total = result.rebuilt.total
    assert round(float(total[caltech]), 4) == 95.145
    assert round(abs(float(total[caltech]) - 95.2), 4) == 0.055
    assert float(result.rebuilt.rounded[caltech]) == 95.1  # half-up: why ranks use published totals
    assert round(float(total[ucsd]), 4) == 72.255
    assert round(float(total[ucsb]), 4) == 72.2125
    assert round(abs(float(total[ucsd]) - 72.2), 4) == 0.055
    assert round(abs(float(total[ucsb]) - 72.2), 4) == 0.0125
    # Ranked on the published totals, both stay =39; rebuilt totals would separate them.
    assert table.rank.rank[ucsd] == table.rank.rank[ucsb] == 39
    assert result.summary["rank_exact_pct"] == 100.0
    assert result.summary["total_within_0_1_pct"] == 100.0
    assert result.summary["rank_rebuilt_exact_pct"] < 100.0
    diff = result.diff.set_index("institution")
    assert diff.loc["University of California, Santa Barbara", "cause"] == "rounding-tie"
    assert diff.loc["University of California, Santa Barbara", "rebuilt_rank"] == 40


def _arwu_2005_rows() -> list[list[object]]:
    rows: list[list[object]] = [
        [1, "Harvard Univ", "100", 100, 100, 100, 100, 100, 72.4],
        [2, "Univ Cambridge", "73.6", 99.8, 93.4, 53.3, 56.6, 70.9, 66.9],
    ]
    for rank in range(3, 32):
        total = 73.0 - (rank - 3) * 1.0
        value = total * 97.24 / 100
        rows.append([rank, f"Filler {rank}", f"{total:.1f}", *[repr(value)] * 6])
    rows.append([32, "Duke Univ", "37.7", 20.0, 0.0, 50.0, 45.0, 55.0, 46.6])
    rows.append([32, "Univ Minnesota Twin Cities", "37.7", 10.0, 0.0, 45.0, 40.0, 72.5, 41.6])
    return rows


def test_arwu_2005_cambridge_duke_minnesota(tmp_path: Path) -> None:
    path = write_table(
        tmp_path / "arwu2005.csv",
        [
            "World Rank",
            "Institution",
            "Total Score",
            "Alumni",
            "Award",
            "HiCi",
            "N&S",
            "PUB",
            "PCP",
        ],
        _arwu_2005_rows(),
    )
    table, result = run(path, "arwu", 2005)
    cambridge = row_of(table, result, "Univ Cambridge")
    assert round(float(result.rebuilt.total[cambridge]), 4) == round(71.51 / 97.24 * 100, 4)
    assert round(float(result.rebuilt.total[cambridge]), 2) == 73.54
    assert round(abs(float(result.rebuilt.total[cambridge]) - 73.6), 4) == 0.0603
    duke = row_of(table, result, "Duke Univ")
    minnesota = row_of(table, result, "Univ Minnesota Twin Cities")
    assert table.rank.rank[duke] == table.rank.rank[minnesota] == 32
    assert float(result.rebuilt.rounded[duke]) == float(result.rebuilt.rounded[minnesota]) == 37.7
    assert result.summary["rank_exact_pct"] == 100.0
    assert result.summary["total_within_0_1_pct"] == 100.0


def test_arwu_ns_weight_redistributed_when_blank() -> None:
    method = resolve_methodology("arwu", 2010)
    x = np.array([[100.0, 100, 100, 100, 100, 100], [50.0, 50, 50, np.nan, 50, 50]])
    na = np.array([[False] * 6, [False, False, False, True, False, False]])
    rebuilt = rebuild_totals(method, x, na)
    # 50 on every applicable indicator, weights rescaled to sum to 100: 50 % of the best.
    np.testing.assert_allclose(rebuilt.total, [100.0, 50.0])


def test_the_2011_renormalises_and_2016_imputes_a_missing_pillar() -> None:
    x = np.array([[80.0, 80, 80, 80, np.nan], [60.0, 60, 60, 60, 20.0], [40.0, 40, 40, 40, 40.0]])
    renormalised = rebuild_totals(resolve_methodology("the-wur", 2011), x)
    assert renormalised.total[0] == pytest.approx(80.0)
    imputed = rebuild_totals(resolve_methodology("the-wur", 2016), x)
    # THE 2012-2016: the 25th percentile of the others' income (20 and 40 -> 25).
    assert imputed.total[0] == pytest.approx(0.975 * 80 + 0.025 * 25.0)


def test_estimate_floor_recovers_the_affine_floor() -> None:
    raw = np.array([90.0, 70.0, 50.0, 40.0])
    published = 100 * (raw - 25.0) / (90.0 - 25.0)
    assert estimate_floor(raw, published, 90.0) == pytest.approx(25.0)
    assert estimate_floor(raw[:1], published[:1], 90.0) is None


# -- generated tables ---------------------------------------------------------------------------


def _components(method: Methodology, n: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    k = len(method.tree.nodes) - 1
    x = rng.uniform(5.0, 100.0, size=(n, k))
    # A leader near the top of every indicator, as in the real tables (ARWU's Harvard, QS's MIT).
    x[0] = rng.uniform(97.0, 100.0, size=k)
    if method.system == "arwu":
        x = x / x.max(axis=0) * 100.0  # each indicator as a percentage of the best
    return x


GENERATED = [
    ("the-wur", 2012),
    ("the-wur", 2016),
    ("the-wur", 2024),
    ("arwu", 2005),
    ("arwu", 2007),
    ("qs", 2020),
    ("qs", 2024),
]


@pytest.mark.parametrize(("system", "year"), GENERATED)
@pytest.mark.parametrize("decimals", [None, 1])
def test_generated_table_reproduces(
    tmp_path: Path, system: str, year: int, decimals: int | None
) -> None:
    method = resolve_methodology(system, year)
    last = method.ranking.band_table(year).bands[-1][1]  # type: ignore[union-attr]
    n = last if last is not None else 620  # tables stop at their last closed band
    floor = (
        20.0
        if method.steps_of("rescale") and method.steps_of("rescale")[0].method == "affine"
        else None
    )
    printed = publish_table(
        method,
        year,
        [f"University {i:04d}" for i in range(n)],
        _components(method, n, seed=year),
        component_decimals=decimals,
        floor=floor,
    )
    path = tmp_path / "table.csv"
    printed.to_csv(path, index=False)
    _, result = run(path, system, year)
    s = result.summary
    assert s["rows"] == n
    assert s["rank_exact_pct"] == 100.0
    assert s["banded_rows"] > 0 and s["scored_rows"] >= 100
    if decimals is None:
        assert s["total_within_0_1_pct"] == 100.0
        assert s["band_agreement_pct"] == 100.0
        assert s["rank_rebuilt_exact_pct"] == 100.0
        assert s["mismatches"] == 0
    else:
        assert s["total_within_0_1_pct"] == 100.0
        assert s["band_agreement_pct"] >= 99.0
    if floor is not None:
        assert s["floor"] == pytest.approx(floor, abs=0.05)


def test_summary_keys_and_pct_null_without_denominator(tmp_path: Path) -> None:
    path = write_table(
        tmp_path / "t.csv",
        ["rank", "institution", "total", *THE_2011],
        [["Reporter", "A", "-", 1, 1, 1, 1, 1]],
    )
    _, result = run(path, "the-wur", 2011)
    s = result.summary
    assert list(s)[:3] == ["system", "edition", "methodology_hash"]
    assert s["methodology_hash"] == methodology_hash(resolve_methodology("the-wur", 2011))
    for key in (
        "total_within_0_1_pct",
        "rank_exact_pct",
        "rank_rebuilt_exact_pct",
        "band_agreement_pct",
        "total_max_error",
    ):
        assert s[key] is None
    assert s["reporter_rows"] == 1


# -- injected defects -----------------------------------------------------------------------------


def _defective_table(tmp_path: Path) -> tuple[Path, dict[str, str]]:
    method = resolve_methodology("the-wur", 2016)
    n = 400
    printed = publish_table(
        method,
        2016,
        [f"U{i:03d}" for i in range(n)],
        _components(method, n, 7),
        component_decimals=None,
    )
    frame = printed.copy()
    # Distinct published totals near the chosen rows, so each defect stands alone.
    totals = frame["total"]

    def distinct(i: int) -> bool:
        return (totals == totals[i]).sum() == 1 and not frame.loc[i, "rank"].startswith("=")

    picks = [i for i in range(5, 190) if distinct(i) and distinct(i + 1) and distinct(i - 1)]
    spaced: list[int] = []
    for pick in picks:
        if not spaced or pick - spaced[-1] >= 3:
            spaced.append(pick)
    picks = spaced
    wrong, swap, missing = picks[0], picks[2], picks[4]
    names = {}
    frame.loc[wrong, "total"] = f"{float(totals[wrong]) + 1.0:.1f}"
    names[frame.loc[wrong, "institution"]] = "total-mismatch"
    a, b = frame.loc[swap, "rank"], frame.loc[swap + 1, "rank"]
    frame.loc[swap, "rank"], frame.loc[swap + 1, "rank"] = b, a
    names[frame.loc[swap, "institution"]] = "rank-mismatch"
    names[frame.loc[swap + 1, "institution"]] = "rank-mismatch"
    frame.loc[missing, "citations"] = ""
    names[frame.loc[missing, "institution"]] = "missing-component"
    # A band off by one: "350-400" printed for the 351-400 band (THE 2011-12's typo).
    typo = frame.index[frame["rank"] == "351–400"]
    frame.loc[typo, "rank"] = "350-400"
    names[frame.loc[typo[0], "institution"]] = "band-typo"
    # A rounding tie: two rows printed equal and joint whose rebuilt totals round apart.
    tie = picks[6]
    frame.loc[tie + 1, "total"] = frame.loc[tie, "total"]
    frame.loc[tie, "rank"] = f"={frame.loc[tie, 'rank']}"
    frame.loc[tie + 1, "rank"] = frame.loc[tie, "rank"]
    base = float(frame.loc[tie, "total"])
    for component in ("teaching", "international", "research", "citations", "income"):
        frame.loc[tie, component] = repr(base + 0.04)
        frame.loc[tie + 1, component] = repr(base - 0.06)
    names[frame.loc[tie + 1, "institution"]] = "rounding-tie"
    # An institution inserted without renumbering the rows below it.
    insert = picks[8]
    above, below = float(frame.loc[insert, "total"]), float(frame.loc[insert + 1, "total"])
    value = round((above + below) / 2, 1)
    if not below < value < above:
        value = above  # joint with the row above: still one more row ahead of those below
    new = {
        "rank": str(frame.loc[insert + 1, "rank"]),
        "institution": "Inserted",
        "total": f"{value:.1f}",
    }
    new.update(
        {c: repr(value) for c in ("teaching", "international", "research", "citations", "income")}
    )
    frame = pd.concat(
        [frame.iloc[: insert + 1], pd.DataFrame([new]), frame.iloc[insert + 1 :]], ignore_index=True
    )
    names[str(frame.loc[insert + 2, "institution"])] = "irregular-numbering"
    path = tmp_path / "defects.csv"
    frame.to_csv(path, index=False)
    return path, names


def test_injected_defects_appear_in_the_diff_with_their_cause(tmp_path: Path) -> None:
    path, expected = _defective_table(tmp_path)
    _, result = run(path, "the-wur", 2016)
    diff = result.diff
    assert list(diff.columns) == list(DIFF_COLUMNS)
    causes = dict(zip(diff["institution"], diff["cause"], strict=True))
    for name, cause in expected.items():
        assert causes.get(name) == cause, (name, cause, diff[diff["institution"] == name])
    assert set(diff["cause"]) <= {*expected.values()}
    assert result.summary["mismatches"] == len(diff)


# -- the command ----------------------------------------------------------------------------------


def test_cli_reproduce_json_and_diff(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    path, expected = _defective_table(tmp_path)
    out_diff = tmp_path / "diff.csv"
    code, out, err = run_reproduce(
        monkeypatch,
        capsys,
        path,
        "the-wur",
        "2015-16",
        "--json",
        "--diff",
        str(out_diff),
    )
    assert code == 0, err
    document = json.loads(out)
    assert set(document) >= {
        "system",
        "edition",
        "methodology_hash",
        "rows",
        "scored_rows",
        "complete_rows",
        "total_within_0_1_pct",
        "total_max_error",
        "rank_exact_pct",
        "rank_rebuilt_exact_pct",
        "banded_rows",
        "band_complete_rows",
        "band_agreement_pct",
        "reporter_rows",
        "mismatches",
    }
    assert document["system"] == "the-wur" and document["edition"] == 2016
    for key in ("total_within_0_1_pct", "rank_exact_pct", "band_agreement_pct"):
        assert 0 <= document[key] <= 100 and round(document[key], 2) == document[key]
    written = pd.read_csv(out_diff, dtype=str, keep_default_na=False)
    assert list(written.columns) == list(DIFF_COLUMNS)
    assert len(written) == document["mismatches"]
    assert set(expected.values()) <= set(written["cause"])
    # An existing --diff is refused without --force.
    code, _, err = run_reproduce(
        monkeypatch,
        capsys,
        path,
        "the-wur",
        "2016",
        "--diff",
        str(out_diff),
    )
    assert code == 2 and "--force" in err
    code, out, _ = run_reproduce(
        monkeypatch,
        capsys,
        path,
        "the-wur",
        "2016",
        "--diff",
        str(out_diff),
        "--force",
        "--lang",
        "en",
    )
    assert code == 0 and "mismatches" in out


def test_cli_reproduce_cwur_names_the_unpublished_inputs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write_table(
        tmp_path / "cwur.csv",
        ["world_rank", "institution", "score"],
        [[1, "Harvard University", "100.00"]],
    )
    code, out, err = cli(
        monkeypatch, capsys, "reproduce", str(path), "--system", "cwur", "--edition", "2015"
    )
    assert code == 2 and out == ""
    assert "cannot be rebuilt" in err and "indicator scores" in err
    method = resolve_methodology("cwur", 2015)
    table = read_published_table(path, "cwur", 2015, method)
    with pytest.raises(NotRebuildable):
        reproduce(table, method)


def test_cli_reproduce_bad_inputs_exit_2(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write_table(
        tmp_path / "t.csv",
        ["rank", "institution", "total", "teaching", "international", "research", "citations"],
        [["1", "A", "90.0", 90, 90, 90, 90]],
    )
    code, _, err = cli(
        monkeypatch, capsys, "reproduce", str(path), "--system", "the-wur", "--edition", "2016"
    )
    assert code == 2 and "'income'" in err and "--map income=HEADER" in err
    bad = write_table(
        tmp_path / "bad.csv",
        ["rank", "institution", "total", *THE_2011],
        [["1", "A", "9O.0", 1, 1, 1, 1, 1]],
    )
    code, _, err = cli(
        monkeypatch, capsys, "reproduce", str(bad), "--system", "the-wur", "--edition", "2016"
    )
    assert code == 2 and ":-:2:Total: not-a-number" not in err
    assert ":-:2:total: not-a-number: not a number" in err and "(value '9O.0')" in err
    code, _, err = run_reproduce(
        monkeypatch,
        capsys,
        path,
        "the-wur",
        "2016",
        "--map",
        "bogus=x",
    )
    assert code == 2 and "unknown field" in err
    code, _, err = cli(
        monkeypatch, capsys, "reproduce", str(path), "--system", "nope", "--edition", "2016"
    )
    assert code == 2 and "unknown preset" in err


def test_score_ranges_are_not_totals_and_reporters_are_counted(tmp_path: Path) -> None:
    """THE 2017+ prints a score range for banded rows ("46.3—50.4") and lists reporters."""
    path = write_table(
        tmp_path / "the2020.csv",
        list(THE_PRINTED_HEADER),
        [
            ["1", "A", "90.0", "90.0", "90.0", "90.0", "90.0", "90.0"],
            ["2", "B", "80.0", "80.0", "80.0", "80.0", "80.0", "80.0"],
            ["201–250", "C", "46.3—50.4", "48.0", "48.0", "48.0", "48.0", "48.0"],
            ["Reporter", "D", "", "10.0", "10.0", "10.0", "10.0", "10.0"],
        ],
    )
    table, result = run(path, "the-wur", 2020)
    assert (table.total.lo[2], table.total.hi[2]) == (46.3, 50.4)
    s = result.summary
    assert (s["rows"], s["scored_rows"], s["complete_rows"]) == (4, 2, 2)
    assert (s["banded_rows"], s["band_complete_rows"], s["reporter_rows"]) == (1, 1, 1)
    # C is placed third by its rebuilt total, outside 201-250: the excerpt has no rows between.
    assert s["band_agreement_pct"] == 0.0
    assert result.diff["institution"].tolist() == ["C"]
    assert result.diff["check"].tolist() == ["band"]


def test_a_table_missing_components_or_its_total_is_refused_in_the_readers_language(
    tmp_path: Path,
) -> None:
    path = write_table(
        tmp_path / "the2011.csv",
        ["World Rank", "University Name", "Total Score", *THE_2011],
        [[1, "Harvard University", "96.1", 99.7, 72.4, 98.7, 98.8, 34.5]],
    )
    method = resolve_methodology("the-wur", 2011)
    table = read_published_table(path, method.system, 2011, method)
    kept = {c: v for c, v in table.components.items() if c not in ("teaching", "income")}
    with pytest.raises(UsageProblem) as one:
        reproduce(replace(table, components={**kept, "income": table.components["income"]}), method)
    with pytest.raises(UsageProblem) as two:
        reproduce(replace(table, components=kept), method)
    with pytest.raises(UsageProblem) as total:
        reproduce(replace(table, total=None), method)
    assert str(one.value).startswith("component not mapped: teaching (pass --map FIELD=HEADER;")
    assert str(two.value).startswith("components not mapped: teaching, income (pass --map")
    assert localise(two.value.args[0], "fr").startswith(
        "composantes sans colonne\u00a0: teaching, income (indiquez --map CHAMP=EN-TÊTE\u202f;"
    )
    assert str(total.value) == "no column for the total: pass --map total=HEADER"
    assert localise(total.value.args[0], "fr") == (
        "aucune colonne pour le total\u00a0: indiquez --map total=EN-TÊTE"
    )
