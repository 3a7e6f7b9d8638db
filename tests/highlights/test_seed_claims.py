"""Every seed claim C1..C36 derived from the seed world, in French and English, for seeds 0 and 1.

The expected values come from claims.md, written down in seed_claims.toml; nothing here is
computed the way palmares computes it: the test only reads palmares's facts and sentences.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest

from palmares.highlights import render
from palmares.highlights.facts import Fact

from .seed_worlds import seed_facts, seed_world

CLAIMS: dict[str, dict[str, Any]] = tomllib.loads(
    (Path(__file__).with_name("seed_claims.toml")).read_text(encoding="utf-8")
)
SEEDS = (0, 1)
#: values that say how a fact is built, not a number the sentence states; a tie is said in
#: words ("à égalité avec quatre autres", "tied with four other"), checked apart
UNSTATED = {"level", "edition", "tie_size"}
TIE_WORDS = {"fr": "à égalité avec", "en": "tied with"}


def _subset(expected: Any, actual: Any) -> bool:
    if isinstance(expected, dict):
        if not isinstance(actual, Mapping):
            return False
        by_text = {str(k): v for k, v in actual.items()}  # JSON keys are text
        return all(k in by_text and _subset(v, by_text[k]) for k, v in expected.items())
    if isinstance(expected, list):
        return isinstance(actual, list) and sorted(map(str, expected)) == sorted(map(str, actual))
    return bool(expected == actual)


def _at(values: dict[str, Any], path: str) -> Any:
    node: Any = values
    for part in path.split("."):
        node = node[part]
    return node


def _matches(fact: Fact, claim: dict[str, Any]) -> bool:
    values = fact.values
    if not _subset(claim.get("values", {}), values):
        return False
    for path, keys in claim.get("keys", {}).items():
        if sorted(_at(values, path)) != sorted(keys):
            return False
    return all(len(_at(values, p)) == n for p, n in claim.get("lengths", {}).items())


def _numbers(value: Any, key: str = "") -> set[int]:
    """Every number a claim's values state (dict keys that are numbers included)."""
    if key in UNSTATED or isinstance(value, bool):
        return set()
    if isinstance(value, int):
        return {value}
    if isinstance(value, str):
        return {int(x) for x in re.findall(r"\d+", value)} if "–" in value else set()
    if isinstance(value, dict):
        out: set[int] = set()
        for k, v in value.items():
            out |= {int(k)} if str(k).isdigit() else set()
            out |= _numbers(v, str(k))
        return out
    if isinstance(value, list):
        return set().union(*(_numbers(v) for v in value)) if value else set()
    return set()


def _text_numbers(text: str) -> set[int]:
    joined = re.sub(r"(?<=\d)[\u202f\u00a0 ,](?=\d{3}\b)", "", text)
    return {int(x) for x in re.findall(r"\d+", joined)}


CASES = [
    pytest.param(seed, claim_id, edition, id=f"seed{seed}-{claim_id}-{edition}")
    for seed in SEEDS
    for claim_id, claim in CLAIMS.items()
    for edition in claim["editions"]
]


def test_every_claim_of_claims_md_is_listed() -> None:
    ids = {claim_id.split("-")[0] for claim_id in CLAIMS}
    assert ids == {f"C{i}" for i in range(1, 37)}


@pytest.mark.parametrize(("seed", "claim_id", "edition"), CASES)
def test_seed_claim(seed: int, claim_id: str, edition: int) -> None:
    claim = CLAIMS[claim_id]
    found = seed_facts(seed, claim["institution"], claim["system"], edition)
    same_kind = [f for f in found if f.kind == claim["kind"]]
    matching = [f for f in same_kind if _matches(f, claim)]
    assert matching, (
        f"{claim_id}: no {claim['kind']} fact matches; got {[f.values for f in same_kind]}"
    )
    fact = matching[0]
    wanted = _numbers(claim.get("values", {})) | {
        int(k) for keys in claim.get("keys", {}).values() for k in keys if str(k).isdigit()
    }
    for lang in ("fr", "en"):
        text = render(fact, seed_world(seed), lang)
        assert text, f"{claim_id}: empty {lang} sentence"
        missing = wanted - _text_numbers(text)
        assert not missing, f"{claim_id} ({lang}): {sorted(missing)} not in {text!r}"
        if claim.get("values", {}).get("tie_size", 1) > 1:
            assert TIE_WORDS[lang] in text, f"{claim_id} ({lang}): the tie is not said: {text!r}"
