"""One log line per retry: what failed, why, attempt n of N and the wait before it.

A flaky network can fail many requests a minute, so the lines go through a budget: beyond
``RETRY_LINES_PER_MINUTE`` they are logged at DEBUG only and counted, and the next heartbeat
says how many were left out. Exception texts of network errors are never logged: they may hold
a presigned storage URL. API error bodies were redacted when the error was raised.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

import requests
from backoff.types import Details

from tap_peopleai.errors import ApiError, TapPeopleAIError
from tap_peopleai.oplog.bookkeeping import Clock, LineBudget

RETRY_LINES_PER_MINUTE = 10
KIND_OF_NETWORK_ERROR = (
    (requests.Timeout, "no answer in time"),
    (requests.exceptions.ChunkedEncodingError, "the connection broke mid-transfer"),
    (requests.exceptions.ContentDecodingError, "the body could not be decoded"),
    (requests.ConnectionError, "could not connect or the connection dropped"),
)


# How the resolver and the kernel word the two failures a wrong `api_url` causes most.
NAME_NOT_RESOLVED_SIGNS = (
    "NameResolutionError",
    "Name or service not known",
    "nodename nor servname",
    "Temporary failure in name resolution",
    "No address associated with hostname",
    "getaddrinfo failed",
)
CONNECTION_REFUSED_SIGNS = ("Connection refused", "ConnectionRefusedError")


def describe_network_failure(exc: BaseException) -> str:
    """What kind of network failure ``exc`` is, in words; its text (which may hold a presigned
    storage URL) is read, never shown."""
    kind = type(exc).__name__
    text = str(exc)
    if any(sign in text for sign in NAME_NOT_RESOLVED_SIGNS):
        return f"the host name does not resolve ({kind})"
    if any(sign in text for sign in CONNECTION_REFUSED_SIGNS):
        return f"connection refused ({kind})"
    for error, words in KIND_OF_NETWORK_ERROR:
        if isinstance(exc, error):
            return f"{words} ({kind})"
    return kind


def describe_failure(exc: BaseException, doing: str) -> str:
    """Why an attempt failed, in a few words and without anything secret."""
    if isinstance(exc, ApiError):
        text = exc.api_message
        if text.startswith("non-JSON body"):
            text = text.split(":", 1)[0]  # a proxy's or a storage's error page: its kind only
        detail = f" ({text[:120]})" if text else ""
        return f"HTTP {exc.status}{detail}"
    if isinstance(exc, TapPeopleAIError):
        # The tap's own messages (a download cut short) start with what was being done.
        return str(exc).removeprefix(doing).strip()[:200]
    return describe_network_failure(exc)


class RetryLog:
    """Counts retries and logs each one, within the line budget."""

    def __init__(self, logger: logging.Logger, clock: Clock = time.monotonic) -> None:
        self.logger = logger
        self.budget = LineBudget(RETRY_LINES_PER_MINUTE, clock)
        self.retries = 0
        self._lock = threading.Lock()

    def hook(self, doing: str, max_tries: int) -> Callable[[Details], None]:
        """A python-backoff ``on_backoff`` handler for one call."""

        def on_backoff(details: Details) -> None:
            with self._lock:
                self.retries += 1
            failure = describe_failure(details["exception"], doing)
            level = logging.INFO if self.budget.allow() else logging.DEBUG
            self.logger.log(
                level,
                "Retrying in %.2f s, attempt %d of %d: %s failed: %s.",
                details["wait"],
                details["tries"] + 1,
                max_tries,
                doing,
                failure,
            )

        return on_backoff
