"""L'Étudiant in the seed world: IMT Mines Alès's ranks 2016-2023 as its press releases say."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

import palmares
from palmares.demo.seeds.edition import Edition, World
from palmares.demo.seeds.identities import ALES
from palmares.demo.seeds.placing import (
    TargetError,
    attainable,
    distribute,
    set_points,
    settle_totals,
    shaped,
)
from palmares.methodology import load_methodology
from palmares.systems import preset_path

SYSTEM = "letudiant"
# rank (competition) and size of the tie: seed 001 (C8, C11), seed 002 (C13, C18, C32)
RANKS: dict[int, tuple[int, int]] = {
    2016: (62, 1),
    2017: (51, 1),
    2018: (52, 1),
    2019: (40, 1),
    2020: (33, 1),
    2021: (27, 1),
    2022: (28, 1),
    2023: (16, 2),
}
# C10: the criteria in which IMT Mines Alès has more points in 2021 than in 2020 (and no other)
IMPROVED_2021 = (
    "letudiant.research-involvement",
    "letudiant.company-chairs",
    "letudiant.graduates-abroad",
)
# C16: the families where its 2023 family rank is at least as good as its overall rank
STRONG_2023 = ("letudiant.academic", "letudiant.companies", "letudiant.openness")
WEAK_2023 = ("letudiant.international",)
# C15: first school of its region in 2023
REGION_2023 = "FR-OCC"


def max_points(year: int, leaf: str) -> int:
    if year >= 2023:
        return 10
    return 3 if leaf == "letudiant.diversity" else 5


def _frame(world: World, year: int) -> pd.DataFrame:
    return palmares.rank(world.dataset(SYSTEM, year), SYSTEM, year).to_frame()


def _row(frame: pd.DataFrame, institution: str) -> dict[str, Any]:
    return {str(k): v for k, v in frame.loc[institution].to_dict().items()}


def _others(edition: Edition, leaf: str) -> npt.NDArray[np.float64]:
    column = np.delete(edition.values[:, edition.col(leaf)], edition.row(ALES))
    return column[~np.isnan(column)]


def _plan(
    year: int,
    total: int,
    options: dict[str, list[int]],
    parent: dict[str, str],
    previous: dict[str, int] | None,
) -> dict[str, int]:
    leaves = list(options)
    maxima = [max_points(year, leaf) for leaf in leaves]
    opts = [options[leaf] for leaf in leaves]
    if year == 2023:
        pref = [0.25 if parent[leaf] in WEAK_2023 else 0.95 for leaf in leaves]
    elif year == 2020:
        pref = [0.35 if leaf in IMPROVED_2021 else 0.8 for leaf in leaves]
    else:
        pref = [0.7] * len(leaves)
    targets = shaped(total, maxima, pref)
    if year == 2021 and previous is not None:
        # C10: more points than in 2020 in the named criteria, no more in any other
        before = [previous.get(leaf, 0) for leaf in leaves]
        opts = [
            [p for p in o if (p > b if leaf in IMPROVED_2021 else p <= b)]
            for leaf, o, b in zip(leaves, opts, before, strict=True)
        ]
        targets = [float(b) for b in before]
    return dict(zip(leaves, distribute(total, opts, targets), strict=True))


def place(world: World) -> None:
    """IMT Mines Alès at its published ranks, every other school's points kept as drawn."""
    tree = world.dataset(SYSTEM, 2023).tree(SYSTEM)
    parent = {node: str(tree.parent_of(node)) for node in tree.leaves}
    decimals = dict(
        zip(world.tables["indicators"]["id"], world.tables["indicators"]["decimals"], strict=True)
    )
    regions = world.tables["institutions"].set_index("id")["region_code"]
    previous: dict[str, int] | None = None
    for year, (rank, tie) in RANKS.items():
        edition = world.edition(SYSTEM, year)
        leaves = edition.leaves
        frame = _frame(world, year)
        others = frame[frame["institution"] != ALES]
        total = int(np.sort(others["score"].to_numpy())[::-1][rank - 1])
        options = {
            leaf: attainable(_others(edition, leaf), max_points(year, leaf)) for leaf in leaves
        }
        plan = _plan(year, total, options, parent, previous)
        for leaf, p in plan.items():
            set_points(edition, ALES, leaf, p, max_points(year, leaf), int(decimals[leaf] or 0))
        frame = _frame(world, year).set_index("institution")
        got_total = _row(frame, ALES)["score"]
        if int(got_total) != total:
            raise TargetError(f"{year}: IMT Mines Alès totals {got_total}, not {total}")
        ids = [i for i in edition.institutions if i != ALES]
        q = frame.loc[ids, [f"score:{leaf}" for leaf in leaves]].to_numpy(dtype=float)
        rows = [edition.row(i) for i in ids]
        q[np.isnan(edition.values[rows])] = np.nan
        below_only = np.zeros(len(ids), dtype=bool)
        if year == 2023:
            below_only = regions.reindex(ids).to_numpy() == REGION_2023
        bounds, window = _group_rule(world, year, total, rank)
        # 2021: one school one point behind, so losing points costs exactly one place (issue 7)
        exact = {float(total - 1): 1} if year == 2021 else None
        swaps = settle_totals(
            q, total, rank - 1, tie - 1, below_only, bounds=bounds, window=window, exact=exact
        )
        for x, y, j in swaps:
            edition.swap(ids[x], ids[y], leaves[j])
        _check(world, year, rank, tie, parent)
        previous = plan


def _group_rule(
    world: World, year: int, total: int, rank: int
) -> tuple[list[float], Callable[[npt.NDArray[np.float64]], tuple[float, float] | None] | None]:
    """C9 (2021): in group A and in its first half: rank in group <= group size / 2."""
    if year != 2021:
        return [], None
    groups = load_methodology(preset_path(SYSTEM, year)).ranking.group_table(year) or {}
    lower_a, lower_top = float(groups["A"]), float(groups["A+"])
    if not lower_a <= total < lower_top:
        raise TargetError(f"{year}: {total} points is not group A [{lower_a}, {lower_top})")

    def window(t: npt.NDArray[np.float64]) -> tuple[float, float] | None:
        in_top = int((t >= lower_top).sum())
        below_in_a = int(((t >= lower_a) & (t < total)).sum())
        # rank in group = rank - in_top; group size = 1 + (rank - 1 - in_top) + below_in_a
        if 2 * (rank - in_top) <= 1 + (rank - 1 - in_top) + below_in_a:
            return None
        return lower_a, total - 1

    return sorted(float(v) for v in groups.values()), window


def _check(world: World, year: int, rank: int, tie: int, parent: dict[str, str]) -> None:
    frame = _frame(world, year).set_index("institution")
    ales = _row(frame, ALES)
    got = (int(ales["rank"]), int(ales["tie_size"]))
    if got != (rank, tie):
        raise TargetError(f"{year}: IMT Mines Alès is {got}, not {(rank, tie)}")
    behind = float(ales["score"]) - 1
    if year == 2021 and int((frame["score"].to_numpy() == behind).sum()) != 1:
        raise TargetError("2021: not exactly one school one point behind IMT Mines Alès")
    if year == 2021 and (frame.loc[ALES, "group"], bool(frame.loc[ALES, "group_first_half"])) != (
        "A",
        True,
    ):
        raise TargetError("2021: IMT Mines Alès is not in the first half of group A")
    if year != 2023:
        return
    region = frame[frame["region_code"] == REGION_2023]
    if (
        int(region["score"].idxmax() != ALES)
        or (region["score"] == frame.loc[ALES, "score"]).sum() != 1
    ):
        raise TargetError("2023: IMT Mines Alès is not the only first of Occitanie")
    for family in {*STRONG_2023, *WEAK_2023}:
        column = frame[f"score:{family}"]
        family_rank = 1 + int((column > column[ALES]).sum())
        if (family_rank <= rank) != (family in STRONG_2023):
            raise TargetError(f"2023: family {family} rank {family_rank} against {rank}")
