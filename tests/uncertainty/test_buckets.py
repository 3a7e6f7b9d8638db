"""Bucketed rank histograms for large fields: exact when the field is small, hand-computed
bucket quantiles, exact moments."""

from __future__ import annotations

import numpy as np
import pytest

from palmares.uncertainty import UncertaintySpec, outputs, uncertainty
from palmares.uncertainty.outputs import (
    bucket_columns,
    bucket_quantile,
    rank_bucket,
    rank_moments,
    rank_quantile,
    summarise_buckets,
)


def test_bucket_size_by_field() -> None:
    assert rank_bucket(2_000) == 1  # the benchmark's field: exact
    assert rank_bucket(3_999) == 1
    assert rank_bucket(4_000) == 2
    assert rank_bucket(20_000) == 26  # 770 columns instead of 20,001
    assert rank_bucket(10, cells=40) == 4  # 3 columns of 4, 4, 2 ranks
    np.testing.assert_array_equal(bucket_columns(np.array([0, 1, 4, 5, 10]), 4), [0, 1, 1, 2, 3])


def test_bucket_quantiles_by_hand() -> None:
    """Ranks 1, 1, 2, 3, 5, 6 of a field of 6 in buckets of 2: columns 3, 1, 2."""
    hist = np.array([[0, 3, 1, 2]])
    assert bucket_quantile(hist, 0.5, 2, 6)[0] == 2  # 3rd draw: bucket 1-2, 3 of 3 -> rank 2
    assert bucket_quantile(hist, 0.95, 2, 6)[0] == 6  # 5.7th: bucket 5-6, 1.7 of 2 -> rank 6
    assert bucket_quantile(hist, 0.05, 2, 6)[0] == 1
    # a bucket of one rank is the exact inverse CDF
    rng = np.random.default_rng(0)
    exact = rng.integers(0, 9, size=(20, 8))
    for q in (0.05, 0.3, 0.5, 0.95):
        np.testing.assert_array_equal(bucket_quantile(exact, q, 1, 7), rank_quantile(exact, q))


def test_moments_by_hand() -> None:
    ranks = np.array([[1, 3, 0], [2, 3, 1], [4, 1, 2]])  # 3 draws, 3 institutions
    nominal = np.array([1, 3, 0])
    band_lo = np.array([0, 3, 0])
    band_hi = np.array([0, -1, 0])  # institution 1: band 3+ (open-ended)
    m = rank_moments(ranks, nominal, band_lo, band_hi, top_k=2)
    np.testing.assert_array_equal(m[:, 0], [7, 7, 3])  # sums of ranks
    np.testing.assert_array_equal(m[:, 1], [2, 1, 2])  # in the top 2
    np.testing.assert_array_equal(m[:, 2], [1, 2, 0])  # in the band (rank 1; 3+)
    np.testing.assert_array_equal(m[:, 3], [0 + 1 + 3, 0 + 0 + 2, 0])  # |rank - nominal|


def test_bucketed_run_matches_the_exact_one(field, full_method, monkeypatch) -> None:
    spec = UncertaintySpec.model_validate({"chunk": 64, "weights": {"concentration": 3.0}})
    exact = uncertainty(field, full_method, 2024, 300, spec=spec, seed=9, data_hash="x")
    assert exact.rank_bucket == 1
    monkeypatch.setattr(outputs, "HIST_CELLS", 40 * 11)  # 40 institutions, 10 columns of 4
    coarse = uncertainty(field, full_method, 2024, 300, spec=spec, seed=9, data_hash="x")
    assert coarse.rank_bucket == 4
    assert coarse.hist.shape == (40, 11)
    summed = np.add.reduceat(exact.hist[:, 1:], np.arange(0, 40, 4), axis=1)
    np.testing.assert_array_equal(coarse.hist[:, 1:], summed)
    np.testing.assert_array_equal(coarse.hist[:, 0], exact.hist[:, 0])
    a, b = exact.summary, coarse.summary
    for name in ("mean", "p_top_k", "p_same_band", "p_ranked", "mean_abs_shift"):
        np.testing.assert_allclose(getattr(b, name), getattr(a, name), rtol=1e-12)
    for name in ("median", "q_low", "q_high"):
        gap = np.abs(getattr(b, name) - getattr(a, name))
        assert np.nanmax(gap) <= 3, name  # inside the same bucket of 4
        # the bucket is always the right one
        np.testing.assert_array_equal((getattr(b, name) - 1) // 4, (getattr(a, name) - 1) // 4)


@pytest.mark.parametrize("n", [1, 5, 17])
def test_summaries_agree_when_the_bucket_is_one(n) -> None:
    rng = np.random.default_rng(n)
    ranks = rng.integers(0, n + 1, size=(50, n))
    nominal = rng.integers(0, n + 1, size=n)
    lo = np.zeros(n, dtype=np.int64)
    hist = np.zeros((n, n + 1), dtype=np.int64)
    np.add.at(hist, (np.tile(np.arange(n), 50), ranks.ravel()), 1)
    exact = outputs.summarise(hist, nominal, lo, lo, top_k=3)
    moments = rank_moments(ranks, nominal, lo, lo, top_k=3)
    same = summarise_buckets(hist, 1, moments, nominal, n=n)
    for name in ("median", "q_low", "q_high", "mean", "p_top_k", "p_same_band", "mean_abs_shift"):
        np.testing.assert_allclose(getattr(same, name), getattr(exact, name), rtol=1e-12)
