"""HTTP and authentication for the People.ai export API: tokens, retries, jobs, downloads."""

from __future__ import annotations

import datetime as dt
import email.utils
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import IO, Any, TypeVar
from urllib.parse import urljoin, urlsplit

import backoff
import requests
from backoff.types import Details
from requests.exceptions import ChunkedEncodingError, ContentDecodingError

from tap_peopleai.auth import SecretRedactor, TokenProvider
from tap_peopleai.errors import (
    ApiError,
    AuthenticationError,
    DownloadCancelledError,
    DownloadIncompleteError,
    RetriableApiError,
    TapPeopleAIError,
)
from tap_peopleai.interrupts import GUARD
from tap_peopleai.retry_log import RetryLog

JOBS_PATH = "/pull/v1/export/activities/jobs"
USER_AGENT = "tap-peopleai/0.1 (+singer-sdk)"
# The vendor allows 60 seconds per 20 MB for a download once a job is Completed.
DOWNLOAD_SECONDS_PER_BYTE = 60 / (20 * 1024 * 1024)
MIN_DOWNLOAD_SECONDS = 60.0
CHUNK_BYTES = 1024 * 1024
TRANSIENT_NETWORK_ERRORS = (
    requests.ConnectionError,
    requests.Timeout,
    ChunkedEncodingError,
    ContentDecodingError,
    DownloadIncompleteError,
)

T = TypeVar("T")
# How OpenSSL reports a TLS handshake answered by a server that speaks plain HTTP.
NOT_TLS_SIGNS = ("wrong version number", "record layer failure", "unknown protocol")


def describe_error_body(response: requests.Response, redact: Callable[[str], str]) -> str:
    """A short readable account of an error body, whichever shape (or none) it has."""
    try:
        body = response.json()
    except ValueError:
        body = None
    if isinstance(body, dict):
        parts = [
            str(body[k]) for k in ("error", "code", "message") if body.get(k) not in (None, "")
        ]
        text = ": ".join(parts) if parts else str(body)
    else:
        content_type = response.headers.get("Content-Type", "unknown content type")
        raw = response.text.strip().replace("\n", " ")
        text = f"non-JSON body ({content_type}): {raw[:200]}" if raw else "empty body"
    return redact(text[:500])


@dataclass(frozen=True)
class RetryPolicy:
    """How transient failures are retried: exponential backoff with full jitter."""

    max_tries: int = 8
    base_seconds: float = 1.0
    max_wait_seconds: float = 60.0

    def retrying(
        self,
        exceptions: tuple[type[Exception], ...],
        func: Callable[[], T],
        on_backoff: Callable[[Details], None] | None = None,
    ) -> T:
        """Call ``func``, retrying on ``exceptions``; ``on_backoff`` hears of every retry."""
        decorated = backoff.on_exception(
            backoff.expo,
            exceptions,
            max_tries=self.max_tries,
            factor=self.base_seconds,
            max_value=self.max_wait_seconds,
            jitter=backoff.full_jitter,
            logger=None,
            on_backoff=on_backoff,
            # A certificate problem will not go away by asking again; a stopping sync stops.
            giveup=lambda exc: (
                isinstance(exc, requests.exceptions.SSLError) or GUARD.stopping.is_set()
            ),
        )(func)
        return decorated()


class PeopleAIClient:
    """Calls the export API: jobs and streamed downloads, with retries and token renewal."""

    def __init__(
        self,
        api_url: str,
        *,
        client_id: str | None = None,
        client_secret: str | None = None,
        access_token: str | None = None,
        ca_bundle: str | None = None,
        retry: RetryPolicy | None = None,
        session: requests.Session | None = None,
        logger: logging.Logger | None = None,
    ) -> None:
        self.api_url = api_url.rstrip("/")
        self.session = session or requests.Session()
        self.session.headers["User-Agent"] = USER_AGENT
        self.verify: bool | str = ca_bundle or True
        self.timeout = (10.0, 60.0)
        self.retry = retry or RetryPolicy()
        self.logger = logger or logging.getLogger("tap-peopleai")
        self.retry_log = RetryLog(self.logger)
        self.redactor = SecretRedactor()
        self.redactor.add(client_secret)
        self.redactor.add(access_token)
        self.tokens = TokenProvider(self, client_id, client_secret, access_token)
        self.retriable_errors: tuple[type[Exception], ...] = (
            RetriableApiError,
            *TRANSIENT_NETWORK_ERRORS,
        )
        self._server_time: tuple[dt.datetime, float] | None = None
        # Redirect targets get a session of their own: no bearer token, no auth, ever.
        self._storage_session = requests.Session()
        self._storage_session.headers["User-Agent"] = USER_AGENT

    def with_retries(self, call: Callable[[], T], doing: str) -> T:
        """Run ``call`` with retries; transport failures that outlast them get a clear message."""
        try:
            hook = self.retry_log.hook(doing, self.retry.max_tries)
            return self.retry.retrying(self.retriable_errors, call, hook)
        except requests.exceptions.SSLError as exc:
            if any(sign in str(exc).lower() for sign in NOT_TLS_SIGNS):
                msg = (
                    f"The server at {self.api_url} does not speak TLS while {doing}: it answered "
                    "an https request in plain text. Check `api_url`: the scheme or the port is "
                    "wrong (the local sandbox is http://)."
                )
            else:
                msg = (
                    f"TLS certificate verification failed while {doing} ({self.api_url}): "
                    f"{exc}. If a corporate proxy re-signs HTTPS traffic, set `ca_bundle` to "
                    "its CA certificate file (PEM)."
                )
            raise TapPeopleAIError(msg) from exc
        except TRANSIENT_NETWORK_ERRORS as exc:
            # The exception text may hold a presigned storage URL: name only its kind.
            msg = (
                f"Gave up after {self.retry.max_tries} attempts while {doing}: the connection "
                f"kept failing ({type(exc).__name__}). Check `api_url` ({self.api_url}) and the "
                "network; the next sync resumes where this one stopped."
            )
            raise TapPeopleAIError(msg) from exc

    def url(self, path: str) -> str:
        """Absolute URL of an API path."""
        return f"{self.api_url}{path}"

    # Server clock -------------------------------------------------------------------------

    def note_server_time(self, response: requests.Response) -> None:
        """Remember the server's clock from the response's Date header."""
        header = response.headers.get("Date")
        if not header:
            return
        try:
            moment = email.utils.parsedate_to_datetime(header)
        except (TypeError, ValueError):
            return
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=dt.timezone.utc)
        self._server_time = (moment.astimezone(dt.timezone.utc), time.monotonic())

    def server_now(self) -> dt.datetime:
        """The API server's current time (its Date header), or the local clock if it sent none."""
        if self._server_time is None:
            return dt.datetime.now(dt.timezone.utc)
        moment, seen_at = self._server_time
        return moment + dt.timedelta(seconds=time.monotonic() - seen_at)

    # Requests -----------------------------------------------------------------------------

    def raise_for_status(self, response: requests.Response, doing: str) -> None:
        """Raise a readable ApiError (retriable for 429 and 5xx) unless the response succeeded."""
        status = response.status_code
        if status < 400:
            return
        detail = describe_error_body(response, self.redactor)
        msg = f"HTTP {status} from the People.ai API while {doing}: {detail}"
        if status == 403:
            msg += (
                ". The key may lack access to the export: it must be an *Activity* API key "
                "(Settings → API Key Management)"
            )
        if status == 429 or status >= 500:
            raise RetriableApiError(msg, status, detail)
        raise ApiError(msg, status, detail)

    def _authorized(
        self,
        method: str,
        path: str,
        doing: str,
        *,
        params: dict[str, Any] | None = None,
        json_body: Any = None,
        stream: bool = False,
        allow_redirects: bool = True,
    ) -> requests.Response:
        """One API call with a bearer token; a 401 renews the token once and retries."""
        for attempt in (1, 2):
            token = self.tokens.token()
            response = self.session.request(
                method,
                self.url(path),
                params=params,
                json=json_body,
                headers={"Authorization": f"Bearer {token}"},
                timeout=self.timeout,
                verify=self.verify,
                stream=stream,
                allow_redirects=allow_redirects,
            )
            self.note_server_time(response)
            if response.status_code != 401:
                return response
            response.close()
            self.tokens.invalidate(token)
            if attempt == 2 or not self.tokens.can_refresh:
                break
        msg = f"The API rejected the access token (HTTP 401) while {doing}. " + (
            "A fresh token was rejected too: check that the key is an *Activity* API key "
            "and still active."
            if self.tokens.can_refresh
            else "The configured `access_token` is invalid or expired: renew it, or set "
            "`client_id` and `client_secret` so the tap can renew tokens itself."
        )
        raise AuthenticationError(msg)

    def _call_json(
        self,
        method: str,
        path: str,
        doing: str,
        *,
        json_body: Any = None,
        not_found_ok: bool = False,
    ) -> Any:
        def call() -> Any:
            response = self._authorized(method, path, doing, json_body=json_body)
            if not_found_ok and response.status_code == 404:
                return None
            self.raise_for_status(response, doing)
            try:
                return response.json()
            except ValueError as exc:
                msg = (
                    f"HTTP {response.status_code} from the People.ai API while {doing} was not "
                    f"JSON: {describe_error_body(response, self.redactor)}"
                )
                raise RetriableApiError(msg, response.status_code) from exc

        return self.with_retries(call, doing)

    # Jobs ---------------------------------------------------------------------------------

    def create_job(self, body: dict[str, str]) -> dict[str, Any]:
        """Create an export job. Limit errors (429, or 400/409 when the queue is full) propagate."""
        doing = f"creating a {body['export_type']} job for {body['start_date']}..{body['end_date']}"

        def call() -> dict[str, Any]:
            response = self._authorized("POST", JOBS_PATH, doing, json_body=body)
            if response.status_code >= 500:
                self.raise_for_status(response, doing)
            if response.status_code >= 400:
                # 429 too: a full queue can last minutes, so the caller decides when to try again.
                detail = describe_error_body(response, self.redactor)
                msg = f"HTTP {response.status_code} from the People.ai API while {doing}: {detail}"
                raise ApiError(msg, response.status_code, detail)
            try:
                job = response.json()
            except ValueError:
                job = None
            if not isinstance(job, dict) or "job_id" not in job:
                msg = f"Unexpected answer while {doing}: no `job_id` in {response.text[:200]!r}"
                raise RetriableApiError(msg, response.status_code)
            return job

        return self.with_retries(call, doing)

    def get_job(self, job_id: str) -> dict[str, Any] | None:
        """One job's status, or None when the API no longer knows it (expired or unknown)."""
        job = self._call_json(
            "GET", f"{JOBS_PATH}/{job_id}", f"reading the status of job {job_id}", not_found_ok=True
        )
        return job if isinstance(job, dict) else None

    def list_jobs(self) -> list[dict[str, Any]]:
        """Every job the API still lists (created in the past 10 days)."""
        body = self._call_json("GET", JOBS_PATH, "listing export jobs")
        if isinstance(body, dict):
            for key in ("jobs", "data", "items", "results"):
                if isinstance(body.get(key), list):
                    body = body[key]
                    break
        return [job for job in body if isinstance(job, dict)] if isinstance(body, list) else []

    # Downloads ----------------------------------------------------------------------------

    def download_fragment(
        self, job_id: str, index: int, sink: IO[bytes], expected_bytes: int | None = None
    ) -> bool:
        """Stream fragment ``index`` of a job into ``sink``; False when it does not exist (404).

        ``sink`` is rewound for every attempt, so a retried download never leaves a partial
        copy behind. Gzip-encoded bodies are decoded. A redirect is followed without the
        bearer token (presigned storage URLs reject it and must never see it).
        """
        path = f"{JOBS_PATH}/{job_id}/data"
        doing = f"downloading fragment {index} of job {job_id}"

        def attempt() -> bool:
            sink.seek(0)
            sink.truncate()
            response = self._authorized(
                "GET", path, doing, params={"fragment": index}, stream=True, allow_redirects=False
            )
            hops = 0
            while response.is_redirect and hops < 5:
                location = urljoin(response.url, response.headers["Location"])
                response.close()
                response = self._storage_get(location)
                hops += 1
            with response:
                if response.status_code == 404:
                    return False
                self.raise_for_status(response, doing)
                self._stream_body(response, sink, doing, expected_bytes)
            return True

        return self.with_retries(attempt, doing)

    def _storage_get(self, location: str) -> requests.Response:
        scheme = urlsplit(location).scheme
        if scheme not in ("http", "https"):
            msg = f"The API redirected a download to an unsupported URL scheme: {scheme!r}"
            raise ApiError(msg, 302)
        return self._storage_session.get(
            location, stream=True, timeout=self.timeout, verify=self.verify, allow_redirects=False
        )

    @staticmethod
    def _stream_body(
        response: requests.Response, sink: IO[bytes], doing: str, expected_bytes: int | None
    ) -> None:
        length_header = response.headers.get("Content-Length")
        declared = int(length_header) if length_header and length_header.isdigit() else None
        size = declared or expected_bytes or 0
        allowed = max(MIN_DOWNLOAD_SECONDS, size * DOWNLOAD_SECONDS_PER_BYTE)
        deadline = time.monotonic() + allowed
        for chunk in response.iter_content(CHUNK_BYTES):
            if GUARD.stopping.is_set():
                msg = f"{doing} stopped: the sync is being interrupted"
                raise DownloadCancelledError(msg)
            sink.write(chunk)
            if time.monotonic() > deadline:
                msg = f"{doing} took longer than the {allowed:.0f} s allowed for its size"
                raise DownloadIncompleteError(msg)
        received = response.raw.tell()
        if declared is not None and received < declared:
            msg = f"{doing} ended after {received} of {declared} bytes"
            raise DownloadIncompleteError(msg)
        sink.flush()
