"""Generate ``docs/systems/<preset>.md`` from a preset's methodology files.

A page states what a preset computes, edition range by edition range: the steps with their
parameters, how scores become ranks, bands and groups, the weights, every assumption the file
makes where the sources are silent, the named peer filters and readymade rankings, and the node
ids it reads (from the demo world's indicator table, whose ids the presets adopt).

``python -m palmares.systems.pages [OUT_DIR] [PRESET...]`` rewrites the pages (default: every
preset, into ``docs/systems``); the tests check the committed pages are up to date.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from palmares.methodology import Methodology, load_methodology, methodology_hash
from palmares.systems import preset_files, preset_ids, preset_tree
from palmares.systems.readymade import READYMADE

DOCS_DIR = Path(__file__).resolve().parents[3] / "docs" / "systems"

#: Parameters shown for every step even at their default (they carry the method's meaning).
_COMMON = {"type", "method", "name", "nodes", "level", "overrides"}


def preset_methodologies(preset: str) -> list[tuple[Path, Methodology]]:
    """The validated methodology files of a preset, oldest edition range first."""
    return [(path, load_methodology(path)) for path in preset_files(preset)]


def edition_bounds(m: Methodology) -> tuple[int, int | None]:
    """(first, last) edition of a file; last is None for an open range."""
    editions = m.methodology.editions
    if isinstance(editions, list):
        return min(editions), max(editions)
    return editions.from_, editions.to


def describe_presets(presets: Sequence[str] | None = None) -> list[dict[str, Any]]:
    """Every preset with its methodology files: what ``palmares systems --json`` prints."""
    out = []
    for preset in presets or preset_ids():
        files = []
        for path, m in preset_methodologies(preset):
            first, last = edition_bounds(m)
            files.append(
                {
                    "file": f"{preset}/{path.name}",
                    "editions": m.methodology.describe_editions(),
                    "from": first,
                    "to": last,
                    "version": m.methodology.version,
                    "label_en": m.methodology.label_en,
                    "label_fr": m.methodology.label_fr,
                    "methodology_hash": methodology_hash(m),
                    "assumptions": len(m.methodology.assumptions),
                }
            )
        out.append(
            {
                "id": preset,
                "label_en": files[-1]["label_en"],
                "label_fr": files[-1]["label_fr"],
                "editions": f"{files[0]['from']}-{files[-1]['to'] or ''}".rstrip("-")
                + ("+" if files[-1]["to"] is None else ""),
                "methodologies": files,
                "readymade": sorted(READYMADE.get(preset, {})),
            }
        )
    return out


def _value(v: Any) -> str:
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    if isinstance(v, (list, tuple)):
        return "[" + ", ".join(_value(x) for x in v) + "]"
    if isinstance(v, dict):
        return "{" + ", ".join(f"{k}: {_value(x)}" for k, x in v.items()) + "}"
    return str(v)


def _scope(step: Any) -> str:
    if step.level is not None:
        return f"level {step.level}"
    if step.nodes is None:
        return {
            "institutions": "every institution",
            "leaf": "every leaf",
            "inner": "every inner node",
            "root": "the root",
        }[step.acts_on]
    shown = ", ".join(f"`{n}`" for n in step.nodes[:4])
    more = f" and {len(step.nodes) - 4} more" if len(step.nodes) > 4 else ""
    return shown + more


def _steps(m: Methodology) -> list[str]:
    lines = ["| # | step | acts on | parameters |", "|---|---|---|---|"]
    for i, step in enumerate(m.steps):
        params = ", ".join(
            f"{k} = {_value(v)}" for k, v in step.params().items() if v not in (None, {}, [])
        )
        for node, values in step.overrides.items():
            params += f"; `{node}`: " + ", ".join(f"{k} = {_value(v)}" for k, v in values.items())
        label = f"{step.tag}" + (f" ({step.name})" if step.name else "")
        lines.append(f"| {i} | {label} | {_scope(step)} | {params or '-'} |")
    return lines


def _ranking(m: Methodology) -> list[str]:
    r = m.ranking
    lines = [
        f"- ranked on: {'the number of A grades' if r.by == 'grade_counts' else 'the score'}"
        + (
            f" at the published precision ({r.decimals} decimals)"
            if r.by == "score" and r.rank_on == "published" and r.decimals is not None
            else ""
        ),
        f"- ranks: {r.method}; ties shown as `{r.ties}`",
    ]
    if r.cutoff is not None:
        lines.append(f"- scores printed up to rank {r.cutoff}")
    for key, table in sorted(r.bands.items()):
        bands = ", ".join(f"{lo}-{hi}" if hi is not None else f"{lo}+" for lo, hi in table.bands)
        lines.append(f"- bands ({key}): ranks 1-{table.individual_until} one by one, then {bands}")
    for key, groups in sorted(r.groups.items()):
        shown = ", ".join(f"{g} from {_value(v)}" for g, v in groups.items())
        lines.append(f"- groups by {r.groups_by} ({key}): {shown}")
    return lines


def _weights(m: Methodology) -> list[str]:
    if not m.weights:
        return ["Every node weighs 1 relative to its siblings."]
    by_value: dict[str, list[str]] = {}
    for node, weight in m.weights.items():
        by_value.setdefault(_value(weight), []).append(node)
    lines = []
    for w, nodes in by_value.items():
        suffixes = sorted({n.rsplit(".", 1)[-1] for n in nodes})
        if len(nodes) > 4 and len(suffixes) == 1:
            lines.append(f"- {w}: every `*.{suffixes[0]}` ({len(nodes)} nodes)")
        elif len(nodes) > 4:
            lines.append(f"- {w}: {len(nodes)} nodes (`{nodes[0]}` ... `{nodes[-1]}`)")
        else:
            lines.append(f"- {w}: " + ", ".join(f"`{n}`" for n in nodes))
    return lines


def _nodes(preset: str) -> list[str]:
    nodes = sorted(preset_tree(preset), key=lambda node: str(node["id"]))
    if not nodes:
        return ["The demo world has no tree for this system; the bundle's tree is used."]
    lines = ["| node id | parent | label (en / fr) | editions |", "|---|---|---|---|"]
    for node in nodes:
        editions = str(node["description"] or "").rsplit("Editions ", 1)[-1].rstrip(".")
        parent = node["parent"]
        lines.append(
            f"| `{node['id']}` | {'`' + str(parent) + '`' if parent else '-'} "
            f"| {node['label_en']} / {node['label_fr']} | {editions} |"
        )
    return lines


def render_page(preset: str) -> str:
    """The Markdown page of one preset."""
    files = preset_methodologies(preset)
    latest = files[-1][1]
    out = [
        f"# {latest.methodology.label_en} (`{preset}`)",
        "",
        f"<!-- Generated by `python -m palmares.systems.pages` from "
        f"`src/palmares/systems/{preset}/*.toml`; edit those files, not this page. -->",
        "",
        f"Use it with `--system {preset}` (the file of the edition's range) or "
        f"`--system {preset}@YEAR` (the range containing YEAR, applied to `--edition`).",
        "",
        "| file | editions | version | methodology hash |",
        "|---|---|---|---|",
    ]
    for path, m in files:
        out.append(
            f"| `{path.name}` | {m.methodology.describe_editions()} | {m.methodology.version} "
            f"| `{methodology_hash(m)[:12]}` |"
        )
    for path, m in files:
        h = m.methodology
        out += ["", f"## Editions {h.describe_editions()} (`{path.name}`)", ""]
        if h.description:
            out += [" ".join(h.description.split()), ""]
        out += ["### Assumptions", ""]
        out += [f"- {a}" for a in h.assumptions] or ["- none"]
        out += ["", "### Steps", "", *_steps(m), "", "### Ranking", "", *_ranking(m)]
        out += ["", "### Weights", "", *_weights(m)]
        if m.subsets:
            out += ["", "### Named peer filters", ""]
            for sid, subset in m.subsets.items():
                where = ", ".join(f"{k} = {_value(v)}" for k, v in subset.where.items())
                out.append(f"- `{sid}` ({subset.label_en or sid}): {where}")
    sets = READYMADE.get(preset, {})
    if sets:
        out += ["", "## Readymade rankings", ""]
        out.append(
            "A readymade ranking is a personalised ranking on a named indicator set: pass its "
            "name as a criterion (`--criteria international-orientation`). Indicators an edition "
            "lacks drop out of the set for that edition."
        )
        out.append("")
        for name, (label, first, nodes) in sets.items():
            out.append(f"- `{name}` ({label}; from {first}): " + ", ".join(f"`{n}`" for n in nodes))
    out += _published(preset)
    out += ["", "## Node ids", "", *_nodes(preset), ""]
    return "\n".join(out)


def _published(preset: str) -> list[str]:
    """What ``import`` and ``reproduce`` read of the preset's published tables, from its
    ``published/headers.toml`` (docs/formats.md, "Published tables")."""
    from palmares.io.published_table import published_format

    try:
        fmt = published_format(preset)
    except LookupError:
        return []
    kind = {"score": "scores", "rank": "ranks", "grade": "grades (A-E)"}[fmt.component_kind]
    lines = ["", "## Published tables", ""]
    lines.append(
        f"`palmares import` reads this preset's tables (`published/headers.toml`; docs/formats.md, "
        f'"Published tables"): components printed as {kind}'
        + ("" if fmt.ranked else "; no overall rank and no total are printed, none is stored")
        + "."
    )
    if fmt.components:
        lines.append(
            "Components named by the format: " + ", ".join(f"`{c}`" for c in fmt.components) + "."
        )
    for rule in fmt.placeholders:
        values = ", ".join(f"`{v.lstrip('#')}`" for v in sorted(rule.values))
        where = ", ".join(sorted(rule.fields)) if rule.fields else "every score column"
        lines.append(f"- printed {values} in {where} means not published (a placeholder)")
    if fmt.not_applicable_when_blank:
        lines.append(
            "- a blank "
            + ", ".join(sorted(fmt.not_applicable_when_blank))
            + " does not apply (its weight goes to the others)"
        )
    lines.append(
        "- `reproduce`: "
        + ("rebuilds the totals from the printed components" if fmt.rebuildable else fmt.reason)
    )
    return lines


def write_pages(out_dir: Path = DOCS_DIR, presets: Sequence[str] | None = None) -> list[Path]:
    """Write the pages of ``presets`` (default: every preset) into ``out_dir``."""
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for preset in presets or preset_ids():
        path = out_dir / f"{preset}.md"
        path.write_text(render_page(preset), encoding="utf-8")
        written.append(path)
    return written


def main(argv: Sequence[str] | None = None) -> None:
    args = list(sys.argv[1:] if argv is None else argv)
    out_dir = Path(args.pop(0)) if args else DOCS_DIR
    for path in write_pages(out_dir, args or None):
        print(path)


if __name__ == "__main__":
    main()
