"""Timestamps in any shape the API has used, as RFC 3339 UTC (``2022-07-12T07:13:58Z``).

The API documents ``yyyy-MM-ddTHH:mm:ssZ``, but exports have carried naive values (meaning
UTC), fractional seconds, offsets, a space instead of ``T``, and ``created`` has come in ISO 8601
basic form (``20250103T100000Z``), as an HTTP date (``Fri, 03 Jan 2025 10:00:00 GMT``) and as
epoch milliseconds. All of them name one instant; the canonical text names it the same way
everywhere, so that loaders store one type and analysts compare like with like.
"""

from __future__ import annotations

import datetime as dt
import email.utils
import re

from tap_peopleai.settings.literals import iso_date

_EXTENDED = re.compile(
    r"(\d{4})-(\d{2})-(\d{2})"
    r"(?:[Tt ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d+))?)?)?"
    r"\s*(Z|z|UTC|GMT|[+-]\d{2}(?::?\d{2})?)?"
)
_BASIC = re.compile(
    r"(\d{4})(\d{2})(\d{2})"
    r"(?:[Tt](\d{2})(\d{2})(?:(\d{2})(?:[.,](\d+))?)?)?"
    r"(Z|z|[+-]\d{2}(?:\d{2})?)?"
)
_EPOCH = dt.datetime(1970, 1, 1)
# Epoch numbers are read as seconds or milliseconds only where that gives a year 1973-5138:
# smaller numbers (a count, a duration) are not taken for a time.
_EPOCH_SECONDS = (10**8, 10**11)
_EPOCH_MILLISECONDS = (10**11, 10**14)


def written_canonically(values: list[str]) -> bool:
    """Whether timestamp texts are all written as the API documents (``YYYY-MM-DDTHH:MM:SSZ``).

    The text only, for one value or for many at once: of many, each must be RFC 3339 with a
    zone (so 20 characters or more, as msgspec's check makes sure), and then one of exactly 20
    is canonical unless it writes "t", " " or "z". C-level calls only: this runs for every
    record, and a Python loop over the values cost more.
    """
    joined = "".join(values)
    count = len(values)
    return (
        len(joined) == 20 * count
        and joined[10::20] == "T" * count
        and joined[19::20] == "Z" * count
    )


def is_canonical(value: str | None) -> bool:
    """None, or a real calendar time written as the API documents it (``...T..:..:..Z``)."""
    if value is None:
        return True
    if not written_canonically([value]):
        return False
    try:
        dt.datetime.fromisoformat(value[:19])
    except ValueError:
        return False
    return True


def normalize_timestamp(value: object) -> str:
    """Return ``value`` as RFC 3339 UTC; raises ValueError if it is not a timestamp.

    Accepts ISO 8601 text (extended or basic, ``T`` or a space, any fraction, ``Z``, an offset
    or no zone, meaning UTC), HTTP/email dates, and epoch seconds or milliseconds as numbers.
    Fractions finer than microseconds are cut to microseconds.
    """
    if isinstance(value, str):
        if is_canonical(value):
            return value
        return _format(_parse_text(value.strip()))
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return _format(_from_epoch(value))
    msg = f"expected a timestamp, got {type(value).__name__} {value!r}"
    raise ValueError(msg)


def _parse_text(text: str) -> tuple[dt.datetime, str]:
    """The naive UTC time and the fraction digits of a timestamp text."""
    match = _EXTENDED.fullmatch(text) or _BASIC.fullmatch(text)
    if match is None:
        return _parse_http_date(text)
    year, month, day, hour, minute, second, fraction, zone = match.groups()
    try:
        moment = dt.datetime(
            int(year), int(month), int(day), int(hour or 0), int(minute or 0), int(second or 0)
        )
    except ValueError as exc:
        msg = f"not a timestamp: {text!r} ({exc})"
        raise ValueError(msg) from None
    if zone and zone[0] in "+-":
        sign = -1 if zone[0] == "-" else 1
        digits = zone[1:].replace(":", "")
        moment -= sign * dt.timedelta(hours=int(digits[:2]), minutes=int(digits[2:4] or 0))
    return moment, fraction or ""


def _parse_http_date(text: str) -> tuple[dt.datetime, str]:
    try:
        moment = email.utils.parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        msg = f"not a timestamp: {text!r}"
        raise ValueError(msg) from None
    if moment.tzinfo is not None:
        moment = moment.astimezone(dt.timezone.utc).replace(tzinfo=None)
    return moment, ""


def _from_epoch(number: float) -> tuple[dt.datetime, str]:
    magnitude = abs(number)
    if _EPOCH_SECONDS[0] <= magnitude < _EPOCH_SECONDS[1]:
        micros = round(number * 1_000_000)
    elif _EPOCH_MILLISECONDS[0] <= magnitude < _EPOCH_MILLISECONDS[1]:
        micros = round(number * 1_000)
    else:
        msg = f"not a timestamp: the number {number!r} is not epoch seconds or milliseconds"
        raise ValueError(msg)
    seconds, fraction = divmod(micros, 1_000_000)
    return _EPOCH + dt.timedelta(seconds=seconds), f"{fraction:06d}"


def _format(parsed: tuple[dt.datetime, str]) -> str:
    moment, fraction = parsed
    text = moment.strftime("%Y-%m-%dT%H:%M:%S")
    if moment.year < 1000:  # strftime does not pad years on every platform
        text = f"{moment.year:04d}{text[text.index('-') :]}"
    fraction = fraction[:6].rstrip("0")
    return f"{text}.{fraction}Z" if fraction else f"{text}Z"


def normalize_date(value: object) -> str:
    """Return ``value`` as an ISO date (``YYYY-MM-DD``); raises ValueError if it is not one.

    A timestamp is a date only when it is midnight UTC: any other time of day would be lost.
    """
    day = iso_date(value) if isinstance(value, str) else None
    if day is not None:
        return day.isoformat()
    timestamp = normalize_timestamp(value)
    if timestamp[10:] != "T00:00:00Z":
        msg = f"not a date: {value!r} is {timestamp}, not midnight UTC"
        raise ValueError(msg)
    return timestamp[:10]
