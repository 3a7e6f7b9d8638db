"""Ranking workbooks written for people (issue 14 item 8): one sheet per table, headers in the
reader's language with the nodes' labels, scores rounded as published (the unrounded ones in a
second sheet), raw indicator values, a frozen header row and column widths.

Every cell goes through :func:`palmares.io.safe_text.xlsx_cell` (text is a string cell, never a
formula; numbers stay numbers) and the file is byte-deterministic (fixed document times and zip
timestamps). CSV, JSON and Parquet keep ids, dots and raw values (contracts section 12): they do
not come through here.
"""

from __future__ import annotations

import io
import math
import zipfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from openpyxl import Workbook
from openpyxl.cell.cell import WriteOnlyCell
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter
from openpyxl.writer.excel import ExcelWriter

from palmares.i18n import gettext
from palmares.io.excel_bundle import FIXED_TIME, fixed_zip
from palmares.io.safe_text import xlsx_cell

#: Column widths (in characters) are the longest text of the column, within these bounds.
MIN_WIDTH, MAX_WIDTH = 8.0, 60.0
#: Excel's limit on a sheet's title.
TITLE_LIMIT = 31
#: Decimals of a score when the methodology states no published precision.
DEFAULT_DECIMALS = 1

#: Column id -> the English header (a message of the gettext catalogue).
HEADERS: dict[str, str] = {
    "institution": "Identifier",
    "name": "Institution",
    "country": "Country",
    "region_code": "Region",
    "rank_display": "Rank",
    "rank": "Rank (number)",
    "tie_size": "Tied institutions",
    "score": "Score",
    "score_lo": "Band's lowest score",
    "score_hi": "Band's highest score",
    "band": "Band",
    "band_lo": "Band start",
    "band_hi": "Band end",
    "group": "Group",
    "group_rank": "Rank in the group",
    "group_size": "Group size",
    "top_percent": "Top %",
    "national_rank": "National rank",
    "regional_rank": "Regional rank",
    "a_count": "A grades",
    "rank_is_computed": "Rank computed by palmares",
    "eligible": "In the overall table",
}


@dataclass(frozen=True)
class Sheet:
    """One table of a workbook: its title, its rows (columns are the headers people read) and
    the Excel number format of some columns (``"0.0"`` shows a score's published decimals)."""

    title: str
    frame: pd.DataFrame
    formats: Mapping[str, str] = field(default_factory=dict)


def header(column: str, lang: str, labels: Mapping[str, str] | None = None) -> str:
    """The header people read for a column id: a known column in ``lang``, a node's score
    (``score:NODE``) or raw value (``raw:NODE``) as the node's label, ``grades_A`` as
    "A grades"; any other column keeps its id."""
    labels = labels or {}
    if column in HEADERS:
        return gettext(lang, HEADERS[column])
    for prefix in ("score:", "raw:"):
        if column.startswith(prefix):
            node = column[len(prefix) :]
            return labels.get(node) or node
    if column.startswith("grades_") and len(column) == len("grades_") + 1:
        return gettext(lang, "{letter} grades", letter=column[-1])
    return column


def people_frame(
    frame: pd.DataFrame, lang: str, labels: Mapping[str, str] | None = None
) -> pd.DataFrame:
    """``frame`` with its headers in ``lang`` (two columns with one label keep their ids)."""
    names = [header(str(c), lang, labels) for c in frame.columns]
    seen = pd.Series(names).duplicated(keep=False).to_numpy()
    names = [
        f"{n} ({c})" if twice else n for n, c, twice in zip(names, frame.columns, seen, strict=True)
    ]
    out = frame.copy()
    out.columns = names
    return out


def number_format(decimals: int) -> str:
    """The Excel format that shows ``decimals`` places ("0", "0.0", "0.00", ...)."""
    return "0" if decimals <= 0 else "0." + "0" * decimals


def column_widths(frame: pd.DataFrame) -> list[float]:
    """Per column: the longest of its header and its cells' text, within the bounds."""
    widths = []
    for name in frame.columns:
        texts = frame[name].dropna().astype(str)
        longest = max([len(str(name)), *(texts.str.len().tolist() or [0])])
        widths.append(float(min(MAX_WIDTH, max(MIN_WIDTH, longest + 2))))
    return widths


def _value(value: Any) -> Any:
    """A cell's plain Python value: missing (None, NaN, NA) is an empty cell, never 0."""
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if hasattr(value, "item") and not isinstance(value, str):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value if isinstance(value, (int, float, str, bool)) else str(value)


def workbook_bytes(sheets: Sequence[Sheet]) -> bytes:
    """The sheets as one deterministic .xlsx: bold frozen header row, column widths, text as
    string cells (never formulas), numbers as numbers with the sheet's formats."""
    workbook = Workbook(write_only=True)
    workbook.properties.creator = "palmares"
    workbook.properties.created = FIXED_TIME
    workbook.properties.modified = FIXED_TIME
    bold = Font(bold=True)
    used: set[str] = set()
    for sheet in sheets:
        title = _title(sheet.title, used)
        target = workbook.create_sheet(title)
        target.freeze_panes = "A2"
        frame = sheet.frame
        for k, width in enumerate(column_widths(frame), start=1):
            target.column_dimensions[get_column_letter(k)].width = width
        head = []
        for name in frame.columns:
            cell = WriteOnlyCell(target, value=None)
            cell._value = str(name)  # a header is text, whatever it begins with
            cell.data_type = "s"
            cell.font = bold
            head.append(cell)
        target.append(head)
        formats = [sheet.formats.get(str(c)) for c in frame.columns]
        for row in frame.itertuples(index=False, name=None):
            cells = []
            for value, fmt in zip(row, formats, strict=True):
                plain = _value(value)
                if fmt is not None and isinstance(plain, (int, float)):
                    cell = WriteOnlyCell(target, value=plain)
                    cell.number_format = fmt
                    cells.append(cell)
                else:
                    cells.append(xlsx_cell(plain, target))
            target.append(cells)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        ExcelWriter(workbook, archive).save()
    return fixed_zip(buffer.getvalue())


def _title(text: str, used: set[str]) -> str:
    """A sheet title Excel accepts (no []:*?/\\, at most 31 characters), unique in the book."""
    clean = "".join(" " if ch in "[]:*?/\\" else ch for ch in text).strip() or "sheet"
    title = clean[:TITLE_LIMIT]
    n = 2
    while title.lower() in used:
        suffix = f" ({n})"
        title = clean[: TITLE_LIMIT - len(suffix)] + suffix
        n += 1
    used.add(title.lower())
    return title


def provenance_sheet(meta: Mapping[str, Any], lang: str) -> Sheet:
    """What regenerates the table, one line per fact (system, edition, hashes, seed, ...)."""
    words = {
        "system": "System",
        "system_label": "Ranking",
        "edition": "Edition",
        "methodology": "Methodology",
        "methodology_version": "Methodology version",
        "methodology_hash": "Methodology hash",
        "data_hash": "Data hash",
        "seed": "Seed",
        "palmares_version": "palmares version",
        "field_size": "Institutions ranked",
        "view": "View",
        "reranked_on": "Re-ranked on",
    }
    rows = [
        (gettext(lang, words[key]) if key in words else key, _value(value))
        for key, value in meta.items()
        if _value(value) is not None
    ]
    frame = pd.DataFrame(rows, columns=[gettext(lang, "Field"), gettext(lang, "Value")])
    return Sheet(gettext(lang, "Provenance"), frame)


def view_words(view: str, lang: str) -> str:
    """The view, as a person reads it in the provenance sheet."""
    if view == "producer":
        return gettext(lang, "computed by palmares (producer view)")
    return gettext(lang, "as published (published view)")


def node_labels(indicators: pd.DataFrame, lang: str) -> dict[str, str]:
    """Node id -> label in ``lang`` from a bundle's indicator table (the other language, then
    the id, when it is missing)."""
    from palmares.lang import check_lang

    check_lang(lang)
    other = "en" if lang == "fr" else "fr"
    labels: dict[str, str] = {}
    columns = [c for c in ("id", f"label_{lang}", f"label_{other}") if c in indicators]
    for row in indicators[columns].itertuples(index=False):
        node, *texts = row
        labels[str(node)] = next((str(v) for v in texts if _is_text(v)), str(node))
    return labels


def _is_text(value: Any) -> bool:
    return isinstance(value, str) and value.strip() != ""


# -- a Result's workbook ----------------------------------------------------------------------


def result_labels(result: Any, labels: Mapping[str, str] | None, lang: str) -> dict[str, str]:
    """Node id -> label: the given labels (the bundle's), then the methodology's inline tree."""
    out = dict(labels or {})
    suffix = "fr" if lang == "fr" else "en"
    for node in result.methodology.tree.nodes:
        text = getattr(node, f"label_{suffix}") or node.label_en or node.label_fr
        if text and node.id not in out:
            out[node.id] = text
    return out


def result_sheets(
    result: Any,
    *,
    lang: str,
    view: str = "published",
    labels: Mapping[str, str] | None = None,
) -> list[Sheet]:
    """The workbook of a :class:`palmares.result.Result`: ranking (scores rounded as published;
    the published view unless ``view="producer"``), unrounded scores, raw indicator values,
    methodology (nodes, parents, weights) and provenance."""
    from palmares.plan import published_decimals
    from palmares.published_view import viewed
    from palmares.steps.rounding import round_half_up

    labels = result_labels(result, labels, lang)
    decimals = published_decimals(result.methodology)
    decimals = DEFAULT_DECIMALS if decimals is None else int(decimals)
    graded = result.methodology.ranking.by == "grade_counts"
    personalised = result.personalisation is not None
    frame = viewed(result, result.to_frame(lang, nodes=False), view)
    order = frame["institution"].tolist()
    at = pd.Index(result.institutions).get_indexer(order)
    tree = result.tree
    root = tree.roots[0]
    nodes = [n for n in tree.ids if n != root and not tree.is_leaf[tree.index(n)]]

    ranking = pd.DataFrame({"rank_display": frame["rank_display"], "name": frame["name"]})
    if frame["rank_display"].isna().all():
        ranking = ranking.drop(columns="rank_display")  # no overall rank printed (U-Multirank)
    for column in ("country", "region_code"):
        if frame[column].notna().any():
            ranking[column] = frame[column]
    score_columns = []
    if graded and result.grade_counts is not None:
        # A graded system publishes counts of grades per dimension, not scores.
        a_grades = gettext(lang, "A grades")
        for node in nodes:
            name = f"{labels.get(node, node)} ({a_grades})"
            labels = {**labels, f"a:{node}": name}
            ranking[f"score:a:{node}"] = result.grade_counts[at, tree.index(node), 0]
    else:
        ranking["score"] = round_half_up(frame["score"].to_numpy(dtype=float), decimals)
        score_columns.append("score")
        for column in ("score_lo", "score_hi"):  # a banded row's score as a range (THE)
            if column in frame:
                ranking[column] = round_half_up(frame[column].to_numpy(dtype=float), decimals)
                score_columns.append(column)
        for node in nodes:
            values = result.node_values[at, tree.index(node)]
            ranking[f"score:{node}"] = round_half_up(values, decimals)
            score_columns.append(f"score:{node}")
    for letter in ("A", "B", "C", "D", "E"):
        if f"grades_{letter}" in frame:
            ranking[f"grades_{letter}"] = frame[f"grades_{letter}"]
    shown = ("band",) if view != "published" or personalised else ()  # else the rank is it
    for column in (*shown, "group", "national_rank", "regional_rank", "top_percent"):
        if column in frame and frame[column].replace("", None).notna().any():
            ranking[column] = frame[column]
    ranking["institution"] = frame["institution"]
    fmt = number_format(decimals)
    sheets = [
        Sheet(
            gettext(lang, "Ranking"),
            people_frame(ranking, lang, labels),
            {header(c, lang, labels): fmt for c in score_columns},
        )
    ]
    if not graded:
        unrounded = pd.DataFrame({"institution": order, "name": frame["name"].to_numpy()})
        score = unrounded_score(result)[at]
        if view == "published" and not personalised:
            # What the publisher does not print (a banded row's score) is not shown unrounded.
            score = np.where(np.isfinite(frame["score"].to_numpy(dtype=float)), score, np.nan)
        unrounded["score"] = score
        for node in nodes:
            unrounded[f"score:{node}"] = result.node_values[at, tree.index(node)]
        sheets.append(
            Sheet(gettext(lang, "Unrounded scores"), people_frame(unrounded, lang, labels))
        )

    raw = pd.DataFrame(result.raw[at], columns=[f"raw:{leaf}" for leaf in result.leaves])
    raw.insert(0, "name", frame["name"].to_numpy())
    raw.insert(0, "institution", order)
    sheets.append(Sheet(gettext(lang, "Indicators"), people_frame(raw, lang, labels)))

    weights = dict(result.methodology.weights or {})
    parents = [tree.parent_of(n) for n in tree.ids]
    method = pd.DataFrame(
        {
            gettext(lang, "Identifier"): list(tree.ids),
            gettext(lang, "Label"): [labels.get(n, n) for n in tree.ids],
            gettext(lang, "Parent"): [labels.get(p, p) if p else None for p in parents],
            gettext(lang, "Level"): tree.depth.astype(np.int64),
            gettext(lang, "Weight"): [
                weights.get(n, weights.get(n.split(".")[-1])) for n in tree.ids
            ],
        }
    )
    sheets.append(Sheet(gettext(lang, "Methodology"), method))

    system_label = (
        result.methodology.methodology.label_fr if lang == "fr" else None
    ) or result.methodology.methodology.label_en
    meta = {
        "system_label": system_label,
        **result.meta,
        "field_size": result.field_size,
        "view": view_words("producer" if personalised else view, lang),
        "reranked_on": result.personalisation.describe() if personalised else None,
    }
    return [*sheets, provenance_sheet(meta, lang)]


def unrounded_score(result: Any) -> Any:
    """The overall score before the methodology's round steps (its rescale steps applied)."""
    from palmares.plan import apply_score_steps, root_steps
    from palmares.steps.registry import rounds

    root = result.tree.roots[0]
    steps = [step for _, step in root_steps(result.methodology, root)]
    if not any(rounds(step) for step in steps):
        return result.score
    kept = [step for step in steps if not rounds(step)]
    return apply_score_steps(kept, root, np.asarray(result.raw_score, dtype=float))


def table_sheets(
    frame: pd.DataFrame, meta: Mapping[str, Any], lang: str, labels: Mapping[str, str] | None = None
) -> list[Sheet]:
    """A ranking table already computed (the API's and the web app's downloads): the table with
    headers in ``lang``, then its provenance."""
    sheet = Sheet(gettext(lang, "Ranking"), people_frame(frame, lang, labels))
    return [sheet, provenance_sheet(meta, lang)]
