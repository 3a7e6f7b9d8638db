"""Per-institution outputs of a Monte Carlo run, all read off the rank histogram.

The histogram ``hist[i, r]`` counts the draws in which institution i had rank r (column 0:
unranked). Medians and quantiles are inverse-CDF (type 1) quantiles of the ranked draws: the
smallest rank whose cumulative share reaches q, so they are exact integers whatever the chunking.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from palmares.steps import FloatArray, IntArray

#: The columns of an uncertainty table, one row per institution (contracts section 5).
RESULT_COLUMNS: tuple[str, ...] = (
    "institution",
    "nominal_rank",
    "median_rank",
    "mean_rank",
    "q05",
    "q95",
    "p_top_k",
    "p_same_band",
    "p_move_real",
)


@dataclass(frozen=True)
class Summary:
    """Rank statistics per institution (NaN where an institution was never ranked)."""

    median: FloatArray
    mean: FloatArray
    q_low: FloatArray
    q_high: FloatArray
    p_top_k: FloatArray
    p_same_band: FloatArray
    p_ranked: FloatArray
    mean_abs_shift: FloatArray  # mean |draw rank - nominal rank| over ranked draws


def rank_quantile(hist: IntArray, q: float, cumulative: IntArray | None = None) -> FloatArray:
    """Smallest rank r with P(rank <= r | ranked) >= q, per institution (NaN if never ranked).

    ``cumulative`` (n, n) is ``cumsum(hist[:, 1:], axis=1)`` when the caller has it.
    """
    cdf = np.cumsum(hist[:, 1:], axis=1) if cumulative is None else cumulative
    total = cdf[:, -1]
    reached = cdf >= np.maximum(q * total - 1e-9 * np.maximum(total, 1), 1)[:, None]
    first = np.argmax(reached, axis=1) + 1
    return np.where(total > 0, first, np.nan).astype(np.float64)


def summarise(
    hist: IntArray,
    nominal: IntArray,
    band_lo: IntArray,
    band_hi: IntArray,
    *,
    quantiles: tuple[float, float] = (0.05, 0.95),
    top_k: int = 10,
) -> Summary:
    """Statistics of every institution from its rank histogram.

    ``band_lo``/``band_hi`` is the published band of the nominal rank (0 = no band: the rank
    itself is the band; ``band_hi`` < 0 = open-ended). P(top k) and P(same band) are shares of
    all draws (a draw where the institution is unranked counts against both).
    """
    n_draws = hist.sum(axis=1)
    width = hist.shape[1] - 1
    rows = np.arange(hist.shape[0])
    ranks = np.arange(1, width + 1, dtype=np.float64)
    # cumulative[i, r] = draws at rank <= r; weighted[i, r] = sum of those ranks (r = 0: none).
    cumulative = np.zeros((hist.shape[0], width + 1), dtype=np.int64)
    np.cumsum(hist[:, 1:], axis=1, out=cumulative[:, 1:])
    weighted = np.zeros((hist.shape[0], width + 1))
    np.cumsum(hist[:, 1:] * ranks, axis=1, out=weighted[:, 1:])
    ranked = cumulative[:, -1]
    rank_sum = weighted[:, -1]
    at = np.clip(nominal, 0, width)
    below = cumulative[rows, np.maximum(at - 1, 0)]  # draws better than the nominal rank
    below_sum = weighted[rows, np.maximum(at - 1, 0)]
    upto = cumulative[rows, at]
    upto_sum = weighted[rows, at]
    shift_total = (at * below - below_sum) + ((rank_sum - upto_sum) - at * (ranked - upto))
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = np.where(ranked > 0, rank_sum / ranked, np.nan)
        abs_shift = np.where((ranked > 0) & (nominal > 0), shift_total / ranked, np.nan)
        share = 1.0 / np.maximum(n_draws, 1)
    k = min(top_k, width)
    p_top = cumulative[:, k] * share
    lo = np.where(band_lo > 0, band_lo, nominal)
    hi = np.where(band_lo > 0, np.where(band_hi < 0, width, band_hi), nominal)
    lo = np.clip(lo, 1, width)
    hi = np.clip(hi, 0, width)
    in_band = cumulative[rows, hi] - cumulative[rows, lo - 1]
    p_band = np.where(nominal > 0, in_band * share, np.nan)
    cdf = cumulative[:, 1:]
    return Summary(
        median=rank_quantile(hist, 0.5, cdf),
        mean=mean,
        q_low=rank_quantile(hist, quantiles[0], cdf),
        q_high=rank_quantile(hist, quantiles[1], cdf),
        p_top_k=p_top,
        p_same_band=p_band,
        p_ranked=ranked * share,
        mean_abs_shift=abs_shift,
    )


def move_signs(previous: IntArray, current: IntArray) -> FloatArray:
    """Sign of each published move (+1 up, -1 down, 0 same), NaN unless ranked in both."""
    both = (previous > 0) & (current > 0)
    return np.where(both, np.sign(previous - current), np.nan)


def same_move_counts(previous: IntArray, current: IntArray, published: FloatArray) -> IntArray:
    """Per institution, the draws (rows) whose move has the published move's sign."""
    both = (previous > 0) & (current > 0)
    same = both & (np.sign(previous - current) == published[None, :])
    return same.sum(axis=0, dtype=np.int64)


def write_parquet(
    path: Any,
    frame: Any,
    hist: IntArray,
    rows: IntArray,
    meta: dict[str, Any],
    *,
    force: bool = False,
) -> Any:
    """Write the per-institution table with its rank-acceptability counts, atomically.

    ``acceptability`` holds, per institution, the number of draws at rank 1, 2, ..., n;
    ``unranked_draws`` the draws where it had no rank. ``meta`` goes to the file's metadata.
    """
    import json
    from pathlib import Path

    import pyarrow as pa
    import pyarrow.parquet as pq

    from palmares.io.atomic import atomic_path

    table = pa.Table.from_pandas(frame, preserve_index=False)
    counts = hist[rows]
    width = counts.shape[1] - 1
    offsets = np.arange(0, (len(rows) + 1) * width, width, dtype=np.int64)
    acceptability = pa.LargeListArray.from_arrays(
        pa.array(offsets), pa.array(counts[:, 1:].ravel())
    )
    table = table.append_column("unranked_draws", pa.array(counts[:, 0]))
    table = table.append_column("acceptability", acceptability)
    table = table.replace_schema_metadata(
        {"palmares.uncertainty": json.dumps(meta, sort_keys=True, default=str)}
    )
    with atomic_path(Path(path), force=force) as temporary:
        pq.write_table(table, temporary)
    return Path(path)


# -- large fields: bucketed ranks ---------------------------------------------------------------

#: Largest rank histogram (institutions x rank columns) kept exact: 4,000 institutions at most
#: (192 MB with the int32 chunk table). Larger fields count ranks in buckets of several ranks.
HIST_CELLS = 16_000_000


def rank_bucket(n: int, cells: int | None = None) -> int:
    """Ranks per histogram column for a field of n: 1 (exact) while n (n + 1) cells fit.

    20,000 institutions take buckets of 26 ranks (770 columns, 62 MB in a chunk's int32
    table) instead of a 3.2 GB exact one."""
    budget = HIST_CELLS if cells is None else cells
    if n * (n + 1) <= budget:
        return 1
    columns = max(1, budget // max(n, 1) - 1)
    return -(-n // columns)


def bucket_columns(ranks: IntArray, bucket: int) -> IntArray:
    """Histogram column of each rank: 0 unranked, c for ranks (c - 1) bucket + 1 .. c bucket."""
    return ranks if bucket == 1 else (ranks + (bucket - 1)) // bucket


#: Columns of :func:`rank_moments`.
MOMENTS = ("rank_sum", "top_k", "same_band", "abs_shift")


def _band(
    nominal: IntArray, band_lo: IntArray, band_hi: IntArray, n: int
) -> tuple[IntArray, IntArray]:
    """The ranks [lo, hi] of each institution's published band (as :func:`summarise`)."""
    lo = np.where(band_lo > 0, band_lo, nominal)
    hi = np.where(band_lo > 0, np.where(band_hi < 0, n, band_hi), nominal)
    return np.clip(lo, 1, n), np.clip(hi, 0, n)


def rank_moments(
    ranks: IntArray, nominal: IntArray, band_lo: IntArray, band_hi: IntArray, top_k: int
) -> IntArray:
    """(n, 4) exact integer sums over a batch of draws' ranks (d, n), for bucketed fields:
    sum of ranks, draws in the top k, draws in the nominal band, sum of |rank - nominal|."""
    n = ranks.shape[1]
    ranked = ranks > 0
    lo, hi = _band(nominal, band_lo, band_hi, n)
    shift = np.where(ranked & (nominal > 0), np.abs(ranks - nominal), 0)
    return np.stack(
        [
            ranks.sum(axis=0, dtype=np.int64),
            (ranked & (ranks <= min(top_k, n))).sum(axis=0, dtype=np.int64),
            (ranked & (ranks >= lo) & (ranks <= hi)).sum(axis=0, dtype=np.int64),
            shift.sum(axis=0, dtype=np.int64),
        ],
        axis=1,
    )


def bucket_quantile(hist: IntArray, q: float, bucket: int, n: int) -> FloatArray:
    """The q-quantile rank from a bucketed histogram: its bucket found exactly, the rank inside
    it as if the bucket's draws spread evenly over its ranks (at most bucket - 1 off)."""
    cdf = np.cumsum(hist[:, 1:], axis=1)
    total = cdf[:, -1]
    target = np.maximum(q * total - 1e-9 * np.maximum(total, 1), 1)
    c = np.argmax(cdf >= target[:, None], axis=1)  # 0-based bucket
    rows = np.arange(hist.shape[0])
    before = np.where(c > 0, cdf[rows, np.maximum(c - 1, 0)], 0)
    inside = hist[rows, c + 1]
    first = c * bucket + 1
    size = np.minimum(bucket, n - c * bucket)
    with np.errstate(invalid="ignore", divide="ignore"):
        offset = np.ceil((target - before) / np.maximum(inside, 1) * size)
    rank = first + np.clip(offset, 1, np.maximum(size, 1)) - 1
    return np.where(total > 0, rank, np.nan).astype(np.float64)


def summarise_buckets(
    hist: IntArray,
    bucket: int,
    moments: IntArray,
    nominal: IntArray,
    *,
    n: int,
    quantiles: tuple[float, float] = (0.05, 0.95),
) -> Summary:
    """:func:`summarise` for a bucketed histogram: mean, P(top k), P(same band) and the mean
    absolute shift are exact (from :func:`rank_moments`), the median and quantiles come from
    the buckets (:func:`bucket_quantile`)."""
    n_draws = hist.sum(axis=1)
    ranked = hist[:, 1:].sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        share = 1.0 / np.maximum(n_draws, 1)
        mean = np.where(ranked > 0, moments[:, 0] / ranked, np.nan)
        abs_shift = np.where((ranked > 0) & (nominal > 0), moments[:, 3] / ranked, np.nan)
    return Summary(
        median=bucket_quantile(hist, 0.5, bucket, n),
        mean=mean,
        q_low=bucket_quantile(hist, quantiles[0], bucket, n),
        q_high=bucket_quantile(hist, quantiles[1], bucket, n),
        p_top_k=moments[:, 1] * share,
        p_same_band=np.where(nominal > 0, moments[:, 2] * share, np.nan),
        p_ranked=ranked * share,
        mean_abs_shift=abs_shift,
    )
