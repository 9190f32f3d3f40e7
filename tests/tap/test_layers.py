"""The package's shape: subpackages in a fixed order, each importing only what lies below it.

docs/architecture.md explains each layer; this test is where the order is written down. A module
may import modules of its own layer and of the layers below it, never above: so no import cycle
can run between packages, and a reader can learn the tap bottom-up. Imports made only for type
checking (under ``if TYPE_CHECKING:``) are held to the same order.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support.layers import CHECKS, Layering

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
TAP = Layering(PACKAGE, LAYERS)
# The top of the package: at most this many modules and subpackages, entry points not counted.
MAX_TOP_LEVEL_PARTS = 12


@pytest.mark.parametrize("check", CHECKS)
def test_the_tap_keeps_its_shape(check: str) -> None:
    problems = TAP.problems(check)
    assert not problems, f"{check}:\n" + "\n".join(problems)


def test_the_top_of_the_package_holds_at_most_a_dozen_parts() -> None:
    top = {p.name.removesuffix(".py") for p in PACKAGE.iterdir() if p.name != "__pycache__"}
    counted = top - TAP.boilerplate - {"__main__"}
    assert len(counted) <= MAX_TOP_LEVEL_PARTS, sorted(counted)
