"""What every call to the API shares: its address, one HTTP session, timeouts, the certificates
to trust, the server's clock, retries and secret redaction.

The client (the endpoints) and the token provider (the credentials) both send through one
``ApiTransport``, built first and passed to each: neither reaches into the other.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any, TypeVar

import requests

from tap_peopleai.api import responses as api_responses
from tap_peopleai.api.redaction import SecretRedactor
from tap_peopleai.api.retry_policy import RetryPolicy
from tap_peopleai.api.server_clock import ServerClock
from tap_peopleai.oplog.retry_log import RetryLog

USER_AGENT = "tap-peopleai/0.1 (+singer-sdk)"

T = TypeVar("T")


class ApiTransport:
    """Sends requests to the API and retries calls; every answer's Date header is noted."""

    def __init__(
        self,
        api_url: str,
        *,
        ca_bundle: str | None = None,
        retry: RetryPolicy | None = None,
        timeout: tuple[float, float] = (10.0, 60.0),
        session: requests.Session | None = None,
        logger: logging.Logger | None = None,
    ) -> None:
        self.api_url = api_url.rstrip("/")
        # Every secret the client and the token provider know, kept out of messages.
        self.redactor = SecretRedactor()
        self.session = session or requests.Session()
        self.session.headers["User-Agent"] = USER_AGENT
        self.verify: bool | str = ca_bundle or True
        self.timeout = timeout  # (connect, read) seconds
        self.retry = retry or RetryPolicy()
        self.retry_log = RetryLog(logger or logging.getLogger("tap-peopleai"))
        self.server_clock = ServerClock()

    def url(self, path: str) -> str:
        """Absolute URL of an API path."""
        return f"{self.api_url}{path}"

    def send(self, method: str, path: str, **request: Any) -> requests.Response:
        """One request to an API path (``request``: requests' keyword arguments)."""
        response = self.session.request(
            method, self.url(path), timeout=self.timeout, verify=self.verify, **request
        )
        self.server_clock.note(response)
        return response

    def with_retries(self, call: Callable[[], T], doing: str) -> T:
        """Run ``call`` with retries; transport failures that outlast them get a clear message."""
        hook = self.retry_log.hook(doing, self.retry.max_tries)
        return self.retry.run(call, doing, self.api_url, hook)

    def raise_for_status(
        self, response: requests.Response, doing: str, redirected: bool = False
    ) -> None:
        """Raise a readable ApiError (retriable for 429 and 5xx, any status of a redirect
        target) unless the response succeeded."""
        api_responses.raise_for_status(response, doing, self.redactor, redirected)
