"""``palmares systems``: the presets shipped with palmares and their edition ranges."""

from __future__ import annotations

from typing import Annotated

import typer

from palmares.cli.app import app, print_json, print_table


@app.command()
def systems(
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON document.")] = False,
) -> None:
    """List the presets (ranking systems as methodology files) with their edition ranges."""
    from palmares.systems.pages import describe_presets

    presets = describe_presets()
    if as_json:
        print_json({"presets": presets})
        return
    rows = [
        {
            "preset": p["id"],
            "editions": p["editions"],
            "files": ", ".join(f"{f['editions']} ({f['file']})" for f in p["methodologies"]),
            "label": p["label_en"],
        }
        for p in presets
    ]
    caption = "use --system PRESET (or PRESET@YEAR); pages in docs/systems/"
    print_table(rows, "palmares presets", caption)
