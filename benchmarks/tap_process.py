"""One measured tap process: wall time, time to first output, its memory and its workers'.

The tap runs as Meltano runs it (tests/support/processes.py: ``python -m tap_peopleai --config
FILE``), stdout to a file, sampled every few milliseconds until it exits.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psutil

from tests.support.processes import TAP, config_args

# The same tap with the SDK's default writer: the baseline of the fast record path.
SDK_DEFAULT_TAP = (sys.executable, "-m", "tests.support.sdk_default_path")


@dataclasses.dataclass
class TapRun:
    """One tap process: wall time, its output and its memory."""

    label: str
    wall: float
    startup: float  # seconds until the first byte reached stdout (SCHEMA: imports, set-up done)
    out_path: Path
    out_bytes: int
    peak_rss: int  # bytes, the tap process's own peak RSS (VmHWM)
    tree_rss: int  # bytes, largest sampled sum of the tap's RSS and its child processes' USS
    workers_peak_rss: int  # bytes, sum of the largest sampled USS of each child process
    returncode: int
    stopped_early: bool = False
    records: int = 0
    jobs_created: int = 0  # export jobs the run created (a measured run should adopt the job)
    first_finish: float | None = None  # seconds until the tap first logged "Sync finished"

    @property
    def working(self) -> float:
        """Wall time after start-up (the tap's steady work: jobs, downloads, records)."""
        return max(1e-9, self.wall - self.startup)


def peak_rss_of(pid: int) -> int | None:
    """VmHWM of a live process: the peak RSS of its current memory image, in bytes.

    Not ``ru_maxrss`` from ``wait4``: Linux carries the RSS of the parent at fork time into the
    child's ``ru_maxrss`` across exec, so it would report this benchmark's own memory (hundreds
    of MB once the sandbox has rendered an export). VmHWM belongs to the image after exec, and
    only grows, so the last reading before exit is the peak (to within one polling interval).
    """
    try:
        with open(f"/proc/{pid}/status", "rb") as handle:
            for line in handle:
                if line.startswith(b"VmHWM:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError):
        return None
    return None


def tree_rss(pid: int, children_peak: dict[int, int]) -> int:
    """Memory of a process and its descendants now; notes each descendant's largest sample.

    The process counts by RSS, its descendants by USS (the pages only they hold): forked
    workers share the tap's pages, which their RSS would count again, and so would their PSS,
    in part (measured in a `meltano run`: the tap's two workers' PSS summed to 59 MB, their
    USS to 35 MB, beside the tap's own 58 MB of RSS).
    """
    try:
        process = psutil.Process(pid)
        total = process.memory_info().rss
        for child in process.children(recursive=True):
            with contextlib.suppress(psutil.Error):
                uss = child.memory_full_info().uss
                total += uss
                children_peak[child.pid] = max(children_peak.get(child.pid, 0), uss)
        return int(total)
    except psutil.Error:
        return 0


def run_tap(
    label: str,
    workdir: Path,
    config: dict[str, Any],
    *,
    state: dict[str, Any] | None = None,
    sdk_default: bool = False,
    time_limit: float | None = None,
    profile: Path | None = None,
    keep_output: bool = True,
) -> TapRun:
    """Run the tap in a child process, stdout to a file; raise if it fails."""
    slug = label.replace(" ", "-").replace("/", "-")
    args = config_args(config, workdir / slug, state)
    if sdk_default:
        command = [*SDK_DEFAULT_TAP, *args]
    elif profile is not None:
        command = [sys.executable, "-m", "cProfile", "-o", str(profile), *TAP[1:], *args]
    else:
        command = [*TAP, *args]
    out_path = workdir / f"{slug}.out.jsonl"
    err_path = workdir / f"{slug}.err.log"
    stopped = False
    with out_path.open("wb") as out, err_path.open("wb") as err:
        started = time.perf_counter()
        started_epoch = time.time()
        process = subprocess.Popen(command, stdout=out, stderr=err)
        first_output: float | None = None
        peak_tree = 0
        peak_own = 0
        children_peak: dict[int, int] = {}
        next_sample = 0.0
        cmdline = "\0".join(command).encode() + b"\0"
        while True:
            pid, status, _ = os.wait4(process.pid, os.WNOHANG)
            now = time.perf_counter()
            if pid:
                break
            if first_output is None and os.fstat(out.fileno()).st_size > 0:
                first_output = now
            # Until exec, the child shares or copies this process's memory image: ignore it.
            with contextlib.suppress(OSError):
                if Path(f"/proc/{process.pid}/cmdline").read_bytes() == cmdline:
                    peak_own = peak_rss_of(process.pid) or peak_own
            if now >= next_sample:
                peak_tree = max(peak_tree, tree_rss(process.pid, children_peak))
                next_sample = now + 0.1
            if time_limit is not None and now - started > time_limit and not stopped:
                stopped = True
                process.send_signal(signal.SIGKILL)
            time.sleep(0.005)
        process.returncode = os.waitstatus_to_exitcode(status)
    wall = now - started
    if process.returncode != 0 and not stopped:
        tail = err_path.read_text(errors="replace")[-3000:]
        msg = f"{label}: the tap exited with {process.returncode}:\n{tail}"
        raise RuntimeError(msg)
    run = TapRun(
        label=label,
        wall=wall,
        startup=(first_output - started) if first_output is not None else wall,
        out_path=out_path,
        out_bytes=out_path.stat().st_size,
        peak_rss=peak_own,
        tree_rss=peak_tree,
        workers_peak_rss=sum(children_peak.values()),
        returncode=process.returncode,
        stopped_early=stopped,
    )
    run.records = count_records(out_path)
    run.first_finish = first_logged(err_path, "Sync finished:", started_epoch)
    if not keep_output:
        out_path.unlink()
    return run


def first_logged(log: Path, text: str, started_epoch: float) -> float | None:
    """Seconds from the tap's start to the first log line containing ``text``."""
    with log.open(errors="replace") as handle:
        for line in handle:
            if text in line:
                with contextlib.suppress(ValueError):
                    stamp = dt.datetime.strptime(line[:23], "%Y-%m-%d %H:%M:%S,%f")
                    return stamp.timestamp() - started_epoch  # the log's local time
    return None


def iter_record_lines(path: Path) -> Iterator[bytes]:
    """RECORD lines of a Singer output file; a cut-off last line (a killed tap) is skipped."""
    with path.open("rb") as handle:
        for line in handle:
            if not line.endswith(b"\n"):
                return
            head = line[:40].replace(b" ", b"")
            if head.startswith(b'{"type":"RECORD"'):
                yield line


def count_records(path: Path) -> int:
    return sum(1 for _ in iter_record_lines(path))
