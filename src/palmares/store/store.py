"""The Store: a bundle loaded into DuckDB or PostgreSQL, read back one question at a time.

This is the read interface other layers use (the API, the web pages, the command line); see
docs/store.md. Reads never build the whole world unless asked: :meth:`Store.dataset` takes a
system and years and returns a :class:`~palmares.dataset.Dataset` holding only that edition's
observations and published rows plus the (small) metadata tables.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from palmares.names import SearchHit, closest_names, fold_name, rank_names, unknown_institution
from palmares.store.backend import (
    DEFAULT_STORE,
    Connection,
    StoreError,
    StoreUrl,
    connect,
    parse_url,
    snapshot,
    transaction,
)
from palmares.store.schema import (
    BUNDLE_COLUMNS,
    DERIVED_TABLES,
    SCHEMA_VERSION,
    WITH_EXTRAS,
    statements,
)
from palmares.translatable import tr

if TYPE_CHECKING:
    import pyarrow as pa

    from palmares.dataset import Dataset

_KINDS = {"id": "str", "str": "str", "int": "int", "float": "float"}


def _palmares_version() -> str:
    from palmares import __version__

    return __version__


def _now() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())


def _arrow_schema(table: str) -> pa.Schema:
    import pyarrow as pa

    from palmares.schema import TABLES

    spec = TABLES[table]
    types = {"id": pa.string(), "str": pa.string(), "int": pa.int64(), "float": pa.float64()}
    fields = [pa.field("ordinal", pa.int64())]
    fields += [pa.field(c, types[spec.kind(c)]) for c in BUNDLE_COLUMNS[table]]
    if table in WITH_EXTRAS:
        fields.append(pa.field("extras", pa.string()))
    return pa.schema(fields)


class Store:
    """An open store. Use :func:`open_store`; close it (or use ``with``) when done."""

    def __init__(self, url: StoreUrl, con: Connection, *, writable: bool) -> None:
        self.url = url
        self._con = con
        self.writable = writable
        self._meta_cache: dict[str, str | None] | None = None

    # -- life -------------------------------------------------------------------------------

    @property
    def backend(self) -> str:
        return self.url.backend

    def close(self) -> None:
        self._con.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- schema -----------------------------------------------------------------------------

    def schema_version(self) -> int:
        """The store's schema version (0 for an empty database)."""
        if not self._con.table_exists("palmares_schema"):
            return 0
        found = self._con.rows("SELECT max(version) FROM palmares_schema")
        return int(found[0][0] or 0)

    def check_version(self, *, allow_older: bool = False, allow_empty: bool = False) -> int:
        """The schema version, refusing a newer one (naming both) and, unless allowed, an older
        or empty one."""
        version = self.schema_version()
        if version > SCHEMA_VERSION:
            by = self._con.rows(
                "SELECT palmares_version FROM palmares_schema ORDER BY version DESC LIMIT 1"
            )[0][0]
            raise StoreError(
                tr(
                    "the store {url} has schema version {version} (written by palmares {by}); "
                    "this palmares ({mine}) reads schema version {schema}: upgrade palmares to "
                    "use it",
                    url=self.url,
                    version=version,
                    by=by,
                    mine=_palmares_version(),
                    schema=SCHEMA_VERSION,
                )
            )
        if version == 0 and not allow_empty:
            raise StoreError(
                tr(
                    "the store {url} holds no data: load a bundle with "
                    "`palmares db load BUNDLE --db {url}`",
                    url=self.url,
                )
            )
        if 0 < version < SCHEMA_VERSION and not allow_older:
            raise StoreError(
                tr(
                    "the store {url} has schema version {version}; this palmares reads "
                    "version {schema}: run `palmares db migrate --db {url}`",
                    url=self.url,
                    version=version,
                    schema=SCHEMA_VERSION,
                )
            )
        return version

    def migrate(self) -> tuple[int, int]:
        """Bring the schema to :data:`SCHEMA_VERSION` in one transaction; (before, after)."""
        with transaction(self._con):
            before = self.check_version(allow_older=True, allow_empty=True)
            self._migrate_from(before)
        return before, SCHEMA_VERSION

    def _upgrade_schema(self) -> bool:
        """Migrate an older or empty store to this schema version (inside a load's transaction);
        whether it had to."""
        version = self.check_version(allow_older=True, allow_empty=True)
        if version < SCHEMA_VERSION:
            self._migrate_from(version)
            return True
        return False

    def _migrate_from(self, version: int) -> None:
        for target in range(version + 1, SCHEMA_VERSION + 1):
            for statement in statements(target, self.backend):
                self._con.execute(statement)
            self._con.execute(
                "INSERT INTO palmares_schema VALUES (?, ?, ?)",
                [target, _palmares_version(), _now()],
            )

    # -- metadata ---------------------------------------------------------------------------

    def _meta(self) -> dict[str, str | None]:
        if self._meta_cache is None:
            rows = self._con.rows("SELECT key, value FROM palmares_meta")
            self._meta_cache = {str(k): v for k, v in rows}
        return self._meta_cache

    @property
    def data_hash(self) -> str | None:
        """SHA-256 of the loaded bundle's canonical CSV (as :func:`palmares.io.data_hash`)."""
        return self._meta().get("data_hash")

    def counts(self) -> dict[str, int]:
        return {
            table: int(self._con.rows(f"SELECT count(*) FROM {table}")[0][0])
            for table in BUNDLE_COLUMNS
        }

    def info(self) -> dict[str, Any]:
        """``{backend, schema_version, palmares_version, data_hash, counts, cached_results}``."""
        version = self.check_version(allow_older=True)
        cached = sum(
            int(self._con.rows(f"SELECT count(*) FROM {t}")[0][0])
            for t in ("computed_results", "uncertainty_results", "cached_answers")
        )
        return {
            "backend": self.backend,
            "schema_version": version,
            "palmares_version": self._meta().get("palmares_version"),
            "data_hash": self.data_hash,
            "counts": self.counts(),
            "cached_results": cached,
        }

    def systems(self) -> list[dict[str, Any]]:
        """``[{id, label_en, label_fr, editions}]``: systems (root indicators) with editions."""
        editions: dict[str, list[int]] = {}
        for system, year in self._con.rows(
            "SELECT system, year FROM editions ORDER BY system, year"
        ):
            editions.setdefault(str(system), []).append(int(year))
        labels = {
            str(i): (en, fr)
            for i, en, fr in self._con.rows("SELECT id, label_en, label_fr FROM indicators")
        }
        return [
            {
                "id": system,
                "label_en": labels.get(system, (None, None))[0],
                "label_fr": labels.get(system, (None, None))[1],
                "editions": years,
            }
            for system, years in sorted(editions.items())
        ]

    def edition_years(self, system: str) -> tuple[int, ...]:
        rows = self._con.rows("SELECT year FROM editions WHERE system = ? ORDER BY year", [system])
        return tuple(int(y) for (y,) in rows)

    def check_edition(self, system: str, edition: int) -> None:
        """Nothing when the store holds ``edition`` of ``system``; else a LookupError naming
        the closest systems (rapidfuzz) or the closest editions (nearest years first)."""
        years = self.edition_years(system)
        if not years:
            from rapidfuzz import process

            systems = [str(s) for (s,) in self._con.rows("SELECT DISTINCT system FROM editions")]
            near = [m for m, _, _ in process.extract(system, systems, limit=3, score_cutoff=50)]
            hint = tr("; did you mean {names}?", names=", ".join(near)) if near else ""
            shown = ", ".join(sorted(systems)) or tr("none")
            raise LookupError(
                tr(
                    "the store holds no edition of system {system!r}{hint} (systems: {shown})",
                    system=system,
                    hint=hint,
                    shown=shown,
                )
            )
        if int(edition) not in years:
            nearest = sorted(years, key=lambda y: (abs(y - int(edition)), -y))[:2]
            raise LookupError(
                tr(
                    "the store holds no edition {edition} of {system}; closest: {nearest} "
                    "(editions: {years})",
                    edition=edition,
                    system=system,
                    nearest=", ".join(map(str, nearest)),
                    years=", ".join(map(str, years)),
                )
            )

    # -- datasets ---------------------------------------------------------------------------

    def _table(self, table: str, where: str = "") -> Any:
        """One bundle table as a pandas DataFrame in the bundle's row order, extras expanded."""
        schema = _arrow_schema(table)
        columns = ", ".join(schema.names)
        # DuckDB returns a scan in the order the rows were inserted (its default
        # preserve_insertion_order), which is the bundle's: an ORDER BY would sort every row
        # in DuckDB's memory first (110 MB more at the peak for a 400,000-row system instead
        # of 50). The order is checked, and restored here if ever it is not.
        order = "" if self.backend == "duckdb" else " ORDER BY ordinal"
        data = self._con.arrow(f"SELECT {columns} FROM {table} {where}{order}", schema)
        if not order and not _ascending(data.column("ordinal")):
            data = data.sort_by("ordinal")
        frame = data.drop_columns(["ordinal"]).to_pandas()
        if table in WITH_EXTRAS:
            frame = self._expand_extras(table, frame)
        return frame

    def _extra_columns(self) -> dict[str, list[tuple[str, str]]]:
        rows = self._con.rows(
            "SELECT table_name, name, kind FROM bundle_columns ORDER BY table_name, position"
        )
        found: dict[str, list[tuple[str, str]]] = {}
        for table, name, kind in rows:
            found.setdefault(str(table), []).append((str(name), str(kind)))
        return found

    def _expand_extras(self, table: str, frame: Any) -> Any:
        import pandas as pd

        extras = self._extra_columns().get(table, [])
        records = [
            json.loads(text) if isinstance(text, str) else {}
            for text in frame.pop("extras").tolist()
        ]
        for name, kind in extras:
            values = [r.get(name) for r in records]
            if kind == "int":
                frame[name] = pd.array(values, dtype="Int64")
            elif kind == "float":
                frame[name] = pd.array(
                    [float("nan") if v is None else v for v in values], dtype="float64"
                )
            elif kind == "bool":
                frame[name] = pd.array(values, dtype="boolean")
            else:
                frame[name] = pd.Series(values, dtype="str")
        return frame

    def dataset(self, system: str | None = None, years: Iterable[int] | None = None) -> Dataset:
        """A Dataset of the store: the whole bundle, or only the observations and published rows
        of ``system`` (and of ``years`` when given) with every metadata table.

        Its data hash (``dataset.memo("data_hash")``) is the store's: results computed from a
        part of the store carry the hash of the data they came from.
        """
        from palmares.dataset import Dataset

        _small_reads_pool()
        self.check_version()
        where = ""
        if system is not None:
            where = f"WHERE system = {self._con.literal(system)}"
            if years is not None:
                listed = ", ".join(str(int(y)) for y in years) or "NULL"
                where += f" AND year IN ({listed})"
        tables = {}
        with snapshot(self._con):  # tables and hash of one state, even while a load commits
            for table in BUNDLE_COLUMNS:
                filtered = table in ("observations", "published") or (
                    table == "editions" and system is not None
                )
                tables[table] = self._table(table, where if filtered else "")
            self._meta_cache = None
            stored = self.data_hash
        ds = Dataset(tables)
        if stored is not None:
            ds.memo("data_hash", lambda: stored)
        return ds

    # -- institutions -----------------------------------------------------------------------

    def _names(self, country: str | None = None) -> list[tuple[str, str, str | None, str]]:
        """(institution id, its name, country, a name it is known by) for every name."""
        where = "" if country is None else "WHERE i.country = ?"
        params = [] if country is None else [country.upper()]
        rows = self._con.rows(
            "SELECT i.id, i.name, i.country, n.name FROM institutions i JOIN ("
            "SELECT id, id AS name FROM institutions UNION ALL "
            "SELECT id, name FROM institutions UNION ALL "
            "SELECT id, name_en FROM institutions WHERE name_en IS NOT NULL UNION ALL "
            "SELECT id, name_fr FROM institutions WHERE name_fr IS NOT NULL UNION ALL "
            "SELECT institution, name FROM aliases WHERE name IS NOT NULL"
            f") n ON n.id = i.id {where} ORDER BY i.id",
            params,
        )
        return [(str(i), str(name), c, str(n)) for i, name, c, n in rows]

    def search(self, text: str, *, country: str | None = None, limit: int = 10) -> list[SearchHit]:
        """Institutions by id, name or alias: case-, accent- and typo-tolerant, best first."""
        return rank_names(text, self._names(country), limit=limit)

    def resolve(self, query: str) -> str:
        """An institution id by exact id, else case/accent-insensitive exact name or alias.

        Never fuzzy: an unknown or ambiguous name raises :class:`LookupError` naming the
        closest valid ones (contracts sections 1 and 9).
        """
        names = self._names()
        if any(i == query for i, _, _, _ in names):
            return query
        wanted = fold_name(query)
        hits = sorted({i for i, _, _, n in names if fold_name(n) == wanted})
        if len(hits) == 1:
            return hits[0]
        if hits:
            raise LookupError(
                tr(
                    "{query!r} is ambiguous: it names {ids}; give an id",
                    query=query,
                    ids=", ".join(hits),
                )
            )
        closest = closest_names(query, names, limit=5)
        raise LookupError(unknown_institution(query, [(h.id, h.name) for h in closest]))

    def institution(self, institution: str) -> dict[str, Any] | None:
        """Identity, aliases, lineage, networks and the editions where it has data; None if
        unknown."""
        found = self._table("institutions", f"WHERE id = {self._con.literal(institution)}")
        if found.empty:
            return None
        record = {k: _plain(v) for k, v in found.iloc[0].to_dict().items()}
        lit = self._con.literal(institution)
        aliases = self._table("aliases", f"WHERE institution = {lit}")
        lineage = self._table("lineage", f"WHERE predecessor = {lit} OR successor = {lit}")
        networks = self._table("networks", f"WHERE institution = {lit}")
        editions = self._con.rows(
            "SELECT DISTINCT system, year FROM observations WHERE institution = ? "
            "UNION SELECT DISTINCT system, year FROM published WHERE institution = ? "
            "ORDER BY 1, 2",
            [institution, institution],
        )
        systems: dict[str, list[int]] = {}
        for system, year in editions:
            systems.setdefault(str(system), []).append(int(year))
        return {
            **record,
            "aliases": _records(aliases),
            "lineage": _records(lineage),
            "networks": _records(networks),
            "systems": systems,
        }

    # -- computed results and cached answers ------------------------------------------------

    def get_result(self, methodology_hash: str, system: str, edition: int) -> Any | None:
        """A stored computed table (the engine's JSON document) for the store's data, or None."""
        rows = self._con.rows(
            "SELECT payload FROM computed_results WHERE methodology_hash = ? AND data_hash = ? "
            "AND system = ? AND edition = ?",
            [methodology_hash, self.data_hash, system, int(edition)],
        )
        return json.loads(rows[0][0]) if rows else None

    def put_result(
        self,
        methodology_hash: str,
        system: str,
        edition: int,
        document: Any,
        *,
        methodology_text: str | None = None,
    ) -> None:
        """Keep a computed table (once: an existing entry is left as it is)."""
        payload = json.dumps(document, ensure_ascii=False, sort_keys=True)
        with transaction(self._con):
            self._con.execute(
                "DELETE FROM computed_results WHERE methodology_hash = ? AND data_hash = ? "
                "AND system = ? AND edition = ?",
                [methodology_hash, self.data_hash, system, int(edition)],
            )
            self._con.execute(
                "INSERT INTO computed_results VALUES (?, ?, ?, ?, ?, ?)",
                [methodology_hash, self.data_hash, system, int(edition), payload, _now()],
            )
            if methodology_text is not None:
                self._con.execute("DELETE FROM methodologies WHERE hash = ?", [methodology_hash])
                self._con.execute(
                    "INSERT INTO methodologies VALUES (?, ?, ?)",
                    [methodology_hash, system, methodology_text],
                )

    def get_uncertainty(
        self,
        methodology_hash: str,
        system: str,
        edition: int,
        *,
        spec_hash: str,
        draws: int,
        seed: int,
    ) -> bytes | None:
        """A stored uncertainty result (the bytes given to :meth:`put_uncertainty`), or None."""
        rows = self._con.rows(
            "SELECT payload FROM uncertainty_results WHERE methodology_hash = ? AND data_hash = ? "
            "AND system = ? AND edition = ? AND spec_hash = ? AND draws = ? AND seed = ?",
            [methodology_hash, self.data_hash, system, int(edition), spec_hash, draws, seed],
        )
        return bytes(rows[0][0]) if rows else None

    def put_uncertainty(
        self,
        methodology_hash: str,
        system: str,
        edition: int,
        payload: bytes,
        *,
        spec_hash: str,
        draws: int,
        seed: int,
    ) -> None:
        """Keep an uncertainty result (e.g. its Parquet bytes) for the store's data."""
        key = [methodology_hash, self.data_hash, system, int(edition), spec_hash, draws, seed]
        with transaction(self._con):
            self._con.execute(
                "DELETE FROM uncertainty_results WHERE methodology_hash = ? AND data_hash = ? "
                "AND system = ? AND edition = ? AND spec_hash = ? AND draws = ? AND seed = ?",
                key,
            )
            self._con.execute(
                "INSERT INTO uncertainty_results VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [*key, payload, _now()],
            )

    def uncertainty_payloads(
        self, system: str, edition: int, methodology_hash: str | None = None
    ) -> list[bytes]:
        """Every uncertainty result kept for an edition of the store's data (of
        ``methodology_hash`` when given), newest first."""
        sql = (
            "SELECT payload FROM uncertainty_results WHERE data_hash = ? AND system = ? "
            "AND edition = ?"
        )
        params: list[Any] = [self.data_hash, system, int(edition)]
        if methodology_hash is not None:
            sql += " AND methodology_hash = ?"
            params.append(methodology_hash)
        rows = self._con.rows(sql + " ORDER BY created_at DESC, draws DESC, seed", params)
        return [bytes(payload) for (payload,) in rows]

    def get_answer(self, key: str) -> str | None:
        """A command's stored answer for ``key`` on the store's data, or None."""
        rows = self._con.rows(
            "SELECT payload FROM cached_answers WHERE key = ? AND data_hash = ?",
            [key, self.data_hash],
        )
        return str(rows[0][0]) if rows else None

    def put_answer(self, key: str, command: str, payload: str) -> None:
        with transaction(self._con):
            self._con.execute(
                "DELETE FROM cached_answers WHERE key = ? AND data_hash = ?",
                [key, self.data_hash],
            )
            self._con.execute(
                "INSERT INTO cached_answers VALUES (?, ?, ?, ?, ?)",
                [key, self.data_hash, command, payload, _now()],
            )

    def clear_cache(self) -> int:
        """Forget every computed result and cached answer; the number of entries removed."""
        removed = 0
        with transaction(self._con):
            for table in DERIVED_TABLES:
                removed += int(self._con.rows(f"SELECT count(*) FROM {table}")[0][0])
                self._con.execute(f"DELETE FROM {table}")
        return removed

    # -- loading ----------------------------------------------------------------------------

    def load(self, dataset: Dataset, *, replace: bool = False) -> dict[str, Any]:
        """Write a validated Dataset into the store in one transaction (see :mod:`.load`)."""
        from palmares.store.load import load_dataset

        summary = load_dataset(
            self._con, dataset, replace=replace, url=self.url, upgrade_schema=self._upgrade_schema
        )
        self._meta_cache = None
        return summary


def _ascending(ordinal: Any) -> bool:
    import numpy as np

    values = ordinal.to_numpy()
    return bool(np.all(values[1:] > values[:-1]))


def _small_reads_pool() -> None:
    """Arrow allocates through the C library's allocator from now on (unless
    ``$ARROW_DEFAULT_MEMORY_POOL`` chose one): a store's reads are one system's rows, and
    Arrow's default (mimalloc) reserves about 18 MB of arenas for them, a first answer's
    largest avoidable share of peak memory (docs/benchmarks.md)."""
    if os.environ.get("ARROW_DEFAULT_MEMORY_POOL"):
        return
    import pyarrow as pa

    pa.set_memory_pool(pa.system_memory_pool())


def _plain(value: Any) -> Any:
    if value is None:
        return None
    if isinstance(value, float) and value != value:
        return None
    if hasattr(value, "item"):
        return value.item()
    try:
        import pandas as pd

        if value is pd.NA:
            return None
    except ImportError:  # pragma: no cover
        pass
    return value


def _records(frame: Any) -> list[dict[str, Any]]:
    return [{k: _plain(v) for k, v in row.items()} for row in frame.to_dict("records")]


def resolve_store(db: str | Path | None) -> StoreUrl | None:
    """The store a command uses: ``--db``, else ``$PALMARES_DB``; None when neither is set."""
    from palmares.store.backend import environment_store

    chosen = db if db is not None else environment_store()
    return parse_url(chosen) if chosen is not None else None


def open_store(url: str | Path | StoreUrl | None = None, *, write: bool = False) -> Store:
    """Open a store: ``url`` (a DuckDB path, ``duckdb:///PATH`` or ``postgresql://...``),
    else ``$PALMARES_DB``, else ``./palmares.duckdb``.

    Read-only by default (several readers may share a DuckDB file); ``write=True`` for loads
    and migrations. Raises :class:`StoreError` (a usage problem: exit 2) when the store is
    absent, busy or written by a newer schema.
    """
    parsed = url if isinstance(url, StoreUrl) else resolve_store(url)
    parsed = parsed or parse_url(DEFAULT_STORE)
    con = connect(parsed, write=write)
    store = Store(parsed, con, writable=write)
    try:
        store.check_version(allow_older=write, allow_empty=write)
    except BaseException:
        store.close()
        raise
    return store


#: Read-only stores shared by the reads of one command (see :func:`reading`).
_SHARED: dict[StoreUrl, Store] = {}
#: How many :func:`one_connection_per_store` blocks are open (the command line opens one).
_SESSIONS = [0]


@contextmanager
def one_connection_per_store() -> Iterator[None]:
    """Within, :func:`reading` shares one read-only connection per store: a command reading
    the kept tables of every edition opens the store once, not once per edition (opening a
    DuckDB file costs 40-70 ms). The connections are closed when the block ends; outside any
    block, :func:`reading` opens and closes a connection each time, as before."""
    _SESSIONS[0] += 1
    try:
        yield
    finally:
        _SESSIONS[0] -= 1
        if not _SESSIONS[0]:
            close_shared()


@contextmanager
def reading(url: StoreUrl) -> Iterator[Store]:
    """A read-only store: the shared one inside :func:`one_connection_per_store`, else one
    opened for the block."""
    if not _SESSIONS[0]:
        with open_store(url) as own:
            yield own
        return
    shared = _SHARED.get(url)
    if shared is None:
        shared = _SHARED[url] = open_store(url)
    yield shared


def close_shared(url: StoreUrl | None = None) -> None:
    """Close the shared read-only store of ``url`` (of every URL when None): before writing
    to it (DuckDB: one process opens a file read-only or writable, not both)."""
    for key in [url] if url is not None else list(_SHARED):
        store = _SHARED.pop(key, None) if key is not None else None
        if store is not None:
            store.close()


__all__ = [
    "Store",
    "StoreError",
    "close_shared",
    "one_connection_per_store",
    "open_store",
    "reading",
    "resolve_store",
]
