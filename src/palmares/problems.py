"""Located problems in user input, collected all at once.

Every reader and validator appends :class:`Problem` records instead of raising at the first one,
so a user sees every problem of a file in one run. A command that meets errors raises
:class:`InvalidInput` carrying all of them; the CLI turns it into exit status 2.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any, Literal

Severity = Literal["error", "warning"]

#: Stable problem codes (contracts section 3). Extend, never rename.
CODES: tuple[str, ...] = (
    "empty-file",
    "header-only",
    "missing-column",
    "unknown-column",
    "duplicate-column",
    "encoding",
    "duplicate-id",
    "unknown-institution",
    "unknown-indicator",
    "unknown-edition",
    "unknown-network-member",
    "duplicate-observation",
    "not-a-number",
    "non-finite",
    "unknown-status",
    "value-status-mismatch",
    "invalid-country",
    "invalid-direction",
    "invalid-decimals",
    "invalid-year",
    "unknown-parent",
    "cycle",
    "excel-error-cell",
    # Extensions beyond the contract's minimum list.
    "invalid-id",
    "missing-value",
    "invalid-value",
    "missing-table",
    "table-too-large",
    "unknown-table",
    "field-count",
    # Reading limits and unreadable files (palmares.io.limits).
    "unreadable-file",
    "limit-exceeded",
    # Methodology files (palmares.methodology).
    "invalid-methodology",
    "invalid-toml",
    "unknown-preset",
    # Uncertainty specs (palmares.uncertainty).
    "invalid-uncertainty",
)


_MAX_MESSAGE = 500
_MAX_VALUE = 200


@dataclass(frozen=True, order=True)
class Problem:
    """One problem, located as a spreadsheet user would find it.

    ``row`` is the row number a spreadsheet shows (header = 1, first data row = 2); ``None``
    for file- or table-level problems, as is ``column``.
    """

    file: str
    sheet: str | None
    row: int | None
    column: str | None
    code: str
    message: str
    value: Any = None
    severity: Severity = "error"

    def sort_key(self) -> tuple[str, str, int, str, str]:
        return (self.file, self.sheet or "", self.row or 0, self.column or "", self.code)

    def to_text(self) -> str:
        sheet = self.sheet if self.sheet is not None else "-"
        row = str(self.row) if self.row is not None else "-"
        column = self.column if self.column is not None else "-"
        return f"{self.file}:{sheet}:{row}:{column}: {self.code}: {self.message}"

    def to_json(self) -> dict[str, Any]:
        value = self.value
        if value is not None and not isinstance(value, (str, int, float, bool)):
            value = str(value)
        if isinstance(value, float) and value != value:  # NaN is not JSON
            value = None
        return {
            "file": self.file,
            "sheet": self.sheet,
            "row": self.row,
            "column": self.column,
            "code": self.code,
            "message": self.message,
            "value": value,
        }


@dataclass
class Problems:
    """An ordered collection of problems with helpers to add located ones."""

    items: list[Problem] = field(default_factory=list)

    def add(
        self,
        file: str,
        code: str,
        message: str,
        *,
        sheet: str | None = None,
        row: int | None = None,
        column: str | None = None,
        value: Any = None,
        severity: Severity = "error",
    ) -> None:
        if code not in CODES:
            raise ValueError(f"unknown problem code {code!r}")
        # Bounded: a 200 KB cell or a 5,000-node cycle must not make a 600 MB message.
        if len(message) > _MAX_MESSAGE:
            message = f"{message[:_MAX_MESSAGE]}… ({len(message):,} characters)"
        if isinstance(value, str) and len(value) > _MAX_VALUE:
            value = f"{value[:_MAX_VALUE]}… ({len(value):,} characters)"
        self.items.append(Problem(file, sheet, row, column, code, message, value, severity))

    def extend(self, problems: Iterable[Problem]) -> None:
        self.items.extend(problems)

    def __iter__(self) -> Iterator[Problem]:
        return iter(self.items)

    def __len__(self) -> int:
        return len(self.items)

    @property
    def errors(self) -> list[Problem]:
        return sorted((p for p in self.items if p.severity == "error"), key=Problem.sort_key)

    @property
    def warnings(self) -> list[Problem]:
        return sorted((p for p in self.items if p.severity == "warning"), key=Problem.sort_key)

    def raise_if_errors(self) -> None:
        if self.errors:
            raise InvalidInput(self.items)


class UsageProblem(Exception):
    """A command-line or API input the user must fix (a path, an option); the CLI exits 2."""


class InvalidInput(Exception):
    """Bad input: carries every located problem found. The CLI exits 2 on it."""

    def __init__(self, problems: Iterable[Problem]) -> None:
        self.problems = sorted(problems, key=Problem.sort_key)
        errors = [p for p in self.problems if p.severity == "error"]
        head = "\n".join(p.to_text() for p in errors[:20])
        more = f"\n... and {len(errors) - 20} more" if len(errors) > 20 else ""
        super().__init__(f"{len(errors)} error(s) in input:\n{head}{more}")

    @classmethod
    def single(cls, file: str, code: str, message: str, **where: Any) -> InvalidInput:
        problems = Problems()
        problems.add(file, code, message, **where)
        return cls(problems)
