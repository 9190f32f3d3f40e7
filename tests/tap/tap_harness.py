"""Running the tap in-process against a sandbox and reading what it emitted."""

from __future__ import annotations

import contextlib
import datetime as dt
import io
import json
import os
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import requests

from peopleai_sandbox import RunningSandbox, TruthRow
from tap_peopleai.tap import TapPeopleAI

NOW = dt.datetime(2026, 6, 15, 12, 0, tzinfo=dt.timezone.utc)
START = dt.date(2026, 4, 1)


def parse_time(value: str) -> dt.datetime:
    """Parse an emitted RFC 3339 UTC timestamp; refuses anything else."""
    assert value.endswith("Z"), value
    return dt.datetime.fromisoformat(value[:-1]).replace(tzinfo=dt.timezone.utc)


@dataclass
class SyncResult:
    """What one tap run wrote to stdout."""

    messages: list[dict[str, Any]]
    error: BaseException | None = None

    @property
    def records(self) -> list[dict[str, Any]]:
        return [m["record"] for m in self.messages if m["type"] == "RECORD"]

    @property
    def states(self) -> list[dict[str, Any]]:
        return [m["value"] for m in self.messages if m["type"] == "STATE"]

    @property
    def final_state(self) -> dict[str, Any]:
        return self.states[-1]

    @property
    def bookmark(self) -> dict[str, Any]:
        bookmark: dict[str, Any] = self.final_state["bookmarks"]["activities"]
        return bookmark


@dataclass
class Warehouse:
    """An upserting target in miniature: the latest version of each uid across runs."""

    rows: dict[str, dict[str, Any]] = field(default_factory=dict)
    received: int = 0

    def load(self, result: SyncResult) -> None:
        self.load_messages(result.messages)

    def load_messages(self, messages: list[dict[str, Any]]) -> None:
        records = [m["record"] for m in messages if m["type"] == "RECORD"]
        for record in records:
            self.received += 1
            current = self.rows.get(record["uid"])
            if current is None or parse_time(record["ingest_timestamp"]) >= parse_time(
                current["ingest_timestamp"]
            ):
                self.rows[record["uid"]] = record

    def assert_equals(self, truth: dict[str, TruthRow]) -> None:
        missing = set(truth) - set(self.rows)
        extra = set(self.rows) - set(truth)
        assert not missing, f"{len(missing)} activities missing, e.g. {sorted(missing)[:3]}"
        assert not extra, f"{len(extra)} unexpected activities, e.g. {sorted(extra)[:3]}"
        stale = [
            uid
            for uid, row in truth.items()
            if parse_time(self.rows[uid]["ingest_timestamp"]) != row.ingest_timestamp
        ]
        assert not stale, f"{len(stale)} activities not at their latest version: {stale[:3]}"


def tap_config(sandbox: RunningSandbox, **overrides: Any) -> dict[str, Any]:
    config: dict[str, Any] = {
        "api_url": sandbox.url,
        "client_id": sandbox.client_id,
        "client_secret": sandbox.client_secret,
        "start_date": START.isoformat(),
        "poll_interval": 0.02,
        "job_timeout": 30,
        "scheduled_horizon_days": 60,
    }
    config.update(overrides)
    return config


def run_tap(
    config: dict[str, Any], state: dict[str, Any] | None = None, *, expect_error: bool = False
) -> SyncResult:
    """Run one sync in-process; stdout is captured and parsed as Singer messages."""
    raw = io.BytesIO()
    stdout = io.TextIOWrapper(raw, encoding="utf-8", write_through=True)
    error: BaseException | None = None
    with contextlib.redirect_stdout(stdout):
        try:
            tap = TapPeopleAI(config=config, state=state or {})
            tap.sync_all()
        except Exception as exc:
            if not expect_error:
                raise
            error = exc
        finally:
            writer = getattr(locals().get("tap"), "message_writer", None)
            if writer is not None:
                writer.flush()
    stdout.flush()
    messages = [json.loads(line) for line in raw.getvalue().splitlines() if line.strip()]
    if expect_error:
        assert error is not None, "the sync was expected to fail"
    return SyncResult(messages, error)


@dataclass
class CliRun:
    """A tap run as a separate process, as Meltano runs it."""

    returncode: int
    stdout: str
    stderr: str

    @property
    def messages(self) -> list[dict[str, Any]]:
        return [json.loads(line) for line in self.stdout.splitlines() if line.strip()]


def run_tap_cli(
    config: dict[str, Any],
    tmp_path: Path,
    *args: str,
    state: dict[str, Any] | None = None,
    env: dict[str, str] | None = None,
    timeout: float = 120,
) -> CliRun:
    """Run ``python -m tap_peopleai --config FILE [args]`` and capture everything it printed."""
    config_file = tmp_path / "config.json"
    config_file.write_text(json.dumps(config))
    command = [sys.executable, "-m", "tap_peopleai", "--config", str(config_file), *args]
    if state is not None:
        state_file = tmp_path / "state.json"
        state_file.write_text(json.dumps(state))
        command += ["--state", str(state_file)]
    completed = subprocess.run(
        command,
        capture_output=True,
        text=True,
        timeout=timeout,
        env={**os.environ, **(env or {})},
        check=False,
    )
    return CliRun(completed.returncode, completed.stdout, completed.stderr)


class TapProcess:
    """A tap run in a child process whose output is read as it comes, so it can be killed midway."""

    def __init__(
        self, config: dict[str, Any], tmp_path: Path, state: dict[str, Any] | None = None
    ) -> None:
        tmp_path.mkdir(parents=True, exist_ok=True)
        config_file = tmp_path / "config.json"
        config_file.write_text(json.dumps(config))
        command = [sys.executable, "-m", "tap_peopleai", "--config", str(config_file)]
        if state:
            state_file = tmp_path / "state.json"
            state_file.write_text(json.dumps(state))
            command += ["--state", str(state_file)]
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


def create_job_as_another_tool(
    sandbox: RunningSandbox, export_type: str, start: str, end: str
) -> requests.Response:
    """Create an export job straight through the API, as another tool sharing the queue would."""
    token = sandbox.access_token()
    body = {
        "start_date": start,
        "end_date": end,
        "activity_type": "all",
        "output_format": "JSONLines",
        "export_type": export_type,
    }
    return requests.post(
        sandbox.jobs_url, json=body, headers={"Authorization": f"Bearer {token}"}, timeout=5
    )
