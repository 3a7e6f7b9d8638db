"""Typed facts (issue 13 item 3): one dataclass per kind, read as the mapping of contracts
section 6, whose JSON keeps the documented keys."""

from __future__ import annotations

import json
from dataclasses import fields

import pytest

from palmares.highlights.facts import (
    KINDS,
    VALUE_TYPES,
    Fact,
    FactValues,
    NationalRankValues,
    RankIntervalValues,
    TopNValues,
    typed_values,
)
from tests.highlights.seed_worlds import seed_facts

#: The ``values`` keys contracts section 6 documents for each kind (at least these).
CONTRACT_KEYS: dict[str, set[str]] = {
    "rank": {"rank", "tie_size", "field_size", "node"},
    "movement": {"previous_edition", "previous_rank", "rank", "places"},
    "percentile": {"rank", "field_size", "top_percent"},
    "group_position": {"group", "half", "rank_in_group", "group_size"},
    "national_rank": {"scope", "rank", "tie_size", "field_size", "node"},
    "regional_rank": {"scope", "rank", "tie_size", "field_size", "node"},
    "band": {"band_lo", "band_hi", "field_size"},
    "band_change": {"previous_band", "band"},
    "top_n": {"scope", "n", "rank"},
    "grade_count": {"grade", "total", "by_dimension"},
    "grade_count_change": {"grade", "dimension", "previous", "current"},
    "participation": {"count", "streak", "first_edition"},
    "field_size": {"count", "countries"},
    "field_growth": {"previous_edition", "previous", "current"},
    "indicator_changes": {"improved", "declined"},
    "trajectory": {"ranks"},
    "methodology_structure": {"level", "names"},
    "methodology_change": {"added", "removed", "scale_changes"},
    "strongest_families": {"families", "rule"},
    "field_composition": {"by_attribute"},
    "network_summary": {"network", "members_ranked", "country_field", "first_member"},
    "sdg_coverage": {"ranked", "total"},
    "sdg_bands": {"counts_by_band", "sdgs"},
    "sdg_national_firsts": {"sdgs"},
    "band_stability": {"band", "previous_field", "current_field"},
    "top_n_change": {"scope", "previous_edition", "previous_n", "n"},
    "network_movement": {"network", "improved", "kept", "declined"},
    "network_entrant": {"network", "institution", "edition", "order"},
    "national_leader_change": {"scope", "previous_leader", "leader"},
    "system_first_edition": {"system", "first_edition"},
}


def test_every_kind_has_one_dataclass_with_the_documented_keys() -> None:
    assert set(VALUE_TYPES) == set(KINDS)
    for kind, cls in VALUE_TYPES.items():
        assert cls.kind == kind and issubclass(cls, FactValues)
        names = {f.name for f in fields(cls)}
        assert CONTRACT_KEYS.get(kind, set()) <= names, kind
    assert len(set(VALUE_TYPES.values())) == len(VALUE_TYPES)  # one class per kind


@pytest.mark.parametrize(
    ("system", "edition"),
    [("the-impact", 2021), ("the-impact", 2023), ("u-multirank", 2021), ("letudiant", 2021)],
)
def test_built_facts_carry_typed_values_and_the_same_json(system: str, edition: int) -> None:
    found = seed_facts(0, "imt-mines-ales", system, edition)
    assert found
    for fact in found:
        assert isinstance(fact.values, VALUE_TYPES[fact.kind]), fact.kind
        assert fact.typed is fact.values
        document = fact.to_json("fr", "")
        assert set(document["values"]) >= CONTRACT_KEYS.get(fact.kind, set()), fact.kind
        assert list(document["values"]) == list(fact.values)  # keys in the documented order
        json.dumps(document)  # plain JSON: no dataclass, tuple or numpy value left
        # a fact rebuilt from its plain values is the same fact
        assert typed_values(fact.kind, dict(fact.values)) == fact.values


def test_values_read_as_a_mapping() -> None:
    national = NationalRankValues(node=None, scope="FR", rank=6, tie_size=4, field_size=41)
    assert national["rank"] == 6 and national.get("grade") is None
    assert "grade" not in national and list(national)[-1] == "field_size"
    assert national == {"node": None, "scope": "FR", "rank": 6, "tie_size": 4, "field_size": 41}
    with pytest.raises(KeyError):
        national["grade"]
    in_dimension = NationalRankValues(
        node="u-multirank.teaching", scope="FR", rank=1, tie_size=5, field_size=178, grade="A"
    )
    assert in_dimension["grade"] == "A" and len(in_dimension) == 6
    interval = RankIntervalValues(
        rank=12, tie_size=1, q05=9, q95=15, median=12, draws=1000, level=0.9
    )
    assert "band" not in interval and "p_same_band" not in interval
    banded = RankIntervalValues(
        rank=250,
        tie_size=1,
        q05=220,
        q95=280,
        median=251,
        draws=1000,
        level=0.9,
        band="201–300",
        p_same_band=None,
    )
    assert banded["p_same_band"] is None and banded["band"] == "201–300"


def test_plain_values_are_typed_on_request_and_refused_when_wrong() -> None:
    plain = {"scope": "world", "n": 20, "rank": 16, "tie_size": 2, "band": None}
    fact = Fact("top_n", "x", "École X", "letudiant", 2023, plain, 78)
    assert isinstance(fact.typed, TopNValues) and fact.typed.n == 20
    with pytest.raises(TypeError):
        typed_values("top_n", {**plain, "extra": 1})
    with pytest.raises(TypeError):
        typed_values("top_n", {"scope": "world", "n": 20})
