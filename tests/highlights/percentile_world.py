"""A one-indicator world: ``t`` at a chosen competition rank in a field of a chosen size,
optionally tied with the school just at that rank (values are distinct otherwise)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from palmares.dataset import Dataset

METHOD = """
[methodology]
id = "p"
system = "p"
version = "1"
label_en = "test"
editions = {{ from = 2023 }}

[[steps]]
type = "normalise"
method = "minmax"
range = [0, 100]

[[steps]]
type = "aggregate"
method = "arithmetic"

[ranking]
rank_on = "unrounded"
ties = "ex-aequo"
"""


def write_method(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "p.toml"
    path.write_text(METHOD.format(), encoding="utf-8")
    return path


def world(field: int, rank: int, tied: bool) -> Dataset:
    """``t`` is ``rank``th of ``field`` (joint with ``o{rank}`` when ``tied``)."""
    others = [f"o{k}" for k in range(1, field)]
    values = {f"o{k}": 1000.0 - k for k in range(1, field)}
    values["t"] = 1000.0 - rank if tied else 1000.0 - rank + 0.5
    ids = ["t", *others]
    institutions = pd.DataFrame(
        {
            "id": ids,
            "name": ["École T", *[f"École {o}" for o in others]],
            "country": "FR",
            "gender": ["f", *["f"] * len(others)],
        }
    )
    indicators = pd.DataFrame(
        {
            "id": ["p", "p.a"],
            "label_en": ["P ranking", "a"],
            "label_fr": ["Classement P", "a"],
            "parent": ["", "p"],
            "direction": ["", "higher"],
        }
    )
    observations = pd.DataFrame(
        {
            "institution": ids,
            "indicator": "p.a",
            "system": "p",
            "year": 2023,
            "value": [values[i] for i in ids],
            "status": "reported",
        }
    )
    editions = pd.DataFrame({"system": ["p"], "year": [2023]})
    return Dataset.from_frames(
        {
            "institutions": institutions,
            "indicators": indicators,
            "editions": editions,
            "observations": observations,
        }
    )
