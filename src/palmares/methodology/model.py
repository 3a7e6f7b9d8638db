"""The methodology schema: pydantic models of a validated methodology file.

Every section forbids unknown keys. A step is one model per (type, method) pair of the step
catalogue (``/docs/methodology-format.md``); its parameters are flat fields of the step table, so
the TOML reads ``type = "normalise"``, ``method = "minmax"``, ``range = [0, 100]``. Structural
rules (types, bounds, required keys) live here; rules that need the whole file (node references,
range propagation, ranking against the steps) live in :mod:`palmares.methodology.checks`.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import math
from collections.abc import Mapping
from typing import Annotated, Any, ClassVar, Literal, Self

from pydantic import (
    BaseModel,
    ConfigDict,
    Discriminator,
    Field,
    PrivateAttr,
    StringConstraints,
    Tag,
    field_validator,
    model_validator,
)

from palmares.methodology.intervals import (
    REAL,
    ChildrenInput,
    Interval,
    Kind,
    RangeInput,
    who,
)
from palmares.tree import Tree

Id = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9._-]+$")]
Year = Annotated[int, Field(ge=1900, le=2200)]
Weight = Annotated[float, Field(ge=0)]
EditionKey = Annotated[str, StringConstraints(pattern=r"^(default|[0-9]{4})$")]


class Strict(BaseModel):
    """Base of every section: unknown keys are errors, values are finite, models are frozen."""

    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)


# --- [methodology] -----------------------------------------------------------------------------


class EditionRange(Strict):
    """Inclusive range of edition years; ``to`` omitted means every later edition."""

    model_config = ConfigDict(populate_by_name=True)

    from_: Year = Field(alias="from")
    to: Year | None = None

    @model_validator(mode="after")
    def _ordered(self) -> EditionRange:
        if self.to is not None and self.to < self.from_:
            raise ValueError(f"'to' ({self.to}) is before 'from' ({self.from_})")
        return self

    def __contains__(self, year: object) -> bool:
        return isinstance(year, int) and self.from_ <= year and (self.to is None or year <= self.to)

    def describe(self) -> str:
        return f"{self.from_}-{self.to}" if self.to is not None else f"{self.from_}+"


def _editions_tag(value: Any) -> str | None:
    if isinstance(value, (dict, EditionRange)):
        return "edition-range"
    if isinstance(value, list):
        return "edition-list"
    return None


class Header(Strict):
    """The ``[methodology]`` table: what the file is and which editions it applies to."""

    id: Id
    system: Id
    version: str
    label_en: str
    label_fr: str | None = None
    editions: Annotated[
        Annotated[EditionRange, Tag("edition-range")] | Annotated[list[Year], Tag("edition-list")],
        Discriminator(
            _editions_tag,
            custom_error_type="editions",
            custom_error_message=(
                "editions is a range { from = YEAR, to = YEAR } or a list of years"
            ),
        ),
    ]
    description: str = ""
    assumptions: list[str] = Field(default_factory=list)

    @field_validator("editions")
    @classmethod
    def _editions(cls, value: EditionRange | list[int]) -> EditionRange | list[int]:
        if isinstance(value, list):
            if not value:
                raise ValueError("list at least one edition year")
            if len(set(value)) != len(value):
                raise ValueError("an edition year is listed twice")
            return sorted(value)
        return value

    def applies_to(self, year: int) -> bool:
        if isinstance(self.editions, EditionRange):
            return year in self.editions
        return year in self.editions

    def describe_editions(self) -> str:
        if isinstance(self.editions, EditionRange):
            return self.editions.describe()
        return ", ".join(map(str, self.editions))


# --- [tree] ------------------------------------------------------------------------------------


class TreeNode(Strict):
    id: Id
    parent: Id | None = None
    direction: Literal["higher", "lower"] | None = None
    label_en: str | None = None
    label_fr: str | None = None


class TreeSpec(Strict):
    """``source = "bundle"`` takes the bundle's indicator tree; ``"inline"`` lists the nodes."""

    source: Literal["bundle", "inline"] = "bundle"
    nodes: list[TreeNode] = Field(default_factory=list)

    @model_validator(mode="after")
    def _nodes_match_source(self) -> TreeSpec:
        if self.source == "inline" and not self.nodes:
            raise ValueError("an inline tree lists its nodes in [[tree.nodes]]")
        if self.source == "bundle" and self.nodes:
            raise ValueError('[[tree.nodes]] needs source = "inline"')
        return self


# --- [[steps]] ---------------------------------------------------------------------------------

#: Keys every step may carry besides its parameters; they cannot be overridden per node.
COMMON_STEP_KEYS: frozenset[str] = frozenset(
    {"type", "method", "name", "nodes", "level", "overrides"}
)


class StepBase(Strict):
    """Keys shared by every step: its scope and its per-node parameter overrides.

    ``nodes`` (explicit node ids) or ``level`` (tree depth, root = 0) narrow the scope; the
    default scope is the leaves for leaf-wise steps, every inner node for ``weight`` and
    ``aggregate``, the root for ``rescale`` and ``round``. ``overrides`` maps a node id to
    parameter values replacing the step's own for that node.
    """

    type: str
    method: str
    name: str | None = None
    nodes: list[Id] | None = None
    level: Annotated[int, Field(ge=0)] | None = None
    overrides: dict[Id, dict[str, Any]] = Field(default_factory=dict)

    #: Where the step acts: "leaf" (indicator columns), "inner" (aggregated nodes), "root".
    acts_on: ClassVar[Literal["leaf", "inner", "root", "institutions"]] = "leaf"
    #: How the range walk (:mod:`palmares.methodology.ranges`) carries it: a step replacing
    #: its nodes' values ("leafwise"), choosing weights, aggregating children, rescaling or
    #: rounding scores. Each class declares its output range through the method of its kind.
    range_walk: ClassVar[Literal["leafwise", "weight", "aggregate", "rescale", "round"]] = (
        "leafwise"
    )
    #: Its output scale is its own, whatever its input: known even from raw data.
    own_scale: ClassVar[bool] = False
    #: It takes grades (A..E) as its input.
    reads_grades: ClassVar[bool] = False

    @property
    def tag(self) -> str:
        return f"{self.type}.{self.method}"

    def params(self) -> dict[str, Any]:
        """The step's own parameters (every field but the common keys), defaults filled."""
        return {k: getattr(self, k) for k in type(self).model_fields if k not in COMMON_STEP_KEYS}

    def params_for(self, node: str) -> dict[str, Any]:
        """Parameters for one node: the step's own, replaced by that node's overrides."""
        return {**self.params(), **self.overrides.get(node, {})}

    def leaf_range(self, params: Mapping[str, Any], given: RangeInput) -> tuple[Interval, Kind]:
        """The range and kind of its output over a column whose values lie in ``given``
        (problems with the input or the parameters go to ``given.report``)."""
        return given.interval, given.state.kind

    @model_validator(mode="before")
    @classmethod
    def _normalise_overrides(cls, data: Any) -> Any:
        """Store override values as validated (5 -> 5.0), so equal files hash equal."""
        if not isinstance(data, dict) or not isinstance(data.get("overrides"), dict):
            return data
        base = {k: v for k, v in data.items() if k != "overrides"}
        cleaned: dict[str, Any] = {}
        for node, values in data["overrides"].items():
            if not isinstance(values, dict) or set(values) & COMMON_STEP_KEYS:
                cleaned[node] = values
                continue
            try:
                merged = cls.model_validate({**base, **values})
            except ValueError:
                cleaned[node] = values
                continue
            cleaned[node] = {k: merged.model_dump(mode="json")[k] for k in values}
        return {**data, "overrides": cleaned}

    @model_validator(mode="after")
    def _scope(self) -> StepBase:
        if self.nodes is not None and self.level is not None:
            raise ValueError("give 'nodes' or 'level', not both")
        for node, values in self.overrides.items():
            fixed = sorted(set(values) & COMMON_STEP_KEYS)
            if fixed:
                raise ValueError(f"override of node {node!r} cannot set {fixed[0]!r}")
            type(self).model_validate({**self.model_dump(exclude={"overrides"}), **values})
        return self


class EligibilityStep(StepBase):
    """Who enters the table (acts on institutions)."""


class ImputeStep(StepBase):
    """Filling missing values (or redistributing weights over children that do not apply)."""


class TreatStep(StepBase):
    """Outlier treatment of leaf columns."""

    own_scale: ClassVar[bool] = True

    def leaf_range(self, params: Mapping[str, Any], given: RangeInput) -> tuple[Interval, Kind]:
        return REAL, "values"  # a failing column may be log-transformed


class NormaliseStep(StepBase):
    """Putting leaf columns on a common scale."""

    own_scale: ClassVar[bool] = True

    def leaf_range(self, params: Mapping[str, Any], given: RangeInput) -> tuple[Interval, Kind]:
        return Interval(0.0, float(params["scale"])), "values"


class PointsStep(StepBase):
    """Points for leaf values."""

    own_scale: ClassVar[bool] = True


class GradeStep(StepBase):
    """Grades (A..E) for leaf values."""

    own_scale: ClassVar[bool] = True
    reads_grades: ClassVar[bool] = True


class WeightStep(StepBase):
    """Weights of a parent's children."""

    range_walk: ClassVar = "weight"

    def check_children(self, given: ChildrenInput, node: str, children: list[str]) -> None:
        """Report what the step cannot do with ``node``'s children (its output is weights, no
        range)."""


class AggregateStep(StepBase):
    """Combining children into their parent."""

    range_walk: ClassVar = "aggregate"

    def input_domain(self) -> Literal["positive", "nonnegative"] | None:
        """The values its children must hold (None: any real)."""
        return None

    def aggregate_range(self, given: ChildrenInput) -> tuple[Interval, Kind, bool] | None:
        """The range and kind of the parent, and whether it is known (from its children's,
        unless the step's scale is its own); None: refused and reported."""
        method = self.method
        for child, state in given.children:
            if state.kind == "grades":
                given.report(
                    (given.index, "method"),
                    f"{method} of grades ({who(child)} holds categories A..E from "
                    f"{state.source}): use aggregate.grade_counts",
                    method,
                )
                return None
        hull = given.children[0][1].interval
        for _, state in given.children[1:]:
            hull = hull.hull(state.interval)
        needs = self.input_domain()
        if needs is not None and not given.domain_flagged():
            for child, state in given.children:
                if not state.known:
                    continue
                ok = state.interval.positive if needs == "positive" else state.interval.nonnegative
                if not ok:
                    sign = "> 0" if needs == "positive" else ">= 0"
                    given.report(
                        (given.index, "method"),
                        f"a {method} mean needs inputs {sign}, but {who(child)} lies in "
                        f"{state.interval.describe()} after {state.source}",
                        method,
                    )
                    given.flag_domain()
                    break
        known = self.own_scale or all(state.known for _, state in given.children)
        interval, kind = self.combined(hull, given)
        return interval, kind, known

    def combined(self, hull: Interval, given: ChildrenInput) -> tuple[Interval, Kind]:
        """The parent's range given the hull of its children's (a mean stays within it)."""
        return hull, "values"


class RescaleStep(StepBase):
    """Rescaling node scores."""

    range_walk: ClassVar = "rescale"

    def score_range(self, given: Interval) -> Interval:
        """The range of the scores once rescaled, from scores in ``given``."""
        return given


class RoundStep(StepBase):
    """Rounding node scores."""

    range_walk: ClassVar = "round"

    def score_range(self, given: Interval) -> Interval:
        """Rounding keeps the scores' range (to its last decimal)."""
        return given


class EligibilityCoverage(EligibilityStep):
    type: Literal["eligibility"]
    method: Literal["coverage"]
    min_share: Annotated[float, Field(ge=0, le=1)] = 0.0
    acts_on: ClassVar = "institutions"


class EligibilityRequired(EligibilityStep):
    type: Literal["eligibility"]
    method: Literal["required"]
    nodes: Annotated[list[Id], Field(min_length=1)]
    acts_on: ClassVar = "institutions"


class EligibilityKOf(EligibilityStep):
    type: Literal["eligibility"]
    method: Literal["k_of"]
    nodes: Annotated[list[Id], Field(min_length=1)]
    k: Annotated[int, Field(ge=1)]
    acts_on: ClassVar = "institutions"

    @model_validator(mode="after")
    def _k_fits(self) -> EligibilityKOf:
        if self.k > len(self.nodes):
            raise ValueError(f"k = {self.k} but only {len(self.nodes)} nodes are listed")
        return self


def _check_filter(value: dict[str, Any]) -> dict[str, Any]:
    for key, accepted in value.items():
        items = accepted if isinstance(accepted, list) else [accepted]
        if not items or not all(isinstance(v, (str, int, float, bool)) for v in items):
            raise ValueError(f"{key!r} must be a value or a non-empty list of values")
    return value


class EligibilityWhere(EligibilityStep):
    type: Literal["eligibility"]
    method: Literal["where"]
    equals: Annotated[dict[str, Any], Field(min_length=1)]
    acts_on: ClassVar = "institutions"

    _filter = field_validator("equals")(_check_filter)


class ImputeSimple(ImputeStep):
    """``none`` leaves gaps; ``zero`` fills 0 and marks the cells imputed."""

    type: Literal["impute"]
    method: Literal["none", "mean", "median", "zero"]

    def leaf_range(self, params: Mapping[str, Any], given: RangeInput) -> tuple[Interval, Kind]:
        # Statistics of the present values lie within them; zero widens the hull.
        fill = Interval(0.0, 0.0) if self.method == "zero" else given.interval
        return given.interval.hull(fill), given.state.kind


class ImputeConstant(ImputeStep):
    type: Literal["impute"]
    method: Literal["constant"]
    value: float

    def leaf_range(self, params: Mapping[str, Any], given: RangeInput) -> tuple[Interval, Kind]:
        value = float(params["value"])
        return given.interval.hull(Interval(value, value)), given.state.kind


class ImputePercentile(ImputeStep):
    type: Literal["impute"]
    method: Literal["percentile"]
    q: Annotated[float, Field(ge=0, le=100)] = 25.0


class ImputeGroupMean(ImputeStep):
    type: Literal["impute"]
    method: Literal["group_mean"]
    by: Id


class ImputeRedistribute(ImputeStep):
    """Weights of not-applicable nodes go to their siblings (ARWU's N&S rule)."""

    type: Literal["impute"]
    method: Literal["redistribute"]
    acts_on: ClassVar = "inner"


class TreatJrc(TreatStep):
    type: Literal["treat"]
    method: Literal["jrc"]
    skew: Annotated[float, Field(gt=0)] = 2.0
    kurtosis: float = 3.5
    max_winsorised: Annotated[int, Field(ge=0)] = 5
    log: Literal["log_ct", "log_shift1"] = "log_ct"


class NormaliseMinmax(NormaliseStep):
    type: Literal["normalise"]
    method: Literal["minmax"]
    range: tuple[float, float] = (0.0, 100.0)

    def leaf_range(self, params: Mapping[str, Any], given: RangeInput) -> tuple[Interval, Kind]:
        lo, hi = params["range"]
        return Interval(lo, hi), "values"

    @field_validator("range")
    @classmethod
    def _increasing(cls, value: tuple[float, float]) -> tuple[float, float]:
        if not value[0] < value[1]:
            raise ValueError(f"range must be increasing, got [{value[0]:g}, {value[1]:g}]")
        return value


class NormaliseZscore(NormaliseStep):
    type: Literal["normalise"]
    method: Literal["zscore"]
    mean: float = 0.0
    sd: Annotated[float, Field(gt=0)] = 1.0

    def leaf_range(self, params: Mapping[str, Any], given: RangeInput) -> tuple[Interval, Kind]:
        return REAL, "values"


class NormaliseScaled(NormaliseStep):
    """Methods whose output is [0, scale]."""

    type: Literal["normalise"]
    method: Literal["zcdf", "percent_of_best", "percentile_rank"]
    scale: Annotated[float, Field(gt=0)] = 100.0

    def leaf_range(self, params: Mapping[str, Any], given: RangeInput) -> tuple[Interval, Kind]:
        x = given.interval
        if self.method == "percent_of_best" and given.state.known and not x.nonnegative:
            given.report(
                (given.at[0], "method"),
                "percent_of_best divides by the best value: it needs values >= 0, "
                f"but they lie in {x.describe()} {given.source}",
                self.method,
            )
        return super().leaf_range(params, given)


class NormaliseRank(NormaliseStep):
    type: Literal["normalise"]
    method: Literal["rank"]

    def leaf_range(self, params: Mapping[str, Any], given: RangeInput) -> tuple[Interval, Kind]:
        return Interval(1.0, math.inf, False, True), "values"


class NormaliseTarget(NormaliseStep):
    """Distance to a per-node ``target`` (give it here or in each node's override)."""

    type: Literal["normalise"]
    method: Literal["target"]
    target: float | None = None
    scale: Annotated[float, Field(gt=0)] = 100.0

    def leaf_range(self, params: Mapping[str, Any], given: RangeInput) -> tuple[Interval, Kind]:
        if params.get("target") is None:
            given.missing(self.tag, "target")
        return super().leaf_range(params, given)  # progress towards the target, capped


class NormaliseGoalposts(NormaliseStep):
    type: Literal["normalise"]
    method: Literal["goalposts"]
    low: float | None = None
    high: float | None = None
    scale: Annotated[float, Field(gt=0)] = 100.0

    def leaf_range(self, params: Mapping[str, Any], given: RangeInput) -> tuple[Interval, Kind]:
        for name in ("low", "high"):
            if params.get(name) is None:
                given.missing(self.tag, name)
        return super().leaf_range(params, given)  # clipped to the scale

    @model_validator(mode="after")
    def _ordered(self) -> NormaliseGoalposts:
        if self.low is not None and self.high is not None and not self.low < self.high:
            raise ValueError(f"goalposts need low < high, got {self.low:g} and {self.high:g}")
        return self


class PointsThresholds(PointsStep):
    """Points = number of ascending ``thresholds`` passed (respecting the node's direction)."""

    type: Literal["points"]
    method: Literal["thresholds"]
    thresholds: list[float] | None = None
    max_points: Annotated[int, Field(ge=1)] | None = None
    bonus: Id | None = None

    @field_validator("thresholds")
    @classmethod
    def _ascending(cls, value: list[float] | None) -> list[float] | None:
        if value is not None:
            if not value:
                raise ValueError("list at least one threshold")
            if any(b <= a for a, b in itertools.pairwise(value)):
                raise ValueError("thresholds must be strictly ascending")
        return value

    @model_validator(mode="after")
    def _count(self) -> PointsThresholds:
        if (
            self.thresholds is not None
            and self.max_points is not None
            and len(self.thresholds) != self.max_points
        ):
            raise ValueError(
                f"{len(self.thresholds)} thresholds give 0..{len(self.thresholds)} points, "
                f"but max_points is {self.max_points}"
            )
        return self

    def leaf_range(self, params: Mapping[str, Any], given: RangeInput) -> tuple[Interval, Kind]:
        thresholds = params.get("thresholds")
        if thresholds is None:
            given.missing(self.tag, "thresholds")
            return Interval(0.0, float(params.get("max_points") or 0)), "points"
        x = given.interval
        if x.bounded:
            for i, t in enumerate(thresholds):
                if not x.contains(t):
                    given.report(
                        (*given.at, "thresholds", i),
                        f"threshold {t:g} lies outside {x.describe()}, the range of its input "
                        f"(from {given.state.source}): every institution or none passes it",
                        t,
                    )
        return Interval(0.0, float(len(thresholds))), "points"  # one point per threshold passed

    def points_max(self, node: str | None = None) -> int | None:
        params = self.params_for(node) if node is not None else self.params()
        if params.get("max_points") is not None:
            return int(params["max_points"])
        thresholds = params.get("thresholds")
        return len(thresholds) if thresholds is not None else None


class PointsQuantiles(PointsStep):
    type: Literal["points"]
    method: Literal["quantiles"]
    max_points: Annotated[int, Field(ge=1)] = 5

    def points_max(self, node: str | None = None) -> int | None:
        params = self.params_for(node) if node is not None else self.params()
        return int(params["max_points"])

    def leaf_range(self, params: Mapping[str, Any], given: RangeInput) -> tuple[Interval, Kind]:
        return Interval(0.0, float(params["max_points"])), "points"


class GradeMedianDistance(GradeStep):
    """U-Multirank groups A..E by relative distance to the median (four decreasing cut-offs)."""

    type: Literal["grade"]
    method: Literal["median_distance"]
    thresholds: tuple[float, float, float, float] = (0.25, 0.10, -0.10, -0.25)

    def leaf_range(self, params: Mapping[str, Any], given: RangeInput) -> tuple[Interval, Kind]:
        x = given.interval
        if given.state.known and not x.nonnegative:
            given.report(
                (given.at[0], "method"),
                "a relative distance to the median needs values >= 0, "
                f"but they lie in {x.describe()} {given.source}",
                self.method,
            )
        return Interval(0.0, 4.0), "grades"  # A = 0 .. E = 4 (-1: no grade)

    @field_validator("thresholds")
    @classmethod
    def _decreasing(cls, value: tuple[float, ...]) -> tuple[float, ...]:
        if any(b >= a for a, b in itertools.pairwise(value)):
            raise ValueError("grade thresholds must be strictly decreasing (A first)")
        return value


class WeightSimple(WeightStep):
    """``fixed`` uses ``weights`` (default: the [weights] table); ``equal``; ``renormalise``."""

    type: Literal["weight"]
    method: Literal["fixed", "equal", "renormalise"]
    weights: dict[Id, Weight] | None = None
    acts_on: ClassVar = "inner"


class WeightBestK(WeightStep):
    """Keep the ``always`` children and the best ``k`` others (THE Impact: SDG 17 + best 3)."""

    type: Literal["weight"]
    method: Literal["best_k"]
    k: Annotated[int, Field(ge=1)]
    always: list[Id] = Field(default_factory=list)
    weights: dict[Id, Weight] | None = None
    acts_on: ClassVar = "inner"

    def check_children(self, given: ChildrenInput, node: str, children: list[str]) -> None:
        n = len([c for c in children if c not in self.always])
        if self.k > n:
            others = " other" if self.always else ""
            given.report(
                (given.index, "k"),
                f"best_k keeps {self.k} children but {node!r} has {n}{others}",
                self.k,
            )


class AggregateMean(AggregateStep):
    type: Literal["aggregate"]
    method: Literal["arithmetic", "geometric", "harmonic"]
    renormalise: bool = True
    min_children: Annotated[int, Field(ge=1)] = 1
    acts_on: ClassVar = "inner"

    def input_domain(self) -> Literal["positive", "nonnegative"] | None:
        return None if self.method == "arithmetic" else "positive"  # logs and inverses


class AggregateGeneralised(AggregateStep):
    type: Literal["aggregate"]
    method: Literal["generalised"]
    p: float
    renormalise: bool = True
    min_children: Annotated[int, Field(ge=1)] = 1
    acts_on: ClassVar = "inner"

    def input_domain(self) -> Literal["positive", "nonnegative"] | None:
        # As the step computes it (palmares.steps.aggregate.power_mean): x^p of negatives is
        # refused for every p, even where an integer p would define it.
        return "positive" if self.p < 0 else "nonnegative"

    @field_validator("p")
    @classmethod
    def _nonzero(cls, value: float) -> float:
        if value == 0:
            raise ValueError('p = 0 is the geometric mean: use method = "geometric"')
        return value


class AggregateSumPoints(AggregateStep):
    type: Literal["aggregate"]
    method: Literal["sum_points"]
    bonus: list[Id] = Field(default_factory=list)
    acts_on: ClassVar = "inner"

    def combined(self, hull: Interval, given: ChildrenInput) -> tuple[Interval, Kind]:
        """Weighted points add up (a missing child adds 0), bonus points add on top."""
        if not given.exact:
            low = min(s.interval.lo for _, s in given.children)
            return Interval(0.0 if low >= 0 else -math.inf, math.inf, False, True), "points"
        lo = hi = 0.0
        for child, state in given.children:
            # A missing child adds nothing (palmares.steps.aggregate.sum_points, skip_missing).
            w = given.weight(child)
            lo += w * min(0.0, state.interval.lo)
            hi += w * max(0.0, state.interval.hi)
        for node in self.bonus:
            bonus = given.state_of(node)
            if bonus is not None:
                lo += min(0.0, bonus.interval.lo)
                hi += max(0.0, bonus.interval.hi)
        return Interval(lo, hi, math.isinf(lo), math.isinf(hi)), "points"


class AggregateOther(AggregateStep):
    type: Literal["aggregate"]
    method: Literal["grade_counts", "copeland"]
    acts_on: ClassVar = "inner"
    own_scale: ClassVar[bool] = True  # counts, or wins minus losses

    @property
    def counts_grades(self) -> bool:
        """Counts the grades of its children (U-Multirank): no weighted composite."""
        return self.method == "grade_counts"

    def aggregate_range(self, given: ChildrenInput) -> tuple[Interval, Kind, bool] | None:
        if not self.counts_grades:
            return super().aggregate_range(given)
        # Counts of a dimension's indicators, then of the dimensions' counts above them.
        if not {s.kind for _, s in given.children} <= {"grades", "counts"}:
            given.report(
                (given.index, "method"),
                "grade_counts counts grades A..E: put a grade step before it",
                self.method,
            )
        top = sum(1.0 if s.kind != "counts" else s.interval.hi for _, s in given.children)
        return Interval(0.0, top), "counts", True

    def combined(self, hull: Interval, given: ChildrenInput) -> tuple[Interval, Kind]:
        return REAL, "values"  # Copeland: wins minus losses over the field


class RescaleTop100(RescaleStep):
    type: Literal["rescale"]
    method: Literal["top100"]
    acts_on: ClassVar = "root"

    def score_range(self, given: Interval) -> Interval:
        # Scores below 0 (after a z-score) stay negative: the best is still 100.
        low = 0.0 if given.nonnegative else -math.inf
        return Interval(low, 100.0, not given.nonnegative)


class RescaleMinmax(RescaleStep):
    type: Literal["rescale"]
    method: Literal["minmax"]
    range: tuple[float, float] = (0.0, 100.0)
    acts_on: ClassVar = "root"

    def score_range(self, given: Interval) -> Interval:
        return Interval(*self.range)

    @field_validator("range")
    @classmethod
    def _increasing(cls, value: tuple[float, float]) -> tuple[float, float]:
        if not value[0] < value[1]:
            raise ValueError(f"range must be increasing, got [{value[0]:g}, {value[1]:g}]")
        return value


class RescaleAffine(RescaleStep):
    """QS 2024+: 100 (raw - floor) / (best raw - floor), times ``top`` / 100."""

    type: Literal["rescale"]
    method: Literal["affine"]
    floor: float
    top: Annotated[float, Field(gt=0)] = 100.0
    acts_on: ClassVar = "root"

    def score_range(self, given: Interval) -> Interval:
        return Interval(0.0, self.top)  # scores below the floor get 0


class RoundHalfUp(RoundStep):
    type: Literal["round"]
    method: Literal["half_up"]
    decimals: Annotated[int, Field(ge=0, le=12)]
    acts_on: ClassVar = "root"

    def score_range(self, given: Interval) -> Interval:
        """The scores' range widened to whole units of the last decimal (0.25 gives 0.3)."""
        unit = 10.0**self.decimals
        return Interval(math.floor(given.lo * unit) / unit, math.ceil(given.hi * unit) / unit)


STEP_CLASSES: tuple[type[StepBase], ...] = (
    EligibilityCoverage,
    EligibilityRequired,
    EligibilityKOf,
    EligibilityWhere,
    ImputeSimple,
    ImputeConstant,
    ImputePercentile,
    ImputeGroupMean,
    ImputeRedistribute,
    TreatJrc,
    NormaliseMinmax,
    NormaliseZscore,
    NormaliseScaled,
    NormaliseRank,
    NormaliseTarget,
    NormaliseGoalposts,
    PointsThresholds,
    PointsQuantiles,
    GradeMedianDistance,
    WeightSimple,
    WeightBestK,
    AggregateMean,
    AggregateGeneralised,
    AggregateSumPoints,
    AggregateOther,
    RescaleTop100,
    RescaleMinmax,
    RescaleAffine,
    RoundHalfUp,
)


def _literal_values(cls: type[StepBase], field: str) -> tuple[str, ...]:
    annotation = cls.model_fields[field].annotation
    return tuple(getattr(annotation, "__args__", ()))


#: (type, method) -> step class: the catalogue the validator enforces.
STEP_REGISTRY: dict[tuple[str, str], type[StepBase]] = {
    (step_type, method): cls
    for cls in STEP_CLASSES
    for step_type in _literal_values(cls, "type")
    for method in _literal_values(cls, "method")
}
STEP_TYPES: tuple[str, ...] = tuple(dict.fromkeys(t for t, _ in STEP_REGISTRY))
#: Step type -> the base class of its steps (``isinstance`` dispatch, never on the string).
STEP_KINDS: dict[str, type[StepBase]] = {
    "eligibility": EligibilityStep,
    "impute": ImputeStep,
    "treat": TreatStep,
    "normalise": NormaliseStep,
    "points": PointsStep,
    "grade": GradeStep,
    "weight": WeightStep,
    "aggregate": AggregateStep,
    "rescale": RescaleStep,
    "round": RoundStep,
}


def methods_of(step_type: str) -> tuple[str, ...]:
    return tuple(m for t, m in STEP_REGISTRY if t == step_type)


def step_tag(value: Any) -> str | None:
    """Discriminator of the step union: ``"type.method"`` (None when absent or unknown)."""
    if isinstance(value, StepBase):
        return value.tag
    if isinstance(value, dict):
        key = (value.get("type"), value.get("method"))
        if all(isinstance(k, str) for k in key) and key in STEP_REGISTRY:
            return f"{key[0]}.{key[1]}"
    return None


Step = Annotated[
    Annotated[EligibilityCoverage, Tag("eligibility.coverage")]
    | Annotated[EligibilityRequired, Tag("eligibility.required")]
    | Annotated[EligibilityKOf, Tag("eligibility.k_of")]
    | Annotated[EligibilityWhere, Tag("eligibility.where")]
    | Annotated[ImputeSimple, Tag("impute.none")]
    | Annotated[ImputeSimple, Tag("impute.mean")]
    | Annotated[ImputeSimple, Tag("impute.median")]
    | Annotated[ImputeSimple, Tag("impute.zero")]
    | Annotated[ImputeConstant, Tag("impute.constant")]
    | Annotated[ImputePercentile, Tag("impute.percentile")]
    | Annotated[ImputeGroupMean, Tag("impute.group_mean")]
    | Annotated[ImputeRedistribute, Tag("impute.redistribute")]
    | Annotated[TreatJrc, Tag("treat.jrc")]
    | Annotated[NormaliseMinmax, Tag("normalise.minmax")]
    | Annotated[NormaliseZscore, Tag("normalise.zscore")]
    | Annotated[NormaliseScaled, Tag("normalise.zcdf")]
    | Annotated[NormaliseScaled, Tag("normalise.percent_of_best")]
    | Annotated[NormaliseScaled, Tag("normalise.percentile_rank")]
    | Annotated[NormaliseRank, Tag("normalise.rank")]
    | Annotated[NormaliseTarget, Tag("normalise.target")]
    | Annotated[NormaliseGoalposts, Tag("normalise.goalposts")]
    | Annotated[PointsThresholds, Tag("points.thresholds")]
    | Annotated[PointsQuantiles, Tag("points.quantiles")]
    | Annotated[GradeMedianDistance, Tag("grade.median_distance")]
    | Annotated[WeightSimple, Tag("weight.fixed")]
    | Annotated[WeightSimple, Tag("weight.equal")]
    | Annotated[WeightSimple, Tag("weight.renormalise")]
    | Annotated[WeightBestK, Tag("weight.best_k")]
    | Annotated[AggregateMean, Tag("aggregate.arithmetic")]
    | Annotated[AggregateMean, Tag("aggregate.geometric")]
    | Annotated[AggregateMean, Tag("aggregate.harmonic")]
    | Annotated[AggregateGeneralised, Tag("aggregate.generalised")]
    | Annotated[AggregateSumPoints, Tag("aggregate.sum_points")]
    | Annotated[AggregateOther, Tag("aggregate.grade_counts")]
    | Annotated[AggregateOther, Tag("aggregate.copeland")]
    | Annotated[RescaleTop100, Tag("rescale.top100")]
    | Annotated[RescaleMinmax, Tag("rescale.minmax")]
    | Annotated[RescaleAffine, Tag("rescale.affine")]
    | Annotated[RoundHalfUp, Tag("round.half_up")],
    Discriminator(
        step_tag,
        custom_error_type="unknown_step",
        custom_error_message="unknown step type or method (see docs/methodology-format.md)",
    ),
]


# --- [ranking] ---------------------------------------------------------------------------------


class BandTable(Strict):
    """Ranks up to ``individual_until`` are printed one by one; then ``bands`` of ranks.

    Each band is ``[lo, hi]``; the last may be ``[lo, inf]`` ("1001+"). Bands are contiguous.
    """

    individual_until: Annotated[int, Field(ge=0)] = 0
    bands: list[tuple[int, int | None]] = Field(default_factory=list)

    @field_validator("bands", mode="before")
    @classmethod
    def _open_end(cls, value: Any) -> Any:
        if isinstance(value, list):
            return [
                [b[0], None] if isinstance(b, list) and len(b) == 2 and b[1] == math.inf else b
                for b in value
            ]
        return value

    @model_validator(mode="after")
    def _contiguous(self) -> BandTable:
        expected = self.individual_until + 1
        for i, (lo, hi) in enumerate(self.bands):
            if lo != expected:
                raise ValueError(
                    f"band {i} starts at {lo}, expected {expected} (bands are contiguous)"
                )
            if hi is None:
                if i != len(self.bands) - 1:
                    raise ValueError(f"band {i} is open-ended but is not the last band")
            elif hi < lo:
                raise ValueError(f"band {i} ends ({hi}) before it starts ({lo})")
            else:
                expected = hi + 1
        return self


class Ranking(Strict):
    """How scores become ranks, display strings, bands and groups."""

    by: Literal["score", "grade_counts"] = "score"
    rank_on: Literal["published", "unrounded"] = "published"
    decimals: Annotated[int, Field(ge=0, le=12)] | None = None
    method: Literal["competition", "dense", "ordinal", "fractional"] = "competition"
    ties: Literal["equals", "bare", "ex-aequo"] = "bare"
    cutoff: Annotated[int, Field(ge=1)] | None = None
    #: What the publisher prints as the score of a row inside a band: its own score (none
    #: past ``cutoff``), or the band's range of scores ("46.3–50.4", THE from 2017).
    banded_score: Literal["single", "range"] = "single"
    bands: dict[EditionKey, BandTable] = Field(default_factory=dict)
    groups_by: Literal["points", "rank_percentile"] | None = None
    groups: dict[EditionKey, dict[str, float]] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _groups(self) -> Ranking:
        if self.groups and self.groups_by is None:
            raise ValueError('groups need groups_by = "points" or "rank_percentile"')
        if self.groups_by is not None and not self.groups:
            raise ValueError(f"groups_by = {self.groups_by!r} but no [ranking.groups.*] table")
        return self

    def band_table(self, year: int) -> BandTable | None:
        return self.bands.get(str(year), self.bands.get("default"))

    def group_table(self, year: int) -> dict[str, float] | None:
        return self.groups.get(str(year), self.groups.get("default"))


class Subset(Strict):
    """A named peer filter: attribute -> accepted value(s); ``network`` names a network id."""

    label_en: str | None = None
    label_fr: str | None = None
    where: dict[str, Any] = Field(default_factory=dict)
    network: Id | None = None

    _filter = field_validator("where")(_check_filter)


# --- the whole file ----------------------------------------------------------------------------


class Methodology(Strict):
    """A validated methodology file; build one with ``load_methodology``."""

    methodology: Header
    tree: TreeSpec = Field(default_factory=TreeSpec)
    weights: dict[Id, Weight] = Field(default_factory=dict)
    #: Where the tree's weights come from: this file's ``[weights]`` table, or the bundle's own
    #: (``[weights] source = "bundle"``: COINr's ``Weight`` column), the table's entries winning.
    weights_source: Literal["file", "bundle"] = "file"
    steps: Annotated[list[Step], Field(min_length=1)]
    ranking: Ranking = Field(default_factory=Ranking)
    subsets: dict[Id, Subset] = Field(default_factory=dict)

    # Where the file came from, to locate later problems (not part of the model or its hash).
    _origin: str = PrivateAttr(default="<methodology>")
    _lines: dict[tuple[str | int, ...], int] = PrivateAttr(default_factory=dict)
    # The methodology hash once computed (the model is frozen); a copy computes its own.
    _digest: str | None = PrivateAttr(default=None)

    def model_copy(self, *, update: Mapping[str, Any] | None = None, deep: bool = False) -> Self:
        copy = super().model_copy(update=update, deep=deep)
        copy._digest = None
        return copy

    @model_validator(mode="before")
    @classmethod
    def _weights_source(cls, data: Any) -> Any:
        """``[weights] source = "bundle"`` is the one key of the table that is not a node."""
        if isinstance(data, dict) and isinstance(data.get("weights"), dict):
            weights = dict(data["weights"])
            if "source" in weights:
                source = weights.pop("source")
                return {**data, "weights": weights, "weights_source": source}
        return data

    def canonical_json(self) -> str:
        """Every field with its default filled, keys sorted, no whitespace (what is hashed).
        A file's own weights (the default source) leave the document as it always was."""
        same: dict[str, Any] = {"weights_source": True} if self.weights_source == "file" else {}
        if self.ranking.banded_score == "single":  # a later field: earlier hashes unchanged
            same["ranking"] = {"banded_score"}
        document = self.model_dump(mode="json", by_alias=True, exclude=same or None)
        return json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False)

    def digest(self) -> str:
        """SHA-256 (hex) of :meth:`canonical_json`, computed once (the model is frozen). Caches
        of compiled plans are keyed by it, so equal methodologies share their plans."""
        if self._digest is None:
            self._digest = hashlib.sha256(self.canonical_json().encode("utf-8")).hexdigest()
        return self._digest

    @property
    def origin(self) -> str:
        """The file (or ``<text>``) this methodology was loaded from."""
        return self._origin

    @property
    def id(self) -> str:
        return self.methodology.id

    @property
    def system(self) -> str:
        return self.methodology.system

    def applies_to(self, year: int) -> bool:
        return self.methodology.applies_to(year)

    def weight(self, node: str) -> float:
        """A node's weight relative to its siblings (1 when the file gives none)."""
        return self.weights.get(node, 1.0)

    def steps_of(self, step_type: str) -> list[StepBase]:
        kind = STEP_KINDS[step_type]
        return [s for s in self.steps if isinstance(s, kind)]

    def inline_tree(self) -> Tree | None:
        """The inline tree as a :class:`~palmares.tree.Tree`; None for a bundle tree."""
        if self.tree.source != "inline":
            return None
        return Tree.from_parents((n.id, n.parent) for n in self.tree.nodes)

    def directions(self) -> dict[str, str]:
        """Leaf id -> "higher" | "lower" for an inline tree (empty for a bundle tree)."""
        return {n.id: n.direction for n in self.tree.nodes if n.direction is not None}
