"""`make demo`'s sandbox: started with a frozen clock, always stopped, and its ground truth."""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import sys
import threading
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime
from pathlib import Path

from peopleai_sandbox.checks import to_utc

BIN = Path(sys.executable).parent
REPO = Path(__file__).resolve().parents[1]


def port_is_free(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        # SO_REUSEADDR: connections of the previous run lingering in TIME_WAIT don't count,
        # only a socket that is still listening does.
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
        return True


@contextmanager
def sandbox(port: int, now: datetime, log_path: Path) -> Iterator[str]:
    """Run `peopleai-sandbox serve` with a frozen clock; yield its URL; always stop it."""
    if not port_is_free(port):
        raise SystemExit(
            f"port {port} on 127.0.0.1 is in use (a sandbox left running?); stop it or set "
            "DEMO_SANDBOX_PORT"
        )
    cmd = [
        str(BIN / "peopleai-sandbox"),
        "serve",
        "--port",
        str(port),
        "--now",
        now.strftime("%Y-%m-%dT%H:%M:%SZ"),
    ]
    if os.environ.get("DEMO_ACTIVITIES_PER_DAY"):
        cmd += ["--activities-per-day", os.environ["DEMO_ACTIVITIES_PER_DAY"]]
    log = log_path.open("w")
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=log, text=True, cwd=REPO)
    url: list[str] = []
    ready = threading.Event()

    def pump() -> None:  # copy the sandbox's stdout to its log; catch the listening line
        assert proc.stdout is not None
        for line in proc.stdout:
            log.write(line)
            log.flush()
            match = re.search(r"listening on (http://\S+)", line)
            if match and not url:
                url.append(match.group(1).rstrip("/"))
                ready.set()
        ready.set()

    threading.Thread(target=pump, daemon=True).start()
    try:
        if not ready.wait(60) or not url:
            raise SystemExit(f"the sandbox did not start; see {log_path}")
        yield url[0]
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(10)
        log.close()


def fetch_truth(
    url: str, start: date, as_of: str | None = None
) -> dict[str, tuple[str, datetime, datetime]]:
    """The sandbox's ground truth from `start` on, now or at the instant `as_of`."""
    query = f"activity_from={start.isoformat()}" + (f"&as_of={as_of}" if as_of else "")
    with urllib.request.urlopen(  # noqa: S310 - loopback URL of our own sandbox
        f"{url}/_sandbox/truth?{query}", timeout=120
    ) as response:
        body = json.load(response)
    rows = {
        a["uid"]: (a["type"], to_utc(a["timestamp"]), to_utc(a["ingest_timestamp"]))
        for a in body["activities"]
    }
    if body.get("count") is not None and body["count"] != len(rows):
        raise SystemExit(f"truth endpoint says count={body['count']} but listed {len(rows)}")
    return rows
