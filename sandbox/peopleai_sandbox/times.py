"""Times as integer microseconds since the Unix epoch, and how the export renders them.

The universe keeps every time as an integer (cheap to compare and to store in arrays); these
helpers convert to and from aware UTC datetimes and render a time in a timestamp style.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

UTC = timezone.utc
SECOND_US = 1_000_000
HOUR_US = 3600 * SECOND_US
DAY_US = 86_400 * SECOND_US
_UNIX_AWARE = datetime(1970, 1, 1, tzinfo=UTC)


def to_us(value: datetime) -> int:
    """Microseconds since the Unix epoch of an aware datetime."""
    delta = value - _UNIX_AWARE
    return (delta.days * 86_400 + delta.seconds) * SECOND_US + delta.microseconds


def from_us(value: int) -> datetime:
    """Aware UTC datetime of microseconds since the Unix epoch."""
    return _UNIX_AWARE + timedelta(microseconds=value)


def day_start_us(day: date) -> int:
    """Microseconds since the Unix epoch of 00:00 UTC of ``day``."""
    return (day - date(1970, 1, 1)).days * DAY_US


_DAY_STRINGS: dict[int, str] = {}


def format_timestamp(value_us: int, style: str) -> str:
    """Render a time as the export does in ``style`` (``z``, ``naive`` or ``fractional``)."""
    seconds, micros = divmod(value_us, SECOND_US)
    days, within = divmod(seconds, 86_400)
    day = _DAY_STRINGS.get(days)
    if day is None:  # a render formats ~5 times a record: building datetimes dominated it
        day = _DAY_STRINGS[days] = (date(1970, 1, 1) + timedelta(days=days)).isoformat()
    hours, within = divmod(within, 3600)
    minutes, secs = divmod(within, 60)
    base = f"{day}T{hours:02d}:{minutes:02d}:{secs:02d}"
    if style == "z":
        return base + "Z"
    if style == "naive":
        return base
    if micros % 1000 == 0:
        return f"{base}.{micros // 1000:03d}Z"
    return f"{base}.{micros:06d}Z"


def rendered_us(value_us: int, style: str) -> int:
    """The time a client parses back from ``format_timestamp(value_us, style)``."""
    if style == "fractional":
        return value_us
    return value_us - value_us % SECOND_US
