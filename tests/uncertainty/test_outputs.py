"""Outputs read off a rank histogram, against hand-computed values."""

from __future__ import annotations

import numpy as np

from palmares.uncertainty.outputs import move_signs, rank_quantile, same_move_counts, summarise


def test_summary_of_a_small_histogram() -> None:
    # 3 institutions, 10 draws each; columns: unranked, rank 1, 2, 3
    hist = np.array(
        [
            [0, 7, 2, 1],  # mostly first
            [0, 3, 5, 2],
            [2, 0, 3, 5],  # unranked twice
        ]
    )
    nominal = np.array([1, 2, 3])
    s = summarise(hist, nominal, np.zeros(3, int), np.zeros(3, int), top_k=1)
    np.testing.assert_array_equal(s.median, [1, 2, 3])
    np.testing.assert_array_equal(s.q_low, [1, 1, 2])
    np.testing.assert_array_equal(s.q_high, [3, 3, 3])
    np.testing.assert_allclose(s.mean, [1.4, 1.9, 2 * 3 / 8 + 3 * 5 / 8])
    np.testing.assert_allclose(s.p_top_k, [0.7, 0.3, 0.0])
    np.testing.assert_allclose(s.p_same_band, [0.7, 0.5, 0.5])
    np.testing.assert_allclose(s.p_ranked, [1.0, 1.0, 0.8])
    np.testing.assert_allclose(s.mean_abs_shift, [0.4, 0.5, 3 / 8])


def test_band_probability_uses_the_published_band() -> None:
    hist = np.array([[0, 1, 2, 3, 4], [0, 4, 3, 2, 1]])
    # band 3-4 for the first institution; open band 2+ for the second
    s = summarise(hist, np.array([3, 2]), np.array([3, 2]), np.array([4, -1]))
    np.testing.assert_allclose(s.p_same_band, [0.7, 0.6])


def test_quantiles_are_inverse_cdf() -> None:
    hist = np.array([[0, 5, 5]])
    assert rank_quantile(hist, 0.5)[0] == 1
    assert rank_quantile(hist, 0.51)[0] == 2
    assert np.isnan(rank_quantile(np.array([[4, 0, 0]]), 0.5)[0])


def test_moves() -> None:
    previous = np.array([5, 3, 2, 0])
    current = np.array([3, 3, 4, 1])
    published = move_signs(previous, current)
    np.testing.assert_array_equal(published[:3], [1, 0, -1])
    assert np.isnan(published[3])
    draws_prev = np.array([[5, 3, 2, 1], [2, 4, 2, 1]])
    draws_cur = np.array([[3, 3, 4, 2], [3, 4, 1, 2]])
    np.testing.assert_array_equal(same_move_counts(draws_prev, draws_cur, published), [1, 2, 1, 0])
