"""``peopleai-sandbox serve``: run the emulator until SIGINT or SIGTERM.

Every flag is generated from a dataclass field's metadata (see ``config.option``): its help,
choices, parser and default come from the field, so the help cannot drift from the settings.
"""

from __future__ import annotations

import argparse
import dataclasses
import signal
import sys
import threading
import typing
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from types import FrameType
from typing import Any

from peopleai_sandbox.server import SandboxServer
from peopleai_sandbox.settings.config import SandboxConfig, Variants, option, parse_timestamp
from peopleai_sandbox.settings.faults import Faults


@dataclass(frozen=True)
class ServeOptions:
    """Where and how verbosely to serve (not part of the sandbox's behaviour)."""

    host: str = option("127.0.0.1", "interface")
    port: int = option(8765, "port, 0 for a free one")
    verbose: bool = option(False, "log every request to stderr")


_GROUPS: tuple[tuple[type[Any], str | None], ...] = (
    (ServeOptions, None),
    (SandboxConfig, None),
    (Variants, "variants (unknowns of the real API)"),
    (Faults, "faults (seeded, reproducible)"),
)


def _flag(field: dataclasses.Field[Any]) -> str:
    return str(field.metadata.get("flag") or "--" + field.name.replace("_", "-"))


def _parser_of(annotation: Any) -> Callable[[str], Any]:
    """The text-to-value conversion of a field type (``int | None`` converts as ``int``)."""
    candidates = [arg for arg in typing.get_args(annotation) if arg is not type(None)]
    kind = candidates[0] if candidates else annotation
    if kind is datetime:
        return _explained(parse_timestamp)
    if kind in (int, float, str):
        return typing.cast("Callable[[str], Any]", kind)
    raise TypeError(f"no flag parser for {annotation!r}: give the field a `parse`")


def _explained(parse: Callable[[str], Any]) -> Callable[[str], Any]:
    """``parse`` with its ValueError's message shown by argparse (not "invalid value")."""

    def parse_flag(text: str) -> Any:
        try:
            return parse(text)
        except ValueError as error:
            raise argparse.ArgumentTypeError(str(error)) from None

    return parse_flag


def _add_flags(parser: argparse.ArgumentParser, cls: type[Any], title: str | None) -> None:
    """One flag per scalar field of ``cls``; nested dataclasses get groups of their own."""
    group: Any = parser if title is None else parser.add_argument_group(title)
    hints = typing.get_type_hints(cls)
    for field in dataclasses.fields(cls):
        if "help" not in field.metadata:
            continue  # a nested dataclass (variants, faults)
        default = field.default
        help_text = str(field.metadata["help"])
        flag = _flag(field)
        if isinstance(default, bool):
            action = argparse.BooleanOptionalAction if default else "store_true"
            group.add_argument(
                flag, dest=field.name, action=action, default=argparse.SUPPRESS, help=help_text
            )
            continue
        shown = field.metadata.get("default_text") or default
        choices = field.metadata.get("choices")
        custom = field.metadata.get("parse")
        metavar = field.metadata.get("metavar")
        group.add_argument(
            flag,
            dest=field.name,
            action="append" if field.metadata.get("repeat") else "store",
            type=_explained(custom) if custom else _parser_of(hints[field.name]),
            choices=choices,
            default=argparse.SUPPRESS,
            metavar=None if choices else metavar or flag[2:].upper().replace("-", "_"),
            help=f"{help_text} (default: {shown})",
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
    for cls, title in _GROUPS:
        _add_flags(serve, cls, title)
    # `peopleai-sandbox --help` shows every flag, not only the list of commands
    parser.epilog = "serve:\n" + serve.format_help()
    return parser


def _given(args: argparse.Namespace, cls: type[Any]) -> dict[str, Any]:
    """The fields of ``cls`` that were given on the command line."""
    given = {}
    for field in dataclasses.fields(cls):
        if hasattr(args, field.name):
            value = getattr(args, field.name)
            given[field.name] = tuple(value) if isinstance(value, list) else value
    return given


def serve_options_from_args(args: argparse.Namespace) -> ServeOptions:
    """Host, port and verbosity from parsed arguments."""
    return ServeOptions(**_given(args, ServeOptions))


def config_from_args(args: argparse.Namespace) -> SandboxConfig:
    """Turn parsed arguments into a SandboxConfig (unset flags keep the defaults)."""
    top = _given(args, SandboxConfig)
    return SandboxConfig(
        **top, variants=Variants(**_given(args, Variants)), faults=Faults(**_given(args, Faults))
    )


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``peopleai-sandbox`` console script."""
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        config = config_from_args(args)
    except ValueError as error:
        parser.error(str(error))
    options = serve_options_from_args(args)
    server = SandboxServer(config, host=options.host, port=options.port, verbose=options.verbose)
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
