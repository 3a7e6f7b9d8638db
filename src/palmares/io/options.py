"""Reading options shared by every format and layout (contracts section 3)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Literal

Layout = Literal["canonical", "wide", "coinr"]
Format = Literal["csv", "parquet", "xlsx"]


@dataclass(frozen=True)
class ReadOptions:
    """How to read user files: ``None`` means detect or use the contract's default."""

    layout: Layout | None = None
    #: Tables a wide or COINr file does not carry (institutions, indicators, ...).
    bundle: Path | None = None
    delimiter: str | None = None
    decimal: str | None = None
    encoding: str | None = None
    #: Year for layouts that carry none (COINr without a ``Time`` column).
    edition: int | None = None
