"""Per-institution outputs of a Monte Carlo run, all read off the rank histogram.

The histogram ``hist[i, r]`` counts the draws in which institution i had rank r (column 0:
unranked). Medians and quantiles are inverse-CDF (type 1) quantiles of the ranked draws: the
smallest rank whose cumulative share reaches q, so they are exact integers whatever the chunking.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]


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
