"""The demo world's institutions: countries, regions, cities, attributes, network and lineage.

Institutions are fictional (invented names in real places). Each carries latent traits that the
value model uses (quality, size, a yearly trend, reporting diligence) so that one institution's
indicators hang together across systems. Renames and mergers happen in 2017: a predecessor id
exists until 2016 and its successor from 2017, with traits carried over.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt
import pandas as pd

from palmares.demo.names import Naming, french_name, slug, world_name
from palmares.demo.places import (
    COUNTRIES,
    FRENCH_BUSINESS_SCHOOLS,
    FRENCH_ENGINEERING_SCHOOLS,
    FRENCH_REGIONS,
    FRENCH_UNIVERSITIES,
)
from palmares.names import fold_name

LINEAGE_YEAR = 2017
ALWAYS_FROM = 0
ALWAYS_TO = 9999
NETWORK_ID = "reseau-mines"
NETWORK_NAME = "Réseau Mines & Industrie"
#: Institutions outside France per unit of a country's weight.
WORLD_SCALE = 1.1

#: The share of each type among institutions outside France.
_WORLD_TYPES = (
    ("university", 0.62),
    ("technical-university", 0.16),
    ("applied-sciences", 0.12),
    ("business-school", 0.05),
    ("specialised", 0.05),
)
#: Mean log-size by type: universities are large, specialised schools small.
_SIZE_BY_TYPE = {
    "university": 0.5,
    "technical-university": 0.2,
    "applied-sciences": -0.1,
    "business-school": -0.4,
    "specialised": -0.7,
    "engineering-school": -0.6,
}


@dataclass
class _Row:
    id: str
    name: str
    country: str
    region: str
    region_code: str
    city: str
    name_en: str
    name_fr: str
    gender: str
    type: str
    status: str
    intake: str
    area: str
    acronym: str = ""
    alive_from: int = ALWAYS_FROM
    alive_to: int = ALWAYS_TO


@dataclass(frozen=True)
class World:
    """Institutions (sorted by id) with the latent traits the value model reads, row-aligned."""

    institutions: pd.DataFrame
    aliases: pd.DataFrame
    lineage: pd.DataFrame
    networks: pd.DataFrame
    alive_from: npt.NDArray[np.int64]
    alive_to: npt.NDArray[np.int64]
    area: npt.NDArray[np.str_]
    quality: npt.NDArray[np.float64]
    size: npt.NDArray[np.float64]
    trend: npt.NDArray[np.float64]
    diligence: npt.NDArray[np.float64]
    #: Row of each 2017 successor -> rows of its predecessors.
    predecessors: dict[int, tuple[int, ...]] = field(default_factory=dict)

    @property
    def ids(self) -> npt.NDArray[np.str_]:
        return self.institutions["id"].to_numpy(dtype=str)

    def column(self, name: str) -> npt.NDArray[np.str_]:
        return self.institutions[name].fillna("").to_numpy(dtype=str)

    def alive(self, year: int) -> npt.NDArray[np.bool_]:
        return (self.alive_from <= year) & (self.alive_to >= year)

    def inherit(
        self, array: npt.NDArray[np.float64], *, how: str = "noise"
    ) -> npt.NDArray[np.float64]:
        """A copy of a per-institution array (axis 0) where successors continue their predecessors.

        ``noise``: the predecessors' mean rescaled to unit variance (standard normal draws stay
        standard normal); ``max``: the largest predecessor value (participation priorities).
        """
        out = array.copy()
        for k, olds in self.predecessors.items():
            rows = array[list(olds)]
            out[k] = rows.max(axis=0) if how == "max" else rows.mean(axis=0) * np.sqrt(len(olds))
        return out

    def index(self, ids: list[str]) -> npt.NDArray[np.intp]:
        position = {i: k for k, i in enumerate(self.institutions["id"])}
        return np.array([position[i] for i in ids], dtype=np.intp)


def _french_place(rng: np.random.Generator) -> tuple[str, str, str]:
    weights = np.array([w for _, _, w, _ in FRENCH_REGIONS], dtype=float)
    region, code, _, cities = FRENCH_REGIONS[
        int(rng.choice(len(FRENCH_REGIONS), p=weights / weights.sum()))
    ]
    return region, code, cities[int(rng.integers(0, len(cities)))]


def _french_row(rng: np.random.Generator, kind: str, used: set[str]) -> _Row:
    region, code, city = _french_place(rng)
    naming = french_name(rng, kind, city, used)
    if kind == "engineering-school":
        intake = "post-bac" if rng.random() < 0.55 else "post-prepa"
        status = "public" if rng.random() < 0.68 else "private"
    else:
        intake = ""
        status = (
            "public" if kind == "university" else ("private" if rng.random() < 0.85 else "public")
        )
    return _row_from(naming, "FR", region, code, city, kind, status, intake, "europe")


def _row_from(
    naming: Naming,
    country: str,
    region: str,
    code: str,
    city: str,
    kind: str,
    status: str,
    intake: str,
    area: str,
) -> _Row:
    ident = slug(f"{country}-{naming.eponym}-{city}")
    return _Row(
        ident,
        naming.name,
        country,
        region,
        code,
        city,
        naming.name_en,
        naming.name_fr,
        naming.gender,
        kind,
        status,
        intake,
        area,
        naming.acronym,
    )


def _world_rows(rng: np.random.Generator, used: set[str]) -> list[_Row]:
    types = [t for t, _ in _WORLD_TYPES]
    shares = np.array([s for _, s in _WORLD_TYPES])
    rows: list[_Row] = []
    for country in COUNTRIES:
        count = max(1, round(country.weight * WORLD_SCALE))
        kinds = rng.choice(len(types), size=count, p=shares / shares.sum())
        places = rng.integers(0, len(country.places), size=count)
        for kind_index, place_index in zip(kinds, places, strict=True):
            place = country.places[int(place_index)]
            kind = types[int(kind_index)]
            naming = world_name(rng, kind, place.city, used)
            status = "public" if rng.random() < 0.74 else "private"
            rows.append(
                _row_from(
                    naming,
                    country.code,
                    place.region,
                    place.region_code,
                    place.city,
                    kind,
                    status,
                    "",
                    country.area,
                )
            )
    return rows


def _network_rows() -> tuple[list[_Row], list[dict[str, object]], list[tuple[str, str, str]]]:
    """The fixed network (same ids and names for every seed, so docs and demos can name them)."""

    def school(
        ident: str,
        name: str,
        name_en: str,
        gender: str,
        region: str,
        code: str,
        city: str,
        intake: str,
        kind: str = "engineering-school",
        acronym: str = "",
    ) -> _Row:
        return _Row(
            ident,
            name,
            "FR",
            region,
            code,
            city,
            name_en,
            name,
            gender,
            kind,
            "public",
            intake,
            "europe",
            acronym,
        )

    occ, ges, naq = (
        ("Occitanie", "FR-OCC"),
        ("Grand Est", "FR-GES"),
        ("Nouvelle-Aquitaine", "FR-NAQ"),
    )
    ara, bfc = ("Auvergne-Rhône-Alpes", "FR-ARA"), ("Bourgogne-Franche-Comté", "FR-BFC")
    idf, bre, pac = (
        ("Île-de-France", "FR-IDF"),
        ("Bretagne", "FR-BRE"),
        ("Provence-Alpes-Côte d'Azur", "FR-PAC"),
    )
    rows = [
        school(
            "fr-mines-rodez",
            "École des mines de Rodez",
            "Rodez School of Mines",
            "f",
            *occ,
            "Rodez",
            "post-prepa",
            acronym="EM Rodez",
        ),
        school(
            "fr-mines-epinal",
            "École des mines d'Épinal",
            "Épinal School of Mines",
            "f",
            *ges,
            "Épinal",
            "post-prepa",
            acronym="EM Épinal",
        ),
        school(
            "fr-mines-niort",
            "École des mines de Niort",
            "Niort School of Mines",
            "f",
            *naq,
            "Niort",
            "post-bac",
            acronym="EM Niort",
        ),
        school(
            "fr-mines-valence",
            "École des mines de Valence",
            "Valence School of Mines",
            "f",
            *ara,
            "Valence",
            "post-prepa",
            acronym="EM Valence",
        ),
        school(
            "fr-eiy-auxerre",
            "École d'ingénieurs de l'Yonne",
            "Yonne School of Engineering",
            "f",
            *bfc,
            "Auxerre",
            "post-bac",
            acronym="EIY",
        ),
        school(
            "fr-mines-auxerre",
            "École des mines d'Auxerre",
            "Auxerre School of Mines",
            "f",
            *bfc,
            "Auxerre",
            "post-bac",
            acronym="EM Auxerre",
        ),
        school(
            "fr-imp-perigueux",
            "Institut des matériaux de Périgueux",
            "Périgueux Institute of Materials",
            "m",
            *naq,
            "Périgueux",
            "post-prepa",
            acronym="IMP",
        ),
        school(
            "fr-esid-perigueux",
            "École supérieure d'informatique de la Dordogne",
            "Dordogne School of Computing",
            "f",
            *naq,
            "Périgueux",
            "post-bac",
            acronym="ESID",
        ),
        school(
            "fr-mines-perigueux",
            "École des mines de Périgueux",
            "Périgueux School of Mines",
            "f",
            *naq,
            "Périgueux",
            "post-prepa",
            acronym="EM Périgueux",
        ),
        school(
            "fr-mines-management",
            "École de management Mines & Industrie",
            "Mines & Industrie School of Management",
            "f",
            *idf,
            "Évry",
            "post-bac",
            kind="business-school",
            acronym="EMMI",
        ),
        school(
            "fr-institut-oceanique-lorient",
            "Institut océanique de Lorient",
            "Lorient Ocean Institute",
            "m",
            *bre,
            "Lorient",
            "post-prepa",
            acronym="IOL",
        ),
        school(
            "fr-ecole-alpine-gap",
            "École alpine d'ingénieurs de Gap",
            "Gap Alpine School of Engineering",
            "f",
            *pac,
            "Gap",
            "post-bac",
            acronym="EAIG",
        ),
    ]
    for row in rows:
        if row.id in ("fr-eiy-auxerre", "fr-imp-perigueux", "fr-esid-perigueux"):
            row.alive_to = LINEAGE_YEAR - 1
        if row.id in ("fr-mines-auxerre", "fr-mines-perigueux"):
            row.alive_from = LINEAGE_YEAR
    members: list[dict[str, object]] = [
        {"institution": "fr-mines-rodez", "role": "member", "since": 2012},
        {"institution": "fr-mines-epinal", "role": "member", "since": 2012},
        {"institution": "fr-mines-valence", "role": "member", "since": 2012},
        {"institution": "fr-mines-management", "role": "member", "since": 2012},
        {"institution": "fr-mines-niort", "role": "member", "since": 2014},
        {"institution": "fr-eiy-auxerre", "role": "affiliate", "since": 2013, "until": 2016},
        {"institution": "fr-mines-auxerre", "role": "member", "since": 2017},
        {"institution": "fr-mines-perigueux", "role": "member", "since": 2017},
        {"institution": "fr-institut-oceanique-lorient", "role": "affiliate", "since": 2015},
        {"institution": "fr-ecole-alpine-gap", "role": "affiliate", "since": 2014, "until": 2020},
    ]
    lineage = [
        ("fr-eiy-auxerre", "fr-mines-auxerre", "rename"),
        ("fr-imp-perigueux", "fr-mines-perigueux", "merger"),
        ("fr-esid-perigueux", "fr-mines-perigueux", "merger"),
    ]
    return rows, members, lineage


def _unique_ids(rows: list[_Row]) -> None:
    seen: dict[str, int] = {}
    for row in rows:
        base = row.id
        if base in seen:
            seen[base] += 1
            row.id = f"{base}-{seen[base]}"
        else:
            seen[base] = 1


def _claim(row: _Row, taken: set[str]) -> _Row:
    """Give ``row`` an id no other institution has (suffix -2, -3, ...)."""
    base, k = row.id, 1
    while row.id in taken:
        k += 1
        row.id = f"{base}-{k}"
    taken.add(row.id)
    return row


def _lineage_events(
    rng: np.random.Generator, rows: list[_Row], taken: set[str], used: set[str]
) -> tuple[list[_Row], list[tuple[str, str, str]]]:
    """Renames and mergers in 2017 among generated institutions, in and outside France."""
    events: list[tuple[str, str, str]] = []
    successors: list[_Row] = []
    french = [r for r in rows if r.country == "FR" and r.type == "engineering-school"]
    abroad = [r for r in rows if r.country != "FR" and r.type == "university"]
    for pool, count in ((french, 2), (abroad, 2)):
        picks = rng.choice(len(pool), size=count, replace=False)
        for k in picks:
            old = pool[int(k)]
            naming = (
                french_name(rng, old.type, old.city, used)
                if old.country == "FR"
                else world_name(rng, old.type, old.city, used)
            )
            new = _row_from(
                naming,
                old.country,
                old.region,
                old.region_code,
                old.city,
                old.type,
                old.status,
                old.intake,
                old.area,
            )
            _claim(new, taken)
            old.alive_to, new.alive_from = LINEAGE_YEAR - 1, LINEAGE_YEAR
            successors.append(new)
            events.append((old.id, new.id, "rename"))
    for pool in (french, abroad):
        for _ in range(2 if pool is french else 1):
            candidates = [r for r in pool if r.alive_to == ALWAYS_TO]
            first = candidates[int(rng.integers(0, len(candidates)))]
            partners = [r for r in candidates if r.region == first.region and r is not first]
            if not partners:
                continue
            second = partners[int(rng.integers(0, len(partners)))]
            naming = (
                french_name(rng, first.type, first.city, used)
                if first.country == "FR"
                else world_name(rng, first.type, first.city, used)
            )
            new = _row_from(
                naming,
                first.country,
                first.region,
                first.region_code,
                first.city,
                first.type,
                first.status,
                first.intake,
                first.area,
            )
            _claim(new, taken)
            new.alive_from = LINEAGE_YEAR
            for old in (first, second):
                old.alive_to = LINEAGE_YEAR - 1
                events.append((old.id, new.id, "merger"))
            successors.append(new)
    return successors, events


def build_world(rng: np.random.Generator) -> World:
    """Generate every institution with its aliases, lineage, network and latent traits."""
    network_rows, members, network_lineage = _network_rows()
    # Folded names already given: every name and English name is unique in the world.
    used = {fold_name(n) for r in network_rows for n in (r.name, r.name_en)}
    generated = [
        _french_row(rng, "engineering-school", used) for _ in range(FRENCH_ENGINEERING_SCHOOLS)
    ]
    generated += [_french_row(rng, "university", used) for _ in range(FRENCH_UNIVERSITIES)]
    generated += [_french_row(rng, "business-school", used) for _ in range(FRENCH_BUSINESS_SCHOOLS)]
    generated += _world_rows(rng, used)
    _unique_ids(network_rows + generated)
    taken = {r.id for r in network_rows + generated}
    successors, events = _lineage_events(rng, generated, taken, used)
    rows = network_rows + generated + successors
    rows.sort(key=lambda r: r.id)
    ids = [r.id for r in rows]
    if len(set(ids)) != len(ids):
        raise RuntimeError("demo world: duplicate institution ids")

    institutions = pd.DataFrame(
        {
            "id": ids,
            "name": [r.name for r in rows],
            "country": [r.country for r in rows],
            "region": [r.region for r in rows],
            "region_code": [r.region_code or None for r in rows],
            "city": [r.city for r in rows],
            "name_en": [r.name_en for r in rows],
            "name_fr": [r.name_fr or None for r in rows],
            "gender": [r.gender for r in rows],
            "type": [r.type for r in rows],
            "status": [r.status for r in rows],
            "intake": [r.intake or None for r in rows],
        }
    )
    n = len(rows)
    position = {r.id: k for k, r in enumerate(rows)}
    types = [r.type for r in rows]
    quality = rng.standard_normal(n)
    size = np.array([_SIZE_BY_TYPE[t] for t in types]) + 0.8 * rng.standard_normal(n)
    trend = 0.07 * rng.standard_normal(n)
    diligence = rng.standard_normal(n)
    lineage_rows = network_lineage + events
    # A successor inherits its predecessors' traits: a merger is larger, as good as their mean.
    by_successor: dict[int, list[int]] = {}
    for old, new, _ in lineage_rows:
        by_successor.setdefault(position[new], []).append(position[old])
    for k, olds in by_successor.items():
        quality[k] = quality[olds].mean()
        size[k] = np.log(np.exp(size[olds]).sum())
        trend[k] = trend[olds].mean()
        diligence[k] = diligence[olds].mean()

    aliases = _aliases(rows)
    lineage = pd.DataFrame(
        {
            "predecessor": [o for o, _, _ in lineage_rows],
            "successor": [s for _, s, _ in lineage_rows],
            "year": [LINEAGE_YEAR] * len(lineage_rows),
            "kind": [k for _, _, k in lineage_rows],
        }
    ).sort_values(["year", "predecessor", "successor"], ignore_index=True)
    networks = pd.DataFrame(
        {
            "network": NETWORK_ID,
            "network_name": NETWORK_NAME,
            "institution": [m["institution"] for m in members],
            "role": [m["role"] for m in members],
            "since": pd.Series([m.get("since") for m in members], dtype="Int64"),
            "until": pd.Series([m.get("until") for m in members], dtype="Int64"),
        }
    ).sort_values(["network", "institution", "since"], ignore_index=True)
    return World(
        institutions=institutions,
        aliases=aliases,
        lineage=lineage,
        networks=networks,
        alive_from=np.array([r.alive_from for r in rows], dtype=np.int64),
        alive_to=np.array([r.alive_to for r in rows], dtype=np.int64),
        area=np.array([r.area for r in rows], dtype=str),
        quality=quality,
        size=size,
        trend=trend,
        diligence=diligence,
        predecessors={k: tuple(v) for k, v in sorted(by_successor.items())},
    )


def _aliases(rows: list[_Row]) -> pd.DataFrame:
    """English names of French institutions and acronyms; an acronym shared by two is dropped."""
    names = {r.name for r in rows} | {r.name_en for r in rows}
    acronym_count: dict[str, int] = {}
    for r in rows:
        acronym_count[r.acronym] = acronym_count.get(r.acronym, 0) + 1
    records: list[tuple[str, str, str | None, int | None]] = []
    for r in rows:
        valid_from = r.alive_from if r.alive_from != ALWAYS_FROM else None
        if r.country == "FR" and r.name_en != r.name:
            records.append((r.id, r.name_en, "en", valid_from))
        if r.acronym and acronym_count[r.acronym] == 1 and r.acronym not in names:
            records.append((r.id, r.acronym, None, valid_from))
    frame = pd.DataFrame(records, columns=["institution", "name", "lang", "valid_from"])
    frame["valid_from"] = frame["valid_from"].astype("Int64")
    to = [r.alive_to if r.alive_to != ALWAYS_TO else None for r in rows]
    valid_to = dict(zip([r.id for r in rows], to, strict=True))
    frame["valid_to"] = frame["institution"].map(valid_to).astype("Int64")
    return frame.sort_values(["institution", "name", "lang"], ignore_index=True)
