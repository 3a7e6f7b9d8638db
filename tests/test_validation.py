"""validate_tables: typing of string or typed frames, located problems, vectorised checks."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from palmares.dataset import Dataset
from palmares.problems import InvalidInput
from palmares.validation import ISO_COUNTRIES, TableSource, as_text, validate_tables


def typed_frames() -> dict[str, pd.DataFrame]:
    return {
        "institutions": pd.DataFrame(
            {"id": ["007", "b"], "name": ["Alpha", "Beta"], "country": ["NA", "FR"]}
        ),
        "indicators": pd.DataFrame(
            {
                "id": ["sys", "a", "c"],
                "label_en": ["S", "A", "C"],
                "label_fr": ["S", "A", "C"],
                "parent": [None, "sys", "sys"],
                "direction": [None, "higher", "lower"],
            }
        ),
        "editions": pd.DataFrame({"system": ["sys"], "year": [2021]}),
        "observations": pd.DataFrame(
            {
                "institution": ["007", "007", "b"],
                "indicator": ["a", "c", "a"],
                "system": ["sys"] * 3,
                "year": [2021] * 3,
                "value": [1.5, np.nan, 3.0],
                "status": ["reported", "missing", "estimated"],
            }
        ),
    }


def string_frames() -> dict[str, pd.DataFrame]:
    """The same tables as read from CSV: every cell a string, "" for empty."""
    out = {}
    for name, frame in typed_frames().items():
        out[name] = frame.astype(object).where(frame.notna(), "").astype(str)
        out[name] = out[name].apply(lambda s: s.str.replace(r"\.0$", "", regex=True))
    return out


def test_typed_and_string_frames_give_the_same_typed_tables() -> None:
    typed, problems = validate_tables(typed_frames())
    from_strings, more = validate_tables(string_frames())
    assert list(problems) == [] and list(more) == []
    for name in typed:
        pd.testing.assert_frame_equal(typed[name], from_strings[name])
    obs = typed["observations"]
    assert obs["year"].dtype == "Int64"
    assert obs["value"].dtype == "float64"
    assert obs["institution"].tolist() == ["007", "007", "b"]
    assert np.isnan(obs["value"][1])
    assert typed["institutions"]["country"].tolist() == ["NA", "FR"]


def test_empty_strings_become_missing_and_names_nfc() -> None:
    frames = string_frames()
    frames["institutions"] = pd.DataFrame(
        {"id": ["007", "b"], "name": ["E\u0301cole", "Beta"], "country": ["NA", ""]}
    )
    typed, problems = validate_tables(frames)
    assert list(problems) == []
    assert typed["institutions"]["name"][0] == "\u00c9cole"
    assert pd.isna(typed["institutions"]["country"][1])


def test_default_location_is_origin_sheet_and_index_plus_two() -> None:
    frames = typed_frames()
    frames["observations"] = frames["observations"].assign(status=["reported", "missing", "x"])
    _, problems = validate_tables(frames, origin="mem")
    (problem,) = problems
    assert (problem.file, problem.sheet, problem.row, problem.column, problem.code) == (
        "mem",
        "observations",
        4,
        "status",
        "unknown-status",
    )
    assert "'x'" in problem.message


def test_explicit_rows_locate_problems() -> None:
    frames = typed_frames()
    frames["observations"] = frames["observations"].assign(institution=["007", "zz", "zz"])
    sources = {"observations": TableSource("obs.csv", rows=np.array([2, 5, 9]))}
    _, problems = validate_tables(frames, sources=sources)
    assert sorted((p.file, p.row, p.code) for p in problems) == [
        ("obs.csv", 5, "unknown-institution"),
        ("obs.csv", 9, "unknown-institution"),
    ]


def test_every_row_of_a_repeated_bad_value_is_reported() -> None:
    frames = typed_frames()
    n = 1000
    frames["observations"] = pd.DataFrame(
        {
            "institution": ["ghost"] * n,
            "indicator": ["a"] * n,
            "system": ["sys"] * n,
            "year": list(range(2021, 2021 + n)),
            "value": [1.0] * n,
            "status": ["reported"] * n,
        }
    )
    frames["editions"] = pd.DataFrame({"system": ["sys"] * n, "year": range(2021, 2021 + n)})
    _, problems = validate_tables(frames)
    assert [p.row for p in problems] == list(range(2, n + 2))
    assert {p.code for p in problems} == {"unknown-institution"}


def test_bad_cells_are_missing_in_the_typed_output() -> None:
    frames = string_frames()
    frames["observations"].loc[0, "value"] = "abc"
    typed, problems = validate_tables(frames)
    assert [p.code for p in problems] == ["not-a-number"]
    assert np.isnan(typed["observations"]["value"][0])


def test_decimal_option_parses_decimal_commas() -> None:
    frames = string_frames()
    frames["observations"].loc[0, "value"] = "1,5"
    typed, problems = validate_tables(frames, decimal=",")
    assert list(problems) == []
    assert typed["observations"]["value"][0] == 1.5


def test_value_status_rules() -> None:
    frames = typed_frames()
    frames["observations"] = frames["observations"].assign(
        value=[np.nan, 2.0, 3.0], status=["reported", "not_applicable", "estimated"]
    )
    _, problems = validate_tables(frames)
    assert sorted((p.row, p.code) for p in problems) == [
        (2, "value-status-mismatch"),
        (3, "value-status-mismatch"),
    ]
    messages = sorted(p.message for p in problems)
    assert "needs a value" in messages[1] and "takes no value but the value is 2.0" in messages[0]


def test_native_infinite_values_are_non_finite() -> None:
    frames = typed_frames()
    frames["observations"] = frames["observations"].assign(value=[np.inf, np.nan, 3.0])
    _, problems = validate_tables(frames)
    assert [(p.row, p.code) for p in problems] == [(2, "non-finite")]


def test_missing_required_table_and_unknown_table() -> None:
    frames = typed_frames()
    del frames["editions"]
    frames["extra"] = pd.DataFrame({"a": [1]})
    _, problems = validate_tables(frames, origin="mem")
    assert sorted((p.code, p.sheet, p.severity) for p in problems) == [
        ("missing-table", "editions", "error"),
        ("unknown-table", None, "warning"),
    ]


def test_extras_are_text_and_kept_in_order() -> None:
    frames = typed_frames()
    frames["institutions"] = frames["institutions"].assign(rank_2020=[1, None], size=[1.5, 2.0])
    typed, problems = validate_tables(frames)
    assert list(problems) == []
    inst = typed["institutions"]
    assert list(inst.columns[-2:]) == ["rank_2020", "size"]
    assert inst["size"].tolist() == ["1.5", "2.0"]
    assert inst["rank_2020"][0] == "1.0"


def test_from_frames_raises_with_every_problem() -> None:
    frames = typed_frames()
    frames["institutions"] = frames["institutions"].assign(country=["fr", "ZZ"])
    with pytest.raises(InvalidInput) as raised:
        Dataset.from_frames(frames)
    assert [p.code for p in raised.value.problems] == ["invalid-country", "invalid-country"]
    assert "write 'FR'" in raised.value.problems[0].message


def test_iso_country_list() -> None:
    assert len(ISO_COUNTRIES) == 249
    assert {"NA", "FR", "GB", "SS", "BQ"} <= ISO_COUNTRIES
    assert not {"UK", "XK", "EU", "fr"} & ISO_COUNTRIES


def test_as_text_formats_numbers_like_the_csv_writer() -> None:
    assert as_text(pd.Series([1, None], dtype="Int64")).tolist()[0] == "1"
    assert as_text(pd.Series([0.1, 1e16, 2.0])).tolist() == ["0.1", "1e+16", "2.0"]
    assert pd.isna(as_text(pd.Series(["", "x"]))[0])


def test_published_table_types_and_vocabulary() -> None:
    frames = typed_frames()
    frames["published"] = pd.DataFrame(
        {
            "institution": ["007", "b"],
            "system": ["sys", "sys"],
            "year": [2021, 2021],
            "node": ["sys", "sys"],
            "rank": ["1", "1.5"],
            "rank_display": ["1", "="],
            "band_lo": ["", ""],
            "band_hi": ["", ""],
            "score": ["90.5", ""],
            "score_lo": ["", ""],
            "score_hi": ["", ""],
            "status": ["ranked", "ranked"],
        }
    )
    typed, problems = validate_tables(frames)
    assert [(p.row, p.column, p.code) for p in problems] == [(3, "rank", "invalid-value")]
    assert typed["published"]["rank"].dtype == "Int64"
    assert typed["published"]["score"][0] == 90.5


def test_inputs_are_never_changed() -> None:
    frames = string_frames()
    frames["observations"].loc[0, "value"] = "abc"
    before = {name: frame.copy(deep=True) for name, frame in frames.items()}
    flagged = {"value": np.array([True, False, False])}
    source = TableSource("obs.csv", flagged=flagged)
    validate_tables(frames, sources={"observations": source})
    for name, frame in frames.items():
        pd.testing.assert_frame_equal(frame, before[name])
    assert source.flagged is flagged and list(source.flagged) == ["value"]
