"""Crash-safe output: build beside the target, swap in one step, one writer at a time.

Contracts section 1: an output appears only once complete, and a failure leaves the previous
one. Beyond that (issue 19):

- **Old or new at any kill point.** An existing target is swapped with the finished temporary
  sibling by one ``renameat2(RENAME_EXCHANGE)`` (Linux), so there is no moment without a target;
  a new target is one ``rename``. Where the kernel or file system cannot exchange, the old copy
  is moved aside first and restored by the next run if a kill left the target absent.
- **Leftovers are cleaned.** Temporary siblings (``.NAME.tmp-*``, ``.NAME.old-*``) left by a
  killed run are removed by the next run on the same target, under its lock.
- **One writer at a time.** Every write holds an advisory lock per target (``filelock``, in the
  system's temporary folder so no lock file lands beside the user's data). A second writer waits
  up to :data:`LOCK_WAIT` seconds (``PALMARES_LOCK_WAIT``), then exits 2 naming the holder.
- **--force replaces only palmares' own output.** A file output never replaces a folder; a
  folder output replaces only a folder that is a bundle or palmares output (or is empty).
"""

from __future__ import annotations

import ctypes
import errno
import hashlib
import json
import os
import shutil
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any

from filelock import FileLock, Timeout

from palmares.problems import UsageProblem

#: Seconds a second writer waits for the target's lock before giving up (exit 2).
LOCK_WAIT = 10.0
#: Entries a folder palmares writes may hold (tables, layouts, demo charts, markers).
_OWN_STEMS = frozenset(
    (
        "institutions",
        "aliases",
        "lineage",
        "networks",
        "indicators",
        "editions",
        "observations",
        "published",
        "idata",
        "imeta",
    )
)
_OWN_SUFFIXES = frozenset((".csv", ".parquet"))


class OutputExists(UsageProblem):
    """The output path exists and ``force`` was not given."""


class OutputBusy(UsageProblem):
    """Another process holds the lock on the output."""


class NotPalmaresOutput(UsageProblem):
    """``--force`` would replace something palmares did not write."""


# -- ownership ------------------------------------------------------------------------------------


def foreign_entries(folder: Path) -> list[str]:
    """Names in ``folder`` that palmares does not write (sorted): not a table of a bundle or a
    layout, not the demo's ``charts`` folder, not a hidden palmares marker."""
    out = []
    for entry in folder.iterdir():
        name = entry.name
        if name.startswith(".palmares"):
            continue
        if name == "charts" and entry.is_dir() and not entry.is_symlink():
            continue
        if Path(name).suffix.lower() in _OWN_SUFFIXES and Path(name).stem.lower() in _OWN_STEMS:
            continue
        out.append(name)
    return sorted(out)


def is_palmares_folder(folder: Path) -> bool:
    """True when ``folder`` is empty or holds at least one table palmares writes."""
    entries = list(folder.iterdir())
    return not entries or len(foreign_entries(folder)) < len(
        [e for e in entries if not e.name.startswith(".palmares")]
    )


def check_target(path: Path, *, force: bool, directory: bool | None = None) -> None:
    """Refuse an existing output unless ``force``; with ``force`` refuse what palmares did not
    write (a usage problem: the CLI exits 2). ``directory`` says what the output is, if known."""
    path = Path(path)
    if not (path.exists() or path.is_symlink()):
        return
    if not force:
        raise OutputExists(f"{path} exists; pass --force to replace it")
    if path.is_dir() and not path.is_symlink():
        if directory is False:
            raise NotPalmaresOutput(
                f"{path} is a folder: --force replaces a file output, never a folder"
            )
        if not is_palmares_folder(path):
            raise NotPalmaresOutput(
                f"{path} is a folder palmares did not write (no bundle table in it): "
                "--force only replaces palmares output; choose another path or remove it"
            )
    elif directory is True and path.exists() and not path.is_file():
        raise NotPalmaresOutput(f"{path} is not a regular file or folder: not replaced")


# -- locks --------------------------------------------------------------------------------------


def _lock_folder() -> Path:
    folder = Path(tempfile.gettempdir()) / "palmares-locks"
    if not folder.is_dir():
        folder.mkdir(exist_ok=True)
        with suppress(OSError):
            folder.chmod(0o1777)  # shared by every user, like /tmp itself
    return folder


def _lock_file(target: Path) -> Path:
    parent = target.parent if str(target.parent) else Path(".")
    key = os.fsencode(str(parent.resolve() / target.name))
    return _lock_folder() / (hashlib.sha256(key).hexdigest()[:32] + ".lock")


def _wait() -> float:
    try:
        return float(os.environ.get("PALMARES_LOCK_WAIT", LOCK_WAIT))
    except ValueError:
        return LOCK_WAIT


_held: dict[Path, int] = {}


@contextmanager
def target_lock(target: str | Path) -> Iterator[None]:
    """Hold the advisory lock of ``target`` (re-entrant within a process).

    A second process waits up to :data:`LOCK_WAIT` seconds, then raises :class:`OutputBusy`
    naming the holder (pid and command).
    """
    path = Path(target)
    lock_path = _lock_file(path)
    if _held.get(lock_path):
        _held[lock_path] += 1
        try:
            yield
        finally:
            _held[lock_path] -= 1
        return
    lock = FileLock(lock_path, timeout=_wait(), thread_local=False)
    owner = lock_path.with_suffix(".owner")
    try:
        lock.acquire()
    except Timeout:
        raise OutputBusy(
            f"{path} is being written by another palmares process ({_holder(owner)}); "
            "try again when it has finished"
        ) from None
    _held[lock_path] = 1
    try:
        with suppress(OSError):
            owner.write_text(
                json.dumps({"pid": os.getpid(), "command": " ".join(sys.argv)[:300]}),
                encoding="utf-8",
            )
        yield
    finally:
        _held.pop(lock_path, None)
        lock.release()


def _holder(owner: Path) -> str:
    try:
        data = json.loads(owner.read_text(encoding="utf-8"))
        return f"pid {int(data['pid'])}: {str(data.get('command', ''))[:200]}"
    except (OSError, ValueError, KeyError, TypeError):
        return "holder unknown"


# -- swapping ------------------------------------------------------------------------------------

_AT_FDCWD = -100
_RENAME_EXCHANGE = 2
_renameat2: Any = None
with suppress(AttributeError, OSError):  # not glibc, or too old: no exchange
    _renameat2 = ctypes.CDLL(None, use_errno=True).renameat2


def _exchange(first: Path, second: Path) -> bool:
    """Swap two paths in one step (True), or False when the system cannot."""
    if _renameat2 is None:
        return False
    done = _renameat2(
        _AT_FDCWD, os.fsencode(str(first)), _AT_FDCWD, os.fsencode(str(second)), _RENAME_EXCHANGE
    )
    if done == 0:
        return True
    code = ctypes.get_errno()
    if code in (errno.ENOSYS, errno.EINVAL, errno.ENOTSUP, errno.EPERM):
        return False
    raise OSError(code, os.strerror(code), str(second))


def _remove(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path, ignore_errors=True)
    elif path.exists() or path.is_symlink():
        path.unlink()


def clean_leftovers(target: Path) -> None:
    """Remove what a killed run on ``target`` left beside it; restore an old copy a kill left
    aside when the target itself is absent (only without an atomic exchange). Call under
    :func:`target_lock`."""
    parent = target.parent if str(target.parent) else Path(".")
    if not parent.is_dir():
        return
    name = target.name
    olds = sorted(parent.glob(f".{name}.old-*"), key=lambda p: p.stat().st_mtime)
    if olds and not (target.exists() or target.is_symlink()):
        aside = olds[-1] / "old"
        if aside.exists() or aside.is_symlink():
            os.replace(aside, target)
    for leftover in [*olds, *parent.glob(f".{name}.tmp-*")]:
        _remove(leftover)


def _umask() -> int:
    current = os.umask(0)
    os.umask(current)
    return current


def swap_into_place(temporary: Path, target: Path) -> None:
    """Put ``temporary`` at ``target`` in one step; the old target (if any) is discarded."""
    if not (target.exists() or target.is_symlink()):
        os.replace(temporary, target)
        return
    if not (temporary.is_dir() or target.is_dir()):
        os.replace(temporary, target)  # a file over a file (or a link): one rename
        return
    if _exchange(temporary, target):
        _remove(temporary)  # now the old output
        return
    # No exchange here: move the old aside, rename, drop the old (restored by the next run
    # if a kill falls between the two renames).
    backup = Path(tempfile.mkdtemp(prefix=f".{target.name}.old-", dir=target.parent))
    aside = backup / "old"
    os.replace(target, aside)
    try:
        os.replace(temporary, target)
    except BaseException:
        os.replace(aside, target)
        raise
    finally:
        _remove(backup)


@contextmanager
def atomic_path(
    path: str | Path, *, force: bool = False, directory: bool = False
) -> Iterator[Path]:
    """Yield a temporary sibling of ``path`` to write into; swap it in for ``path`` on success.

    On any exception the temporary is removed and ``path`` is left as it was. With
    ``directory`` the temporary is an (empty) folder, else a file path that does not exist yet.
    The target's lock is held throughout; leftovers of killed runs are cleaned first.
    """
    target = Path(path)
    parent = target.parent if str(target.parent) else Path(".")
    parent.mkdir(parents=True, exist_ok=True)
    with target_lock(target):
        clean_leftovers(target)
        check_target(target, force=force, directory=directory)
        prefix = f".{target.name}.tmp-"
        if directory:
            temporary = Path(tempfile.mkdtemp(prefix=prefix, dir=parent))
            # mkdtemp makes a private (0700) folder; the output gets the mode of a plain mkdir.
            temporary.chmod(0o777 & ~_umask())
        else:
            # Keep the suffix: writers and viewers may go by it (.xlsx, .csv).
            handle, name = tempfile.mkstemp(prefix=prefix, suffix=target.suffix, dir=parent)
            os.close(handle)
            temporary = Path(name)
            temporary.unlink()
        try:
            yield temporary
            swap_into_place(temporary, target)
        except BaseException:
            _remove(temporary)
            raise


__all__ = [
    "LOCK_WAIT",
    "NotPalmaresOutput",
    "OutputBusy",
    "OutputExists",
    "atomic_path",
    "check_target",
    "clean_leftovers",
    "foreign_entries",
    "is_palmares_folder",
    "swap_into_place",
    "target_lock",
]
