"""The fault settings of the sandbox: which failures are injected, at which rates."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

from peopleai_sandbox.settings.mutations import MUTATE_FLAG_FORMAT, Mutation
from peopleai_sandbox.settings.options import check_rate, option

# Download faults that spoil a whole answer (faults.spoils_download draws them per resource),
# and the job outcomes that spoil a job's state, each a rate field of Faults.
DOWNLOAD_SPOILS = (
    "empty_download_rate",
    "short_download_rate",
    "truncated_gzip_rate",
    "endless_redirect_rate",
    "empty_redirect_rate",
)
STATE_SPOILS = ("unknown_state_rate", "missing_state_rate")

# Hops of a redirect chain before an empty last 302.
EMPTY_CHAIN_HOPS = 3


@dataclass(frozen=True)
class Faults:
    """Injected failures; every decision is reproducible from the seed and a per-kind counter."""

    http_error_rate: float = option(
        0.0, "rate of random 429/500/502/503 answers on every API and storage endpoint"
    )
    html_error_bodies: bool = option(
        False, "injected errors carry an HTML proxy page instead of a JSON body"
    )
    drop_download_rate: float = option(
        0.0, "rate of downloads whose connection is closed midway (a retry is never dropped)"
    )
    corrupt_download_rate: float = option(
        0.0, "rate of downloads with one garbled line (a retry is never garbled)"
    )
    persistent_bad_line: bool = option(
        False, "line 3 of fragment 0 of every job is not valid JSON, on every download"
    )
    bandwidth_bytes_per_second: int | None = option(
        None, "per-connection download bandwidth in bytes/s", default_text="unlimited"
    )
    job_failure_rate: float = option(0.0, "rate of jobs that end Failed")
    job_cancel_rate: float = option(0.0, "rate of jobs that end Canceled")
    stuck_job_rate: float = option(
        0.0, "rate of jobs that stay Queued forever (they count towards the 10-job limit)"
    )
    unknown_state_rate: float = option(
        0.0, "rate of jobs that end in a state the documentation does not list (Expired)"
    )
    missing_state_rate: float = option(
        0.0, "rate of jobs whose object has no state field once they have ended (no data)"
    )
    truncated_gzip_rate: float = option(
        0.0,
        "rate of downloads sent gzip-encoded and stopped at a flush point at a line boundary, "
        "without the end of the gzip stream, Content-Length the bytes sent: every decoded line "
        "is valid JSON",
    )
    empty_download_rate: float = option(
        0.0, "rate of downloads answered 200 with an empty body although the job has data"
    )
    short_download_rate: float = option(
        0.0,
        "rate of downloads cut at a line boundary with a Content-Length that matches what is "
        "sent: only the job's results_size shows that data is missing",
    )
    endless_redirect_rate: float = option(
        0.0, "rate of downloads answered with a redirect chain that never ends"
    )
    empty_redirect_rate: float = option(
        0.0,
        f"rate of downloads answered with {EMPTY_CHAIN_HOPS} redirect hops whose last is a 302 "
        "with an empty body and no Location",
    )
    persistent_download_faults: bool = option(
        False,
        "download faults strike every download of a fragment, not every other one (a client "
        "that retries never gets it whole)",
    )
    echo_requests: bool = option(
        False,
        "error answers quote the request in their message: the token endpoint's the submitted "
        "form (URL-encoded, and as JSON-escaped text), the other endpoints' the Authorization "
        "header",
    )
    mutations: tuple[Mutation, ...] = option(
        (),
        f"spoil chosen answers ({MUTATE_FLAG_FORMAT}: route, at, times, status, headers, "
        "json_set, json_drop, cut, length, gzip, redirects; see "
        "peopleai_sandbox/settings/mutations.py) (repeatable)",
        flag="--mutate",
        parse=Mutation.parse,
        default_text="none",
        repeat=True,
        metavar="JSON",
    )

    def __post_init__(self) -> None:
        for name in (
            "http_error_rate",
            "drop_download_rate",
            "corrupt_download_rate",
            "job_failure_rate",
            "job_cancel_rate",
            "stuck_job_rate",
            *DOWNLOAD_SPOILS,
            *STATE_SPOILS,
        ):
            check_rate("Faults", name, float(getattr(self, name)))
        job_rates = ("job_failure_rate", "job_cancel_rate", "stuck_job_rate", *STATE_SPOILS)
        if sum(getattr(self, name) for name in job_rates) > 1.0:
            raise ValueError(f"Faults: {' + '.join(job_rates)} > 1")
        mutations = tuple(Mutation.from_mapping(item) for item in self.mutations)
        object.__setattr__(self, "mutations", mutations)
        if self.bandwidth_bytes_per_second is not None and self.bandwidth_bytes_per_second <= 0:
            raise ValueError("Faults.bandwidth_bytes_per_second must be positive or None")

    @classmethod
    def from_mapping(cls, values: dict[str, Any]) -> Faults:
        """Build Faults from a JSON-like mapping, rejecting unknown keys."""
        known = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(values) - known)
        if unknown:
            raise ValueError(f"unknown fault settings: {', '.join(unknown)}")
        return cls(**values)
