"""How the benchmark speaks: progress lines on stderr, rates, PASS/FAIL, the machine it ran on."""

from __future__ import annotations

import contextlib
import os
import platform
import sys
import time
from importlib.metadata import version

MB = 1_000_000
GB = 1_000_000_000
# A target checked in a run: what it says (with the measured figure), and whether it held.
Check = tuple[str, bool]


def say(text: str) -> None:
    """A progress line on stderr (the tables go to stdout)."""
    print(f"# {time.strftime('%H:%M:%S')} {text}", file=sys.stderr, flush=True)


def verdict(ok: bool) -> str:
    return "**PASS**" if ok else "**FAIL**"


def target_lines(checks: list[Check]) -> list[str]:
    """The table of targets checked in a run, each PASS or FAIL."""
    lines = ["| target | result |", "|---|---|"]
    lines += [f"| {name} | {verdict(ok)} |" for name, ok in checks]
    return [*lines, ""]


def rate(records: float, seconds: float) -> str:
    return f"{records / seconds:,.0f}" if seconds > 0 else "-"


def mbps(size: float, seconds: float) -> str:
    return f"{size / MB / seconds:,.1f}" if seconds > 0 else "-"


def load_average() -> str:
    one, five, fifteen = os.getloadavg()
    return f"{one:.2f} / {five:.2f} / {fifteen:.2f} (1 / 5 / 15 min)"


def machine() -> list[str]:
    """CPU, memory and versions, as lines of the report's header."""
    cpu = "?"
    with contextlib.suppress(OSError), open("/proc/cpuinfo") as handle:
        for line in handle:
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    memory = "?"
    with contextlib.suppress(OSError), open("/proc/meminfo") as handle:
        for line in handle:
            if line.startswith("MemTotal:"):
                memory = f"{int(line.split()[1]) / 1024 / 1024:.1f} GiB"
                break
    return [
        f"- CPU: {os.cpu_count()} cores (nproc), {cpu}",
        f"- memory: {memory}",
        f"- Python {platform.python_version()}, singer-sdk {version('singer-sdk')}, "
        f"orjson {version('orjson')}, msgspec {version('msgspec')}, isal {version('isal')}, "
        f"{platform.system()} {platform.release()}",
    ]
