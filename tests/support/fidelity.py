"""Is every value the API sent in the warehouse? Loaded rows against the records as served.

A loaded row holds a served value if the value's column (or its place inside a JSON column)
holds it, up to a change of representation that loses nothing: a timestamp as the same instant,
an integer id as its digits, ``"123"`` as 123, ``"true"`` as true. Otherwise the column must be
null and ``additional_fields`` must hold the value as sent, under the field's path; a field the
schema does not declare must be in ``additional_fields`` under its own name. The judgement here
is made from the served values alone, without the tap's code.
"""

from __future__ import annotations

import math
import re
from datetime import date
from typing import Any

from .times import sent_instant, to_utc

CANONICAL = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{1,6})?Z")


def _same_number(loaded: Any, sent: Any) -> bool:
    if isinstance(sent, str):
        try:
            sent = int(sent) if re.fullmatch(r"-?\d+", sent) else float(sent)
        except ValueError:
            return False
    if isinstance(sent, bool) or isinstance(loaded, bool):
        return False
    return (
        isinstance(sent, (int, float))
        and isinstance(loaded, (int, float))
        and (math.isclose(loaded, sent) if isinstance(sent, float) else loaded == sent)
    )


def holds(loaded: Any, sent: Any, field: dict[str, Any], path: str, kept: dict[str, Any]) -> str:
    """'' if ``loaded`` holds ``sent`` for the declared ``field``, else what is wrong."""
    if sent is None:
        return "" if loaded is None else f"{path}: sent null, loaded {loaded!r}"
    if loaded is None:
        if path in kept and kept[path] == sent:
            return ""
        return f"{path}: sent {sent!r}, loaded null without additional_fields[{path!r}]"
    types = [t for t in field.get("type", []) if t != "null"]
    if "object" in types and "properties" in field:
        if not isinstance(loaded, dict):
            return f"{path}: sent an object, loaded {loaded!r}"
        return _holds_object(loaded, sent, field["properties"], path, kept)
    if "array" in types and isinstance(loaded, list) and isinstance(sent, list):
        if len(loaded) != len(sent):
            return f"{path}: sent {len(sent)} items, loaded {len(loaded)}"
        item = field.get("items", {})
        for index, (one, other) in enumerate(zip(loaded, sent, strict=True)):
            problem = holds(one, other, item, f"{path}[{index}]", kept)
            if problem:
                return problem
        return ""
    fmt = field.get("format")
    if fmt == "date-time":
        # Inside a JSON column the text is what the tap wrote: RFC 3339 UTC. A timestamp
        # column's text (PostgreSQL's row_to_json) has no zone; its type says what it is.
        nested = "." in path or "[" in path
        if nested and not (isinstance(loaded, str) and CANONICAL.fullmatch(loaded)):
            return f"{path}: loaded {loaded!r}, not RFC 3339 UTC"
        same = sent_instant(sent) is not None and to_utc(loaded) == sent_instant(sent)
        return "" if same else f"{path}: sent {sent!r}, loaded {loaded!r}"
    if fmt == "date":
        text = loaded.isoformat() if isinstance(loaded, date) else str(loaded)
        instant = sent_instant(sent)
        same = text == sent or (instant is not None and text == instant.date().isoformat())
        return "" if same else f"{path}: sent {sent!r}, loaded {loaded!r}"
    if loaded == sent and type(loaded) is type(sent):
        return ""
    sent_number = isinstance(sent, (int, float)) and not isinstance(sent, bool)
    if "string" in types and isinstance(loaded, str) and sent_number and _same_number(sent, loaded):
        return ""
    if ("integer" in types or "number" in types) and _same_number(loaded, sent):
        return ""
    if "boolean" in types and sent in ("true", "false") and loaded is (sent == "true"):
        return ""
    return f"{path}: sent {sent!r}, loaded {loaded!r}"


def _holds_object(
    loaded: dict[str, Any],
    sent: dict[str, Any],
    properties: dict[str, Any],
    path: str,
    kept: dict[str, Any],
) -> str:
    for key, value in sent.items():
        child = f"{path}.{key}" if path else key
        if key in properties:
            problem = holds(loaded.get(key), value, properties[key], child, kept)
        elif path:  # undeclared inside an object: in place, as sent
            problem = "" if _equal(loaded.get(key), value) else f"{child}: not kept in place"
        else:  # undeclared at the top level: in additional_fields, by name, as sent
            problem = "" if key in kept and _equal(kept[key], value) else f"{key}: not kept"
        if problem:
            return problem
    return ""


def _equal(loaded: Any, sent: Any) -> bool:
    """JSON values equal, floats as numbers (a JSON column may print 1.0 as 1)."""
    if isinstance(sent, float) or isinstance(loaded, float):
        return _same_number(loaded, sent)
    if isinstance(sent, dict) and isinstance(loaded, dict):
        return loaded.keys() == sent.keys() and all(_equal(loaded[k], sent[k]) for k in sent)
    if isinstance(sent, list) and isinstance(loaded, list):
        return len(loaded) == len(sent) and all(map(_equal, loaded, sent))
    return loaded == sent and type(loaded) is type(sent)


def fidelity_problems(
    rows: dict[str, dict[str, Any]], served: dict[str, dict[str, Any]], schema: dict[str, Any]
) -> list[str]:
    """Every way the loaded rows fail to hold what was served (empty when they hold it all)."""
    problems = []
    for uid in sorted(set(served) - set(rows)):
        problems.append(f"{uid}: not loaded")
    for uid, record in served.items():
        row = rows.get(uid)
        if row is None:
            continue
        kept = row.get("additional_fields") or {}
        problem = _holds_object(row, record, schema["properties"], "", kept)
        if problem:
            problems.append(f"{uid}: {problem}")
    return problems
