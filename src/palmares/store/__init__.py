"""The store: a bundle kept in DuckDB (embedded default) or PostgreSQL, with what palmares
computes from it (contracts section 9; docs/store.md).

    from palmares.store import open_store
    with open_store("palmares.duckdb") as store:
        ds = store.dataset("the-wur", [2024])    # one edition's observations + metadata
        store.search("mines ales")               # [SearchHit(id, name, country, matched, score)]
"""

from __future__ import annotations

from palmares.names import SearchHit
from palmares.store.backend import DEFAULT_STORE, StoreError, StoreUrl, parse_url
from palmares.store.schema import SCHEMA_VERSION
from palmares.store.store import Store, open_store, resolve_store

__all__ = [
    "DEFAULT_STORE",
    "SCHEMA_VERSION",
    "SearchHit",
    "Store",
    "StoreError",
    "StoreUrl",
    "open_store",
    "parse_url",
    "resolve_store",
]
