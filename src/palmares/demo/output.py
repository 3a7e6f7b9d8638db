"""Writing the demo world: a canonical CSV bundle carrying a ``.palmares-demo`` marker.

The marker lets ``palmares demo`` replace its own previous output without ``--force`` while
refusing any other existing path (contracts section 4). Bundle and marker are written into one
temporary folder that is renamed into place, so a failure leaves the previous output intact.
"""

from __future__ import annotations

import json
from pathlib import Path

from palmares.dataset import Dataset
from palmares.io.atomic import atomic_path
from palmares.io.csv_bundle import write_csv_folder
from palmares.problems import UsageProblem

MARKER = ".palmares-demo"
DEFAULT_OUT = Path("palmares-demo")


class NotADemoOutput(UsageProblem):
    """The output path exists and is not a previous demo output."""


def is_demo_output(path: Path) -> bool:
    """True when ``path`` is a folder holding the demo marker."""
    return path.is_dir() and (path / MARKER).is_file()


def marker_text(world: str, seed: int) -> str:
    """The marker's content: what wrote the folder, with the seed (deterministic bytes)."""
    return json.dumps({"generator": "palmares demo", "world": world, "seed": seed}) + "\n"


def check_demo_target(out: str | Path) -> bool:
    """Whether ``out`` holds a previous demo output to replace (False: nothing there).

    Raises :class:`NotADemoOutput` when ``out`` exists without the marker, so a command can
    refuse before spending time on generation.
    """
    target = Path(out)
    if not (target.exists() or target.is_symlink()):
        return False
    if not is_demo_output(target):
        raise NotADemoOutput(
            f"{target} exists and is not a palmares demo output (no {MARKER} marker in it); "
            "choose another --out or remove it yourself"
        )
    return True


def write_demo(
    ds: Dataset, out: str | Path = DEFAULT_OUT, *, world: str = "demo", seed: int = 0
) -> Path:
    """Write ``ds`` as a CSV bundle with the marker; replace a previous demo output only.

    Raises :class:`NotADemoOutput` when ``out`` exists without the marker.
    """
    target = Path(out)
    exists = check_demo_target(target)
    with atomic_path(target, force=exists, directory=True) as temporary:
        write_csv_folder(ds.to_frames(), temporary)
        (temporary / MARKER).write_text(marker_text(world, seed), encoding="utf-8")
    return target
