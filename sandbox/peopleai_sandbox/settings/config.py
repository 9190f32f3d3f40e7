"""Configuration of the sandbox: the data universe, the API's limits, its variants and its faults.

Every field carries its flag's help text, choices and parser in its metadata (``option``); the
CLI builds its flags from them, so ``peopleai-sandbox serve --help`` and these definitions cannot
drift apart.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from peopleai_sandbox.settings.erasures import ERASE_FLAG_FORMAT, Erasure
from peopleai_sandbox.settings.faults import Faults
from peopleai_sandbox.settings.options import (
    UTC,
    check_choice,
    check_rate,
    option,
    parse_days,
    parse_timestamp,
)

# Faults, option and parse_timestamp live in modules of their own; the CLI and the rest of the
# sandbox read every setting from here.
__all__ = ["Faults", "SandboxConfig", "Variants", "option", "parse_days", "parse_timestamp"]

FRAGMENT_FIELDS = ("fragment", "fragments")
FRAGMENT_VALUES = ("count", "highest_index")
FRAGMENT_EMPTY = ("zero", "absent")
DATA_WITHOUT_FRAGMENT = ("all", "first")
JOB_ID_TYPES = ("int", "str")
TIMESTAMP_STYLES = ("z", "naive", "fractional", "mixed")
ERROR_SHAPES = ("simple", "spring")
LIMIT_STATUSES = (429, 400, 409)


@dataclass(frozen=True)
class Variants:
    """Choices for each behaviour of the real API that is not documented (or not reliably)."""

    fragment_field: str = option(
        "fragment", "name of the job object's fragment field", FRAGMENT_FIELDS
    )
    fragment_value: str = option(
        "count",
        "fragment field value: a count N (fragments 0..N-1) or the highest index N (0..N)",
        FRAGMENT_VALUES,
    )
    fragment_empty: str = option(
        "zero", "fragment field of a job with an empty result: 0 or absent", FRAGMENT_EMPTY
    )
    data_without_fragment: str = option(
        "all",
        "what /data without ?fragment= returns: every fragment concatenated, or only fragment 0",
        DATA_WITHOUT_FRAGMENT,
    )
    job_id_type: str = option(
        "int", "job_id as a JSON integer or as an opaque (non-numeric) string", JOB_ID_TYPES
    )
    timestamp_style: str = option(
        "z",
        "record timestamps: 'z' (...Z), 'naive' (no zone, UTC), 'fractional' (.123Z or 6 "
        "digits), 'mixed' (a deterministic mix per record)",
        TIMESTAMP_STYLES,
    )
    gzip: bool = option(False, "send downloads with Content-Encoding: gzip (chunked)")
    redirect_downloads: bool = option(
        False,
        "answer /data with a 302 to a presigned URL on a second server (another origin) that "
        "rejects requests carrying an Authorization header",
    )
    line_noise: bool = option(
        False, "downloads start with a UTF-8 BOM, use CRLF, contain blank lines, end with NULs"
    )
    error_shape: str = option(
        "simple",
        "error bodies: 'simple' {error, message} or 'spring' {code, id, message, path, timestamp}",
        ERROR_SHAPES,
    )
    limit_status: int = option(
        429, "HTTP status of a job creation beyond the 10-job limit", LIMIT_STATUSES
    )
    enum_case_insensitive: bool = option(
        False, "accept enum values in any case (Delta, All, jsonlines)"
    )
    extra_fields: bool = option(
        False,
        "records carry undocumented fields: top-level scalars, an object and an array, and extra "
        "keys in stats, crm_status and its matched objects, participants[] and campaigns[]; the "
        "late ones only in versions ingested from --late-fields-after-days on",
    )
    late_fields_after_days: int = option(
        45, "days after the epoch from which the late undocumented fields appear"
    )
    type_drift: bool = option(
        False,
        'values depart from the documented types, some coercible (duration "123", stage_rank '
        '"3" or 3.0, reply_received "true", integer crm_id/source_id), some not (duration '
        '"about an hour"); created in several formats',
    )

    def __post_init__(self) -> None:
        for f in dataclasses.fields(self):
            choices = f.metadata.get("choices")
            if choices:
                check_choice("Variants", f.name, getattr(self, f.name), choices)
        if self.late_fields_after_days < 0:
            raise ValueError("Variants.late_fields_after_days must be 0 or more")


DEFAULT_EPOCH = datetime(2025, 1, 1, tzinfo=UTC)


@dataclass(frozen=True)
class SandboxConfig:
    """Everything that determines a sandbox: data universe, clock, limits, variants, faults."""

    seed: int = option(1, "seed of the data universe and of every fault decision")
    epoch: datetime = option(  # noqa: RUF009 - option() is dataclasses.field
        DEFAULT_EPOCH,
        "first ingest time of the universe, ISO 8601 (UTC)",
        default_text="2025-01-01T00:00:00Z",
    )
    activities_per_day: int = option(200, "activities first processed per day")
    reprocess_rate: float = option(0.1, "fraction of activities re-processed 1-2 times later")
    scheduled_meeting_rate: float = option(
        0.05, "fraction of meetings processed before they happen (future activity date)"
    )
    fragment_records: int = option(1000, "records per download fragment")
    now: datetime | None = option(  # noqa: RUF009 - option() is dataclasses.field
        None, "freeze the sandbox clock at this ISO 8601 instant", default_text="real time"
    )
    clock_offset: timedelta = option(  # noqa: RUF009 - option() is dataclasses.field
        timedelta(0),
        "run the sandbox clock this many days ahead of real time (negative: behind)",
        flag="--clock-offset-days",
        parse=parse_days,
        default_text="0",
    )
    token_ttl_seconds: float = option(
        7200, "access token lifetime in seconds (real time or sandbox clock)", flag="--token-ttl"
    )
    job_queue_seconds: float = option(0.0, "minimum real seconds a job stays Queued")
    job_run_seconds: float = option(0.05, "minimum real seconds a job stays Running")
    client_id: str = option("sandbox-client", "accepted client id")
    client_secret: str = option("sandbox-secret", "accepted client secret")
    max_running: int = option(2, "jobs that may be Running at once")
    max_queued: int = option(10, "jobs that may be Queued or Running at once")
    retention_days: int = option(10, "days (sandbox clock) a job and its files are kept")
    data_dir: str | None = option(
        None, "directory for rendered export files", default_text="a temporary directory"
    )
    erasures: tuple[Erasure, ...] = option(
        (),
        f"erase activities and users' activities from a time on: {ERASE_FLAG_FORMAT}, e.g. "
        "user=10000017,uid=5c9e0c4f2b7d8a1e3f6a9b0c@2025-02-20T00:00:00Z (repeatable)",
        flag="--erase",
        parse=Erasure.parse,
        default_text="none",
        repeat=True,
        metavar="WHO@TIME",
    )
    variants: Variants = field(default_factory=Variants)
    faults: Faults = field(default_factory=Faults)

    def __post_init__(self) -> None:
        if self.epoch.tzinfo is None:
            raise ValueError("SandboxConfig.epoch must be timezone-aware")
        if self.now is not None and self.now.tzinfo is None:
            raise ValueError("SandboxConfig.now must be timezone-aware")
        if self.activities_per_day <= 0 or self.activities_per_day > 86_400_000:
            raise ValueError("SandboxConfig.activities_per_day must be in 1..86400000")
        if self.fragment_records <= 0:
            raise ValueError("SandboxConfig.fragment_records must be positive")
        check_rate("SandboxConfig", "reprocess_rate", self.reprocess_rate)
        check_rate("SandboxConfig", "scheduled_meeting_rate", self.scheduled_meeting_rate)
        if self.max_running <= 0 or self.max_queued < self.max_running:
            raise ValueError("SandboxConfig needs 0 < max_running <= max_queued")
        if self.token_ttl_seconds <= 0:
            raise ValueError("SandboxConfig.token_ttl_seconds must be positive")
        erasures = tuple(self.erasures)
        if not all(isinstance(erasure, Erasure) for erasure in erasures):
            raise ValueError("SandboxConfig.erasures must hold Erasure values")
        object.__setattr__(self, "erasures", erasures)

    def replace(self, **overrides: Any) -> SandboxConfig:
        """Return a copy with overrides; variant and fault field names may be given directly.

        ``config.replace(gzip=True, http_error_rate=0.2, seed=3)`` sets ``variants.gzip``,
        ``faults.http_error_rate`` and ``seed``.
        """
        top = {f.name for f in dataclasses.fields(self)}
        variant_names = {f.name for f in dataclasses.fields(Variants)}
        fault_names = {f.name for f in dataclasses.fields(Faults)}
        direct: dict[str, Any] = {}
        variant_changes: dict[str, Any] = {}
        fault_changes: dict[str, Any] = {}
        for name, value in overrides.items():
            if name in top:
                direct[name] = value
            elif name in variant_names:
                variant_changes[name] = value
            elif name in fault_names:
                fault_changes[name] = value
            else:
                raise TypeError(f"unknown sandbox setting: {name}")
        variants = direct.pop("variants", self.variants)
        faults = direct.pop("faults", self.faults)
        return dataclasses.replace(
            self,
            variants=dataclasses.replace(variants, **variant_changes),
            faults=dataclasses.replace(faults, **fault_changes),
            **direct,
        )
