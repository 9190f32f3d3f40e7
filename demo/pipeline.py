"""The demo's pipeline: `meltano` in the repository, the demo's Meltano state, its DuckDB table."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import datetime
from pathlib import Path

import duckdb

from peopleai_sandbox.checks import to_utc

REPO = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
OUTPUT = REPO / "output"
DB_PATH = OUTPUT / "demo.duckdb"
STATE_SUFFIX = "demo"
STATE_ID = f"sandbox:tap-peopleai-to-target-duckdb:{STATE_SUFFIX}"
SCHEMA, TABLE = "peopleai", "activities"


def meltano_env() -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        {
            "MELTANO_CLI_DISABLE_VERSION_CHECK": "true",
            "MELTANO_SEND_ANONYMOUS_USAGE_STATS": "false",
            "MELTANO_ENVIRONMENT": "sandbox",
            "PATH": f"{BIN}{os.pathsep}{env.get('PATH', '')}",
        }
    )
    return env


def meltano(
    *args: str, env: dict[str, str], log: Path | None = None
) -> subprocess.CompletedProcess[str]:
    cmd = [str(BIN / "meltano"), *args]
    if log is None:
        return subprocess.run(cmd, cwd=REPO, env=env, capture_output=True, text=True, check=False)
    with log.open("w") as out:
        proc = subprocess.run(
            cmd, cwd=REPO, env=env, stdout=out, stderr=subprocess.STDOUT, text=True, check=False
        )
    return subprocess.CompletedProcess(cmd, proc.returncode, "", "")


def saved_cursor(env: dict[str, str]) -> str | None:
    """The tap's cursor in Meltano's state for the demo pipeline, or None before the first run."""
    proc = meltano("state", "get", STATE_ID, env=env)
    text = proc.stdout.strip()
    if proc.returncode != 0 or "{" not in text:
        return None
    try:
        state = json.loads(text[text.index("{") :])
    except json.JSONDecodeError:
        return None
    bookmark = state.get("singer_state", {}).get("bookmarks", {}).get("activities", {})
    cursor = bookmark.get("cursor")
    return str(cursor) if cursor else None


def read_table(path: Path) -> dict[str, tuple[str, datetime, datetime]]:
    """uid -> (type, activity timestamp, ingest_timestamp) of every row in the demo table."""
    if not path.exists():
        return {}
    con = duckdb.connect(str(path), read_only=True)
    try:
        columns = dict(
            con.execute(
                "select column_name, data_type from information_schema.columns "
                "where table_schema = ? and table_name = ?",
                [SCHEMA, TABLE],
            ).fetchall()
        )
        if not columns:
            return {}

        def ts(column: str) -> str:
            if str(columns[column]).upper().startswith("TIMESTAMP"):
                return f'epoch_us("{column}")'
            return f'CAST("{column}" AS VARCHAR)'

        rows = con.execute(
            f'select uid, "type", {ts("timestamp")}, {ts("ingest_timestamp")} '  # noqa: S608
            f"from {SCHEMA}.{TABLE}"
        ).fetchall()
    finally:
        con.close()
    table: dict[str, tuple[str, datetime, datetime]] = {}
    duplicates = 0
    for uid, kind, timestamp, ingest in rows:
        if uid in table:
            duplicates += 1
        table[uid] = (kind, to_utc(timestamp), to_utc(ingest))
    if duplicates:
        raise SystemExit(f"FAIL: {duplicates} duplicate uids in {path} (the load must upsert)")
    return table
