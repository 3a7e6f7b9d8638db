"""A load writes each edition's observations together (so one edition is read alone), while
every row keeps its bundle position as ``ordinal``."""

from __future__ import annotations

import pandas as pd

from palmares.store.load import _by_edition


def _frame(systems: list[str | None], years: list[int | None]) -> pd.DataFrame:
    return pd.DataFrame(
        {"system": pd.Series(systems, dtype="str"), "year": pd.array(years, dtype="Int64")}
    )


def test_rows_are_grouped_by_edition_in_bundle_order() -> None:
    frame = _frame(["b", "a", "b", "a", "b", "a"], [2021, 2020, 2020, 2021, 2021, 2020])
    order = _by_edition(frame)
    assert order is not None
    # Systems as first met (b, then a), years ascending, bundle order within an edition.
    assert order.tolist() == [2, 0, 4, 1, 5, 3]
    grouped = frame.take(order)
    assert grouped["system"].tolist() == ["b", "b", "b", "a", "a", "a"]
    assert grouped["year"].tolist() == [2020, 2021, 2021, 2020, 2020, 2021]


def test_grouped_tables_keep_their_order() -> None:
    frame = _frame(["a", "a", "b"], [2020, 2021, 2020])
    assert _by_edition(frame) is None and _by_edition(frame.iloc[:0]) is None


def test_years_far_apart_are_grouped_without_overflow() -> None:
    frame = _frame(["a", "b", "a", "b"], [9999, 1000, 1000, 9999])
    order = _by_edition(frame)
    assert order is not None and order.tolist() == [2, 0, 1, 3]
    # Too many (system, year) pairs to code in 16 bits: left in bundle order.
    assert _by_edition(_frame(["a", "b", "c", "d"], [9999, 1000, 1000, 9999])) is None
