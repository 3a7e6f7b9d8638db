"""What the demo prints last: the demo institution's highlights, true to its ranking."""

from __future__ import annotations

from palmares.dataset import Dataset
from palmares.demo.showcase import DEMO_INSTITUTION, demo_highlights
from palmares.engine import run


def test_demo_highlights_state_the_rank_the_engine_computes(world: Dataset) -> None:
    found = demo_highlights(world, lang="fr", limit=8)
    assert found["institution"] == DEMO_INSTITUTION
    assert found["edition"] == max(world.edition_years("letudiant"))
    assert 1 <= len(found["facts"]) <= 8
    result = run(world, "letudiant", found["edition"])
    i = result.position(DEMO_INSTITUTION)
    rank_fact = next(
        f for f in found["facts"] if f["kind"] == "rank" and f["values"].get("node") is None
    )
    assert rank_fact["values"]["rank"] == int(result.ranking.rank[i])
    assert rank_fact["values"]["field_size"] == result.field_size
    assert f"{int(result.ranking.rank[i])}e" in rank_fact["text"]
