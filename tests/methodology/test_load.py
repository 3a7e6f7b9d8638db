"""Loading methodology files: valid examples load, malformed ones fail with located reasons."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from palmares.methodology import (
    Methodology,
    load_methodology,
    parse_methodology,
    resolve_methodology,
)
from palmares.methodology.model import AggregateMean, NormaliseMinmax, PointsThresholds
from palmares.problems import InvalidInput

HERE = Path(__file__).parent
EXAMPLES = HERE / "examples"
MALFORMED = HERE / "malformed"

# Each malformed file, with every problem it must report: (line, key path, code, reason).
EXPECTED: list[tuple[str, list[tuple[int | None, str, str, str]]]] = [
    (
        "01_geometric_after_zscore.toml",
        [
            (
                34,
                "steps[1].method",
                "invalid-methodology",
                "a geometric mean needs inputs > 0, but 'demo.a.x' lies in (-inf, inf) after "
                "steps[0] (normalise.zscore) (value 'geometric')",
            ),
        ],
    ),
    (
        "02_unknown_method.toml",
        [
            (
                10,
                "steps[0].method",
                "invalid-methodology",
                "unknown method for a normalise step (expected one of: minmax, zscore, zcdf, "
                "percent_of_best, percentile_rank, rank, target, goalposts) (value 'minmaxx')",
            ),
        ],
    ),
    (
        "03_unknown_step_type.toml",
        [
            (
                13,
                "steps[1].type",
                "invalid-methodology",
                "unknown step type (expected one of: eligibility, impute, treat, normalise, "
                "points, grade, weight, aggregate, rescale, round) (value 'normalize')",
            ),
        ],
    ),
    (
        "04_unknown_step_key.toml",
        [
            (
                11,
                "steps[0].rnage",
                "invalid-methodology",
                "unknown key 'rnage' (did you mean 'range'?)",
            ),
        ],
    ),
    (
        "05_negative_decimals.toml",
        [
            (
                19,
                "steps[2].decimals",
                "invalid-methodology",
                "input should be greater than or equal to 0 (value -1)",
            ),
        ],
    ),
    (
        "06_weight_unknown_node.toml",
        [
            (
                30,
                'weights."demo.a.z"',
                "invalid-methodology",
                "weight on node 'demo.a.z', which is not in the inline tree (value 'demo.a.z')",
            ),
        ],
    ),
    (
        "07_unreachable_threshold.toml",
        [
            (
                36,
                "steps[1].thresholds[4]",
                "invalid-methodology",
                "threshold 120 lies outside [0, 100], the range of its input (from steps[0] "
                "(normalise.minmax)): every institution or none passes it (value 120.0)",
            ),
        ],
    ),
    (
        "08_rescale_before_aggregate.toml",
        [
            (
                13,
                "steps[1].type",
                "invalid-methodology",
                "rescale before aggregation: 'demo' has no score yet (put the rescale after the "
                "aggregate step that computes it) (value 'rescale')",
            ),
        ],
    ),
    (
        "09_missing_label_negative_weight.toml",
        [
            (1, "methodology.label_en", "invalid-methodology", "missing key 'label_en'"),
            (
                8,
                'weights."demo.a"',
                "invalid-methodology",
                "input should be greater than or equal to 0 (value -1)",
            ),
        ],
    ),
    (
        "10_editions_reversed.toml",
        [
            (
                6,
                "methodology.editions",
                "invalid-methodology",
                "'to' (2016) is before 'from' (2022)",
            ),
        ],
    ),
    (
        "11_unknown_section.toml",
        [
            (
                8,
                "weight",
                "invalid-methodology",
                "unknown section 'weight' (did you mean [weights]?)",
            ),
        ],
    ),
    (
        "12_bad_override.toml",
        [
            (
                13,
                'steps[0].overrides."demo.a.x".range',
                "invalid-methodology",
                "range must be increasing, got [100, 0]",
            ),
        ],
    ),
    (
        "13_eligibility_after_impute.toml",
        [
            (
                13,
                "steps[1].type",
                "invalid-methodology",
                "eligibility after imputation (steps[0]): eligibility is decided on what was "
                "submitted, so it comes first (value 'eligibility')",
            ),
        ],
    ),
    (
        "14_unknown_parent.toml",
        [
            (
                16,
                "tree.nodes[1].parent",
                "invalid-methodology",
                "parent 'demo.missing' is not a node of the tree (value 'demo.missing')",
            ),
        ],
    ),
    (
        "15_band_gap.toml",
        [
            (
                24,
                "ranking.bands.2021",
                "invalid-methodology",
                "band 1 starts at 160, expected 151 (bands are contiguous)",
            ),
        ],
    ),
    (
        "16_group_unreachable.toml",
        [
            (
                42,
                'ranking.groups.2018."A+"',
                "invalid-methodology",
                "group 'A+' starts at 12 points but the total lies in [0, 10]: no institution "
                "can reach it (value 12.0)",
            ),
        ],
    ),
    (
        "17_ties_value.toml",
        [
            (
                22,
                "ranking.ties",
                "invalid-methodology",
                "input should be 'equals', 'bare' or 'ex-aequo' (value 'ex aequo')",
            ),
        ],
    ),
    (
        "18_percent_of_best_after_zscore.toml",
        [
            (
                14,
                "steps[1].method",
                "invalid-methodology",
                "percent_of_best divides by the best value: it needs values >= 0, but they lie "
                "in (-inf, inf) after steps[0] (normalise.zscore) (value 'percent_of_best')",
            ),
        ],
    ),
    (
        "19_published_without_decimals.toml",
        [
            (
                17,
                "ranking.rank_on",
                "invalid-methodology",
                'rank_on = "published" needs the published precision: set ranking.decimals or '
                "add a round step (value 'published')",
            ),
        ],
    ),
    (
        "20_harmonic_on_zero.toml",
        [
            (
                14,
                "steps[1].method",
                "invalid-methodology",
                "a harmonic mean needs inputs > 0, but a leaf lies in [0, 100] after steps[0] "
                "(normalise.minmax) (value 'harmonic')",
            ),
        ],
    ),
    (
        "21_mean_of_grades.toml",
        [
            (
                14,
                "steps[1].method",
                "invalid-methodology",
                "arithmetic of grades (a leaf holds categories A..E from steps[0] "
                "(grade.median_distance)): use aggregate.grade_counts (value 'arithmetic')",
            ),
        ],
    ),
    (
        "22_toml_syntax.toml",
        [
            (9, None, "invalid-toml", "not valid TOML: Illegal character '\\n'"),
        ],
    ),
    (
        "23_k_of_too_big.toml",
        [
            (8, "steps[0]", "invalid-methodology", "k = 3 but only 2 nodes are listed"),
        ],
    ),
    (
        "24_editions_string.toml",
        [
            (
                6,
                "methodology.editions",
                "invalid-methodology",
                "editions is a range { from = YEAR, to = YEAR } or a list of years (value "
                "'2016-2022')",
            ),
        ],
    ),
    (
        "25_tree_semantics.toml",
        [
            (
                21,
                "tree.nodes[2].id",
                "invalid-methodology",
                "node 'demo.x' is defined twice (value 'demo.x')",
            ),
            (
                26,
                "weights.demo",
                "invalid-methodology",
                "the root has no siblings: it takes no weight (value 'demo')",
            ),
        ],
    ),
    (
        "26_override_keys.toml",
        [
            (
                13,
                'steps[0].overrides."demo.x".type',
                "invalid-methodology",
                "'type' cannot be overridden per node (value 'zscore')",
            ),
            (
                14,
                'steps[0].overrides."demo.x".rnage',
                "invalid-methodology",
                "unknown parameter 'rnage' for normalise.minmax (did you mean 'range'?)",
            ),
        ],
    ),
    (
        "27_band_table_key.toml",
        [
            (
                20,
                "ranking.bands.2021-22",
                "invalid-methodology",
                "invalid key: a table key is 'default' or an edition year (value '2021-22')",
            ),
            (
                23,
                'ranking.groups."A+"',
                "invalid-methodology",
                "invalid key: a table key is 'default' or an edition year (value 'A+')",
            ),
        ],
    ),
]


def test_every_malformed_file_is_listed() -> None:
    assert sorted(p.name for p in MALFORMED.glob("*.toml")) == [name for name, _ in EXPECTED]
    assert len(EXPECTED) >= 15


@pytest.mark.parametrize(("name", "problems"), EXPECTED, ids=[n for n, _ in EXPECTED])
def test_malformed_file_fails_with_located_reasons(
    name: str, problems: list[tuple[int | None, str, str, str]]
) -> None:
    path = MALFORMED / name
    with pytest.raises(InvalidInput) as caught:
        load_methodology(path)
    found = [(p.row, p.column, p.code, p.message) for p in caught.value.problems]
    assert found == problems
    assert all(p.file == str(path) and p.sheet is None for p in caught.value.problems)


def test_located_text_form() -> None:
    with pytest.raises(InvalidInput) as caught:
        load_methodology(MALFORMED / "05_negative_decimals.toml")
    assert [p.to_text() for p in caught.value.problems] == [
        f"{MALFORMED / '05_negative_decimals.toml'}:-:19:steps[2].decimals: invalid-methodology: "
        "input should be greater than or equal to 0 (value -1)"
    ]


def test_composite_example_loads() -> None:
    m = load_methodology(EXAMPLES / "composite.toml")
    assert isinstance(m, Methodology)
    assert m.id == "composite-example"
    assert m.system == "composite"
    assert [s.tag for s in m.steps] == [
        "eligibility.coverage",
        "impute.median",
        "treat.jrc",
        "normalise.zscore",
        "aggregate.arithmetic",
        "rescale.top100",
        "round.half_up",
    ]
    assert m.steps[0].params() == {"min_share": 0.66}
    assert m.weight("composite.research") == 0.5
    assert m.weight("composite.teaching.completion") == 1.0
    assert m.applies_to(2016) and m.applies_to(2040) and not m.applies_to(2015)
    assert m.ranking.ties == "equals" and m.ranking.method == "competition"
    table = m.ranking.band_table(2021)
    assert table is not None and table.individual_until == 100
    assert table.bands[-1] == (301, None)
    assert m.subsets["france"].where == {"country": "FR"}


def test_asem_example_loads() -> None:
    m = load_methodology(EXAMPLES / "asem.toml")
    assert m.system == "Index" and m.tree.source == "bundle"
    minmax, mean = m.steps
    assert isinstance(minmax, NormaliseMinmax) and minmax.range == (0.0, 100.0)
    assert isinstance(mean, AggregateMean) and mean.renormalise and mean.min_children == 1
    assert m.ranking.rank_on == "unrounded"
    assert m.applies_to(2018) and not m.applies_to(2019)


def test_overrides_give_per_node_parameters() -> None:
    m = load_methodology(EXAMPLES / "letudiant_2022.toml")
    step = m.steps[0]
    assert isinstance(step, PointsThresholds)
    assert step.params_for("letudiant.companies.salary")["thresholds"] == [10, 20, 30, 40, 50]
    assert step.params_for("letudiant.academic.phd_share")["thresholds"] == [1, 2, 3, 4, 5]
    assert step.points_max("letudiant.academic.phd_share") == 5


def test_text_input_and_all_shape_errors_at_once() -> None:
    text = """
[methodology]
id = "x y"
system = "demo"
version = 2
label_en = "Bad"
editions = [2020]

[[steps]]
type = "normalise"
method = "minmax"
range = [0, "a"]

[[steps]]
type = "aggregate"
method = "arithmetic"
min_children = 0
"""
    with pytest.raises(InvalidInput) as caught:
        parse_methodology(text)
    found = [(p.file, p.row, p.column, p.message) for p in caught.value.problems]
    assert found == [
        (
            "<text>",
            3,
            "methodology.id",
            "not a valid id (letters, digits, '.', '_', '-') (value 'x y')",
        ),
        ("<text>", 5, "methodology.version", "input should be a valid string (value 2)"),
        (
            "<text>",
            12,
            "steps[0].range[1]",
            "input should be a valid number, unable to parse string as a number (value 'a')",
        ),
        (
            "<text>",
            17,
            "steps[1].min_children",
            "input should be greater than or equal to 1 (value 0)",
        ),
    ]


def test_unreadable_and_non_utf8_files(tmp_path: Path) -> None:
    with pytest.raises(InvalidInput) as caught:
        load_methodology(tmp_path / "absent.toml")
    assert caught.value.problems[0].code == "invalid-methodology"
    latin = tmp_path / "latin.toml"
    latin.write_bytes(b'[methodology]\nlabel_en = "\xe9"\n')
    with pytest.raises(InvalidInput) as caught:
        load_methodology(latin)
    problem = caught.value.problems[0]
    assert (problem.code, problem.row) == ("encoding", 2)


def test_resolve_a_path_checks_the_edition() -> None:
    path = str(EXAMPLES / "letudiant_2022.toml")
    assert resolve_methodology(path, 2020).methodology.version == "2022"
    with pytest.raises(InvalidInput) as caught:
        resolve_methodology(path, 2023)
    assert caught.value.problems[0].message == (
        "methodology 'letudiant-like' applies to editions 2018-2022, not 2023"
    )


def test_resolve_an_unknown_preset_is_a_clear_error() -> None:
    with pytest.raises(InvalidInput) as caught:
        resolve_methodology("no-such-preset", 2020)
    assert caught.value.problems[0].code == "unknown-preset"
    with pytest.raises(InvalidInput) as caught:
        resolve_methodology("letudiant@20x3", 2020)
    assert caught.value.problems[0].message == "'20x3' is not a year in PRESET@YEAR"


VALUES = ["-1", "0", "2.5", "inf", '"x"', '"demo"', "[]", "[1, 0]", "{}", "true", '["a", 3]']


@settings(max_examples=150, deadline=None)
@given(
    st.sampled_from(sorted(EXAMPLES.glob("*.toml"))),
    st.lists(
        st.tuples(st.sampled_from(["drop", "value", "duplicate"]), st.integers(0, 10_000)),
        min_size=1,
        max_size=3,
    ),
    st.sampled_from(VALUES),
)
def test_mutated_files_load_or_fail_cleanly(
    path: Path, edits: list[tuple[str, int]], value: str
) -> None:
    """Any edit of a valid file either loads or raises InvalidInput with located problems."""
    lines = path.read_text().splitlines()
    for action, where in edits:
        i = where % len(lines)
        if action == "drop":
            del lines[i]
        elif action == "duplicate":
            lines.insert(i, lines[i])
        elif "=" in lines[i] and not lines[i].lstrip().startswith("#"):
            lines[i] = lines[i].split("=", 1)[0] + "= " + value
    try:
        m = parse_methodology("\n".join(lines) + "\n")
    except InvalidInput as error:
        assert error.problems
        for problem in error.problems:
            assert problem.code in ("invalid-methodology", "invalid-toml")
            assert problem.row is None or 1 <= problem.row <= len(lines)
    else:
        assert isinstance(m, Methodology)
