"""Rank uncertainty: each institution's nominal rank against its Monte Carlo interval.

One column per institution (ordered by nominal rank): the q05-q95 interval as a rule, the
median rank as a tick, the nominal (published) rank as a point, rank axis reversed. The top N
of the run fill the first panel; institutions named outside the top N get a second panel with
its own rank axis, so that one far-down institution does not flatten the top of the table.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import altair as alt
import numpy as np
import pandas as pd

from palmares.charts.text import colon, producer_note, with_locale, word
from palmares.lang import check_lang, format_int, format_percent
from palmares.published_view import table_positions
from palmares.uncertainty.intervals import Intervals

#: Width of one institution's column (pixels) and the panels' height.
STEP = 30
HEIGHT = 340
#: Colours of the top N and of the institutions named outside it.
COLOURS = ("#4c78a8", "#e45756")
NAME_LIMIT = 32


def _short(name: str) -> str:
    return name if len(name) <= NAME_LIMIT else name[: NAME_LIMIT - 1].rstrip() + "…"


def _num(value: float, lang: str) -> str:
    return "" if not np.isfinite(value) else format_int(int(value), lang)


def uncertainty_frame(
    intervals: Intervals,
    institutions: Sequence[str] = (),
    *,
    top: int = 20,
    lang: str = "en",
    nominal: Any = None,
    view: str = "published",
) -> pd.DataFrame:
    """The rows drawn: institutions with a nominal rank <= ``top`` (ties included) plus the
    named ones, ordered by nominal rank; ``panel`` 0 for the top, 1 for those named outside it.
    Ranks are floats (NaN when absent); ``interval``, ``p_top_k_text`` are formatted in
    ``lang``. With the ``nominal`` Result of the run, ``band`` is each row's published band
    ("" outside a band: the intervals shown as computed, the band beside them, contracts
    section 12) and the nominal rank's text is what ``view`` states of it
    (:mod:`palmares.published_view`: the band, never a rank inside it, in the published
    view; none where the publisher prints no rank)."""
    check_lang(lang)
    if top < 0:
        raise ValueError("top must be >= 0")
    frame = intervals.frame
    known = set(frame["institution"])
    unknown = [i for i in institutions if i not in known]
    if unknown:
        raise ValueError(f"no interval in this run for {', '.join(unknown)}")
    nominal_rank = frame["nominal_rank"].astype("float64")
    named = frame["institution"].isin(list(institutions))
    in_top = nominal_rank.le(top).fillna(False).astype(bool)
    rows = frame[in_top | named].copy()
    rows["nominal_rank"] = rows["nominal_rank"].astype("float64")
    for column in ("median_rank", "q05", "q95", "p_top_k"):
        rows[column] = rows[column].astype("float64")
    rows["named"] = named[rows.index]
    rows["panel"] = np.where(in_top[rows.index], 0, 1)
    rows = rows.sort_values(["nominal_rank", "name"], na_position="last", kind="stable")
    names = rows["name"].fillna(rows["institution"]).astype(str)
    short = names.map(_short)
    # Two institutions with the same (short) name keep distinct columns.
    twice = short.duplicated(keep=False)
    rows["label"] = np.where(twice, short + " (" + rows["institution"] + ")", short)
    rows["full_name"] = names
    rows["group"] = np.where(rows["named"], word("named", lang), f"top {top}")
    rows["nominal_text"] = [_num(v, lang) for v in rows["nominal_rank"]]
    if nominal is not None:
        _published_positions(rows, nominal, lang, view)
    rows["median_text"] = [_num(v, lang) for v in rows["median_rank"]]
    rows["interval"] = [
        f"{_num(lo, lang)}–{_num(hi, lang)}" if np.isfinite(lo) else ""
        for lo, hi in zip(rows["q05"], rows["q95"], strict=True)
    ]
    rows["p_top_k_text"] = [
        format_percent(100 * p, lang) if np.isfinite(p) else "" for p in rows["p_top_k"]
    ]
    columns = [
        "institution",
        "full_name",
        "label",
        "group",
        "panel",
        "named",
        "nominal_rank",
        "median_rank",
        "q05",
        "q95",
        "nominal_text",
        "median_text",
        "interval",
        "p_top_k_text",
        *(["band"] if nominal is not None else []),
    ]
    return rows[columns].reset_index(drop=True)


def _published_positions(rows: pd.DataFrame, nominal: Any, lang: str, view: str) -> None:
    """The published band of each row (in place) and the nominal rank's text in ``view``."""
    positions = table_positions(nominal, nominal.ranking, lang, view)
    at = pd.Index(nominal.institutions).get_indexer(rows["institution"].tolist())
    known = at >= 0
    banded = np.where(known, positions.banded[at], False)
    band = np.asarray(positions.band, dtype=object)[at]
    rows["band"] = np.where(banded, band, "")
    if positions.published:
        shown = np.where(banded, band, rows["nominal_text"].to_numpy(dtype=object))
        rows["nominal_text"] = np.where(positions.no_rank, "", shown)


def _panel(rows: pd.DataFrame, top: int, lang: str, level: int, top_k: int) -> alt.LayerChart:
    deepest = int(np.nanmax(np.r_[rows["q95"].to_numpy(), rows["nominal_rank"].to_numpy(), 1.0]))
    lowest = int(np.nanmin(np.r_[rows["q05"].to_numpy(), rows["nominal_rank"].to_numpy()]))
    # The top panel starts at rank 1; a panel of far-down institutions starts near them.
    index = int(rows["panel"].iloc[0])  # layer names end in the panel's number
    start = 1 if index == 0 else max(1, lowest - max(2, (deepest - lowest) // 10))
    end = max(deepest, start + 1)
    pad = max(0.5, 0.02 * (end - start))  # room for the marks at both ends
    y_scale = alt.Scale(reverse=True, domain=[start - pad, end + pad], nice=False, zero=False)
    x = alt.X(
        "label:N",
        sort=rows["label"].tolist(),
        title=word("institution", lang),
        axis=alt.Axis(labelAngle=-40, labelLimit=220),
    )
    colour = alt.Color(
        "group:N",
        title="",
        scale=alt.Scale(domain=[f"top {top}", word("named", lang)], range=list(COLOURS)),
    )
    tooltip = [
        alt.Tooltip("full_name:N", title=word("institution", lang)),
        alt.Tooltip("nominal_text:N", title=word("nominal_rank", lang)),
        alt.Tooltip("median_text:N", title=word("median_rank", lang)),
        alt.Tooltip("interval:N", title=word("interval", lang).format(level=level)),
        alt.Tooltip("p_top_k_text:N", title=f"P(top {top_k})"),
    ]
    if "band" in rows:  # the published band beside the computed interval
        tooltip.insert(2, alt.Tooltip("band:N", title=word("band", lang)))
    y_axis = alt.Axis(tickMinStep=1)
    rank_title = word("rank", lang)
    interval = (
        alt.Chart(rows)
        .mark_rule(strokeWidth=3, opacity=0.55)
        .encode(
            x=x,
            y=alt.Y("q05:Q", scale=y_scale, title=rank_title, axis=y_axis),
            y2="q95:Q",
            color=colour,
            tooltip=tooltip,
        )
        .properties(name=f"interval_{index}")
    )
    median = (
        alt.Chart(rows)
        .mark_tick(orient="horizontal", thickness=2, size=16)
        .encode(x=x, y=alt.Y("median_rank:Q", scale=y_scale), color=colour, tooltip=tooltip)
        .properties(name=f"median_{index}")
    )
    nominal = (
        alt.Chart(rows[rows["nominal_rank"].notna()])
        .mark_point(filled=True, size=70, opacity=1)
        .encode(
            x=x,
            y=alt.Y("nominal_rank:Q", scale=y_scale, title=rank_title, axis=y_axis),
            color=colour,
            tooltip=tooltip,
        )
        .properties(name=f"nominal_{index}")
    )
    return alt.LayerChart(layer=[interval, median, nominal], width=alt.Step(STEP), height=HEIGHT)


def uncertainty_chart(
    intervals: Intervals,
    institutions: Sequence[str] = (),
    *,
    top: int = 20,
    lang: str = "en",
    view: str = "published",
    nominal: Any = None,
) -> alt.HConcatChart:
    """Nominal rank (point), q05-q95 interval (rule) and median rank (tick) of the top ``top``
    institutions and of ``institutions``, rank axis reversed (1 at the top). One panel, or two
    when named institutions are outside the top (each panel its own rank axis). ``nominal``
    (the run's nominal Result): the published band beside each interval, the nominal rank as
    ``view`` states it (:func:`uncertainty_frame`)."""
    check_lang(lang)
    data = uncertainty_frame(
        intervals, institutions, top=top, lang=lang, nominal=nominal, view=view
    )
    if data.empty:
        raise ValueError("nothing to draw: no institution in the top and none named")
    level = intervals.level
    panels = [
        _panel(data[data["panel"] == p], top, lang, level, intervals.top_k)
        for p in (0, 1)
        if (data["panel"] == p).any()
    ]
    where = " ".join(str(v) for v in (intervals.system, intervals.edition) if v is not None)
    head = word("uncertainty_title", lang).format(level=level)
    draws = format_int(intervals.draws, lang)
    seed = "" if intervals.seed is None else f" ({word('seed', lang)} {intervals.seed})"
    low, high = (f"q{round(100 * q):02d}" for q in intervals.quantiles)
    title = alt.TitleParams(
        # intervals are palmares' own computation in either view; the producer view says so
        text=(f"{where}{colon(lang)}{head}" if where else head[0].upper() + head[1:])
        + producer_note(view, lang),
        subtitle=[
            f"{draws} {word('draws', lang)}{seed}",
            word("uncertainty_legend", lang).format(level=level, low=low, high=high),
        ],
        anchor="start",
    )
    chart = alt.HConcatChart(hconcat=panels, title=title).resolve_scale(y="independent")
    return with_locale(chart, lang)
