"""The one NaN -> null cleaner every JSON writer uses."""

from __future__ import annotations

import json
import math

import numpy as np
import pandas as pd

from palmares.jsonsafe import json_number, json_safe


def test_missing_and_infinite_become_null_never_zero() -> None:
    value = {"a": math.nan, "b": math.inf, "c": -math.inf, "d": pd.NA, "e": pd.NaT, "f": 0.0}
    assert json_safe(value) == {"a": None, "b": None, "c": None, "d": None, "e": None, "f": 0.0}


def test_numpy_values_become_python_ones_and_keys_strings() -> None:
    value = {1: np.float64(2.5), "n": np.int64(3), "t": (np.bool_(True), np.array([1.0, np.nan]))}
    out = json_safe(value)
    assert out == {"1": 2.5, "n": 3, "t": [True, [1.0, None]]}
    assert type(out["n"]) is int
    assert json.dumps(out) == '{"1": 2.5, "n": 3, "t": [true, [1.0, null]]}'


def test_plain_values_pass_unchanged() -> None:
    assert json_safe(["x", 1, 2.0, None, False]) == ["x", 1, 2.0, None, False]


def test_numbers_show_whole_values_as_integers_and_missing_as_null() -> None:
    assert [json_number(v) for v in (3.0, np.float64(2.5), np.int64(4), math.nan, math.inf)] == [
        3,
        2.5,
        4,
        None,
        None,
    ]
    assert type(json_number(np.float64(7.0))) is int
    assert json_number(2.0**60) == 2.0**60 and type(json_number(2.0**60)) is float
    assert json_number("text") == "text" and json_number(np.bool_(True)) is True
