"""COINr's Weight column: the tree's weights with `[weights] source = "bundle"`, else a warning."""

from __future__ import annotations

import csv
import warnings
from pathlib import Path

import numpy as np
import pytest

import palmares
from palmares.dataset import Dataset
from palmares.engine import MethodologyDataError, run
from palmares.methodology import load_methodology
from palmares.plan import BundleWeightsIgnored

TESTS = Path(__file__).resolve().parents[1]
ASEM = TESTS / "data" / "asem"
ASEM_TOML = (TESTS / "methodology" / "examples" / "asem.toml").read_text(encoding="utf-8")


def asem_with_weights(tmp_path: Path, weights: dict[str, str]) -> Dataset:
    """The ASEM bundle with some iMeta Weight cells changed."""
    with (ASEM / "asem_imeta.csv").open(newline="", encoding="utf-8") as handle:
        rows = list(csv.reader(handle))
    at = rows[0].index("Weight")
    for row in rows[1:]:
        if row[1] in weights:
            row[at] = weights[row[1]]
    imeta = tmp_path / "asem_imeta.csv"
    with imeta.open("w", newline="", encoding="utf-8") as handle:
        csv.writer(handle, quoting=csv.QUOTE_NONNUMERIC).writerows(rows)
    return palmares.load([ASEM / "asem_idata.csv", imeta])


def asem_method(weights: str = "") -> palmares.Methodology:
    return load_methodology(ASEM_TOML.replace("[[steps]]", weights + "\n[[steps]]", 1))


def test_bundle_weights_are_the_tree_weights(tmp_path: Path) -> None:
    data = asem_with_weights(tmp_path, {"Conn": "3", "P2P": "0.5"})
    bundle = run(data, asem_method('[weights]\nsource = "bundle"'), 2018, data_hash="x")
    written = run(data, asem_method('[weights]\n"Conn" = 3\n"P2P" = 0.5'), 2018, data_hash="x")
    np.testing.assert_array_equal(bundle.score, written.score)
    np.testing.assert_array_equal(bundle.ranking.rank, written.ranking.rank)
    # By hand on the first country: the index is (3 Conn + 1 Sust) / 4.
    conn, sust = bundle.node_scores("Conn")[0], bundle.node_scores("Sust")[0]
    assert bundle.score[0] == pytest.approx((3 * conn + sust) / 4, rel=1e-12)
    assert bundle.methodology.weights["Conn"] == 3.0


def test_the_file_s_entries_override_the_bundle(tmp_path: Path) -> None:
    data = asem_with_weights(tmp_path, {"Conn": "3"})
    mixed = run(data, asem_method('[weights]\nsource = "bundle"\n"Conn" = 1'), 2018, data_hash="x")
    plain = run(data, asem_method('[weights]\n"Conn" = 1'), 2018, data_hash="x")
    np.testing.assert_array_equal(mixed.score, plain.score)


def test_ignored_bundle_weights_warn(tmp_path: Path) -> None:
    data = asem_with_weights(tmp_path, {"Conn": "3"})
    with pytest.warns(BundleWeightsIgnored, match='add \\[weights\\] source = "bundle"'):
        ignored = run(data, asem_method(), 2018, data_hash="x")
    assert ignored.methodology.weights == {}


def test_unit_weights_and_written_weights_do_not_warn(tmp_path: Path) -> None:
    data = asem_with_weights(tmp_path, {"Conn": "3"})
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        run(palmares.load([ASEM / "asem_idata.csv", ASEM / "asem_imeta.csv"]), asem_method(), 2018)
        run(data, asem_method('[weights]\n"Conn" = 2'), 2018, data_hash="x")


def test_bad_or_absent_bundle_weights_are_refused(tmp_path: Path) -> None:
    data = asem_with_weights(tmp_path, {"Conn": "-2", "Sust": "-1"})
    with pytest.raises(MethodologyDataError) as refused:
        run(data, asem_method('[weights]\nsource = "bundle"'), 2018, data_hash="x")
    assert "numbers >= 0: Conn ('-2'), Sust ('-1')" in str(refused.value)
    with pytest.raises(MethodologyDataError, match="no COINr Weight column"):
        run(without_weights(), asem_method('[weights]\nsource = "bundle"'), 2018, data_hash="x")


def without_weights() -> Dataset:
    """The ASEM bundle without its COINr weights (as if it never was COINr)."""
    data = palmares.load([ASEM / "asem_idata.csv", ASEM / "asem_imeta.csv"])
    names = ("institutions", "indicators", "editions", "observations")
    tables = {name: data.table(name) for name in names}
    tables["indicators"] = tables["indicators"].drop(columns=["coinr_Weight"])
    return Dataset(tables)


def test_a_bad_weights_source_is_located() -> None:
    with pytest.raises(palmares.InvalidInput, match=r"weights\.source: .*\(value 'elsewhere'\)"):
        asem_method('[weights]\nsource = "elsewhere"')
