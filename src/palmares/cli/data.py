"""Commands on bundles: validate and convert (contracts section 3)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from palmares.cli.app import UsageProblem, app, err, print_json
from palmares.problems import InvalidInput, Problem, Problems
from palmares.translatable import tr

if TYPE_CHECKING:
    import pandas as pd

    from palmares.io.options import ReadOptions

LayoutOption = Annotated[
    str | None,
    typer.Option("--layout", help="canonical, wide or coinr (detected when omitted)."),
]
BundleOption = Annotated[
    Path | None,
    typer.Option("--bundle", help="Bundle giving the tables a wide or COINr file lacks."),
]
DelimiterOption = Annotated[
    str | None, typer.Option("--delimiter", help="Field separator of CSV input (default ',').")
]
DecimalOption = Annotated[
    str | None, typer.Option("--decimal", help="Decimal separator of numbers (default '.').")
]
EncodingOption = Annotated[
    str | None, typer.Option("--encoding", help="Encoding of CSV input (default UTF-8).")
]

_LAYOUTS = ("canonical", "wide", "coinr")
_FORMATS = ("csv", "parquet", "xlsx")


def read_options(
    layout: str | None,
    bundle: Path | None,
    delimiter: str | None,
    decimal: str | None,
    encoding: str | None,
) -> ReadOptions:
    from palmares.io.options import ReadOptions

    if layout is not None and layout not in _LAYOUTS:
        raise UsageProblem(
            tr("--layout {layout!r}: give one of {names}", layout=layout, names=", ".join(_LAYOUTS))
        )
    if delimiter is not None:
        delimiter = {"\\t": "\t", "tab": "\t"}.get(delimiter, delimiter)
        if len(delimiter) != 1:
            raise UsageProblem(
                tr("--delimiter {delimiter!r}: give one character", delimiter=delimiter)
            )
    if decimal is not None and decimal not in (".", ","):
        raise UsageProblem(tr("--decimal {decimal!r}: give '.' or ','", decimal=decimal))
    if bundle is not None and not bundle.exists():
        raise UsageProblem(tr("--bundle {bundle}: no such file or folder", bundle=bundle))
    if encoding is not None:
        import codecs

        try:
            codecs.lookup(encoding)
        except LookupError:
            raise UsageProblem(
                tr("--encoding {encoding!r}: unknown encoding", encoding=encoding)
            ) from None
    return ReadOptions(
        layout=layout,  # type: ignore[arg-type]
        bundle=bundle,
        delimiter=delimiter,
        decimal=decimal,
        encoding=encoding,
    )


def _summary(tables: dict[str, pd.DataFrame]) -> str:
    counts = [f"{name}={len(frame)}" for name, frame in tables.items() if len(frame)]
    return ", ".join(counts) if counts else "no rows"


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


@app.command()
def validate(
    paths: Annotated[list[Path], typer.Argument(help="Bundle folder, .xlsx, or layout files.")],
    layout: LayoutOption = None,
    bundle: BundleOption = None,
    delimiter: DelimiterOption = None,
    decimal: DecimalOption = None,
    encoding: EncodingOption = None,
    strict: Annotated[bool, typer.Option("--strict", help="Treat warnings as errors.")] = False,
    json: Annotated[bool, typer.Option("--json", help="One JSON document on stdout.")] = False,
) -> None:
    """Check a bundle and list every problem, located; never writes anything."""
    from palmares.io import read_tables

    options = read_options(layout, bundle, delimiter, decimal, encoding)
    tables: dict[str, pd.DataFrame] = {}
    try:
        tables, problems = read_tables(paths, options)
    except InvalidInput as error:
        problems = Problems(list(error.problems))
    errors, warnings = problems.errors, problems.warnings
    valid = not errors and not (strict and warnings)
    if json:
        print_json(
            {
                "valid": valid,
                "errors": [p.to_json() for p in errors],
                "warnings": [p.to_json() for p in warnings],
            }
        )
    else:
        for problem in sorted([*errors, *warnings], key=Problem.sort_key):
            err(problem.to_text())
        if valid:
            note = f" ({_plural(len(warnings), 'warning')})" if warnings else ""
            typer.echo(f"OK: {_summary(tables)}{note}")
        else:
            files = len({p.file for p in [*errors, *warnings]})
            typer.echo(
                f"{_plural(len(errors), 'error')}, {_plural(len(warnings), 'warning')} "
                f"in {_plural(files, 'file')}"
            )
    if not valid:
        raise typer.Exit(2)


@app.command()
def convert(
    paths: Annotated[
        list[Path], typer.Argument(help="Input(s) then the output path (SRC... DST).")
    ],
    layout: LayoutOption = None,
    to: Annotated[str, typer.Option("--to", help="Output layout: canonical, wide or coinr.")] = (
        "canonical"
    ),
    format: Annotated[
        str | None,
        typer.Option("--format", help="csv, parquet or xlsx (default: from DST, else csv)."),
    ] = None,
    bundle: BundleOption = None,
    delimiter: DelimiterOption = None,
    decimal: DecimalOption = None,
    encoding: EncodingOption = None,
    force: Annotated[bool, typer.Option("--force", help="Replace an existing DST.")] = False,
    json: Annotated[
        bool, typer.Option("--json", help="Print {written, layout, format, rows, warnings}.")
    ] = False,
) -> None:
    """Convert between formats and layouts; bad input leaves nothing behind."""
    from palmares.dataset import Dataset
    from palmares.io import read_tables, write_dataset
    from palmares.io.atomic import check_target

    if len(paths) < 2:
        raise UsageProblem(tr("convert needs SRC... DST: at least one input and the output path"))
    *sources, target = paths
    if to not in _LAYOUTS:
        raise UsageProblem(tr("--to {to!r}: give one of {names}", to=to, names=", ".join(_LAYOUTS)))
    if format is not None and format not in _FORMATS:
        raise UsageProblem(
            tr("--format {format!r}: give one of {names}", format=format, names=", ".join(_FORMATS))
        )
    check_target(target, force=force)
    options = read_options(layout, bundle, delimiter, decimal, encoding)
    tables, problems = read_tables(sources, options)
    problems.raise_if_errors()
    if not json:
        for warning in problems.warnings:
            err(warning.to_text())
    dataset = Dataset(tables)
    write_dataset(dataset, target, format=format, force=force, layout=to)  # type: ignore[arg-type]
    written = format or {".xlsx": "xlsx", ".parquet": "parquet"}.get(target.suffix.lower(), "csv")
    if json:
        print_json(
            {
                "written": str(target),
                "layout": to,
                "format": written,
                "rows": {name: len(frame) for name, frame in tables.items()},
                "warnings": [w.to_json() for w in problems.warnings],
            }
        )
        return
    typer.echo(f"wrote {target} ({to} {written}: {_summary(tables)})")
