"""Records made to fit the schema: nothing dropped, every value of its declared type, or kept.

Each case starts from one complete, conforming record and changes one value: the value is
converted when that loses nothing, and otherwise the field is null and the value, as sent, is
in `additional_fields` under the field's path, with a warning naming field, job, fragment and
line. Every record that leaves `parse_activity` validates against the schema.
"""

from __future__ import annotations

import copy
import logging
import random
from typing import Any

import orjson
import pytest

from tap_peopleai.errors import FragmentDataError
from tap_peopleai.records.conformance import RecordConformer
from tap_peopleai.records.field_notes import WARNINGS_PER_FIELD, FieldNotes, FieldReport
from tap_peopleai.records.parsing import parse_activity
from tap_peopleai.records.shape import fit_record
from tests.support.schema_check import schema_violations, undeclared_top_level

WHERE = "job 7 (delta 2026-03-01..2026-03-14), fragment 2"

BASE: dict[str, Any] = {
    "uid": "u-1",
    "source_id": "00T000000001",
    "type": "meeting",
    "timestamp": "2026-03-01T10:00:00Z",
    "ingest_timestamp": "2026-03-01T11:00:00Z",
    "created": "2026-03-01T11:00:00Z",
    "subject": "Quarterly review",
    "summary": None,
    "status": "confirmed",
    "tags": ["meeting"],
    "duration": 3600,
    "start_time": "2026-03-01T10:00:00Z",
    "end_time": "2026-03-01T11:00:00Z",
    "all_day": False,
    "location": "Salle Émile-Zola",
    "reply_received": True,
    "attachment_file_names": ["deck.pdf"],
    "stats": {"total_participants": 2, "internal_participants": 1},
    "campaigns": [{"crm_id": "701", "name": "ABM", "start_date": "2026-01-01"}],
    "participants": [
        {"peopleai_id": "1001", "crm_id": "003", "name": "Zoë", "time_spent": 60},
        {"peopleai_id": "1002", "crm_id": None, "team": {"crm_id": "00E", "name": "Sales"}},
    ],
    "crm_status": {
        "pushed": True,
        "push_time": "2026-03-01T12:00:00Z",
        "matched_to": "opportunity",
        "opportunity": {"crm_id": "006", "stage_rank": 3, "account": {"name": "Initech"}},
    },
    "experimental": {"internal_match_status": {"pushed": False, "push_time": None}},
}


def parse(record: dict[str, Any], notes: Any = None) -> dict[str, Any]:
    parsed, _ = parse_activity(orjson.dumps(record), 17, WHERE, notes)
    assert not schema_violations(parsed), schema_violations(parsed)
    assert not undeclared_top_level(parsed)
    return parsed


def with_value(path: str, value: Any) -> dict[str, Any]:
    """BASE with the value at ``path`` (``a.b``, ``a[1].b``) replaced."""
    record = copy.deepcopy(BASE)
    node: Any = record
    steps = path.replace("[", ".[").split(".")
    for step in steps[:-1]:
        node = node[int(step[1:-1])] if step.startswith("[") else node[step]
    last = steps[-1]
    if last.startswith("["):
        node[int(last[1:-1])] = value
    else:
        node[last] = value
    return record


def value_at(record: dict[str, Any], path: str) -> Any:
    node: Any = record
    for step in path.replace("[", ".[").split("."):
        node = node[int(step[1:-1])] if step.startswith("[") else node[step]
    return node


def test_the_base_record_fits_as_it_is() -> None:
    record = copy.deepcopy(BASE)
    assert fit_record(record) == 0
    assert record == BASE
    assert parse(BASE) == BASE


@pytest.mark.parametrize(
    ("path", "sent", "loaded"),
    [
        ("duration", "123", 123),
        ("duration", "-5", -5),
        ("duration", 3.0, 3),
        ("duration", 1e3, 1000),
        ("reply_received", "true", True),
        ("reply_received", "false", False),
        ("all_day", "false", False),
        ("source_id", 2467229926, "2467229926"),
        ("source_id", 2467229926.0, "2467229926"),
        ("subject", 12.5, "12.5"),
        ("uid", 42, "42"),
        ("participants[0].peopleai_id", 10001, "10001"),
        ("participants[1].crm_id", 3000000001, "3000000001"),
        ("crm_status.crm_id", 639253983685, "639253983685"),
        ("crm_status.opportunity.stage_rank", "3", 3),
        ("crm_status.opportunity.stage_rank", 4.0, 4),
        ("stats.total_participants", "2", 2),
        ("tags", [7, "call"], ["7", "call"]),
        ("campaigns[0].start_date", "2026-01-01T00:00:00Z", "2026-01-01"),
        ("campaigns[0].start_date", "20260101", "2026-01-01"),
        # timestamps, however the API wrote them, as RFC 3339 UTC
        ("created", "2026-03-01 11:00:00", "2026-03-01T11:00:00Z"),
        ("created", "2026-03-01T11:00:00+00:00", "2026-03-01T11:00:00Z"),
        ("created", 1772362800000, "2026-03-01T11:00:00Z"),
        ("created", "Sun, 01 Mar 2026 11:00:00 GMT", "2026-03-01T11:00:00Z"),
        ("created", "20260301T110000Z", "2026-03-01T11:00:00Z"),
        ("timestamp", "2026-03-01T12:00:00+02:00", "2026-03-01T10:00:00Z"),
        ("timestamp", "2026-03-01T10:00:00.120", "2026-03-01T10:00:00.12Z"),
        ("crm_status.push_time", "2026-03-01 12:00:00", "2026-03-01T12:00:00Z"),
        ("experimental.internal_match_status.push_time", 1772366400, "2026-03-01T12:00:00Z"),
    ],
)
def test_values_that_convert_without_loss_are_converted(path: str, sent: Any, loaded: Any) -> None:
    notes = FieldNotes()
    record = parse(with_value(path, sent), notes)
    assert value_at(record, path) == loaded
    assert type(value_at(record, path)) is type(loaded)
    assert "additional_fields" not in record
    assert not notes.kept_counts
    # everything else as it came
    assert record == with_value(path, loaded)


@pytest.mark.parametrize(
    ("path", "sent", "declared"),
    [
        ("duration", "about an hour", "an integer"),
        ("duration", 1.5, "an integer"),
        ("duration", True, "an integer"),
        ("duration", "0123", "an integer"),
        ("duration", [60], "an integer"),
        ("reply_received", "yes", "a boolean"),
        ("reply_received", 1, "a boolean"),
        ("subject", {"text": "hi"}, "a string"),
        ("subject", False, "a string"),
        ("created", "last Tuesday", "a date-time string"),
        ("created", 42, "a date-time string"),
        ("timestamp", "2026-02-30T10:00:00Z", "a date-time string"),
        ("start_time", "2026-13-01T10:00:00Z", "a date-time string"),
        ("crm_status.opportunity.stage_rank", "high", "an integer"),
        ("crm_status.push_time", "soon", "a date-time string"),
        ("participants[1].crm_id", {"id": 3}, "a string"),
        ("participants[0].time_spent", "1h", "an integer"),
        ("participants[1]", "Ann", "an object"),
        ("participants", "Ann, Bob", "a list"),
        ("crm_status", "pushed", "an object"),
        ("stats", [], "an object"),
        ("tags", "meeting", "a list of strings"),
        ("tags[0]", {"x": 1}, "a string"),
        ("campaigns[0].start_date", "2026-01-01T10:00:00Z", "a date string"),
        ("campaigns[0].start_date", "January", "a date string"),
        ("attachment_file_names", True, "a list of strings or a string"),
    ],
)
def test_values_that_would_lose_something_are_kept_beside_a_null(
    path: str, sent: Any, declared: str
) -> None:
    notes = FieldNotes()
    record = parse(with_value(path, sent), notes)
    assert value_at(record, path) is None
    assert record["additional_fields"] == {path: sent}
    # everything else as it came
    assert {k: v for k, v in record.items() if k != "additional_fields"} == with_value(path, None)
    [kept] = notes.kept_values
    message = kept.message()
    assert message.startswith(f"{WHERE}, line 17 (uid 'u-1'): {path} is ")
    assert declared in message
    assert f"additional_fields[{path!r}]" in message


def test_undeclared_fields_move_to_additional_fields_by_their_names() -> None:
    notes = FieldNotes()
    sent = {
        **BASE,
        "ai_summary": "Call summary ✨",
        "risk_flags": ["single_threaded"],
        "engagement": {"score": 48, "trend": "up"},
        "is_private": False,
        "sentiment_score": None,
        "additional_fields": {"the API's own": 1},
    }
    record = parse(sent, notes)
    assert record["additional_fields"] == {
        "ai_summary": "Call summary ✨",
        "risk_flags": ["single_threaded"],
        "engagement": {"score": 48, "trend": "up"},
        "is_private": False,
        "sentiment_score": None,
        "additional_fields": {"the API's own": 1},
    }
    assert {k: v for k, v in record.items() if k != "additional_fields"} == BASE
    assert set(notes.new_fields) == set(record["additional_fields"])
    assert notes.new_fields["ai_summary"] == (WHERE, 17)


def test_undeclared_nested_keys_stay_where_they_are() -> None:
    sent = copy.deepcopy(BASE)
    sent["stats"]["words_spoken"] = 4456
    sent["participants"][0]["linkedin_url"] = "https://www.linkedin.example/in/zoe"
    sent["crm_status"]["opportunity"]["amount"] = 193623.5
    sent["campaigns"][0]["utm_source"] = None
    sent["experimental"]["internal_match_status"]["new"] = {"deep": [1, "2"]}
    assert parse(sent) == sent


def test_undeclared_fields_and_departing_values_in_one_record() -> None:
    sent = {**with_value("duration", "n/a"), "source_system": "gong", "message_count": 29}
    sent["participants"][0]["peopleai_id"] = 10001
    record = parse(sent)
    assert record["additional_fields"] == {
        "source_system": "gong",
        "message_count": 29,
        "duration": "n/a",
    }
    assert record["duration"] is None
    assert record["participants"][0]["peopleai_id"] == "10001"


def test_peopleai_id_is_always_a_string_on_the_fast_path_too() -> None:
    sent = copy.deepcopy(BASE)
    sent["participants"][0]["peopleai_id"] = 10001
    sent["participants"].append(None)
    notes = FieldNotes()
    record, changed = parse_activity(orjson.dumps(sent), 3, WHERE, notes)
    assert changed
    assert record["participants"][0]["peopleai_id"] == "10001"
    assert record["participants"][2] is None
    # Normal at this API, not drift: converted without a note.
    assert not notes


@pytest.mark.parametrize(
    "record",
    [
        {k: v for k, v in BASE.items() if k != "uid"},
        {**BASE, "uid": None},
        {**BASE, "uid": ["u-1"]},
        {**BASE, "uid": True},
    ],
)
def test_a_record_without_a_usable_uid_is_a_bad_line(record: dict[str, Any]) -> None:
    with pytest.raises(FragmentDataError, match="every activity needs one") as caught:
        parse_activity(orjson.dumps(record), 17, WHERE)
    assert str(caught.value).startswith(f"{WHERE}, line 17: uid is ")


def test_fast_and_slow_paths_agree_on_records_that_fit() -> None:
    rng = random.Random(5)
    for _ in range(200):
        record = copy.deepcopy(BASE)
        record["participants"][0]["peopleai_id"] = rng.choice([10001, "10001"])
        if rng.random() < 0.5:
            del record["crm_status"]["push_time"]
        if rng.random() < 0.5:
            record["experimental"] = None
        fast = copy.deepcopy(record)
        assert fit_record(fast) >= 0
        slow = copy.deepcopy(record)
        RecordConformer(slow, WHERE, 1, None).conform()
        assert fast == slow


# Values of every JSON type, to put anywhere in a record.
ODD_VALUES: list[Any] = [
    None,
    True,
    0,
    -7,
    2**40,
    2.5,
    3.0,
    "",
    "123",
    "true",
    "2026-03-01 10:00:00",
    "2026-03-01T10:00:00Z",
    "text",
    [],
    [1, "a", None],
    {},
    {"k": "v"},
]


def _paths(node: Any, prefix: str = "") -> list[str]:
    if isinstance(node, dict):
        out = []
        for key, value in node.items():
            path = f"{prefix}.{key}" if prefix else key
            out += [path, *_paths(value, path)]
        return out
    if isinstance(node, list):
        out = []
        for index, value in enumerate(node):
            path = f"{prefix}[{index}]"
            out += [path, *_paths(value, path)]
        return out
    return []


def _set(record: dict[str, Any], path: str, value: Any) -> bool:
    """Set the value at ``path`` in place; False if the path no longer exists."""
    node: Any = record
    steps = path.replace("[", ".[").split(".")
    try:
        for step in steps[:-1]:
            node = node[int(step[1:-1])] if step.startswith("[") else node[step]
        last = steps[-1]
        if last.startswith("["):
            node[int(last[1:-1])] = value
        elif isinstance(node, dict):
            node[last] = value
        else:
            return False
    except (KeyError, IndexError, TypeError):
        return False
    return True


@pytest.mark.parametrize("seed", range(60))
def test_any_value_anywhere_gives_a_record_that_fits_and_loses_nothing(seed: int) -> None:
    rng = random.Random(seed)
    sent = copy.deepcopy(BASE)
    for path in rng.sample(sorted(set(_paths(BASE)) - {"uid"}), 3):
        _set(sent, path, rng.choice(ODD_VALUES))
    record = parse(copy.deepcopy(sent))  # fits the schema, whatever was sent
    kept = record.get("additional_fields") or {}
    for path, value in kept.items():
        assert value_at(record, path) is None, path
        assert value_at(sent, path) == value, path
    for path in _paths(sent):
        if any(path == k or path.startswith((f"{k}.", f"{k}[")) for k in kept):
            continue
        if value_at(sent, path) is not None:
            assert value_at(record, path) is not None, path


def test_report_logs_each_new_field_once_and_warns_about_the_first_kept_values(
    caplog: pytest.LogCaptureFixture,
) -> None:
    report = FieldReport(logging.getLogger("tap-peopleai-test"))
    caplog.set_level(logging.INFO, logger="tap-peopleai-test")
    for line in range(1, 21):
        sent = {**with_value("duration", f"{line} min"), "ai_summary": "x", "uid": f"u-{line}"}
        sent["participants"][0]["peopleai_id"] = line
        sent["reply_received"] = "true"
        parse_activity(orjson.dumps(sent), line, WHERE, report)
    report.log_summary()
    messages = [record.getMessage() for record in caplog.records]
    new = [m for m in messages if m.startswith("New field")]
    assert new == [
        f"New field 'ai_summary' (not in the schema) first seen in {WHERE}, line 1: loaded "
        "into additional_fields['ai_summary']."
    ]
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == WARNINGS_PER_FIELD + 1
    assert warnings[0] == (
        f"{WHERE}, line 1 (uid 'u-1'): duration is \"1 min\", not an integer; loaded as null, "
        "the value as sent kept in additional_fields['duration']."
    )
    assert warnings[-1] == (
        f"{20 - WARNINGS_PER_FIELD} more value(s) not of their declared type were loaded as "
        "null and kept in additional_fields, without a warning each: duration "
        f"{20 - WARNINGS_PER_FIELD}."
    )
    assert any(
        m == "Values converted to their declared type without loss: reply_received 20."
        for m in messages
    )


def test_notes_of_batch_parts_merge_as_if_read_in_one_pass(
    caplog: pytest.LogCaptureFixture,
) -> None:
    lines = []
    for line in range(1, 13):
        sent = {**with_value("duration", "n/a"), "uid": f"u-{line}"}
        if line >= 8:
            sent["late_field"] = line
        lines.append(orjson.dumps(sent))
    caplog.set_level(logging.INFO, logger="one-pass")
    whole = FieldReport(logging.getLogger("one-pass"))
    for number, line in enumerate(lines, start=1):
        parse_activity(line, number, WHERE, whole)
    whole.log_summary()
    one_pass = [r.getMessage() for r in caplog.records]
    caplog.clear()
    caplog.set_level(logging.INFO, logger="in-parts")
    parts = FieldReport(logging.getLogger("in-parts"))
    for start in (0, 5):
        notes = FieldNotes()
        for number, line in enumerate(lines[start : start + 5 if start == 0 else None], 1):
            parse_activity(line, number, WHERE, notes)
        parts.merge(notes.renumbered(start))
    parts.log_summary()
    assert [r.getMessage() for r in caplog.records] == one_pass
