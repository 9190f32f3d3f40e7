"""The People.ai export API's endpoints: tokens, jobs and fragment downloads.

What an answer means is decided in responses.py, how failures are retried in retry_policy.py,
how a request is sent (session, timeouts, certificates, the server's clock) in transport.py and
how a body is streamed to disk in fragment_body.py; this module only says which call goes where,
with which credentials.
"""

from __future__ import annotations

import datetime as dt
from typing import IO, Any
from urllib.parse import urljoin, urlsplit

import requests

from tap_peopleai.api import responses as api_responses
from tap_peopleai.api.auth import TokenProvider
from tap_peopleai.api.fragment_body import BodyReceipt, stream_body
from tap_peopleai.api.transport import USER_AGENT, ApiTransport
from tap_peopleai.errors import ApiError, AuthenticationError, DownloadIncompleteError

JOBS_PATH = "/pull/v1/export/activities/jobs"
# Redirect hops a download follows before it counts as failed (a chain may never end).
MAX_REDIRECTS = 5


class PeopleAIClient:
    """Calls the export API: jobs and streamed downloads, with retries and token renewal."""

    def __init__(
        self,
        http: ApiTransport,
        *,
        client_id: str | None = None,
        client_secret: str | None = None,
        access_token: str | None = None,
    ) -> None:
        self.http = http
        self.redactor = http.redactor
        self.redactor.add(client_secret)
        self.redactor.add(access_token)
        self.tokens = TokenProvider(http, client_id, client_secret, access_token)
        # Redirect targets get a session of their own: no bearer token, no auth, ever.
        self._storage_session = requests.Session()
        self._storage_session.headers["User-Agent"] = USER_AGENT

    def server_now(self) -> dt.datetime:
        """The API server's current time (its Date header), or the local clock if it sent none."""
        return self.http.server_clock.now()

    # Requests -----------------------------------------------------------------------------

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
            response = self.http.send(
                method,
                path,
                params=params,
                json=json_body,
                headers={"Authorization": f"Bearer {token}"},
                stream=stream,
                allow_redirects=allow_redirects,
            )
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
            self.http.raise_for_status(response, doing)
            return api_responses.json_body(response, doing, self.redactor)

        return self.http.with_retries(call, doing)

    # Jobs ---------------------------------------------------------------------------------

    def create_job(self, body: dict[str, str]) -> dict[str, Any]:
        """Create an export job. Limit errors (429, or 400/409 when the queue is full) propagate."""
        doing = f"creating a {body['export_type']} job for {body['start_date']}..{body['end_date']}"

        def call() -> dict[str, Any]:
            response = self._authorized("POST", JOBS_PATH, doing, json_body=body)
            api_responses.raise_for_job_creation(response, doing, self.redactor)
            return api_responses.created_job(response, doing, self.redactor)

        return self.http.with_retries(call, doing)

    def get_job(self, job_id: str) -> dict[str, Any] | None:
        """One job's status, or None when the API no longer knows it (expired or unknown)."""
        job = self._call_json(
            "GET", f"{JOBS_PATH}/{job_id}", f"reading the status of job {job_id}", not_found_ok=True
        )
        return job if isinstance(job, dict) else None

    def list_jobs(self) -> list[dict[str, Any]]:
        """Every job the API still lists (created in the past 10 days)."""
        return api_responses.listed_jobs(self._call_json("GET", JOBS_PATH, "listing export jobs"))

    # Downloads ----------------------------------------------------------------------------

    def download_fragment(
        self,
        job_id: str,
        index: int,
        sink: IO[bytes],
        expected_bytes: int | None = None,
        must_have_data: bool = False,
    ) -> BodyReceipt | None:
        """Stream fragment ``index`` of a job into ``sink``, shown whole; None on a 404.

        ``sink`` is rewound for every attempt, so a retried download never leaves a partial
        copy behind. A download that cannot be shown whole (see fragment_body.py; empty where
        ``must_have_data``; a redirect chain longer than ``MAX_REDIRECTS`` or ending in anything
        but a 200) is retried like a dropped connection. Redirects are followed without the
        bearer token (presigned storage URLs reject it and must never see it).
        """
        path = f"{JOBS_PATH}/{job_id}/data"
        doing = f"downloading fragment {index} of job {job_id}"

        def attempt() -> BodyReceipt | None:
            sink.seek(0)
            sink.truncate()
            response = self._authorized(
                "GET", path, doing, params={"fragment": index}, stream=True, allow_redirects=False
            )
            hops = 0
            while response.is_redirect:
                response.close()
                if hops == MAX_REDIRECTS:
                    msg = f"it was redirected more than {MAX_REDIRECTS} times"
                    raise DownloadIncompleteError(msg)
                location = urljoin(response.url, response.headers["Location"])
                response = self._storage_get(location)
                hops += 1
            with response:
                status = response.status_code
                if status == 404:
                    return None
                self.http.raise_for_status(response, doing, redirected=hops > 0)
                if status != 200:
                    where = "its redirect target" if hops else "it"
                    msg = f"{where} answered HTTP {status} instead of 200 with the data"
                    raise DownloadIncompleteError(msg)
                receipt = stream_body(response, sink, doing, expected_bytes)
            if must_have_data and receipt.decoded_bytes == 0:
                msg = "it answered an empty body, although the job announced data"
                raise DownloadIncompleteError(msg)
            return receipt

        return self.http.with_retries(attempt, doing)

    def _storage_get(self, location: str) -> requests.Response:
        scheme = urlsplit(location).scheme
        if scheme not in ("http", "https"):
            msg = f"The API redirected a download to an unsupported URL scheme: {scheme!r}"
            raise ApiError(msg, 302)
        return self._storage_session.get(
            location,
            stream=True,
            timeout=self.http.timeout,
            verify=self.http.verify,
            allow_redirects=False,
        )
