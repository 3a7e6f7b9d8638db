"""What people read from the command line on the seed world (contracts section 12): no rank
inside a THE Impact band and no U-Multirank overall rank in the outputs of history,
highlights, network, communiqué and rank (default view: terminal, JSON, CSV, Markdown), and
missing is never 0 on a world with gaps (a partial import of unknown field size, a missing
score, an institution without a national rank)."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from palmares.cli import app
from palmares.history import EditionSeries
from palmares.io import write_dataset
from tests.highlights.seed_worlds import seed_world

SCHOOL = "imt-mines-ales"
#: Keys whose value is a position, a size or a share: 0 is never one, missing is null.
NEVER_ZERO = {
    "rank",
    "rank_lo",
    "rank_hi",
    "tie_size",
    "band_lo",
    "band_hi",
    "field_size",
    "national_rank",
    "national_tie_size",
    "national_field_size",
    "regional_rank",
    "regional_field_size",
    "top_percent",
    "previous_rank",
    "group_rank",
    "group_size",
    "rank_in_group",
    "members_ranked",
    "country_field",
}


@pytest.fixture(scope="module")
def bundle(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("published-outputs")
    write_dataset(seed_world(0), root / "bundle")
    # A 2-row THE WUR table: the field size is unknown; IMT Atlantique has no overall score.
    table = root / "wur.csv"
    table.write_text(
        "Rank,Name,Overall,Teaching,Research,Citations,Industry Income,International Outlook\n"
        "=250,IMT Mines Alès,50.1,40,40,60,50,70\n"
        "401–500,IMT Atlantique,,30,30,50,40,60\n",
        encoding="utf-8",
    )
    args = ["--data", str(root / "bundle"), "--system", "the-wur", "--edition", "2023"]
    done = CliRunner().invoke(app, ["import", str(table), *args])
    assert done.exit_code == 0, done.output
    return root / "bundle"


def _run(*args: str) -> str:
    result = CliRunner().invoke(app, list(args))
    assert result.exit_code == 0, (args, result.output, result.exception)
    return result.stdout


def _mentions(text: str, rank: int) -> bool:
    """An ordinal, a joint display or a bare cell of ``rank`` ("381e", "381st", "=381")."""
    ordinal = rf"(?<![\d\u202f\u00a0,.–-]){rank}(?:e|er|re|st|nd|rd|th|<sup>)\b"
    return bool(re.search(rf"{ordinal}|={rank}\b|(?:rank|rang) {rank}\b", text))


def _context(text: str, rank: int) -> list[str]:
    """The lines that mention ``rank`` (for the failure message)."""
    return [line for line in text.splitlines() if _mentions(line, rank)]


def _walk(document: Any, path: str = "") -> list[tuple[str, Any]]:
    if isinstance(document, dict):
        return [p for k, v in document.items() for p in _walk(v, f"{path}.{k}")]
    if isinstance(document, list):
        return [p for i, v in enumerate(document) for p in _walk(v, f"{path}[{i}]")]
    return [(path, document)]


def _zeros(document: Any) -> list[str]:
    """Paths of a never-zero key that holds 0 (a missing value shown as 0)."""
    return [
        path
        for path, value in _walk(document)
        if path.rsplit(".", 1)[-1] in NEVER_ZERO and value == 0 and value is not False
    ]


def _outputs(bundle: Path, tmp: Path, system: str, edition: int, extra: list[str]) -> str:
    """Every person-facing output of the five commands for the school, joined."""
    data = ["--data", str(bundle), "--system", system]
    at = [*data, "--edition", str(edition)]
    texts = []
    for lang in ("fr", "en"):
        texts.append(_run("history", SCHOOL, *data, "--lang", lang))
        texts.append(_run("highlights", SCHOOL, *at, "--lang", lang))
        texts.append(_run("rank", *at, "--lang", lang, "--top", "2000"))
        out = tmp / f"{system}-{edition}-{lang}.md"
        _run("communique", SCHOOL, "--out", str(out), *at, "--lang", lang, "--force")
        texts.append(out.read_text(encoding="utf-8"))
        for network in extra:
            texts.append(_run("network", network, *at, "--lang", lang))
    for command in (["history", SCHOOL, *data], ["highlights", SCHOOL, *at], ["rank", *at]):
        texts.append(_run(*command, "--json"))
    # (the files of `rank --out` are exports: tested with their writers, tests/cli)
    return "\n".join(texts)


def test_the_impact_outputs_state_no_rank_inside_a_band(bundle: Path, tmp_path: Path) -> None:
    producer = EditionSeries(seed_world(0), "the-impact", view="producer")
    row = producer.history(SCHOOL).row(2021)
    assert row["band"] == "301–400" and int(row["rank"]) == 381  # computed, never published
    text = _outputs(bundle, tmp_path, "the-impact", 2021, ["imt"])
    assert "301–400" in text
    assert not _mentions(text, 381), _context(text, 381)
    ranked = json.loads(
        _run("rank", "--data", str(bundle), "--system", "the-impact", "--edition", "2021", "--json")
    )
    rows = ranked["rows"] if isinstance(ranked, dict) and "rows" in ranked else ranked
    mine = next(r for r in _walk_rows(rows) if r.get("institution") == SCHOOL)
    assert mine["rank"] is None


def _walk_rows(rows: Any) -> list[dict[str, Any]]:
    if isinstance(rows, dict):
        for key in ("results", "rows", "ranking", "table"):
            if key in rows:
                return _walk_rows(rows[key])
        return []
    return [r for r in rows if isinstance(r, dict)]


def test_u_multirank_outputs_state_no_overall_rank(bundle: Path, tmp_path: Path) -> None:
    producer = EditionSeries(seed_world(0), "u-multirank", view="producer")
    overall = int(producer.history(SCHOOL).row(2021)["rank"])
    assert overall == 661
    text = _outputs(bundle, tmp_path, "u-multirank", 2021, [])
    assert not _mentions(text, overall) and "1 032" not in text and "1,032" not in text
    assert "places" not in text.replace("placements", "")


def test_missing_is_never_zero(bundle: Path, tmp_path: Path) -> None:
    data = ["--data", str(bundle), "--system", "the-wur"]
    at = [*data, "--edition", "2023"]
    documents = {
        "history": json.loads(_run("history", SCHOOL, *data, "--json")),
        "highlights": json.loads(_run("highlights", SCHOOL, *at, "--json")),
        "history-atlantique": json.loads(_run("history", "imt-atlantique", *data, "--json")),
    }
    for name, document in documents.items():
        assert _zeros(document) == [], name
    record = next(r for r in documents["history-atlantique"]["editions"] if r["edition"] == 2023)
    # imported without an overall score, of a field of unknown size: both null, never 0
    assert record["score"] is None and record["field_size"] is None
    for lang in ("fr", "en"):
        shown = _run("history", SCHOOL, *data, "--lang", lang)
        assert not re.search(r"(?<![\d.,])0(?![\d.,])", shown), shown
        words = _run("highlights", SCHOOL, *at, "--lang", lang)
        assert not re.search(r"(?<![\d.,])0(?![\d.,])", words), words
        out_md = tmp_path / f"wur-{lang}.md"
        _run("communique", SCHOOL, "--out", str(out_md), *at, "--lang", lang)
        body = out_md.read_text(encoding="utf-8").split("\n---")[0]
        assert not re.search(r"(?<![\d.,])0(?![\d.,])", body), body
    # the 2021 THE Impact network table: a member without a national rank shows none, not 0
    network = json.loads(
        _run(
            "network",
            "imt",
            "--data",
            str(bundle),
            "--system",
            "the-impact",
            "--edition",
            "2021",
            "--json",
        )
    )
    assert _zeros(network) == []
    # ... and its table: a national rank shared within a band reads "4e ex aequo" (section 6),
    # the band said once (in the rank column)
    at = ["--data", str(bundle), "--system", "the-impact", "--edition", "2021"]
    table = _run("network", "imt", *at, "--lang", "fr")
    line = next(x for x in table.splitlines() if "IMT Mines Alès" in x)
    assert "301–400" in line and "4e ex aequo" in line and line.count("301–400") == 1
    english = _run("network", "imt", *at, "--lang", "en")
    assert "=4th" in next(x for x in english.splitlines() if "IMT Mines Alès" in x)


#: Each system's computed position of the school in 2021 that is never published: THE Impact's
#: rank inside the band 301–400, U-Multirank's overall rank (checked in the tests above).
HIDDEN = {"the-impact": 381, "u-multirank": 661}


def _export_rows(path: Path) -> tuple[list[dict[str, Any]], str]:
    """The rows of a ``rank --out`` file (CSV, JSON, or the workbook's ranking sheet) and all
    its text."""
    import csv
    import io

    if path.suffix == ".xlsx":
        from openpyxl import load_workbook

        sheets = load_workbook(path, read_only=True)
        cells = [
            ["" if v is None else str(v) for v in row]
            for sheet in sheets
            for row in sheet.iter_rows(values_only=True)
        ]
        first = next(iter(sheets))
        table = [list(r) for r in first.iter_rows(values_only=True)]
        rows = [dict(zip(table[0], r, strict=True)) for r in table[1:]]
        return rows, "\n".join(" | ".join(r) for r in cells)
    text = path.read_text(encoding="utf-8")
    if path.suffix == ".json":
        return json.loads(text)["results"], text
    return list(csv.DictReader(io.StringIO(text.lstrip("\ufeff")))), text


@pytest.mark.parametrize("suffix", [".csv", ".json", ".xlsx"])
def test_rank_exports_state_only_what_is_published(
    bundle: Path, tmp_path: Path, suffix: str
) -> None:
    for system, hidden in HIDDEN.items():
        out = tmp_path / f"{system}{suffix}"
        at = ["--data", str(bundle), "--system", system, "--edition", "2021", "--lang", "en"]
        _run("rank", *at, "--out", str(out))
        rows, text = _export_rows(out)
        assert not _mentions(text, hidden), _context(text, hidden)
        key = "Identifier" if suffix == ".xlsx" else "institution"
        mine = next(r for r in rows if r[key] == SCHOOL)
        if suffix == ".xlsx":
            # the workbook for people: the band in the rank column, no score but the range
            if system == "the-impact":
                assert mine["Rank"] == "301–400" and mine["Score"] in (None, "")
                assert float(mine["Band's lowest score"]) <= float(mine["Band's highest score"])
            else:
                assert "Rank" not in mine
            continue
        assert mine["rank"] in (None, "")  # never the computed position
        if system == "the-impact":
            assert mine["rank_display"] == "301–400" and mine["score"] in (None, "")
            assert float(mine["score_lo"]) <= float(mine["score_hi"])
        else:
            assert all(r["rank"] in (None, "") and r["rank_display"] in (None, "") for r in rows)


@pytest.mark.parametrize("kind", ["trajectory", "compare", "sdg", "grades"])
def test_charts_state_only_what_is_published(bundle: Path, tmp_path: Path, kind: str) -> None:
    systems = {"sdg": ["the-impact"], "grades": ["u-multirank"]}.get(kind, list(HIDDEN))
    for system in systems:
        for lang in ("fr", "en"):
            out = tmp_path / f"{kind}-{system}-{lang}.html"  # the Vega-Lite spec and its data
            peer = EditionSeries(seed_world(0), system).standings(2021).index[0]
            who = [SCHOOL, str(peer)] if kind == "compare" else [SCHOOL]
            at = ["--data", str(bundle), "--system", system, "--edition", "2021"]
            _run("chart", kind, *who, *at, "--lang", lang, "--out", str(out))
            text = out.read_text(encoding="utf-8")
            hidden = HIDDEN[system]
            assert not _mentions(text, hidden), _context(text, hidden)
            assert not re.search(rf'"(?:rank|rank_display|position)":\s*"?{hidden}\b', text)


@pytest.mark.parametrize("system", list(HIDDEN))
def test_explain_states_the_published_position(bundle: Path, system: str) -> None:
    at = ["--data", str(bundle), "--system", system, "--edition", "2021"]
    head = json.loads(_run("explain", SCHOOL, *at, "--json"))
    assert head["rank"] is None
    if system == "the-impact":
        assert head["rank_display"] == "301–400" and head["score"] is None
        assert head["score_lo"] <= head["score_hi"]
    else:
        assert head["rank_display"] is None
    for lang in ("fr", "en"):
        text = _run("explain", SCHOOL, *at, "--lang", lang)
        assert not _mentions(text, HIDDEN[system]), _context(text, HIDDEN[system])


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/institutions/{school}/history?system={system}",
        "/api/v1/institutions/{school}/highlights?system={system}&edition=2021&lang=fr",
        "/api/v1/institutions/{school}/explain?system={system}&edition=2021",
        "/api/v1/institutions/{school}/communique?edition=2021&lang=en",
        "/api/v1/compare?institutions={school},imt-atlantique&system={system}&edition=2021",
        "/api/v1/systems/{system}/editions/2021/ranking?country=FR&per_page=500",
        "/api/v1/charts/trajectory?institutions={school}&system={system}&format=vega",
        "/fr/institutions/{school}?system={system}&edition=2021",
        "/en/rankings/{system}/2021?country=FR",
        "/fr/compare?ids={school},imt-atlantique",
    ],
)
def test_api_and_web_pages_state_only_what_is_published(served: Any, path: str) -> None:
    for system, hidden in HIDDEN.items():
        url = path.format(school=SCHOOL, system=system)
        answer = served.get(url)
        assert answer.status_code == 200, (url, answer.text[:300])
        text = answer.text
        assert not _mentions(text, hidden), (url, _context(text, hidden))
        if "json" in answer.headers["content-type"]:
            document = answer.json()
            assert _zeros(document) == [], url
            assert not [
                p for p, v in _walk(document) if p.rsplit(".", 1)[-1] == "rank" and v == hidden
            ], url


@pytest.fixture(scope="module")
def served() -> Any:
    from fastapi.testclient import TestClient

    from palmares.api.app import create_app
    from palmares.api.context import ServiceContext

    with TestClient(create_app(ServiceContext.from_dataset(seed_world(0)))) as client:
        yield client
