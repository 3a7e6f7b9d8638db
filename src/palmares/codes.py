"""Integer codes of a column: what the dataset indexes observations by and validation counts."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
import pandas as pd


def int_codes(values: pd.Series) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]:
    """Codes and distinct values of an integer column such as years (-1 = missing)."""
    mask = values.isna().to_numpy()
    ints = values.to_numpy(dtype=np.int64, na_value=0)
    present = ints[~mask] if mask.any() else ints
    if present.size == 0:
        return np.full(len(ints), -1, dtype=np.int64), np.zeros(0, dtype=np.int64)
    low, high = int(present.min()), int(present.max())
    if high - low > 1_000_000:
        codes, uniques = pd.factorize(values)
        return codes.astype(np.int64), np.asarray(uniques, dtype=np.int64)
    # Years span a few values: offsetting them is a perfect hash.
    codes = ints - low
    if mask.any():
        codes[mask] = 0  # placeholder index, reset to -1 below
    seen = np.bincount(present - low, minlength=high - low + 1) > 0
    renumber = np.cumsum(seen) - 1
    codes = renumber[codes]
    if mask.any():
        codes[mask] = -1
    return codes, np.flatnonzero(seen) + low
