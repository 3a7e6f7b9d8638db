"""``palmares history`` (one institution across editions) and ``palmares network`` (a network's
schools in one edition): thin commands over :mod:`palmares.history` and
:mod:`palmares.networks`."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from palmares.cli.app import app, data_path, print_json, print_table
from palmares.cli.options import LangOption, ViewOption
from palmares.problems import UsageProblem

DataOption = Annotated[
    Path | None, typer.Option("--data", help="Bundle folder or file (default $PALMARES_DATA).")
]
SystemOption = Annotated[
    str | None,
    typer.Option("--system", help="Preset id, methodology TOML or a folder of them."),
]
MethodOption = Annotated[
    str | None, typer.Option("--method", hidden=True, help="Alias of --system.")
]
JsonOption = Annotated[bool, typer.Option("--json", help="Print one JSON document on stdout.")]
SourceOption = Annotated[
    str,
    typer.Option(
        "--source",
        help="auto (published table where imported, else computed), computed or published.",
    ),
]

#: Columns of the text table of ``palmares history``.
HISTORY_COLUMNS = (
    "edition",
    "entity",
    "rank_display",
    "movement",
    "score",
    "band",
    "group",
    "top_percent",
    "national_rank",
    "regional_rank",
    "field_size",
    "streak",
    "movement_flags",
)


def _ref(system: str | None, method: str | None) -> str:
    if system and method and system != method:
        raise UsageProblem("give --system or --method, not both")
    ref = system or method
    if not ref:
        raise UsageProblem("give --system PRESET (or a methodology TOML with --method)")
    return ref


def _source(source: str) -> Any:
    if source not in ("auto", "computed", "published"):
        raise UsageProblem(f"--source {source!r}: expected auto, computed or published")
    return source


def _series(data: Path | None, ref: str, source: str, view: str = "published") -> Any:
    import palmares
    from palmares.history import EditionSeries

    dataset = palmares.load(data_path(data))
    try:
        return EditionSeries(dataset, ref, source=_source(source), view=view)  # type: ignore[arg-type]
    except ValueError as error:
        raise UsageProblem(str(error)) from None


@app.command()
def history(
    institution: Annotated[str, typer.Argument(help="Institution id, name or alias.")],
    data: DataOption = None,
    system: SystemOption = None,
    method: MethodOption = None,
    source: SourceOption = "auto",
    lang: LangOption = "",
    view: ViewOption = "published",
    as_json: JsonOption = False,
) -> None:
    """One institution across a system's editions: ranks, movements, bands, groups, streaks."""
    series = _series(data, _ref(system, method), source, view)
    hist = series.history(institution)
    if as_json:
        print_json(hist.to_json(lang))
        return
    frame = hist.to_frame(lang, missing=True)
    # Columns empty in every edition (no bands in a palmarès) say nothing.
    columns = [
        c
        for c in HISTORY_COLUMNS
        if c in frame and frame[c].map(lambda v: v not in (None, "", 0) and v == v).any()
    ]
    caption = (
        f"first edition of {hist.system}: {hist.system_first_edition}; "
        f"{hist.participation} participation(s), first in {hist.first_edition}"
    )
    unknown = [str(y) for y in hist.editions if not hist.row(y)["field_known"]]
    if unknown:
        # said once: a partial import gives no field size, share or first edition
        caption = (
            f"field size unknown in {', '.join(unknown)} (partial import); "
            f"{hist.participation} participation(s)"
        )
    print_table(frame[columns], f"{hist.name} ({hist.institution}) in {hist.system}", caption)


@app.command()
def network(
    network_id: Annotated[str, typer.Argument(metavar="NETWORK", help="Network id.")],
    data: DataOption = None,
    system: SystemOption = None,
    method: MethodOption = None,
    edition: Annotated[
        str, typer.Option("--edition", help="Edition year (default: the latest).")
    ] = "",
    source: SourceOption = "auto",
    lang: LangOption = "",
    view: ViewOption = "published",
    as_json: JsonOption = False,
) -> None:
    """A network's schools in one edition: ranked members, country field, entrants, movements."""
    from palmares.cli.rank import parse_edition
    from palmares.networks import network_summary

    series = _series(data, _ref(system, method), source, view)
    # No --edition: the latest edition of the system.
    year = parse_edition(edition) if edition else max(series.years, default=0)
    summary = network_summary(series, network_id, None, year, lang=lang)
    if as_json:
        print_json(summary.to_json())
        return
    rows = [
        {
            "rank": m.rank_display,
            "band": m.band,
            "institution": m.name,
            "country rank": m.national_rank,
            "network rank": m.network_rank,
            "first edition": m.first_edition,
            "since previous": m.status,
        }
        for m in summary.members_ranked
    ]
    fields = ", ".join(f"{c}: {n}" for c, n in summary.country_field.items()) or "none"
    caption = (
        f"{len(summary.members_ranked)} of {len(summary.members)} members ranked; "
        f"ranked per country: {fields}; new: {', '.join(summary.new_entrants) or 'none'}"
    )
    title = f"{summary.network_name or summary.network} in {summary.system} {summary.edition}"
    print_table(rows or [{"rank": ""}], title, caption)
