"""``palmares chart ...`` end to end on the demo world's bundle."""

from __future__ import annotations

from pathlib import Path

from tests.charts.spec import SCHOOL
from tests.conftest import Cli


def test_chart_sdg_writes_a_png(cli: Cli, bundle: Path, tmp_path: Path) -> None:
    out = tmp_path / "sdg.png"
    code, stdout, stderr = cli(
        "chart",
        "sdg",
        SCHOOL,
        "--data",
        str(bundle),
        "--system",
        "the-impact",
        "--edition",
        "2023",
        "--lang",
        "fr",
        "--out",
        str(out),
    )
    assert (code, stderr) == (0, "")
    assert stdout.strip() == str(out)
    assert out.read_bytes().startswith(b"\x89PNG")
    code, _, stderr = cli(
        "chart",
        "sdg",
        SCHOOL,
        "--data",
        str(bundle),
        "--system",
        "the-impact",
        "--out",
        str(out),
    )
    assert code == 2 and "--force" in stderr


def test_chart_grades_html_by_name(cli: Cli, bundle: Path, tmp_path: Path) -> None:
    out = tmp_path / "grades.html"
    code, _, stderr = cli(
        "chart",
        "grades",
        "École des mines de Rodez",
        "--data",
        str(bundle),
        "--system",
        "u-multirank",
        "--out",
        str(out),
    )
    assert (code, stderr) == (0, "")
    assert "vegaEmbed" in out.read_text(encoding="utf-8")


def test_chart_usage_problems_exit_2(cli: Cli, bundle: Path, tmp_path: Path) -> None:
    base = ["--data", str(bundle), "--system", "the-impact"]
    code, _, stderr = cli("chart", "compare", SCHOOL, *base, "--out", str(tmp_path / "c.png"))
    assert code == 2 and "2 to 4" in stderr
    code, _, stderr = cli("chart", "sdg", SCHOOL, *base, "--out", str(tmp_path / "c.pdf"))
    assert code == 2 and ".png, .svg or .html" in stderr
    code, _, stderr = cli(
        "chart", "sdg", SCHOOL, *base, "--edition", "1990", "--out", str(tmp_path / "c.png")
    )
    assert code == 2 and "1990" in stderr
    code, _, stderr = cli("chart", "grades", SCHOOL, *base, "--out", str(tmp_path / "g.png"))
    assert code == 2 and "graded" in stderr
    assert not list(tmp_path.iterdir())
