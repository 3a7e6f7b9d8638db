"""``palmares communique``: a press-release draft (Markdown) from highlight facts, with optional
charts; a thin command over :mod:`palmares.highlights.communique`."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from palmares.cli.app import app, print_json
from palmares.cli.options import LangOption, ViewOption
from palmares.cli.source import data_path
from palmares.problems import UsageProblem
from palmares.translatable import reason, tr


@app.command()
def communique(
    institution: Annotated[str, typer.Argument(help="Institution id, name or alias.")],
    out: Annotated[Path, typer.Option("--out", help="FILE.md to write.")],
    data: Annotated[
        Path | None, typer.Option("--data", help="Bundle folder or file (default $PALMARES_DATA).")
    ] = None,
    edition: Annotated[
        str, typer.Option("--edition", help="Edition year (default: the latest).")
    ] = "",
    system: Annotated[
        list[str] | None,
        typer.Option(
            "--system",
            help="Preset id or methodology TOML; repeat for several "
            "(default: every system ranking the institution in that edition).",
        ),
    ] = None,
    lang: LangOption = "",
    view: ViewOption = "published",
    charts: Annotated[
        bool,
        typer.Option("--charts", help="Write the charts as PNG next to FILE.md and embed them."),
    ] = False,
    force: Annotated[bool, typer.Option("--force", help="Replace existing outputs.")] = False,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print {out, headline, facts, unaccounted, ...}.")
    ] = False,
) -> None:
    """A press-release draft whose every number comes from the institution's highlight facts."""
    import palmares
    from palmares.cli.rank import latest_edition, parse_edition
    from palmares.highlights.communique import communique as build
    from palmares.highlights.communique import write_communique
    from palmares.io.atomic import check_target

    if out.suffix.lower() not in (".md", ".markdown"):
        raise UsageProblem(tr("--out {out}: give a Markdown file (FILE.md)", out=out))
    if edition:
        parse_edition(edition)  # a malformed year is refused before the data is read
    check_target(out, force=force)
    dataset = palmares.load(data_path(data))
    year = parse_edition(edition) if edition else latest_edition(dataset, system or [])
    try:
        draft = build(
            dataset,
            institution,
            year,
            systems=system or None,
            lang=lang,
            charts_dir=out.parent if charts else None,
            chart_prefix=f"{out.stem}-",
            force=force,
            view=view,
        )
    except ValueError as error:
        raise UsageProblem(reason(error)) from None
    write_communique(draft, out, force=force)
    if as_json:
        print_json(draft.to_json(out))
        return
    typer.echo(str(out))
    for chart in draft.charts:
        typer.echo(str(chart.path))
