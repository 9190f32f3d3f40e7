"""The settings parser: every setting, valid and invalid, as JSON values and as text.

Text is what `--config ENV` and Meltano (`kind: string`) deliver, so "0.5", "4" and "true" must
mean what 0.5, 4 and true mean; dates are YYYY-MM-DD and nothing else. Every invalid value gives
one line that names the setting, the value (unless secret), what it must be and where to fix it.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from tap_peopleai.settings.objects import TapSettings, validate_settings
from tap_peopleai.settings.schema import DEFAULT_API_URL, settings_schema, tap_setting_names
from tap_peopleai.settings.values import (
    SettingsError,
    environment_values,
    parse_values,
    unknown_settings_warning,
)
from tap_peopleai.tap import TapPeopleAI

TODAY = dt.date(2026, 6, 15)
BASE: dict[str, Any] = {
    "start_date": "2026-04-01",
    "client_id": "key",
    "client_secret": "secret",
    "api_url": "http://127.0.0.1:8765",
}

VALID: list[tuple[str, Any, Any]] = [
    ("start_date", "2024-01-31", dt.date(2024, 1, 31)),
    ("start_date", " 2024-02-29 ", dt.date(2024, 2, 29)),
    ("end_date", "2026-05-31", dt.date(2026, 5, 31)),
    ("end_date", None, None),
    ("end_date", "", None),
    ("activity_type", "email", "email"),
    ("activity_type", "meeting", "meeting"),
    ("activity_type", "call", "call"),
    ("activity_type", "all", "all"),
    ("poll_interval", 0.5, 0.5),
    ("poll_interval", "0.5", 0.5),
    ("poll_interval", ".25", 0.25),
    ("poll_interval", "1", 1.0),
    ("poll_interval", 10, 10.0),
    ("poll_interval", Decimal("0.2"), 0.2),
    ("poll_interval", "", 10.0),
    ("job_timeout", "21600", 21600.0),
    ("job_timeout", 0.75, 0.75),
    ("delta_window_days", "1", 1),
    ("delta_window_days", 14, 14),
    ("snapshot_window_days", "365", 365),
    ("snapshot_window_days", 30, 30),
    ("scheduled_horizon_days", "0", 0),
    ("scheduled_horizon_days", 365, 365),
    ("download_workers", "16", 16),
    ("download_workers", " 1 ", 1),
    ("reserved_queue_slots", "0", 0),
    ("reserved_queue_slots", 8, 8),
    ("allow_insecure_http", True, True),
    ("allow_insecure_http", False, False),
    ("allow_insecure_http", "true", True),
    ("allow_insecure_http", "TRUE", True),
    ("allow_insecure_http", "yes", True),
    ("allow_insecure_http", "on", True),
    ("allow_insecure_http", "1", True),
    ("allow_insecure_http", "false", False),
    ("allow_insecure_http", "No", False),
    ("allow_insecure_http", "off", False),
    ("allow_insecure_http", "0", False),
    ("api_url", "https://api.people.ai/", "https://api.people.ai"),
    ("api_url", "http://localhost:8765", "http://localhost:8765"),
    ("client_id", "an-activity-key", "an-activity-key"),
    ("client_secret", "s3cret", "s3cret"),
    ("access_token", "eyJ.token", "eyJ.token"),
]

INVALID: list[tuple[str, Any, str]] = [
    ("start_date", "2024-13-01", "a date as YYYY-MM-DD"),
    ("start_date", "01/11/2026", "a date as YYYY-MM-DD"),
    ("start_date", "yesterday", "a date as YYYY-MM-DD"),
    ("start_date", "2026-11-01T00:00:00Z", "a date as YYYY-MM-DD"),
    ("start_date", "2026-11-01T00:00:00", "a date as YYYY-MM-DD"),
    ("start_date", "20240131", "a date as YYYY-MM-DD"),
    ("start_date", "2024-W05-3", "a date as YYYY-MM-DD"),
    ("start_date", 20240131, "a date as YYYY-MM-DD"),
    ("end_date", "2025-02-29", "a date as YYYY-MM-DD"),
    ("activity_type", "sms", "one of email, meeting, call, all"),
    ("activity_type", "Email", "one of email, meeting, call, all"),
    ("activity_type", "", "one of email, meeting, call, all"),
    ("poll_interval", "0", "a positive number of seconds"),
    ("poll_interval", 0, "a positive number of seconds"),
    ("poll_interval", "-1", "a positive number of seconds"),
    ("poll_interval", "abc", "a positive number of seconds"),
    ("poll_interval", "nan", "a positive number of seconds"),
    ("poll_interval", float("inf"), "a positive number of seconds"),
    ("poll_interval", True, "a positive number of seconds"),
    ("poll_interval", "0,5", "a positive number of seconds"),
    ("job_timeout", "0", "a positive number of seconds"),
    ("job_timeout", [60], "a positive number of seconds"),
    ("delta_window_days", "15", "a whole number from 1 to 14"),
    ("delta_window_days", 0, "a whole number from 1 to 14"),
    ("delta_window_days", "1.5", "a whole number from 1 to 14"),
    ("delta_window_days", 7.0, "a whole number from 1 to 14"),
    ("snapshot_window_days", 366, "a whole number from 1 to 365"),
    ("scheduled_horizon_days", "-1", "a whole number from 0 to 365"),
    ("download_workers", "abc", "a whole number from 1 to 16"),
    ("download_workers", 17, "a whole number from 1 to 16"),
    ("download_workers", True, "a whole number from 1 to 16"),
    ("reserved_queue_slots", "9", "a whole number from 0 to 8"),
    ("allow_insecure_http", "maybe", "true or false"),
    ("allow_insecure_http", 1, "true or false"),
    ("api_url", "ftp://example.com", "an http(s) URL"),
    ("api_url", "api.people.ai", "an http(s) URL"),
    ("api_url", "https://", "an http(s) URL"),
    ("client_id", 12345, "text"),
    ("ca_bundle", "/nonexistent/corporate-ca.pem", "the path of a readable PEM file"),
    ("temp_dir", "/nonexistent/spool", "an existing directory"),
]


def _env_name(name: str) -> str:
    return f"TAP_PEOPLEAI_{name.upper()}"


@pytest.mark.parametrize(("name", "given", "parsed"), VALID)
def test_a_valid_value_parses_to_its_typed_form(name: str, given: Any, parsed: Any) -> None:
    values = parse_values({**BASE, name: given})
    assert values[name] == parsed
    assert type(values[name]) is type(parsed)


@pytest.mark.parametrize(("name", "given", "parsed"), VALID)
def test_every_value_the_parser_accepts_also_passes_the_sdk_schema_check(
    name: str, given: Any, parsed: Any
) -> None:
    # The tap validates first; the SDK's JSON Schema check that follows must never contradict it.
    tap = TapPeopleAI(config={**BASE, "end_date": None, name: given})
    assert tap.settings is tap.settings


@pytest.mark.parametrize(("name", "given", "expected"), INVALID)
def test_an_invalid_value_gives_one_line_naming_setting_value_and_fix(
    name: str, given: Any, expected: str
) -> None:
    with pytest.raises(SettingsError) as caught:
        parse_values({**BASE, name: given})
    (problem,) = caught.value.errors
    assert "\n" not in problem
    assert problem.startswith(f"`{name}` must be {expected}")
    shown = str(given) if isinstance(given, Decimal) else repr(given)
    assert f"got {shown}." in problem
    assert _env_name(name) in problem


def test_a_secret_value_is_never_shown_in_its_error() -> None:
    with pytest.raises(SettingsError) as caught:
        parse_values({**BASE, "client_secret": 918273645})
    (problem,) = caught.value.errors
    assert problem.startswith("`client_secret` must be text")
    assert "918273645" not in problem
    assert "not shown" in problem


@pytest.mark.parametrize("missing", [None, "", "absent"])
def test_start_date_is_required_and_the_error_says_how_to_set_it(missing: str | None) -> None:
    config = {k: v for k, v in BASE.items() if k != "start_date"}
    if missing != "absent":
        config["start_date"] = missing
    with pytest.raises(SettingsError) as caught:
        TapSettings.from_config(config)
    (problem,) = caught.value.errors
    assert problem.startswith("`start_date` is required")
    assert "TAP_PEOPLEAI_START_DATE=2024-01-01" in problem


def test_every_invalid_setting_is_reported_at_once() -> None:
    config = {**BASE, "start_date": "yesterday", "download_workers": "abc", "poll_interval": "0"}
    with pytest.raises(SettingsError) as caught:
        TapSettings.from_config(config)
    named = [problem.split("`")[1] for problem in caught.value.errors]
    assert named == ["start_date", "poll_interval", "download_workers"]
    assert str(caught.value).splitlines() == caught.value.errors


def test_files_and_directories_must_exist(tmp_path: Path) -> None:
    bundle = tmp_path / "ca.pem"
    bundle.write_text("-----BEGIN CERTIFICATE-----\n")
    settings = TapSettings.from_config(
        {**BASE, "ca_bundle": str(bundle), "temp_dir": str(tmp_path)}
    )
    assert settings.api.ca_bundle == str(bundle)
    assert settings.pipeline.temp_dir == str(tmp_path)
    with pytest.raises(SettingsError) as caught:
        TapSettings.from_config({**BASE, "ca_bundle": str(tmp_path), "temp_dir": str(bundle)})
    assert [p.split("`")[1] for p in caught.value.errors] == ["ca_bundle", "temp_dir"]


def test_unset_settings_take_the_schema_defaults() -> None:
    settings = TapSettings.from_config({"start_date": "2026-04-01", "access_token": "t"})
    properties = settings_schema()["properties"]
    assert settings.api.api_url == DEFAULT_API_URL == properties["api_url"]["default"]
    assert settings.api.allow_insecure_http is properties["allow_insecure_http"]["default"]
    assert settings.api.client_id is None
    assert settings.plan.end_date is None
    assert settings.pipeline.activity_type == "all"
    typed = {
        "poll_interval": settings.pipeline.poll_interval,
        "job_timeout": settings.pipeline.job_timeout,
        "download_workers": settings.pipeline.download_workers,
        "reserved_queue_slots": settings.pipeline.reserved_queue_slots,
        "delta_window_days": settings.plan.delta_window_days,
        "snapshot_window_days": settings.plan.snapshot_window_days,
        "scheduled_horizon_days": settings.plan.scheduled_horizon_days,
    }
    assert typed == {name: properties[name]["default"] for name in typed}
    assert settings.pipeline.temp_dir is None


def test_settings_are_frozen_and_keep_secrets_out_of_their_repr() -> None:
    settings = TapSettings.from_config({**BASE, "access_token": "tok-123456"})
    with pytest.raises(dataclasses.FrozenInstanceError):
        settings.api.api_url = "https://elsewhere.example"  # type: ignore[misc]
    text = repr(settings) + settings.describe()
    assert "secret" not in text.replace("client_secret", "")
    assert "tok-123456" not in text


def test_the_schema_declares_ranges_defaults_formats_and_text_forms() -> None:
    properties = settings_schema()["properties"]
    assert properties["download_workers"]["minimum"] == 1
    assert properties["download_workers"]["maximum"] == 16
    assert properties["delta_window_days"]["maximum"] == 14
    assert properties["scheduled_horizon_days"]["minimum"] == 0
    assert properties["poll_interval"]["exclusiveMinimum"] == 0
    assert properties["activity_type"]["enum"] == ["email", "meeting", "call", "all"]
    assert properties["start_date"]["format"] == properties["end_date"]["format"] == "date"
    for name in ("poll_interval", "download_workers", "allow_insecure_http"):
        assert "string" in properties[name]["type"], name
    assert "A whole number from 1 to 16." in properties["download_workers"]["description"]
    assert tap_setting_names() == set(properties)


CROSS_RULES: list[tuple[dict[str, Any], str | None]] = [
    ({}, None),
    ({"start_date": "2026-06-16"}, None),
    ({"start_date": "2026-06-17"}, "`start_date` 2026-06-17 is in the future"),
    ({"end_date": "2026-04-01"}, None),
    ({"end_date": "2026-03-31"}, "`end_date` 2026-03-31 is before `start_date` 2026-04-01"),
    ({"client_id": None, "client_secret": None}, "No credentials"),
    ({"client_id": None, "client_secret": None, "access_token": "t"}, None),
    ({"client_secret": None}, "`client_secret` is missing"),
    ({"client_id": ""}, "`client_id` is missing"),
    ({"api_url": "http://api.example.com"}, "plain http to a non-loopback host"),
    ({"api_url": "HTTP://api.example.com"}, "plain http to a non-loopback host"),
    ({"api_url": "http://api.example.com", "allow_insecure_http": "true"}, None),
    ({"api_url": "http://localhost:1"}, None),
    ({"api_url": "http://sandbox.localhost:1"}, None),
    ({"api_url": "http://[::1]:1"}, None),
    ({"api_url": "https://api.example.com"}, None),
]


@pytest.mark.parametrize(("change", "expected"), CROSS_RULES)
def test_rules_across_settings(change: dict[str, Any], expected: str | None) -> None:
    settings = TapSettings.from_config({**BASE, **change})
    problems = validate_settings(settings, TODAY)
    if expected is None:
        assert problems == []
    else:
        (problem,) = problems
        assert expected in problem


def test_unknown_setting_names_get_one_warning_naming_them() -> None:
    known = tap_setting_names() | {"stream_maps", "batch_config"}
    environ = {
        "TAP_PEOPLEAI_POLL_INTERVALL": "3",
        "TAP_PEOPLEAI_START_DATE": "2026-01-01",
        "TAP_PEOPLEAI_LOGLEVEL": "DEBUG",  # read by the SDK
        "TAP_PEOPLEAI__SELECT": '["activities.*"]',  # Meltano's extras
        "TAP_PEOPLEAI_BATCH_CONFIG_ENCODING_FORMAT": "jsonl",  # Meltano flattens objects too
        "MELTANO_EXTRACT_POLL_INTERVAL": "1",
        "OTHER_TOOL_SETTING": "x",
    }
    config = {"start_date": "2026-01-01", "download_worker": 2, "stream_maps": {}}
    warning = unknown_settings_warning(config, environ, known)
    assert warning is not None
    assert "\n" not in warning
    assert "`download_worker` (did you mean `download_workers`?)" in warning
    assert (
        "`poll_intervall` (TAP_PEOPLEAI_POLL_INTERVALL, did you mean `poll_interval`?)" in warning
    )
    ignored_names = ("LOGLEVEL", "loglevel", "select", "stream_maps", "batch_config_")
    for ignored in (*ignored_names, "OTHER", "start_date"):
        assert ignored not in warning
    assert (
        unknown_settings_warning({"start_date": "x"}, {"TAP_PEOPLEAI__STATE": "{}"}, known) is None
    )


def test_an_inherited_plugins_own_variables_are_its_settings() -> None:
    """Meltano exports tap-peopleai-reconcile's settings as TAP_PEOPLEAI_RECONCILE_* too (and its
    extras as TAP_PEOPLEAI_RECONCILE__*): settings, not unknown ones; a typo still is one."""
    known = tap_setting_names()
    meltano = {
        "MELTANO_EXTRACTOR_NAME": "tap-peopleai-reconcile",
        "TAP_PEOPLEAI_RECONCILE_RECONCILE": "true",
        "TAP_PEOPLEAI_RECONCILE_START_DATE": "2026-01-01",
        "TAP_PEOPLEAI_RECONCILE_CLIENT_SECRET": "s",
        "TAP_PEOPLEAI_RECONCILE__LOAD_SCHEMA": "tap_peopleai_reconcile",
        "TAP_PEOPLEAI_START_DATE": "2026-01-01",
        "TAP_PEOPLEAI__SELECT": "[]",
    }
    assert unknown_settings_warning({}, meltano, known) is None
    typos = {**meltano, "TAP_PEOPLEAI_RECONCILE_POLL_INTERVALL": "1", "TAP_PEOPLEAI_BOGUS": "1"}
    warning = unknown_settings_warning({}, typos, known)
    assert warning is not None
    assert "`poll_intervall` (TAP_PEOPLEAI_RECONCILE_POLL_INTERVALL" in warning
    assert "`bogus` (TAP_PEOPLEAI_BOGUS)" in warning
    assert "reconcile_" not in warning
    # another plugin's variables are the tap's own only in that plugin's process
    plain = {**meltano, "MELTANO_EXTRACTOR_NAME": "tap-peopleai"}
    assert "`reconcile_start_date`" in (unknown_settings_warning({}, plain, known) or "")


def test_environment_values_are_the_taps_own_settings_as_text() -> None:
    environ = {"TAP_PEOPLEAI_POLL_INTERVAL": "0.5", "TAP_PEOPLEAI_STREAM_MAPS": "{}", "HOME": "/"}
    assert environment_values(environ) == {"poll_interval": "0.5"}
