"""The content of one export record: every documented field, generated from the seed.

A record is drawn from a random stream keyed by (seed, activity index); each later version
changes it with a stream of its own, so version ``n`` is version ``n - 1`` re-processed. Nothing
here decides *which* records an export holds (that is ``universe``); only what one record says.
"""

from __future__ import annotations

import hashlib
import random
import zlib
from datetime import date, timedelta
from functools import lru_cache
from typing import Any

from peopleai_sandbox.dataset.crm import ACCOUNTS, Account
from peopleai_sandbox.dataset.pools import (
    FILE_NAMES,
    FIRST_NAMES,
    LAST_NAMES,
    LOCATIONS,
    MEETING_STATUSES,
    PARTICIPANT_STATUSES,
    SUBJECTS,
    SUMMARY_WORDS,
    TEAMS,
    TITLES,
)
from peopleai_sandbox.dataset.skeletons import Skeleton
from peopleai_sandbox.times import SECOND_US, format_timestamp


class FastRandom(random.Random):
    """``random.Random`` with float-based choice/randrange: rendering calls them ~50 times a
    record, and the stdlib's exact-integer versions dominated the render time."""

    def choice(self, seq: Any) -> Any:
        return seq[int(self.random() * len(seq))]

    def randrange(self, start: int, stop: int | None = None, step: int = 1) -> int:
        if stop is None:
            start, stop = 0, start
        return start + int(self.random() * (stop - start))


def mix(*parts: int) -> int:
    """A 64-bit key for a random stream: different parts give independent streams."""
    digest = hashlib.blake2b(
        b"".join(part.to_bytes(9, "little", signed=True) for part in parts), digest_size=8
    ).digest()
    return int.from_bytes(digest, "little")


def build_record(
    seed: int, skeleton: Skeleton, uid: str, version: int, style: str
) -> dict[str, Any]:
    """The full export record of version ``version`` of one activity (documented fields)."""
    index = skeleton.index
    kind = skeleton.activity_type
    rng = FastRandom(mix(seed, index, 2))
    activity_us = skeleton.timestamps[version - 1]
    ingest_us = skeleton.ingests[version - 1]
    account = ACCOUNTS[rng.randrange(len(ACCOUNTS))]
    company, domain = account.name, account.domain

    def stamp(value: int) -> str:
        return format_timestamp(value, style)

    rec: dict[str, Any] = {
        "uid": uid,
        "source_id": _source_id(kind, uid, domain),
        "type": kind,
        "timestamp": stamp(activity_us),
        "ingest_timestamp": stamp(ingest_us),
        "created": stamp(skeleton.ingests[0]),
        "subject": rng.choice(SUBJECTS[kind]).format(company=company),
        "summary": None if rng.random() < 0.06 else _summary(rng),
    }
    participants = _participants(rng, kind, domain)
    internal = sum(1 for person in participants if person["type"] == "internal")
    stats: dict[str, Any] = {
        "total_participants": len(participants),
        "internal_participants": internal,
        "external_participants": len(participants) - internal,
        "contacts_participants": sum(1 for p in participants if p.get("matched_as") == "contact"),
    }
    tags: list[str] = [kind]
    if kind == "email":
        rec["direction"] = rng.choice(("outbound", "inbound", "outbound", "internal"))
        if rng.random() < 0.3:
            rec["followed_meeting_source_id"] = f"evt-{uid[:10]}-{rng.randrange(99)}"
        if rng.random() < 0.45:
            rec["in_reply_to_source_id"] = f"<{uid[4:16]}.{rng.randrange(10**6)}@{domain}>"
        rec["follow_up_email_source_id"] = (
            f"<{uid[8:20]}.fu@{domain}>" if rng.random() < 0.2 else None
        )
        rec["reply_received"] = rng.random() < 0.4
        rec["attachment_file_names"] = (
            rng.sample(FILE_NAMES, rng.randrange(1, 3)) if rng.random() < 0.3 else []
        )
        stats["participants_on_to_line"] = max(1, len(participants) - 2)
        stats["participants_on_cc_line"] = min(2, len(participants) - 1)
    elif kind == "meeting":
        duration = rng.choice((900, 1800, 1800, 3600, 3600, 5400, 7200))
        all_day = rng.random() < 0.03
        if all_day:
            duration = 86_400
        rec["status"] = rng.choice(MEETING_STATUSES[:2]) if rng.random() < 0.9 else "cancelled"
        rec["duration"] = duration
        rec["start_time"] = stamp(activity_us)
        rec["end_time"] = stamp(activity_us + duration * SECOND_US)
        rec["all_day"] = all_day
        location_draw = rng.random()
        if location_draw < 0.8:
            rec["location"] = rng.choice(LOCATIONS)
        elif location_draw < 0.9:
            rec["location"] = None
        statuses = [p.get("status") for p in participants]
        stats["accepted_participants"] = statuses.count("accepted")
        stats["declined_participants"] = statuses.count("declined")
        stats["tentative_participants"] = statuses.count("tentative")
    else:
        rec["direction"] = rng.choice(("outbound", "outbound", "inbound"))
        rec["duration"] = rng.randrange(0, 3600)
        if rec["direction"] == "outbound" or rng.random() < 0.5:
            rec["outbound_phone_number"] = (
                f"+1 555 {rng.randrange(100, 999)} {rng.randrange(1000, 9999)}"
            )
        if skeleton.logged_call:
            tags.append("logged_call")
    rec["tags"] = tags
    rec["stats"] = stats
    rec["campaigns"] = _campaigns(rng) if rng.random() < 0.2 else []
    rec["participants"] = participants
    rec["crm_status"] = _crm_status(rng, account, ingest_us, stamp)
    if rng.random() < 0.2:
        rec["experimental"] = {"internal_match_status": _crm_status(rng, account, None, stamp)}
    for number in range(2, version + 1):
        _reprocess(
            rec,
            FastRandom(mix(seed, index, 3, number)),
            number,
            stamp,
            skeleton.ingests[number - 1],
            domain,
        )
    return rec


def _source_id(kind: str, uid: str, domain: str) -> str:
    if kind == "email":
        return f"<{uid[:16]}@mail.{domain}>"
    if kind == "meeting":
        return f"{uid[2:22]}_20250101T000000Z"
    return "00T" + uid[:15].upper()


def _summary(rng: random.Random) -> str:
    words = [rng.choice(SUMMARY_WORDS) for _ in range(rng.randrange(2, 10))]
    return " ".join(words).capitalize() + "."


def _person(rng: random.Random, internal: bool, domain: str) -> dict[str, Any]:
    person = dict(_known_person(rng.randrange(4000), internal))
    if not internal:
        person["email"] += domain
    person["time_spent"] = rng.randrange(0, 3600)
    return person


@lru_cache(maxsize=100_000)
def _known_person(number: int, internal: bool) -> dict[str, Any]:
    """A person's stable attributes: the same person keeps ids, phone and match everywhere."""
    first, first_slug = FIRST_NAMES[number % len(FIRST_NAMES)]
    last, last_slug = LAST_NAMES[(number // len(FIRST_NAMES)) % len(LAST_NAMES)]
    mail_domain = "sandbox-corp.example" if internal else ""  # external: the caller's company
    spread = zlib.crc32(str(number).encode())
    person: dict[str, Any] = {
        "peopleai_id": 10_000_000 + number if number % 3 else str(10_000_000 + number),
        "crm_id": f"003{number:012d}" if spread % 10 < 7 else None,
        "name": f"{first} {last}",
        "title": TITLES[number % len(TITLES)],
        "phone": f"+44 20 7{number:03d} {number % 10000:04d}" if spread % 5 < 3 else None,
        "email": f"{first_slug}.{last_slug}{number}@{mail_domain}",
        "role": "participant",
        "type": "internal" if internal else "external",
        "time_spent": 0,
        "matched_as": "user" if internal else ("contact", "lead", "contact", "none")[spread % 4],
    }
    if internal:
        team_id, team_name = TEAMS[number % len(TEAMS)]
        person["team"] = {"crm_id": team_id, "name": team_name}
    return person


def _participants(rng: random.Random, kind: str, domain: str) -> list[dict[str, Any]]:
    count = rng.choice((1, 1, 2, 2, 3))
    people = [
        _person(rng, position == 0 or rng.random() < 0.3, domain) for position in range(count)
    ]
    people[0]["role"] = "originator"
    if kind == "meeting":
        for person in people:
            person["status"] = rng.choice(PARTICIPANT_STATUSES)
    return people


def _campaigns(rng: random.Random) -> list[dict[str, Any]]:
    campaigns = []
    for _ in range(rng.randrange(1, 3)):
        start = date(2024, 1, 1) + timedelta(days=rng.randrange(700))
        campaigns.append(
            {
                "crm_id": f"701{rng.randrange(10**12):012d}",
                "name": rng.choice(("Spring Webinar 🌸", "Salon Paris 2025", "ABM Tier 1")),
                "start_date": start.isoformat(),
                "end_date": (start + timedelta(days=rng.randrange(1, 60))).isoformat(),
            }
        )
    return campaigns


def _crm_status(
    rng: random.Random, account: Account, ingest_us: int | None, stamp: Any
) -> dict[str, Any]:
    matched_to = rng.choice(("account", "opportunity", "opportunity", "lead", "none"))
    pushed = matched_to != "none" and rng.random() < 0.6
    status: dict[str, Any] = {"pushed": pushed, "matched_to": matched_to}
    if pushed and ingest_us is not None:
        status["push_time"] = stamp(ingest_us + rng.randrange(60, 7200) * SECOND_US)
        status["crm_id"] = f"00T{rng.randrange(10**12):012d}"
    company = account.name
    if matched_to in ("account", "opportunity"):
        status["account"] = {
            "crm_id": account.crm_id,
            "name": company,
            "parent_account_crm_id": None,
            "parent_account_name": None,
        }
    if matched_to == "opportunity":
        # one of the account's own opportunities: the same id, name and stage every time
        deal = account.opportunities[rng.randrange(len(account.opportunities))]
        status["opportunity"] = {
            "crm_id": deal.crm_id,
            "name": deal.name,
            "stage_name": deal.stage_name,
            "stage_rank": deal.stage_rank,
            "account": {"crm_id": account.crm_id, "name": company},
        }
    elif matched_to == "lead":
        status["lead"] = {
            "crm_id": f"00Q{rng.randrange(10**12):012d}",
            "name": "Lead " + company,
            "title": rng.choice(TITLES),
            "phone": None,
            "email": f"lead{rng.randrange(999)}@example.com",
            "lead_stage": rng.choice(("MQL", "SQL", "Working")),
        }
    return status


def _reprocess(
    rec: dict[str, Any],
    rng: random.Random,
    number: int,
    stamp: Any,
    ingest_us: int,
    domain: str,
) -> None:
    """Change a record the way a re-processing does: new wording, statuses, CRM match, people."""
    rec["subject"] = f"{rec['subject']} (update {number})"
    rec["summary"] = f"{rec['summary'] or ''} — révision {number} ✎".strip()
    if rec["type"] == "meeting":
        rec["status"] = rng.choice(MEETING_STATUSES)
        for person in rec["participants"]:
            person["status"] = rng.choice(PARTICIPANT_STATUSES)
        statuses = [p["status"] for p in rec["participants"]]
        rec["stats"]["accepted_participants"] = statuses.count("accepted")
        rec["stats"]["declined_participants"] = statuses.count("declined")
        rec["stats"]["tentative_participants"] = statuses.count("tentative")
    newcomer = _person(rng, False, domain)
    if rec["type"] == "meeting":
        newcomer["status"] = "needsAction"
    rec["participants"].append(newcomer)
    rec["stats"]["total_participants"] += 1
    rec["stats"]["external_participants"] += 1
    crm = rec["crm_status"]
    crm["pushed"] = True
    crm["push_time"] = stamp(ingest_us + rng.randrange(60, 3600) * SECOND_US)
    crm.setdefault("crm_id", f"00T{rng.randrange(10**12):012d}")
