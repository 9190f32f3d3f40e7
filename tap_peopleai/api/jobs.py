"""The API's job objects, read in one place: the field names and value types have varied.

Pure parsing, no I/O. Everything else in the tap works with ``ApiJob``, never with the raw dict.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from tap_peopleai.state.windows import ExportWindow

# The vendor page says `fragment`; clients that parsed real answers saw `fragments`.
FRAGMENT_FIELDS = ("fragment", "fragments")
ACTIVE_STATES = frozenset({"queued", "running"})
FAILED_STATES = frozenset({"failed", "canceled", "cancelled"})


def parse_api_time(value: Any) -> dt.datetime | None:
    """Parse the API's ``yyyy-MM-ddTHH:mm:ssZ`` (or naive, meaning UTC) job times."""
    if not value:
        return None
    text = str(value).strip().replace("Z", "+00:00").replace("z", "+00:00")
    try:
        moment = dt.datetime.fromisoformat(text)
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.timezone.utc)


def _whole_number(value: Any) -> int | None:
    text = str(value).strip()
    return int(text) if text.isdigit() else None


@dataclass(frozen=True)
class ApiJob:
    """One export job as the API describes it (create, status and list answers alike)."""

    job_id: str
    state: str  # lower case: the API's case has varied
    state_label: str  # as the API wrote it, for messages
    export_type: str
    start_date: str
    end_date: str
    activity_type: str
    created: dt.datetime | None
    # The number the job reports for its fragments: a count or the highest index (0 if absent).
    fragments_reported: int
    results_size: int | None

    @classmethod
    def from_api(cls, body: dict[str, Any]) -> ApiJob:
        """Read a job object; missing or odd fields become neutral values, never errors."""
        fragments: Any = next((body[key] for key in FRAGMENT_FIELDS if key in body), None)
        return cls(
            job_id=str(body.get("job_id", "")),
            state=str(body.get("state", "")).lower(),
            state_label=str(body.get("state", "")),
            export_type=str(body.get("export_type", "")).lower(),
            start_date=str(body.get("start_date", "")),
            end_date=str(body.get("end_date", "")),
            activity_type=str(body.get("activity_type", "")).lower(),
            created=parse_api_time(body.get("job_created_time")),
            fragments_reported=_whole_number(fragments) or 0,
            results_size=_whole_number(body.get("results_size")),
        )

    @property
    def is_active(self) -> bool:
        """Queued or running: it holds a slot of the export queue."""
        return self.state in ACTIVE_STATES

    @property
    def has_failed(self) -> bool:
        """Failed or canceled: it will never complete."""
        return self.state in FAILED_STATES

    def exports(self, window: ExportWindow, activity_type: str) -> bool:
        """Whether this job exports exactly ``window`` for ``activity_type``."""
        return (
            self.export_type == window.export_type
            and self.start_date == window.start.isoformat()
            and self.end_date == window.end.isoformat()
            and self.activity_type == activity_type
        )

    def expected_fragment_bytes(self) -> int | None:
        """About how large one fragment is, from ``results_size`` (None if unknown)."""
        if not self.results_size:
            return None
        return self.results_size // max(1, self.fragments_reported)
