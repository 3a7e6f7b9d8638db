"""Computed tables kept in the store: one engine run per methodology x data x edition.

A command reading a store (``--db``) runs the engine through :func:`run_or_reuse`: the first
command to need an edition computes its :class:`~palmares.result.Result` and keeps it
(``computed_results``, keyed by the methodology hash, the data hash, the system and the
edition); ``history``, ``highlights``, ``network``, the communiqué and the charts then read it
instead of running the engine again. What is kept is everything the Result computed (scores
at every node, ranks, bands, groups, the working of every step); what the dataset already
holds (names, attributes, networks) and the methodology are taken from the dataset and the
methodology file, so the Result read back is the one the engine returns, field for field.

The document is JSON (the store's payload column): arrays as zlib-compressed little-endian
bytes in base64, tagged values for tuples, dicts and arrays in the steps' records. Nothing is
unpickled. An entry written by another palmares version, or one that cannot be read, is
recomputed and replaced, never used.
"""

from __future__ import annotations

import base64
import os
import zlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from palmares.dataset import Dataset
    from palmares.methodology import Methodology
    from palmares.result import Result
    from palmares.store.backend import StoreUrl

FORMAT = "palmares-result/2"

#: Dataset memo key naming the store a dataset was read from (set by :func:`palmares.load`).
STORE_MEMO = "store_url"

_ARRAYS = (
    "direction",
    "raw",
    "status",
    "eligible",
    "imputed",
    "leaf_values",
    "leaf_mask",
    "grades",
    "node_values",
    "node_weights",
    "grade_counts",
    "raw_score",
    "score",
    "unscaled",
    "scored",
)
_RANKING_ARRAYS = (
    "key",
    "rank",
    "tie_size",
    "band_lo",
    "band_hi",
    "group_rank",
    "group_size",
    "group_first_half",
    "top_percent",
    "published_score",
)


class NotStorable(TypeError):
    """A value of a Result that this format does not hold (the Result is then not kept)."""


# -- encoding ------------------------------------------------------------------------------------


def _array(a: Any) -> dict[str, Any]:
    import numpy as np

    a = np.asarray(a)
    if a.dtype == object:
        values = a.tolist()
        if not all(v is None or isinstance(v, str) for v in values):
            raise NotStorable(f"object array of {sorted({type(v).__name__ for v in values})}")
        return {"__objects__": values, "shape": list(a.shape)}
    if a.dtype.kind not in "biuf":
        raise NotStorable(f"array of dtype {a.dtype}")
    dtype = a.dtype.newbyteorder("<") if a.dtype.byteorder == ">" else a.dtype
    raw = np.ascontiguousarray(a, dtype=dtype).tobytes()
    if _compresses(raw):
        return {
            "__array__": base64.b64encode(zlib.compress(raw, 1)).decode("ascii"),
            "dtype": dtype.str,
            "shape": list(a.shape),
        }
    return {
        "__array__": base64.b64encode(raw).decode("ascii"),
        "codec": "raw",
        "dtype": dtype.str,
        "shape": list(a.shape),
    }


#: Arrays above this size are compressed only when a sample of them compresses well.
_SAMPLED_BYTES = 1 << 20


def _compresses(raw: bytes) -> bool:
    """Whether zlib is worth it: scores of thousands of institutions at every node are doubles
    that barely compress (a 4,000 x 300 table: 0.5 s of zlib to save 15 %)."""
    if len(raw) <= _SAMPLED_BYTES:
        return True
    sample = raw[: _SAMPLED_BYTES // 4]
    return len(zlib.compress(sample, 1)) < 0.8 * len(sample)


def _unarray(doc: dict[str, Any]) -> Any:
    import numpy as np

    if "__objects__" in doc:
        out = np.empty(len(doc["__objects__"]), dtype=object)
        out[:] = doc["__objects__"]
        return out.reshape(doc["shape"])
    raw = base64.b64decode(doc["__array__"])
    if doc.get("codec") != "raw":
        raw = zlib.decompress(raw)
    return np.frombuffer(raw, dtype=np.dtype(doc["dtype"])).reshape(doc["shape"]).copy()


def _encode(value: Any) -> Any:
    """A JSON form of a record's facts: tuples, dicts (any keys) and arrays tagged."""
    import numpy as np

    if value is None or isinstance(value, (bool, str, int, float)):
        return value
    if isinstance(value, np.ndarray):
        return _array(value)
    if isinstance(value, np.generic):
        return {"__scalar__": _array(np.asarray(value))}
    if isinstance(value, tuple):
        return {"__tuple__": [_encode(v) for v in value]}
    if isinstance(value, list):
        return [_encode(v) for v in value]
    if isinstance(value, dict):
        return {"__dict__": [[_encode(k), _encode(v)] for k, v in value.items()]}
    raise NotStorable(f"a value of type {type(value).__name__}")


def _decode(value: Any) -> Any:
    if isinstance(value, list):
        return [_decode(v) for v in value]
    if not isinstance(value, dict):
        return value
    if "__tuple__" in value:
        return tuple(_decode(v) for v in value["__tuple__"])
    if "__dict__" in value:
        return {_hashable(_decode(k)): _decode(v) for k, v in value["__dict__"]}
    if "__scalar__" in value:
        return _unarray(value["__scalar__"])[()]
    return _unarray(value)


def _hashable(key: Any) -> Any:
    return tuple(key) if isinstance(key, list) else key


def result_document(result: Result) -> dict[str, Any]:
    """Everything the engine computed for ``result``, as a JSON document."""
    from palmares import __version__

    if result.personalisation is not None:
        raise NotStorable("a personalised table")
    ranking = result.ranking
    return {
        "format": FORMAT,
        "palmares_version": __version__,
        "result_version": result.palmares_version,
        "system": result.system,
        "edition": result.edition,
        "methodology_hash": result.methodology_hash,
        "data_hash": result.data_hash,
        "seed": result.seed,
        "institutions": list(result.institutions),
        "tree": [[n, result.tree.parent_of(n)] for n in result.tree.ids],
        "leaves": list(result.leaves),
        "arrays": _stored_arrays(result),
        "ranking": {
            "field_size": int(ranking.field_size),
            "ties": ranking.ties,
            "group": _array(ranking.group),
            **{name: _array(getattr(ranking, name)) for name in _RANKING_ARRAYS},
        },
        "records": [
            {
                "type": type(r).__module__ + "." + type(r).__qualname__,
                "index": r.index,
                "tag": r.tag,
                "nodes": list(r.nodes),
                "facts": _encode(dict(r.facts)),
            }
            for r in result.records
        ],
    }


def _stored_arrays(result: Result) -> dict[str, Any]:
    """The Result's arrays, each held once: one equal to an array stored before it names that
    one (``__same_as__``: unscaled scores are the node values when no step rescales), leaf
    values equal to the node values' leaf columns say so (``__columns_of__``)."""
    import numpy as np

    given = {name: getattr(result, name) for name in _ARRAYS}
    out: dict[str, Any] = {}
    for name, value in given.items():
        a = None if value is None else np.asarray(value)
        if a is None:
            out[name] = None
            continue
        same = next(
            (
                other
                for other in out
                if isinstance(given[other], np.ndarray)
                and a.dtype != object
                and given[other].dtype == a.dtype
                and given[other].shape == a.shape
                and np.ascontiguousarray(given[other]).tobytes()
                == np.ascontiguousarray(a).tobytes()
            ),
            None,
        )
        out[name] = {"__same_as__": same} if same is not None else _array(a)
    leaves, nodes = given.get("leaf_values"), given.get("node_values")
    if isinstance(leaves, np.ndarray) and isinstance(nodes, np.ndarray) and nodes.ndim == 2:
        position = {n: i for i, n in enumerate(result.tree.ids)}
        columns = [position.get(leaf, -1) for leaf in result.leaves]
        if (
            -1 not in columns
            and nodes.shape[1] == len(position)
            and leaves.shape == (nodes.shape[0], len(columns))
            and leaves.dtype == nodes.dtype
            and np.ascontiguousarray(nodes[:, columns]).tobytes()
            == np.ascontiguousarray(leaves).tobytes()
        ):
            out["leaf_values"] = {"__columns_of__": "node_values", "columns": columns}
    return out


def _read_arrays(docs: dict[str, Any]) -> dict[str, Any]:
    """The arrays :func:`_stored_arrays` wrote, references resolved (as copies)."""
    import numpy as np

    arrays: dict[str, Any] = {
        name: _unarray(doc)
        for name, doc in docs.items()
        if doc is not None and "__same_as__" not in doc and "__columns_of__" not in doc
    }
    for name, doc in docs.items():
        if doc is None:
            arrays[name] = None
        elif "__same_as__" in doc:
            arrays[name] = arrays[doc["__same_as__"]].copy()
        elif "__columns_of__" in doc:
            source = arrays[doc["__columns_of__"]]
            arrays[name] = np.ascontiguousarray(source[:, doc["columns"]])
    return arrays


def result_from_document(
    document: dict[str, Any], dataset: Dataset, methodology: Methodology
) -> Result:
    """The Result a :func:`result_document` holds, with the dataset's names, attributes and
    networks and the (resolved, weighted) ``methodology`` it was computed with."""
    from palmares.engine import institution_attributes, institution_names
    from palmares.plan.aggregation import StepRecord
    from palmares.ranking_table import RankingTable
    from palmares.result import Result
    from palmares.tree import Tree

    institutions = tuple(document["institutions"])
    arrays = _read_arrays(document["arrays"])
    stored = document["ranking"]
    ranking = RankingTable(
        field_size=int(stored["field_size"]),
        ties=stored["ties"],
        group=_unarray(stored["group"]),
        **{name: _unarray(stored[name]) for name in _RANKING_ARRAYS},
    )
    expected = StepRecord.__module__ + "." + StepRecord.__qualname__
    records = []
    for r in document["records"]:
        if r["type"] != expected:
            raise NotStorable(f"a step record of type {r['type']}")
        records.append(
            StepRecord(
                index=r["index"], tag=r["tag"], nodes=tuple(r["nodes"]), facts=_decode(r["facts"])
            )
        )
    return Result(
        system=document["system"],
        edition=int(document["edition"]),
        methodology=methodology,
        methodology_hash=document["methodology_hash"],
        data_hash=document["data_hash"],
        seed=int(document["seed"]),
        institutions=institutions,
        names=institution_names(dataset, institutions),
        attributes=institution_attributes(dataset, institutions),
        tree=Tree.from_parents((n, p) for n, p in document["tree"]),
        leaves=tuple(document["leaves"]),
        ranking=ranking,
        records=tuple(records),
        networks=dataset.networks,
        palmares_version=document["result_version"],
        **arrays,
    )


# -- the engine through the store ------------------------------------------------------------


def resolved_methodology(dataset: Dataset, method: Any, edition: int) -> tuple[Methodology, str]:
    """The methodology as the engine runs it on ``edition`` (bundle weights applied) and its
    hash, computed as :func:`palmares.engine.run` does."""
    from palmares import plan
    from palmares.engine import methodology_tree
    from palmares.methodology import methodology_hash

    m = plan.resolve(method, edition)
    full_tree, _ = methodology_tree(dataset, m)
    m = plan.with_bundle_weights(dataset, m, full_tree)
    return m, methodology_hash(m)


def _has_observations(dataset: Dataset, system: str, edition: int) -> bool:
    try:
        dataset.field(system, edition)
    except KeyError:
        return False
    return True


def _check_system(url: StoreUrl, method: Any, edition: int) -> None:
    """A LookupError naming the closest systems when the store holds no edition of the
    methodology's system; nothing otherwise (or when the methodology cannot be read)."""
    from palmares import plan
    from palmares.store.store import open_store

    try:
        try:
            system = plan.resolve(method, edition).system
        except Exception:
            # a preset id that names nothing (a typo): the store's systems are the candidates
            if not isinstance(method, str) or os.path.exists(method):
                return
            system = method.split("@", 1)[0]
        with open_store(url) as store:
            held = bool(store.edition_years(system))
    except Exception:
        return
    if not held:
        with open_store(url) as store:
            store.check_edition(system, int(edition))


def store_of(dataset: Dataset) -> StoreUrl | None:
    """The store ``dataset`` was read from by the command line, or None."""
    url: StoreUrl | None = dataset.memo(STORE_MEMO, lambda: None)
    return url


def run_or_reuse(
    dataset: Dataset,
    method: Methodology | str | os.PathLike[str],
    edition: int,
    *,
    seed: int = 0,
) -> Result:
    """:func:`palmares.engine.run`, through the store the dataset was read from (if any): the
    kept Result when there is one for this methodology, data and edition, else the engine's,
    then kept."""
    from palmares.engine import run

    url = store_of(dataset)
    if url is None:
        return run(dataset, method, edition, seed=seed)
    try:
        methodology, key = resolved_methodology(dataset, method, edition)
    except Exception:  # the engine says what is wrong, in its own words
        _check_system(url, method, edition)  # unless the store lacks the system: the closest
        return run(dataset, method, edition, seed=seed)
    from palmares import __version__
    from palmares.store.store import close_shared, open_store, reading

    data_hash = dataset.memo("data_hash", lambda: None)
    try:
        # one connection for every edition a command reads (closed when the command ends)
        with reading(url) as store:
            if not _has_observations(dataset, methodology.system, int(edition)):
                # said naming the closest systems or editions the store holds
                store.check_edition(methodology.system, int(edition))
            document = store.get_result(key, methodology.system, int(edition))
    except LookupError:
        raise
    except Exception:  # a store that cannot be read now: compute
        close_shared(url)
        document = None
    if (
        isinstance(document, dict)
        and document.get("format") == FORMAT
        and document.get("palmares_version") == __version__
        and document.get("seed") == seed
        and document.get("data_hash") == data_hash
    ):
        try:
            return result_from_document(document, dataset, methodology)
        except (NotStorable, KeyError, TypeError, ValueError, zlib.error):
            pass  # unreadable: computed again and replaced below
    result = run(dataset, method, edition, seed=seed)
    try:
        kept = result_document(result)
        close_shared(url)  # DuckDB: one process opens a file read-only or writable, not both
        with open_store(url, write=True) as writer:
            writer.put_result(key, methodology.system, int(edition), kept)
    except Exception:  # keeping a table is a saving, never a failure
        pass
    return result
