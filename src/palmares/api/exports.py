"""Ranking tables as downloads (CSV, XLSX, JSON), safe to open in a spreadsheet.

Formula safety (OWASP, contracts section 12) is owned by :mod:`palmares.io.safe_text`: a text
cell that begins with ``=``, ``+``, ``-``, ``@``, tab or carriage return is prefixed with ``'``
in CSV and is a string cell (never a formula) in XLSX; numbers such as ``-31`` stay numbers.
"""

from __future__ import annotations

import json
from typing import Any

import pandas as pd

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


def _cell(value: Any) -> Any:
    if value is None:
        return None
    if hasattr(value, "item") and not isinstance(value, str):
        value = value.item()
    if isinstance(value, float) and value != value:
        return None
    return value


def export_table(
    head: dict[str, Any], rows: pd.DataFrame, fmt: str, lang: str = "en"
) -> tuple[bytes, str]:
    """The table as bytes of ``fmt`` with its media type; the ``.xlsx`` is the workbook for
    people (:mod:`palmares.workbook`: headers in ``lang``, frozen, widths, provenance)."""
    from palmares.api.context import records
    from palmares.io.safe_text import person_csv_bytes
    from palmares.workbook import table_sheets, workbook_bytes

    frame = rows[[c for c in EXPORT_COLUMNS if c in rows.columns]]
    if fmt == "json":
        document = {**head, "per_page": len(frame), "results": records(frame)}
        return json.dumps(document, ensure_ascii=False).encode("utf-8"), MEDIA["json"]
    if fmt == "csv":
        cells = ([_cell(v) for v in row] for row in frame.itertuples(index=False, name=None))
        return person_csv_bytes(list(frame.columns), cells), MEDIA["csv"]
    plain = frame.astype(object).map(_cell)
    meta = {k: v for k, v in head.items() if not isinstance(v, (list, dict))}
    return workbook_bytes(table_sheets(plain, meta, lang)), MEDIA["xlsx"]
