"""A published table uploaded over HTTP, parsed as ``palmares import`` parses it and merged
into the data in memory (the upload lives in a private temporary folder, removed at once)."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

from palmares.api.errors import ApiError, invalid_input
from palmares.problems import InvalidInput, UsageProblem
from palmares.translatable import reason, tr


def import_table(
    dataset: Any,
    filename: str,
    data: bytes,
    system: str,
    edition: int,
    mapping: dict[str, str],
) -> tuple[Any, int]:
    """The dataset with the table's rows added, and how many rows were imported."""
    from palmares.io.published_table import merge_published, read_published_table
    from palmares.methodology import resolve_methodology

    suffix = ".xlsx" if filename.lower().endswith(".xlsx") else ".csv"
    try:
        method = resolve_methodology(system, edition)
    except (InvalidInput, LookupError, ValueError, UsageProblem) as error:
        said = tr(
            "unknown system {system!r} for {edition}: {reason}",
            system=system,
            edition=edition,
            reason=reason(error) if not isinstance(error, InvalidInput) else str(error),
        )
        raise ApiError(404, said) from None
    try:
        with tempfile.TemporaryDirectory(prefix="palmares-published-") as tmp:
            path = Path(tmp) / f"table{suffix}"
            path.write_bytes(data)
            parsed = read_published_table(
                path, method.system, edition, method, mapping=mapping, dataset=dataset
            )
        updated, _, report = merge_published(dataset, parsed, method, force=True)
    except InvalidInput as error:
        raise invalid_input(error) from None
    except (UsageProblem, ValueError, LookupError) as error:
        raise ApiError(422, reason(error)) from None
    return updated, int(report["imported"])
