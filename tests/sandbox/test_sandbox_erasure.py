"""Erasure: users' activities and single activities vanish from a chosen time of the clock on."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest
import requests

from peopleai_sandbox import Erasure, RunningSandbox, SandboxConfig
from peopleai_sandbox.cli import build_parser, config_from_args
from peopleai_sandbox.pytest_plugin import DEFAULT_TEST_NOW, SandboxFactory
from tests.support.api_client import ApiClient, MakeClient, records_of

UTC = timezone.utc
SMALL = {"activities_per_day": 40}
ERASED_AT = datetime(2025, 2, 20, tzinfo=UTC)
# every activity date of the universe up to DEFAULT_TEST_NOW, scheduled meetings included
EVERYTHING = {"start": "2024-12-20", "end": "2025-04-15"}


def _activities_by_user(records: dict[str, dict[str, Any]]) -> dict[str, set[str]]:
    by_user: dict[str, set[str]] = defaultdict(set)
    for uid, record in records.items():
        for person in record["participants"]:
            by_user[str(person["peopleai_id"])].add(uid)
    return by_user


def _busiest_internal_user(records: dict[str, dict[str, Any]]) -> tuple[str | int, set[str]]:
    """The internal user taking part in the most activities (ties: the smallest id)."""
    internal = {
        str(person["peopleai_id"]): person["peopleai_id"]
        for record in records.values()
        for person in record["participants"]
        if person["type"] == "internal"
    }
    by_user = _activities_by_user(records)
    user = max(internal, key=lambda key: (len(by_user[key]), -int(key)))
    return internal[user], by_user[user]


def _exported(api: ApiClient, **window: str) -> set[str]:
    done = api.run(**(window or EVERYTHING))
    return {record["uid"] for record in records_of(api.data(done["job_id"]).content)}


def test_a_configured_erasure_removes_a_user_and_an_activity_from_its_time_on(
    sandbox_factory: SandboxFactory, make_client: MakeClient
) -> None:
    records = sandbox_factory(**SMALL).backend.truth_records()
    user, users_activities = _busiest_internal_user(records)
    assert len(users_activities) >= 3
    lone = min(set(records) - users_activities)
    erasure = Erasure(ERASED_AT, uids=(lone,), user_ids=(str(user),))
    sandbox = sandbox_factory(**SMALL, erasures=(erasure,))
    gone = users_activities | {lone}
    backend = sandbox.backend
    assert set(backend.ground_truth()) == set(records) - gone
    assert set(backend.truth_records()) == set(records) - gone
    assert backend.erased() == dict.fromkeys(gone, ERASED_AT)
    assert _exported(make_client(sandbox)) == set(records) - gone
    before = ERASED_AT - timedelta(seconds=1)
    assert backend.erased(before) == {}
    existing_before = set(sandbox_factory(**SMALL).backend.ground_truth(as_of=before))
    assert set(backend.ground_truth(as_of=before)) == existing_before
    assert gone & existing_before  # some of them existed, and were exported, before


def test_an_export_created_before_the_erasure_time_keeps_the_activities(
    sandbox_factory: SandboxFactory, make_client: MakeClient
) -> None:
    sandbox = sandbox_factory(**SMALL, now=ERASED_AT - timedelta(hours=1))
    api = make_client(sandbox)
    everything = _exported(api)
    victim = min(everything)
    sandbox.erase(uids=[victim], at=ERASED_AT)
    assert victim in _exported(api)  # the erasure is not in force yet
    assert victim in sandbox.backend.ground_truth()
    sandbox.advance(seconds=3600)
    api.login()
    assert victim not in _exported(api)
    assert sandbox.backend.erased() == {victim: ERASED_AT}


def test_erasing_now_spares_jobs_that_already_exist(
    sandbox_factory: SandboxFactory, make_client: MakeClient
) -> None:
    sandbox = sandbox_factory(**SMALL, job_queue_seconds=0.5)
    api = make_client(sandbox)
    queued = api.create(**EVERYTHING)
    assert queued["state"] == "Queued"  # not rendered yet
    records = sandbox.backend.truth_records()
    victim = min(records)
    user, users_activities = _busiest_internal_user(records)
    erasure = sandbox.erase(uids=[victim], user_ids=[user])
    assert erasure.at == DEFAULT_TEST_NOW  # "now" by the sandbox clock
    assert erasure.user_ids == (str(user),)
    kept = api.wait(queued["job_id"])
    old = {r["uid"] for r in records_of(api.data(kept["job_id"]).content)}
    assert old == set(records)  # fixed at its creation, before the erasure
    assert _exported(api) == set(records) - users_activities - {victim}
    assert sandbox.backend.erased() == dict.fromkeys(users_activities | {victim}, erasure.at)


def test_user_ids_match_as_text_whatever_their_json_type(
    sandbox_factory: SandboxFactory,
) -> None:
    records = sandbox_factory(**SMALL).backend.truth_records()
    ids = [p["peopleai_id"] for _, r in sorted(records.items()) for p in r["participants"]]
    int_user = next(value for value in ids if isinstance(value, int))
    str_user = next(value for value in ids if isinstance(value, str))
    by_user = _activities_by_user(records)
    sandbox = sandbox_factory(**SMALL)
    sandbox.erase(user_ids=[str(int_user), int(str_user)])  # each in the other's JSON type
    assert set(sandbox.backend.erased()) == by_user[str(int_user)] | by_user[str_user]


def test_the_control_endpoint_erases_and_lists(sandbox: RunningSandbox, client: ApiClient) -> None:
    url = f"{sandbox.url}/_sandbox/erasures"
    victims = sorted(sandbox.backend.ground_truth(as_of=datetime(2025, 2, 27, tzinfo=UTC)))[:2]
    added = requests.post(url, json={"uids": victims, "at": "2025-02-28T00:00:00Z"}, timeout=10)
    assert added.status_code == 200
    assert added.json() == {
        "at": "2025-02-28T00:00:00.000000Z",
        "uids": victims,
        "user_ids": [],
    }
    assert requests.get(url, timeout=10).json() == {"erasures": [added.json()]}
    erased = requests.get(f"{sandbox.url}/_sandbox/erased", timeout=10).json()
    assert erased == {"count": 2, "erased": dict.fromkeys(victims, "2025-02-28T00:00:00Z")}
    earlier = {"as_of": "2025-02-27T23:59:59Z"}
    assert requests.get(f"{sandbox.url}/_sandbox/erased", params=earlier, timeout=10).json() == {
        "count": 0,
        "erased": {},
    }
    truth = requests.get(f"{sandbox.url}/_sandbox/truth", timeout=10).json()
    assert {item["uid"] for item in truth["activities"]}.isdisjoint(victims)
    assert truth["count"] == len(sandbox.backend.ground_truth())
    then = requests.get(f"{sandbox.url}/_sandbox/truth", params=earlier, timeout=10).json()
    assert set(victims) <= {item["uid"] for item in then["activities"]}
    for bad in ({"uids": "x"}, {"users": [1]}, {"uids": []}, {"uids": ["a"], "at": "soon"}):
        answer = requests.post(url, json=bad, timeout=10)
        assert answer.status_code == 400, bad
        assert answer.json()["error"] == "bad_request"
    assert client.status(1).status_code == 404  # the API itself is untouched


def test_erasures_from_the_command_line() -> None:
    args = build_parser().parse_args(
        [
            "serve",
            "--erase",
            "user=10000017,uid=ab12@2025-02-20T00:00:00Z",
            "--erase",
            "uid=cd34@2025-02-21T06:00:00",
        ]
    )
    config = config_from_args(args)
    assert config.erasures == (
        Erasure(ERASED_AT, uids=("ab12",), user_ids=("10000017",)),
        Erasure(datetime(2025, 2, 21, 6, tzinfo=UTC), uids=("cd34",)),
    )
    assert config_from_args(build_parser().parse_args(["serve"])).erasures == ()


@pytest.mark.parametrize(
    "text",
    ["user=1", "@2025-02-20T00:00:00Z", "person=1@2025-02-20", "uid=@2025-02-20", "uid=a@noon"],
)
def test_bad_erase_flags_say_what_is_expected(
    text: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as stopped:
        build_parser().parse_args(["serve", "--erase", text])
    assert stopped.value.code == 2
    error = capsys.readouterr().err
    assert "--erase" in error
    assert text in error


def test_invalid_erasures_are_rejected() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        Erasure(datetime(2025, 2, 20), uids=("a",))
    with pytest.raises(ValueError, match="at least one"):
        Erasure(ERASED_AT)
    with pytest.raises(ValueError, match="Erasure values"):
        SandboxConfig(erasures=("uid=a@2025-02-20",))  # type: ignore[arg-type]


def test_erasing_now_on_a_running_clock_applies_to_the_next_job(
    sandbox_factory: SandboxFactory, make_client: MakeClient
) -> None:
    sandbox = sandbox_factory(**SMALL, now=None, clock_offset=DEFAULT_TEST_NOW - _utc_now())
    api = make_client(sandbox)
    window = {"start": "2025-02-01", "end": "2025-02-03"}
    victim = min(_exported(api, **window))
    erasure = sandbox.erase(uids=[victim])
    assert erasure.at.microsecond == 0  # job times are whole seconds too
    assert victim not in _exported(api, **window)


def _utc_now() -> datetime:
    return datetime.now(UTC)
