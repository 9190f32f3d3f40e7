"""The package's shape: subpackages in a fixed order, each importing only what lies below it.

docs/architecture.md explains each layer; this test is where the order is written down. A module
may import modules of its own layer and of the layers below it, never above: so no import cycle
can run between packages, and a reader can learn the tap bottom-up. Imports made only for type
checking (under ``if TYPE_CHECKING:``) are held to the same order.
"""

from __future__ import annotations

from pathlib import Path

from tests.support.layers import (
    bad_imports,
    import_cycle,
    init_files_with_imports,
    modules,
    oversized,
    unit_of,
)

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
# Sizes a reader takes in whole; past them a module or class is doing more than one thing.
MAX_MODULE_LINES = 300
MAX_CLASS_LINES = 200


def test_every_part_of_the_package_has_a_layer() -> None:
    parts = {unit_of(PACKAGE, path) for path in modules(PACKAGE)} - BOILERPLATE
    assert parts <= set(LAYER_OF), f"add to LAYERS: {sorted(parts - set(LAYER_OF))}"
    top = {p.name for p in PACKAGE.iterdir() if p.name != "__pycache__"}
    counted = {name.removesuffix(".py") for name in top} - BOILERPLATE - {"__main__"}
    assert len(counted) <= MAX_TOP_LEVEL_PARTS, sorted(counted)


def test_imports_point_down_the_layers() -> None:
    upward = bad_imports(PACKAGE, LAYER_OF, BOILERPLATE)
    assert not upward, "imports of a higher layer:\n" + "\n".join(upward)


def test_no_import_cycle_between_modules() -> None:
    # The layers keep packages apart; inside one, a cycle (even one made only for type
    # checking) means two modules are one concern or want a third that both import.
    cycle = import_cycle(PACKAGE, BOILERPLATE)
    assert not cycle, "import cycle: " + " -> ".join(cycle)


def test_subpackage_init_files_import_nothing() -> None:
    # A subpackage's __init__ is its one-paragraph description: importing `tap_peopleai.api`
    # must not pull in anything else, or the layer order would not hold at run time.
    assert not init_files_with_imports(PACKAGE)


def test_modules_and_classes_stay_small_enough_to_read_whole() -> None:
    too_big = oversized(PACKAGE, MAX_MODULE_LINES, MAX_CLASS_LINES)
    assert not too_big, "split these:\n" + "\n".join(too_big)
