"""Errors as ``application/problem+json`` (RFC 9457) with located problems (contracts section 3).

Every failure a request can cause is an :class:`ApiError` (4xx); anything unexpected is turned
into a problem too, but the routes are written so that bad input never reaches that path.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from pydantic import BaseModel, Field

from palmares.problems import Problem
from palmares.translatable import Translatable, localise, tr, tr_n

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
        self.title = title or _TITLES.get(status) or _TITLES[400]
        self.problems = [p.to_json() if isinstance(p, Problem) else dict(p) for p in problems]
        self.candidates = list(candidates)[:MAX_CANDIDATES]
        self.headers = headers or {}

    def document(self, instance: str | None = None, lang: str | None = None) -> dict[str, Any]:
        """The problem document; ``title``, ``detail`` and the messages palmares wrote for the
        request (not the located data problems, English by contract) said in ``lang``."""
        return ProblemDocument(
            title=localise(self.title, lang),
            status=self.status,
            detail=localise(self.detail, lang),
            instance=instance,
            problems=[LocatedProblem(**_located(p, lang)) for p in self.problems],
            candidates=self.candidates,
        ).model_dump()


_TITLES = {
    400: tr("Bad request"),
    401: tr("Unauthorised"),
    403: tr("Forbidden"),
    404: tr("Not found"),
    406: tr("Not acceptable"),
    409: tr("Conflict"),
    413: tr("Content too large"),
    415: tr("Unsupported media type"),
    422: tr("Unprocessable content"),
    500: tr("Internal error"),
}


def _located(p: dict[str, Any], lang: str | None = None) -> dict[str, Any]:
    value = p.get("value")
    if value is not None and not isinstance(value, (str, int, float, bool)):
        value = str(value)
    return {**p, "message": localise(p.get("message", ""), lang), "value": value}


def not_found(what: Any, given: str, candidates: Sequence[str]) -> ApiError:
    """404 ``unknown <what> 'given'; closest: ...``: ``what`` is the phrase from the catalogue
    (``tr("unknown country")``: French makes the adjective agree) or a bare English noun."""
    candidates = list(candidates)[:MAX_CANDIDATES]
    hint = tr("; closest: {names}", names=", ".join(candidates)) if candidates else ""
    unknown = what if isinstance(what, Translatable) else f"unknown {what}"
    detail = tr("{unknown} {given!r}{hint}", unknown=unknown, given=given, hint=hint)
    return ApiError(404, detail, candidates=candidates)


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


def invalid_input(error: Any) -> ApiError:
    """422 for located problems (an :class:`~palmares.problems.InvalidInput`): ``N error(s) in
    input:``, the problems in English as ``palmares validate`` writes them (contracts 3)."""
    errors = sum(p.severity == "error" for p in error.problems)
    detail = tr_n("{n} error(s) in input:", "{n} error(s) in input:", errors)
    return ApiError(422, detail, problems=error.problems)


def bad_request(parameter: str, message: str, value: Any = None, status: int = 400) -> ApiError:
    detail = tr("{parameter}: {message}", parameter=parameter, message=message)
    return ApiError(status, detail, problems=[query_problem(parameter, message, value)])
