"""Atomic output: write to a temporary sibling, then rename (contracts section 1)."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from palmares.problems import UsageProblem


class OutputExists(UsageProblem):
    """The output path exists and ``force`` was not given."""


def _remove(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path)
    elif path.exists() or path.is_symlink():
        path.unlink()


def check_target(path: Path, *, force: bool) -> None:
    """Refuse an existing output unless ``force`` (a usage problem: the CLI exits 2)."""
    if (path.exists() or path.is_symlink()) and not force:
        raise OutputExists(f"{path} exists; pass --force to replace it")


def _umask() -> int:
    current = os.umask(0)
    os.umask(current)
    return current


@contextmanager
def atomic_path(
    path: str | Path, *, force: bool = False, directory: bool = False
) -> Iterator[Path]:
    """Yield a temporary sibling of ``path`` to write into; rename it over ``path`` on success.

    On any exception the temporary is removed and ``path`` is left as it was. With
    ``directory`` the temporary is an (empty) folder, else a file path that does not exist yet.
    """
    target = Path(path)
    check_target(target, force=force)
    parent = target.parent if str(target.parent) else Path(".")
    parent.mkdir(parents=True, exist_ok=True)
    prefix = f".{target.name}.tmp-"
    if directory:
        temporary = Path(tempfile.mkdtemp(prefix=prefix, dir=parent))
        # mkdtemp makes a private (0700) folder; the output gets the mode a plain mkdir would.
        temporary.chmod(0o777 & ~_umask())
    else:
        # Keep the suffix: writers and viewers may go by it (.xlsx, .csv).
        handle, name = tempfile.mkstemp(prefix=prefix, suffix=target.suffix, dir=parent)
        os.close(handle)
        temporary = Path(name)
        temporary.unlink()
    try:
        yield temporary
        if target.exists() or target.is_symlink():
            # Move the old output aside first so a failed rename can restore it.
            backup = Path(tempfile.mkdtemp(prefix=f".{target.name}.old-", dir=parent))
            aside = backup / "old"
            os.replace(target, aside)
            try:
                os.replace(temporary, target)
            except BaseException:
                os.replace(aside, target)
                raise
            finally:
                _remove(backup)
        else:
            os.replace(temporary, target)
    except BaseException:
        _remove(temporary)
        raise
