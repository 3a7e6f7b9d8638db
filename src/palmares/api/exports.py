"""Ranking tables as downloads (CSV, XLSX, JSON), safe to open in a spreadsheet.

Formula safety (OWASP, contracts section 12): a text cell that begins with ``=``, ``+``, ``-``,
``@``, tab or carriage return is prefixed with ``'`` in CSV and written as a string cell (never a
formula) in XLSX; numbers such as ``-31`` stay numbers. Kept small and isolated so it can move
to the project's shared safe-text module.
"""

from __future__ import annotations

import io
import json
from typing import Any

import pandas as pd

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
MEDIA = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "json": "application/json",
}
EXPORT_COLUMNS = (
    "institution",
    "name",
    "country",
    "rank",
    "rank_display",
    "band_lo",
    "band_hi",
    "score",
    "group",
    "rank_is_computed",
)


def inert(value: Any) -> Any:
    """A text cell that cannot run as a formula; anything else unchanged."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def _cell(value: Any) -> Any:
    if value is None:
        return None
    if hasattr(value, "item") and not isinstance(value, str):
        value = value.item()
    if isinstance(value, float) and value != value:
        return None
    return value


def export_table(head: dict[str, Any], rows: pd.DataFrame, fmt: str) -> tuple[bytes, str]:
    """The table as bytes of ``fmt`` with its media type."""
    from palmares.api.context import records

    frame = rows[[c for c in EXPORT_COLUMNS if c in rows.columns]]
    if fmt == "json":
        document = {**head, "per_page": len(frame), "results": records(frame)}
        return json.dumps(document, ensure_ascii=False).encode("utf-8"), MEDIA["json"]
    if fmt == "csv":
        safe = frame.astype(object).map(lambda v: inert(_cell(v)))
        text = safe.to_csv(index=False, lineterminator="\n")
        return text.encode("utf-8"), MEDIA["csv"]
    return _xlsx(frame), MEDIA["xlsx"]


def _xlsx(frame: pd.DataFrame) -> bytes:
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("ranking")
    sheet.append(list(frame.columns))
    for row in frame.itertuples(index=False, name=None):
        cells = []
        for value in row:
            value = _cell(value)
            cell = WriteOnlyCell(sheet, value=value)
            if isinstance(value, str):
                # A string cell: openpyxl would otherwise store "=..." as a formula.
                cell.data_type = "s"
                cell.value = inert(value)
            cells.append(cell)
        sheet.append(cells)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
