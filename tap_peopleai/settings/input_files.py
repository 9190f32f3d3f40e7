"""The files a user hands the tap (``--config``, ``--state``, ``--catalog``): each is read here
first, so that one that is missing, unreadable, empty or not a JSON object stops the tap with one
line naming the file and what to do, instead of the SDK's traceback."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tap_peopleai.errors import TapPeopleAIError


@dataclass(frozen=True)
class InputFile:
    """One kind of input file: what the line calls it and what would fix it."""

    label: str
    remedy: str


INPUT_FILES = {
    "config": InputFile(
        "config file (--config)",
        "Pass a file holding a JSON object of settings (`tap-peopleai --about` lists them), or "
        "`--config ENV` to read the TAP_PEOPLEAI_* variables instead.",
    ),
    "state": InputFile(
        "state file (--state)",
        "Pass the last STATE message a sync wrote (Meltano: `meltano state get <state id>`; "
        "fix a damaged one with `meltano state set`), or leave --state out (`meltano state "
        "clear <state id>`) to start again from `start_date`.",
    ),
    "catalog": InputFile(
        "catalog file (--catalog)",
        "Write one with `tap-peopleai --config … --discover > catalog.json` (Meltano writes its "
        "own) and select streams in it.",
    ),
}


class InputFileError(TapPeopleAIError):
    """An input file the tap cannot use: names the file, the problem and the fix."""

    def __init__(self, path: str, kind: str, problem: str) -> None:
        described = INPUT_FILES[kind]
        super().__init__(
            f"Cannot use {path} as the {described.label}: {problem}. {described.remedy}"
        )


def read_input_file(path: str, kind: str) -> str:
    """The text of the JSON object in ``path``; an InputFileError saying why it cannot be used.

    ``kind`` is ``config``, ``state`` or ``catalog``.
    """
    try:
        text = _read_text(Path(path))
        value = _parse(text)
    except _Unusable as unusable:
        raise InputFileError(path, kind, str(unusable)) from None
    if not isinstance(value, dict):
        raise InputFileError(path, kind, f"it holds a JSON {_json_kind(value)}, not an object")
    if kind == "catalog" and not _is_catalog(value):
        raise InputFileError(
            path,
            kind,
            "it is not a Singer catalog: `streams` must list objects with a `tap_stream_id`",
        )
    return text


class _Unusable(Exception):
    """Why a file cannot be used, in words."""


def _read_text(path: Path) -> str:
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise _Unusable("there is no such file") from None
    except IsADirectoryError:
        raise _Unusable("it is a directory, not a file") from None
    except PermissionError:
        raise _Unusable(
            "it cannot be read (permission denied for the user the tap runs as)"
        ) from None
    except OSError as exc:
        raise _Unusable(f"it cannot be read ({exc.strerror or exc})") from None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise _Unusable(f"it is not UTF-8 text (byte {exc.start} cannot be decoded)") from None
    if not text.strip():
        raise _Unusable("it is empty")
    return text


def _parse(text: str) -> Any:
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        # A string that never closes runs to the end of the text, like any other cut.
        if exc.pos >= len(text.rstrip()) or exc.msg.startswith("Unterminated string"):
            raise _Unusable(
                f"it ends before its JSON is complete (line {exc.lineno}): the file was cut short"
            ) from None
        raise _Unusable(
            f"it is not JSON (line {exc.lineno}, column {exc.colno}: {exc.msg})"
        ) from None


def _json_kind(value: Any) -> str:
    kinds = ((list, "array"), (str, "string"), (bool, "boolean"), ((int, float), "number"))
    return next((name for kind, name in kinds if isinstance(value, kind)), "null")


def _is_catalog(value: dict[str, Any]) -> bool:
    streams = value.get("streams")
    return isinstance(streams, list) and all(
        isinstance(stream, dict) and isinstance(stream.get("tap_stream_id"), str)
        for stream in streams
    )
