"""The store on the command line (contracts section 9): ``palmares db load|export|info|migrate``,
``palmares search``, and ``--db URL`` on every command that reads data.

``--db`` is added to each command that takes ``--data`` when the command tree is built
(:func:`command_tree`), so the commands themselves only call ``data_path``; answers of the
commands in :data:`CACHED_COMMANDS` are kept in the store and reused (``cached`` flag).
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from palmares.cli.app import UsageProblem, app, err, print_json
from palmares.cli.options import LangOption
from palmares.cli.source import (
    CHOSEN_DB,
    EDITION_HINT,
    SYSTEM_HINT,
    StoreLocation,
    data_path,
    store_location,
)
from palmares.translatable import tr

if TYPE_CHECKING:
    from palmares.store import StoreUrl

db_app = typer.Typer(
    name="db",
    help="The store: load a bundle into DuckDB or PostgreSQL, export it, inspect it.",
    no_args_is_help=True,
)
app.add_typer(db_app, name="db")

DbOption = Annotated[
    str | None,
    typer.Option(
        "--db",
        help="Store: PATH.duckdb, duckdb:///PATH or postgresql://... "
        "(default $PALMARES_DB, else ./palmares.duckdb).",
    ),
]
JsonOption = Annotated[bool, typer.Option("--json", help="One JSON document on stdout.")]

#: Commands whose answer (stdout) is kept in the store and reused, unless they write a file.
CACHED_COMMANDS = frozenset({"rank", "explain", "history", "network", "highlights", "check"})


#: Commands whose answer depends on the observations of their --edition only (no movement or
#: history; uncertainty's --previous-edition too): from a store they read those rows only.
ONE_EDITION_COMMANDS = frozenset({"rank", "explain", "uncertainty"})


def _declared_system(path: Path) -> str | None:
    """The ``methodology.system`` of a methodology file, or the one system of a folder's."""
    import tomllib

    files = sorted(path.glob("*.toml")) if path.is_dir() else [path]
    systems = set()
    for file in files:
        try:
            with file.open("rb") as handle:
                declared = tomllib.load(handle).get("methodology", {}).get("system")
        except (OSError, ValueError):
            return None
        if not isinstance(declared, str):
            return None
        systems.add(declared)
    return systems.pop() if len(systems) == 1 else None


def _system_hint(params: dict[str, Any]) -> str | None:
    """The system a command's ``--system``/``--method`` names: a preset id (``PRESET`` or
    ``PRESET@YEAR``), or the system a methodology file (or every file of a folder) declares;
    None for several systems or anything else. A repeated option (the communiqué's
    ``--system``) hints its system when every value names the same one."""
    from palmares.schema import ID_PATTERN

    for key in ("system", "method"):
        value = params.get(key)
        if isinstance(value, (list, tuple)) and value:
            hinted = {_system_hint({key: item}) for item in value}
            return hinted.pop() if len(hinted) == 1 else None
        if isinstance(value, (str, Path)):
            text = str(value)
            if Path(text).exists():
                return _declared_system(Path(text))
            preset = text.split("@", 1)[0]
            if ID_PATTERN.fullmatch(preset):
                return preset
    return None


def _edition_hint(params: dict[str, Any]) -> tuple[int, ...] | None:
    years = []
    for key in ("edition", "previous_edition"):
        value = params.get(key)
        text = str(value).strip() if isinstance(value, (str, int)) else ""
        if text.isdigit():
            years.append(int(text))
        elif key == "edition" or value is not None:
            return None  # the latest edition (or a year said wrongly): read every edition
    return tuple(years)


def _hinted_callback(callback: Any, *, one_edition: bool = False) -> Any:
    def run(**params: Any) -> Any:
        token = SYSTEM_HINT.set(_system_hint(params))
        edition = EDITION_HINT.set(_edition_hint(params) if one_edition else None)
        from palmares.store.store import one_connection_per_store

        try:
            with one_connection_per_store():  # closed before the answer is kept
                return callback(**params)
        finally:
            EDITION_HINT.reset(edition)
            SYSTEM_HINT.reset(token)

    return run


def _open(db: str | StoreUrl | None, *, write: bool = False) -> Any:
    from palmares.store import open_store

    return open_store(db, write=write)


# -- db load / export / info / migrate ---------------------------------------------------------


@db_app.command("load")
def load(
    paths: Annotated[list[Path], typer.Argument(help="Bundle folder, .xlsx, or layout files.")],
    db: DbOption = None,
    replace: Annotated[
        bool, typer.Option("--replace", help="Replace the bundle the store holds.")
    ] = False,
    layout: Annotated[
        str | None, typer.Option("--layout", help="canonical, wide or coinr.")
    ] = None,
    bundle: Annotated[
        Path | None, typer.Option("--bundle", help="Bundle giving the tables a layout lacks.")
    ] = None,
    delimiter: Annotated[str | None, typer.Option("--delimiter")] = None,
    decimal: Annotated[str | None, typer.Option("--decimal")] = None,
    encoding: Annotated[str | None, typer.Option("--encoding")] = None,
    json_: JsonOption = False,
) -> None:
    """Validate a bundle (every check of validate) and load it in one transaction."""
    from palmares.cli.data import read_options
    from palmares.dataset import Dataset
    from palmares.io import read_tables

    started = time.perf_counter()
    options = read_options(layout, bundle, delimiter, decimal, encoding)
    tables, problems = read_tables(paths, options)
    problems.raise_if_errors()
    for warning in problems.warnings:
        err(warning.to_text())
    dataset = Dataset(tables)
    del tables
    with _open(db, write=True) as store:
        summary = store.load(dataset, replace=replace)
    summary["seconds"] = round(time.perf_counter() - started, 3)
    if json_:
        print_json(summary)
    else:
        typer.echo(
            f"loaded into {summary['backend']} store: {summary['institutions']} institutions, "
            f"{summary['observations']} observations, {summary['published']} published rows, "
            f"{summary['editions']} editions (data {summary['data_hash'][:12]}, "
            f"{summary['seconds']:.1f} s)"
        )


@db_app.command("export")
def export(
    target: Annotated[Path, typer.Argument(help="Output folder (or .xlsx).")],
    db: DbOption = None,
    format: Annotated[
        str | None, typer.Option("--format", help="csv, parquet or xlsx (default csv).")
    ] = None,
    force: Annotated[bool, typer.Option("--force", help="Replace an existing output.")] = False,
    json_: JsonOption = False,
) -> None:
    """Write the stored bundle back (CSV byte-identical to `palmares convert` of it)."""
    from palmares.io import write_dataset
    from palmares.io.atomic import check_target

    if format is not None and format not in ("csv", "parquet", "xlsx"):
        raise UsageProblem(
            tr(
                "--format {format!r}: give one of {names}",
                format=format,
                names="csv, parquet, xlsx",
            )
        )
    check_target(target, force=force)
    with _open(db) as store:
        dataset = store.dataset()
    written = write_dataset(dataset, target, format=format, force=force)  # type: ignore[arg-type]
    if json_:
        print_json({"out": str(written), "format": format or _format_of(written)})
        return
    typer.echo(f"wrote {target}")


def _format_of(path: Path) -> str:
    return {".xlsx": "xlsx", ".parquet": "parquet"}.get(path.suffix.lower(), "csv")


def N_(message: str) -> str:
    """Mark ``message`` for the catalogue; it is translated where it is shown."""
    return message


#: Names of the store's tables for people (the tables of contracts section 3).
TABLE_NAMES: dict[str, str] = {
    "institutions": N_("institutions"),
    "aliases": N_("aliases"),
    "lineage": N_("lineage"),
    "networks": N_("networks"),
    "indicators": N_("indicators"),
    "editions": N_("editions"),
    "observations": N_("observations"),
    "published": N_("published"),
}


@db_app.command("info")
def info(db: DbOption = None, lang: LangOption = "", json_: JsonOption = False) -> None:
    """What the store holds: backend, schema version, data hash, counts, cached results."""
    from palmares.i18n import gettext, pgettext
    from palmares.lang import format_int

    with _open(db) as store:
        document = store.info()
    if json_:
        print_json(document)
        return
    lines = [
        (gettext(lang, "backend"), str(document["backend"])),
        (gettext(lang, "schema version"), str(document["schema_version"])),
        (gettext(lang, "written by"), f"palmares {document['palmares_version']}"),
        (gettext(lang, "data hash"), str(document["data_hash"])),
        *(
            (
                pgettext(lang, "store table", TABLE_NAMES[t]) if t in TABLE_NAMES else t,
                format_int(int(count), lang),
            )
            for t, count in document["counts"].items()
        ),
        (gettext(lang, "cached results"), format_int(int(document["cached_results"]), lang)),
    ]
    width = max(15, *(len(label) + 1 for label, _value in lines))
    for label, value in lines:
        typer.echo(f"{label:<{width}} {value}")


@db_app.command("migrate")
def migrate(db: DbOption = None, json_: JsonOption = False) -> None:
    """Upgrade a store written by an older schema version."""
    with _open(db, write=True) as store:
        before, after = store.migrate()
    if json_:
        print_json({"backend": store.backend, "from": before, "to": after})
    else:
        typer.echo(f"schema version {before} -> {after}")


@db_app.command("clear-cache")
def clear_cache(db: DbOption = None, json_: JsonOption = False) -> None:
    """Forget every computed result and cached answer the store keeps."""
    with _open(db, write=True) as store:
        removed = store.clear_cache()
    if json_:
        print_json({"removed": removed})
        return
    typer.echo(f"removed {removed} cached entries")


# -- search ------------------------------------------------------------------------------------


@app.command()
def search(
    text: Annotated[str, typer.Argument(help="An id, a name or an alias, typos allowed.")],
    db: DbOption = None,
    data: Annotated[Path | None, typer.Option("--data", help="Bundle instead of a store.")] = None,
    country: Annotated[
        str | None, typer.Option("--country", help="Only institutions of this country.")
    ] = None,
    limit: Annotated[
        int, typer.Option("--top", "--limit", min=1, help="At most N results (the best first).")
    ] = 10,
    lang: LangOption = "",
    json_: JsonOption = False,
) -> None:
    """Institutions by id, name or alias: case- and accent-insensitive, typo-tolerant."""
    from palmares.i18n import gettext
    from palmares.lang import format_decimal
    from palmares.store import parse_url

    if country is not None:
        country = _country_code(country)
    source: Path = store_location(parse_url(db)) if db is not None else data_path(data)
    if isinstance(source, StoreLocation):
        with _open(source.store_url) as store:
            hits = store.search(text, country=country, limit=limit)
    else:
        hits = _search_bundle(source, text, country, limit)
    if json_:
        print_json([h.to_json() for h in hits])
        return
    if not hits:
        typer.echo(gettext(lang, "no institution matches {text}", text=repr(text)))
    for hit in hits:
        via = (
            ""
            if hit.matched in (hit.name, hit.id)
            else "  " + gettext(lang, "(as “{alias}”)", alias=hit.matched)
        )
        score = format_decimal(hit.score, lang, 1)
        typer.echo(f"{score:>5}  {hit.id}  {hit.name} [{hit.country or ''}]{via}")


def _country_code(country: str) -> str:
    """``country`` as an ISO 3166-1 alpha-2 code, or a usage problem naming the closest codes."""
    from babel import Locale
    from rapidfuzz import process

    code = country.strip().upper()
    territories = {
        k: str(v) for k, v in Locale.parse("en").territories.items() if len(k) == 2 and k.isalpha()
    }
    if code in territories:
        return code
    by_name = {name.upper(): k for k, name in territories.items()}
    if code in by_name:
        return by_name[code]
    closest = process.extract(country, list(territories.values()), limit=3)
    names = {v: k for k, v in territories.items()}
    hint = ", ".join(f"{names[name]} ({name})" for name, _, _ in closest)
    raise UsageProblem(
        tr(
            "--country {country!r}: not an ISO 3166-1 country code; closest: {names}",
            country=country,
            names=hint,
        )
    )


def _search_bundle(data: Path, text: str, country: str | None, limit: int) -> list[Any]:
    import palmares
    from palmares.names import rank_names

    dataset = palmares.load(data)
    inst = dataset.institutions
    if country is not None:
        inst = inst[inst["country"] == country.upper()]
    rows: list[tuple[str, str, str | None, str]] = []
    aliases = dataset.aliases
    for ident, name, ctry, name_en, name_fr in inst[
        ["id", "name", "country", "name_en", "name_fr"]
    ].itertuples(index=False):
        country_code = None if not isinstance(ctry, str) else ctry
        for known in (ident, name, name_en, name_fr):
            if isinstance(known, str):
                rows.append((ident, name, country_code, known))
    names = dict(zip(inst["id"], zip(inst["name"], inst["country"], strict=True), strict=True))
    for ident, alias in aliases[["institution", "name"]].itertuples(index=False):
        if ident in names and isinstance(alias, str):
            name, ctry = names[ident]
            rows.append((ident, name, ctry if isinstance(ctry, str) else None, alias))
    rows.sort(key=lambda r: r[0])
    return rank_names(text, rows, limit=limit)


# -- --db on every command that reads data -----------------------------------------------------


def _remember_db(ctx: Any, param: Any, value: str | None) -> str | None:
    CHOSEN_DB.set(value)
    return value


def _methodology_fingerprint(params: dict[str, Any]) -> str:
    """Hash of the shipped methodologies and of any file a parameter names: a changed
    methodology makes a new key, never a stale answer."""
    import palmares

    digest = hashlib.sha256(palmares.__version__.encode())
    root = Path(palmares.__file__).parent
    for path in sorted(root.rglob("*.toml")):
        digest.update(str(path.relative_to(root)).encode() + b"\0" + path.read_bytes())
    for value in params.values():
        for item in value if isinstance(value, (list, tuple)) else [value]:
            if isinstance(item, (str, Path)) and len(str(item)) < 4096:
                candidate = Path(item)
                try:
                    if candidate.is_file():
                        digest.update(candidate.read_bytes())
                except OSError:
                    pass
    return digest.hexdigest()


def _with_cached_flag(text: str, cached: bool) -> str | None:
    try:
        document = json.loads(text)
    except ValueError:
        return None
    if isinstance(document, dict):
        document["cached"] = cached
    elif isinstance(document, list):
        for item in document:
            if isinstance(item, dict):
                item["cached"] = cached
    return json.dumps(document, ensure_ascii=False, indent=2) + "\n"


def _cached_callback(name: str, callback: Any) -> Any:
    """Wrap a command: with a store, reuse its stored answer or keep the one computed now."""

    def run(**params: Any) -> Any:
        source = data_path(params.get("data")) if params.get("data") is None else None
        writes_file = any(params.get(k) is not None for k in ("out", "output", "diff"))
        as_json = any(v is True for k, v in params.items() if "json" in k)
        if not isinstance(source, StoreLocation) or writes_file:
            return callback(**params)
        if not as_json and sys.stdout.isatty():
            return callback(**params)  # terminal tables depend on the terminal: not kept
        from palmares.store.store import one_connection_per_store

        # the kept answer, the data and the kept tables through one connection (closed
        # before the answer is kept)
        with one_connection_per_store():
            return _answer(name, callback, params, source.store_url, as_json)

    return run


def _answer(name: str, callback: Any, params: dict[str, Any], url: Any, as_json: bool) -> Any:
    """The kept answer of the command, else the command's (printed, then kept)."""
    from palmares.store import open_store
    from palmares.store.store import close_shared, reading

    key_params = {k: (str(v) if isinstance(v, Path) else v) for k, v in params.items()}
    key = hashlib.sha256(
        json.dumps(
            [
                name,
                key_params,
                _methodology_fingerprint(params),
                # Text output may follow these; JSON does not, but keying costs nothing.
                {k: os.environ.get(k) for k in ("NO_COLOR", "COLUMNS", "LANG")},
            ],
            sort_keys=True,
            default=str,
        ).encode()
    ).hexdigest()
    with reading(url) as store:
        stored = store.get_answer(key)
    if stored is not None:
        shown = _with_cached_flag(stored, True) if as_json else stored
        sys.stdout.write(shown if shown is not None else stored)
        return None
    real_stdout = sys.stdout
    captured = io.StringIO()
    sys.stdout = captured
    try:
        result = callback(**params)
    finally:
        sys.stdout = real_stdout
    text = captured.getvalue()
    shown = _with_cached_flag(text, False) if as_json else text
    sys.stdout.write(shown if shown is not None else text)
    try:
        close_shared(url)  # DuckDB: a file is opened read-only or writable, not both
        with open_store(url, write=True) as writer:
            writer.put_answer(key, name, text)
    except Exception as error:  # keeping an answer is a saving, never a failure
        err(f"note: the answer was not kept in the store ({error})")
    return result


def _db_parameter() -> Any:
    """A fresh ``--db`` option that records its value in :data:`CHOSEN_DB` (not passed on)."""
    import typer.main

    probe = typer.Typer()

    @probe.command()
    def _probe(db: DbOption = None) -> None:  # pragma: no cover - never run
        return None

    command = typer.main.get_command(probe)
    parameter = next(p for p in command.params if p.name == "db")
    parameter.expose_value = False
    parameter.is_eager = True
    parameter.callback = _remember_db
    return parameter


def command_tree() -> Any:
    """The app's click command, with ``--db`` on every command that takes ``--data``."""
    import typer.main

    from palmares.cli.coercion import plain_coercion
    from palmares.cli.options import add_method_alias

    root = typer.main.get_command(app)

    def visit(command: Any, name: str) -> None:
        subcommands = getattr(command, "commands", None)
        if subcommands:
            plain_coercion(command)
            for sub_name, sub in subcommands.items():
                visit(sub, sub_name)
            return
        names = {p.name for p in command.params}
        if "data" in names and "db" not in names:
            command.params.append(_db_parameter())
            if command.callback is not None:
                one_edition = name in ONE_EDITION_COMMANDS
                command.callback = _hinted_callback(command.callback, one_edition=one_edition)
        add_method_alias(command)
        if name in CACHED_COMMANDS and command.callback is not None:
            command.callback = _cached_callback(name, command.callback)
        plain_coercion(command)  # after --db is added: it is coerced the same way

    visit(root, "palmares")
    return root
