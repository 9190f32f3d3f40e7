"""Running the tap in-process against a sandbox and reading what it emitted."""

from __future__ import annotations

import contextlib
import datetime as dt
import io
import json
from dataclasses import dataclass
from typing import Any

from peopleai_sandbox import RunningSandbox
from tap_peopleai.tap import TapPeopleAI

# The tap tests' frozen instant (their sandboxes' clock) and the first day they extract.
NOW = dt.datetime(2026, 6, 15, 12, 0, tzinfo=dt.timezone.utc)
START = dt.date(2026, 4, 1)


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


def tap_config(sandbox: RunningSandbox, **overrides: Any) -> dict[str, Any]:
    """The tap's settings for a sandbox: small, quick polls, plus ``overrides``."""
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


def env_settings(sandbox: RunningSandbox, **overrides: str) -> dict[str, str]:
    """``tap_config``'s settings as TAP_PEOPLEAI_* variables hold them: text (without the
    prefix; see ``processes.run_with_env_config``)."""
    settings = {
        "api_url": sandbox.url,
        "client_id": sandbox.client_id,
        "client_secret": sandbox.client_secret,
        "start_date": START.isoformat(),
        "poll_interval": "0.02",
        "job_timeout": "30",
        "scheduled_horizon_days": "60",
    }
    settings.update(overrides)
    return settings


def run_tap(
    config: dict[str, Any],
    state: dict[str, Any] | None = None,
    *,
    expect_error: bool = False,
    tap_class: type[TapPeopleAI] = TapPeopleAI,
) -> SyncResult:
    """Run one sync in-process; stdout is captured and parsed as Singer messages."""
    raw = io.BytesIO()
    stdout = io.TextIOWrapper(raw, encoding="utf-8", write_through=True)
    error: BaseException | None = None
    with contextlib.redirect_stdout(stdout):
        try:
            tap = tap_class(config=config, state=state or {})
            tap.sync_all()
        except Exception as exc:
            if not expect_error:
                raise
            error = exc
        finally:
            # The fast writer buffers; the SDK's own writer (SdkDefaultPathTap) has no flush.
            writer = getattr(locals().get("tap"), "message_writer", None)
            flush = getattr(writer, "flush", None)
            if flush is not None:
                flush()
    stdout.flush()
    messages = [json.loads(line) for line in raw.getvalue().splitlines() if line.strip()]
    if expect_error:
        assert error is not None, "the sync was expected to fail"
    return SyncResult(messages, error)


# The tap plugin that the project's jobs (meltano-project/jobs.yml) run into each loader: BATCH
# files for both of the repository's bulk loaders (the loaders that take RECORD messages only run
# tap-peopleai).
JOB_TAP = {"target-duckdb": "tap-peopleai-bulk", "target-postgres": "tap-peopleai-bulk"}


def meltano_env(
    sandbox: RunningSandbox, start_date: dt.date, extra: dict[str, str] | None = None
) -> dict[str, str]:
    """The environment that points a `meltano run` of tap-peopleai at ``sandbox``."""
    return {
        "TAP_PEOPLEAI_API_URL": sandbox.url,
        "TAP_PEOPLEAI_CLIENT_ID": sandbox.client_id,
        "TAP_PEOPLEAI_CLIENT_SECRET": sandbox.client_secret,
        "TAP_PEOPLEAI_START_DATE": start_date.isoformat(),
        **(extra or {}),
    }


def without_versions(records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """One run's records without `sync_version` (removed in place): each run stamps its own
    start as the rows' version, and it is one integer for all of them."""
    versions = {record.pop("sync_version") for record in records}
    assert len(versions) == 1
    assert all(isinstance(version, int) for version in versions)
    return records
