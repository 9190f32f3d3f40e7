"""`--test`: what can be checked without starting an export, because an export occupies the
organisation's shared queue for hours: the credentials, the job list, the queue's occupancy."""

from __future__ import annotations

import logging

from tap_peopleai.api.client import PeopleAIClient
from tap_peopleai.api.jobs import ApiJob
from tap_peopleai.settings.api_limits import MAX_QUEUED_JOBS


def check_connection(client: PeopleAIClient, max_jobs_ahead: int, logger: logging.Logger) -> None:
    """Get a token and the job list, and say what they show; creates no export job."""
    jobs = [ApiJob.from_api(job) for job in client.list_jobs()]
    active = sum(job.is_active for job in jobs)
    logger.info(
        "Connection test passed: %s accepted the credentials and lists %d export job(s) of the "
        "past 10 days, %d of them queued or running (%d of %d queue slots free; a sync keeps at "
        "most %d of its own). No export job was created.",
        client.api_url,
        len(jobs),
        active,
        max(0, MAX_QUEUED_JOBS - active),
        MAX_QUEUED_JOBS,
        max_jobs_ahead,
    )
