"""A package's layer order, checked from its source: which of its modules each file imports.

``tests/tap/test_layers.py`` and ``tests/sandbox/test_sandbox_layers.py`` each write down their
package's order; the reading of imports (type-checking ones included) and the checks are here, once.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path


def modules(package: Path) -> list[Path]:
    """Every Python file of the package, subpackages included."""
    return sorted(package.rglob("*.py"))


def unit_of(package: Path, path: Path) -> str:
    """The top-level module or subpackage a file belongs to."""
    return path.relative_to(package).parts[0].removesuffix(".py")


def imported_modules(path: Path, package_name: str) -> Iterator[tuple[int, str]]:
    """(line, dotted module) for every import of the package's modules in the file.

    A relative import is yielded as ``(line, "")``: the callers refuse it, since a layer can
    only be read from an absolute name.
    """
    tree = ast.parse(path.read_text(), str(path))
    prefix = package_name + "."
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                yield node.lineno, ""
            elif node.module == package_name:
                for alias in node.names:
                    yield node.lineno, prefix + alias.name
            elif node.module and node.module.startswith(prefix):
                yield node.lineno, node.module
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.startswith(prefix):
                    yield node.lineno, alias.name


def bad_imports(package: Path, layer_of: Mapping[str, int], skip: set[str]) -> list[str]:
    """Relative imports, and imports of a higher layer, as ``file:line imports module`` lines."""
    found = []
    for path in modules(package):
        unit = unit_of(package, path)
        if unit in skip:
            continue
        for line, target in imported_modules(path, package.name):
            where = f"{path.relative_to(package.parent)}:{line}"
            if not target:
                found.append(f"{where}: relative import; write {package.name}.…")
            elif layer_of[target.split(".")[1]] > layer_of[unit]:
                found.append(f"{where} imports {target}")
    return found


def init_files_with_imports(package: Path) -> list[Path]:
    """Subpackage ``__init__`` files that import anything (each must be a description only)."""
    imports = (ast.Import, ast.ImportFrom)
    return [
        init
        for init in package.glob("*/__init__.py")
        if any(isinstance(node, imports) for node in ast.parse(init.read_text()).body)
    ]


def dotted(package: Path, path: Path) -> str:
    """A file's module name; a subpackage's ``__init__`` is the subpackage."""
    parts = path.relative_to(package).with_suffix("").parts
    return ".".join((package.name, *parts)).removesuffix(".__init__")


def import_cycle(package: Path, skip: set[str]) -> list[str]:
    """One import cycle between the package's modules (its first module again at the end), or
    [] if there is none; files of the ``skip`` units are left out.

    ``from a.b import c`` imports ``a.b``, and ``a.b.c`` too where that is a module.
    """
    graph: dict[str, set[str]] = {}
    for path in modules(package):
        if unit_of(package, path) in skip:
            continue
        targets: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.ImportFrom) and node.module and not node.level:
                targets |= {node.module, *(f"{node.module}.{a.name}" for a in node.names)}
            elif isinstance(node, ast.Import):
                targets |= {alias.name for alias in node.names}
        graph[dotted(package, path)] = targets
    done: set[str] = set()

    def visit(module: str, trail: tuple[str, ...]) -> list[str]:
        if module in trail:
            return [*trail[trail.index(module) :], module]
        if module in done or module not in graph:
            return []
        for target in sorted(graph[module]):
            cycle = visit(target, (*trail, module))
            if cycle:
                return cycle
        done.add(module)
        return []

    for module in sorted(graph):
        cycle = visit(module, ())
        if cycle:
            return cycle
    return []


def oversized(package: Path, module_lines: int, class_lines: int) -> list[str]:
    """Modules over ``module_lines`` lines and classes over ``class_lines``, a line each."""
    too_big = []
    for path in modules(package):
        text = path.read_text()
        where = path.relative_to(package.parent)
        lines = len(text.splitlines())
        if lines > module_lines:
            too_big.append(f"{where}: {lines} lines (at most {module_lines})")
        for node in ast.walk(ast.parse(text, str(path))):
            if isinstance(node, ast.ClassDef) and node.end_lineno is not None:
                length = node.end_lineno - node.lineno + 1
                if length > class_lines:
                    too_big.append(f"{where}:{node.lineno}: class {node.name}, {length} lines")
    return too_big


@dataclass(frozen=True)
class Layering:
    """A package's written-down shape: its layers bottom first, and how large its parts may be."""

    package: Path
    layers: tuple[tuple[str, ...], ...]
    max_module_lines: int = 300
    max_class_lines: int = 200
    # Entry-point files Python wants; not parts of the package's shape.
    boilerplate: frozenset[str] = frozenset({"__init__"})

    @property
    def layer_of(self) -> dict[str, int]:
        return {unit: depth for depth, units in enumerate(self.layers) for unit in units}

    def problems(self, check: str) -> list[str]:
        """What breaks one rule (see CHECKS), one line each; empty when the rule holds."""
        skip = set(self.boilerplate)
        if check == "every part has a layer":
            parts = {unit_of(self.package, path) for path in modules(self.package)} - skip
            return [f"add to the layers: {part}" for part in sorted(parts - set(self.layer_of))]
        if check == "imports point down":
            return bad_imports(self.package, self.layer_of, skip)
        if check == "no import cycle":
            # The layers keep packages apart; inside one, a cycle (even one made only for type
            # checking) means two modules are one concern or want a third both import.
            cycle = import_cycle(self.package, skip)
            return [" -> ".join(cycle)] if cycle else []
        if check == "subpackage __init__ files import nothing":
            # A subpackage's __init__ is its one-paragraph description: importing it must not
            # pull in anything else, or the layer order would not hold at run time.
            return [str(path) for path in init_files_with_imports(self.package)]
        if check == "modules and classes small enough to read whole":
            return oversized(self.package, self.max_module_lines, self.max_class_lines)
        raise ValueError(check)


CHECKS = (
    "every part has a layer",
    "imports point down",
    "no import cycle",
    "subpackage __init__ files import nothing",
    "modules and classes small enough to read whole",
)
