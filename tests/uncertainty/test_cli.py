"""``palmares uncertainty`` and ``palmares sensitivity`` through the console entry point."""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from conftest import FULL

from palmares.cli import main


@pytest.fixture
def cli(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]):
    def run(*args: str) -> tuple[int, str, str]:
        monkeypatch.setattr("sys.argv", ["palmares", *args])
        with pytest.raises(SystemExit) as stopped:
            main()
        out, err = capsys.readouterr()
        return int(stopped.value.code or 0), out, err

    return run


@pytest.fixture
def files(tmp_path: Path, field) -> tuple[Path, Path]:
    from palmares.io import write_dataset

    bundle = tmp_path / "bundle"
    write_dataset(field, bundle)
    method = tmp_path / "m.toml"
    method.write_text(
        """
[methodology]
id = "t"
system = "s"
version = "1"
label_en = "test"
editions = { from = 2020 }

[weights]
"s.p" = 0.6
"s.q" = 0.4
"""
        + FULL,
        encoding="utf-8",
    )
    return bundle, method


def test_json_document_and_parquet_output(cli, files, tmp_path) -> None:
    bundle, method = files
    out = tmp_path / "u.parquet"
    args = ["uncertainty", "--data", str(bundle), "--method", str(method), "--edition", "2024"]
    args += ["--draws", "100", "--seed", "3", "--previous-edition", "2023", "--top-k", "5"]
    code, stdout, err = cli(*args, "--json", "--out", str(out))
    assert code == 0, err
    doc = json.loads(stdout)
    assert doc["draws"] == 100 and doc["seed"] == 3
    assert doc["institutions"] == len(doc["results"]) == 40
    first = doc["results"][0]
    assert first["nominal_rank"] == 1
    assert first["q05"] <= first["median_rank"] <= first["q95"]
    assert any(r["p_move_real"] is not None for r in doc["results"])
    table = pq.read_table(out)
    assert table.num_rows == 40
    counts = table.column("acceptability").to_pylist()
    unranked = table.column("unranked_draws").to_pylist()
    assert all(sum(c) + u == 100 for c, u in zip(counts, unranked, strict=True))
    meta = json.loads(table.schema.metadata[b"palmares.uncertainty"])
    assert meta["seed"] == 3 and meta["spec"]["top_k"] == 5
    # an existing output is refused without --force
    code, _, err = cli(*args, "--out", str(out))
    assert code == 2 and "--force" in err
    assert "chunks" in cli(*args, "--out", str(out), "--force")[2]


def test_bad_spec_exits_2_with_located_problems(cli, files, tmp_path) -> None:
    bundle, method = files
    spec = tmp_path / "spec.toml"
    spec.write_text('[[alternatives]]\nstep = "treat"\noptions = [{ method = "jrc" }]\n', "utf-8")
    code, _, err = cli(
        "uncertainty",
        "--data",
        str(bundle),
        "--method",
        str(method),
        "--edition",
        "2024",
        "--draws",
        "10",
        "--spec",
        str(spec),
    )
    assert code == 2
    assert f"{spec}:-:2:alternatives[0].step: invalid-uncertainty" in err
    code, _, err = cli(
        "uncertainty",
        "--data",
        str(bundle),
        "--method",
        str(method),
        "--edition",
        "20x4",
        "--draws",
        "10",
    )
    assert code == 2 and "--edition" in err


def test_sensitivity_json(cli, files) -> None:
    bundle, method = files
    code, stdout, err = cli(
        "sensitivity",
        "--data",
        str(bundle),
        "--method",
        str(method),
        "--edition",
        "2024",
        "--samples",
        "16",
        "--json",
    )
    assert code == 0, err
    doc = json.loads(stdout)
    assert doc["output"] == "mean_abs_rank_shift"
    assert {f["factor"] for f in doc["factors"]} >= {"weight:s.p", "weight:s.q"}


def test_unsupported_methodology_and_empty_spec_exit_2(cli, files, tmp_path) -> None:
    bundle, method = files
    copeland = tmp_path / "c.toml"
    copeland.write_text(
        method.read_text("utf-8")
        .replace('method = "arithmetic"', 'method = "copeland"')
        .replace('method = "top100"', 'method = "minmax"'),
        "utf-8",
    )
    code, _, err = cli(
        "uncertainty",
        "--data",
        str(bundle),
        "--method",
        str(copeland),
        "--edition",
        "2024",
        "--draws",
        "10",
    )
    assert code == 2 and "aggregate.copeland" in err, err
    spec = tmp_path / "none.toml"
    spec.write_text('[weights]\nmethod = "none"\n', "utf-8")
    code, _, err = cli(
        "sensitivity",
        "--data",
        str(bundle),
        "--method",
        str(method),
        "--edition",
        "2024",
        "--samples",
        "8",
        "--spec",
        str(spec),
    )
    assert code == 2 and "varies nothing" in err, err
