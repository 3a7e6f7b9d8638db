"""Loading a validated Dataset into a store: one transaction, bulk (Arrow on DuckDB, COPY on
PostgreSQL), so that a load that fails or is killed leaves the store as it was."""

from __future__ import annotations

import json
import math
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from palmares.store.backend import Connection, StoreError, StoreUrl, transaction
from palmares.store.schema import BUNDLE_COLUMNS, WITH_EXTRAS
from palmares.translatable import tr

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt
    import pandas as pd
    import pyarrow as pa

    from palmares.dataset import Dataset

#: Rows per Arrow slice sent to the database: bounds the memory of the transfer.
CHUNK_ROWS = 200_000


def _extra_kind(series: pd.Series) -> str:
    import pandas as pd

    if pd.api.types.is_bool_dtype(series.dtype):
        return "bool"
    if pd.api.types.is_integer_dtype(series.dtype):
        return "int"
    if pd.api.types.is_float_dtype(series.dtype):
        return "float"
    return "str"


def _json_value(value: Any, kind: str) -> Any:
    if value is None or value is _NA() or (isinstance(value, float) and math.isnan(value)):
        return None
    if kind == "int":
        return int(value)
    if kind == "float":
        return float(value)
    if kind == "bool":
        return bool(value)
    return str(value)


def _NA() -> Any:
    import pandas as pd

    return pd.NA


def _arrow(
    table: str, frame: pd.DataFrame, extras: list[tuple[str, str]], ordinals: Any
) -> pa.Table:
    import pyarrow as pa

    from palmares.schema import TABLES

    spec = TABLES[table]
    types = {"id": pa.string(), "str": pa.string(), "int": pa.int64(), "float": pa.float64()}
    arrays = {"ordinal": pa.array(ordinals, type=pa.int64())}
    for column in BUNDLE_COLUMNS[table]:
        arrays[column] = pa.array(frame[column], type=types[spec.kind(column)], from_pandas=True)
    if table in WITH_EXTRAS:
        names = [n for n, _ in extras]
        rows = frame[names].to_dict("records") if names else [{} for _ in range(len(frame))]
        texts = [
            json.dumps(
                {n: _json_value(r[n], k) for n, k in extras}, ensure_ascii=False, sort_keys=False
            )
            if extras
            else None
            for r in rows
        ]
        arrays["extras"] = pa.array(texts, type=pa.string())
    return pa.table(arrays)


def _by_edition(frame: pd.DataFrame) -> npt.NDArray[np.integer[Any]] | None:
    """Row positions grouped by edition (system, year), bundle order kept within each (None:
    grouped already, or too many editions to code in 16 bits): the rows of one edition lie
    together in the store, so that reading one edition (``rank``, ``explain``) scans its part
    of the table only (DuckDB skips the other row groups by their zone maps). Rows keep their
    bundle position as ``ordinal``."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc

    n = len(frame)
    if n == 0 or "system" not in frame.columns or "year" not in frame.columns:
        return None
    # Arrow codes the ids without a Python string per row; small integers throughout (a
    # table of millions of rows: every temporary array costs its page faults).
    system = pc.dictionary_encode(pa.array(frame["system"], type=pa.large_string()))
    if isinstance(system, pa.ChunkedArray):
        system = system.combine_chunks()
    systems = len(system.dictionary) + 1
    years = frame["year"].to_numpy(dtype=np.int64, na_value=0)
    low, high = int(years.min()), int(years.max())
    if systems * (high - low + 1) >= 2**15 or not -(2**15) < low <= high < 2**15:
        return None  # no short list of editions to group by
    edition = pc.fill_null(system.indices, -1).to_numpy(zero_copy_only=False).astype(np.int16)
    edition *= high - low + 1
    edition += years.astype(np.int16)
    edition -= low
    if (edition[1:] >= edition[:-1]).all():
        return None
    order = np.argsort(edition, kind="stable")  # int16 codes: a radix sort
    return order.astype(np.int32) if n < 2**31 else order  # 32-bit positions: half the memory


def load_dataset(
    con: Connection,
    dataset: Dataset,
    *,
    replace: bool,
    url: StoreUrl,
    upgrade_schema: Callable[[], bool],
) -> dict[str, Any]:
    """Write every table of ``dataset`` into the store in one transaction; the summary of
    contracts section 9 (without ``seconds``). ``upgrade_schema`` (the store's, called under
    the load's lock) brings an older or empty store to this schema version and says whether
    it had to: a store already at this version keeps its bundle unless ``replace``.

    The data hash is computed in a second thread while the tables are written: Arrow and the
    database both work outside the GIL, so on two cores the hash costs no wall time.
    """
    from concurrent.futures import ThreadPoolExecutor
    from functools import partial

    from palmares.io.fingerprint import bundle_hash

    tables = dataset.to_frames()
    # The hash reads the same copies the load writes (one copy of the observations, not two);
    # it is the Dataset's own (``palmares.io.data_hash``), kept on it as that function does.
    compute = partial(bundle_hash, dict(tables).__getitem__)
    with ThreadPoolExecutor(1, thread_name_prefix="palmares-data-hash") as pool:
        hashing = pool.submit(dataset.memo, "data_hash", compute)
        del compute
        try:
            return _write(
                con,
                tables,
                replace=replace,
                url=url,
                upgrade_schema=upgrade_schema,
                data_hash=hashing.result,
            )
        finally:
            hashing.cancel()


def _write(
    con: Connection,
    tables: dict[str, pd.DataFrame],
    *,
    replace: bool,
    url: StoreUrl,
    upgrade_schema: Callable[[], bool],
    data_hash: Callable[[], str],
) -> dict[str, Any]:
    import numpy as np

    from palmares import __version__

    with transaction(con):
        con.lock_for_load()
        if not upgrade_schema():
            existing = con.rows("SELECT value FROM palmares_meta WHERE key = 'data_hash'")
            if existing and not replace:
                raise StoreError(
                    tr(
                        "the store {url} already holds a bundle (data hash {hash}): "
                        "pass --replace to replace it",
                        url=url,
                        hash=existing[0][0][:12],
                    )
                )
        for table in (*BUNDLE_COLUMNS, "bundle_columns", "palmares_meta"):
            con.execute(f"DELETE FROM {table}")
        for table in BUNDLE_COLUMNS:
            frame = tables.pop(table)
            known = set(BUNDLE_COLUMNS[table])
            extras = [(c, _extra_kind(frame[c])) for c in frame.columns if c not in known]
            for position, (name, kind) in enumerate(extras):
                con.execute(
                    "INSERT INTO bundle_columns VALUES (?, ?, ?, ?)", [table, position, name, kind]
                )
            positions = _by_edition(frame)
            for start in range(0, len(frame), CHUNK_ROWS):
                if positions is None:  # grouped already: slices of the table itself
                    part = frame.iloc[start : start + CHUNK_ROWS]
                    rows: Any = np.arange(start, start + len(part), dtype=np.int64)
                else:
                    rows = positions[start : start + CHUNK_ROWS]
                    part = frame.take(rows)
                con.insert_arrow(table, _arrow(table, part, extras, rows))
            del frame
        new_hash = data_hash()
        for table in ("computed_results", "uncertainty_results", "cached_answers"):
            # Entries of other data can never be asked for again: drop them with the data.
            con.execute(f"DELETE FROM {table} WHERE data_hash <> ?", [new_hash])
        meta = {
            "data_hash": new_hash,
            "palmares_version": __version__,
            "loaded_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        }
        for key, value in meta.items():
            con.execute("INSERT INTO palmares_meta VALUES (?, ?)", [key, value])
        counts = {t: int(con.rows(f"SELECT count(*) FROM {t}")[0][0]) for t in BUNDLE_COLUMNS}
    return {
        "backend": url.backend,
        "institutions": counts["institutions"],
        "observations": counts["observations"],
        "published": counts["published"],
        "editions": counts["editions"],
        "data_hash": new_hash,
    }
