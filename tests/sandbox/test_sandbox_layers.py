"""The sandbox's shape: subpackages in a fixed order, each importing only what lies below it.

The split follows moto's: ``models`` hold the backend's state without HTTP, ``responses`` parse a
request, call the models and render the answer, ``urls`` is the route table. A module may import
modules of its own layer and of the layers below it, never above, so no import cycle can run
between packages; imports made only for type checking (under ``if TYPE_CHECKING:``) are held to
the same order, and no cycle runs between modules either. Modules and classes stay small enough
to read whole.
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

PACKAGE = Path(__file__).resolve().parents[2] / "sandbox" / "peopleai_sandbox"

# Bottom first. Each entry is a top-level module or subpackage of peopleai_sandbox.
LAYERS: tuple[tuple[str, ...], ...] = (
    ("errors", "times", "checks"),  # the error models raise; time arithmetic; truth comparisons
    ("settings",),  # SandboxConfig, Variants, Faults, and the values they hold
    ("dataset",),  # the seeded universe of activities
    ("models",),  # the backend's state without HTTP: jobs, queue, erasures, truth, tokens
    ("urls",),  # the route table
    ("responses",),  # request in, models called, answer out: faults, hops, mutations, downloads
    ("wire",),  # the HTTP server and the transfer of download bodies
    ("server",),  # the origins (API, storage, control) on their ports
    ("testing", "cli"),  # a sandbox started in a thread or a process
    ("pytest_plugin",),  # the pytest fixtures
)
LAYER_OF = {unit: depth for depth, units in enumerate(LAYERS) for unit in units}
BOILERPLATE = {"__init__"}
MAX_MODULE_LINES = 300
MAX_CLASS_LINES = 200


def test_every_part_of_the_package_has_a_layer() -> None:
    parts = {unit_of(PACKAGE, path) for path in modules(PACKAGE)} - BOILERPLATE
    assert parts <= set(LAYER_OF), f"add to LAYERS: {sorted(parts - set(LAYER_OF))}"


def test_imports_point_down_the_layers() -> None:
    upward = bad_imports(PACKAGE, LAYER_OF, BOILERPLATE)
    assert not upward, "imports of a higher layer:\n" + "\n".join(upward)


def test_no_import_cycle_between_modules() -> None:
    # Within a layer modules may import each other; the graph must still have no cycle.
    cycle = import_cycle(PACKAGE, BOILERPLATE)
    assert not cycle, "import cycle: " + " -> ".join(cycle)


def test_subpackage_init_files_import_nothing() -> None:
    # A subpackage's __init__ is its one-paragraph description: importing one must not pull in
    # anything else, or the layer order would not hold at run time.
    assert not init_files_with_imports(PACKAGE)


def test_modules_and_classes_stay_small() -> None:
    too_big = oversized(PACKAGE, MAX_MODULE_LINES, MAX_CLASS_LINES)
    assert not too_big, "split these:\n" + "\n".join(too_big)
