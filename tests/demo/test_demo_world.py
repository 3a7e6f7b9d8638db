"""Shape of the demo world: institutions, places, attributes, network, lineage, systems."""

from pathlib import Path

import numpy as np
import pandas as pd

from palmares.dataset import Dataset
from palmares.demo import generate, summarise
from palmares.demo.systems import THE_IMPACT_OVERALL
from palmares.names import fold_name
from palmares.schema import ID_PATTERN
from palmares.validation import validate_tables

EDITIONS = {
    "u-multirank": tuple(range(2016, 2023)),
    "letudiant": tuple(range(2016, 2025)),
    "the-impact": tuple(range(2019, 2025)),
}


def french_engineering(world: Dataset) -> pd.DataFrame:
    inst = world.institutions
    return inst[(inst["country"] == "FR") & (inst["type"] == "engineering-school")]


def test_institutions_and_countries(world: Dataset) -> None:
    inst = world.institutions
    assert len(inst) >= 1800
    assert inst["country"].nunique() >= 90
    assert inst["id"].is_unique
    assert inst["id"].map(lambda i: ID_PATTERN.fullmatch(i) is not None).all()
    assert inst["region"].notna().all() and inst["city"].notna().all()
    assert inst["region_code"].notna().mean() > 0.9
    assert {"NA", "FR", "DE", "US"} <= set(inst["country"])


def test_french_engineering_schools(world: Dataset) -> None:
    schools = french_engineering(world)
    assert len(schools) >= 169
    assert schools["region_code"].str.startswith("FR-").all()
    assert "FR-OCC" in set(schools["region_code"])
    assert set(schools["intake"]) == {"post-bac", "post-prepa"}
    assert set(schools["status"]) == {"public", "private"}
    assert schools["name_en"].notna().all() and schools["name_fr"].notna().all()


def test_gender_follows_the_french_head_noun(world: Dataset) -> None:
    french = world.institutions[world.institutions["country"] == "FR"]
    heads = french["name"].str.split().str[0]
    assert (french.loc[heads.isin(["École", "Université"]), "gender"] == "f").all()
    assert (french.loc[heads == "Institut", "gender"] == "m").all()
    assert set(world.institutions["gender"]) == {"f", "m"}


def test_network_members_and_affiliates(world: Dataset) -> None:
    net = world.networks
    assert set(net["network"]) == {"reseau-mines"}
    assert (net["role"] == "member").sum() >= 5
    assert (net["role"] == "affiliate").sum() >= 2
    assert net["since"].notna().all() and net["until"].notna().any()
    assert world.network_members("reseau-mines", 2016, roles=("member",)) == (
        "fr-mines-epinal",
        "fr-mines-management",
        "fr-mines-niort",
        "fr-mines-rodez",
        "fr-mines-valence",
    )
    assert "fr-mines-auxerre" in world.network_members("reseau-mines", 2021)
    assert "fr-eiy-auxerre" not in world.network_members("reseau-mines", 2021)


def test_renames_and_mergers_in_2017(world: Dataset) -> None:
    lineage = world.lineage
    assert set(lineage["year"]) == {2017}
    assert (lineage["kind"] == "rename").sum() >= 3
    assert lineage.loc[lineage["kind"] == "merger", "successor"].nunique() >= 2
    assert set(world.lineage_ids("fr-mines-perigueux")) == {
        "fr-mines-perigueux",
        "fr-imp-perigueux",
        "fr-esid-perigueux",
    }
    obs = world.observations
    years = obs.groupby("institution")["year"].agg(["min", "max"])
    predecessors = years.reindex(lineage["predecessor"].unique()).dropna()
    successors = years.reindex(lineage["successor"].unique()).dropna()
    assert len(predecessors) >= 5 and (predecessors["max"] < 2017).all()
    assert len(successors) >= 5 and (successors["min"] >= 2017).all()


def test_aliases_name_their_institution(world: Dataset) -> None:
    aliases = world.aliases
    assert (aliases["lang"] == "en").sum() >= 169
    assert aliases["lang"].isna().sum() >= 500
    assert aliases["institution"].isin(world.institutions["id"]).all()
    sample = aliases.iloc[:: max(1, len(aliases) // 12)]
    for institution, name in zip(sample["institution"], sample["name"], strict=True):
        assert world.resolve(name) == institution
    assert world.resolve("École des mines de Rodez") == "fr-mines-rodez"


def test_editions_per_system(world: Dataset) -> None:
    assert world.systems == ("letudiant", "the-impact", "u-multirank")
    for system, years in EDITIONS.items():
        assert world.edition_years(system) == years
    editions = world.editions
    assert editions[["label_en", "label_fr", "published_on"]].notna().all().all()
    assert editions["published_on"].str.fullmatch(r"\d{4}-\d{2}-\d{2}").all()


def test_fields_grow_from_edition_to_edition(world: Dataset) -> None:
    fields = summarise(world)["fields"]
    for system, years in EDITIONS.items():
        sizes = [fields[system][str(y)] for y in years]
        assert sizes == sorted(sizes) and sizes[-1] > sizes[0], (system, sizes)
        assert [len(world.field(system, y)) for y in years] == sizes
    assert fields["letudiant"]["2020"] == fields["letudiant"]["2021"] == 168
    assert fields["letudiant"]["2023"] == 169
    assert 1746 <= fields["u-multirank"]["2021"] < 1800


def test_letudiant_ranks_french_engineering_schools_only(world: Dataset) -> None:
    schools = set(french_engineering(world)["id"])
    for year in EDITIONS["letudiant"]:
        assert set(world.field("letudiant", year)) <= schools


def test_indicator_trees(world: Dataset) -> None:
    umr = world.tree("u-multirank")
    dims = ("teaching", "research", "transfer", "international", "regional")
    # Siblings come in id order: the bundle's tables are sorted by key when written.
    assert set(umr.children("u-multirank")) == {f"u-multirank.{d}" for d in dims}
    assert len(umr.leaves) >= 25
    assert all(len(umr.children(f"u-multirank.{d}")) >= 4 for d in dims)
    le = world.tree("letudiant")
    families = ("academic", "international", "companies", "openness")
    assert set(le.children("letudiant")) == {f"letudiant.{f}" for f in families}
    for leaf in ("research-involvement", "company-chairs", "graduates-abroad"):
        assert f"letudiant.{leaf}" in le.leaves
    assert le.parent_of("letudiant.social-engagement") == "letudiant.openness"
    assert le.parent_of("letudiant.societal-responsibility") == "letudiant.openness"
    impact = world.tree("the-impact")
    assert impact.children("the-impact") == tuple(f"the-impact.sdg{g:02d}" for g in range(1, 18))
    assert set(impact.children("the-impact.sdg05")) == {
        f"the-impact.sdg05.{m}" for m in ("research", "continuous", "evidence")
    }
    ind = world.indicators.set_index("id")
    leaves = ind.loc[list(umr.leaves + le.leaves + impact.leaves)]
    assert leaves["direction"].isin(["higher", "lower"]).all()
    assert leaves[["unit", "decimals", "label_fr"]].notna().all().all()
    inner = ind.drop(index=leaves.index)
    assert inner["direction"].isna().all()


def test_letudiant_2023_adds_two_criteria_under_openness(world: Dataset) -> None:
    obs = world.observations
    le = obs[obs["system"] == "letudiant"]
    per_year = le.groupby("year")["indicator"].unique().map(set)
    added = per_year[2023] - per_year[2022]
    assert added == {"letudiant.social-engagement", "letudiant.societal-responsibility"}
    assert len(per_year[2023]) >= 11


def submitted_goals(world: Dataset, year: int) -> pd.DataFrame:
    """Institutions x SDGs of an edition: True where the SDG was submitted (not n/a)."""
    obs = world.observations
    data = obs[(obs["system"] == "the-impact") & (obs["year"] == year)]
    goal = data["indicator"].str.slice(0, len("the-impact.sdg00"))
    sub = (
        (data["status"] != "not_applicable")
        .groupby([data["institution"], goal])
        .agg(["all", "any"])
    )
    # A goal is submitted or not as a whole: its three metrics agree.
    assert (sub["all"] == sub["any"]).all()
    return sub["any"].unstack()


def test_the_impact_submissions(world: Dataset) -> None:
    first = submitted_goals(world, 2019)
    assert first.shape[1] == 11 and "the-impact.sdg17" in first.columns
    for year in EDITIONS["the-impact"]:
        goals = submitted_goals(world, year)
        assert goals.shape[1] == (11 if year == 2019 else 17)
        assert not goals.to_numpy().all()
        others = goals.drop(columns="the-impact.sdg17").sum(axis=1)
        overall = int((goals["the-impact.sdg17"] & (others >= 3)).sum())
        assert overall == THE_IMPACT_OVERALL[year]
        assert overall < len(goals)
    assert THE_IMPACT_OVERALL[2020] == 776 and THE_IMPACT_OVERALL[2021] == 1115


def test_network_participation_is_the_same_for_every_seed(world: Dataset) -> None:
    entries = {
        i: min(y for y in EDITIONS["the-impact"] if i in world.field("the-impact", y))
        for i in ("fr-mines-valence", "fr-mines-rodez", "fr-mines-epinal", "fr-mines-management")
    }
    assert entries == {
        "fr-mines-valence": 2019,
        "fr-mines-rodez": 2020,
        "fr-mines-epinal": 2020,
        "fr-mines-management": 2021,
    }


def test_validate_accepts_the_world(world: Dataset) -> None:
    typed, problems = validate_tables(world.to_frames(), origin="demo")
    assert list(problems) == []
    assert len(typed["observations"]) == len(world.observations)


def test_same_seed_same_world_other_seed_other_world_of_the_same_shape(world: Dataset) -> None:
    assert generate(0) == world
    other = generate(1)
    assert other != world
    assert summarise(other)["fields"] == summarise(world)["fields"]
    assert len(other.institutions) == len(world.institutions)
    assert not np.array_equal(
        other.observations["value"].to_numpy(), world.observations["value"].to_numpy()
    )
    assert set(other.institutions["id"]) != set(world.institutions["id"])
    for system, years in summarise(other)["coverage"].items():
        assert all(0.70 <= c <= 0.95 for c in years.values()), (system, years)


def test_the_documentation_lists_every_indicator_id(world: Dataset) -> None:
    text = (Path(__file__).parents[2] / "docs" / "demo-world.md").read_text(encoding="utf-8")
    for system in ("u-multirank", "letudiant"):
        tree = world.tree(system)
        missing = [node for node in tree.ids if f"`{node}" not in text]
        assert missing == []
    assert "`the-impact.sdgNN.research`" in text and "`the-impact.sdg17`" in text


def test_every_name_and_alias_names_one_institution(world: Dataset) -> None:
    inst, aliases = world.institutions, world.aliases
    owners = pd.concat(
        [
            pd.DataFrame({"id": inst["id"], "name": inst["name"]}),
            pd.DataFrame({"id": inst["id"], "name": inst["name_en"]}),
            pd.DataFrame({"id": aliases["institution"], "name": aliases["name"]}),
        ]
    )
    owners["name"] = owners["name"].map(fold_name)
    per_name = owners.drop_duplicates().groupby("name")["id"].nunique()
    assert (per_name == 1).all(), per_name[per_name > 1]
