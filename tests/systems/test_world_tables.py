"""The world-table presets: the-wur, arwu, qs, cwur (methodologies.md sections 4-6 and the
addendum on published tables)."""

from __future__ import annotations

import pytest

from palmares.io.published_table import BASE_FIELDS, component_ids, published_format
from palmares.methodology import load_methodology, methodology_hash, resolve_methodology
from palmares.systems import preset_files, preset_path

THE_OLD = ("teaching", "international", "research", "citations", "income")
THE_NEW = ("teaching", "international", "research_environment", "research_quality", "industry")
ARWU = ("alumni", "award", "hici", "ns", "pub", "pcp")
QS_OLD = ("ar", "er", "fsr", "cpf", "ifr", "isr")
QS_NEW = (*QS_OLD, "irn", "ger", "sus")


def weights(system: str, year: int) -> dict[str, float]:
    method = resolve_methodology(system, year)
    return {c: method.weight(f"{method.system}.{c}") for c in component_ids(method)}


@pytest.mark.parametrize("year", range(2011, 2027))
def test_the_wur_weights_per_edition(year: int) -> None:
    got = weights("the-wur", year)
    if year == 2011:
        assert got == dict(zip(THE_OLD, (30, 5, 30, 32.5, 2.5), strict=True))
    elif year <= 2023:
        assert got == dict(zip(THE_OLD, (30, 7.5, 30, 30, 2.5), strict=True))
    else:
        assert got == dict(zip(THE_NEW, (29.5, 7.5, 29, 30, 4), strict=True))
    assert sum(got.values()) == 100


@pytest.mark.parametrize("year", [2025, 2026])
def test_the_wur_2025_2026_weights_are_marked_assumed(year: int) -> None:
    method = resolve_methodology("the-wur", year)
    assert "assumed" in method.methodology.version
    assert any("assumed" in a for a in method.methodology.assumptions)
    assert not any(
        "assumed" in a for a in resolve_methodology("the-wur", 2024).methodology.assumptions
    )


def test_the_wur_bands_ties_and_cutoff() -> None:
    m2012 = resolve_methodology("the-wur", 2013)
    table = m2012.ranking.band_table(2013)
    assert table is not None and table.individual_until == 200
    assert table.bands == [(201, 225), (226, 250), (251, 275), (276, 300), (301, 350), (351, 400)]
    m2016 = resolve_methodology("the-wur", 2016)
    assert m2016.ranking.band_table(2016).bands[-1] == (601, 800)  # type: ignore[union-attr]
    assert resolve_methodology("the-wur", 2011).ranking.band_table(2011) is None
    for year in (2011, 2016, 2024):
        ranking = resolve_methodology("the-wur", year).ranking
        assert (ranking.rank_on, ranking.decimals, ranking.ties, ranking.cutoff) == (
            "published",
            1,
            "equals",
            200,
        )


def test_arwu_weights_scaling_and_uneven_bands() -> None:
    for year in (2005, 2015, 2020):
        assert weights("arwu", year) == dict(zip(ARWU, (10, 20, 20, 20, 20, 10), strict=True))
    method = resolve_methodology("arwu", 2005)
    assert [s.tag for s in method.steps] == [
        "normalise.percent_of_best",
        "aggregate.arithmetic",
        "impute.redistribute",
        "rescale.top100",
        "round.half_up",
    ]
    assert method.ranking.band_table(2005).bands[:2] == [(101, 152), (153, 202)]  # type: ignore[union-attr]
    assert method.ranking.band_table(2007).bands[0] == (102, 150)  # type: ignore[union-attr]
    assert method.ranking.band_table(2010).bands[:2] == [(101, 150), (151, 200)]  # type: ignore[union-attr]
    assert (method.ranking.ties, method.ranking.cutoff) == ("bare", 100)
    assert published_format("arwu").not_applicable_when_blank == {"ns"}
    assert any("assumed" in a for a in resolve_methodology("arwu", 2016).methodology.assumptions)


def test_qs_weights_and_rescaling() -> None:
    assert weights("qs", 2012) == dict(zip(QS_OLD, (40, 10, 20, 20, 5, 5), strict=True))
    assert weights("qs", 2024) == dict(zip(QS_NEW, (30, 15, 10, 20, 5, 5, 5, 5, 5), strict=True))
    assert resolve_methodology("qs", 2023).steps_of("rescale")[0].method == "top100"
    affine = resolve_methodology("qs", 2025).steps_of("rescale")[0]
    assert affine.method == "affine"
    for year in (2020, 2024):
        ranking = resolve_methodology("qs", year).ranking
        assert (ranking.rank_on, ranking.ties) == ("unrounded", "equals")


def test_cwur_is_documented_and_not_rebuildable() -> None:
    assert weights("cwur", 2020) == {
        "education": 25,
        "employability": 25,
        "faculty": 10,
        "research_output": 10,
        "hq_publications": 10,
        "influence": 10,
        "citations": 10,
    }
    assert len(weights("cwur", 2014)) == 8
    fmt = published_format("cwur")
    assert not fmt.rebuildable and "indicator scores" in fmt.reason
    assert resolve_methodology("cwur", 2015).ranking.decimals == 2


@pytest.mark.parametrize("preset", ["the-wur", "arwu", "qs", "cwur"])
def test_every_file_validates_hashes_and_names_its_nodes_system_dot_id(preset: str) -> None:
    hashes = set()
    for path in preset_files(preset):
        method = load_methodology(path)
        assert method.system == preset
        assert all(n.id == preset or n.id.startswith(f"{preset}.") for n in method.tree.nodes)
        hashes.add(methodology_hash(method))
        # Every component has header aliases, and the files' editions resolve back to them.
        aliases = published_format(preset).aliases
        assert {*BASE_FIELDS, *component_ids(method)} <= set(aliases)
        editions = method.methodology.editions
        first = editions.from_  # type: ignore[union-attr]
        assert preset_path(preset, first) == path
    assert len(hashes) == len(preset_files(preset))


def test_editions_outside_the_presets_are_refused() -> None:
    with pytest.raises(LookupError, match="no methodology for 2010"):
        preset_path("the-wur", 2010)
    with pytest.raises(LookupError, match="no methodology for 2004"):
        preset_path("arwu", 2004)
