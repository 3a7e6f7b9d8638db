"""Text made safe for the format it lands in: one place owns formula safety and escaping.

- Spreadsheets (OWASP CSV injection rule): a text cell that begins with ``=``, ``+``, ``-``,
  ``@``, a tab or a carriage return is prefixed with ``'`` in a CSV a person opens, and is
  always a string cell (never a formula or an error) in XLSX. A number, or text that is just a
  number such as ``-31``, stays a number. The bundle's own CSV tables are data read back by
  palmares and stay lossless: they do not use :func:`csv_text`.
- HTML and JavaScript: :func:`html_text` (markupsafe) for element content and attributes,
  :func:`script_json` for JSON embedded in a ``<script>`` element (``<``, ``>``, ``&`` and the
  JavaScript line separators escaped, so no name can close the element).
- Markdown: :func:`markdown_text` escapes the characters that make links, emphasis, code or
  raw HTML, so a name is shown as written.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Sequence
from typing import Any

from markupsafe import escape

#: First characters that make a spreadsheet read a cell as a formula (OWASP).
FORMULA_STARTS: tuple[str, ...] = ("=", "+", "-", "@", "\t", "\r")
#: Text a spreadsheet reads as a number: left alone (``-31`` is a number, not a formula).
_NUMBER = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?")
#: Excel's error literals: openpyxl would store these as error cells.
_EXCEL_ERRORS = frozenset(
    ("#NULL!", "#DIV/0!", "#VALUE!", "#REF!", "#NAME?", "#NUM!", "#N/A", "#GETTING_DATA")
)
#: Characters XLSX (XML 1.0) cannot hold: control characters other than tab, LF and CR.
ILLEGAL_XML = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")


def is_formula_like(text: str) -> bool:
    """True when a spreadsheet could run ``text`` (it starts like a formula and is no number)."""
    return text.startswith(FORMULA_STARTS) and _NUMBER.fullmatch(text.strip()) is None


def csv_text(text: str) -> str:
    """A text cell for a CSV a person opens: prefixed with ``'`` when it starts like a formula."""
    return "'" + text if is_formula_like(text) else text


def csv_cell(value: Any) -> Any:
    """:func:`csv_text` for text, anything else unchanged."""
    return csv_text(value) if isinstance(value, str) else value


def person_csv_bytes(header: Sequence[Any], rows: Iterable[Sequence[Any]]) -> bytes:
    """A CSV for people: formula-safe text, every field holding a quote, comma, CR or LF quoted
    (a bare CR in a name cannot split a row), UTF-8, LF line ends. ``None`` is an empty cell."""
    lines = [",".join(_csv_field(v) for v in header)]
    lines.extend(",".join(_csv_field(v) for v in row) for row in rows)
    return ("\n".join(lines) + "\n").encode("utf-8")


_NEEDS_QUOTES = re.compile(r'[",\r\n]')


def _csv_field(value: Any) -> str:
    if value is None:
        return ""
    text = csv_text(value) if isinstance(value, str) else str(value)
    if _NEEDS_QUOTES.search(text):
        return '"' + text.replace('"', '""') + '"'
    return text


def xlsx_cell(value: Any, sheet: Any) -> Any:
    """A value for a write-only openpyxl sheet: text always a string cell (never a formula or
    an error), characters XML cannot hold replaced by U+FFFD; other values unchanged."""
    if not isinstance(value, str):
        return value
    from openpyxl.cell.cell import WriteOnlyCell

    illegal = ILLEGAL_XML.search(value) is not None
    text = ILLEGAL_XML.sub("\ufffd", value) if illegal else value
    if illegal or text.startswith("=") or text in _EXCEL_ERRORS:
        cell = WriteOnlyCell(sheet)
        cell._value = text
        cell.data_type = "s"
        return cell
    return text


def html_text(text: Any) -> str:
    """``text`` escaped for HTML element content or a quoted attribute (markupsafe)."""
    return str(escape(str(text)))


def script_json(document: Any, **dumps: Any) -> str:
    """JSON safe inside an HTML ``<script>`` element: ``<``, ``>``, ``&``, U+2028 and U+2029
    as ``\\u`` escapes (the same JavaScript value, but no ``</script>`` or comment opener)."""
    text = json.dumps(document, **dumps)
    return (
        text.replace("<", "\\u003c")
        .replace(">", "\\u003e")
        .replace("&", "\\u0026")
        .replace("\u2028", "\\u2028")
        .replace("\u2029", "\\u2029")
    )


_MARKDOWN_SPECIAL = re.compile(r"([\\`*_\[\]|#~!])")
_ENTITY_START = re.compile(r"&(?=#?[A-Za-z0-9]+;)")


def markdown_text(text: Any) -> str:
    """``text`` shown literally in Markdown (which may carry HTML): raw HTML and entities
    neutralised, emphasis, code, links and tables escaped, line breaks as spaces."""
    out = str(text).replace("\r\n", " ").replace("\r", " ").replace("\n", " ")
    out = _MARKDOWN_SPECIAL.sub(r"\\\1", out)
    out = _ENTITY_START.sub("&amp;", out)
    return out.replace("<", "&lt;").replace(">", "&gt;")


def single_line(text: str) -> str:
    """``text`` with CR and LF as spaces (a name printed on one line)."""
    return text.replace("\r\n", " ").replace("\r", " ").replace("\n", " ")
