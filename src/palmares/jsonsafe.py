"""The one NaN -> null cleaner: any value the library computes, as JSON can hold it."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import numpy as np

#: Types of pandas' missing markers (named, so this module needs no pandas import).
_MISSING_TYPES = frozenset({"NAType", "NaTType"})


def json_safe(value: Any) -> Any:
    """``value`` for ``json.dumps``: NaN, infinities and pandas' NA become None (null, never 0),
    numpy scalars and arrays become Python numbers and lists, mappings get string keys and
    tuples become lists. Anything else is returned as it is."""
    if value is None or isinstance(value, (str, bool, int)):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, Mapping):
        return {str(k): json_safe(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [json_safe(v) for v in value]
    if isinstance(value, (np.ndarray, np.generic)):
        return json_safe(value.tolist())
    if type(value).__name__ in _MISSING_TYPES:
        return None
    return value


def json_number(value: Any) -> Any:
    """A number as a JSON document shows it: None for NaN and infinities, an int when it is
    whole (and exact as a float), else a float; anything else as :func:`json_safe` gives it."""
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    if isinstance(value, (int, np.integer)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        v = float(value)
        if not math.isfinite(v):
            return None
        return int(v) if v.is_integer() and abs(v) < 2**53 else v
    return json_safe(value)
