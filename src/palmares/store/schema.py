"""The store's schema, kept as DDL per version (contracts section 9, docs/store.md).

Each version's statements are written out literally and never edited once released: a new
version appends a list of statements to :data:`MIGRATIONS` that takes a store from the previous
version to it. ``{text}``, ``{int}``, ``{float}`` and ``{blob}`` are filled per backend.
"""

from __future__ import annotations

#: The schema version this palmares writes and reads.
SCHEMA_VERSION = 1

#: Column types per backend.
TYPES: dict[str, dict[str, str]] = {
    "duckdb": {"text": "VARCHAR", "int": "BIGINT", "float": "DOUBLE", "blob": "BLOB"},
    "postgresql": {
        "text": "TEXT",
        "int": "BIGINT",
        "float": "DOUBLE PRECISION",
        "blob": "BYTEA",
    },
}

_V1: tuple[str, ...] = (
    # -- bookkeeping --------------------------------------------------------------------------
    "CREATE TABLE palmares_schema (version {int} NOT NULL, palmares_version {text} NOT NULL, "
    "applied_at {text} NOT NULL)",
    "CREATE TABLE palmares_meta (key {text} PRIMARY KEY, value {text})",
    # Extra columns of institutions, indicators and editions, in bundle order, with their kind
    # (str, int, float, bool): their values live in each row's ``extras`` JSON object.
    "CREATE TABLE bundle_columns (table_name {text} NOT NULL, position {int} NOT NULL, "
    "name {text} NOT NULL, kind {text} NOT NULL, PRIMARY KEY (table_name, position))",
    # -- the bundle (contracts section 2); ``ordinal`` keeps the bundle's row order ------------
    "CREATE TABLE institutions (ordinal {int} NOT NULL, id {text} NOT NULL, name {text}, "
    "country {text}, region {text}, region_code {text}, city {text}, name_en {text}, "
    "name_fr {text}, gender {text}, extras {text})",
    "CREATE TABLE aliases (ordinal {int} NOT NULL, institution {text}, name {text}, "
    "lang {text}, valid_from {int}, valid_to {int})",
    "CREATE TABLE lineage (ordinal {int} NOT NULL, predecessor {text}, successor {text}, "
    "year {int}, kind {text})",
    "CREATE TABLE networks (ordinal {int} NOT NULL, network {text}, network_name {text}, "
    "institution {text}, role {text}, since {int}, until {int})",
    "CREATE TABLE indicators (ordinal {int} NOT NULL, id {text} NOT NULL, label_en {text}, "
    "label_fr {text}, parent {text}, direction {text}, unit {text}, decimals {int}, "
    "source {text}, description {text}, extras {text})",
    "CREATE TABLE editions (ordinal {int} NOT NULL, system {text}, year {int}, "
    "label_en {text}, label_fr {text}, published_on {text}, extras {text})",
    "CREATE TABLE observations (ordinal {int} NOT NULL, institution {text}, indicator {text}, "
    "system {text}, year {int}, value {float}, status {text}, source {text})",
    "CREATE TABLE published (ordinal {int} NOT NULL, institution {text}, system {text}, "
    "year {int}, node {text}, rank {int}, rank_display {text}, band_lo {int}, band_hi {int}, "
    "score {float}, score_lo {float}, score_hi {float}, status {text})",
    "CREATE INDEX observations_edition ON observations (system, year)",
    "CREATE INDEX published_edition ON published (system, year)",
    # -- what palmares computes, per methodology hash x data hash x edition -------------------
    "CREATE TABLE methodologies (hash {text} PRIMARY KEY, system {text}, text {text})",
    # One computed table (scores at every node, ranks, bands, groups, national and regional
    # ranks) as the engine's JSON document.
    "CREATE TABLE computed_results (methodology_hash {text} NOT NULL, data_hash {text} NOT NULL, "
    "system {text} NOT NULL, edition {int} NOT NULL, payload {text} NOT NULL, "
    "created_at {text} NOT NULL, PRIMARY KEY (methodology_hash, data_hash, system, edition))",
    "CREATE TABLE uncertainty_results (methodology_hash {text} NOT NULL, "
    "data_hash {text} NOT NULL, system {text} NOT NULL, edition {int} NOT NULL, "
    "spec_hash {text} NOT NULL, draws {int} NOT NULL, seed {int} NOT NULL, "
    "payload {blob} NOT NULL, created_at {text} NOT NULL, "
    "PRIMARY KEY (methodology_hash, data_hash, system, edition, spec_hash, draws, seed))",
    # Answers of commands (history, highlights, network, communique, charts, rank), keyed by
    # everything they depend on: reused as long as data and methodology are unchanged.
    "CREATE TABLE cached_answers (key {text} NOT NULL, data_hash {text} NOT NULL, "
    "command {text} NOT NULL, payload {text} NOT NULL, created_at {text} NOT NULL, "
    "PRIMARY KEY (key, data_hash))",
)

#: Statements taking a store from version ``v - 1`` to version ``v`` (0 = empty database).
MIGRATIONS: dict[int, tuple[str, ...]] = {1: _V1}

#: The bundle tables held in the store, in schema order, with their stored columns.
BUNDLE_COLUMNS: dict[str, tuple[str, ...]] = {
    "institutions": (
        "id",
        "name",
        "country",
        "region",
        "region_code",
        "city",
        "name_en",
        "name_fr",
        "gender",
    ),
    "aliases": ("institution", "name", "lang", "valid_from", "valid_to"),
    "lineage": ("predecessor", "successor", "year", "kind"),
    "networks": ("network", "network_name", "institution", "role", "since", "until"),
    "indicators": (
        "id",
        "label_en",
        "label_fr",
        "parent",
        "direction",
        "unit",
        "decimals",
        "source",
        "description",
    ),
    "editions": ("system", "year", "label_en", "label_fr", "published_on"),
    "observations": ("institution", "indicator", "system", "year", "value", "status", "source"),
    "published": (
        "institution",
        "system",
        "year",
        "node",
        "rank",
        "rank_display",
        "band_lo",
        "band_hi",
        "score",
        "score_lo",
        "score_hi",
        "status",
    ),
}

#: Tables with an ``extras`` JSON column (the bundle allows extra columns there).
WITH_EXTRAS: frozenset[str] = frozenset({"institutions", "indicators", "editions"})

#: Every table the schema creates, for wiping a store on --replace and for counts.
DERIVED_TABLES: tuple[str, ...] = (
    "methodologies",
    "computed_results",
    "uncertainty_results",
    "cached_answers",
)


def statements(version: int, backend: str) -> list[str]:
    """The DDL taking a store from ``version - 1`` to ``version`` on ``backend``.

    DuckDB skips the secondary indexes: its zone maps already prune by (system, year) the rows
    a load writes in bundle order, and an ART index would slow bulk loads down.
    """
    types = TYPES[backend]
    return [
        s.format(**types)
        for s in MIGRATIONS[version]
        if not (backend == "duckdb" and s.startswith("CREATE INDEX"))
    ]
