"""Imported tables of the seed systems feed history and highlights as computed ones do (issue 18,
item 5): U-Multirank's printed grades give the same A counts per edition and dimension, the same
dimension tables and the same grade_count / grade_count_change facts as the grades palmares
computes from the data, with no overall rank in the published view; L'Étudiant's and THE
Impact's tables give ranks, bands and national ranks (contracts section 6) and THE Impact's
per-SDG tables the SDG facts.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import palmares
from palmares.dataset import Dataset
from palmares.highlights import facts
from palmares.history import EditionSeries
from palmares.io import write_dataset
from palmares.io.published_table import import_published, read_published_table
from palmares.methodology import resolve_methodology
from palmares.result import GRADE_LETTERS
from tests.systems.preset_worlds import make_dataset

U = "u-multirank"
#: Each graded indicator's dimension; the bachelor rates are in the tree (the preset's overrides
#: name them) but have no data.
DIMENSION_OF = {
    "masters-graduation-rate": "teaching",
    "masters-on-time": "teaching",
    "bachelor-graduation-rate": "teaching",
    "bachelor-on-time": "teaching",
    "student-mobility": "international",
    "international-academic-staff": "international",
}
TREE = {
    U: "",
    **{f"{U}.{dim}": U for dim in sorted(set(DIMENSION_OF.values()))},
    **{f"{U}.{leaf}": f"{U}.{dim}" for leaf, dim in DIMENSION_OF.items()},
}
#: The preset's English labels: the headers of a printed U-Multirank table.
HEADERS = {
    f"{U}.masters-graduation-rate": "Masters graduation rate",
    f"{U}.masters-on-time": "Graduating on time (masters)",
    f"{U}.student-mobility": "Student mobility",
    f"{U}.international-academic-staff": "International academic staff",
}
COUNTRY_NAMES = {"FR": "France", "DE": "Germany"}


def _graded_world(n: int = 12, seed: int = 5) -> Dataset:
    """Two U-Multirank editions (2020, 2021) of ``n`` schools, eight French and four German;
    values around a median of 100 so that every grade occurs; a few missing values."""
    rng = np.random.default_rng(seed)
    schools = [
        {"name": f"École {k:02d}", "country": "FR" if k < 8 else "DE", "gender": "f"}
        for k in range(n)
    ]
    editions = []
    for year in (2020, 2021):
        values: dict[str, list[float | None]] = {}
        for leaf in HEADERS:
            drawn = 100 * rng.choice([0.6, 0.85, 1.0, 1.0, 1.15, 1.4], size=n)
            values[leaf] = [
                None if (k + year + len(leaf)) % 9 == 0 else float(v)
                for k, v in enumerate(drawn.tolist())
            ]
        editions.append(make_dataset(U, year, TREE, values, institutions=schools))
    first = editions[0]
    return Dataset(
        {
            "institutions": first.institutions,
            "indicators": first.indicators,
            "editions": pd.concat([d.editions for d in editions], ignore_index=True),
            "observations": pd.concat([d.observations for d in editions], ignore_index=True),
        }
    )


def _print_grades(world: Dataset, year: int, path: Path) -> Path:
    """The edition's computed grades printed as U-Multirank prints them: one column per
    indicator, "no data" where no grade."""
    series = EditionSeries(world, U, source="computed")
    result = series.result(year)
    assert result is not None and result.grades is not None
    inst = world.institutions.set_index("id")
    frame = pd.DataFrame(
        {
            "Institution": [inst.at[i, "name"] for i in result.institutions],
            "Country": [COUNTRY_NAMES[inst.at[i, "country"]] for i in result.institutions],
        }
    )
    letters = np.array([*GRADE_LETTERS, "no data"])
    for leaf, header in HEADERS.items():
        column = result.grades[:, result.leaves.index(leaf)]
        frame[header] = letters[np.where(column >= 0, column, len(GRADE_LETTERS))]
    frame.to_csv(path, index=False)
    return path


@pytest.fixture(scope="module")
def graded(tmp_path_factory: pytest.TempPathFactory) -> tuple[Dataset, Path]:
    """The world and a bundle holding it plus its two editions' grades, imported as printed."""
    folder = tmp_path_factory.mktemp("graded")
    world = _graded_world()
    bundle = folder / "bundle"
    write_dataset(world, bundle)
    for year in (2020, 2021):
        dataset = palmares.load(bundle)
        method = resolve_methodology(U, year)
        table = read_published_table(
            _print_grades(world, year, folder / f"umr{year}.csv"), U, year, method, dataset=dataset
        )
        assert (table.institution_ids != "").all()
        import_published(bundle, dataset, table, method)
    return world, bundle


def test_imported_grades_give_the_computed_a_counts_per_edition(
    graded: tuple[Dataset, Path],
) -> None:
    _, bundle = graded
    dataset = palmares.load(bundle)
    computed = EditionSeries(dataset, U, source="computed")
    imported = EditionSeries(dataset, U)
    assert [imported.source_of(y) for y in (2020, 2021)] == ["published", "published"]
    checked = 0
    for school in dataset.institutions["id"]:
        a, b = computed.history(school), imported.history(school)
        for year in (2020, 2021):
            assert b.rows[year]["ranked"] == a.rows[year]["ranked"]
            assert b.rows[year]["grades"] == a.rows[year]["grades"], (school, year)
            assert b.rows[year]["field_size"] == a.rows[year]["field_size"]
            # the published view: no overall rank, nor any rank derived from it
            assert b.rows[year]["rank"] == 0 and b.rows[year]["national_rank"] == 0
            assert b.rows[year]["rank_display_fr"] == "" and b.rows[year]["top_percent"] == 0
        assert b.rows[2021]["grade_changes"] == a.rows[2021]["grade_changes"]
        checked += bool(b.rows[2021]["grade_changes"])
    assert checked == len(dataset.institutions)
    # Known answer: the A count of one school, by hand from the printed table.
    printed = pd.read_csv(bundle / "published.csv", dtype=str, keep_default_na=False)
    mine = printed[(printed["institution"] == "i3") & (printed["year"] == "2021")]
    a_count = int((mine["rank_display"] == "A").sum())
    assert imported.history("i3").rows[2021]["grades"][U]["A"] == a_count
    # The per-dimension tables (U-Multirank's own sort: a dimension's A count).
    for year in (2020, 2021):
        mine_nodes = imported.node_standings(year).sort_values(["node", "institution"])
        theirs = computed.node_standings(year).sort_values(["node", "institution"])
        columns = ["node", "institution", "score", "rank", "tie_size", "field_size"]
        pd.testing.assert_frame_equal(
            mine_nodes[columns].reset_index(drop=True),
            theirs[columns].reset_index(drop=True),
            check_dtype=False,
        )


def test_imported_grades_give_the_computed_grade_facts(graded: tuple[Dataset, Path]) -> None:
    _, bundle = graded
    dataset = palmares.load(bundle)
    computed = EditionSeries(dataset, U, source="computed")
    imported = EditionSeries(dataset, U)
    kinds = ("grade_count", "grade_count_change")
    seen = dict.fromkeys(kinds, 0)
    for school in dataset.institutions["id"]:
        expected = sorted(
            (f.kind, repr(f.values)) for f in facts(computed, school, 2021) if f.kind in kinds
        )
        found = facts(imported, school, 2021)
        assert sorted((f.kind, repr(f.values)) for f in found if f.kind in kinds) == expected
        for f in found:
            seen[f.kind] = seen.get(f.kind, 0) + 1
        overall = ("rank", "movement", "percentile", "top_n", "national_rank", "regional_rank")
        # no overall rank is stated (ranks of a dimension are named by their node)
        assert not [f for f in found if f.kind in overall and not f.values.get("node")]
    assert seen["grade_count"] == len(dataset.institutions)
    assert seen["grade_count_change"] > 0


def test_the_producer_view_orders_imported_grades_on_a_counts(
    graded: tuple[Dataset, Path],
) -> None:
    _, bundle = graded
    dataset = palmares.load(bundle)
    computed = EditionSeries(dataset, U, source="computed", view="producer").standings(2021)
    imported = EditionSeries(dataset, U, view="producer").standings(2021)
    both = imported.index
    assert sorted(both) == sorted(computed.index)
    assert imported["rank"].to_dict() == computed.loc[both, "rank"].to_dict()
    assert imported["score"].to_dict() == computed.loc[both, "score"].to_dict()
    assert imported["national_rank"].to_dict() == computed.loc[both, "national_rank"].to_dict()


# -- THE Impact and L'Étudiant -------------------------------------------------------------------


def _import(bundle: Path, path: Path, system: str, year: int, node: str | None = None) -> None:
    dataset = palmares.load(bundle)
    method = resolve_methodology(system, year)
    table = read_published_table(path, system, year, method, dataset=dataset, create=True)
    import_published(bundle, dataset, table, method, node=node)


def test_the_impact_tables_give_bands_national_ranks_and_sdg_facts(tmp_path: Path) -> None:
    from published_tables import empty_bundle

    bundle = empty_bundle(tmp_path / "b")
    # 30 universities: ranks 1-10, then the bands 11–20 and 21–30 (so the field is known).
    countries = ["Canada", "France", "Australia"]
    lines = ["Rank,Name,Country/Region,Overall score,SDG 3,SDG 4"]
    for k in range(30):
        rank = str(k + 1) if k < 10 else ("11–20" if k < 20 else "21–30")
        score = f"{95 - k:.1f}" if k < 10 else ("70.0–80.0" if k < 20 else "60.0–69.9")
        lines.append(f"{rank},Uni {k:02d},{countries[k % 3]},{score},{90 - k},{80 - k}")
    overall = tmp_path / "impact.csv"
    overall.write_text("\n".join(lines) + "\n", encoding="utf-8")
    _import(bundle, overall, "the-impact", 2024)
    # SDG 3's own table: Uni 13 (France) first, Uni 01 (France) second; SDG 4: Uni 13 in a band.
    sdg_tables = {
        "sdg03": ["1,Uni 13,France,91.0", "2,Uni 01,France,90.0", "3,Uni 00,Canada,89.0"],
        "sdg04": [
            "1,Uni 00,Canada,91.0",
            "2,Uni 01,France,90.0",
            "3–4,Uni 13,France,80.0–85.0",
            "3–4,Uni 04,France,80.0–85.0",
        ],
    }
    for node, rows in sdg_tables.items():
        path = tmp_path / f"{node}.csv"
        path.write_text("\n".join(["Rank,Name,Country/Region,Score", *rows]) + "\n", "utf-8")
        _import(bundle, path, "the-impact", 2024, node=node)
    series = EditionSeries(palmares.load(bundle), "the-impact")
    row = series.history("uni-13").row(2024)
    # In the band 11–20: no rank inside it; French compatriots ahead: Uni 01, 04, 07 (exact
    # ranks 2, 5, 8); in the same band: Uni 10, 13, 16, 19 -> 4th ex aequo with three others.
    assert row["rank"] == 0 and row["band"] == "11–20"
    assert (row["national_rank"], row["national_tie_size"]) == (4, 4)
    assert row["national_field_size"] == 10 and row["field_size"] == 30
    assert row["nodes_ranked"] == 2 and row["nodes_total"] == 2
    found = {f.kind: f.values for f in facts(series, "uni-13", 2024)}
    assert found["band"]["band_lo"] == 11 and found["band"]["band_hi"] == 20
    assert found["national_rank"]["rank"] == 4 and found["national_rank"]["tie_size"] == 4
    assert found["sdg_coverage"] == {"ranked": 2, "total": 2}
    # SDG 3 rank 1 -> top 1 rung; SDG 4 band 3–4 -> its worse end 4 on the ladder.
    sdgs = found["sdg_bands"]["sdgs"]
    assert sdgs["3"] == 1 and sdgs["4"] >= 4
    assert found["sdg_national_firsts"] == {"sdgs": [3]}
    # Uni 01 is second in SDG 3 behind a compatriot, second in SDG 4 behind a Canadian.
    uni01 = {f.kind: f.values for f in facts(series, "uni-01", 2024)}
    assert uni01["sdg_national_firsts"] == {"sdgs": [4]}
    assert uni01["rank"]["rank"] == 2 and uni01["national_rank"]["rank"] == 1


def test_letudiant_tables_give_ranks_ties_national_ranks_and_movements(tmp_path: Path) -> None:
    from published_tables import empty_bundle

    bundle = empty_bundle(
        tmp_path / "b",
        "id,name,country\necole-a,École A,FR\necole-b,École B,FR\necole-c,École C,FR\n"
        "ecole-d,École D,FR\n",
    )
    header = "Rang;École;Total;Excellence académique\n"
    first = tmp_path / "2023.csv"
    first.write_text(
        header + "1er;École A;96;30/30\n2e;École B;90;28/30\n3e;École C;85;27/30\n"
        "4e;École D;80;25/30\n",
        encoding="utf-8",
    )
    second = tmp_path / "2024.csv"
    second.write_text(
        header + "1er;École C;97;30/30\n2e;École A;90;28/30\n2e ex aequo;École D;90;27/30\n"
        "4e;École B;80;25/30\n",
        encoding="utf-8",
    )
    _import(bundle, first, "letudiant", 2023)
    _import(bundle, second, "letudiant", 2024)
    series = EditionSeries(palmares.load(bundle), "letudiant")
    row = series.history("ecole-d").row(2024)
    assert (row["rank"], row["tie_size"], row["movement"]) == (2, 2, 2)
    assert (row["national_rank"], row["national_tie_size"], row["national_field_size"]) == (
        2,
        2,
        4,
    )
    found = {f.kind: f.values for f in facts(series, "ecole-c", 2024)}
    assert found["rank"] == {"node": None, "rank": 1, "tie_size": 1, "field_size": 4}
    assert found["movement"]["previous_rank"] == 3 and found["movement"]["places"] == 2
