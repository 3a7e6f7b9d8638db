"""The Dataset: matrix accessor, immutability, name resolution, frames round trip."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from palmares.dataset import NO_OBSERVATION, STATUS_CODE, Dataset, empty_dataset, int_codes
from palmares.io import read_dataset

BASE = Path(__file__).parent / "malformed" / "base"


@pytest.fixture(scope="module")
def ds() -> Dataset:
    return read_dataset(BASE)


def test_matrix_values_and_status_by_hand(ds: Dataset) -> None:
    m = ds.matrix("sys", 2021)
    assert m.institutions == ("007", "nam")  # the edition's field, in id order
    assert m.nodes == ("t1", "t2", "r1")  # leaves in tree order
    expected = np.array([[12.5, 80.0, np.nan], [15.0, np.nan, np.nan]])
    np.testing.assert_array_equal(m.values, expected)
    assert m.status.tolist() == [
        [STATUS_CODE["reported"], STATUS_CODE["reported"], STATUS_CODE["missing"]],
        [STATUS_CODE["estimated"], STATUS_CODE["not_applicable"], NO_OBSERVATION],
    ]
    assert m.mask.tolist() == [[True, True, False], [True, False, False]]
    assert m.estimated.tolist() == [[False, False, False], [True, False, False]]
    assert m.not_applicable.tolist() == [[False, False, False], [False, True, False]]
    assert m.shape == (2, 3)


def test_matrix_chosen_nodes_and_read_only(ds: Dataset) -> None:
    m = ds.matrix("sys", 2022, nodes=["r1", "t1"])
    assert m.institutions == ("b",)
    np.testing.assert_array_equal(m.values, [[np.nan, 9.25]])
    with pytest.raises(ValueError, match="read-only"):
        m.values[0, 0] = 1.0
    with pytest.raises(KeyError, match="unknown indicator"):
        ds.matrix("sys", 2022, nodes=["nope"])
    with pytest.raises(KeyError, match="editions with data: sys 2021, sys 2022"):
        ds.matrix("sys", 2030)


def test_field_and_structure(ds: Dataset) -> None:
    assert ds.field("sys", 2021) == ("007", "nam")
    assert ds.systems == ("sys",)
    assert ds.edition_years("sys") == (2021, 2022)
    assert ds.tree("sys").leaves == ("t1", "t2", "r1")
    assert ds.lineage_ids("007") == ("007", "b")
    assert ds.network_members("udice", 2021) == ("007",)
    assert ds.network_members("udice", 2019) == ()


def test_immutability(ds: Dataset) -> None:
    with pytest.raises(AttributeError, match="immutable"):
        ds.extra = 1  # type: ignore[attr-defined]
    frames = ds.to_frames()
    frames["observations"].loc[0, "value"] = -1.0
    institutions = ds.institutions
    institutions.loc[0, "name"] = "changed"
    assert -1.0 not in ds.observations["value"].tolist()
    assert "changed" not in ds.institutions["name"].tolist()


def test_with_tables_returns_a_new_validated_dataset(ds: Dataset) -> None:
    obs = ds.observations
    obs.loc[obs["indicator"] == "t1", "value"] = obs["value"] + 1
    changed = ds.with_tables(observations=obs)
    assert changed is not ds and changed != ds
    assert changed.matrix("sys", 2021).values[0, 0] == 13.5
    assert ds.matrix("sys", 2021).values[0, 0] == 12.5


def test_resolve_by_id_name_and_alias(ds: Dataset) -> None:
    assert ds.resolve("nam") == "nam"
    assert ds.resolve("universite de nimes") == "007"
    assert ds.resolve("UNÎMES") == "007"
    with pytest.raises(LookupError, match="no institution"):
        ds.resolve("Sorbonne")


def test_resolve_never_guesses_between_homonyms() -> None:
    frames = read_dataset(BASE).to_frames()
    frames["aliases"] = pd.DataFrame({"institution": ["b"], "name": ["Université de Nîmes"]})
    with pytest.raises(LookupError, match="ambiguous: it names 007, b"):
        Dataset.from_frames(frames).resolve("Université de Nîmes")


def test_frames_round_trip(ds: Dataset) -> None:
    again = Dataset.from_frames(ds.to_frames())
    assert again == ds
    assert repr(again).startswith("Dataset(institutions=3")


def test_empty_dataset_has_every_table() -> None:
    empty = empty_dataset()
    assert all(len(frame) == 0 for frame in empty.to_frames().values())
    assert empty.systems == ()


def test_int_codes_perfect_hash_for_years() -> None:
    codes, years = int_codes(pd.Series([2022, None, 2019, 2022], dtype="Int64"))
    assert codes.tolist() == [1, -1, 0, 1]
    assert years.tolist() == [2019, 2022]
    codes, values = int_codes(pd.Series([0, 10**9, 0], dtype="Int64"))
    assert codes.tolist() == [0, 1, 0] and values.tolist() == [0, 10**9]
