"""Every computation gives, bit for bit, what it gave before the plan (fixtures/recorded.json)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from recorded import FIXTURES, record

RECORDED: dict[str, Any] = json.loads(FIXTURES.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def computed() -> dict[str, Any]:
    return record()


def test_the_fixtures_cover_every_kind_of_computation() -> None:
    kinds = {key.split("/")[0] for key in RECORDED}
    assert kinds == {"run", "personalise", "replay", "uncertainty", "rebuild"}
    assert {key for key in RECORDED if key.startswith("run/the-impact/")} == {
        f"run/the-impact/{year}" for year in range(2019, 2025)
    }
    assert len(RECORDED) == 63


def test_the_same_cases_are_computed(computed: dict[str, Any]) -> None:
    assert sorted(computed) == sorted(RECORDED)


@pytest.mark.parametrize("case", sorted(RECORDED))
def test_case_is_unchanged_bit_for_bit(computed: dict[str, Any], case: str) -> None:
    now, before = computed[case], RECORDED[case]
    changed = (
        sorted(k for k in before if now.get(k) != before[k]) if isinstance(before, dict) else []
    )
    assert now == before, f"{case}: changed {changed}"
