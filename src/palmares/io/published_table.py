"""Reading a league table as its publisher printed it (CSV or Excel) for ``import`` and
``reproduce`` (contracts sections 4 and 5).

Encoding traps are handled here: a UTF-8 BOM, Latin-1 / cp1252 files, CR-only line ends, title
rows above the header and a second header row of short codes below it. Columns are found by the
preset's header aliases (``systems/<preset>/published/headers.toml``, compared ignoring case,
spaces and underscores) or ``--map FIELD=HEADER``; only mapped columns are parsed. With a mapped
``year`` the rows are filtered to the edition. Every refused cell is reported at once with its
row (as a spreadsheet shows it), header and value.
"""

from __future__ import annotations

import csv
import io
import os
import re
import shutil
import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal, Protocol, cast

import numpy as np
import numpy.typing as npt
import pandas as pd

from palmares.dataset import Dataset
from palmares.io._cells import _cell_text, nfc
from palmares.io.countries import country_code
from palmares.io.publisher_json import JsonFormat, detect_json, json_grid, load_json, strip_html
from palmares.names import fold_name
from palmares.problems import InvalidInput, Problem, Problems, UsageProblem
from palmares.published import (
    RankColumn,
    ScoreColumn,
    clean_cell,
    parse_rank_column,
    parse_score_column,
    shown,
)
from palmares.ranking import BAND_OPEN

#: Fields every preset knows, before its component ids.
BASE_FIELDS: tuple[str, ...] = ("institution", "country", "year", "rank", "national_rank", "total")
#: Fields naming an institution beside its name, read when a table has them (THE's JSON, QS's).
IDENTITY_FIELDS: tuple[str, ...] = ("url", "publisher_id")
_IDENTITY_ALIASES: dict[str, tuple[str, ...]] = {
    "url": ("url", "link", "profile", "profile url", "web page"),
    "publisher_id": ("publisher id", "nid", "core id", "institution id"),
}
#: Rows searched for the header (title rows may sit above it).
_HEADER_SEARCH = 10


#: Footnote marks printed after a header ("Overall score*", "Teaching¹").
_FOOTNOTE_MARKS = re.compile(r"[*†‡§¹²³⁴⁵⁶⁷⁸⁹⁰]+")


def normalise_header(text: str) -> str:
    """Header text compared ignoring case, accents, spaces, underscores, non-breaking spaces
    and footnote marks."""
    return " ".join(fold_name(_FOOTNOTE_MARKS.sub("", text)).replace("_", " ").split())


@dataclass(frozen=True)
class Placeholder:
    """Printed values that mean "not published" (``values``, compared after folding case and
    spaces, numbers by value: "0" matches "0.0") in some columns (``fields``; empty for every
    score column: the total and the components), on some rows (``rows``: ``any`` or ``banded``,
    rows whose rank is a band or absent) of some editions (inclusive ``first``..``last``)."""

    values: frozenset[str]
    fields: frozenset[str] = frozenset()
    rows: Literal["any", "banded"] = "any"
    first: int | None = None
    last: int | None = None
    source: str = "format"

    def applies(self, name: str, edition: int) -> bool:
        if self.fields and name not in self.fields and "*" not in self.fields:
            return False
        return (self.first is None or edition >= self.first) and (
            self.last is None or edition <= self.last
        )


def placeholder_key(text: str) -> str:
    """The form a cell is compared in against placeholders: a number by its value, else the
    text folded (case, non-breaking spaces)."""
    cell = clean_cell(text).casefold()
    try:
        return f"#{float(cell.replace(',', '')):.12g}"
    except ValueError:
        return cell


@dataclass(frozen=True)
class PublishedFormat:
    """How a preset's tables are printed: header aliases, the kind of component cells and the
    values that stand for "not published"."""

    preset: str
    aliases: Mapping[str, tuple[str, ...]]
    component_kind: Literal["score", "rank", "grade"] = "score"
    #: Components whose blank cell means "does not apply" (ARWU's N&S), not "missing".
    not_applicable_when_blank: frozenset[str] = frozenset()
    rebuildable: bool = True
    reason: str = ""
    placeholders: tuple[Placeholder, ...] = ()
    #: False where the publisher prints no overall rank (U-Multirank).
    ranked: bool = True
    #: Components the format names itself, for presets whose tree comes from the bundle.
    components: tuple[str, ...] = ()
    labels: Mapping[str, tuple[str, str]] = field(default_factory=dict)


def _placeholders(items: Sequence[Mapping[str, Any]]) -> tuple[Placeholder, ...]:
    out = []
    for item in items:
        editions = item.get("editions", [None, None])
        out.append(
            Placeholder(
                values=frozenset(placeholder_key(str(v)) for v in item["values"]),
                fields=frozenset(item.get("fields", [])),
                rows=item.get("rows", "any"),
                first=editions[0],
                last=editions[1],
            )
        )
    return tuple(out)


#: Where the presets' published-table formats live (``<preset>/published/headers.toml``): data
#: files read here, so this module imports nothing of the presets' code.
FORMATS_DIR = Path(__file__).resolve().parents[1] / "systems"


class _Node(Protocol):
    @property
    def id(self) -> str: ...
    @property
    def parent(self) -> str | None: ...
    @property
    def label_en(self) -> str | None: ...
    @property
    def label_fr(self) -> str | None: ...
    @property
    def direction(self) -> str | None: ...


class _Tree(Protocol):
    @property
    def nodes(self) -> Sequence[_Node]: ...


class _Header(Protocol):
    @property
    def label_en(self) -> str: ...
    @property
    def label_fr(self) -> str | None: ...


class TableMethodology(Protocol):
    """What reading and importing a published table needs of a preset's methodology (a
    :class:`palmares.methodology.Methodology` is one): its system, tree, labels and hash."""

    @property
    def system(self) -> str: ...
    @property
    def tree(self) -> _Tree: ...
    @property
    def methodology(self) -> _Header: ...
    def digest(self) -> str: ...


@lru_cache(maxsize=32)
def published_format(preset: str) -> PublishedFormat:
    """The published-table format of a preset (LookupError for a preset without one)."""
    path = FORMATS_DIR / preset / "published" / "headers.toml"
    if not path.is_file():
        raise LookupError(f"preset {preset!r} ships no published-table format")
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    published = data.get("published", {})
    reproduce = data.get("reproduce", {})
    labels = data.get("labels", {})
    return PublishedFormat(
        preset=preset,
        aliases={
            **{k: tuple(normalise_header(a) for a in v) for k, v in _IDENTITY_ALIASES.items()},
            **{
                name: tuple(normalise_header(a) for a in (name, *names))
                for name, names in data["fields"].items()
            },
        },
        component_kind=published.get("components", "score"),
        not_applicable_when_blank=frozenset(published.get("not_applicable_when_blank", [])),
        rebuildable=bool(reproduce.get("rebuildable", True)),
        reason=str(reproduce.get("reason", "")),
        placeholders=_placeholders(data.get("placeholders", [])),
        ranked=bool(published.get("ranked", True)),
        components=tuple(published.get("own_components", [])),
        labels={k: (str(v[0]), str(v[-1])) for k, v in labels.items()},
    )


def table_components(method: TableMethodology, fmt: PublishedFormat) -> tuple[str, ...]:
    """The component fields of a preset's table: its methodology's leaves, else (a tree taken
    from the bundle) the components its format names."""
    return component_ids(method) or fmt.components


def component_ids(method: TableMethodology) -> tuple[str, ...]:
    """The bare component ids of a preset methodology (its leaves, ``<system>.`` removed)."""
    prefix = f"{method.system}."
    parents = {n.parent for n in method.tree.nodes}
    return tuple(
        n.id.removeprefix(prefix)
        for n in method.tree.nodes
        if n.parent is not None and n.id not in parents
    )


@dataclass(frozen=True)
class PublishedTable:
    """The rows of one edition of a published table, parsed.

    ``rows`` are spreadsheet row numbers; ``components`` hold score columns (or, for presets
    printing a rank per indicator, ``component_ranks``) keyed by bare component id.
    """

    file: str
    sheet: str | None
    system: str
    edition: int
    encoding: str
    columns: Mapping[str, str]
    rows: npt.NDArray[np.int64]
    institution: npt.NDArray[np.str_]
    country: npt.NDArray[np.str_]
    rank: RankColumn
    national_rank: RankColumn | None
    total: ScoreColumn | None
    components: Mapping[str, ScoreColumn]
    component_ranks: Mapping[str, RankColumn]
    not_applicable: Mapping[str, npt.NDArray[np.bool_]]
    notes: tuple[str, ...] = ()
    institution_ids: npt.NDArray[np.str_] | None = None
    unmatched: tuple[dict[str, object], ...] = field(default_factory=tuple)
    #: Printed grades per component (U-Multirank): "A".."E", "" (no data), "n/a" (not applicable).
    grades: Mapping[str, npt.NDArray[np.str_]] = field(default_factory=dict)
    #: ISO alpha-2 code of each row's printed country ("" when none or not recognised).
    country_code: npt.NDArray[np.str_] | None = None
    #: Cells read as "not published" (declared placeholders and ``--missing``), per column.
    placeholders: Mapping[str, int] = field(default_factory=dict)
    #: Rows left out, each ``{"row", "reason", ...}`` (no name, identical duplicate, note).
    skipped: tuple[dict[str, object], ...] = ()
    #: Problems worth a warning that did not stop the reading (homonyms, unknown countries).
    warnings: tuple[Problem, ...] = ()
    #: Institutions ``--create`` makes (``{"row", "id", "name", "country"}``), in table order.
    created: tuple[dict[str, object], ...] = ()
    #: The table's format: ``csv``, ``xlsx``, ``the-json`` or ``qs-json``.
    table_format: str = "csv"

    @property
    def placeholder_cells(self) -> int:
        return int(sum(self.placeholders.values()))

    def __len__(self) -> int:
        return int(self.rows.size)


# -- raw grid ----------------------------------------------------------------------------------


def _decode(data: bytes, file: str, encoding: str | None) -> tuple[str, str]:
    """Text and the encoding used: UTF-8 (BOM allowed), else cp1252, else Latin-1."""
    if encoding is not None:
        try:
            return data.decode(encoding).removeprefix("\ufeff"), encoding
        except (LookupError, UnicodeDecodeError) as error:
            raise InvalidInput.single(
                file, "encoding", f"cannot decode as {encoding}: {error}", value=encoding
            ) from None
    for candidate in ("utf-8", "cp1252", "latin-1"):
        try:
            return data.decode(candidate).removeprefix("\ufeff"), candidate
        except UnicodeDecodeError:
            continue
    raise AssertionError("latin-1 decodes every byte string")


def _csv_grid(text: str) -> tuple[list[list[str]], list[int]]:
    # Sniffed over the first lines: a title row above the header may hold no separator.
    lines = text.splitlines()
    head = "\n".join(lines[:_HEADER_SEARCH])
    delimiter = max((",", ";", "\t"), key=head.count)
    # Excel's "sep=;" first line names the separator (it is then an empty row).
    hint = re.fullmatch(r"sep=(.)", lines[0].strip()) if lines else None
    if hint:
        delimiter = hint.group(1)
        text = text.replace(lines[0], "", 1)
    # newline="" keeps CR-only, LF and CRLF line ends for the csv module to split.
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    grid: list[list[str]] = []
    numbers: list[int] = []
    for number, record in enumerate(reader, start=1):
        # Copies pasted from web pages keep HTML in their cells.
        cells = [strip_html(nfc(c)) if "<" in c or "&" in c else nfc(c).strip() for c in record]
        if any(cells):
            grid.append(cells)
            numbers.append(number)
    return grid, numbers


TableFormat = Literal["csv", "xlsx", "the-json", "qs-json"]
TABLE_FORMATS: tuple[str, ...] = ("csv", "xlsx", "the-json", "qs-json")


def _read_grid(
    source: Path, encoding: str | None, table_format: str | None
) -> tuple[list[list[str]], list[int], str | None, str, str]:
    """Rows of text cells of a table file, their row numbers, the sheet, the encoding used and
    the format (detected when not given: .xlsx by its suffix, JSON by its first character)."""
    from palmares.io.limits import (
        check_xlsx_archive,
        read_input_bytes,
        reading,
        require_regular_file,
    )

    file = str(source)
    if table_format not in (None, *TABLE_FORMATS):
        raise UsageProblem(
            f"--format {table_format}: unknown table format (formats: {', '.join(TABLE_FORMATS)})"
        )
    # Every format goes through the same guards (palmares.io.limits): a regular file only, and
    # any parser failure on a corrupt file is one located problem, never a traceback.
    problems = Problems()
    if table_format == "xlsx" or (
        table_format is None and source.suffix.lower() in (".xlsx", ".xlsm")
    ):
        require_regular_file(source)
        if (archive := check_xlsx_archive(source)) is not None:
            raise InvalidInput.single(
                file, "unreadable-file", f"not a readable Excel workbook: {archive}"
            )
        with reading(file, problems, "Excel workbook"):
            grid, numbers, sheet = _excel_grid(source)
            return grid, numbers, sheet, "xlsx", "xlsx"
        raise InvalidInput(problems)
    data = read_input_bytes(source, problems, file)
    if data is None:
        raise InvalidInput(problems)
    text, used = _decode(data, file, encoding)
    looks_json = text.lstrip()[:1] in ("{", "[")
    if table_format in ("the-json", "qs-json") or (table_format is None and looks_json):
        with reading(file, problems, "JSON document"):
            document = load_json(text, file)
            kind = table_format or detect_json(document)
            if kind is None:
                raise InvalidInput.single(
                    file,
                    "missing-column",
                    "a JSON document in neither THE's nor QS's ranking shape: pass --format "
                    "the-json or --format qs-json, or give the table as CSV",
                )
            grid, numbers = json_grid(document, file, cast(JsonFormat, kind))
            return grid, numbers, None, used, kind
        raise InvalidInput(problems)
    with reading(file, problems, "CSV table"):
        grid, numbers = _csv_grid(text)
        return grid, numbers, None, used, "csv"
    raise InvalidInput(problems)


def _excel_grid(path: Path) -> tuple[list[list[str]], list[int], str | None]:
    from openpyxl import load_workbook

    # A corrupt workbook's many kinds of failure become one problem in _read_grid (reading).
    book = load_workbook(path, read_only=True, data_only=True)
    try:
        for sheet in book.worksheets:
            grid: list[list[str]] = []
            numbers: list[int] = []
            for number, row in enumerate(sheet.iter_rows(values_only=True), start=1):
                cells = [strip_html(_cell_text(v)) for v in row]
                if any(cells):
                    grid.append(cells)
                    numbers.append(number)
            if grid:
                return grid, numbers, sheet.title
    finally:
        book.close()
    return [], [], None


# -- columns -----------------------------------------------------------------------------------


def _field_of(headers: Sequence[str], fmt: PublishedFormat, fields: Sequence[str]) -> int:
    wanted = {a for f in fields for a in fmt.aliases.get(f, ())}
    return sum(normalise_header(h) in wanted for h in headers)


def _locate(
    headers: Sequence[str],
    fields: Sequence[str],
    fmt: PublishedFormat,
    mapping: Mapping[str, str],
    file: str,
    sheet: str | None,
    header_row: int,
    problems: Problems,
) -> dict[str, int]:
    """Column index of each field found: ``--map`` first, then the preset's aliases."""
    normalised = [normalise_header(h) for h in headers]
    found: dict[str, int] = {}
    taken: set[int] = set()
    for name, header in mapping.items():
        wanted = normalise_header(header)
        if wanted in normalised:
            found[name] = normalised.index(wanted)
            taken.add(found[name])
        else:
            problems.add(
                file,
                "missing-column",
                f"--map {name}={header}: no such header (headers: {_headers_list(headers)})",
                sheet=sheet,
                row=header_row,
                value=header,
            )
    for name in fields:
        if name in found or name in mapping:
            continue
        for alias in fmt.aliases.get(name, ()):
            hits = [i for i, h in enumerate(normalised) if h == alias and i not in taken]
            if hits:
                found[name] = hits[0]
                taken.add(hits[0])
                break
    return found


def _year_of(text: str) -> int | None:
    """An edition year from ``2011``, ``2011.0``, ``2010-11``, ``2010/2011`` (the later year)."""
    cell = text.strip()
    match = re.fullmatch(r"(\d{4})(?:\.0+)?", cell)
    if match:
        return int(match.group(1))
    match = re.fullmatch(r"(\d{4})\s*[-/\u2013]\s*(\d{2}|\d{4})", cell)
    if match:
        first, second = match.group(1), match.group(2)
        later = int(second) if len(second) == 4 else int(first[:2] + second)
        return later if later == int(first) + 1 else None
    return None


def _second_header(cells: Sequence[str], found: Mapping[str, int]) -> bool:
    """A row of short codes under the header: at least two mapped numeric cells hold text, and
    none holds a rank or a number."""
    unparsed = ("institution", "country", "national_rank", *IDENTITY_FIELDS)
    numeric = [i for name, i in found.items() if name not in unparsed]
    texts = [cells[i] for i in numeric if i < len(cells) and cells[i]]
    if len(texts) < 2:
        return False
    ranks = parse_rank_column(texts)
    scores = parse_score_column(texts)
    return all(i in ranks.errors and i in scores.errors for i in range(len(texts)))


def _combine_columns(grid: list[list[str]], mapping: dict[str, str], search: int) -> None:
    """``--map rank=rank_prefix+Rank``: a field read from several columns joined (a tie mark
    kept in a column of its own). The joined column is appended to every row, named as given;
    a header that itself holds "+" is taken as it is."""
    for _name, header in list(mapping.items()):
        if "+" not in header:
            continue
        parts = [normalise_header(p) for p in header.split("+")]
        for r in range(min(search, len(grid))):
            normalised = [normalise_header(h) for h in grid[r]]
            if normalise_header(header) in normalised:
                break
            if all(p in normalised for p in parts):
                at = [normalised.index(p) for p in parts]
                width = len(grid[r])
                for k, row in enumerate(grid):
                    if k == r:
                        row.append(header)
                        continue
                    padded = row + [""] * (width - len(row))
                    row[:] = [*padded[:width], "".join(padded[i].strip() for i in at)]
                break


def _is_note(cells: Sequence[str], width: int, name_column: int) -> bool:
    """A footnote or source line below (or inside) a table: one cell of text on a wide row,
    outside the name column."""
    filled = [i for i, c in enumerate(cells) if c]
    return width >= 3 and len(filled) == 1 and filled[0] != name_column


def _user_placeholders(missing: Mapping[str, Sequence[str]]) -> dict[str, Placeholder]:
    """``--missing HEADER=VALUE``, keyed by the normalised header ("*": every parsed column)."""
    return {
        normalise_header(header) if header != "*" else "*": Placeholder(
            values=frozenset(placeholder_key(v) for v in values), source="--missing"
        )
        for header, values in missing.items()
    }


def read_published_table(
    path: str | Path,
    system: str,
    edition: int,
    method: TableMethodology,
    *,
    mapping: Mapping[str, str] | None = None,
    required: Sequence[str] = ("institution", "rank"),
    encoding: str | None = None,
    dataset: Dataset | None = None,
    missing: Mapping[str, Sequence[str]] | None = None,
    table_format: str | None = None,
    strict: bool = False,
    create: bool = False,
) -> PublishedTable:
    """Read and parse one edition of a published table; InvalidInput lists every problem.

    ``method`` is the preset's methodology for the edition (its leaves are the components);
    ``required`` fields must be found; ``dataset`` matches institution names to its ids (and,
    with ``create``, names the institutions it lacks); ``missing`` adds the user's placeholders
    per header; ``strict`` makes a row without a name an error. Only the fields a command uses
    are parsed: the institution, country, year, rank, total and components (never the
    national rank, which neither ``import`` nor ``reproduce`` needs).
    """
    source = Path(path)
    file = str(source)
    fmt = published_format(system)
    components = table_components(method, fmt)
    fields = (*BASE_FIELDS, *components, *IDENTITY_FIELDS)
    mapping = dict(mapping or {})
    unknown = sorted(set(mapping) - set(fields))
    if unknown:
        raise UsageProblem(
            f"--map {unknown[0]}=...: unknown field for {system} {edition} "
            f"(fields: {', '.join(fields)})"
        )
    if not (source.exists() or source.is_symlink()):
        raise UsageProblem(f"no such table: {file}")
    grid, numbers, sheet, used, kind = _read_grid(source, encoding, table_format)
    if not grid:
        raise InvalidInput.single(file, "empty-file", "the table is empty")
    _combine_columns(grid, mapping, _HEADER_SEARCH)

    # The header: the row (among the first few) naming the most fields.
    mapped_headers = {normalise_header(h) for h in mapping.values()}
    scores = [
        _field_of(r, fmt, fields) + sum(normalise_header(c) in mapped_headers for c in r)
        for r in grid[:_HEADER_SEARCH]
    ]
    at = int(np.argmax(scores))
    headers = grid[at]
    header_row = numbers[at]
    problems = Problems()
    found = _locate(headers, fields, fmt, mapping, file, sheet, header_row, problems)
    if not fmt.ranked:
        required = tuple(r for r in required if r not in ("rank", "total"))
    for name in required:
        if name not in found and name not in mapping:
            problems.add(
                file,
                "missing-column",
                f"no column for the required field {name!r}: pass --map {name}=HEADER "
                f"(headers: {_headers_list(headers)})",
                sheet=sheet,
                row=header_row,
                column=name,
            )
    problems.raise_if_errors()

    body = grid[at + 1 :]
    body_rows = numbers[at + 1 :]
    notes: list[str] = []
    warnings = Problems()
    skipped: list[dict[str, object]] = []
    if used not in ("utf-8", "xlsx"):
        notes.append(f"{file}: not UTF-8; read as {used}")
    # Grades ("A") are text too: only the number and rank columns tell a second header.
    numeric = (
        found
        if fmt.component_kind != "grade"
        else {k: v for k, v in found.items() if k not in components}
    )
    if body and _second_header(body[0], numeric):
        notes.append(f"{file}: row {body_rows[0]} is a second header row; skipped")
        body, body_rows = body[1:], body_rows[1:]
    width = len(headers)
    body = [(r + [""] * width)[:width] for r in body]
    # In a ranked table a row holding a name alone is a note too ("* listed alphabetically").
    name_at = found.get("institution", -1) if not fmt.ranked else -1
    notes_rows = [i for i, r in enumerate(body) if _is_note(r, width, name_at)]
    for i in notes_rows:
        cell = next(c for c in body[i] if c)
        skipped.append({"row": body_rows[i], "reason": "note", "text": cell[:80]})
    if notes_rows:
        notes.append(
            f"{file}: {len(notes_rows)} row(s) holding one cell of text (notes, sources) skipped"
        )
        drop = set(notes_rows)
        body = [r for i, r in enumerate(body) if i not in drop]
        body_rows = [n for i, n in enumerate(body_rows) if i not in drop]

    def column(name: str) -> list[str]:
        return [r[found[name]] for r in body]

    keep = np.ones(len(body), dtype=bool)
    named = np.array(
        [r[found["institution"]] != "" if "institution" in found else True for r in body],
        dtype=bool,
    )
    if "year" in found:
        years = [_year_of(t) for t in column("year")]
        for i, (text, year) in enumerate(zip(column("year"), years, strict=True)):
            # A nameless row's year is not read either: with an empty year it belongs to every
            # edition (and is skipped below).
            if year is None and not named[i] and not text.strip():
                years[i] = edition
            elif year is None:
                problems.add(
                    file,
                    "invalid-year",
                    f"not an edition year, such as 2011 or 2010-11 (value {shown(text)})",
                    sheet=sheet,
                    row=body_rows[i],
                    column=headers[found["year"]],
                    value=text[:80],
                )
        keep = np.array([y == edition for y in years], dtype=bool)
        problems.raise_if_errors()
        if not keep.any():
            seen = sorted({y for y in years if y is not None})
            raise InvalidInput.single(
                file,
                "unknown-edition",
                f"no row of edition {edition} (years in the table: {', '.join(map(str, seen))})",
                sheet=sheet,
                column=headers[found["year"]],
                value=edition,
            )
    # A row without a name is reported and skipped (an error with --strict): nothing else of
    # it is parsed, so a total line or a footnote under the table never stops the reading.
    if "institution" in found:
        for i in np.flatnonzero(keep & ~named).tolist():
            (problems if strict else warnings).add(
                file,
                "missing-value",
                "no institution name: row skipped",
                sheet=sheet,
                row=body_rows[i],
                column=headers[found["institution"]],
                value="",
                severity="error" if strict else "warning",
            )
            skipped.append({"row": body_rows[i], "reason": "no-name"})
        keep &= named
    problems.raise_if_errors()
    body = [r for r, k in zip(body, keep.tolist(), strict=True) if k]
    rows = np.asarray(
        [n for n, k in zip(body_rows, keep.tolist(), strict=True) if k], dtype=np.int64
    )

    # Identical duplicate rows: the first is kept, the others reported.
    first_of: dict[tuple[str, ...], int] = {}
    duplicate = np.zeros(len(body), dtype=bool)
    for i, r in enumerate(body):
        key = tuple(r)
        if key in first_of:
            duplicate[i] = True
            kept = int(rows[first_of[key]])
            warnings.add(
                file,
                "duplicate-id",
                f"row {int(rows[i])} repeats row {kept} cell for cell: the first is kept",
                sheet=sheet,
                row=int(rows[i]),
                column=headers[found["institution"]] if "institution" in found else None,
                value=r[found["institution"]][:80] if "institution" in found else None,
                severity="warning",
            )
            skipped.append({"row": int(rows[i]), "reason": "duplicate", "kept": kept})
        else:
            first_of[key] = i
    if duplicate.any():
        body = [r for r, d in zip(body, duplicate.tolist(), strict=True) if not d]
        rows = rows[~duplicate]

    def report(name: str, errors: Mapping[int, str], code: str, cells: list[str]) -> None:
        for i, reason in errors.items():
            problems.add(
                file,
                code,
                f"{reason} (value {shown(cells[i])})",
                sheet=sheet,
                row=int(rows[i]),
                column=headers[found[name]],
                value=cells[i][:80],
            )

    institution = np.asarray(column("institution"), dtype=str)

    # Placeholders: a printed value meaning "not published" becomes an empty cell. The
    # format's apply to score columns; the user's (--missing) to any parsed column.
    user = _user_placeholders(missing or {})
    counts: dict[str, int] = {}
    without_rank = np.zeros(len(body), dtype=bool)

    def cells_of(name: str, score: bool) -> list[str]:
        cells = column(name)
        header = normalise_header(headers[found[name]])
        rules = [p for p in fmt.placeholders if score and p.applies(name, edition)]
        rules += [p for key, p in user.items() if key in ("*", header, normalise_header(name))]
        if not rules:
            return cells
        keys = [placeholder_key(c) for c in cells]
        hit = np.zeros(len(cells), dtype=bool)
        for rule in rules:
            match = np.array([k in rule.values for k in keys], dtype=bool)
            if rule.rows == "banded":
                match &= without_rank
            hit |= match
        # A cell already printed empty is not a placeholder.
        hit &= np.array([c.strip() != "" for c in cells], dtype=bool)
        if hit.any():
            counts[headers[found[name]]] = int(hit.sum())
        return [("" if h else c) for c, h in zip(cells, hit.tolist(), strict=True)]

    if fmt.ranked and "rank" in found:
        rank_cells = cells_of("rank", False)
        rank = parse_rank_column(rank_cells)
        report("rank", rank.errors, "invalid-value", rank_cells)
    else:
        rank = parse_rank_column([""] * len(body))
    without_rank[:] = (rank.status == "banded") | (rank.status == "unranked")

    total = None
    if "total" in found:
        total_cells = cells_of("total", True)
        total = parse_score_column(total_cells)
        report("total", total.errors, "not-a-number", total_cells)
    parsed: dict[str, ScoreColumn] = {}
    ranked: dict[str, RankColumn] = {}
    grades: dict[str, npt.NDArray[np.str_]] = {}
    not_applicable: dict[str, npt.NDArray[np.bool_]] = {}
    for name in components:
        if name not in found:
            continue
        if fmt.component_kind == "rank":
            cells = cells_of(name, False)
            ranked[name] = parse_rank_column(cells)
            report(name, ranked[name].errors, "invalid-value", cells)
        elif fmt.component_kind == "grade":
            cells = cells_of(name, False)
            grades[name], na, errors = parse_grade_column(cells)
            not_applicable[name] = na
            report(name, errors, "invalid-value", cells)
        else:
            cells = cells_of(name, True)
            parsed[name] = parse_score_column(cells)
            report(name, parsed[name].errors, "not-a-number", cells)
            if name in fmt.not_applicable_when_blank:
                blank = np.asarray([c.strip() == "" for c in cells], dtype=bool)
                not_applicable[name] = blank
    problems.raise_if_errors()

    country = np.asarray(column("country") if "country" in found else [""] * len(body), dtype=str)
    codes = np.asarray([country_code(c) or "" for c in country.tolist()], dtype=str)
    if "country" in found:
        unknown_countries = sorted({c for c, k in zip(country, codes, strict=True) if c and not k})
        if unknown_countries:
            warnings.add(
                file,
                "invalid-country",
                f"{len(unknown_countries)} country name(s) not recognised, left empty: "
                + ", ".join(shown(c) for c in unknown_countries[:10]),
                sheet=sheet,
                column=headers[found["country"]],
                value=unknown_countries[0][:80],
                severity="warning",
            )
    identity = {
        name: [r[found[name]].strip() for r in body] if name in found else [""] * len(body)
        for name in IDENTITY_FIELDS
    }
    # A URL or a publisher id tells apart rows a name and a country do not.
    marks = np.asarray(
        [f"{u}\x00{p}" for u, p in zip(identity["url"], identity["publisher_id"], strict=True)],
        dtype=str,
    )
    occurrence = _homonyms(
        institution, country, codes, rows, file, sheet, warnings, found, headers, marks
    )
    ids: npt.NDArray[np.str_] | None = None
    unmatched_rows: tuple[dict[str, object], ...] = ()
    created: tuple[dict[str, object], ...] = ()
    if dataset is not None:
        ids, unmatched = match_institutions(
            institution,
            dataset,
            countries=codes,
            occurrence=occurrence,
            identity={
                "url": identity["url"],
                identity_column(system): identity["publisher_id"],
            },
        )
        if create:
            ids, created = _create_ids(institution, codes, occurrence, ids, dataset, rows)
            created = tuple(
                {**c, **_identity_of(identity, system, rows, int(cast(int, c["row"])))}
                for c in created
            )
            unmatched = [(i, u) for i, u in unmatched if ids[i] == ""]
        unmatched_rows = tuple({"row": int(rows[i]), **u} for i, u in unmatched)
    return PublishedTable(
        file=file,
        sheet=sheet,
        system=system,
        edition=edition,
        encoding=used,
        columns={name: headers[i] for name, i in found.items()},
        rows=rows.astype(np.int64),
        institution=institution,
        country=country,
        rank=rank,
        national_rank=None,
        total=total,
        components=parsed,
        component_ranks=ranked,
        not_applicable=not_applicable,
        notes=tuple(notes),
        institution_ids=ids,
        unmatched=unmatched_rows,
        grades=grades,
        country_code=codes,
        placeholders=counts,
        skipped=tuple(sorted(skipped, key=lambda s: int(cast(int, s["row"])))),
        warnings=tuple(warnings.warnings),
        created=created,
        table_format=kind,
    )


def _headers_list(headers: Sequence[str]) -> str:
    """Headers named in a message: each cut to 80 characters, about 300 characters in all
    (a whole file read as one header line must not flood the terminal)."""
    shown_headers: list[str] = []
    size = 0
    for header in headers:
        cut = header if len(header) <= 80 else header[:79] + "…"
        if shown_headers and size + len(cut) > 300:
            break
        shown_headers.append(cut)
        size += len(cut) + 2
    more = len(headers) - len(shown_headers)
    return ", ".join(shown_headers) + (f", ... ({more} more)" if more else "")


#: Grades U-Multirank prints, best first; "no data" is missing, "not applicable" does not apply.
GRADES: tuple[str, ...] = ("A", "B", "C", "D", "E")
_NO_DATA = frozenset({"", "no data", "-", "–", "—", "nd", "n.d."})
_NOT_APPLICABLE = frozenset({"not applicable", "n/a", "na", "n.a."})


def parse_grade_column(
    cells: Sequence[str],
) -> tuple[npt.NDArray[np.str_], npt.NDArray[np.bool_], dict[int, str]]:
    """Grades "A".."E" (empty for "no data"), whether each cell is "not applicable", and the
    refused cells with their reason."""
    out: list[str] = []
    na: list[bool] = []
    errors: dict[int, str] = {}
    for i, text in enumerate(cells):
        cell = clean_cell(text)
        folded = cell.casefold()
        if cell.upper() in GRADES:
            out.append(cell.upper())
            na.append(False)
        elif folded in _NO_DATA:
            out.append("")
            na.append(False)
        elif folded in _NOT_APPLICABLE:
            out.append("")
            na.append(True)
        else:
            out.append("")
            na.append(False)
            errors[i] = "not a grade (expected A to E, 'no data' or 'not applicable')"
    return np.asarray(out, dtype=str), np.asarray(na, dtype=bool), errors


def _homonyms(
    institution: npt.NDArray[np.str_],
    country: npt.NDArray[np.str_],
    codes: npt.NDArray[np.str_],
    rows: npt.NDArray[np.int64],
    file: str,
    sheet: str | None,
    warnings: Problems,
    found: Mapping[str, int],
    headers: Sequence[str],
    marks: npt.NDArray[np.str_] | None = None,
) -> npt.NDArray[np.int64]:
    """Occurrence of each row among the rows that nothing in the table tells apart (same name,
    ignoring case and accents, and same country): 1 for the first, 2, 3... for the others,
    each warned about with the first row it shares its name with."""
    first: dict[tuple[str, str], int] = {}
    seen: dict[tuple[str, str], int] = {}
    occurrence = np.ones(institution.size, dtype=np.int64)
    extra = marks.tolist() if marks is not None else [""] * institution.size
    for i, (name, printed, code, mark) in enumerate(
        zip(institution.tolist(), country.tolist(), codes.tolist(), extra, strict=True)
    ):
        key = (fold_name(name), (code or fold_name(printed)) + "\x00" + mark)
        seen[key] = seen.get(key, 0) + 1
        occurrence[i] = seen[key]
        if seen[key] == 1:
            first[key] = i
            continue
        where = f" ({printed})" if printed else ""
        warnings.add(
            file,
            "duplicate-id",
            f"rows {int(rows[first[key]])} and {int(rows[i])} both name {shown(name)}{where} "
            f"and nothing in the table tells them apart: two institutions (id suffix "
            f"-{seen[key]} for row {int(rows[i])})",
            sheet=sheet,
            row=int(rows[i]),
            column=headers[found["institution"]],
            value=name[:80],
            severity="warning",
        )
    return occurrence


def slug(text: str) -> str:
    """An id from a name: ASCII letters and digits in lower case joined by "-" (60 at most)."""
    folded = fold_name(text)
    ascii_only = folded.encode("ascii", "ignore").decode("ascii")
    words = re.findall(r"[a-z0-9]+", ascii_only)
    out = "-".join(words)[:60].strip("-")
    return out or "institution"


def _create_ids(
    institution: npt.NDArray[np.str_],
    codes: npt.NDArray[np.str_],
    occurrence: npt.NDArray[np.int64],
    ids: npt.NDArray[np.str_],
    dataset: Dataset,
    rows: npt.NDArray[np.int64],
) -> tuple[npt.NDArray[np.str_], tuple[dict[str, object], ...]]:
    """Ids for the rows no institution matched: the name's slug; with the country's code when
    names in several countries share the slug; ``-2``, ``-3``... for a homonym the table does
    not tell apart, or when the id is taken. Deterministic for a bundle and a table."""
    out = ids.astype(object)  # a fixed-width copy would cut the new ids
    taken = set(dataset.institution_ids) | set(ids[ids != ""].tolist())
    todo = np.flatnonzero(ids == "").tolist()
    bases = {i: slug(str(institution[i])) for i in todo}
    countries_of: dict[str, set[str]] = {}
    for i in todo:
        countries_of.setdefault(bases[i], set()).add(str(codes[i]))
    made: dict[tuple[str, str], str] = {
        (fold_name(str(institution[i])), str(codes[i])): str(ids[i])
        for i in np.flatnonzero((ids != "") & (occurrence == 1)).tolist()
    }
    created: list[dict[str, object]] = []
    for i in todo:
        base, code = bases[i], str(codes[i])
        if len(countries_of[base]) > 1 and code:
            base = f"{base}-{code.lower()}"
        key = (fold_name(str(institution[i])), code)
        if occurrence[i] > 1 and key in made:
            base = f"{made[key]}-{int(occurrence[i])}"
        ident, n = base, 1
        while ident in taken:
            n += 1
            ident = f"{base}-{n}"
        taken.add(ident)
        if occurrence[i] == 1:
            made[key] = ident
        out[i] = ident
        created.append(
            {"row": int(rows[i]), "id": ident, "name": str(institution[i]), "country": code}
        )
    return np.asarray(out.tolist(), dtype=str), tuple(created)


def identity_column(system: str) -> str:
    """The institutions' column keeping a system's publisher id (``the_wur_id``, ``qs_id``)."""
    return f"{system.replace('-', '_')}_id"


def _identity_key(value: str) -> str:
    """A URL or an id compared ignoring case, spaces and a trailing slash."""
    return value.strip().rstrip("/").casefold()


def _identity_of(
    identity: Mapping[str, Sequence[str]], system: str, rows: npt.NDArray[np.int64], row: int
) -> dict[str, str]:
    """The URL and publisher id a created institution keeps (only those printed)."""
    i = int(np.flatnonzero(rows == row)[0])
    out = {}
    if identity["url"][i]:
        out["url"] = identity["url"][i]
    if identity["publisher_id"][i]:
        out[identity_column(system)] = identity["publisher_id"][i]
    return out


def match_institutions(
    names: Sequence[str] | npt.NDArray[np.str_],
    dataset: Dataset,
    *,
    countries: Sequence[str] | npt.NDArray[np.str_] | None = None,
    occurrence: Sequence[int] | npt.NDArray[np.int64] | None = None,
    identity: Mapping[str, Sequence[str]] | None = None,
) -> tuple[npt.NDArray[np.str_], list[tuple[int, dict[str, object]]]]:
    """Bundle ids for published names: an exact id, else a case- and accent-insensitive exact
    name or alias (never fuzzy), narrowed by the printed country (alpha-2 codes, "" unknown)
    when several institutions share the name. A name printed in another country than the one
    institution bearing it is another institution. A homonym the table does not tell apart
    (``occurrence`` k >= 2) is ``<id>-k`` when the bundle has it. Returns the ids ("" when
    unmatched) and, per unmatched row, ``{"name", "candidates"}``."""
    inst = dataset.institutions
    index: dict[str, set[str]] = {}
    for column in ("name", "name_en", "name_fr"):
        if column not in inst:
            continue
        for key, ident in zip(inst[column].fillna("").tolist(), inst["id"].tolist(), strict=True):
            if key:
                index.setdefault(fold_name(key), set()).add(ident)
    aliases = dataset.aliases
    for key, ident in zip(aliases["name"].tolist(), aliases["institution"].tolist(), strict=True):
        index.setdefault(fold_name(str(key)), set()).add(ident)
    country_of: dict[str, str] = {}
    if "country" in inst:
        country_of = dict(
            zip(inst["id"].tolist(), inst["country"].fillna("").astype(str).tolist(), strict=True)
        )
    name_of: dict[str, str] = {}
    if "name" in inst:
        name_of = dict(
            zip(inst["id"].tolist(), inst["name"].fillna("").astype(str).tolist(), strict=True)
        )
    known = set(dataset.institution_ids)
    texts = np.asarray(names, dtype=str).tolist()
    codes = [""] * len(texts) if countries is None else np.asarray(countries, dtype=str).tolist()
    seq = [1] * len(texts) if occurrence is None else [int(k) for k in occurrence]
    # A URL or publisher id the bundle keeps (columns ``url``, ``<system>_id``) names one
    # institution whatever the name printed.
    by_identity: list[dict[str, str]] = []
    given: list[Sequence[str]] = []
    for column, values in (identity or {}).items():
        if column in inst and any(values):
            keys = inst[column].fillna("").astype(str).map(_identity_key).tolist()
            by_identity.append(
                {k: ident for k, ident in zip(keys, inst["id"].tolist(), strict=True) if k}
            )
            given.append(values)
    ids: list[str] = []
    unmatched: list[tuple[int, dict[str, object]]] = []
    for i, (name, code, k) in enumerate(zip(texts, codes, seq, strict=True)):
        found_by_identity = [
            table.get(_identity_key(values[i]), "")
            for table, values in zip(by_identity, given, strict=True)
        ]
        if any(found_by_identity):
            ids.append(next(h for h in found_by_identity if h))
            continue
        hits = {name} if name in known else index.get(fold_name(name), set())
        if code and hits:
            same = {h for h in hits if country_of.get(h, "") in (code, "")}
            hits = same
        exact = {h for h in hits if name_of.get(h) == name}
        if len(hits) > 1 and len(exact) == 1:
            # Names differing only by case or accents: the one printed exactly.
            hits = exact
        elif len(hits) > 1:
            # Homonyms ``--create`` made (``<id>``, ``<id>-2``...), taken by occurrence.
            base = min(hits, key=lambda h: (len(h), h))
            target = base if k == 1 else f"{base}-{k}"
            if target in hits and all(h == base or h.startswith(f"{base}-") for h in hits):
                hits = {target}
        elif len(hits) == 1 and k > 1:
            suffixed = f"{next(iter(hits))}-{k}"
            hits = {suffixed} if suffixed in known else set()
        if len(hits) == 1:
            ids.append(next(iter(hits)))
            continue
        ids.append("")
        unmatched.append((i, {"name": name, "candidates": sorted(hits)}))
    return np.asarray(ids, dtype=str), unmatched


# -- import into a bundle ----------------------------------------------------------------------


def published_rows(
    table: PublishedTable,
    method: TableMethodology,
    *,
    node: str | None = None,
    keep: npt.NDArray[np.bool_] | None = None,
) -> pd.DataFrame:
    """Rows of ``published.csv`` for the matched rows of a table: the overall result (node =
    the system, or ``<system>.<node>`` for a table of one node such as a THE Impact SDG) and
    each printed component (node ``<system>.<id>``, same status). A grade (U-Multirank) is
    stored as printed in ``rank_display``, with no rank and no score."""
    if table.institution_ids is None:
        raise ValueError("match the table's names to a bundle first (dataset=...)")
    if keep is None:
        keep = table.institution_ids != ""
    ids = table.institution_ids[keep]
    rank = table.rank
    status = rank.status[keep]
    band = status == "banded"
    n = int(keep.sum())
    nan = np.full(n, np.nan)
    total = table.total
    overall = pd.DataFrame(
        {
            "institution": ids,
            "system": table.system,
            "year": table.edition,
            "node": f"{method.system}.{node}" if node else table.system,
            "rank": pd.array(np.where(rank.rank[keep] > 0, rank.rank[keep], 0), dtype="Int64"),
            "rank_display": rank.display[keep],
            "band_lo": pd.array(rank.band_lo[keep], dtype="Int64"),
            "band_hi": pd.array(rank.band_hi[keep], dtype="Int64"),
            "score": total.value[keep] if total is not None else nan,
            "score_lo": total.lo[keep] if total is not None else nan,
            "score_hi": total.hi[keep] if total is not None else nan,
            "status": status,
        }
    )
    overall.loc[overall["rank"] == 0, "rank"] = pd.NA
    overall.loc[~band, ["band_lo", "band_hi"]] = pd.NA
    overall.loc[overall["band_hi"] == BAND_OPEN, "band_hi"] = pd.NA
    parts = [overall]
    for name, grade in table.grades.items():
        printed = grade[keep] != ""
        part = pd.DataFrame(
            {
                "institution": ids,
                "system": table.system,
                "year": table.edition,
                "node": f"{method.system}.{name}",
                "rank_display": grade[keep],
                "score": nan,
                "score_lo": nan,
                "score_hi": nan,
                "status": status,
            }
        )[printed]
        for column in ("rank", "band_lo", "band_hi"):
            part[column] = pd.array([pd.NA] * len(part), dtype="Int64")
        parts.append(part[overall.columns])
    stored = () if node else (*table.components, *table.component_ranks)
    for name in stored:
        score = table.components.get(name)
        ranks = table.component_ranks.get(name)
        value = score.value[keep] if score is not None else nan
        got = ranks.rank[keep] if ranks is not None else np.zeros(n, dtype=np.int64)
        printed = np.isfinite(value) | (got > 0)
        part = pd.DataFrame(
            {
                "institution": ids,
                "system": table.system,
                "year": table.edition,
                "node": f"{method.system}.{name}",
                "rank": pd.array(got, dtype="Int64"),
                "rank_display": ranks.display[keep] if ranks is not None else "",
                "band_lo": pd.array(np.zeros(n, dtype=np.int64), dtype="Int64"),
                "band_hi": pd.array(np.zeros(n, dtype=np.int64), dtype="Int64"),
                "score": value,
                "score_lo": nan,
                "score_hi": nan,
                "status": status,
            }
        )[printed]
        part.loc[part["rank"] == 0, "rank"] = pd.NA
        part[["band_lo", "band_hi"]] = pd.NA
        parts.append(part)
    frame = pd.concat(parts, ignore_index=True)
    frame["rank_display"] = frame["rank_display"].replace("", pd.NA)
    return frame


def _tree_rows(method: TableMethodology) -> pd.DataFrame:
    nodes = method.tree.nodes
    if not nodes:
        return _format_tree_rows(method)
    return pd.DataFrame(
        {
            "id": [n.id for n in nodes],
            "label_en": [n.label_en or method.methodology.label_en for n in nodes],
            "label_fr": [n.label_fr or n.label_en or method.methodology.label_en for n in nodes],
            "parent": [n.parent for n in nodes],
            "direction": [n.direction for n in nodes],
        }
    )


def _format_tree_rows(method: TableMethodology) -> pd.DataFrame:
    """The root and the components a format names, for presets whose tree is the bundle's:
    added only where a bundle lacks them (an empty bundle filled by ``import --create``)."""
    fmt = published_format(method.system)
    root = method.system
    ids = [root, *(f"{root}.{c}" for c in fmt.components)]
    label = method.methodology.label_en
    labels = [(label, method.methodology.label_fr or label)] + [
        fmt.labels.get(c, (c, c)) for c in fmt.components
    ]
    return pd.DataFrame(
        {
            "id": ids,
            "label_en": [en for en, _ in labels],
            "label_fr": [fr for _, fr in labels],
            "parent": [None, *([root] * len(fmt.components))],
            "direction": [None, *(["higher"] * len(fmt.components))],
        }
    )


_KEY = ["institution", "system", "year", "node"]


def import_published(
    bundle: str | Path,
    dataset: Dataset,
    table: PublishedTable,
    method: TableMethodology,
    *,
    force: bool = False,
    node: str | None = None,
) -> dict[str, Any]:
    """Append a parsed table's matched rows to the bundle's published table, atomically.

    The institutions ``--create`` made (``table.created``), the preset's nodes and the edition
    are added to ``institutions``, ``indicators`` and ``editions`` when the bundle lacks them.
    Rows the bundle already has for this system and edition (for ``node``: that node's table)
    are refused unless ``force`` (they are replaced). Two rows naming one institution never
    stop an import: the first is kept and the others reported. Every changed file is written
    to a temporary sibling first and renamed only once all are written, so a failure leaves
    the bundle as it was.
    """
    target = Path(bundle)
    updated, changed, report = merge_published(
        dataset, table, method, force=force, node=node, name=target
    )
    _write_tables(target, updated, changed)
    published = {"published": str(_published_path(target))}
    # The report keeps its key order: "published" after the methodology's hash.
    head = ("system", "edition", "node", "methodology_hash")
    return {
        **{k: report[k] for k in head},
        **published,
        **{k: v for k, v in report.items() if k not in head},
    }


def merge_published(
    dataset: Dataset,
    table: PublishedTable,
    method: TableMethodology,
    *,
    force: bool = False,
    node: str | None = None,
    name: str | Path = "the data",
) -> tuple[Dataset, tuple[str, ...], dict[str, Any]]:
    """The dataset with a parsed table's matched rows added (nothing written): the new
    Dataset, the names of the tables that changed, and the import report."""
    tables = dataset.to_frames()
    published = tables["published"]
    edition_rows = (published["system"] == table.system) & (published["year"] == table.edition)
    fmt = published_format(table.system)
    # Rows of a one-node table (a THE Impact SDG): a node other than the root, with a printed
    # rank, in a format whose components are scores.
    node_table = (
        (published["node"] != table.system)
        & published["rank_display"].notna()
        & (fmt.component_kind == "score")
    )
    if node:
        node_rows = edition_rows & (published["node"] == f"{method.system}.{node}")
        same = node_rows & node_table
        # The overall table's copy of a node's score gives way to the node's own table.
        named: list[str] = (
            table.institution_ids.tolist() if table.institution_ids is not None else []
        )
        replaced = same | (node_rows & published["institution"].isin(named))
    else:
        same = edition_rows & ~node_table
        replaced = same
    if same.any() and not force:
        scope = f"{table.system} {table.edition}" + (f" node {node}" if node else "")
        raise UsageProblem(
            f"{name} already has {int(same.sum())} published rows for {scope}; "
            "pass --force to replace them"
        )
    ids = table.institution_ids if table.institution_ids is not None else np.zeros(0, dtype=str)
    keep = ids != ""
    repeated: list[dict[str, object]] = []
    seen: dict[str, int] = {}
    for i in np.flatnonzero(keep).tolist():
        ident = str(ids[i])
        if ident in seen:
            keep[i] = False
            repeated.append({"row": int(table.rows[i]), "id": ident, "kept_row": seen[ident]})
        else:
            seen[ident] = int(table.rows[i])
    new_rows = published_rows(table, method, node=node, keep=keep)
    merged = pd.concat([published[~replaced], new_rows], ignore_index=True)
    # A one-node table already imported holds that node's score: the overall table's copy of
    # it is not stored twice.
    merged = merged.drop_duplicates(subset=_KEY, keep="first", ignore_index=True)
    changed = {"published": merged}
    if table.created:
        institutions = tables["institutions"]
        # The URL and publisher id printed are kept (columns ``url``, ``<system>_id``), so a
        # later table finds the institution by them.
        made = pd.DataFrame([{k: v for k, v in c.items() if k != "row"} for c in table.created])
        changed["institutions"] = pd.concat([institutions, made], ignore_index=True)
    indicators = tables["indicators"]
    tree = _tree_rows(method)
    absent = ~tree["id"].isin(indicators["id"])
    if absent.any():
        changed["indicators"] = pd.concat([indicators, tree[absent]], ignore_index=True)
    editions = tables["editions"]
    has_edition = ((editions["system"] == table.system) & (editions["year"] == table.edition)).any()
    if not has_edition:
        row = pd.DataFrame({"system": [table.system], "year": [table.edition]})
        changed["editions"] = pd.concat([editions, row], ignore_index=True)
    updated = dataset.with_tables(**changed)
    created_ids = {c["id"] for c in table.created}
    report = {
        "system": table.system,
        "edition": table.edition,
        "node": f"{method.system}.{node}" if node else method.system,
        "methodology_hash": method.digest(),
        "format": table.table_format,
        "rows": len(table),
        "imported": int(keep.sum()),
        "records": len(new_rows),
        "replaced": int(replaced.sum()),
        "matched": int(sum(1 for i in ids[keep].tolist() if i not in created_ids)),
        "created": [dict(c) for c in table.created],
        "added_nodes": tree.loc[absent, "id"].tolist(),
        "added_edition": not has_edition,
        "unmatched": list(table.unmatched),
        "repeated": repeated,
        "skipped": [dict(s) for s in table.skipped],
        "placeholder_cells": table.placeholder_cells,
        "placeholders": dict(table.placeholders),
        "warnings": [w.to_json() for w in table.warnings],
        "encoding": table.encoding,
        "columns": dict(table.columns),
    }
    return updated, tuple(changed), report


def _published_path(bundle: Path) -> Path:
    if bundle.suffix.lower() == ".xlsx":
        return bundle
    if (bundle / "published.parquet").exists() or (bundle / "institutions.parquet").exists():
        return bundle / "published.parquet"
    return bundle / "published.csv"


def _write_tables(bundle: Path, dataset: Dataset, names: Sequence[str]) -> None:
    """Write the changed tables of a bundle: a copy of the bundle is made beside it (unchanged
    files hard-linked), the changed tables written into it, and the copy swapped in for the
    bundle in one step, so a kill leaves the old bundle or the new one, never a mix."""
    from palmares.io import write_dataset
    from palmares.io.atomic import atomic_path
    from palmares.io.csv_bundle import table_csv_bytes
    from palmares.io.parquet_bundle import write_parquet_folder

    if bundle.suffix.lower() == ".xlsx":
        write_dataset(dataset, bundle, format="xlsx", force=True)
        return
    parquet = _published_path(bundle).suffix == ".parquet"
    frames = dataset.to_frames()
    with atomic_path(bundle, force=True, directory=True) as staging:
        for entry in bundle.iterdir():
            if entry.name.startswith(".palmares-import-"):
                continue  # a leftover of an older palmares
            if entry.is_dir() and not entry.is_symlink():
                shutil.copytree(entry, staging / entry.name, copy_function=_link_or_copy)
            else:
                _link_or_copy(str(entry), str(staging / entry.name))
        if parquet:
            for name in names:
                (staging / f"{name}.parquet").unlink(missing_ok=True)
            write_parquet_folder(frames, staging)
        else:
            for name in names:
                target = staging / f"{name}.csv"
                target.unlink(missing_ok=True)  # never write through a shared hard link
                target.write_bytes(table_csv_bytes(name, frames[name]))


def _link_or_copy(source: str, target: str) -> None:
    """A hard link (cheap, same bytes) where possible, else a copy (links copied as links)."""
    if os.path.islink(source):
        os.symlink(os.readlink(source), target)
        return
    try:
        os.link(source, target)
    except OSError:
        shutil.copy2(source, target)


# -- a table already imported --------------------------------------------------------------------


def imported_table(
    dataset: Dataset, bundle: str, system: str, edition: int, method: TableMethodology
) -> PublishedTable:
    """The table of one edition as ``import`` stored it in a bundle's published table, read
    back for ``reproduce --data``: the overall rows (node = the system) with their printed rank
    and total, and each component's score (a component an N&S-like format leaves blank when it
    does not apply, and absent here, does not apply). Rows are numbered 2, 3... in the stored
    order."""
    fmt = published_format(system)
    published = dataset.published
    rows = published[(published["system"] == system) & (published["year"] == edition)]
    overall = rows[rows["node"] == system].sort_values(
        ["rank", "band_lo", "institution"], kind="stable", na_position="last"
    )
    if overall.empty:
        raise InvalidInput.single(
            bundle,
            "unknown-edition",
            f"no published table of {system} {edition} was imported into this bundle "
            "(palmares import TABLE --data DIR ...)",
            value=edition,
        )
    ids = overall["institution"].astype(str).to_numpy()
    n = ids.size
    rank_text = [
        str(d) if isinstance(d, str) and d else ("" if pd.isna(r) else str(int(r)))
        for d, r in zip(overall["rank_display"].tolist(), overall["rank"].tolist(), strict=True)
    ]
    rank = parse_rank_column(rank_text)
    # A reporter keeps its status even though it prints no rank.
    status = np.where(
        overall["status"].astype(str).to_numpy() == "reporter", "reporter", rank.status
    )
    rank = RankColumn(
        status=status.astype(str),
        rank=rank.rank,
        tied=rank.tied,
        band_lo=rank.band_lo,
        band_hi=rank.band_hi,
        display=rank.display,
        errors=rank.errors,
    )

    def score(frame: pd.DataFrame, column: str) -> npt.NDArray[np.float64]:
        return frame[column].to_numpy(dtype=float, na_value=np.nan)

    total = ScoreColumn(
        score(overall, "score"), score(overall, "score_lo"), score(overall, "score_hi"), {}
    )
    components: dict[str, ScoreColumn] = {}
    not_applicable: dict[str, npt.NDArray[np.bool_]] = {}
    nan = np.full(n, np.nan)
    for name in table_components(method, fmt):
        part = rows[rows["node"] == f"{method.system}.{name}"].drop_duplicates("institution")
        values = part.set_index("institution")["score"].reindex(ids)
        value = values.to_numpy(dtype=float, na_value=np.nan)
        components[name] = ScoreColumn(value, nan, nan, {})
        if name in fmt.not_applicable_when_blank:
            not_applicable[name] = np.isnan(value)
    inst = dataset.institutions.set_index("id")
    names = inst["name"].reindex(ids).fillna("").astype(str).to_numpy() if "name" in inst else ids
    country = (
        inst["country"].reindex(ids).fillna("").astype(str).to_numpy()
        if "country" in inst
        else np.full(n, "")
    )
    return PublishedTable(
        file=bundle,
        sheet=None,
        system=system,
        edition=edition,
        encoding="bundle",
        columns={"institution": "institution", "rank": "rank", "total": "score"},
        rows=np.arange(2, n + 2, dtype=np.int64),
        institution=np.asarray(names, dtype=str),
        country=np.asarray(country, dtype=str),
        rank=rank,
        national_rank=None,
        total=total,
        components=components,
        component_ranks={},
        not_applicable=not_applicable,
        institution_ids=np.asarray(ids, dtype=str),
        country_code=np.asarray(country, dtype=str),
        table_format="bundle",
    )
