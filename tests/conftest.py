"""Running the console entry point in-process, as a user would from a shell."""

from __future__ import annotations

import collections
from collections.abc import Callable

import pytest

from palmares.cli import main

#: ``cli(*args) -> (exit status, stdout, stderr)``
Cli = Callable[..., tuple[int, str, str]]


@pytest.fixture
def cli(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> Cli:
    def run(*args: str) -> tuple[int, str, str]:
        monkeypatch.setattr("sys.argv", ["palmares", *args])
        with pytest.raises(SystemExit) as stopped:
            main()
        out, err = capsys.readouterr()
        return int(stopped.value.code or 0), out, err

    return run


# -- the store's tests run on two backends: the summary shows each one's counts --------------
# (here, not in tests/store/conftest.py, so that the pytest-xdist controller sees it too)

_STORE_BACKENDS = ("duckdb", "postgresql")
_store_outcomes: collections.Counter[tuple[str, str]] = collections.Counter()


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    if "tests/store/" not in report.nodeid:
        return
    if report.when != "call" and not (report.when == "setup" and report.outcome != "passed"):
        return
    for backend in _STORE_BACKENDS:
        if f"[{backend}" in report.nodeid or f"-{backend}]" in report.nodeid:
            _store_outcomes[(backend, report.outcome)] += 1


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if not _store_outcomes:
        return
    terminalreporter.write_sep("-", "store backends")
    for backend in _STORE_BACKENDS:
        counts = ", ".join(
            f"{n} {outcome}" for (b, outcome), n in sorted(_store_outcomes.items()) if b == backend
        )
        terminalreporter.write_line(f"{backend}: {counts or 'no tests'}")
