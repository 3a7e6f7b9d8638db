"""Commands that run a methodology: ``rank`` (with personalisation) and ``explain``."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from palmares.cli.app import app, print_json, print_table
from palmares.cli.names import methodology_name, node_labels
from palmares.cli.options import (
    LangOption,
    TopOption,
    ViewOption,
    check_choice,
    list_values,
    method_ref,
    unknown,
)
from palmares.cli.source import data_path
from palmares.i18n import gettext, ngettext, pgettext
from palmares.lang import format_int, format_significant
from palmares.problems import UsageProblem
from palmares.translatable import joined, reason, tr

DataOption = Annotated[
    Path | None, typer.Option("--data", help="Bundle folder or file (default $PALMARES_DATA).")
]
MethodOption = Annotated[
    str | None, typer.Option("--method", hidden=True, help="Alias of --system.")
]
SystemOption = Annotated[
    str | None,
    typer.Option("--system", help="Preset id (PRESET or PRESET@YEAR) or methodology TOML file."),
]
EditionOption = Annotated[
    str,
    typer.Option(
        "--edition",
        help="Edition year (2011 or 2010-11 for the 2010-11 table; default: the latest).",
    ),
]
JsonOption = Annotated[bool, typer.Option("--json", help="Print one JSON document on stdout.")]
SeedOption = Annotated[int, typer.Option("--seed", help="Seed recorded in the result.")]


def parse_edition(text: str) -> int:
    """``2011`` or the two-year name ``2010-11`` / ``2010-2011`` (the later year)."""
    text = text.strip()
    if text.isdigit() and len(text) == 4:
        return int(text)
    if "-" in text:
        first, second = text.split("-", 1)
        if first.isdigit() and len(first) == 4 and second.isdigit() and len(second) in (2, 4):
            later = int(second) if len(second) == 4 else int(first[:2] + second)
            if later == int(first) + 1:
                return later
    raise UsageProblem(tr("--edition {year!r}: give a year such as 2023 (or 2010-11)", year=text))


def _pairs(items: list[str], option: str) -> dict[str, str]:
    out: dict[str, str] = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key or not value:
            raise UsageProblem(
                tr("{option} {item!r}: expected KEY=VALUE", option=option, item=item)
            )
        out[key.strip()] = value.strip()
    return out


def _weights(items: list[str]) -> dict[str, float]:
    out: dict[str, float] = {}
    for key, value in _pairs(items, "--weight").items():
        try:
            out[key] = float(value)
        except ValueError:
            raise UsageProblem(
                tr("--weight {key}={value!r}: the weight is not a number", key=key, value=value)
            ) from None
    return out


def compute(data: Path | None, ref: str, edition: int, seed: int, dataset: Any = None) -> Any:
    """Load the bundle and run the methodology (the library call every command shares)."""
    import palmares
    from palmares.result_store import run_or_reuse as run  # the engine, or a kept table

    if dataset is None:
        dataset = palmares.load(data_path(data))
    try:
        return run(dataset, ref, edition, seed=seed)
    except (KeyError, FileNotFoundError) as error:
        raise UsageProblem(
            tr(
                "--edition {edition} / --method {ref}: {reason}",
                edition=edition,
                ref=ref,
                reason=_message(error),
            )
        ) from None


def edition_of(edition: str, dataset: Any, ref: str) -> int:
    """``--edition``, else the latest edition the data has of the methodology's system."""
    if edition:
        return parse_edition(edition)
    return latest_edition(dataset, [ref])


def _systems_of(ref: str) -> set[str]:
    """The systems a ``--system`` names: a preset, a methodology file, or a folder of them."""
    from palmares.methodology import load_methodology
    from palmares.plan import resolve

    try:
        if Path(ref).is_dir():
            return {load_methodology(f).system for f in sorted(Path(ref).glob("*.toml"))}
        return {resolve(ref, None).system}
    except (LookupError, FileNotFoundError) as error:
        raise UsageProblem(
            tr("--system {ref}: {reason}", ref=ref, reason=_message(error))
        ) from None


def latest_edition(dataset: Any, refs: list[str]) -> int:
    """The latest edition the data has of the systems ``refs`` name, of any system when none."""
    editions = dataset.editions
    systems = {system for ref in refs for system in _systems_of(ref)}
    if systems:
        editions = editions.loc[editions["system"].isin(sorted(systems))]
    years = editions["year"].dropna().astype(int).tolist()
    if not years:
        if systems:
            raise UsageProblem(
                tr(
                    "give --edition YEAR (the data has no edition of {systems})",
                    systems=", ".join(sorted(systems)),
                )
            )
        raise UsageProblem(tr("give --edition YEAR (the data has no edition)"))
    return int(max(years))


def _message(error: BaseException) -> str:
    """What ``error`` says (a translatable sentence stays translatable)."""
    said = reason(error)
    return said if isinstance(said, str) else str(said)


OUT_FORMATS = (".csv", ".json", ".parquet", ".xlsx")


def check_out(out: Path | None, force: bool) -> None:
    """``--out``: a file with a known extension, not a folder, not existing unless --force."""
    if out is None:
        return
    if out.is_dir():
        raise UsageProblem(
            tr(
                "--out {out}: is a folder; give a file ending in {formats}",
                out=out,
                formats=", ".join(OUT_FORMATS),
            )
        )
    if out.suffix.lower() not in OUT_FORMATS:
        raise UsageProblem(
            unknown(
                "--out",
                out.suffix or str(out),
                OUT_FORMATS,
                tr("unknown output format (extension)"),
            )
        )
    if out.exists() and not force:
        raise UsageProblem(tr("--out {out}: exists; pass --force to replace it", out=out))
    if not out.parent.exists():
        raise UsageProblem(
            tr("--out {out}: the folder {folder} does not exist", out=out, folder=out.parent)
        )


def _values(dataset: Any, column: str) -> list[str]:
    inst = dataset.institutions
    if column not in inst:
        return []
    return sorted({str(v) for v in inst[column].dropna().tolist() if str(v)})


def check_filters(
    dataset: Any, country: str | None, region: str | None, where: dict[str, Any]
) -> dict[str, Any]:
    """Peer filters with every value known to the bundle (case-insensitive codes), else exit 2
    naming the valid or closest values; every problem at once."""
    problems: list[str] = []
    filters: dict[str, Any] = {}
    for option, column, value in (
        ("--country", "country", country),
        ("--region", "region_code", region),
    ):
        what = tr("unknown country") if column == "country" else tr("unknown region code")
        if not value:
            continue
        known = _values(dataset, column)
        match = {k.upper(): k for k in known}.get(value.strip().upper())
        if match is None:
            problems.append(unknown(option, value, known, what))
        else:
            filters[column] = match
    attributes = [
        c for c in dataset.institutions.columns if c not in ("id", "name", "name_en", "name_fr")
    ]
    for key, value in where.items():
        if key not in attributes:
            problems.append(unknown("--where", key, attributes, tr("unknown attribute")))
            continue
        known = _values(dataset, key)
        wanted = [v.strip() for v in str(value).split(",")]
        missing = [v for v in wanted if v not in known]
        if missing:
            problems.extend(
                unknown("--where", f"{key}={v}", known, tr("unknown value of {key}", key=key))
                for v in missing
            )
        else:
            filters[key] = value
    if problems:
        raise UsageProblem(joined("\n", problems))
    return filters


def check_network(dataset: Any, network: str | None) -> None:
    if network:
        known = sorted(set(dataset.networks["network"].dropna().astype(str)))
        check_choice("--network", network, known, tr("unknown network"))


def check_criteria(result: Any, chosen: list[str] | None, weights: dict[str, float]) -> None:
    nodes = [n for n in result.tree.ids if n != result.tree.roots[0]]
    problems = [
        unknown("--criteria", c, nodes, tr("unknown criterion"))
        for c in chosen or []
        if c not in nodes
    ]
    problems += [
        unknown("--weight", k, nodes, tr("unknown criterion")) for k in weights if k not in nodes
    ]
    if problems:
        raise UsageProblem(joined("\n", problems))


@app.command()
def rank(
    data: DataOption = None,
    method: MethodOption = None,
    system: SystemOption = None,
    edition: EditionOption = "",
    country: Annotated[
        str | None, typer.Option("--country", help="Rank among one country (ISO alpha-2).")
    ] = None,
    region: Annotated[
        str | None, typer.Option("--region", help="Rank among one region (ISO 3166-2).")
    ] = None,
    network: Annotated[str | None, typer.Option("--network", help="Rank inside a network.")] = None,
    where: Annotated[
        list[str] | None, typer.Option("--where", help="Peer filter KEY=VALUE (repeatable).")
    ] = None,
    criteria: Annotated[
        list[str] | None,
        typer.Option(
            "--criteria", help="A node id to rank on (repeatable; A,B is read as A and B)."
        ),
    ] = None,
    weight: Annotated[
        list[str] | None, typer.Option("--weight", help="New weight ID=W (repeatable).")
    ] = None,
    top: TopOption = None,
    out: Annotated[
        Path | None, typer.Option("--out", help="Write the table (.csv .json .parquet .xlsx).")
    ] = None,
    force: Annotated[bool, typer.Option("--force", help="Replace an existing --out.")] = False,
    lang: LangOption = "",
    view: ViewOption = "published",
    seed: SeedOption = 0,
    as_json: JsonOption = False,
) -> None:
    """Rank an edition with a methodology; re-rank on chosen criteria, weights and peers."""
    import json

    import palmares
    from palmares.published_view import viewed

    if edition:
        parse_edition(edition)  # a malformed year is refused before the data is read
    check_out(out, force)
    ref = method_ref(method, system)
    dataset = palmares.load(data_path(data))
    year = edition_of(edition, dataset, ref)
    filters = check_filters(dataset, country, region, _pairs(where or [], "--where"))
    check_network(dataset, network)
    chosen = list_values(criteria) or None
    new_weights = _weights(weight or [])
    result = compute(data, ref, year, seed, dataset)
    check_criteria(result, chosen, new_weights)
    personalised = bool(chosen or new_weights or filters or network)
    if personalised:
        try:
            result = result.personalise(chosen, new_weights, filters, network=network)
        except (ValueError, KeyError) as error:
            raise UsageProblem(_message(error)) from None
    frame = result.to_frame(lang, nodes=False)
    frame = frame[frame["rank"] > 0] if personalised else frame
    if personalised and frame.empty:
        raise UsageProblem(
            tr("no institution of the edition passes these filters (nothing ranked)")
        )
    # Personalised rankings are palmares' own computation: ranks, labelled (contracts 12).
    if not personalised:
        frame = viewed(result, frame, view)
    shown = frame.head(top) if top else frame
    statement = result.personalisation.describe() if result.personalisation is not None else ""
    if out is not None:
        try:
            from palmares.workbook import node_labels

            labels = node_labels(dataset.indicators, lang)
            written_view = "producer" if personalised else view
            result.write(out, lang=lang, force=force, view=written_view, labels=labels)
        except (OSError, ValueError) as error:
            raise UsageProblem(
                tr("--out {out}: {reason}", out=out, reason=_message(error))
            ) from None
    if as_json:
        document = {**result.meta, "field_size": result.field_size}
        document["view"] = "producer" if personalised else view
        document["results"] = json.loads(shown.to_json(orient="records", double_precision=15))
        document["personalisation"] = statement or None
        print_json(document)
        return
    if "score_lo" in shown:  # a banded row's score as the publisher prints it: a range
        from palmares.published_view import score_ranges_as_text

        shown = shown.copy()
        score_ranges_as_text(shown, lang)
    columns = ["rank_display", "name", "country", "score", "grades_A", "band", "group"]
    columns = [c for c in columns if c in shown and shown[c].astype(str).str.len().gt(0).any()]
    if "rank_display" in columns and shown["rank_display"].isna().all():
        columns.remove("rank_display")
    if result.methodology.ranking.by == "grade_counts":
        columns = [c for c in columns if c != "score"]
    if view == "published" and not personalised:
        columns = [c for c in columns if c != "band"]  # the rank column shows the band
    described = result.methodology.methodology
    label = getattr(described, f"label_{lang}", None) or described.label_en
    title = f"{label} {result.edition}"
    if view == "producer" or personalised:
        title += " - " + gettext(lang, "computed by palmares (producer view)")
    caption = gettext(
        lang,
        "{ranked}; methodology {methodology}, data {data}",
        ranked=ngettext(
            lang,
            "{count} institution ranked",
            "{count} institutions ranked",
            result.field_size,
            count=format_int(result.field_size, lang),
        ),
        methodology=result.methodology_hash[:12],
        data=result.data_hash[:12],
    )
    if result.personalisation is not None:
        caption += "\n" + reranked_on(result.personalisation, lang)
    headers = {
        "rank_display": gettext(lang, "Rank"),
        "name": gettext(lang, "Institution"),
        "country": gettext(lang, "Country"),
        "score": gettext(lang, "Score"),
        "grades_A": gettext(lang, "A grades"),
        "band": gettext(lang, "Band"),
        "group": gettext(lang, "Group"),
    }
    print_table(shown[columns].rename(columns=headers), title, caption, lang=lang)


@app.command()
def explain(
    institution: Annotated[str, typer.Argument(help="Institution id, name or alias.")],
    data: DataOption = None,
    method: MethodOption = None,
    system: SystemOption = None,
    edition: EditionOption = "",
    lang: LangOption = "",
    seed: SeedOption = 0,
    as_json: JsonOption = False,
) -> None:
    """Show how one institution's score was built: each node's value, share and contribution."""
    import palmares
    from palmares.published_view import published_position, score_range_text
    from palmares.result_store import run_or_reuse as run  # the engine, or a kept table

    ref = method_ref(method, system)
    dataset = palmares.load(data_path(data))
    who = dataset.resolve(institution)
    result = run(dataset, ref, edition_of(edition, dataset, ref), seed=seed)
    table = result.explain(who)
    i = result.position(who)
    # The position as the publisher prints it (contracts section 12): a band, not the rank
    # computed inside it; no U-Multirank overall rank; a banded row's printed score range.
    head = {
        "institution": who,
        "name": result.names[i],
        **published_position(result, who, lang),
        "eligible": bool(result.eligible[i]),
        **result.meta,
    }
    if as_json:
        print_json({**head, "nodes": table.to_dict(orient="records")})
        return
    score = head["score"]
    if score is not None:
        score_text = format_significant(score, lang)
    elif head["score_lo"] is not None and head["score_hi"] is not None:
        score_text = score_range_text(head["score_lo"], head["score_hi"], lang)
    else:
        score_text = ""
    caption = gettext(
        lang,
        "rank {rank}, score {score}",
        rank=head["rank_display"] or gettext(lang, "unranked"),
        score=score_text,
    )
    shown = table.drop(columns=["parent"])
    system = methodology_name(result.methodology, lang, result.system)
    if "node" in shown:  # a node's label where it has one; the root is the system
        labels = {**node_labels(dataset, lang), result.system: system}
        shown["node"] = shown["node"].map(lambda v: labels.get(str(v), v))
    if "status" in shown:
        shown["status"] = shown["status"].map(
            lambda v: (
                pgettext(lang, "value status", VALUE_STATUSES[v]) if v in VALUE_STATUSES else v
            )
        )
    title = gettext(
        lang,
        "{name} ({id}) - {system} {edition}",
        name=result.names[i],
        id=who,
        system=system,
        edition=result.edition,
    )
    headers = {c: gettext(lang, EXPLAIN_HEADERS[c]) for c in shown.columns if c in EXPLAIN_HEADERS}
    print_table(shown.rename(columns=headers), title, caption, lang=lang)


def N_(message: str) -> str:
    """Mark ``message`` for the catalogue; it is translated where it is shown."""
    return message


#: Headers of ``palmares explain`` (English message ids of the catalogue).
EXPLAIN_HEADERS: dict[str, str] = {
    "node": N_("Node"),
    "label": N_("Label"),
    "depth": N_("Depth"),
    "raw": N_("Raw value"),
    "status": N_("Status"),
    "imputed": N_("Imputed"),
    "value": N_("Value"),
    "grade": N_("Grade"),
    "share_of_parent": N_("Share of parent"),
    "contribution": N_("Contribution"),
}


#: Words for the status of an observation (schema.STATUSES).
VALUE_STATUSES: dict[str, str] = {
    "reported": N_("reported"),
    "missing": N_("missing"),
    "not_applicable": N_("not applicable"),
    "estimated": N_("estimated"),
}


def reranked_on(how: Any, lang: str) -> str:
    """What a personalised table was re-ranked on ("Reclassé sur critères : ...")."""
    parts = []
    if how.criteria:
        parts.append(gettext(lang, "criteria: {names}", names=", ".join(how.criteria)))
    if how.weights:
        weights = ", ".join(f"{k}={format_significant(v, lang)}" for k, v in how.weights.items())
        parts.append(gettext(lang, "weights: {weights}", weights=weights))
    if how.where:
        shown = ", ".join(f"{k} = {v}" for k, v in how.where.items())
        parts.append(gettext(lang, "among: {filters}", filters=shown))
    if how.network:
        parts.append(gettext(lang, "network: {network}", network=how.network))
    if not parts:
        return gettext(lang, "Re-ranked on the publisher's own criteria and weights.")
    return gettext(
        lang, "Re-ranked on {what}.", what=pgettext(lang, "list separator", "; ").join(parts)
    )
