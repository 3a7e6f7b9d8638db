"""The Typer application and the conventions every command shares (contracts section 1)."""

from __future__ import annotations

import json
import math
import os
import sys
from typing import Any

import typer
from typer.core import TyperGroup

from palmares.jsonsafe import json_safe
from palmares.problems import InvalidInput, UsageProblem
from palmares.translatable import localise, reason, tr, tr_n


class PalmaresGroup(TyperGroup):
    """The command group: bad input raised by any command (a usage problem, an unknown name,
    located problems) is answered on stderr with exit 2, in the console script as in-process
    (Typer's CliRunner), never a traceback."""

    def parse_args(self, ctx: Any, args: list[str]) -> list[str]:
        ctx.meta["palmares_args"] = list(args)
        return super().parse_args(ctx, args)

    def invoke(self, ctx: Any) -> Any:
        args = ctx.meta.get("palmares_args", [])
        lang = chosen_lang(args)
        try:
            return super().invoke(ctx)
        except typer.BadParameter as problem:
            # Click's own frame ("Invalid value for '--lang'") stays as Click writes it; the
            # reason palmares gives is said in the reader's language.
            problem.message = localise(problem.message, lang)
            raise
        except InvalidInput as problem:
            # The located lines keep the contract's English (section 3); around them, the
            # reader's language.
            texts = [p.to_text() for p in problem.problems]
            named = blamed(" ".join(texts), args)
            if named:
                err(localise(tr("error in {options}:", options=named), lang))
            for text in texts:
                err(text)
            err(localise(nothing_written(problem), lang))
            ctx.exit(2)
        except (UsageProblem, LookupError, FileNotFoundError, IsADirectoryError) as problem:
            message = localise(reason(problem), lang)
            if isinstance(problem, OSError) and problem.filename:
                message = f"{problem.filename}: {problem.strerror or message}"
            named = blamed(message, args)
            err(localise(error_line(message, named), lang))
            ctx.exit(2)


def chosen_lang(args: list[str]) -> str | None:
    """The language the person chose for this run's messages: ``--lang`` among ``args``, else
    ``$PALMARES_LANG``; None when neither names a language palmares writes. Errors are said in
    it; without a choice they keep the English every script and test reads."""
    from palmares.cli.options import LANG_ENV

    given = None
    for i, item in enumerate(args):
        if item == "--lang" and i + 1 < len(args):
            given = args[i + 1]
        elif item.startswith("--lang="):
            given = item.partition("=")[2]
    for raw in (given, os.environ.get(LANG_ENV)):
        lang = (raw or "").strip().lower().replace("_", "-").split("-")[0]
        if lang == "en" or (lang and lang in _catalogue_languages()):
            return lang
    return None


def _catalogue_languages() -> tuple[str, ...]:
    from palmares.i18n import languages

    return languages()


def error_line(message: str, named: str = "") -> Any:
    """``error: MESSAGE`` (``error: --option 'value': MESSAGE`` when options are blamed)."""
    if named:
        return tr("error: {options}: {message}", options=named, message=message)
    return tr("error: {message}", message=message)


def nothing_written(problem: InvalidInput) -> Any:
    """The last line after located problems: how many errors, and that nothing was written."""
    errors = sum(p.severity == "error" for p in problem.problems)
    return tr_n("{n} error(s); nothing was written", "{n} error(s); nothing was written", errors)


def blamed(message: str, args: list[str]) -> str:
    """The options whose given value the message is about ("--system 'x'"), when the message
    does not name them itself: every mistake is answered naming its option."""
    named = []
    for i, item in enumerate(args):
        option, eq, value = item.partition("=")
        if not option.startswith("--") or option == "--lang":  # the language is never at fault
            continue
        if not eq:
            if i + 1 >= len(args) or args[i + 1].startswith("--"):
                continue
            value = args[i + 1]
        if value and value in message and option not in message:
            named.append(f"{option} {value!r}")
    return ", ".join(dict.fromkeys(named))


app = typer.Typer(
    name="palmares",
    cls=PalmaresGroup,
    help="Build, explain and explore rankings of higher-education institutions.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


def print_json(document: Any) -> None:
    """Exactly one JSON document on stdout; non-finite numbers become null."""
    sys.stdout.write(json.dumps(json_safe(document), ensure_ascii=False, indent=2) + "\n")


def err(message: str) -> None:
    sys.stderr.write(message.rstrip("\n") + "\n")


def print_table(rows: Any, title: str, caption: str, *, lang: str = "en") -> None:
    """A table of records (a DataFrame or a list of dicts): rich on a terminal, wide plain text
    otherwise; numbers in the language's style (French: decimal comma, thin-space thousands)."""
    import pandas as pd

    frame = rows if isinstance(rows, pd.DataFrame) else pd.DataFrame(list(rows))
    from rich.console import Console
    from rich.table import Table

    terminal = sys.stdout.isatty()
    console = Console(no_color=not terminal, width=None if terminal else 160)
    table = Table(title=title, caption=caption, show_lines=False)
    for column in frame.columns:
        table.add_column(str(column), justify="right" if column in ("rank", "score") else "left")
    for row in frame.itertuples(index=False):
        table.add_row(*["" if _blank(v) else _cell(v, lang) for v in row])
    console.print(table)


def _blank(value: Any) -> bool:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return True
    return type(value).__name__ == "NAType"  # pandas.NA, without importing pandas here


def _cell(value: Any, lang: str = "en") -> str:
    import numpy as np

    from palmares.i18n import gettext
    from palmares.lang import decimal_mark, format_int

    if isinstance(value, (bool, np.bool_)):
        return gettext(lang, "yes") if value else ""
    if isinstance(value, (float, np.floating)):
        value = float(value)
        if value != 0 and abs(value) < 1e-2:
            text = f"{value:.3g}"
        else:
            text = f"{value:.2f}".rstrip("0").rstrip(".")
        return text.replace(".", decimal_mark(lang))
    if isinstance(value, (int, np.integer)) and abs(int(value)) >= 10000:
        return format_int(int(value), lang)
    return str(value)
