"""The e2e fidelity check itself: it passes the tap's records and catches every kind of loss.

Fast (no Meltano, no warehouse): the tap's own records stand for loaded rows.
"""

from __future__ import annotations

import copy
import datetime as dt
from collections.abc import Callable
from typing import Any

import orjson
import pytest

from tap_peopleai.records.parsing import parse_activity
from tap_peopleai.records.schema import activity_schema
from tests.support.fidelity import fidelity_problems


@pytest.fixture
def served_and_rows(sandbox_factory: Callable[..., Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    sandbox = sandbox_factory(
        activities_per_day=20, extra_fields=True, type_drift=True, timestamp_style="mixed"
    )
    served = sandbox.backend.truth_records()
    rows = {
        uid: parse_activity(orjson.dumps(r), 1, "job 1, fragment 0")[0] for uid, r in served.items()
    }
    return served, rows


def test_the_taps_records_hold_everything_served(served_and_rows: Any) -> None:
    served, rows = served_and_rows
    assert len(served) > 500
    assert fidelity_problems(rows, served, activity_schema()) == []


def _with(rows: dict[str, Any], test: Callable[[dict[str, Any]], bool]) -> dict[str, Any]:
    return next(row for row in rows.values() if test(row))


def _a_second_later(text: str) -> str:
    moment = dt.datetime.fromisoformat(text.replace("Z", "+00:00")) + dt.timedelta(seconds=1)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


LOSSES: dict[str, Callable[[dict[str, Any]], object]] = {
    "an undeclared field dropped": lambda rows: _with(
        rows, lambda r: "source_system" in r["additional_fields"]
    )["additional_fields"].pop("source_system"),
    "a kept value dropped": lambda rows: _with(
        rows, lambda r: "duration" in r["additional_fields"]
    )["additional_fields"].pop("duration"),
    "a nested undeclared key dropped": lambda rows: _with(
        rows, lambda r: "sync_source" in r["crm_status"]
    )["crm_status"].pop("sync_source"),
    "a nested undeclared value changed": lambda rows: _with(
        rows, lambda r: "sync_source" in r["crm_status"]
    )["crm_status"].update(sync_source="changed"),
    "a value nulled": lambda rows: _with(rows, lambda r: r.get("subject")).update(subject=None),
    "a timestamp a second off": lambda rows: (row := _with(rows, lambda r: r["timestamp"])).update(
        timestamp=_a_second_later(row["timestamp"])
    ),
    "a nested timestamp not UTC text": lambda rows: _with(
        rows, lambda r: r["crm_status"].get("push_time")
    )["crm_status"].update(push_time="2025-01-20 02:56:18"),
    "an id of another value": lambda rows: _with(rows, lambda r: r["participants"])["participants"][
        0
    ].update(peopleai_id="1"),
    "a row missing": lambda rows: rows.pop(next(iter(rows))),
}


@pytest.mark.parametrize("loss", sorted(LOSSES))
def test_each_kind_of_loss_is_caught(served_and_rows: Any, loss: str) -> None:
    served, rows = served_and_rows
    damaged = copy.deepcopy(rows)
    LOSSES[loss](damaged)
    problems = fidelity_problems(damaged, served, activity_schema())
    assert len(problems) == 1, problems
