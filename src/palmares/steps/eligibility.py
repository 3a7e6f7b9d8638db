"""Eligibility filters, evaluated on what was submitted (before imputation).

Each function returns a bool (n,) array, True for institutions that stay in the table; the
engine combines several filters with ``&``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from palmares.steps import BoolArray, Columns, column_selector

#: Tolerance on coverage shares, so that 13 of 20 passes a 0.65 threshold despite binary fractions.
_SHARE_TOLERANCE = 1e-12


def _check_mask(mask: npt.ArrayLike) -> BoolArray:
    m = np.asarray(mask)
    if m.ndim != 2 or m.dtype != np.bool_:
        raise ValueError(f"mask must be a 2-D boolean array, got {m.dtype} of shape {m.shape}")
    return m


def coverage(
    mask: npt.ArrayLike, min_share: float = 0.0, columns: Columns | None = None
) -> BoolArray:
    """Institutions with at least ``min_share`` of the selected nodes present.

    ``columns`` selects the node set (default: every column). ``min_share`` = 0 keeps everyone,
    even an institution with no value at all. An empty node set is a methodology error.
    """
    m = _check_mask(mask)
    if not 0.0 <= min_share <= 1.0:
        raise ValueError(f"min_share must lie in [0, 1], got {min_share}")
    selected = column_selector(columns, m.shape[1])
    total = int(selected.sum())
    if total == 0:
        raise ValueError("coverage needs at least one node to count")
    share = m[:, selected].sum(axis=1) / total
    return np.asarray(share >= min_share - _SHARE_TOLERANCE)


def required(mask: npt.ArrayLike, columns: Columns) -> BoolArray:
    """Institutions with every one of ``columns`` present (no columns: everyone)."""
    m = _check_mask(mask)
    selected = column_selector(columns, m.shape[1])
    return np.asarray(m[:, selected].all(axis=1))


def k_of(mask: npt.ArrayLike, columns: Columns, k: int) -> BoolArray:
    """Institutions with at least ``k`` of ``columns`` present (THE Impact: 3 SDGs besides 17)."""
    m = _check_mask(mask)
    if k < 0:
        raise ValueError(f"k must be >= 0, got {k}")
    selected = column_selector(columns, m.shape[1])
    if k > int(selected.sum()):
        raise ValueError(f"k = {k} exceeds the {int(selected.sum())} nodes of the set")
    return np.asarray(m[:, selected].sum(axis=1) >= k)


def where(attributes: Mapping[str, npt.ArrayLike], equals: Mapping[str, Any]) -> BoolArray:
    """Institutions whose attributes equal the given value (or one of a list of values).

    ``attributes`` maps an attribute name to its (n,) array of values; ``equals`` maps a name to
    a value or a list of accepted values. Conditions on several attributes must all hold. A
    missing attribute value (None, NaN) never matches. ``equals`` empty keeps everyone.
    """
    if not attributes:
        raise ValueError("where needs at least one attribute array to know the institutions")
    lengths = {name: len(np.asarray(values, dtype=object)) for name, values in attributes.items()}
    if len(set(lengths.values())) != 1:
        raise ValueError(f"attribute arrays differ in length: {lengths}")
    n = next(iter(lengths.values()))
    unknown = sorted(set(equals) - set(attributes))
    if unknown:
        raise ValueError(f"unknown attribute(s): {', '.join(unknown)}")
    keep = np.ones(n, dtype=np.bool_)
    for name, accepted in equals.items():  # loops over a handful of conditions, not institutions
        values = pd.Series(np.asarray(attributes[name], dtype=object))
        choices = (
            list(accepted) if isinstance(accepted, list | tuple | set | frozenset) else [accepted]
        )
        keep &= values.isin(choices).to_numpy(dtype=np.bool_) & values.notna().to_numpy()
    return keep
