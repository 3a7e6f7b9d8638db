"""Result tables and exports: ordering, explain, and byte-identical files on rerun."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from test_engine import MINMAX_MEAN, dataset, methodology

from palmares.engine import run
from palmares.problems import UsageProblem

ROUNDED = (
    MINMAX_MEAN
    + """
[[steps]]
type = "round"
method = "half_up"
decimals = 1
"""
)

BANDED = """rank_on = "published"
ties = "equals"

[ranking.bands.default]
individual_until = 2
bands = [[3, 4], [5, inf]]
"""


def make():
    ds = dataset(
        {"s.a": [0, 5, 10, 20, 40, 7], "s.b": [10, 20, 30, 0, 0, 7], "s.c": [3, 1, 2, 9, 0, 7]}
    )
    return run(ds, methodology(ROUNDED, BANDED), 2024, seed=3)


def test_frame_is_in_rank_order_with_bands_and_meta() -> None:
    frame = make().to_frame()
    assert frame["rank"].tolist() == sorted(frame["rank"].tolist())
    assert frame.loc[0, "band"] == str(frame.loc[0, "rank"])  # shown individually
    assert set(frame["band"].tolist()[2:4]) == {"3–4"}
    assert frame["band"].tolist()[-1] == "5+"


def test_explain_contributions_sum_to_the_unrescaled_score() -> None:
    result = make()
    table = result.explain("i3").set_index("node")
    leaves = table.loc[list(result.leaves), "contribution"].sum()
    assert leaves == pytest.approx(result.raw_score[3])
    assert table.loc["s.p", "share_of_parent"] == pytest.approx(0.5)


@pytest.mark.parametrize("suffix", [".csv", ".json", ".parquet", ".xlsx"])
def test_exports_are_byte_identical_on_rerun(tmp_path: Path, suffix: str) -> None:
    first = make().write(tmp_path / f"a{suffix}")
    second = make().write(tmp_path / f"b{suffix}")
    assert first.read_bytes() == second.read_bytes()
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]  # no temporaries left


def test_exports_carry_what_regenerates_them(tmp_path: Path) -> None:
    result = make()
    csv = pd.read_csv(result.write(tmp_path / "t.csv"), dtype=str)
    assert set(csv["methodology_hash"]) == {result.methodology_hash}
    assert set(csv["seed"]) == {"3"}
    document = json.loads(result.write(tmp_path / "t.json").read_text())
    assert document["data_hash"] == result.data_hash
    assert document["palmares_version"] == result.palmares_version
    assert len(document["results"]) == 6


def test_existing_output_needs_force(tmp_path: Path) -> None:
    result = make()
    result.write(tmp_path / "t.csv")
    with pytest.raises(UsageProblem, match="exists; pass --force"):
        result.write(tmp_path / "t.csv")
    result.write(tmp_path / "t.csv", force=True)
