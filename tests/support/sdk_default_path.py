"""The tap with the SDK's default writer: the baseline the fast record path is measured against.

Every record then takes the SDK's generic path (recursive type conformance, simplejson, a
flush per message). The tests compare the fast path's records with this one's; the benchmark
runs it as a child process, ``python -m tests.support.sdk_default_path --config FILE``.
"""

from __future__ import annotations

from singer_sdk.io_base import SingerWriter

from tap_peopleai.tap import TapPeopleAI


class SdkDefaultPathTap(TapPeopleAI):
    """The same tap with the SDK's default writer."""

    message_writer_class = SingerWriter  # type: ignore[assignment]


if __name__ == "__main__":
    SdkDefaultPathTap.cli()
