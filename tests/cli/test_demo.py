"""`palmares demo` (contracts section 4): writes, replaces its own output, refuses others."""

import hashlib
import json
import re
import sys
from pathlib import Path

import pytest

from palmares.cli import main
from palmares.demo import MARKER

SUMMARY_KEYS = {
    "institutions",
    "countries",
    "systems",
    "editions",
    "indicators",
    "observations",
    "coverage",
}


def run(monkeypatch: pytest.MonkeyPatch, *args: str) -> int:
    monkeypatch.setattr(sys, "argv", ["palmares", "demo", *args])
    with pytest.raises(SystemExit) as stop:
        main()
    return int(stop.value.code or 0)


def digest(folder: Path) -> dict[str, str]:
    return {
        p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.glob("*.csv"))
    }


def test_demo_writes_replaces_and_is_byte_identical(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    out = tmp_path / "world"
    assert run(monkeypatch, "--out", str(out), "--json") == 0
    summary = json.loads(capsys.readouterr().out)
    assert set(summary) >= SUMMARY_KEYS
    assert summary["seed"] == 0 and summary["world"] == "demo"
    assert summary["institutions"] >= 1800 and summary["countries"] >= 90
    assert summary["systems"] == ["letudiant", "the-impact", "u-multirank"]
    assert summary["editions"]["the-impact"] == list(range(2019, 2025))
    assert (out / MARKER).is_file()
    first = digest(out)
    assert len(first) == 8

    # A file the demo did not write is kept: the demo refuses (issue 19), then replaces its own.
    (out / "notes.txt").write_text("mine")
    capsys.readouterr()
    assert run(monkeypatch, "--out", str(out)) == 2
    assert (out / "notes.txt").read_text() == "mine"
    (out / "notes.txt").unlink()
    assert run(monkeypatch, "--out", str(out), "--lang", "en") == 0
    text = capsys.readouterr().out
    assert f"written to {out}" in text
    assert re.search(r"U-Multirank +2021", text) and "the-impact" not in text and "%" in text
    # French by default (contracts section 1: $PALMARES_LANG, else fr), numbers in its style
    monkeypatch.delenv("PALMARES_LANG", raising=False)
    assert run(monkeypatch, "--out", str(out)) == 0
    text = capsys.readouterr().out
    assert f"écrit dans {out}" in text and "Highlights" not in text
    assert "2\u202f670" in text or "2\u00a0670" in text
    assert "\u00a0%" in text
    assert digest(out) == first


def test_demo_refuses_a_folder_it_did_not_write(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    (tmp_path / "data.csv").write_text("mine\n")
    assert run(monkeypatch, "--out", str(tmp_path)) == 2
    err = capsys.readouterr().err
    assert "not a palmares demo output" in err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["data.csv"]


def test_bad_options_exit_2_before_writing(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    assert run(monkeypatch, "--world", "moon", "--out", str(tmp_path / "w")) == 2
    assert "--world 'moon'" in capsys.readouterr().err
    assert run(monkeypatch, "--seed", "-3", "--out", str(tmp_path / "w")) == 2
    assert "non-negative" in capsys.readouterr().err


def test_seed_world_is_observations_only_and_shows_imt_mines_ales(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    out = tmp_path / "seeds"
    assert run(monkeypatch, "--world", "seeds", "--out", str(out), "--json") == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["world"] == "seeds"
    assert json.loads((out / MARKER).read_text())["world"] == "seeds"
    assert summary["highlights"]["institution"] == "imt-mines-ales"
    # no rank, band, group or grade is stored: palmares computes them
    published = (out / "published.csv").read_text(encoding="utf-8").splitlines()
    assert len(published) == 1
    networks = (out / "networks.csv").read_text(encoding="utf-8")
    assert "imt-atlantique" in networks and "Institut Mines-Télécom" in networks
