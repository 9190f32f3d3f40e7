"""tap-peopleai: settings, their validation, and the stream list."""

from __future__ import annotations

import datetime as dt
import gc
import ipaddress
import logging
import math
import os
import sys
from decimal import Decimal
from functools import cached_property
from typing import Any
from urllib.parse import urlsplit

import click
from singer_sdk import Tap
from singer_sdk import typing as th
from singer_sdk.exceptions import ConfigValidationError
from singer_sdk.tap_base import CliTestOptionValue
from typing_extensions import override

from tap_peopleai.client import PeopleAIClient, RetryPolicy
from tap_peopleai.connection_check import check_connection
from tap_peopleai.errors import TapPeopleAIError
from tap_peopleai.interrupts import GUARD, SyncInterrupted
from tap_peopleai.planning import MAX_DELTA_DAYS, MAX_SNAPSHOT_DAYS
from tap_peopleai.progress import check_state_shape
from tap_peopleai.scheduler import VENDOR_MAX_QUEUED
from tap_peopleai.streams import ActivitiesStream
from tap_peopleai.writer import BufferedOrjsonWriter

ACTIVITY_TYPES = ("email", "meeting", "call", "all")
MIN_HEARTBEAT_SECONDS = 1
LOOPBACK_NAMES = ("localhost",)


def _is_loopback(host: str) -> bool:
    if host.lower() in LOOPBACK_NAMES or host.lower().endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _date_setting(config: dict[str, Any], key: str, errors: list[str]) -> dt.date | None:
    value = config.get(key)
    if value in (None, ""):
        return None
    text = str(value)
    try:
        # A datetime (as some UIs store dates) is accepted and cut to its date.
        if len(text) == 10 or text[10] in "T ":
            return dt.date.fromisoformat(text[:10])
    except ValueError:
        pass
    errors.append(f"`{key}` must be a date as YYYY-MM-DD (e.g. 2024-01-31), got {value!r}.")
    return None


def _int_setting(config: dict[str, Any], key: str, low: int, high: int, errors: list[str]) -> None:
    value = config.get(key)
    if value is None:
        return
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        errors.append(f"`{key}` must be a whole number from {low} to {high}, got {value!r}.")


def _seconds_or_text(value: Any) -> float | None:
    """A number of seconds given as a number or as text; NaN when it is neither."""
    if value is None:
        return None
    if isinstance(value, bool):
        return math.nan
    try:
        return float(value)
    except (TypeError, ValueError):
        return math.nan


def validate_settings(config: dict[str, Any], today: dt.date) -> list[str]:
    """Every problem with the settings, each naming the setting and what it accepts."""
    errors: list[str] = []
    start = _date_setting(config, "start_date", errors)
    end = _date_setting(config, "end_date", errors)
    if config.get("start_date") in (None, ""):
        errors.append(
            "`start_date` is required: the earliest activity date to extract (YYYY-MM-DD)."
        )
    if start and start > today + dt.timedelta(days=1):
        errors.append(f"`start_date` {start} is in the future (today is {today} UTC).")
    if start and end and end < start:
        errors.append(f"`end_date` {end} is before `start_date` {start}.")
    activity_type = config.get("activity_type", "all")
    if activity_type not in ACTIVITY_TYPES:
        errors.append(
            f"`activity_type` must be one of {', '.join(ACTIVITY_TYPES)}, got {activity_type!r}."
        )
    _int_setting(config, "delta_window_days", 1, MAX_DELTA_DAYS, errors)
    _int_setting(config, "snapshot_window_days", 1, MAX_SNAPSHOT_DAYS, errors)
    _int_setting(config, "scheduled_horizon_days", 0, MAX_SNAPSHOT_DAYS, errors)
    _int_setting(config, "download_workers", 1, 16, errors)
    _int_setting(config, "reserved_queue_slots", 0, 8, errors)
    for key in ("poll_interval", "job_timeout"):
        value = config.get(key)
        if value is not None and (
            isinstance(value, bool) or not isinstance(value, (int, float, Decimal)) or value <= 0
        ):
            errors.append(f"`{key}` must be a positive number of seconds, got {value!r}.")
    heartbeat = _seconds_or_text(config.get("heartbeat_interval"))
    if heartbeat is not None and not (
        math.isfinite(heartbeat) and heartbeat >= MIN_HEARTBEAT_SECONDS
    ):
        errors.append(
            f"`heartbeat_interval` must be a number of seconds of at least "
            f"{MIN_HEARTBEAT_SECONDS}, got {config['heartbeat_interval']!r}."
        )
    has_pair = bool(config.get("client_id")) and bool(config.get("client_secret"))
    if not has_pair and not config.get("access_token"):
        if config.get("client_id") or config.get("client_secret"):
            missing = "client_secret" if config.get("client_id") else "client_id"
            errors.append(f"`{missing}` is missing: set both `client_id` and `client_secret`.")
        else:
            errors.append(
                "No credentials: set `client_id` and `client_secret` (an Activity API key and "
                "secret), or `access_token`."
            )
    api_url = str(config.get("api_url") or "")
    parts = urlsplit(api_url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        errors.append(
            f"`api_url` must be an http(s) URL such as https://api.people.ai, got {api_url!r}."
        )
    elif (
        parts.scheme == "http"
        and not _is_loopback(parts.hostname)
        and not config.get("allow_insecure_http")
    ):
        errors.append(
            f"`api_url` {api_url} uses plain http to a non-loopback host, which would send "
            "credentials unencrypted. Use https, or set `allow_insecure_http` if you must."
        )
    return errors


class TapPeopleAI(Tap):
    """Sales activities (emails, meetings, calls) from People.ai's bulk Raw Activity Data export."""

    name = "tap-peopleai"
    message_writer_class = BufferedOrjsonWriter

    config_jsonschema = th.PropertiesList(
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
            th.StringType,
            title="API URL",
            default="https://api.people.ai",
            description="Base URL of the API. Plain http is accepted only for loopback hosts "
            "(the sandbox) unless allow_insecure_http is set.",
        ),
        th.Property(
            "start_date",
            th.DateType,
            title="Start date",
            required=True,
            description="Earliest activity date to extract (YYYY-MM-DD, UTC). Activities dated "
            "earlier are not emitted, even when a delta export returns them.",
        ),
        th.Property(
            "end_date",
            th.DateType,
            title="End date",
            description="Optional last activity date (YYYY-MM-DD) for a bounded backfill: "
            "snapshot exports of start_date..end_date, leaving the delta cursor untouched.",
        ),
        th.Property(
            "activity_type",
            th.StringType,
            title="Activity type",
            default="all",
            allowed_values=list(ACTIVITY_TYPES),
            description="Which activities to export: email, meeting, call or all.",
        ),
        th.Property(
            "poll_interval",
            th.NumberType,
            title="Poll interval",
            default=10,
            description="Seconds between job status polls (fractions allowed). Retries of "
            "transient errors back off from min(poll_interval, 1 s).",
        ),
        th.Property(
            "job_timeout",
            th.NumberType,
            title="Job timeout",
            default=21600,
            description="Seconds one export job may take to complete (or a full queue may "
            "delay its creation) before the tap stops with an error naming the job.",
        ),
        th.Property(
            "heartbeat_interval",
            # Also as text: Meltano passes it on as a string (`kind: string` in meltano.yml).
            th.CustomType({"type": ["number", "string"], "minimum": MIN_HEARTBEAT_SECONDS}),
            title="Heartbeat interval (seconds)",
            default=60,
            description="Seconds between progress lines while the tap waits on export jobs or "
            "downloads their files: the jobs in flight with their state and age, or the running "
            f"download totals (at least {MIN_HEARTBEAT_SECONDS}; fractions allowed).",
        ),
        th.Property(
            "delta_window_days",
            th.IntegerType,
            title="Delta window days",
            default=14,
            description="Days of processing dates per delta export job (1-14).",
        ),
        th.Property(
            "snapshot_window_days",
            th.IntegerType,
            title="Snapshot window days",
            default=365,
            description="Days of activity dates per snapshot export job (1-365).",
        ),
        th.Property(
            "scheduled_horizon_days",
            th.IntegerType,
            title="Scheduled horizon days",
            default=365,
            description="How many days past today the first sync exports, so that meetings "
            "already scheduled in the future are not missed (0-365).",
        ),
        th.Property(
            "download_workers",
            th.IntegerType,
            title="Download workers",
            default=4,
            description="Fragments downloaded in parallel (1-16). Records are still emitted in "
            "order, one fragment at a time.",
        ),
        th.Property(
            "reserved_queue_slots",
            th.IntegerType,
            title="Reserved queue slots",
            default=2,
            description="Export-queue slots (of the API's 10) left free for other tools; the tap "
            "keeps at most 10 minus this many of its jobs queued or running (0-8).",
        ),
        th.Property(
            "ca_bundle",
            th.StringType,
            title="CA bundle",
            description="Path to a PEM file of trusted certificate authorities (e.g. a corporate "
            "proxy's). TLS certificates are always verified.",
        ),
        th.Property(
            "allow_insecure_http",
            th.BooleanType,
            title="Allow insecure HTTP",
            default=False,
            description="Accept a plain-http api_url for a non-loopback host. Credentials then "
            "travel unencrypted: only for trusted networks.",
        ),
        th.Property(
            "temp_dir",
            th.StringType,
            title="Temporary directory",
            description="Directory for downloaded fragments awaiting emission (default: the "
            "system temporary directory). Needs room for a few fragments per download worker.",
        ),
    ).to_dict()

    @override
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        check_state_shape(kwargs.get("state"))
        super().__init__(*args, **kwargs)
        # After the SDK's own, which would exit 0 with a STATE written mid-output.
        GUARD.install()
        if kwargs.get("validate_config", True):
            errors = validate_settings(dict(self.config), dt.datetime.now(dt.timezone.utc).date())
            if errors:
                raise ConfigValidationError("Config validation failed", errors=errors)

    @cached_property
    def client(self) -> PeopleAIClient:
        """The API client shared by the streams."""
        config = self.config
        poll_interval = float(config.get("poll_interval", 10))
        return PeopleAIClient(
            config.get("api_url") or "https://api.people.ai",
            client_id=config.get("client_id"),
            client_secret=config.get("client_secret"),
            access_token=config.get("access_token"),
            ca_bundle=config.get("ca_bundle"),
            retry=RetryPolicy(base_seconds=min(poll_interval, 1.0)),
            logger=self.logger,
        )

    @override
    def discover_streams(self) -> list[ActivitiesStream]:
        return [ActivitiesStream(self, client=self.client)]

    @classmethod
    @override
    def cb_test(cls, ctx: click.Context, param: click.Option, value: str) -> None:
        # The SDK's --test is a real sync capped at one record: it would create export jobs
        # that hold the organisation's queue for hours. This checks what it can without.
        if value in (CliTestOptionValue.Disabled.value, CliTestOptionValue.Schema.value):
            super().cb_test(ctx, param, value)
            return
        config = ctx.params.get("config")  # the SDK's parsed --config (files, or ENV)
        try:
            tap = cls(
                config=getattr(config, "config", None),
                parse_env_config=bool(getattr(config, "parse_env", False)),
            )
            settings = tap.config
            slots = int(settings.get("reserved_queue_slots", 2))
            check_connection(tap.client, max(1, VENDOR_MAX_QUEUED - slots), tap.logger)
        except TapPeopleAIError as exc:
            cls.logger.error("%s", exc)
            ctx.exit(1)
        ctx.exit()

    @classmethod
    @override
    def invoke(cls, *args: Any, **kwargs: Any) -> None:
        # What is alive now (modules, classes, settings) lives until the process exits. Frozen,
        # it is no longer walked by every full collection nor torn down at exit (0.1 s here),
        # and forked BATCH workers share its pages instead of copying them.
        gc.freeze()
        try:
            super().invoke(*args, **kwargs)
        except TapPeopleAIError as exc:
            # A problem the user can act on: the message is the whole story, no traceback.
            cls.logger.error("%s", exc)
            sys.exit(1)
        except SyncInterrupted as stop:
            GUARD.run_cleanups(stop)
            cls.logger.error(
                "Interrupted by %s %s. The last STATE message covers every record emitted "
                "before it and temporary files were removed.",
                stop.signal_name,
                stop.summary,
            )
            sys.stdout.flush()
            logging.shutdown()
            # Download threads may sit in a retry's back-off: nothing is left to wait for.
            os._exit(stop.exit_code)


if __name__ == "__main__":
    TapPeopleAI.cli()
