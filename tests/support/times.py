"""Timestamps: strictly as the tap emits them, and in every shape the sandbox's API sends."""

from __future__ import annotations

import datetime as dt
import re
from email.utils import parsedate_to_datetime
from typing import Any

from peopleai_sandbox.checks import to_utc

UTC = dt.timezone.utc

__all__ = ["UTC", "parse_emitted", "sent_instant", "to_utc"]


def parse_emitted(value: str) -> dt.datetime:
    """Parse an emitted RFC 3339 UTC timestamp (``...Z``); refuses anything else."""
    assert value.endswith("Z"), value
    return dt.datetime.fromisoformat(value[:-1]).replace(tzinfo=UTC)


def sent_instant(value: Any) -> dt.datetime | None:
    """The instant a served timestamp names, in any shape the sandbox sends; None if none.

    ISO 8601 text (zone or not, any fraction), epoch seconds or milliseconds, RFC 1123
    (``... GMT``) and the basic format ``20250203T101500Z``.
    """
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return dt.datetime.fromtimestamp(value / 1000 if abs(value) >= 1e11 else value, UTC)
    if not isinstance(value, str):
        return None
    if value.endswith("GMT"):
        return parsedate_to_datetime(value)
    if re.fullmatch(r"\d{8}T\d{6}Z", value):
        return dt.datetime.strptime(value, "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)
    try:
        return to_utc(value)
    except ValueError:
        return None
