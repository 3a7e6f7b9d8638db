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


def _svg_title(svg: str) -> str:
    import re

    found = re.search(r'class="mark-text role-title-text".*?<text[^>]*>([^<]*)<', svg)
    assert found is not None
    return found.group(1)


def test_every_chart_takes_the_view_and_labels_the_producer_view(
    cli: Cli, bundle: Path, tmp_path: Path
) -> None:
    base = ["--data", str(bundle), "--lang", "en"]
    commands = {
        "grades": [SCHOOL, "--system", "u-multirank", "--edition", "2022"],
        "sdg": [SCHOOL, "--system", "the-impact", "--edition", "2023"],
        "compare": [SCHOOL, "fr-mines-niort", "--system", "u-multirank", "--edition", "2022"],
    }
    for command, args in commands.items():
        titles = {}
        for view in ("published", "producer"):
            out = tmp_path / f"{command}-{view}.svg"
            code, _, stderr = cli("chart", command, *args, *base, "--view", view, "--out", str(out))
            assert (code, stderr) == (0, ""), command
            titles[view] = _svg_title(out.read_text(encoding="utf-8"))
        assert "producer view" not in titles["published"], command
        assert titles["producer"].endswith("computed by palmares (producer view)"), command
        assert "u-multirank" not in titles["published"] and "the-impact" not in titles["published"]
    code, _, stderr = cli("chart", "sdg", *commands["sdg"], *base, "--view", "x", "--out", "z.svg")
    assert code == 2 and "--view" in stderr


def test_compare_states_a_counts_not_an_overall_rank_in_the_published_view(
    cli: Cli, bundle: Path, tmp_path: Path
) -> None:
    import re

    args = ["compare", SCHOOL, "fr-mines-niort", "--data", str(bundle), "--lang", "fr"]
    args += ["--system", "u-multirank", "--edition", "2022"]
    out = tmp_path / "c.svg"
    assert cli("chart", *args, "--out", str(out))[0] == 0
    svg = out.read_text(encoding="utf-8")
    assert "Notes A au total" in svg
    assert not re.search(r"\d+e( ex aequo)?\b", svg)  # no rank of U-Multirank's own
    producer = tmp_path / "p.svg"
    assert cli("chart", *args, "--view", "producer", "--out", str(producer))[0] == 0
    assert re.search(r"\d+e( ex aequo)?\b", producer.read_text(encoding="utf-8"))
