"""``palmares history`` and ``palmares network`` through the console entry point."""

from __future__ import annotations

import json
import re
from collections.abc import Callable

import pytest
from history_world import world, write_methods

from palmares.cli import main
from palmares.io import write_dataset

Cli = Callable[..., tuple[int, str, str]]


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
    """(bundle folder, folder of the two methodology files)."""
    root = tmp_path_factory.mktemp("history")
    write_dataset(world(), root / "bundle")
    write_methods(root / "methods")
    return str(root / "bundle"), str(root / "methods")


def test_history_json(run: Cli, bundle: tuple[str, str]) -> None:
    data, methods = bundle
    code, out, err = run(
        "history",
        "École Z",
        "--data",
        data,
        "--system",
        methods,
        "--json",
        "--view",
        "producer",
        "--lang",
        "en",
    )
    assert code == 0, err
    document = json.loads(out)
    assert document["institution"] == "z"
    editions = {e["edition"]: e for e in document["editions"]}
    assert (editions[2020]["rank"], editions[2020]["tie_size"]) == (4, 2)
    assert editions[2020]["rank_display"] == "=4th"
    assert editions[2022]["band_change"] == "4–5 -> 6+"
    assert editions[2023]["movement_flags"] == ["methodology", "scale"]
    assert editions[2024]["national_rank_worst"] == 5


def test_history_text_in_french(run: Cli, bundle: tuple[str, str]) -> None:
    data, methods = bundle
    code, out, err = run(
        "history", "z", "--data", data, "--method", methods, "--lang", "fr", "--view", "producer"
    )
    assert code == 0, err
    assert "4e ex aequo" in out and "première édition de test\xa0: 2020" in out
    assert "École Z (z) dans test" in out  # the system's name, not its id


def test_history_bad_input_exits_2(run: Cli, bundle: tuple[str, str]) -> None:
    data, methods = bundle
    code, out, err = run("history", "École", "--data", data, "--system", methods)
    assert code == 2 and out == ""
    assert "no institution" in err and "top" in err  # candidates whose names contain it
    code, _, err = run("history", "z", "--data", data)
    assert code == 2 and "--system" in err
    code, _, err = run("history", "z", "--data", data, "--system", "no-such-preset")
    assert code == 2 and "no-such-preset" in err
    code, _, err = run("history", "z", "--data", data, "--system", methods, "--lang", "de")
    assert code == 2 and "--lang" in err


def test_network_json(run: Cli, bundle: tuple[str, str]) -> None:
    data, methods = bundle
    code, out, err = run(
        "network",
        "net",
        "--data",
        data,
        "--system",
        methods,
        "--edition",
        "2022",
        "--json",
        "--view",
        "producer",
    )
    assert code == 0, err
    document = json.loads(out)
    assert [m["institution"] for m in document["members_ranked"]] == ["new", "x", "z", "w"]
    assert document["country_field"] == {"DE": 2, "FR": 7}
    assert document["first_member"] == "new"
    assert document["declined"] == ["z"]


def test_network_text_and_bad_input(run: Cli, bundle: tuple[str, str]) -> None:
    data, methods = bundle
    code, out, err = run("network", "net", "--data", data, "--system", methods, "--edition", "2021")
    assert code == 0, err
    assert "The Network" in out and "nouveaux\xa0: École W" in out  # names, not ids
    code, _, err = run("network", "nope", "--data", data, "--system", methods, "--edition", "2021")
    assert code == 2 and "networks: net" in err
    code, latest, err = run("network", "net", "--data", data, "--system", methods)
    assert code == 0, err  # no --edition: the latest edition of the system
    last = max(int(y) for y in re.findall(r"\b(20\d\d)\b", latest))
    code, named, _ = run(
        "network", "net", "--data", data, "--system", methods, "--edition", str(last)
    )
    assert code == 0 and named == latest
    code, _, err = run("network", "net", "--data", data, "--system", methods, "--edition", "1990")
    assert code == 2 and "edition" in err
