"""Publishers' own ranking JSON, turned into the grid of a printed table (contracts section 5).

Two shapes, as their sites serve them (``docs/formats.md``, "Published tables"):

- **THE** (``the-json``): an object whose ``data`` is a list of records with ``rank`` ("=39",
  "201–250"), ``name``, ``location``, ``scores_overall`` (a number or a range "50.1–53.7") and,
  per pillar, ``scores_<pillar>`` and ``scores_<pillar>_rank``. Record keys become headers as
  they are (the preset's aliases know ``scores_teaching``...).
- **QS** (``qs-json``): an object with ``columns``, a list of ``{data, title}`` naming each
  record key's column (titles in HTML; indicators' keys are numeric ids), and ``data``, a list of
  records whose values are HTML-wrapped strings. ``uni`` (the name inside a link) becomes
  ``institution``, ``location`` ``country``, ``overall`` ``total``, ``overall_rank_dis`` ``rank``,
  an indicator id ``<id>`` its column title (``Academic Reputation``); ``<id>_rank`` and
  ``<id>_rank_d`` keep their keys (never used).

Every cell is text with its HTML removed, so the table reader parses JSON and CSV alike.
"""

from __future__ import annotations

import html
import json
import re
from typing import Any, Literal

from palmares.problems import InvalidInput
from palmares.published import shown

JsonFormat = Literal["the-json", "qs-json"]

_TAG = re.compile(r"</?[A-Za-z][^<>]*>")
_SPACES = re.compile(r"\s+")
_HREF = re.compile(r"""href\s*=\s*["']([^"']+)["']""", re.IGNORECASE)
#: Record keys of QS's JSON and the canonical field each one holds.
_QS_FIELDS = {
    "uni": "institution",
    "title": "institution",
    "location": "country",
    "overall": "total",
    "overall_score": "total",
    "overall_rank_dis": "rank",
}
#: Other keys that would read as the same canonical column (and shadow it) once it is named.
_SHADOWS = {
    "institution": {"name", "title", "university", "institution"},
    "country": {"country", "location", "country/territory"},
    "total": {"overall score", "score", "overall", "total"},
    "rank": {"rank", "rank display", "rank_display", "overall rank", "overall_rank"},
}


def strip_html(text: str) -> str:
    """Cell text without its HTML tags and entities, spaces collapsed."""
    if "<" not in text and "&" not in text:
        return text.strip()
    return _SPACES.sub(" ", html.unescape(_TAG.sub(" ", text))).strip()


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return strip_html(str(value))


def detect_json(document: Any) -> JsonFormat | None:
    """``qs-json`` for an object with ``columns`` of ``{data, title}`` and ``data`` records,
    ``the-json`` for an object whose ``data`` records carry ``scores_overall`` or ``name``."""
    if isinstance(document, list) and document and all(isinstance(r, dict) for r in document):
        # A bare list of records (a copy's export): its keys are headers, as THE's are.
        return "the-json"
    if not isinstance(document, dict):
        return None
    records = document.get("data")
    if not isinstance(records, list):
        return None
    columns = document.get("columns")
    if isinstance(columns, list) and all(isinstance(c, dict) and "data" in c for c in columns):
        return "qs-json"
    first = next((r for r in records if isinstance(r, dict)), {})
    if "scores_overall" in first or "name" in first:
        return "the-json"
    if "uni" in first or "overall_rank_dis" in first:
        return "qs-json"
    return None


def load_json(text: str, file: str) -> Any:
    """The parsed document; a located ``encoding`` problem when it is not JSON."""
    try:
        return json.loads(text)
    except json.JSONDecodeError as error:
        raise InvalidInput.single(
            file,
            "encoding",
            f"not valid JSON at line {error.lineno}, column {error.colno}: {error.msg} "
            f"(near {shown(error.doc[max(0, error.pos - 20) : error.pos + 20])})",
        ) from None


def _records(document: Any, file: str, kind: JsonFormat) -> list[dict[str, Any]]:
    records = document.get("data") if isinstance(document, dict) else document
    if not isinstance(records, list) or not all(isinstance(r, dict) for r in records):
        raise InvalidInput.single(
            file,
            "missing-column",
            f"not {kind}: expected an object whose 'data' is a list of records "
            f"(got {shown(type(document).__name__)})",
        )
    return records


def json_grid(document: Any, file: str, kind: JsonFormat) -> tuple[list[list[str]], list[int]]:
    """Header and rows (text cells) of a publisher's JSON; row numbers are record index + 2."""
    records = _records(document, file, kind)
    keys: list[str] = []
    seen: set[str] = set()
    for record in records:
        for key in record:
            if key not in seen:
                seen.add(key)
                keys.append(key)
    headers = list(keys)
    if kind == "qs-json":
        titles = {
            str(c["data"]): strip_html(str(c.get("title", "")))
            for c in document.get("columns", [])
            if isinstance(c, dict) and "data" in c
        }
        # Keys that would read as a canonical column named from another key, and shadow it.
        named = {_QS_FIELDS[k] for k in keys if k in _QS_FIELDS}
        reserved = {*named, *(alias for field in named for alias in _SHADOWS[field])}
        headers = []
        for key in keys:
            title = titles.get(key, "")
            if key in _QS_FIELDS and _QS_FIELDS[key] not in headers:
                headers.append(_QS_FIELDS[key])
            elif (
                title
                and key not in _QS_FIELDS
                and not key.endswith(("_rank", "_rank_d", "_rank_dis"))
                and title.casefold() not in reserved
                and title.casefold() not in {h.casefold() for h in headers}
            ):
                # An indicator (a numeric id) is named by its column's title.
                headers.append(title)
            elif key.casefold() in reserved or key.casefold().replace("_", " ") in reserved:
                headers.append(f"json {key}")
            else:
                headers.append(key)
    grid = [headers] + [[_text(r.get(k)) for k in keys] for r in records]
    if kind == "qs-json" and "uni" in keys and "url" not in keys:
        # The name sits inside a link to the institution's page: its URL names it too.
        grid[0].append("url")
        for row, record in zip(grid[1:], records, strict=True):
            match = _HREF.search(str(record.get("uni") or ""))
            row.append(html.unescape(match.group(1)) if match else "")
    return grid, list(range(1, len(grid) + 1))
