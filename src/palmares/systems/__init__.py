"""Presets: methodology files that reproduce real ranking systems, one folder per system.

``systems/<preset>/*.toml`` are the preset's methodologies, one per edition range (the file's
``editions`` says which). ``preset_path("letudiant", 2023)`` finds the file for an edition;
:func:`palmares.methodology.resolve_methodology` uses it for ``--method PRESET[@YEAR]``.
``systems/<preset>/tree/indicators.toml`` is the preset's indicator tree where palmares ships
one (:func:`preset_tree`).
"""

from __future__ import annotations

import tomllib
from functools import lru_cache
from pathlib import Path
from typing import Any

SYSTEMS_DIR = Path(__file__).parent


def preset_ids() -> tuple[str, ...]:
    """Every preset shipped with palmares, sorted."""
    return tuple(sorted(p.name for p in SYSTEMS_DIR.iterdir() if p.is_dir() and _files(p.name)))


def _files(preset: str) -> tuple[Path, ...]:
    folder = SYSTEMS_DIR / preset
    return tuple(sorted(folder.glob("*.toml"))) if folder.is_dir() else ()


@lru_cache(maxsize=256)
def _covers(path: Path, year: int) -> bool:
    """Whether a file's ``editions`` (a range or a list) holds ``year``; read without validating
    the whole file (validation happens when the methodology is loaded)."""
    editions = tomllib.loads(path.read_text(encoding="utf-8"))["methodology"]["editions"]
    if isinstance(editions, dict):
        end = editions.get("to")
        return int(editions["from"]) <= year and (end is None or year <= int(end))
    return year in {int(y) for y in editions}


def preset_files(preset: str) -> tuple[Path, ...]:
    """The methodology files of a preset, or LookupError naming the presets there are."""
    files = _files(preset)
    if not files:
        from palmares.translatable import tr

        known = ", ".join(preset_ids()) or tr("none yet")
        raise LookupError(
            tr("unknown preset {preset!r}; presets: {known}", preset=preset, known=known)
        )
    return files


def preset_path(preset: str, year: int | None) -> Path:
    """The file of ``preset`` whose editions contain ``year`` (the latest file when None)."""
    files = preset_files(preset)
    if year is None:
        return files[-1]
    for path in files:
        if _covers(path, year):
            return path
    ranges = ", ".join(path.stem for path in files)
    from palmares.translatable import tr

    raise LookupError(
        tr(
            "preset {preset!r} has no methodology for {year} (files: {ranges})",
            preset=preset,
            year=year,
            ranges=ranges,
        )
    )


#: The columns of a tree node, in the order of an indicators table (absent keys are None).
TREE_COLUMNS = (
    "id",
    "label_en",
    "label_fr",
    "parent",
    "direction",
    "unit",
    "decimals",
    "source",
    "description",
)


def tree_path(preset: str) -> Path:
    """Where a preset's indicator tree lives (the file may not exist)."""
    return SYSTEMS_DIR / preset / "tree" / "indicators.toml"


def preset_tree(preset: str) -> tuple[dict[str, Any], ...]:
    """The indicator tree shipped with a preset, one dict a node (every key of
    :data:`TREE_COLUMNS`, None where the file gives none), root first; empty when the preset
    ships no tree (the bundle's tree is used)."""
    path = tree_path(preset)
    if not path.is_file():
        return ()
    nodes = tomllib.loads(path.read_text(encoding="utf-8")).get("node", [])
    return tuple({column: node.get(column) for column in TREE_COLUMNS} for node in nodes)
