"""Which failures are retried, how often, how far apart, and what the tap says when they persist."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

import backoff
import requests
from backoff.types import Details
from requests.exceptions import ChunkedEncodingError, ContentDecodingError

from tap_peopleai.errors import (
    ApiError,
    DownloadIncompleteError,
    RetriableApiError,
    TapPeopleAIError,
)
from tap_peopleai.interrupts import GUARD
from tap_peopleai.oplog.retry_log import describe_network_failure

TRANSIENT_NETWORK_ERRORS = (
    requests.ConnectionError,
    requests.Timeout,
    ChunkedEncodingError,
    ContentDecodingError,
    DownloadIncompleteError,
)
RETRIABLE_ERRORS: tuple[type[Exception], ...] = (RetriableApiError, *TRANSIENT_NETWORK_ERRORS)
# How OpenSSL reports a TLS handshake answered by a server that speaks plain HTTP.
NOT_TLS_SIGNS = ("wrong version number", "record layer failure", "unknown protocol")

T = TypeVar("T")


@dataclass(frozen=True)
class RetryPolicy:
    """How transient failures are retried: exponential backoff with full jitter."""

    max_tries: int = 8
    base_seconds: float = 1.0
    max_wait_seconds: float = 60.0
    # What the line says once retries are spent: a sync's next run resumes; a test just failed.
    after_giving_up: str = "the next sync resumes where this one stopped"

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

    def run(
        self,
        call: Callable[[], T],
        doing: str,
        api_url: str,
        on_backoff: Callable[[Details], None] | None = None,
    ) -> T:
        """Run ``call`` with retries; transport failures that outlast them get a clear message."""
        try:
            return self.retrying(RETRIABLE_ERRORS, call, on_backoff)
        except RetriableApiError as exc:
            # Its retries are spent: a call around this one (a token fetched inside a job
            # request) must not retry it again, multiplying the attempts.
            raise ApiError(str(exc), exc.status, exc.api_message) from exc
        except requests.exceptions.SSLError as exc:
            if any(sign in str(exc).lower() for sign in NOT_TLS_SIGNS):
                msg = (
                    f"The server at {api_url} does not speak TLS while {doing}: it answered "
                    "an https request in plain text. Check `api_url`: the scheme or the port is "
                    "wrong (the local sandbox is http://)."
                )
            else:
                msg = (
                    f"TLS certificate verification failed while {doing} ({api_url}): "
                    f"{exc}. If a corporate proxy re-signs HTTPS traffic, set `ca_bundle` to "
                    "its CA certificate file (PEM)."
                )
            raise TapPeopleAIError(msg) from exc
        except DownloadIncompleteError as exc:
            msg = (
                f"Gave up after {self.max_tries} attempts while {doing}: it stayed incomplete "
                f"({exc}). Nothing of it was acknowledged; the next sync downloads it again."
            )
            raise TapPeopleAIError(msg) from exc
        except TRANSIENT_NETWORK_ERRORS as exc:
            # The exception text may hold a presigned storage URL: name only its kind.
            msg = (
                f"Gave up after {self.max_tries} attempts while {doing}: "
                f"{describe_network_failure(exc)}. Check `api_url` ({api_url}) and the "
                f"network; {self.after_giving_up}."
            )
            raise TapPeopleAIError(msg) from exc
