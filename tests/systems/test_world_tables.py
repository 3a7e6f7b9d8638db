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


@pytest.mark.parametrize(
    ("system", "year"), [("the-wur", 2011), ("the-wur", 2016), ("arwu", 2005), ("qs", 2020)]
)
def test_the_engine_runs_each_preset_as_reproduce_rebuilds_it(system: str, year: int) -> None:
    """The preset files drive the engine on component observations; its scores equal the
    rebuild of :mod:`palmares.reproduce` (ARWU with one N&S not applicable)."""
    import numpy as np
    import pandas as pd

    from palmares.dataset import Dataset
    from palmares.engine import run
    from palmares.reproduce import rebuild_totals

    method = resolve_methodology(system, year)
    ids = component_ids(method)
    rng = np.random.default_rng(year)
    n = 40
    x = rng.uniform(5, 100, size=(n, len(ids)))
    x = x / x.max(axis=0) * 100 if system == "arwu" else x
    na = np.zeros(x.shape, dtype=bool)
    na[3, ids.index("ns") if system == "arwu" else 0] = system == "arwu"
    nodes = method.tree.nodes
    frames = {
        "institutions": pd.DataFrame(
            {
                "id": [f"u{i}" for i in range(n)],
                "name": [f"U{i}" for i in range(n)],
                "country": "FR",
            }
        ),
        "indicators": pd.DataFrame(
            {
                "id": [d.id for d in nodes],
                "label_en": [d.id for d in nodes],
                "label_fr": [d.id for d in nodes],
                "parent": [d.parent for d in nodes],
                "direction": [d.direction for d in nodes],
            }
        ),
        "editions": pd.DataFrame({"system": [system], "year": [year]}),
        "observations": pd.DataFrame(
            [
                (
                    f"u{i}",
                    f"{system}.{c}",
                    system,
                    year,
                    None if na[i, j] else x[i, j],
                    "not_applicable" if na[i, j] else "reported",
                )
                for i in range(n)
                for j, c in enumerate(ids)
            ],
            columns=["institution", "indicator", "system", "year", "value", "status"],
        ),
    }
    frame = run(Dataset.from_frames(frames), method, year).to_frame("en", nodes=False)
    engine = frame.set_index("institution").loc[[f"u{i}" for i in range(n)], "score"]
    rebuilt = rebuild_totals(method, np.where(na, np.nan, x), na)
    expected = rebuilt.total if method.ranking.rank_on == "unrounded" else rebuilt.rounded
    np.testing.assert_allclose(engine.to_numpy(float), expected, atol=1e-9)
