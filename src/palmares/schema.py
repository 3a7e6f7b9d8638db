"""The canonical bundle's tables: their columns, types and sort keys (contracts section 2).

This module is the single description of the bundle that readers, writers, validators and the
Dataset share. Column kinds: ``id`` (an identifier matching :data:`ID_PATTERN`), ``str`` (free
text), ``int`` (an integer such as a year), ``float`` (a number).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

ColumnKind = Literal["id", "str", "int", "float"]

ID_PATTERN = re.compile(r"[A-Za-z0-9._-]+")
STATUSES: tuple[str, ...] = ("reported", "missing", "not_applicable", "estimated")
#: Statuses whose value is present (observed). ``missing`` and ``not_applicable`` carry no value.
VALUED_STATUSES: frozenset[str] = frozenset({"reported", "estimated"})
DIRECTIONS: tuple[str, ...] = ("higher", "lower")
LINEAGE_KINDS: tuple[str, ...] = ("rename", "merger", "split")
NETWORK_ROLES: tuple[str, ...] = ("member", "affiliate")
PUBLISHED_STATUSES: tuple[str, ...] = ("ranked", "banded", "reporter", "unranked")
GENDERS: tuple[str, ...] = ("f", "m")


@dataclass(frozen=True)
class Column:
    name: str
    kind: ColumnKind = "str"
    required: bool = True


@dataclass(frozen=True)
class TableSpec:
    """One table of the bundle."""

    name: str
    columns: tuple[Column, ...]
    key: tuple[str, ...]
    #: Extra columns are allowed (institution attributes, edition metadata, ``coinr_*``).
    extra_columns: bool = False
    #: The bundle is valid without this table (it is then empty).
    optional: bool = True

    @property
    def column_names(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns)

    @property
    def required_columns(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns if c.required)

    def kind(self, column: str) -> ColumnKind:
        for c in self.columns:
            if c.name == column:
                return c.kind
        return "str"

    @property
    def filename(self) -> str:
        return f"{self.name}.csv"


def _c(name: str, kind: ColumnKind = "str", required: bool = True) -> Column:
    return Column(name, kind, required)


TABLES: dict[str, TableSpec] = {
    spec.name: spec
    for spec in (
        TableSpec(
            "institutions",
            (
                _c("id", "id"),
                _c("name"),
                _c("country"),
                _c("region", required=False),
                _c("region_code", required=False),
                _c("city", required=False),
                _c("name_en", required=False),
                _c("name_fr", required=False),
                _c("gender", required=False),
            ),
            key=("id",),
            extra_columns=True,
            optional=False,
        ),
        TableSpec(
            "aliases",
            (
                _c("institution", "id"),
                _c("name"),
                _c("lang", required=False),
                _c("valid_from", "int", required=False),
                _c("valid_to", "int", required=False),
            ),
            key=("institution", "name", "lang", "valid_from"),
        ),
        TableSpec(
            "lineage",
            (_c("predecessor", "id"), _c("successor", "id"), _c("year", "int"), _c("kind")),
            key=("year", "predecessor", "successor"),
        ),
        TableSpec(
            "networks",
            (
                _c("network", "id"),
                _c("network_name", required=False),
                _c("institution", "id"),
                _c("role", required=False),
                _c("since", "int", required=False),
                _c("until", "int", required=False),
            ),
            key=("network", "institution", "since"),
        ),
        TableSpec(
            "indicators",
            (
                _c("id", "id"),
                _c("label_en"),
                _c("label_fr"),
                _c("parent", "id"),
                _c("direction"),
                _c("unit", required=False),
                _c("decimals", "int", required=False),
                _c("source", required=False),
                _c("description", required=False),
            ),
            key=("id",),
            extra_columns=True,
            optional=False,
        ),
        TableSpec(
            "editions",
            (
                _c("system", "id"),
                _c("year", "int"),
                _c("label_en", required=False),
                _c("label_fr", required=False),
                _c("published_on", required=False),
            ),
            key=("system", "year"),
            extra_columns=True,
            optional=False,
        ),
        TableSpec(
            "observations",
            (
                _c("institution", "id"),
                _c("indicator", "id"),
                _c("system", "id"),
                _c("year", "int"),
                _c("value", "float"),
                _c("status"),
                _c("source", required=False),
            ),
            key=("system", "year", "institution", "indicator"),
            optional=False,
        ),
        TableSpec(
            "published",
            (
                _c("institution", "id"),
                _c("system", "id"),
                _c("year", "int"),
                _c("node", "id"),
                _c("rank", "int"),
                _c("rank_display"),
                _c("band_lo", "int"),
                _c("band_hi", "int"),
                _c("score", "float"),
                _c("score_lo", "float"),
                _c("score_hi", "float"),
                _c("status"),
            ),
            key=("system", "year", "node", "institution"),
        ),
    )
}

#: Tables in the order they are read, validated and written.
TABLE_ORDER: tuple[str, ...] = tuple(TABLES)
