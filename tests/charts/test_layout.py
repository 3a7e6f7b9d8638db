"""Every example chart of docs/examples, rendered to SVG: no two words overlap, one font family,
and the files in docs/examples are the charts palmares draws (issue 14 item 7)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from palmares.charts.layout import TextBox, collisions, text_boxes, text_width
from palmares.charts.render import render
from palmares.charts.text import FONT
from palmares.dataset import Dataset
from palmares.demo.chart_examples import STEMS, example_charts
from tests.highlights.seed_worlds import seed_world

EXAMPLES = Path(__file__).resolve().parents[2] / "docs" / "examples"


@pytest.fixture(scope="module")
def svgs(world: Dataset) -> dict[str, str]:
    # 200 draws instead of the docs' 1,000: the same chart, quicker (the layout is the test)
    charts = example_charts(seed_world(0), world, draws=200)
    assert tuple(charts) == STEMS
    return {stem: render(draw(), "svg").decode("utf-8") for stem, draw in charts.items()}


@pytest.mark.parametrize("stem", STEMS)
def test_no_two_words_of_an_example_chart_overlap(svgs: dict[str, str], stem: str) -> None:
    svg = svgs[stem]
    assert len(text_boxes(svg)) > 10  # the chart's words were all found
    assert collisions(svg) == []


@pytest.mark.parametrize("stem", STEMS)
def test_every_word_is_in_one_font_family(svgs: dict[str, str], stem: str) -> None:
    families = set(re.findall(r'font-family="([^"]*)"', svgs[stem]))
    assert families == {FONT}


@pytest.mark.parametrize("stem", STEMS)
def test_docs_examples_are_the_charts_palmares_draws(stem: str) -> None:
    png = EXAMPLES / f"{stem}.png"
    assert png.is_file() and png.read_bytes().startswith(b"\x89PNG")


def test_example_titles_name_systems_not_preset_ids(svgs: dict[str, str]) -> None:
    titles = {stem: _title(svg) for stem, svg in svgs.items()}
    assert "Classement THE Impact" in titles["trajectory-the-impact-fr"]
    assert "U-Multirank" in titles["grades-u-multirank-2021-fr"]
    assert "THE Impact Rankings 2021" in titles["sdg-the-impact-2021-en"]
    for title in titles.values():
        assert not re.search(r"\b(the-impact|u-multirank|umr-composite|letudiant)\b", title)


def test_sunburst_names_every_dimension_in_full(svgs: dict[str, str]) -> None:
    words = " ".join(b.text for b in text_boxes(svgs["grades-u-multirank-2021-fr"]))
    assert "…" not in words
    for name in ("Enseignement et", "apprentissage", "Transfert de", "connaissances"):
        assert name in words


def test_trajectory_legend_has_every_line(svgs: dict[str, str]) -> None:
    words = {b.text for b in text_boxes(svgs["trajectory-the-impact-fr"])}
    assert {"IMT Mines Alès", "IMT Atlantique", "Mines Saint-Étienne"} <= words
    assert {"Établissements classés", "méthodologie modifiée"} <= words
    # the published view: bands, never a rank inside them
    assert "301–400" in words and not any(re.fullmatch(r"3\d\de", w) for w in words)


def _title(svg: str) -> str:
    found = re.search(r'class="mark-text role-title-text".*?<text[^>]*>([^<]*)<', svg)
    assert found is not None
    return found.group(1)


# -- the detector itself, on hand-made SVG -----------------------------------------------------

SVG_HEAD = '<svg xmlns="http://www.w3.org/2000/svg">'


def _svg(*texts: str) -> str:
    return SVG_HEAD + "".join(texts) + "</svg>"


def test_two_labels_on_one_spot_collide_and_apart_do_not() -> None:
    one = '<text transform="translate(100,50)" font-size="11px">301–400</text>'
    assert collisions(_svg(one, one)) == [("301–400", "301–400")]
    below = '<text transform="translate(100,64)" font-size="11px">301–400</text>'
    assert collisions(_svg(one, below)) == []  # 14 px lower: 11 px text does not reach
    width = text_width("301–400", 11)
    beside = f'<text transform="translate({100 + width + 2},50)" font-size="11px">x</text>'
    assert collisions(_svg(one, beside)) == []


def test_anchor_and_group_transforms_place_the_box() -> None:
    end = '<g transform="translate(10,0)"><text text-anchor="end" x="90" y="20">abc</text></g>'
    (box,) = text_boxes(_svg(end))
    xs = [x for x, _ in box.corners]
    assert max(xs) == pytest.approx(100) and min(xs) == pytest.approx(100 - text_width("abc", 11))


def test_turned_labels_side_by_side_do_not_collide() -> None:
    # axis labels turned -40 degrees 30 px apart: their straight boxes would touch, they do not
    labels = [
        f'<text text-anchor="end" transform="translate({x},0) rotate(-40)" font-size="10px">'
        "A fairly long institution name</text>"
        for x in (0, 30)
    ]
    assert collisions(_svg(*labels)) == []
    # the first label runs down-left from (0, 0): through (-100, 84)
    crossing = '<text transform="translate(-120,87)" font-size="10px">crossing words</text>'
    assert collisions(_svg(labels[0], crossing)) != []


def test_multi_line_text_is_one_box_per_line() -> None:
    text = (
        '<text transform="translate(0,20)"><tspan>first</tspan>'
        '<tspan x="0" dy="13">second</tspan></text>'
    )
    boxes = text_boxes(_svg(text))
    assert [b.text for b in boxes] == ["first", "second"]
    assert isinstance(boxes[0], TextBox) and not boxes[0].overlaps(boxes[1])
