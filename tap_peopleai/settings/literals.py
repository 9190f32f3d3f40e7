"""How a date and a whole number are read from text, one way for every part of the tap.

Settings, the state's bookmark and the API's job objects all carry them, as JSON values or as
text; each reads them here, strictly, and says itself what a value that does not read means.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import re

# Strictly YYYY-MM-DD: date.fromisoformat alone would also read 20260601 or 2026-W22-1.
ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
WHOLE_NUMBER = re.compile(r"[+-]?[0-9]+")


def iso_date(text: str) -> dt.date | None:
    """The date ``text`` writes as ``YYYY-MM-DD``; None if it writes anything else."""
    if ISO_DATE.fullmatch(text):
        with contextlib.suppress(ValueError):
            return dt.date.fromisoformat(text)
    return None


def whole_number(value: object, low: int | None = None, high: int | None = None) -> int | None:
    """A whole number in ``low..high``: a JSON integer (never a boolean) or text of decimal
    digits, with a sign and blanks around; None for anything else."""
    if isinstance(value, str) and WHOLE_NUMBER.fullmatch(value.strip()):
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int):
        return None
    if (low is not None and value < low) or (high is not None and value > high):
        return None
    return value
