"""`make demo`, then the README's Meltano walkthrough, then `make demo` again: each correct.

The walkthrough runs the same pipeline as the demo against a sandbox frozen at 2025-03-01, in the
same project (the repository itself, as a user runs both). The demo keeps its own state id and
file, so the walkthrough neither moves the demo's cursor nor writes into its table: the second
demo is an incremental run whose table still equals the truth. The walkthrough's own table equals
the truth of its sandbox, and its log has no terminal escape codes (dbt's colours are off).
Last, a row written into the demo's table by another tool makes the next demo fail, naming that
cause and the command that starts afresh.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from datetime import date, datetime, timezone
from pathlib import Path
from typing import Any

import duckdb
import pytest

from peopleai_sandbox import SandboxConfig, run_sandbox
from tests.support.doc_commands import REPO_ROOT, DocRunner, marked
from tests.support.parallel import USES_REPOSITORY
from tests.support.ports import free_port
from tests.support.truth import compare, latest_versions
from tests.support.warehouse_rows import duckdb_rows

# USES_REPOSITORY: `make demo` and the walkthrough use the repository's .meltano/ and output/.
pytestmark = [pytest.mark.e2e, pytest.mark.timeout(1200), USES_REPOSITORY]

THIS_TEST = "tests/e2e/test_demo.py::test_demo_then_the_readme_walkthrough_then_the_demo_again"
WALKTHROUGH_NOW = datetime(2025, 3, 1, 12, tzinfo=timezone.utc)
WALKTHROUGH_START = date(2025, 2, 1)  # the sandbox environment's start_date (meltano-project/)
WALKTHROUGH_STATE = "sandbox:tap-peopleai-to-target-duckdb"
DEMO_STATE = "sandbox:tap-peopleai-to-target-duckdb:demo"
OUTPUT = REPO_ROOT / "output"


def _make_demo(port: int, *, expect_ok: bool = True) -> str:
    # The demo's own port variable: 8765 may be a developer's running demo.
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TAP_PEOPLEAI_", "MELTANO_"))}
    env["DEMO_SANDBOX_PORT"] = str(port)
    proc = subprocess.run(
        ["make", "demo"],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=840,
        check=False,
    )
    output = f"{proc.stdout[-6000:]}\n{proc.stderr[-3000:]}"
    if not expect_ok:
        assert proc.returncode != 0, f"make demo succeeded:\n{output}"
        return proc.stdout
    assert proc.returncode == 0, f"make demo failed:\n{output}"
    assert "MISMATCH" not in proc.stdout
    assert "OK: the table equals the sandbox's ground truth" in proc.stdout
    return proc.stdout


def _cursor(project: Any, state_id: str) -> object:
    """The tap's delta cursor in Meltano's state for `state_id`."""
    state: Any = project.state(state_id)
    return state["singer_state"]["bookmarks"]["activities"]["cursor"]


def test_demo_then_the_readme_walkthrough_then_the_demo_again(repository_project: Any) -> None:
    port = free_port()
    # Without its result file the demo starts over (its documented behaviour), and without its
    # table and state the walkthrough does, whatever a developer ran before.
    (OUTPUT / "demo.duckdb").unlink(missing_ok=True)
    (OUTPUT / "sandbox.duckdb").unlink(missing_ok=True)
    project = repository_project
    project.run("state", "clear", "--force", WALKTHROUGH_STATE, check=False)

    first = _make_demo(port)
    assert "performing the FIRST (snapshot) sync" in first
    assert "meltano invoke dbt-duckdb:run" in first, "the demo ends by building the models"
    assert "Run `make demo` again for an incremental run." in first
    demo_cursor = _cursor(project, DEMO_STATE)
    assert demo_cursor == datetime.now(timezone.utc).date().isoformat()

    (walkthrough,) = marked(f"run-by: {THIS_TEST}")
    runner = DocRunner(project, Path(sys.executable).parent, free_port())
    try:
        outputs = runner.run_all(walkthrough.commands())
    finally:
        runner.stop_sandboxes()
    log = "\n".join(outputs.values())
    assert not re.search(r"\x1b\[", log), "escape codes in Meltano's log (dbt's colours?)"
    with run_sandbox(SandboxConfig(now=WALKTHROUGH_NOW)) as sandbox:
        truth = latest_versions(sandbox.backend.ground_truth(activity_from=WALKTHROUGH_START))
    assert compare(duckdb_rows(OUTPUT / "sandbox.duckdb", "peopleai", "activities"), truth) == ""
    assert _cursor(project, WALKTHROUGH_STATE) == "2025-03-01"
    assert _cursor(project, DEMO_STATE) == demo_cursor, "the walkthrough moved the demo's cursor"

    second = _make_demo(port)
    assert "performing an INCREMENTAL (delta) run" in second
    assert "changed since the last `make demo`" not in second
    assert "Run `make demo` again for an incremental run." not in second
    assert "another incremental run" in second

    # Another tool writes a row into the demo's table: the next demo fails and says so.
    con = duckdb.connect(str(OUTPUT / "demo.duckdb"))
    try:
        con.execute(
            "insert into peopleai.activities "
            "select * replace ('written-by-another-run' as uid) from peopleai.activities limit 1"
        )
    finally:
        con.close()
    try:
        third = _make_demo(port, expect_ok=False)
    finally:
        (OUTPUT / "demo.duckdb").unlink()  # the next `make demo` starts afresh
    assert "MISMATCH" in third
    assert "1 unexpected" in third
    assert "Cause: the table output/demo.duckdb changed since the last `make demo`" in third
    assert "`rm output/demo.duckdb && make demo` starts afresh" in third
    assert "sandbox's data changed" not in third
