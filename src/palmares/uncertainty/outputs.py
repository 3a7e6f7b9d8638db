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


def rank_quantile(hist: IntArray, q: float) -> FloatArray:
    """Smallest rank r with P(rank <= r | ranked) >= q, per institution (NaN if never ranked)."""
    counts = hist[:, 1:]
    total = counts.sum(axis=1)
    cdf = np.cumsum(counts, axis=1)
    reached = cdf >= q * total[:, None] - 1e-9 * np.maximum(total[:, None], 1)
    reached &= cdf > 0
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
    ranked = hist[:, 1:].sum(axis=1)
    width = hist.shape[1] - 1
    ranks = np.arange(1, width + 1, dtype=np.float64)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = np.where(ranked > 0, hist[:, 1:] @ ranks / ranked, np.nan)
        shift = np.abs(ranks[None, :] - nominal[:, None].astype(np.float64))
        abs_shift = np.where(
            (ranked > 0) & (nominal > 0), (hist[:, 1:] * shift).sum(axis=1) / ranked, np.nan
        )
        share = 1.0 / np.maximum(n_draws, 1)
    cumulative = np.zeros((hist.shape[0], width + 1), dtype=np.int64)
    cumulative[:, 1:] = np.cumsum(hist[:, 1:], axis=1)
    k = min(top_k, width)
    p_top = cumulative[:, k] * share
    lo = np.where(band_lo > 0, band_lo, nominal)
    hi = np.where(band_lo > 0, np.where(band_hi < 0, width, band_hi), nominal)
    lo = np.clip(lo, 1, width)
    hi = np.clip(hi, 0, width)
    rows = np.arange(hist.shape[0])
    in_band = cumulative[rows, hi] - cumulative[rows, lo - 1]
    p_band = np.where(nominal > 0, in_band * share, np.nan)
    return Summary(
        median=rank_quantile(hist, 0.5),
        mean=mean,
        q_low=rank_quantile(hist, quantiles[0]),
        q_high=rank_quantile(hist, quantiles[1]),
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
