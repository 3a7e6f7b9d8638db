"""Line numbers of TOML keys: ``tomllib`` gives values but no positions, so this scanner does.

:func:`key_lines` reads a (syntactically valid) TOML text and maps every key path to the line
where it is defined. A path is a tuple of keys and array indices: ``("steps", 3, "method")`` for
the key ``method`` of the fourth ``[[steps]]`` table, ``("editions", "from")`` for a key of an
inline table, ``("range", 1)`` for the second element of an array. :func:`line_of` finds the line
of a path, falling back to its longest defined prefix (a missing key is reported where its table
starts). :func:`format_path` renders a path as ``steps[3].overrides."demo.x".range``.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

PathPart = str | int
Path = tuple[PathPart, ...]

_BARE = re.compile(r"[A-Za-z0-9_-]+")
_SCALAR_END = set(",]}#\n\r")


class _Scanner:
    def __init__(self, text: str) -> None:
        self.text = text
        self.pos = 0
        self.line = 1
        self.lines: dict[Path, int] = {}
        self._table_arrays: dict[Path, int] = {}

    # -- low-level movement -----------------------------------------------------------------

    def _peek(self, offset: int = 0) -> str:
        i = self.pos + offset
        return self.text[i] if i < len(self.text) else ""

    def _advance(self, count: int = 1) -> None:
        chunk = self.text[self.pos : self.pos + count]
        self.line += chunk.count("\n")
        self.pos += count

    def _skip_space(self, newlines: bool = False) -> None:
        """Skip blanks (and comments and newlines when ``newlines``)."""
        while self.pos < len(self.text):
            ch = self._peek()
            if ch in " \t" or (newlines and ch in "\r\n"):
                self._advance()
            elif ch == "#":
                while self.pos < len(self.text) and self._peek() not in "\r\n":
                    self._advance()
            else:
                return

    def _record(self, path: Path, line: int) -> None:
        self.lines.setdefault(path, line)

    # -- keys and strings -------------------------------------------------------------------

    def _string(self) -> str:
        """Read a basic or literal string (single- or multi-line) and return its content."""
        quote = self._peek()
        if self.text.startswith(quote * 3, self.pos):
            self._advance(3)
            end = self.text.find(quote * 3, self.pos)
            # A multi-line string may end with up to two extra quotes before the delimiter.
            while self.text.startswith(quote, end + 3):
                end += 1
            content = self.text[self.pos : end]
            self._advance(end + 3 - self.pos)
            return content
        self._advance()
        out: list[str] = []
        while self._peek() != quote:
            ch = self._peek()
            if ch == "\\" and quote == '"':
                out.append(self.text[self.pos : self.pos + 2])
                self._advance(2)
            else:
                out.append(ch)
                self._advance()
        self._advance()
        content = "".join(out)
        if quote == '"' and "\\" in content:
            content = content.encode("latin-1", "backslashreplace").decode("unicode_escape")
        return content

    def _key(self) -> list[str]:
        """Read a dotted key (``a."b.c".d``) into its parts."""
        parts: list[str] = []
        while True:
            self._skip_space()
            if self._peek() in "\"'":
                parts.append(self._string())
            else:
                match = _BARE.match(self.text, self.pos)
                if match is None:
                    raise ValueError(f"cannot read a key at line {self.line}")
                parts.append(match.group())
                self._advance(len(match.group()))
            self._skip_space()
            if self._peek() == ".":
                self._advance()
                continue
            return parts

    # -- values -----------------------------------------------------------------------------

    def _value(self, path: Path) -> None:
        ch = self._peek()
        if ch in "\"'":
            self._string()
        elif ch == "[":
            self._array(path)
        elif ch == "{":
            self._inline_table(path)
        else:
            while self.pos < len(self.text) and self._peek() not in _SCALAR_END:
                self._advance()

    def _array(self, path: Path) -> None:
        self._advance()  # [
        index = 0
        while True:
            self._skip_space(newlines=True)
            if self._peek() == "]":
                self._advance()
                return
            self._record((*path, index), self.line)
            self._value((*path, index))
            index += 1
            self._skip_space(newlines=True)
            if self._peek() == ",":
                self._advance()

    def _inline_table(self, path: Path) -> None:
        self._advance()  # {
        while True:
            self._skip_space()
            if self._peek() == "}":
                self._advance()
                return
            self._key_value(path)
            self._skip_space()
            if self._peek() == ",":
                self._advance()

    def _key_value(self, table: Path) -> None:
        line = self.line
        parts = self._key()
        for i in range(1, len(parts) + 1):
            self._record((*table, *parts[:i]), line)
        self._skip_space()
        self._advance()  # =
        self._skip_space()
        self._value((*table, *parts))

    # -- tables -----------------------------------------------------------------------------

    def _resolve(self, parts: Sequence[str]) -> Path:
        """Resolve a header's key to a path: arrays of tables refer to their last element."""
        path: Path = ()
        for part in parts:
            path = (*path, part)
            if path in self._table_arrays:
                path = (*path, self._table_arrays[path] - 1)
        return path

    def _header(self) -> Path:
        line = self.line
        is_array = self.text.startswith("[[", self.pos)
        self._advance(2 if is_array else 1)
        parts = self._key()
        self._advance(2 if is_array else 1)
        if is_array:
            parent = self._resolve(parts[:-1])
            array = (*parent, parts[-1])
            index = self._table_arrays.get(array, 0)
            self._table_arrays[array] = index + 1
            self._record(array, line)
            path: Path = (*array, index)
        else:
            path = self._resolve(parts)
        for i in range(1, len(path) + 1):
            self._record(path[:i], line)
        return path

    def scan(self) -> dict[Path, int]:
        table: Path = ()
        while True:
            self._skip_space(newlines=True)
            if self.pos >= len(self.text):
                return self.lines
            if self._peek() == "[":
                table = self._header()
            else:
                self._key_value(table)


def key_lines(text: str) -> dict[Path, int]:
    """Map every key path of a valid TOML text to the (1-based) line where it is defined."""
    return _Scanner(text).scan()


def line_of(lines: dict[Path, int], path: Sequence[PathPart]) -> int | None:
    """Line of ``path``, else of its longest defined prefix; None if nothing matches."""
    for end in range(len(path), 0, -1):
        found = lines.get(tuple(path[:end]))
        if found is not None:
            return found
    return None


def format_path(path: Sequence[PathPart]) -> str:
    """``("steps", 3, "overrides", "demo.x")`` -> ``steps[3].overrides."demo.x"``."""
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            text = part if _BARE.fullmatch(part) else '"' + part.replace('"', '\\"') + '"'
            out += f".{text}" if out else text
    return out
