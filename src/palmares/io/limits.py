"""Reading limits and the guards every reader opens its files with (docs/formats.md, "Limits").

A reader never lets a malformed file escape as a traceback: what cannot be read becomes one
located problem (exit 2) with a bounded message. The limits are explicit so that a hostile or
broken input (a FIFO, a symlink to a device, a 200 KB cell, a 16,000-column header, a TOML
nested 500 deep, a 20,000-level tree) is refused quickly instead of hanging or exhausting memory.
"""

from __future__ import annotations

import csv
import os
import stat
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from palmares.problems import InvalidInput, Problems
from palmares.validation import MAX_TREE_DEPTH

__all__ = ["MAX_TREE_DEPTH"]

#: Characters in one CSV field (a name, a cell). Python's csv default is 131,072.
MAX_FIELD_CHARS = 1 << 20
#: Bytes of a CSV header line (16,384 columns of 64 characters).
MAX_HEADER_BYTES = 1 << 20
#: Columns of one table (Excel's own width).
MAX_COLUMNS = 16_384
#: Nesting depth of a methodology or spec TOML (tables and arrays).
MAX_TOML_DEPTH = 32
#: Bytes of a path and of one path component (Linux PATH_MAX and NAME_MAX).
MAX_PATH_BYTES = 4096
MAX_NAME_BYTES = 255
#: Characters of a problem message, and of a value shown in one.
MAX_MESSAGE_CHARS = 500
MAX_VALUE_CHARS = 200
#: Decompressed bytes of one .xlsx part (a sheet's XML): a zip bomb stops here.
MAX_XLSX_PART_BYTES = 1 << 30

# The stdlib reader refuses fields over its limit with csv.Error: make the limit ours.
csv.field_size_limit(MAX_FIELD_CHARS)


def shown(value: object, limit: int = MAX_VALUE_CHARS) -> str:
    """``repr(value)``, cut to ``limit`` characters with the full length said."""
    text = repr(value)
    if len(text) <= limit:
        return text
    return f"{text[:limit]}… ({len(text):,} characters)"


def path_problem(path: Path) -> str | None:
    """Why ``path`` cannot be an input table (None when it is a readable regular file).

    Regular files only: a folder, a FIFO (which would block), a device or a symlink to one
    (``/dev/zero`` would be read until memory runs out) are refused before opening.
    """
    text = os.fsencode(str(path))
    if b"\x00" in text:
        return "the path holds a NUL character"
    if len(text) > MAX_PATH_BYTES:
        return f"the path is {len(text):,} bytes long (limit {MAX_PATH_BYTES:,})"
    if any(len(part) > MAX_NAME_BYTES for part in text.split(b"/")):
        return f"a path component is over {MAX_NAME_BYTES} bytes"
    try:
        mode = os.stat(path).st_mode  # follows symlinks: what would be read
    except OSError as error:
        return f"cannot read it: {error.strerror or error}"
    if stat.S_ISDIR(mode):
        return "is a folder, not a file"
    if stat.S_ISFIFO(mode):
        return "is a FIFO (named pipe), not a regular file"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "is a device, not a regular file"
    if not stat.S_ISREG(mode):
        return "is not a regular file"
    return None


def read_input_bytes(path: Path, problems: Problems, file: str | None = None) -> bytes | None:
    """The bytes of a regular file, else None with one located problem added."""
    file = file or str(path)
    reason = path_problem(path)
    if reason is None:
        try:
            return path.read_bytes()
        except OSError as error:
            reason = f"cannot read it: {error.strerror or error}"
    problems.add(file, "unreadable-file", reason)
    return None


def require_regular_file(path: Path) -> None:
    """Raise InvalidInput (one located problem) unless ``path`` is a readable regular file."""
    reason = path_problem(path)
    if reason is not None:
        raise InvalidInput.single(str(path), "unreadable-file", reason)


def failure_text(error: BaseException) -> str:
    """A bounded one-line description of a parser's exception."""
    text = " ".join(str(error).split()) or type(error).__name__
    if len(text) > MAX_VALUE_CHARS:
        text = text[:MAX_VALUE_CHARS] + "…"
    return f"{type(error).__name__}: {text}"


@contextmanager
def reading(
    file: str, problems: Problems, what: str, *, sheet: str | None = None
) -> Iterator[None]:
    """Turn any failure of a third-party parser on ``file`` into one located problem.

    ``what`` names the format (``.xlsx workbook``, ``Parquet file``). Memory errors and
    interrupts pass through; everything a corrupt file can raise (zip, zlib, XML, Arrow,
    Unicode, value and index errors) becomes ``unreadable-file``.
    """
    try:
        yield
    except (MemoryError, KeyboardInterrupt, InvalidInput):
        raise
    except RecursionError:
        problems.add(
            file, "unreadable-file", f"not a readable {what}: nested too deep", sheet=sheet
        )
    except Exception as error:
        problems.add(
            file, "unreadable-file", f"not a readable {what}: {failure_text(error)}", sheet=sheet
        )


def check_xlsx_archive(path: Path) -> str | None:
    """Why ``path`` is not a workbook worth opening (None when it looks sane): not a zip, or
    a part that decompresses beyond :data:`MAX_XLSX_PART_BYTES` (a zip bomb)."""
    try:
        with zipfile.ZipFile(path) as archive:
            for info in archive.infolist():
                if info.file_size > MAX_XLSX_PART_BYTES:
                    return (
                        f"part {info.filename!r} would decompress to {info.file_size:,} bytes "
                        f"(limit {MAX_XLSX_PART_BYTES:,})"
                    )
    except (zipfile.BadZipFile, OSError, ValueError, EOFError) as error:
        return f"not a zip archive ({failure_text(error)})"
    return None
