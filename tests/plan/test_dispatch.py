"""The registry is the only place that tells steps apart by their strings.

A step's ``type`` and ``method`` name it in files and messages; what it does is found from its
class (:func:`palmares.steps.registry.operation`, the methods of the class). This reads every
module of ``src/`` and finds each comparison of a ``.type`` or ``.method`` (directly, or through a
name bound to one in the same function): outside ``steps/registry.py`` (and a step class speaking
of its own ``self.method`` in ``methodology/model.py``) only the ranking's, the uncertainty
spec's and other non-step objects' remain, each listed here.
"""

from __future__ import annotations

import ast
from pathlib import Path

SRC = Path(__file__).resolve().parents[2] / "src" / "palmares"
REGISTRY = "steps/registry.py"
MODEL = "methodology/model.py"

#: (module, the object compared) pairs that are not steps.
NOT_STEPS = {
    ("ranking_table.py", "spec"),  # the [ranking] table: competition, dense, fractional ranks
    ("uncertainty/draws.py", "spec.weights"),  # [uncertainty.weights] method
    ("uncertainty/monte_carlo.py", "spec.weights"),
    ("uncertainty/sensitivity.py", "the_spec.weights"),
    ("uncertainty/replay.py", "m.ranking"),
    ("plan/compiled.py", "m.ranking"),
    ("plan/bound.py", "m.ranking"),
    ("demo/world.py", "r"),  # an institution's type in the synthetic world
}
WORDS = ("type", "method")


def _compared(node: ast.Compare) -> list[ast.expr]:
    return [node.left, *node.comparators]


def _bound_names(function: ast.AST) -> dict[str, str]:
    """Names a function binds to an attribute ``.type``/``.method``: name -> the object."""
    out: dict[str, str] = {}
    for node in ast.walk(function):
        if not isinstance(node, ast.Assign):
            continue
        value = node.value
        if isinstance(value, ast.Attribute) and value.attr in WORDS:
            for target in node.targets:
                if isinstance(target, ast.Name):
                    out[target.id] = ast.unparse(value.value)
    return out


def string_dispatch(path: Path) -> list[str]:
    """Every comparison of a ``.type``/``.method`` in a module, as ``module:line object``."""
    module = path.relative_to(SRC).as_posix() if path.is_relative_to(SRC) else path.name
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found: list[str] = []
    functions = [n for n in ast.walk(tree) if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef)]
    for scope in [tree, *functions]:
        bound = _bound_names(scope) if scope is not tree else {}
        for node in ast.walk(scope):
            if not isinstance(node, ast.Compare):
                continue
            for operand in _compared(node):
                if isinstance(operand, ast.Attribute) and operand.attr in WORDS:
                    owner = ast.unparse(operand.value)
                elif isinstance(operand, ast.Name) and operand.id in bound:
                    owner = bound[operand.id]
                else:
                    continue
                found.append(f"{module}:{node.lineno} {owner}")
    return sorted(set(found))


def test_the_scan_finds_string_dispatch_directly_and_through_a_name(tmp_path: Path) -> None:
    sample = tmp_path / "sample.py"
    sample.write_text(
        "def f(step):\n"
        "    if step.method == 'zero':\n"
        "        return 0\n"
        "    method = step.type\n"
        "    return method in ('a', 'b')\n",
        encoding="utf-8",
    )
    assert string_dispatch(sample) == ["sample.py:2 step", "sample.py:5 step"]


def test_no_step_is_told_apart_by_its_strings_outside_the_registry() -> None:
    offending: list[str] = []
    for path in sorted(SRC.rglob("*.py")):
        module = path.relative_to(SRC).as_posix()
        if module == REGISTRY:
            continue
        for hit in string_dispatch(path):
            owner = hit.split(" ", 1)[1]
            if (module, owner) in NOT_STEPS or (module == MODEL and owner == "self"):
                continue
            offending.append(hit)
    assert offending == []


def test_the_registry_does_tell_steps_apart() -> None:
    # The proof above means something only if the scan sees the registry's own comparisons.
    assert string_dispatch(SRC / REGISTRY)


def test_the_range_walk_has_no_chain_of_step_classes() -> None:
    """methodology/ranges.py asks each step class its range (adding a step is one class): no
    isinstance of a step class but to narrow a type in an assertion."""
    tree = ast.parse((SRC / "methodology" / "ranges.py").read_text(encoding="utf-8"))
    asserted = {
        id(call)
        for node in ast.walk(tree)
        if isinstance(node, ast.Assert)
        for call in ast.walk(node.test)
    }
    chains = [
        node.lineno
        for node in ast.walk(tree)
        if isinstance(node, ast.Call)
        and isinstance(node.func, ast.Name)
        and node.func.id == "isinstance"
        and id(node) not in asserted
    ]
    assert chains == []
