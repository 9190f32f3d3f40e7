"""Variant ``extra_fields``: undocumented fields, some of which appear only in later activities.

The real export is only partly documented, and People.ai adds fields over time. With this
variant a record carries undocumented top-level fields (scalars, an object, an array) and
undocumented keys inside ``stats``, ``crm_status`` and its matched objects, ``participants[]``
items and ``campaigns[]`` items. The *late* names appear only in versions ingested at or after
``late_fields_after_days`` days from the epoch, so a schema learned from an early export misses
them. Draws come from a stream of their own: the documented fields stay byte for byte the same.
"""

from __future__ import annotations

import random
from typing import Any

EARLY_TOP_LEVEL = (
    "source_system",  # string, always
    "is_private",  # boolean, always
    "sentiment_score",  # number, or null, or absent
    "message_count",  # integer, or absent
    "enrichment",  # object {provider, confidence, signals[]}, or absent
    "labels",  # array of strings, or absent
)
LATE_TOP_LEVEL = ("ai_summary", "risk_flags", "engagement")  # string; array; object
# container -> (early names, late names); "participants" and "campaigns" are the items of those
# arrays, "account"/"opportunity"/"lead" the matched objects inside crm_status
NESTED = {
    "stats": (("response_time_seconds",), ("words_spoken",)),
    "crm_status": (("sync_source",), ("last_synced_by",)),
    "account": (("industry",), ("employee_band",)),
    "opportunity": (("amount", "currency"), ("forecast_category",)),
    "lead": (("lead_score",), ("lead_source",)),
    "participants": (("seniority", "timezone"), ("linkedin_url",)),
    "campaigns": (("channel",), ("utm_source",)),
}

_SYSTEMS = ("gmail", "outlook", "zoom", "salesforce", "gong")
_LABELS = ("champion", "pricing", "légal", "renewal", "🔥 hot", "technical")
_SIGNALS = ("hiring", "funding", "expansion", "churn risk")
_SENIORITY = ("c_level", "vp", "director", "manager", "individual_contributor")
_TIMEZONES = ("Europe/Paris", "America/New_York", "Asia/Tokyo", "UTC", "Australia/Sydney")
_FLAGS = ("no_next_step", "single_threaded", "competitor_mentioned", "budget_unclear")
_FORECAST = ("pipeline", "best_case", "commit", "omitted")


def add_extra_fields(record: dict[str, Any], rng: random.Random, late: bool) -> None:
    """Add the undocumented fields to ``record`` in place; the late ones only if ``late``."""
    record["source_system"] = rng.choice(_SYSTEMS)
    record["is_private"] = rng.random() < 0.1
    sentiment = rng.random()
    if sentiment < 0.6:
        record["sentiment_score"] = rng.randrange(-100, 101) / 100
    elif sentiment < 0.7:
        record["sentiment_score"] = None
    if rng.random() < 0.5:
        record["message_count"] = rng.randrange(1, 40)
    if rng.random() < 0.4:
        record["enrichment"] = {
            "provider": rng.choice(("clearbit", "zoominfo")),
            "confidence": rng.randrange(0, 101) / 100,
            "signals": rng.sample(_SIGNALS, rng.randrange(0, 3)),
        }
    if rng.random() < 0.5:
        record["labels"] = rng.sample(_LABELS, rng.randrange(0, 4))
    stats = record["stats"]
    stats["response_time_seconds"] = rng.randrange(0, 86_400)
    crm = record["crm_status"]
    crm["sync_source"] = rng.choice(("auto", "manual", "api"))
    if "account" in crm:
        crm["account"]["industry"] = rng.choice(("Software", "Retail", "Logistique", "製造業"))
    if "opportunity" in crm:
        crm["opportunity"]["amount"] = rng.randrange(1_000, 500_000) + 0.5
        crm["opportunity"]["currency"] = rng.choice(("USD", "EUR", "JPY"))
    if "lead" in crm:
        crm["lead"]["lead_score"] = rng.randrange(0, 100)
    for person in record["participants"]:
        person["seniority"] = rng.choice(_SENIORITY)
        if rng.random() < 0.8:
            person["timezone"] = rng.choice(_TIMEZONES)
    for campaign in record["campaigns"]:
        campaign["channel"] = rng.choice(("webinar", "event", "email", "paid_social"))
    if late:
        _add_late_fields(record, rng)


def _add_late_fields(record: dict[str, Any], rng: random.Random) -> None:
    record["ai_summary"] = f"{record['type'].capitalize()} summary: {rng.choice(_FLAGS)} ✨"
    if rng.random() < 0.5:
        record["risk_flags"] = rng.sample(_FLAGS, rng.randrange(1, 3))
    if rng.random() < 0.7:
        record["engagement"] = {
            "score": rng.randrange(0, 101),
            "trend": rng.choice(("up", "flat", "down")),
        }
    record["stats"]["words_spoken"] = rng.randrange(0, 20_000)
    crm = record["crm_status"]
    crm["last_synced_by"] = rng.choice(("sync-bot", "admin@sandbox-corp.example"))
    if "account" in crm:
        crm["account"]["employee_band"] = rng.choice(("1-50", "51-500", "501-5000", "5000+"))
    if "opportunity" in crm:
        crm["opportunity"]["forecast_category"] = rng.choice(_FORECAST)
    if "lead" in crm:
        crm["lead"]["lead_source"] = rng.choice(("inbound", "event", "partner"))
    for person in record["participants"]:
        slug = person["email"].split("@")[0]
        person["linkedin_url"] = f"https://www.linkedin.example/in/{slug}"
    for campaign in record["campaigns"]:
        campaign["utm_source"] = rng.choice(("newsletter", "linkedin", "google"))
