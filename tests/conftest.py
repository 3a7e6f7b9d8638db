"""Running the console entry point in-process, as a user would from a shell."""

from __future__ import annotations

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
