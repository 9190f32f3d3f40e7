"""The package's shape: subpackages in a fixed order, each importing only what lies below it.

docs/architecture.md explains each layer; this test is where the order is written down. A module
may import modules of its own layer and of the layers below it, never above: so no import cycle
can run between packages, and a reader can learn the tap bottom-up. Imports made only for type
checking (under ``if TYPE_CHECKING:``) are held to the same order.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[2] / "tap_peopleai"

# Bottom first. Each entry is a top-level module or subpackage of tap_peopleai.
LAYERS: tuple[tuple[str, ...], ...] = (
    ("errors", "interrupts"),  # what every part raises, and the clean stop on a signal
    ("settings",),  # settings declared, parsed and typed; the API's documented limits
    ("records",),  # bytes to schema-conformant records; the stream schemas
    ("state",),  # export windows and what the Singer bookmark holds
    ("oplog",),  # the operator's log and METRIC points
    ("api",),  # the export API over HTTP; knows nothing of Singer
    ("export",),  # one sync's jobs and fragments, in order
    ("batch",),  # BATCH files and their orchestration
    ("sdk",),  # where the tap bends singer-sdk
    ("streams",),  # the Singer streams
    ("tap", "__main__"),  # the Tap: settings and the stream list
)
LAYER_OF = {unit: depth for depth, units in enumerate(LAYERS) for unit in units}
# Entry-point files that Python itself wants at the top; not counted as the package's parts.
BOILERPLATE = {"__init__"}
MAX_TOP_LEVEL_PARTS = 12


def modules() -> Iterator[Path]:
    yield from sorted(PACKAGE.rglob("*.py"))


def unit_of(path: Path) -> str:
    return path.relative_to(PACKAGE).parts[0].removesuffix(".py")


def imported_units(path: Path) -> Iterator[tuple[int, str]]:
    """(line, unit) for every import of tap_peopleai's modules in the file."""
    tree = ast.parse(path.read_text(), str(path))
    for node in ast.walk(tree):
        names: list[str] = []
        if isinstance(node, ast.ImportFrom) and node.module:
            if node.level:
                pytest.fail(f"{path}:{node.lineno}: relative import; write tap_peopleai.…")
            if node.module == "tap_peopleai":
                names = [alias.name for alias in node.names]
            elif node.module.startswith("tap_peopleai."):
                names = [node.module.split(".")[1]]
        elif isinstance(node, ast.Import):
            names = [a.name.split(".")[1] for a in node.names if a.name.startswith("tap_peopleai.")]
        for name in names:
            yield node.lineno, name


def test_every_part_of_the_package_has_a_layer() -> None:
    parts = {unit_of(path) for path in modules()} - BOILERPLATE
    assert parts <= set(LAYER_OF), f"add to LAYERS: {sorted(parts - set(LAYER_OF))}"
    top = {p.name for p in PACKAGE.iterdir() if p.name != "__pycache__"}
    counted = {name.removesuffix(".py") for name in top} - BOILERPLATE - {"__main__"}
    assert len(counted) <= MAX_TOP_LEVEL_PARTS, sorted(counted)


def test_imports_point_down_the_layers() -> None:
    upward = []
    for path in modules():
        unit = unit_of(path)
        if unit in BOILERPLATE:
            continue
        for line, target in imported_units(path):
            if LAYER_OF[target] > LAYER_OF[unit]:
                upward.append(f"{path.relative_to(PACKAGE.parent)}:{line} imports {target}")
    assert not upward, "imports of a higher layer:\n" + "\n".join(upward)


def test_subpackage_init_files_import_nothing() -> None:
    # A subpackage's __init__ is its one-paragraph description: importing `tap_peopleai.api`
    # must not pull in anything else, or the layer order would not hold at run time.
    for init in PACKAGE.glob("*/__init__.py"):
        tree = ast.parse(init.read_text())
        assert not [n for n in tree.body if isinstance(n, (ast.Import, ast.ImportFrom))], init
