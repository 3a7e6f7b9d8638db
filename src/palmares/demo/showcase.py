"""What the demo runs on its world after writing it: palmares at work on the latest edition."""

from __future__ import annotations

from typing import Any

from palmares.dataset import Dataset
from palmares.engine import run
from palmares.examples import example_path
from palmares.methodology import load_methodology
from palmares.result import Result

#: The example methodology the demo ranks with, and the system it applies to.
EXAMPLE = "umr-composite"
EXAMPLE_SYSTEM = "u-multirank"


def rank_latest(ds: Dataset, *, seed: int = 0) -> Result:
    """The demo world's latest U-Multirank edition ranked with the bundled example composite."""
    year = max(ds.edition_years(EXAMPLE_SYSTEM))
    return run(ds, load_methodology(example_path(EXAMPLE)), year, seed=seed)


def top_rows(result: Result, k: int = 10, lang: str = "en") -> list[dict[str, Any]]:
    """The first ``k`` rows of the table: rank as displayed, institution, country, score."""
    frame = result.to_frame(lang, nodes=False).head(k)
    columns = ["rank_display", "institution", "name", "country", "score"]
    records = frame[columns].rename(columns={"rank_display": "rank"}).to_dict(orient="records")
    return [{str(key): value for key, value in record.items()} for record in records]
