"""``palmares systems``, the generated pages, personalised preset rankings from the CLI."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from preset_worlds import make_dataset
from test_preset_letudiant import world_2023
from test_preset_u_multirank import world as umr_world

from palmares.systems.pages import DOCS_DIR, describe_presets, render_page

MINE = ("u-multirank", "letudiant", "the-impact")


def test_systems_json_lists_the_presets_with_their_edition_ranges(cli) -> None:
    code, out, err = cli("systems", "--json")
    assert code == 0, err
    presets = {p["id"]: p for p in json.loads(out)["presets"]}
    assert set(MINE) <= set(presets)
    assert presets["letudiant"]["editions"] == "2016+"
    assert [f["editions"] for f in presets["the-impact"]["methodologies"]] == [
        "2019-2019",
        "2020-2021",
        "2022+",
    ]
    assert presets["u-multirank"]["readymade"][0] == "economic-engagement"
    code, out, _ = cli("systems")
    assert code == 0 and "u-multirank" in out


@pytest.mark.parametrize("preset", MINE)
def test_committed_pages_are_up_to_date(preset: str) -> None:
    page = render_page(preset)
    assert (DOCS_DIR / f"{preset}.md").read_text(encoding="utf-8") == page
    m = describe_presets([preset])[0]
    assert all(f["methodology_hash"][:12] in page for f in m["methodologies"])
    assert "## Node ids" in page and "### Assumptions" in page


def _bundle(ds, tmp_path: Path) -> Path:
    from palmares.io import write_dataset

    out = tmp_path / "bundle"
    write_dataset(ds, out)
    return out


def test_dynamic_palmares_from_the_cli(cli, tmp_path: Path) -> None:
    data = _bundle(world_2023(), tmp_path)
    code, out, err = cli(
        "rank",
        "--data",
        str(data),
        "--system",
        "letudiant",
        "--edition",
        "2023",
        "--criteria",
        "letudiant.companies",
        "--where",
        "intake=post-bac",
        "--json",
    )
    assert code == 0, err
    document = json.loads(out)
    rows = [(r["institution"], r["rank"], r["score"]) for r in document["results"]]
    expected = [("i10", 1, 20), ("i8", 2, 16), ("i6", 3, 12), ("i4", 4, 8), ("i2", 5, 4)]
    assert rows == [*expected, ("i0", 6, 0)]
    assert document["personalisation"].endswith("filters intake=post-bac")


def test_personalised_a_count_ranking_from_the_cli(cli, tmp_path: Path) -> None:
    data = _bundle(umr_world(), tmp_path)
    code, out, err = cli(
        "rank",
        "--data",
        str(data),
        "--system",
        "u-multirank@2016",
        "--edition",
        "2021",
        "--criteria",
        "u-multirank.masters-on-time,u-multirank.student-mobility",
        "--lang",
        "fr",
        "--json",
    )
    assert code == 0, err
    results = json.loads(out)["results"]
    assert [r["institution"] for r in results[:3]] == ["i6", "i0", "i5"]
    assert results[0]["rank_display"] == "1re" and results[0]["score"] == 1
    assert results[1]["rank_display"] == "2e ex aequo" and results[1]["tie_size"] == 10


def test_unknown_readymade_or_criterion_exits_2(cli, tmp_path: Path) -> None:
    data = _bundle(umr_world(), tmp_path)
    code, _, err = cli(
        "rank", "--data", str(data), "--system", "u-multirank", "--edition", "2021",
        "--criteria", "nope",
    )  # fmt: skip
    assert code == 2 and "--criteria 'nope': unknown criterion" in err


def test_preset_worlds_keep_not_applicable_cells() -> None:
    ds = make_dataset("s", 2020, {"s": "", "s.a": "s"}, {"s.a": [1.0, "n/a", None]})
    assert ds.observations["status"].tolist() == ["reported", "not_applicable", "missing"]
