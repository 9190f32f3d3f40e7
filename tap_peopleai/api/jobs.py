"""The API's job objects, read in one place: the field names and value types have varied.

Pure parsing, no I/O. Everything else in the tap works with ``ApiJob``, never with the raw dict.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from tap_peopleai.settings.literals import whole_number
from tap_peopleai.state.windows import ExportWindow

# The vendor page says `fragment`; clients that parsed real answers saw `fragments`.
FRAGMENT_FIELDS = ("fragment", "fragments")
ACTIVE_STATES = frozenset({"queued", "running"})
FAILED_STATES = frozenset({"failed", "canceled", "cancelled"})
# Only the documented states mean what they say (in any case); any other is a failed job.
DOCUMENTED_STATES = ACTIVE_STATES | FAILED_STATES | {"completed"}


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


def _shown(value: Any) -> str:
    """A value of an answer, short, for a message."""
    return repr(value) if len(repr(value)) <= 60 else repr(value)[:57] + "..."


def unreadable(body: dict[str, Any]) -> str | None:
    """What makes a job object unusable, in words (None: it can be read).

    The state must be a documented one; a Completed job must say how many bytes it holds
    (``results_size``) and, if it names its fragments, how many as a whole number.
    """
    if "state" not in body:
        return "answered without a `state`"
    state = body["state"]
    if not isinstance(state, str) or state.strip().lower() not in DOCUMENTED_STATES:
        return f"answered state {_shown(state)}, which is not a documented job state"
    if state.strip().lower() != "completed":
        return None
    size = body.get("results_size")
    if whole_number(size, low=0) is None:
        return f"is Completed with results_size {_shown(size)}, not a whole number of bytes"
    for key in FRAGMENT_FIELDS:
        if key in body and body[key] is not None and whole_number(body[key], low=0) is None:
            return f"is Completed with {key} {_shown(body[key])}, not a whole number"
    return None


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
    # Why the object cannot be trusted (an undocumented state, none, an unreadable size): the
    # job counts as failed. None: it can be read.
    problem: str | None = None

    @classmethod
    def from_api(cls, body: dict[str, Any]) -> ApiJob:
        """Read a job object; odd fields become neutral values and a ``problem``, never errors."""
        fragments: Any = next((body[key] for key in FRAGMENT_FIELDS if key in body), None)
        return cls(
            job_id=str(body.get("job_id", "")),
            state=str(body.get("state", "")).strip().lower(),
            state_label=str(body.get("state", "(no state)")),
            export_type=str(body.get("export_type", "")).lower(),
            start_date=str(body.get("start_date", "")),
            end_date=str(body.get("end_date", "")),
            activity_type=str(body.get("activity_type", "")).lower(),
            created=parse_api_time(body.get("job_created_time")),
            fragments_reported=whole_number(fragments, low=0) or 0,
            results_size=whole_number(body.get("results_size"), low=0),
            problem=unreadable(body),
        )

    @property
    def is_active(self) -> bool:
        """Queued or running: it holds a slot of the export queue."""
        return self.problem is None and self.state in ACTIVE_STATES

    @property
    def is_completed(self) -> bool:
        """Completed, with a size the download can be checked against."""
        return self.problem is None and self.state == "completed"

    @property
    def has_failed(self) -> bool:
        """Failed or canceled, or an object that cannot be read: it will never complete."""
        return self.problem is not None or self.state in FAILED_STATES

    @property
    def failure(self) -> str:
        """How the job failed, for messages: "ended Failed", "answered without a `state`"."""
        return self.problem or f"ended {self.state_label}"

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
