"""Comparing what was extracted or loaded with the sandbox's ground truth.

One comparison (``compare``) serves every level: records downloaded from the API
(``observed_rows`` against ``truth_rows``), a miniature upserting target fed with the tap's
messages (``Warehouse``) and the rows a real loader wrote (``warehouse_rows`` against
``latest_versions``).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from peopleai_sandbox import TruthRow

from .times import parse_emitted, to_utc

Row = tuple[Any, ...]  # (uid, value, ...): what is compared of one activity


def latest_versions(truth: dict[str, Any]) -> dict[str, tuple[str, datetime]]:
    """uid -> (type, latest ingest_timestamp) from ``backend.ground_truth(...)``."""
    return {uid: (row.type, to_utc(row.ingest_timestamp)) for uid, row in truth.items()}


def truth_rows(truth: dict[str, TruthRow]) -> dict[str, tuple[str, datetime, datetime]]:
    """uid -> (type, timestamp, ingest_timestamp) of ground truth rows."""
    return {uid: (row.type, row.timestamp, row.ingest_timestamp) for uid, row in truth.items()}


def observed_rows(records: list[dict[str, Any]]) -> dict[str, tuple[str, datetime, datetime]]:
    """uid -> (type, timestamp, ingest_timestamp) of records downloaded from the API."""
    rows = {
        record["uid"]: (
            record["type"],
            to_utc(record["timestamp"]),
            to_utc(record["ingest_timestamp"]),
        )
        for record in records
    }
    assert len(rows) == len(records), "a uid appears twice in one export"
    return rows


def compare(rows: Iterable[Row], truth: dict[str, tuple[Any, ...]]) -> str:
    """Differences between rows ``(uid, *values)`` and the truth, readable ('' when equal)."""
    problems = []
    seen: dict[str, tuple[Any, ...]] = {}
    duplicates = []
    for uid, *values in rows:
        if uid in seen:
            duplicates.append(uid)
        seen[uid] = tuple(values)
    if duplicates:
        problems.append(f"{len(duplicates)} duplicate uids, e.g. {sorted(duplicates)[:3]}")
    missing = sorted(set(truth) - set(seen))
    extra = sorted(set(seen) - set(truth))
    if missing:
        problems.append(f"{len(missing)} uids missing, e.g. {missing[:3]}")
    if extra:
        problems.append(f"{len(extra)} unexpected uids, e.g. {extra[:3]}")
    differ = sorted(u for u in set(truth) & set(seen) if truth[u] != seen[u])
    if differ:
        examples = [f"{u}: loaded {seen[u]} != truth {truth[u]}" for u in differ[:3]]
        problems.append(f"{len(differ)} rows differ from the latest version: {examples}")
    return "; ".join(problems)


@dataclass
class Warehouse:
    """An upserting target in miniature: the latest version of each uid across runs."""

    rows: dict[str, dict[str, Any]] = field(default_factory=dict)
    received: int = 0

    def load(self, result: Any) -> None:
        """Load the RECORD messages of a run (anything with ``messages``)."""
        self.load_messages(result.messages)

    def load_messages(self, messages: list[dict[str, Any]]) -> None:
        records = [m["record"] for m in messages if m["type"] == "RECORD"]
        for record in records:
            self.received += 1
            current = self.rows.get(record["uid"])
            if current is None or parse_emitted(record["ingest_timestamp"]) >= parse_emitted(
                current["ingest_timestamp"]
            ):
                self.rows[record["uid"]] = record

    def assert_equals(self, truth: dict[str, TruthRow]) -> None:
        """Every activity of the truth, none else, each at its latest version and type."""
        loaded = [
            (uid, row["type"], parse_emitted(row["ingest_timestamp"]))
            for uid, row in self.rows.items()
        ]
        problems = compare(loaded, latest_versions(truth))
        assert not problems, problems
