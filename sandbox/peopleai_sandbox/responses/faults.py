"""Injected faults: the decisions that turn reproducible draws into failed or spoiled answers.

The draws are ``models.fault_dice``'s, so a run is reproducible.
Faults are bounded: a dropped or garbled download of a resource is always followed by a clean
one, so at rate 1.0 every *other* attempt fails and a client that retries makes progress.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

from peopleai_sandbox.errors import HTTP_REASONS, ApiError
from peopleai_sandbox.models.fault_dice import FaultDice
from peopleai_sandbox.models.stats import Counters
from peopleai_sandbox.responses.error_bodies import ErrorRenderer, html_error_page, xml_error
from peopleai_sandbox.responses.messages import Response
from peopleai_sandbox.settings.faults import Faults

INJECTED_STATUSES = (429, 500, 502, 503)
_API_MESSAGES = {
    429: "Too many requests",
    500: "Internal server error",
    502: "Bad gateway",
    503: "Service temporarily unavailable",
}


class FaultInjector:
    """Decides per request whether a fault replaces or spoils the answer."""

    def __init__(
        self,
        settings: Callable[[], Faults],
        dice: FaultDice,
        counters: Counters,
        errors: ErrorRenderer,
    ) -> None:
        self._settings = settings
        self._dice = dice
        self._counters = counters
        self._errors = errors
        self._lock = threading.Lock()
        self._faulted_downloads: set[tuple[str, str, str]] = set()

    def http_error(self, route: str, path: str, storage: bool = False) -> Response | None:
        """Maybe a random 429/500/502/503 answer instead of the real one (None: no fault).

        ``route`` names the draw stream (``token``, ``create``, ``list``, ``status``, ``data``,
        ``storage``); ``storage`` answers in object storage's XML instead of the API's JSON.
        """
        faults = self._settings()
        if self._dice.roll(f"http_{route}") >= faults.http_error_rate:
            return None
        status = INJECTED_STATUSES[int(self._dice.roll(f"http_status_{route}") * 4) % 4]
        self._counters.count_fault(f"http_{status}")
        if faults.html_error_bodies:
            answer = html_error_page(status)
        elif storage:
            answer = xml_error(
                status,
                "SlowDown" if status == 503 else "InternalError",
                "Please reduce your request rate."
                if status == 503
                else "We encountered an internal error. Please try again.",
            )
        else:
            code = HTTP_REASONS[status].lower().replace(" ", "_")
            error = ApiError(status, code, _API_MESSAGES[status])
            answer = Response.json(status, self._errors.body(error, path))
        answer.close = status in (500, 502)  # as a failing proxy does
        return answer

    def spoils_download(self, kind: str, rate: float, resource: tuple[str, str]) -> bool:
        """Whether this download of ``resource`` (job id, fragment) suffers fault ``kind``.

        A faulted download is followed by a clean one of the same resource, unless the
        download faults are persistent.
        """
        draw = self._dice.roll(kind)
        key = (kind, *resource)
        if self._settings().persistent_download_faults:
            return draw < rate
        with self._lock:
            if key in self._faulted_downloads:
                self._faulted_downloads.discard(key)
                return False
            if draw < rate:
                self._faulted_downloads.add(key)
                return True
        return False
