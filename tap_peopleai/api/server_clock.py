"""The API server's clock, read from its Date headers: job ages and "today" go by it."""

from __future__ import annotations

import datetime as dt
import email.utils
import time

import requests


class ServerClock:
    """The server's current time, from the last Date header seen plus the time since."""

    def __init__(self) -> None:
        self._seen: tuple[dt.datetime, float] | None = None

    def note(self, response: requests.Response) -> None:
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
        self._seen = (moment.astimezone(dt.timezone.utc), time.monotonic())

    def source(self) -> str:
        """Where ``now`` comes from, in words."""
        if self._seen is None:
            return "this machine's clock: the API sent no Date header"
        return "the API's Date header"

    def now(self) -> dt.datetime:
        """The API server's current time (its Date header), or the local clock if it sent none."""
        if self._seen is None:
            return dt.datetime.now(dt.timezone.utc)
        moment, seen_at = self._seen
        return moment + dt.timedelta(seconds=time.monotonic() - seen_at)
