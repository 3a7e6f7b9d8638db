"""``palmares communique`` through the console entry point, on the demo bundle (seed 0):
JSON summary, charts next to the Markdown, refusal to overwrite, bad input exits 2."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from palmares.demo import generate
from palmares.io import write_dataset
from tests.conftest import Cli


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> str:
    path = tmp_path_factory.mktemp("communique-cli") / "bundle"
    write_dataset(generate(0), path)
    return str(path)


def test_communique_with_charts_json(cli: Cli, demo: str, tmp_path: Path) -> None:
    out = tmp_path / "rodez.md"
    args = ("fr-mines-rodez", "--data", demo, "--edition", "2022", "--system", "u-multirank")
    code, stdout, err = cli(
        "communique", *args, "--lang", "en", "--charts", "--out", str(out), "--json"
    )
    assert code == 0, err
    document = json.loads(stdout)
    charts = [
        tmp_path / "rodez-u-multirank-trajectory.png",
        tmp_path / "rodez-u-multirank-grades.png",
    ]
    assert document["out"] == str(out)
    assert document["unaccounted"] == [] and document["omitted"] == []
    assert document["charts"] == [str(c) for c in charts]
    # No U-Multirank overall rank is published: the A count heads the release.
    assert document["headline"].startswith("U-Multirank 2022: Rodez School of Mines earns 9")
    markdown = out.read_text(encoding="utf-8")
    assert markdown.startswith(f"# {document['headline']}\n")
    assert document["facts"] == markdown.count("\n- ") - 2  # one line per fact, 2 in the footer
    for chart in charts:
        assert chart.read_bytes()[:4] == b"\x89PNG"
        assert f"]({chart.name})" in markdown
    assert not list(tmp_path.glob(".*tmp-*"))  # no temporary left behind


def test_refuses_to_overwrite_without_force(cli: Cli, demo: str, tmp_path: Path) -> None:
    out = tmp_path / "c.md"
    out.write_text("mine", encoding="utf-8")
    args = ("fr-mines-rodez", "--data", demo, "--edition", "2021", "--system", "u-multirank")
    code, _, err = cli("communique", *args, "--out", str(out))
    assert code == 2 and "--force" in err
    assert out.read_text(encoding="utf-8") == "mine"
    code, stdout, err = cli("communique", *args, "--out", str(out), "--force")
    assert code == 0, err
    assert stdout.splitlines() == [str(out)]
    text = out.read_text(encoding="utf-8")
    assert text.startswith("# U-Multirank 2021\u00a0: École des mines de Rodez")
    # A chart in the way is refused too, and nothing is written.
    (tmp_path / "d-u-multirank-trajectory.png").write_bytes(b"old")
    code, _, err = cli("communique", *args, "--charts", "--out", str(tmp_path / "d.md"))
    assert code == 2 and "--force" in err
    assert not (tmp_path / "d.md").exists() and not (tmp_path / "d-u-multirank-grades.png").exists()


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (("--edition", "2023", "--system", "u-multirank"), "no edition 2023"),
        (("--edition", "2015"), "not ranked in any"),
        (("--edition", "2023", "--lang", "de"), "--lang"),
        (("--edition", "20x1"), "--edition"),
        (("--edition", "2023", "--system", "no-such-system"), "no-such-system"),
    ],
)
def test_bad_input_exits_2(
    cli: Cli, demo: str, tmp_path: Path, extra: tuple[str, ...], message: str
) -> None:
    out = tmp_path / "x.md"
    code, _, err = cli("communique", "fr-mines-rodez", "--data", demo, *extra, "--out", str(out))
    assert code == 2 and message in err, err
    assert not out.exists()


def test_unknown_institution_exits_2(cli: Cli, demo: str, tmp_path: Path) -> None:
    out = tmp_path / "x.md"
    code, _, err = cli(
        "communique", "Nowhere", "--data", demo, "--edition", "2023", "--out", str(out)
    )
    assert code == 2 and "Nowhere" in err
    assert not out.exists()
