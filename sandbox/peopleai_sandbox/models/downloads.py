"""What a data request serves: which fragments of which job (the plan).

``responses.downloads`` turns a plan into bytes, with the faults spliced in.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from peopleai_sandbox.errors import ApiError
from peopleai_sandbox.models.fragments import Fragment
from peopleai_sandbox.models.jobs import Job


@dataclass(frozen=True)
class DownloadPlan:
    """What one data request serves: which fragments, in order, of which job."""

    job: Job
    fragments: tuple[Fragment, ...]
    fragment_index: int | None
    whole: bool


def plan_download(job: Job, fragment: str | None, data_without_fragment: str) -> DownloadPlan:
    """Decide what a data request serves; raise 404/409/400 ApiErrors like the service."""
    job_id = str(job.public_id)
    if job.state != "Completed":
        raise ApiError(
            409,
            "conflict",
            f"export job {job_id} is {job.state or 'in no state'}: its data can be downloaded "
            "once it is Completed",
        )
    fragments = tuple(job.fragments)
    if fragment is None:
        if data_without_fragment == "first":
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
