"""The tap's settings as typed, frozen objects (`TapPeopleAI.settings`), and the rules across them.

Each field of these objects is the setting of the same name, parsed by values.py. Each object
is taken whole by the part of the tap it configures: nothing re-packs or copies its fields.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import ipaddress
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, TypeVar
from urllib.parse import urlsplit

from tap_peopleai.settings.api_limits import MAX_QUEUED_JOBS
from tap_peopleai.settings.values import parse_values

LOOPBACK_NAMES = ("localhost",)
SettingsPart = TypeVar("SettingsPart")


def _is_loopback(host: str) -> bool:
    if host.lower() in LOOPBACK_NAMES or host.lower().endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _named_fields(part: type[SettingsPart], values: Mapping[str, Any]) -> SettingsPart:
    """One part of the settings, each field taken from the setting of the same name."""
    names = [f.name for f in dataclasses.fields(part)]  # type: ignore[arg-type]
    return part(**{name: values[name] for name in names})


@dataclass(frozen=True)
class ApiSettings:
    """Where the API is and how the tap authenticates."""

    api_url: str
    client_id: str | None
    client_secret: str | None = field(repr=False)
    access_token: str | None = field(repr=False)
    ca_bundle: str | None
    allow_insecure_http: bool


@dataclass(frozen=True)
class PlanSettings:
    """The settings that shape a sync's windows (read by the state's planning)."""

    start_date: dt.date
    end_date: dt.date | None
    snapshot_window_days: int
    delta_window_days: int
    scheduled_horizon_days: int
    reconcile: bool = False


@dataclass(frozen=True)
class PipelineSettings:
    """How the export pipeline and its job scheduler pace themselves, and what they export."""

    activity_type: str
    poll_interval: float
    job_timeout: float
    reserved_queue_slots: int
    download_workers: int
    temp_dir: str | None = None
    heartbeat_interval: float = 60.0

    @property
    def max_jobs_ahead(self) -> int:
        """How many of this sync's jobs may be queued or running at once."""
        return max(1, MAX_QUEUED_JOBS - self.reserved_queue_slots)


@dataclass(frozen=True)
class TapSettings:
    """All settings of the tap, typed: the API part, the sync plan and the export pipeline."""

    api: ApiSettings
    plan: PlanSettings
    pipeline: PipelineSettings

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> TapSettings:
        """Parse a configuration (JSON values or text); raises `SettingsError` if invalid."""
        values = parse_values(config)
        # An empty credential is no credential.
        for name in ("client_id", "client_secret", "access_token"):
            values[name] = values[name] or None
        return cls(
            api=_named_fields(ApiSettings, values),
            plan=_named_fields(PlanSettings, values),
            pipeline=_named_fields(PipelineSettings, values),
        )

    def describe(self) -> str:
        """The settings in one line for the log; never a secret."""
        api, plan, pipeline = self.api, self.plan, self.pipeline
        credentials = "access_token" if api.access_token else "client_id and client_secret"
        return (
            f"api_url {api.api_url} ({credentials}), activity_type {pipeline.activity_type}, "
            f"start_date {plan.start_date}, end_date {plan.end_date or '-'}, "
            f"poll_interval {pipeline.poll_interval:g} s, job_timeout {pipeline.job_timeout:g} s, "
            f"heartbeat_interval {pipeline.heartbeat_interval:g} s, "
            f"delta/snapshot windows {plan.delta_window_days}/{plan.snapshot_window_days} days, "
            f"scheduled_horizon_days {plan.scheduled_horizon_days}, "
            f"download_workers {pipeline.download_workers}, "
            f"reserved_queue_slots {pipeline.reserved_queue_slots}"
        )


def validate_settings(settings: TapSettings, today: dt.date) -> list[str]:
    """Problems between settings (each value on its own is valid), each in one line."""
    errors: list[str] = []
    api, plan = settings.api, settings.plan
    if plan.start_date > today + dt.timedelta(days=1):
        errors.append(f"`start_date` {plan.start_date} is in the future (today is {today} UTC).")
    if plan.end_date is not None and plan.end_date < plan.start_date:
        errors.append(f"`end_date` {plan.end_date} is before `start_date` {plan.start_date}.")
    if not (api.client_id and api.client_secret) and not api.access_token:
        if api.client_id or api.client_secret:
            missing = "client_secret" if api.client_id else "client_id"
            errors.append(f"`{missing}` is missing: set both `client_id` and `client_secret`.")
        else:
            errors.append(
                "No credentials: set `client_id` and `client_secret` (an Activity API key and "
                "secret), or `access_token`."
            )
    url = urlsplit(api.api_url)
    insecure = url.scheme == "http" and not _is_loopback(url.hostname or "")
    if insecure and not api.allow_insecure_http:
        errors.append(
            f"`api_url` {api.api_url} uses plain http to a non-loopback host, which would send "
            "credentials unencrypted. Use https, or set `allow_insecure_http` if you must."
        )
    return errors
