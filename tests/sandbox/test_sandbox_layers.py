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

import pytest

from tests.support.layers import CHECKS, Layering

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
SANDBOX = Layering(PACKAGE, LAYERS)


@pytest.mark.parametrize("check", CHECKS)
def test_the_sandbox_keeps_its_shape(check: str) -> None:
    problems = SANDBOX.problems(check)
    assert not problems, f"{check}:\n" + "\n".join(problems)
