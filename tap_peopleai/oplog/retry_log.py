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
    for kind, words in KIND_OF_NETWORK_ERROR:
        if isinstance(exc, kind):
            return f"{words} ({type(exc).__name__})"
    return type(exc).__name__


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
