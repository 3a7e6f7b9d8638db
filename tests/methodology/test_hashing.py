"""The methodology hash: stable under formatting, sensitive to every meaningful change."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from palmares.methodology import (
    canonical_json,
    load_methodology,
    methodology_hash,
    parse_methodology,
)

EXAMPLES = Path(__file__).parent / "examples"

ORIGINAL = """
[methodology]
id = "h"
system = "demo"
version = "1"
label_en = "Hash test"
editions = { from = 2016, to = 2022 }

[weights]
"demo.a" = 2
"demo.b" = 1

[[steps]]
type = "normalise"
method = "minmax"

[steps.overrides."demo.a"]
range = [1, 10]

[[steps]]
type = "aggregate"
method = "arithmetic"

[[steps]]
type = "round"
method = "half_up"
decimals = 1
"""

# The same methodology: comments, key order, inline tables, int/float spelling, explicit defaults.
REFORMATTED = """
# Same method, written differently.
[[steps]]
method = "minmax"   # the default range is [0, 100]
type = "normalise"
range = [0.0, 100.0]
overrides = { "demo.a" = { range = [1.0, 10] } }

[[steps]]
type = "aggregate"
method = "arithmetic"
renormalise = true
min_children = 1

[[steps]]
decimals = 1
type = "round"
method = "half_up"

[weights]
"demo.b" = 1.0
"demo.a" = 2.0

[methodology]
version = "1"
editions = { to = 2022, from = 2016 }
label_en = "Hash test"
system = "demo"
id = "h"
assumptions = []
"""


def test_formatting_comments_and_order_do_not_change_the_hash() -> None:
    a, b = parse_methodology(ORIGINAL), parse_methodology(REFORMATTED)
    assert canonical_json(a) == canonical_json(b)
    assert methodology_hash(a) == methodology_hash(b)


def test_hash_is_sha256_of_sorted_compact_json() -> None:
    m = parse_methodology(ORIGINAL)
    text = canonical_json(m)
    assert methodology_hash(m) == hashlib.sha256(text.encode()).hexdigest()
    document = json.loads(text)
    assert json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False) == text
    assert document["steps"][0]["range"] == [0.0, 100.0]
    assert document["steps"][0]["overrides"] == {"demo.a": {"range": [1.0, 10.0]}}
    assert document["methodology"]["editions"] == {"from": 2016, "to": 2022}


def test_every_meaningful_change_changes_the_hash() -> None:
    base = methodology_hash(parse_methodology(ORIGINAL))
    variants = [
        ORIGINAL.replace('"demo.a" = 2', '"demo.a" = 3'),
        ORIGINAL.replace("decimals = 1", "decimals = 2"),
        ORIGINAL.replace("range = [1, 10]", "range = [1, 11]"),
        ORIGINAL.replace('version = "1"', 'version = "2"'),
        ORIGINAL.replace("to = 2022", "to = 2023"),
        ORIGINAL.replace('method = "arithmetic"', 'method = "arithmetic"\nrenormalise = false'),
    ]
    hashes = {methodology_hash(parse_methodology(v)) for v in variants}
    assert base not in hashes
    assert len(hashes) == len(variants)


def test_example_hash_is_stable() -> None:
    """A pinned value: changing the schema's canonical form must be a deliberate act."""
    first = methodology_hash(load_methodology(EXAMPLES / "asem.toml"))
    assert first == methodology_hash(load_methodology(EXAMPLES / "asem.toml"))
    assert len(first) == 64
    assert first == "4df133e9a5d4d727d9977f43f1c356214fd213a312e188a4ab957f45bf5486a1"
