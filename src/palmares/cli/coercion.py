"""Option values coerced without pydantic on the common path (start-up time).

Typer 0.29 coerces every option value with a pydantic ``TypeAdapter``; importing pydantic and
building the adapters costs about 0.2-0.3 s per process, more than a kept answer itself. The
command line's options are plain ``str``, ``int``, ``float``, ``bool`` and ``Path`` values (or
lists of them): :class:`PlainCoercion` converts those directly, exactly as Typer would, and hands
anything else (a value that does not parse, a bound that is not met, another type) to Typer's
own coercion, so its error messages stay word for word.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from typer._coercion import RuntimeParam, build_runtime_param
from typer._param_types import coerce_cli_path, lenient_issubclass
from typer._typing import get_args, get_origin
from typer.core import _TyperParameter

_INTEGER = re.compile(r"[+-]?[0-9]+")
_DECIMAL = re.compile(r"[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")


@dataclass(frozen=True)
class PlainCoercion(RuntimeParam):
    """Typer's coercion of ``str``/``int``/``float``/``bool``/``Path`` (and lists of them),
    without pydantic; other values go to Typer's own (pydantic) coercion."""

    def _coerce_value(self, value: Any, param: _TyperParameter, ctx: Any) -> Any:
        annotation = self.annotation
        if get_origin(annotation) is list:
            (item_type,) = get_args(annotation)
            if isinstance(value, (list, tuple)):
                items = [self._one(item_type, item, param, ctx) for item in value]
                if all(item is not _FALLBACK for item in items):
                    return items
        else:
            coerced = self._one(annotation, value, param, ctx)
            if coerced is not _FALLBACK:
                return coerced
        return build_runtime_param(param.type_descriptor)._coerce_value(value, param, ctx)

    def _one(self, annotation: Any, value: Any, param: _TyperParameter, ctx: Any) -> Any:
        info = self.parameter_info
        if info.parser is not None or getattr(info, "click_type", None) is not None:
            return _FALLBACK
        if annotation is str:
            return value if isinstance(value, str) else _FALLBACK
        if annotation is bool:
            return value if isinstance(value, bool) else _FALLBACK
        if annotation is int or annotation is float:
            pattern = _INTEGER if annotation is int else _DECIMAL
            if isinstance(value, bool) or not isinstance(value, (str, int, float)):
                return _FALLBACK
            if isinstance(value, float) and annotation is int:
                return _FALLBACK
            if isinstance(value, str) and not pattern.fullmatch(value):
                return _FALLBACK
            number = annotation(value)  # a float default (``--robust 0.95``) stays as it is
            if info.clamp or not _within(number, info.min, info.max):
                return _FALLBACK
            return number
        if lenient_issubclass(annotation, Path):
            path_type: Any = info.path_type or annotation
            if not (isinstance(value, str) and lenient_issubclass(path_type, Path)):
                return _FALLBACK
            return coerce_cli_path(
                path_type(value), info, path_type=path_type, param=param, ctx=ctx
            )
        return _FALLBACK


_FALLBACK: Any = object()


def _within(number: float, low: float | None, high: float | None) -> bool:
    return (low is None or number >= low) and (high is None or number <= high)


def _plain(param: Any) -> None:
    if isinstance(param, _TyperParameter) and param._runtime_param is None:
        descriptor = param.type_descriptor
        if descriptor.file_annotation is None:
            param._runtime_param = PlainCoercion(
                annotation=descriptor.annotation, parameter_info=descriptor.parameter_info
            )


def plain_coercion(command: Any) -> None:
    """Give every Typer parameter of ``command`` (its ``--help`` too, made when parsing) the
    pydantic-free coercion, in place."""
    for param in getattr(command, "params", ()):
        _plain(param)
    help_option = getattr(command, "get_help_option", None)
    if help_option is not None:

        def get_help_option(ctx: Any) -> Any:
            option = help_option(ctx)
            _plain(option)
            return option

        command.get_help_option = get_help_option
