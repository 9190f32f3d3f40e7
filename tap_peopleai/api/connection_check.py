"""`--test`: what can be checked without starting an export, because an export occupies the
organisation's shared queue for hours: the credentials, the job list, the queue's occupancy."""

from __future__ import annotations

import logging

from tap_peopleai.api.client import PeopleAIClient
from tap_peopleai.api.jobs import ApiJob
from tap_peopleai.api.retry_policy import RetryPolicy
from tap_peopleai.errors import TapPeopleAIError
from tap_peopleai.settings.api_limits import MAX_QUEUED_JOBS

# A test answers within seconds: two attempts, 5 s to connect. A sync retries far longer, since a
# network blip should not fail a nightly load.
CONNECTION_TEST_RETRY = RetryPolicy(
    max_tries=2, base_seconds=1.0, max_wait_seconds=2.0, after_giving_up="nothing was exported"
)
CONNECTION_TEST_TIMEOUT = (5.0, 30.0)


def check_connection(client: PeopleAIClient, max_jobs_ahead: int, logger: logging.Logger) -> None:
    """Get a token and the job list, and say what they show; creates no export job.

    ``client`` is made with ``CONNECTION_TEST_RETRY`` and ``CONNECTION_TEST_TIMEOUT``.
    """
    try:
        jobs = [ApiJob.from_api(job) for job in client.list_jobs()]
    except TapPeopleAIError as exc:
        raise TapPeopleAIError(f"Connection test failed: {exc}") from exc
    active = sum(job.is_active for job in jobs)
    logger.info(
        "Connection test passed: %s accepted the credentials and lists %d export job(s) of the "
        "past 10 days, %d of them queued or running (%d of %d queue slots free; a sync keeps at "
        "most %d of its own). No export job was created.",
        client.http.api_url,
        len(jobs),
        active,
        max(0, MAX_QUEUED_JOBS - active),
        MAX_QUEUED_JOBS,
        max_jobs_ahead,
    )
