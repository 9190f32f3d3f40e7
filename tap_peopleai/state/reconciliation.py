"""Reconciliation: a re-export of the whole history that lets loaders drop what People.ai erased.

The export API has no delete feed, so a reconciliation run exports every activity dated from
``start_date`` through ``today + RECONCILE_HORIZON`` (snapshot windows), then a delta over what
was processed meanwhile, and declares version ``V`` (its start, in ms) complete: every row whose
version is below ``V`` was not returned, so it was erased. Loaders that honour ACTIVATE_VERSION
(target-postgres) mark those rows in ``_sdc_deleted_at``; for the others, each row carries its
version in the ``sync_version`` column and each completed reconciliation is a row of the
``reconciliations`` stream.

An activity dated beyond a reconciliation's reach must not look erased, so a row's version is
``max(sync start, activity time - RECONCILE_HORIZON)``: later than every reconciliation that
cannot see it, earlier than every one that can.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from tap_peopleai.errors import StateError
from tap_peopleai.state.entries import parse_date

RECONCILE_HORIZON = dt.timedelta(days=365)
_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.timezone.utc)


def epoch_ms(moment: dt.datetime) -> int:
    """Milliseconds since the Unix epoch."""
    return (moment - _EPOCH) // dt.timedelta(milliseconds=1)


class RowVersions:
    """The ``sync_version`` of each record emitted by one sync (see the module docstring)."""

    def __init__(self, sync_started: dt.datetime) -> None:
        self.base = epoch_ms(sync_started)
        # Records dated up to here get the base version; RFC 3339 UTC strings compare in order.
        self.cutoff = (sync_started + RECONCILE_HORIZON).strftime("%Y-%m-%dT%H:%M:%SZ")

    def of(self, timestamp: str | None) -> int:
        """The version of a record whose (normalised) activity time is ``timestamp``."""
        if not timestamp or timestamp <= self.cutoff:
            return self.base
        moment = dt.datetime.fromisoformat(timestamp.replace("Z", "+00:00"))
        return epoch_ms(moment - RECONCILE_HORIZON)


@dataclass
class ReconciliationProgress:
    """A reconciliation under way: its version, and whether its last window is done."""

    version: int
    started_at: str
    planned_on: dt.date
    done: bool = False

    @classmethod
    def start(cls, now: dt.datetime, today: dt.date) -> ReconciliationProgress:
        """A new reconciliation starting now."""
        started = now.astimezone(dt.timezone.utc)
        return cls(epoch_ms(started), started.strftime("%Y-%m-%dT%H:%M:%S.%fZ"), today)

    @property
    def sync_started(self) -> dt.datetime:
        """The reconciliation's start: the base of every row version it emits."""
        return _EPOCH + dt.timedelta(milliseconds=self.version)

    def to_state(self) -> dict[str, Any]:
        """Serialisable form for the state message."""
        return {
            "version": self.version,
            "started_at": self.started_at,
            "planned_on": self.planned_on.isoformat(),
            "done": self.done,
        }

    @classmethod
    def from_state(cls, entry: Any) -> ReconciliationProgress:
        """Rebuild from a state entry written by ``to_state``."""
        where = "bookmarks.activities.reconciliation"
        if not isinstance(entry, dict):
            raise StateError(where, f"expected an object, got {entry!r:.80}")
        version = entry.get("version")
        if isinstance(version, bool) or not isinstance(version, int) or version <= 0:
            raise StateError(f"{where}.version", f"expected a positive integer, got {version!r}")
        planned_on = parse_date(entry.get("planned_on"), f"{where}.planned_on")
        done = entry.get("done", False)
        return cls(version, str(entry.get("started_at", "")), planned_on, done is True)

    def record(self, completed: dt.datetime, first: dt.date, last: dt.date) -> dict[str, Any]:
        """The row of the ``reconciliations`` stream for this reconciliation, once done."""
        return {
            "reconciliation_id": str(self.version),
            "version": self.version,
            "started_at": self.started_at,
            "completed_at": completed.astimezone(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
            "first_activity_date": first.isoformat(),
            "last_activity_date": last.isoformat(),
        }
