"""The figures every dbt mart must hold, computed in Python from the sandbox's own records.

Nothing here reads the warehouse's models to compute an expectation: the truth is the sandbox's
ground truth (which activities exist, at which version), with each activity's full record as the
API serves it, and the figures are plain Python loops over those records.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from peopleai_sandbox.checks import to_utc

TYPES = ("email", "meeting", "call")


def truth_records(sandbox: Any, activity_from: date) -> dict[str, dict[str, Any]]:
    """uid -> the full record, at its latest version, of every activity in the ground truth."""
    truth = sandbox.backend.ground_truth(activity_from=activity_from)
    # The sandbox's universe renders any (activity, version) exactly as its export does.
    universe = sandbox.backend.universe
    now = sandbox.clock.now()
    as_of_us = int((now - datetime(1970, 1, 1, tzinfo=now.tzinfo)).total_seconds() * 1_000_000)
    records: dict[str, dict[str, Any]] = {}
    for index, version in universe.select_existing(as_of_us, activity_from):
        record = universe.record(index, version)
        records[record["uid"]] = record
        assert truth[record["uid"]].version == version
    assert set(records) == set(truth), "the records do not cover the ground truth"
    return records


@dataclass
class Activity:
    uid: str
    type: str
    at: datetime
    day: date
    ingested: datetime
    account: str | None
    account_name: str | None
    opportunity: str | None
    opportunity_name: str | None
    opportunity_stage: str | None
    participants: list[dict[str, Any]]
    campaigns: list[dict[str, Any]]
    crm_matches: dict[str, str | None]


def activities_of(records: dict[str, dict[str, Any]]) -> dict[str, Activity]:
    out = {}
    for uid, record in records.items():
        crm = record.get("crm_status") or {}
        opportunity = crm.get("opportunity") or {}
        # the matched account, else the matched opportunity's (field by field, as staging does)
        accounts = (crm.get("account") or {}, opportunity.get("account") or {})
        at = to_utc(record["timestamp"])
        out[uid] = Activity(
            uid=uid,
            type=record["type"],
            at=at,
            day=at.date(),
            ingested=to_utc(record["ingest_timestamp"]),
            account=_first(account.get("crm_id") for account in accounts),
            account_name=_first(account.get("name") for account in accounts),
            opportunity=opportunity.get("crm_id"),
            opportunity_name=opportunity.get("name"),
            opportunity_stage=opportunity.get("stage_name"),
            participants=list(record.get("participants") or []),
            campaigns=list(record.get("campaigns") or []),
            crm_matches={
                kind: crm[kind].get("crm_id")
                for kind in ("account", "opportunity", "lead", "contact")
                if isinstance(crm.get(kind), dict)
            },
        )
    return out


def _first(values: Iterable[Any]) -> Any:
    """The first value that is not None (SQL's coalesce)."""
    return next((value for value in values if value is not None), None)


@dataclass
class Touches:
    first: datetime | None = None
    last: datetime | None = None
    touches: int = 0
    last_30: int = 0
    last_90: int = 0
    scheduled: int = 0
    by_type: Counter[str] = field(default_factory=Counter)


@dataclass
class Marts:
    """What every mart must contain, by its grain."""

    as_of: date
    uids_by_type: dict[str, set[str]]
    participants: set[tuple[str, int, str | None, str | None]]
    campaigns: set[tuple[str, int, str | None]]
    crm_matches: set[tuple[str, str, str | None]]
    daily: dict[tuple[date, str], int]
    account_daily: dict[tuple[str, date, str], int]
    user_daily: dict[tuple[str, date, str], int]
    opportunities: dict[str, Touches]
    accounts: dict[str, Touches]
    names: Names


@dataclass
class Names:
    """What the marts name each key by: the latest processed activity's values (by ingest time,
    then uid, as the models rank them)."""

    accounts: dict[str, str | None] = field(default_factory=dict)
    # opportunity -> (name, stage, account id, account name)
    opportunities: dict[str, tuple[str | None, ...]] = field(default_factory=dict)
    # internal user -> (name, email, team name)
    users: dict[str, tuple[str | None, str | None, str | None]] = field(default_factory=dict)


def latest_names(activities: dict[str, Activity]) -> Names:
    names = Names()
    # oldest first, so that the latest activity writes last; a user listed twice in one activity
    # is named by the first listing
    for activity in sorted(activities.values(), key=lambda a: (a.ingested, a.uid)):
        if activity.account is not None:
            names.accounts[activity.account] = activity.account_name
        if activity.opportunity is not None:
            names.opportunities[activity.opportunity] = (
                activity.opportunity_name,
                activity.opportunity_stage,
                activity.account,
                activity.account_name,
            )
        for person in reversed(activity.participants):
            if person.get("type") == "internal" and person.get("peopleai_id") is not None:
                team = person.get("team") or {}
                names.users[str(person["peopleai_id"])] = (
                    person.get("name"),
                    person.get("email"),
                    team.get("name"),
                )
    return names


def _dense(
    counts: Counter[tuple[str, date, str]], keys: set[str], days_of: dict[str, list[date]]
) -> dict[tuple[str, date, str], int]:
    """Every (key, day, type) from the key's first to its last day, zero where nothing happened."""
    out = {}
    for key in keys:
        day, last = min(days_of[key]), max(days_of[key])
        while day <= last:
            for kind in TYPES:
                out[(key, day, kind)] = counts.get((key, day, kind), 0)
            day += timedelta(days=1)
    return out


def _touches(activities: list[Activity], as_of: date) -> Touches:
    result = Touches()
    for activity in activities:
        if activity.day > as_of:
            result.scheduled += 1
            continue
        result.touches += 1
        result.by_type[activity.type] += 1
        result.first = activity.at if result.first is None else min(result.first, activity.at)
        result.last = activity.at if result.last is None else max(result.last, activity.at)
        result.last_30 += activity.day >= as_of - timedelta(days=29)
        result.last_90 += activity.day >= as_of - timedelta(days=89)
    return result


def expected_marts(records: dict[str, dict[str, Any]]) -> Marts:
    activities = activities_of(records)
    as_of = max(a.ingested for a in activities.values()).date()
    uids_by_type: dict[str, set[str]] = {kind: set() for kind in TYPES}
    participants = set()
    campaigns = set()
    crm_matches = set()
    daily: Counter[tuple[date, str]] = Counter()
    account_counts: Counter[tuple[str, date, str]] = Counter()
    account_days: dict[str, list[date]] = defaultdict(list)
    user_activities: dict[tuple[str, date, str], set[str]] = defaultdict(set)
    user_days: dict[str, list[date]] = defaultdict(list)
    by_opportunity: dict[str, list[Activity]] = defaultdict(list)
    by_account: dict[str, list[Activity]] = defaultdict(list)
    for activity in activities.values():
        uids_by_type[activity.type].add(activity.uid)
        daily[(activity.day, activity.type)] += 1
        for position, person in enumerate(activity.participants, start=1):
            peopleai_id = None if person.get("peopleai_id") is None else str(person["peopleai_id"])
            participants.add((activity.uid, position, peopleai_id, person.get("type")))
            if person.get("type") == "internal" and peopleai_id is not None:
                user_activities[(peopleai_id, activity.day, activity.type)].add(activity.uid)
                user_days[peopleai_id].append(activity.day)
        for position, campaign in enumerate(activity.campaigns, start=1):
            campaigns.add((activity.uid, position, campaign.get("crm_id")))
        for kind, crm_id in activity.crm_matches.items():
            crm_matches.add((activity.uid, kind, crm_id))
        if activity.account is not None:
            account_counts[(activity.account, activity.day, activity.type)] += 1
            account_days[activity.account].append(activity.day)
            by_account[activity.account].append(activity)
        if activity.opportunity is not None:
            by_opportunity[activity.opportunity].append(activity)
    first_day = min(a.day for a in activities.values())
    last_day = max(*(a.day for a in activities.values()), as_of)
    dense_daily = {}
    day = first_day
    while day <= last_day:
        for kind in TYPES:
            dense_daily[(day, kind)] = daily.get((day, kind), 0)
        day += timedelta(days=1)
    user_counts = Counter({key: len(uids) for key, uids in user_activities.items()})
    return Marts(
        as_of=as_of,
        uids_by_type=uids_by_type,
        participants=participants,
        campaigns=campaigns,
        crm_matches=crm_matches,
        daily=dense_daily,
        account_daily=_dense(account_counts, set(account_days), account_days),
        user_daily=_dense(user_counts, set(user_days), user_days),
        opportunities={key: _touches(acts, as_of) for key, acts in by_opportunity.items()},
        accounts={key: _touches(acts, as_of) for key, acts in by_account.items()},
        names=latest_names(activities),
    )
