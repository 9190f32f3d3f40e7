"""The export service without HTTP: tokens, jobs, their state machine, limits, files, truth, stats.

Jobs advance lazily: every call first brings all jobs up to date from the monotonic clock, so no
timer thread is needed and a test sees exactly the states its own requests caused. A job's result
is rendered to files by a background thread while the job is Running; the job completes only once
its files are complete, as a real export would.
"""

from __future__ import annotations

import base64
import hashlib
import math
import re
import secrets
import shutil
import tempfile
import threading
import time
import uuid
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import orjson

from .clock import SandboxClock
from .config import Faults, SandboxConfig, Variants
from .data import ActivityUniverse, TruthRow, to_us
from .render import Fragment, render_fragments

UTC = timezone.utc

EXPORT_TYPES = ("snapshot", "delta")
ACTIVITY_TYPES = ("email", "meeting", "call", "all")
OUTPUT_FORMATS = ("JSONLines",)
MAX_DELTA_DAYS = 14
MAX_SNAPSHOT_DAYS = 365
_DATE_PATTERN = re.compile(r"\d{4}-\d{2}-\d{2}")
STAT_KEYS = (
    "requests",
    "tokens_issued",
    "auth_failures",
    "jobs_created",
    "jobs_completed",
    "jobs_failed",
    "jobs_canceled",
    "jobs_stuck",
    "limit_errors",
    "validation_errors",
    "downloads",
    "bytes_served",
    "faults_injected",
    "fault_http_429",
    "fault_http_500",
    "fault_http_502",
    "fault_http_503",
    "fault_dropped_download",
    "fault_corrupt_download",
    "fault_bad_line",
    "fault_throttled_download",
    "fault_job_failed",
    "fault_job_canceled",
    "fault_stuck_job",
    "storage_requests",
)
# Line number (1-based) of the invalid line that Faults.persistent_bad_line puts in fragment 0.
PERSISTENT_BAD_LINE = 3


class ApiError(Exception):
    """An error answer of the API: HTTP status, short machine code, human message."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message


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

    @property
    def as_of_us(self) -> int:
        """The instant the export's content is taken at: its creation (sandbox clock)."""
        return to_us(self.created_at)

    @property
    def fragment_count(self) -> int:
        """Number of fragment files (0 for an empty result)."""
        return len(self.fragments)


@dataclass(frozen=True)
class DownloadPlan:
    """What one data request serves: which fragments, in order, of which job."""

    job: Job
    fragments: tuple[Fragment, ...]
    fragment_index: int | None
    whole: bool


@dataclass(frozen=True)
class ExportRequest:
    """A validated job creation request."""

    export_type: str
    output_format: str
    activity_type: str
    start_date: date
    end_date: date


class ExportBackend:
    """The People.ai export service as pure logic; the HTTP layer only translates to it."""

    def __init__(self, config: SandboxConfig, clock: SandboxClock | None = None) -> None:
        self.config = config
        self.clock = clock or SandboxClock(config.now, config.clock_offset)
        self.universe = ActivityUniverse(
            config.seed,
            config.epoch,
            config.activities_per_day,
            config.reprocess_rate,
            config.scheduled_meeting_rate,
            config.variants.timestamp_style,
        )
        self._lock = threading.RLock()
        self._faults = config.faults
        self._tokens: dict[str, tuple[float, datetime]] = {}
        self._jobs: dict[str, Job] = {}
        self._serial = 0
        self._fault_counters: dict[str, int] = {}
        self._stats: dict[str, int] = dict.fromkeys(STAT_KEYS, 0)
        self._threads: list[threading.Thread] = []
        self._closed = False
        if config.data_dir is None:
            self.data_dir = Path(tempfile.mkdtemp(prefix="peopleai-sandbox-"))
        else:
            Path(config.data_dir).mkdir(parents=True, exist_ok=True)
            self.data_dir = Path(tempfile.mkdtemp(prefix="run-", dir=config.data_dir))

    # --- lifecycle ---------------------------------------------------------------------------
    def close(self) -> None:
        """Stop rendering and delete every rendered file."""
        with self._lock:
            self._closed = True
            for job in self._jobs.values():
                job.abandoned.set()
            threads = list(self._threads)
        for thread in threads:
            thread.join(timeout=10)
        shutil.rmtree(self.data_dir, ignore_errors=True)

    # --- faults and stats --------------------------------------------------------------------
    @property
    def faults(self) -> Faults:
        """The fault settings in force (replaceable at runtime)."""
        with self._lock:
            return self._faults

    def set_faults(self, faults: Faults) -> None:
        """Replace the fault settings, e.g. from a soak test."""
        with self._lock:
            self._faults = faults

    def roll(self, kind: str) -> float:
        """Next reproducible draw in [0, 1) of the fault stream ``kind``."""
        with self._lock:
            number = self._fault_counters.get(kind, 0)
            self._fault_counters[kind] = number + 1
        digest = hashlib.blake2b(
            f"{self.config.seed}|{kind}|{number}".encode(), digest_size=8
        ).digest()
        return int.from_bytes(digest, "little") / 2**64

    def count(self, name: str, amount: int = 1) -> None:
        """Add to a statistics counter."""
        with self._lock:
            self._stats[name] = self._stats.get(name, 0) + amount

    def count_fault(self, kind: str) -> None:
        """Record one injected fault of ``kind`` (e.g. ``http_503``, ``dropped_download``)."""
        with self._lock:
            self._stats["faults_injected"] += 1
            key = f"fault_{kind}"
            self._stats[key] = self._stats.get(key, 0) + 1

    def stats(self) -> dict[str, int]:
        """Counters of everything that happened: requests, tokens, jobs, limits, faults."""
        with self._lock:
            return dict(self._stats)

    # --- authentication ----------------------------------------------------------------------
    def issue_token(
        self, form: Mapping[str, str], basic: tuple[str, str] | None = None
    ) -> dict[str, Any]:
        """Answer an OAuth2 client-credentials request (form fields, or HTTP Basic credentials)."""
        grant_type = form.get("grant_type")
        if grant_type is None:
            raise ApiError(400, "invalid_request", "grant_type is required")
        if grant_type != "client_credentials":
            raise ApiError(400, "unsupported_grant_type", "grant_type must be client_credentials")
        client_id, client_secret = basic or (form.get("client_id"), form.get("client_secret"))
        if not client_id or not client_secret:
            raise ApiError(400, "invalid_request", "client_id and client_secret are required")
        if not (
            secrets.compare_digest(client_id, self.config.client_id)
            and secrets.compare_digest(client_secret, self.config.client_secret)
        ):
            self.count("auth_failures")
            raise ApiError(401, "invalid_client", "client authentication failed")
        ttl = self.config.token_ttl_seconds
        issued = self.clock.now()
        token = _jwt_like(client_id, issued, ttl)
        with self._lock:
            if len(self._tokens) >= 1000:  # a soak test issues many: forget the expired ones
                self._tokens = {
                    key: value
                    for key, value in self._tokens.items()
                    if not self._token_expired(value)
                }
            self._tokens[token] = (time.monotonic(), issued)
            self._stats["tokens_issued"] += 1
        return {"access_token": token, "token_type": "bearer", "expires_in": math.ceil(ttl)}

    def authenticate(self, authorization: str | None) -> None:
        """Check an ``Authorization`` header; raise a 401 ApiError unless it holds a live token."""
        scheme, _, token = (authorization or "").partition(" ")
        token = token.strip()
        if scheme.lower() != "bearer" or not token:
            self.count("auth_failures")
            raise ApiError(401, "unauthorized", "missing bearer token")
        with self._lock:
            issued = self._tokens.get(token)
            if issued is None:
                self._stats["auth_failures"] += 1
                raise ApiError(401, "unauthorized", "invalid access token")
            if self._token_expired(issued):
                del self._tokens[token]
                self._stats["auth_failures"] += 1
                raise ApiError(401, "unauthorized", "access token expired")

    def _token_expired(self, issued: tuple[float, datetime]) -> bool:
        ttl = self.config.token_ttl_seconds
        issued_mono, issued_at = issued
        if time.monotonic() - issued_mono >= ttl:
            return True
        return (self.clock.now() - issued_at).total_seconds() >= ttl

    # --- jobs --------------------------------------------------------------------------------
    def validate_request(self, payload: Any) -> ExportRequest:
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
        export_type = self._enum("export_type", payload["export_type"], EXPORT_TYPES)
        activity_type = self._enum("activity_type", payload["activity_type"], ACTIVITY_TYPES)
        output_format = self._enum("output_format", payload["output_format"], OUTPUT_FORMATS)
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

    def _enum(self, name: str, value: str, allowed: tuple[str, ...]) -> str:
        if value in allowed:
            return value
        if self.config.variants.enum_case_insensitive:
            for candidate in allowed:
                if candidate.lower() == value.lower():
                    return candidate
        raise ApiError(
            400, "bad_request", f"unknown {name} {value!r}: expected one of {', '.join(allowed)}"
        )

    def create_job(self, payload: Any) -> Job:
        """Validate and queue an export job; raise ApiError for bad bodies or a full queue."""
        try:
            request = self.validate_request(payload)
        except ApiError:
            self.count("validation_errors")
            raise
        with self._lock:
            self._advance()
            active = [job for job in self._jobs.values() if job.state in ("Queued", "Running")]
            if len(active) >= self.config.max_queued:
                self._stats["limit_errors"] += 1
                raise ApiError(
                    self.config.variants.limit_status,
                    "too_many_jobs",
                    f"export job limit reached: at most {self.config.max_queued} jobs may be "
                    f"Queued or Running at once ({len(active)} are); retry when one has ended",
                )
            self._serial += 1
            serial = self._serial
            draw = self.roll("job_outcome")
            faults = self._faults
            if draw < faults.job_failure_rate:
                outcome = "Failed"
            elif draw < faults.job_failure_rate + faults.job_cancel_rate:
                outcome = "Canceled"
            elif draw < faults.job_failure_rate + faults.job_cancel_rate + faults.stuck_job_rate:
                outcome = "stuck"
                self._stats["jobs_stuck"] += 1
                self.count_fault("stuck_job")
            else:
                outcome = "Completed"
            job = Job(
                serial=serial,
                public_id=self._public_id(serial),
                export_type=request.export_type,
                output_format=request.output_format,
                activity_type=request.activity_type,
                start_date=request.start_date,
                end_date=request.end_date,
                created_at=self.clock.now().replace(microsecond=0),
                created_mono=time.monotonic(),
                outcome=outcome,
            )
            self._jobs[str(job.public_id)] = job
            self._stats["jobs_created"] += 1
            self._advance()
            return job

    def _public_id(self, serial: int) -> int | str:
        if self.config.variants.job_id_type == "int":
            return 1000 + serial
        digest = hashlib.blake2b(f"{self.config.seed}:job:{serial}".encode(), digest_size=16)
        return str(uuid.UUID(bytes=digest.digest()))

    def get_job(self, job_id: str) -> Job:
        """One job by its id as it appears in the URL; 404 if unknown or past retention."""
        with self._lock:
            self._advance()
            job = self._jobs.get(job_id)
            if job is None:
                raise ApiError(404, "not_found", f"export job {job_id} not found")
            return job

    def list_jobs(self) -> list[Job]:
        """Jobs created within the retention period, oldest first."""
        with self._lock:
            self._advance()
            return sorted(self._jobs.values(), key=lambda job: job.serial)

    def list_jobs_raw(self) -> list[dict[str, Any]]:
        """The job list exactly as ``GET /jobs`` renders it (for tests' assertions)."""
        return [job_document(job, self.config.variants) for job in self.list_jobs()]

    def plan_download(self, job_id: str, fragment: str | None) -> DownloadPlan:
        """Decide what a data request serves; raise 404/409/400 ApiErrors like the service."""
        job = self.get_job(job_id)
        if job.state != "Completed":
            raise ApiError(
                409,
                "conflict",
                f"export job {job_id} is {job.state}: its data can be downloaded once it is "
                "Completed",
            )
        fragments = tuple(job.fragments)
        if fragment is None:
            if self.config.variants.data_without_fragment == "first":
                return DownloadPlan(job, fragments[:1], None, whole=False)
            return DownloadPlan(job, fragments, None, whole=True)
        if not re.fullmatch(r"\d{1,9}", fragment):
            raise ApiError(
                400, "bad_request", f"fragment must be a non-negative integer, not {fragment!r}"
            )
        index = int(fragment)
        if index == 0 and not fragments:
            return DownloadPlan(job, (), 0, whole=False)
        if index >= len(fragments):
            raise ApiError(
                404,
                "not_found",
                f"fragment {index} of export job {job_id} does not exist: the job has "
                f"{len(fragments)} fragment(s), numbered 0 to {len(fragments) - 1}",
            )
        return DownloadPlan(job, (fragments[index],), index, whole=False)

    # --- the state machine -------------------------------------------------------------------
    def _advance(self) -> None:
        """Bring every job up to date: retention, Running -> end, Queued -> Running."""
        mono = time.monotonic()
        now = self.clock.now()
        cutoff = now - timedelta(days=self.config.retention_days)
        for key, job in list(self._jobs.items()):
            if job.created_at < cutoff:
                del self._jobs[key]
                job.abandoned.set()
                if job.rendered.is_set() and job.directory is not None:
                    shutil.rmtree(job.directory, ignore_errors=True)
        running = 0
        for job in self._jobs.values():
            if job.state != "Running":
                continue
            assert job.started_mono is not None
            if job.rendered.is_set() and mono - job.started_mono >= self.config.job_run_seconds:
                self._finish(job, now)
            else:
                running += 1
        for job in sorted(self._jobs.values(), key=lambda item: item.serial):
            if running >= self.config.max_running:
                break
            if job.state != "Queued" or job.outcome == "stuck":
                continue
            if mono - job.created_mono < self.config.job_queue_seconds:
                continue
            job.state = "Running"
            job.started_at = max(now, job.created_at).replace(microsecond=0)
            job.started_mono = mono
            running += 1
            self._start_rendering(job)

    def _finish(self, job: Job, now: datetime) -> None:
        assert job.started_at is not None
        job.ended_at = max(now.replace(microsecond=0), job.started_at)
        if job.render_error is not None:
            job.state = "Failed"
            self._stats["jobs_failed"] += 1
        elif job.outcome == "Failed":
            job.state = "Failed"
            self._stats["jobs_failed"] += 1
            self.count_fault("job_failed")
        elif job.outcome == "Canceled":
            job.state = "Canceled"
            self._stats["jobs_canceled"] += 1
            self.count_fault("job_canceled")
        else:
            job.state = "Completed"
            job.results_size = sum(fragment.size for fragment in job.fragments)
            self._stats["jobs_completed"] += 1

    def _start_rendering(self, job: Job) -> None:
        if job.outcome != "Completed" or self._closed:
            job.rendered.set()
            return
        job.directory = self.data_dir / f"job-{job.serial}"
        thread = threading.Thread(
            target=self._render, args=(job,), name=f"render-job-{job.serial}", daemon=True
        )
        self._threads = [item for item in self._threads if item.is_alive()]
        self._threads.append(thread)
        thread.start()

    def _render(self, job: Job) -> None:
        """Write a job's result as fragment files: the job stays Running until this is done."""
        assert job.directory is not None
        try:
            job.directory.mkdir(parents=True, exist_ok=True)
            selection = self._selection(
                job.export_type, job.start_date, job.end_date, job.activity_type, job.as_of_us
            )
            job.fragments, job.record_count = render_fragments(
                self.universe,
                selection,
                job.directory,
                self.config.fragment_records,
                crlf=self.config.variants.line_noise,
                abandoned=job.abandoned,
            )
        except Exception as error:  # a render failure must become a Failed job, not a hang
            job.render_error = repr(error)
        finally:
            job.rendered.set()
            if job.abandoned.is_set():
                shutil.rmtree(job.directory, ignore_errors=True)

    def _selection(
        self, export_type: str, start: date, end: date, activity_type: str, as_of_us: int
    ) -> Iterator[tuple[int, int]]:
        if export_type == "delta":
            return self.universe.select_delta(start, end, activity_type, as_of_us)
        return self.universe.select_snapshot(start, end, activity_type, as_of_us)

    # --- ground truth ------------------------------------------------------------------------
    def ground_truth(
        self,
        activity_from: date | None = None,
        activity_to: date | None = None,
        activity_type: str = "all",
    ) -> dict[str, TruthRow]:
        """Every activity that exists now, at its latest version, filtered by activity date."""
        if activity_type not in ACTIVITY_TYPES:
            raise ValueError(f"unknown activity_type {activity_type!r}")
        as_of_us = to_us(self.clock.now())
        pairs = self.universe.select_existing(as_of_us, activity_from, activity_to, activity_type)
        return self._truth_rows(pairs)

    def export_truth(
        self,
        export_type: str,
        start_date: date | str,
        end_date: date | str,
        activity_type: str = "all",
    ) -> dict[str, TruthRow]:
        """What an export with these parameters, created now, returns: uid -> its row."""
        request = self.validate_request(
            {
                "export_type": export_type,
                "start_date": str(start_date),
                "end_date": str(end_date),
                "activity_type": activity_type,
                "output_format": "JSONLines",
            }
        )
        as_of_us = to_us(self.clock.now().replace(microsecond=0))
        pairs = self._selection(
            request.export_type,
            request.start_date,
            request.end_date,
            request.activity_type,
            as_of_us,
        )
        return self._truth_rows(pairs)

    def _truth_rows(self, pairs: Iterable[tuple[int, int]]) -> dict[str, TruthRow]:
        rows: dict[str, TruthRow] = {}
        for index, version in pairs:
            row = self.universe.truth_row(index, version)
            rows[row.uid] = row
        return rows


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
    if job.state == "Completed":
        count = job.fragment_count
        if count == 0:
            if variants.fragment_empty == "zero":
                document[variants.fragment_field] = 0
        else:
            value = count if variants.fragment_value == "count" else count - 1
            document[variants.fragment_field] = value
    return document


def _parse_date(name: str, value: str) -> date:
    if not _DATE_PATTERN.fullmatch(value):
        raise ApiError(
            400, "bad_request", f"{name} must be a date in yyyy-MM-dd format, not {value!r}"
        )
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise ApiError(400, "bad_request", f"{name} {value!r} is not a valid date") from None


def _jwt_like(client_id: str, issued: datetime, ttl: float) -> str:
    """An opaque token shaped like a JWT, as the real service issues; only its identity matters."""

    def encode(value: dict[str, Any]) -> str:
        return base64.urlsafe_b64encode(orjson.dumps(value)).rstrip(b"=").decode()

    header = encode({"alg": "HS256", "typ": "JWT"})
    issued_at = int(issued.timestamp())
    payload = encode(
        {
            "sub": client_id,
            "iat": issued_at,
            "exp": issued_at + math.ceil(ttl),
            "jti": secrets.token_hex(8),
        }
    )
    return f"{header}.{payload}.{secrets.token_urlsafe(32)}"
