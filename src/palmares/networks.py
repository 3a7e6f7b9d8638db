"""Peers and networks: rankings inside a country, region, network or attribute filter, and the
summary of a network's schools in one edition.

Peer rankings re-rank an edition's overall table inside a subset on the same scores (no
re-aggregation): competition ranks inside the subset, from the overall rank intervals, so a
published table's bands give a range (``peer_rank`` .. ``peer_rank_worst``).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from palmares.dataset import Dataset
from palmares.history import EditionSeries, MethodRef, subset_ranks
from palmares.jsonsafe import json_safe
from palmares.translatable import tr


def _series(
    source: Dataset | EditionSeries, system_or_method: MethodRef | Sequence[MethodRef] | None
) -> EditionSeries:
    if isinstance(source, EditionSeries):
        return source
    if system_or_method is None:
        raise ValueError("give a system or methodology with a Dataset")
    return EditionSeries(source, system_or_method)


def _check_edition(series: EditionSeries, edition: int) -> None:
    if edition not in series.years:
        known = ", ".join(map(str, series.years)) or tr("none")
        raise LookupError(
            tr(
                "no {system} edition {edition} (editions: {known})",
                system=series.system,
                edition=edition,
                known=known,
            )
        )


def peer_mask(
    series: EditionSeries,
    edition: int,
    *,
    country: str | None = None,
    region: str | None = None,
    network: str | None = None,
    where: Mapping[str, Any] | None = None,
) -> np.ndarray[Any, np.dtype[np.bool_]]:
    """Which institutions of the edition's overall table pass every filter given."""
    standings = series.standings(edition)
    mask = np.ones(len(standings), dtype=bool)
    if country is not None:
        mask &= (standings["country"] == country).to_numpy(dtype=bool, na_value=False)
    if region is not None:
        mask &= (standings["region_code"] == region).to_numpy(dtype=bool, na_value=False)
    if network is not None:
        _check_network(series.dataset, network)
        members = series.dataset.network_members(network, edition)
        mask &= standings.index.isin(list(members))
    if where:
        inst = series.dataset.institutions.set_index("id").reindex(standings.index)
        for column, wanted in where.items():
            if column not in inst.columns:
                known = ", ".join(c for c in inst.columns if c != "name")
                raise LookupError(
                    tr(
                        "no institution attribute {column!r} (attributes: {known})",
                        column=column,
                        known=known,
                    )
                )
            accepted = [wanted] if isinstance(wanted, (str, int, float)) else list(wanted)
            accepted_text = {str(a) for a in accepted}
            values = inst[column].astype(object).map(lambda v: str(v) if v == v else None)
            mask &= values.isin(accepted_text).to_numpy(dtype=bool)
    return mask


def peers(
    source: Dataset | EditionSeries,
    system_or_method: MethodRef | Sequence[MethodRef] | None,
    edition: int,
    *,
    country: str | None = None,
    region: str | None = None,
    network: str | None = None,
    where: Mapping[str, Any] | None = None,
    lang: str = "en",
) -> pd.DataFrame:
    """The edition's overall table restricted to a subset and re-ranked inside it on the same
    scores: ``peer_rank`` (better end), ``peer_rank_worst``, ``peer_tie_size``,
    ``peer_field_size``; sorted by peer rank, then id."""
    series = _series(source, system_or_method)
    _check_edition(series, edition)
    standings = series.standings(edition)
    mask = peer_mask(series, edition, country=country, region=region, network=network, where=where)
    ranks = subset_ranks(
        standings["rank_lo"].to_numpy(), standings["rank_hi"].to_numpy(), np.where(mask, 0, -1)
    )
    frame = pd.DataFrame(
        {
            "institution": standings.index.to_numpy(dtype=object),
            "name": standings["name"].to_numpy(dtype=object),
            "country": standings["country"].to_numpy(dtype=object),
            "region_code": standings["region_code"].to_numpy(dtype=object),
            "rank": standings["rank"].to_numpy(),
            "rank_display": standings[f"rank_display_{lang}"].to_numpy(dtype=object),
            "band": standings["band"].to_numpy(dtype=object),
            "score": standings["score"].to_numpy(dtype=float),
            "peer_rank": ranks.best,
            "peer_rank_worst": ranks.worst,
            "peer_tie_size": ranks.tie,
            "peer_field_size": ranks.field,
        }
    )[mask]
    return frame.sort_values(["peer_rank", "institution"], kind="stable").reset_index(drop=True)


def _check_network(dataset: Dataset, network: str) -> None:
    known = sorted(set(dataset.networks["network"].tolist()))
    if network not in known:
        names = ", ".join(known) or tr("none")
        raise LookupError(
            tr("no network {network!r} (networks: {names})", network=network, names=names)
        )


@dataclass(frozen=True)
class NetworkMember:
    """One member of a network ranked in the edition, with its movement since the previous
    edition (``status``: improved, kept, declined, new, returned; ``basis``: rank or band)."""

    institution: str
    name: str
    country: str | None
    rank: int
    rank_display: str
    band: str | None
    national_rank: int
    national_rank_worst: int
    network_rank: int
    network_rank_worst: int
    first_edition: int | None
    previous_rank: int | None
    previous_band: str | None
    places: int | None
    status: str
    basis: str
    flags: tuple[str, ...]


@dataclass(frozen=True)
class NetworkSummary:
    """A network's schools in one edition of a system."""

    network: str
    network_name: str | None
    system: str
    edition: int
    previous_edition: int | None
    members: tuple[str, ...]
    members_ranked: tuple[NetworkMember, ...]
    country_field: Mapping[str, int]
    first_member: str | None
    new_entrants: tuple[str, ...]
    join_order: tuple[tuple[str, int, int], ...]  # (institution, first edition, order)
    improved: tuple[str, ...]
    kept: tuple[str, ...]
    declined: tuple[str, ...]

    def to_json(self) -> dict[str, Any]:
        return json_safe(
            {
                "network": self.network,
                "network_name": self.network_name,
                "system": self.system,
                "edition": self.edition,
                "previous_edition": self.previous_edition,
                "members": list(self.members),
                "members_ranked": [
                    _missing_not_zero(vars(m) | {"flags": list(m.flags)})
                    for m in self.members_ranked
                ],
                "country_field": dict(self.country_field),
                "first_member": self.first_member,
                "new_entrants": list(self.new_entrants),
                "join_order": [
                    {"institution": i, "first_edition": y, "order": o}
                    for i, y, o in self.join_order
                ],
                "improved": list(self.improved),
                "kept": list(self.kept),
                "declined": list(self.declined),
            }
        )


def _missing_not_zero(record: dict[str, Any]) -> dict[str, Any]:
    """Ranks palmares does not have are null, never 0 (contracts section 12)."""
    for key in (
        "rank",
        "national_rank",
        "national_rank_worst",
        "network_rank",
        "network_rank_worst",
    ):
        if record.get(key) == 0:
            record[key] = None
    if record.get("rank_display") == "":
        record["rank_display"] = None
    return record


def _order(first_editions: Iterable[int]) -> list[int]:
    """Competition order of joining: members entering the same edition share a place."""
    years = list(first_editions)
    return [1 + sum(other < year for other in years) for year in years]


def network_summary(
    source: Dataset | EditionSeries,
    network: str,
    system_or_method: MethodRef | Sequence[MethodRef] | None,
    edition: int,
    *,
    roles: Sequence[str] = ("member", "affiliate"),
    lang: str = "en",
) -> NetworkSummary:
    """Members ranked in ``edition`` (in rank order, with national and network ranks), among
    how many of their country, the first member, new entrants and the order in which members
    entered the system, and the network's movements since the previous edition (by band where
    the position is a band, else by rank; members through their lineage)."""
    series = _series(source, system_or_method)
    dataset = series.dataset
    _check_network(dataset, network)
    _check_edition(series, edition)
    members = dataset.network_members(network, edition, roles)
    standings = series.standings(edition)
    in_network = standings.index.isin(list(members))
    ranks = subset_ranks(
        standings["rank_lo"].to_numpy(),
        standings["rank_hi"].to_numpy(),
        np.where(in_network, 0, -1),
    )
    # No overall rank published (U-Multirank's published view): no order among members.
    ordered = series.publishes_rank(edition)
    if not ordered:
        none = np.zeros(len(standings), dtype=np.int64)
        ranks = subset_ranks(none, none, np.where(in_network, 0, -1))
    previous = series.previous(edition)
    ranked_rows: list[NetworkMember] = []
    for i in np.flatnonzero(in_network).tolist():
        member = str(standings.index[i])
        facts = standings.iloc[i]
        hist = series.history(member)
        row = hist.row(edition)
        status, basis, places, previous_rank, previous_band = "new", "rank", None, None, None
        flags: tuple[str, ...] = ()
        if previous is not None and hist.row(previous)["ranked"] and not ordered:
            status, basis = "present", "none"
        elif previous is not None and hist.row(previous)["ranked"]:
            moved = hist.movement(previous, edition)
            flags = moved.flags
            previous_rank, previous_band, places = moved.from_rank, moved.from_band, moved.places
            if moved.band_change is not None:
                basis, status = "band", moved.band_change
            elif places is not None:
                status = "improved" if places > 0 else ("declined" if places < 0 else "kept")
        elif hist.first_edition is not None and hist.first_edition < edition:
            status = "returned"
        ranked_rows.append(
            NetworkMember(
                institution=member,
                name=str(facts["name"]),
                country=None if facts["country"] is None else str(facts["country"]),
                rank=int(facts["rank"]),
                rank_display=str(facts[f"rank_display_{lang}"]),
                band=row["band"],
                national_rank=int(facts["national_rank"]),
                national_rank_worst=int(facts["national_rank_worst"]),
                network_rank=int(ranks.best[i]),
                network_rank_worst=int(ranks.worst[i]),
                first_edition=hist.first_edition,
                previous_rank=previous_rank,
                previous_band=previous_band,
                places=places,
                status=status,
                basis=basis,
                flags=flags,
            )
        )
    ranked_rows.sort(key=lambda m: (m.network_rank, m.name if not ordered else "", m.institution))
    countries = sorted({m.country for m in ranked_rows if m.country})
    by_country = standings["country"].value_counts()
    country_field = {c: int(by_country.get(c, 0)) for c in countries}
    # Every member that entered the system by this edition, ranked now or not.
    firsts = {}
    for member in members:
        entered = [y for y in series.history(member).ranked_editions if y <= edition]
        if entered:
            firsts[member] = entered[0]
    joined = sorted((year, member) for member, year in firsts.items())
    order = _order(y for y, _ in joined)
    names = dataset.networks
    label = names.loc[names["network"] == network, "network_name"].dropna()
    return NetworkSummary(
        network=network,
        network_name=str(label.iloc[0]) if len(label) else None,
        system=series.system,
        edition=edition,
        previous_edition=previous,
        members=members,
        members_ranked=tuple(ranked_rows),
        country_field=country_field,
        first_member=ranked_rows[0].institution if ranked_rows and ordered else None,
        new_entrants=tuple(m.institution for m in ranked_rows if m.status == "new"),
        join_order=tuple((i, y, o) for (y, i), o in zip(joined, order, strict=True)),
        improved=tuple(m.institution for m in ranked_rows if m.status == "improved"),
        kept=tuple(m.institution for m in ranked_rows if m.status == "kept"),
        declined=tuple(m.institution for m in ranked_rows if m.status == "declined"),
    )


@dataclass(frozen=True)
class LeaderChange:
    """Who led a subset (a country, a region, a network) in two editions. A leader is certain
    only when no one can be ahead of it (``peer_rank_worst == 1``); ties share the lead."""

    previous_edition: int | None
    edition: int
    previous_leaders: tuple[str, ...]
    leaders: tuple[str, ...]

    @property
    def changed(self) -> bool:
        return bool(self.leaders) and set(self.leaders) != set(self.previous_leaders)

    def to_json(self) -> dict[str, Any]:
        return {
            "previous_edition": self.previous_edition,
            "edition": self.edition,
            "previous_leaders": list(self.previous_leaders),
            "leaders": list(self.leaders),
            "changed": self.changed,
        }


def leaders(
    source: Dataset | EditionSeries,
    system_or_method: MethodRef | Sequence[MethodRef] | None,
    edition: int,
    **filters: Any,
) -> tuple[str, ...]:
    """The institutions certainly first inside a subset (``peers`` filters), sorted by id."""
    table = peers(source, system_or_method, edition, **filters)
    return tuple(sorted(table.loc[table["peer_rank_worst"] == 1, "institution"].tolist()))


def leader_change(
    source: Dataset | EditionSeries,
    system_or_method: MethodRef | Sequence[MethodRef] | None,
    edition: int,
    *,
    previous: int | None = None,
    **filters: Any,
) -> LeaderChange:
    """The subset's leaders in ``edition`` and in ``previous`` (default: the edition before),
    followed through lineage: a renamed leader is the same leader."""
    series = _series(source, system_or_method)
    before = series.previous(edition) if previous is None else previous
    now = leaders(series, None, edition, **filters)
    then = leaders(series, None, before, **filters) if before is not None else ()
    # A predecessor that led last year is the same leader under its new name.
    successor_of = {p: i for i in now for p in series.dataset.lineage_ids(i)[1:] if p in set(then)}
    then = tuple(sorted({successor_of.get(p, p) for p in then}))
    return LeaderChange(before, edition, then, now)
