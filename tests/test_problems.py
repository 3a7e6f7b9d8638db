import pytest

from palmares.problems import InvalidInput, Problem, Problems


def test_text_line_follows_the_contract():
    p = Problem("obs.csv", None, 214, "value", "not-a-number", "'12,5' is not a number", "12,5")
    assert p.to_text() == "obs.csv:-:214:value: not-a-number: '12,5' is not a number"
    table_level = Problem("x.csv", None, None, None, "empty-file", "the file is empty")
    assert table_level.to_text() == "x.csv:-:-:-: empty-file: the file is empty"


def test_problems_sorted_by_location_and_split_by_severity():
    problems = Problems()
    problems.add("b.csv", "cycle", "m", row=3, column="parent")
    problems.add("a.csv", "invalid-year", "m", row=9, column="year", value="20x")
    problems.add("a.csv", "invalid-year", "m", row=2, column="year", severity="warning")
    assert [p.file for p in problems.errors] == ["a.csv", "b.csv"]
    assert len(problems.warnings) == 1
    with pytest.raises(InvalidInput) as caught:
        problems.raise_if_errors()
    assert [p.row for p in caught.value.problems] == [2, 9, 3]


def test_unknown_code_is_a_programming_error():
    with pytest.raises(ValueError, match="unknown problem code"):
        Problems().add("a.csv", "no-such-code", "m")


def test_json_form_has_contract_keys_and_null_for_nan():
    p = Problem("a.csv", "obs", 2, "value", "non-finite", "m", float("nan"))
    assert p.to_json() == {
        "file": "a.csv",
        "sheet": "obs",
        "row": 2,
        "column": "value",
        "code": "non-finite",
        "message": "m",
        "value": None,
    }
