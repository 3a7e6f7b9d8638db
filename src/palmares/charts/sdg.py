"""SDG profile (THE Impact): per-SDG score and band for one institution, the overall band, and
the SDGs that count towards the overall score highlighted."""

from __future__ import annotations

import altair as alt
import numpy as np
import pandas as pd

from palmares.charts.text import colon, producer_note, system_name, with_locale, word
from palmares.lang import check_lang, format_decimal
from palmares.published_view import prints_no_rank, table_positions
from palmares.result import Result

ROLE_COLOURS = ("#1f6fb4", "#0b3c6b", "#b9c7d6")
WIDTH = 520


def sdg_frame(
    result: Result,
    institution: str,
    labels: dict[str, str],
    lang: str = "en",
    view: str = "published",
) -> pd.DataFrame:
    """One row per SDG the institution is ranked on: unscaled score, band, rank display, and
    its role: SDG 17 (compulsory), counted (one of the best three), or not counted."""
    check_lang(lang)
    i = result.position(institution)
    tree = result.tree
    root = tree.roots[0]
    compulsory = root + ".sdg17"
    rows = []
    for node in tree.children(root):
        table = result.node_table(node)
        if table.rank[i] <= 0:
            continue
        # never a rank inside a printed band; the producer view shows it beside the band
        position = table_positions(result, table, lang, view, band_beside=True)
        weight = result.node_weights[i, tree.index(node)]
        counts = bool(result.eligible[i]) and np.isfinite(weight) and weight > 0
        if node == compulsory:
            role = word("compulsory", lang)
        else:
            role = word("counted", lang) if counts else word("not_counted", lang)
        rows.append(
            {
                "node": node,
                "sdg": labels.get(node, node),
                "score": float(table.key[i]),
                "score_text": format_decimal(float(table.key[i]), lang, 1),
                "rank_display": str(position.shown[i]),
                "band": table.bands()[i],
                "counted": bool(counts),
                "role": role,
            }
        )
    return pd.DataFrame(rows)


def sdg_chart(
    result: Result,
    institution: str,
    labels: dict[str, str],
    *,
    lang: str = "en",
    view: str = "published",
) -> alt.LayerChart:
    """Horizontal bars of the per-SDG scores (0..100), the per-SDG band or rank printed at the
    end of each bar, the SDGs that count coloured apart; the overall rank and band in the
    subtitle."""
    data = sdg_frame(result, institution, labels, lang, view)
    i = result.position(institution)
    roles = [word("counted", lang), word("compulsory", lang), word("not_counted", lang)]
    y = alt.Y("sdg:N", title=None, sort=list(data["sdg"]), axis=alt.Axis(labelLimit=0))
    tooltip = [
        alt.Tooltip("sdg:N", title=word("sdg", lang)),
        alt.Tooltip("score_text:N", title=word("score", lang)),
        alt.Tooltip("rank_display:N", title=word("rank", lang)),
        alt.Tooltip("band:N", title=word("band", lang)),
        alt.Tooltip("role:N", title=word("role", lang)),
    ]
    bars = (
        alt.Chart(data)
        .mark_bar(height={"band": 0.75})
        .encode(
            x=alt.X("score:Q", title=word("score", lang), scale=alt.Scale(domain=[0, 100])),
            y=y,
            color=alt.Color(
                "role:N",
                title=None,
                scale=alt.Scale(domain=roles, range=list(ROLE_COLOURS)),
                legend=alt.Legend(orient="bottom"),
            ),
            stroke=alt.condition("datum.counted", alt.value("#000000"), alt.value(None)),
            tooltip=tooltip,
        )
        .properties(name="scores")
    )
    bands = (
        alt.Chart(data)
        .mark_text(align="left", dx=4, fontSize=11)
        .encode(
            x="score:Q",
            y=y,
            text="band_text:N",
        )
        .transform_calculate(
            # no rank printed (U-Multirank's published view): the score alone
            band_text="(datum.counted ? '★ ' : '') + datum.score_text"
            + ("" if prints_no_rank(result, view) else " + ' · ' + datum.rank_display")
        )
        .properties(name="bands")
    )
    name = result.names[i]
    standing = table_positions(result, result.ranking, lang, view)
    if standing.no_rank:
        overall_text = f"{word('overall', lang)}{colon(lang)}{word('no_rank_published', lang)}"
    elif result.eligible[i] and standing.shown[i]:
        band = f"{word('band', lang).lower()} {standing.band[i]}"
        shown = str(standing.shown[i])
        if standing.banded[i]:
            # inside a printed band the rank is never stated (the publisher does not print
            # it); the producer view states it, the band beside it (labelled in the title)
            shown = band if standing.published else f"{shown} ({band})"
        overall_text = f"{word('overall', lang)}{colon(lang)}{shown}"
    else:
        overall_text = f"{word('overall', lang)}{colon(lang)}{word('not_ranked', lang)}"
    title = alt.TitleParams(
        text=f"{name}{colon(lang)}{word('sdg_title', lang)} "
        + f"({system_name(result.methodology, lang)} {result.edition})"
        + producer_note(view, lang),
        subtitle=overall_text,
        anchor="start",
    )
    chart = alt.LayerChart(layer=[bars, bands], title=title, width=WIDTH, height=alt.Step(22))
    return with_locale(chart, lang)
