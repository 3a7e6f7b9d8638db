"""One registry of typed steps: what each step class of the methodology does to a batch.

Every step class of :mod:`palmares.methodology.model` has exactly one operation here, found by
:func:`operation` from the step's class (never by comparing its ``type`` or ``method`` strings
elsewhere). An operation knows:

- ``apply``: the step on a batch. Leaf steps take an (institutions x columns) matrix with its
  mask, directions and reference sample; weights and aggregations take the children of one
  parent; rescale and round take node scores of shape (n,) or (draws, n) (a normal run is one
  draw); eligibility takes what was submitted.
- ``output_range``: the interval its output lies in, given the interval of its input (None when
  the output is unbounded), as the step class itself declares it for the range walk of
  :mod:`palmares.methodology.ranges` (one declaration, checked on data by the conformance suite).
- ``draws`` (weights and aggregations): the step over a batch of draws (d, k) whose leaves are
  fixed, with its own fast paths (the plan's batch path, :mod:`palmares.plan.walk`).
- ``uses_statistics``: whether it takes statistics of the population (min, max, mean, sd,
  median, quantiles, ranks), the steps a bootstrap of that population changes.

The engine's plan, personalisation, the uncertainty replay and the rebuild of published totals
all reach the arithmetic through these operations.
"""

from __future__ import annotations

import abc
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar

import numpy as np
import numpy.typing as npt

from palmares.methodology import model as md
from palmares.methodology.intervals import ChildrenInput, NodeState, RangeInput
from palmares.methodology.intervals import Interval as RangeInterval
from palmares.steps import (
    BoolArray,
    FloatArray,
    Int8Array,
    eligibility,
    grade,
    impute,
    normalise,
    rescale,
    rounding,
    treat,
    weight,
)
from palmares.steps import aggregate as agg

#: An interval (low, high); infinite ends are unbounded.
Interval = tuple[float, float]
UNBOUNDED: Interval = (-math.inf, math.inf)


def _bounds(interval: RangeInterval) -> Interval | None:
    return (interval.lo, interval.hi) if interval.bounded else None


class MethodologyDataError(ValueError):
    """The methodology cannot run on this dataset (a node it names has no data, a parameter the
    data need is missing, ...)."""


# -- batches and outcomes ------------------------------------------------------------------------


@dataclass(frozen=True)
class LeafBatch:
    """The columns one leaf step acts on, with one set of parameters."""

    x: FloatArray  # (n, k), NaN where absent
    mask: BoolArray  # (n, k) value present
    direction: npt.NDArray[np.int8]  # (k,) +1 higher is better, -1 lower
    applicable: BoolArray  # (n, k) False where the indicator does not apply (never filled)
    attributes: Mapping[str, npt.NDArray[Any]] = field(default_factory=dict)
    #: Multiplicities of the rows the statistics are taken on (a bootstrap); None: every row once.
    reference: npt.ArrayLike | None = None


@dataclass(frozen=True)
class LeafOutcome:
    """What a leaf step changed: new values, cells it filled, grades, per-column facts."""

    x: FloatArray | None = None
    imputed: BoolArray | None = None
    grades: Int8Array | None = None
    facts: tuple[Any, ...] = ()


@dataclass(frozen=True)
class LeafChildren:
    """The children of one parent when every one is a leaf: their values for any batch of
    draws (the leaves do not change from draw to draw), laid out once."""

    x: FloatArray  # (n, k) 0 where absent
    mask: BoolArray  # (n, k) value present
    xt: FloatArray  # (k, n) contiguous
    maskt: FloatArray  # (k, n) 1.0 where present
    #: (k, u) the patterns of present children (None: no gap at all), and (n,) each
    #: institution's pattern: the weight of the present children is one product per pattern.
    patterns: FloatArray | None
    pattern_of: npt.NDArray[np.int64]
    covered: bool  # every institution has at least one child present

    @classmethod
    def of(cls, x: FloatArray, mask: BoolArray, xt: FloatArray, maskt: FloatArray) -> LeafChildren:
        """From the children's columns: ``x``/``mask`` (n, k), ``xt``/``maskt`` (k, n)."""
        n = x.shape[0]
        if mask.all():
            patterns, pattern_of = None, np.zeros(n, dtype=np.int64)
        else:
            found, inverse = np.unique(mask, axis=0, return_inverse=True)
            patterns = np.ascontiguousarray(found.T, dtype=np.float64)
            pattern_of = inverse.reshape(-1).astype(np.int64)
        return cls(
            x=x,
            mask=mask,
            xt=xt,
            maskt=maskt,
            patterns=patterns,
            pattern_of=pattern_of,
            covered=bool(mask.any(axis=1).all()),
        )

    def values(self, draws: int) -> list[FloatArray]:
        """Each child's values (d, n), NaN where absent (read-only views)."""
        return [
            np.broadcast_to(
                np.where(self.mask[:, j], self.x[:, j], np.nan), (draws, self.x.shape[0])
            )
            for j in range(self.x.shape[1])
        ]


@dataclass(frozen=True)
class DrawChildren:
    """The children of one parent for a batch of draws: fixed leaves, or values per draw."""

    #: Every child a leaf: their operands (else None).
    leaves: LeafChildren | None
    #: The children's values (d, n), NaN where absent, asked for at most once.
    values: Callable[[], list[FloatArray]]
    #: Every child known to have a value for every draw and institution.
    gap_free: bool = False
    #: (k, n) with weight redistribution and no renormalisation, the children that apply
    #: (only they must be present); None: every child with a positive weight.
    required: BoolArray | None = None


# -- the operations ------------------------------------------------------------------------------


class Operation:
    """What every operation shares: its step classes, whether it takes statistics, its range."""

    classes: ClassVar[tuple[type[md.StepBase], ...]] = ()
    uses_statistics: ClassVar[bool] = False

    def takes_statistics(self, step: md.StepBase) -> bool:
        return self.uses_statistics

    def output_range(
        self, step: md.StepBase, params: Mapping[str, Any], given: Interval
    ) -> Interval | None:
        """The interval its output lies in when its input lies in ``given`` (None: unbounded),
        as the step class declares it (:meth:`~palmares.methodology.model.StepBase.leaf_range`,
        the range walk's rule)."""
        state = NodeState(RangeInterval(*given), "values", "raw data")
        return _bounds(step.leaf_range(params, RangeInput(state))[0])


def _coverage(p: Mapping[str, Any], mask: BoolArray, cols: Sequence[int], _: Any) -> BoolArray:
    if not cols:
        return np.ones(mask.shape[0], dtype=bool)
    return eligibility.coverage(mask, p["min_share"], cols)


def _required(p: Mapping[str, Any], mask: BoolArray, cols: Sequence[int], _: Any) -> BoolArray:
    if not cols:
        return np.zeros(mask.shape[0], dtype=bool)
    return eligibility.required(mask, cols)


def _k_of(p: Mapping[str, Any], mask: BoolArray, cols: Sequence[int], _: Any) -> BoolArray:
    k = int(p["k"])
    if len(cols) < k:
        return np.zeros(mask.shape[0], dtype=bool)
    return eligibility.k_of(mask, cols, k)


def _where(p: Mapping[str, Any], _: BoolArray, __: Sequence[int], attributes: Any) -> BoolArray:
    return eligibility.where(attributes, p["equals"])


class Eligibility(Operation):
    """Who is scored at all (a coverage rule ``screens``) and who enters the overall table."""

    classes = (
        md.EligibilityCoverage,
        md.EligibilityRequired,
        md.EligibilityKOf,
        md.EligibilityWhere,
    )
    RULES: ClassVar[dict[type[md.StepBase], Callable[..., BoolArray]]] = {
        md.EligibilityCoverage: _coverage,
        md.EligibilityRequired: _required,
        md.EligibilityKOf: _k_of,
        md.EligibilityWhere: _where,
    }

    def screens(self, step: md.StepBase) -> bool:
        return isinstance(step, md.EligibilityCoverage)

    def apply(
        self,
        step: md.StepBase,
        params: Mapping[str, Any],
        submitted: BoolArray,
        columns: Sequence[int],
        attributes: Mapping[str, npt.NDArray[Any]],
    ) -> BoolArray:
        """Per institution, whether it passes the rule (``columns``: the ones it counts)."""
        return self.RULES[type(step)](params, submitted, columns, attributes)


class LeafStep(Operation, abc.ABC):
    """A step over indicator columns."""

    @abc.abstractmethod
    def apply(self, step: md.StepBase, params: Mapping[str, Any], batch: LeafBatch) -> LeafOutcome:
        """The step over the batch's columns."""


class Impute(LeafStep):
    classes = (md.ImputeSimple, md.ImputeConstant, md.ImputePercentile, md.ImputeGroupMean)

    def takes_statistics(self, step: md.StepBase) -> bool:
        return step.method in ("mean", "median", "percentile", "group_mean")

    def apply(self, step: md.StepBase, params: Mapping[str, Any], batch: LeafBatch) -> LeafOutcome:
        groups = None
        if isinstance(step, md.ImputeGroupMean):
            groups = batch.attributes.get(params["by"])
            if groups is None:
                raise MethodologyDataError(f"no institution attribute {params['by']!r}")
        filled, imputed = impute.impute(
            batch.x,
            batch.mask,
            step.method,  # type: ignore[arg-type]
            q=params.get("q", 25.0),
            value=params.get("value"),
            groups=groups,
            reference=batch.reference,
        )
        # A value that does not apply is not missing: it is never filled.
        imputed &= batch.applicable
        filled = np.where(imputed | batch.mask, filled, np.nan)
        counts = imputed.sum(axis=0).tolist()
        return LeafOutcome(x=filled, imputed=imputed, facts=tuple(int(c) for c in counts))


class Redistribute(Operation):
    """Weights of children that do not apply go to the others (applied while aggregating)."""

    classes = (md.ImputeRedistribute,)

    def weights(self, shared: FloatArray, applicable: BoolArray) -> FloatArray:
        return impute.redistribute_weights(shared, applicable)


class Treat(LeafStep):
    classes = (md.TreatJrc,)
    uses_statistics = True

    def apply(self, step: md.StepBase, params: Mapping[str, Any], batch: LeafBatch) -> LeafOutcome:
        treated = treat.jrc(
            batch.x,
            batch.mask,
            params["skew"],
            params["kurtosis"],
            params["max_winsorised"],
            log=params["log"],
            reference=batch.reference,
        )
        facts = tuple(
            {"winsorised": int(w), "logged": bool(g)}
            for w, g in zip(treated.n_winsorised.tolist(), treated.logged.tolist(), strict=True)
        )
        return LeafOutcome(x=treated.x, facts=facts)


def _needs(params: Mapping[str, Any], *names: str, what: str) -> None:
    if any(params.get(name) is None for name in names):
        raise MethodologyDataError(f"{what} needs {' and '.join(names)} for every node")


class Normalise(LeafStep):
    """Every normalisation: one function per method, the same batch."""

    classes = (
        md.NormaliseMinmax,
        md.NormaliseZscore,
        md.NormaliseScaled,
        md.NormaliseRank,
        md.NormaliseTarget,
        md.NormaliseGoalposts,
    )
    uses_statistics = True

    def takes_statistics(self, step: md.StepBase) -> bool:
        return not isinstance(step, (md.NormaliseTarget, md.NormaliseGoalposts))

    def apply(self, step: md.StepBase, params: Mapping[str, Any], batch: LeafBatch) -> LeafOutcome:
        x, mask, d, ref = batch.x, batch.mask, batch.direction, batch.reference
        p = params
        out: FloatArray
        if isinstance(step, md.NormaliseMinmax):
            lo, hi = p["range"]
            out = normalise.minmax(x, mask, d, lo, hi, reference=ref)
        elif isinstance(step, md.NormaliseZscore):
            out = normalise.zscore(x, mask, d, p["mean"], p["sd"], reference=ref)
        elif isinstance(step, md.NormaliseScaled):
            scaled: Callable[..., FloatArray] = getattr(normalise, step.method)
            out = scaled(x, mask, d, p["scale"], reference=ref)
        elif isinstance(step, md.NormaliseRank):
            out = normalise.rank(x, mask, d, reference=ref)
        elif isinstance(step, md.NormaliseTarget):
            _needs(p, "target", what="normalise 'target'")
            out = normalise.distance_to_target(x, mask, d, p["target"], p["scale"], reference=ref)
        else:
            _needs(p, "low", "high", what="normalise 'goalposts'")
            out = normalise.goalposts(x, mask, d, p["low"], p["high"], p["scale"])
        return LeafOutcome(x=out)


class Points(LeafStep):
    classes = (md.PointsThresholds, md.PointsQuantiles)

    def takes_statistics(self, step: md.StepBase) -> bool:
        return isinstance(step, md.PointsQuantiles)

    def apply(self, step: md.StepBase, params: Mapping[str, Any], batch: LeafBatch) -> LeafOutcome:
        x, mask, d = batch.x, batch.mask, batch.direction
        if isinstance(step, md.PointsThresholds):
            _needs(params, "thresholds", what="points 'thresholds'")
            thresholds = np.tile(np.asarray(params["thresholds"], dtype=float), (x.shape[1], 1))
            return LeafOutcome(x=normalise.points_by_thresholds(x, mask, d, thresholds))
        most = int(params["max_points"])
        return LeafOutcome(
            x=normalise.points_by_quantiles(x, mask, d, most, reference=batch.reference)
        )


class Grade(LeafStep):
    classes = (md.GradeMedianDistance,)
    uses_statistics = True

    def apply(self, step: md.StepBase, params: Mapping[str, Any], batch: LeafBatch) -> LeafOutcome:
        grades = grade.median_distance(
            batch.x, batch.mask, batch.direction, params["thresholds"], reference=batch.reference
        )
        return LeafOutcome(grades=grades)


class Weight(Operation):
    """Children weights of one parent: (c,) shared, or (n, c) per institution."""

    classes = (md.WeightSimple, md.WeightBestK)

    def per_institution(self, step: md.StepBase) -> bool:
        return isinstance(step, md.WeightBestK)

    def nominal(
        self,
        step: md.StepBase,
        params: Mapping[str, Any],
        children: Sequence[str],
        base: FloatArray,
    ) -> FloatArray:
        """The shared weights (c,) before any per-institution choice: equal weights, the
        step's own table (missing children keep ``base``, the file's), else ``base``."""
        if step.method == "equal":
            return weight.equal(len(children))
        table = params.get("weights") or {}
        if table:
            return np.array(
                [table.get(c, b) for c, b in zip(children, base.tolist(), strict=True)],
                dtype=float,
            )
        return base

    def apply(
        self,
        step: md.StepBase,
        params: Mapping[str, Any],
        children: Sequence[str],
        base: FloatArray,
        x: FloatArray,
        mask: BoolArray,
    ) -> FloatArray:
        w = self.nominal(step, params, children, base)
        if isinstance(step, md.WeightBestK):
            always = [i for i, c in enumerate(children) if c in (params.get("always") or [])]
            w = weight.best_k(x, mask, w, int(params["k"]), always=always or None)
        return w

    def draws(
        self,
        w: FloatArray,
        values: list[FloatArray],
        step: md.StepBase,
        params: Mapping[str, Any],
        children: Sequence[str],
        mean: tuple[md.StepBase | None, Mapping[str, Any]],
    ) -> FloatArray:
        """A parent whose weights are chosen per draw and institution (best k), aggregated by
        ``mean`` (its aggregate step and parameters): weights ``w`` (d, k), children ``values``
        (d, n) NaN where absent -> (d, n). The arithmetic mean sums the chosen children
        directly; other means take (d, k, n) weights."""
        kept = set(params.get("always") or [])
        always = np.array([c in kept for c in children], dtype=bool)
        top, index = weight.best_k_per_draw(values, w, int(params["k"]), always)
        agg_step, agg_params = mean
        if AGGREGATE.mean(agg_step, agg_params) is agg.arithmetic:
            return agg.arithmetic_of_best(
                values,
                w,
                top,
                index,
                always,
                renormalise=agg_params.get("renormalise", True),
                min_children=agg_params.get("min_children", 1),
            )
        chosen = weight.chosen_per_draw(index, always, w.shape[0], values[0].shape[1])
        wk = np.where(chosen, w[:, :, None], 0.0)
        return AGGREGATE.per_draw(np.stack(values, axis=1), wk, agg_step, agg_params, children)


class Aggregate(Operation):
    """Every aggregation of a parent's children (weights (c,) or (n, c) per institution)."""

    classes = (md.AggregateMean, md.AggregateGeneralised, md.AggregateSumPoints, md.AggregateOther)
    #: The default aggregation of inner nodes no aggregate step covers (the JRC's).
    DEFAULT = "arithmetic"

    def apply(
        self,
        step: md.StepBase | None,
        params: Mapping[str, Any],
        children: Sequence[str],
        x: FloatArray,
        mask: BoolArray,
        w: FloatArray,
    ) -> FloatArray:
        method = self.DEFAULT if step is None else step.method
        per_institution = w.ndim == 2
        if per_institution:
            w = np.where(np.isnan(w), 0.0, w) if not np.isnan(w).all(axis=1).any() else w
        options = {
            "renormalise": params.get("renormalise", True),
            "min_children": params.get("min_children", 1),
            "per_institution": per_institution,
        }
        if method in ("arithmetic", "geometric", "harmonic"):
            mean: Callable[..., FloatArray] = getattr(agg, method)
            return mean(x, mask, w, **options)
        if isinstance(step, md.AggregateGeneralised):
            return agg.generalised(x, mask, w, params["p"], **options)
        if isinstance(step, md.AggregateSumPoints):
            bonus_ids = set(params.get("bonus") or [])
            bonus = [i for i, c in enumerate(children) if c in bonus_ids]
            if len(bonus) == len(children):
                bonus = []  # a ranking on bonus criteria alone scores them as plain points
            weights = w if not per_institution else None
            return agg.sum_points(x, mask, weights, bonus or None, skip_missing=True)
        if method == "grade_counts":
            return np.where(mask, 1.0, 0.0).sum(axis=1)  # values unused; counts kept apart
        return agg.copeland(x, mask, w if not per_institution else w.mean(axis=0))

    def mean(self, step: md.StepBase | None, params: Mapping[str, Any]) -> agg.Mean | None:
        """The weighted mean a step computes (None: not a weighted mean)."""
        if step is None:
            return agg.arithmetic
        if isinstance(step, md.AggregateGeneralised):
            return agg.power_mean(float(params["p"]))
        if isinstance(step, md.AggregateMean):
            found: agg.Mean = getattr(agg, step.method)
            return found
        return None

    def bonus(self, params: Mapping[str, Any], children: Sequence[str]) -> BoolArray:
        """(k,) the children a sum of points adds with weight 1 (none when every child is:
        a ranking on bonus criteria alone scores them as plain points)."""
        named = set(params.get("bonus") or [])
        flags = np.array([c in named for c in children], dtype=bool)
        return flags if not flags.all() else np.zeros(len(children), dtype=bool)

    def per_draw(
        self,
        v: FloatArray,
        w: FloatArray,
        step: md.StepBase | None,
        params: Mapping[str, Any],
        children: Sequence[str],
        *,
        required: BoolArray | None = None,
    ) -> FloatArray:
        """A batch of draws whose children differ per draw: ``v`` (d, k, n) NaN where absent,
        weights (d, k) or (d, k, n) -> (d, n) (the uncertainty replay above the leaves)."""
        if isinstance(step, md.AggregateSumPoints):
            return agg.sum_points_per_draw(v, w, self.bonus(params, children))
        mean = self.mean(step, params)
        if mean is None:
            raise ValueError(f"{step.tag if step else 'aggregate'} has no batch of draws")
        return mean.per_draw(
            v,
            w,
            renormalise=params.get("renormalise", True),
            min_children=params.get("min_children", 1),
            required=required,
        )

    def batches(self, step: md.StepBase | None) -> bool:
        """Whether the step aggregates a batch of draws (:meth:`draws`): the weighted means and
        sums of points (not Copeland's pairwise votes nor grade counts)."""
        return step is None or isinstance(
            step, (md.AggregateMean, md.AggregateGeneralised, md.AggregateSumPoints)
        )

    def sums_points(self, step: md.StepBase | None) -> bool:
        """A sum of points (L'Etudiant): weights are multipliers, bonus children add."""
        return isinstance(step, md.AggregateSumPoints)

    def fixed_children(
        self, step: md.StepBase | None, params: Mapping[str, Any], children: Sequence[str]
    ) -> BoolArray:
        """(k,) the children whose weight does not count (a sum of points' bonus children
        add with weight 1 whatever their weight): no draw varies them."""
        if not self.sums_points(step):
            return np.zeros(len(children), dtype=bool)
        return self.bonus(params, children)

    def draws(
        self,
        w: FloatArray,
        step: md.StepBase | None,
        params: Mapping[str, Any],
        children: Sequence[str],
        batch: DrawChildren,
    ) -> tuple[FloatArray, bool]:
        """A parent's scores (d, n) for weights ``w`` (d, k) (a normal run is one draw), and
        whether they are known to have no gap.

        The fast paths: leaf children (fixed across draws) in one matrix product
        (:func:`~palmares.steps.aggregate.arithmetic_of_leaves`,
        :func:`~palmares.steps.aggregate.sum_points_of_leaves`, or the mean over the leaves'
        matrix); gap-free children of an arithmetic mean summed in place; else the children
        stacked (d, k, n) through :meth:`per_draw`.
        """
        leaves = batch.leaves
        renormalise = params.get("renormalise", True)
        least = params.get("min_children", 1)
        if self.sums_points(step):
            if leaves is not None:
                bonus = self.bonus(params, children)
                return agg.sum_points_of_leaves(leaves.x, leaves.xt, leaves.maskt, w, bonus), False
        elif batch.required is None:
            mean = self.mean(step, params)
            if mean is None:
                raise ValueError(f"{step.tag if step else 'aggregate'} has no batch of draws")
            if leaves is not None:
                if mean is agg.arithmetic:
                    return agg.arithmetic_of_leaves(
                        leaves.xt,
                        leaves.maskt,
                        leaves.patterns,
                        leaves.pattern_of,
                        leaves.covered,
                        w,
                        renormalise=renormalise,
                        min_children=least,
                    )
                return mean(
                    leaves.x, leaves.mask, w, renormalise=renormalise, min_children=least
                ), False
            simple = mean is agg.arithmetic and least <= 1 and batch.gap_free
            if simple and bool((w.sum(axis=1) > 0).all()):
                return agg.weighted_sum(batch.values(), w), True
        v = np.stack(batch.values(), axis=1)
        return self.per_draw(v, w, step, params, children, required=batch.required), False

    def output_range(
        self,
        step: md.StepBase | None,
        params: Mapping[str, Any],
        given: Interval,
        children: int = 1,
    ) -> Interval | None:
        """The parent's interval when each of its ``children`` (of weight 1) lies in ``given``,
        as the step class declares it (``aggregate_range``)."""
        if step is None:
            return given  # the default arithmetic mean
        assert isinstance(step, md.AggregateStep)
        state = NodeState(RangeInterval(*given), "values", "raw data")
        found = step.aggregate_range(
            ChildrenInput(tuple((f"child {j}", state) for j in range(children)))
        )
        return None if found is None else _bounds(found[0])

    def plain_mean(self, step: md.StepBase | None) -> bool:
        """A weighted arithmetic mean (the matrix-product fast path)."""
        return step is None or step.method == "arithmetic"


class Scores(Operation):
    """Rescale and round: node scores (n,) or (draws, n), statistics over ``population``."""

    classes = (md.RescaleTop100, md.RescaleMinmax, md.RescaleAffine, md.RoundHalfUp)

    def takes_statistics(self, step: md.StepBase) -> bool:
        return False  # over scores, not over the leaf population a bootstrap resamples

    def apply(
        self,
        step: md.StepBase,
        params: Mapping[str, Any],
        s: FloatArray,
        population: BoolArray | None = None,
        node: str | None = None,
    ) -> FloatArray:
        """``population`` (n,) or the shape of ``s``: whom the scale is taken over (None: every
        score present). Outputs are NaN outside it. Scores a rescale cannot take (top100 with
        no score above 0) are bad input for this methodology and data: a MethodologyDataError
        naming the step and ``node``."""
        if isinstance(step, md.RoundHalfUp):
            return rounding.round_half_up_fast(s, int(params["decimals"]))
        valid = ~np.isnan(s) if population is None else population & ~np.isnan(s)
        if isinstance(step, md.RescaleTop100):
            try:
                return rescale.top100(s, valid)
            except ValueError as error:
                where = f"node {node!r}, " if node else ""
                raise MethodologyDataError(f"{where}step rescale.top100: {error}") from error
        if isinstance(step, md.RescaleMinmax):
            lo, hi = params["range"]
            return rescale.minmax(s, valid, lo, hi)
        return rescale.affine_floor(s, valid, params["floor"], params["top"])

    def output_range(
        self, step: md.StepBase, params: Mapping[str, Any], given: Interval
    ) -> Interval | None:
        """As the step class declares it (``score_range``)."""
        assert isinstance(step, (md.RescaleStep, md.RoundStep))
        return _bounds(step.score_range(RangeInterval(*given)))

    def round_units(self, s: FloatArray, decimals: int) -> FloatArray:
        """Scores rounded half-up in units of their last decimal (integers, same order): what
        ranks on the rounded scores are counted on."""
        return rounding.round_units(s, decimals)

    def rounds(self, step: md.StepBase) -> bool:
        return isinstance(step, md.RoundHalfUp)


AGGREGATE = Aggregate()
SCORES = Scores()
WEIGHT = Weight()
REDISTRIBUTE = Redistribute()

#: Every operation, one instance each.
OPERATIONS: tuple[Operation, ...] = (
    Eligibility(),
    Impute(),
    REDISTRIBUTE,
    Treat(),
    Normalise(),
    Points(),
    Grade(),
    WEIGHT,
    AGGREGATE,
    SCORES,
)

#: Step class -> its operation.
REGISTRY: dict[type[md.StepBase], Operation] = {cls: op for op in OPERATIONS for cls in op.classes}


def operation(step: md.StepBase) -> Operation:
    """The operation of a step (KeyError names a step class the registry lacks)."""
    try:
        return REGISTRY[type(step)]
    except KeyError:
        raise KeyError(f"no operation for step {step.tag} ({type(step).__name__})") from None


def leaf_operation(step: md.StepBase) -> LeafStep | None:
    """The operation of a step acting on leaf columns (None for any other step)."""
    op = REGISTRY.get(type(step))
    return op if isinstance(op, LeafStep) else None


def eligibility_operation(step: md.StepBase) -> Eligibility | None:
    op = REGISTRY.get(type(step))
    return op if isinstance(op, Eligibility) else None


def is_redistribution(step: md.StepBase | None) -> bool:
    return step is not None and isinstance(REGISTRY.get(type(step)), Redistribute)


def is_best_k(step: md.StepBase | None) -> bool:
    return isinstance(step, md.WeightBestK)


def counts_grades(step: md.StepBase | None) -> bool:
    """An aggregation counting grades (U-Multirank): no weighted composite."""
    return isinstance(step, md.AggregateOther) and step.counts_grades


def rounds(step: md.StepBase) -> bool:
    """A half-up round step (its decimals are the published precision when it ends the root)."""
    return isinstance(step, md.RoundHalfUp)


def takes_statistics(step: md.StepBase) -> bool:
    """Whether the step takes statistics of the population (what a bootstrap changes)."""
    return operation(step).takes_statistics(step)


__all__ = [
    "AGGREGATE",
    "OPERATIONS",
    "REDISTRIBUTE",
    "REGISTRY",
    "SCORES",
    "UNBOUNDED",
    "WEIGHT",
    "Aggregate",
    "DrawChildren",
    "Eligibility",
    "Interval",
    "LeafBatch",
    "LeafChildren",
    "LeafOutcome",
    "LeafStep",
    "MethodologyDataError",
    "Operation",
    "Scores",
    "Weight",
    "counts_grades",
    "eligibility_operation",
    "is_best_k",
    "is_redistribution",
    "leaf_operation",
    "operation",
    "rounds",
    "takes_statistics",
]
