"""One vocabulary of options for every command: language, view, --top, and the answer to a
mistyped value (the valid or closest ones, from rapidfuzz).

A bad value raises :class:`typer.BadParameter` from the option's callback, so Click prints
"Invalid value for '--OPTION'" and exits 2; other mistakes raise :class:`UsageProblem` (exit 2)
with a message naming the option.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from typing import Annotated, Any

import typer

from palmares.problems import UsageProblem
from palmares.translatable import Translatable, tr

LANG_ENV = "PALMARES_LANG"
DEFAULT_LANG = "fr"


def closest(value: str, choices: Iterable[str], limit: int = 3) -> list[str]:
    """The choices closest to ``value`` (best first; rapidfuzz WRatio, score >= 60)."""
    from rapidfuzz import process  # only when a value is wrong (start-up time)

    options = sorted({str(c) for c in choices})
    found = process.extract(str(value), options, limit=limit, score_cutoff=60)
    return [match for match, _, _ in found]


def unknown(option: str, value: str, choices: Iterable[str], what: Any = None) -> str:
    """``--option 'value': unknown <what>; did you mean A, B? (valid: ...)`` in one line.

    ``what`` is the whole phrase from the catalogue (``tr("unknown criterion")``: French makes
    the adjective agree), or a bare English noun; by default "unknown value".
    """
    options = sorted({str(c) for c in choices})
    near = closest(value, options)
    hint = tr("; did you mean {names}?", names=", ".join(near)) if near else ""
    shown = ", ".join(options[:20]) + (", ..." if len(options) > 20 else "")
    valid = tr(" (valid: {names})", names=shown) if options else tr(" (none in this dataset)")
    if what is None:
        what = tr("unknown value")
    elif not isinstance(what, Translatable):
        what = f"unknown {what}"
    return tr(
        "{option} {value!r}: {unknown}{hint}{valid}",
        option=option,
        value=value,
        unknown=what,
        hint=hint,
        valid=valid,
    )


def check_choice(option: str, value: str, choices: Iterable[str], what: Any = None) -> str:
    """``value`` if it is one of ``choices``, else a UsageProblem naming the closest ones."""
    options = [str(c) for c in choices]
    if value in options:
        return value
    raise UsageProblem(unknown(option, value, options, what))


def list_values(values: Iterable[str] | None) -> list[str]:
    """A list option's items: the option repeated, each value also split on commas (the older
    ``--criteria A,B`` form), blanks dropped, order kept."""
    return [part.strip() for value in values or () for part in value.split(",") if part.strip()]


def method_ref(method: str | None, system: str | None) -> str:
    """The methodology a command names: ``--system`` or its alias ``--method``, not both."""
    if method and system and method != system:
        raise UsageProblem(tr("give --system or its alias --method, not both"))
    ref = method or system
    if not ref:
        raise UsageProblem(tr("give --system PRESET or a methodology FILE.toml (alias --method)"))
    return ref


def languages() -> tuple[str, ...]:
    from palmares.i18n import languages as catalogue_languages
    from palmares.lang import LANGS

    # A language needs its words (a catalogue) and its number formats (palmares.lang).
    return tuple(lang for lang in catalogue_languages() if lang in LANGS)


def normalise_lang(value: str | None) -> str:
    """``--lang`` (any case), else $PALMARES_LANG, else French; an unknown one exits 2."""
    raw = value if value else os.environ.get(LANG_ENV) or DEFAULT_LANG
    lang = raw.strip().lower().replace("_", "-").split("-")[0]
    valid = languages()
    if lang not in valid:
        near = closest(raw, valid)
        hint = tr("; did you mean {names}?", names=", ".join(near)) if near else ""
        raise typer.BadParameter(
            tr(
                "unknown language {lang!r}{hint} (valid: {names})",
                lang=raw,
                hint=hint,
                names=", ".join(valid),
            )
        )
    return lang


def _lang_callback(value: str | None) -> str:
    return normalise_lang(value)


#: The views of :data:`palmares.history.VIEWS`, named here so that parsing ``--view`` does not
#: import the history module (pandas and the engine) before a kept answer is looked up.
VIEWS: tuple[str, ...] = ("published", "producer")


def _view_callback(value: str) -> str:
    view = value.strip().lower()
    if view not in VIEWS:
        raise typer.BadParameter(tr("{view!r}: expected published or producer", view=value))
    return view


def _top_callback(value: int | None) -> int | None:
    if value is not None and value < 1:
        raise typer.BadParameter(tr("{top}: give a number of rows of at least 1", top=value))
    return value


LangOption = Annotated[
    str,
    typer.Option(
        "--lang",
        callback=_lang_callback,
        help=f"Language of the output: fr or en (default: ${LANG_ENV}, else fr).",
    ),
]
ViewOption = Annotated[
    str,
    typer.Option(
        "--view",
        callback=_view_callback,
        help="published (what the publisher prints: bands stay bands, no U-Multirank overall "
        "rank) or producer (palmares' computed positions, labelled).",
    ),
]
TopOption = Annotated[
    int | None,
    typer.Option("--top", callback=_top_callback, help="Show the first N rows (N >= 1)."),
]


def _alias_parameter(multiple: bool) -> Any:
    """A fresh hidden ``--method`` option (a list when ``--system`` is repeatable)."""
    import typer.main

    probe = typer.Typer()
    if multiple:

        @probe.command()
        def _many(  # pragma: no cover - never run
            method_alias: Annotated[
                list[str] | None,
                typer.Option("--method", hidden=True, help="Alias of --system."),
            ] = None,
        ) -> None:
            return None

    else:

        @probe.command()
        def _one(  # pragma: no cover - never run
            method_alias: Annotated[
                str | None, typer.Option("--method", hidden=True, help="Alias of --system.")
            ] = None,
        ) -> None:
            return None

    command = typer.main.get_command(probe)
    return next(p for p in command.params if p.name == "method_alias")


def add_method_alias(command: Any) -> None:
    """Give a command that takes ``--system`` but no ``--method`` the alias ``--method``
    (hidden), merged into ``--system`` before the command runs: one vocabulary everywhere."""
    system = next((p for p in command.params if p.name == "system"), None)
    names = {p.name for p in command.params}
    if system is None or "method" in names or command.callback is None:
        return
    command.params.append(_alias_parameter(bool(system.multiple)))
    callback = command.callback

    def run(**params: Any) -> Any:
        alias = params.pop("method_alias", None)
        given = params.get("system")
        if alias and system.multiple:
            params["system"] = [*(given or []), *alias]
        elif alias:
            if given and given != alias:
                raise UsageProblem(tr("give --system or its alias --method, not both"))
            params["system"] = alias
        return callback(**params)

    command.callback = run
