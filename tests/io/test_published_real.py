"""Published tables as their publishers and their copies print them (issue 18).

Small synthetic tables, one per case: placeholders, homonyms, unused bad columns, nameless
rows, THE's and QS's JSON, a tie-mark column, the seed systems' formats, ``import --create`` and
``reproduce --data``. Each test asserts the figures, not only the exit code.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from published_tables import (
    cli,
    empty_bundle,
    qs_json,
    read_table,
    reproduce_copies,
    run_import,
    run_reproduce,
    the_2016_frame,
    the_json,
    wrap,
)

import palmares
from palmares.io.countries import country_code
from palmares.io.published_table import slug
from palmares.methodology import resolve_methodology
from palmares.problems import InvalidInput
from palmares.reproduce import publish_table, reproduce

# -- 1. placeholders -----------------------------------------------------------------------------


def test_zero_totals_on_banded_rows_reproduce_as_well_as_empty_cells(tmp_path: Path) -> None:
    frame = the_2016_frame()
    banded = frame["total"] == "-"
    assert int(banded.sum()) == 40  # ranks 201-240 are printed as bands, with no total
    frame.loc[5, "income"] = "-"  # one missing industry income, imputed by the methodology
    zeros = frame.copy()
    zeros.loc[banded, "total"] = "0"
    zeros.loc[5, "income"] = "0"
    read = reproduce_copies(tmp_path, {"empty": frame, "zero": zeros}, "the-wur", 2016)
    (_, by_empty), (zero_table, by_zero) = read["empty"], read["zero"]
    assert zero_table.placeholders == {"total": 40, "income": 1}
    assert by_zero["placeholder_cells"] == 41 and by_empty["placeholder_cells"] == 0
    for key in (
        "scored_rows",
        "complete_rows",
        "total_within_0_1_pct",
        "rank_exact_pct",
        "band_agreement_pct",
        "imputed_rows",
    ):
        assert by_zero[key] == by_empty[key], key
    assert by_zero["scored_rows"] == 200 and by_zero["complete_rows"] == 199
    assert by_zero["total_within_0_1_pct"] == 100.0 and by_zero["band_agreement_pct"] == 100.0
    # The row without its income is counted apart, its total rebuilt by the imputation.
    assert by_zero["imputed_rows"] == 1


def test_missing_option_declares_a_users_placeholder(tmp_path: Path) -> None:
    path = tmp_path / "t.csv"
    path.write_text(
        "rank,name,overall,teaching,international,research,citations,income\n"
        "1,A,90.0,90,90,90,90,90\n"
        "2,B,n.p.,80,80,80,80,n.p.\n",
        encoding="utf-8",
    )
    with pytest.raises(InvalidInput) as refused:
        read_table(path, "the-wur", 2016)
    assert {(p.row, p.column) for p in refused.value.problems} == {
        (3, "overall"),
        (3, "income"),
    }
    table = read_table(path, "the-wur", 2016, missing={"*": ["n.p."]})
    assert table.placeholder_cells == 2
    assert np.isnan(table.total.value[1]) and np.isnan(table.components["income"].value[1])
    only = read_table(path, "the-wur", 2016, missing={"Overall": ["n.p."], "income": ["N.P."]})
    assert only.placeholders == {"overall": 1, "income": 1}


def test_a_qs_zero_is_not_published_but_an_arwu_zero_is_a_score(tmp_path: Path) -> None:
    qs = tmp_path / "qs.csv"
    qs.write_text(
        "Rank,Institution Name,Location,Overall Score,AR,ER,FSR,CPF,IFR,ISR\n"
        "1,A,United States,100,100,100,100,100,100,100\n"
        "2,B,France,90.1,95,0,80,88,70,0\n",
        encoding="utf-8",
    )
    table = read_table(qs, "qs", 2015)
    assert table.placeholders == {"ER": 1, "ISR": 1}
    assert np.isnan(table.components["er"].value[1]) and table.components["ar"].value[1] == 95
    arwu = tmp_path / "arwu.csv"
    arwu.write_text(
        "World Rank,Institution,Total Score,Alumni,Award,HiCi,N&S,PUB,PCP\n"
        "1,A,100,100,100,100,100,100,100\n"
        "2,B,30.2,0,0,40.1,30,60,30\n",
        encoding="utf-8",
    )
    arwu_table = read_table(arwu, "arwu", 2010)
    assert arwu_table.placeholder_cells == 0
    assert arwu_table.components["alumni"].value.tolist() == [100.0, 0.0]


# -- 2. homonyms ---------------------------------------------------------------------------------


def test_homonyms_by_country_suffixes_and_identical_duplicates(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    bundle = empty_bundle(tmp_path / "b", "id,name,country\nbeta,Beta University,DE\n")
    table = tmp_path / "t.csv"
    table.write_text(
        "rank,name,country,overall\n"
        "1,Beta University,Germany,90.0\n"
        "2,Beta University,Austria,80.0\n"  # same name, another country: another institution
        "3,Gamma College,United States,70.0\n"
        "4,Gamma College,United States,60.0\n"  # nothing tells it apart: gamma-college-2
        "4,Gamma College,United States,60.0\n"  # identical: reported, the first kept
        "5,École Delta,France,50.0\n"
        "6,Ecole Delta,France,40.0\n",  # differs by an accent only
        encoding="utf-8",
    )
    homonyms = (table, bundle, "the-wur", "2016", "--create")
    code, out, err = run_import(monkeypatch, capsys, *homonyms, "--json")
    assert code == 0, err
    report = json.loads(out)
    assert report["rows"] == 6 and report["imported"] == 6 and report["matched"] == 1
    assert [(c["row"], c["id"], c["country"]) for c in report["created"]] == [
        (3, "beta-university", "AT"),
        (4, "gamma-college", "US"),
        (5, "gamma-college-2", "US"),
        (7, "ecole-delta", "FR"),
        (8, "ecole-delta-2", "FR"),
    ]
    assert report["skipped"] == [{"row": 6, "reason": "duplicate", "kept": 5}]
    assert "rows 4 and 5 both name 'Gamma College'" in err
    assert "row 6 repeats row 5 cell for cell" in err
    institutions = pd.read_csv(bundle / "institutions.csv", dtype=str, keep_default_na=False)
    assert institutions.set_index("id").loc["ecole-delta-2", "name"] == "Ecole Delta"
    published = pd.read_csv(bundle / "published.csv", dtype=str, keep_default_na=False)
    overall = published[published["node"] == "the-wur"].set_index("institution")
    assert overall.loc["beta", "score"] == "90.0" and overall.loc["beta-university", "rank"] == "2"
    assert overall.loc["gamma-college-2", "rank"] == "4"
    # Imported again, every row finds the institution it created.
    code, out, err = run_import(monkeypatch, capsys, *homonyms, "--force", "--json")
    again = json.loads(out)
    assert code == 0 and again["matched"] == 6 and again["created"] == []


def test_with_no_country_column_create_leaves_the_country_empty(tmp_path: Path) -> None:
    bundle = empty_bundle(tmp_path / "b")
    path = tmp_path / "arwu.csv"
    path.write_text(
        "world_rank,university_name,national_rank,total_score,alumni,award,hici,ns,pub,pcp,year\n"
        "1,Harvard University,1.0,100,100,100,100,100,100,72.4,2008\n"
        "2,Stanford University,2.0,73.7,40,79.8,86.4,70.5,69.9,43.4,2008\n"
        "101-151,London Sch Economics,x-y,,20.1,15.2,10.1,,30.3,25.1,2008\n"
        "999,,,,,,,,,,2008\n"
        "Note: N&S does not apply to LSE,,,,,,,,,,\n",
        encoding="utf-8",
    )
    dataset = palmares.load(bundle)
    table = read_table(path, "arwu", 2008, dataset=dataset, create=True)
    assert table.institution_ids is not None
    assert table.institution_ids.tolist() == [
        "harvard-university",
        "stanford-university",
        "london-sch-economics",
    ]
    assert [c["country"] for c in table.created] == ["", "", ""]
    assert [s["reason"] for s in table.skipped] == ["no-name", "note"]
    # "1.0" and "x-y" sit in the national rank, which nothing uses: never parsed.
    assert table.national_rank is None
    assert table.rank.rank.tolist() == [1, 2, 0]


def test_country_names_as_publishers_print_them() -> None:
    assert [
        country_code(c)
        for c in ("United States of America", "China (Mainland)", "Hong Kong SAR", "Türkiye")
    ] == ["US", "CN", "HK", "TR"]
    assert country_code("NA") == "NA" and country_code("Atlantis") is None
    assert country_code("Allemagne") == "DE"  # CLDR French names
    assert slug("Université Paris-Saclay (ex. Paris-Sud)") == "universite-paris-saclay-ex-paris-sud"


# -- 3. unused columns, ranks printed as decimals ---------------------------------------------


def test_a_rank_printed_1_0_reads_as_1(tmp_path: Path) -> None:
    path = tmp_path / "t.csv"
    path.write_text(
        "World Rank,Institution,National Rank,Total Score,Alumni,Award,HiCi,N&S,PUB,PCP\n"
        "1.0,A,1.0,100,100,100,100,100,100,100\n"
        "2.0,B,bad,73.6,99.8,93.4,53.3,56.6,70.9,66.9\n",
        encoding="utf-8",
    )
    table = read_table(path, "arwu", 2010)
    assert table.rank.rank.tolist() == [1, 2] and table.rank.display.tolist() == ["1", "2"]


# -- 4. publishers' JSON -------------------------------------------------------------------------


def test_the_json_is_read_directly(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    frame = the_2016_frame()
    path = tmp_path / "the.json"
    path.write_text(json.dumps(the_json(frame)), encoding="utf-8")
    table = read_table(path, "the-wur", 2016)
    assert table.table_format == "the-json" and len(table) == 240
    assert table.columns["total"] == "scores_overall"
    assert table.columns["international"] == "scores_international_outlook"
    assert int(np.isfinite(table.total.lo).sum()) == 40  # ranges on banded rows: no total
    code, out, err = run_reproduce(monkeypatch, capsys, path, "the-wur", "2016", "--json")
    assert code == 0, err
    summary = json.loads(out)
    assert summary["format"] == "the-json"
    assert summary["scored_rows"] == 200 and summary["total_within_0_1_pct"] == 100.0
    assert summary["rank_exact_pct"] == 100.0 and summary["band_agreement_pct"] == 100.0


def test_a_bare_list_of_records_reads_likethe_json(tmp_path: Path) -> None:
    path = tmp_path / "copy.json"
    path.write_text(
        json.dumps(
            [
                {"rank": "=1", "name": "A", "scores_overall": "90.1"},
                {"rank": "=1", "name": "B", "scores_overall": 90.1, "extra": [1, 2]},
            ]
        ),
        encoding="utf-8",
    )
    table = read_table(path, "the-wur", 2016)
    assert table.table_format == "the-json" and table.institution.tolist() == ["A", "B"]
    assert table.total.value.tolist() == [90.1, 90.1] and table.rank.tied.tolist() == [True, True]


def test_qs_json_is_read_directly_with_no_option(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    method = resolve_methodology("qs", 2015)
    rng = np.random.default_rng(5)
    n = 30
    x = np.round(rng.uniform(20.0, 100.0, size=(n, 6)), 1)
    frame = publish_table(method, 2015, [f"Uni {i:02d}" for i in range(n)], x)
    frame.loc[3, "ifr"] = "0"  # not published
    path = tmp_path / "qs.txt"  # the content tells the format, not the name
    path.write_text(json.dumps(qs_json(frame)), encoding="utf-8")
    table = read_table(path, "qs", 2015)
    assert table.table_format == "qs-json"
    assert table.columns["ar"] == "Academic Reputation" and table.columns["rank"] == "rank"
    assert table.institution[0] == frame.loc[0, "institution"]
    assert table.country_code is not None and set(table.country_code.tolist()) == {"HK"}
    assert table.placeholders == {"International Faculty Ratio": 1}
    code, out, err = cli(
        monkeypatch, capsys, "reproduce", str(path), "--system", "qs", "--edition", "2015", "--json"
    )
    assert code == 0, err
    summary = json.loads(out)
    assert summary["rows"] == 30 and summary["scored_rows"] == 30
    assert summary["rank_exact_pct"] == 100.0
    assert summary["complete_rows"] == 29 and summary["placeholder_cells"] == 1


def test_a_json_table_read_as_csv_shows_values_cut_to_80_characters(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    method = resolve_methodology("qs", 2015)
    x = np.full((50, 6), 50.0)
    frame = publish_table(method, 2015, [f"Uni {i:02d}" for i in range(50)], x)
    path = tmp_path / "qs.json"
    path.write_text(json.dumps(qs_json(frame)) * 20, encoding="utf-8")
    assert path.stat().st_size > 100_000
    code, out, err = run_reproduce(monkeypatch, capsys, path, "qs", "2015", "--format", "csv")
    assert code == 2 and out == ""
    assert "missing-column" in err and len(err) < 5_000
    # every header a message names is cut to 80 characters, about 300 in all per message
    lists = re.findall(r"\(headers: (.*)\)$", err, flags=re.MULTILINE)
    assert len(lists) == 9  # one per required field: rank, institution, total, six indicators
    for shown in lists:
        names = shown.split(", ... (")[0]
        assert len(names) <= 300 + 80 and "more)" in shown
        assert max(len(h) for h in names.split(", ")) <= 80
    code, _, err = cli(
        monkeypatch, capsys, "reproduce", str(path), "--system", "qs", "--edition", "2015"
    )
    assert code == 2 and "not valid JSON" in err and len(err) < 1_000


# -- 5. a tie mark in a column of its own --------------------------------------------------


def test_map_joins_a_tie_mark_column_to_the_rank(tmp_path: Path) -> None:
    path = tmp_path / "t.csv"
    path.write_text(
        "rank_prefix,Rank,Name,Overall\n,1,A,90.0\n=,2,B,80.0\n=,2,C,80.0\n,4,D,70.0\n",
        encoding="utf-8",
    )
    plain = read_table(path, "the-wur", 2016)
    assert plain.rank.tied.tolist() == [False, False, False, False]
    joined = read_table(path, "the-wur", 2016, mapping={"rank": "rank_prefix+Rank"})
    assert joined.rank.display.tolist() == ["1", "=2", "=2", "4"]
    assert joined.rank.tied.tolist() == [False, True, True, False]
    assert joined.rank.rank.tolist() == [1, 2, 2, 4]


# -- 6. the seed systems' formats ---------------------------------------------------------------


def test_letudiant_overall_table(tmp_path: Path) -> None:
    bundle = empty_bundle(tmp_path / "b")
    path = tmp_path / "letudiant.csv"
    path.write_text(
        "Rang;École;Total;Excellence académique;Ouverture internationale;"
        "Proximité avec les entreprises;Ouverture sociale\n"
        "1er;École A;96;30/30;25/30;21/25;20/25\n"
        "2e;École B;90;28/30;24/30;20/25;18/25\n"
        "2e ex aequo;École C;90;27/30;25/30;20/25;18/25\n"
        "4e;École D;80;25/30;20/30;-;17/25\n",
        encoding="utf-8",
    )
    dataset = palmares.load(bundle)
    table = read_table(path, "letudiant", 2024, dataset=dataset, create=True)
    assert table.rank.rank.tolist() == [1, 2, 2, 4]
    assert table.rank.tied.tolist() == [False, False, True, False]
    assert table.components["academic"].value.tolist() == [30.0, 28.0, 27.0, 25.0]
    assert np.isnan(table.components["companies"].value[3])
    method = resolve_methodology("letudiant", 2024)
    from palmares.history import EditionSeries
    from palmares.io.published_table import import_published

    report = import_published(bundle, dataset, table, method)
    assert report["records"] == 4 + 4 * 4 - 1
    assert "letudiant.academic" in report["added_nodes"]
    reloaded = palmares.load(bundle)
    series = EditionSeries(reloaded, method)
    standings = series.standings(2024)
    assert series.source_of(2024) == "published"
    assert standings.loc["ecole-c", "rank"] == 2 and standings.loc["ecole-c", "tie_size"] == 2
    assert standings.loc["ecole-d", "score"] == 80.0


def test_the_impact_overall_and_per_sdg_tables(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    bundle = empty_bundle(tmp_path / "b")
    overall = tmp_path / "impact.csv"
    overall.write_text(
        "Rank,Name,Country/Region,Overall score,SDG 17,SDG 3,SDG 4,SDG 5\n"
        "1,Uni A,Canada,99.7,98.0,97.5,96.0,95.0\n"
        "=2,Uni B,Australia,98.1,96.0,95.0,0,94.0\n"
        "=2,Uni C,Canada,98.1,95.5,95.0,94.0,93.0\n"
        "101–200,Uni D,France,79.4–84.6,80.0,70.0,65.0,0\n",
        encoding="utf-8",
    )
    code, out, err = run_import(
        monkeypatch,
        capsys,
        overall,
        bundle,
        "the-impact",
        "2024",
        "--create",
        "--json",
    )
    assert code == 0, err
    report = json.loads(out)
    assert report["imported"] == 4 and report["placeholder_cells"] == 2
    sdg3 = tmp_path / "sdg3.csv"
    sdg3.write_text(
        "Rank,Name,Country/Region,Score\n1,Uni A,Canada,97.5\n2,Uni C,Canada,95.0\n"
        "=3,Uni B,Australia,95.0\n",
        encoding="utf-8",
    )
    code, out, err = run_import(
        monkeypatch,
        capsys,
        sdg3,
        bundle,
        "the-impact",
        "2024",
        "--node",
        "sdg03",
        "--json",
    )
    assert code == 0, err
    assert json.loads(out)["matched"] == 3
    published = pd.read_csv(bundle / "published.csv", dtype=str, keep_default_na=False)
    root = published[published["node"] == "the-impact"].set_index("institution")
    assert root.loc["uni-d", "band_lo"] == "101" and root.loc["uni-d", "score_lo"] == "79.4"
    assert root.loc["uni-b", "rank_display"] == "=2"
    sdg = published[published["node"] == "the-impact.sdg03"].set_index("institution")
    assert len(sdg) == 4  # Uni D keeps the score of the overall table
    assert sdg.loc["uni-c", "rank"] == "2" and sdg.loc["uni-b", "rank_display"] == "=3"
    # A 0 printed for an SDG is not a score.
    sdg4 = published[published["node"] == "the-impact.sdg04"]
    assert "uni-b" not in sdg4["institution"].tolist()


def test_u_multirank_grades(tmp_path: Path) -> None:
    bundle = empty_bundle(tmp_path / "b")
    path = tmp_path / "umr.csv"
    path.write_text(
        "Institution,Country,Bachelor graduation rate,Citation rate,Spin-offs\n"
        "Uni A,Germany,A,B,no data\n"
        "Uni B,Spain,not applicable,E,C\n",
        encoding="utf-8",
    )
    dataset = palmares.load(bundle)
    table = read_table(path, "u-multirank", 2020, dataset=dataset, create=True)
    assert table.grades["bachelor-graduation-rate"].tolist() == ["A", ""]
    assert table.not_applicable["bachelor-graduation-rate"].tolist() == [False, True]
    assert table.grades["spin-offs"].tolist() == ["", "C"]
    from palmares.io.published_table import import_published

    method = resolve_methodology("u-multirank", 2020)
    report = import_published(bundle, dataset, table, method)
    assert report["records"] == 2 + 4
    published = pd.read_csv(bundle / "published.csv", dtype=str, keep_default_na=False)
    root = published[published["node"] == "u-multirank"]
    # U-Multirank prints no overall rank: none is stored.
    assert set(root["rank"]) == {""} and set(root["status"]) == {"unranked"}
    grades = published[published["node"] != "u-multirank"]
    triples = zip(grades["institution"], grades["node"], grades["rank_display"], strict=True)
    assert sorted(triples) == [
        ("uni-a", "u-multirank.bachelor-graduation-rate", "A"),
        ("uni-a", "u-multirank.citation-rate", "B"),
        ("uni-b", "u-multirank.citation-rate", "E"),
        ("uni-b", "u-multirank.spin-offs", "C"),
    ]
    # History reads the printed grades: A counts (the bundle's tree is flat: no dimension),
    # no overall rank.
    from palmares.history import EditionSeries

    series = EditionSeries(palmares.load(bundle), "u-multirank")
    row = series.history("uni-a").row(2020)
    assert row["grades"] == {"u-multirank": {"A": 1, "B": 1, "C": 0, "D": 0, "E": 0}}
    assert row["ranked"] and row["rank"] == 0 and row["field_size"] == 2
    assert series.history("uni-b").row(2020)["grades"]["u-multirank"]["E"] == 1
    bad = tmp_path / "bad.csv"
    bad.write_text("Institution,Citation rate\nUni A,F\n", encoding="utf-8")
    with pytest.raises(InvalidInput, match="not a grade"):
        read_table(bad, "u-multirank", 2020)


# -- 7. reproduce on a table already imported ------------------------------------------------------


def test_reproduce_data_gives_the_figures_of_the_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    frame = the_2016_frame()
    frame.loc[7, "income"] = "-"
    path = tmp_path / "the.csv"
    frame.to_csv(path, index=False)
    bundle = empty_bundle(tmp_path / "b")
    common = ("--system", "the-wur", "--edition", "2016", "--json")
    code, _, err = cli(
        monkeypatch, capsys, "import", str(path), "--data", str(bundle), "--create", *common
    )
    assert code == 0, err
    code, from_file, err = cli(monkeypatch, capsys, "reproduce", str(path), *common)
    assert code == 0, err
    code, from_bundle, err = cli(monkeypatch, capsys, "reproduce", "--data", str(bundle), *common)
    assert code == 0, err
    a, b = json.loads(from_file), json.loads(from_bundle)
    assert b["format"] == "bundle"
    for key in (
        "rows",
        "scored_rows",
        "complete_rows",
        "total_within_0_1_pct",
        "total_max_error",
        "rank_exact_pct",
        "banded_rows",
        "band_agreement_pct",
        "imputed_rows",
        "total_within_0_1_imputed_pct",
    ):
        assert a[key] == b[key], key
    assert (a["rows"], a["imputed_rows"]) == (240, 1)
    code, _, err = cli(
        monkeypatch,
        capsys,
        "reproduce",
        "--data",
        str(bundle),
        "--system",
        "arwu",
        "--edition",
        "2010",
    )
    assert code == 2 and "no published table of arwu 2010" in err


def test_reproduce_db_gives_the_json_of_reproduce_data(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """A table imported into a bundle, the bundle loaded into a DuckDB store: ``reproduce
    --db`` reads the same rows back and prints the same JSON as ``reproduce --data``."""
    monkeypatch.delenv("PALMARES_DB", raising=False)
    monkeypatch.delenv("PALMARES_DATA", raising=False)
    monkeypatch.chdir(tmp_path)  # no ./palmares.duckdb but the test's own
    frame = the_2016_frame()  # ranks 201-240 printed as bands, with no total
    frame.loc[7, "income"] = "-"  # imputed by the 2016 methodology
    path = tmp_path / "the.csv"
    frame.to_csv(path, index=False)
    bundle = empty_bundle(tmp_path / "b")
    common = ("--system", "the-wur", "--edition", "2016", "--json")
    code, _, err = cli(
        monkeypatch, capsys, "import", str(path), "--data", str(bundle), "--create", *common
    )
    assert code == 0, err
    store = tmp_path / "store.duckdb"
    code, _, err = cli(monkeypatch, capsys, "db", "load", str(bundle), "--db", str(store))
    assert code == 0, err
    code, from_bundle, err = cli(monkeypatch, capsys, "reproduce", "--data", str(bundle), *common)
    assert code == 0, err
    code, from_store, err = cli(monkeypatch, capsys, "reproduce", "--db", str(store), *common)
    assert code == 0, err
    a, b = json.loads(from_bundle), json.loads(from_store)
    assert (a["rows"], a["banded_rows"], a["imputed_rows"]) == (240, 40, 1)
    assert a["format"] == "bundle"
    assert a["total_within_0_1_pct"] is not None and a["rank_exact_pct"] is not None
    assert b == a
    # import writes a bundle: a store is refused (exit 2), and left as it was.
    before = store.read_bytes()
    code, _, err = cli(monkeypatch, capsys, "import", str(path), "--db", str(store), *common)
    assert code == 2 and "not a store" in err
    assert store.read_bytes() == before
    # A TABLE and a store: which one? exit 2; then the TABLE alone reads the file.
    code, _, err = cli(monkeypatch, capsys, "reproduce", str(path), "--db", str(store), *common)
    assert code == 2 and "either a TABLE file or --data DIR / --db URL" in err
    code, from_file, err = cli(monkeypatch, capsys, "reproduce", str(path), *common)
    assert code == 0, err
    assert json.loads(from_file)["rows"] == 240
    # A store holding no table of the edition says so, exit 2.
    code, _, err = cli(
        monkeypatch,
        capsys,
        "reproduce",
        "--db",
        str(store),
        "--system",
        "arwu",
        "--edition",
        "2010",
    )
    assert code == 2 and "no published table of arwu 2010" in err


def test_an_assumed_edition_says_so(tmp_path: Path) -> None:
    method = resolve_methodology("the-wur", 2026)
    rng = np.random.default_rng(1)
    frame = publish_table(method, 2026, [f"U{i}" for i in range(5)], rng.uniform(30, 90, (5, 5)))
    path = tmp_path / "the.csv"
    frame.to_csv(path, index=False)
    summary = reproduce(read_table(path, "the-wur", 2026), method).summary
    assert summary["assumed"] is True and "2025-2026" in summary["assumed_reason"]
    old = resolve_methodology("the-wur", 2016)
    frame16 = the_2016_frame(n=5)
    frame16.to_csv(path, index=False)
    assert reproduce(read_table(path, "the-wur", 2016), old).summary["assumed"] is False


def test_notes_footnote_marks_and_nameless_rows_of_a_real_copy(tmp_path: Path) -> None:
    path = tmp_path / "copy.csv"
    path.write_text(
        "World University Rankings 2015-2016,,,,,,,,\n"
        "Rank,Name,Country,Overall score*,Teaching¹,International outlook,Research,Citations,"
        "Industry income,Year\n"
        "=1,<b>Uni&nbsp;A</b>,United Kingdom,95.2,95.6,64.0,97.6,99.8,97.8,2016\n"
        "=1,Uni B,United Kingdom,95.2,95.6,64.0,97.6,99.8,97.8,2016\n"
        "201\u2013250,Uni C,Spain,0,40.0,50.0,30.0,60.0,0,2016\n"
        ",* Institutions in a band are listed alphabetically,,,,,,,,\n"
        ",,,,,,,,,\n"
        "Total,,,,,,,,,\n"
        "Source: THE,,,,,,,,,\n",
        encoding="utf-8",
    )
    table = read_table(path, "the-wur", 2016)
    assert table.institution.tolist() == ["Uni A", "Uni B", "Uni C"]
    assert table.columns["total"] == "Overall score*" and table.columns["teaching"] == "Teaching¹"
    assert table.rank.tied.tolist() == [True, True, False]
    assert np.isnan(table.total.value[2]) and np.isnan(table.components["income"].value[2])
    assert table.placeholders == {"Overall score*": 1, "Industry income": 1}
    assert [s["reason"] for s in table.skipped] == ["note", "note", "note"]


def test_cells_as_copies_print_them() -> None:
    from palmares.published import parse_rank, parse_score

    assert parse_rank("12*").rank == 12 and parse_rank("1.0").display == "1"
    assert (parse_rank("4e ex aequo").rank, parse_rank("4e ex aequo").tied) == (4, True)
    assert parse_rank("1re").rank == 1 and parse_rank("1\u00a0001+").band_lo == 1001
    assert parse_score("20\u202f152").value == 20152.0
    assert parse_score("96.1\u2020").value == 96.1 and parse_score("96 pts").value == 96.0
    assert parse_score("17/30").value == 17.0 and parse_score("\u00a072.3\u00a0").value == 72.3


def test_urls_and_publisher_ids_tell_institutions_apart_and_find_them_again(
    tmp_path: Path,
) -> None:
    from palmares.io.published_table import import_published

    def qs(names: list[str]) -> Path:
        records = [
            {
                "uni": f'<div class="td-wrap"><a href="/universities/u{i}">{name}</a></div>',
                "location": "India",
                "overall_rank_dis": wrap(i + 1),
                "overall": wrap(90 - i),
            }
            for i, name in enumerate(names)
        ]
        path = tmp_path / f"qs{len(list(tmp_path.iterdir()))}.json"
        path.write_text(json.dumps({"columns": [], "data": records}), encoding="utf-8")
        return path

    bundle = empty_bundle(tmp_path / "b")
    method = resolve_methodology("qs", 2025)
    first = qs(["Indian Institute of Technology", "Indian Institute of Technology"])
    table = read_table(first, "qs", 2025, dataset=palmares.load(bundle), create=True)
    # Same name, same country, different pages: two institutions, no homonym warning.
    assert [(c["id"], c["url"]) for c in table.created] == [
        ("indian-institute-of-technology", "/universities/u0"),
        ("indian-institute-of-technology-2", "/universities/u1"),
    ]
    assert table.warnings == ()
    import_published(bundle, palmares.load(bundle), table, method)
    institutions = pd.read_csv(bundle / "institutions.csv", dtype=str, keep_default_na=False)
    assert institutions["url"].tolist() == ["/universities/u0", "/universities/u1"]
    # A later table printing another name for the same page finds the institution.
    later = qs(["IIT Bombay", "IIT Delhi"])
    again = read_table(later, "qs", 2025, dataset=palmares.load(bundle))
    assert again.institution_ids is not None
    assert again.institution_ids.tolist() == [
        "indian-institute-of-technology",
        "indian-institute-of-technology-2",
    ]


def test_import_options_from_the_command_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    bundle = empty_bundle(tmp_path / "b")
    path = tmp_path / "t.csv"
    path.write_text(
        "Prefix,Rank,Name,Overall\n,1,A,n.p.\n=,2,B,80.0\n=,2,C,80.0\n,,,\n,4,,70.0\n",
        encoding="utf-8",
    )
    common = ("--data", str(bundle), "--system", "the-wur", "--edition", "2016", "--create")
    code, out, err = cli(monkeypatch, capsys, "import", str(path), *common, "--strict")
    assert code == 2 and ":6:Name: missing-value: no institution name" in err
    assert not (bundle / "published.csv").exists()
    code, out, err = cli(
        monkeypatch,
        capsys,
        "import",
        str(path),
        *common,
        "--missing",
        "Overall=n.p.",
        "--map",
        "rank=Prefix+Rank",
        "--json",
    )
    assert code == 0, err
    report = json.loads(out)
    assert report["placeholder_cells"] == 1 and report["placeholders"] == {"Overall": 1}
    assert report["skipped"] == [{"row": 6, "reason": "no-name"}]
    published = pd.read_csv(bundle / "published.csv", dtype=str, keep_default_na=False)
    overall = published.set_index("institution")
    assert overall.loc["a", "score"] == "" and overall.loc["b", "rank_display"] == "=2"


def test_an_excel_separator_line_and_not_ranked_cells(tmp_path: Path) -> None:
    path = tmp_path / "t.csv"
    path.write_text("sep=;\nRank;Name;Overall\n1;A;90,5\nNR;B;-\n", encoding="utf-8")
    with pytest.raises(InvalidInput, match="decimal comma"):
        read_table(path, "the-wur", 2016)
    path.write_text("sep=;\nRank;Name;Overall\n1;A;90.5\nNR;B;-\n", encoding="utf-8")
    table = read_table(path, "the-wur", 2016)
    assert table.rows.tolist() == [3, 4] and table.rank.status.tolist() == ["ranked", "unranked"]
    assert table.total.value[0] == 90.5


_CELLS = [
    "",
    "-",
    "0",
    "=12",
    "12*",
    "1.0",
    "201\u2013250",
    "1,001+",
    "Reporter",
    "NR",
    "96.1",
    "50.1\u201353.7",
    "20\u00a0152",
    "<b>7</b>",
    "n/a",
    "x",
    "33 : 67",
    "Uni \u00c9",
    "uni e",
    "=",
]


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(st.lists(st.lists(st.sampled_from(_CELLS), min_size=5, max_size=5), min_size=1, max_size=8))
def test_any_table_reads_or_is_refused_with_located_problems(
    tmp_path: Path, body: list[list[str]]
) -> None:
    path = tmp_path / "fuzz.csv"
    frame = pd.DataFrame(body, columns=["Rank", "Name", "Country", "Overall", "Teaching"])
    frame.to_csv(path, index=False)
    try:
        table = read_table(path, "the-wur", 2016)
    except InvalidInput as refused:
        assert all(p.row is not None and p.row >= 2 for p in refused.problems)
        assert all(len(p.message) < 400 for p in refused.problems)
        return
    # Every row kept has a name; a placeholder or a printed blank is never a value.
    assert (table.institution != "").all()
    assert not (table.total.value == 0).any()
    assert len(table) + len(table.skipped) <= len(body)


def test_missing_applies_to_the_rank_too(tmp_path: Path) -> None:
    path = tmp_path / "t.csv"
    path.write_text("Rang,Nom,Total\n1er,A,90\nhors classement,B,80\n", encoding="utf-8")
    with pytest.raises(InvalidInput, match="not a rank"):
        read_table(path, "letudiant", 2024)
    table = read_table(path, "letudiant", 2024, missing={"Rang": ["Hors classement"]})
    assert table.rank.status.tolist() == ["ranked", "unranked"]
    assert table.placeholders == {"Rang": 1}


def test_qs_json_keys_become_the_columns_they_name() -> None:
    from palmares.io.publisher_json import json_grid, strip_html

    document = {
        "columns": [{"data": "3781", "title": "<b>Academic Reputation</b>"}],
        "data": [
            {
                "uni": "<a href='/u/a'>A &amp; M</a>",
                "country": "France",
                "overall_rank_dis": "=1",
                "overall_rank": "1",
                "overall": "90",
                "3781": "80",
                "3781_rank": "4",
                "rank": "1",
            }
        ],
    }
    grid, rows = json_grid(document, "f.json", "qs-json")
    assert grid[0] == [
        "institution",
        "country",
        "rank",
        "json overall_rank",
        "total",
        "Academic Reputation",
        "3781_rank",
        "json rank",
        "url",
    ]
    assert grid[1][0] == "A & M" and grid[1][-1] == "/u/a" and rows == [1, 2]
    assert strip_html('<div class="td-wrap">&nbsp;87.6 </div>') == "87.6"
