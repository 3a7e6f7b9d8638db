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
#: Least vertical distance between two rank labels of one edition (pixels).
LABEL_GAP = 13.0
#: Horizontal distance between band-only rules of one band and edition (pixels).
BAND_SPREAD = 7.0
PADDING_INNER = 0.1
PADDING_OUTER = 0.05


def trajectory_frame(histories: Sequence[History], lang: str = "en") -> pd.DataFrame:
    """One row per institution and edition: rank (NaN unless an exact rank is known), display,
    band interval clipped to the field, tie size, field size, methodology change; ``band_only``
    marks an edition known only by its printed band (a published table of bands, no rank) and
    ``segment`` numbers the runs of consecutive exact ranks (the line breaks between them)."""
    frames = []
    for hist in histories:
        frame = hist.to_frame(lang)
        field = frame["field_size"].astype("int64")
        listed = frame["ranked"].astype(bool)
        exact = listed & (frame["rank"].astype("int64") > 0)
        band_lo = frame["band_lo"].astype("int64")
        # An open band ("1001+") runs to the bottom of that edition's table.
        band_hi = np.maximum(np.minimum(frame["band_hi"].astype("int64"), field), band_lo)
        band_only = listed & ~exact & (band_lo > 0)
        # past the publisher's cut-off only the band is printed: the label, the tooltip and
        # the tie mark never state the rank inside it (the point still sits at the rank)
        in_band = exact & (frame["band"].fillna("").astype(str) != "")  # "1001+" included
        shown = in_band | band_only
        frames.append(
            pd.DataFrame(
                {
                    "edition": frame["edition"].astype("int64"),
                    "institution": hist.institution,
                    "name": hist.name,
                    "rank": frame["rank"].where(exact).astype("float64"),
                    "rank_display": frame["rank_display"]
                    .where(exact | band_only, "")
                    .where(~in_band, frame["band"])
                    .astype(str),
                    "tie_size": frame["tie_size"].astype("int64").where(~in_band, 1),
                    "band": frame["band"].where(shown, "").fillna("").astype(str),
                    "band_lo": band_lo,
                    "band_hi": band_hi,
                    "band_only": band_only,
                    "note": np.where(band_only, word("band_only", lang), ""),
                    "segment": (~exact).cumsum().astype("int64"),
                    "field_size": field,
                    "methodology_changed": frame["methodology_changed"].astype(bool),
                }
            )
        )
    return pd.concat(frames, ignore_index=True)


def _label(series: EditionSeries, lang: str) -> str:
    """The system's name in ``lang`` (its latest methodology's label), else its id."""
    method = series.methodologies[-1].methodology
    label = method.label_fr if lang == "fr" else method.label_en
    return label or method.label_en or series.system


def label_positions(data: pd.DataFrame, deepest: int, gap_px: float = LABEL_GAP) -> pd.DataFrame:
    """The rank labels (exact ranks, and bands at their middle) with ``label_y``: the label's
    position in rank units, pushed down so that labels of one edition are at least ``gap_px``
    pixels apart on a rank axis of ``HEIGHT`` pixels from 1 to ``deepest``."""
    rows = data[data["rank"].notna() | data["band_only"]].copy()
    rows["anchor"] = rows["rank"].fillna((rows["band_lo"] + rows["band_hi"]) / 2.0)
    rows = rows.sort_values(["edition", "anchor", "name"], kind="stable")
    gap = gap_px * max(deepest - 1, 1) / HEIGHT
    i = rows.groupby("edition").cumcount().to_numpy(dtype=np.float64)
    # label_y_i = max over j <= i of (anchor_j + (i - j) gap): each label at least one gap
    # below the previous one, and never above its own anchor.
    pushed = pd.Series(rows["anchor"].to_numpy() - i * gap, index=rows.index)
    rows["label_y"] = pushed.groupby(rows["edition"]).cummax().to_numpy() + i * gap
    return rows.drop(columns="anchor")


def trajectory_chart(
    series: EditionSeries,
    institutions: Sequence[str],
    *,
    lang: str = "en",
    edition: int | None = None,
) -> alt.LayerChart:
    """Rank by edition (1 at the top) for each institution: printed bands as shaded layers, ties
    marked by a diamond, the field size per edition in the tooltip, subtitle and as a dashed
    bottom line, and methodology changes as rules on the time axis. An edition known only by
    its band (no rank printed) is a dashed rule from the band's start to its end, capped by
    ticks; the line joins consecutive exact ranks only. Labels of close ranks are spread."""
    check_lang(lang)
    if not institutions:
        raise ValueError("give at least one institution")
    if edition is not None and edition not in series.years:
        known = ", ".join(map(str, series.years))
        raise ValueError(f"{series.system} has no edition {edition} (editions: {known})")
    if not any(series.publishes_rank(y) for y in series.years):
        # No overall rank published (U-Multirank): the trajectory of A counts instead.
        return grade_count_chart(series, institutions, lang=lang, edition=edition)
    histories = [series.history(i) for i in institutions]
    data = trajectory_frame(histories, lang)
    years = [int(y) for y in series.years if edition is None or y <= edition]
    # A release of an edition shows nothing after it: the trajectory stops there.
    data = data[data["edition"].isin(years)].reset_index(drop=True)
    fields = data.drop_duplicates("edition").sort_values("edition")
    deepest = int(max(fields["field_size"].max(), 1))

    x = alt.X(
        "edition:O",
        title=word("edition", lang),
        sort=years,
        # A band scale (explicit paddings) so that the pixel offsets of band-only rules below
        # can be placed from the band's start; band centres fall where a point scale puts them.
        scale=alt.Scale(
            domain=years, type="band", paddingInner=PADDING_INNER, paddingOuter=PADDING_OUTER
        ),
        axis=alt.Axis(labelAngle=0),
    )
    y_scale = alt.Scale(reverse=True, domain=[1, deepest], nice=False, zero=False)
    y_axis = alt.Axis(tickMinStep=1)  # ranks are whole numbers, even in a field of six
    colour = alt.Color("name:N", title=word("institution", lang))
    tooltip = [
        alt.Tooltip("name:N", title=word("institution", lang)),
        alt.Tooltip("edition:O", title=word("edition", lang)),
        alt.Tooltip("rank_display:N", title=word("rank", lang)),
        alt.Tooltip("band:N", title=word("band", lang)),
        alt.Tooltip("tie_size:Q", title=word("tie", lang)),
        alt.Tooltip("field_size:Q", title=word("field_size", lang), format=","),
    ]

    banded = data[(data["band"] != "") & data["rank"].notna()]
    bands = (
        alt.Chart(banded)
        .mark_bar(opacity=0.18, width={"band": 0.7})
        .encode(
            x=x,
            y=alt.Y("band_lo:Q", scale=y_scale, title=word("rank", lang), axis=y_axis),
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
            y=alt.Y("rank:Q", scale=y_scale, title=word("rank", lang), axis=y_axis),
            color=colour,
            # One path per run of consecutive exact ranks: never a line through a band.
            detail="segment:N",
            tooltip=tooltip,
        )
        .properties(name="ranks")
    )
    band_only = data[data["band_only"]].copy()
    # Institutions printed in the same band of an edition would draw one rule over another:
    # spread them a few pixels apart along the edition axis.
    same = band_only.groupby(["edition", "band_lo", "band_hi"])["name"]
    step = WIDTH / (len(years) - PADDING_INNER + 2 * PADDING_OUTER)
    centre = (1 - PADDING_INNER) * step / 2  # an offset counts from the band's start
    spread = (same.cumcount() - (same.transform("size") - 1) / 2.0) * BAND_SPREAD
    band_only["offset"] = centre + spread
    offset = alt.XOffset("offset:Q", scale=None)
    band_tooltip = [*tooltip, alt.Tooltip("note:N", title=word("note", lang))]
    band_rules = (
        alt.Chart(band_only)
        .mark_rule(strokeWidth=3, strokeDash=[5, 3])
        .encode(
            x=x,
            y=alt.Y("band_lo:Q", scale=y_scale),
            y2="band_hi:Q",
            xOffset=offset,
            color=colour,
            tooltip=band_tooltip,
        )
        .properties(name="band_only")
    )
    ends = band_only.melt(
        id_vars=["edition", "name", "band", "note", "offset"],
        value_vars=["band_lo", "band_hi"],
        value_name="end",
    )
    band_ends = (
        alt.Chart(ends)
        .mark_tick(orient="horizontal", thickness=2.5, size=16)
        .encode(
            x=x,
            y=alt.Y("end:Q", scale=y_scale),
            xOffset=offset,
            color=colour,
            tooltip=[
                alt.Tooltip("name:N", title=word("institution", lang)),
                alt.Tooltip("band:N", title=word("band", lang)),
                alt.Tooltip("note:N", title=word("note", lang)),
            ],
        )
        .properties(name="band_only_ends")
    )
    ties = (
        alt.Chart(ranked[ranked["tie_size"] > 1])
        .mark_point(shape="diamond", size=260, filled=False, strokeWidth=2)
        .encode(x=x, y=alt.Y("rank:Q", scale=y_scale), color=colour, tooltip=tooltip)
        .properties(name="ties")
    )
    labels = (
        alt.Chart(label_positions(data, deepest))
        .mark_text(align="left", dx=8, dy=-8, fontSize=11)
        .encode(x=x, y=alt.Y("label_y:Q", scale=y_scale), text="rank_display:N", color=colour)
        .properties(name="rank_labels")
    )
    names = " · ".join(dict.fromkeys(h.name for h in histories))
    title = alt.TitleParams(
        text=f"{names}{colon(lang)}{word('trajectory_title', lang)} ({_label(series, lang)})"
        + _producer_note(series, lang),
        subtitle=[
            field_subtitle(
                [int(e) for e in fields["edition"]], [int(n) for n in fields["field_size"]], lang
            ),
            f"◇ {word('tied', lang)} · ▭ {word('band', lang).lower()}"
            + (f" · {word('band_only_legend', lang)}" if len(band_only) else ""),
        ],
        anchor="start",
    )
    chart = alt.LayerChart(
        layer=[
            bands,
            field,
            change_rules,
            change_labels,
            band_rules,
            band_ends,
            line,
            ties,
            labels,
        ],
        title=title,
        width=WIDTH,
        height=HEIGHT,
    )
    return with_locale(chart, lang)


def _producer_note(series: EditionSeries, lang: str) -> str:
    """The producer view's label on every chart: positions computed by palmares."""
    if series.view != "producer":
        return ""
    from palmares.i18n import gettext

    return " - " + gettext(lang, "computed by palmares (producer view)")


def grade_count_chart(
    series: EditionSeries,
    institutions: Sequence[str],
    *,
    lang: str = "en",
    edition: int | None = None,
) -> alt.LayerChart:
    """The number of A grades by edition for each institution (a system that prints no overall
    rank, such as U-Multirank): a line per institution, a label on each point."""
    check_lang(lang)
    years = [int(y) for y in series.years if edition is None or y <= edition]
    rows = []
    histories = [series.history(i) for i in institutions]
    for hist in histories:
        for year in years:
            grades = hist.row(year).get("grades") or {}
            count = (grades.get(series.system) or {}).get("A")
            if count is None:
                continue
            rows.append(
                {"edition": year, "name": hist.name, "a_grades": int(count), "label": str(count)}
            )
    data = pd.DataFrame(rows, columns=["edition", "name", "a_grades", "label"])
    deepest = int(max(data["a_grades"].max(), 1)) if len(data) else 1
    spaced = data.assign(rank=-data["a_grades"], band_only=False, band_lo=0, band_hi=0)
    placed = label_positions(spaced, deepest + 1) if len(data) else spaced.assign(label_y=0.0)
    placed = placed.assign(label_y=-placed["label_y"])
    x = alt.X("edition:O", title=word("edition", lang), sort=years, axis=alt.Axis(labelAngle=0))
    y = alt.Y(
        "a_grades:Q",
        title=word("a_grades", lang),
        scale=alt.Scale(domain=[0, deepest + 1], nice=False),
        axis=alt.Axis(tickMinStep=1),
    )
    colour = alt.Color("name:N", title=word("institution", lang))
    tooltip = [
        alt.Tooltip("name:N", title=word("institution", lang)),
        alt.Tooltip("edition:O", title=word("edition", lang)),
        alt.Tooltip("a_grades:Q", title=word("a_grades", lang)),
    ]
    line = (
        alt.Chart(data)
        .mark_line(point=alt.OverlayMarkDef(size=60, filled=True), strokeWidth=2.5)
        .encode(x=x, y=y, color=colour, tooltip=tooltip)
        .properties(name="a_grades")
    )
    labels = (
        alt.Chart(placed)
        .mark_text(align="left", dx=8, dy=-8, fontSize=11)
        .encode(
            x=x,
            y=alt.Y("label_y:Q", scale=alt.Scale(domain=[0, deepest + 1], nice=False)),
            text="label:N",
            color=colour,
        )
        .properties(name="a_grade_labels")
    )
    names = " · ".join(dict.fromkeys(h.name for h in histories))
    title = alt.TitleParams(
        text=f"{names}{colon(lang)}{word('a_grades_title', lang)} ({_label(series, lang)})"
        + _producer_note(series, lang),
        subtitle=[word("no_overall_rank", lang)],
        anchor="start",
    )
    chart = alt.LayerChart(layer=[line, labels], title=title, width=WIDTH, height=HEIGHT)
    return with_locale(chart, lang)
