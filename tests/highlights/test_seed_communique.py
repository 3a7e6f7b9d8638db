"""The 2023 IMT Mines Alès communiqué of the seed world (issue 7): the files in docs/examples are
what palmares writes today, and every number in them is one of its facts' numbers."""

from __future__ import annotations

from pathlib import Path

import pytest

from palmares.demo.seeds import ALES
from palmares.highlights.communique import communique, unaccounted_numbers

from .seed_worlds import seed_world

EXAMPLES = Path(__file__).resolve().parents[2] / "docs" / "examples"


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_docs_example_is_regenerated_and_states_only_its_facts_numbers(
    lang: str, tmp_path: Path
) -> None:
    stem = f"communique-imt-mines-ales-2023-{lang}"
    draft = communique(
        seed_world(0), ALES, 2023, lang=lang, charts_dir=tmp_path, chart_prefix=f"{stem}-"
    )
    assert unaccounted_numbers(draft) == []
    assert draft.markdown == (EXAMPLES / f"{stem}.md").read_text(encoding="utf-8")
    for chart in sorted(tmp_path.glob("*.png")):
        assert (EXAMPLES / chart.name).is_file(), f"{chart.name} is embedded but not in docs"
    text = draft.markdown
    # the seed claims of 002 and 003, with their numbers, in the language of the draft
    if lang == "fr":
        assert "16<sup>e</sup> ex aequo des 169 écoles" in text
        assert "top 10\u00a0%" in text and "1<sup>re</sup> des 20 écoles" in text
        assert "6<sup>e</sup> ex aequo des 41 établissements classés en France" in text
        assert "sur 10 points au lieu de 5" in text
    else:
        assert "joint 16<sup>th</sup> of the 169 schools" in text
        assert "top 10%" in text and "out of 10 points instead of 5" in text
