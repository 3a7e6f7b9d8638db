"""Pydantic response and request models: ``/openapi.json`` describes every answer exactly."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

Scalar = str | int | float | bool | None
JsonValue = Any  # free-form JSON (facts' values, methodology steps) documented in docs/


class SystemInfo(BaseModel):
    id: str
    label_en: str
    label_fr: str
    editions: list[int]


class RankingRow(BaseModel):
    institution: str
    name: str
    country: str | None
    rank: int | None = Field(
        description="The rank; null inside a band or where the publisher prints no rank "
        "(published view)."
    )
    rank_display: str | None
    band_lo: int | None
    band_hi: int | None = Field(description="null for an open band such as 1001+")
    score: float | None = Field(
        description="null where the publisher prints no single score (a banded row)"
    )
    score_lo: float | None = Field(
        None, description="A banded row's printed score range (THE): the band's lowest score."
    )
    score_hi: float | None = Field(
        None, description="A banded row's printed score range (THE): the band's highest score."
    )
    group: str | None
    rank_is_computed: bool = Field(
        description="True when the rank is palmares' own computation (producer view, "
        "personalised rankings), not printed by the publisher."
    )


class RankingPage(BaseModel):
    system: str
    edition: int
    field_size: int
    methodology_hash: str
    data_hash: str
    lang: Literal["fr", "en"]
    view: Literal["published", "producer"]
    total: int
    page: int
    per_page: int
    results: list[RankingRow]


class PersonalisedPage(RankingPage):
    reranked_on: str


class PersonaliseFilters(BaseModel):
    model_config = ConfigDict(extra="forbid")
    country: str | None = Field(None, max_length=64)
    region: str | None = Field(None, max_length=64)
    network: str | None = Field(None, max_length=200)
    where: dict[str, str] = Field(default_factory=dict, max_length=20)


def _no_filters() -> PersonaliseFilters:
    return PersonaliseFilters(country=None, region=None, network=None)


class PersonaliseRequest(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "system": "u-multirank",
                    "edition": 2022,
                    "criteria": ["u-multirank.research", "u-multirank.international"],
                    "weights": {"u-multirank.research": 2},
                    "filters": {"country": "FR"},
                }
            ]
        },
    )
    system: str = Field(max_length=200)
    edition: int
    criteria: list[str] = Field(default_factory=list, max_length=500)
    weights: dict[str, float] = Field(default_factory=dict, max_length=500)
    filters: PersonaliseFilters = Field(default_factory=lambda: _no_filters())
    lang: Literal["fr", "en"] = "en"
    page: int = Field(1, ge=1, le=100_000)
    per_page: int = Field(50, ge=1, le=500)


class MethodologyNode(BaseModel):
    id: str
    parent: str | None
    label_en: str | None
    label_fr: str | None
    weight: float | None


class MethodologyDocument(BaseModel):
    id: str
    system: str
    edition: int
    hash: str
    label_en: str
    label_fr: str
    steps: list[dict[str, JsonValue]]
    nodes: list[MethodologyNode]


class MethodologyDiffDocument(BaseModel):
    model_config = ConfigDict(populate_by_name=True)
    system: str
    from_: int = Field(alias="from", serialization_alias="from")
    to: int
    a: str
    b: str
    a_hash: str
    b_hash: str
    identical: bool
    indicators_added: list[str]
    indicators_removed: list[str]
    header: list[dict[str, JsonValue]]
    tree_source: dict[str, JsonValue] | None
    nodes_added: list[dict[str, JsonValue]]
    nodes_removed: list[dict[str, JsonValue]]
    nodes_moved: list[dict[str, JsonValue]]
    directions: list[dict[str, JsonValue]]
    weights: list[dict[str, JsonValue]]
    scales: list[dict[str, JsonValue]]
    thresholds: list[dict[str, JsonValue]]
    steps: list[dict[str, JsonValue]]
    ranking: list[dict[str, JsonValue]]
    subsets: list[dict[str, JsonValue]]


class SearchHit(BaseModel):
    id: str
    name: str
    country: str | None
    matched: str
    score: float


class Alias(BaseModel):
    name: str
    lang: str | None
    valid_from: int | None
    valid_to: int | None


class LineageLink(BaseModel):
    predecessor: str
    successor: str
    year: int | None
    kind: str


class NetworkMembership(BaseModel):
    network: str
    network_name: str | None
    role: str | None


class SystemPresence(BaseModel):
    system: str
    editions: list[int]


class InstitutionDocument(BaseModel):
    id: str
    name: str
    name_en: str | None
    name_fr: str | None
    country: str | None
    region: str | None
    region_code: str | None
    city: str | None
    attributes: dict[str, str | None]
    aliases: list[Alias]
    lineage: list[LineageLink]
    networks: list[NetworkMembership]
    systems: list[SystemPresence]


class HistoryDocument(BaseModel):
    institution: str
    name: str
    system: str
    lineage: list[str]
    system_first_edition: int | None
    first_edition: int | None
    participation: int
    editions: list[dict[str, JsonValue]] = Field(
        description="One object per edition of the system (docs/history.md)."
    )


class Fact(BaseModel):
    kind: str
    institution: str
    institution_name: str
    system: str
    edition: int
    lang: str
    text: str
    values: dict[str, JsonValue]
    priority: int | float
    methodology_hash: str | None
    data_hash: str | None


class CheckDocument(BaseModel):
    claim: str
    kind: str
    value: JsonValue
    holds: bool
    proof: str
    correct_text_fr: str
    correct_text_en: str


class ExplainNode(BaseModel):
    node: str
    parent: str | None
    depth: int
    raw: float | None
    status: str | None
    imputed: bool
    value: float | None
    grade: str | None
    share_of_parent: float | None
    contribution: float | None


class ExplainDocument(BaseModel):
    institution: str
    name: str
    rank: int | None
    rank_display: str | None
    score: float | None
    score_lo: float | None = None
    score_hi: float | None = None
    eligible: bool
    system: str
    edition: int
    methodology: str
    methodology_version: str
    methodology_hash: str
    data_hash: str
    seed: int
    palmares_version: str
    nodes: list[ExplainNode]


class CompareRow(BaseModel):
    institution: str
    name: str
    country: str | None = None
    rank: int | None = None
    rank_display: str | None = None
    band_lo: int | None = None
    band_hi: int | None = None
    score: float | None = None
    group: str | None = None


class CompareDocument(BaseModel):
    system: str
    edition: int
    lang: Literal["fr", "en"]
    institutions: list[CompareRow]


class UncertaintyJobRequest(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [{"system": "letudiant", "edition": 2024, "draws": 1000, "seed": 0}]
        },
    )
    system: str = Field(max_length=200)
    edition: int
    draws: int = Field(1000, ge=1, le=100_000)
    seed: int = Field(0, ge=0, le=2**32 - 1)
    spec: str | None = Field(None, max_length=100_000, description="An uncertainty spec (TOML).")
    top_k: int | None = Field(None, ge=1, le=100_000)


class SensitivityJobRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    system: str = Field(max_length=200)
    edition: int
    samples: int = Field(64, ge=8, le=4096)
    seed: int = Field(0, ge=0, le=2**32 - 1)


class JobAccepted(BaseModel):
    id: str
    status_url: str


class JobStatus(BaseModel):
    id: str
    kind: Literal["uncertainty", "sensitivity"]
    status: Literal["queued", "running", "done", "failed"]
    progress: float = Field(ge=0, le=1)
    result_url: str | None
    error: str | None
    reused: bool = Field(False, description="The result of an identical earlier job.")


class WriteAnswer(BaseModel):
    ok: bool
    data_hash: str
    detail: str
    counts: dict[str, int] = Field(default_factory=dict)


class PurgeAnswer(BaseModel):
    purged: int
    data_hash: str
