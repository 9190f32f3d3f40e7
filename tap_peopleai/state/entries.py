"""The entries of the stream's bookmark, read strictly: a job in flight, an unfinished snapshot.

A state the tap cannot read stops the sync with one line naming the key (`StateError`), never a
traceback. What the whole bookmark holds, and how a sync plans and moves on from it, is in
progress.py.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from tap_peopleai.errors import StateError
from tap_peopleai.settings.literals import iso_date
from tap_peopleai.state.windows import ExportWindow


def parse_date(value: Any, key: str) -> dt.date:
    """A date in the state; raises StateError naming ``key`` if it is not one."""
    day = iso_date(value) if isinstance(value, str) else None
    if day is None:
        raise StateError(key, f"{str(value)!r} is not a date (YYYY-MM-DD)")
    return day


def _object(value: Any, key: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise StateError(key, f"expected an object, got {value!r:.80}")
    return value


def check_state_shape(state: Any) -> None:
    """Stop early, with one clear line, on a state the SDK itself could not read."""
    if state in (None, {}):
        return
    bookmarks = _object(state, "the top level").get("bookmarks", {})
    _object(_object(bookmarks, "bookmarks").get("activities", {}), "bookmarks.activities")


@dataclass
class JobInFlight:
    """An export job this sync relies on, and how many of its fragments were emitted."""

    window: ExportWindow
    activity_type: str
    job_id: str
    fragments_emitted: int = 0
    # What the emitted fragments held, decoded and on the wire: with the rest, it must reach
    # the job's results_size (a state without them counts 0 and the check asks for the job anew).
    bytes_decoded: int = 0
    bytes_on_wire: int = 0

    def fragment_emitted(self, index: int, decoded_bytes: int, wire_bytes: int) -> None:
        """Fragment ``index`` was emitted whole: a resumed sync starts after it."""
        self.fragments_emitted = index + 1
        self.bytes_decoded += decoded_bytes
        self.bytes_on_wire += wire_bytes

    def to_state(self) -> dict[str, Any]:
        """Serialisable form for the state message."""
        return {
            "export_type": self.window.export_type,
            "start_date": self.window.start.isoformat(),
            "end_date": self.window.end.isoformat(),
            "activity_type": self.activity_type,
            "job_id": self.job_id,
            "fragments_emitted": self.fragments_emitted,
            "bytes_decoded": self.bytes_decoded,
            "bytes_on_wire": self.bytes_on_wire,
        }

    @classmethod
    def from_state(cls, entry: Any) -> JobInFlight:
        """Rebuild from a state entry written by ``to_state``."""
        where = "bookmarks.activities.jobs[]"
        entry = _object(entry, where)
        missing = [k for k in ("export_type", "start_date", "end_date", "job_id") if k not in entry]
        if missing:
            raise StateError(where, f"a job lacks {', '.join(missing)}")
        if entry["export_type"] not in ("snapshot", "delta"):
            raise StateError(where, f"unknown export_type {entry['export_type']!r}")
        counts = {
            key: entry.get(key, 0)
            for key in ("fragments_emitted", "bytes_decoded", "bytes_on_wire")
        }
        for key, count in counts.items():
            if isinstance(count, bool) or not isinstance(count, int) or count < 0:
                raise StateError(where, f"{key} must be a whole number, got {count!r}")
        start = parse_date(entry["start_date"], f"{where}.start_date")
        end = parse_date(entry["end_date"], f"{where}.end_date")
        if end < start:
            raise StateError(where, f"end_date {end} is before start_date {start}")
        return cls(
            window=ExportWindow(entry["export_type"], start, end),
            activity_type=str(entry.get("activity_type", "all")),
            job_id=str(entry["job_id"]),
            **counts,
        )


@dataclass
class SnapshotProgress:
    """A sequence of snapshot windows under way: the first sync, or a bounded backfill."""

    # "initial" hands over to the delta cursor; "backfill" leaves the cursor alone; "reconcile"
    # is followed by a delta window over what was processed while it ran.
    kind: str
    planned_on: dt.date
    next_start: dt.date
    last: dt.date

    def to_state(self) -> dict[str, str]:
        """Serialisable form for the state message."""
        return {
            "kind": self.kind,
            "planned_on": self.planned_on.isoformat(),
            "next_start": self.next_start.isoformat(),
            "last": self.last.isoformat(),
        }

    @classmethod
    def from_state(cls, entry: Any) -> SnapshotProgress:
        """Rebuild from a state entry written by ``to_state``."""
        where = "bookmarks.activities.snapshot"
        entry = _object(entry, where)
        kind = entry.get("kind", "initial")
        if kind not in ("initial", "backfill", "reconcile"):
            raise StateError(
                f"{where}.kind", f"expected initial, backfill or reconcile, got {kind!r}"
            )
        return cls(
            kind=kind,
            planned_on=parse_date(entry.get("planned_on"), f"{where}.planned_on"),
            next_start=parse_date(entry.get("next_start"), f"{where}.next_start"),
            last=parse_date(entry.get("last"), f"{where}.last"),
        )
