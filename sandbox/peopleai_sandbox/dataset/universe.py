"""The deterministic activity universe: which activities exist, their versions, and their records.

Activities are first processed in index order (see ``skeletons``), so the activities first
processed in any interval form an index range computable without scanning the universe. Every
time is kept as integer microseconds since the Unix epoch; a skeleton (type, version times,
activity times) is cheap to compute and decides selection, while the full record is generated
only when rendered. Everything derives from ``seed`` and the index: nothing is stored.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import lru_cache
from typing import Any

import orjson

from peopleai_sandbox.dataset.drift import apply_type_drift
from peopleai_sandbox.dataset.extras import add_extra_fields
from peopleai_sandbox.dataset.records import FastRandom, build_record, mix
from peopleai_sandbox.dataset.skeletons import (
    TS_AFTER_FIRST_INGEST_MAX_US,
    TS_BEFORE_FIRST_INGEST_MAX_US,
    VERSION_SPAN_MAX_US,
    Skeleton,
    UniverseParams,
    may_be_dated_after_first_ingest,
    may_be_reprocessed,
    skeleton_of,
)
from peopleai_sandbox.settings.config import SandboxConfig
from peopleai_sandbox.times import DAY_US, day_start_us, from_us, rendered_us, to_us

__all__ = ["ActivityUniverse", "Skeleton", "TruthRow"]

ACTIVITY_TYPES = ("email", "meeting", "call")
_STYLES_OF_MIXED = ("z", "naive", "fractional")


@dataclass(frozen=True)
class TruthRow:
    """One activity as a correct client sees it: its latest version and its parsed times (UTC)."""

    uid: str
    version: int
    type: str
    timestamp: datetime
    ingest_timestamp: datetime


class ActivityUniverse:
    """All activities of one seed: selection by processing or activity date, and their records."""

    def __init__(
        self,
        seed: int,
        epoch: datetime,
        activities_per_day: int,
        reprocess_rate: float,
        scheduled_meeting_rate: float,
        timestamp_style: str = "z",
        *,
        extra_fields: bool = False,
        late_fields_after_days: int = 45,
        type_drift: bool = False,
    ) -> None:
        self.seed = seed
        self.epoch_us = to_us(epoch)
        self.activities_per_day = activities_per_day
        self.reprocess_rate = reprocess_rate
        self.scheduled_meeting_rate = scheduled_meeting_rate
        self.timestamp_style = timestamp_style
        self.extra_fields = extra_fields
        self.late_fields_from_us = self.epoch_us + late_fields_after_days * DAY_US
        self.type_drift = type_drift
        self._params = UniverseParams(
            seed, self.epoch_us, activities_per_day, reprocess_rate, scheduled_meeting_rate
        )

    @classmethod
    def from_config(cls, config: SandboxConfig) -> ActivityUniverse:
        """The universe a sandbox configuration describes, with its record variants."""
        variants = config.variants
        return cls(
            config.seed,
            config.epoch,
            config.activities_per_day,
            config.reprocess_rate,
            config.scheduled_meeting_rate,
            variants.timestamp_style,
            extra_fields=variants.extra_fields,
            late_fields_after_days=variants.late_fields_after_days,
            type_drift=variants.type_drift,
        )

    def skeleton(self, index: int) -> Skeleton:
        """The selection-relevant facts of activity ``index`` (cached across sandboxes)."""
        return skeleton_of(self._params, index)

    # --- selection ---------------------------------------------------------------------------
    def _index_floor(self, moment_us: int) -> int:
        """Largest index whose slot starts at or before ``moment_us`` (may be negative)."""
        return ((moment_us - self.epoch_us) * self.activities_per_day) // DAY_US

    def indexes_first_ingested(self, lo_us: int, hi_us: int) -> range:
        """Indexes that may have their first ingest in ``[lo_us, hi_us]`` (a slightly wide range).

        Quantising times to milliseconds can move an activity below its slot by under 1 ms, so
        the range is widened by two on each side; callers check the exact times.
        """
        first = max(0, self._index_floor(lo_us) - 2)
        last = self._index_floor(hi_us) + 2
        return range(first, max(first, last + 1))

    def existing_count(self, as_of_us: int) -> int:
        """How many activities exist (first ingest at or before ``as_of_us``)."""
        candidates = self.indexes_first_ingested(as_of_us, as_of_us)
        count = candidates.start
        for index in candidates:
            if self.skeleton(index).ingests[0] <= as_of_us:
                count = index + 1
        return count

    def select_existing(
        self,
        as_of_us: int,
        activity_from: date | None = None,
        activity_to: date | None = None,
        activity_type: str = "all",
    ) -> Iterator[tuple[int, int]]:
        """Yield ``(index, latest version)`` of existing activities, filtered by activity date."""
        if activity_type != "all" and activity_type not in ACTIVITY_TYPES:
            raise ValueError(f"unknown activity_type {activity_type!r}")
        lo_us = day_start_us(activity_from) if activity_from else None
        hi_us = day_start_us(activity_to + timedelta(days=1)) if activity_to else None
        scan_lo = 0 if lo_us is None else lo_us - TS_AFTER_FIRST_INGEST_MAX_US
        scan_hi = (
            as_of_us if hi_us is None else min(as_of_us, hi_us + TS_BEFORE_FIRST_INGEST_MAX_US)
        )
        # activities surely first ingested before the window can only reach into it if dated
        # after their first ingest: skip the others with a cheap check
        surely_before = -1 if lo_us is None else self._index_floor(lo_us) - 2
        for index in self.indexes_first_ingested(scan_lo, scan_hi):
            if index < surely_before and not may_be_dated_after_first_ingest(self._params, index):
                continue
            skeleton = self.skeleton(index)
            if activity_type not in ("all", skeleton.activity_type):
                continue
            version = skeleton.latest_version_at(as_of_us)
            if version == 0:
                continue
            activity_us = skeleton.timestamps[version - 1]
            if lo_us is not None and activity_us < lo_us:
                continue
            if hi_us is not None and activity_us >= hi_us:
                continue
            yield index, version

    def select_snapshot(
        self, start: date, end: date, activity_type: str, as_of_us: int
    ) -> Iterator[tuple[int, int]]:
        """Yield what a snapshot export returns: activity date in [start, end], latest content."""
        return self.select_existing(as_of_us, start, end, activity_type)

    def select_delta(
        self, start: date, end: date, activity_type: str, as_of_us: int
    ) -> Iterator[tuple[int, int]]:
        """Yield what a delta export returns: the latest version processed in ``[start, end]``."""
        lo_us = day_start_us(start)
        hi_us = day_start_us(end + timedelta(days=1))
        scan_hi = min(as_of_us, hi_us)
        surely_before = self._index_floor(lo_us) - 2
        for index in self.indexes_first_ingested(lo_us - VERSION_SPAN_MAX_US, scan_hi):
            # first ingested before the window: only a later version can fall into it
            if index < surely_before and not may_be_reprocessed(self._params, index):
                continue
            skeleton = self.skeleton(index)
            if activity_type not in ("all", skeleton.activity_type):
                continue
            chosen = 0
            for number, ingest in enumerate(skeleton.ingests, start=1):
                if lo_us <= ingest < hi_us and ingest <= as_of_us:
                    chosen = number
            if chosen:
                yield index, chosen

    # --- records -----------------------------------------------------------------------------
    def uid(self, index: int) -> str:
        """The opaque, stable primary key of activity ``index``."""
        return uid_of(self.seed, index)

    def style_of(self, index: int, version: int) -> str:
        """Timestamp style of one record (only ``mixed`` makes it vary)."""
        if self.timestamp_style != "mixed":
            return self.timestamp_style
        return _STYLES_OF_MIXED[(index * 7919 + version * 31 + self.seed) % 3]

    def truth_row(self, index: int, version: int) -> TruthRow:
        """The ground-truth row of ``(index, version)`` as a correct client parses it."""
        skeleton = self.skeleton(index)
        style = self.style_of(index, version)
        return TruthRow(
            uid=self.uid(index),
            version=version,
            type=skeleton.activity_type,
            timestamp=from_us(rendered_us(skeleton.timestamps[version - 1], style)),
            ingest_timestamp=from_us(rendered_us(skeleton.ingests[version - 1], style)),
        )

    def record_json(self, index: int, version: int) -> bytes:
        """One export line (without the line ending)."""
        return orjson.dumps(self.record(index, version))

    def record(self, index: int, version: int, *, type_drift: bool | None = None) -> dict[str, Any]:
        """The full export record of version ``version`` of activity ``index``.

        With the variants on, it carries the undocumented fields and the drifted values;
        ``type_drift=False`` gives it with the documented types instead (what the drifted
        values stand for).
        """
        skeleton = self.skeleton(index)
        style = self.style_of(index, version)
        record = build_record(self.seed, skeleton, self.uid(index), version, style)
        if self.extra_fields:
            late = skeleton.ingests[version - 1] >= self.late_fields_from_us
            add_extra_fields(record, FastRandom(mix(self.seed, index, 4, version)), late)
        if self.type_drift if type_drift is None else type_drift:
            apply_type_drift(record, FastRandom(mix(self.seed, index, 5)), skeleton.ingests[0])
        return record

    def participant_ids(self, index: int) -> frozenset[str]:
        """``peopleai_id`` (as text) of everyone taking part in any version of the activity.

        Re-processing only adds participants, so the latest version lists them all.
        """
        return _participant_ids(self._params, index)


def uid_of(seed: int, index: int) -> str:
    """The opaque, stable primary key of activity ``index`` of a seed's universe."""
    return hashlib.blake2b(f"{seed}:{index}".encode(), digest_size=12).hexdigest()


@lru_cache(maxsize=200_000)
def _participant_ids(params: UniverseParams, index: int) -> frozenset[str]:
    skeleton = skeleton_of(params, index)
    latest = build_record(
        params.seed, skeleton, uid_of(params.seed, index), len(skeleton.ingests), "z"
    )
    return frozenset(str(person["peopleai_id"]) for person in latest["participants"])
