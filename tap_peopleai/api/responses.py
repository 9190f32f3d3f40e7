"""How the tap classifies the API's answers: one policy, read by every call of the client.

Which status is retriable (429 and 5xx, except when creating a job, where a full queue answers
4xx or 429 and the scheduler decides when to ask again), what an error says (whatever shape its
body has, secrets redacted), and what a successful body must hold.
"""

from __future__ import annotations

from typing import Any

import requests

from tap_peopleai.api.redaction import SecretRedactor
from tap_peopleai.errors import ApiError, RetriableApiError


def describe_error_body(response: requests.Response, redact: SecretRedactor) -> str:
    """A short readable account of an error body, whichever shape (or none) it has."""
    try:
        body = response.json()
    except ValueError:
        body = None
    if isinstance(body, dict):
        parts = [
            str(body[k]) for k in ("error", "code", "message") if body.get(k) not in (None, "")
        ]
        return redact.excerpt(": ".join(parts) if parts else str(body), 500)
    content_type = response.headers.get("Content-Type", "unknown content type")
    raw = " ".join(response.text.split())  # one line, whatever line breaks (CR too) it has
    return f"non-JSON body ({content_type}): {redact.excerpt(raw, 200)}" if raw else "empty body"


def raise_for_status(
    response: requests.Response, doing: str, redact: SecretRedactor, redirected: bool = False
) -> None:
    """Raise a readable ApiError unless the response succeeded: retriable for 429 and 5xx, and
    for any status of the storage a download was ``redirected`` to (a presigned URL may have
    expired, and asking the API again gives a fresh one)."""
    status = response.status_code
    if status < 400:
        return
    detail = describe_error_body(response, redact)
    if redirected:  # object storage's error pages may echo the presigned URL: their kind only
        detail = detail.split(":", 1)[0]
    source = "the storage the API redirected to" if redirected else "the People.ai API"
    msg = f"HTTP {status} from {source} while {doing}: {detail}"
    if status == 403 and not redirected:
        msg += (
            ". The key may lack access to the export: it must be an *Activity* API key "
            "(Settings → API Key Management)"
        )
    if redirected or status == 429 or status >= 500:
        raise RetriableApiError(msg, status, detail)
    raise ApiError(msg, status, detail)


def raise_for_job_creation(response: requests.Response, doing: str, redact: SecretRedactor) -> None:
    """Like ``raise_for_status``, but 4xx and 429 are not retried: they may mean a full queue."""
    if response.status_code >= 500:
        raise_for_status(response, doing, redact)
    if response.status_code >= 400:
        # 429 too: a full queue can last minutes, so the caller decides when to try again.
        detail = describe_error_body(response, redact)
        msg = f"HTTP {response.status_code} from the People.ai API while {doing}: {detail}"
        raise ApiError(msg, response.status_code, detail)


def json_body(response: requests.Response, doing: str, redact: SecretRedactor) -> Any:
    """The body of a successful answer; one that is not JSON is retried (a proxy's page)."""
    try:
        return response.json()
    except ValueError as exc:
        msg = (
            f"HTTP {response.status_code} from the People.ai API while {doing} was not "
            f"JSON: {describe_error_body(response, redact)}"
        )
        raise RetriableApiError(msg, response.status_code) from exc


def created_job(response: requests.Response, doing: str, redact: SecretRedactor) -> dict[str, Any]:
    """The job object of a successful creation; one without ``job_id`` is retried."""
    try:
        job = response.json()
    except ValueError:
        job = None
    job_id = job.get("job_id") if isinstance(job, dict) else None
    readable = isinstance(job_id, (int, str)) and not isinstance(job_id, bool)
    if not readable or not str(job_id).strip() or "/" in str(job_id):
        excerpt = redact.excerpt(response.text, 200)
        msg = f"Unexpected answer while {doing}: no usable `job_id` in {excerpt!r}"
        raise RetriableApiError(msg, response.status_code)
    assert isinstance(job, dict)
    return job


def listed_jobs(body: Any) -> list[dict[str, Any]]:
    """The job objects of a job list, whichever envelope (or none) holds them."""
    if isinstance(body, dict):
        for key in ("jobs", "data", "items", "results"):
            if isinstance(body.get(key), list):
                body = body[key]
                break
    return [job for job in body if isinstance(job, dict)] if isinstance(body, list) else []
