"""The rank-uncertainty chart: Vega-Lite spec of hand-made intervals, a computed run on the
band world (one indicator: every draw keeps the nominal rank), rendering, and the CLI."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from palmares.charts.render import render
from palmares.charts.uncertainty import uncertainty_chart, uncertainty_frame
from palmares.io import write_dataset
from palmares.lang import NARROW_NBSP, NBSP
from palmares.methodology import load_methodology
from palmares.uncertainty import uncertainty
from palmares.uncertainty.intervals import Intervals, intervals_of, read_intervals
from tests.charts.band_world import METHOD, band_world
from tests.charts.spec import external_urls, layers, mark, rows, texts
from tests.conftest import Cli

NAN = float("nan")


@pytest.fixture(scope="module")
def hand() -> Intervals:
    """Seven institutions; Delta and Gamma tie at 3rd; Eta has no nominal rank."""
    frame = pd.DataFrame(
        {
            "institution": ["i1", "i2", "i3", "i4", "i5", "i6", "i7"],
            "name": ["Alpha", "Beta", "Gamma", "Delta", "Epsilon", "Zeta", "Eta"],
            "nominal_rank": [1, 2, 3, 3, 5, 40, None],
            "median_rank": [1, 3, 3, 4, 5, 38, 60],
            "mean_rank": [1.1, 2.9, 3.2, 4.1, 5.5, 39.0, 61.0],
            "q05": [1, 1, 2, 2, 4, 30, 50],
            "q95": [2, 5, 6, 8, 9, 52, 70],
            "p_top_k": [1.0, 0.9, 0.8, 0.7, 0.6, 0.0, 0.0],
            "p_same_band": [0.9, 0.4, 0.3, 0.2, 0.2, 0.1, None],
            "p_move_real": None,
        }
    )
    return Intervals(frame, draws=1000, seed=7, system="s", edition=2023)


def panel(spec: dict, i: int) -> dict:
    """One panel of the chart, as a layered spec that ``spec.rows`` can read."""
    return {**spec["hconcat"][i], "datasets": spec.get("datasets", {})}


def test_top_n_with_ties_plus_named_in_a_second_panel(hand: Intervals) -> None:
    frame = uncertainty_frame(hand, ["i6"], top=3)
    assert frame["institution"].tolist() == ["i1", "i2", "i4", "i3", "i6"]
    assert frame["panel"].tolist() == [0, 0, 0, 0, 1]
    assert frame["group"].tolist() == ["top 3"] * 4 + ["named"]
    assert frame["interval"].tolist() == ["1–2", "1–5", "2–8", "2–6", "30–52"]
    with pytest.raises(ValueError, match="no interval in this run for nobody"):
        uncertainty_frame(hand, ["nobody"])


def test_encodings_and_reversed_rank_axis(hand: Intervals) -> None:
    spec = uncertainty_chart(hand, ["i6"], top=3, lang="en").to_dict()
    assert len(spec["hconcat"]) == 2
    assert spec["resolve"]["scale"]["y"] == "independent"
    top = panel(spec, 0)
    by_name = layers(top)
    assert [mark(by_name[n]) for n in ("interval_0", "median_0", "nominal_0")] == [
        "rule",
        "tick",
        "point",
    ]
    rule = by_name["interval_0"]["encoding"]
    assert (rule["y"]["field"], rule["y2"]["field"]) == ("q05", "q95")
    assert by_name["median_0"]["encoding"]["y"]["field"] == "median_rank"
    assert by_name["nominal_0"]["encoding"]["y"]["field"] == "nominal_rank"
    for name in ("interval_0", "median_0", "nominal_0"):
        scale = by_name[name]["encoding"]["y"]["scale"]
        assert scale["reverse"] is True
        # Rank 1 to the deepest q95 (8), half a rank of room at both ends.
        assert scale["domain"] == [0.5, 8.5]
    x = by_name["nominal_0"]["encoding"]["x"]
    assert x["field"] == "label" and x["sort"] == ["Alpha", "Beta", "Delta", "Gamma"]
    # The second panel starts near its institution: 30 - 2 = 28, padded by half a rank.
    far = layers(panel(spec, 1))["nominal_1"]["encoding"]["y"]["scale"]
    assert far["domain"] == [27.5, 52.5] and far["reverse"] is True
    assert [r["institution"] for r in rows(spec, layers(panel(spec, 1))["nominal_1"])] == ["i6"]


def test_one_panel_when_nothing_is_named_outside_the_top(hand: Intervals) -> None:
    spec = uncertainty_chart(hand, ["i2"], top=5).to_dict()
    assert len(spec["hconcat"]) == 1
    named = [r for r in rows(spec, layers(panel(spec, 0))["nominal_0"]) if r["named"]]
    assert [r["institution"] for r in named] == ["i2"]


def test_labels_per_language(hand: Intervals) -> None:
    fr = uncertainty_chart(hand, ["i6"], top=3, lang="fr").to_dict()
    en = uncertainty_chart(hand, ["i6"], top=3, lang="en").to_dict()
    assert fr["title"]["text"] == f"s 2023{NBSP}: rang nominal et intervalle à 90{NBSP}%"
    assert en["title"]["text"] == "s 2023: nominal rank and 90% interval"
    assert fr["title"]["subtitle"][0] == f"1{NARROW_NBSP}000 tirages (graine 7)"
    assert en["title"]["subtitle"][0] == "1,000 draws (seed 7)"
    assert "(q05–q95)" in fr["title"]["subtitle"][1] and "rang médian" in fr["title"]["subtitle"][1]
    assert "median rank" in en["title"]["subtitle"][1]
    tooltip_fr = [t["title"] for t in layers(panel(fr, 0))["nominal_0"]["encoding"]["tooltip"]]
    assert tooltip_fr[:4] == [
        "Établissement",
        "Rang nominal",
        "Rang médian",
        f"Intervalle à 90{NBSP}%",
    ]
    tooltip_en = [t["title"] for t in layers(panel(en, 0))["nominal_0"]["encoding"]["tooltip"]]
    assert tooltip_en[:4] == ["Institution", "Nominal rank", "Median rank", "90% interval"]
    assert "Rang" in texts(fr) and "Rank" not in texts(fr)
    p_fr = {
        r["institution"]: r["p_top_k_text"] for r in rows(fr, layers(panel(fr, 0))["nominal_0"])
    }
    p_en = {
        r["institution"]: r["p_top_k_text"] for r in rows(en, layers(panel(en, 0))["nominal_0"])
    }
    assert (p_fr["i2"], p_en["i2"]) == (f"90{NBSP}%", "90%")
    assert fr["config"]["locale"]["number"]["thousands"] == NARROW_NBSP


def test_renders_png_svg_and_offline_html(hand: Intervals) -> None:
    chart = uncertainty_chart(hand, ["i6"], top=3, lang="fr")
    assert render(chart, "png", scale=1).startswith(b"\x89PNG")
    assert b"<svg" in render(chart, "svg")
    html = render(chart, "html").decode("utf-8")
    assert external_urls(html) == [] and "vegaEmbed" in html


def test_one_indicator_gives_zero_width_intervals_from_a_run_and_its_file(
    tmp_path: Path,
) -> None:
    # One leaf: a weight draw changes nothing, so every draw keeps the nominal rank.
    done = uncertainty(band_world(), load_methodology(METHOD), 2023, 40, seed=1)
    computed = intervals_of(done)
    assert (computed.system, computed.edition, computed.draws) == ("s", 2023, 40)
    frame = uncertainty_frame(computed, top=6)
    assert frame["institution"].tolist() == ["a", "c", "b", "d", "e", "f"]
    for column in ("median_rank", "q05", "q95"):
        assert frame[column].tolist() == [1, 2, 3, 4, 5, 6]
    done.write(tmp_path / "u.parquet")
    read = read_intervals(tmp_path / "u.parquet")
    assert (read.draws, read.seed, read.level, read.edition) == (40, 1, 90, None)
    pd.testing.assert_frame_equal(read.frame, computed.frame, check_dtype=False)


BANDED = (
    METHOD
    + """
[ranking.bands.default]
individual_until = 2
bands = [[3, 4], [5, 6]]
"""
)


@pytest.mark.parametrize("lang", ["en", "fr"])
def test_the_published_band_beside_each_interval_never_a_rank_inside_it(lang: str) -> None:
    # 2023: a 1st, c 2nd, then b, d in 3-4 and e, f in 5-6 (band_world's table)
    done = uncertainty(band_world(), load_methodology(BANDED), 2023, 40, seed=1)
    computed = intervals_of(done)
    frame = uncertainty_frame(computed, top=6, lang=lang, nominal=done.nominal)
    assert frame["institution"].tolist() == ["a", "c", "b", "d", "e", "f"]
    assert frame["band"].tolist() == ["", "", "3–4", "3–4", "5–6", "5–6"]
    assert frame["nominal_text"].tolist() == ["1", "2", "3–4", "3–4", "5–6", "5–6"]
    assert frame["q05"].tolist() == [1, 2, 3, 4, 5, 6]  # the intervals as computed
    producer = uncertainty_frame(computed, top=6, lang=lang, nominal=done.nominal, view="producer")
    assert producer["nominal_text"].tolist() == ["1", "2", "3", "4", "5", "6"]
    assert producer["band"].tolist() == frame["band"].tolist()
    spec = uncertainty_chart(computed, top=6, lang=lang, nominal=done.nominal).to_dict()
    tooltip = [t["field"] for t in panel(spec, 0)["layer"][0]["encoding"]["tooltip"]]
    assert "band" in tooltip
    # without the nominal Result: no band column, the computed ranks as before
    assert "band" not in uncertainty_frame(computed, top=6, lang=lang)


def test_chart_uncertainty_cli(cli: Cli, tmp_path: Path) -> None:
    bundle, method = tmp_path / "bundle", tmp_path / "m.toml"
    write_dataset(band_world(), bundle)
    method.write_text(METHOD, encoding="utf-8")
    table = tmp_path / "u.parquet"
    base = ["--data", str(bundle), "--method", str(method)]
    code, _, err = cli(
        "uncertainty", *base, "--edition", "2023", "--draws", "30", "--out", str(table)
    )
    assert code == 0, err
    out = tmp_path / "u.svg"
    args = ["chart", "uncertainty", "École C", *base, "--edition", "2023", "--top", "2"]
    code, stdout, err = cli(*args, "--intervals", str(table), "--lang", "fr", "--out", str(out))
    assert (code, err) == (0, "")
    assert stdout.strip() == str(out)
    svg = out.read_text(encoding="utf-8")
    assert "École C" in svg and "rang nominal" in svg
    # Intervals of 2023 read against the 2021 table: refused, nothing written.
    other = tmp_path / "other.png"
    code, _, err = cli(
        "chart",
        "uncertainty",
        *base,
        "--edition",
        "2021",
        "--intervals",
        str(table),
        "--out",
        str(other),
    )
    assert code == 2 and "differ" in err and not other.exists()
    # Computed on the fly (no --intervals).
    code, _, err = cli(
        "chart",
        "uncertainty",
        *base,
        "--edition",
        "2023",
        "--draws",
        "20",
        "--out",
        str(tmp_path / "c.html"),
    )
    assert code == 0, err
    assert "vegaEmbed" in (tmp_path / "c.html").read_text(encoding="utf-8")
