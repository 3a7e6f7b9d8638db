"""Participation: which institutions are in each edition's field, and which SDGs they submit.

Each system ranks institutions by a persistent priority (random, plus quality, plus a bonus by
area and type) with yearly noise, and takes exactly the edition's field size among the
institutions that exist that year: fields grow, most institutions stay from one edition to the
next, a few drop out or come back. A few network schools have a fixed participation.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
from scipy import special

from palmares.demo.systems import (
    LETUDIANT,
    SDG_POPULARITY,
    THE_IMPACT,
    THE_IMPACT_OVERALL,
    U_MULTIRANK,
    System,
    sdg_exists,
)
from palmares.demo.world import World

#: Participation bonus by broad area: U-Multirank is European at heart, THE Impact global.
_AREA_BONUS = {
    U_MULTIRANK.id: {
        "europe": 1.2,
        "asia": 0.2,
        "oceania": 0.0,
        "americas": 0.0,
        "middle-east": -0.3,
        "africa": -0.3,
    },
    THE_IMPACT.id: {
        "europe": 0.0,
        "asia": 0.4,
        "oceania": 0.2,
        "americas": 0.1,
        "middle-east": 0.5,
        "africa": 0.3,
    },
    LETUDIANT.id: {},
}
_TYPE_BONUS = {
    U_MULTIRANK.id: {"specialised": -0.8, "business-school": -0.5, "engineering-school": -0.7},
    # Few French grandes écoles took part in THE Impact (18 French institutions ranked in 2021).
    THE_IMPACT.id: {
        "university": 0.3,
        "specialised": -0.5,
        "engineering-school": -2.0,
        "business-school": -0.6,
    },
    LETUDIANT.id: {},
}
#: Network schools whose participation the world fixes (first edition, or None for never), so
#: that the network's story reads the same for every seed.
FORCED: dict[str, dict[str, int | None]] = {
    U_MULTIRANK.id: {"fr-mines-rodez": 2020, "fr-mines-epinal": 2016, "fr-mines-valence": 2016},
    LETUDIANT.id: dict.fromkeys(
        (
            "fr-mines-rodez",
            "fr-mines-epinal",
            "fr-mines-niort",
            "fr-mines-valence",
            "fr-eiy-auxerre",
            "fr-mines-auxerre",
            "fr-imp-perigueux",
            "fr-esid-perigueux",
            "fr-mines-perigueux",
            "fr-institut-oceanique-lorient",
            "fr-ecole-alpine-gap",
        ),
        2016,
    ),
    THE_IMPACT.id: {
        "fr-mines-valence": 2019,
        "fr-mines-rodez": 2020,
        "fr-mines-epinal": 2020,
        "fr-mines-management": 2021,
        "fr-mines-niort": None,
        "fr-mines-auxerre": None,
        "fr-mines-perigueux": None,
        "fr-institut-oceanique-lorient": None,
        "fr-ecole-alpine-gap": None,
    },
}


def select_field(
    priority: npt.NDArray[np.float64], pool: npt.NDArray[np.bool_], size: int
) -> npt.NDArray[np.bool_]:
    """The ``size`` institutions of ``pool`` with the highest priority (ties by position)."""
    if int(pool.sum()) < size:
        raise ValueError(f"demo world: a field of {size} from a pool of {int(pool.sum())}")
    score = np.where(pool, priority, -np.inf)
    order = np.argsort(-score, kind="stable")
    chosen = np.zeros(len(priority), dtype=bool)
    chosen[order[:size]] = True
    return chosen


def fields(world: World, system: System, rng: np.random.Generator) -> npt.NDArray[np.bool_]:
    """Participation (editions x institutions): exact field sizes, persistent membership."""
    n, years = len(world.ids), system.years
    areas, types = world.area, world.column("type")
    bonus = np.array([_AREA_BONUS[system.id].get(a, 0.0) for a in areas])
    bonus += np.array([_TYPE_BONUS[system.id].get(t, 0.0) for t in types])
    base = world.inherit(rng.standard_normal(n) + bonus + 0.3 * world.quality, how="max")
    yearly = 0.3 * rng.standard_normal((len(years), n))
    if system.id == LETUDIANT.id:
        eligible = (world.column("country") == "FR") & (
            world.column("type") == "engineering-school"
        )
    else:
        eligible = np.ones(n, dtype=bool)
    forced = FORCED[system.id]
    rows = world.index(list(forced))
    out = np.zeros((len(years), n), dtype=bool)
    for t, year in enumerate(years):
        priority = base + yearly[t]
        pool = eligible & world.alive(year)
        for row, first in zip(rows, forced.values(), strict=True):
            if first is None or year < first:
                pool[row] = False
            else:
                priority[row] = np.inf
        out[t] = select_field(priority, pool, system.field[year])
    return out


def submissions(
    world: World,
    profile: npt.NDArray[np.float64],
    field: npt.NDArray[np.bool_],
    rng: np.random.Generator,
) -> npt.NDArray[np.bool_]:
    """THE Impact: submitted SDGs (institutions x 17 x editions).

    Exactly ``THE_IMPACT_OVERALL[year]`` institutions of each field submit SDG 17 and at least
    three others; the rest either skip SDG 17 or add at most two others. Institutions favour
    the SDGs where they are strong, and keep their choices from one edition to the next.
    """
    n, years = len(world.ids), THE_IMPACT.years
    habit = world.inherit(rng.beta(8.0, 1.2, size=n)[:, None], how="max")[:, 0]
    persistent = world.inherit(rng.standard_normal((n, 17)))
    commitment = world.inherit(rng.standard_normal(n) + 0.3 * world.quality, how="max")
    kind = rng.random(n) < 0.5
    forced = world.index([k for k, v in FORCED[THE_IMPACT.id].items() if v is not None])
    popularity = np.array(SDG_POPULARITY)
    probability = np.clip(habit[:, None] * popularity[None, :], 0.0, 0.97)
    out = np.zeros((n, 17, len(years)), dtype=bool)
    for t, year in enumerate(years):
        exists = np.array([sdg_exists(g, year) for g in range(1, 18)])
        x = -0.45 * profile + 0.8 * persistent + 0.4 * rng.standard_normal((n, 17))
        x = x / np.sqrt(0.45**2 + 0.8**2 + 0.4**2)
        submitted = (special.ndtr(x) < probability) & exists[None, :]
        # Rank each institution's other SDGs by its appetite (lowest x first).
        others = np.where(exists[None, :16], x[:, :16], np.inf)
        rank = np.argsort(np.argsort(others, axis=1, kind="stable"), axis=1, kind="stable")
        priority = commitment + 0.3 * rng.standard_normal(n)
        priority[forced] = np.inf
        eligible = select_field(priority, field[t], THE_IMPACT_OVERALL[year])
        ineligible = field[t] & ~eligible
        submitted[eligible, 16] = True
        submitted[eligible, :16] |= rank[eligible] < 3
        skip17 = ineligible & kind
        few = ineligible & ~kind
        submitted[skip17, 16] = False
        submitted[few, 16] = True
        submitted[few, :16] &= rank[few] < 2
        out[:, :, t] = submitted
    return out
