"""The seeds' institutions: Institut Mines-Télécom and its schools, in place of the demo network.

The seed world starts from the demo world and gives the demo network's schools the identities
of the Institut Mines-Télécom schools the press releases name (their lineage becomes the 2017
mergers that formed IMT Atlantique and IMT Lille Douai). Their values are constructed later so
that the presets reproduce the press releases' facts; they are not the schools' real data.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
import pandas as pd

ALES = "imt-mines-ales"
ATLANTIQUE = "imt-atlantique"
SAINT_ETIENNE = "mines-saint-etienne"
BUSINESS_SCHOOL = "imt-business-school"
ALBI = "imt-mines-albi"
NETWORK = "imt"
NETWORK_NAME = "Institut Mines-Télécom"


@dataclass(frozen=True)
class Identity:
    old: str
    id: str
    name: str
    name_en: str
    gender: str
    region: str
    region_code: str
    city: str
    acronym: str
    role: str  # member or affiliate
    since: int
    until: int | None = None


# old id | id | name | English name | gender | region | region code | city | acronym | role
# | since | until ("*": a generated school, see _sudparis_source)
_TABLE = """
fr-mines-rodez | imt-mines-ales | IMT Mines Alès | IMT Mines Alès | f | Occitanie | FR-OCC | Alès | Mines Alès | member | 2017 |
fr-mines-niort | imt-mines-albi | IMT Mines Albi | IMT Mines Albi | f | Occitanie | FR-OCC | Albi | Mines Albi | member | 2017 |
fr-mines-valence | mines-saint-etienne | Mines Saint-Étienne | Mines Saint-Étienne | f | Auvergne-Rhône-Alpes | FR-ARA | Saint-Étienne | EMSE | member | 2019 |
fr-mines-epinal | telecom-paris | Télécom Paris | Télécom Paris | f | Île-de-France | FR-IDF | Palaiseau | TP | member | 2012 |
fr-mines-management | imt-business-school | Institut Mines-Télécom Business School | Institut Mines-Télécom Business School | m | Île-de-France | FR-IDF | Évry | IMT-BS | member | 2012 |
fr-eiy-auxerre | mines-douai | École des mines de Douai | Mines Douai | f | Hauts-de-France | FR-HDF | Douai | Mines Douai | affiliate | 2012 | 2016
fr-mines-auxerre | imt-lille-douai | IMT Lille Douai | IMT Lille Douai | f | Hauts-de-France | FR-HDF | Douai | IMT LD | member | 2017 |
fr-imp-perigueux | mines-nantes | École des mines de Nantes | Mines Nantes | f | Pays de la Loire | FR-PDL | Nantes | Mines Nantes | affiliate | 2012 | 2016
fr-esid-perigueux | telecom-bretagne | Télécom Bretagne | Télécom Bretagne | f | Bretagne | FR-BRE | Brest | TB | member | 2012 | 2016
fr-mines-perigueux | imt-atlantique | IMT Atlantique | IMT Atlantique | f | Bretagne | FR-BRE | Brest | IMTA | member | 2017 |
fr-institut-oceanique-lorient | eurecom | EURECOM | EURECOM | f | Provence-Alpes-Côte d'Azur | FR-PAC | Biot | EURECOM | affiliate | 2012 |
fr-ecole-alpine-gap | insic | Institut national supérieur des industries de Saint-Dié | INSIC | m | Grand Est | FR-GES | Saint-Dié-des-Vosges | INSIC | affiliate | 2012 |
* | telecom-sudparis | Télécom SudParis | Télécom SudParis | f | Île-de-France | FR-IDF | Évry | TSP | member | 2012 |
"""  # noqa: E501  (one school per line reads better than wrapped tuples)


def _identities() -> tuple[Identity, ...]:
    out = []
    for line in _TABLE.strip().splitlines():
        cells = [c.strip() for c in line.split("|")]
        until = int(cells[11]) if cells[11] else None
        old, ident, name, name_en, gender, region, code, city, acronym, role = cells[:10]
        out.append(
            Identity(
                old, ident, name, name_en, gender, region, code, city, acronym, role,
                int(cells[10]), until,
            )
        )  # fmt: skip
    return tuple(out)


IDENTITIES = _identities()


def _sudparis_source(tables: dict[str, pd.DataFrame]) -> str:
    """A generated Île-de-France engineering school without lineage: it becomes Télécom SudParis
    (the demo network has no school for it)."""
    inst = tables["institutions"]
    lineage = set(tables["lineage"]["predecessor"]) | set(tables["lineage"]["successor"])
    taken = {i.old for i in IDENTITIES} | lineage
    pool = inst[
        (inst["region_code"] == "FR-IDF")
        & (inst["type"] == "engineering-school")
        & ~inst["id"].isin(sorted(taken))
    ]
    return str(sorted(pool["id"])[0])


def apply_identities(tables: dict[str, pd.DataFrame]) -> dict[str, pd.DataFrame]:
    """The demo world's tables with the network's schools renamed into the IMT schools."""
    identities = tuple(
        replace(i, old=_sudparis_source(tables)) if i.old == "*" else i for i in IDENTITIES
    )
    rename = {i.old: i.id for i in identities}
    out = {name: frame.copy() for name, frame in tables.items()}

    inst = out["institutions"]
    for ident in identities:
        at = inst.index[inst["id"] == ident.old]
        inst.loc[at, "id"] = ident.id
        inst.loc[at, ["name", "name_fr", "name_en"]] = [ident.name, ident.name, ident.name_en]
        inst.loc[at, ["region", "region_code", "city", "gender"]] = [
            ident.region,
            ident.region_code,
            ident.city,
            ident.gender,
        ]
    out["institutions"] = inst

    aliases = out["aliases"]
    aliases = aliases[~aliases["institution"].isin(list(rename))]
    extra = pd.DataFrame(
        {
            "institution": [i.id for i in identities],
            "name": [i.acronym for i in identities],
            "lang": [np.nan] * len(identities),
        }
    )
    extra = extra[~extra["name"].isin(set(aliases["name"]))]
    out["aliases"] = pd.concat([aliases, extra], ignore_index=True)

    for name, columns in (
        ("lineage", ("predecessor", "successor")),
        ("observations", ("institution",)),
    ):
        frame = out[name]
        for column in columns:
            frame[column] = frame[column].replace(rename)
        out[name] = frame

    # IMT Atlantique, not Télécom Paris, takes part in THE Impact from 2020 (seed 004)
    obs = out["observations"]
    impact = obs["system"] == "the-impact"
    if (impact & (obs["institution"] == ATLANTIQUE)).any():
        raise ValueError("the demo world changed: IMT Atlantique's source takes part in THE Impact")
    obs.loc[impact & (obs["institution"] == "telecom-paris"), "institution"] = ATLANTIQUE

    out["networks"] = pd.DataFrame(
        {
            "network": NETWORK,
            "network_name": NETWORK_NAME,
            "institution": [i.id for i in identities],
            "role": [i.role for i in identities],
            "since": pd.array([i.since for i in identities], dtype="Int64"),
            "until": pd.array([i.until for i in identities], dtype="Int64"),
        }
    )
    return out
