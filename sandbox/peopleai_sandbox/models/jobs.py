"""Export jobs as the API sees them: the creation request, its validation, the job object.

What a job is and how the API renders it; ``job_queue`` moves jobs through their states.
"""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

from peopleai_sandbox.errors import ApiError
from peopleai_sandbox.models.erasures import ErasureSet
from peopleai_sandbox.models.fragments import Fragment
from peopleai_sandbox.settings.config import Variants
from peopleai_sandbox.times import to_us

EXPORT_TYPES = ("snapshot", "delta")
ACTIVITY_TYPES = ("email", "meeting", "call", "all")
OUTPUT_FORMATS = ("JSONLines",)
MAX_DELTA_DAYS = 14
MAX_SNAPSHOT_DAYS = 365
_DATE_PATTERN = re.compile(r"\d{4}-\d{2}-\d{2}")


@dataclass(frozen=True)
class ExportRequest:
    """A validated job creation request."""

    export_type: str
    output_format: str
    activity_type: str
    start_date: date
    end_date: date


@dataclass
class Job:
    """One export job: its request, its progress and, once rendered, its fragment files."""

    serial: int
    public_id: int | str
    export_type: str
    output_format: str
    activity_type: str
    start_date: date
    end_date: date
    created_at: datetime
    created_mono: float
    outcome: str
    state: str = "Queued"
    started_at: datetime | None = None
    started_mono: float | None = None
    ended_at: datetime | None = None
    directory: Path | None = None
    fragments: list[Fragment] = field(default_factory=list)
    record_count: int = 0
    results_size: int | None = None
    rendered: threading.Event = field(default_factory=threading.Event)
    abandoned: threading.Event = field(default_factory=threading.Event)
    render_error: str | None = None
    erasures: ErasureSet | None = None  # those in force at creation: what the export omits

    @property
    def as_of_us(self) -> int:
        """The instant the export's content is taken at: its creation (sandbox clock)."""
        return to_us(self.created_at)

    @property
    def fragment_count(self) -> int:
        """Number of fragment files (0 for an empty result)."""
        return len(self.fragments)

    @property
    def request(self) -> ExportRequest:
        """What was asked for."""
        return ExportRequest(
            self.export_type, self.output_format, self.activity_type, self.start_date, self.end_date
        )


def validate_request(payload: Any, enum_case_insensitive: bool = False) -> ExportRequest:
    """Check a job creation body; raise a 400 ApiError naming the offending field."""
    if not isinstance(payload, dict):
        raise ApiError(400, "bad_request", "request body must be a JSON object")
    required = ("start_date", "end_date", "activity_type", "export_type", "output_format")
    missing = [name for name in required if payload.get(name) is None]
    if missing:
        raise ApiError(400, "bad_request", f"missing required field(s): {', '.join(missing)}")
    for name in required:
        if not isinstance(payload[name], str):
            raise ApiError(400, "bad_request", f"{name} must be a string")

    def enum(name: str, allowed: tuple[str, ...]) -> str:
        value: str = payload[name]
        if value in allowed:
            return value
        if enum_case_insensitive:
            for candidate in allowed:
                if candidate.lower() == value.lower():
                    return candidate
        raise ApiError(
            400, "bad_request", f"unknown {name} {value!r}: expected one of {', '.join(allowed)}"
        )

    export_type = enum("export_type", EXPORT_TYPES)
    activity_type = enum("activity_type", ACTIVITY_TYPES)
    output_format = enum("output_format", OUTPUT_FORMATS)
    start = _parse_date("start_date", payload["start_date"])
    end = _parse_date("end_date", payload["end_date"])
    if end < start:
        raise ApiError(400, "bad_request", f"end_date {end} is before start_date {start}")
    days = (end - start).days + 1
    limit = MAX_DELTA_DAYS if export_type == "delta" else MAX_SNAPSHOT_DAYS
    if days > limit:
        raise ApiError(
            400,
            "bad_request",
            f"date range of a {export_type} export is at most {limit} days "
            f"(start_date to end_date inclusive); {start}..{end} is {days} days",
        )
    return ExportRequest(export_type, output_format, activity_type, start, end)


def _parse_date(name: str, value: str) -> date:
    if not _DATE_PATTERN.fullmatch(value):
        raise ApiError(
            400, "bad_request", f"{name} must be a date in yyyy-MM-dd format, not {value!r}"
        )
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise ApiError(400, "bad_request", f"{name} {value!r} is not a valid date") from None


def _rfc3339(value: datetime | None) -> str | None:
    return None if value is None else value.strftime("%Y-%m-%dT%H:%M:%SZ")


def job_document(job: Job, variants: Variants) -> dict[str, Any]:
    """The job object as the API renders it, with the fragment field shaped by the variants."""
    document: dict[str, Any] = {
        "job_id": job.public_id,
        "state": job.state,
        "export_type": job.export_type,
        "output_format": job.output_format,
        "activity_type": job.activity_type,
        "start_date": job.start_date.isoformat(),
        "end_date": job.end_date.isoformat(),
        "job_created_time": _rfc3339(job.created_at),
        "job_start_time": _rfc3339(job.started_at),
        "job_end_time": _rfc3339(job.ended_at),
        "results_size": job.results_size,
    }
    if not job.state:  # a fault: the job object lost its state field
        del document["state"]
    if job.state == "Completed":
        count = job.fragment_count
        if count == 0:
            if variants.fragment_empty == "zero":
                document[variants.fragment_field] = 0
        else:
            value = count if variants.fragment_value == "count" else count - 1
            document[variants.fragment_field] = value
    return document
