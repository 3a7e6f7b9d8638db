"""The Typer application and the conventions every command shares (contracts section 1)."""

from __future__ import annotations

import json
import math
import sys
from pathlib import Path
from typing import Any

import typer

from palmares.problems import UsageProblem  # noqa: F401  (re-exported to commands)

app = typer.Typer(
    name="palmares",
    help="Build, explain and explore rankings of higher-education institutions.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

NO_DATA_MESSAGE = (
    "no dataset: pass --data DIR or --db URL, or set PALMARES_DB or PALMARES_DATA (make one "
    "with: palmares demo --out DIR; load it with: palmares db load DIR)"
)


def data_path(data: Path | None) -> Path:
    """Where the data comes from: --data, else --db, else $PALMARES_DB, else $PALMARES_DATA,
    else ./palmares.duckdb when present (contracts section 9), else a usage problem. A store is
    returned as a :class:`palmares.cli.db.StoreLocation`, which :func:`palmares.load` reads."""
    from palmares.cli.db import data_source

    return data_source(data)


def _json_safe(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {str(k): _json_safe(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_json_safe(v) for v in value]
    if hasattr(value, "item") and callable(value.item):  # numpy scalars
        return _json_safe(value.item())
    return value


def print_json(document: Any) -> None:
    """Exactly one JSON document on stdout; non-finite numbers become null."""
    sys.stdout.write(json.dumps(_json_safe(document), ensure_ascii=False, indent=2) + "\n")


def err(message: str) -> None:
    sys.stderr.write(message.rstrip("\n") + "\n")


def print_table(rows: Any, title: str, caption: str) -> None:
    """A table of records (a DataFrame or a list of dicts): rich on a terminal, wide plain text
    otherwise."""
    import pandas as pd

    frame = rows if isinstance(rows, pd.DataFrame) else pd.DataFrame(list(rows))
    from rich.console import Console
    from rich.table import Table

    terminal = sys.stdout.isatty()
    console = Console(no_color=not terminal, width=None if terminal else 160)
    table = Table(title=title, caption=caption, show_lines=False)
    for column in frame.columns:
        table.add_column(str(column), justify="right" if column in ("rank", "score") else "left")
    for row in frame.itertuples(index=False):
        table.add_row(*["" if _blank(v) else _cell(v) for v in row])
    console.print(table)


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def _cell(value: Any) -> str:
    import numpy as np

    if isinstance(value, (bool, np.bool_)):
        return "yes" if value else ""
    if isinstance(value, float):
        if value != 0 and abs(value) < 1e-2:
            return f"{value:.3g}"
        return f"{value:.2f}".rstrip("0").rstrip(".")
    return str(value)
