"""``palmares uncertainty --method the-impact|letudiant|u-multirank`` on the demo world."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from palmares.dataset import Dataset


@pytest.fixture(scope="module")
def bundle(tmp_path_factory: pytest.TempPathFactory, demo_world: Dataset) -> Path:
    from palmares.io import write_dataset

    path = tmp_path_factory.mktemp("demo") / "world"
    write_dataset(demo_world, path)
    return path


@pytest.mark.parametrize(
    ("preset", "edition", "field"),
    [("the-impact", "2024", 1963), ("letudiant", "2022", 168)],
)
def test_presets_with_the_default_spec(cli, bundle, preset, edition, field) -> None:
    args = ["uncertainty", "--data", str(bundle), "--method", preset, "--edition", edition]
    code, stdout, err = cli(*args, "--draws", "40", "--json")
    assert code == 0, err
    doc = json.loads(stdout)
    assert doc["institutions"] == len(doc["results"]) == field
    assert doc["mean_abs_rank_shift"] > 0
    assert all(r["q05"] <= r["median_rank"] <= r["q95"] for r in doc["results"])


def test_u_multirank_refuses_weights_and_takes_a_spec(cli, bundle, tmp_path) -> None:
    args = ["uncertainty", "--data", str(bundle), "--method", "u-multirank"]
    args += ["--edition", "2022", "--draws", "30"]
    code, _, err = cli(*args)
    assert code == 2
    assert "steps[1] (aggregate.grade_counts)" in err and "no weights to perturb" in err
    spec = tmp_path / "spec.toml"
    spec.write_text(
        """
[uncertainty.weights]
method = "none"

[uncertainty.exclude]
nodes = ["u-multirank.research"]

[uncertainty.noise]
relative = 0
bootstrap = true
replicates = 3
""",
        "utf-8",
    )
    code, stdout, err = cli(*args, "--spec", str(spec), "--json")
    assert code == 0, err
    doc = json.loads(stdout)
    assert doc["institutions"] == 2019
    assert any(r["q95"] > r["q05"] for r in doc["results"])
