"""Variant ``type_drift``: values that depart from the documented types.

Some drift is losslessly coercible to the documented type (``duration`` as ``"123"``,
``stage_rank`` as ``"3"`` or ``3.0``, ``reply_received`` as ``"true"``, an integer ``crm_id`` or
``source_id`` where a string is documented), some is not (``duration`` as ``"about an hour"``);
``created`` (an undocumented string) comes in several formats. ``peopleai_id`` is an integer or a
digit string with or without this variant. Which record drifts how is drawn per activity from a
stream of its own, so every version of an activity drifts the same way.
"""

from __future__ import annotations

import random
from typing import Any

from peopleai_sandbox.times import SECOND_US, format_timestamp

UNCOERCIBLE_DURATIONS = ("about an hour", "n/a", "1h 30m")
CREATED_FORMATS = ("space", "offset", "epoch_ms", "rfc1123", "basic")
_WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def apply_type_drift(record: dict[str, Any], rng: random.Random, created_us: int) -> None:
    """Change some values of ``record`` in place to undocumented types or formats.

    ``created_us`` is the time ``created`` stands for (the activity's first ingest).
    """
    duration = rng.random()
    if "duration" in record:
        if duration < 0.15:
            record["duration"] = str(record["duration"])
        elif duration < 0.18:
            record["duration"] = rng.choice(UNCOERCIBLE_DURATIONS)
    rank = rng.random()
    opportunity = record["crm_status"].get("opportunity")
    if opportunity is not None:
        if rank < 0.2:
            opportunity["stage_rank"] = str(opportunity["stage_rank"])
        elif rank < 0.4:
            opportunity["stage_rank"] = float(opportunity["stage_rank"])
    if rng.random() < 0.25 and "reply_received" in record:
        record["reply_received"] = "true" if record["reply_received"] else "false"
    numeric_crm_id = rng.randrange(10**8, 10**11)
    if rng.random() < 0.2 and "crm_id" in record["crm_status"]:
        record["crm_status"]["crm_id"] = numeric_crm_id
    numeric_source_id = rng.randrange(10**9, 10**10)
    if rng.random() < 0.3 and record["type"] == "call":
        record["source_id"] = numeric_source_id
    created = rng.random()
    if created < 0.5:
        style = CREATED_FORMATS[int(created * 10) % len(CREATED_FORMATS)]
        record["created"] = format_created(created_us, style)
    # last: re-processing only appends participants, so earlier people keep their draws
    for person in record["participants"]:
        numeric = rng.randrange(10**9, 10**10)
        if rng.random() < 0.1 and person["crm_id"] is not None:
            person["crm_id"] = numeric


def format_created(value_us: int, style: str) -> str | int:
    """``created`` in one of the drifted formats (whole seconds; ``epoch_ms`` an integer)."""
    seconds = value_us // SECOND_US
    iso = format_timestamp(seconds * SECOND_US, "naive")  # 2025-01-03T10:00:00
    if style == "space":
        return iso.replace("T", " ")
    if style == "offset":
        return iso + "+00:00"
    if style == "epoch_ms":
        return seconds * 1000
    if style == "basic":
        return iso.replace("-", "").replace(":", "") + "Z"
    day, clock = iso.split("T")
    year, month, day_of_month = (int(part) for part in day.split("-"))
    weekday = _WEEKDAYS[(seconds // 86_400 + 3) % 7]  # 1970-01-01 was a Thursday
    return f"{weekday}, {day_of_month:02d} {_MONTHS[month - 1]} {year} {clock} GMT"
