"""Realism of the demo world's values (issue 3 acceptance)."""

import itertools

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from palmares.dataset import Dataset
from palmares.demo.summary import edition_table

SYSTEMS = ("letudiant", "the-impact", "u-multirank")


def valued(world: Dataset) -> pd.DataFrame:
    obs = world.observations
    return obs[obs["status"].isin(["reported", "estimated"])]


def test_coverage_between_70_and_95_percent_per_edition(world: Dataset) -> None:
    table = edition_table(world)
    assert set(table["system"]) == set(SYSTEMS)
    assert table["coverage"].between(0.70, 0.95).all(), table.to_string()


def test_the_impact_2019_has_33_leaves_and_later_editions_51(world: Dataset) -> None:
    table = edition_table(world).set_index(["system", "year"])
    assert table.loc[("the-impact", 2019), "leaves"] == 33
    assert (table.loc["the-impact"].loc[2020:, "leaves"] == 51).all()
    assert table.loc[("letudiant", 2022), "leaves"] == 9
    assert table.loc[("letudiant", 2023), "leaves"] == 11


def test_counts_are_right_skewed(world: Dataset) -> None:
    units = world.indicators.set_index("id")["unit"]
    counts = units[units == "count"].index
    data = valued(world)
    data = data[data["indicator"].isin(counts)]
    skew = data.groupby(["system", "year", "indicator"])["value"].agg(lambda v: stats.skew(v))
    assert len(skew) > 100
    assert (skew > 1).all(), skew[skew <= 1]


def oriented(world: Dataset, system: str, year: int) -> tuple[np.ndarray, list[str]]:
    """Values of an edition (institutions x leaves), negated where lower is better."""
    m = world.matrix(system, year)
    direction = world.indicators.set_index("id").loc[list(m.nodes), "direction"]
    sign = np.where(direction.to_numpy() == "lower", -1.0, 1.0)
    return np.where(m.mask, m.values, np.nan) * sign, list(m.nodes)


@pytest.mark.parametrize("system", SYSTEMS)
def test_indicators_within_a_dimension_correlate_positively(world: Dataset, system: str) -> None:
    year = world.edition_years(system)[-1]
    values, nodes = oriented(world, system, year)
    parent = world.indicators.set_index("id")["parent"]
    frame = pd.DataFrame(values, columns=nodes)
    checked = 0
    for _, leaves in pd.Series(nodes, index=nodes).groupby(parent.loc[nodes].to_numpy()):
        corr = frame[list(leaves)].corr(method="spearman").to_numpy()
        pairs = corr[np.triu_indices(len(leaves), k=1)]
        checked += len(pairs)
        assert (pairs > 0).all(), (list(leaves), pairs)
    assert checked >= 10


@pytest.mark.parametrize("system", SYSTEMS)
def test_values_drift_between_editions(world: Dataset, system: str) -> None:
    """Spearman of each leaf between consecutive editions: median across leaves in 0.8-0.98."""
    rhos = []
    for before, after in itertools.pairwise(world.edition_years(system)):
        a, b = world.matrix(system, before), world.matrix(system, after)
        leaves = [n for n in a.nodes if n in set(b.nodes)]
        _, rows_a, rows_b = np.intersect1d(a.institutions, b.institutions, return_indices=True)
        cols_a = [a.nodes.index(n) for n in leaves]
        cols_b = [b.nodes.index(n) for n in leaves]
        va = np.where(a.mask, a.values, np.nan)[np.ix_(rows_a, cols_a)]
        vb = np.where(b.mask, b.values, np.nan)[np.ix_(rows_b, cols_b)]
        for k in range(len(leaves)):
            both = ~np.isnan(va[:, k]) & ~np.isnan(vb[:, k])
            if not both.any():  # a leaf that exists in one edition only
                continue
            rhos.append(stats.spearmanr(va[both, k], vb[both, k]).statistic)
    median = float(np.median(rhos))
    assert 0.8 <= median <= 0.98, median
    assert min(rhos) > 0.5


def test_estimated_values_exist_and_missing_values_are_empty(world: Dataset) -> None:
    obs = world.observations
    share = obs["status"].value_counts(normalize=True)
    assert 0.01 < share["estimated"] < 0.05
    assert obs.loc[obs["status"].isin(["missing", "not_applicable"]), "value"].isna().all()
    assert obs.loc[obs["status"].isin(["reported", "estimated"]), "value"].notna().all()


def test_rates_stay_within_bounds(world: Dataset) -> None:
    units = world.indicators.set_index("id")["unit"]
    data = valued(world)
    rates = data[data["indicator"].map(units).isin(["percent", "index", "score"])]["value"]
    assert rates.between(0, 100).all()
    assert (data["value"] >= 0).all()
