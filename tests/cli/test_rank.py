"""``palmares rank`` and ``palmares explain`` through the console entry point, on ASEM."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from palmares.cli.rank import parse_edition
from palmares.problems import UsageProblem

ASEM = Path(__file__).parents[1] / "data" / "asem"
METHOD = Path(__file__).parents[1] / "methodology" / "examples" / "asem.toml"


def on_asem(bundle: Path) -> tuple[str, ...]:
    """The options every command here shares: the ASEM bundle, its methodology, 2018."""
    return ("--data", str(bundle), "--method", str(METHOD), "--edition", "2018")


@pytest.fixture(scope="module")
def bundle(tmp_path_factory: pytest.TempPathFactory) -> Path:
    import palmares
    from palmares.io import write_dataset

    out = tmp_path_factory.mktemp("asem") / "bundle"
    write_dataset(palmares.load([ASEM / "asem_idata.csv", ASEM / "asem_imeta.csv"]), out)
    return out


def test_rank_json_has_meta_and_the_known_top(cli, bundle) -> None:
    code, out, err = cli(
        "rank",
        *on_asem(bundle),
        "--top",
        "3",
        "--json",
    )
    assert code == 0, err
    document = json.loads(out)
    assert [r["institution"] for r in document["results"]] == ["DEU", "GBR", "FRA"]
    assert round(document["results"][0]["score"], 4) == 75.2278
    assert document["field_size"] == 51
    assert len(document["methodology_hash"]) == 64 and len(document["data_hash"]) == 64
    assert document["seed"] == 0
    assert document["personalisation"] is None


def test_rank_personalised_states_what_it_reranked_on(cli, bundle) -> None:
    code, out, _ = cli(
        "rank",
        *on_asem(bundle),
        "--criteria",
        "Sust",
        "--where",
        "EurAsia_group=Asia",
        "--weight",
        "Sust=2",
        "--json",
    )
    assert code == 0
    document = json.loads(out)
    assert document["personalisation"] == (
        "re-ranked on criteria Sust; weights Sust=2; filters EurAsia_group=Asia"
    )
    assert len(document["results"]) == 21  # the Asian members of ASEM
    assert [r["rank"] for r in document["results"]][:3] == [1, 2, 3]


def test_rank_text_table_and_output_file(cli, bundle, tmp_path) -> None:
    target = tmp_path / "table.csv"
    code, out, _ = cli(
        "rank",
        *on_asem(bundle),
        "--country",
        "FR",
        "--out",
        str(target),
    )
    assert code == 0
    # French by default: the re-ranking statement too (it was English in French output)
    words = " ".join(out.split())  # the caption wraps
    assert "France" in out and "les seuls établissements où country = FR" in words
    assert target.read_text(encoding="utf-8").splitlines()[1].startswith("FRA,France")
    code, _, err = cli(
        "rank",
        *on_asem(bundle),
        "--country",
        "FR",
        "--out",
        str(target),
    )
    assert code == 2 and "exists; pass --force" in err


def test_explain_by_name_with_contributions(cli, bundle) -> None:
    code, out, err = cli(
        "explain",
        "germany",
        *on_asem(bundle),
        "--json",
    )
    assert code == 0, err
    document = json.loads(out)
    assert document["institution"] == "DEU" and document["rank"] == 1
    leaves = [n for n in document["nodes"] if n["raw"] is not None]
    assert sum(n["contribution"] for n in leaves) == pytest.approx(document["score"])


def test_without_edition_the_latest_edition_is_ranked(cli, bundle) -> None:
    code, latest, err = cli("rank", "--data", str(bundle), "--system", str(METHOD), "--json")
    assert code == 0, err
    code, named, err = cli("rank", *on_asem(bundle), "--json")
    assert code == 0, err
    assert json.loads(latest)["edition"] == 2018  # the bundle's only (latest) edition
    assert json.loads(latest)["results"] == json.loads(named)["results"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--edition", "2018"], "give --system"),
        (["--method", str(METHOD), "--edition", "20x8"], "--edition '20x8'"),
        (["--method", str(METHOD), "--edition", "2018", "--weight", "Sust"], "KEY=VALUE"),
        (["--method", str(METHOD), "--edition", "2018", "--criteria", "Nope"], "'Nope'"),
    ],
)
def test_bad_input_exits_2_with_a_message(cli, bundle, args, message) -> None:
    code, out, err = cli("rank", "--data", str(bundle), *args)
    assert code == 2
    assert message in err and out == ""


def test_no_data_says_how_to_make_some(cli, monkeypatch, tmp_path) -> None:
    monkeypatch.delenv("PALMARES_DATA", raising=False)
    monkeypatch.delenv("PALMARES_DB", raising=False)
    monkeypatch.chdir(tmp_path)  # no ./palmares.duckdb (make demo loads one) to fall back on
    code, _, err = cli("rank", "--method", str(METHOD), "--edition", "2018")
    assert code == 2 and "palmares demo --out DIR" in err


def test_unknown_institution_lists_nothing_fuzzy(cli, bundle) -> None:
    code, _, err = cli(
        "explain",
        "Germ",
        *on_asem(bundle),
    )
    assert code == 2
    assert "no institution with id, name or alias 'Germ'" in err


def test_two_year_edition_names() -> None:
    assert parse_edition("2011") == 2011
    assert parse_edition("2010-11") == 2011
    assert parse_edition("2010-2011") == 2011
    with pytest.raises(UsageProblem):
        parse_edition("2010-13")
