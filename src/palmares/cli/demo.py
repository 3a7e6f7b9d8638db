"""The demo command: write the demo world and show palmares at work (contracts section 4)."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Annotated, Any

import typer

from palmares.cli.app import UsageProblem, app, print_json, print_table
from palmares.cli.options import LangOption
from palmares.translatable import tr

# As palmares.demo.WORLDS and palmares.demo.output.DEFAULT_OUT (tested equal): kept here so
# that `palmares --help` does not import the world generators.
WORLDS: tuple[str, ...] = ("demo", "seeds")
DEFAULT_OUT = Path("palmares-demo")


def _check_options(world: str, seed: int) -> None:
    if seed < 0:
        raise UsageProblem(tr("--seed {seed}: give a non-negative integer", seed=seed))
    if world not in WORLDS:
        raise UsageProblem(
            tr("--world {world!r}: give one of {names}", world=world, names=", ".join(WORLDS))
        )


@app.command()
def demo(
    world: Annotated[
        str,
        typer.Option(
            "--world",
            help="demo (a synthetic world) or seeds (the press releases' schools).",
        ),
    ] = "demo",
    seed: Annotated[int, typer.Option("--seed", help="Seed of the generator.")] = 0,
    out: Annotated[
        Path, typer.Option("--out", help="Output folder (replaces a previous demo output only).")
    ] = DEFAULT_OUT,
    json: Annotated[bool, typer.Option("--json", help="One JSON document on stdout.")] = False,
    db: Annotated[
        str | None,
        typer.Option(
            "--db",
            help="Also load the world into this store (PATH.duckdb or postgresql://...); "
            "the tour then reads from it.",
        ),
    ] = None,
    lang: LangOption = "",
) -> None:
    """Write the demo world as a canonical CSV bundle and print its summary."""
    from palmares.demo import check_demo_target, generate, summarise, write_demo
    from palmares.demo.seeds import generate_seeds
    from palmares.demo.showcase import (
        demo_charts,
        demo_highlights,
        rank_latest,
        side_by_side,
        top_rows,
    )

    _check_options(world, seed)
    check_demo_target(out)
    ds = generate_seeds(seed) if world == "seeds" else generate(seed)
    charts: list[Path] = []

    def write_charts(folder: Path) -> list[Path]:
        # Written inside the new output before it is swapped in (old or new, never a mix).
        charts.extend(out / p.relative_to(folder) for p in demo_charts(ds, folder, lang=lang))
        return charts

    path = write_demo(ds, out, world=world, seed=seed, extra=write_charts)
    summary = {"world": world, "seed": seed, "out": str(path), **summarise(ds)}
    if db is not None:
        from palmares.store import open_store

        with open_store(db, write=True) as store:
            summary["store"] = store.load(ds, replace=True)
            ds = store.dataset()  # the tour reads what the store holds
    result = rank_latest(ds, seed=seed)
    summary["ranking"] = {
        "system": result.system,
        "edition": result.edition,
        "methodology": result.methodology.id,
        "methodology_hash": result.methodology_hash,
        "data_hash": result.data_hash,
        "field_size": result.field_size,
        "top": top_rows(result, lang=lang),
    }
    summary["side_by_side"] = side_by_side(ds, seed=seed, lang=lang)
    summary["highlights"] = demo_highlights(ds, lang=lang)
    summary["charts"] = [str(p) for p in charts]
    if json:
        print_json(summary)
    else:
        from palmares.i18n import gettext as _

        print_summary(summary, lang)
        if "store" in summary:
            sys.stdout.write(
                _(
                    lang,
                    "Loaded into the {backend} store {db} (data {data}); the tour below reads "
                    "from it.",
                    backend=summary["store"]["backend"],
                    db=db,
                    data=summary["store"]["data_hash"][:12],
                )
                + "\n"
            )
        label = result.methodology.methodology
        shown = label.label_fr if lang == "fr" and label.label_fr else label.label_en
        print_ranking(summary["ranking"], shown, path, lang)
        print_side_by_side(summary["side_by_side"], lang)
        print_highlights(summary["highlights"], path, lang)
        sys.stdout.write(_(lang, "Charts: {paths}", paths=", ".join(summary["charts"])) + "\n")


def print_highlights(found: dict[str, Any], out: Path, lang: str = "en") -> None:
    """The demo institution's highlights, as a communication office would read them."""
    from palmares.i18n import gettext as _

    where = f"{found.get('system_name') or found['system']} {found['edition']}"
    sys.stdout.write(
        "\n"
        + _(
            lang,
            "Highlights of {institution} ({where}):",
            institution=found.get("institution_name") or found["institution"],
            where=where,
        )
        + "\n"
    )
    for fact in found["facts"]:
        sys.stdout.write(f"- {fact['text']}\n")
    other = "en" if lang == "fr" else "fr"
    command = (
        f"palmares highlights {found['institution']} --data {out} --system "
        f"{found['system']} --edition {found['edition']} --lang {other}"
    )
    sys.stdout.write(_(lang, "More: {command}", command=command) + "\n")


def print_side_by_side(view: dict[str, Any], lang: str = "en") -> None:
    """The three seed systems in their latest common edition, for a few institutions."""
    from palmares.i18n import gettext as _
    from palmares.lang import format_int

    short = {"teaching": "T", "research": "R", "transfer": "K", "international": "I"}
    heads = {
        "institution": _(lang, "Institution"),
        "grades": _(lang, "U-Multirank A grades"),
        "national": _(lang, "National rank by A grades"),
        "points": "L'Étudiant",
        "impact": "THE Impact",
        "sdgs": _(lang, "SDGs ranked"),
    }
    rows = []
    for row in view["institutions"]:
        umr, pal, imp = row["u-multirank"], row["letudiant"], row["the-impact"]
        per_dim = " ".join(f"{short.get(d, d[:2].capitalize())}{n}" for d, n in umr["A"].items())
        points = _(lang, "{points} pts", points=pal["points"])
        rows.append(
            {
                heads["institution"]: row["name"],
                heads["grades"]: f"{umr['A_total']} ({per_dim})",
                heads["national"]: str(umr["national_rank"] or ""),
                heads["points"]: f"{points}, {pal['group'] or '-'}, {pal['rank']}",
                heads["impact"]: f"{imp['band']} (FR {imp['national_rank']})",
                heads["sdgs"]: f"{imp['sdgs_ranked']}/{imp['sdgs']}",
            }
        )
    sizes = view["field_sizes"]
    print_table(
        rows,
        _(lang, "The three systems side by side, {edition}", edition=view["edition"]),
        _(
            lang,
            "fields: U-Multirank {umr}, L'Étudiant {letudiant}, THE Impact {impact} "
            "({submitters} submitters)",
            umr=format_int(sizes["u-multirank"], lang),
            letudiant=format_int(sizes["letudiant"], lang),
            impact=format_int(sizes["the-impact"], lang),
            submitters=format_int(view["submitters"]["the-impact"], lang),
        ),
        lang=lang,
    )


def print_ranking(ranking: dict[str, Any], label: str, out: Path, lang: str = "en") -> None:
    """The top of the demo's ranking and the command that shows all of it."""
    from palmares.i18n import gettext as _
    from palmares.i18n import ngettext
    from palmares.lang import format_int

    heads = (_(lang, "Rank"), _(lang, "Institution"), _(lang, "Country"), _(lang, "Score"))
    rows = [
        dict(zip(heads, (r["rank"], r["name"], r["country"], r["score"]), strict=True))
        for r in ranking["top"]
    ]
    field = ranking["field_size"]
    print_table(
        rows,
        _(
            lang,
            "{system} {edition}: {label} (top {n})",
            system=system_label(ranking["system"], lang),
            edition=ranking["edition"],
            label=label,
            n=len(rows),
        ),
        ngettext(lang, "{count} ranked", "{count} ranked", field, count=format_int(field, lang))
        + _(
            lang,
            "; methodology {methodology}, data {data}",
            methodology=ranking["methodology_hash"][:12],
            data=ranking["data_hash"][:12],
        ),
        lang=lang,
    )
    command = (
        f"palmares rank --data {out} --system {ranking['methodology']} "
        f"--edition {ranking['edition']}"
    )
    sys.stdout.write("\n" + _(lang, "The whole table: {command}", command=command) + "\n")


def _percent(x: float, lang: str) -> str:
    from palmares.lang import format_percent

    return format_percent(100 * x, lang, decimals=1)


_COLUMNS = ("system", "edition", "indicators", "field", "coverage")


def system_label(system: str, lang: str) -> str:
    """A system's name in ``lang`` from its preset's tree ("Classement THE Impact"), else its
    id."""
    from palmares.systems import preset_tree

    try:
        tree = preset_tree(system)
    except (OSError, ValueError):
        return system
    root = tree[0] if tree else {}
    return str((root.get("label_fr") if lang == "fr" else None) or root.get("label_en") or system)


def _rows(summary: dict[str, Any], lang: str) -> list[tuple[str, str, str, str, str]]:
    """(system, edition, indicators, field, coverage) per edition."""
    from palmares.lang import format_int

    rows = []
    for system in summary["systems"]:
        for year in summary["editions"][system]:
            rows.append(
                (
                    system_label(system, lang),
                    str(year),
                    str(summary["leaves"][system][str(year)]),
                    format_int(summary["fields"][system][str(year)], lang),
                    _percent(summary["coverage"][system][str(year)], lang),
                )
            )
    return rows


def _headers(lang: str) -> tuple[str, ...]:
    from palmares.i18n import gettext as _

    return (
        _(lang, "system"),
        _(lang, "edition"),
        _(lang, "indicators"),
        _(lang, "field"),
        _(lang, "coverage"),
    )


def summary_lines(summary: dict[str, Any], lang: str = "en") -> list[str]:
    """The summary as plain text lines (for pipes and files)."""
    from palmares.i18n import gettext as _
    from palmares.lang import format_int

    lines = [
        _(
            lang,
            "Demo world (seed {seed}) written to {out}",
            seed=summary["seed"],
            out=summary["out"],
        ),
        _(
            lang,
            "institutions: {n} in {countries} countries",
            n=format_int(summary["institutions"], lang),
            countries=summary["countries"],
        ),
        _(
            lang,
            "systems: {systems}",
            systems=", ".join(system_label(s, lang) for s in summary["systems"]),
        ),
        _(lang, "observations: {n}", n=format_int(summary["observations"], lang)),
        "",
    ]
    header = _headers(lang)
    rows = [header, *_rows(summary, lang)]
    widths = [max(len(r[k]) for r in rows) for k in range(len(header))]
    for row in rows:
        cells = [
            cell.ljust(w) if k < 2 else cell.rjust(w)
            for k, (cell, w) in enumerate(zip(row, widths, strict=True))
        ]
        lines.append("  ".join(cells).rstrip())
    return lines


def print_summary(summary: dict[str, Any], lang: str = "en") -> None:
    """A rich table on a terminal, plain aligned text otherwise."""
    if not sys.stdout.isatty() or os.environ.get("NO_COLOR"):
        sys.stdout.write("\n".join(summary_lines(summary, lang)) + "\n")
        return
    from rich.console import Console
    from rich.table import Table

    from palmares.i18n import gettext as _
    from palmares.lang import format_int

    console = Console(highlight=False)
    console.print(
        _(
            lang,
            "Demo world (seed {seed}) written to {out}",
            seed=summary["seed"],
            out=f"[bold]{summary['out']}[/bold]",
        )
    )
    console.print(
        _(
            lang,
            "{institutions} institutions in {countries} countries, {observations} observations",
            institutions=format_int(summary["institutions"], lang),
            countries=summary["countries"],
            observations=format_int(summary["observations"], lang),
        )
    )
    table = Table(title=_(lang, "Editions"))
    for k, column in enumerate(_headers(lang)):
        table.add_column(column, justify="left" if k < 2 else "right")
    for row in _rows(summary, lang):
        table.add_row(*row)
    console.print(table)
