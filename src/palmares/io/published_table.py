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
from typing import Any, Literal

import numpy as np
import numpy.typing as npt
import pandas as pd

from palmares.dataset import Dataset, fold_name
from palmares.io._cells import _cell_text, nfc
from palmares.methodology import Methodology, methodology_hash
from palmares.problems import InvalidInput, Problems, UsageProblem
from palmares.published import RankColumn, ScoreColumn, parse_rank_column, parse_score_column
from palmares.ranking import BAND_OPEN
from palmares.systems import SYSTEMS_DIR

#: Fields every preset knows, before its component ids.
BASE_FIELDS: tuple[str, ...] = ("institution", "country", "year", "rank", "national_rank", "total")
#: Rows searched for the header (title rows may sit above it).
_HEADER_SEARCH = 10


def normalise_header(text: str) -> str:
    """Header text compared ignoring case, accents, spaces and underscores."""
    return " ".join(fold_name(text).replace("_", " ").split())


@dataclass(frozen=True)
class PublishedFormat:
    """How a preset's tables are printed: header aliases and the kind of component cells."""

    preset: str
    aliases: Mapping[str, tuple[str, ...]]
    component_kind: Literal["score", "rank"] = "score"
    #: Components whose blank cell means "does not apply" (ARWU's N&S), not "missing".
    not_applicable_when_blank: frozenset[str] = frozenset()
    rebuildable: bool = True
    reason: str = ""


@lru_cache(maxsize=32)
def published_format(preset: str) -> PublishedFormat:
    """The published-table format of a preset (LookupError for a preset without one)."""
    path = SYSTEMS_DIR / preset / "published" / "headers.toml"
    if not path.is_file():
        raise LookupError(f"preset {preset!r} ships no published-table format")
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    published = data.get("published", {})
    reproduce = data.get("reproduce", {})
    return PublishedFormat(
        preset=preset,
        aliases={
            name: tuple(normalise_header(a) for a in names)
            for name, names in data["fields"].items()
        },
        component_kind=published.get("components", "score"),
        not_applicable_when_blank=frozenset(published.get("not_applicable_when_blank", [])),
        rebuildable=bool(reproduce.get("rebuildable", True)),
        reason=str(reproduce.get("reason", "")),
    )


def component_ids(method: Methodology) -> tuple[str, ...]:
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


def _opened_grid(source: Path, encoding: str | None) -> tuple[list[list[str]], list[int], Any]:
    """The grid of a regular file; any parser failure on a corrupt file is one located
    problem (palmares.io.limits), never a traceback."""
    from palmares.io.limits import check_xlsx_archive, reading, require_regular_file
    from palmares.problems import Problems

    require_regular_file(source)
    problems = Problems()
    excel = source.suffix.lower() in (".xlsx", ".xlsm")
    if excel and (archive := check_xlsx_archive(source)) is not None:
        raise InvalidInput.single(
            str(source), "unreadable-file", f"not a readable Excel workbook: {archive}"
        )
    with reading(str(source), problems, "Excel workbook" if excel else "CSV table"):
        return _excel_grid(source) if excel else _csv_grid(source, encoding)
    raise InvalidInput(problems)


def _csv_grid(path: Path, encoding: str | None) -> tuple[list[list[str]], list[int], str]:
    text, used = _decode(path.read_bytes(), str(path), encoding)
    # Sniffed over the first lines: a title row above the header may hold no separator.
    head = "\n".join(text.splitlines()[:_HEADER_SEARCH])
    delimiter = max((",", ";", "\t"), key=head.count)
    # newline="" keeps CR-only, LF and CRLF line ends for the csv module to split.
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    grid: list[list[str]] = []
    numbers: list[int] = []
    for number, record in enumerate(reader, start=1):
        cells = [nfc(c).strip() for c in record]
        if any(cells):
            grid.append(cells)
            numbers.append(number)
    return grid, numbers, used


def _excel_grid(path: Path) -> tuple[list[list[str]], list[int], str | None]:
    from openpyxl import load_workbook

    try:
        book = load_workbook(path, read_only=True, data_only=True)
    except Exception as error:  # openpyxl raises many kinds on a corrupt workbook
        raise InvalidInput.single(
            str(path), "encoding", f"not a readable Excel workbook: {error}"
        ) from None
    try:
        for sheet in book.worksheets:
            grid: list[list[str]] = []
            numbers: list[int] = []
            for number, row in enumerate(sheet.iter_rows(values_only=True), start=1):
                cells = [_cell_text(v).strip() for v in row]
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
                f"--map {name}={header}: no such header (headers: {', '.join(headers)})",
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
    numeric = [i for name, i in found.items() if name not in ("institution", "country")]
    texts = [cells[i] for i in numeric if i < len(cells) and cells[i]]
    if len(texts) < 2:
        return False
    ranks = parse_rank_column(texts)
    scores = parse_score_column(texts)
    return all(i in ranks.errors and i in scores.errors for i in range(len(texts)))


def read_published_table(
    path: str | Path,
    system: str,
    edition: int,
    method: Methodology,
    *,
    mapping: Mapping[str, str] | None = None,
    required: Sequence[str] = ("institution", "rank"),
    encoding: str | None = None,
    dataset: Dataset | None = None,
) -> PublishedTable:
    """Read and parse one edition of a published table; InvalidInput lists every problem.

    ``method`` is the preset's methodology for the edition (its leaves are the components);
    ``required`` fields must be found; ``dataset`` matches institution names to its ids.
    """
    source = Path(path)
    file = str(source)
    fmt = published_format(system)
    components = component_ids(method)
    fields = (*BASE_FIELDS, *components)
    mapping = dict(mapping or {})
    unknown = sorted(set(mapping) - set(fields))
    if unknown:
        raise UsageProblem(
            f"--map {unknown[0]}=...: unknown field for {system} {edition} "
            f"(fields: {', '.join(fields)})"
        )
    if not (source.exists() or source.is_symlink()):
        raise UsageProblem(f"no such table: {file}")
    sheet: str | None = None
    grid, numbers, used = _opened_grid(source, encoding)
    if source.suffix.lower() in (".xlsx", ".xlsm"):
        sheet, used = used, "xlsx"
    if not grid:
        raise InvalidInput.single(file, "empty-file", "the table is empty")

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
    for name in required:
        if name not in found and name not in mapping:
            problems.add(
                file,
                "missing-column",
                f"no column for the required field {name!r}: pass --map {name}=HEADER "
                f"(headers: {', '.join(headers)})",
                sheet=sheet,
                row=header_row,
                column=name,
            )
    problems.raise_if_errors()

    body = grid[at + 1 :]
    body_rows = numbers[at + 1 :]
    notes: list[str] = []
    if used not in ("utf-8", "xlsx"):
        notes.append(f"{file}: not UTF-8; read as {used}")
    if body and _second_header(body[0], found):
        notes.append(f"{file}: row {body_rows[0]} is a second header row; skipped")
        body, body_rows = body[1:], body_rows[1:]
    width = len(headers)
    body = [(r + [""] * width)[:width] for r in body]

    def column(name: str) -> list[str]:
        return [r[found[name]] for r in body]

    keep = np.ones(len(body), dtype=bool)
    if "year" in found:
        years = [_year_of(t) for t in column("year")]
        for i, (text, year) in enumerate(zip(column("year"), years, strict=True)):
            if year is None:
                problems.add(
                    file,
                    "invalid-year",
                    f"not an edition year, such as 2011 or 2010-11 (value {text!r})",
                    sheet=sheet,
                    row=body_rows[i],
                    column=headers[found["year"]],
                    value=text,
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
    body = [r for r, k in zip(body, keep.tolist(), strict=True) if k]
    rows = np.asarray([n for n, k in zip(body_rows, keep.tolist(), strict=True) if k])

    def report(name: str, errors: Mapping[int, str], code: str, cells: list[str]) -> None:
        for i, reason in errors.items():
            problems.add(
                file,
                code,
                f"{reason} (value {cells[i]!r})",
                sheet=sheet,
                row=int(rows[i]),
                column=headers[found[name]],
                value=cells[i],
            )

    institution = np.asarray(column("institution"), dtype=str)
    for i in np.flatnonzero(institution == "").tolist():
        problems.add(
            file,
            "missing-value",
            "no institution name",
            sheet=sheet,
            row=int(rows[i]),
            column=headers[found["institution"]],
            value="",
        )
    rank = parse_rank_column(column("rank"))
    report("rank", rank.errors, "invalid-value", column("rank"))
    national = None
    if "national_rank" in found:
        national = parse_rank_column(column("national_rank"))
        report("national_rank", national.errors, "invalid-value", column("national_rank"))
    total = None
    if "total" in found:
        total = parse_score_column(column("total"))
        report("total", total.errors, "not-a-number", column("total"))
    parsed: dict[str, ScoreColumn] = {}
    ranked: dict[str, RankColumn] = {}
    not_applicable: dict[str, npt.NDArray[np.bool_]] = {}
    for name in components:
        if name not in found:
            continue
        cells = column(name)
        if fmt.component_kind == "rank":
            ranked[name] = parse_rank_column(cells)
            report(name, ranked[name].errors, "invalid-value", cells)
        else:
            parsed[name] = parse_score_column(cells)
            report(name, parsed[name].errors, "not-a-number", cells)
            if name in fmt.not_applicable_when_blank:
                blank = np.asarray([c.strip() == "" for c in cells], dtype=bool)
                not_applicable[name] = blank
    problems.raise_if_errors()

    country = np.asarray(column("country") if "country" in found else [""] * len(body), dtype=str)
    ids, unmatched = (None, ()) if dataset is None else match_institutions(institution, dataset)
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
        national_rank=national,
        total=total,
        components=parsed,
        component_ranks=ranked,
        not_applicable=not_applicable,
        notes=tuple(notes),
        institution_ids=ids,
        unmatched=unmatched_rows,
    )


def match_institutions(
    names: Sequence[str] | npt.NDArray[np.str_], dataset: Dataset
) -> tuple[npt.NDArray[np.str_], list[tuple[int, dict[str, object]]]]:
    """Bundle ids for published names: an exact id, else a case- and accent-insensitive exact
    name or alias (never fuzzy). Returns the ids ("" when unmatched) and, per unmatched row,
    ``{"name", "candidates"}`` (candidates: the ids an ambiguous name could be)."""
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
    known = set(dataset.institution_ids)
    ids: list[str] = []
    unmatched: list[tuple[int, dict[str, object]]] = []
    for i, name in enumerate(np.asarray(names, dtype=str).tolist()):
        hits = {name} if name in known else index.get(fold_name(name), set())
        if len(hits) == 1:
            ids.append(next(iter(hits)))
            continue
        ids.append("")
        unmatched.append((i, {"name": name, "candidates": sorted(hits)}))
    return np.asarray(ids, dtype=str), unmatched


# -- import into a bundle ----------------------------------------------------------------------


def published_rows(table: PublishedTable, method: Methodology) -> pd.DataFrame:
    """Rows of ``published.csv`` for the matched rows of a table: the overall result (node =
    the system) and each printed component (node ``<system>.<id>``, same status)."""
    if table.institution_ids is None:
        raise ValueError("match the table's names to a bundle first (dataset=...)")
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
            "node": table.system,
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
    for name in (*table.components, *table.component_ranks):
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


def _tree_rows(method: Methodology) -> pd.DataFrame:
    nodes = method.tree.nodes
    return pd.DataFrame(
        {
            "id": [n.id for n in nodes],
            "label_en": [n.label_en or method.methodology.label_en for n in nodes],
            "label_fr": [n.label_fr or n.label_en or method.methodology.label_en for n in nodes],
            "parent": [n.parent for n in nodes],
            "direction": [n.direction for n in nodes],
        }
    )


def import_published(
    bundle: str | Path,
    dataset: Dataset,
    table: PublishedTable,
    method: Methodology,
    *,
    force: bool = False,
) -> dict[str, Any]:
    """Append a parsed table's matched rows to the bundle's published table, atomically.

    The preset's nodes and the edition are added to ``indicators`` and ``editions`` when the
    bundle lacks them (published rows must name known nodes and editions). Rows the bundle
    already has for this system and edition are refused unless ``force`` (they are replaced).
    Every changed file is written to a temporary sibling first and renamed only once all are
    written and the new bundle validates, so a failure leaves the bundle as it was.
    """
    target = Path(bundle)
    updated, changed, report = merge_published(dataset, table, method, force=force, name=target)
    _write_tables(target, updated, changed)
    return {**report, "published": str(_published_path(target))}


def merge_published(
    dataset: Dataset,
    table: PublishedTable,
    method: Methodology,
    *,
    force: bool = False,
    name: str | Path = "the data",
) -> tuple[Dataset, tuple[str, ...], dict[str, Any]]:
    """The dataset with a parsed table's matched rows added (nothing written): the new
    Dataset, the names of the tables that changed, and the import report."""
    tables = dataset.to_frames()
    published = tables["published"]
    same = (published["system"] == table.system) & (published["year"] == table.edition)
    if same.any() and not force:
        raise UsageProblem(
            f"{name} already has {int(same.sum())} published rows for {table.system} "
            f"{table.edition}; pass --force to replace them"
        )
    problems = Problems()
    ids = table.institution_ids if table.institution_ids is not None else np.zeros(0, dtype=str)
    matched = ids[ids != ""]
    values, counts = np.unique(matched, return_counts=True)
    for ident in values[counts > 1].tolist():
        rows = table.rows[ids == ident].tolist()
        problems.add(
            table.file,
            "duplicate-id",
            f"rows {', '.join(map(str, rows))} all name institution {ident!r}",
            sheet=table.sheet,
            row=int(rows[1]),
            column=table.columns.get("institution"),
            value=ident,
        )
    problems.raise_if_errors()
    new_rows = published_rows(table, method)
    changed = {"published": pd.concat([published[~same], new_rows], ignore_index=True)}
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
    return (
        updated,
        tuple(changed),
        {
            "system": table.system,
            "edition": table.edition,
            "methodology_hash": methodology_hash(method),
            "rows": len(table),
            "imported": int(matched.size),
            "records": len(new_rows),
            "replaced": int(same.sum()),
            "added_nodes": tree.loc[absent, "id"].tolist(),
            "added_edition": not has_edition,
            "unmatched": list(table.unmatched),
            "encoding": table.encoding,
            "columns": dict(table.columns),
        },
    )


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
