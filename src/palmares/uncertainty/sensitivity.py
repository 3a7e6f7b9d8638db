"""Sensitivity: first-order and total Sobol indices of rank outputs (SALib, Saltelli design).

Factors are independent, as Sobol indices need: each varied weight (unless the spec's weights
method is "none") gets a multiplier U(1 - spread, 1 + spread) (the spec's ``weights.spread``;
siblings are then renormalised to their nominal sum), each alternative a uniform factor mapped
to one of its options, the exclusion one factor mapped to "none" or a node. The N (D + 2) model
runs are one vectorised replay. Intervals are SALib's bootstrap confidence intervals
(``conf_level``, ``num_resamples``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from palmares.dataset import Dataset
from palmares.jsonsafe import json_safe
from palmares.methodology import Methodology
from palmares.plan import resolve
from palmares.steps import FloatArray
from palmares.uncertainty.monte_carlo import build_side, ranks_of
from palmares.uncertainty.spec import LoadedSpec, SpecSource, UncertaintySpec


class NothingVaries(ValueError):
    """The spec varies no factor, or the output is undefined in some runs."""


@dataclass(frozen=True)
class SobolResult:
    """Sobol indices per factor, with bootstrap intervals, for one scalar output."""

    factors: tuple[str, ...]
    first: FloatArray
    first_conf: FloatArray
    total: FloatArray
    total_conf: FloatArray
    output: str
    base_samples: int
    runs: int
    seed: int

    def to_frame(self) -> pd.DataFrame:
        return pd.DataFrame(
            {
                "factor": list(self.factors),
                "first": self.first,
                "first_low": self.first - self.first_conf,
                "first_high": self.first + self.first_conf,
                "total": self.total,
                "total_low": self.total - self.total_conf,
                "total_high": self.total + self.total_conf,
                "interaction": self.total - self.first,
            }
        )

    def to_json(self) -> dict[str, Any]:
        frame = self.to_frame()
        records = json_safe(frame.to_dict(orient="records"))
        return {
            "output": self.output,
            "base_samples": self.base_samples,
            "runs": self.runs,
            "seed": self.seed,
            "factors": records,
        }


def sensitivity(
    dataset: Dataset,
    method: Methodology | str,
    edition: int,
    base_samples: int,
    *,
    seed: int = 0,
    spec: UncertaintySpec | LoadedSpec | None = None,
    institution: str | None = None,
    num_resamples: int = 200,
    conf_level: float = 0.95,
    data_hash: str | None = "-",
) -> SobolResult:
    """Sobol indices of the mean absolute rank shift (or of one institution's rank).

    ``base_samples`` is SALib's N (a power of two); the design has N (D + 2) runs.
    """
    from SALib.analyze import sobol as analyse
    from SALib.sample import sobol as sample

    loaded = (
        spec
        if isinstance(spec, LoadedSpec)
        else LoadedSpec(spec or UncertaintySpec(), SpecSource())
    )
    the_spec = loaded.spec
    m = resolve(method, edition)
    side = build_side(dataset, m, edition, the_spec, seed, data_hash, loaded.source)
    model = side.weights
    weighted = the_spec.weights.method != "none"
    varied = np.flatnonzero(model.varied & (model.nominal > 0) & weighted)
    names = [f"weight:{model.nodes[k]}" for k in varied]
    names += [
        f"alternative:{a.step}" + (f"[{a.index}]" if a.index is not None else "")
        for a in the_spec.alternatives
    ]
    if the_spec.exclude is not None:
        names.append("exclude")
    if not names:
        raise NothingVaries("the spec varies nothing: no factor to analyse")
    problem = {"num_vars": len(names), "names": names, "bounds": [[0.0, 1.0]] * len(names)}
    u = sample.sample(problem, base_samples, calc_second_order=False, seed=seed)
    spread = the_spec.weights.spread
    multiplier = np.ones((u.shape[0], model.nominal.size))
    multiplier[:, varied] = 1.0 - spread + 2.0 * spread * u[:, : varied.size]
    raw = model.nominal * multiplier
    total = model.group_sums(model.nominal[None])
    sums = model.group_sums(raw)
    with np.errstate(invalid="ignore", divide="ignore"):
        weights = np.where(sums > 0, raw / sums * total, 0.0)
    counts = [len(a.options) + 1 for a in the_spec.alternatives]
    column = varied.size
    options = np.zeros((u.shape[0], len(counts)), dtype=np.int64)
    for a, count in enumerate(counts):
        options[:, a] = np.minimum((u[:, column] * count).astype(np.int64), count - 1)
        column += 1
    excluded = np.full(u.shape[0], -1, dtype=np.int64)
    if the_spec.exclude is not None:
        choices = len(the_spec.exclude.nodes) + 1
        excluded = np.minimum((u[:, column] * choices).astype(np.int64), choices - 1) - 1
    combo = (
        np.ravel_multi_index(tuple(options.T), counts)
        if counts
        else np.zeros(u.shape[0], dtype=np.int64)
    )
    if the_spec.noise is not None:  # plans are per (combination, replicate): the nominal data
        combo = combo * the_spec.noise.replicates
    ranks = ranks_of(side, combo, weights, excluded).astype(np.float64)
    nominal = side.result.ranking.rank
    if institution is not None:
        i = side.result.position(institution)
        y = np.where(ranks[:, i] > 0, ranks[:, i], np.nan)
        output = f"rank:{institution}"
    else:
        ranked = (ranks > 0) & (nominal > 0)
        shift = np.where(ranked, np.abs(ranks - nominal), 0.0)
        y = shift.sum(axis=1) / np.maximum(ranked.sum(axis=1), 1)
        output = "mean_abs_rank_shift"
    if np.isnan(y).any():
        raise NothingVaries(f"{output} is undefined in some runs (the institution goes unranked)")
    if np.ptp(y) == 0:
        zero = np.zeros(len(names))
        return SobolResult(tuple(names), zero, zero, zero, zero, output, base_samples, y.size, seed)
    found = analyse.analyze(
        problem,
        y,
        calc_second_order=False,
        num_resamples=num_resamples,
        conf_level=conf_level,
        seed=seed,
    )
    return SobolResult(
        factors=tuple(names),
        first=np.asarray(found["S1"], dtype=np.float64),
        first_conf=np.asarray(found["S1_conf"], dtype=np.float64),
        total=np.asarray(found["ST"], dtype=np.float64),
        total_conf=np.asarray(found["ST_conf"], dtype=np.float64),
        output=output,
        base_samples=base_samples,
        runs=int(y.size),
        seed=seed,
    )
