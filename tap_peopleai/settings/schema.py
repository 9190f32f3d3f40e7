"""Every setting of the tap, declared once as JSON Schema: type, default, range, format, text.

`--about` (and so the README's settings table, `make readme`), Meltano and configuration UIs read
this schema; `tap_peopleai.settings.values` parses every value by it, so a range or a default
lives here and nowhere else. Texts that state a range or the allowed values are generated from
the same numbers, because the SDK's markdown table shows only the default and the description.

Numbers and booleans are declared as `[type, "string"]`: `--config ENV` passes environment
values on as text, and so does Meltano with `kind: string` (the only kind that passes a value on
unchanged). The tap's parser is the authority on what a valid value is: it accepts "0.5", "4" or
"true" as readily as 0.5, 4 or true, rejects everything else with one line naming the setting, and
accepts nothing this schema would reject.
"""

from __future__ import annotations

from typing import Any

from singer_sdk import typing as th

from tap_peopleai.settings.api_limits import (
    MAX_DELTA_DAYS,
    MAX_QUEUED_JOBS,
    MAX_RUNNING_JOBS,
    MAX_SNAPSHOT_DAYS,
)

DEFAULT_API_URL = "https://api.people.ai"
ACTIVITY_TYPES = ("email", "meeting", "call", "all")
# Of the API's queue slots, as many as it runs at once always stay the tap's.
MAX_RESERVED_QUEUE_SLOTS = MAX_QUEUED_JOBS - MAX_RUNNING_JOBS
MAX_DOWNLOAD_WORKERS = 16


def _value_or_text(json_type: str, **constraints: Any) -> th.CustomType:
    return th.CustomType({"type": [json_type, "string"], **constraints})


def _whole_number_setting(
    name: str, title: str, default: int, low: int, high: int, description: str
) -> th.Property[Any]:
    return th.Property(
        name,
        _value_or_text("integer", minimum=low, maximum=high),
        title=title,
        default=default,
        description=f"{description} A whole number from {low} to {high}.",
    )


def _seconds(
    name: str, title: str, default: int, description: str, *, at_least: float | None = None
) -> th.Property[Any]:
    if at_least is None:
        bound: dict[str, Any] = {"exclusiveMinimum": 0}
        text = "A positive number of seconds; fractions are allowed."
    else:
        bound = {"minimum": at_least}
        text = f"A number of seconds of at least {at_least:g}; fractions are allowed."
    return th.Property(
        name,
        _value_or_text("number", **bound),
        title=title,
        default=default,
        description=f"{description} {text}",
    )


def _date(name: str, title: str, description: str, *, required: bool = False) -> th.Property[Any]:
    return th.Property(
        name,
        th.DateType,
        title=title,
        required=required,
        description=f"{description} A date as YYYY-MM-DD (UTC), nothing else.",
    )


def settings_schema() -> dict[str, Any]:
    """The JSON Schema of the tap's own settings (a fresh dict: the SDK adds its built-ins)."""
    schema: dict[str, Any] = th.PropertiesList(
        th.Property(
            "client_id",
            th.StringType,
            title="Client ID",
            description="API key of an *Activity* API key pair (Settings → API Key Management).",
        ),
        th.Property(
            "client_secret",
            th.StringType,
            title="Client secret",
            secret=True,
            description="Secret of the Activity API key pair; exchanged for short-lived tokens.",
        ),
        th.Property(
            "access_token",
            th.StringType,
            title="Access token",
            secret=True,
            description="A ready bearer token, instead of client_id/client_secret. Cannot be "
            "renewed by the tap: long syncs should use client credentials.",
        ),
        th.Property(
            "api_url",
            th.URIType,
            title="API URL",
            default=DEFAULT_API_URL,
            description="Base URL of the API (http or https). Plain http is accepted only for "
            "loopback hosts (the sandbox) unless allow_insecure_http is set.",
        ),
        _date(
            "start_date",
            "Start date",
            "Earliest activity date to extract. Activities dated earlier are not emitted, even "
            "when a delta export returns them.",
            required=True,
        ),
        _date(
            "end_date",
            "End date",
            "Optional last activity date, for a bounded backfill: snapshot exports of "
            "start_date..end_date, leaving the delta cursor untouched.",
        ),
        th.Property(
            "activity_type",
            th.StringType,
            title="Activity type",
            default="all",
            allowed_values=list(ACTIVITY_TYPES),
            description=f"Which activities to export: one of {', '.join(ACTIVITY_TYPES)}.",
        ),
        _seconds(
            "poll_interval",
            "Poll interval (seconds)",
            10,
            "Seconds between job status polls. Retries of transient errors back off from "
            "min(poll_interval, 1 s).",
        ),
        _seconds(
            "job_timeout",
            "Job timeout (seconds)",
            21600,
            "Seconds one export job may take to complete (or a full queue may delay its "
            "creation) before the tap stops with an error naming the job.",
        ),
        _seconds(
            "heartbeat_interval",
            "Heartbeat interval (seconds)",
            60,
            "Seconds between progress lines while the tap waits on export jobs or downloads "
            "their files: the jobs in flight with their state and age, or the running download "
            "totals.",
            at_least=1,
        ),
        _whole_number_setting(
            "delta_window_days",
            "Delta window (days)",
            MAX_DELTA_DAYS,
            1,
            MAX_DELTA_DAYS,
            "Days of processing dates per delta export job.",
        ),
        _whole_number_setting(
            "snapshot_window_days",
            "Snapshot window (days)",
            MAX_SNAPSHOT_DAYS,
            1,
            MAX_SNAPSHOT_DAYS,
            "Days of activity dates per snapshot export job.",
        ),
        _whole_number_setting(
            "scheduled_horizon_days",
            "Scheduled horizon (days)",
            MAX_SNAPSHOT_DAYS,
            0,
            MAX_SNAPSHOT_DAYS,
            "How many days past today the first sync exports, so that meetings already "
            "scheduled in the future are not missed.",
        ),
        _whole_number_setting(
            "download_workers",
            "Download workers",
            4,
            1,
            MAX_DOWNLOAD_WORKERS,
            "Fragments downloaded in parallel. Records are still emitted in order, one "
            "fragment at a time.",
        ),
        _whole_number_setting(
            "reserved_queue_slots",
            "Reserved queue slots",
            2,
            0,
            MAX_RESERVED_QUEUE_SLOTS,
            "Export-queue slots (of the API's 10) left free for other tools; the tap creates a "
            "job only while fewer than 10 minus this many jobs (anyone's) are queued or running.",
        ),
        th.Property(
            "ca_bundle",
            th.StringType,
            title="CA bundle",
            description="Path to a PEM file of trusted certificate authorities (e.g. a "
            "corporate proxy's). TLS certificates are always verified.",
        ),
        th.Property(
            "allow_insecure_http",
            _value_or_text("boolean"),
            title="Allow insecure HTTP",
            default=False,
            description="Accept a plain-http api_url for a non-loopback host. Credentials then "
            "travel unencrypted: only for trusted networks. A boolean: true or false.",
        ),
        th.Property(
            "temp_dir",
            th.StringType,
            title="Temporary directory",
            description="Existing directory for downloaded fragments awaiting emission "
            "(default: the system temporary directory). Needs room for a few fragments per "
            "download worker.",
        ),
        th.Property(
            "reconcile",
            _value_or_text("boolean"),
            title="Reconcile",
            default=False,
            description="Re-export the whole history (start_date through today + 365 days, then "
            "a delta over what was processed meanwhile) and mark every activity it does not "
            "return as deleted: ACTIVATE_VERSION for loaders that honour it, a `reconciliations` "
            "row for the others. RECORD mode only; run it as its own plugin "
            "(tap-peopleai-reconcile) so it keeps its own state. A boolean: true or false.",
        ),
    ).to_dict()
    return schema


def tap_setting_names() -> frozenset[str]:
    """Names of the tap's own settings (not the SDK's built-ins)."""
    return frozenset(settings_schema()["properties"])
