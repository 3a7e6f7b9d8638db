"""Random draws of method parameters: weights, alternative options, excluded indicators.

Draws come in fixed-size chunks; chunk ``c`` takes its numbers from the stream
``SeedSequence(seed, spawn_key=(c,))`` (the c-th child of ``SeedSequence(seed).spawn``), so a
draw's value depends only on the seed and its index, never on how many workers run the chunks.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from palmares.steps import FloatArray, IntArray
from palmares.uncertainty.spec import UncertaintySpec


@dataclass(frozen=True)
class WeightModel:
    """The weights that can vary: one per child of an aggregated node, grouped by parent."""

    nodes: tuple[str, ...]  # (K,) node ids carrying a weight
    group: IntArray  # (K,) index of each node's parent among the groups
    nominal: FloatArray  # (K,) weights as the methodology gives them
    varied: npt.NDArray[np.bool_]  # (K,) whether the node's sibling group varies

    @property
    def n_groups(self) -> int:
        return int(self.group.max()) + 1 if self.group.size else 0

    def group_sums(self, w: FloatArray) -> FloatArray:
        """(d, K) weights -> (d, K) sum of each node's sibling group."""
        if self.nominal.size == 0:
            return np.zeros_like(w)
        if (np.diff(self.group) >= 0).all():  # siblings are contiguous: one reduceat
            starts = np.flatnonzero(np.r_[True, np.diff(self.group) != 0])
            sums = np.add.reduceat(w, starts, axis=1)
            return np.repeat(sums, np.diff(np.r_[starts, self.group.size]), axis=1)
        onehot = np.zeros((self.nominal.size, self.n_groups))
        onehot[np.arange(self.nominal.size), self.group] = 1.0
        return (w @ onehot) @ onehot.T


@dataclass(frozen=True)
class Draws:
    """Every parameter of a batch of draws, so any draw can be replayed."""

    start: int  # index of the first draw
    weights: FloatArray  # (d, K) drawn weights, aligned with WeightModel.nodes
    options: IntArray  # (d, A) option of each alternative (0 = the methodology's own)
    excluded: IntArray  # (d,) index into the spec's exclude nodes, -1 = none
    replicate: IntArray  # (d,) noisy copy of the data used (0 without noise)

    @property
    def size(self) -> int:
        return int(self.weights.shape[0])


def chunk_bounds(n_draws: int, chunk: int) -> list[tuple[int, int, int]]:
    """(chunk index, first draw, end) of every chunk of ``n_draws`` draws."""
    return [(c, s, min(s + chunk, n_draws)) for c, s in enumerate(range(0, n_draws, chunk))]


def draw_weights(
    model: WeightModel, spec: UncertaintySpec, size: int, rng: np.random.Generator
) -> FloatArray:
    """(size, K) weights around the nominal ones, each sibling group keeping its nominal sum."""
    nominal = np.broadcast_to(model.nominal, (size, model.nominal.size))
    method = spec.weights.method
    live = model.varied & (model.nominal > 0)
    if method == "none" or not live.any():
        return np.array(nominal, dtype=np.float64)
    total = model.group_sums(model.nominal[None])[0]
    if method == "dirichlet":
        with np.errstate(invalid="ignore", divide="ignore"):
            share = np.where(total > 0, model.nominal / total, 0.0)
        alpha = np.where(live, spec.weights.concentration * share, 1.0)
        raw = rng.standard_gamma(alpha, size=(size, alpha.size))
    else:
        s = spec.weights.spread
        raw = model.nominal * rng.uniform(1.0 - s, 1.0 + s, size=(size, model.nominal.size))
    raw = np.where(live, raw, nominal)
    sums = model.group_sums(raw)
    with np.errstate(invalid="ignore", divide="ignore"):
        out = np.where(sums > 0, raw / sums * total, 0.0)
    return np.where(model.varied, out, nominal)


def draw_chunk(
    model: WeightModel,
    spec: UncertaintySpec,
    seed: int,
    chunk: int,
    start: int,
    size: int,
) -> Draws:
    """The draws of one chunk, from its own RNG stream."""
    rng = np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(chunk,)))
    weights = draw_weights(model, spec, size, rng)
    counts = [len(a.options) + 1 for a in spec.alternatives]
    options = (
        np.stack([rng.integers(0, c, size=size) for c in counts], axis=1)
        if counts
        else np.zeros((size, 0), dtype=np.int64)
    )
    if spec.exclude is not None:
        excluded = rng.integers(-1, len(spec.exclude.nodes), size=size)
    else:
        excluded = np.full(size, -1, dtype=np.int64)
    if spec.noise is not None:
        replicate = rng.integers(0, spec.noise.replicates, size=size)
    else:
        replicate = np.zeros(size, dtype=np.int64)
    return Draws(
        start,
        weights,
        options.astype(np.int64),
        excluded.astype(np.int64),
        replicate.astype(np.int64),
    )


def all_draws(model: WeightModel, spec: UncertaintySpec, seed: int, n_draws: int) -> Draws:
    """Every draw of a run, chunk by chunk (what the workers regenerate on their side)."""
    parts = [
        draw_chunk(model, spec, seed, c, s, e - s) for c, s, e in chunk_bounds(n_draws, spec.chunk)
    ]
    if not parts:
        k = model.nominal.size
        return Draws(
            0,
            np.zeros((0, k)),
            np.zeros((0, len(spec.alternatives)), np.int64),
            np.zeros(0, np.int64),
            np.zeros(0, np.int64),
        )
    return Draws(
        0,
        np.concatenate([p.weights for p in parts]),
        np.concatenate([p.options for p in parts]),
        np.concatenate([p.excluded for p in parts]),
        np.concatenate([p.replicate for p in parts]),
    )
