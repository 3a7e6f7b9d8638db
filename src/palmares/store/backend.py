"""The two backends behind one small interface: DuckDB (embedded) and PostgreSQL (psycopg 3).

SQL is written with ``?`` placeholders; the PostgreSQL backend turns them into ``%s``. Bulk
transfer is Arrow on DuckDB (a registered Arrow table) and COPY in CSV on PostgreSQL, both ways.
"""

from __future__ import annotations

import io
import os
import re
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from palmares.problems import UsageProblem
from palmares.translatable import tr

if TYPE_CHECKING:
    import pyarrow as pa


class StoreError(UsageProblem):
    """A store that cannot be used as asked (absent, busy, newer schema): the CLI exits 2."""


@dataclass(frozen=True)
class StoreUrl:
    """Where a store lives: ``backend`` is ``duckdb`` or ``postgresql``."""

    backend: str
    target: str  # a file path (DuckDB) or a libpq connection string (PostgreSQL)

    def __str__(self) -> str:
        return self.target if self.backend == "duckdb" else _hide_password(self.target)


def _hide_password(url: str) -> str:
    return re.sub(r"(://[^:/@]+:)[^@]*@", r"\1***@", url)


DEFAULT_STORE = "palmares.duckdb"


def parse_url(url: str | Path) -> StoreUrl:
    """``PATH.duckdb``, ``duckdb:///PATH`` or ``postgresql://...`` (``postgres://`` too)."""
    text = str(url)
    if text.startswith(("postgresql://", "postgres://")):
        return StoreUrl("postgresql", text)
    if text.startswith("duckdb://"):
        path = text[len("duckdb://") :]
        # duckdb:///relative/or/absolute: three slashes then the path as written
        return StoreUrl(
            "duckdb", path[1:] if path.startswith("/") and not path.startswith("//") else path
        )
    if "://" in text:
        raise StoreError(
            tr(
                "--db {url!r}: give a DuckDB file (PATH.duckdb or duckdb:///PATH) or a "
                "postgresql://user@host:port/name URL",
                url=text,
            )
        )
    return StoreUrl("duckdb", text)


class Connection(Protocol):
    backend: str

    def execute(self, sql: str, params: Sequence[Any] = ()) -> None: ...
    def rows(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]: ...
    def insert_arrow(self, table: str, data: pa.Table) -> None: ...
    def arrow(self, sql: str, schema: pa.Schema) -> pa.Table: ...
    def literal(self, value: object) -> str: ...
    def begin(self) -> None: ...
    def begin_snapshot(self) -> None: ...
    def commit(self) -> None: ...
    def rollback(self) -> None: ...
    def lock_for_load(self) -> None: ...
    def table_exists(self, name: str) -> bool: ...
    def close(self) -> None: ...


def _sql_literal(value: object) -> str:
    """A SQL literal for ids, years and text (single quotes doubled)."""
    if value is None:
        return "NULL"
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, int):
        return str(value)
    return "'" + str(value).replace("'", "''") + "'"


class DuckDBConnection:
    backend = "duckdb"

    def __init__(self, path: str, *, write: bool) -> None:
        # DuckDB's engine is the ``_duckdb`` extension; the ``duckdb`` package around it adds
        # the Python relational API (about 0.15 s to import, most of a kept answer's time).
        # Connections, queries and the exceptions are the extension's own: the package is
        # imported only when Arrow data moves (``arrow``, ``insert_arrow``).
        import _duckdb as duckdb

        self.path = path
        if not write and not Path(path).exists():
            raise StoreError(
                tr(
                    "no store at {path}: make one with `palmares db load BUNDLE --db {path}`",
                    path=path,
                )
            )
        try:
            self._con = duckdb.connect(path, read_only=not write)
        except duckdb.IOException as error:
            message = str(error)
            if "lock" in message.lower():
                holder = re.search(r"PID (\d+)", message)
                who = tr(" (process {pid})", pid=holder.group(1)) if holder else ""
                raise StoreError(
                    tr(
                        "the store {path} is in use by another process{who}: a load is running "
                        "or a reader holds it; try again when it finishes",
                        path=path,
                        who=who,
                    )
                ) from None
            raise StoreError(
                tr("cannot open the store {path}: {reason}", path=path, reason=message)
            ) from None
        except duckdb.Error as error:
            raise StoreError(
                tr("cannot open the store {path}: {reason}", path=path, reason=str(error))
            ) from None

    def execute(self, sql: str, params: Sequence[Any] = ()) -> None:
        self._con.execute(sql, list(params))

    def rows(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        return list(self._con.execute(sql, list(params)).fetchall())

    def insert_arrow(self, table: str, data: pa.Table) -> None:
        import duckdb  # noqa: F401  (the whole package where Arrow data moves)

        columns = ", ".join(data.column_names)
        self._con.register("palmares_incoming", data)
        try:
            self._con.execute(
                f"INSERT INTO {table} ({columns}) SELECT {columns} FROM palmares_incoming"
            )
        finally:
            self._con.unregister("palmares_incoming")

    def arrow(self, sql: str, schema: pa.Schema) -> pa.Table:
        import duckdb  # noqa: F401  (the whole package where Arrow data moves)

        table: pa.Table = self._con.sql(sql).to_arrow_table()
        return table.cast(schema)

    def literal(self, value: object) -> str:
        return _sql_literal(value)

    def begin(self) -> None:
        self._con.execute("BEGIN TRANSACTION")

    def begin_snapshot(self) -> None:
        self._con.execute("BEGIN TRANSACTION")

    def commit(self) -> None:
        self._con.execute("COMMIT")

    def rollback(self) -> None:
        self._con.execute("ROLLBACK")

    def lock_for_load(self) -> None:
        """The file lock taken when opening for writing already excludes other writers."""

    def table_exists(self, name: str) -> bool:
        found = self.rows(
            "SELECT count(*) FROM information_schema.tables WHERE table_name = ?", [name]
        )
        return bool(found[0][0])

    def close(self) -> None:
        self._con.close()


class PostgresConnection:
    backend = "postgresql"

    def __init__(self, url: str) -> None:
        import psycopg

        try:
            self._con = psycopg.connect(url, autocommit=True, connect_timeout=10)
        except psycopg.Error as error:
            raise StoreError(
                tr(
                    "cannot connect to the store {url}: {reason}",
                    url=_hide_password(url),
                    reason=str(error).strip(),
                )
            ) from None

    @staticmethod
    def _sql(sql: str) -> str:
        return sql.replace("%", "%%").replace("?", "%s")

    def execute(self, sql: str, params: Sequence[Any] = ()) -> None:
        self._con.execute(self._sql(sql), list(params))

    def rows(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        cursor = self._con.execute(self._sql(sql), list(params))
        return list(cursor.fetchall())

    def insert_arrow(self, table: str, data: pa.Table) -> None:
        import pyarrow.csv as pacsv

        columns = ", ".join(data.column_names)
        options = pacsv.WriteOptions(include_header=False, batch_size=65536)
        with self._con.cursor() as cursor:
            statement = f"COPY {table} ({columns}) FROM STDIN WITH (FORMAT csv)"
            with cursor.copy(statement) as copy:
                # One batch at a time: the CSV text of the whole table is never held at once.
                for batch in data.to_batches(max_chunksize=100_000):
                    sink = io.BytesIO()
                    pacsv.write_csv(batch, sink, options)
                    copy.write(sink.getvalue())

    def arrow(self, sql: str, schema: pa.Schema) -> pa.Table:
        import pyarrow.csv as pacsv

        sink = io.BytesIO()
        with self._con.cursor() as cursor:
            statement = f"COPY ({sql}) TO STDOUT WITH (FORMAT csv, HEADER true)"
            with cursor.copy(statement) as copy:
                for chunk in copy:
                    sink.write(chunk)
        sink.seek(0)
        return pacsv.read_csv(
            sink,
            convert_options=pacsv.ConvertOptions(
                column_types=schema,
                strings_can_be_null=True,
                quoted_strings_can_be_null=False,
                null_values=[""],
            ),
        ).cast(schema)

    def literal(self, value: object) -> str:
        return _sql_literal(value)

    def begin(self) -> None:
        self._con.execute("BEGIN")

    def begin_snapshot(self) -> None:
        """Reads that see one state of the store, even while a load commits."""
        self._con.execute("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")

    def commit(self) -> None:
        self._con.execute("COMMIT")

    def rollback(self) -> None:
        self._con.execute("ROLLBACK")

    def lock_for_load(self) -> None:
        """One load at a time: a second one waits here until the first commits or fails."""
        self._con.execute("SELECT pg_advisory_xact_lock(7245, 1)")

    def table_exists(self, name: str) -> bool:
        found = self.rows("SELECT to_regclass(?) IS NOT NULL", [f"public.{name}"])
        return bool(found[0][0])

    def close(self) -> None:
        self._con.close()


def connect(url: StoreUrl, *, write: bool) -> Connection:
    if url.backend == "postgresql":
        return PostgresConnection(url.target)
    return DuckDBConnection(url.target, write=write)


@contextmanager
def snapshot(con: Connection) -> Iterator[None]:
    """Several reads of one consistent state of the store."""
    con.begin_snapshot()
    try:
        yield
    finally:
        con.rollback()


@contextmanager
def transaction(con: Connection) -> Iterator[None]:
    """One transaction: committed when the block ends, rolled back on any error."""
    con.begin()
    try:
        yield
    except BaseException:
        con.rollback()
        raise
    con.commit()


def environment_store() -> str | None:
    return os.environ.get("PALMARES_DB") or None
