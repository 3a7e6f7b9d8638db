"""``palmares methodology validate|show|diff`` through the console entry point."""

from __future__ import annotations

import json
from pathlib import Path

EXAMPLES = Path(__file__).parents[1] / "methodology" / "examples"
MALFORMED = Path(__file__).parents[1] / "methodology" / "malformed"


def test_validate_valid_files(cli) -> None:
    code, out, err = cli(
        "methodology",
        "validate",
        str(EXAMPLES / "asem.toml"),
        str(EXAMPLES / "composite.toml"),
    )
    assert code == 0 and err == ""
    assert out.splitlines() == [
        f"OK: {EXAMPLES / 'asem.toml'} (asem, 4df133e9a5d4)",
        f"OK: {EXAMPLES / 'composite.toml'} (composite-example, b7d4a69eee70)",
    ]


def test_validate_invalid_files_exit_2_with_located_lines(cli) -> None:
    bad = MALFORMED / "05_negative_decimals.toml"
    code, out, err = cli("methodology", "validate", str(EXAMPLES / "asem.toml"), str(bad))
    assert code == 2 and out == ""
    assert err.splitlines()[0] == (
        f"{bad}:-:19:steps[2].decimals: invalid-methodology: input should be greater than or "
        "equal to 0 (value -1)"
    )


def test_validate_json(cli) -> None:
    bad = MALFORMED / "06_weight_unknown_node.toml"
    code, out, _ = cli("methodology", "validate", str(bad), "--json")
    assert code == 2
    document = json.loads(out)
    assert document["valid"] is False
    assert document["files"] == [{"file": str(bad), "valid": False, "hash": None}]
    assert document["errors"] == [
        {
            "file": str(bad),
            "sheet": None,
            "row": 30,
            "column": 'weights."demo.a.z"',
            "code": "invalid-methodology",
            "message": (
                "weight on node 'demo.a.z', which is not in the inline tree (value 'demo.a.z')"
            ),
            "value": "demo.a.z",
        }
    ]


def test_show_text_and_json(cli) -> None:
    path = str(EXAMPLES / "asem.toml")
    code, out, _ = cli("methodology", "show", path)
    assert code == 0
    assert "hash: 4df133e9a5d4d727d9977f43f1c356214fd213a312e188a4ab957f45bf5486a1" in out
    assert "  [0] normalise.minmax on leaves (range = (0.0, 100.0)) -> [0, 100] values" in out
    code, out, _ = cli("methodology", "show", path, "--json")
    document = json.loads(out)
    assert document["hash"].startswith("4df133e9")
    assert document["methodology"]["methodology"]["system"] == "Index"
    assert [s["output_range"] for s in document["steps"]] == [[0.0, 100.0], [0.0, 100.0]]


def test_diff_text_and_json(cli) -> None:
    a, b = str(EXAMPLES / "letudiant_2022.toml"), str(EXAMPLES / "letudiant_2023.toml")
    code, out, _ = cli("methodology", "diff", a, b)
    assert code == 0
    assert "  steps[0] points.thresholds.max_points: 5 -> 10" in out.splitlines()
    code, out, _ = cli("methodology", "diff", a, b, "--json")
    document = json.loads(out)
    assert document["indicators_added"] == [
        "letudiant.openness.social_engagement",
        "letudiant.openness.societal_responsibility",
    ]
    code, out, err = cli("methodology", "diff", a, str(MALFORMED / "02_unknown_method.toml"))
    assert code == 2 and "steps[0].method" in err
