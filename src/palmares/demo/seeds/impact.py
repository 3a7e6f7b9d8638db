"""THE Impact in the seed world: bands, SDG tables and national ranks (seeds 000, 003, 004).

Every placement copies another institution's metrics (a *donor* at the wanted rank of an SDG
table) and adds a little evidence, so the school lands just above the donor; the overall score
is then steered with SDG 17 (weight 0.22), predicted from the edition's min-max scaling of each
SDG and checked by running the preset. Every target is verified at the end.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

import palmares
from palmares.demo.seeds.edition import Edition, World
from palmares.demo.seeds.identities import ALES, ATLANTIQUE, BUSINESS_SCHOOL, SAINT_ETIENNE
from palmares.demo.seeds.placing import TargetError
from palmares.result import Result

SYSTEM = "the-impact"
METRICS = ("research", "continuous", "evidence")
BUMP = 0.3  # evidence points added to a donor's: +0.16 on the SDG score, one printed decimal


def sdg(goal: int) -> str:
    return f"{SYSTEM}.sdg{goal:02d}"


@dataclass
class Target:
    """An institution's overall band, national rank range and per-SDG table ranks."""

    band: tuple[int, int]
    national: tuple[int, int] | None = None
    sdg_ranks: dict[int, int] = field(default_factory=dict)  # goal -> wanted table rank
    submitted: tuple[int, ...] | None = None  # exactly these goals (None: keep as drawn)
    sdg17_after: int = 0  # SDG 17 donors ranked past this (keeps SDG 17 out of a band count)
    # with sdg_ranks: the SDGs that may move to steer the overall rank, and their rank ranges
    flexible: dict[int, tuple[int, int]] = field(default_factory=dict)


# 2021 (seed 004): IMT Mines Alès: 16 SDGs (not 14), 7 in the top 200, 4 more in the top 300,
# first in France in SDGs 6 and 13. IMT Atlantique: all 17, two in the top 100 (2 and 10).
ALES_FIRSTS = (6, 13)
ALES_200 = {4: 150, 6: 120, 7: 165, 9: 175, 11: 185, 12: 170, 13: 125}
ALES_300 = {1: 240, 3: 255, 5: 270, 8: 280}
ALES_REST = {2: 380, 10: 420, 15: 450, 16: 500}
ATL_100 = {2: 55, 10: 75}


def _atlantique_2021() -> dict[int, int]:
    ranks = {g: max(101, r - 12) for g, r in ALES_200.items() if g not in ALES_FIRSTS}
    ranks |= dict.fromkeys(ALES_FIRSTS, 260) | dict.fromkeys(ALES_300, 160)
    ranks |= dict.fromkeys(ALES_REST, 190)
    return ranks | {14: 180} | ATL_100


TARGETS: dict[int, dict[str, Target]] = {
    2020: {
        ALES: Target((301, 400)),
        ATLANTIQUE: Target((301, 400)),
        SAINT_ETIENNE: Target((401, 600)),
    },
    2021: {
        ATLANTIQUE: Target(
            (101, 200),
            (1, 1),
            _atlantique_2021(),
            tuple(range(1, 18)),
            sdg17_after=115,
            flexible=dict.fromkeys(ATL_100, (5, 95)),
        ),
        ALES: Target(
            (301, 400),
            (6, 10),
            ALES_200 | ALES_300 | ALES_REST,
            tuple(g for g in range(1, 18) if g != 14),
            sdg17_after=320,
        ),
        SAINT_ETIENNE: Target((401, 600), None, {11: 150, 12: 175, 9: 320}, (9, 11, 12, 17)),
        BUSINESS_SCHOOL: Target(
            (601, 800), None, {10: 160, 5: 350, 8: 400, 4: 450}, (4, 5, 8, 10, 17)
        ),
    },
    2023: {ALES: Target((201, 300), (6, 6))},
}
FRENCH_2021 = 18  # C24


def _run(world: World, year: int) -> Result:
    return palmares.rank(world.dataset(SYSTEM, year), SYSTEM, year)


def _copy(edition: Edition, institution: str, donor: str, goal: int) -> None:
    """The donor's three metrics of one SDG, plus a little evidence (ranks just above it)."""
    for metric in METRICS:
        leaf = f"{sdg(goal)}.{metric}"
        j, d = edition.col(leaf), edition.row(donor)
        value = edition.values[d, j]
        if metric == "evidence":
            value = min(100.0, (0.0 if np.isnan(value) else value) + BUMP)
        if np.isnan(value):
            edition.set(institution, leaf, np.nan, "missing")
        else:
            edition.set(institution, leaf, round(float(value), 1))


def _unsubmit(edition: Edition, institution: str, goal: int) -> None:
    for metric in METRICS:
        edition.set(institution, f"{sdg(goal)}.{metric}", np.nan, "not_applicable")


def _table_order(result: Result, goal: int, exclude: str) -> list[str]:
    """Submitters of one SDG, best first (the unscaled score), without ``exclude``."""
    key = result.node_key(sdg(goal))
    ids = np.array(result.institutions, dtype=object)
    keep = ~np.isnan(key) & (ids != exclude)
    order = np.argsort(-key[keep], kind="stable")
    return [str(x) for x in ids[keep][order]]


def _place_sdg(edition: Edition, result: Result, institution: str, goal: int, rank: int) -> None:
    order = _table_order(result, goal, institution)
    donor = order[min(rank, len(order)) - 1]
    _copy(edition, institution, donor, goal)


def _scaling(result: Result, goal: int) -> tuple[float, float]:
    """The affine map from an SDG's unscaled score to its scaled one, read off the result."""
    j = result.tree.index(sdg(goal))
    assert result.unscaled is not None
    u, s = result.unscaled[:, j], result.node_values[:, j]
    ok = result.eligible & ~np.isnan(u) & ~np.isnan(s)
    u, s = u[ok], s[ok]
    lo, hi = int(np.argmin(u)), int(np.argmax(u))
    if u[hi] == u[lo]:
        return 0.0, float(s[hi])
    a = (s[hi] - s[lo]) / (u[hi] - u[lo])
    return float(a), float(s[lo] - a * u[lo])


def _weights(result: Result) -> tuple[float, float]:
    weights = result.methodology.weights
    return float(weights.get(sdg(17), 0.22)), float(weights.get(sdg(1), 0.26))


def _steer(
    edition: Edition,
    result: Result,
    institution: str,
    band: tuple[int, int],
    after: int = 0,
    flexible: dict[int, tuple[int, int]] | None = None,
) -> None:
    """Choose the SDG 17 donor that puts the institution's overall rank mid-band; when SDG 17
    alone cannot, move its best SDGs (those of ``flexible``, within their rank ranges; None:
    any SDG) and let the next round steer again."""
    i = result.position(institution)
    w17, w = _weights(result)
    assert result.unscaled is not None
    scaled = []
    for goal in range(1, 18):
        if goal == 17 or sdg(goal) not in result.tree:
            continue
        u = result.unscaled[i, result.tree.index(sdg(goal))]
        if not np.isnan(u):
            a, b = _scaling(result, goal)
            scaled.append(a * u + b)
    best3 = sum(sorted(scaled, reverse=True)[:3])
    others = np.where(
        result.eligible & (np.arange(len(result.institutions)) != i), result.score, np.nan
    )
    others = np.sort(others[~np.isnan(others)])[::-1]
    a17, b17 = _scaling(result, 17)
    order = _table_order(result, 17, institution)
    key = result.node_key(sdg(17))
    pos = {x: k for k, x in enumerate(result.institutions)}
    u17 = np.array([key[pos[x]] for x in order]) + BUMP * 0.53
    predicted = np.round(w17 * (a17 * u17 + b17) + w * best3, 1)
    ranks = 1 + (others[None, :] > predicted[:, None]).sum(axis=1)
    ranks[:after] = 10**9  # donors too strong for the SDG 17 rank wanted
    middle = (band[0] + band[1]) / 2
    k = int(np.argmin(np.abs(ranks - middle)))
    if not band[0] <= ranks[k] <= band[1]:
        factor = 0.5 if ranks[k] > band[1] else 2.0
        if not _shift_best(edition, result, institution, factor, flexible):
            raise TargetError(f"{result.edition}: {institution} reaches {ranks[k]}, not {band}")
        return
    _copy(edition, institution, order[k], 17)


def _shift_best(
    edition: Edition,
    result: Result,
    institution: str,
    factor: float,
    flexible: dict[int, tuple[int, int]] | None,
) -> bool:
    """The institution's three best SDGs besides 17 (of ``flexible``) move to ``factor`` x
    their table rank, kept inside their allowed ranges; False when none can move."""
    i = result.position(institution)
    ranks = {}
    for goal in range(1, 17):
        if sdg(goal) in result.tree and (flexible is None or goal in flexible):
            rank = int(result.node_table(sdg(goal)).rank[i])
            if rank:
                ranks[goal] = rank
    moved = False
    for goal in sorted(ranks, key=lambda g: ranks[g])[:3]:
        lo, hi = (flexible or {}).get(goal, (1, 10**6))
        wanted = min(hi, max(lo, int(ranks[goal] * factor)))
        if wanted != ranks[goal]:
            _place_sdg(edition, result, institution, goal, wanted)
            moved = True
    return moved


def _french(result: Result) -> npt.NDArray[np.bool_]:
    return np.asarray(result.attributes["country"] == "FR") & result.eligible


def _national(
    edition: Edition, result: Result, institution: str, wanted: tuple[int, int], fixed: set[str]
) -> bool:
    """Move other French institutions across the institution's score; True when it holds."""
    i = result.position(institution)
    french = _french(result)
    french[i] = False
    score = result.score
    above = np.flatnonzero(french & (score > score[i]))
    rank = 1 + len(above)
    if wanted[0] <= rank <= wanted[1]:
        return True
    movable = [k for k in np.flatnonzero(french) if result.institutions[k] not in fixed]
    order = _table_order(result, 17, "")
    if rank > wanted[1]:  # too many above: the weakest of them fall to the foot of every SDG
        falling = sorted((k for k in movable if score[k] > score[i]), key=lambda k: score[k])
        for k in falling[: rank - wanted[1]]:
            _weaken(edition, result, result.institutions[k])
    else:  # too few above: the strongest below rise to the top of SDG 17
        rising = sorted((k for k in movable if score[k] <= score[i]), key=lambda k: -score[k])
        for k in rising[: wanted[0] - rank]:
            _copy(edition, result.institutions[k], order[2], 17)
    return False


def _weaken(edition: Edition, result: Result, institution: str) -> None:
    """Every SDG the institution submitted falls to the foot of its table."""
    assert result.unscaled is not None
    i = result.position(institution)
    for goal in range(1, 18):
        if sdg(goal) in result.tree and not np.isnan(
            result.unscaled[i, result.tree.index(sdg(goal))]
        ):
            order = _table_order(result, goal, institution)
            _copy(edition, institution, order[int(len(order) * 0.95)], goal)


def _sdg_national_firsts(edition: Edition, result: Result, fixed: set[str]) -> None:
    """IMT Mines Alès ahead of every French submitter in its two SDGs (C28)."""
    for goal in ALES_FIRSTS:
        key = result.node_key(sdg(goal))
        i = result.position(ALES)
        french = np.asarray(result.attributes["country"] == "FR")
        order = _table_order(result, goal, "")
        for k in np.flatnonzero(french & (key >= key[i])):
            ident = result.institutions[k]
            if ident != ALES and ident not in fixed:
                _copy(edition, ident, order[min(len(order) - 1, int(len(order) * 0.8))], goal)


def _french_count(edition: Edition, result: Result, fixed: set[str]) -> None:
    """Exactly 18 French institutions in the 2021 overall table, the field size unchanged."""
    french = _french(result)
    excess = int(french.sum()) - FRENCH_2021
    if excess == 0:
        return
    ids = np.array(result.institutions, dtype=object)
    score = np.where(result.eligible, result.score, np.inf)
    countries = np.asarray(result.attributes["country"], dtype=object)
    eligible_others = np.flatnonzero(result.eligible & (countries != "FR"))
    bottom_sdg17 = _table_order(result, 17, "")
    if excess > 0:  # the weakest French leave the table; foreign submitters join at its foot
        leaving = [k for k in np.argsort(score) if french[k] and ids[k] not in fixed][:excess]
        joining = _joinable(edition, result, countries != "FR", excess)
    else:
        leaving = [int(k) for k in eligible_others[np.argsort(score[eligible_others])][:-excess]]
        joining = _joinable(edition, result, countries == "FR", -excess)
    for k in leaving:
        _unsubmit(edition, str(ids[k]), 17)
    for ident in joining:
        _copy(edition, ident, bottom_sdg17[int(len(bottom_sdg17) * 0.9)], 17)


def _joinable(edition: Edition, result: Result, pool: npt.NDArray[np.bool_], n: int) -> list[str]:
    """Submitters outside the overall table with three SDGs besides 17 (they need only SDG 17)."""
    others = [result.tree.index(sdg(g)) for g in range(1, 17) if sdg(g) in result.tree]
    assert result.unscaled is not None
    submitted = (~np.isnan(result.unscaled[:, others])).sum(axis=1)
    ok = pool & ~result.eligible & (submitted >= 3)
    found = [str(x) for x in np.array(result.institutions, dtype=object)[ok]][:n]
    if len(found) < n:
        raise TargetError(f"{result.edition}: only {len(found)} submitters can join the table")
    return found


def place(world: World) -> None:
    for year, targets in TARGETS.items():
        edition = world.edition(SYSTEM, year)
        result = _run(world, year)
        for ident, target in targets.items():
            if ident not in edition.institutions:
                edition.add(ident)
            if target.submitted is not None:
                for goal in range(1, 18):
                    if sdg(goal) in result.tree and goal not in target.submitted:
                        _unsubmit(edition, ident, goal)
            for goal, rank in target.sdg_ranks.items():
                _place_sdg(edition, result, ident, goal, rank)
            if target.submitted is not None:
                for goal in target.submitted:  # a submitted SDG without a target keeps a value
                    if goal != 17 and goal not in target.sdg_ranks:
                        _place_sdg(edition, result, ident, goal, 300)
            if _missing_sdg17(edition, ident):
                _place_sdg(edition, result, ident, 17, 500)
        fixed = set(targets)
        for _ in range(12):
            result = _run(world, year)
            if year == 2021:
                _sdg_national_firsts(edition, result, fixed)
                _french_count(edition, result, fixed)
                result = _run(world, year)
            for ident, target in targets.items():
                _steer(
                    edition,
                    result,
                    ident,
                    target.band,
                    target.sdg17_after,
                    flexible=target.flexible if target.sdg_ranks else None,
                )
            result = _run(world, year)
            settled = all(
                target.national is None or _national(edition, result, ident, target.national, fixed)
                for ident, target in targets.items()
            )
            if settled and not _misses(world, year):
                break
        problems = _misses(world, year)
        if problems:
            raise TargetError(f"{year}: " + "; ".join(problems))


def _missing_sdg17(edition: Edition, ident: str) -> bool:
    return bool(np.isnan(edition.values[edition.row(ident), edition.col(f"{sdg(17)}.evidence")]))


def _misses(world: World, year: int) -> list[str]:
    result = _run(world, year)
    frame = result.to_frame().set_index("institution")
    problems = []
    for ident, target in TARGETS[year].items():
        row = frame.loc[ident].to_dict()
        band = (int(row["band_lo"]), int(row["band_hi"]))
        if band != target.band:
            problems.append(f"{ident} band {band} not {target.band}")
        if target.national is not None:
            nat = int(row["national_rank"])
            if not target.national[0] <= nat <= target.national[1]:
                problems.append(f"{ident} national rank {nat} not {target.national}")
    if year == 2021:
        problems += _sdg_misses(result)
    if year == 2020 and int(frame.loc[ATLANTIQUE].to_dict()["national_rank"]) == 1:
        problems.append("IMT Atlantique already leads France in 2020")
    return problems


def _sdg_misses(result: Result) -> list[str]:
    """The 2021 per-SDG facts of seed 004 (C27-C30) and the French table (C24)."""
    problems = []

    def rungs(ident: str) -> list[int]:
        return [
            next(r for r in (100, 200, 300, 400, 500, 600, 800, 1000, 10**9) if k <= r)
            for k in sdg_ranks(result, ident).values()
        ]

    ales = sdg_ranks(result, ALES)
    if (
        len(ales) != 16
        or sorted(rungs(ALES)).count(200) != 7
        or rungs(ALES).count(300) != 4
        or min(ales.values()) <= 100
    ):
        problems.append(f"IMT Mines Alès SDG ranks {ales}")
    national = {g: int(result.node_subset_ranks(sdg(g))[result.position(ALES)]) for g in ales}
    if sorted(g for g, r in national.items() if r == 1) != sorted(ALES_FIRSTS):
        problems.append(f"IMT Mines Alès national SDG ranks {national}")
    atl = sdg_ranks(result, ATLANTIQUE)
    if len(atl) != 17 or sum(r <= 100 for r in atl.values()) != 2:
        problems.append(f"IMT Atlantique SDG ranks {atl}")
    se = sdg_ranks(result, SAINT_ETIENNE)
    if sorted(g for g, r in se.items() if r <= 200) != [11, 12] or min(se[11], se[12]) <= 100:
        problems.append(f"Mines Saint-Étienne SDG ranks {se}")
    bs = sdg_ranks(result, BUSINESS_SCHOOL)
    if len(bs) != 5 or not 101 <= bs.get(10, 0) <= 200:
        problems.append(f"IMT Business School SDG ranks {bs}")
    if int(_french(result).sum()) != FRENCH_2021:
        problems.append(f"{int(_french(result).sum())} French institutions in the table")
    return problems


def sdg_ranks(result: Result, institution: str) -> dict[int, int]:
    """Per-SDG table ranks of an institution (goals it is ranked in)."""
    i = result.position(institution)
    out = {}
    for goal in range(1, 18):
        if sdg(goal) in result.tree:
            rank = int(result.node_table(sdg(goal)).rank[i])
            if rank:
                out[goal] = rank
    return out
