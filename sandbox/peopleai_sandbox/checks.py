"""Checking what a pipeline loaded against the sandbox's ground truth.

Warehouses hand timestamps back in many shapes (aware or naive datetimes, epoch microseconds,
text with or without a zone or fraction); comparisons need them as aware UTC datetimes.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone
from typing import Any

UTC = timezone.utc


def to_utc(value: Any) -> datetime:
    """A timestamp as an aware UTC datetime: from a datetime, epoch microseconds or ISO text."""
    if isinstance(value, datetime):
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
    if isinstance(value, int):
        return datetime(1970, 1, 1, tzinfo=UTC) + timedelta(microseconds=value)
    text = str(value).strip().replace(" ", "T", 1)
    if text.endswith(("Z", "z")):
        text = text[:-1] + "+00:00"
    if re.search(r"[+-]\d\d$", text):
        text += ":00"
    if "." in text:  # Python 3.10's fromisoformat wants exactly 3 or 6 fractional digits
        head, _, tail = text.partition(".")
        digits = re.match(r"\d*", tail)
        frac = digits.group(0) if digits else ""
        text = f"{head}.{(frac + '000000')[:6]}{tail[len(frac) :]}"
    parsed = datetime.fromisoformat(text)
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)
