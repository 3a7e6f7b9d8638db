"""Rank intervals as charts and highlights read them: from a computed
:class:`~palmares.uncertainty.monte_carlo.UncertaintyResult` or from the Parquet file that
``palmares uncertainty --out`` writes (its table, and the run's metadata)."""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from palmares.jsonsafe import json_number
from palmares.uncertainty.outputs import RESULT_COLUMNS

if TYPE_CHECKING:
    from palmares.uncertainty.monte_carlo import UncertaintyResult

#: Key of the run's metadata in the Parquet file (``outputs.write_parquet``).
META_KEY = b"palmares.uncertainty"
#: Columns read from the file (the rank-acceptability lists are left on disk).
COLUMNS = ("institution", "name", *RESULT_COLUMNS[1:])


class IntervalsError(ValueError):
    """A file that is not a palmares uncertainty table, or one for another edition."""


@dataclass(frozen=True)
class Intervals:
    """Per-institution rank intervals of one run (``frame``, one row per institution, columns
    :data:`COLUMNS`) with what the run was: draws, seed, quantiles, previous edition."""

    frame: pd.DataFrame
    draws: int
    quantiles: tuple[float, float] = (0.05, 0.95)
    seed: int | None = None
    top_k: int = 10
    previous_edition: int | None = None
    methodology_changed: bool = False
    methodology_hash: str | None = None
    data_hash: str | None = None
    system: str | None = None
    edition: int | None = None

    @property
    def level(self) -> int:
        """The interval's coverage in percent (90 for q05-q95)."""
        low, high = self.quantiles
        return round(100 * (high - low))

    def row(self, institution: str) -> Mapping[str, Any] | None:
        """One institution's row (None when the run did not rank or score it)."""
        rows = self.frame[self.frame["institution"] == institution]
        if rows.empty:
            return None
        return {str(k): json_number(v) for k, v in rows.iloc[0].items()}

    def check_ranks(self, institutions: Any, ranks: Any, what: str) -> None:
        """Refuse intervals whose nominal ranks differ from ``ranks`` (the edition's computed
        ranks, 0 = unranked): they were computed for another edition or methodology."""
        expected = pd.Series(np.asarray(ranks, dtype=np.int64), index=list(institutions))
        mine = self.frame.set_index("institution")["nominal_rank"].fillna(0).astype("int64")
        theirs = expected.reindex(mine.index).fillna(0).astype("int64")
        differ = int((mine != theirs).sum())
        if differ:
            raise IntervalsError(
                f"the intervals' nominal ranks differ from {what} for {differ} institution(s): "
                "they were computed for another edition, methodology or bundle"
            )


def _from_meta(frame: pd.DataFrame, meta: Mapping[str, Any], **extra: Any) -> Intervals:
    quantiles = meta.get("quantiles") or (0.05, 0.95)
    previous = meta.get("previous_edition")
    return Intervals(
        frame=frame,
        draws=int(meta["draws"]),
        quantiles=(float(quantiles[0]), float(quantiles[1])),
        seed=None if meta.get("seed") is None else int(meta["seed"]),
        top_k=int(meta.get("top_k") or 10),
        previous_edition=None if previous is None else int(previous),
        methodology_changed=bool(meta.get("methodology_changed", False)),
        methodology_hash=meta.get("methodology_hash"),
        data_hash=meta.get("data_hash"),
        system=extra.get("system", meta.get("system")),
        edition=extra.get("edition", meta.get("edition")),
    )


def read_intervals(path: str | os.PathLike[str]) -> Intervals:
    """The table written by ``palmares uncertainty --out FILE.parquet``."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    try:
        schema = pq.read_schema(path)
    except (OSError, pa.ArrowException) as error:
        raise IntervalsError(f"{path}: not a readable Parquet file ({error})") from None
    raw = (schema.metadata or {}).get(META_KEY)
    missing = [c for c in COLUMNS if c not in schema.names]
    if raw is None or missing:
        raise IntervalsError(
            f"{path}: not a table written by palmares uncertainty --out"
            + (f" (missing {', '.join(missing)})" if missing else "")
        )
    frame = pq.read_table(path, columns=list(COLUMNS)).to_pandas()
    return _from_meta(frame, json.loads(raw))


def intervals_of(done: UncertaintyResult) -> Intervals:
    """The intervals of a run computed in this process."""
    document = done.to_json()
    frame = done.frame()[list(COLUMNS)]
    return _from_meta(
        frame, document, system=done.nominal.system, edition=int(done.nominal.edition)
    )
