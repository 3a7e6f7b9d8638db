"""Errors as ``application/problem+json`` (RFC 9457) with located problems (contracts section 3).

Every failure a request can cause is an :class:`ApiError` (4xx); anything unexpected is turned
into a problem too, but the routes are written so that bad input never reaches that path.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from pydantic import BaseModel, Field

from palmares.problems import Problem

PROBLEM_JSON = "application/problem+json"
#: At most this many closest valid values in a problem (a hint, not a listing).
MAX_CANDIDATES = 5


class LocatedProblem(BaseModel):
    """One problem located as ``palmares validate --json`` locates it."""

    file: str
    sheet: str | None = None
    row: int | None = None
    column: str | None = None
    code: str
    message: str
    value: str | int | float | bool | None = None


class ProblemDocument(BaseModel):
    """An RFC 9457 problem document."""

    type: str = "about:blank"
    title: str
    status: int
    detail: str
    instance: str | None = None
    problems: list[LocatedProblem] = Field(default_factory=list)
    candidates: list[str] = Field(
        default_factory=list, description="Closest valid values, best first (unknown ids)."
    )


class ApiError(Exception):
    """A request the API refuses, with the HTTP status and what to fix."""

    def __init__(
        self,
        status: int,
        detail: str,
        *,
        title: str | None = None,
        problems: Iterable[Problem | dict[str, Any]] = (),
        candidates: Sequence[str] = (),
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail
        self.title = title or _TITLES.get(status, "Bad request")
        self.problems = [p.to_json() if isinstance(p, Problem) else dict(p) for p in problems]
        self.candidates = list(candidates)[:MAX_CANDIDATES]
        self.headers = headers or {}

    def document(self, instance: str | None = None) -> dict[str, Any]:
        return ProblemDocument(
            title=self.title,
            status=self.status,
            detail=self.detail,
            instance=instance,
            problems=[LocatedProblem(**_located(p)) for p in self.problems],
            candidates=self.candidates,
        ).model_dump()


_TITLES = {
    400: "Bad request",
    401: "Unauthorised",
    403: "Forbidden",
    404: "Not found",
    406: "Not acceptable",
    409: "Conflict",
    413: "Content too large",
    415: "Unsupported media type",
    422: "Unprocessable content",
    500: "Internal error",
}


def _located(p: dict[str, Any]) -> dict[str, Any]:
    value = p.get("value")
    if value is not None and not isinstance(value, (str, int, float, bool)):
        value = str(value)
    return {**p, "value": value}


def not_found(what: str, given: str, candidates: Sequence[str]) -> ApiError:
    candidates = list(candidates)[:MAX_CANDIDATES]
    hint = f"; closest: {', '.join(candidates)}" if candidates else ""
    return ApiError(404, f"unknown {what} {given!r}{hint}", candidates=candidates)


def query_problem(parameter: str, message: str, value: Any = None, code: str = "invalid-value"):  # type: ignore[no-untyped-def]
    """A bad query parameter, located as file ``query``, column = the parameter."""
    return {
        "file": "query",
        "sheet": None,
        "row": None,
        "column": parameter,
        "code": code,
        "message": message,
        "value": value,
    }


def bad_request(parameter: str, message: str, value: Any = None, status: int = 400) -> ApiError:
    return ApiError(
        status, f"{parameter}: {message}", problems=[query_problem(parameter, message, value)]
    )
