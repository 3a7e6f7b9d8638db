"""Rank trajectory: rank by edition for one or several institutions (rank axis reversed)."""

from __future__ import annotations

from collections.abc import Sequence

import altair as alt
import numpy as np
import pandas as pd

from palmares.charts.text import colon, field_subtitle, with_locale, word
from palmares.history import EditionSeries, History
from palmares.lang import check_lang

WIDTH = 560
HEIGHT = 340


def trajectory_frame(histories: Sequence[History], lang: str = "en") -> pd.DataFrame:
    """One row per institution and edition: rank (NaN when unranked), display, band interval
    clipped to the field, tie size, field size, methodology change."""
    frames = []
    for hist in histories:
        frame = hist.to_frame(lang)
        field = frame["field_size"].astype("int64")
        ranked = frame["ranked"].astype(bool) & (frame["rank"].astype("int64") > 0)
        band_lo = frame["band_lo"].astype("int64")
        # An open band ("1001+") runs to the bottom of that edition's table.
        band_hi = np.minimum(frame["band_hi"].astype("int64"), field)
        frames.append(
            pd.DataFrame(
                {
                    "edition": frame["edition"].astype("int64"),
                    "institution": hist.institution,
                    "name": hist.name,
                    "rank": frame["rank"].where(ranked).astype("float64"),
                    "rank_display": frame["rank_display"].where(ranked, "").astype(str),
                    "tie_size": frame["tie_size"].astype("int64"),
                    "band": frame["band"].where(ranked & (band_hi > band_lo), "").astype(str),
                    "band_lo": band_lo,
                    "band_hi": band_hi,
                    "field_size": field,
                    "methodology_changed": frame["methodology_changed"].astype(bool),
                }
            )
        )
    return pd.concat(frames, ignore_index=True)


def trajectory_chart(
    series: EditionSeries, institutions: Sequence[str], *, lang: str = "en"
) -> alt.LayerChart:
    """Rank by edition (1 at the top) for each institution: printed bands as shaded layers, ties
    marked by a diamond, the field size per edition in the tooltip, subtitle and as a dashed
    bottom line, and methodology changes as rules on the time axis."""
    check_lang(lang)
    if not institutions:
        raise ValueError("give at least one institution")
    histories = [series.history(i) for i in institutions]
    data = trajectory_frame(histories, lang)
    years = [int(y) for y in series.years]
    fields = data.drop_duplicates("edition").sort_values("edition")
    deepest = int(max(fields["field_size"].max(), 1))

    x = alt.X(
        "edition:O",
        title=word("edition", lang),
        sort=years,
        scale=alt.Scale(domain=years),
        axis=alt.Axis(labelAngle=0),
    )
    y_scale = alt.Scale(reverse=True, domain=[1, deepest], nice=False, zero=False)
    colour = alt.Color("name:N", title=word("institution", lang))
    tooltip = [
        alt.Tooltip("name:N", title=word("institution", lang)),
        alt.Tooltip("edition:O", title=word("edition", lang)),
        alt.Tooltip("rank_display:N", title=word("rank", lang)),
        alt.Tooltip("band:N", title=word("band", lang)),
        alt.Tooltip("tie_size:Q", title=word("tie", lang)),
        alt.Tooltip("field_size:Q", title=word("field_size", lang), format=","),
    ]

    banded = data[data["band"] != ""]
    bands = (
        alt.Chart(banded)
        .mark_bar(opacity=0.18, width={"band": 0.7})
        .encode(
            x=x,
            y=alt.Y("band_lo:Q", scale=y_scale, title=word("rank", lang)),
            y2="band_hi:Q",
            color=colour,
            tooltip=tooltip,
        )
        .properties(name="bands")
    )
    field = (
        alt.Chart(fields)
        .mark_line(strokeDash=[4, 3], color="#888888", point=alt.OverlayMarkDef(color="#888888"))
        .encode(
            x=x,
            y=alt.Y("field_size:Q", scale=y_scale),
            tooltip=[
                alt.Tooltip("edition:O", title=word("edition", lang)),
                alt.Tooltip("field_size:Q", title=word("field_size", lang), format=","),
            ],
        )
        .properties(name="field")
    )
    changes = fields[fields["methodology_changed"]].assign(label=word("methodology_change", lang))
    change_rules = (
        alt.Chart(changes)
        .mark_rule(color="#b8860b", strokeDash=[2, 2], strokeWidth=1.5)
        .encode(x=x, tooltip=alt.Tooltip("label:N", title=word("edition", lang)))
        .properties(name="methodology")
    )
    change_labels = (
        alt.Chart(changes)
        .mark_text(color="#b8860b", angle=270, align="left", baseline="bottom", dx=-4, dy=-4)
        .encode(x=x, y=alt.value(HEIGHT), text="label:N")
        .properties(name="methodology_labels")
    )
    ranked = data[data["rank"].notna()]
    line = (
        alt.Chart(ranked)
        .mark_line(point=alt.OverlayMarkDef(size=60, filled=True), strokeWidth=2.5)
        .encode(
            x=x,
            y=alt.Y("rank:Q", scale=y_scale, title=word("rank", lang)),
            color=colour,
            tooltip=tooltip,
        )
        .properties(name="ranks")
    )
    ties = (
        alt.Chart(ranked[ranked["tie_size"] > 1])
        .mark_point(shape="diamond", size=260, filled=False, strokeWidth=2)
        .encode(x=x, y=alt.Y("rank:Q", scale=y_scale), color=colour, tooltip=tooltip)
        .properties(name="ties")
    )
    labels = (
        alt.Chart(ranked)
        .mark_text(align="left", dx=8, dy=-8, fontSize=11)
        .encode(x=x, y=alt.Y("rank:Q", scale=y_scale), text="rank_display:N", color=colour)
        .properties(name="rank_labels")
    )
    names = " · ".join(dict.fromkeys(h.name for h in histories))
    title = alt.TitleParams(
        text=f"{names}{colon(lang)}{word('trajectory_title', lang)} ({series.system})",
        subtitle=[
            field_subtitle(
                [int(e) for e in fields["edition"]], [int(n) for n in fields["field_size"]], lang
            ),
            f"◇ {word('tied', lang)} · ▭ {word('band', lang).lower()}",
        ],
        anchor="start",
    )
    chart = alt.LayerChart(
        layer=[bands, field, change_rules, change_labels, line, ties, labels],
        title=title,
        width=WIDTH,
        height=HEIGHT,
    )
    return with_locale(chart, lang)
