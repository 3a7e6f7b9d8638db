"""Known answers and invariants of the generator's parts: names, ids, field selection."""

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from palmares.demo.names import french_name, slug, world_name
from palmares.demo.participation import select_field
from palmares.demo.systems import SYSTEMS, editions_frame, indicators_frame, sdg_exists
from palmares.schema import ID_PATTERN


def test_slug_drops_accents_and_joins_words() -> None:
    assert slug("FR-Ferrandou-Saint-Étienne") == "fr-ferrandou-saint-etienne"
    assert slug("Xi'an  Kalo") == "xi-an-kalo"


def test_french_names_elide_and_carry_the_gender_of_their_head_noun() -> None:
    rng = np.random.default_rng(3)
    names = [french_name(rng, "engineering-school", "Épinal") for _ in range(60)]
    assert all("de Épinal" not in n.name for n in names)
    assert any("d'Épinal" in n.name for n in names)
    for n in names:
        assert n.gender == ("m" if n.name.startswith("Institut") else "f")
        assert n.name_fr == n.name and n.eponym in n.name and n.eponym in n.name_en


def test_names_drawn_with_a_registry_are_unique() -> None:
    rng, used = np.random.default_rng(0), set()
    names = [world_name(rng, "university", "Lyon", used).name for _ in range(300)]
    assert len(set(names)) == 300


@settings(max_examples=30, deadline=None)
@given(st.integers(min_value=0, max_value=2**32 - 1))
def test_generated_ids_are_valid(seed: int) -> None:
    rng = np.random.default_rng(seed)
    for kind in ("university", "technical-university", "business-school", "specialised"):
        naming = world_name(rng, kind, "São Paulo")
        assert ID_PATTERN.fullmatch(slug(f"BR-{naming.eponym}-São Paulo"))


def test_select_field_takes_the_highest_priorities_of_the_pool() -> None:
    priority = np.array([0.5, 3.0, -1.0, 2.0, np.inf])
    pool = np.array([True, False, True, True, True])
    assert select_field(priority, pool, 3).tolist() == [True, False, False, True, True]


@settings(max_examples=50, deadline=None)
@given(
    st.lists(st.floats(-5, 5), min_size=1, max_size=40),
    st.data(),
)
def test_select_field_has_the_exact_size_within_the_pool(values: list[float], data) -> None:
    priority = np.array(values)
    pool = np.array(data.draw(st.lists(st.booleans(), min_size=len(values), max_size=len(values))))
    size = data.draw(st.integers(0, int(pool.sum())))
    chosen = select_field(priority, pool, size)
    assert chosen.sum() == size and not (chosen & ~pool).any()
    if 0 < size < pool.sum():
        assert priority[chosen].min() >= priority[pool & ~chosen].max()


def test_trees_and_editions_tables() -> None:
    indicators = indicators_frame()
    assert indicators["id"].is_unique
    assert set(indicators.loc[indicators["parent"].isna(), "id"]) == {s.id for s in SYSTEMS}
    editions = editions_frame()
    assert len(editions) == 7 + 9 + 6
    assert editions["label_fr"].str.contains(r"\d{4}").all()
    assert [g for g in range(1, 18) if sdg_exists(g, 2019)] == [
        3,
        4,
        5,
        8,
        9,
        10,
        11,
        12,
        13,
        16,
        17,
    ]
