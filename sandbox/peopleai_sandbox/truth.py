"""The ground truth: which activities exist, or an export holds, at an instant of the sandbox clock.

Exports and truth share one selection, so what a test is told to expect is what the files hold:
``truth_records`` renders each record with the same function the export files are written with.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import date, datetime
from typing import Any

import orjson

from .clock import SandboxClock
from .data import ActivityUniverse, TruthRow
from .erasures import ErasureLedger, ErasureSet
from .jobs import ACTIVITY_TYPES, ExportRequest
from .times import to_us


class GroundTruth:
    """Selections of the universe as of an instant (erasures applied), and their truth."""

    def __init__(
        self, universe: ActivityUniverse, clock: SandboxClock, erasures: ErasureLedger
    ) -> None:
        self.universe = universe
        self.clock = clock
        self.erasures = erasures

    def select(
        self, request: ExportRequest, as_of_us: int, in_force: ErasureSet
    ) -> Iterator[tuple[int, int]]:
        """``(index, version)`` of what an export of ``request`` created at ``as_of_us`` holds,
        without the activities ``in_force`` erases."""
        universe = self.universe
        if request.export_type == "delta":
            pairs = universe.select_delta(
                request.start_date, request.end_date, request.activity_type, as_of_us
            )
        else:
            pairs = universe.select_snapshot(
                request.start_date, request.end_date, request.activity_type, as_of_us
            )
        return in_force.keep(pairs)

    def existing(
        self,
        as_of_us: int,
        activity_from: date | None = None,
        activity_to: date | None = None,
        activity_type: str = "all",
    ) -> Iterator[tuple[int, int]]:
        """``(index, latest version)`` of every activity existing (and not erased) then."""
        if activity_type not in ACTIVITY_TYPES:
            raise ValueError(f"unknown activity_type {activity_type!r}")
        pairs = self.universe.select_existing(as_of_us, activity_from, activity_to, activity_type)
        return self.erasures.in_force(as_of_us).keep(pairs)

    def ground_truth(
        self,
        activity_from: date | None = None,
        activity_to: date | None = None,
        activity_type: str = "all",
        as_of: datetime | None = None,
    ) -> dict[str, TruthRow]:
        """Every activity existing at ``as_of`` (default now), at its latest version."""
        as_of_us = to_us(as_of or self.clock.now())
        return self._rows(self.existing(as_of_us, activity_from, activity_to, activity_type))

    def export_truth(self, request: ExportRequest) -> dict[str, TruthRow]:
        """What an export of ``request``, created now, returns: uid -> its row."""
        as_of_us = to_us(self.clock.now().replace(microsecond=0))
        in_force = self.erasures.in_force(as_of_us)
        return self._rows(self.select(request, as_of_us, in_force))

    def truth_records(
        self,
        as_of: datetime | None = None,
        activity_from: date | None = None,
        activity_to: date | None = None,
        activity_type: str = "all",
        documented_types: bool = False,
    ) -> dict[str, dict[str, Any]]:
        """uid -> the full record of each activity existing at ``as_of`` (default now), at its
        latest version, exactly as the API serves it (decoded from the rendered line).

        ``documented_types`` gives the values that ``type_drift`` changed in their documented
        types instead (what a client that coerces them would hold).
        """
        as_of_us = to_us(as_of or self.clock.now())
        records: dict[str, dict[str, Any]] = {}
        pairs = self.existing(as_of_us, activity_from, activity_to, activity_type)
        for index, version in pairs:
            if documented_types:
                line = orjson.dumps(self.universe.record(index, version, type_drift=False))
            else:
                line = self.universe.record_json(index, version)
            record = orjson.loads(line)
            records[record["uid"]] = record
        return records

    def erased(self, as_of: datetime | None = None) -> dict[str, datetime]:
        """uid -> erasure time of every activity that would exist at ``as_of`` (default now)
        but is erased then."""
        as_of_us = to_us(as_of or self.clock.now())
        indexes = (index for index, _version in self.universe.select_existing(as_of_us))
        return self.erasures.erased(indexes, as_of_us)

    def _rows(self, pairs: Iterable[tuple[int, int]]) -> dict[str, TruthRow]:
        rows: dict[str, TruthRow] = {}
        for index, version in pairs:
            row = self.universe.truth_row(index, version)
            rows[row.uid] = row
        return rows
