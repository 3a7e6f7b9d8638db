"""The COINr layout: iData (one row per unit) and iMeta (one row per column or aggregate).

COINr, the European Commission JRC's R package for composite indicators, describes an index with
two tables. Reading them gives canonical tables:

- iData ``uCode`` -> institution id, ``uName`` -> name; the country is the alpha-2 code when the
  uCode is an ISO 3166-1 alpha-3 code; ``Time`` -> the edition year (else ``--edition``);
  group (and ``Other``) columns -> institution attributes of the same name; indicator, aggregate
  and denominator columns -> observations (an empty cell or R's ``NA`` -> ``missing``).
- iMeta: every row -> one row of the indicators table, in the same order: ``iCode`` -> id,
  ``iName`` -> label_en, ``Parent`` -> parent, ``Unit`` -> unit, ``Direction`` 1/-1 -> higher/lower
  on indicators. The other columns (``Level``, ``Weight``, ``Target``, ``Denominator``, ``Type``,
  ``Direction`` on other rows, any extra column) are kept as ``coinr_<column>`` text columns.
  The root aggregate (no Parent) is the system; denominators, groups and ``Other`` rows become
  parentless indicators.

So that writing gives back every cell in the original order, the reader stores
``coinr_row`` (the iMeta row of each indicator) and, on each edition, ``coinr_idata_columns`` and
``coinr_imeta_columns`` (the two headers, JSON lists) and ``coinr_rows`` (JSON object: uCode ->
iData row). Without them (a bundle that never was COINr) the writer derives COINr's conventions.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from palmares.dataset import Dataset
from palmares.io._cells import (
    UserTable,
    check_header,
    column_texts,
    csv_bytes,
    delimiter_hint,
    excel_value,
    format_number,
    parse_numbers,
    parse_year,
    read_user_tables,
    write_workbook,
)
from palmares.io.atomic import atomic_path
from palmares.io.options import ReadOptions
from palmares.problems import InvalidInput, Problems
from palmares.schema import ID_PATTERN, TABLES
from palmares.tree import Tree, walk_parents

PREFIX = "coinr_"
ROW_COLUMN = "coinr_row"
IDATA_COLUMNS = "coinr_idata_columns"
IMETA_COLUMNS = "coinr_imeta_columns"
ROWS = "coinr_rows"
TYPES: tuple[str, ...] = ("Indicator", "Aggregate", "Group", "Denominator", "Other")
#: iMeta types whose iData column holds numbers (observations); the others hold attributes.
NUMERIC_TYPES = frozenset({"Indicator", "Aggregate", "Denominator"})
ATTRIBUTE_TYPES = frozenset({"Group", "Other"})
#: iMeta types outside the index tree: parentless indicators of the canonical bundle.
DETACHED_TYPES = frozenset({"Group", "Denominator", "Other"})
NUMERIC_META: tuple[str, ...] = ("Level", "Direction", "Weight", "Target")
DEFAULT_IMETA: tuple[str, ...] = (
    "Level", "iCode", "iName", "Direction", "Weight", "Unit", "Target", "Denominator", "Parent",
    "Type",
)  # fmt: skip
#: iMeta columns with a home in indicators.csv (the rest become ``coinr_<column>``).
META_HOMES: dict[str, str] = {
    "iCode": "id",
    "iName": "label_en",
    "Parent": "parent",
    "Unit": "unit",
}
IDATA_FILE = "idata"
IMETA_FILE = "imeta"
SHEETS = ("iData", "iMeta")

# ISO 3166-1: alpha-3 then alpha-2, for the 249 officially assigned codes.
_ISO = """
ABWAW AFGAF AGOAO AIAAI ALAAX ALBAL ANDAD AREAE ARGAR ARMAM ASMAS ATAAQ ATFTF ATGAG AUSAU
AUTAT AZEAZ BDIBI BELBE BENBJ BESBQ BFABF BGDBD BGRBG BHRBH BHSBS BIHBA BLMBL BLRBY BLZBZ
BMUBM BOLBO BRABR BRBBB BRNBN BTNBT BVTBV BWABW CAFCF CANCA CCKCC CHECH CHLCL CHNCN CIVCI
CMRCM CODCD COGCG COKCK COLCO COMKM CPVCV CRICR CUBCU CUWCW CXRCX CYMKY CYPCY CZECZ DEUDE
DJIDJ DMADM DNKDK DOMDO DZADZ ECUEC EGYEG ERIER ESHEH ESPES ESTEE ETHET FINFI FJIFJ FLKFK
FRAFR FROFO FSMFM GABGA GBRGB GEOGE GGYGG GHAGH GIBGI GINGN GLPGP GMBGM GNBGW GNQGQ GRCGR
GRDGD GRLGL GTMGT GUFGF GUMGU GUYGY HKGHK HMDHM HNDHN HRVHR HTIHT HUNHU IDNID IMNIM INDIN
IOTIO IRLIE IRNIR IRQIQ ISLIS ISRIL ITAIT JAMJM JEYJE JORJO JPNJP KAZKZ KENKE KGZKG KHMKH
KIRKI KNAKN KORKR KWTKW LAOLA LBNLB LBRLR LBYLY LCALC LIELI LKALK LSOLS LTULT LUXLU LVALV
MACMO MAFMF MARMA MCOMC MDAMD MDGMG MDVMV MEXMX MHLMH MKDMK MLIML MLTMT MMRMM MNEME MNGMN
MNPMP MOZMZ MRTMR MSRMS MTQMQ MUSMU MWIMW MYSMY MYTYT NAMNA NCLNC NERNE NFKNF NGANG NICNI
NIUNU NLDNL NORNO NPLNP NRUNR NZLNZ OMNOM PAKPK PANPA PCNPN PERPE PHLPH PLWPW PNGPG POLPL
PRIPR PRKKP PRTPT PRYPY PSEPS PYFPF QATQA REURE ROURO RUSRU RWARW SAUSA SDNSD SENSN SGPSG
SGSGS SHNSH SJMSJ SLBSB SLESL SLVSV SMRSM SOMSO SPMPM SRBRS SSDSS STPST SURSR SVKSK SVNSI
SWESE SWZSZ SXMSX SYCSC SYRSY TCATC TCDTD TGOTG THATH TJKTJ TKLTK TKMTM TLSTL TONTO TTOTT
TUNTN TURTR TUVTV TWNTW TZATZ UGAUG UKRUA UMIUM URYUY USAUS UZBUZ VATVA VCTVC VENVE VGBVG
VIRVI VNMVN VUTVU WLFWF WSMWS YEMYE ZAFZA ZMBZM ZWEZW
"""
ALPHA3_TO_ALPHA2: dict[str, str] = {code[:3]: code[3:] for code in _ISO.split()}


def read_coinr(
    paths: Sequence[Path], options: ReadOptions
) -> tuple[dict[str, pd.DataFrame], Problems]:
    """Read COINr iData and iMeta tables (CSV, Parquet or workbook sheets, told apart by header).

    A folder stands for the tables in it. Problems are located in the COINr files; rows and
    cells with a problem give nothing, so a later validation does not report them twice.
    """
    problems = Problems()
    files: list[Path] = []
    for path in map(Path, paths):
        if path.is_dir():
            files.extend(
                sorted(p for p in path.iterdir() if p.suffix.lower() in _SUFFIXES and p.is_file())
            )
        else:
            files.append(path)
    tables = [t for path in files for t in read_user_tables(path, options, problems)]
    idata, imeta = _classify(tables, [str(p) for p in paths], options, problems)
    if imeta is None:
        return {}, problems
    meta = _read_imeta(imeta, problems)
    if idata is None or not meta.usable:
        return {"indicators": meta.indicators}, problems
    frames = _read_idata(idata, imeta, meta, options, problems)
    frames["indicators"] = meta.indicators
    return frames, problems


_SUFFIXES = frozenset({".csv", ".xlsx", ".xlsm", ".parquet"})


def _classify(
    tables: list[UserTable], shown: list[str], options: ReadOptions, problems: Problems
) -> tuple[UserTable | None, UserTable | None]:
    """The iData and iMeta tables among those read, told apart by their headers."""
    found: dict[str, list[UserTable]] = {"iData": [], "iMeta": []}
    for table in tables:
        header = set(table.header)
        if "iCode" in header:
            found["iMeta"].append(table)
        elif "uCode" in header:
            found["iData"].append(table)
        else:
            problems.add(
                table.file,
                "missing-column",
                "neither an iData table (no 'uCode' column) nor an iMeta table (no 'iCode' "
                f"column){delimiter_hint(table, options)}",
                sheet=table.sheet,
                row=1,
            )
    where = ", ".join(shown) or "<coinr>"
    for name, key in (("iData", "uCode"), ("iMeta", "iCode")):
        if not found[name] and tables:
            problems.add(
                where, "missing-table", f"no {name} table given (a table whose header has {key!r})"
            )
        for extra in found[name][1:]:
            problems.add(
                extra.file,
                "invalid-value",
                f"a second {name} table: give one iData and one iMeta table",
                sheet=extra.sheet,
            )
    first = {name: (found[name][0] if found[name] else None) for name in found}
    return first["iData"], first["iMeta"]


# -- iMeta -------------------------------------------------------------------------------------


@dataclass
class Meta:
    """iMeta as read: the indicators table and what iData needs to know of each iCode."""

    indicators: pd.DataFrame
    type_of: dict[str, str]
    row_of: dict[str, int]
    system: str | None
    header: list[str]
    bad_codes: set[str] = field(default_factory=set)
    #: False when iMeta lacks a column it needs: iData is then not checked against it.
    usable: bool = True


def _read_imeta(table: UserTable, problems: Problems) -> Meta:
    positions = check_header(table, problems)
    file, sheet, rows = table.file, table.sheet, table.rows
    absent = [c for c in ("iCode", "Type", "Parent") if c not in positions]
    for column in absent:
        problems.add(
            file, "missing-column", f"iMeta needs a {column!r} column",
            sheet=sheet, row=1, column=column,
        )  # fmt: skip
    if absent:
        return Meta(_frame("indicators", {"id": []}), {}, {}, None, table.header, usable=False)
    n = len(table.frame)
    text = {name: column_texts(table, i).tolist() for name, i in positions.items()}
    blank = [""] * n
    codes, types, parents = (
        text.get("iCode", blank),
        text.get("Type", blank),
        text.get("Parent", blank),
    )

    def add(code: str, message: str, i: int, column: str, value: Any) -> None:
        problems.add(file, code, message, sheet=sheet, row=int(rows[i]), column=column, value=value)

    first_row: dict[str, int] = {}
    valid = np.ones(n, dtype=bool)
    for i, code in enumerate(codes):
        if not code:
            add("missing-value", "iCode is empty", i, "iCode", code)
        elif not ID_PATTERN.fullmatch(code):
            add(
                "invalid-id",
                f"{code!r} is not an id (letters, digits, '.', '_', '-')",
                i,
                "iCode",
                code,
            )
        elif code in first_row:
            add(
                "duplicate-id", f"iCode {code!r} already defined in row {first_row[code]}",
                i, "iCode", code,
            )  # fmt: skip
        else:
            first_row[code] = int(rows[i])
            continue
        valid[i] = False
    for i, kind in enumerate(types):
        if "Type" in positions and kind not in TYPES:
            add("invalid-value", f"Type {kind!r} is not one of {', '.join(TYPES)}", i, "Type", kind)
            valid[i] = False
    type_of = {codes[i]: types[i] for i in range(n) if valid[i]}
    tree_row = [types[i] in ("Indicator", "Aggregate") for i in range(n)]

    # Parents: known, an aggregate, acyclic; a single root.
    for i in range(n):
        parent = parents[i]
        if not parent or not tree_row[i]:
            continue
        if parent == codes[i]:
            add("cycle", f"{codes[i]!r} is its own Parent", i, "Parent", parent)
        elif parent not in first_row:
            add(
                "unknown-parent", f"Parent {parent!r} is not an iCode of iMeta", i, "Parent", parent
            )
        elif type_of.get(parent) != "Aggregate":
            add(
                "unknown-parent",
                f"Parent {parent!r} is not an Aggregate (its Type is {type_of.get(parent)!r})",
                i, "Parent", parent,
            )  # fmt: skip
        else:
            continue
        valid[i] = False
    linked = [i for i in range(n) if valid[i] and tree_row[i]]
    index_of = {codes[i]: i for i in linked}
    parent_index = np.full(n, -1, dtype=np.int64)
    for i in linked:
        parent_index[i] = index_of.get(parents[i], -1)
    on_cycle = walk_parents(parent_index)[0]
    for i in np.flatnonzero(on_cycle).tolist():
        seen = [codes[i]]
        j = int(parent_index[i])
        while j != i:
            seen.append(codes[j])
            j = int(parent_index[j])
        path = " -> ".join(map(repr, [*seen, codes[i]]))
        add("cycle", f"cycle in iMeta's Parent column: {path}", i, "Parent", parents[i])
        valid[i] = False
    roots = [i for i in range(n) if tree_row[i] and valid[i] and not parents[i]]
    system = codes[roots[0]] if len(roots) == 1 else None
    if len(roots) > 1:
        names = ", ".join(repr(codes[i]) for i in roots)
        for i in roots:
            add(
                "missing-value",
                f"{codes[i]!r} has no Parent, nor have the other roots ({names}): the index "
                "needs one root, its system",
                i, "Parent", "",
            )  # fmt: skip
    has_children = {parents[i] for i in range(n) if tree_row[i] and parents[i]}
    for i in range(n):
        if types[i] == "Aggregate" and valid[i] and codes[i] not in has_children:
            add("invalid-value", f"Aggregate {codes[i]!r} has no children", i, "iCode", codes[i])

    # Numbers: Direction (1/-1 on indicators), Level, Weight, Target.
    numbers: dict[str, list[str]] = {}
    for column in NUMERIC_META:
        if column not in positions:
            continue
        parsed = parse_numbers(pd.Series(text[column], dtype="str"), None)
        cells = [
            "" if parsed.empty[i] or parsed.codes[i] else format_number(float(parsed.values[i]))
            for i in range(n)
        ]
        for i in np.flatnonzero(parsed.codes != "").tolist():
            add(str(parsed.codes[i]), parsed.messages[i], i, column, text[column][i])
        numbers[column] = cells
    direction = [""] * n
    if "Indicator" in types and "Direction" not in positions:
        problems.add(
            file, "missing-column", "iMeta needs a 'Direction' column (1 or -1 per indicator)",
            sheet=sheet, row=1, column="Direction",
        )  # fmt: skip
    elif "Direction" in positions:
        for i in range(n):
            if types[i] != "Indicator":
                continue
            given = numbers["Direction"][i]
            if given in ("1", "-1"):
                direction[i] = "higher" if given == "1" else "lower"
            elif text["Direction"][i] and not given:
                continue  # already reported as not a number
            else:
                add(
                    "invalid-direction",
                    f"Direction {text['Direction'][i]!r} of indicator {codes[i]!r}: give 1 "
                    "(higher is better) or -1 (lower is better)",
                    i, "Direction", text["Direction"][i],
                )  # fmt: skip
    denominators = {c for c, t in type_of.items() if t == "Denominator"}
    for i, name in enumerate(text.get("Denominator", blank)):
        if name and name not in denominators:
            add(
                "unknown-indicator",
                f"Denominator {name!r} is not the iCode of a Denominator row",
                i, "Denominator", name,
            )  # fmt: skip

    header = table.header
    frame: dict[str, list[Any]] = {
        "id": codes,
        "label_en": text.get("iName", blank),
        "label_fr": blank,
        # Groups and denominators stay outside the index tree; their Parent, if any, is kept.
        "parent": [parents[i] if tree_row[i] else "" for i in range(n)],
        # The validator wants a direction on every leaf: parentless detached rows are never
        # scored, and writing restores their Direction cell from coinr_Direction.
        "direction": [
            direction[i] if tree_row[i] else ("higher" if types[i] in DETACHED_TYPES else "")
            for i in range(n)
        ],
        "unit": text.get("Unit", blank),
    }
    for column in header:
        if column in META_HOMES or column in frame:
            continue
        cells = numbers.get(column, text[column])
        if column == "Direction":
            cells = ["" if types[i] == "Indicator" else cells[i] for i in range(n)]
        frame[PREFIX + column] = cells
    if any(parents[i] and not tree_row[i] for i in range(n)):
        frame[PREFIX + "Parent"] = [parents[i] if not tree_row[i] else "" for i in range(n)]
    frame[ROW_COLUMN] = [str(int(r)) for r in rows]
    indicators = _frame("indicators", frame)
    row_of = {code: first_row[code] for code in type_of}
    bad = {codes[i] for i in range(n) if not valid[i] and codes[i]}
    return Meta(indicators, type_of, row_of, system, header, bad)


def _frame(table: str, columns: Mapping[str, Sequence[Any]]) -> pd.DataFrame:
    """A canonical table: known columns in schema order (str where text), extras after."""
    spec = TABLES[table]
    data: dict[str, pd.Series] = {}
    n = len(next(iter(columns.values()))) if columns else 0
    for column in spec.columns:
        values = columns.get(column.name, [None] * n)
        if column.kind == "int":
            data[column.name] = pd.Series(pd.array(values, dtype="Int64"))
        elif column.kind == "float":
            data[column.name] = pd.Series(values, dtype="float64")
        else:
            data[column.name] = pd.Series([v if v != "" else None for v in values], dtype="str")
    for name, values in columns.items():
        if name not in data:
            data[name] = pd.Series([v if v != "" else None for v in values], dtype="str")
    return pd.DataFrame(data)


# -- iData -------------------------------------------------------------------------------------


def _read_idata(
    table: UserTable, imeta: UserTable, meta: Meta, options: ReadOptions, problems: Problems
) -> dict[str, pd.DataFrame]:
    positions = check_header(table, problems)
    file, sheet, rows = table.file, table.sheet, table.rows
    n = len(table.frame)
    if "uCode" not in positions:
        return {}
    if "Time" not in positions and options.edition is None:
        problems.add(
            file,
            "missing-column",
            "no 'Time' column: the edition's year is unknown; add the column or pass "
            "--edition YEAR",
            sheet=sheet,
            row=1,
            column="Time",
        )
        return {}
    imeta_name = imeta.file if imeta.sheet is None else f"{imeta.file} sheet {imeta.sheet}"
    columns: list[str] = []
    for name in positions:
        if name in ("uCode", "uName", "Time"):
            continue
        if name in meta.bad_codes:
            continue  # its iMeta row is already reported
        if name not in meta.type_of:
            problems.add(
                file, "unknown-indicator",
                f"column {name!r} is not an iCode of iMeta ({imeta_name})",
                sheet=sheet, row=1, column=name, value=name,
            )  # fmt: skip
        elif name in ("id", "name") and meta.type_of[name] in ATTRIBUTE_TYPES:
            problems.add(
                file, "invalid-value", f"a group column cannot be named {name!r}",
                sheet=sheet, row=1, column=name, value=name,
            )  # fmt: skip
        else:
            columns.append(name)
    for code, kind in meta.type_of.items():
        if kind != "Aggregate" and code not in positions:
            problems.add(
                file,
                "missing-column",
                f"iMeta row {meta.row_of[code]} describes {code!r} ({kind}) but iData has no "
                "such column",
                sheet=sheet,
                row=1,
                column=code,
                value=code,
            )

    def add(code: str, message: str, i: int, column: str, value: Any) -> None:
        problems.add(file, code, message, sheet=sheet, row=int(rows[i]), column=column, value=value)

    ucode = column_texts(table, positions["uCode"]).tolist()
    bad = np.zeros(n, dtype=bool)
    for i, code in enumerate(ucode):
        if not code:
            add("missing-value", "uCode is empty", i, "uCode", code)
        elif not ID_PATTERN.fullmatch(code):
            add(
                "invalid-id",
                f"{code!r} is not an id (letters, digits, '.', '_', '-')",
                i,
                "uCode",
                code,
            )
        else:
            continue
        bad[i] = True
    if "Time" in positions:
        time_text = column_texts(table, positions["Time"])
        years, bad_year = parse_year(time_text)
        for i in np.flatnonzero(bad_year).tolist():
            shown = time_text.iat[i]
            if shown == "" and options.edition is not None:
                years[i] = options.edition
                continue
            hint = "; or pass --edition YEAR" if shown == "" else ""
            add("invalid-year", f"Time {shown!r} is not a year{hint}", i, "Time", shown)
            bad[i] = True
    else:
        years = np.full(n, options.edition, dtype=np.int64)
    first: dict[tuple[str, int], int] = {}
    for i in np.flatnonzero(~bad).tolist():
        key = (ucode[i], int(years[i]))
        if key in first:
            add(
                "duplicate-id",
                f"uCode {key[0]!r} already has a row for {key[1]} (row {first[key]})",
                i, "uCode", key[0],
            )  # fmt: skip
            bad[i] = True
        else:
            first[key] = int(rows[i])
    keep = ~bad

    # Institutions: one per uCode, from its first row.
    names = column_texts(table, positions["uName"]).tolist() if "uName" in positions else ucode
    attributes = [c for c in columns if meta.type_of[c] in ATTRIBUTE_TYPES]
    attribute_text = {c: column_texts(table, positions[c]).tolist() for c in attributes}
    order: dict[str, int] = {}
    for i in np.flatnonzero(keep).tolist():
        order.setdefault(ucode[i], i)
    picked = list(order.values())
    institutions: dict[str, list[Any]] = {
        "id": [ucode[i] for i in picked],
        "name": [names[i] for i in picked],
        "country": [ALPHA3_TO_ALPHA2.get(ucode[i], "") for i in picked],
    }
    for column in attributes:
        institutions[column] = [attribute_text[column][i] for i in picked]

    # Observations: every numeric cell of a kept row.
    system = meta.system
    numeric = [c for c in columns if meta.type_of[c] in NUMERIC_TYPES]
    parts: list[pd.DataFrame] = []
    for column in numeric:
        texts = column_texts(table, positions[column])
        parsed = parse_numbers(texts, options.decimal, extra_empty=("NA",))
        ok = parsed.codes == ""
        for i in np.flatnonzero(~ok).tolist():
            add(str(parsed.codes[i]), parsed.messages[i], i, column, texts.iat[i])
        take = keep & ok
        count = int(take.sum())
        parts.append(
            pd.DataFrame(
                {
                    "institution": pd.Series(np.asarray(ucode, dtype=object)[take], dtype="str"),
                    "indicator": pd.Series([column] * count, dtype="str"),
                    "system": pd.Series([system] * count, dtype="str"),
                    "year": pd.array(years[take], dtype="Int64"),
                    "value": parsed.values[take],
                    "status": pd.Series(
                        np.where(parsed.empty[take], "missing", "reported"), dtype="str"
                    ),
                    "source": pd.Series([None] * count, dtype="str"),
                }
            )
        )
    observations = (
        pd.concat(parts, ignore_index=True) if parts else _frame("observations", {"status": []})
    )

    # Editions, carrying what restores the original layout.
    header = json.dumps(table.header, ensure_ascii=False, separators=(",", ":"))
    meta_header = json.dumps(meta.header, ensure_ascii=False, separators=(",", ":"))
    edition_years = sorted({int(years[i]) for i in np.flatnonzero(keep).tolist()})
    row_maps = {
        year: json.dumps(
            {ucode[i]: int(rows[i]) for i in np.flatnonzero(keep).tolist() if years[i] == year},
            ensure_ascii=False,
            separators=(",", ":"),
        )
        for year in edition_years
    }
    editions = _frame(
        "editions",
        {
            "system": [system] * len(edition_years),
            "year": edition_years,
            IDATA_COLUMNS: [header] * len(edition_years),
            IMETA_COLUMNS: [meta_header] * len(edition_years),
            ROWS: [row_maps[y] for y in edition_years],
        },
    )
    if system is None:
        return {"institutions": _frame("institutions", institutions)}
    return {
        "institutions": _frame("institutions", institutions),
        "editions": editions,
        "observations": observations,
    }


# -- writing -----------------------------------------------------------------------------------


def _text(value: Any) -> str:
    """A table cell as COINr text: "" for missing, numbers in their shortest exact form."""
    if value is None or value is pd.NA:
        return ""
    if isinstance(value, (float, np.floating)):
        return "" if value != value else format_number(float(value))
    if isinstance(value, (int, np.integer)):
        return str(int(value))
    return str(value)


@dataclass(frozen=True)
class CoinrTables:
    """iData and iMeta as text: headers, rows, and which columns hold numbers."""

    idata_header: list[str]
    idata_rows: list[list[str]]
    idata_numeric: frozenset[str]
    imeta_header: list[str]
    imeta_rows: list[list[str]]


def coinr_tables(ds: Dataset) -> CoinrTables:
    """The COINr iData and iMeta of a one-system dataset (InvalidInput otherwise)."""
    tables = ds.to_frames()
    editions = tables["editions"]
    systems = sorted(set(editions["system"].tolist()))
    if len(systems) != 1:
        raise InvalidInput.single(
            "<dataset>",
            "invalid-value",
            f"the COINr layout holds one index: the bundle has {len(systems)} systems "
            f"({', '.join(systems) or 'none'}); keep one system's editions",
        )
    system = systems[0]
    ind = tables["indicators"]
    ids = ind["id"].tolist()
    if system not in ids:
        raise InvalidInput.single(
            "<dataset>", "unknown-parent", f"no indicator {system!r}: the root of the system's tree"
        )
    cells = {c: [_text(v) for v in ind[c].tolist()] for c in ind.columns}
    row_index = {code: i for i, code in enumerate(ids)}
    tree = Tree.from_parents(zip(ids, cells["parent"], strict=True))
    subtree = tree.subtree(system)
    in_tree = set(subtree.ids)
    obs = tables["observations"]
    obs = obs[obs["system"] == system]
    observed = set(obs["indicator"].tolist())
    stored_types = cells.get(PREFIX + "Type", [""] * len(ids))
    level: dict[str, int] = {}
    for node in reversed(subtree.ids):
        kids = subtree.children(node)
        level[node] = 1 + max((level[k] for k in kids), default=0)

    def kind(code: str) -> str:
        stored = stored_types[row_index[code]]
        if stored:
            return stored
        if code in in_tree:
            return "Aggregate" if subtree.children(code) else "Indicator"
        return "Denominator"

    selected = [
        code
        for code in ids
        if code in in_tree
        or stored_types[row_index[code]] in DETACHED_TYPES
        or (not cells["parent"][row_index[code]] and code in observed)
    ]
    rank = {t: i for i, t in enumerate(TYPES)}
    stored_rows = cells.get(ROW_COLUMN, [""] * len(ids))
    tree_order = {code: i for i, code in enumerate(subtree.ids)}

    def meta_order(code: str) -> tuple[int, float, int, int, int]:
        stored = stored_rows[row_index[code]]
        if stored:
            return (0, float(stored), 0, 0, 0)
        return (1, 0.0, rank.get(kind(code), 9), level.get(code, 0), tree_order.get(code, 0))

    selected.sort(key=meta_order)
    stored_meta = _stored_list(editions, IMETA_COLUMNS)
    extra = [
        c[len(PREFIX) :]
        for c in ind.columns
        if c.startswith(PREFIX)
        and c != ROW_COLUMN
        and c[len(PREFIX) :] not in DEFAULT_IMETA
        and c[len(PREFIX) :] != "Parent"
    ]
    imeta_header = _merge_header(stored_meta or list(DEFAULT_IMETA), extra)

    def meta_cell(code: str, column: str) -> str:
        i = row_index[code]
        stored = cells.get(PREFIX + column)
        kind_ = kind(code)
        if column == "iCode":
            return code
        if column == "iName":
            return cells["label_en"][i] or cells["label_fr"][i]
        if column == "Parent":
            return cells["parent"][i] or cells.get(PREFIX + "Parent", [""] * len(ids))[i]
        if column == "Unit":
            return cells["unit"][i]
        if column == "Direction" and kind_ == "Indicator" and cells["direction"][i]:
            return "1" if cells["direction"][i] == "higher" else "-1"
        if stored is not None:
            return stored[i]
        if column == "Type":
            return kind_
        if column == "Level":
            return str(level[code]) if code in level else ""
        if column in ("Weight", "Direction"):
            return "1" if code in in_tree else ""
        return ""

    imeta_rows = [[meta_cell(code, c) for c in imeta_header] for code in selected]

    # iData.
    attributes = [c for c in selected if kind(c) in ATTRIBUTE_TYPES]
    numeric = [c for c in selected if kind(c) not in ATTRIBUTE_TYPES]
    default_idata = [
        "uCode",
        "uName",
        *attributes,
        "Time",
        *[c for c in numeric if kind(c) == "Denominator"],
        *[c for c in numeric if kind(c) == "Indicator"],
    ]
    stored_idata = _stored_list(editions, IDATA_COLUMNS)
    # An iData read without Time (the year came from --edition) is written without it, unless
    # several editions now need telling apart.
    fixed = {"uCode", "uName"} | ({"Time"} if len(set(editions["year"].tolist())) == 1 else set())
    idata_header = _merge_header(
        stored_idata or default_idata, [c for c in default_idata if c not in fixed]
    )
    positions = _stored_rows(editions, system)
    keys = obs[["year", "institution"]].drop_duplicates()
    pairs = {
        (int(y), str(i))
        for y, i in zip(keys["year"].tolist(), keys["institution"].tolist(), strict=True)
    }
    known = set(tables["institutions"]["id"].tolist())
    pairs |= {p for p in positions if p[1] in known}
    ordered = sorted(
        pairs, key=lambda p: (0, positions[p], 0, "") if p in positions else (1, 0, p[0], p[1])
    )
    row_of = {p: r for r, p in enumerate(ordered)}
    numeric_columns = [c for c in idata_header if c in row_index and kind(c) not in ATTRIBUTE_TYPES]
    column_of = {c: j for j, c in enumerate(numeric_columns)}
    grid = np.full((len(ordered), len(numeric_columns)), "", dtype=object)
    valued = obs[obs["status"].isin(["reported", "estimated"]) & obs["indicator"].isin(column_of)]
    if len(valued):
        r = [
            row_of[(int(y), str(i))]
            for y, i in zip(valued["year"].tolist(), valued["institution"].tolist(), strict=True)
        ]
        c = [column_of[k] for k in valued["indicator"].tolist()]
        grid[r, c] = [format_number(v) for v in valued["value"].tolist()]
    inst = tables["institutions"].set_index("id")
    inst_cells = {
        column: dict(
            zip(inst.index.tolist(), [_text(v) for v in inst[column].tolist()], strict=True)
        )
        for column in ["name", *[a for a in attributes if a in inst.columns]]
    }
    idata_rows: list[list[str]] = []
    for position, (year, code) in enumerate(ordered):
        row: list[str] = []
        for column in idata_header:
            if column == "uCode":
                row.append(code)
            elif column == "uName":
                row.append(inst_cells["name"].get(code, ""))
            elif column == "Time":
                row.append(str(year))
            elif column in column_of:
                row.append(str(grid[position, column_of[column]]))
            else:
                row.append(inst_cells.get(column, {}).get(code, ""))
        idata_rows.append(row)
    return CoinrTables(
        idata_header, idata_rows, frozenset([*numeric_columns, "Time"]), imeta_header, imeta_rows
    )


def _stored_list(editions: pd.DataFrame, column: str) -> list[str]:
    if column not in editions.columns:
        return []
    for value in editions[column].tolist():
        if isinstance(value, str) and value:
            loaded = json.loads(value)
            if isinstance(loaded, list):
                return [str(v) for v in loaded]
    return []


def _stored_rows(editions: pd.DataFrame, system: str) -> dict[tuple[int, str], int]:
    if ROWS not in editions.columns:
        return {}
    found: dict[tuple[int, str], int] = {}
    mine = editions[editions["system"] == system]
    for year, value in zip(mine["year"].tolist(), mine[ROWS].tolist(), strict=True):
        if isinstance(value, str) and value:
            for code, row in json.loads(value).items():
                found[(int(year), str(code))] = int(row)
    return found


def _merge_header(stored: list[str], wanted: list[str]) -> list[str]:
    """The stored header, then wanted columns it lacks (columns added since reading)."""
    return [*stored, *[c for c in wanted if c not in stored]]


def write_coinr(ds: Dataset, dst: Path, *, format: str = "csv") -> None:
    """Write ``ds`` (one system) as COINr iData and iMeta, atomically.

    ``csv``: a folder with ``idata.csv`` and ``imeta.csv`` (byte-deterministic); ``parquet``: a
    folder with ``idata.parquet`` and ``imeta.parquet``; ``xlsx``: one workbook with sheets
    ``iData`` and ``iMeta``, numbers as numbers.
    """
    coinr = coinr_tables(ds)
    dst = Path(dst)
    meta_numeric = frozenset(NUMERIC_META)
    if format == "xlsx":
        sheets: dict[str, tuple[Sequence[str], list[list[Any]]]] = {
            "iData": (
                coinr.idata_header,
                _excel_rows(coinr.idata_header, coinr.idata_rows, coinr.idata_numeric),
            ),
            "iMeta": (
                coinr.imeta_header,
                _excel_rows(coinr.imeta_header, coinr.imeta_rows, meta_numeric),
            ),
        }
        with atomic_path(dst, force=True) as temporary:
            write_workbook(temporary, sheets, shown_as=str(dst))
        return
    if format not in ("csv", "parquet"):
        raise ValueError(f"unknown format {format!r} (csv, xlsx or parquet)")
    with atomic_path(dst, force=True, directory=True) as folder:
        if format == "csv":
            (folder / f"{IDATA_FILE}.csv").write_bytes(
                csv_bytes(coinr.idata_header, coinr.idata_rows)
            )
            (folder / f"{IMETA_FILE}.csv").write_bytes(
                csv_bytes(coinr.imeta_header, coinr.imeta_rows)
            )
        else:
            _parquet(coinr.idata_header, coinr.idata_rows, coinr.idata_numeric).to_parquet(
                folder / f"{IDATA_FILE}.parquet", index=False
            )
            _parquet(coinr.imeta_header, coinr.imeta_rows, meta_numeric).to_parquet(
                folder / f"{IMETA_FILE}.parquet", index=False
            )


def _excel_rows(
    header: list[str], rows: list[list[str]], numeric: frozenset[str]
) -> list[list[Any]]:
    flags = [c in numeric for c in header]
    return [[excel_value(t, f) for t, f in zip(row, flags, strict=True)] for row in rows]


def _parquet(header: list[str], rows: list[list[str]], numeric: frozenset[str]) -> pd.DataFrame:
    data: dict[str, pd.Series] = {}
    for j, column in enumerate(header):
        cells = [row[j] for row in rows]
        if column in numeric:
            data[column] = pd.Series([float(t) if t else np.nan for t in cells], dtype="float64")
        else:
            data[column] = pd.Series([t or None for t in cells], dtype="str")
    return pd.DataFrame(data, columns=header)
