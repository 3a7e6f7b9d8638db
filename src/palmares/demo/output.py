"""Writing the demo world: a canonical CSV bundle carrying a ``.palmares-demo`` marker.

The marker lets ``palmares demo`` replace its own previous output without ``--force`` while
refusing any other existing path (contracts section 4). Bundle and marker are written into one
temporary folder that is renamed into place, so a failure leaves the previous output intact.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from pathlib import Path

from palmares.dataset import Dataset
from palmares.io.atomic import atomic_path, target_lock
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


def _foreign(target: Path) -> list[str]:
    """Files in a previous demo output that the demo did not write."""
    from palmares.io.atomic import foreign_entries

    names = foreign_entries(target)
    charts = target / "charts"
    if charts.is_dir() and not charts.is_symlink():
        names += [
            f"charts/{p.name}"
            for p in sorted(charts.iterdir())
            if not (p.suffix == ".png" and p.name.startswith(("trajectory-", "grades-")))
        ]
    return names


def check_demo_target(out: str | Path) -> bool:
    """Whether ``out`` holds a previous demo output to replace (False: nothing there).

    Raises :class:`NotADemoOutput` when ``out`` exists without the marker, or holds files the
    demo did not write (they are kept: the demo refuses rather than delete them), so a command
    can refuse before spending time on generation.
    """
    target = Path(out)
    if not (target.exists() or target.is_symlink()):
        return False
    if not is_demo_output(target):
        raise NotADemoOutput(
            f"{target} exists and is not a palmares demo output (no {MARKER} marker in it); "
            "choose another --out or remove it yourself"
        )
    foreign = _foreign(target)
    if foreign:
        shown = ", ".join(foreign[:5]) + (
            f" and {len(foreign) - 5} more" if len(foreign) > 5 else ""
        )
        raise NotADemoOutput(
            f"{target} holds files the demo did not write ({shown}); they are kept: move them "
            "out or choose another --out"
        )
    return True


def write_demo(
    ds: Dataset,
    out: str | Path = DEFAULT_OUT,
    *,
    world: str = "demo",
    seed: int = 0,
    extra: Callable[[Path], Iterable[Path]] | None = None,
) -> Path:
    """Write ``ds`` as a CSV bundle with the marker; replace a previous demo output only.

    ``extra(folder)`` writes more files (the charts) into the new output before it is swapped
    in, so a kill leaves the old output or the new one with its charts, never a mix. Raises
    :class:`NotADemoOutput` when ``out`` exists without the marker or with foreign files.
    """
    target = Path(out)
    with target_lock(target):
        exists = check_demo_target(target)
        with atomic_path(target, force=exists, directory=True) as temporary:
            write_csv_folder(ds.to_frames(), temporary)
            (temporary / MARKER).write_text(marker_text(world, seed), encoding="utf-8")
            if extra is not None:
                list(extra(temporary))
    return target
