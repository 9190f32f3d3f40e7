"""``peopleai-sandbox serve``: run the emulator until SIGINT or SIGTERM."""

from __future__ import annotations

import argparse
import dataclasses
import signal
import sys
import threading
from collections.abc import Sequence
from datetime import datetime, timedelta, timezone
from types import FrameType
from typing import Any

from .config import Faults, SandboxConfig, Variants
from .server import SandboxServer


def _timestamp(value: str) -> datetime:
    parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=timezone.utc)


def _flag(name: str) -> str:
    return "--" + name.replace("_", "-")


def _add_dataclass_flags(parser: argparse.ArgumentParser, cls: type[Any], title: str) -> None:
    """One flag per field of Variants/Faults, with the field's help text and choices."""
    group = parser.add_argument_group(title)
    defaults = cls()
    for field in dataclasses.fields(cls):
        default = getattr(defaults, field.name)
        help_text = str(field.metadata.get("help", ""))
        choices = field.metadata.get("choices")
        if isinstance(default, bool):
            group.add_argument(
                _flag(field.name),
                dest=field.name,
                action="store_true",
                default=None,
                help=help_text,
            )
            continue
        value_type: Any = type(default) if default is not None else int
        if field.name.endswith("_rate"):
            value_type = float
        group.add_argument(
            _flag(field.name),
            dest=field.name,
            type=value_type,
            choices=choices,
            default=None,
            help=f"{help_text} (default: {default})",
        )


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of the ``peopleai-sandbox`` command."""
    parser = argparse.ArgumentParser(
        prog="peopleai-sandbox",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        description="Local emulator of People.ai's Raw Activity Data bulk export API.",
    )
    commands = parser.add_subparsers(dest="command", required=True)
    serve = commands.add_parser(
        "serve",
        help="serve the API until SIGINT/SIGTERM",
        description="Serve the emulated API until SIGINT/SIGTERM.",
    )
    defaults = SandboxConfig()
    serve.add_argument("--host", default="127.0.0.1", help="interface (default: 127.0.0.1)")
    serve.add_argument(
        "--port", type=int, default=8765, help="port, 0 for a free one (default: 8765)"
    )
    serve.add_argument("--seed", type=int, default=defaults.seed, help="data and fault seed")
    serve.add_argument(
        "--epoch",
        type=_timestamp,
        default=defaults.epoch,
        help="first ingest time, ISO 8601 (default: 2025-01-01T00:00:00Z)",
    )
    serve.add_argument(
        "--activities-per-day",
        type=int,
        default=defaults.activities_per_day,
        help=f"activities first processed per day (default: {defaults.activities_per_day})",
    )
    serve.add_argument(
        "--reprocess-rate",
        type=float,
        default=defaults.reprocess_rate,
        help="fraction of activities re-processed later (default: 0.1)",
    )
    serve.add_argument(
        "--scheduled-meeting-rate",
        type=float,
        default=defaults.scheduled_meeting_rate,
        help="fraction of meetings processed before they happen (default: 0.05)",
    )
    serve.add_argument(
        "--fragment-records",
        type=int,
        default=defaults.fragment_records,
        help="records per fragment (default: 1000)",
    )
    serve.add_argument(
        "--now",
        type=_timestamp,
        default=None,
        help="freeze the clock at this ISO 8601 instant (default: real time)",
    )
    serve.add_argument(
        "--clock-offset-days",
        type=float,
        default=0.0,
        help="run the clock this many days ahead (negative: behind)",
    )
    serve.add_argument(
        "--token-ttl",
        type=float,
        default=defaults.token_ttl_seconds,
        help="access token lifetime in seconds (default: 7200)",
    )
    serve.add_argument(
        "--job-queue-seconds",
        type=float,
        default=defaults.job_queue_seconds,
        help="minimum seconds a job stays Queued (default: 0)",
    )
    serve.add_argument(
        "--job-run-seconds",
        type=float,
        default=defaults.job_run_seconds,
        help="minimum seconds a job stays Running (default: 0.05)",
    )
    serve.add_argument("--client-id", default=defaults.client_id, help="accepted client id")
    serve.add_argument(
        "--client-secret", default=defaults.client_secret, help="accepted client secret"
    )
    serve.add_argument(
        "--max-running",
        type=int,
        default=defaults.max_running,
        help="jobs that may be Running at once (default: 2)",
    )
    serve.add_argument(
        "--max-queued",
        type=int,
        default=defaults.max_queued,
        help="jobs that may be Queued or Running at once (default: 10)",
    )
    serve.add_argument(
        "--retention-days",
        type=int,
        default=defaults.retention_days,
        help="days a job and its files are kept (default: 10)",
    )
    serve.add_argument(
        "--data-dir",
        default=None,
        help="directory for rendered exports (default: a temporary directory)",
    )
    serve.add_argument("--verbose", action="store_true", help="log every request to stderr")
    _add_dataclass_flags(serve, Variants, "variants (unknowns of the real API)")
    _add_dataclass_flags(serve, Faults, "faults (seeded, reproducible)")
    # `peopleai-sandbox --help` shows every flag, not only the list of commands
    parser.epilog = "serve:\n" + serve.format_help()
    return parser


def config_from_args(args: argparse.Namespace) -> SandboxConfig:
    """Turn parsed arguments into a SandboxConfig."""

    def chosen(cls: type[Any]) -> dict[str, Any]:
        return {
            field.name: getattr(args, field.name)
            for field in dataclasses.fields(cls)
            if getattr(args, field.name) is not None
        }

    return SandboxConfig(
        seed=args.seed,
        epoch=args.epoch,
        activities_per_day=args.activities_per_day,
        reprocess_rate=args.reprocess_rate,
        scheduled_meeting_rate=args.scheduled_meeting_rate,
        fragment_records=args.fragment_records,
        now=args.now,
        clock_offset=timedelta(days=args.clock_offset_days),
        token_ttl_seconds=args.token_ttl,
        job_queue_seconds=args.job_queue_seconds,
        job_run_seconds=args.job_run_seconds,
        client_id=args.client_id,
        client_secret=args.client_secret,
        max_running=args.max_running,
        max_queued=args.max_queued,
        retention_days=args.retention_days,
        data_dir=args.data_dir,
        variants=Variants(**chosen(Variants)),
        faults=Faults(**chosen(Faults)),
    )


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``peopleai-sandbox`` console script."""
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        config = config_from_args(args)
    except ValueError as error:
        parser.error(str(error))
    server = SandboxServer(config, host=args.host, port=args.port, verbose=args.verbose)
    stopping = threading.Event()

    def request_stop(signum: int, frame: FrameType | None) -> None:
        stopping.set()

    signal.signal(signal.SIGINT, request_stop)
    signal.signal(signal.SIGTERM, request_stop)
    server.start()
    print(f"peopleai-sandbox listening on {server.url}", flush=True)
    print(f"client_id: {config.client_id}", flush=True)
    print(f"client_secret: {config.client_secret}", flush=True)
    if server.storage_url:
        print(f"storage for redirected downloads: {server.storage_url}", flush=True)
    try:
        while not stopping.wait(0.2):
            pass
    finally:
        server.stop()
    print("peopleai-sandbox stopped", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
