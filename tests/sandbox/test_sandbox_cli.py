"""The ``peopleai-sandbox`` command: serve, print the URL and credentials, stop on SIGTERM."""

from __future__ import annotations

import argparse
import dataclasses
import re
import signal
import subprocess
import sys
from datetime import datetime, timezone
from pathlib import Path

import pytest
import requests

from peopleai_sandbox import Faults, SandboxConfig, Variants
from peopleai_sandbox.cli import build_parser, config_from_args


def _command() -> list[str]:
    script = Path(sys.executable).parent / "peopleai-sandbox"
    return [str(script)] if script.exists() else [sys.executable, "-m", "peopleai_sandbox.cli"]


def test_serve_prints_its_url_and_stops_cleanly_on_sigterm() -> None:
    process = subprocess.Popen(
        [
            *_command(),
            "serve",
            "--port",
            "0",
            "--now",
            "2025-03-01T12:00:00Z",
            "--seed",
            "4",
            "--fragment-field",
            "fragments",
            "--gzip",
            "--client-secret",
            "s3cret",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        first = process.stdout.readline()
        match = re.fullmatch(r"peopleai-sandbox listening on (http://127\.0\.0\.1:(\d+))\n", first)
        assert match, first
        url = match.group(1)
        assert int(match.group(2)) != 8765
        assert process.stdout.readline() == "client_id: sandbox-client\n"
        assert process.stdout.readline() == "client_secret: s3cret\n"
        with requests.Session() as session:
            token = session.post(
                f"{url}/auth/v1/tokens",
                timeout=10,
                data={
                    "grant_type": "client_credentials",
                    "client_id": "sandbox-client",
                    "client_secret": "s3cret",
                },
            ).json()["access_token"]
            answer = session.get(
                f"{url}/pull/v1/export/activities/jobs",
                timeout=10,
                headers={"Authorization": f"Bearer {token}"},
            )
            assert answer.status_code == 200
            assert answer.json() == []
            assert answer.headers["Date"] == "Sat, 01 Mar 2025 12:00:00 GMT"
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=10) == 0
        assert "stopped" in process.stdout.read()
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        for stream in (process.stdout, process.stderr):
            if stream is not None:
                stream.close()


def test_sigint_also_stops_with_exit_zero() -> None:
    process = subprocess.Popen(
        [*_command(), "serve", "--port", "0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        assert process.stdout is not None
        assert process.stdout.readline().startswith("peopleai-sandbox listening on http://")
        process.send_signal(signal.SIGINT)
        assert process.wait(timeout=10) == 0
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        if process.stdout is not None:
            process.stdout.close()


def test_help_lists_every_switch() -> None:
    result = subprocess.run(
        [*_command(), "--help"], capture_output=True, text=True, check=True, timeout=30
    )
    for flag in (
        "--port",
        "--seed",
        "--activities-per-day",
        "--fragment-records",
        "--now",
        "--clock-offset-days",
        "--token-ttl",
        "--job-run-seconds",
        "--data-dir",
        "--fragment-field",
        "--fragment-value",
        "--fragment-empty",
        "--data-without-fragment",
        "--job-id-type",
        "--timestamp-style",
        "--gzip",
        "--redirect-downloads",
        "--line-noise",
        "--error-shape",
        "--limit-status",
        "--enum-case-insensitive",
        "--http-error-rate",
        "--html-error-bodies",
        "--drop-download-rate",
        "--corrupt-download-rate",
        "--persistent-bad-line",
        "--bandwidth-bytes-per-second",
        "--job-failure-rate",
        "--job-cancel-rate",
        "--stuck-job-rate",
        "--extra-fields",
        "--late-fields-after-days",
        "--type-drift",
        "--erase",
    ):
        assert flag in result.stdout, flag


def test_flags_become_the_configuration() -> None:
    args = build_parser().parse_args(
        [
            "serve",
            "--fragment-value",
            "highest_index",
            "--limit-status",
            "409",
            "--http-error-rate",
            "0.25",
            "--bandwidth-bytes-per-second",
            "1000",
            "--clock-offset-days",
            "-2",
            "--line-noise",
        ]
    )
    config = config_from_args(args)
    assert config.variants.fragment_value == "highest_index"
    assert config.variants.limit_status == 409
    assert config.variants.line_noise is True
    assert config.variants.gzip is False
    assert config.faults.http_error_rate == 0.25
    assert config.faults.bandwidth_bytes_per_second == 1000
    assert config.clock_offset.days == -2


def test_every_setting_has_a_flag_with_the_fields_help() -> None:
    parser = build_parser()
    serve = next(
        action for action in parser._actions if isinstance(action, argparse._SubParsersAction)
    ).choices["serve"]
    by_dest = {action.dest: action for action in serve._actions}
    for cls in (SandboxConfig, Variants, Faults):
        for field in dataclasses.fields(cls):
            if "help" not in field.metadata:
                continue  # the nested variants and faults
            action = by_dest[field.name]
            assert action.help is not None
            assert action.help.startswith(field.metadata["help"]), field.name
            assert action.choices == field.metadata["choices"], field.name
    assert config_from_args(parser.parse_args(["serve"])) == SandboxConfig()


def test_flags_parse_times_and_reject_bad_values(capsys: pytest.CaptureFixture[str]) -> None:
    args = build_parser().parse_args(
        ["serve", "--epoch", "2024-06-01T00:00:00Z", "--now", "2024-07-01T08:30:00", "--seed", "7"]
    )
    config = config_from_args(args)
    assert config.epoch == datetime(2024, 6, 1, tzinfo=timezone.utc)
    assert config.now == datetime(2024, 7, 1, 8, 30, tzinfo=timezone.utc)
    assert config.seed == 7
    for bad in (["--limit-status", "503"], ["--http-error-rate", "lots"], ["--now", "noon"]):
        with pytest.raises(SystemExit) as stopped:
            build_parser().parse_args(["serve", *bad])
        assert stopped.value.code == 2
        assert bad[0] in capsys.readouterr().err


def test_serve_with_erasures_and_the_record_variants() -> None:
    process = subprocess.Popen(
        [
            *_command(),
            "serve",
            "--port",
            "0",
            "--now",
            "2025-03-01T12:00:00Z",
            "--activities-per-day",
            "20",
            "--extra-fields",
            "--type-drift",
            "--erase",
            "user=10003098,uid=ab12@2025-02-20T00:00:00Z",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        match = re.fullmatch(r"peopleai-sandbox listening on (\S+)\n", process.stdout.readline())
        assert match
        url = match.group(1)
        erasures = requests.get(f"{url}/_sandbox/erasures", timeout=10).json()
        assert erasures == {
            "erasures": [
                {"at": "2025-02-20T00:00:00.000000Z", "uids": ["ab12"], "user_ids": ["10003098"]}
            ]
        }
        erased = requests.get(f"{url}/_sandbox/erased", timeout=10).json()
        assert erased["count"] == 4  # the activities user 10003098 takes part in (seed 1)
        assert set(erased["erased"].values()) == {"2025-02-20T00:00:00Z"}
        records = requests.get(f"{url}/_sandbox/truth-records", timeout=30).json()["records"]
        assert not {record["uid"] for record in records} & set(erased["erased"])
        assert all("source_system" in record for record in records)
        assert any("ai_summary" in record for record in records)
        assert any(isinstance(record["created"], int) for record in records)
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=10) == 0
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        for stream in (process.stdout, process.stderr):
            if stream is not None:
                stream.close()
