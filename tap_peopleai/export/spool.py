"""The sync's spool directory for fragment files, who owns it, and removing dead syncs' ones.

A sync removes its spool directory however it ends, except when it cannot run any code: SIGKILL,
the OOM killer, a lost machine. Each directory therefore holds a marker naming its owner (host,
PID, and the process's start as the kernel counts it, because PIDs are reused), and the next sync
removes the directories whose owner has certainly ended. A directory without a readable marker
(being created this instant, or not the tap's) is never touched, and neither is one whose owner
cannot be checked from here (another host sharing `temp_dir`, a system without /proc): two
concurrent syncs never delete each other's files.
"""

from __future__ import annotations

import errno
import json
import os
import shutil
import socket
import tempfile
from dataclasses import asdict, dataclass
from pathlib import Path

from tap_peopleai.errors import TapPeopleAIError

SPOOL_PREFIX = "peopleai-tap-"
OWNER_MARKER = "owner.json"


def _start_of(pid: int) -> str | None:
    """The process's start (boot id and start tick), or None where /proc does not tell or the
    process is a zombie (it has ended; only its exit code waits to be read)."""
    try:
        boot = Path("/proc/sys/kernel/random/boot_id").read_text().strip()
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    # The fields after the command name, which is in parentheses and may hold anything.
    fields = stat.rsplit(")", 1)[1].split()
    state, started = fields[0], fields[19]
    return None if state in ("Z", "X") else f"{boot}:{started}"


@dataclass(frozen=True)
class ProcessIdentity:
    """A process, told apart from a later one that reuses its PID."""

    host: str
    pid: int
    started: str | None

    @classmethod
    def current(cls) -> ProcessIdentity:
        """This process."""
        return cls(socket.gethostname(), os.getpid(), _start_of(os.getpid()))

    def has_ended(self) -> bool:
        """True only when this process has certainly ended (unsure means it runs)."""
        if self.host != socket.gethostname():
            return False
        try:
            os.kill(self.pid, 0)
        except ProcessLookupError:
            return True
        except PermissionError:
            pass  # a process of another user holds the PID: compare start times
        if self.started is None:
            return False
        return _start_of(self.pid) != self.started


@dataclass(frozen=True)
class RemovedSpool:
    """A dead sync's spool directory, removed."""

    path: str
    pid: int
    files: int
    size: int

    def describe(self) -> str:
        """The directory, its owner and what it held, for the log line."""
        return f"{self.path} (process {self.pid}, {self.files} file(s), {self.size / 1e6:.1f} MB)"


def _owner_of(directory: str) -> ProcessIdentity | None:
    try:
        with open(os.path.join(directory, OWNER_MARKER), encoding="utf-8") as marker:
            fields = json.load(marker)
        started = fields["started"]
        return ProcessIdentity(
            str(fields["host"]), int(fields["pid"]), None if started is None else str(started)
        )
    except (OSError, ValueError, KeyError, TypeError):
        return None


def _contents(directory: str) -> tuple[int, int]:
    """Number of files (the marker aside) and their bytes."""
    files = size = 0
    with os.scandir(directory) as entries:
        for entry in entries:
            if entry.name != OWNER_MARKER and entry.is_file(follow_symlinks=False):
                files += 1
                size += entry.stat(follow_symlinks=False).st_size
    return files, size


def remove_dead_spools(parent: str) -> list[RemovedSpool]:
    """Remove the spool directories in ``parent`` whose owner has certainly ended."""
    removed = []
    try:
        with os.scandir(parent) as scanned:
            entries = [e for e in scanned if e.name.startswith(SPOOL_PREFIX)]
    except OSError:
        return []
    for entry in entries:
        if not entry.is_dir(follow_symlinks=False):
            continue
        owner = _owner_of(entry.path)
        if owner is None or not owner.has_ended():
            continue
        try:
            files, size = _contents(entry.path)
        except OSError:
            continue  # removed by another sync this instant
        shutil.rmtree(entry.path, ignore_errors=True)
        removed.append(RemovedSpool(entry.path, owner.pid, files, size))
    return removed


class SpoolDirectory:
    """A private temporary directory for one sync's fragment files, marked with its owner."""

    def __init__(self, parent: str | None) -> None:
        self.parent = parent or tempfile.gettempdir()
        # Before this sync's own directory exists, so it cannot be among them.
        self.removed = remove_dead_spools(self.parent)
        try:
            self.path = tempfile.mkdtemp(prefix=SPOOL_PREFIX, dir=self.parent)
            self._mark_owner()
        except OSError as exc:
            raise self.disk_error(exc, "creating a temporary directory") from exc

    def _mark_owner(self) -> None:
        # Written whole, then renamed: a sweep never reads half a marker.
        partial = os.path.join(self.path, f".{OWNER_MARKER}.partial")
        with open(partial, "w", encoding="utf-8") as marker:
            json.dump(asdict(ProcessIdentity.current()), marker)
        os.replace(partial, os.path.join(self.path, OWNER_MARKER))

    def new_file(self) -> str:
        """A new empty file in the directory."""
        try:
            handle, path = tempfile.mkstemp(prefix="fragment-", suffix=".jsonl", dir=self.path)
        except OSError as exc:
            raise self.disk_error(exc, "creating a temporary file") from exc
        os.close(handle)
        return path

    def remove(self) -> None:
        """Delete the directory and every file in it (idempotent)."""
        shutil.rmtree(self.path, ignore_errors=True)

    def disk_error(self, exc: OSError, doing: str) -> TapPeopleAIError:
        """The one-line error for a failed write to the temporary directory."""
        if exc.errno == errno.ENOSPC:
            return TapPeopleAIError(
                f"No space left in {self.parent} while {doing}. Free disk space there, or point "
                "`temp_dir` at a volume with room for a few fragments per download worker."
            )
        return TapPeopleAIError(
            f"Cannot write to {self.parent} while {doing}: {exc.strerror or exc}. Check `temp_dir`."
        )
