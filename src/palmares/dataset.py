"""The Dataset: institutions, their indicator tree, editions, observations and published results.

A Dataset is immutable: every operation returns a new object and every table it hands out is a
copy (pandas copy-on-write makes that cheap). For the engine it exposes :meth:`Dataset.matrix`,
the institutions x nodes float matrix of one edition with its status codes, built by integer
indexing over a per-edition index computed once at construction.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from palmares.codes import int_codes
from palmares.names import closest_names, fold_name, unknown_institution
from palmares.schema import STATUSES, TABLE_ORDER, TABLES, VALUED_STATUSES
from palmares.translatable import tr
from palmares.tree import Tree

#: Integer codes of observation statuses in :attr:`EditionMatrix.status`; -1 means no row at all.
STATUS_CODE: dict[str, int] = {s: i for i, s in enumerate(STATUSES)}
NO_OBSERVATION = -1
_VALUED_CODES = np.array(sorted(STATUS_CODE[s] for s in VALUED_STATUSES), dtype=np.int8)


@dataclass(frozen=True)
class EditionMatrix:
    """Values of one edition over a list of nodes: ``values[i, j]`` for institution i, node j.

    ``values`` is NaN wherever no value was given; ``status`` holds :data:`STATUS_CODE` codes
    (-1 where the institution has no row for the node). Arrays are read-only.
    """

    system: str
    year: int
    institutions: tuple[str, ...]
    nodes: tuple[str, ...]
    values: npt.NDArray[np.float64]
    status: npt.NDArray[np.int8]

    @property
    def mask(self) -> npt.NDArray[np.bool_]:
        """True where a value is present (reported or estimated)."""
        return (self.status == _VALUED_CODES[0]) | (self.status == _VALUED_CODES[1])

    @property
    def not_applicable(self) -> npt.NDArray[np.bool_]:
        return self.status == STATUS_CODE["not_applicable"]

    @property
    def estimated(self) -> npt.NDArray[np.bool_]:
        return self.status == STATUS_CODE["estimated"]

    @property
    def shape(self) -> tuple[int, int]:
        return (len(self.institutions), len(self.nodes))


def _empty_table(name: str) -> pd.DataFrame:
    spec = TABLES[name]
    data: dict[str, pd.Series] = {}
    for column in spec.columns:
        dtype: Any = {"int": "Int64", "float": "float64"}.get(column.kind, "str")
        data[column.name] = pd.Series([], dtype=dtype)
    return pd.DataFrame(data)


_KIND_DTYPE: dict[str, Any] = {
    "int": pd.Int64Dtype(),
    "float": np.dtype("float64"),
    "id": pd.StringDtype(na_value=np.nan),
    "str": pd.StringDtype(na_value=np.nan),
}


def _normalise_table(name: str, frame: pd.DataFrame) -> pd.DataFrame:
    """Give a table its canonical dtypes and column order (known columns first, extras after)."""
    spec = TABLES[name]
    frame = frame.copy()
    for column in spec.columns:
        if column.name not in frame.columns:
            frame[column.name] = pd.NA
    for column in spec.columns:
        series = frame[column.name]
        if series.dtype == _KIND_DTYPE[column.kind]:
            continue  # already canonical (validated tables): skip a million-row no-op copy
        if column.kind == "int":
            frame[column.name] = pd.to_numeric(series).astype("Int64")
        elif column.kind == "float":
            frame[column.name] = pd.to_numeric(series).astype("float64")
        else:
            frame[column.name] = series.astype("str")
    extras = [c for c in frame.columns if c not in spec.column_names]
    for extra in extras:
        if not pd.api.types.is_numeric_dtype(frame[extra]):
            frame[extra] = frame[extra].astype("str")
    return frame[[*spec.column_names, *extras]].reset_index(drop=True)


def _codes_in(column: pd.Series, categories: npt.NDArray[np.object_]) -> npt.NDArray[np.intp]:
    """Position of each cell in ``categories`` (-1 if absent), by one Arrow hash lookup."""
    array = pa.array(column, type=pa.large_string(), from_pandas=True)
    if isinstance(array, pa.ChunkedArray):
        array = array.combine_chunks()
    value_set = pa.array(list(categories), type=pa.large_string(), from_pandas=True)
    positions = pc.fill_null(pc.index_in(array, value_set=value_set), -1)
    return np.asarray(positions.to_numpy(zero_copy_only=False), dtype=np.intp)


def _edition_rows(
    system: pd.Series, year: pd.Series
) -> dict[tuple[str, int], npt.NDArray[np.intp]]:
    """Row indices of each (system, year), ascending, from one stable sort of integer codes."""
    if system.empty:
        return {}
    array = pa.array(system, type=pa.large_string(), from_pandas=True)
    if isinstance(array, pa.ChunkedArray):
        array = array.combine_chunks()
    encoded = array.dictionary_encode()
    systems = encoded.dictionary.to_pylist()
    system_codes = pc.fill_null(encoded.indices, -1).to_numpy(zero_copy_only=False)
    year_codes, years = int_codes(year)
    width = len(years) + 1
    usable = (system_codes >= 0) & (year_codes >= 0)
    combined = np.where(usable, system_codes.astype(np.int64) * width + year_codes, -1)
    key_codes, keys = pd.factorize(combined)
    order = np.argsort(key_codes, kind="stable").astype(np.intp)
    bounds = np.cumsum(np.bincount(key_codes, minlength=len(keys)))
    starts = np.concatenate(([0], bounds[:-1]))
    rows: dict[tuple[str, int], npt.NDArray[np.intp]] = {}
    for k, key in enumerate(np.asarray(keys).tolist()):
        if key < 0:
            continue  # rows without a system or a year belong to no edition
        s, y = divmod(int(key), width)
        rows[(str(systems[s]), int(years[y]))] = order[starts[k] : bounds[k]]
    return dict(sorted(rows.items()))


#: The Dataset's observation index (built by ``Dataset._build_index`` when first read).
_INDEX_SLOTS = frozenset(
    (
        "_edition_rows",
        "_inst_codes",
        "_institution_ids",
        "_node_codes",
        "_node_ids",
        "_status_codes",
        "_values",
    )
)


class Dataset:
    """A validated, immutable bundle of ranking data."""

    __slots__ = (
        "_cache",
        "_edition_rows",
        "_inst_codes",
        "_institution_ids",
        "_node_codes",
        "_node_ids",
        "_status_codes",
        "_tables",
        "_values",
    )

    _cache: dict[str, Any]
    _edition_rows: dict[tuple[str, int], npt.NDArray[np.intp]]
    _inst_codes: npt.NDArray[np.integer[Any]]
    _institution_ids: tuple[str, ...]
    _node_codes: npt.NDArray[np.integer[Any]]
    _node_ids: tuple[str, ...]
    _status_codes: npt.NDArray[np.int8]
    _tables: dict[str, pd.DataFrame]
    _values: npt.NDArray[np.float64]

    def __init__(self, tables: Mapping[str, pd.DataFrame]) -> None:
        """Wrap already-validated tables. Use :meth:`from_frames` for user-built frames."""
        normalised = {
            name: _normalise_table(name, tables[name]) if name in tables else _empty_table(name)
            for name in TABLE_ORDER
        }
        object.__setattr__(self, "_tables", normalised)
        object.__setattr__(self, "_cache", {})

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError("Dataset is immutable; use with_tables() to derive a new one")

    def __getattr__(self, name: str) -> Any:
        # The observation index is built on first use: a Dataset that is only written (a load
        # into the store, a conversion) never holds it.
        if name in _INDEX_SLOTS:
            self._build_index()
            return object.__getattribute__(self, name)
        raise AttributeError(name)

    def _build_index(self) -> None:
        institutions = self._tables["institutions"]["id"].to_numpy(dtype=object)
        nodes = self._tables["indicators"]["id"].to_numpy(dtype=object)
        obs = self._tables["observations"]
        inst_codes = _codes_in(obs["institution"], institutions)
        node_codes = _codes_in(obs["indicator"], np.asarray(nodes))
        status_codes = _codes_in(obs["status"], np.asarray(STATUSES, dtype=object)).astype(np.int8)
        rows = _edition_rows(obs["system"], obs["year"])
        values = obs["value"].to_numpy(dtype=np.float64, na_value=np.nan)
        for array in (inst_codes, node_codes, status_codes, values):
            array.setflags(write=False)
        set_ = object.__setattr__
        set_(self, "_institution_ids", tuple(institutions.tolist()))
        set_(self, "_node_ids", tuple(nodes.tolist()))
        set_(self, "_inst_codes", inst_codes)
        set_(self, "_node_codes", node_codes)
        set_(self, "_status_codes", status_codes)
        set_(self, "_values", values)
        set_(self, "_edition_rows", rows)

    def memo(self, key: str, compute: Callable[[], Any]) -> Any:
        """A value derived from this (immutable) Dataset, computed once (data hash, trees)."""
        if key not in self._cache:
            self._cache[key] = compute()
        return self._cache[key]

    # -- construction and export -------------------------------------------------------------

    @classmethod
    def from_frames(
        cls, frames: Mapping[str, pd.DataFrame], *, origin: str = "<frames>"
    ) -> Dataset:
        """Validate pandas tables (named as in the canonical bundle) and build a Dataset.

        Raises :class:`~palmares.problems.InvalidInput` listing every problem found.
        """
        from palmares.validation import validate_tables

        typed, problems = validate_tables(frames, origin=origin)
        problems.raise_if_errors()
        return cls(typed)

    def to_frames(self) -> dict[str, pd.DataFrame]:
        """Every table as a pandas DataFrame (copies: changing them leaves the Dataset intact)."""
        return {name: frame.copy() for name, frame in self._tables.items()}

    def with_tables(self, **tables: pd.DataFrame) -> Dataset:
        """A new Dataset with some tables replaced (validated like :meth:`from_frames`)."""
        unknown = set(tables) - set(TABLE_ORDER)
        if unknown:
            raise ValueError(f"unknown table(s): {', '.join(sorted(unknown))}")
        return Dataset.from_frames({**self._tables, **tables})

    # -- tables ------------------------------------------------------------------------------

    def table(self, name: str) -> pd.DataFrame:
        return self._tables[name].copy()

    @property
    def institutions(self) -> pd.DataFrame:
        return self.table("institutions")

    @property
    def aliases(self) -> pd.DataFrame:
        return self.table("aliases")

    @property
    def lineage(self) -> pd.DataFrame:
        return self.table("lineage")

    @property
    def networks(self) -> pd.DataFrame:
        return self.table("networks")

    @property
    def indicators(self) -> pd.DataFrame:
        return self.table("indicators")

    @property
    def editions(self) -> pd.DataFrame:
        return self.table("editions")

    @property
    def observations(self) -> pd.DataFrame:
        return self.table("observations")

    @property
    def published(self) -> pd.DataFrame:
        return self.table("published")

    def __repr__(self) -> str:
        counts = ", ".join(f"{n}={len(t)}" for n, t in self._tables.items() if len(t))
        return f"Dataset({counts})"

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Dataset):
            return NotImplemented
        return all(self._tables[n].equals(other._tables[n]) for n in TABLE_ORDER)

    __hash__ = None  # type: ignore[assignment]

    # -- structure ---------------------------------------------------------------------------

    @property
    def institution_ids(self) -> tuple[str, ...]:
        return self._institution_ids

    @property
    def systems(self) -> tuple[str, ...]:
        return tuple(sorted(set(self._tables["editions"]["system"].tolist())))

    def edition_years(self, system: str) -> tuple[int, ...]:
        editions = self._tables["editions"]
        years = editions.loc[editions["system"] == system, "year"]
        return tuple(sorted(int(y) for y in years))

    def tree(self, system: str | None = None) -> Tree:
        """The indicator tree of the bundle, or the subtree rooted at ``system``."""
        ind = self._tables["indicators"]
        tree = Tree.from_parents(zip(ind["id"].tolist(), ind["parent"].tolist(), strict=True))
        return tree.subtree(system) if system is not None else tree

    def field(self, system: str, year: int) -> tuple[str, ...]:
        """Institutions with at least one observation row in the edition, sorted by id."""
        rows = self._rows(system, year)
        codes = np.unique(self._inst_codes[rows])
        ids = self._institution_ids
        return tuple(ids[c] for c in codes)

    def _rows(self, system: str, year: int) -> npt.NDArray[np.intp]:
        try:
            return self._edition_rows[(system, int(year))]
        except KeyError:
            known = ", ".join(f"{s} {y}" for s, y in sorted(self._edition_rows)) or "none"
            raise KeyError(
                f"no observations for edition {system} {year} (editions with data: {known})"
            ) from None

    def matrix(self, system: str, year: int, nodes: Sequence[str] | None = None) -> EditionMatrix:
        """The institutions x nodes matrix of one edition, by integer indexing (no pivot).

        ``nodes`` defaults to the leaves of the system's tree. Rows are the edition's field
        (:meth:`field`), in id order.
        """
        if nodes is None:
            nodes = self.tree(system).leaves
        node_position = {n: i for i, n in enumerate(self._node_ids)}
        unknown = [n for n in nodes if n not in node_position]
        if unknown:
            raise KeyError(f"unknown indicator(s): {', '.join(map(repr, unknown))}")
        rows = self._rows(system, year)
        inst = self._inst_codes[rows]
        # Codes are small integers: a presence table and its running count give each code its
        # row without sorting (np.unique would sort millions of codes).
        in_field = np.zeros(len(self._institution_ids), dtype=np.bool_)
        in_field[inst] = True
        field_codes = np.flatnonzero(in_field)
        row_of = (np.cumsum(in_field) - 1)[inst]
        column_of = np.full(len(self._node_ids), -1, dtype=np.intp)
        column_of[[node_position[n] for n in nodes]] = np.arange(len(nodes))
        columns = column_of[self._node_codes[rows]]
        keep = columns >= 0
        shape = (len(field_codes), len(nodes))
        values = np.full(shape, np.nan)
        status = np.full(shape, NO_OBSERVATION, dtype=np.int8)
        r, c, source = row_of[keep], columns[keep], rows[keep]
        values[r, c] = self._values[source]
        status[r, c] = self._status_codes[source]
        values.setflags(write=False)
        status.setflags(write=False)
        ids = self._institution_ids
        return EditionMatrix(
            system, int(year), tuple(ids[i] for i in field_codes), tuple(nodes), values, status
        )

    # -- institutions ------------------------------------------------------------------------

    def resolve(self, query: str) -> str:
        """An institution id from an exact id, else a case/accent-insensitive exact name or alias.

        Raises :class:`LookupError` listing candidates when unknown or ambiguous; never guesses.
        """
        if query in set(self._institution_ids):
            return query
        wanted = fold_name(query)
        inst = self._tables["institutions"]
        hits: set[str] = set()
        for column in ("name", "name_en", "name_fr"):
            names = inst[column].fillna("")
            hits.update(inst.loc[names.map(fold_name) == wanted, "id"].tolist())
        aliases = self._tables["aliases"]
        hits.update(aliases.loc[aliases["name"].map(fold_name) == wanted, "institution"].tolist())
        if len(hits) == 1:
            return hits.pop()
        if hits:
            raise LookupError(
                tr(
                    "{query!r} is ambiguous: it names {ids}; give an id",
                    query=query,
                    ids=", ".join(sorted(hits)),
                )
            )
        near = inst.loc[inst["name"].map(fold_name).str.contains(wanted, regex=False), "id"]
        if len(near):
            hint = tr("; names containing it: {ids}", ids=", ".join(near.head(10)))
            raise LookupError(
                tr("no institution with id, name or alias {query!r}{hint}", query=query, hint=hint)
            )
        # a typo: the closest names (typo-tolerant), never picked; or nothing close
        raise LookupError(unknown_institution(query, self.closest_institutions(query)))

    def closest_institutions(self, query: str, limit: int = 5) -> list[tuple[str, str]]:
        """(id, name) of the institutions whose id, name or alias is closest to ``query``
        (typo-tolerant, best first; :func:`palmares.names.closest_names`, empty when nothing
        is close): for error messages, never to pick one."""
        inst = self._tables["institutions"]
        names = dict(zip(inst["id"].tolist(), inst["name"].tolist(), strict=True))
        country = dict(zip(inst["id"].tolist(), inst["country"].tolist(), strict=True))
        rows: list[tuple[str, str, str | None, str]] = []
        for column in ("id", "name", "name_en", "name_fr"):
            for ident, known in zip(inst["id"].tolist(), inst[column].tolist(), strict=True):
                if isinstance(known, str):
                    rows.append((ident, names[ident], country[ident], known))
        aliases = self._tables["aliases"]
        for ident, known in zip(
            aliases["institution"].tolist(), aliases["name"].tolist(), strict=True
        ):
            if isinstance(known, str) and ident in names:
                rows.append((ident, names[ident], country[ident], known))
        return [(h.id, h.name) for h in closest_names(query, rows, limit=limit)]

    def lineage_ids(self, institution: str) -> tuple[str, ...]:
        """The institution and every predecessor it descends from (renames and mergers)."""
        lineage = self._tables["lineage"]
        found = [institution]
        frontier = [institution]
        while frontier:
            current = frontier.pop()
            before = lineage.loc[lineage["successor"] == current, "predecessor"].tolist()
            for p in before:
                if p not in found:
                    found.append(p)
                    frontier.append(p)
        return tuple(found)

    def network_members(
        self, network: str, year: int | None = None, roles: Iterable[str] = ("member", "affiliate")
    ) -> tuple[str, ...]:
        """Institutions of a network (optionally those in it during ``year``), sorted by id."""
        net = self._tables["networks"]
        rows = net[net["network"] == network]
        role = rows["role"].fillna("member")
        rows = rows[role.isin(list(roles))]
        if year is not None:
            since = rows["since"].fillna(-(10**9))
            until = rows["until"].fillna(10**9)
            rows = rows[(since <= year) & (until >= year)]
        return tuple(sorted(set(rows["institution"].tolist())))


def empty_dataset() -> Dataset:
    """A Dataset with every table present and empty."""
    return Dataset({name: _empty_table(name) for name in TABLE_ORDER})
