"""Commands on published tables: ``import`` (into a bundle's published.csv, contracts section 4)
and ``reproduce`` (rebuild a table from its components, contracts section 5)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, Any

import typer

from palmares.cli.app import app, data_path, err, print_json
from palmares.cli.rank import parse_edition
from palmares.problems import InvalidInput, Problems, UsageProblem

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


def parse_map(items: list[str] | None) -> dict[str, str]:
    """``--map FIELD=HEADER`` pairs (the header may itself contain "=")."""
    out: dict[str, str] = {}
    for item in items or []:
        name, sep, header = item.partition("=")
        if not sep or not name.strip() or not header.strip():
            raise UsageProblem(f"--map {item!r}: expected FIELD=HEADER")
        out[name.strip()] = header.strip()
    return out


def _notes(notes: Any) -> None:
    for note in notes:
        err(f"note: {note}")


@app.command()
def reproduce(
    table: Annotated[Path, typer.Argument(help="The published table (CSV or .xlsx).")],
    system: SystemOption = "",
    edition: EditionOption = "",
    mapping: MapOption = None,
    diff: Annotated[
        Path | None,
        typer.Option("--diff", help="Write one CSV row per mismatch, with its cause."),
    ] = None,
    force: Annotated[bool, typer.Option("--force", help="Replace an existing --diff.")] = False,
    encoding: EncodingOption = None,
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
        raise UsageProblem("give --system PRESET and --edition YEAR")
    year = parse_edition(edition)
    method = resolve_methodology(system, year)
    require_rebuildable(method.system, year)
    if diff is not None:
        check_target(diff, force=force)
    parsed = read_published_table(
        table,
        method.system,
        year,
        method,
        mapping=parse_map(mapping),
        required=("institution", "rank", "total", *component_ids(method)),
        encoding=encoding,
    )
    _notes(parsed.notes)
    result = run_reproduce(parsed, method)
    if diff is not None:
        with atomic_path(diff, force=force) as temporary:
            temporary.write_bytes(frame_csv_bytes(result.diff))
    if as_json:
        print_json(result.summary)
        return
    s = result.summary

    def pct(key: str) -> str:
        return "n/a" if s[key] is None else f"{s[key]:.2f} %"

    lines = [
        f"{s['system']} {s['edition']} (methodology {s['methodology_hash'][:12]}): "
        f"{s['rows']} rows, {s['scored_rows']} scored, {s['complete_rows']} complete, "
        f"{s['banded_rows']} banded, {s['reporter_rows']} reporters",
        f"totals within 0.1: {pct('total_within_0_1_pct')} (max error {s['total_max_error']})",
        f"ranks from published totals: {pct('rank_exact_pct')}; "
        f"from rebuilt totals: {pct('rank_rebuilt_exact_pct')}",
        f"bands agreeing: {pct('band_agreement_pct')} of {s['band_complete_rows']}",
        f"mismatches: {s['mismatches']}" + (f" (written to {diff})" if diff else ""),
    ]
    sys.stdout.write("\n".join(lines) + "\n")


@app.command("import")
def import_table(
    table: Annotated[Path, typer.Argument(help="The published table (CSV or .xlsx).")],
    data: Annotated[
        Path | None, typer.Option("--data", help="Bundle folder or file (default $PALMARES_DATA).")
    ] = None,
    system: SystemOption = "",
    edition: EditionOption = "",
    mapping: MapOption = None,
    force: Annotated[
        bool, typer.Option("--force", help="Replace rows the bundle already has for the edition.")
    ] = False,
    strict: Annotated[
        bool,
        typer.Option(
            "--strict", help="Refuse the table (exit 2) when a name matches no institution."
        ),
    ] = False,
    encoding: EncodingOption = None,
    as_json: JsonOption = False,
) -> None:
    """Append a published table to the bundle's published.csv (names matched to institutions)."""
    import palmares
    from palmares.io.atomic import target_lock
    from palmares.io.published_table import import_published, read_published_table
    from palmares.methodology import resolve_methodology

    if not system or not edition:
        raise UsageProblem("give --system PRESET and --edition YEAR")
    year = parse_edition(edition)
    method = resolve_methodology(system, year)
    bundle = data_path(data)
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
        )
        _notes(parsed.notes)
        if strict and parsed.unmatched:
            problems = Problems()
            for item in parsed.unmatched:
                candidates = item["candidates"]
                hint = f"; it names {', '.join(candidates)}: give an id" if candidates else ""  # type: ignore[arg-type]
                problems.add(
                    parsed.file,
                    "unknown-institution",
                    f"no institution with id, name or alias {item['name']!r}{hint}",
                    sheet=parsed.sheet,
                    row=int(item["row"]),  # type: ignore[call-overload]
                    column=parsed.columns.get("institution"),
                    value=item["name"],
                )
            raise InvalidInput(problems)
        report = import_published(bundle, dataset, parsed, method, force=force)
    for item in report["unmatched"]:
        err(f"{parsed.file}:-:{item['row']}:-: unmatched institution {item['name']!r}")
    if as_json:
        print_json(report)
        return
    sys.stdout.write(
        f"imported {report['imported']} of {report['rows']} rows of {report['system']} "
        f"{report['edition']} into {report['published']}; "
        f"{len(report['unmatched'])} unmatched names\n"
    )
