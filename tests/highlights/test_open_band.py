"""An open band ("1001+") has no upper end: its worse rank is the foot of the table."""

from __future__ import annotations

from palmares.demo import generate
from palmares.highlights import facts, render
from palmares.highlights.facts import worse_rank
from palmares.history import EditionSeries

SCHOOL = "fr-sacteliere-belfort"  # 1001+ in the demo world's THE Impact 2021 (seed 0)


def test_worse_rank_of_an_open_band_is_the_field_size() -> None:
    row = {"band": "1001+", "band_lo": 1001, "band_hi": -1, "rank": 1050, "field_size": 1115}
    assert worse_rank(row) == 1115
    assert worse_rank({**row, "band": "301–400", "band_lo": 301, "band_hi": 400}) == 400


def test_an_institution_in_the_open_band_gets_its_band_and_no_percentile() -> None:
    ds = generate(0)
    found = facts(EditionSeries(ds, "the-impact"), SCHOOL, 2021)
    kinds = {f.kind for f in found}
    band = next(f for f in found if f.kind == "band")
    assert band.values["band"] == "1001+"
    assert "percentile" not in kinds
    assert all(f.values.get("n", 1) <= 1000 for f in found if f.kind == "top_n")
    for lang in ("fr", "en"):
        assert all(render(f, ds, lang) for f in found)
