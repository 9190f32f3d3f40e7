"""What the last successful `make demo` left, so that the next one can tell why a table differs.

After a run whose table equals the sandbox's ground truth, the demo writes
output/demo-last-run.json: the sandbox's frozen clock of that run, the start date, the demo's
state cursor, and a digest of the table (each row's uid and ingest_timestamp, which then equal
the truth's). The next run compares what it finds with that record:

- another digest of the table, or another cursor: a run other than `make demo` wrote into the
  demo's table or its Meltano state since (e.g. `meltano run` with TARGET_DUCKDB_FILEPATH or
  `--state-id-suffix=demo` pointed at them);
- another digest of the truth at the recorded clock: the sandbox's data changed (its code, or
  DEMO_ACTIVITIES_PER_DAY);
- neither: the tap or the loader lost or altered data, a bug.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from datetime import datetime
from pathlib import Path

Rows = Mapping[str, tuple[str, datetime, datetime]]  # uid -> (type, timestamp, ingest_timestamp)


def digest(rows: Rows) -> str:
    """A digest of which activities a table (or a truth) holds, each at which version."""
    lines = sorted(f"{uid}|{ingest.isoformat()}" for uid, (_t, _ts, ingest) in rows.items())
    return hashlib.sha256("\n".join(lines).encode()).hexdigest()


@dataclass(frozen=True)
class LastRun:
    """The record of the last demo run whose table equalled the truth."""

    sandbox_now: str
    start: str
    cursor: str | None
    digest: str

    def save(self, path: Path) -> None:
        path.write_text(json.dumps(asdict(self), indent=2) + "\n")

    @classmethod
    def load(cls, path: Path) -> LastRun | None:
        """The record, or None when there is none (or it cannot be read: then nothing is known)."""
        try:
            data = json.loads(path.read_text())
            return cls(
                str(data["sandbox_now"]), str(data["start"]), data["cursor"], str(data["digest"])
            )
        except (OSError, ValueError, KeyError, TypeError):
            return None

    def changed_by_others(self, table: Rows, cursor: str | None) -> list[str]:
        """What differs from how the last demo left its table and state (empty: nothing)."""
        changes = []
        if digest(table) != self.digest:
            changes.append("the table output/demo.duckdb")
        if cursor != self.cursor:
            changes.append(f"the demo's Meltano state (cursor {self.cursor} -> {cursor})")
        return changes


RESTART = "`rm output/demo.duckdb && make demo` starts afresh (the demo then clears its state)."


def mismatch_causes(
    last: LastRun | None, changed_by_others: list[str], truth_then: Rows | None
) -> list[str]:
    """The lines that explain a mismatch, most likely cause first."""
    if changed_by_others:
        return [
            f"Cause: {' and '.join(changed_by_others)} changed since the last `make demo`: another",
            "run wrote into the demo's table or state. " + RESTART,
        ]
    if last is not None and truth_then is not None and digest(truth_then) != last.digest:
        return [
            f"Cause: the sandbox's data changed since the last `make demo` (at {last.sandbox_now}",
            "it now serves other activities: its code or DEMO_ACTIVITIES_PER_DAY changed). "
            + RESTART,
        ]
    return [
        "Nothing else wrote into the demo's table or state, and the sandbox's data is unchanged:",
        "the tap or the loader lost or altered data. That is a bug; the log is",
        "output/demo-meltano.log.",
    ]
