"""`palmares validate` and `palmares convert` (contracts section 3)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from palmares.io import data_hash, read_dataset

BASE = Path(__file__).parents[1] / "malformed" / "base"


def broken_bundle(tmp_path: Path) -> Path:
    bundle = tmp_path / "broken"
    shutil.copytree(BASE, bundle)
    with (bundle / "observations.csv").open("a", encoding="utf-8") as handle:
        handle.write("zzz,t1,sys,2021,1,reported\n007,t2,sys,2022,abc,reported\n")
    (bundle / "notes.csv").write_text("a\n1\n")
    return bundle


def test_validate_ok(cli) -> None:
    code, out, err = cli("validate", str(BASE))
    assert code == 0 and err == ""
    assert out.strip().splitlines()[-1] == (
        "OK: institutions=3, aliases=1, lineage=1, networks=1, indicators=5, editions=2, "
        "observations=6, published=2"
    )


def test_validate_reports_sorted_located_lines(cli, tmp_path) -> None:
    bundle = broken_bundle(tmp_path)
    code, out, err = cli("validate", str(bundle))
    assert code == 2
    assert err.splitlines() == [
        f"{bundle}/notes.csv:-:-:-: unknown-table: 'notes.csv' is not a table of the bundle "
        "(known: institutions, aliases, lineage, networks, indicators, editions, observations, "
        "published)",
        f"{bundle}/observations.csv:-:8:institution: unknown-institution: unknown institution "
        "'zzz' (not in institutions)",
        f"{bundle}/observations.csv:-:9:value: not-a-number: 'abc' is not a number",
    ]
    assert out.splitlines()[-1] == "2 errors, 1 warning in 2 files"


def test_validate_json(cli, tmp_path) -> None:
    code, out, err = cli("validate", str(broken_bundle(tmp_path)), "--json")
    document = json.loads(out)
    assert code == 2 and err == ""
    assert document["valid"] is False
    assert [e["code"] for e in document["errors"]] == ["unknown-institution", "not-a-number"]
    assert document["errors"][1] == {
        "file": str(tmp_path / "broken" / "observations.csv"),
        "sheet": None,
        "row": 9,
        "column": "value",
        "code": "not-a-number",
        "message": "'abc' is not a number",
        "value": "abc",
    }
    assert [w["code"] for w in document["warnings"]] == ["unknown-table"]


def test_strict_turns_warnings_into_failure(cli, tmp_path) -> None:
    bundle = tmp_path / "b"
    shutil.copytree(BASE, bundle)
    (bundle / "notes.csv").write_text("a\n1\n")
    code, out, _ = cli("validate", str(bundle))
    assert code == 0 and out.startswith("OK: ") and "(1 warning)" in out
    code, out, _ = cli("validate", str(bundle), "--strict")
    assert code == 2 and out.splitlines()[-1] == "0 errors, 1 warning in 1 file"


def test_validate_never_writes(cli, tmp_path) -> None:
    bundle = broken_bundle(tmp_path)
    before = sorted(p.name for p in tmp_path.rglob("*"))
    cli("validate", str(bundle), "--json")
    assert sorted(p.name for p in tmp_path.rglob("*")) == before


def test_validate_options_delimiter_and_decimal(cli, tmp_path) -> None:
    bundle = tmp_path / "eu"
    bundle.mkdir()
    for path in BASE.iterdir():
        text = path.read_text(encoding="utf-8").replace(",", ";")
        (bundle / path.name).write_text(text.replace("12.5", "12,5"), encoding="utf-8")
    code, _, err = cli("validate", str(bundle))
    assert code == 2 and "pass --delimiter ';'" in err
    code, _out, err = cli("validate", str(bundle), "--delimiter", ";", "--decimal", ",")
    assert code == 0, err


def test_convert_between_formats_is_lossless(cli, tmp_path) -> None:
    original = read_dataset(BASE)
    for target in ("b.xlsx", "pq", "csv"):
        fmt = ["--format", "parquet"] if target == "pq" else []
        source = BASE if target != "csv" else tmp_path / "b.xlsx"
        code, out, err = cli("convert", str(source), str(tmp_path / target), *fmt)
        assert code == 0, err
        assert out.startswith(f"wrote {tmp_path / target}")
        assert data_hash(read_dataset(tmp_path / target)) == data_hash(original)
    code, _, _ = cli("convert", str(BASE), str(tmp_path / "direct"))
    assert code == 0
    for name in ("observations.csv", "institutions.csv", "indicators.csv"):
        via_excel = (tmp_path / "csv" / name).read_bytes()
        assert via_excel == (tmp_path / "direct" / name).read_bytes()


def test_convert_json_says_what_it_wrote(cli, tmp_path: Path) -> None:
    code, out, err = cli("convert", str(BASE), str(tmp_path / "b.xlsx"), "--json")
    assert code == 0, err
    document = json.loads(out)
    assert document["written"] == str(tmp_path / "b.xlsx")
    assert (document["layout"], document["format"]) == ("canonical", "xlsx")
    assert document["rows"]["institutions"] == len(read_dataset(BASE).institutions)


def test_convert_refuses_existing_output_and_bad_input_leaves_nothing(cli, tmp_path: Path) -> None:
    existing = tmp_path / "out"
    existing.mkdir()
    code, _, err = cli("convert", str(BASE), str(existing))
    assert code == 2 and "--force" in err
    code, _, _ = cli("convert", str(BASE), str(existing), "--force")
    assert code == 0 and (existing / "observations.csv").exists()
    bundle = broken_bundle(tmp_path)
    before = sorted(p.name for p in tmp_path.iterdir())
    for target in ("new", "new.xlsx"):
        code, _, err = cli("convert", str(bundle), str(tmp_path / target))
        assert code == 2
        assert "unknown-institution" in err and "nothing was written" in err
    assert sorted(p.name for p in tmp_path.iterdir()) == before


def test_usage_problems_exit_2(cli, tmp_path) -> None:
    code, _, err = cli("convert", str(BASE))
    assert code == 2 and "SRC... DST" in err
    code, _, err = cli("convert", str(BASE), str(tmp_path / "x"), "--to", "csv")
    assert code == 2 and "--to 'csv'" in err
    code, _out, err = cli("validate", str(tmp_path / "absent"))
    assert code == 2 and "no such file or folder" in err


def test_convert_dispatches_to_the_wide_layout(cli, tmp_path) -> None:
    wide = tmp_path / "wide.csv"
    code, out, err = cli("convert", str(BASE), str(wide), "--to", "wide")
    assert code == 0, err
    assert wide.read_text(encoding="utf-8").startswith("institution,system,year,")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["wide.csv"]
    code, out, err = cli("validate", str(wide), "--bundle", str(BASE))
    assert code == 0, err
    assert out.startswith("OK: ")
    back = tmp_path / "back"
    code, _, err = cli("convert", str(wide), str(back), "--bundle", str(BASE))
    assert code == 0, err
    values = read_dataset(back).observations.dropna(subset=["value"])
    original = read_dataset(BASE).observations.dropna(subset=["value"])
    key = ["system", "year", "institution", "indicator"]
    merged = original.merge(values, on=key, suffixes=("", "_back"))
    assert len(merged) == len(original)
    assert (merged["value"] == merged["value_back"]).all()
    assert (merged["status"] == merged["status_back"]).all()
