"""Skeletons: the selection-relevant facts of each activity, drawn from the seed and its index.

Activity ``i`` (``i = 0, 1, 2, …``) is first processed at ``epoch + i * spacing + jitter`` with
``0 <= jitter < spacing`` and ``spacing = 1 day / activities_per_day``. Its type, version times
and activity times come from a keyed hash of (seed, epoch, index): cheap to compute, nothing
stored, one cache shared by every sandbox of the process.
"""

from __future__ import annotations

import hashlib
import struct
from dataclasses import dataclass
from functools import lru_cache
from typing import NamedTuple

from peopleai_sandbox.times import DAY_US, HOUR_US, SECOND_US

# Bounds of how far an activity's times can lie from its first ingest time; selection scans the
# index range these bounds allow, so they must hold for every generated activity.
TS_BEFORE_FIRST_INGEST_MAX_US = 8 * DAY_US
TS_AFTER_FIRST_INGEST_MAX_US = 46 * DAY_US
VERSION_SPAN_MAX_US = 41 * DAY_US


@dataclass(slots=True, eq=False)
class Skeleton:
    """The selection-relevant facts of one activity: type, and per version its two times."""

    # Slots: a large universe caches hundreds of thousands of these.
    index: int
    activity_type: str
    ingests: list[int]
    timestamps: list[int]
    logged_call: bool
    scheduled: bool

    def latest_version_at(self, as_of_us: int) -> int:
        """Return the newest version (1-based) ingested at or before ``as_of_us``, or 0."""
        version = 0
        for number, ingest in enumerate(self.ingests, start=1):
            if ingest <= as_of_us:
                version = number
        return version


class UniverseParams(NamedTuple):
    seed: int
    epoch_us: int
    activities_per_day: int
    reprocess_rate: float
    scheduled_meeting_rate: float


class _Draws:
    """Uniform draws from a keyed hash: far cheaper to start than a ``random.Random``."""

    __slots__ = ("_block", "_key", "_position", "_values")

    def __init__(self, key: bytes) -> None:
        self._key = key
        self._block = 0
        self._values: tuple[int, ...] = ()
        self._position = 0

    def unit(self) -> float:
        """A draw in [0, 1)."""
        if self._position >= len(self._values):
            digest = hashlib.blake2b(self._key + bytes((self._block,)), digest_size=64).digest()
            self._block += 1
            self._values = struct.unpack("<8Q", digest)
            self._position = 0
        value = self._values[self._position]
        self._position += 1
        return value / 18_446_744_073_709_551_616

    def between(self, low: int, high: int) -> int:
        """An integer draw in [low, high)."""
        return low + int(self.unit() * (high - low))


def _slot_start_us(params: UniverseParams, index: int) -> int:
    return params.epoch_us + (index * DAY_US) // params.activities_per_day


def _shape_activity_time(value: int, activity_type: str, logged: bool, quantum: int) -> int:
    if activity_type == "meeting":
        return value - value % (15 * 60 * SECOND_US)
    if logged:
        return value - value % DAY_US
    return value - value % quantum


_UNIT = 1 / 18_446_744_073_709_551_616


def _head(params: UniverseParams, index: int) -> tuple[int, ...]:
    """The first eight draws of an activity, each with a fixed meaning (see ``_skeleton``), so
    cheap filters can read one of them without building the skeleton."""
    key = struct.pack("<qqq", params.seed, params.epoch_us, index)
    return struct.unpack("<8Q", hashlib.blake2b(key, digest_size=64).digest())


def _type_of(draw: int) -> str:
    unit = draw * _UNIT
    return "email" if unit < 0.5 else "meeting" if unit < 0.8 else "call"


def may_be_reprocessed(params: UniverseParams, index: int) -> bool:
    return _head(params, index)[6] * _UNIT < params.reprocess_rate


def may_be_dated_after_first_ingest(params: UniverseParams, index: int) -> bool:
    """Only meetings that are scheduled or re-processed (maybe rescheduled) can be."""
    head = _head(params, index)
    return _type_of(head[0]) == "meeting" and (
        head[4] * _UNIT < params.scheduled_meeting_rate or head[6] * _UNIT < params.reprocess_rate
    )


@lru_cache(maxsize=200_000)
def skeleton_of(params: UniverseParams, index: int) -> Skeleton:
    """Type and version times of one activity; pure, so one cache serves every sandbox."""
    head = _head(params, index)
    activity_type = _type_of(head[0])
    slot = _slot_start_us(params, index)
    width = max(1, _slot_start_us(params, index + 1) - slot)
    quantum = 1000 if head[1] * _UNIT < 0.7 else 1
    ingest = slot + int(head[2] * _UNIT * width)
    ingest -= ingest % quantum
    logged_call = activity_type == "call" and head[3] * _UNIT < 0.4
    scheduled = activity_type == "meeting" and head[4] * _UNIT < params.scheduled_meeting_rate
    if scheduled:
        activity = ingest + DAY_US + int(head[5] * _UNIT * 29 * DAY_US)
    else:
        activity = ingest - int(head[5] * _UNIT * 3 * DAY_US)
    activity = _shape_activity_time(activity, activity_type, logged_call, quantum)
    ingests = [ingest]
    timestamps = [activity]
    if head[6] * _UNIT < params.reprocess_rate:
        draws = _Draws(struct.pack("<qqqq", params.seed, params.epoch_us, index, 2))
        for _ in range(1 if head[7] * _UNIT < 0.6 else 2):
            ingest = ingests[-1] + draws.between(HOUR_US, 20 * DAY_US)
            ingest -= ingest % quantum
            if activity_type == "meeting" and draws.unit() < 0.35:
                # a rescheduled meeting: the update moves the meeting itself
                activity = timestamps[-1] + draws.between(-2 * DAY_US, 7 * DAY_US)
                activity = _shape_activity_time(activity, activity_type, False, quantum)
            ingests.append(ingest)
            timestamps.append(activity)
    return Skeleton(index, activity_type, ingests, timestamps, logged_call, scheduled)
