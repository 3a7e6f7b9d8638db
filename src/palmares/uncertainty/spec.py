"""The uncertainty spec: what a Monte Carlo run varies, as validated TOML.

A spec is its own TOML file, either at top level or under an ``[uncertainty]`` table::

    [uncertainty]
    chunk = 1000                  # draws per chunk (fixes RNG streams and memory)
    quantiles = [0.05, 0.95]
    top_k = 10

    [uncertainty.weights]
    method = "dirichlet"          # "dirichlet" | "uniform" | "none"
    concentration = 50            # Dirichlet: alpha_j = concentration x nominal share
    spread = 0.25                 # uniform: each weight x U(1 - spread, 1 + spread)
    parents = ["x.teaching"]      # optional: only the children of these nodes vary

    [[uncertainty.alternatives]]  # the methodology's own step is always option 0
    step = "normalise"            # a step type the methodology has
    index = 4                     # which [[steps]] entry, when it has several of that type
    options = [{ method = "zscore" }, { method = "rank" }]

    [uncertainty.exclude]         # each draw drops none or one of these nodes
    nodes = ["x.a", "x.b"]

    [uncertainty.noise]           # data noise: raw values x exp(sigma e), whole engine per copy
    relative = 0.05
    per_indicator = { "x.a" = 0.2 }
    replicates = 20
    bootstrap = false             # also resample the population of the leaf statistics

Problems are located like methodology errors: ``FILE:-:LINE:alternatives[0].step: reason``.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from palmares.methodology import STEP_KINDS, STEP_REGISTRY, Methodology
from palmares.methodology.locate import PathPart, format_path, key_lines, line_of
from palmares.problems import InvalidInput, Problems

CODE = "invalid-uncertainty"
#: Step types an alternative may replace (the ones whose choice the JRC audits vary).
VARIABLE_STEPS = ("impute", "treat", "normalise", "aggregate", "weight", "points", "grade")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)


class WeightPerturbation(_Strict):
    """How weights vary around the nominal ones, within each group of siblings."""

    method: Literal["dirichlet", "uniform", "none"] = "dirichlet"
    concentration: Annotated[float, Field(gt=0)] = 50.0
    spread: Annotated[float, Field(ge=0, lt=1)] = 0.25
    parents: list[str] | None = None


class Alternative(_Strict):
    """Replacements of one methodology step; the step as written is option 0."""

    step: str
    index: Annotated[int, Field(ge=0)] | None = None
    options: Annotated[list[dict[str, Any]], Field(min_length=1)]

    @field_validator("step")
    @classmethod
    def _variable(cls, value: str) -> str:
        if value not in VARIABLE_STEPS:
            raise ValueError(f"an alternative replaces one of: {', '.join(VARIABLE_STEPS)}")
        return value


class Exclusion(_Strict):
    """Indicator inclusion or exclusion: each draw drops none or one of ``nodes``."""

    nodes: Annotated[list[str], Field(min_length=1)]


class Noise(_Strict):
    """Data noise: each present raw value times exp(sigma e), e ~ N(0, 1), per indicator.

    ``replicates`` noisy copies of the data are run through the whole engine (every step, with
    statistics on the noisy data); each draw uses one of them at random. With ``bootstrap``,
    each replicate also resamples, with replacement, the institutions whose values define the
    statistics of the leaf steps (min, max, mean, sd, median, quantiles of imputation,
    treatment, normalisation, points and grades); every institution is still scored. Set
    ``relative = 0`` for the bootstrap alone.
    """

    relative: Annotated[float, Field(ge=0, le=2)] = 0.05
    per_indicator: dict[str, Annotated[float, Field(ge=0, le=2)]] = Field(default_factory=dict)
    replicates: Annotated[int, Field(ge=1, le=1000)] = 20
    bootstrap: bool = False

    @property
    def perturbs_values(self) -> bool:
        """Whether the copies' values differ from the data (a sigma above 0)."""
        return self.relative > 0 or any(v > 0 for v in self.per_indicator.values())


class UncertaintySpec(_Strict):
    """A validated uncertainty spec; build one with :func:`load_spec` or ``UncertaintySpec()``."""

    chunk: Annotated[int, Field(ge=1, le=1_000_000)] = 1000
    quantiles: tuple[float, float] = (0.05, 0.95)
    top_k: Annotated[int, Field(ge=1)] = 10
    weights: WeightPerturbation = Field(default_factory=WeightPerturbation)
    alternatives: list[Alternative] = Field(default_factory=list)
    exclude: Exclusion | None = None
    noise: Noise | None = None

    @field_validator("quantiles")
    @classmethod
    def _ordered(cls, value: tuple[float, float]) -> tuple[float, float]:
        lo, hi = value
        if not 0 <= lo < hi <= 1:
            raise ValueError(f"quantiles need 0 <= low < high <= 1, got [{lo:g}, {hi:g}]")
        return value


@dataclass(frozen=True)
class SpecSource:
    """Where a spec came from, to locate problems found against a methodology or a tree."""

    file: str = "<spec>"
    prefix: tuple[PathPart, ...] = ()
    lines: dict[tuple[PathPart, ...], int] | None = None

    def problem(self, problems: Problems, path: Sequence[PathPart], message: str) -> None:
        full = (*self.prefix, *path)
        problems.add(
            self.file,
            CODE,
            message,
            row=line_of(self.lines or {}, full),
            column=format_path(full) or "-",
        )


@dataclass(frozen=True)
class LoadedSpec:
    spec: UncertaintySpec
    source: SpecSource


def parse_spec(text: str, file: str = "<text>") -> LoadedSpec:
    """Validate a spec text; raise :class:`InvalidInput` listing every located problem."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise InvalidInput.single(file, "invalid-toml", f"not valid TOML: {error}") from error
    prefix: tuple[PathPart, ...] = ()
    if "uncertainty" in data:
        other = [k for k in data if k != "uncertainty"]
        body = data["uncertainty"]
        prefix = ("uncertainty",)
        if other:
            raise InvalidInput.single(
                file, CODE, f"unknown section {other[0]!r} beside [uncertainty]", column=other[0]
            )
    else:
        body = data
    try:
        lines = key_lines(text)
    except (ValueError, IndexError):
        lines = {}
    source = SpecSource(file, prefix, lines)
    try:
        spec = UncertaintySpec.model_validate(body)
    except ValidationError as error:
        problems = Problems()
        for item in error.errors():
            loc = tuple(p for p in item["loc"] if p != "[key]")
            reason = item["msg"].removeprefix("Value error, ")
            if item["type"] == "extra_forbidden":
                reason = f"unknown key {str(loc[-1])!r}"
            source.problem(problems, loc, reason)
        raise InvalidInput(problems) from None
    return LoadedSpec(spec, source)


def load_spec(path_or_text: str | os.PathLike[str]) -> LoadedSpec:
    """Load a spec from a path, or from TOML text (a string with a newline)."""
    if isinstance(path_or_text, str) and "\n" in path_or_text:
        return parse_spec(path_or_text)
    path = Path(path_or_text)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except OSError as error:
        raise InvalidInput.single(
            str(path), CODE, f"cannot read the file: {error.strerror}"
        ) from error
    return parse_spec(text, str(path))


def _steps_of(m: Methodology, step_type: str) -> list[int]:
    """Indices of the steps of one type (none for a type the catalogue lacks)."""
    kind = STEP_KINDS.get(step_type)
    return [i for i, s in enumerate(m.steps) if kind is not None and isinstance(s, kind)]


def step_index(m: Methodology, alternative: Alternative) -> int | None:
    """The ``[[steps]]`` entry an alternative replaces (None when it cannot be told)."""
    found = _steps_of(m, alternative.step)
    if alternative.index is not None:
        return alternative.index if alternative.index in found else None
    return found[0] if len(found) == 1 else None


def check_spec(loaded: LoadedSpec, m: Methodology, tree_ids: Sequence[str] | None = None) -> None:
    """Check a spec against a methodology (and its tree).

    Raises :class:`InvalidInput` when an alternative varies a step the methodology lacks, an
    option is not a valid step, or a node is not in the tree.
    """
    spec, source = loaded.spec, loaded.source
    problems = Problems()
    for a, alt in enumerate(spec.alternatives):
        found = _steps_of(m, alt.step)
        at: tuple[PathPart, ...] = ("alternatives", a)
        if not found:
            source.problem(
                problems,
                (*at, "step"),
                f"the methodology {m.id!r} has no {alt.step!r} step to vary "
                f"(add one to the methodology first)",
            )
            continue
        if alt.index is not None and alt.index not in found:
            source.problem(
                problems,
                (*at, "index"),
                f"steps[{alt.index}] of {m.id!r} is not a {alt.step!r} step "
                f"(its {alt.step} steps: {', '.join(map(str, found))})",
            )
            continue
        if alt.index is None and len(found) > 1:
            source.problem(
                problems,
                (*at, "step"),
                f"{m.id!r} has several {alt.step!r} steps ({', '.join(map(str, found))}): "
                "give index",
            )
            continue
        nominal = m.steps[found[0] if alt.index is None else alt.index]
        base = nominal.model_dump(mode="json", exclude={"overrides"})
        for o, option in enumerate(alt.options):
            table: dict[str, Any] = {
                **{k: base[k] for k in ("type", "nodes", "level") if k in base},
                **option,
            }
            table.setdefault("method", base["method"])
            if option.get("type", alt.step) != alt.step:
                source.problem(problems, (*at, "options", o, "type"), "an option keeps the type")
                continue
            cls = STEP_REGISTRY.get((alt.step, str(table["method"])))
            if cls is None:
                source.problem(
                    problems,
                    (*at, "options", o, "method"),
                    f"unknown method {table['method']!r} for a {alt.step} step",
                )
                continue
            try:
                cls.model_validate(table)
            except ValidationError as error:
                for item in error.errors():
                    loc = tuple(p for p in item["loc"] if p != "[key]")
                    source.problem(
                        problems,
                        (*at, "options", o, *loc),
                        item["msg"].removeprefix("Value error, "),
                    )
    known = set(tree_ids) if tree_ids is not None else _inline_ids(m)
    if known is not None:
        if spec.weights.parents is not None:
            for p, node in enumerate(spec.weights.parents):
                if node not in known:
                    source.problem(
                        problems, ("weights", "parents", p), f"unknown node {node!r} in the tree"
                    )
        if spec.noise is not None:
            for node in spec.noise.per_indicator:
                if node not in known:
                    source.problem(
                        problems, ("noise", "per_indicator", node), f"unknown node {node!r}"
                    )
        if spec.exclude is not None:
            for p, node in enumerate(spec.exclude.nodes):
                if node not in known:
                    source.problem(
                        problems, ("exclude", "nodes", p), f"unknown node {node!r} in the tree"
                    )
    if problems.errors:
        raise InvalidInput(problems)


def _inline_ids(m: Methodology) -> set[str] | None:
    tree = m.inline_tree()
    return None if tree is None else set(tree.ids)


def option_methodology(m: Methodology, alt: Alternative, option: int) -> Methodology:
    """The methodology with option ``option`` of ``alt`` (0 = as written) in place."""
    if option == 0:
        return m
    index = step_index(m, alt)
    if index is None:
        raise ValueError(f"alternative on {alt.step!r} does not match one step")
    nominal = m.steps[index]
    base = nominal.model_dump(mode="json", exclude={"overrides"})
    table: dict[str, Any] = {
        **{k: base[k] for k in ("type", "nodes", "level") if k in base},
        **alt.options[option - 1],
    }
    table.setdefault("method", base["method"])
    cls = STEP_REGISTRY[(alt.step, str(table["method"]))]
    steps: list[Any] = list(m.steps)
    steps[index] = cls.model_validate(table)
    return m.model_copy(update={"steps": steps})
