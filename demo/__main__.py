"""`make demo`: sandbox -> `meltano run tap-peopleai target-duckdb` -> what landed, checked.

1. Starts the sandbox (`peopleai-sandbox serve`) on 127.0.0.1:8765 with its clock frozen at the
   current UTC time, so its ground truth cannot move during the run.
2. Runs `meltano run --state-id-suffix=demo tap-peopleai target-duckdb` (environment `sandbox`)
   into output/demo.duckdb, with start_date 30 days before today. The demo's own state id and
   file keep it apart from the README's walkthrough, which runs the same pipeline into
   output/sandbox.duckdb under the state id sandbox:tap-peopleai-to-target-duckdb. When Meltano
   already holds the demo's state, the run is incremental (delta exports from the saved cursor)
   and the demo says so.
3. Fetches the sandbox's ground truth, stops the sandbox (on failure too), and prints the rows
   per activity type, the activity-date range, rows added/updated by this run, and whether the
   table equals the ground truth: same set of uids, same latest ingest_timestamp for each.
   Exits non-zero on a mismatch, naming its likely cause (record.py).
4. Builds the dbt models (`meltano invoke dbt-duckdb:run`, schema peopleai_analytics) and prints
   the ten most active accounts of the last 30 days from the mart peopleai__accounts, checked
   against counts computed from the sandbox's own records (`models.py`). Exits non-zero if
   they differ.

Environment: DEMO_SANDBOX_PORT (default 8765), DEMO_START_DAYS_AGO (default 30) and
DEMO_ACTIVITIES_PER_DAY (default: the sandbox's) change the defaults.
"""

from __future__ import annotations

import os
import re
import signal
import sys
import time
from datetime import date, datetime, timedelta, timezone
from types import FrameType

from demo.models import build_models, check_accounts, sandbox_records
from demo.pipeline import (
    DB_PATH,
    OUTPUT,
    REPO,
    SCHEMA,
    STATE_ID,
    STATE_SUFFIX,
    TABLE,
    meltano,
    meltano_env,
    read_table,
    saved_cursor,
)
from demo.record import RESTART, LastRun, digest, mismatch_causes
from demo.sandbox import fetch_truth, sandbox
from peopleai_sandbox import SandboxConfig

UTC = timezone.utc
START_FILE = OUTPUT / "demo-start-date.txt"
MELTANO_LOG = OUTPUT / "demo-meltano.log"
DBT_LOG = OUTPUT / "demo-dbt.log"
SANDBOX_LOG = OUTPUT / "demo-sandbox.log"
LAST_RUN = OUTPUT / "demo-last-run.json"
# How long each wait of the demo takes, as measured (docs/performance.md), for its progress lines.
WAITS = {"sandbox": "1 s", "first": "20 s", "incremental": "10 s", "dbt": "30 s"}


def say(message: str = "") -> None:
    print(message, flush=True)


# --- the demo --------------------------------------------------------------------------------


def _stop(signum: int, _frame: FrameType | None) -> None:
    raise SystemExit(128 + signum)  # unwinds through the sandbox's `finally`


def main() -> int:
    signal.signal(signal.SIGTERM, _stop)
    started = time.monotonic()
    OUTPUT.mkdir(exist_ok=True)
    env = meltano_env()
    port = int(os.environ.get("DEMO_SANDBOX_PORT", "8765"))
    # Set explicitly: Meltano lets .env (e.g. production credentials) override the sandbox
    # environment of the Meltano project, but not the process environment.
    env.update(
        {
            "TAP_PEOPLEAI_API_URL": f"http://127.0.0.1:{port}",
            "TAP_PEOPLEAI_CLIENT_ID": "sandbox-client",
            "TAP_PEOPLEAI_CLIENT_SECRET": "sandbox-secret",
            "TARGET_DUCKDB_FILEPATH": str(DB_PATH),
            "TARGET_DUCKDB_DEFAULT_TARGET_SCHEMA": SCHEMA,
        }
    )
    dotenv = REPO / ".env"
    if dotenv.exists():
        names = re.findall(r"^\s*(?:export\s+)?(TAP_PEOPLEAI_\w+)\s*=", dotenv.read_text(), re.M)
        others = sorted(set(names) - set(env))
        if others:
            say(f"note: .env sets {', '.join(others)}: Meltano applies them to the demo too")
    now = datetime.now(UTC).replace(microsecond=0)

    cursor = saved_cursor(env)
    last = None
    if cursor and DB_PATH.exists() and START_FILE.exists():
        incremental = True
        start = date.fromisoformat(START_FILE.read_text().strip())
        say(f"==> Meltano state found for {STATE_ID}: cursor = {cursor}")
        say(
            f"==> performing an INCREMENTAL (delta) run: exports of activities processed since "
            f"{cursor} (start_date stays {start})"
        )
    else:
        incremental = False
        if cursor:
            say(f"==> state found but {DB_PATH.name} is missing: clearing the state for a full run")
            meltano("state", "clear", "--force", STATE_ID, env=env)
        DB_PATH.unlink(missing_ok=True)
        LAST_RUN.unlink(missing_ok=True)
        days = int(os.environ.get("DEMO_START_DAYS_AGO", "30"))
        start = now.date() - timedelta(days=days)
        START_FILE.write_text(start.isoformat() + "\n")
        say("==> no Meltano state yet: performing the FIRST (snapshot) sync")
        say(
            f"    start_date = {start} ({days} days ago); meetings already scheduled up to a "
            "year ahead are included"
        )
    env["TAP_PEOPLEAI_START_DATE"] = start.isoformat()
    before = read_table(DB_PATH)
    changed_by_others: list[str] = []
    if incremental:
        last = LastRun.load(LAST_RUN)
        changed_by_others = last.changed_by_others(before, cursor) if last else []
        if changed_by_others:
            say(
                f"note: {' and '.join(changed_by_others)} changed since the last `make demo`: "
                "another run wrote into them"
            )

    say(
        f"==> starting the sandbox on 127.0.0.1:{port}, clock frozen at "
        f"{now:%Y-%m-%dT%H:%M:%SZ} (about {WAITS['sandbox']})"
    )
    truth_then = None
    with sandbox(port, now, SANDBOX_LOG) as url:
        if last is not None:
            truth_then = fetch_truth(url, date.fromisoformat(last.start), last.sandbox_now)
        say(
            f"==> meltano run --state-id-suffix={STATE_SUFFIX} tap-peopleai target-duckdb: about "
            f"{WAITS['incremental' if incremental else 'first']}   "
            f"(log: {MELTANO_LOG.relative_to(REPO)})"
        )
        t_run = time.monotonic()
        proc = meltano(
            "run",
            f"--state-id-suffix={STATE_SUFFIX}",
            "tap-peopleai",
            "target-duckdb",
            env=env,
            log=MELTANO_LOG,
        )
        run_seconds = time.monotonic() - t_run
        if proc.returncode != 0:
            tail = MELTANO_LOG.read_text(errors="replace").splitlines()[-40:]
            say("\n".join(tail))
            say(f"FAIL: meltano run exited {proc.returncode} (full log: {MELTANO_LOG})")
            return 1
        truth = fetch_truth(url, start)
    say(f"    done in {run_seconds:.1f} s; sandbox stopped")

    after = read_table(DB_PATH)
    added = sorted(set(after) - set(before))
    updated = [u for u in after if u in before and after[u][2] != before[u][2]]

    say()
    say(f"What landed in {DB_PATH.relative_to(REPO)} (table {SCHEMA}.{TABLE}):")
    by_type: dict[str, int] = {}
    for kind, _ts, _ingest in after.values():
        by_type[kind] = by_type.get(kind, 0) + 1
    for kind in sorted(by_type):
        say(f"    {kind:<8} {by_type[kind]:>8,} rows")
    say(f"    {'total':<8} {len(after):>8,} rows")
    if after:
        # Not `last`: that name holds the record of the last run, which a mismatch reads below.
        earliest = min(v[1] for v in after.values())
        latest = max(v[1] for v in after.values())
        say(
            f"    activity dates {earliest:%Y-%m-%d} .. {latest:%Y-%m-%d} "
            "(future dates: meetings already scheduled)"
        )
    emitted = sum(
        int(m.group(1))
        for m in re.finditer(
            r"metric_name=record_count metric_value=(\d+)", MELTANO_LOG.read_text(errors="replace")
        )
    )
    say(
        f"    this run: the tap emitted {emitted:,} records -> {len(added):,} rows added, "
        f"{len(updated):,} rows updated (upsert on uid)"
    )
    new_cursor = saved_cursor(env)
    say(f"    Meltano state {STATE_ID}: cursor = {new_cursor}")

    missing = set(truth) - set(after)
    extra = set(after) - set(truth)
    stale = [u for u in set(truth) & set(after) if truth[u][2] != after[u][2]]
    say()
    if missing or extra or stale:
        say(
            f"MISMATCH with the sandbox's ground truth ({len(truth):,} activities dated "
            f"{start} or later):"
        )
        say(
            f"    {len(missing)} missing, {len(extra)} unexpected, {len(stale)} with an older "
            "ingest_timestamp"
        )
        for label, uids in (("missing", missing), ("unexpected", extra), ("stale", stale)):
            for uid in sorted(uids)[:5]:
                say(f"    {label}: {uid}")
        for line in mismatch_causes(last, changed_by_others, truth_then):
            say(line)
        return 1
    LastRun(f"{now:%Y-%m-%dT%H:%M:%SZ}", start.isoformat(), new_cursor, digest(after)).save(
        LAST_RUN
    )
    say(
        f"OK: the table equals the sandbox's ground truth: {len(truth):,} activities dated "
        f"{start} or later, each with its latest ingest_timestamp."
    )
    say()
    say(
        f"==> building the dbt models: meltano invoke dbt-duckdb:run, about {WAITS['dbt']}   "
        f"(log: {DBT_LOG.relative_to(REPO)})"
    )
    t_dbt = time.monotonic()
    if not build_models(meltano, env, DBT_LOG):
        say("\n".join(DBT_LOG.read_text(errors="replace").splitlines()[-30:]))
        say(f"FAIL: building the dbt models failed (full log: {DBT_LOG})")
        return 1
    say(f"    models built in {time.monotonic() - t_dbt:.1f} s")
    config = SandboxConfig(now=now)
    if os.environ.get("DEMO_ACTIVITIES_PER_DAY"):
        config = config.replace(activities_per_day=int(os.environ["DEMO_ACTIVITIES_PER_DAY"]))
    records = sandbox_records(config, now, start, {u: v[2] for u, v in truth.items()})
    say()
    if not check_accounts(DB_PATH, records, say):
        return 1
    say(f"Total demo time {time.monotonic() - started:.0f} s.")
    if incremental:
        say("Each `make demo` from now on is another incremental run; " + RESTART)
    else:
        say("Run `make demo` again for an incremental run.")
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        sys.exit(130)
