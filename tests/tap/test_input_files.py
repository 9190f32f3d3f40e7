"""Config, state and catalog files the tap cannot use: one line naming the file and what to do.

Each case runs a real tap process, as Meltano or a cron job runs it, with `--config FILE` and with
`--config ENV` (settings from TAP_PEOPLEAI_* variables, files only for state and catalog).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile
from collections.abc import Callable
from pathlib import Path

import pytest

from peopleai_sandbox import RunningSandbox
from tests.support.processes import TAP, CliRun, run_tap_process, run_with_env_config
from tests.support.tap_runs import env_settings, tap_config
from tests.tap.test_errors import assert_one_line_error

REPOSITORY = Path(__file__).resolve().parents[2]
# What a broken file holds, and the words that must name the problem.
BROKEN_FILES: list[tuple[str, Callable[[Path], None], str]] = [
    ("missing", lambda path: None, "there is no such file"),
    ("directory", lambda path: path.mkdir(), "it is a directory, not a file"),
    ("empty", lambda path: path.write_text(""), "it is empty"),
    ("blank", lambda path: path.write_text(" \n"), "it is empty"),
    ("truncated", lambda path: path.write_text('{"bookmarks": {"acti'), "it ends before"),
    ("not json", lambda path: path.write_text("start_date: 2026-04-01\n"), "is not JSON"),
    ("not utf-8", lambda path: path.write_bytes(b'{"a": "\xff"}'), "is not UTF-8 text"),
    ("a list", lambda path: path.write_text("[1, 2]"), "holds a JSON array, not an object"),
]
IDS = [case[0] for case in BROKEN_FILES]
# What each kind of file's line tells the user to do.
REMEDIES = {
    "config": "--config ENV",
    "state": "meltano state",
    "catalog": "--discover",
}


def _write(tmp_path: Path, name: str, value: object) -> Path:
    path = tmp_path / name
    path.write_text(json.dumps(value))
    return path


def _env_without_tap_settings() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if not k.startswith("TAP_PEOPLEAI_")}


def _assert_names_the_file(run: CliRun, path: Path, problem: str, kind: str) -> None:
    assert_one_line_error(run, problem)
    error = next(line for line in run.stderr.splitlines() if "ERROR" in line)
    assert str(path) in error
    assert f"{kind} file" in error
    assert REMEDIES[kind] in error


@pytest.mark.parametrize(("case", "make", "problem"), BROKEN_FILES, ids=IDS)
def test_a_config_file_the_tap_cannot_use_is_one_line(
    tmp_path: Path, case: str, make: Callable[[Path], None], problem: str
) -> None:
    path = tmp_path / "config.json"
    make(path)
    run = run_tap_process("--config", str(path), env=_env_without_tap_settings())
    _assert_names_the_file(run, path, problem, "config")


@pytest.mark.parametrize("kind", ["state", "catalog"])
@pytest.mark.parametrize(("case", "make", "problem"), BROKEN_FILES, ids=IDS)
def test_a_state_or_catalog_file_the_tap_cannot_use_is_one_line(
    make_sandbox: Callable[..., RunningSandbox],
    tmp_path: Path,
    kind: str,
    case: str,
    make: Callable[[Path], None],
    problem: str,
) -> None:
    sandbox = make_sandbox()
    config = _write(tmp_path, "config.json", tap_config(sandbox))
    path = tmp_path / f"{kind}.json"
    make(path)
    run = run_tap_process("--config", str(config), f"--{kind}", str(path))
    _assert_names_the_file(run, path, problem, kind)
    assert sandbox.backend.stats()["requests"] == 0


def test_with_config_env_a_truncated_state_file_is_one_line(
    make_sandbox: Callable[..., RunningSandbox], tmp_path: Path
) -> None:
    sandbox = make_sandbox()
    path = tmp_path / "state.json"
    path.write_text('{"bookmarks": {"activities": {"cursor": "2026-')
    run = run_with_env_config(env_settings(sandbox), "--state", str(path))
    _assert_names_the_file(run, path, "it ends before", "state")
    assert sandbox.backend.stats()["requests"] == 0


def test_with_config_env_a_missing_extra_config_file_is_one_line(
    make_sandbox: Callable[..., RunningSandbox], tmp_path: Path
) -> None:
    sandbox = make_sandbox()
    path = tmp_path / "overrides.json"
    run = run_with_env_config(env_settings(sandbox), "--config", str(path))
    _assert_names_the_file(run, path, "there is no such file", "config")


def test_with_config_env_and_good_files_the_sync_runs(
    make_sandbox: Callable[..., RunningSandbox], tmp_path: Path
) -> None:
    sandbox = make_sandbox()
    discover = run_with_env_config(env_settings(sandbox), "--discover")
    assert discover.returncode == 0, discover.stderr[-2000:]
    catalog = _write(tmp_path, "catalog.json", json.loads(discover.stdout))
    state = _write(tmp_path, "state.json", {})
    run = run_with_env_config(
        env_settings(sandbox), "--state", str(state), "--catalog", str(catalog)
    )
    assert run.returncode == 0, run.stderr[-2000:]
    assert any(m["type"] == "RECORD" for m in run.messages)


def _as_nobody() -> list[str]:
    """The command prefix that drops root's right to read any file, when the tests run as root."""
    if os.geteuid() != 0:
        return []
    setpriv = shutil.which("setpriv")
    if setpriv is None:
        pytest.skip("running as root without setpriv: a file mode cannot deny root")
    return [setpriv, "--reuid=65534", "--regid=65534", "--clear-groups"]


def test_a_state_file_without_read_permission_is_one_line(
    make_sandbox: Callable[..., RunningSandbox],
) -> None:
    sandbox = make_sandbox()
    # Not under tmp_path: pytest keeps that private to root, and the tap may run as nobody here.
    folder = Path(tempfile.mkdtemp(prefix="tap-peopleai-test-"))
    try:
        folder.chmod(0o755)
        config = _write(folder, "config.json", tap_config(sandbox))
        path = _write(folder, "state.json", {})
        path.chmod(0)
        command = [*_as_nobody(), *TAP, "--config", str(config), "--state", str(path)]
        done = subprocess.run(
            command, capture_output=True, text=True, timeout=120, check=False, cwd=REPOSITORY
        )
    finally:
        shutil.rmtree(folder)
    run = CliRun(done.returncode, done.stdout, done.stderr)
    _assert_names_the_file(run, path, "it cannot be read (permission denied", "state")
