"""What an operator reads: the tap's log of real runs, as a process, against slow and faulty APIs.

Every line of the tap is one of a few known kinds (so no per-fragment or per-poll line can slip
in), and their number is bounded per heartbeat interval, per job and per minute. Figures are
read from the log and checked against what the run emitted; times are never compared with
wall-clock expectations, only used to bound how many periodic lines may appear.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import socket
from collections import Counter
from dataclasses import dataclass
from typing import Any

import pytest

from peopleai_sandbox import Faults, Variants
from tap_peopleai.oplog.retry_log import RETRY_LINES_PER_MINUTE
from tests.support.api_client import create_job_as_another_tool
from tests.support.processes import TapProcess, run_tap_cli
from tests.support.tap_runs import NOW, tap_config
from tests.support.truth import Warehouse

LINE = re.compile(r"^(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3}) \| (\w+)\s*\| (\S+)\s*\| (.*)$")
STATE_CHANGE = re.compile(
    r"^Export job (\w+) \(((?:snapshot|delta) \S+)\): (\w+) -> (\w+) after ([\d.]+ s|\d+ min "
    r"\d\d s|\d+ h \d\d min) (\w+)(?: \((.*)\))?\.$"
)
CREATED = re.compile(r"^Created export job (\w+) \(((?:snapshot|delta) \S+)\)\.$")
HEARTBEAT = re.compile(
    r"^Waiting for (.+?): (\d+) job\(s\) in flight \((.*)\); other tools hold (\d+) of the 10 "
    r"queue slots(?:; (\d+) more retries, not logged one by one)?\.$"
)
JOB_IN_FLIGHT = re.compile(r"^(\w+) (Queued|Running) for (.+), age (.+)$")
RETRY = re.compile(r"^Retrying in ([\d.]+) s, attempt (\d+) of (\d+): (.+?) failed: (.+)\.$")
TOTALS = re.compile(
    r"^Downloaded (\d+) of (\d+) known fragment\(s\): ([\d.]+) MB, ([\d,]+) records emitted, "
    r"([\d.]+) MB/s, ([\d,]+) records/s(; about (.+) left for ([\d.]+) MB of the Completed "
    r"jobs)?\.$"
)
SUMMARY = re.compile(
    r"^Sync finished: (\d+) job\(s\) created, (\d+) reused, (\d+) replaced; (\d+) fragment\(s\), "
    r"([\d.]+) MB, ([\d,]+) records emitted; (\d+) records dated outside start_date\.\.end_date, "
    r"not emitted; retries: (\d+); (.+) in all: (.+) waiting on queued jobs, (.+) on running "
    r"jobs, (.+) downloading, (.+) emitting\.$"
)
# Everything the tap (or the SDK, in its name) says at INFO or above in a sync without errors.
KINDS = {
    "sdk": re.compile(
        r"^(tap-peopleai v|Skipping parse of env var settings|"
        r"Beginning sync of '(activities|reconciliations)')"
    ),
    # A one-line account of the settings at start-up, if the tap writes one.
    "settings": re.compile(r"^Settings: "),
    "plan": re.compile(r"^Plan: "),
    "created": CREATED,
    "state change": STATE_CHANGE,
    "heartbeat": HEARTBEAT,
    "retry": RETRY,
    "totals": TOTALS,
    "queue full": re.compile(r"^The export queue is full \(HTTP \d+: .*\); waiting to create "),
    "window done": re.compile(r"^Window (snapshot|delta) \S+ emitted completely\.$"),
    "summary": SUMMARY,
    "metric": re.compile(r"^METRIC: \{"),
}
# Lines before the sync proper: the SDK's three, and a settings line.
START_KINDS = frozenset({"sdk", "settings"})
START_LINES = 3 + 1
# The SDK's own points at the end of a stream: sync_duration and record_count.
SDK_END_POINTS = 2
# Points with the summary: totals (3), jobs by outcome (3), time by phase (4), and spare.
SUMMARY_POINTS = 12


@dataclass(frozen=True)
class LogLine:
    at: dt.datetime
    level: str
    logger: str
    message: str

    @property
    def kind(self) -> str:
        return next((k for k, pattern in KINDS.items() if pattern.match(self.message)), "unknown")

    @property
    def point(self) -> dict[str, Any]:
        assert self.kind == "metric", self
        parsed: dict[str, Any] = json.loads(self.message.removeprefix("METRIC: "))
        return parsed


def parse_log(stderr: str) -> list[LogLine]:
    lines = []
    for text in stderr.splitlines():
        match = LINE.match(text)
        assert match, f"not a log line: {text!r}"
        stamp, level, logger, message = match.groups()
        at = dt.datetime.strptime(stamp, "%Y-%m-%d %H:%M:%S,%f")
        lines.append(LogLine(at, level, logger, message))
    return lines


def of_kind(lines: list[LogLine], kind: str) -> list[LogLine]:
    return [line for line in lines if line.kind == kind]


def most_in_a_minute(lines: list[LogLine]) -> int:
    """The largest number of lines logged within any 60 s."""
    times = [line.at for line in lines]
    return max(
        (
            sum(1 for t in times[i:] if (t - start).total_seconds() < 60)
            for i, start in enumerate(times)
        ),
        default=0,
    )


def points_of(lines: list[LogLine], metric: str) -> list[dict[str, Any]]:
    return [p for p in (line.point for line in of_kind(lines, "metric")) if p["metric"] == metric]


def test_a_slow_faulty_sync_logs_its_progress_within_a_bounded_number_of_lines(
    make_sandbox, tmp_path
) -> None:
    sandbox = make_sandbox(
        seed=4,
        job_queue_seconds=2.0,
        job_run_seconds=2.0,
        max_running=1,  # the tap's jobs queue behind each other, and behind the other tool's
        fragment_records=40,  # ~75 fragments: a line per fragment would break the bounds
        variants=Variants(redirect_downloads=True),
        faults=Faults(
            http_error_rate=0.04, drop_download_rate=0.15, bandwidth_bytes_per_second=600_000
        ),
    )
    interval = 1.0
    config = tap_config(
        sandbox,
        heartbeat_interval="1",  # as Meltano passes it: text
        poll_interval=0.1,
        job_timeout=120,
        snapshot_window_days=40,
        scheduled_horizon_days=30,
        download_workers=2,
    )
    tap = TapProcess(config, tmp_path)
    # Once the tap has its first job (its id is in state before the tap waits on it), another
    # tool takes a slot: the tap's jobs queue behind it.
    assert tap.read_until(lambda messages: any(m["type"] == "STATE" for m in messages))
    other = create_job_as_another_tool(sandbox, "snapshot", "2025-01-01", "2025-01-31")
    assert other.status_code == 200, other.text
    assert tap.finish() == 0, tap.stderr[-3000:]
    stderr, output = tap.stderr, json.dumps(tap.messages)
    warehouse = Warehouse()
    warehouse.load_messages(tap.messages)
    warehouse.assert_equals(sandbox.backend.ground_truth(activity_from=dt.date(2026, 4, 1)))
    records = sum(1 for m in tap.messages if m["type"] == "RECORD")

    lines = parse_log(stderr)
    unknown = [line.message[:160] for line in lines if line.kind == "unknown"]
    assert not unknown, f"lines of no known kind: {unknown}"
    assert {line.level for line in lines} == {"INFO"}, "no warning or error in this run"
    for secret in ("X-Amz-Signature", "X-Amz-Credential", sandbox.client_secret, "Bearer"):
        assert secret not in stderr + output

    # The plan comes first, before any job line.
    tap_lines = [line for line in lines if line.kind not in START_KINDS]
    assert tap_lines[0].kind == "plan", tap_lines[0]
    assert tap_lines[0].message.startswith("Plan: 3 snapshot window(s) (today is 2026-06-15 ")
    assert "Jobs: 0 to resume, 3 to create; at most 8 of them queued or running at once." in (
        tap_lines[0].message
    )
    created = {m[1]: m[2] for m in (CREATED.match(line.message) for line in lines) if m}
    assert len(created) == 3

    # Every state change once, with the job, its window and the time in the previous state.
    changes = [STATE_CHANGE.match(line.message) for line in of_kind(lines, "state change")]
    seen = Counter((m[1], m[3], m[4]) for m in changes if m)
    assert all(count == 1 for count in seen.values()), seen
    for match in changes:
        assert match is not None
        job_id, window, previous, _current, _took, in_state, _detail = match.groups()
        assert created[job_id] == window
        assert in_state == previous
    completed = Counter(m[1] for m in changes if m and m[4] == "Completed")
    assert completed == dict.fromkeys(created, 1), "each job completes once"
    assert ("Queued", "Running") in {(m[3], m[4]) for m in changes if m}
    assert len(points_of(lines, "job_duration")) == len(changes)

    # Heartbeats while waiting: each job in flight with its state and age, the others' slots.
    beats = [HEARTBEAT.match(line.message) for line in of_kind(lines, "heartbeat")]
    assert beats, "the tap waited seconds on queued and running jobs without a heartbeat"
    for beat in beats:
        assert beat is not None
        in_flight = beat[3].split("; ")
        assert len(in_flight) == int(beat[2])
        for job in in_flight:
            match = JOB_IN_FLIGHT.match(job)
            assert match, job
            assert match[1] in created
    assert any(beat and beat[4] == "1" for beat in beats), "the other tool's job holds a slot"
    states = {
        m[2] for beat in beats if beat for m in map(JOB_IN_FLIGHT.match, beat[3].split("; ")) if m
    }
    assert states == {"Queued", "Running"}
    assert len(points_of(lines, "export_job_wait")) == len(beats)

    # Every retry: what failed, attempt n of N, the wait.
    retries = [RETRY.match(line.message) for line in of_kind(lines, "retry")]
    assert retries, "faults were injected, yet no retry was logged"
    for retry in retries:
        assert retry is not None
        wait, attempt, tries, doing, why = retry.groups()
        assert 2 <= int(attempt) <= int(tries) == 8
        assert float(wait) >= 0
        assert re.match(
            r"(downloading fragment \d+ of job \w+|reading the status of job|listing|"
            r"creating|requesting)",
            doing,
        ), doing
        assert why.startswith(
            (
                "HTTP 5",
                "HTTP 429",
                "the connection broke",
                "could not connect",
                "ended after",
                "no answer",
            )
        ), why
    assert most_in_a_minute(of_kind(lines, "retry")) <= RETRY_LINES_PER_MINUTE

    # Running download totals: fragments x of y, MB, records, rates, an estimate.
    totals = [TOTALS.match(line.message) for line in of_kind(lines, "totals")]
    assert totals, "downloads took seconds, yet no running totals were logged"
    done = [int(t[1]) for t in totals if t]
    assert done == sorted(done)
    assert all(t and int(t[1]) <= int(t[2]) for t in totals)
    assert all(t and int(t[4].replace(",", "")) <= records for t in totals)
    assert any(t and t[7] for t in totals), "results_size gives an estimate of what is left"

    # The summary is the tap's last line, and its figures are what the run emitted.
    last = [line for line in tap_lines if line.kind != "metric"][-1]
    summary = SUMMARY.match(last.message)
    assert summary, last
    assert summary.groups()[:3] == ("3", "0", "0")
    announced = [m[7] for m in changes if m and m[4] == "Completed"]
    sizes = [re.fullmatch(r"(\d+) fragment\(s\), ([\d,]+) bytes", text or "") for text in announced]
    assert all(sizes), announced
    fragments = sum(int(size[1]) for size in sizes if size)
    size_bytes = sum(int(size[2].replace(",", "")) for size in sizes if size)
    assert int(summary[4]) == fragments
    assert summary[5] == f"{size_bytes / 1e6:.1f}"
    assert int(summary[6].replace(",", "")) == records
    assert int(summary[8]) >= len(retries)
    fragment_points = points_of(lines, "fragment_count")
    assert sum(p["value"] for p in fragment_points) == fragments
    assert fragment_points[-1]["tags"]["records_total"] == records
    for phase in ("queued", "running", "downloading", "emitting"):
        assert len(points_of(lines, f"{phase}_duration")) == 1, phase

    # A bounded number of lines: per heartbeat interval, per job, per minute.
    elapsed = (lines[-1].at - lines[0].at).total_seconds()
    periods = int(elapsed / interval) + 1
    assert len(beats) <= periods
    assert len(totals) <= periods
    per_job = 1 + 2 * 2 + 1  # created, two state changes with their points, window done
    once = START_LINES + 1 + 1 + SUMMARY_POINTS + SDK_END_POINTS  # start-up, plan, summary
    bound = (
        once
        + per_job * len(created)
        + periods * (2 + 4)  # heartbeat + point, totals + up to three points
        + RETRY_LINES_PER_MINUTE
        + len(created)  # "queue full", once per window
    )
    assert most_in_a_minute(lines) <= bound


def test_a_daily_run_logs_a_short_log_without_periodic_lines(make_sandbox, tmp_path) -> None:
    """One delta window, a few fragments, transient faults, the default heartbeat interval."""
    sandbox = make_sandbox(seed=8, faults=Faults(http_error_rate=0.1))
    config = tap_config(sandbox)  # heartbeat_interval: the default, 60 s
    state = {
        "bookmarks": {"activities": {"cursor": (NOW.date() - dt.timedelta(days=3)).isoformat()}}
    }
    run = run_tap_cli(config, tmp_path, state=state)
    assert run.returncode == 0, run.stderr[-3000:]
    lines = parse_log(run.stderr)
    kinds = Counter(line.kind for line in lines)
    assert kinds["unknown"] == 0, [line.message for line in lines if line.kind == "unknown"]
    assert kinds["heartbeat"] == kinds["totals"] == 0
    assert kinds["plan"] == kinds["summary"] == kinds["created"] == kinds["window done"] == 1
    assert kinds["state change"] <= 2
    assert kinds["retry"] <= RETRY_LINES_PER_MINUTE
    assert sandbox.backend.stats()["faults_injected"] > 0, "the run should have met faults"
    plan = of_kind(lines, "plan")[0].message
    assert plan.startswith("Plan: 1 delta window(s) (today is 2026-06-15 by the API's clock)")
    # Besides retries, a few lines: start-up, plan, the job and its changes, window, summary.
    once = START_LINES + 1 + 1 + SUMMARY_POINTS + SDK_END_POINTS
    assert len(lines) - kinds["retry"] <= once + 1 + 2 * 2 + 1


def test_a_resumed_sync_names_the_jobs_it_resumes_in_its_plan(make_sandbox, tmp_path) -> None:
    sandbox = make_sandbox(seed=3)
    window = {"export_type": "delta", "start_date": "2026-06-12", "end_date": "2026-06-15"}
    created = create_job_as_another_tool(sandbox, "delta", "2026-06-12", "2026-06-15").json()
    job = {
        **window,
        "activity_type": "all",
        "job_id": str(created["job_id"]),
        "fragments_emitted": 0,
    }
    state = {"bookmarks": {"activities": {"cursor": "2026-06-12", "jobs": [job]}}}
    run = run_tap_cli(tap_config(sandbox), tmp_path, state=state)
    assert run.returncode == 0, run.stderr[-3000:]
    lines = [line for line in parse_log(run.stderr) if line.kind not in START_KINDS]
    assert lines[0].kind == "plan"
    assert f"Jobs: 1 to resume ({job['job_id']}), 0 to create;" in lines[0].message
    assert lines[1].message.startswith(f"Resuming job {job['job_id']} (delta 2026-06-12..")
    assert not of_kind(lines, "created")


def test_an_api_that_does_not_answer_is_retried_visibly_then_named(tmp_path) -> None:
    with socket.socket() as probe:  # a loopback port nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    config = {
        "api_url": f"http://127.0.0.1:{port}",
        "client_id": "sandbox-client",
        "client_secret": "sandbox-secret",
        "start_date": "2026-06-01",
        "poll_interval": 0.02,  # retries back off from 0.02 s
    }
    run = run_tap_cli(config, tmp_path)
    assert run.returncode == 1
    lines = parse_log(run.stderr)
    retries = [RETRY.match(line.message) for line in of_kind(lines, "retry")]
    assert [int(r[2]) for r in retries if r] == list(range(2, 9))
    for retry in retries:
        assert retry is not None
        assert retry[4] == "requesting an access token from /auth/v1/tokens"
        assert retry[5] == "connection refused (ConnectionError)"
    assert lines[-1].level == "ERROR"
    assert lines[-1].message.startswith(
        "Gave up after 8 attempts while requesting an access token from /auth/v1/tokens"
    )
    assert "sandbox-secret" not in run.stderr
    assert "Traceback" not in run.stderr


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("0.5", "`heartbeat_interval` must be a number of seconds of at least 1, got '0.5'."),
        ("soon", "`heartbeat_interval` must be a number of seconds of at least 1, got 'soon'."),
        (0, "`heartbeat_interval` must be a number of seconds of at least 1, got 0."),
    ],
)
def test_a_bad_heartbeat_interval_stops_the_tap_with_one_line(
    make_sandbox, tmp_path, value, expected
) -> None:
    sandbox = make_sandbox()
    run = run_tap_cli(tap_config(sandbox, heartbeat_interval=value), tmp_path)
    assert run.returncode != 0
    assert expected in run.stderr
    assert "Traceback" not in run.stderr
    assert sandbox.backend.stats()["jobs_created"] == 0
