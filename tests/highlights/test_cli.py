"""``palmares highlights`` and ``palmares check`` through the console entry point: the JSON
shapes of contracts section 6."""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest
from history_world import world, write_methods

from palmares.cli import main
from palmares.io import write_dataset

Cli = Callable[..., tuple[int, str, str]]
FACT_KEYS = {
    "kind",
    "institution",
    "institution_name",
    "system",
    "edition",
    "lang",
    "text",
    "values",
    "priority",
    "methodology_hash",
    "data_hash",
}


@pytest.fixture
def run(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> Cli:
    def call(*args: str) -> tuple[int, str, str]:
        monkeypatch.setattr("sys.argv", ["palmares", *args])
        with pytest.raises(SystemExit) as stopped:
            main()
        out, err = capsys.readouterr()
        return int(stopped.value.code or 0), out, err

    return call


@pytest.fixture(scope="module")
def bundle(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, str]:
    root = tmp_path_factory.mktemp("hl")
    write_dataset(world(), root / "bundle")
    write_methods(root / "methods")
    return str(root / "bundle"), str(root / "methods")


def test_highlights_json(run: Cli, bundle: tuple[str, str]) -> None:
    data, methods = bundle
    args = ("École X", "--data", data, "--system", methods, "--edition", "2023", "--json")
    code, out, err = run("highlights", *args, "--lang", "fr")
    assert code == 0, err
    document = json.loads(out)
    assert isinstance(document, list) and document
    assert all(set(fact) == FACT_KEYS for fact in document)
    assert {f["institution"] for f in document} == {"x"}
    assert {f["lang"] for f in document} == {"fr"}
    assert len({f["data_hash"] for f in document}) == 1
    move = next(f for f in document if f["kind"] == "movement")
    assert move["values"]["places"] == 1 and "methodology" in move["values"]["flags"]
    assert "gagne 1 place" in move["text"]
    code, out, _ = run("highlights", "x", "--data", data, "--system", methods, "--edition", "2023")
    assert code == 0 and out.startswith("- ")


def test_check_json_true_and_false(run: Cli, bundle: tuple[str, str]) -> None:
    data, methods = bundle
    base = ("x", "--data", data, "--system", methods, "--edition", "2023", "--json")
    code, out, _ = run("check", *base, "--claim", "rank=2")
    assert code == 0
    verdict = json.loads(out)
    assert set(verdict) == {
        "claim",
        "kind",
        "value",
        "holds",
        "proof",
        "correct_text_fr",
        "correct_text_en",
    }
    assert verdict["holds"] is True
    code, out, _ = run("check", *base, "--claim", "top-percent=10")
    verdict = json.loads(out)
    assert code == 0  # the check ran; the claim is false: 2nd of 10 is top 20 %
    assert (verdict["kind"], verdict["holds"]) == ("percentile", False)
    assert "top 20\u00a0%" in verdict["correct_text_fr"]
    assert "top 20%" in verdict["correct_text_en"]


def test_usage_errors_exit_2(run: Cli, bundle: tuple[str, str]) -> None:
    data, methods = bundle
    base = ("x", "--data", data, "--system", methods)
    latest = run("highlights", *base, "--json")  # no --edition: the latest edition
    assert (
        latest[0] == 0 and latest[1] == run("highlights", *base, "--edition", "2024", "--json")[1]
    )
    assert run("highlights", *base, "--edition", "1999")[0] == 2
    assert run("highlights", *base, "--edition", "2023", "--lang", "de")[0] == 2
    assert run("check", *base, "--edition", "2023", "--claim", "prestige=1")[0] == 2


def test_check_speaks_the_chosen_language(
    run: Cli, bundle: tuple[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    data, methods = bundle
    monkeypatch.delenv("PALMARES_LANG", raising=False)
    base = ("x", "--data", data, "--system", methods, "--edition", "2023")
    code, out, _ = run("check", *base, "--claim", "top-percent=10")  # French by default
    lines = out.splitlines()
    assert code == 0 and lines[0] == "top-percent=10\u00a0: faux"
    assert lines[1].startswith(
        "preuve\u00a0: rang 2 sur 10\u00a0: 100 × 2 / 10 = 20,00, top 20\u00a0%"
    )
    assert lines[2].startswith("en français\u00a0: ") and "top 20\u00a0%" in lines[2]
    assert lines[3].startswith("en anglais\u00a0: ") and "top 20%" in lines[3]
    code, out, _ = run("check", *base, "--claim", "top-percent=10", "--lang", "en", "--json")
    assert json.loads(out)["proof"].startswith("rank 2 of 10: 100 × 2 / 10 = 20.00, top 20%")
    code, out, _ = run("check", *base, "--claim", "rank=2", "--lang", "EN")
    assert out.splitlines()[:2] == [
        "rank=2: true",
        "proof: rank 2 of 10 (1 institution at this rank)",
    ]
