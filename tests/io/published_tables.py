"""Shared helpers and tables of the published-table tests (tests/io/test_published_*.py,
tests/test_reproduce.py): running the command line, empty bundles, reading a table with a
preset, and tables printed as THE's and QS's sites serve them (their JSON shapes)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from palmares.cli import main
from palmares.io.published_table import PublishedTable, read_published_table
from palmares.methodology import resolve_methodology
from palmares.reproduce import publish_table, reproduce

THE_PILLARS = ("teaching", "international", "research", "citations", "income")
#: The header of THE's own table (2012-2023).
THE_PRINTED_HEADER = (
    "Rank",
    "Name",
    "Overall",
    "Teaching",
    "International Outlook",
    "Research",
    "Citations",
    "Industry Income",
)


def cli(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], *args: str
) -> tuple[int, str, str]:
    """Run ``palmares ARGS...``: (exit code, stdout, stderr)."""
    monkeypatch.setattr("sys.argv", ["palmares", *args])
    with pytest.raises(SystemExit) as stopped:
        main()
    out, err = capsys.readouterr()
    return int(stopped.value.code or 0), out, err


def run_import(
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    table: Path,
    bundle: Path,
    system: str,
    edition: str,
    *options: str,
) -> tuple[int, str, str]:
    """``palmares import TABLE --data BUNDLE --system SYSTEM --edition EDITION OPTIONS...``."""
    args = ("--data", str(bundle), "--system", system, "--edition", edition)
    return cli(monkeypatch, capsys, "import", str(table), *args, *options)


def run_reproduce(
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    table: Path | None,
    system: str,
    edition: str,
    *options: str,
) -> tuple[int, str, str]:
    """``palmares reproduce [TABLE] --system SYSTEM --edition EDITION OPTIONS...``."""
    head = () if table is None else (str(table),)
    return cli(
        monkeypatch, capsys, "reproduce", *head, "--system", system, "--edition", edition, *options
    )


def read_table(
    path: Path, system: str = "the-wur", year: int = 2011, **kwargs: Any
) -> PublishedTable:
    """A table read with the preset's methodology for ``year``."""
    method = resolve_methodology(system, year)
    return read_published_table(path, method.system, year, method, **kwargs)


def reproduce_copies(
    folder: Path, copies: dict[str, pd.DataFrame], system: str, year: int
) -> dict[str, tuple[PublishedTable, dict[str, Any]]]:
    """Each printed copy written as CSV, read and reproduced: name -> (table, summary)."""
    method = resolve_methodology(system, year)
    out = {}
    for name, frame in copies.items():
        path = folder / f"{name}.csv"
        frame.to_csv(path, index=False)
        table = read_table(path, system, year)
        out[name] = (table, reproduce(table, method).summary)
    return out


def empty_bundle(folder: Path, institutions: str = "id,name,country\n") -> Path:
    """A bundle with no indicator, edition nor observation (``institutions``: its CSV text)."""
    folder.mkdir()
    (folder / "institutions.csv").write_text(institutions, encoding="utf-8")
    (folder / "indicators.csv").write_text(
        "id,label_en,label_fr,parent,direction\n", encoding="utf-8"
    )
    (folder / "editions.csv").write_text("system,year\n", encoding="utf-8")
    (folder / "observations.csv").write_text(
        "institution,indicator,system,year,value,status\n", encoding="utf-8"
    )
    return folder


def the_2016_frame(n: int = 240, seed: int = 3) -> pd.DataFrame:
    """A THE 2015-16 table as THE prints it: totals to rank 200, bands below, "-" where no
    total is printed."""
    method = resolve_methodology("the-wur", 2016)
    rng = np.random.default_rng(seed)
    x = np.round(rng.uniform(15.0, 99.0, size=(n, 5)), 1)
    return publish_table(method, 2016, [f"University {i:03d}" for i in range(n)], x)


# -- the publishers' JSON ------------------------------------------------------------------------


def the_json(frame: pd.DataFrame, location: str = "United Kingdom") -> dict[str, object]:
    """THE's ranking JSON of a printed table: ``data``, one record per row; en-dash ranges;
    a banded row's overall score a range."""
    records = []
    for _, row in frame.iterrows():
        records.append(
            {
                "rank": str(row["rank"]).replace("-", "\u2013"),
                "name": row["institution"],
                "location": location,
                "scores_overall": row["total"] if row["total"] != "-" else "50.1\u201353.7",
                "scores_overall_rank": "10",
                "scores_teaching": row["teaching"],
                "scores_teaching_rank": "7",
                "scores_international_outlook": row["international"],
                "scores_research": row["research"],
                "scores_citations": row["citations"],
                "scores_industry_income": row["income"],
                "stats_female_male_ratio": "33 : 67",
                "record_type": "master_account",
            }
        )
    return {"data": records}


def wrap(value: object) -> str:
    """A value as QS's JSON wraps it."""
    return f'<div class="td-wrap"><div class="td-wrap-in">{value}</div></div>'


QS_IDS = {"ar": "3781", "er": "3782", "fsr": "3783", "cpf": "3784", "ifr": "3785", "isr": "3786"}
QS_TITLES = {
    "ar": "Academic Reputation",
    "er": "Employer Reputation",
    "fsr": "Faculty Student Ratio",
    "cpf": "Citations per Faculty",
    "ifr": "International Faculty Ratio",
    "isr": "International Student Ratio",
}


def qs_json(frame: pd.DataFrame, location: str = "Hong Kong SAR") -> dict[str, object]:
    """QS's ranking JSON of a printed table: ``columns`` naming each key (HTML titles, numeric
    indicator ids) and ``data`` records of HTML-wrapped strings."""
    columns = [
        {"data": "overall_rank_dis", "title": "<span>Rank</span>"},
        {"data": "uni", "title": "University"},
        {"data": "overall", "title": "<div>Overall Score</div>"},
    ] + [{"data": QS_IDS[c], "title": f"<div class='x'>{QS_TITLES[c]}</div>"} for c in QS_IDS]
    records = []
    for i, row in frame.iterrows():
        record: dict[str, object] = {
            "overall_rank_dis": wrap(row["rank"]),
            "uni": f'<div class="td-wrap"><a href="/u/{i}" class="uni-link">'
            f"{row['institution']}</a></div>",
            "location": location,
            "overall": wrap(row["total"] if row["total"] != "-" else ""),
        }
        for c, key in QS_IDS.items():
            record[key] = wrap(row[c])
            record[f"{key}_rank"] = wrap(int(i) + 1)  # type: ignore[call-overload]
            record[f"{key}_rank_d"] = wrap(f"={int(i) + 1}")  # type: ignore[call-overload]
        records.append(record)
    return {"columns": columns, "data": records}
