"""Typed highlight facts for one institution in one edition, derived from its History.

Every fact carries the numbers that prove it in ``values``. Ranks stated as "top X %", bands and
"top N" always use the worse end of a rank interval (a printed band's upper bound): palmares
never flatters.

Priority (higher is more newsworthy): each kind has a base priority (:data:`BASE_PRIORITY`); a
first place adds 30 (overall; national in a field of five or more, also in a named dimension of
a system ranked on grade counts), a regional one 10; a movement adds its places (capped at 20)
when it gains and subtracts 20 when it loses; a movement across a methodology change loses 10.
Facts are sorted by priority, then by the order of :data:`BASE_PRIORITY`.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field, fields
from typing import Any, ClassVar

import numpy as np
import pandas as pd

from palmares.history import EditionSeries, History
from palmares.methodology import diff_methodologies
from palmares.networks import leader_change, network_summary
from palmares.ranking import TOP_N_LADDER, top_n

#: Base priority of each kind (higher first); also the tie-breaking order.
BASE_PRIORITY: dict[str, int] = {
    "rank": 90,
    "band": 88,
    "national_rank": 86,
    "movement": 84,
    "national_leader_change": 83,
    "regional_rank": 82,
    "percentile": 80,
    "top_n": 78,
    "top_n_change": 77,
    "band_change": 76,
    "group_position": 74,
    "grade_count": 72,
    "grade_count_change": 70,
    "sdg_bands": 68,
    "sdg_national_firsts": 67,
    "sdg_coverage": 66,
    "band_stability": 64,
    "strongest_families": 62,
    "indicator_changes": 60,
    "network_summary": 58,
    "network_movement": 56,
    "network_entrant": 55,
    "participation": 50,
    "field_size": 48,
    "field_growth": 46,
    "field_composition": 45,
    "trajectory": 44,
    "methodology_change": 42,
    "methodology_structure": 40,
    "system_first_edition": 38,
    # With --uncertainty (palmares.highlights.uncertainty); last, so ties sort after the others.
    "rank_interval": 89,
    "movement_robustness": 84,
}
KINDS: tuple[str, ...] = tuple(BASE_PRIORITY)
_SDG = re.compile(r"sdg(\d+)$")
_SDG_NODE = r"sdg\d+$"


# -- typed values, one dataclass per kind ----------------------------------------------------------

#: Field metadata: the key is left out of the mapping (and the JSON) while its value is None.
OMIT_NONE = {"omit_none": True}


@dataclass(frozen=True, eq=False)
class FactValues(Mapping[str, Any]):
    """The typed numbers that prove one fact, read as the mapping of contracts section 6
    (``values["rank"]``, ``values.get("node")``, ``dict(values)``): one subclass per kind, its
    fields in the order of the JSON keys. Equal to any mapping with the same keys and values."""

    kind: ClassVar[str] = ""

    def _keys(self) -> list[str]:
        return [
            f.name
            for f in fields(self)
            if not (f.metadata.get("omit_none") and getattr(self, f.name) is None)
        ]

    def __getitem__(self, key: str) -> Any:
        if key not in self._keys():
            raise KeyError(key)
        return getattr(self, key)

    def __iter__(self) -> Iterator[str]:
        return iter(self._keys())

    def __len__(self) -> int:
        return len(self._keys())

    def __repr__(self) -> str:
        return f"{type(self).__name__}({dict(self)!r})"


@dataclass(frozen=True, eq=False)
class RankValues(FactValues):
    kind: ClassVar[str] = "rank"
    node: str | None
    rank: int
    tie_size: int
    field_size: int | None  # None: a partial import, the field size is unknown


@dataclass(frozen=True, eq=False)
class MovementValues(FactValues):
    kind: ClassVar[str] = "movement"
    previous_edition: int
    previous_rank: int
    rank: int
    places: int
    flags: list[str]


@dataclass(frozen=True, eq=False)
class PercentileValues(FactValues):
    kind: ClassVar[str] = "percentile"
    rank: int
    field_size: int
    top_percent: int
    band: str | None


@dataclass(frozen=True, eq=False)
class GroupPositionValues(FactValues):
    kind: ClassVar[str] = "group_position"
    group: str
    half: str
    rank_in_group: int
    group_size: int


@dataclass(frozen=True, eq=False)
class ScopedRankValues(FactValues):
    """A rank inside a country or region, overall (``node`` None) or in a dimension's A count
    (``grade``, systems ranked on grade counts)."""

    node: str | None
    scope: str
    rank: int
    tie_size: int
    field_size: int
    grade: str | None = field(default=None, metadata=OMIT_NONE)


@dataclass(frozen=True, eq=False)
class NationalRankValues(ScopedRankValues):
    kind: ClassVar[str] = "national_rank"


@dataclass(frozen=True, eq=False)
class RegionalRankValues(ScopedRankValues):
    kind: ClassVar[str] = "regional_rank"


@dataclass(frozen=True, eq=False)
class BandValues(FactValues):
    kind: ClassVar[str] = "band"
    band: str
    band_lo: int
    band_hi: int
    field_size: int | None


@dataclass(frozen=True, eq=False)
class BandChangeValues(FactValues):
    kind: ClassVar[str] = "band_change"
    previous_edition: int
    previous_band: str
    band: str
    direction: str | None


@dataclass(frozen=True, eq=False)
class TopNValues(FactValues):
    kind: ClassVar[str] = "top_n"
    scope: str
    n: int
    rank: int
    tie_size: int
    band: str | None


@dataclass(frozen=True, eq=False)
class GradeCountValues(FactValues):
    kind: ClassVar[str] = "grade_count"
    grade: str
    total: int
    by_dimension: dict[str, int]


@dataclass(frozen=True, eq=False)
class GradeCountChangeValues(FactValues):
    kind: ClassVar[str] = "grade_count_change"
    grade: str
    dimension: str
    previous: int
    current: int


@dataclass(frozen=True, eq=False)
class ParticipationValues(FactValues):
    kind: ClassVar[str] = "participation"
    count: int
    streak: int
    first_edition: int | None


@dataclass(frozen=True, eq=False)
class FieldSizeValues(FactValues):
    kind: ClassVar[str] = "field_size"
    count: int
    countries: int
    submitters: int | None
    approximately: dict[str, Any] | None  # {"word": "near" | "more-than", "n": N}


@dataclass(frozen=True, eq=False)
class FieldGrowthValues(FactValues):
    kind: ClassVar[str] = "field_growth"
    previous_edition: int
    previous: int
    current: int


@dataclass(frozen=True, eq=False)
class FieldCompositionValues(FactValues):
    kind: ClassVar[str] = "field_composition"
    by_attribute: dict[str, dict[str, int]]
    field_size: int


@dataclass(frozen=True, eq=False)
class IndicatorChangesValues(FactValues):
    kind: ClassVar[str] = "indicator_changes"
    improved: list[str]
    declined: list[str]


@dataclass(frozen=True, eq=False)
class TrajectoryValues(FactValues):
    kind: ClassVar[str] = "trajectory"
    ranks: dict[int, int]


@dataclass(frozen=True, eq=False)
class MethodologyStructureValues(FactValues):
    kind: ClassVar[str] = "methodology_structure"
    level: int
    names: list[str]


@dataclass(frozen=True, eq=False)
class MethodologyChangeValues(FactValues):
    kind: ClassVar[str] = "methodology_change"
    previous_edition: int
    added: list[str]
    removed: list[str]
    scale_changes: dict[str, Any]
    scores_comparable: bool


@dataclass(frozen=True, eq=False)
class StrongestFamiliesValues(FactValues):
    kind: ClassVar[str] = "strongest_families"
    families: list[str]
    rule: str


@dataclass(frozen=True, eq=False)
class NetworkSummaryValues(FactValues):
    kind: ClassVar[str] = "network_summary"
    network: str
    network_name: str | None
    members_ranked: int
    country: str | None
    country_field: int
    members_in_country: int
    first_member: str | None


@dataclass(frozen=True, eq=False)
class NetworkMovementValues(FactValues):
    kind: ClassVar[str] = "network_movement"
    network: str
    network_name: str | None
    previous_edition: int
    improved: list[str]
    kept: list[str]
    declined: list[str]


@dataclass(frozen=True, eq=False)
class NetworkEntrantValues(FactValues):
    kind: ClassVar[str] = "network_entrant"
    network: str
    network_name: str | None
    institution: str
    edition: int
    order: int | None


@dataclass(frozen=True, eq=False)
class SdgCoverageValues(FactValues):
    kind: ClassVar[str] = "sdg_coverage"
    ranked: int
    total: int


@dataclass(frozen=True, eq=False)
class SdgBandsValues(FactValues):
    kind: ClassVar[str] = "sdg_bands"
    counts_by_band: dict[str, int]
    sdgs: dict[str, int]


@dataclass(frozen=True, eq=False)
class SdgNationalFirstsValues(FactValues):
    kind: ClassVar[str] = "sdg_national_firsts"
    sdgs: list[int]


@dataclass(frozen=True, eq=False)
class BandStabilityValues(FactValues):
    kind: ClassVar[str] = "band_stability"
    band: str
    previous_edition: int
    previous_field: int
    current_field: int


@dataclass(frozen=True, eq=False)
class TopNChangeValues(FactValues):
    kind: ClassVar[str] = "top_n_change"
    scope: str
    previous_edition: int
    previous_n: int
    n: int


@dataclass(frozen=True, eq=False)
class NationalLeaderChangeValues(FactValues):
    kind: ClassVar[str] = "national_leader_change"
    scope: str
    previous_edition: int | None
    previous_leader: list[str]
    leader: list[str]


@dataclass(frozen=True, eq=False)
class SystemFirstEditionValues(FactValues):
    kind: ClassVar[str] = "system_first_edition"
    system: str
    first_edition: int


@dataclass(frozen=True, eq=False)
class RankIntervalValues(FactValues):
    """With ``--uncertainty``: the computed rank's interval over the draws; in a printed band,
    the band and the share of draws that keep it (``p_same_band``, None when not drawn)."""

    kind: ClassVar[str] = "rank_interval"
    rank: int
    tie_size: int
    q05: int
    q95: int
    median: int | None
    draws: int
    level: float
    band: str | None = field(default=None, metadata=OMIT_NONE)
    p_same_band: float | None = None
    p_same_band_percent: int | None = None

    def _keys(self) -> list[str]:
        keys = super()._keys()
        if self.band is None:  # the shares belong to a band
            keys = [k for k in keys if k not in ("p_same_band", "p_same_band_percent")]
        return keys


@dataclass(frozen=True, eq=False)
class MovementRobustnessValues(FactValues):
    kind: ClassVar[str] = "movement_robustness"
    previous_edition: int
    previous_rank: int
    rank: int
    places: int
    p_move_real: float
    p_move_real_percent: int
    robust: bool
    threshold: float
    threshold_percent: int
    draws: int
    flags: list[str]


#: The values class of every kind.
VALUE_TYPES: dict[str, type[FactValues]] = {
    cls.kind: cls
    for cls in (
        RankValues,
        MovementValues,
        PercentileValues,
        GroupPositionValues,
        NationalRankValues,
        RegionalRankValues,
        BandValues,
        BandChangeValues,
        TopNValues,
        GradeCountValues,
        GradeCountChangeValues,
        ParticipationValues,
        FieldSizeValues,
        FieldGrowthValues,
        FieldCompositionValues,
        IndicatorChangesValues,
        TrajectoryValues,
        MethodologyStructureValues,
        MethodologyChangeValues,
        StrongestFamiliesValues,
        NetworkSummaryValues,
        NetworkMovementValues,
        NetworkEntrantValues,
        SdgCoverageValues,
        SdgBandsValues,
        SdgNationalFirstsValues,
        BandStabilityValues,
        TopNChangeValues,
        NationalLeaderChangeValues,
        SystemFirstEditionValues,
        RankIntervalValues,
        MovementRobustnessValues,
    )
}


def typed_values(kind: str, values: Mapping[str, Any]) -> FactValues:
    """The typed values of ``kind`` from a plain mapping (TypeError on a missing or unknown
    key); typed values are returned as they are."""
    if isinstance(values, FactValues):
        return values
    return VALUE_TYPES[kind](**values)


@dataclass(frozen=True)
class Fact:
    """One highlight: its kind, the numbers that prove it, and how newsworthy it is."""

    kind: str
    institution: str
    institution_name: str
    system: str
    edition: int
    values: Mapping[str, Any]
    priority: int
    methodology_hash: str | None = None
    data_hash: str | None = None
    gender: str | None = field(default=None, compare=False)

    @property
    def typed(self) -> FactValues:
        """The values as their kind's dataclass (built facts carry them already)."""
        return typed_values(self.kind, self.values)

    def to_json(self, lang: str, text: str) -> dict[str, Any]:
        """The document of contracts section 6 for this fact."""
        return {
            "kind": self.kind,
            "institution": self.institution,
            "institution_name": self.institution_name,
            "system": self.system,
            "edition": self.edition,
            "lang": lang,
            "text": text,
            "values": {
                k: None if k in _ZERO_IS_MISSING and v == 0 and v is not False else v
                for k, v in _plain(self.values).items()
            },
            "priority": self.priority,
            "methodology_hash": self.methodology_hash,
            "data_hash": self.data_hash,
        }


#: Values that are a position or a size: 0 is never one (missing is null, contracts 12).
_ZERO_IS_MISSING = frozenset(
    {"rank", "tie_size", "field_size", "band_lo", "band_hi", "top_percent", "previous_rank"}
)


def _plain(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, np.floating):
        return None if math.isnan(value) else float(value)
    if isinstance(value, float) and math.isnan(value):
        return None
    return value


@dataclass(frozen=True)
class Context:
    """What the builders share: the history, the edition, its row and the label lookup."""

    series: EditionSeries
    history: History
    edition: int
    row: Mapping[str, Any]
    data_hash: str | None
    gender: str | None
    ladder: Sequence[int] = TOP_N_LADDER
    back: int = 5
    attributes: Sequence[str] | None = None

    def fact(self, kind: str, values: FactValues, bonus: int = 0) -> Fact:
        if values.kind != kind:
            raise TypeError(f"a {kind} fact with {type(values).__name__}")
        return Fact(
            kind=kind,
            institution=self.history.institution,
            institution_name=self.history.name,
            system=self.history.system,
            edition=self.edition,
            values=values,
            priority=BASE_PRIORITY[kind] + bonus,
            methodology_hash=self.row.get("methodology_hash"),
            data_hash=self.data_hash,
            gender=self.gender,
        )

    def nodes(self, edition: int | None = None) -> pd.DataFrame:
        nodes = self.history.nodes
        if "edition" not in nodes or "band_hi" not in nodes:
            # Never ranked in a per-node table: an empty frame with the columns builders read.
            columns = ["edition", "node", "rank", "tie_size", "field_size", "band_hi"]
            return pd.DataFrame({c: pd.Series([], dtype="int64") for c in columns}).assign(
                node=pd.Series([], dtype="str"), national_rank=pd.Series([], dtype="int64")
            )
        return nodes[nodes["edition"] == (self.edition if edition is None else edition)]


def positioned(row: Mapping[str, Any]) -> bool:
    """Whether the row states an overall position: an exact rank or a printed band (not in the
    published view of a system that prints no overall rank, U-Multirank)."""
    ranked = row.get("ranked", True)
    return bool(ranked) and (int(row.get("rank") or 0) > 0 or bool(row.get("band")))


def worse_rank(row: Mapping[str, Any]) -> int:
    """The worse end of the rank: the band's upper bound for a printed band, else the rank
    (0 when no overall position is stated)."""
    if not positioned(row):
        return 0
    if row.get("band"):
        hi = int(row.get("band_hi") or row.get("rank_hi") or 0)
        # an open band ("1001+") ends at the foot of the table
        return hi if hi > 0 else int(row.get("field_size") or 0)
    return int(row.get("rank_hi") or row.get("rank") or 0)


def top_percent(rank: int, field_size: int) -> int:
    """``ceil(100 x rank / field)``, exact in integers (27 of 168 -> 17, 16 of 169 -> 10)."""
    return -(-100 * int(rank) // int(field_size))


def _ladder(rank: int, ladder: Sequence[int]) -> int:
    return int(top_n(np.array([rank]), ladder)[0])


def _first_bonus(rank: int) -> int:
    return 30 if rank == 1 else 0


# -- builders, one per kind ---------------------------------------------------------------------


def build_rank(c: Context) -> list[Fact]:
    """Overall exact rank (not a printed band), then exact ranks in per-node tables."""
    r = c.row
    out: list[Fact] = []
    if positioned(r) and not r.get("band"):
        values = RankValues(
            node=None,
            rank=int(r["rank"]),
            tie_size=int(r["tie_size"]),
            field_size=int(r["field_size"]) if r.get("field_known", True) else None,
        )
        out.append(c.fact("rank", values, _first_bonus(int(r["rank"]))))
    nodes = c.nodes()
    exact = nodes[(nodes["band_hi"] == 0) & (nodes["rank"] > 0)]
    for node, rank, tie, size in zip(
        exact["node"], exact["rank"], exact["tie_size"], exact["field_size"], strict=True
    ):
        values = RankValues(node=node, rank=int(rank), tie_size=int(tie), field_size=int(size))
        out.append(c.fact("rank", values, -20 + _first_bonus(int(rank)) // 2))
    return out


def _movement_fact(c: Context, previous: int) -> Fact | None:
    m = c.history.movement(previous, c.edition)
    if m.places is None or m.from_rank is None or m.to_rank is None:
        return None
    if m.from_band or m.to_band or "banded" in m.flags:
        return None  # a printed band at either end: compare bands (band_change), not ranks
    values = MovementValues(
        previous_edition=previous,
        previous_rank=int(m.from_rank),
        rank=int(m.to_rank),
        places=int(m.places),
        flags=list(m.flags),
    )
    bonus = min(int(m.places), 20) if m.places > 0 else -20
    if "methodology" in m.flags:
        bonus -= 10
    return c.fact("movement", values, bonus)


def build_movement(c: Context, earlier: int | None = None) -> list[Fact]:
    """Against the previous edition and, as a second fact, an earlier one (``back`` editions)."""
    if not positioned(c.row):
        return []
    out: list[Fact] = []
    previous = c.row.get("previous_edition")
    if previous:
        fact = _movement_fact(c, int(previous))
        if fact:
            out.append(fact)
    if earlier is None:
        earlier = c.history.movement_since(c.edition, back=c.back).from_edition
    if earlier and earlier != previous and earlier < c.edition:
        fact = _movement_fact(c, int(earlier))
        if fact:
            out.append(fact)
    return out


def build_percentile(c: Context) -> list[Fact]:
    r = c.row
    if not positioned(r) or not r["field_size"] or not r.get("field_known", True):
        return []
    rank = worse_rank(r)
    top = top_percent(rank, int(r["field_size"]))
    if top > 50:  # "top 72 %" is no highlight (and "top 100 %" says nothing)
        return []
    values = PercentileValues(
        rank=rank, field_size=int(r["field_size"]), top_percent=top, band=r.get("band")
    )
    return [c.fact("percentile", values)]


def build_group_position(c: Context) -> list[Fact]:
    r = c.row
    if not r["ranked"] or not r.get("group") or not r["group_size"]:
        return []
    first = int(r["group_rank"]) * 2 <= int(r["group_size"])
    values = GroupPositionValues(
        group=r["group"],
        half="first" if first else "second",
        rank_in_group=int(r["group_rank"]),
        group_size=int(r["group_size"]),
    )
    return [c.fact("group_position", values, 0 if first else -10)]


def published_scoped_rank(row: Mapping[str, Any], prefix: str) -> tuple[int, int]:
    """The national (``prefix="national"``) or regional rank as published, with its tie size.

    In a band (contracts section 6): 1 + the compatriots in better bands, ex aequo with those
    of the same band ("6e ex aequo en France"); a rank derived otherwise from printed intervals
    (an exact rank behind a compatriot's band): the worse end. ``(0, 0)`` when there is none.
    """
    if row.get("band"):
        rank = int(row.get(f"{prefix}_rank") or 0)
    else:
        rank = int(row.get(f"{prefix}_rank_worst") or row.get(f"{prefix}_rank") or 0)
    return rank, int(row.get(f"{prefix}_tie_size") or 0) if rank else 0


def _scoped(c: Context, kind: str, prefix: str, scope: str | None) -> list[Fact]:
    r = c.row
    if not positioned(r) or not r[f"{prefix}_field_size"] or not scope:
        return []
    rank, tie = published_scoped_rank(r, prefix)
    scoped = NationalRankValues if kind == "national_rank" else RegionalRankValues
    values = scoped(
        node=None, scope=scope, rank=rank, tie_size=tie, field_size=int(r[f"{prefix}_field_size"])
    )
    if int(r[f"{prefix}_field_size"]) == int(r["field_size"]):
        return []  # the whole field is one country: the national rank is the rank
    if int(r[f"{prefix}_field_size"]) < 2:
        return []  # "1st of the 1 institution ranked in its region" is no highlight
    # A first place among fewer than five is worth little more than any other rank.
    big = int(r[f"{prefix}_field_size"]) >= 5
    weight = (3 if prefix == "national" else 1) if big else 0
    return [c.fact(kind, values, _first_bonus(rank) * weight // 3)]


def _attribute(c: Context, name: str) -> str | None:
    inst = c.series.dataset.institutions
    entity = c.row.get("entity") or c.history.institution
    value = inst.loc[inst["id"] == entity, name]
    if value.empty or pd.isna(value.iloc[0]):
        return None
    return str(value.iloc[0])


def build_national_rank(c: Context) -> list[Fact]:
    return _scoped(c, "national_rank", "national", _attribute(c, "country"))


def build_regional_rank(c: Context) -> list[Fact]:
    region = _attribute(c, "region") or _attribute(c, "region_code")
    return _scoped(c, "regional_rank", "regional", region)


def _ranked_by_grade_counts(c: Context) -> bool:
    method = c.series.methodology(c.edition)
    return (
        method is not None
        and method.ranking.by == "grade_counts"
        # imported grades give the same per-dimension A-count tables (history.node_standings)
        and c.series.source_of(c.edition) in ("computed", "published")
    )


def build_dimension_ranks(c: Context) -> list[Fact]:
    """National and regional ranks inside each dimension where the institution has A grades,
    for systems ranked on grade counts (U-Multirank): the competition rank of its A count in
    the dimension among the scope's institutions of the overall table (no grade there counts
    as no A). Priority: the overall scoped rank's, 20 below."""
    r = c.row
    grades = r.get("grades") or {}
    if not r["ranked"] or not grades or not _ranked_by_grade_counts(c):
        return []
    dims = [n for n, g in grades.items() if n != c.history.system and g.get("A")]
    if not dims:
        return []
    entity = r.get("entity") or c.history.institution
    standings = c.series.standings(c.edition)
    nodes = c.series.node_standings(c.edition)
    counts = (
        nodes[nodes["node"].isin(dims)]
        .pivot(index="institution", columns="node", values="score")
        .reindex(index=standings.index, columns=dims)
        .fillna(0)
        .to_numpy(dtype=float)
    )
    mine = counts[standings.index.get_loc(entity)]
    region = _attribute(c, "region") or _attribute(c, "region_code")
    out: list[Fact] = []
    for kind, column, scope, weight in (
        ("national_rank", "country", _attribute(c, "country"), 3),
        ("regional_rank", "region_code", region, 1),
    ):
        code = standings[column].get(entity)
        if not scope or not isinstance(code, str) or not code:
            continue  # e.g. a region name without a region code: no regional field
        peers = counts[(standings[column] == code).to_numpy(dtype=bool, na_value=False)]
        if len(peers) == len(standings):
            continue  # the whole field is one country: the dimension's rank says it
        ranks = 1 + (peers > mine).sum(axis=0)
        ties = (peers == mine).sum(axis=0)
        # A first place among fewer than five is worth little more than any other rank; a
        # national first in a named dimension is as newsworthy as an overall one (U-Multirank
        # prints no overall rank: its own releases lead with these).
        w = weight if len(peers) >= 5 else 0
        for node, rank, tie in zip(dims, ranks.tolist(), ties.tolist(), strict=True):
            first = int(rank) == 1 and w > 0
            scoped = NationalRankValues if kind == "national_rank" else RegionalRankValues
            values = scoped(
                node=node,
                scope=scope,
                rank=int(rank),
                tie_size=int(tie),
                field_size=len(peers),
                grade="A",
            )
            out.append(
                c.fact(kind, values, (0 if first else -20) + _first_bonus(int(rank)) * w // 3)
            )
    return out


def approximation(count: int) -> tuple[str, int] | None:
    """``("near", N)`` when 0.97 N <= count < N, ``("more-than", N)`` when N < count <= 1.03 N;
    N is the count rounded to hundreds (tens below 1,000); else None."""
    unit = 100 if count >= 1000 else 10
    n = math.floor(count / unit + 0.5) * unit
    if n and 97 * n <= 100 * count < 100 * n:
        return ("near", n)
    if n and n < count and 100 * count <= 103 * n:
        return ("more-than", n)
    return None


def build_band(c: Context) -> list[Fact]:
    r = c.row
    if not r["ranked"] or not r.get("band"):
        return []
    values = BandValues(
        band=r["band"],
        band_lo=int(r["band_lo"]),
        band_hi=int(r["band_hi"]),
        field_size=int(r["field_size"]) if r.get("field_known", True) else None,
    )
    return [c.fact("band", values)]


def build_band_change(c: Context) -> list[Fact]:
    change = c.row.get("band_change")
    if not change:
        return []
    previous, _, band = str(change).partition(" -> ")
    m = c.history.movement(int(c.row["previous_edition"]), c.edition)
    values = BandChangeValues(
        previous_edition=int(c.row["previous_edition"]),
        previous_band=previous,
        band=band,
        direction=m.band_change,
    )
    return [c.fact("band_change", values, 10 if m.band_change == "improved" else -20)]


def build_top_n(c: Context) -> list[Fact]:
    r = c.row
    if not positioned(r):
        return []
    out: list[Fact] = []
    rank = worse_rank(r)
    n = _ladder(rank, c.ladder)
    field = int(r["field_size"] or 0)
    # top N with N at least the field is no highlight (nor with an unknown field)
    if n and r.get("field_known", True) and n < field:
        tie = 0 if r.get("band") else int(r.get("tie_size") or 0)
        values = TopNValues(scope="world", n=n, rank=rank, tie_size=tie, band=r.get("band"))
        out.append(c.fact("top_n", values))
    country = _attribute(c, "country")
    nat, tie = published_scoped_rank(r, "national")
    if country and nat and int(r["national_field_size"]) < int(r["field_size"]):
        # The proof states the national rank as published ("6e ex aequo en France", contracts
        # section 6), never the tie's last position; the top N holds for every place of the tie
        # inside the band (6e ex aequo with three others: 6th to 9th, top 10), never flattering.
        n = _ladder(int(r["national_rank_worst"] or nat), c.ladder)
        if n and n < int(r["national_field_size"]):
            values = TopNValues(scope=country, n=n, rank=nat, tie_size=tie, band=None)
            out.append(c.fact("top_n", values, -4))
    return out


def build_grade_count(c: Context) -> list[Fact]:
    grades = c.row.get("grades") or {}
    root = c.history.system
    if root not in grades:
        return []
    by_dimension = {n: g["A"] for n, g in grades.items() if n != root and g.get("A")}
    values = GradeCountValues(grade="A", total=int(grades[root]["A"]), by_dimension=by_dimension)
    return [c.fact("grade_count", values)]


def build_grade_count_change(c: Context) -> list[Fact]:
    changes = c.row.get("grade_changes") or {}
    grades = c.row.get("grades") or {}
    out: list[Fact] = []
    for node, delta in changes.items():
        if delta.get("A"):
            current = int(grades[node]["A"])
            values = GradeCountChangeValues(
                grade="A", dimension=node, previous=current - int(delta["A"]), current=current
            )
            out.append(c.fact("grade_count_change", values, 0 if delta["A"] > 0 else -20))
    return out


def build_participation(c: Context) -> list[Fact]:
    first = c.series.first_edition()
    if not c.row["ranked"] or first is None or not c.series.field_known(first):
        return []  # the first edition known only from a partial import: no "first edition"
    values = ParticipationValues(
        count=int(c.row["participation"]),
        streak=int(c.row["streak"]),
        first_edition=c.history.first_edition,
    )
    return [c.fact("participation", values)]


def build_field_size(c: Context) -> list[Fact]:
    if not c.row.get("field_known", True):
        return []
    count = int(c.row.get("field_size") or c.series.field_size(c.edition))
    approx = approximation(count)
    values = FieldSizeValues(
        count=count,
        countries=int(c.row.get("countries") or c.series.countries(c.edition)),
        submitters=c.row.get("submitters"),
        approximately=None if approx is None else {"word": approx[0], "n": approx[1]},
    )
    return [c.fact("field_size", values)] if count else []


def build_field_growth(c: Context) -> list[Fact]:
    previous = c.row.get("previous_edition")
    if not previous or not c.row.get("field_growth"):
        return []
    if not (c.row.get("field_known", True) and c.series.field_known(int(previous))):
        return []
    values = FieldGrowthValues(
        previous_edition=int(previous),
        previous=c.series.field_size(int(previous)),
        current=c.series.field_size(c.edition),
    )
    return [c.fact("field_growth", values)]


#: Attributes a field composition never counts: the national and regional facts cover them.
PLACE_ATTRIBUTES = frozenset({"country", "region", "region_code"})


def composition_attributes(c: Context) -> list[str]:
    """The attributes a field composition counts: ``attributes`` when given, else the keys the
    methodology's subsets filter on (``[subsets.*] where``), places aside, in their order."""
    if c.attributes is not None:
        return list(c.attributes)
    method = c.series.methodology(c.edition)
    if method is None:
        return []
    keys = [k for subset in method.subsets.values() for k in subset.where]
    return [k for k in dict.fromkeys(keys) if k not in PLACE_ATTRIBUTES]


def build_field_composition(c: Context) -> list[Fact]:
    """How many institutions of the edition's field have each value of the attributes (values
    the subsets name first, in their order, then by count); missing values are not counted."""
    standings = c.series.standings(c.edition)
    inst = c.series.dataset.institutions.set_index("id").reindex(standings.index)
    named: dict[str, list[str]] = {}
    method = c.series.methodology(c.edition)
    for subset in method.subsets.values() if method is not None else ():
        for key, wanted in subset.where.items():
            listed = [wanted] if isinstance(wanted, str | int | float) else list(wanted)
            named.setdefault(key, []).extend(str(w) for w in listed)
    by_attribute: dict[str, dict[str, int]] = {}
    for attribute in composition_attributes(c):
        if attribute not in inst.columns:
            continue
        labels = inst[attribute].dropna().astype(str)
        counts = labels[labels != ""].value_counts()
        if counts.empty:
            continue
        order = list(dict.fromkeys(v for v in named.get(attribute, []) if v in counts.index))
        rest = sorted(set(counts.index) - set(order), key=lambda v: (-counts[v], v))
        by_attribute[attribute] = {v: int(counts[v]) for v in [*order, *rest]}
    if not by_attribute:
        return []
    values = FieldCompositionValues(by_attribute=by_attribute, field_size=len(standings))
    return [c.fact("field_composition", values)]


def build_indicator_changes(c: Context) -> list[Fact]:
    """Progress = more criterion points (or better grades, higher normalised values)."""
    improved = list(c.row.get("indicators_improved") or [])
    declined = list(c.row.get("indicators_declined") or [])
    if not improved and not declined:
        return []
    values = IndicatorChangesValues(improved=improved, declined=declined)
    return [c.fact("indicator_changes", values)]


def build_trajectory(c: Context) -> list[Fact]:
    ranks = {
        year: int(c.history.row(year)["rank"])
        for year in c.history.editions
        if year <= c.edition
        and int(c.history.row(year)["rank"] or 0) > 0
        and not c.history.row(year).get("band")
    }
    return [c.fact("trajectory", TrajectoryValues(ranks=ranks))] if len(ranks) >= 2 else []


def build_methodology_structure(c: Context) -> list[Fact]:
    method = c.series.methodology(c.edition)
    if method is None:
        return []
    nodes = c.series.node_standings(c.edition)
    names = sorted(nodes["node"].unique().tolist()) if "node" in nodes else []
    return (
        [c.fact("methodology_structure", MethodologyStructureValues(level=1, names=names))]
        if names
        else []
    )


def scale_changes(series: EditionSeries, previous: int, edition: int) -> dict[str, Any]:
    """The scale changes of the methodology diff, ``{place: {from, to, parameter}}``: the place
    is the node of a per-node override, else ``criteria`` (every criterion of the step); a
    second parameter at the same place is keyed ``place:parameter``. Empty when either edition
    has no methodology (a published table)."""
    if series.source_of(previous) != "computed" or series.source_of(edition) != "computed":
        return {}
    before, after = series.methodology(previous), series.methodology(edition)
    if before is None or after is None:
        return {}
    out: dict[str, Any] = {}
    for change in diff_methodologies(before, after).scales:
        parameter = change.key.rsplit(".", 1)[-1]
        place = change.node or "criteria"
        key = place if place not in out else f"{place}:{parameter}"
        out[key] = {"from": change.old, "to": change.new, "parameter": parameter}
    return out


def build_methodology_change(c: Context) -> list[Fact]:
    change = c.history.methodology_changes.get(c.edition)
    if change is None or not (change.changed or change.added or change.removed):
        return []
    values = MethodologyChangeValues(
        previous_edition=change.previous_edition,
        added=list(change.added),
        removed=list(change.removed),
        scale_changes=scale_changes(c.series, change.previous_edition, c.edition),
        scores_comparable=not change.scale_changed,
    )
    return [c.fact("methodology_change", values)]


def build_strongest_families(c: Context) -> list[Fact]:
    """Families whose rank is better than or equal to the overall rank (vectorised over nodes)."""
    r = c.row
    if not r["ranked"] or r.get("band"):
        return []
    nodes = c.nodes()
    exact = nodes[(nodes["band_hi"] == 0) & (nodes["rank"] > 0)]
    mask = exact["rank"].to_numpy() <= int(r["rank"])
    families = exact["node"].to_numpy()[mask].tolist()
    if not families:
        return []
    values = StrongestFamiliesValues(families=families, rule="family rank <= overall rank")
    return [c.fact("strongest_families", values)]


def build_network_facts(c: Context) -> list[Fact]:
    """network_summary, network_movement and network_entrant for each network of the school."""
    out: list[Fact] = []
    networks = c.row.get("networks") or {}
    if not c.row.get("field_known", True):
        return []  # a partial import: no share of an unknown field, no order of entry
    country = _attribute(c, "country")
    # No overall rank published (U-Multirank): no leader of the network, no movements.
    ordered = c.series.publishes_rank(c.edition)
    for net in networks:
        s = network_summary(c.series, net, None, c.edition)
        ranked = [m.institution for m in s.members_ranked]
        first_member = s.first_member if ordered else None
        out.append(
            c.fact(
                "network_summary",
                NetworkSummaryValues(
                    network=net,
                    network_name=s.network_name,
                    members_ranked=len(ranked),
                    country=country,
                    country_field=int(s.country_field.get(country or "", 0)),
                    members_in_country=sum(m.country == country for m in s.members_ranked),
                    first_member=first_member,
                ),
                10 if first_member == c.history.institution else 0,
            )
        )
        if ordered and s.previous_edition is not None and (s.improved or s.kept or s.declined):
            values = NetworkMovementValues(
                network=net,
                network_name=s.network_name,
                previous_edition=s.previous_edition,
                improved=list(s.improved),
                kept=list(s.kept),
                declined=list(s.declined),
            )
            out.append(c.fact("network_movement", values))
        entity = c.row.get("entity") or c.history.institution
        if entity in s.new_entrants:
            order = next((o for i, _, o in s.join_order if i == entity), None)
            entrant = NetworkEntrantValues(
                network=net,
                network_name=s.network_name,
                institution=entity,
                edition=c.edition,
                order=order,
            )
            out.append(c.fact("network_entrant", entrant))
    return out


def _sdg_nodes(c: Context) -> pd.DataFrame:
    nodes = c.nodes()
    return nodes[nodes["node"].str.contains(_SDG_NODE, regex=True)]


def _sdg_number(node: str) -> int:
    found = _SDG.search(node)
    return int(found.group(1)) if found else 0


def build_sdg_facts(c: Context) -> list[Fact]:
    """sdg_coverage, sdg_bands (exclusive counts per ladder rung) and sdg_national_firsts."""
    sdg = _sdg_nodes(c)
    total = c.row.get("nodes_total") or 0
    if sdg.empty or not c.row["ranked"]:
        return []
    out = [c.fact("sdg_coverage", SdgCoverageValues(ranked=len(sdg), total=int(total)))]
    # A printed band's upper end, else the smallest ladder rung >= the rank: never flattering.
    worse = np.where(sdg["band_hi"] > 0, sdg["band_hi"], sdg["rank"]).astype(np.int64)
    rungs = top_n(worse, c.ladder)
    numbers = [_sdg_number(n) for n in sdg["node"]]
    counts: dict[str, int] = {}
    for rung in sorted(set(rungs.tolist()) - {0}):
        counts[str(rung)] = int((rungs == rung).sum())
    sdgs = {str(n): int(r) for n, r in zip(numbers, rungs, strict=True)}
    out.append(c.fact("sdg_bands", SdgBandsValues(counts_by_band=counts, sdgs=sdgs)))
    firsts = [n for n, nat in zip(numbers, sdg["national_rank"], strict=True) if nat == 1]
    if firsts:
        out.append(c.fact("sdg_national_firsts", SdgNationalFirstsValues(sdgs=firsts), 10))
    return out


def build_band_stability(c: Context) -> list[Fact]:
    previous = c.row.get("previous_edition")
    if not previous or not c.row.get("band") or c.row.get("band_change"):
        return []
    before = c.history.row(int(previous))
    if before.get("band") != c.row["band"] or not c.row.get("field_growth"):
        return []
    if int(c.row["field_growth"]) <= 0:
        return []
    values = BandStabilityValues(
        band=c.row["band"],
        previous_edition=int(previous),
        previous_field=c.series.field_size(int(previous)),
        current_field=c.series.field_size(c.edition),
    )
    return [c.fact("band_stability", values)]


def build_top_n_change(c: Context) -> list[Fact]:
    previous = c.row.get("previous_edition")
    if not previous or not positioned(c.row):
        return []
    before = c.history.row(int(previous))
    if not positioned(before):
        return []
    n = _ladder(worse_rank(c.row), c.ladder)
    previous_n = _ladder(worse_rank(before), c.ladder)
    if not n or not previous_n or n == previous_n:
        return []
    values = TopNChangeValues(
        scope="world", previous_edition=int(previous), previous_n=previous_n, n=n
    )
    return [c.fact("top_n_change", values, 5 if n < previous_n else -20)]


def build_national_leader_change(c: Context) -> list[Fact]:
    country = _attribute(c, "country")
    if not country or not positioned(c.row) or not c.row.get("previous_edition"):
        return []
    if not c.series.publishes_rank(c.edition):
        return []  # no overall rank published: no overall leader either
    change = leader_change(c.series, None, c.edition, country=country)
    entity = c.row.get("entity") or c.history.institution
    if not change.changed or entity not in change.leaders:
        return []
    values = NationalLeaderChangeValues(
        scope=country,
        previous_edition=change.previous_edition,
        previous_leader=list(change.previous_leaders),
        leader=list(change.leaders),
    )
    return [c.fact("national_leader_change", values)]


def build_system_first_edition(c: Context) -> list[Fact]:
    first = c.series.first_edition()
    if first is None or not c.series.field_known(first):
        return []  # known only from a partial import: "exists since 2023" would be invented
    return [
        c.fact(
            "system_first_edition",
            SystemFirstEditionValues(system=c.history.system, first_edition=first),
        )
    ]


BUILDERS = (
    build_rank,
    build_movement,
    build_percentile,
    build_group_position,
    build_national_rank,
    build_regional_rank,
    build_dimension_ranks,
    build_band,
    build_band_change,
    build_top_n,
    build_grade_count,
    build_grade_count_change,
    build_participation,
    build_field_size,
    build_field_growth,
    build_field_composition,
    build_indicator_changes,
    build_trajectory,
    build_methodology_structure,
    build_methodology_change,
    build_strongest_families,
    build_network_facts,
    build_sdg_facts,
    build_band_stability,
    build_top_n_change,
    build_national_leader_change,
    build_system_first_edition,
)


def context(
    series: EditionSeries,
    institution: str,
    edition: int,
    *,
    data_hash: str | None = None,
    back: int = 5,
    ladder: Sequence[int] = TOP_N_LADDER,
    attributes: Sequence[str] | None = None,
) -> Context:
    """What every builder reads for ``institution`` in ``edition`` (``attributes``: those a
    field composition counts; default: the keys the methodology's subsets filter on)."""
    if edition not in series.years:
        raise ValueError(f"{series.system} has no edition {edition}")
    hist = series.history(institution)
    inst = series.dataset.institutions
    gender = None
    if "gender" in inst:
        value = inst.loc[inst["id"] == hist.institution, "gender"]
        if not value.empty and value.iloc[0] in ("f", "m"):
            gender = str(value.iloc[0])
    row = hist.row(edition)
    return Context(series, hist, edition, row, data_hash, gender, ladder, back, attributes)


def facts(
    series: EditionSeries,
    institution: str,
    edition: int,
    *,
    data_hash: str | None = None,
    back: int = 5,
    ladder: Sequence[int] = TOP_N_LADDER,
    attributes: Sequence[str] | None = None,
) -> list[Fact]:
    """Every fact about ``institution`` in ``edition``, most newsworthy first."""
    ctx = context(
        series,
        institution,
        edition,
        data_hash=data_hash,
        back=back,
        ladder=ladder,
        attributes=attributes,
    )
    out = [f for build in BUILDERS for f in build(ctx)]
    order = {k: i for i, k in enumerate(KINDS)}
    return sorted(out, key=lambda f: (-f.priority, order[f.kind]))
