"""Rank trajectory: rank by edition for one or several institutions (rank axis reversed)."""

from __future__ import annotations

from collections.abc import Sequence

import altair as alt
import numpy as np
import pandas as pd

from palmares import published_view as pv
from palmares.charts.layout import place_labels, point_box, rectangle_box, segment_box
from palmares.charts.text import (
    colon,
    field_subtitle,
    producer_note,
    with_locale,
    word,
)
from palmares.history import EditionSeries, History
from palmares.lang import check_lang

WIDTH = 560
HEIGHT = 340
#: Font size of the rank labels (pixels).
LABEL_SIZE = 11.0
#: Horizontal distance between band-only rules of one band and edition (pixels).
BAND_SPREAD = 7.0
PADDING_INNER = 0.1
#: Tableau 10, the institutions' colours; grey for the field size, gold for methodology changes.
PALETTE = (
    "#4c78a8",
    "#f58518",
    "#e45756",
    "#72b7b2",
    "#54a24b",
    "#eeca3b",
    "#b279a2",
    "#ff9da6",
    "#9d755d",
    "#bab0ac",
)
FIELD_COLOUR, CHANGE_COLOUR = "#888888", "#b8860b"
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
        # History's rows are in its series' view (the published view: beyond the publisher's
        # cut-off only the band, no rank). Where the producer view keeps a computed rank inside
        # a band, the point sits at it, but the label, the tooltip and the tie mark state
        # what the publisher prints: the band (the published view's rule, "1001+" included).
        in_band = exact & pv.in_band(band_lo, frame["band_hi"].astype("int64"))
        shown = in_band | band_only
        bands = frame["band"].fillna("").astype(str)
        frames.append(
            pd.DataFrame(
                {
                    "edition": frame["edition"].astype("int64"),
                    "institution": hist.institution,
                    "name": hist.name,
                    "rank": frame["rank"].where(exact).astype("float64"),
                    "rank_display": pv.position_text(
                        frame["rank_display"].fillna("").astype(str),
                        bands,
                        exact | band_only,
                        in_band,
                        published=True,
                    ).astype(str),
                    # missing is never 0 (null in the spec's data): no tie, no band
                    "tie_size": frame["tie_size"]
                    .astype("int64")
                    .where(~in_band, 1)
                    .where(lambda t: t > 0)
                    .astype("float64"),
                    "band": bands.where(shown, ""),
                    "band_lo": band_lo.where(band_lo > 0).astype("float64"),
                    "band_hi": np.where(band_lo > 0, band_hi, np.nan).astype("float64"),
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


def label_positions(
    data: pd.DataFrame,
    years: Sequence[int],
    deepest: int,
    *,
    width: float = WIDTH,
    height: float = HEIGHT,
    offsets: pd.Series | None = None,
    field: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """The rank labels (exact ranks, and bands at their middle) with ``lx``, ``ly``: the left
    end and baseline of each label in pixels, placed where it meets no other label and no
    point (:func:`palmares.charts.layout.place_labels`); exact ranks are placed first."""
    rows = data[data["rank"].notna() | data["band_only"]].copy()
    rows["anchor"] = rows["rank"].fillna((rows["band_lo"] + rows["band_hi"]) / 2.0)
    rows = rows.sort_values(["band_only", "edition", "anchor", "name"], kind="stable")
    step = width / (len(years) - PADDING_INNER + 2 * PADDING_OUTER)
    column = pd.Series({int(y): k for k, y in enumerate(years)})
    start = PADDING_OUTER * step + column.reindex(rows["edition"]).to_numpy() * step
    extra = 0.0 if offsets is None else offsets.reindex(rows.index).fillna(0.0).to_numpy()
    centre = start + (1 - PADDING_INNER) * step / 2 + extra
    rows["px"] = centre
    rows["py"] = (rows["anchor"].to_numpy() - 1) / max(deepest - 1, 1) * height
    lines = None
    if field is not None and len(field):
        field_x = PADDING_OUTER * step + column.reindex(field["edition"]).to_numpy() * step
        field_x = field_x + (1 - PADDING_INNER) * step / 2
        field_y = (field["field_size"].to_numpy() - 1) / max(deepest - 1, 1) * height
        lines = [(field_x, field_y)]
        if "methodology_changed" in field:
            changed = field["methodology_changed"].to_numpy(dtype=bool)
            lines += [(np.array([x, x]), np.array([0.0, height])) for x in field_x[changed]]
    exact = rows[~rows["band_only"]]
    ranged = rows[rows["band_only"]]
    # A band's label starts right of the edition's rules and their end ticks (8 px each side).
    rightmost = ranged.groupby("edition")["px"].transform("max")
    label_x = rows["px"].copy()
    label_x[rows["band_only"]] = rightmost + 2.0
    obstacles = [point_box(x, y) for x, y in zip(exact["px"], exact["py"], strict=True)]
    # The lines between exact ranks (one per institution and run) and the field-size line.
    runs = exact.sort_values("edition").groupby(
        ["name", "segment"] if "segment" in exact else ["name"], sort=False
    )
    for _, run in runs:
        xs, ys = run["px"].to_numpy(), run["py"].to_numpy()
        obstacles.extend(
            segment_box(xs[k], ys[k], xs[k + 1], ys[k + 1]) for k in range(len(xs) - 1)
        )
    if lines is not None:
        for xs_, ys_ in lines:
            obstacles.extend(
                segment_box(xs_[k], ys_[k], xs_[k + 1], ys_[k + 1]) for k in range(len(xs_) - 1)
            )
    # A band-only edition's rule and its end ticks: no label over another school's rule.
    scale = height / max(deepest - 1, 1)
    for x, lo, hi in zip(ranged["px"], ranged["band_lo"], ranged["band_hi"], strict=True):
        top, bottom = (lo - 1) * scale, (hi - 1) * scale
        obstacles.append(rectangle_box(x - 8.0, top - 2.0, x + 8.0, bottom + 2.0))
    spots = place_labels(
        list(zip(label_x, rows["py"], rows["rank_display"].astype(str), strict=True)),
        LABEL_SIZE,
        obstacles=obstacles,
        top_edge=-4.0,
    )
    rows["lx"] = [x for x, _ in spots]
    rows["ly"] = [y for _, y in spots]
    return rows.drop(columns=["anchor", "px", "py"])


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
    width = chart_width(len(years))

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
    names = list(dict.fromkeys(h.name for h in histories))
    field_word, change_word = word("field_size", lang), word("methodology_change", lang)
    colour = legend_colour(names, [field_word, change_word], lang)
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
        .mark_line(strokeDash=[4, 3], point=alt.OverlayMarkDef(color=FIELD_COLOUR))
        .encode(
            x=x,
            y=alt.Y("field_size:Q", scale=y_scale),
            color=alt.datum(field_word),  # the bottom of each edition's table, in the legend
            tooltip=[
                alt.Tooltip("edition:O", title=word("edition", lang)),
                alt.Tooltip("field_size:Q", title=word("field_size", lang), format=","),
            ],
        )
        .properties(name="field")
    )
    changes = fields[fields["methodology_changed"]].assign(label=change_word)
    # Named in the legend, not by words drawn over the lines.
    change_rules = (
        alt.Chart(changes)
        .mark_rule(strokeDash=[2, 2], strokeWidth=1.5)
        .encode(
            x=x,
            color=alt.datum(change_word),
            tooltip=alt.Tooltip("label:N", title=word("edition", lang)),
        )
        .properties(name="methodology")
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
    step = width / (len(years) - PADDING_INNER + 2 * PADDING_OUTER)
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
    spread_by_row = band_only["offset"] - centre
    placed = label_positions(data, years, deepest, width=width, offsets=spread_by_row, field=fields)
    labels = (
        alt.Chart(placed)
        .mark_text(align="left", baseline="alphabetic", fontSize=LABEL_SIZE)
        .encode(
            x=alt.X("lx:Q", scale=None),
            y=alt.Y("ly:Q", scale=None),
            text="rank_display:N",
            color=colour,
        )
        .properties(name="rank_labels")
    )
    title = alt.TitleParams(
        text=f"{' · '.join(names)}{colon(lang)}{word('trajectory_title', lang)} "
        + f"({_label(series, lang)})"
        + producer_note(series.view, lang),
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
            band_rules,
            band_ends,
            line,
            ties,
            labels,
        ],
        title=title,
        width=width,
        height=HEIGHT,
    )
    return with_locale(chart, lang)


def chart_width(editions: int) -> int:
    """The plot's width: at least :data:`WIDTH`, and room for a label beside every edition."""
    return max(WIDTH, 90 * editions)


def legend_colour(names: Sequence[str], others: Sequence[str], lang: str) -> alt.Color:
    """One colour per institution (Tableau 10), then grey and gold for the other lines (the
    field size, methodology changes): every mark in one legend, swatches the lines' colours."""
    palette = [PALETTE[k % len(PALETTE)] for k in range(len(names))]
    return alt.Color(
        "name:N",
        title=None,
        scale=alt.Scale(
            domain=[*names, *others],
            range=[*palette, *[FIELD_COLOUR, CHANGE_COLOUR][: len(others)]],
        ),
        legend=alt.Legend(
            orient="bottom", direction="horizontal", symbolType="stroke", symbolStrokeWidth=3
        ),
    )


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
    width = chart_width(len(years))
    # Counts drawn upwards: as ranks on an axis from 1 (top, deepest + 1 A) to deepest + 2.
    spaced = data.assign(
        rank=deepest + 2 - data["a_grades"].astype(float),
        band_only=False,
        band_lo=np.nan,  # no band: null in the spec's data, never 0
        band_hi=np.nan,
        rank_display=data["label"],
    )
    placed = label_positions(spaced, years, deepest + 2, width=width)
    x = alt.X(
        "edition:O",
        title=word("edition", lang),
        sort=years,
        scale=alt.Scale(
            domain=years, type="band", paddingInner=PADDING_INNER, paddingOuter=PADDING_OUTER
        ),
        axis=alt.Axis(labelAngle=0),
    )
    y = alt.Y(
        "a_grades:Q",
        title=word("a_grades", lang),
        scale=alt.Scale(domain=[0, deepest + 1], nice=False),
        axis=alt.Axis(tickMinStep=1),
    )
    names = list(dict.fromkeys(h.name for h in histories))
    colour = legend_colour(names, [], lang)
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
        .mark_text(align="left", baseline="alphabetic", fontSize=LABEL_SIZE)
        .encode(
            x=alt.X("lx:Q", scale=None),
            y=alt.Y("ly:Q", scale=None),
            text="label:N",
            color=colour,
        )
        .properties(name="a_grade_labels")
    )
    title = alt.TitleParams(
        text=f"{' · '.join(names)}{colon(lang)}{word('a_grades_title', lang)} "
        + f"({_label(series, lang)})"
        + producer_note(series.view, lang),
        subtitle=[word("no_overall_rank", lang)],
        anchor="start",
    )
    chart = alt.LayerChart(layer=[line, labels], title=title, width=width, height=HEIGHT)
    return with_locale(chart, lang)
