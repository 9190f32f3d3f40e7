"""The demo's last step: build the dbt models, show the ten most active accounts, check them.

`make demo` calls `build_and_check` after the load: `meltano invoke dbt-duckdb:run` builds the
models in output/demo.duckdb, the mart peopleai__accounts gives the accounts with the most
activities in the last 30 days, and the same counts are computed here, independently, from the
sandbox's own records (the activities its ground truth lists, each rendered as the API served
it). Any difference, for any account, fails the demo.
"""

from __future__ import annotations

import subprocess
from collections import Counter
from collections.abc import Callable
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import duckdb

from peopleai_sandbox import SandboxConfig
from peopleai_sandbox.checks import to_utc
from peopleai_sandbox.dataset.universe import ActivityUniverse

ANALYTICS = "peopleai_analytics"
SHOWN = 10


def sandbox_records(
    config: SandboxConfig, now: datetime, start: date, truth: dict[str, datetime]
) -> dict[str, dict[str, Any]]:
    """uid -> full record of every activity of the sandbox's truth (uid -> ingest time) at `now`.

    The records are rendered here from the sandbox's deterministic universe (same settings as
    the server), and must be exactly the truth's activities at the truth's versions.
    """
    universe = ActivityUniverse.from_config(config)
    as_of_us = (now - datetime(1970, 1, 1, tzinfo=timezone.utc)) // timedelta(microseconds=1)
    records = {}
    for index, version in universe.select_existing(as_of_us, start):
        record = universe.record(index, version)
        records[record["uid"]] = record
    rendered = {uid: to_utc(record["ingest_timestamp"]) for uid, record in records.items()}
    if rendered != truth:
        raise SystemExit(
            f"FAIL: the sandbox's truth lists {len(truth)} activities, {len(rendered)} were "
            "rendered here, or their versions differ: the demo's sandbox settings differ from "
            "the server's"
        )
    return records


def accounts_last_30_days(records: dict[str, dict[str, Any]]) -> tuple[date, Counter[str]]:
    """Activities per CRM account dated in the 30 days up to the newest ingest date (UTC)."""
    as_of = max(to_utc(r["ingest_timestamp"]) for r in records.values()).date()
    counts: Counter[str] = Counter()
    for record in records.values():
        day = to_utc(record["timestamp"]).date()
        crm = record.get("crm_status") or {}
        account = (crm.get("account") or {}).get("crm_id") or (
            ((crm.get("opportunity") or {}).get("account") or {}).get("crm_id")
        )
        if account and as_of - timedelta(days=29) <= day <= as_of:
            counts[account] += 1
    return as_of, counts


def mart_accounts(db_path: Path) -> list[tuple[str, str, int, int, str, str]]:
    """(account, name, last 30 days, last 90 days, first, last touch) per account, busiest first."""
    con = duckdb.connect(str(db_path), read_only=True)
    try:
        rows = con.execute(
            "select account_crm_id, account_name, activities_last_30_days, "
            "activities_last_90_days, strftime(first_touch_at at time zone 'UTC', '%Y-%m-%d'), "
            "strftime(last_touch_at at time zone 'UTC', '%Y-%m-%d') "
            "from peopleai_analytics.peopleai__accounts "
            "order by activities_last_30_days desc, account_crm_id"
        ).fetchall()
    finally:
        con.close()
    return [(str(a), str(n), int(c), int(d), str(f), str(t)) for a, n, c, d, f, t in rows]


def check_accounts(
    db_path: Path, records: dict[str, dict[str, Any]], say: Callable[[str], None]
) -> bool:
    """Print the ten most active accounts; True when every account's count equals the truth."""
    as_of, expected = accounts_last_30_days(records)
    loaded = mart_accounts(db_path)
    say(f"The {SHOWN} most active accounts of the last 30 days (up to {as_of}), from the mart")
    say(f"{ANALYTICS}.peopleai__accounts:")
    say(f"    {'account':<26} {'last 30 days':>12} {'last 90 days':>12}  first touch  last touch")
    for _account, name, count, count_90, first, last in loaded[:SHOWN]:
        say(f"    {name[:26]:<26} {count:>12,} {count_90:>12,}  {first:<11}  {last}")
    got = {account: count for account, _n, count, *_ in loaded if count}
    if got != dict(expected):
        differ = sorted(set(got) ^ set(expected) | {a for a in got if got[a] != expected[a]})
        say(f"MISMATCH: {len(differ)} accounts' 30-day counts differ from the sandbox's records:")
        for account in differ[:5]:
            say(f"    {account}: mart {got.get(account, 0)}, sandbox {expected.get(account, 0)}")
        return False
    say(
        f"OK: every account's 30-day count ({len(expected)} accounts, {sum(expected.values()):,} "
        "activities) equals the figure computed from the sandbox's records."
    )
    return True


def build_models(
    meltano: Callable[..., subprocess.CompletedProcess[str]], env: dict[str, str], log: Path
) -> bool:
    """`meltano invoke dbt-duckdb:run`, its output to `log`; True on success."""
    proc = meltano("invoke", "dbt-duckdb:run", env=env, log=log)
    return proc.returncode == 0
