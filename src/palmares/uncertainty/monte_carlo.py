"""The Monte Carlo run: draws in chunks, replayed per alternative, summed into rank histograms.

Each combination of alternative options is one modified methodology, run once through
:func:`palmares.engine.run` (the steps before aggregation run once per alternative); every draw
then only re-aggregates that run's cached leaf values with its weights. A chunk's result is a
rank histogram (integers), so chunks sum in any order, locally or on Dask workers, to the same
totals.
"""

from __future__ import annotations

import itertools
import os
import sys
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from palmares.dataset import Dataset
from palmares.engine import run
from palmares.jsonsafe import json_number
from palmares.methodology import Methodology, StepBase
from palmares.methodology.model import WeightBestK, WeightStep
from palmares.plan import resolve
from palmares.result import Result
from palmares.steps import FloatArray, IntArray
from palmares.steps.registry import takes_statistics
from palmares.tree import Tree
from palmares.uncertainty.draws import Draws, WeightModel, all_draws, chunk_bounds, draw_chunk
from palmares.uncertainty.outputs import (
    MOMENTS,
    RESULT_COLUMNS,
    Summary,
    bucket_columns,
    move_signs,
    rank_bucket,
    rank_moments,
    same_move_counts,
    summarise,
    summarise_buckets,
    write_parquet,
)
from palmares.uncertainty.replay import ReplayPlan, build_plan, replay_ranks
from palmares.uncertainty.spec import (
    LoadedSpec,
    SpecSource,
    UncertaintySpec,
    check_spec,
    option_methodology,
)

Progress = Callable[[int, int], None]
#: Combinations of alternative options run through the engine at most.
MAX_COMBINATIONS = 512


@dataclass(frozen=True)
class Side:
    """One edition's replay: a plan per combination of options, and the nominal result."""

    result: Result
    plans: tuple[ReplayPlan, ...]
    exclude_columns: IntArray  # weight column of each excludable node (-1: not in this tree)

    @property
    def weights(self) -> WeightModel:
        return self.plans[0].weights


@dataclass(frozen=True)
class Context:
    """Everything a chunk needs (shipped once to each Dask worker)."""

    spec: UncertaintySpec
    seed: int
    counts: tuple[int, ...]  # options per alternative (the methodology's own included)
    current: Side
    previous: Side | None = None
    previous_map: IntArray | None = None  # current institution -> previous position (-1 none)
    published: FloatArray | None = None  # sign of each published move
    bucket: int = 1  # ranks per histogram column (1: exact; large fields, see rank_bucket)


@dataclass(frozen=True)
class ChunkCounts:
    hist: npt.NDArray[np.int32]  # (n, columns + 1) counts of one chunk
    same_move: IntArray | None  # (n,)
    moments: IntArray | None = None  # (n, 4) exact sums when ranks are bucketed


def _combos(counts: Sequence[int]) -> list[tuple[int, ...]]:
    return list(itertools.product(*[range(c) for c in counts]))


#: Spawn-key tag of the data-noise streams (chunks use keys of length 1).
NOISE_STREAM = 1 << 40


def noisy_copies(
    dataset: Dataset, m: Methodology, edition: int, spec: UncertaintySpec, seed: int, side: int
) -> list[Dataset]:
    """``replicates`` copies of the data with every present raw value of the edition times
    exp(sigma e); copy r of side s (0 current, 1 previous edition) has its own stream."""
    noise = spec.noise
    if noise is None:
        return [dataset]
    if not noise.perturbs_values:  # the bootstrap alone: the data as they are
        return [dataset] * noise.replicates
    obs = dataset.observations
    rows = (
        (obs["system"] == m.system) & (obs["year"] == edition) & obs["value"].notna()
    ).to_numpy()
    sigma = (
        obs.loc[rows, "indicator"]
        .map(lambda node: noise.per_indicator.get(str(node), noise.relative))
        .to_numpy(dtype=np.float64)
    )
    values = obs["value"].to_numpy(dtype=np.float64)
    copies = []
    for r in range(noise.replicates):
        rng = np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(NOISE_STREAM, side, r)))
        noisy = values.copy()
        noisy[rows] = values[rows] * np.exp(sigma * rng.standard_normal(int(rows.sum())))
        frames = dataset.to_frames()
        frames["observations"] = obs.assign(value=noisy)
        copies.append(Dataset(frames))
    return copies


#: Spawn-key tag of the bootstrap streams of the population behind leaf statistics.
BOOTSTRAP_STREAM = NOISE_STREAM + 1


def uses_statistics(m: Methodology) -> bool:
    """Whether a leaf step of ``m`` takes statistics of the population (min, max, mean, sd,
    median, quantiles, ranks): the steps a bootstrap of that population changes. Targets,
    goalposts and point thresholds are fixed numbers."""
    return any(takes_statistics(s) for s in m.steps)


def bootstrap_references(
    scored: npt.NDArray[np.bool_], spec: UncertaintySpec, seed: int, side: int
) -> list[IntArray | None]:
    """One reference population per replicate: how many times each institution is drawn
    when the scored institutions are resampled with replacement (None: no bootstrap).

    Replicate r of side s has its own stream, apart from the data noise's."""
    noise = spec.noise
    if noise is None or not noise.bootstrap:
        return [None] * (1 if noise is None else noise.replicates)
    rows = np.flatnonzero(scored)
    out: list[IntArray | None] = []
    for r in range(noise.replicates):
        stream = np.random.SeedSequence(seed, spawn_key=(BOOTSTRAP_STREAM, side, r))
        drawn = np.random.default_rng(stream).integers(0, rows.size, size=rows.size)
        counts = np.zeros(scored.size, dtype=np.int64)
        counts[rows] = np.bincount(drawn, minlength=rows.size)
        out.append(counts)
    return out


def _scored(result: Result) -> npt.NDArray[np.bool_]:
    """The institutions the engine scored (whose values enter leaf statistics)."""
    if result.scored is None:
        return np.ones(len(result.institutions), dtype=bool)
    return np.asarray(result.scored, dtype=bool)


def build_side(
    dataset: Dataset,
    m: Methodology,
    edition: int,
    spec: UncertaintySpec,
    seed: int,
    data_hash: str | None,
    source: SpecSource,
    side: int = 0,
) -> Side:
    """The nominal run and one replay plan per (combination of options, replicate).

    A replicate is a noisy copy of the data and, with the bootstrap, a resampled reference
    population. The engine runs once per combination and distinct replicate: a methodology
    whose leaf steps take no statistic ignores the resample, and without value noise the
    copies are the data themselves, so such replicates share one run.
    """
    nominal = run(dataset, m, edition, seed=seed, data_hash=data_hash)
    check_spec(LoadedSpec(spec, source), m, nominal.tree.ids)
    counts = [len(a.options) + 1 for a in spec.alternatives]
    copies = noisy_copies(dataset, m, edition, spec, seed, side)
    references = bootstrap_references(_scored(nominal), spec, seed, side)
    plans = []
    perturbed = spec.weights.method != "none"
    for combo in _combos(counts):
        variant = m
        for alt, option in zip(spec.alternatives, combo, strict=True):
            variant = option_methodology(variant, alt, option)
        resampled = uses_statistics(variant)
        done: dict[tuple[int, int], ReplayPlan] = {}
        for r, (data, reference) in enumerate(zip(copies, references, strict=True)):
            ref = reference if resampled else None
            key = (id(data), r if ref is not None else -1)
            if key not in done:
                result = (
                    nominal
                    if variant is m and data is dataset and ref is None
                    else run(data, variant, edition, seed=seed, data_hash=data_hash, reference=ref)
                )
                done[key] = build_plan(result, spec.weights.parents, perturbed=perturbed)
            plans.append(done[key])
    nodes = plans[0].weights.nodes
    excludable = spec.exclude.nodes if spec.exclude is not None else []
    columns = np.array([nodes.index(x) if x in nodes else -1 for x in excludable], dtype=np.int64)
    return Side(nominal, tuple(plans), columns)


def ranks_of(side: Side, combo: IntArray, weights: FloatArray, excluded: IntArray) -> IntArray:
    """Ranks (d, n) of a batch of draws: one vectorised replay per combination present."""
    w = weights
    drop = np.flatnonzero(excluded >= 0)
    if drop.size and side.exclude_columns.size:
        w = weights.copy()
        cols = side.exclude_columns[excluded[drop]]
        keep = cols >= 0
        w[drop[keep], cols[keep]] = 0.0
    codes = np.unique(combo).tolist()
    if len(codes) == 1:  # one combination: no regrouping of the draws
        return replay_ranks(side.plans[codes[0]], w)
    out = np.empty((w.shape[0], side.plans[0].n), dtype=np.int64)
    for code in codes:
        rows = np.flatnonzero(combo == code)
        out[rows] = replay_ranks(side.plans[code], w[rows])
    return out


def _paired_weights(current: WeightModel, previous: WeightModel, w: FloatArray) -> FloatArray:
    """The previous edition's weights moved by the same relative factors as the current ones."""
    with np.errstate(invalid="ignore", divide="ignore"):
        factor = np.where(current.nominal > 0, w / current.nominal, 1.0)
    position = {node: k for k, node in enumerate(current.nodes)}
    cols = np.array([position.get(node, -1) for node in previous.nodes], dtype=np.int64)
    f = np.ones((w.shape[0], len(previous.nodes)))
    f[:, cols >= 0] = factor[:, cols[cols >= 0]]
    raw = previous.nominal * f
    total = previous.group_sums(previous.nominal[None])
    sums = previous.group_sums(raw)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(sums > 0, raw / sums * total, 0.0)


def chunk_counts(context: Context, chunk: int, start: int, end: int) -> ChunkCounts:
    """Regenerate one chunk's draws from its stream, replay them, count ranks."""
    spec = context.spec
    cur = context.current
    draws = draw_chunk(cur.weights, spec, context.seed, chunk, start, end - start)
    combo = (
        np.ravel_multi_index(tuple(draws.options.T), context.counts)
        if context.counts
        else np.zeros(draws.size, dtype=np.int64)
    )
    if spec.noise is not None:
        combo = combo * spec.noise.replicates + draws.replicate
    ranks = ranks_of(cur, combo, draws.weights, draws.excluded)
    n = ranks.shape[1]
    moments = None
    if context.bucket > 1:  # what the buckets lose, summed exactly
        table = cur.result.ranking
        moments = rank_moments(ranks, table.rank, table.band_lo, table.band_hi, spec.top_k)
    same = None
    if context.previous is not None and context.previous_map is not None:
        prev = context.previous
        assert context.published is not None
        wp = _paired_weights(cur.weights, prev.weights, draws.weights)
        prev_ranks = ranks_of(prev, combo, wp, draws.excluded)
        mapped = np.where(context.previous_map >= 0, prev_ranks[:, context.previous_map], 0)
        same = same_move_counts(mapped, ranks, context.published)
    width = -(-n // context.bucket)
    # Unbuffered add of one per (institution, rank) into 32-bit counts (a chunk holds far fewer
    # than 2^31 draws): half the table a bincount would allocate, so more of it stays in cache.
    hist = np.zeros((n, width + 1), dtype=np.int32)
    flat = bucket_columns(ranks, context.bucket)
    flat += np.arange(n, dtype=np.int64) * (width + 1)  # in place: the ranks are done with
    np.add.at(hist.reshape(-1), flat.reshape(-1), np.int32(1))  # a typed one: the fast path
    return ChunkCounts(hist, same, moments)


@dataclass(frozen=True)
class UncertaintyResult:
    """Rank distributions of one edition under the spec's perturbations."""

    nominal: Result
    spec: UncertaintySpec
    draws: int
    seed: int
    #: (n, n + 1): column r counts the draws at rank r (0: unranked); for fields too large
    #: for that table, column c counts ranks (c - 1) rank_bucket + 1 .. c rank_bucket.
    hist: IntArray
    summary: Summary
    p_move_real: FloatArray | None
    previous_edition: int | None
    methodology_changed: bool
    weights: WeightModel
    rank_bucket: int = 1

    @property
    def institutions(self) -> tuple[str, ...]:
        return self.nominal.institutions

    @property
    def mean_abs_rank_shift(self) -> float:
        shift = self.summary.mean_abs_shift
        ok = ~np.isnan(shift)
        return float(shift[ok].mean()) if ok.any() else float("nan")

    def draw_parameters(self) -> Draws:
        """Every draw's weights, options and exclusion (regenerated from the seed)."""
        return all_draws(self.weights, self.spec, self.seed, self.draws)

    def replay_draw(self, dataset: Dataset, index: int) -> Result:
        """Run draw ``index`` through the whole engine (its weights and options in the file)."""
        spec = self.spec
        c = index // spec.chunk
        chunk = draw_chunk(
            self.weights,
            spec,
            self.seed,
            c,
            c * spec.chunk,
            min(spec.chunk, self.draws - c * spec.chunk),
        )
        i = index - c * spec.chunk
        m = self.nominal.methodology
        for alt, option in zip(spec.alternatives, chunk.options[i].tolist(), strict=True):
            m = option_methodology(m, alt, int(option))
        weights = dict(zip(self.weights.nodes, chunk.weights[i].tolist(), strict=True))
        if chunk.excluded[i] >= 0 and spec.exclude is not None:
            weights[spec.exclude.nodes[int(chunk.excluded[i])]] = 0.0
        reference = None
        if spec.noise is not None:
            r = int(chunk.replicate[i])
            dataset = noisy_copies(dataset, m, self.nominal.edition, spec, self.seed, 0)[r]
            reference = bootstrap_references(_scored(self.nominal), spec, self.seed, 0)[r]
        dataset = drawn_data(dataset, m, self.nominal.tree, self.nominal.edition, weights)
        m = drawn_methodology(m, weights)
        return run(
            dataset,
            m,
            self.nominal.edition,
            seed=self.seed,
            data_hash=self.nominal.data_hash,
            reference=reference,
        )

    def records(self) -> list[dict[str, Any]]:
        """One JSON-ready row per ranked-or-scored institution (contracts section 8)."""
        s = self.summary
        rank = self.nominal.ranking.rank
        rows = []
        for i, inst in enumerate(self.institutions):
            if rank[i] <= 0 and np.isnan(s.median[i]):
                continue
            rows.append(
                {
                    "institution": inst,
                    "nominal_rank": int(rank[i]) if rank[i] > 0 else None,
                    "median_rank": json_number(s.median[i]),
                    "mean_rank": json_number(s.mean[i]),
                    "q05": json_number(s.q_low[i]),
                    "q95": json_number(s.q_high[i]),
                    "p_top_k": json_number(s.p_top_k[i]),
                    "p_same_band": json_number(s.p_same_band[i]),
                    "p_move_real": None
                    if self.p_move_real is None
                    else json_number(self.p_move_real[i]),
                }
            )
        rows.sort(
            key=lambda r: (r["nominal_rank"] is None, r["nominal_rank"] or 0, r["institution"])
        )
        return rows

    def frame(self) -> pd.DataFrame:
        """The JSON rows as a table, plus names, mean absolute shift and P(ranked)."""
        rows = self.records()
        frame = pd.DataFrame(rows, columns=list(RESULT_COLUMNS))
        position = {inst: i for i, inst in enumerate(self.institutions)}
        index = np.array([position[r["institution"]] for r in rows], dtype=np.int64)
        frame.insert(1, "name", [self.nominal.names[i] for i in index])
        frame["mean_abs_shift"] = self.summary.mean_abs_shift[index]
        frame["p_ranked"] = self.summary.p_ranked[index]
        return frame

    def write(self, path: str | os.PathLike[str], *, force: bool = False) -> Any:
        """Write the table and the rank-acceptability matrix to Parquet (atomically)."""
        frame = self.frame()
        position = {inst: i for i, inst in enumerate(self.institutions)}
        rows = np.array([position[i] for i in frame["institution"]], dtype=np.int64)
        meta = {k: v for k, v in self.to_json().items() if k != "results"}
        meta["spec"] = self.spec.model_dump(mode="json")
        meta["rank_bucket"] = self.rank_bucket
        return write_parquet(path, frame, self.hist, rows, meta, force=force)

    def to_json(self) -> dict[str, Any]:
        results = self.records()
        return {
            "institutions": len(results),
            "draws": self.draws,
            "seed": self.seed,
            "methodology_hash": self.nominal.methodology_hash,
            "data_hash": self.nominal.data_hash,
            "mean_abs_rank_shift": json_number(self.mean_abs_rank_shift),
            "top_k": self.spec.top_k,
            "quantiles": list(self.spec.quantiles),
            "previous_edition": self.previous_edition,
            "methodology_changed": self.methodology_changed,
            "results": results,
        }


def uncertainty(
    dataset: Dataset,
    method: Methodology | str,
    edition: int,
    draws: int,
    *,
    seed: int = 0,
    spec: UncertaintySpec | LoadedSpec | None = None,
    previous_edition: int | None = None,
    previous_method: Methodology | str | None = None,
    top_k: int | None = None,
    workers: int | None = None,
    scheduler: str | None = None,
    progress: Progress | None = None,
    data_hash: str | None = None,
    threads: int | None = None,
) -> UncertaintyResult:
    """Rank intervals of one edition under the spec's perturbations (``draws`` draws).

    With ``previous_edition``, method parameters of the two editions are paired draw by draw
    and ``p_move_real`` is the share of draws in which each published move keeps its sign.
    ``workers`` starts a local Dask cluster, ``scheduler`` uses one; without them chunks run
    on ``threads`` threads of this process (default 1). Results are identical.
    """
    if draws < 1:
        raise ValueError("draws must be >= 1")
    loaded = (
        spec
        if isinstance(spec, LoadedSpec)
        else LoadedSpec(spec or UncertaintySpec(), SpecSource())
    )
    the_spec = loaded.spec
    if top_k is not None:
        the_spec = the_spec.model_copy(update={"top_k": top_k})
    m = resolve(method, edition)
    if data_hash is None:
        from palmares.io import data_hash as compute

        data_hash = dataset.memo("data_hash", lambda: compute(dataset))
    current = build_side(dataset, m, edition, the_spec, seed, data_hash, loaded.source)
    counts = tuple(len(a.options) + 1 for a in the_spec.alternatives)
    if int(np.prod(counts)) > MAX_COMBINATIONS:
        raise ValueError(f"more than {MAX_COMBINATIONS} combinations of alternatives")
    n = len(current.result.institutions)
    bucket = rank_bucket(n)
    context = Context(the_spec, seed, counts, current, bucket=bucket)
    changed = False
    if previous_edition is not None:
        pm = resolve(
            previous_method if previous_method is not None else _ref(method, m), previous_edition
        )
        prev = build_side(
            dataset, pm, previous_edition, the_spec, seed, data_hash, loaded.source, side=1
        )
        position = {inst: i for i, inst in enumerate(prev.result.institutions)}
        mapping = np.array(
            [position.get(inst, -1) for inst in current.result.institutions], dtype=np.int64
        )
        prev_rank = np.where(mapping >= 0, prev.result.ranking.rank[mapping], 0)
        published = move_signs(prev_rank, current.result.ranking.rank)
        context = Context(the_spec, seed, counts, current, prev, mapping, published, bucket)
        changed = prev.result.methodology_hash != current.result.methodology_hash
    bounds = chunk_bounds(draws, the_spec.chunk)
    hist = np.zeros((n, -(-n // bucket) + 1), dtype=np.int64)
    same = np.zeros(n, dtype=np.int64)
    moments = np.zeros((n, len(MOMENTS)), dtype=np.int64)

    def add(part: ChunkCounts) -> None:
        # Chunks are summed as they arrive: memory holds one histogram, not one per chunk.
        np.add(hist, part.hist, out=hist)
        if part.same_move is not None:
            np.add(same, part.same_move, out=same)
        if part.moments is not None:
            np.add(moments, part.moments, out=moments)

    if workers is not None or scheduler is not None:
        from palmares.uncertainty.dask_backend import map_chunks

        map_chunks(
            chunk_counts,
            context,
            bounds,
            add,
            workers=workers,
            scheduler=scheduler,
            progress=progress,
        )
    else:
        run_local(context, bounds, add, threads=threads, progress=progress)
    table = current.result.ranking
    if bucket == 1:
        summary = summarise(
            hist,
            table.rank,
            table.band_lo,
            table.band_hi,
            quantiles=the_spec.quantiles,
            top_k=the_spec.top_k,
        )
    else:
        summary = summarise_buckets(
            hist, bucket, moments, table.rank, n=n, quantiles=the_spec.quantiles
        )
    p_move = None
    if context.previous is not None and context.published is not None:
        p_move = np.where(np.isnan(context.published), np.nan, same / draws)
    return UncertaintyResult(
        nominal=current.result,
        spec=the_spec,
        draws=draws,
        seed=seed,
        hist=hist,
        summary=summary,
        p_move_real=p_move,
        previous_edition=previous_edition,
        methodology_changed=changed,
        weights=current.weights,
        rank_bucket=bucket,
    )


def run_local(
    context: Context,
    bounds: Sequence[tuple[int, int, int]],
    add: Callable[[ChunkCounts], None],
    *,
    threads: int | None = None,
    progress: Progress | None = None,
) -> None:
    """Chunks on a few threads (numpy releases the GIL); at most two chunks in flight per
    thread, so memory stays bounded; counts are integers, so the order of sums is free."""
    count = max(1, min(threads or 1, len(bounds)))
    if count == 1:
        for done, (c, s, e) in enumerate(bounds, start=1):
            add(chunk_counts(context, c, s, e))
            if progress is not None:
                progress(done, len(bounds))
        return
    pending = list(bounds)
    done = 0
    with ThreadPoolExecutor(max_workers=count) as pool:
        running: set[Future[ChunkCounts]] = set()
        while pending or running:
            while pending and len(running) < 2 * count:
                c, s, e = pending.pop(0)
                running.add(pool.submit(chunk_counts, context, c, s, e))
            finished, running = wait(running, return_when=FIRST_COMPLETED)
            for future in finished:
                add(future.result())
                done += 1
                if progress is not None:
                    progress(done, len(bounds))


def drawn_methodology(m: Methodology, weights: Mapping[str, float]) -> Methodology:
    """The methodology with a draw's weights in its ``[weights]`` table.

    Weight steps that only name weights go (their tables would override the draw); a best-k
    step stays without its table (it still picks the best children). A ranking on grade counts
    ignores weights (a draw's exclusions act on its data, :func:`drawn_data`), so its table
    stays the file's: a whole group set to 0 would otherwise be a methodology the checks refuse.
    """
    if m.ranking.by == "grade_counts":
        return m
    steps: list[StepBase] = []
    for step in m.steps:
        if isinstance(step, WeightStep):
            if isinstance(step, WeightBestK):
                steps.append(step.model_copy(update={"weights": None}))
            continue
        steps.append(step)
    return m.model_copy(update={"weights": {**dict(m.weights), **weights}, "steps": steps})


def drawn_data(
    dataset: Dataset, m: Methodology, tree: Tree, edition: int, weights: Mapping[str, float]
) -> Dataset:
    """The data a draw ranks on. A ranking on grade counts ignores weights: the indicators
    under a node the draw sets to 0 (an exclusion) lose their values in the edition instead,
    so they get no grade and count nowhere, as in the replay."""
    dropped = [n for n, w in weights.items() if w <= 0 and m.weight(n) > 0 and n in tree]
    if m.ranking.by != "grade_counts" or not dropped:
        return dataset
    gone = {leaf for node in dropped for leaf in tree.leaves_under(node)}
    frames = dataset.to_frames()
    obs = frames["observations"]
    rows = (obs["system"] == m.system) & (obs["year"] == edition) & obs["indicator"].isin(gone)
    frames["observations"] = obs.assign(
        value=obs["value"].where(~rows), status=obs["status"].where(~rows, "missing")
    )
    return Dataset(frames)


def _ref(method: Methodology | str, resolved: Methodology) -> Methodology | str:
    """The same methodology reference for another edition (a preset id re-resolves)."""
    return method if isinstance(method, str) else resolved


def stderr_progress(done: int, total: int) -> None:
    sys.stderr.write(f"\rchunks {done}/{total}")
    if done == total:
        sys.stderr.write("\n")
    sys.stderr.flush()
