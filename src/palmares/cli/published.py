"""Commands on published tables: ``import`` (into a bundle's published.csv, contracts section 4)
and ``reproduce`` (rebuild a table from its components, contracts section 5)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, Any

import typer

from palmares.cli.app import app, err, print_json
from palmares.cli.options import LangOption
from palmares.cli.rank import parse_edition
from palmares.cli.source import data_path
from palmares.problems import InvalidInput, Problems, UsageProblem
from palmares.translatable import tr

SystemOption = Annotated[str, typer.Option("--system", help="Preset id (PRESET or PRESET@YEAR).")]
EditionOption = Annotated[
    str, typer.Option("--edition", help="Edition year (2011 or 2010-11 for the 2010-11 table).")
]
MapOption = Annotated[
    list[str] | None,
    typer.Option("--map", help="FIELD=HEADER: read FIELD from the column HEADER (repeatable)."),
]
EncodingOption = Annotated[
    str | None,
    typer.Option("--encoding", help="Text encoding of a CSV table (default: UTF-8, else cp1252)."),
]
JsonOption = Annotated[bool, typer.Option("--json", help="Print one JSON document on stdout.")]
MissingOption = Annotated[
    list[str] | None,
    typer.Option(
        "--missing",
        help="HEADER=VALUE: VALUE printed in column HEADER means 'not published' "
        "(HEADER '*' for every column; repeatable).",
    ),
]
FormatOption = Annotated[
    str | None,
    typer.Option(
        "--format",
        help="Table format: csv, xlsx, the-json (THE's ranking JSON) or qs-json (QS's); "
        "detected when omitted.",
    ),
]


def parse_map(items: list[str] | None) -> dict[str, str]:
    """``--map FIELD=HEADER`` pairs (the header may itself contain "=")."""
    out: dict[str, str] = {}
    for item in items or []:
        name, sep, header = item.partition("=")
        if not sep or not name.strip() or not header.strip():
            raise UsageProblem(tr("--map {item!r}: expected FIELD=HEADER", item=item))
        out[name.strip()] = header.strip()
    return out


def parse_missing(items: list[str] | None) -> dict[str, list[str]]:
    """``--missing HEADER=VALUE`` pairs, several values per header allowed."""
    out: dict[str, list[str]] = {}
    for item in items or []:
        header, sep, value = item.partition("=")
        if not sep or not header.strip():
            raise UsageProblem(tr("--missing {item!r}: expected HEADER=VALUE", item=item))
        out.setdefault(header.strip(), []).append(value.strip())
    return out


def _notes(notes: Any, warnings: Any = ()) -> None:
    for note in notes:
        err(f"note: {note}")
    for warning in warnings:
        err(f"{warning.to_text()} (warning)")


@app.command()
def reproduce(
    table: Annotated[
        Path | None,
        typer.Argument(help="The published table (CSV, .xlsx or a publisher's JSON)."),
    ] = None,
    data: Annotated[
        Path | None,
        typer.Option(
            "--data", help="Reproduce the table already imported into this bundle instead."
        ),
    ] = None,
    system: SystemOption = "",
    edition: EditionOption = "",
    mapping: MapOption = None,
    missing: MissingOption = None,
    table_format: FormatOption = None,
    diff: Annotated[
        Path | None,
        typer.Option("--diff", help="Write one CSV row per mismatch, with its cause."),
    ] = None,
    force: Annotated[bool, typer.Option("--force", help="Replace an existing --diff.")] = False,
    encoding: EncodingOption = None,
    lang: LangOption = "",
    as_json: JsonOption = False,
) -> None:
    """Rebuild a published table from its components and compare totals, ranks and bands."""
    from palmares.io.atomic import atomic_path, check_target
    from palmares.io.published_table import component_ids, read_published_table
    from palmares.methodology import resolve_methodology
    from palmares.reproduce import reproduce as run_reproduce
    from palmares.reproduce import require_rebuildable
    from palmares.result_io import frame_csv_bytes

    if not system or not edition:
        raise UsageProblem(tr("give --system PRESET and --edition YEAR"))
    year = parse_edition(edition)
    method = resolve_methodology(system, year)
    require_rebuildable(method.system, year)
    if diff is not None:
        check_target(diff, force=force)
    from palmares.cli.source import CHOSEN_DB

    if table is not None and (data is not None or CHOSEN_DB.get() is not None):
        raise UsageProblem(
            tr("give either a TABLE file or --data DIR / --db URL (where it was imported)")
        )
    if table is not None:
        parsed = read_published_table(
            table,
            method.system,
            year,
            method,
            mapping=parse_map(mapping),
            required=("institution", "rank", "total", *component_ids(method)),
            encoding=encoding,
            missing=parse_missing(missing),
            table_format=table_format,
        )
    else:
        import palmares
        from palmares.io.published_table import imported_table

        # Without a TABLE, the data source of every command: --data, else (with the store)
        # --db, else the environment's.
        bundle = data_path(data)
        parsed = imported_table(palmares.load(bundle), str(bundle), method.system, year, method)
    _notes(parsed.notes, parsed.warnings)
    result = run_reproduce(parsed, method)
    if diff is not None:
        with atomic_path(diff, force=force) as temporary:
            temporary.write_bytes(frame_csv_bytes(result.diff))
    if as_json:
        print_json(result.summary)
        return
    s = result.summary
    sys.stdout.write("\n".join(reproduce_lines(s, diff, lang)) + "\n")


def reproduce_lines(s: dict[str, Any], diff: Path | None, lang: str) -> list[str]:
    """The summary of ``palmares reproduce`` in words of ``lang``."""
    from palmares.i18n import gettext
    from palmares.lang import format_decimal, format_int, format_significant

    def pct(key: str) -> str:
        if s[key] is None:
            return gettext(lang, "n/a")
        return gettext(lang, "{value} %", value=format_decimal(s[key], lang, 2))

    def n(key: str) -> str:
        return format_int(int(s[key]), lang)

    error = s["total_max_error"]
    lines = [
        gettext(
            lang,
            "{system} {edition} (methodology {hash}): {rows} rows, {scored} scored, "
            "{complete} complete, {banded} banded, {reporters} reporters",
            system=s["system"],
            edition=s["edition"],
            hash=s["methodology_hash"][:12],
            rows=n("rows"),
            scored=n("scored_rows"),
            complete=n("complete_rows"),
            banded=n("banded_rows"),
            reporters=n("reporter_rows"),
        ),
        gettext(
            lang,
            "totals within 0.1: {share} (max error {error})",
            share=pct("total_within_0_1_pct"),
            error=format_significant(error, lang) if isinstance(error, float) else error,
        ),
        gettext(
            lang,
            "ranks from published totals: {published}; from rebuilt totals: {rebuilt}",
            published=pct("rank_exact_pct"),
            rebuilt=pct("rank_rebuilt_exact_pct"),
        ),
        gettext(
            lang,
            "bands agreeing: {share} of {rows}",
            share=pct("band_agreement_pct"),
            rows=n("band_complete_rows"),
        ),
        gettext(
            lang,
            "rows whose missing components the methodology imputes: {rows}, totals within "
            "0.1: {share}",
            rows=n("imputed_rows"),
            share=pct("total_within_0_1_imputed_pct"),
        ),
        gettext(
            lang,
            "cells read as placeholders (not published): {cells}",
            cells=n("placeholder_cells"),
        ),
        gettext(lang, "mismatches: {count}", count=n("mismatches"))
        + (" " + gettext(lang, "(written to {path})", path=diff) if diff else ""),
    ]
    if s.get("assumed"):
        lines.insert(1, gettext(lang, "assumed methodology: {reason}", reason=s["assumed_reason"]))
    return lines


@app.command("import")
def import_table(
    table: Annotated[
        Path, typer.Argument(help="The published table (CSV, .xlsx or a publisher's JSON).")
    ],
    data: Annotated[
        Path | None, typer.Option("--data", help="Bundle folder or file (default $PALMARES_DATA).")
    ] = None,
    system: SystemOption = "",
    edition: EditionOption = "",
    mapping: MapOption = None,
    missing: MissingOption = None,
    table_format: FormatOption = None,
    force: Annotated[
        bool, typer.Option("--force", help="Replace rows the bundle already has for the edition.")
    ] = False,
    strict: Annotated[
        bool,
        typer.Option(
            "--strict",
            help="Refuse the table (exit 2) when a name matches no institution or a row has "
            "no name.",
        ),
    ] = False,
    create: Annotated[
        bool,
        typer.Option(
            "--create",
            help="Add the institutions the table names that the bundle lacks (ids from the "
            "names, country from the table).",
        ),
    ] = False,
    node: Annotated[
        str | None,
        typer.Option(
            "--node",
            help="The table ranks one node, not the whole system (a THE Impact SDG: sdg03).",
        ),
    ] = None,
    encoding: EncodingOption = None,
    as_json: JsonOption = False,
) -> None:
    """Append a published table to the bundle's published.csv (names matched to institutions)."""
    import palmares
    from palmares.io.atomic import target_lock
    from palmares.io.published_table import import_published, read_published_table
    from palmares.methodology import resolve_methodology
    from palmares.published import shown

    if not system or not edition:
        raise UsageProblem(tr("give --system PRESET and --edition YEAR"))
    year = parse_edition(edition)
    method = resolve_methodology(system, year)
    bundle = data_path(data)
    if getattr(bundle, "store_url", None) is not None:
        # import writes a bundle's published table; a store is loaded from a bundle.
        raise UsageProblem(
            tr(
                "import writes into a bundle, not a store: give --data DIR, then load it with "
                "palmares db load DIR --replace"
            )
        )
    # Read, merge and write under the bundle's lock: two imports never lose an update.
    with target_lock(bundle):
        dataset = palmares.load(bundle)
        parsed = read_published_table(
            table,
            method.system,
            year,
            method,
            mapping=parse_map(mapping),
            encoding=encoding,
            dataset=dataset,
            missing=parse_missing(missing),
            table_format=table_format,
            strict=strict,
            create=create,
        )
        _notes(parsed.notes, parsed.warnings)
        if strict and parsed.unmatched:
            problems = Problems()
            for item in parsed.unmatched:
                candidates = item["candidates"]
                hint = f"; it names {', '.join(candidates)}: give an id" if candidates else ""  # type: ignore[arg-type]
                problems.add(
                    parsed.file,
                    "unknown-institution",
                    f"no institution with id, name or alias {shown(item['name'])}{hint}",
                    sheet=parsed.sheet,
                    row=int(item["row"]),  # type: ignore[call-overload]
                    column=parsed.columns.get("institution"),
                    value=str(item["name"])[:80],
                )
            raise InvalidInput(problems)
        if node is not None:
            from palmares.io.published_table import published_format, table_components

            known = table_components(method, published_format(method.system))
            in_bundle = f"{method.system}.{node}" in set(dataset.indicators["id"].astype(str))
            if node not in known and not in_bundle:
                raise UsageProblem(
                    tr(
                        "--node {node}: no such node of {system} (nodes: {nodes})",
                        node=node,
                        system=method.system,
                        nodes=", ".join(known),
                    )
                )
        report = import_published(bundle, dataset, parsed, method, force=force, node=node)
    for item in report["unmatched"]:
        err(f"{parsed.file}:-:{item['row']}:-: unmatched institution {shown(item['name'])}")
    for item in report["repeated"]:
        err(
            f"{parsed.file}:-:{item['row']}:-: names institution {item['id']!r} "
            f"like row {item['kept_row']}: the first is kept"
        )
    if as_json:
        print_json(report)
        return
    created = f"; {len(report['created'])} institutions created" if create else ""
    sys.stdout.write(
        f"imported {report['imported']} of {report['rows']} rows of {report['system']} "
        f"{report['edition']} into {report['published']}; {report['matched']} matched"
        f"{created}; {len(report['unmatched'])} unmatched names; "
        f"{report['placeholder_cells']} cells read as placeholders\n"
    )
