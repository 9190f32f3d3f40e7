"""The singer-sdk internals the tap relies on still exist with the shape it expects.

When an SDK upgrade removes or changes one of them, the test that fails names it; see
``tap_peopleai/sdk/internals.py`` for why each is needed.
"""

from __future__ import annotations

import inspect

import pytest

from tap_peopleai.sdk.internals import INPUT_FILE_OPTIONS, INTERNALS
from tap_peopleai.tap import TapPeopleAI


@pytest.mark.parametrize(
    ("owner", "name", "parameters"),
    INTERNALS,
    ids=[f"{owner.__name__}.{name}" for owner, name, _ in INTERNALS],
)
def test_overridden_sdk_method_keeps_its_signature(
    owner: type, name: str, parameters: tuple[str, ...]
) -> None:
    method = getattr(owner, name, None)
    assert callable(method), f"singer-sdk no longer has {owner.__name__}.{name}"
    assert tuple(inspect.signature(method).parameters) == parameters, (
        f"{owner.__name__}.{name} changed its parameters: the tap's override no longer fits"
    )


def test_stream_state_manager_still_has_a_flush_flag() -> None:
    config = {"api_url": "http://127.0.0.1:9", "start_date": "2026-01-01", "access_token": "t"}
    tap = TapPeopleAI(config=config)
    stream = tap.streams["activities"]
    assert isinstance(stream.state_manager.is_flushed, bool), (
        "Stream.state_manager.is_flushed is gone: the fast record path cannot mark state dirty"
    )
    assert hasattr(stream, "_stream_version"), (
        "Stream._stream_version is gone: records on the SDK's path lose their sync_version"
    )


def test_the_sdks_input_file_options_are_read_by_the_tap() -> None:
    # The tap replaces the SDK's --state and --catalog (click.File: a traceback-free but
    # multi-line usage error, or the SDK's traceback for bad JSON) by options it reads itself.
    command = TapPeopleAI.get_singer_command()
    options = {param.name: param for param in command.params}
    for name in INPUT_FILE_OPTIONS:
        assert name in options, f"singer-sdk no longer has a --{name} option"
        assert options[name].callback == TapPeopleAI.cb_input_file
