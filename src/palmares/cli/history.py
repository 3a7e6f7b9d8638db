"""``palmares history`` (one institution across editions) and ``palmares network`` (a network's
schools in one edition): thin commands over :mod:`palmares.history` and
:mod:`palmares.networks`."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from palmares.cli.app import app, print_json, print_table
from palmares.cli.names import system_name
from palmares.cli.options import LangOption, ViewOption
from palmares.cli.source import data_path
from palmares.i18n import country_name, gettext, ngettext, pgettext
from palmares.lang import format_int, rank_label
from palmares.problems import UsageProblem
from palmares.translatable import reason, tr


def N_(message: str) -> str:
    """Mark ``message`` for the catalogue; it is translated where it is shown."""
    return message


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


#: Header of each column of ``palmares history`` (English message ids of the catalogue).
HISTORY_HEADERS: dict[str, str] = {
    "edition": N_("Edition"),
    "entity": N_("Entity"),
    "rank_display": N_("Rank"),
    "movement": N_("Movement"),
    "score": N_("Score"),
    "band": N_("Band"),
    "group": N_("Group"),
    "top_percent": N_("Top %"),
    "national_rank": N_("National rank"),
    "regional_rank": N_("Regional rank"),
    "field_size": N_("Field size"),
    "streak": N_("Streak"),
    "movement_flags": N_("Flags"),
}
#: Words for the flags of a movement (a change of methodology, scale, source, lineage...).
FLAGS: dict[str, str] = {
    "methodology": N_("methodology"),
    "scale": N_("scale"),
    "source": N_("source"),
    "absent": N_("absent"),
    "banded": N_("banded"),
    "rename": N_("rename"),
    "merger": N_("merger"),
    "split": N_("split"),
}
#: What a network member did since the previous edition.
STATUSES: dict[str, str] = {
    "improved": N_("improved"),
    "declined": N_("declined"),
    "kept": N_("kept"),
    "new": N_("new"),
    "present": N_("present"),
    "returned": N_("returned"),
}


def _flags(text: Any, lang: str) -> Any:
    """ "methodology,scale" -> "méthodologie, barème" in French (unknown flags as they are)."""
    if not isinstance(text, str) or not text:
        return text
    return ", ".join(
        pgettext(lang, "movement flag", FLAGS[f]) if f in FLAGS else f for f in text.split(",")
    )


def _count(value: Any, lang: str) -> Any:
    """A whole count in the language's style; a blank (unknown) stays blank."""
    if value is None or value != value or isinstance(value, bool):
        return value
    try:
        return format_int(int(value), lang) if int(value) == value else value
    except (TypeError, ValueError):
        return value


def _ref(system: str | None, method: str | None) -> str:
    if system and method and system != method:
        raise UsageProblem(tr("give --system or --method, not both"))
    ref = system or method
    if not ref:
        raise UsageProblem(tr("give --system PRESET (or a methodology TOML with --method)"))
    return ref


def _source(source: str) -> Any:
    if source not in ("auto", "computed", "published"):
        raise UsageProblem(
            tr("--source {source!r}: expected auto, computed or published", source=source)
        )
    return source


def _series(data: Path | None, ref: str, source: str, view: str = "published") -> Any:
    import palmares
    from palmares.history import EditionSeries

    dataset = palmares.load(data_path(data))
    try:
        return EditionSeries(dataset, ref, source=_source(source), view=view)  # type: ignore[arg-type]
    except ValueError as error:
        raise UsageProblem(reason(error)) from None


def history_table(series: Any, hist: Any, lang: str, frame: Any = None) -> tuple[Any, str, str]:
    """The table of ``palmares history`` in ``lang``: (rows under translated headers, title,
    caption). ``frame`` defaults to the history's rows in ``lang``."""
    if frame is None:
        frame = hist.to_frame(lang, missing=True)
    frame = frame.copy()
    from palmares.published_view import score_ranges_as_text

    score_ranges_as_text(frame, lang)
    # Columns empty in every edition (no bands in a palmarès) say nothing.
    columns = [
        c
        for c in HISTORY_COLUMNS
        if c in frame and frame[c].map(lambda v: v not in (None, "", 0) and v == v).any()
    ]
    if "movement_flags" in frame:
        frame["movement_flags"] = frame["movement_flags"].map(lambda v: _flags(v, lang))
    if "field_size" in frame:  # a count: "1 115" (U+202F) in French, "1,115" in English
        frame["field_size"] = frame["field_size"].map(lambda v: _count(v, lang))
    name = system_name(series, lang)
    participations = ngettext(
        lang,
        "{count} participation",
        "{count} participations",
        hist.participation,
        count=format_int(hist.participation, lang),
    )
    caption = gettext(
        lang,
        "first edition of {system}: {first_edition}; {participations}, first in {first}",
        system=name,
        first_edition=hist.system_first_edition,
        participations=participations,
        first=hist.first_edition,
    )
    unknown = [str(y) for y in hist.editions if not hist.row(y)["field_known"]]
    if unknown:
        # said once: a partial import gives no field size, share or first edition
        caption = gettext(
            lang,
            "field size unknown in {editions} (partial import); {participations}",
            editions=", ".join(unknown),
            participations=participations,
        )
    headers = {c: gettext(lang, HISTORY_HEADERS[c]) for c in columns}
    if any(series._graded(y) for y in hist.editions):
        # A system ranked on counts of grades (U-Multirank) has no score: the count, named.
        headers["score"] = gettext(lang, "A grades")
    title = gettext(
        lang, "{name} ({id}) in {system}", name=hist.name, id=hist.institution, system=name
    )
    return frame[columns].rename(columns=headers), title, caption


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
    table, title, caption = history_table(series, hist, lang)
    print_table(table, title, caption, lang=lang)


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
    # A rank shared with others (a band's members, a tie) reads "6e ex aequo" (section 6); the
    # band column is shown only where it says more than the rank column.
    banded = any(m.band and m.band != m.rank_display for m in summary.members_ranked)
    rows = [
        {
            gettext(lang, "Rank"): m.rank_display,
            **({gettext(lang, "Band"): m.band} if banded else {}),
            gettext(lang, "Institution"): m.name,
            gettext(lang, "National rank"): rank_label(
                m.national_rank, m.national_rank_worst - m.national_rank + 1, "ex-aequo", lang
            ),
            gettext(lang, "Network rank"): rank_label(
                m.network_rank, m.network_rank_worst - m.network_rank + 1, "ex-aequo", lang
            ),
            gettext(lang, "First edition"): m.first_edition,
            gettext(lang, "Since the previous edition"): (
                pgettext(lang, "network member", STATUSES[m.status])
                if m.status in STATUSES
                else m.status
            ),
        }
        for m in summary.members_ranked
    ]
    none = gettext(lang, "none")
    fields = ", ".join(
        gettext(
            lang, "{country}: {count}", country=country_name(c, lang), count=format_int(n, lang)
        )
        for c, n in summary.country_field.items()
    )
    names = {m.institution: m.name for m in summary.members_ranked}
    caption = gettext(
        lang,
        "{ranked} of {members} members ranked; ranked per country: {fields}; new: {new}",
        ranked=format_int(len(summary.members_ranked), lang),
        members=format_int(len(summary.members), lang),
        fields=fields or none,
        new=", ".join(names.get(i, i) for i in summary.new_entrants) or none,
    )
    title = gettext(
        lang,
        "{network} in {system} {edition}",
        network=summary.network_name or summary.network,
        system=system_name(series, lang),
        edition=summary.edition,
    )
    print_table(rows or [{gettext(lang, "Rank"): ""}], title, caption, lang=lang)
