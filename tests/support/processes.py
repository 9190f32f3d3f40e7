"""Running the tap as a child process, as Meltano runs it: to the end, or read as it goes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

TAP = (sys.executable, "-m", "tap_peopleai")


@dataclass
class CliRun:
    """A tap run as a separate process, as Meltano runs it."""

    returncode: int
    stdout: str
    stderr: str

    @property
    def messages(self) -> list[dict[str, Any]]:
        return [json.loads(line) for line in self.stdout.splitlines() if line.strip()]


def run_tap_process(
    *args: str,
    env: Mapping[str, str] | None = None,
    timeout: float = 120,
) -> CliRun:
    """Run ``python -m tap_peopleai ARGS`` to its end and capture everything it printed.

    ``env`` is the whole environment of the child (default: this process's).
    """
    completed = subprocess.run(
        [*TAP, *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        env=dict(os.environ if env is None else env),
        check=False,
    )
    return CliRun(completed.returncode, completed.stdout, completed.stderr)


def config_args(
    config: dict[str, Any], tmp_path: Path, state: dict[str, Any] | None = None
) -> list[str]:
    """``--config FILE [--state FILE]``, the files written into ``tmp_path``."""
    tmp_path.mkdir(parents=True, exist_ok=True)
    config_file = tmp_path / "config.json"
    config_file.write_text(json.dumps(config))
    args = ["--config", str(config_file)]
    if state is not None:
        state_file = tmp_path / "state.json"
        state_file.write_text(json.dumps(state))
        args += ["--state", str(state_file)]
    return args


def run_tap_cli(
    config: dict[str, Any],
    tmp_path: Path,
    *args: str,
    state: dict[str, Any] | None = None,
    env: dict[str, str] | None = None,
    timeout: float = 120,
) -> CliRun:
    """Run ``python -m tap_peopleai --config FILE [args]``; ``env`` adds to this environment."""
    return run_tap_process(
        *config_args(config, tmp_path, state),
        *args,
        env={**os.environ, **(env or {})},
        timeout=timeout,
    )


def tap_env(settings: Mapping[str, object]) -> dict[str, str]:
    """The tap's settings as the TAP_PEOPLEAI_* variables Meltano and ``--config ENV`` read."""
    return {f"TAP_PEOPLEAI_{name.upper()}": str(value) for name, value in settings.items()}


def run_with_env_config(settings: dict[str, str], *args: str) -> CliRun:
    """`python -m tap_peopleai --config ENV ARGS` with these TAP_PEOPLEAI_* variables only."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("TAP_PEOPLEAI_")}
    env.update(tap_env(settings))
    return run_tap_process("--config", "ENV", *args, env=env)


class TapProcess:
    """A tap run in a child process whose output is read as it comes, so it can be killed midway."""

    def __init__(
        self, config: dict[str, Any], tmp_path: Path, state: dict[str, Any] | None = None
    ) -> None:
        command = [*TAP, *config_args(config, tmp_path, state or None)]
        self.stderr_path = tmp_path / "stderr.log"
        self._stderr = self.stderr_path.open("w")
        self.process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=self._stderr)
        self.messages: list[dict[str, Any]] = []

    def read_until(self, stop: Callable[[list[dict[str, Any]]], bool]) -> bool:
        """Read messages until ``stop(messages)`` holds (True) or the output ends (False)."""
        assert self.process.stdout is not None
        for line in self.process.stdout:
            if line.strip():
                self.messages.append(json.loads(line))
                if stop(self.messages):
                    return True
        return False

    def send(self, signum: int) -> None:
        """Send a signal (SIGINT, SIGTERM) as Ctrl-C or an orchestrator would."""
        self.process.send_signal(signum)

    def kill(self) -> None:
        """SIGKILL: no clean-up, no final state, as a crash or an OOM kill.

        The kill may cut the line being written: only the very last line may be torn.
        """
        self.process.kill()
        assert self.process.stdout is not None
        lines = [line for line in self.process.stdout if line.strip()]
        for number, line in enumerate(lines, 1):
            try:
                self.messages.append(json.loads(line))
            except ValueError:
                assert number == len(lines), "a torn line before the end of the output"
        self.finish()

    def finish(self) -> int:
        """Read the rest of the output and wait for the exit code."""
        self.read_until(lambda _messages: False)
        code = self.process.wait(timeout=120)
        assert self.process.stdout is not None
        self.process.stdout.close()
        self._stderr.close()
        return code

    @property
    def stderr(self) -> str:
        return self.stderr_path.read_text()

    @property
    def last_state(self) -> dict[str, Any] | None:
        states = [m["value"] for m in self.messages if m["type"] == "STATE"]
        return states[-1] if states else None


def one_error_line(run: CliRun | TapProcess) -> str:
    """The one ERROR line a failed tap run printed, checked: no traceback, no SDK notice."""
    stderr = run.stderr
    errors = [line for line in stderr.splitlines() if "ERROR" in line]
    assert len(errors) == 1, stderr[-3000:]
    assert "Traceback" not in stderr, stderr[-3000:]
    assert "An unhandled error occurred" not in stderr
    return errors[0]
