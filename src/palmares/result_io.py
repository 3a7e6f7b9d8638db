"""Writing a Result: CSV, JSON, Parquet and Excel, atomically and byte-identically on rerun."""

from __future__ import annotations

import io
import json
import math
import zipfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Protocol

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
from openpyxl import Workbook
from openpyxl.writer.excel import ExcelWriter

from palmares.io.atomic import atomic_path
from palmares.io.excel_bundle import FIXED_TIME, fixed_zip
from palmares.io.safe_text import person_csv_bytes, xlsx_cell
from palmares.jsonsafe import json_safe
from palmares.problems import UsageProblem
from palmares.published_view import viewed
from palmares.translatable import tr


class Result(Protocol):
    """What writing needs of a :class:`palmares.result.Result` (named here, not imported:
    the Result imports this module to write itself)."""

    @property
    def meta(self) -> dict[str, Any]: ...

    def to_json(self, lang: str = "en") -> dict[str, Any]: ...

    def export_frame(self, lang: str = "en") -> pd.DataFrame: ...


FORMATS = (".csv", ".json", ".parquet", ".xlsx")


def result_json_text(result: Result, lang: str = "en") -> str:
    return json.dumps(json_safe(result.to_json(lang)), ensure_ascii=False, indent=2) + "\n"


def _plain(frame: pd.DataFrame) -> pd.DataFrame:
    """Object columns as strings so every writer sees the same, typed table (missing stays
    missing: an empty cell, never the text "None")."""
    out = frame.copy()
    for column in out.columns:
        if out[column].dtype == object:
            values = out[column]
            out[column] = values.astype("str").where(values.notna(), None)
    return out


def _view_json_text(result: Any, lang: str, view: str) -> str:
    if view != "published" or getattr(result, "personalisation", None) is not None:
        return result_json_text(result, lang)
    frame = viewed(result, result.to_frame(lang), view)
    records = json.loads(frame.to_json(orient="records", double_precision=15))
    document = {**result.meta, "field_size": result.field_size, "view": view}
    return json.dumps({**document, "results": records}, ensure_ascii=False, indent=2) + "\n"


def frame_workbook_bytes(sheets: dict[str, pd.DataFrame]) -> bytes:
    """Frames as one deterministic .xlsx (fixed document properties and zip timestamps)."""
    workbook = Workbook(write_only=True)
    workbook.properties.creator = "palmares"
    workbook.properties.created = FIXED_TIME
    workbook.properties.modified = FIXED_TIME
    for name, frame in sheets.items():
        sheet = workbook.create_sheet(name)
        sheet.append([str(c) for c in frame.columns])
        for row in frame.itertuples(index=False):
            sheet.append([xlsx_cell(_excel_cell(v), sheet) for v in row])
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        ExcelWriter(workbook, archive).save()
    return fixed_zip(buffer.getvalue())


def _excel_cell(value: Any) -> Any:
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return None
    if hasattr(value, "item"):
        value = value.item()
    return value if isinstance(value, (int, float, str, bool)) else str(value)


def _csv_value(value: Any) -> Any:
    if value is None or value is pd.NA or (isinstance(value, float) and value != value):
        return None
    if hasattr(value, "item"):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def frame_csv_bytes(frame: pd.DataFrame) -> bytes:
    """A frame as a CSV for people: formula-safe text, quoted CR/LF (see safe_text)."""
    rows = ([_csv_value(v) for v in row] for row in frame.itertuples(index=False, name=None))
    return person_csv_bytes([str(c) for c in frame.columns], rows)


def write_result(
    result: Result,
    path: Path,
    *,
    lang: str = "en",
    force: bool = False,
    view: str = "published",
    labels: Mapping[str, str] | None = None,
) -> Path:
    """Write ``result`` to ``path``; the suffix picks the format. Existing files need ``force``.

    CSV, JSON and Parquet keep ids, dots and raw values; ``.xlsx`` is the workbook for people
    (:mod:`palmares.workbook`: headers in ``lang`` with the nodes' ``labels``, the ``view``'s
    ranking rounded as published, unrounded scores, indicators, methodology, provenance)."""
    suffix = path.suffix.lower()
    if suffix not in FORMATS:
        raise UsageProblem(
            tr(
                "{path}: unknown output format {suffix!r}: use one of {formats}",
                path=path,
                suffix=suffix or "(no suffix)",
                formats=", ".join(FORMATS),
            )
        )
    frame = _plain(viewed(result, result.export_frame(lang), view))
    with atomic_path(path, force=force) as temporary:
        if suffix == ".csv":
            temporary.write_bytes(frame_csv_bytes(frame))
        elif suffix == ".json":
            temporary.write_text(_view_json_text(result, lang, view), encoding="utf-8")
        elif suffix == ".parquet":
            table = pa.Table.from_pandas(frame, preserve_index=False)
            table = table.replace_schema_metadata(
                {"palmares": json.dumps(result.meta, sort_keys=True)}
            )
            pq.write_table(table, temporary, compression="zstd", write_statistics=False)
        else:
            from palmares.workbook import result_sheets, workbook_bytes

            sheets = result_sheets(result, lang=lang, view=view, labels=labels)
            temporary.write_bytes(workbook_bytes(sheets))
    return path
