"""The import rule of docs/architecture.md, checked over the source's syntax trees.

Every ``import`` counts: at module level, inside functions and under ``TYPE_CHECKING``. A module
imports only from its own layer or the layers above it, and no modules import one another in a
cycle. The few crossings and cycles that predate the rule are listed by name below, so none can
be added and each removal shows here.
"""

from __future__ import annotations

import ast
from functools import cache
from pathlib import Path

SRC = Path(__file__).resolve().parents[2] / "src"
PACKAGE = SRC / "palmares"

#: Layers from the top; a module may import its own layer and the layers before it.
LAYERS: tuple[tuple[str, tuple[str, ...]], ...] = (
    (
        "model",
        (
            "schema",
            "tree",
            "names",
            "dataset",
            "validation",
            "problems",
            "lang",
            "i18n",
            "translatable",
            "codes",
            "jsonsafe",
            "ranking",
        ),
    ),
    ("io", ("io", "published")),
    ("store", ("store",)),
    ("methodology", ("methodology", "systems", "examples")),
    ("steps", ("steps", "ranking_table")),
    ("plan", ("plan",)),
    (
        "result",
        (
            "result",
            "result_io",
            "result_store",
            "engine",
            "personalise",
            "workbook",
            "published_view",
        ),
    ),
    ("consumers", ("history", "networks", "highlights", "uncertainty", "charts", "reproduce")),
    ("faces", ("cli", "api", "web")),
    ("demo", ("demo",)),
)

#: Crossings that predate the rule (importer, imported): each is a debt, none may be added.
KNOWN_CROSSINGS: frozenset[tuple[str, str]] = frozenset()

#: Cycles that predate the rule, outside the engine's layers (each a sorted tuple of modules).
KNOWN_CYCLES: frozenset[tuple[str, ...]] = frozenset()


@cache
def modules() -> dict[str, Path]:
    out: dict[str, Path] = {}
    for path in PACKAGE.rglob("*.py"):
        parts = list(path.relative_to(SRC).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts = parts[:-1]
        out[".".join(parts)] = path
    return out


def _owner(name: str) -> str | None:
    """The module of ours an imported name lives in (a submodule, else its package)."""
    known = modules()
    while name:
        if name in known:
            return name
        name = name.rpartition(".")[0]
    return None


@cache
def imports() -> dict[str, frozenset[str]]:
    """Module -> the modules of ours it imports, anywhere in its text."""
    graph: dict[str, frozenset[str]] = {}
    for module, path in modules().items():
        found: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names: list[str] = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [f"{node.module}.{a.name}" for a in node.names]
            for name in names:
                target = _owner(name) if name.startswith("palmares") else None
                # The package root only re-exports (and reads the version): not a layer.
                if target is not None and target not in (module, "palmares"):
                    found.add(target)
        graph[module] = frozenset(found)
    return graph


def layer_of(module: str) -> int | None:
    """The layer index of a module (None for the package root, which only re-exports)."""
    parts = module.split(".")
    if len(parts) == 1:
        return None
    for index, (_, members) in enumerate(LAYERS):
        if parts[1] in members:
            return index
    raise AssertionError(f"{module} is in no layer of docs/architecture.md: place it")


def cycles() -> set[tuple[str, ...]]:
    """Strongly connected groups of more than one module (Tarjan, iteratively)."""
    graph = imports()
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: set[tuple[str, ...]] = set()
    counter = 0
    for start in sorted(graph):
        if start in index:
            continue
        work = [(start, iter(sorted(graph[start])))]
        index[start] = low[start] = counter
        counter += 1
        stack.append(start)
        on_stack.add(start)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = counter
                    counter += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph[child]))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                group = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    group.append(member)
                    if member == node:
                        break
                if len(group) > 1:
                    found.add(tuple(sorted(group)))
    return found


def test_every_module_is_placed_in_a_layer() -> None:
    placed = {m: layer_of(m) for m in modules()}
    assert placed["palmares.plan.aggregation"] == 5
    assert placed["palmares.steps.registry"] == 4
    assert placed["palmares.engine"] == 6


def test_the_import_graph_sees_imports_inside_functions_and_type_checking() -> None:
    graph = imports()
    assert "palmares.plan.aggregation" in graph["palmares.plan.steps"]
    assert "palmares.result" in graph["palmares.personalise"]
    assert "palmares.uncertainty.monte_carlo" not in graph["palmares.uncertainty.dask_backend"]


def test_no_module_imports_from_a_layer_below_its_own() -> None:
    crossings = set()
    for module, targets in imports().items():
        own = layer_of(module)
        for target in targets:
            other = layer_of(target)
            faces_to_demo = LAYERS[own or 0][0] == "faces" and LAYERS[other or 0][0] == "demo"
            if own is not None and other is not None and other > own and not faces_to_demo:
                crossings.add((module, _package_of(target)))
    assert crossings - KNOWN_CROSSINGS == set(), "imports from a lower layer"
    assert KNOWN_CROSSINGS - crossings == set(), "a known crossing is gone: drop it from the list"


def _package_of(module: str) -> str:
    parts = module.split(".")
    return ".".join(parts[:2])


def test_no_import_cycle() -> None:
    found = cycles()
    assert found - KNOWN_CYCLES == set(), "new import cycle"
    assert KNOWN_CYCLES - found == set(), "a known cycle is gone: drop it from the list"


def _private(name: str) -> bool:
    return name.startswith("_") and not (name.startswith("__") and name.endswith("__"))


def private_imports(module: str, source: str) -> list[str]:
    """What ``module`` imports of another module's private parts: a name ``_x`` from any module
    of ours, or a private module (``palmares.io._cells``) from outside its own package; and any
    module of ours reached by name through ``importlib`` or ``__import__`` (a hidden import)."""
    found: list[str] = []
    for node in ast.walk(ast.parse(source)):
        targets: list[str] = []
        if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            if not node.module.startswith("palmares"):
                continue
            for alias in node.names:
                if _private(alias.name) and node.module != module:
                    found.append(f"{node.lineno}: from {node.module} import {alias.name}")
                targets.append(f"{node.module}.{alias.name}")
        elif isinstance(node, ast.Import):
            targets = [a.name for a in node.names if a.name.startswith("palmares")]
        elif isinstance(node, ast.Call) and node.args:
            first = node.args[0]
            called = node.func.attr if isinstance(node.func, ast.Attribute) else None
            called = node.func.id if isinstance(node.func, ast.Name) else called
            if (
                called in ("import_module", "__import__")
                and isinstance(first, ast.Constant)
                and str(first.value).startswith("palmares")
            ):
                found.append(f"{node.lineno}: {called}({first.value!r})")
        for target in targets:
            parts = target.split(".")
            for depth, part in enumerate(parts[1:], start=1):
                owner = ".".join(parts[:depth])
                inside = module == owner or module.startswith(owner + ".")
                if _private(part) and ".".join(parts[: depth + 1]) in modules() and not inside:
                    found.append(f"{node.lineno}: {target} (a private module of {owner})")
    return found


def test_the_private_name_check_finds_each_kind() -> None:
    source = (
        "from palmares.engine import _names, run\n"
        "from palmares.io._cells import nfc\n"
        "import importlib\n"
        "def f():\n"
        "    from palmares import __version__\n"
        "    return importlib.import_module('palmares.systems')\n"
    )
    assert private_imports("palmares.cli.rank", source) == [
        "1: from palmares.engine import _names",
        "2: palmares.io._cells.nfc (a private module of palmares.io)",
        "6: import_module('palmares.systems')",
    ]
    # A package's private module serves its own package; a module may name its own privates.
    assert private_imports("palmares.io.wide", "from palmares.io._cells import nfc\n") == []


def test_no_private_name_is_imported_across_modules() -> None:
    found = {
        module: hits
        for module, path in sorted(modules().items())
        if (hits := private_imports(module, path.read_text(encoding="utf-8")))
    }
    assert found == {}, "make the name public where it is shared, or move it"


def test_the_engine_layers_have_no_cycle_and_no_crossing() -> None:
    ours = ("steps", "plan", "engine", "result", "personalise", "uncertainty", "reproduce")
    for group in cycles():
        assert not any(m.split(".")[1] in ours for m in group), group
    for module, _ in KNOWN_CROSSINGS:
        assert module.split(".")[1] not in ours
