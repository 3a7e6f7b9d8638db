"""Where a command's data comes from (contracts section 9): ``--data``, else ``--db``, else
``$PALMARES_DB``, else ``$PALMARES_DATA``, else ``./palmares.duckdb`` when present.

A store is answered as a :class:`StoreLocation`, a path that :func:`palmares.load` reads from
the store; :mod:`palmares.cli.db` records the running command's ``--db``, system and edition
here while its options are parsed.
"""

from __future__ import annotations

import os
from contextvars import ContextVar
from pathlib import Path, PosixPath
from typing import TYPE_CHECKING

from palmares.problems import UsageProblem
from palmares.translatable import tr

if TYPE_CHECKING:
    from palmares.store import StoreUrl

NO_DATA_MESSAGE = tr(
    "no dataset: pass --data DIR or --db URL, or set PALMARES_DB or PALMARES_DATA (make one "
    "with: palmares demo --out DIR; load it with: palmares db load DIR)"
)

#: The ``--db`` given to the running command (set while its options are parsed).
CHOSEN_DB: ContextVar[str | None] = ContextVar("palmares_db", default=None)

#: The system the running command asks about (its --system/--method preset id), if any.
SYSTEM_HINT: ContextVar[str | None] = ContextVar("palmares_system", default=None)

#: The editions the running command reads (its --edition, and uncertainty's
#: --previous-edition), for commands that read no other.
EDITION_HINT: ContextVar[tuple[int, ...] | None] = ContextVar("palmares_edition", default=None)


class StoreLocation(PosixPath):
    """What ``data_path`` returns when the data comes from a store: ``palmares.load`` of it
    reads the store (see :func:`palmares.load`), only ``store_system``'s observations and
    published rows when the command names a preset of a system the store holds."""

    store_url: StoreUrl
    store_system: str | None
    store_years: tuple[int, ...] | None


def store_location(url: StoreUrl) -> StoreLocation:
    location = StoreLocation(url.target)
    location.store_url = url
    location.store_system = SYSTEM_HINT.get()
    location.store_years = EDITION_HINT.get()
    return location


def data_path(data: Path | None) -> Path:
    """``--data``, else ``--db``, else ``$PALMARES_DB``, else ``$PALMARES_DATA``, else
    ``./palmares.duckdb`` when present (contracts section 9); a store is a
    :class:`StoreLocation`."""
    from palmares.store import DEFAULT_STORE, parse_url

    if data is not None:
        return data
    chosen = CHOSEN_DB.get()
    if chosen is not None:
        return store_location(parse_url(chosen))
    env_db = os.environ.get("PALMARES_DB")
    if env_db:
        return store_location(parse_url(env_db))
    env_data = os.environ.get("PALMARES_DATA")
    if env_data:
        return Path(env_data)
    if Path(DEFAULT_STORE).exists():
        return store_location(parse_url(DEFAULT_STORE))
    raise UsageProblem(NO_DATA_MESSAGE)
