"""U-Multirank in the seed world: IMT Mines Alès's grades 2020-2021, the 2021 field (seed 000)."""

from __future__ import annotations

import numpy as np
import pandas as pd

import palmares
from palmares.demo.seeds.edition import Edition, World
from palmares.demo.seeds.identities import ALES
from palmares.demo.seeds.placing import TargetError

SYSTEM = "u-multirank"
P = "u-multirank."
# the indicators graded A, per edition (C2, C4); every other indicator sits at the median (C)
A_GRADES: dict[int, tuple[str, ...]] = {
    2020: (
        P + "masters-graduation-rate",
        P + "masters-on-time",
        P + "citation-rate",
        P + "industry-co-publications",
        P + "spin-offs",
        P + "student-mobility",
    ),
    2021: (
        P + "bachelor-graduation-rate",
        P + "masters-graduation-rate",
        P + "bachelor-on-time",
        P + "masters-on-time",
        P + "citation-rate",
        P + "research-publications-normalised",
        P + "industry-co-publications",
        P + "patents-awarded-normalised",
        P + "spin-offs",
        P + "student-mobility",
    ),
}
TEACHING = (
    P + "bachelor-graduation-rate",
    P + "masters-graduation-rate",
    P + "bachelor-on-time",
    P + "masters-on-time",
)
# C3: first in France in teaching and learning on the A count, tied with four other schools
TEACHING_TIE = 5
# C5: "près de 1 800" institutions from 96 countries in 2021
COUNTRIES_2021 = 96
FIELD_2021 = (1746, 1799)


def _grades(world: World, year: int) -> tuple[pd.DataFrame, list[str]]:
    """Ranked table with one ``grade:<leaf>`` column of letters per indicator."""
    result = palmares.rank(world.dataset(SYSTEM, year), SYSTEM, year)
    frame = result.to_frame().set_index("institution")
    assert result.grades is not None
    letters = np.array(["A", "B", "C", "D", "E", ""])[result.grades]  # -1 -> ""
    grades = pd.DataFrame(
        letters, index=list(result.institutions), columns=[f"grade:{x}" for x in result.leaves]
    )
    return frame.join(grades), list(grades.columns)


def _a_threshold(year: int, leaf: str) -> float:
    return 0.10 if leaf in TEACHING else 0.25


world_units: dict[str, str] = {}


def _median(edition: Edition, leaf: str) -> float:
    return float(np.nanmedian(edition.values[:, edition.col(leaf)]))


def _grade_value(edition: Edition, leaf: str, year: int, top: bool) -> float:
    median = _median(edition, leaf)
    if not top:
        return median
    threshold = median * (1 + _a_threshold(year, leaf))
    unit = world_units.get(leaf, "")
    if unit == "percent":  # halfway between the A cut-off and 100 %
        if threshold >= 99.0:
            raise TargetError(f"{year} {leaf}: an A needs {threshold:.1f} %")
        return round(threshold + (100.0 - threshold) / 2, 1)
    return round(threshold * 1.08, 3)


def _trim_field(edition: Edition, countries: pd.Series) -> None:
    """Keep the 96 countries with the most participants (C5)."""
    present = countries.reindex(edition.institutions)
    sizes = present.value_counts()
    order = sorted(sizes.index, key=lambda c: (-int(sizes[c]), str(c)))
    dropped = set(order[COUNTRIES_2021:])
    edition.drop([i for i, c in zip(edition.institutions, present, strict=True) if c in dropped])


def place(world: World) -> None:
    indicators = world.tables["indicators"]
    world_units.update(zip(indicators["id"], indicators["unit"].fillna(""), strict=True))
    countries = world.tables["institutions"].set_index("id")["country"]
    _trim_field(world.edition(SYSTEM, 2021), countries)
    for year, tops in A_GRADES.items():
        edition = world.edition(SYSTEM, year)
        for leaf in edition.leaves:
            edition.set(ALES, leaf, _grade_value(edition, leaf, year, leaf in tops))
    _teaching_tie(world, countries)
    _check(world, countries)


def _teaching_a(frame: pd.DataFrame) -> pd.Series:
    columns = [f"grade:{leaf}" for leaf in TEACHING]
    return (frame[columns] == "A").sum(axis=1)


def _teaching_tie(world: World, countries: pd.Series) -> None:
    """Exactly four other French institutions with four A grades in teaching in 2021."""
    edition = world.edition(SYSTEM, 2021)
    for _ in range(10):
        frame, _ = _grades(world, 2021)
        french = frame[(countries.reindex(frame.index) == "FR").to_numpy()].drop(index=ALES)
        count = _teaching_a(french)
        full = sorted(count.index[count == 4])
        extra = len(full) - (TEACHING_TIE - 1)
        if extra == 0:
            return
        if extra > 0:
            for ident in full[-extra:]:  # one C among their teaching grades
                edition.set(ident, TEACHING[0], _median(edition, TEACHING[0]))
            continue
        values = edition.values[[edition.row(i) for i in french.index]][
            :, [edition.col(leaf) for leaf in TEACHING]
        ]
        complete = french.index[np.flatnonzero(~np.isnan(values).any(axis=1))]
        ranked = sorted(complete.difference(full), key=lambda i: (-int(count[i]), i))
        for ident in ranked[:-extra]:
            for leaf in TEACHING:
                edition.set(ident, leaf, _grade_value(edition, leaf, 2021, True))
    raise TargetError("2021: the teaching tie did not settle")


def _check(world: World, countries: pd.Series) -> None:
    expected = {
        2020: {"research": 1},
        2021: {"teaching": 4, "research": 2, "transfer": 3, "international": 1, "regional": 0},
    }
    for year, counts in expected.items():
        frame, columns = _grades(world, year)
        row = frame.loc[ALES]
        tree = world.dataset(SYSTEM, year).tree(SYSTEM)
        for dim, n in counts.items():
            got = sum(row[c] == "A" for c in columns if tree.parent_of(c[6:]) == f"{P}{dim}")
            if got != n:
                raise TargetError(f"{year}: IMT Mines Alès has {got} A in {dim}, not {n}")
    frame, _ = _grades(world, 2021)
    graded = frame[frame["eligible"]] if "eligible" in frame else frame
    n, k = len(graded), countries.reindex(graded.index).nunique()
    if not (FIELD_2021[0] <= n <= FIELD_2021[1] and k == COUNTRIES_2021):
        raise TargetError(f"2021: field {n} institutions from {k} countries")
    french = frame[(countries.reindex(frame.index) == "FR").to_numpy()]
    count = _teaching_a(french)
    if count.max() != 4 or int((count == 4).sum()) != TEACHING_TIE or count[ALES] != 4:
        raise TargetError("2021: the teaching tie in France is not five schools at four A")
