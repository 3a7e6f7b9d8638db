"""The demo command: write the demo world and show palmares at work (contracts section 4)."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Annotated, Any

import typer

from palmares.cli.app import UsageProblem, app, print_json, print_table

# As palmares.demo.WORLDS and palmares.demo.output.DEFAULT_OUT (tested equal): kept here so
# that `palmares --help` does not import the world generators.
WORLDS: tuple[str, ...] = ("demo", "seeds")
DEFAULT_OUT = Path("palmares-demo")


def _check_options(world: str, seed: int) -> None:
    if seed < 0:
        raise UsageProblem(f"--seed {seed}: give a non-negative integer")
    if world not in WORLDS:
        raise UsageProblem(f"--world {world!r}: give one of {', '.join(WORLDS)}")


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
        charts.extend(out / p.relative_to(folder) for p in demo_charts(ds, folder))
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
        "top": top_rows(result),
    }
    summary["side_by_side"] = side_by_side(ds, seed=seed)
    summary["highlights"] = demo_highlights(ds)
    summary["charts"] = [str(p) for p in charts]
    if json:
        print_json(summary)
    else:
        print_summary(summary)
        if "store" in summary:
            sys.stdout.write(
                f"Loaded into the {summary['store']['backend']} store {db} "
                f"(data {summary['store']['data_hash'][:12]}); the tour below reads from it.\n"
            )
        print_ranking(summary["ranking"], result.methodology.methodology.label_en, path)
        print_side_by_side(summary["side_by_side"])
        print_highlights(summary["highlights"], path)
        sys.stdout.write("Charts: " + ", ".join(summary["charts"]) + "\n")


def print_highlights(found: dict[str, Any], out: Path) -> None:
    """The demo institution's highlights, as a communication office would read them."""
    sys.stdout.write(
        f"\nHighlights of {found['institution']} ({found['system']} {found['edition']}, "
        f"{found['lang']}):\n"
    )
    for fact in found["facts"]:
        sys.stdout.write(f"- {fact['text']}\n")
    sys.stdout.write(
        f"More: palmares highlights {found['institution']} --data {out} --system "
        f"{found['system']} --edition {found['edition']} --lang en\n"
    )


def print_side_by_side(view: dict[str, Any]) -> None:
    """The three seed systems in their latest common edition, for a few institutions."""
    short = {"teaching": "T", "research": "R", "transfer": "K", "international": "I"}
    rows = []
    for row in view["institutions"]:
        umr, pal, imp = row["u-multirank"], row["letudiant"], row["the-impact"]
        per_dim = " ".join(f"{short.get(d, d[:2].capitalize())}{n}" for d, n in umr["A"].items())
        rows.append(
            {
                "institution": row["name"],
                "U-Multirank A grades": f"{umr['A_total']} ({per_dim})",
                "national": str(umr["national_rank"] or ""),
                "palmarès": f"{pal['points']} pts, {pal['group'] or '-'}, {pal['rank']}",
                "THE Impact": f"{imp['band']} (FR {imp['national_rank']})",
                "SDGs ranked": f"{imp['sdgs_ranked']}/{imp['sdgs']}",
            }
        )
    sizes = view["field_sizes"]
    print_table(
        rows,
        f"The three systems side by side, {view['edition']}",
        f"fields: U-Multirank {sizes['u-multirank']:,}, L'Étudiant {sizes['letudiant']:,}, "
        f"THE Impact {sizes['the-impact']:,} ({view['submitters']['the-impact']:,} submitters)",
    )


def print_ranking(ranking: dict[str, Any], label: str, out: Path) -> None:
    """The top of the demo's ranking and the command that shows all of it."""
    rows = [
        {"rank": r["rank"], "name": r["name"], "country": r["country"], "score": r["score"]}
        for r in ranking["top"]
    ]
    print_table(
        rows,
        f"{ranking['system']} {ranking['edition']}: {label} (top {len(rows)})",
        f"{ranking['field_size']:,} ranked; methodology {ranking['methodology_hash'][:12]}, "
        f"data {ranking['data_hash'][:12]}",
    )
    sys.stdout.write(
        f"\nThe whole table: palmares rank --data {out} --method {ranking['methodology']} "
        f"--edition {ranking['edition']}\n"
    )


def _percent(x: float) -> str:
    return f"{100 * x:.1f} %"


def _rows(summary: dict[str, Any]) -> list[tuple[str, str, str, str, str]]:
    """(system, edition, indicators, field, coverage) per edition."""
    rows = []
    for system in summary["systems"]:
        for year in summary["editions"][system]:
            rows.append(
                (
                    system,
                    str(year),
                    str(summary["leaves"][system][str(year)]),
                    f"{summary['fields'][system][str(year)]:,}",
                    _percent(summary["coverage"][system][str(year)]),
                )
            )
    return rows


def summary_lines(summary: dict[str, Any]) -> list[str]:
    """The summary as plain text lines (for pipes and files)."""
    lines = [
        f"Demo world (seed {summary['seed']}) written to {summary['out']}",
        f"institutions: {summary['institutions']:,} in {summary['countries']} countries",
        f"systems: {', '.join(summary['systems'])}",
        f"observations: {summary['observations']:,}",
        "",
    ]
    header = ("system", "edition", "indicators", "field", "coverage")
    rows = [header, *_rows(summary)]
    widths = [max(len(r[k]) for r in rows) for k in range(len(header))]
    for row in rows:
        cells = [
            cell.ljust(w) if k < 2 else cell.rjust(w)
            for k, (cell, w) in enumerate(zip(row, widths, strict=True))
        ]
        lines.append("  ".join(cells).rstrip())
    return lines


def print_summary(summary: dict[str, Any]) -> None:
    """A rich table on a terminal, plain aligned text otherwise."""
    if not sys.stdout.isatty() or os.environ.get("NO_COLOR"):
        sys.stdout.write("\n".join(summary_lines(summary)) + "\n")
        return
    from rich.console import Console
    from rich.table import Table

    console = Console(highlight=False)
    console.print(f"Demo world (seed {summary['seed']}) written to [bold]{summary['out']}[/bold]")
    console.print(
        f"{summary['institutions']:,} institutions in {summary['countries']} countries, "
        f"{summary['observations']:,} observations"
    )
    table = Table(title="Editions")
    for column in ("system", "edition", "indicators", "field", "coverage"):
        table.add_column(column, justify="left" if column in ("system", "edition") else "right")
    for row in _rows(summary):
        table.add_row(*row)
    console.print(table)
