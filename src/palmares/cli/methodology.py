"""``palmares methodology validate|show|diff``: methodology files checked before any data."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from palmares.cli.app import app, print_json
from palmares.problems import InvalidInput, Problem

if TYPE_CHECKING:
    from palmares.methodology import Methodology

methodology_app = typer.Typer(
    name="methodology",
    help="Validate, show and compare methodology files (TOML).",
    no_args_is_help=True,
)
app.add_typer(methodology_app, name="methodology")

JsonOption = Annotated[bool, typer.Option("--json", help="Print one JSON document on stdout.")]


@methodology_app.command("validate")
def validate(
    files: Annotated[list[Path], typer.Argument(help="Methodology TOML files.")],
    as_json: JsonOption = False,
) -> None:
    """Check methodology files; exit 0 when all are valid, 2 with located problems otherwise."""
    from palmares.methodology import (
        load_methodology,
        methodology_hash,
    )

    problems: list[Problem] = []
    reports: list[dict[str, Any]] = []
    for file in files:
        try:
            m = load_methodology(file)
        except InvalidInput as error:
            problems.extend(error.problems)
            reports.append({"file": str(file), "valid": False, "hash": None})
            continue
        reports.append({"file": str(file), "valid": True, "id": m.id, "hash": methodology_hash(m)})
    if as_json:
        print_json(
            {
                "valid": not problems,
                "files": reports,
                "errors": [p.to_json() for p in problems if p.severity == "error"],
                "warnings": [p.to_json() for p in problems if p.severity == "warning"],
            }
        )
    if problems:
        raise InvalidInput(problems)
    if not as_json:
        for report in reports:
            sys.stdout.write(f"OK: {report['file']} ({report['id']}, {report['hash'][:12]})\n")


def _show_text(m: Methodology, file: Path) -> str:
    from palmares.methodology import (
        methodology_hash,
        propagate,
    )

    header = m.methodology
    walk = propagate(m)
    lines = [
        f"{file}: {header.id} {header.version} ({header.label_en})",
        f"hash: {methodology_hash(m)}",
        f"system: {header.system}; editions: {header.describe_editions()}",
        f"tree: {m.tree.source}"
        + (f" ({len(m.tree.nodes)} nodes)" if m.tree.source == "inline" else ""),
    ]
    if m.weights:
        lines.append("weights: " + ", ".join(f"{k} = {v:g}" for k, v in m.weights.items()))
    lines.append("steps:")
    for step, rng in zip(m.steps, walk.steps, strict=True):
        params = ", ".join(f"{k} = {v}" for k, v in step.params().items() if v is not None)
        out = rng.output.describe() if rng.output is not None else "-"
        kind = f" {rng.kind}" if rng.kind else ""
        overrides = f"; overrides for {len(step.overrides)} nodes" if step.overrides else ""
        lines.append(
            f"  [{rng.index}] {step.tag} on {rng.scope}"
            + (f" ({params})" if params else "")
            + f"{overrides} -> {out}{kind}"
        )
    r = m.ranking
    lines.append(
        f"ranking: by {r.by}, on {r.rank_on} scores, {r.method} ranks, ties {r.ties}"
        + (f", decimals {r.decimals}" if r.decimals is not None else "")
        + (f", cutoff {r.cutoff}" if r.cutoff is not None else "")
    )
    for key, table in r.bands.items():
        bands = ", ".join(f"{lo}-{hi}" if hi is not None else f"{lo}+" for lo, hi in table.bands)
        lines.append(f"  bands {key}: individual until {table.individual_until}; {bands}")
    for key, groups in r.groups.items():
        shown = ", ".join(f"{label} >= {bound:g}" for label, bound in groups.items())
        lines.append(f"  groups {key} ({r.groups_by}): {shown}")
    if m.subsets:
        lines.append("subsets: " + ", ".join(m.subsets))
    if header.assumptions:
        lines.append("assumptions:")
        lines.extend(f"  - {a}" for a in header.assumptions)
    return "\n".join(lines)


@methodology_app.command("show")
def show(
    file: Annotated[Path, typer.Argument(help="A methodology TOML file.")],
    as_json: JsonOption = False,
) -> None:
    """Print the validated methodology, its hash and its steps in order with their ranges."""
    from palmares.methodology import (
        load_methodology,
        methodology_hash,
        propagate,
    )

    m = load_methodology(file)
    if as_json:
        print_json(
            {
                "file": str(file),
                "hash": methodology_hash(m),
                "methodology": m.model_dump(mode="json", by_alias=True),
                "steps": [s.to_json() for s in propagate(m).steps],
            }
        )
        return
    sys.stdout.write(_show_text(m, file) + "\n")


@methodology_app.command("diff")
def diff(
    a: Annotated[Path, typer.Argument(help="The earlier methodology.")],
    b: Annotated[Path, typer.Argument(help="The later methodology.")],
    as_json: JsonOption = False,
) -> None:
    """What changed from A to B: indicators, weights, scales, thresholds, tree, ranking."""
    from palmares.methodology import (
        diff_methodologies,
        load_methodology,
    )

    problems: list[Problem] = []
    loaded: list[Methodology] = []
    for file in (a, b):
        try:
            loaded.append(load_methodology(file))
        except InvalidInput as error:
            problems.extend(error.problems)
    if problems:
        raise InvalidInput(problems)
    result = diff_methodologies(loaded[0], loaded[1])
    if as_json:
        print_json(result.to_json())
    else:
        sys.stdout.write(result.to_text() + "\n")
