"""The deterministic activity universe: which activities exist, their versions, and their records.

Activity ``i`` (``i = 0, 1, 2, …``) is first processed at ``epoch + i * spacing + jitter`` with
``0 <= jitter < spacing`` and ``spacing = 1 day / activities_per_day``, so the activities first
processed in any interval form an index range computable without scanning the universe. Every
time is kept as integer microseconds since the Unix epoch; a "skeleton" (type, version times,
activity times) is cheap to compute and decides selection, while the full record is generated
only when rendered. Everything derives from ``seed`` and the index: nothing is stored.
"""

from __future__ import annotations

import hashlib
import random
import struct
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from functools import lru_cache
from typing import Any, NamedTuple

import orjson

UTC = timezone.utc
SECOND_US = 1_000_000
HOUR_US = 3600 * SECOND_US
DAY_US = 86_400 * SECOND_US
_UNIX_NAIVE = datetime(1970, 1, 1)
_UNIX_AWARE = datetime(1970, 1, 1, tzinfo=UTC)

# Bounds of how far an activity's times can lie from its first ingest time; selection scans the
# index range these bounds allow, so they must hold for every generated activity.
TS_BEFORE_FIRST_INGEST_MAX_US = 8 * DAY_US
TS_AFTER_FIRST_INGEST_MAX_US = 46 * DAY_US
VERSION_SPAN_MAX_US = 41 * DAY_US

ACTIVITY_TYPES = ("email", "meeting", "call")
_STYLES_OF_MIXED = ("z", "naive", "fractional")


@dataclass(frozen=True)
class TruthRow:
    """One activity as a correct client sees it: its latest version and its parsed times (UTC)."""

    uid: str
    version: int
    type: str
    timestamp: datetime
    ingest_timestamp: datetime


class Skeleton:
    """The selection-relevant facts of one activity: type, and per version its two times."""

    __slots__ = ("activity_type", "index", "ingests", "logged_call", "scheduled", "timestamps")

    def __init__(
        self,
        index: int,
        activity_type: str,
        ingests: list[int],
        timestamps: list[int],
        logged_call: bool,
        scheduled: bool,
    ) -> None:
        self.index = index
        self.activity_type = activity_type
        self.ingests = ingests
        self.timestamps = timestamps
        self.logged_call = logged_call
        self.scheduled = scheduled

    def latest_version_at(self, as_of_us: int) -> int:
        """Return the newest version (1-based) ingested at or before ``as_of_us``, or 0."""
        version = 0
        for number, ingest in enumerate(self.ingests, start=1):
            if ingest <= as_of_us:
                version = number
        return version


def to_us(value: datetime) -> int:
    """Microseconds since the Unix epoch of an aware datetime."""
    delta = value - _UNIX_AWARE
    return (delta.days * 86_400 + delta.seconds) * SECOND_US + delta.microseconds


def from_us(value: int) -> datetime:
    """Aware UTC datetime of microseconds since the Unix epoch."""
    return _UNIX_AWARE + timedelta(microseconds=value)


def day_start_us(day: date) -> int:
    """Microseconds since the Unix epoch of 00:00 UTC of ``day``."""
    return (day - date(1970, 1, 1)).days * DAY_US


_DAY_STRINGS: dict[int, str] = {}


def format_timestamp(value_us: int, style: str) -> str:
    """Render a time as the export does in ``style`` (``z``, ``naive`` or ``fractional``)."""
    seconds, micros = divmod(value_us, SECOND_US)
    days, within = divmod(seconds, 86_400)
    day = _DAY_STRINGS.get(days)
    if day is None:  # a render formats ~5 times a record: building datetimes dominated it
        day = _DAY_STRINGS[days] = (date(1970, 1, 1) + timedelta(days=days)).isoformat()
    hours, within = divmod(within, 3600)
    minutes, secs = divmod(within, 60)
    base = f"{day}T{hours:02d}:{minutes:02d}:{secs:02d}"
    if style == "z":
        return base + "Z"
    if style == "naive":
        return base
    if micros % 1000 == 0:
        return f"{base}.{micros // 1000:03d}Z"
    return f"{base}.{micros:06d}Z"


def rendered_us(value_us: int, style: str) -> int:
    """The time a client parses back from ``format_timestamp(value_us, style)``."""
    if style == "fractional":
        return value_us
    return value_us - value_us % SECOND_US


# --- content pools: mixed scripts on purpose, the tap must carry them unchanged ---------------
_FIRST_NAMES = (
    ("Ana", "ana"),
    ("José", "jose"),
    ("Zoë", "zoe"),
    ("Łukasz", "lukasz"),
    ("Søren", "soren"),
    ("Chloé", "chloe"),
    ("Ümit", "umit"),
    ("Priya", "priya"),
    ("Liam", "liam"),
    ("Mia", "mia"),
    ("健太", "kenta"),
    ("美咲", "misaki"),
    ("Олег", "oleg"),
    ("Σοφία", "sofia"),
    ("François", "francois"),
    ("Nguyễn", "nguyen"),
    ("Grace", "grace"),
    ("Omar", "omar"),
    ("Björn", "bjorn"),
    ("Inés", "ines"),
    ("Wei", "wei"),
    ("Aoife", "aoife"),
)
_LAST_NAMES = (
    ("García", "garcia"),
    ("Müller", "muller"),
    ("O'Brien", "obrien"),
    ("Smith", "smith"),
    ("Dubois", "dubois"),
    ("Kowalski", "kowalski"),
    ("佐藤", "sato"),
    ("Иванова", "ivanova"),
    ("Rossi", "rossi"),
    ("Haddad", "haddad"),
    ("Lindqvist", "lindqvist"),
    ("Patel", "patel"),
    ("Nakamura", "nakamura"),
    ("Çelik", "celik"),
    ("Novák", "novak"),
    ("Brown", "brown"),
)
_COMPANIES = (
    ("Acme Corporation", "acme.example"),
    ("Globex GmbH", "globex.example"),
    ("Initech Ltd.", "initech.example"),
    ("Umbrella Société Anonyme", "umbrella.example"),
    ("株式会社サンプル", "sample-kk.example"),
    ("Soylent & Søn", "soylent.example"),
    ("Hooli", "hooli.example"),
    ("Vandelay Industries", "vandelay.example"),
    ("Wayne Enterprises", "wayne.example"),
    ("Żabka Logistics", "zabka.example"),
)
_TITLES = (
    "VP of Sales",
    "Account Executive",
    "CTO",
    "Directrice financière",
    "Procurement Lead",
    "Head of Data",
    "営業部長",
    "Software Engineer",
    None,
    "Chief Revenue Officer",
)
_TEAMS = (("00E001", "Enterprise Sales"), ("00E002", "Mid-Market"), ("00E003", "Customer Success"))
_SUBJECTS = {
    "email": (
        "Re: Proposal for {company}",
        "Pricing follow-up",
        "Contrat de service — révision",
        "Quick question about the renewal",
        "見積もりの件",
        "Intro: {company} x Sandbox 🤝",
        "Fwd: Security questionnaire",
        "Next steps after our call",
        "Überarbeitetes Angebot",
    ),
    "meeting": (
        "Discovery call with {company}",
        "QBR {company} 📈",
        "Demo: analytics platform",
        "Réunion de lancement",
        "打ち合わせ",
        "Contract negotiation",
        "Weekly sync",
        "Onsite workshop — día 1",
    ),
    "call": (
        "Call with {company}",
        "Follow-up call",
        "Cold call",
        "Support escalation ☎️",
        "Rückruf wegen Angebot",
        "電話会議",
    ),
}
_SUMMARY_WORDS = (
    "budget",
    "timeline",
    "stakeholders",
    "renewal",
    "pricing",
    "décision",
    "próximos pasos",
    "導入",
    "integration",
    "security",
    "procurement",
    "pilot",
    "🚀",
    "Q3",
    "naïve",
    "contrat",
    "legal",
    "onboarding",
    "discount",
    "champion",
    "roadmap",
    "Ångström",
    "数据",
    "✅",
)
_LOCATIONS = (
    "Zoom",
    "Google Meet",
    "Microsoft Teams",
    "Salle Émile-Zola",
    "会議室 3",
    "HQ — Floor 2",
    "Café Müller, Berlin",
    "https://meet.example.com/abc-defg-hij",
)
_STAGES = (
    ("Prospecting", 1),
    ("Qualification", 2),
    ("Proposal", 3),
    ("Negotiation", 4),
    ("Closed Won", 5),
    ("Closed Lost", 6),
)
_MEETING_STATUSES = ("confirmed", "tentative", "cancelled")
_PARTICIPANT_STATUSES = ("accepted", "declined", "tentative", "needsAction")
_FILE_NAMES = (
    "proposal.pdf",
    "Angebot_2025.docx",
    "pricing (1).xlsx",
    "提案書.pdf",
    "screenshot 🖼.png",
    "NDA-signed.pdf",
)


class _FastRandom(random.Random):
    """``random.Random`` with float-based choice/randrange: rendering calls them ~50 times a
    record, and the stdlib's exact-integer versions dominated the render time."""

    def choice(self, seq: Any) -> Any:
        return seq[int(self.random() * len(seq))]

    def randrange(self, start: int, stop: int | None = None, step: int = 1) -> int:
        if stop is None:
            start, stop = 0, start
        return start + int(self.random() * (stop - start))


def _mix(*parts: int) -> int:
    """A 64-bit key for a random stream: different parts give independent streams."""
    digest = hashlib.blake2b(
        b"".join(part.to_bytes(9, "little", signed=True) for part in parts), digest_size=8
    ).digest()
    return int.from_bytes(digest, "little")


class _UniverseParams(NamedTuple):
    seed: int
    epoch_us: int
    activities_per_day: int
    reprocess_rate: float
    scheduled_meeting_rate: float


class _Draws:
    """Uniform draws from a keyed hash: far cheaper to start than a ``random.Random``."""

    __slots__ = ("_block", "_key", "_position", "_values")

    def __init__(self, key: bytes) -> None:
        self._key = key
        self._block = 0
        self._values: tuple[int, ...] = ()
        self._position = 0

    def unit(self) -> float:
        """A draw in [0, 1)."""
        if self._position >= len(self._values):
            digest = hashlib.blake2b(self._key + bytes((self._block,)), digest_size=64).digest()
            self._block += 1
            self._values = struct.unpack("<8Q", digest)
            self._position = 0
        value = self._values[self._position]
        self._position += 1
        return value / 18_446_744_073_709_551_616

    def between(self, low: int, high: int) -> int:
        """An integer draw in [low, high)."""
        return low + int(self.unit() * (high - low))


def _slot_start_us(params: _UniverseParams, index: int) -> int:
    return params.epoch_us + (index * DAY_US) // params.activities_per_day


def _shape_activity_time(value: int, activity_type: str, logged: bool, quantum: int) -> int:
    if activity_type == "meeting":
        return value - value % (15 * 60 * SECOND_US)
    if logged:
        return value - value % DAY_US
    return value - value % quantum


_UNIT = 1 / 18_446_744_073_709_551_616


def _head(params: _UniverseParams, index: int) -> tuple[int, ...]:
    """The first eight draws of an activity, each with a fixed meaning (see ``_skeleton``), so
    cheap filters can read one of them without building the skeleton."""
    key = struct.pack("<qqq", params.seed, params.epoch_us, index)
    return struct.unpack("<8Q", hashlib.blake2b(key, digest_size=64).digest())


def _type_of(draw: int) -> str:
    unit = draw * _UNIT
    return "email" if unit < 0.5 else "meeting" if unit < 0.8 else "call"


def _may_be_reprocessed(params: _UniverseParams, index: int) -> bool:
    return _head(params, index)[6] * _UNIT < params.reprocess_rate


def _may_be_dated_after_first_ingest(params: _UniverseParams, index: int) -> bool:
    """Only meetings that are scheduled or re-processed (maybe rescheduled) can be."""
    head = _head(params, index)
    return _type_of(head[0]) == "meeting" and (
        head[4] * _UNIT < params.scheduled_meeting_rate or head[6] * _UNIT < params.reprocess_rate
    )


@lru_cache(maxsize=200_000)
def _skeleton(params: _UniverseParams, index: int) -> Skeleton:
    """Type and version times of one activity; pure, so one cache serves every sandbox."""
    head = _head(params, index)
    activity_type = _type_of(head[0])
    slot = _slot_start_us(params, index)
    width = max(1, _slot_start_us(params, index + 1) - slot)
    quantum = 1000 if head[1] * _UNIT < 0.7 else 1
    ingest = slot + int(head[2] * _UNIT * width)
    ingest -= ingest % quantum
    logged_call = activity_type == "call" and head[3] * _UNIT < 0.4
    scheduled = activity_type == "meeting" and head[4] * _UNIT < params.scheduled_meeting_rate
    if scheduled:
        activity = ingest + DAY_US + int(head[5] * _UNIT * 29 * DAY_US)
    else:
        activity = ingest - int(head[5] * _UNIT * 3 * DAY_US)
    activity = _shape_activity_time(activity, activity_type, logged_call, quantum)
    ingests = [ingest]
    timestamps = [activity]
    if head[6] * _UNIT < params.reprocess_rate:
        draws = _Draws(struct.pack("<qqqq", params.seed, params.epoch_us, index, 2))
        for _ in range(1 if head[7] * _UNIT < 0.6 else 2):
            ingest = ingests[-1] + draws.between(HOUR_US, 20 * DAY_US)
            ingest -= ingest % quantum
            if activity_type == "meeting" and draws.unit() < 0.35:
                # a rescheduled meeting: the update moves the meeting itself
                activity = timestamps[-1] + draws.between(-2 * DAY_US, 7 * DAY_US)
                activity = _shape_activity_time(activity, activity_type, False, quantum)
            ingests.append(ingest)
            timestamps.append(activity)
    return Skeleton(index, activity_type, ingests, timestamps, logged_call, scheduled)


class ActivityUniverse:
    """All activities of one seed: selection by processing or activity date, and their records."""

    def __init__(
        self,
        seed: int,
        epoch: datetime,
        activities_per_day: int,
        reprocess_rate: float,
        scheduled_meeting_rate: float,
        timestamp_style: str = "z",
    ) -> None:
        self.seed = seed
        self.epoch_us = to_us(epoch)
        self.activities_per_day = activities_per_day
        self.reprocess_rate = reprocess_rate
        self.scheduled_meeting_rate = scheduled_meeting_rate
        self.timestamp_style = timestamp_style
        self._params = _UniverseParams(
            seed, self.epoch_us, activities_per_day, reprocess_rate, scheduled_meeting_rate
        )

    def skeleton(self, index: int) -> Skeleton:
        """The selection-relevant facts of activity ``index`` (cached across sandboxes)."""
        return _skeleton(self._params, index)

    # --- selection ---------------------------------------------------------------------------
    def _index_floor(self, moment_us: int) -> int:
        """Largest index whose slot starts at or before ``moment_us`` (may be negative)."""
        return ((moment_us - self.epoch_us) * self.activities_per_day) // DAY_US

    def indexes_first_ingested(self, lo_us: int, hi_us: int) -> range:
        """Indexes that may have their first ingest in ``[lo_us, hi_us]`` (a slightly wide range).

        Quantising times to milliseconds can move an activity below its slot by under 1 ms, so
        the range is widened by two on each side; callers check the exact times.
        """
        first = max(0, self._index_floor(lo_us) - 2)
        last = self._index_floor(hi_us) + 2
        return range(first, max(first, last + 1))

    def existing_count(self, as_of_us: int) -> int:
        """How many activities exist (first ingest at or before ``as_of_us``)."""
        candidates = self.indexes_first_ingested(as_of_us, as_of_us)
        count = candidates.start
        for index in candidates:
            if self.skeleton(index).ingests[0] <= as_of_us:
                count = index + 1
        return count

    def select_existing(
        self,
        as_of_us: int,
        activity_from: date | None = None,
        activity_to: date | None = None,
        activity_type: str = "all",
    ) -> Iterator[tuple[int, int]]:
        """Yield ``(index, latest version)`` of existing activities, filtered by activity date."""
        lo_us = day_start_us(activity_from) if activity_from else None
        hi_us = day_start_us(activity_to + timedelta(days=1)) if activity_to else None
        scan_lo = 0 if lo_us is None else lo_us - TS_AFTER_FIRST_INGEST_MAX_US
        scan_hi = (
            as_of_us if hi_us is None else min(as_of_us, hi_us + TS_BEFORE_FIRST_INGEST_MAX_US)
        )
        # activities surely first ingested before the window can only reach into it if dated
        # after their first ingest: skip the others with a cheap check
        surely_before = -1 if lo_us is None else self._index_floor(lo_us) - 2
        for index in self.indexes_first_ingested(scan_lo, scan_hi):
            if index < surely_before and not _may_be_dated_after_first_ingest(self._params, index):
                continue
            skeleton = self.skeleton(index)
            if activity_type not in ("all", skeleton.activity_type):
                continue
            version = skeleton.latest_version_at(as_of_us)
            if version == 0:
                continue
            activity_us = skeleton.timestamps[version - 1]
            if lo_us is not None and activity_us < lo_us:
                continue
            if hi_us is not None and activity_us >= hi_us:
                continue
            yield index, version

    def select_snapshot(
        self, start: date, end: date, activity_type: str, as_of_us: int
    ) -> Iterator[tuple[int, int]]:
        """Yield what a snapshot export returns: activity date in [start, end], latest content."""
        return self.select_existing(as_of_us, start, end, activity_type)

    def select_delta(
        self, start: date, end: date, activity_type: str, as_of_us: int
    ) -> Iterator[tuple[int, int]]:
        """Yield what a delta export returns: the latest version processed in ``[start, end]``."""
        lo_us = day_start_us(start)
        hi_us = day_start_us(end + timedelta(days=1))
        scan_hi = min(as_of_us, hi_us)
        surely_before = self._index_floor(lo_us) - 2
        for index in self.indexes_first_ingested(lo_us - VERSION_SPAN_MAX_US, scan_hi):
            # first ingested before the window: only a later version can fall into it
            if index < surely_before and not _may_be_reprocessed(self._params, index):
                continue
            skeleton = self.skeleton(index)
            if activity_type not in ("all", skeleton.activity_type):
                continue
            chosen = 0
            for number, ingest in enumerate(skeleton.ingests, start=1):
                if lo_us <= ingest < hi_us and ingest <= as_of_us:
                    chosen = number
            if chosen:
                yield index, chosen

    # --- records -----------------------------------------------------------------------------
    def uid(self, index: int) -> str:
        """The opaque, stable primary key of activity ``index``."""
        return hashlib.blake2b(f"{self.seed}:{index}".encode(), digest_size=12).hexdigest()

    def style_of(self, index: int, version: int) -> str:
        """Timestamp style of one record (only ``mixed`` makes it vary)."""
        if self.timestamp_style != "mixed":
            return self.timestamp_style
        return _STYLES_OF_MIXED[(index * 7919 + version * 31 + self.seed) % 3]

    def truth_row(self, index: int, version: int) -> TruthRow:
        """The ground-truth row of ``(index, version)`` as a correct client parses it."""
        skeleton = self.skeleton(index)
        style = self.style_of(index, version)
        return TruthRow(
            uid=self.uid(index),
            version=version,
            type=skeleton.activity_type,
            timestamp=from_us(rendered_us(skeleton.timestamps[version - 1], style)),
            ingest_timestamp=from_us(rendered_us(skeleton.ingests[version - 1], style)),
        )

    def record_json(self, index: int, version: int) -> bytes:
        """One export line (without the line ending)."""
        return orjson.dumps(self.record(index, version))

    def record(self, index: int, version: int) -> dict[str, Any]:
        """The full export record of version ``version`` of activity ``index``."""
        skeleton = self.skeleton(index)
        style = self.style_of(index, version)
        kind = skeleton.activity_type
        rng = _FastRandom(_mix(self.seed, index, 2))
        activity_us = skeleton.timestamps[version - 1]
        ingest_us = skeleton.ingests[version - 1]
        company, domain = _COMPANIES[rng.randrange(len(_COMPANIES))]
        uid = self.uid(index)

        def stamp(value: int) -> str:
            return format_timestamp(value, style)

        rec: dict[str, Any] = {
            "uid": uid,
            "source_id": _source_id(kind, uid, domain),
            "type": kind,
            "timestamp": stamp(activity_us),
            "ingest_timestamp": stamp(ingest_us),
            "created": stamp(skeleton.ingests[0]),
            "subject": rng.choice(_SUBJECTS[kind]).format(company=company),
            "summary": None if rng.random() < 0.06 else _summary(rng),
        }
        participants = _participants(rng, kind, domain)
        internal = sum(1 for person in participants if person["type"] == "internal")
        stats: dict[str, Any] = {
            "total_participants": len(participants),
            "internal_participants": internal,
            "external_participants": len(participants) - internal,
            "contacts_participants": sum(
                1 for p in participants if p.get("matched_as") == "contact"
            ),
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
                rng.sample(_FILE_NAMES, rng.randrange(1, 3)) if rng.random() < 0.3 else []
            )
            stats["participants_on_to_line"] = max(1, len(participants) - 2)
            stats["participants_on_cc_line"] = min(2, len(participants) - 1)
        elif kind == "meeting":
            duration = rng.choice((900, 1800, 1800, 3600, 3600, 5400, 7200))
            all_day = rng.random() < 0.03
            if all_day:
                duration = 86_400
            rec["status"] = rng.choice(_MEETING_STATUSES[:2]) if rng.random() < 0.9 else "cancelled"
            rec["duration"] = duration
            rec["start_time"] = stamp(activity_us)
            rec["end_time"] = stamp(activity_us + duration * SECOND_US)
            rec["all_day"] = all_day
            location_draw = rng.random()
            if location_draw < 0.8:
                rec["location"] = rng.choice(_LOCATIONS)
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
        rec["crm_status"] = _crm_status(rng, company, ingest_us, stamp)
        if rng.random() < 0.2:
            rec["experimental"] = {"internal_match_status": _crm_status(rng, company, None, stamp)}
        for number in range(2, version + 1):
            _reprocess(
                rec,
                _FastRandom(_mix(self.seed, index, 3, number)),
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
    words = [rng.choice(_SUMMARY_WORDS) for _ in range(rng.randrange(2, 10))]
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
    first, first_slug = _FIRST_NAMES[number % len(_FIRST_NAMES)]
    last, last_slug = _LAST_NAMES[(number // len(_FIRST_NAMES)) % len(_LAST_NAMES)]
    mail_domain = "sandbox-corp.example" if internal else ""  # external: the caller's company
    spread = zlib.crc32(str(number).encode())
    person: dict[str, Any] = {
        "peopleai_id": 10_000_000 + number if number % 3 else str(10_000_000 + number),
        "crm_id": f"003{number:012d}" if spread % 10 < 7 else None,
        "name": f"{first} {last}",
        "title": _TITLES[number % len(_TITLES)],
        "phone": f"+44 20 7{number:03d} {number % 10000:04d}" if spread % 5 < 3 else None,
        "email": f"{first_slug}.{last_slug}{number}@{mail_domain}",
        "role": "participant",
        "type": "internal" if internal else "external",
        "time_spent": 0,
        "matched_as": "user" if internal else ("contact", "lead", "contact", "none")[spread % 4],
    }
    if internal:
        team_id, team_name = _TEAMS[number % len(_TEAMS)]
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
            person["status"] = rng.choice(_PARTICIPANT_STATUSES)
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
    rng: random.Random, company: str, ingest_us: int | None, stamp: Any
) -> dict[str, Any]:
    matched_to = rng.choice(("account", "opportunity", "opportunity", "lead", "none"))
    pushed = matched_to != "none" and rng.random() < 0.6
    status: dict[str, Any] = {"pushed": pushed, "matched_to": matched_to}
    if pushed and ingest_us is not None:
        status["push_time"] = stamp(ingest_us + rng.randrange(60, 7200) * SECOND_US)
        status["crm_id"] = f"00T{rng.randrange(10**12):012d}"
    account = {
        "crm_id": f"001{zlib.crc32(company.encode()):012d}",
        "name": company,
        "parent_account_crm_id": None,
        "parent_account_name": None,
    }
    if matched_to in ("account", "opportunity"):
        status["account"] = account
    if matched_to == "opportunity":
        stage, rank = _STAGES[rng.randrange(len(_STAGES))]
        status["opportunity"] = {
            "crm_id": f"006{rng.randrange(10**12):012d}",
            "name": f"{company} — expansion",
            "stage_name": stage,
            "stage_rank": rank,
            "account": {"crm_id": account["crm_id"], "name": company},
        }
    elif matched_to == "lead":
        status["lead"] = {
            "crm_id": f"00Q{rng.randrange(10**12):012d}",
            "name": "Lead " + company,
            "title": rng.choice(_TITLES),
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
        rec["status"] = rng.choice(_MEETING_STATUSES)
        for person in rec["participants"]:
            person["status"] = rng.choice(_PARTICIPANT_STATUSES)
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
