"""``palmares chart trajectory|grades|sdg|compare|uncertainty``: write a chart as PNG, SVG or
offline HTML."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from palmares.cli.app import app, print_json
from palmares.cli.options import LangOption, ViewOption, method_ref
from palmares.cli.source import data_path
from palmares.problems import UsageProblem
from palmares.translatable import reason, tr, tr_n

chart_app = typer.Typer(
    name="chart",
    help="Charts: rank trajectory, grade sunburst, SDG profile, compare, rank uncertainty.",
    no_args_is_help=True,
)
app.add_typer(chart_app, name="chart")

InstitutionsArg = Annotated[list[str], typer.Argument(help="Institution ids, names or aliases.")]
DataOption = Annotated[
    Path | None, typer.Option("--data", help="Bundle folder or file (default $PALMARES_DATA).")
]
SystemOption = Annotated[str, typer.Option("--system", help="Preset id or methodology TOML.")]
EditionOption = Annotated[
    str, typer.Option("--edition", help="Edition year (default: the latest).")
]
OutOption = Annotated[Path, typer.Option("--out", help="FILE.png, FILE.svg or FILE.html.")]
ForceOption = Annotated[bool, typer.Option("--force", help="Replace an existing output.")]
JsonOption = Annotated[
    bool, typer.Option("--json", help="Print {out, format} of the chart written.")
]


def _context(
    data: Path | None, system: str, lang: str, out: Path, force: bool, view: str = "published"
) -> Any:
    import palmares
    from palmares.charts.render import chart_format
    from palmares.history import EditionSeries
    from palmares.io.atomic import check_target

    if not system:
        raise UsageProblem(tr("give --system PRESET (or a methodology TOML)"))
    chart_format(out)
    check_target(out, force=force)
    dataset = palmares.load(data_path(data))
    try:
        return dataset, EditionSeries(dataset, system, view=view)  # type: ignore[arg-type]
    except (ValueError, FileNotFoundError) as error:
        raise UsageProblem(
            tr("--system {ref}: {reason}", ref=system, reason=reason(error))
        ) from None


def _result(series: Any, edition: str) -> Any:
    from palmares.cli.rank import parse_edition

    year = parse_edition(edition) if edition else max(series.years)
    if year not in series.years:
        raise UsageProblem(no_such_edition(year, series))
    result = series.result(year)
    if result is None:
        raise UsageProblem(
            tr(
                "--edition {year}: no computed result for {system}",
                year=year,
                system=series.system,
            )
        )
    return result


def _one(institutions: list[str]) -> str:
    if len(institutions) != 1:
        raise UsageProblem(
            tr_n(
                "give one institution, got {n}",
                "give one institution, got {n}",
                len(institutions),
            )
        )
    return institutions[0]


def no_such_edition(year: int, series: Any) -> Any:
    """``--edition YEAR: SYSTEM has no such edition (YEARS)``."""
    return tr(
        "--edition {year}: {system} has no such edition ({years})",
        year=year,
        system=series.system,
        years=", ".join(map(str, series.years)),
    )


def _write(chart: Any, out: Path, force: bool, as_json: bool) -> None:
    from palmares.charts.render import chart_format, save_chart

    save_chart(chart, out, force=force)
    if as_json:
        print_json({"out": str(out), "format": chart_format(out)})
        return
    typer.echo(str(out))


@chart_app.command()
def trajectory(
    institutions: InstitutionsArg,
    out: OutOption,
    data: DataOption = None,
    system: SystemOption = "",
    edition: EditionOption = "",
    lang: LangOption = "",
    view: ViewOption = "published",
    force: ForceOption = False,
    as_json: JsonOption = False,
) -> None:
    """Rank by edition for one or several institutions (bands, ties, methodology changes);
    the trajectory stops at --edition. A system printing no overall rank: A counts."""
    from palmares.charts.trajectory import trajectory_chart
    from palmares.cli.rank import parse_edition

    dataset, series = _context(data, system, lang, out, force, view)
    year = parse_edition(edition) if edition else None
    if year is not None and year not in series.years:
        raise UsageProblem(no_such_edition(year, series))
    ids = [dataset.resolve(i) for i in institutions]
    _write(trajectory_chart(series, ids, lang=lang, edition=year), out, force, as_json)


@chart_app.command()
def grades(
    institutions: InstitutionsArg,
    out: OutOption,
    data: DataOption = None,
    system: SystemOption = "",
    edition: EditionOption = "",
    lang: LangOption = "",
    view: ViewOption = "published",
    force: ForceOption = False,
    as_json: JsonOption = False,
) -> None:
    """Grade sunburst of one institution (a graded system such as u-multirank)."""
    from palmares.charts.grades import grades_chart
    from palmares.charts.text import node_labels

    dataset, series = _context(data, system, lang, out, force, view)
    result = _result(series, edition)
    try:
        chart = grades_chart(
            result,
            dataset.resolve(_one(institutions)),
            node_labels(dataset.indicators, lang),
            lang=lang,
            view=view,
        )
    except ValueError as error:
        raise UsageProblem(reason(error)) from None
    _write(chart, out, force, as_json)


@chart_app.command()
def sdg(
    institutions: InstitutionsArg,
    out: OutOption,
    data: DataOption = None,
    system: SystemOption = "",
    edition: EditionOption = "",
    lang: LangOption = "",
    view: ViewOption = "published",
    force: ForceOption = False,
    as_json: JsonOption = False,
) -> None:
    """Per-SDG scores and bands of one institution (the-impact), counted SDGs highlighted."""
    from palmares.charts.sdg import sdg_chart
    from palmares.charts.text import node_labels

    dataset, series = _context(data, system, lang, out, force, view)
    result = _result(series, edition)
    chart = sdg_chart(
        result,
        dataset.resolve(_one(institutions)),
        node_labels(dataset.indicators, lang),
        lang=lang,
        view=view,
    )
    _write(chart, out, force, as_json)


@chart_app.command()
def compare(
    institutions: InstitutionsArg,
    out: OutOption,
    data: DataOption = None,
    system: SystemOption = "",
    edition: EditionOption = "",
    lang: LangOption = "",
    view: ViewOption = "published",
    force: ForceOption = False,
    as_json: JsonOption = False,
) -> None:
    """Two to four institutions side by side on one system and edition."""
    from palmares.charts.compare import compare_chart
    from palmares.charts.text import node_labels

    dataset, series = _context(data, system, lang, out, force, view)
    result = _result(series, edition)
    ids = [dataset.resolve(i) for i in institutions]
    try:
        labels = node_labels(dataset.indicators, lang)
        chart = compare_chart(result, ids, labels, lang=lang, view=view)
    except ValueError as error:
        raise UsageProblem(reason(error)) from None
    _write(chart, out, force, as_json)


@chart_app.command("uncertainty")
def uncertainty_command(
    out: OutOption,
    institutions: Annotated[
        list[str] | None,
        typer.Argument(help="Institutions to show besides the top N (ids, names or aliases)."),
    ] = None,
    data: DataOption = None,
    method: Annotated[
        str | None, typer.Option("--method", hidden=True, help="Alias of --system.")
    ] = None,
    system: Annotated[
        str | None, typer.Option("--system", help="Preset id or methodology TOML file.")
    ] = None,
    edition: EditionOption = "",
    intervals: Annotated[
        Path | None,
        typer.Option("--intervals", help="FILE.parquet from palmares uncertainty --out."),
    ] = None,
    draws: Annotated[
        int, typer.Option("--draws", help="Draws to compute when no --intervals is given.")
    ] = 1000,
    seed: Annotated[int, typer.Option("--seed", help="Seed of the draws (no --intervals).")] = 0,
    spec: Annotated[
        Path | None, typer.Option("--spec", help="Uncertainty spec TOML (no --intervals).")
    ] = None,
    top: Annotated[int, typer.Option("--top", help="Show the institutions ranked <= N.")] = 20,
    lang: LangOption = "",
    view: ViewOption = "published",
    force: ForceOption = False,
    as_json: JsonOption = False,
) -> None:
    """Nominal rank against its Monte Carlo interval (q05-q95) and median, top N + named."""
    import dataclasses

    import palmares
    from palmares.charts.render import chart_format
    from palmares.charts.text import system_name
    from palmares.charts.uncertainty import uncertainty_chart
    from palmares.cli.rank import edition_of, parse_edition
    from palmares.io.atomic import check_target
    from palmares.result_store import run_or_reuse as run  # the engine, or a kept table
    from palmares.uncertainty.intervals import IntervalsError, intervals_of, read_intervals

    if top < 1:
        raise UsageProblem(tr("--top {top}: give a number of rows of at least 1", top=top))
    ref = method_ref(method, system)
    if edition:
        parse_edition(edition)  # a malformed year is refused before the data is read
    chart_format(out)
    check_target(out, force=force)
    dataset = palmares.load(data_path(data))
    year = edition_of(edition, dataset, ref)
    ids = [dataset.resolve(i) for i in institutions or []]
    try:
        if intervals is not None:
            found = read_intervals(intervals)
            nominal = run(dataset, ref, year)
            found.check_ranks(nominal.institutions, nominal.ranking.rank, f"{ref} {year}")
            found = dataclasses.replace(found, system=nominal.system, edition=year)
        else:
            from palmares.cli.uncertainty import loaded_spec
            from palmares.uncertainty import uncertainty
            from palmares.uncertainty.monte_carlo import stderr_progress

            if draws < 1:
                raise UsageProblem(tr("--draws must be >= 1"))
            done = uncertainty(
                dataset,
                ref,
                year,
                draws,
                seed=seed,
                spec=loaded_spec(spec),
                progress=stderr_progress,
            )
            found = intervals_of(done)
        # The title names the methodology ranked, in the chosen language (never an id).
        ranked = nominal if intervals is not None else done.nominal
        label = system_name(ranked.methodology, lang)
        chart = uncertainty_chart(
            dataclasses.replace(found, system=label),
            ids,
            top=top,
            lang=lang,
            view=view,
            nominal=ranked,  # the published band beside each interval
        )
    except (IntervalsError, ValueError) as error:
        raise UsageProblem(reason(error)) from None
    _write(chart, out, force, as_json)
