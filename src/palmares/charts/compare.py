"""Compare: two to four institutions side by side on one system and edition."""

from __future__ import annotations

from collections.abc import Sequence

import altair as alt
import numpy as np
import pandas as pd

from palmares.charts.text import colon, producer_note, system_name, with_locale, word
from palmares.lang import check_lang, format_decimal
from palmares.published_view import prints_no_rank, table_positions
from palmares.result import Result

WIDTH = 620
MIN_INSTITUTIONS, MAX_INSTITUTIONS = 2, 4


def compare_frame(
    result: Result,
    institutions: Sequence[str],
    labels: dict[str, str],
    lang: str = "en",
    view: str = "published",
) -> pd.DataFrame:
    """One row per institution and top-level node: the value compared (the A count for graded
    systems, else the node score), its rank display in that node's table, and the overall
    standing. In the published view (contracts section 12) a rank inside a printed band is the
    band, and a graded system (U-Multirank, no overall rank printed) has its A count."""
    check_lang(lang)
    if not MIN_INSTITUTIONS <= len(institutions) <= MAX_INSTITUTIONS:
        raise ValueError(f"compare takes 2 to 4 institutions, got {len(institutions)}")
    if len(set(institutions)) != len(institutions):
        raise ValueError("compare needs distinct institutions")
    positions = [result.position(i) for i in institutions]
    graded = result.grade_counts is not None and result.methodology.ranking.by == "grade_counts"
    tree = result.tree
    standing = table_positions(result, result.ranking, lang, view)
    overall = standing.shown
    if standing.no_rank and result.grade_counts is not None:
        # no overall rank printed (U-Multirank): the A count, the publisher's own count
        counts = result.grade_counts[:, tree.index(tree.roots[0]), 0]
        overall = np.asarray([str(int(n)) for n in counts], dtype=object)
    rows = []
    for node in tree.children(tree.roots[0]):
        table = result.node_table(node)
        display = table_positions(result, table, lang, view).shown
        for inst, i in zip(institutions, positions, strict=True):
            value = float(table.key[i])
            decimals = 0 if graded else 1
            rows.append(
                {
                    "node": node,
                    "label": labels.get(node, node),
                    "institution": inst,
                    "name": result.names[i],
                    "value": value if np.isfinite(value) else None,
                    "value_text": format_decimal(value, lang, decimals)
                    if np.isfinite(value)
                    else "",
                    "rank_display": str(display[i]),
                    "overall": str(overall[i]),
                }
            )
    return pd.DataFrame(rows)


def compare_chart(
    result: Result,
    institutions: Sequence[str],
    labels: dict[str, str],
    *,
    lang: str = "en",
    view: str = "published",
) -> alt.LayerChart:
    """Grouped bars: one group per dimension (or SDG), one bar per institution; the value is the
    number of A grades for graded systems, else the node score. The overall standing (rank or
    band; the A count where no overall rank is printed) in the subtitle."""
    data = compare_frame(result, institutions, labels, lang, view)
    graded = result.grade_counts is not None and result.methodology.ranking.by == "grade_counts"
    measure = word("a_grades", lang) if graded else word("score", lang)
    names = list(dict.fromkeys(data["name"]))
    top = int(np.nanmax(np.r_[data["value"].astype(float).to_numpy(), 0.0]))
    x = alt.X(
        "label:N",
        title=None,
        sort=list(dict.fromkeys(data["label"])),
        axis=alt.Axis(labelAngle=-35, labelLimit=180),
    )
    colour = alt.Color(
        "name:N",
        title=word("institution", lang),
        sort=names,
        legend=alt.Legend(orient="bottom", columns=2),
    )
    tooltip = [
        alt.Tooltip("name:N", title=word("institution", lang)),
        alt.Tooltip("label:N", title=word("dimension", lang)),
        alt.Tooltip("value_text:N", title=measure),
        alt.Tooltip("rank_display:N", title=word("rank", lang)),
    ]
    bars = (
        alt.Chart(data)
        .mark_bar()
        .encode(
            x=x,
            xOffset=alt.XOffset("name:N", sort=names),
            y=alt.Y(
                "value:Q",
                title=measure,
                axis=alt.Axis(tickMinStep=1) if graded else alt.Undefined,
                # room above the tallest bar for its value label
                scale=alt.Scale(domain=[0, top + 1]) if graded else alt.Undefined,
            ),
            color=colour,
            tooltip=tooltip,
        )
        .properties(name="values")
    )
    text = (
        alt.Chart(data)
        .mark_text(dy=-5, fontSize=9)
        .encode(
            x=x,
            xOffset=alt.XOffset("name:N", sort=names),
            y="value:Q",
            text="value_text:N",
        )
        .properties(name="value_labels")
    )
    overall = data.drop_duplicates("institution")
    # no overall rank printed: the A count
    by_count = prints_no_rank(result, view)
    subtitle = " · ".join(
        f"{n}{colon(lang)}{o or word('not_ranked', lang)}"
        for n, o in zip(overall["name"], overall["overall"], strict=True)
    )
    title = alt.TitleParams(
        text=f"{word('compare_title', lang)}{colon(lang)}"
        + f"{system_name(result.methodology, lang)} {result.edition}"
        + producer_note(view, lang),
        subtitle=f"{word('a_grades_total' if by_count else 'overall', lang)} · {subtitle}",
        anchor="start",
    )
    chart = alt.LayerChart(layer=[bars, text], title=title, width=WIDTH, height=320)
    return with_locale(chart, lang)
