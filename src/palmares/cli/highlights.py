"""``palmares highlights`` (the facts of one institution in one edition, phrased) and
``palmares check`` (is a claim true?): thin commands over :mod:`palmares.highlights`."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from palmares.cli.app import app, print_json
from palmares.cli.options import LangOption, ViewOption
from palmares.cli.source import data_path
from palmares.problems import UsageProblem
from palmares.translatable import reason, tr

DataOption = Annotated[
    Path | None, typer.Option("--data", help="Bundle folder or file (default $PALMARES_DATA).")
]
SystemOption = Annotated[str, typer.Option("--system", help="Preset id or methodology TOML.")]
EditionOption = Annotated[
    str, typer.Option("--edition", help="Edition year (default: the latest).")
]
JsonOption = Annotated[bool, typer.Option("--json", help="Print one JSON document on stdout.")]


def _setup(
    data: Path | None, system: str, edition: str, institution: str, view: str = "published"
) -> tuple[Any, ...]:
    import palmares
    from palmares.cli.rank import parse_edition
    from palmares.history import EditionSeries
    from palmares.io import data_hash

    if not system:
        raise UsageProblem(tr("give --system PRESET"))
    dataset = palmares.load(data_path(data))
    try:
        series = EditionSeries(dataset, system, view=view)  # type: ignore[arg-type]
    except (ValueError, FileNotFoundError) as error:
        raise UsageProblem(
            tr("--system {ref}: {reason}", ref=system, reason=reason(error))
        ) from None
    # No --edition: the latest edition of the system.
    year = parse_edition(edition) if edition else max(series.years, default=0)
    if year not in series.years:
        known = ", ".join(map(str, series.years)) or tr("none")
        raise UsageProblem(
            tr(
                "--edition {year}: {system} has no such edition (editions: {years})",
                year=edition,
                system=series.system,
                years=known,
            )
        )
    ident = series.history(institution).institution
    return dataset, series, year, ident, data_hash(dataset)


@app.command()
def highlights(
    institution: Annotated[str, typer.Argument(help="Institution id, name or alias.")],
    data: DataOption = None,
    system: SystemOption = "",
    edition: EditionOption = "",
    lang: LangOption = "",
    view: ViewOption = "published",
    as_json: JsonOption = False,
    uncertainty: Annotated[
        Path | None,
        typer.Option(
            "--uncertainty",
            help="Add rank-interval facts: a file of palmares uncertainty --out, or `kept` "
            "for the newest run the store keeps for the edition (palmares uncertainty --db).",
        ),
    ] = None,
    robust: Annotated[
        float, typer.Option("--robust", help="P(move keeps its direction) called robust.")
    ] = 0.95,
) -> None:
    """The facts of one institution in one edition, most newsworthy first, with their numbers."""
    from palmares.highlights import facts, render_all

    if not 0 < robust <= 1:
        raise UsageProblem(bad_robust(robust))
    dataset, series, year, ident, digest = _setup(data, system, edition, institution, view)
    found = facts(series, ident, year, data_hash=digest)
    if uncertainty is not None:
        found = _with_intervals(found, series, ident, year, uncertainty, digest, robust)
    texts = render_all(found, dataset, lang)
    if as_json:
        print_json([f.to_json(lang, t) for f, t in zip(found, texts, strict=True)])
        return
    for text in texts:
        typer.echo(f"- {text}")


def _with_intervals(
    found: Any, series: Any, ident: str, year: int, path: Path, digest: str, robust: float
) -> Any:
    from palmares.highlights.uncertainty import with_uncertainty
    from palmares.uncertainty.intervals import read_intervals

    if not 0 < robust <= 1:
        raise UsageProblem(bad_robust(robust))
    try:
        if str(path) == KEPT and not path.exists():
            intervals = _kept_intervals(series, year)
        else:
            intervals = read_intervals(path)
        return with_uncertainty(
            found, series, ident, year, intervals, data_hash=digest, robust=robust
        )
    except ValueError as error:  # IntervalsError: not a table of this edition
        raise UsageProblem(
            tr("--uncertainty {path}: {reason}", path=path, reason=reason(error))
        ) from None


def bad_robust(robust: float) -> Any:
    return tr("--robust {robust}: expected a probability in (0, 1]", robust=robust)


#: ``--uncertainty kept``: the newest uncertainty run the store keeps for the edition.
KEPT = "kept"


def _kept_intervals(series: Any, year: int) -> Any:
    from palmares.result_store import store_of
    from palmares.uncertainty.kept import newest_run

    url = store_of(series.dataset)
    if url is None:
        raise UsageProblem(
            tr("--uncertainty kept reads a store (--db): give a file of palmares uncertainty --out")
        )
    result = series.result(year)
    found = (
        None if result is None else newest_run(url, series.system, year, result.methodology_hash)
    )
    if found is None:
        raise UsageProblem(
            tr(
                "--uncertainty kept: the store keeps no uncertainty run of {system} {year} "
                "for this methodology and data; run `palmares uncertainty --system {system} "
                "--edition {year} --draws N --db {url}` first",
                system=series.system,
                year=year,
                url=url,
            )
        )
    return found.intervals()


@app.command()
def check(
    institution: Annotated[str, typer.Argument(help="Institution id, name or alias.")],
    data: DataOption = None,
    system: SystemOption = "",
    edition: EditionOption = "",
    claim: Annotated[str, typer.Option("--claim", help="KIND=VALUE, e.g. percentile=15.")] = "",
    lang: LangOption = "",
    as_json: JsonOption = False,
) -> None:
    """Whether a claim (KIND=VALUE) holds, with the proof and the correct phrasing."""
    from palmares.highlights import check as check_claim
    from palmares.highlights import parse_claim

    if not claim:
        raise UsageProblem(tr("give --claim KIND=VALUE"))
    try:
        parse_claim(claim)
    except ValueError as error:
        raise UsageProblem(reason(error)) from None
    _, series, year, ident, digest = _setup(data, system, edition, institution)
    try:
        verdict = check_claim(series, ident, year, claim, data_hash=digest, lang=lang)
    except ValueError as error:
        raise UsageProblem(reason(error)) from None
    if as_json:
        print_json(verdict.to_json())
        return
    from palmares.i18n import gettext

    said = gettext(lang, "true") if verdict.holds else gettext(lang, "false")
    typer.echo(gettext(lang, "{claim}: {verdict}", claim=claim, verdict=said))
    typer.echo(gettext(lang, "proof: {proof}", proof=verdict.proof))
    typer.echo(gettext(lang, "in French: {text}", text=verdict.correct_text_fr))
    typer.echo(gettext(lang, "in English: {text}", text=verdict.correct_text_en))
