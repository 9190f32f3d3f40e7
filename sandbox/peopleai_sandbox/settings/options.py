"""Settings fields that carry their flag: help, choices, parser (``option``), and the checks
and parsers the settings share.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import field
from datetime import datetime, timedelta, timezone
from typing import Any

UTC = timezone.utc


def option(
    default: Any,
    help_text: str,
    choices: tuple[Any, ...] | None = None,
    *,
    flag: str | None = None,
    parse: Callable[[str], Any] | None = None,
    default_text: str | None = None,
    repeat: bool = False,
    metavar: str | None = None,
) -> Any:
    """A dataclass field whose metadata the CLI turns into a flag.

    ``flag`` overrides the flag name (default ``--field-name``), ``parse`` converts the flag's
    text (default: from the field's type), ``default_text`` shows the default in the help;
    a ``repeat`` flag may be given several times and makes a tuple; ``metavar`` names the
    flag's value in the help.
    """
    metadata = {
        "help": help_text,
        "choices": choices,
        "flag": flag,
        "parse": parse,
        "default_text": default_text,
        "repeat": repeat,
        "metavar": metavar,
    }
    return field(default=default, metadata=metadata)


def parse_timestamp(value: str) -> datetime:
    """An ISO 8601 instant (``Z`` or an offset; naive means UTC)."""
    parsed = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def parse_days(value: str) -> timedelta:
    """A number of days (fractions and negative values allowed)."""
    return timedelta(days=float(value))


def check_choice(owner: str, name: str, value: Any, choices: tuple[Any, ...]) -> None:
    if value not in choices:
        raise ValueError(f"{owner}.{name} must be one of {choices}, not {value!r}")


def check_rate(owner: str, name: str, value: float) -> None:
    if not 0.0 <= value <= 1.0:
        raise ValueError(f"{owner}.{name} must be a rate between 0 and 1, not {value!r}")
