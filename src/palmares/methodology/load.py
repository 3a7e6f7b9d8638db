"""Loading methodology files: TOML -> validated :class:`Methodology`, every problem located.

Validation runs in two passes. The first checks the shape of every section and every step
(unknown keys, types, bounds, unknown step types or methods), collecting all errors. When the
shape is valid, the second checks the file as a whole (tree, node references, step order, output
ranges, ranking). Each problem names the file, the line where the key is defined, the dotted key
path and the reason: ``FILE:-:LINE:steps[3].method: invalid-methodology: reason (value 'x')``.
"""

from __future__ import annotations

import difflib
import math
import os
import re
import tomllib
from pathlib import Path
from typing import Any

from pydantic import BaseModel, TypeAdapter, ValidationError

from palmares.methodology import model as md
from palmares.methodology.checks import check_methodology
from palmares.methodology.locate import PathPart, format_path, key_lines, line_of
from palmares.problems import InvalidInput, Problems
from palmares.tree import Tree

CODE = "invalid-methodology"
Loc = tuple[PathPart, ...]


class _Collector:
    """Turns key paths into located problems of one file."""

    def __init__(self, file: str, text: str) -> None:
        self.file = file
        self.problems = Problems()
        try:
            self.lines = key_lines(text)
        except (ValueError, IndexError):  # the scanner met TOML it does not know: lines unknown
            self.lines = {}

    def add(self, path: Loc, reason: str, value: Any = None, *, show_value: bool = True) -> None:
        message = reason
        if show_value and value is not None and not isinstance(value, (dict, list)):
            message += f" (value {value!r})"
        self.problems.add(
            self.file,
            CODE,
            message,
            row=line_of(self.lines, path),
            column=format_path(path) or "-",
            value=value if not isinstance(value, (dict, list)) else None,
        )


def _allowed_keys(model: Any, loc: Loc) -> list[str] | None:
    """Keys the model expects at ``loc`` (for "did you mean" hints), when it can be found."""
    current: Any = model
    for part in loc:
        if not (isinstance(current, type) and issubclass(current, BaseModel)):
            return None
        field = current.model_fields.get(str(part))
        if field is None:
            return None
        current = _unwrap(field.annotation)
        if isinstance(part, int):
            return None
    if isinstance(current, type) and issubclass(current, BaseModel):
        return [f.alias or name for name, f in current.model_fields.items()]
    return None


def _unwrap(annotation: Any) -> Any:
    """The model class inside Optional[...] / Annotated[...], else the annotation itself."""
    for arg in getattr(annotation, "__args__", ()) or ():
        if isinstance(arg, type) and issubclass(arg, BaseModel):
            return arg
    metadata_origin = getattr(annotation, "__origin__", None)
    if isinstance(metadata_origin, type) and issubclass(metadata_origin, BaseModel):
        return metadata_origin
    return annotation


def _reason(error: Any, model: Any, loc: Loc) -> tuple[str, bool]:
    """A readable reason for a pydantic error, and whether to show the offending value."""
    kind = error["type"]
    message: str = error["msg"]
    if kind == "extra_forbidden":
        key = str(loc[-1])
        allowed = _allowed_keys(model, loc[:-1])
        hint = ""
        if allowed:
            close = difflib.get_close_matches(key, allowed, n=1)
            hint = (
                f" (did you mean {close[0]!r}?)"
                if close
                else f" (expected one of: {', '.join(allowed)})"
            )
        return f"unknown key {key!r}{hint}", False
    if kind == "missing":
        return f"missing key {str(loc[-1])!r}", False
    if kind == "string_pattern_mismatch":
        return "not a valid id (letters, digits, '.', '_', '-')", True
    if message.startswith("Value error, "):
        message = message[len("Value error, ") :]
    elif message[:1].isupper():
        message = message[0].lower() + message[1:]
    return message, True


def _relocate(error: Any) -> Loc:
    """Pydantic's location without union tags and with dict-key markers dropped."""
    out: list[PathPart] = []
    for part in error["loc"]:
        if part in ("[key]", "edition-range", "edition-list") or (
            isinstance(part, str) and out and isinstance(out[-1], int) and part in _STEP_TAGS
        ):
            continue
        out.append(part)
    return tuple(out)


_STEP_TAGS = {f"{t}.{m}" for t, m in md.STEP_REGISTRY}


def _report(collect: _Collector, error: ValidationError, prefix: Loc, model: Any) -> None:
    for item in error.errors():
        loc = _relocate(item)
        if "[key]" in item["loc"]:
            value = loc[-1] if loc else item.get("input")
            full = (*prefix, *loc)
            if full[:2] in (("ranking", "bands"), ("ranking", "groups")):
                reason = "a table key is 'default' or an edition year"
            else:
                reason = _reason(item, model, loc)[0]
            collect.add(full, f"invalid key: {reason}", value)
            continue
        reason, show = _reason(item, model, loc)
        value = item.get("input") if show else None
        collect.add((*prefix, *loc), reason, value)


def _check_step(collect: _Collector, index: int, raw: Any) -> dict[str, Any] | None:
    """Validate one raw step; return its cleaned table, or None when it is invalid."""
    at: Loc = ("steps", index)
    if not isinstance(raw, dict):
        collect.add(at, "a step is a table ([[steps]])", raw)
        return None
    step_type, method = raw.get("type"), raw.get("method")
    if step_type is None:
        collect.add(at, "missing key 'type'", show_value=False)
        return None
    if not isinstance(step_type, str) or step_type not in md.STEP_TYPES:
        collect.add(
            (*at, "type"),
            f"unknown step type (expected one of: {', '.join(md.STEP_TYPES)})",
            step_type,
        )
        return None
    if method is None:
        collect.add(at, "missing key 'method'", show_value=False)
        return None
    cls = md.STEP_REGISTRY.get((step_type, method)) if isinstance(method, str) else None
    if cls is None:
        collect.add(
            (*at, "method"),
            f"unknown method for a {step_type} step (expected one of: "
            f"{', '.join(md.methods_of(step_type))})",
            method,
        )
        return None
    cleaned = dict(raw)
    overrides = raw.get("overrides")
    ok = True
    if isinstance(overrides, dict):
        base = {k: v for k, v in raw.items() if k != "overrides"}
        kept: dict[str, Any] = {}
        for node, values in overrides.items():
            where: Loc = (*at, "overrides", node)
            if not isinstance(values, dict):
                collect.add(where, "an override is a table of parameter values", values)
                ok = False
                continue
            fixed = [k for k in values if k in md.COMMON_STEP_KEYS]
            for key in fixed:
                collect.add((*where, key), f"{key!r} cannot be overridden per node", values[key])
                ok = False
            unknown = [k for k in values if k not in cls.model_fields]
            for key in unknown:
                params = [k for k in cls.model_fields if k not in md.COMMON_STEP_KEYS]
                close = difflib.get_close_matches(key, params, n=1)
                hint = f" (did you mean {close[0]!r}?)" if close else ""
                reason = f"unknown parameter {key!r} for {step_type}.{method}{hint}"
                collect.add((*where, key), reason)
                ok = False
            if fixed or unknown:
                continue
            try:
                cls.model_validate({**base, **values})
            except ValidationError as error:
                for item in error.errors():
                    loc = _relocate(item)
                    if loc and loc[0] in values:
                        reason, show = _reason(item, cls, loc)
                        collect.add((*where, *loc), reason, item.get("input") if show else None)
                        ok = False
                continue
            kept[node] = values
        cleaned["overrides"] = kept
    try:
        step = cls.model_validate(cleaned)
    except ValidationError as error:
        _report(collect, error, at, cls)
        return None
    return step.model_dump(mode="json", by_alias=True) if ok else None


def validate_document(data: Any, collect: _Collector) -> md.Methodology | None:
    """Validate a parsed TOML document section by section, then as a whole."""
    if not isinstance(data, dict):
        collect.add((), "a methodology is a TOML table", show_value=False)
        return None
    sections = {k: v for k, v in md.Methodology.model_fields.items() if k != "weights_source"}
    weights = data.get("weights")
    if isinstance(weights, dict) and "source" in weights:
        source = weights["source"]
        if source not in ("file", "bundle"):
            collect.add(
                ("weights", "source"),
                "the weights' source is \"bundle\" (the bundle's own weights, COINr's Weight "
                'column) or "file" (this table)',
                source,
            )
        data = {
            **data,
            "weights": {k: v for k, v in weights.items() if k != "source"},
            "weights_source": source,
        }
    for key in data:
        if key not in sections and key != "weights_source":
            close = difflib.get_close_matches(key, list(sections), n=1)
            hint = (
                f" (did you mean [{close[0]}]?)" if close else f" (expected: {', '.join(sections)})"
            )
            collect.add((key,), f"unknown section {key!r}{hint}")
    for required in ("methodology", "steps"):
        if required not in data:
            collect.add(
                (),
                f"missing section [{required}]"
                if required == "methodology"
                else "missing [[steps]]: a methodology has at least one step",
            )
    document: dict[str, Any] = {}
    for name, field in sections.items():
        if name not in data or name == "steps":
            continue
        try:
            annotation: Any = field.annotation
            value = TypeAdapter(annotation).validate_python(data[name])
        except ValidationError as error:
            _report(collect, error, (name,), field.annotation)
            continue
        document[name] = value
    steps = data.get("steps")
    if steps is not None:
        if not isinstance(steps, list) or not steps:
            collect.add(("steps",), "steps is a list of [[steps]] tables with at least one step")
        else:
            cleaned = [_check_step(collect, i, raw) for i, raw in enumerate(steps)]
            if all(c is not None for c in cleaned):
                document["steps"] = cleaned
    if collect.problems.errors:
        return None
    try:
        methodology = md.Methodology.model_validate({**data, **{"steps": document["steps"]}})
    except ValidationError as error:  # a rule spanning sections; shape errors were caught above
        _report(collect, error, (), md.Methodology)
        return None
    for issue in check_methodology(methodology):
        collect.add(issue.path, issue.message, issue.value)
    return None if collect.problems.errors else methodology


_TOML_POSITION = re.compile(r"\(at line (\d+), column (\d+)\)")


def _read(source: str | os.PathLike[str]) -> tuple[str, str]:
    """(file name, text) of a path, or of a TOML text given directly."""
    if isinstance(source, str) and "\n" in source:
        return "<text>", source
    path = Path(source)
    name = str(source)
    try:
        raw = path.read_bytes()
    except OSError as error:
        raise InvalidInput.single(name, CODE, f"cannot read the file: {error.strerror}") from error
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = raw[: error.start].count(b"\n") + 1
        raise InvalidInput.single(
            name,
            "encoding",
            f"not valid UTF-8: first invalid byte 0x{raw[error.start]:02X} at line {line}",
            row=line,
        ) from error
    return name, text


#: Nesting of tables and arrays a methodology may use (docs/formats.md, "Limits").
MAX_TOML_DEPTH = 32
#: The largest weight accepted: weights are relative, and 1e308 overflows their sum.
MAX_WEIGHT = 1e6


def _depth(data: Any) -> int:
    """Nesting depth of parsed TOML, without recursion (a hostile file may nest 500 deep)."""
    deepest = 0
    stack: list[tuple[Any, int]] = [(data, 1)]
    while stack:
        value, depth = stack.pop()
        deepest = max(deepest, depth)
        if depth > MAX_TOML_DEPTH:
            break
        children = value.values() if isinstance(value, dict) else value
        if isinstance(value, (dict, list)):
            stack.extend((child, depth + 1) for child in children)
    return deepest


def _weight_problem(value: Any) -> str | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return f"a weight is a number, not {type(value).__name__} {value!r}"
    if math.isfinite(value) and value > MAX_WEIGHT:  # negative and non-finite: the model says
        return f"a weight is a number from 0 to {MAX_WEIGHT:g}, not {value!r}"
    return None


def _check_weight_values(data: Any, collect: _Collector) -> None:
    """Weights as TOML gives them: numbers only (no "0.3", no true), at most 1e6."""
    if not isinstance(data, dict):
        return
    tables: list[tuple[Loc, Any]] = [(("weights",), data.get("weights"))]
    steps = data.get("steps")
    if isinstance(steps, list):
        for i, step in enumerate(steps):
            if isinstance(step, dict):
                tables.append((("steps", i, "weights"), step.get("weights")))
                overrides = step.get("overrides")
                if isinstance(overrides, dict):
                    for node, params in overrides.items():
                        if isinstance(params, dict) and "weight" in params:
                            tables.append(
                                (("steps", i, "overrides", node), {"weight": params["weight"]})
                            )
    for at, table in tables:
        if not isinstance(table, dict):
            continue
        for key, value in table.items():
            if at == ("weights",) and key == "source":
                continue  # where the weights come from (checked with the section)
            reason = _weight_problem(value)
            if reason is not None:
                collect.add((*at, key), reason, value if not isinstance(value, dict) else None)


def parse_methodology(text: str, file: str = "<text>") -> md.Methodology:
    """Validate a TOML text; raise :class:`InvalidInput` with every located problem."""
    try:
        data = tomllib.loads(text)
    except RecursionError:
        raise InvalidInput.single(
            file, "invalid-toml", f"nested deeper than {MAX_TOML_DEPTH} levels: not read"
        ) from None
    except tomllib.TOMLDecodeError as error:
        found = _TOML_POSITION.search(str(error))
        reason = _TOML_POSITION.sub("", str(error)).strip()
        raise InvalidInput.single(
            file,
            "invalid-toml",
            f"not valid TOML: {reason}",
            row=int(found.group(1)) if found else None,
        ) from error
    if _depth(data) > MAX_TOML_DEPTH:
        raise InvalidInput.single(
            file, "invalid-toml", f"nested deeper than {MAX_TOML_DEPTH} levels: not read"
        )
    collect = _Collector(file, text)
    _check_weight_values(data, collect)
    methodology = validate_document(data, collect)
    if methodology is None:
        raise InvalidInput(collect.problems)
    methodology._origin = file
    methodology._lines = collect.lines
    return methodology


def check_with_tree(m: md.Methodology, tree: Tree) -> None:
    """Check a loaded methodology against the bundle's indicator tree before running it.

    Raises :class:`InvalidInput` with problems located in the methodology file: unknown nodes
    of a bundle-tree methodology, inline leaves the bundle lacks, and range errors that only the
    real tree reveals.
    """
    issues = check_methodology(m, tree)
    if issues:
        problems = Problems()
        for issue in issues:
            message = issue.message
            if issue.value is not None and not isinstance(issue.value, (dict, list)):
                message += f" (value {issue.value!r})"
            problems.add(
                m.origin,
                CODE,
                message,
                row=line_of(m._lines, issue.path),
                column=format_path(issue.path) or "-",
                value=issue.value if not isinstance(issue.value, (dict, list)) else None,
            )
        raise InvalidInput(problems)


def load_methodology(path_or_text: str | os.PathLike[str]) -> md.Methodology:
    """Load and validate a methodology file (a path) or TOML text (a string with newlines)."""
    file, text = _read(path_or_text)
    return parse_methodology(text, file)


def resolve_methodology(ref: str, edition: int | None = None) -> md.Methodology:
    """A methodology from a TOML path, a bundled example id (``umr-composite``), else a preset
    id (``PRESET`` or ``PRESET@YEAR``).

    A preset id is looked up in :mod:`palmares.systems` (its ``preset_path(preset, year)``); a
    bare id picks the edition range containing ``edition``, ``PRESET@YEAR`` the one containing
    YEAR. The methodology must apply to ``edition`` when one is given.
    """
    path = Path(ref)
    if path.suffix.lower() != ".toml" and not path.exists():
        from palmares.examples import EXAMPLES

        if (EXAMPLES / f"{ref}.toml").exists():  # a bundled example methodology, by its id
            path = EXAMPLES / f"{ref}.toml"
    if path.suffix.lower() == ".toml" or path.exists():
        methodology = load_methodology(path)
        where = str(path)
    else:
        preset, _, pinned = ref.partition("@")
        year = int(pinned) if pinned.isdigit() else edition
        if pinned and not pinned.isdigit():
            raise InvalidInput.single(
                ref, "unknown-preset", f"{pinned!r} is not a year in PRESET@YEAR"
            )
        from palmares.systems import preset_path

        try:
            where = str(preset_path(preset, year))
        except LookupError as error:
            raise InvalidInput.single(
                ref, "unknown-preset", str(error.args[0] if error.args else error)
            ) from error
        methodology = load_methodology(where)
        if pinned:
            return methodology
    if edition is not None and not methodology.applies_to(edition):
        raise InvalidInput.single(
            where,
            CODE,
            f"methodology {methodology.id!r} applies to editions "
            f"{methodology.methodology.describe_editions()}, not {edition}",
            column="methodology.editions",
        )
    return methodology
