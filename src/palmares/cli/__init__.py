"""Command-line interface: thin commands that parse, call the library and print."""

from __future__ import annotations

import sys

from palmares.cli import charts as _charts  # noqa: F401
from palmares.cli import communique as _communique  # noqa: F401
from palmares.cli import data as _data  # noqa: F401  (registers commands)
from palmares.cli import db as _db
from palmares.cli import demo as _demo  # noqa: F401
from palmares.cli import highlights as _highlights  # noqa: F401
from palmares.cli import history as _history  # noqa: F401
from palmares.cli import methodology as _methodology  # noqa: F401
from palmares.cli import published as _published  # noqa: F401
from palmares.cli import rank as _rank  # noqa: F401
from palmares.cli import serve as _serve  # noqa: F401
from palmares.cli import systems as _systems  # noqa: F401
from palmares.cli import uncertainty as _uncertainty  # noqa: F401
from palmares.cli.app import UsageProblem, app, chosen_lang, err, error_line, nothing_written
from palmares.problems import InvalidInput
from palmares.translatable import localise, reason, tr


def main() -> None:
    """Entry point of the ``palmares`` console script (exit 0 ok, 2 bad input, 1 internal)."""
    lang = chosen_lang(sys.argv[1:])
    try:
        _db.command_tree()(prog_name="palmares")
    except InvalidInput as problem:
        for p in problem.problems:
            err(p.to_text())
        err(localise(nothing_written(problem), lang))
        sys.exit(2)
    except (UsageProblem, LookupError) as problem:
        err(localise(error_line(reason(problem)), lang))
        sys.exit(2)
    except ValueError as problem:
        # A methodology that validates but names what this bundle lacks (an attribute, a
        # system): bad input for this bundle, said at rank time (exit 2), not a traceback.
        from palmares.engine import MethodologyDataError

        if not isinstance(problem, MethodologyDataError):
            raise
        cannot = tr("the methodology cannot run on this bundle: {reason}", reason=reason(problem))
        err(localise(error_line(cannot), lang))
        sys.exit(2)
    except OSError as problem:
        # A path the user gave cannot be read or written (permission, missing folder, busy,
        # name too long): bad input, located by the path; other OS errors stay internal.
        if problem.filename is None:
            raise
        where = problem.filename if len(str(problem.filename)) < 300 else tr("the path given")
        said = tr(
            "{path}: {reason}; nothing was written",
            path=where,
            reason=problem.strerror or str(problem),
        )
        err(localise(error_line(said), lang))
        sys.exit(2)


__all__ = ["app", "main"]
