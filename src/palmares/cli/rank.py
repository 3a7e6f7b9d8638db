"""Commands that run a methodology: ``rank`` (with personalisation) and ``explain``."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from palmares.cli.app import app, data_path, print_json, print_table
from palmares.problems import UsageProblem

DataOption = Annotated[
    Path | None, typer.Option("--data", help="Bundle folder or file (default $PALMARES_DATA).")
]
MethodOption = Annotated[
    str | None,
    typer.Option("--method", help="Methodology TOML path or preset id (PRESET or PRESET@YEAR)."),
]
SystemOption = Annotated[
    str | None, typer.Option("--system", help="Alias of --method for a preset id.")
]
EditionOption = Annotated[
    str, typer.Option("--edition", help="Edition year (2011 or 2010-11 for the 2010-11 table).")
]
JsonOption = Annotated[bool, typer.Option("--json", help="Print one JSON document on stdout.")]
LangOption = Annotated[str, typer.Option("--lang", help="fr or en.")]
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
    raise UsageProblem(f"--edition {text!r}: give a year such as 2023 (or 2010-11)")


def _method_ref(method: str | None, system: str | None) -> str:
    if method and system and method != system:
        raise UsageProblem("give --method or --system, not both")
    ref = method or system
    if not ref:
        raise UsageProblem("give --method FILE.toml (or a preset id) or --system PRESET")
    return ref


def _pairs(items: list[str], option: str) -> dict[str, str]:
    out: dict[str, str] = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key or not value:
            raise UsageProblem(f"{option} {item!r}: expected KEY=VALUE")
        out[key.strip()] = value.strip()
    return out


def _weights(items: list[str]) -> dict[str, float]:
    out: dict[str, float] = {}
    for key, value in _pairs(items, "--weight").items():
        try:
            out[key] = float(value)
        except ValueError:
            raise UsageProblem(f"--weight {key}={value!r}: the weight is not a number") from None
    return out


def compute(data: Path | None, ref: str, edition: int, seed: int) -> Any:
    """Load the bundle and run the methodology (the library call every command shares)."""
    import palmares
    from palmares.engine import run

    dataset = palmares.load(data_path(data))
    return run(dataset, ref, edition, seed=seed)


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
        str | None, typer.Option("--criteria", help="Node ids to rank on, comma-separated.")
    ] = None,
    weight: Annotated[
        list[str] | None, typer.Option("--weight", help="New weight ID=W (repeatable).")
    ] = None,
    top: Annotated[int | None, typer.Option("--top", help="Show the first K rows.")] = None,
    out: Annotated[
        Path | None, typer.Option("--out", help="Write the table (.csv .json .parquet .xlsx).")
    ] = None,
    force: Annotated[bool, typer.Option("--force", help="Replace an existing --out.")] = False,
    lang: LangOption = "en",
    seed: SeedOption = 0,
    as_json: JsonOption = False,
) -> None:
    """Rank an edition with a methodology; re-rank on chosen criteria, weights and peers."""
    year = parse_edition(edition) if edition else None
    if year is None:
        raise UsageProblem("give --edition YEAR")
    filters: dict[str, Any] = _pairs(where or [], "--where")
    if country:
        filters["country"] = country
    if region:
        filters["region_code"] = region
    chosen = [c.strip() for c in criteria.split(",") if c.strip()] if criteria else None
    new_weights = _weights(weight or [])
    result = compute(data, _method_ref(method, system), year, seed)
    personalised = bool(chosen or new_weights or filters or network)
    if personalised:
        result = result.personalise(chosen, new_weights, filters, network=network)
    frame = result.to_frame(lang, nodes=False)
    frame = frame[frame["rank"] > 0] if personalised else frame
    shown = frame.head(top) if top else frame
    statement = result.personalisation.describe() if result.personalisation is not None else ""
    if out is not None:
        result.write(out, lang=lang, force=force)
    if as_json:
        document = result.to_json(lang)
        document["results"] = document["results"][: top or None]
        document["personalisation"] = statement or None
        print_json(document)
        return
    columns = ["rank_display", "name", "country", "score", "band", "group"]
    columns = [c for c in columns if c in shown and shown[c].astype(str).str.len().gt(0).any()]
    title = f"{result.system} {result.edition}: {result.methodology.methodology.label_en}"
    caption = (
        f"{result.field_size} ranked; methodology {result.methodology_hash[:12]}, "
        f"data {result.data_hash[:12]}" + (f"\n{statement}" if statement else "")
    )
    print_table(shown[columns].rename(columns={"rank_display": "rank"}), title, caption)


@app.command()
def explain(
    institution: Annotated[str, typer.Argument(help="Institution id, name or alias.")],
    data: DataOption = None,
    method: MethodOption = None,
    system: SystemOption = None,
    edition: EditionOption = "",
    lang: LangOption = "en",
    seed: SeedOption = 0,
    as_json: JsonOption = False,
) -> None:
    """Show how one institution's score was built: each node's value, share and contribution."""
    import palmares
    from palmares.engine import run

    if not edition:
        raise UsageProblem("give --edition YEAR")
    dataset = palmares.load(data_path(data))
    who = dataset.resolve(institution)
    result = run(dataset, _method_ref(method, system), parse_edition(edition), seed=seed)
    table = result.explain(who)
    i = result.position(who)
    head = {
        "institution": who,
        "name": result.names[i],
        "rank": int(result.ranking.rank[i]),
        "rank_display": result.ranking.display(lang)[i],
        "score": float(result.ranking.published_score[i]),
        "eligible": bool(result.eligible[i]),
        **result.meta,
    }
    if as_json:
        print_json({**head, "nodes": table.to_dict(orient="records")})
        return
    caption = f"rank {head['rank_display'] or 'unranked'}, score {head['score']:.4g}"
    print_table(
        table.drop(columns=["parent"]),
        f"{result.names[i]} ({who}) - {result.system} {result.edition}",
        caption,
    )
