"""The fast record path emits what the SDK's generic path would, and steps aside for maps."""

from __future__ import annotations

import contextlib
import io
import json
from typing import Any

from singer_sdk.io_base import SingerWriter
from tap_harness import tap_config

from peopleai_sandbox import Variants
from tap_peopleai.tap import TapPeopleAI


class SdkDefaultPathTap(TapPeopleAI):
    """The same tap with the SDK's default writer: conformance and simplejson for every record."""

    message_writer_class = SingerWriter


def records_of(tap_class: type[TapPeopleAI], config: dict[str, Any]) -> list[dict[str, Any]]:
    raw = io.BytesIO()
    stdout = io.TextIOWrapper(raw, encoding="utf-8", write_through=True)
    with contextlib.redirect_stdout(stdout):
        tap = tap_class(config=config)
        tap.sync_all()
    messages = [json.loads(line) for line in raw.getvalue().splitlines() if line.strip()]
    return [m["record"] for m in messages if m["type"] == "RECORD"]


def test_fast_path_records_equal_the_sdk_default_path(make_sandbox) -> None:
    sandbox = make_sandbox(variants=Variants(timestamp_style="mixed"))
    fast = records_of(TapPeopleAI, tap_config(sandbox))
    default = records_of(SdkDefaultPathTap, tap_config(sandbox))
    assert len(fast) > 1000
    # Each run stamps its own start as the rows' version; everything else must be identical.
    for records in (fast, default):
        versions = {record.pop("sync_version") for record in records}
        assert len(versions) == 1
        assert all(isinstance(version, int) for version in versions)
    assert fast == default


def test_stream_maps_and_flattening_take_the_sdk_path(make_sandbox) -> None:
    sandbox = make_sandbox()
    config = tap_config(
        sandbox,
        stream_maps={"activities": {"summary": "__NULL__", "subject_upper": "subject.upper()"}},
        flattening_enabled=True,
        flattening_max_depth=1,
    )
    records = records_of(TapPeopleAI, config)
    assert records
    assert all("summary" not in r for r in records)
    assert any("subject_upper" in r for r in records)
    assert any("stats__total_participants" in r for r in records)
