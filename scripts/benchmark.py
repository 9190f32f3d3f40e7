"""Benchmark of tap-peopleai against the sandbox on loopback, baselines measured in the same run.

    make bench                                   # 100 MB and 1 GB exports (about 10 minutes)
    .venv/bin/python scripts/benchmark.py --sizes 100,1000
    .venv/bin/python scripts/benchmark.py --quick  # a few MB, well under a minute (smoke test)

For each export size (a snapshot over 10 days; "size" = bytes of the export's fragment files):

1. the tap in RECORD mode (its fast record path), stdout to a file: records/s, MB/s of Singer
   output, peak RSS of the tap process;
2. the same tap with the SDK's default writer (so the SDK's generic record path: recursive type
   conformance, simplejson, a flush per message) on the same job: records/s, and its records
   compared with the fast path's (every field, with types, ignoring ``time_extracted``);
3. a raw ``orjson`` loop over the same fragment files (downloaded once with requests);
4. ``cat`` of the fragment files to /dev/null;
5. the tap in BATCH mode (``batch_config``: jsonl.gz files in a temporary directory).

The sandbox renders a job's files while the job is Running; that is the sandbox's business, not
the tap's, so the first tap run creates the job and every measured run adopts the Completed job
from the API's job list (download and emit only).

Then job pipelining (a catch-up of 26 one-day delta windows), parallel fragment downloads
(8 bandwidth-limited fragments, 1/2/4/8 workers), the pipeline table (`bench_pipeline.py`:
the tap into each shipped loader, the dbt models, native bulk loads; 100k+ activities), and the
DuckDB pipeline through `meltano run` as users run it (`bench_meltano.py`: 300k+ activities,
beside the tap alone and DuckDB's own `read_json`, with the peak memory of tap and loader).
Targets are checked as ratios of figures measured in this run. Timings are printed, never
asserted by tests.

Internal mode: ``--baseline-sdk --config FILE ...`` runs the tap with the SDK's default writer.
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import datetime as dt
import gzip
import json
import math
import os
import platform
import pstats
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from importlib.metadata import version
from pathlib import Path
from typing import Any

import orjson
import requests

from bench_meltano import measure as measure_meltano_runs
from bench_pipeline import measure as measure_pipeline_table
from bench_runs import tree_rss
from peopleai_sandbox import Faults, SandboxConfig, run_sandbox
from tests.support.sdk_default_path import SdkDefaultPathTap

UTC = dt.timezone.utc
NOW = dt.datetime(2026, 6, 15, 12, 0, tzinfo=UTC)
TODAY = NOW.date()
SNAPSHOT_DAYS = 10
# Bytes of fragment files per (activities_per_day x day) of a snapshot, measured on the sandbox
# (records average ~1.5 KB; some activities of a day are dated elsewhere).
BYTES_PER_ACTIVITY_DAY = 1215
MB = 1_000_000
POLL_INTERVAL = 0.05
SCRIPT = Path(__file__).resolve()

TARGET_SDK = 7.0
TARGET_RAW = 0.40
TARGET_BATCH = 3.0
TARGET_RSS_MB = 200.0
TARGET_PIPELINE = 0.6


# --- the SDK default path baseline (run in a child process) -------------------------------------


def run_sdk_default_path_tap(argv: list[str]) -> None:
    """The tap with the SDK's default writer: every record takes the SDK's generic path."""
    sys.argv = [sys.argv[0], *argv]
    SdkDefaultPathTap.cli()


# --- running a tap process ------------------------------------------------------------------------


@dataclasses.dataclass
class TapRun:
    """One tap process: wall time, its output and its memory."""

    label: str
    wall: float
    startup: float  # seconds until the first byte reached stdout (SCHEMA: imports, set-up done)
    out_path: Path
    out_bytes: int
    peak_rss: int  # bytes, the tap process's own peak RSS (VmHWM)
    tree_rss: int  # bytes, largest sampled sum of the tap's RSS and its child processes' PSS
    workers_peak_rss: int  # bytes, sum of the largest sampled PSS of each child process
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
    config_path = workdir / f"{slug}.config.json"
    config_path.write_text(json.dumps(config))
    args = ["--config", str(config_path)]
    if state is not None:
        state_path = workdir / f"{slug}.state.json"
        state_path.write_text(json.dumps(state))
        args += ["--state", str(state_path)]
    if sdk_default:
        command = [sys.executable, str(SCRIPT), "--baseline-sdk", *args]
    elif profile is not None:
        command = [sys.executable, "-m", "cProfile", "-o", str(profile), "-m", "tap_peopleai"]
        command += args
    else:
        command = [sys.executable, "-m", "tap_peopleai", *args]
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


def compare_records(fast: Path, default: Path) -> tuple[bool, int, str]:
    """Whether the default path's records equal the fast path's, in order, field by field.

    Records are compared as canonical JSON (sorted keys), so types count too: 1 is not 1.0 and
    "1" is not 1. ``time_extracted`` and ``sync_version`` are left out (the moment of
    extraction, and the start of the run).
    """

    def canonical(line: bytes) -> bytes:
        message = orjson.loads(line)
        record = message["record"]
        record.pop("sync_version", None)
        return orjson.dumps([message["stream"], record], option=orjson.OPT_SORT_KEYS)

    compared = 0
    fast_lines = iter_record_lines(fast)
    for default_line in iter_record_lines(default):
        fast_line = next(fast_lines, None)
        if fast_line is None:
            return False, compared, "the default path emitted more records than the fast path"
        if canonical(fast_line) != canonical(default_line):
            return False, compared, f"record {compared + 1} differs"
        compared += 1
    return True, compared, ""


# --- fragment files, raw loop, cat -------------------------------------------------------------


class Api:
    """Just enough of the export API, with requests, for the baselines."""

    def __init__(self, sandbox: Any) -> None:
        self.session = requests.Session()
        self.url = sandbox.url
        self.session.headers["Authorization"] = f"Bearer {sandbox.access_token()}"
        self.jobs_url = sandbox.jobs_url

    def jobs(self) -> list[dict[str, Any]]:
        answer = self.session.get(self.jobs_url, timeout=30)
        answer.raise_for_status()
        body = answer.json()
        return body if isinstance(body, list) else body.get("jobs", [])

    def create(self, body: dict[str, str]) -> dict[str, Any]:
        answer = self.session.post(self.jobs_url, json=body, timeout=30)
        answer.raise_for_status()
        job: dict[str, Any] = answer.json()
        return job

    def job(self, job_id: Any) -> dict[str, Any]:
        answer = self.session.get(f"{self.jobs_url}/{job_id}", timeout=30)
        answer.raise_for_status()
        job: dict[str, Any] = answer.json()
        return job

    def download(self, job_id: Any, index: int, sink: Any) -> int:
        size = 0
        with self.session.get(
            f"{self.jobs_url}/{job_id}/data", params={"fragment": index}, stream=True, timeout=60
        ) as answer:
            answer.raise_for_status()
            for chunk in answer.iter_content(1 << 20):
                sink.write(chunk)
                size += len(chunk)
        return size


def download_fragments(api: Api, directory: Path) -> list[Path]:
    """Every fragment of the (only) Completed job, once, to files."""
    jobs = [job for job in api.jobs() if str(job.get("state")).lower() == "completed"]
    if len(jobs) != 1:
        msg = f"expected one Completed job in the sandbox, found {len(jobs)}"
        raise RuntimeError(msg)
    job = jobs[0]
    directory.mkdir(parents=True, exist_ok=True)
    paths = []
    for index in range(int(job.get("fragment") or 0)):
        path = directory / f"fragment-{index:05d}.jsonl"
        with path.open("wb") as sink:
            api.download(job["job_id"], index, sink)
        paths.append(path)
    return paths


def raw_orjson_loop(paths: list[Path], out_path: Path) -> tuple[float, int, int]:
    """The practical limit: parse each line with orjson, wrap it in a RECORD message, write it."""
    dumps, loads = orjson.dumps, orjson.loads
    records = 0
    started = time.perf_counter()
    with out_path.open("wb") as out:
        for path in paths:
            with path.open("rb") as source:
                for line in source:
                    out.write(
                        dumps({"type": "RECORD", "stream": "activities", "record": loads(line)})
                        + b"\n"
                    )
                    records += 1
    elapsed = time.perf_counter() - started
    size = out_path.stat().st_size
    out_path.unlink()
    return elapsed, records, size


def cat_files(paths: list[Path]) -> float:
    started = time.perf_counter()
    with open(os.devnull, "wb") as null:
        subprocess.run(["cat", *map(str, paths)], stdout=null, check=True)
    return time.perf_counter() - started


# --- the sandbox -------------------------------------------------------------------------------


@contextlib.contextmanager
def sandbox(**settings: Any) -> Iterator[Any]:
    base: dict[str, Any] = {"seed": 7, "now": NOW, "job_run_seconds": 0.05}
    base.update(settings)
    with run_sandbox(SandboxConfig(**base)) as running:
        yield running


def tap_config(running: Any, **settings: Any) -> dict[str, Any]:
    config: dict[str, Any] = {
        "api_url": running.url,
        "client_id": running.client_id,
        "client_secret": running.client_secret,
        "poll_interval": POLL_INTERVAL,
        "job_timeout": 3600,
    }
    config.update(settings)
    return config


# --- 1-5: throughput for one export size --------------------------------------------------


@dataclasses.dataclass
class SizeResult:
    size_mb: int
    export_bytes: int
    fragments: int
    records: int
    first_run: TapRun
    record_run: TapRun
    sdk_run: TapRun
    sdk_equal: bool
    sdk_compared: int
    sdk_note: str
    batch_run: TapRun
    batch_records: int
    batch_bytes: int
    raw_seconds: float
    raw_records: int
    raw_out_bytes: int
    cat_seconds: float
    download_seconds: float


def measure_size(
    size_mb: float, root: Path, fragment_records: int, sdk_limit: float, profile: Path | None
) -> SizeResult:
    workdir = root / f"size-{size_mb:g}MB"
    workdir.mkdir()
    per_day = max(1, round(size_mb * MB / (BYTES_PER_ACTIVITY_DAY * SNAPSHOT_DAYS)))
    start = TODAY - dt.timedelta(days=SNAPSHOT_DAYS - 1)
    say(f"[{size_mb:g} MB] sandbox: {per_day} activities/day, snapshot {start}..{TODAY}")
    with sandbox(
        activities_per_day=per_day,
        fragment_records=fragment_records,
        data_dir=str(workdir / "sandbox"),
    ) as running:
        config = tap_config(
            running,
            start_date=start.isoformat(),
            scheduled_horizon_days=0,
            snapshot_window_days=365,
        )
        jobs = running.backend.stats
        first = run_tap("first run", workdir, config, keep_output=False)
        say(f"[{size_mb:g} MB] first run (job created and rendered): {first.wall:.1f} s")
        before = jobs()["jobs_created"]
        record_run = run_tap("record", workdir, config)
        record_run.jobs_created = jobs()["jobs_created"] - before
        if profile is not None:  # an extra run: profiling slows the tap down
            run_tap("record profiled", workdir, config, profile=profile, keep_output=False)
        say(f"[{size_mb:g} MB] RECORD: {record_run.records} records in {record_run.wall:.1f} s")
        api = Api(running)
        download_started = time.perf_counter()
        paths = download_fragments(api, workdir / "fragments")
        download_seconds = time.perf_counter() - download_started
        export_bytes = sum(p.stat().st_size for p in paths)
        cat_seconds = cat_files(paths)
        raw_seconds, raw_records, raw_out = raw_orjson_loop(paths, workdir / "raw.out.jsonl")
        say(f"[{size_mb:g} MB] raw loop: {raw_records} records in {raw_seconds:.1f} s")
        for path in paths:
            path.unlink()
        before = jobs()["jobs_created"]
        sdk_run = run_tap("sdk default", workdir, config, sdk_default=True, time_limit=sdk_limit)
        sdk_run.jobs_created = jobs()["jobs_created"] - before
        say(f"[{size_mb:g} MB] SDK default: {sdk_run.records} records in {sdk_run.wall:.1f} s")
        batch_dir = workdir / "batches"
        batch_dir.mkdir()
        batch_config = {
            "encoding": {"format": "jsonl", "compression": "gzip"},
            "storage": {"root": batch_dir.as_uri(), "prefix": "bench-"},
        }
        before = jobs()["jobs_created"]
        batch_run = run_tap("batch", workdir, {**config, "batch_config": batch_config})
        batch_run.jobs_created = jobs()["jobs_created"] - before
        batch_files = sorted(batch_dir.glob("bench-*.jsonl.gz"))
        batch_bytes = sum(p.stat().st_size for p in batch_files)
        batch_records = 0
        for path in batch_files:
            with gzip.open(path, "rb") as handle:
                batch_records += sum(1 for _ in handle)
        shutil.rmtree(batch_dir)
        say(f"[{size_mb:g} MB] BATCH: {batch_records} records in {batch_run.wall:.1f} s")
    equal, compared, note = compare_records(record_run.out_path, sdk_run.out_path)
    if equal and not sdk_run.stopped_early and compared != record_run.records:
        equal, note = False, "the default path emitted fewer records than the fast path"
    record_run.out_path.unlink()
    sdk_run.out_path.unlink()
    shutil.rmtree(workdir, ignore_errors=True)
    return SizeResult(
        size_mb=int(size_mb) if float(size_mb).is_integer() else size_mb,  # type: ignore[arg-type]
        export_bytes=export_bytes,
        fragments=len(paths),
        records=record_run.records,
        first_run=first,
        record_run=record_run,
        sdk_run=sdk_run,
        sdk_equal=equal,
        sdk_compared=compared,
        sdk_note=note,
        batch_run=batch_run,
        batch_records=batch_records,
        batch_bytes=batch_bytes,
        raw_seconds=raw_seconds,
        raw_records=raw_records,
        raw_out_bytes=raw_out,
        cat_seconds=cat_seconds,
        download_seconds=download_seconds,
    )


# --- 6: pipelining -------------------------------------------------------------------------------


class JobWatcher:
    """Samples the sandbox's jobs: most Running at once, most Queued+Running at once."""

    def __init__(self, running: Any) -> None:
        self.backend = running.backend
        self.max_running = 0
        self.max_active = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._watch, daemon=True)

    def _watch(self) -> None:
        while not self._stop.is_set():
            states = [job.state for job in self.backend.list_jobs()]
            self.max_running = max(self.max_running, states.count("Running"))
            self.max_active = max(self.max_active, states.count("Running") + states.count("Queued"))
            self._stop.wait(0.01)

    def __enter__(self) -> JobWatcher:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


@dataclasses.dataclass
class PipelineRow:
    label: str
    wall: float
    jobs: int
    max_running: int
    max_active: int
    allowed: int | None = None  # our jobs queued or running at once: 10 - reserved_queue_slots
    note: str = ""


def measure_pipelining(root: Path, windows: int, run_seconds: float) -> list[PipelineRow]:
    workdir = root / "pipelining"
    workdir.mkdir()
    cursor = TODAY - dt.timedelta(days=windows - 1)
    settings = {"activities_per_day": 20, "fragment_records": 1000, "job_run_seconds": run_seconds}
    state = {"bookmarks": {"activities": {"cursor": cursor.isoformat()}}}
    rows = []
    for label, extra in (
        ("tap, default reserved_queue_slots (2)", {}),
        ("tap, reserved_queue_slots=8", {"reserved_queue_slots": 8}),
    ):
        with sandbox(**settings) as running:
            config = tap_config(
                running,
                start_date=(cursor - dt.timedelta(days=30)).isoformat(),
                delta_window_days=1,
                **extra,
            )
            with JobWatcher(running) as watcher:
                run = run_tap(label[:40], workdir, config, state=state, keep_output=False)
            jobs = running.backend.stats()["jobs_created"]
        allowed = 10 - int(str(extra.get("reserved_queue_slots", 2)))
        rows.append(
            PipelineRow(label, run.wall, jobs, watcher.max_running, watcher.max_active, allowed)
        )
        say(f"[pipelining] {label}: {run.wall:.1f} s, {jobs} jobs")
    with sandbox(**settings) as running, JobWatcher(running) as watcher:
        wall = sequential_catch_up(running, cursor, windows)
        jobs = running.backend.stats()["jobs_created"]
    rows.append(
        PipelineRow(
            "one job at a time (this script drives the API: create, wait, download, parse)",
            wall,
            jobs,
            watcher.max_running,
            watcher.max_active,
            note="no tap start-up (~1 s) included",
        )
    )
    say(f"[pipelining] sequential: {wall:.1f} s")
    shutil.rmtree(workdir, ignore_errors=True)
    return rows


def sequential_catch_up(running: Any, cursor: dt.date, windows: int) -> float:
    """The catch-up without pipelining: each window's job created only after the last is done."""
    started = time.perf_counter()
    api = Api(running)
    with open(os.devnull, "wb") as null:
        for offset in range(windows):
            day = (cursor + dt.timedelta(days=offset)).isoformat()
            job = api.create(
                {
                    "start_date": day,
                    "end_date": day,
                    "activity_type": "all",
                    "output_format": "JSONLines",
                    "export_type": "delta",
                }
            )
            while str(job.get("state")).lower() != "completed":
                time.sleep(POLL_INTERVAL)
                job = api.job(job["job_id"])
            for index in range(int(job.get("fragment") or 0)):
                with tempfile.SpooledTemporaryFile() as spool:
                    api.download(job["job_id"], index, spool)
                    spool.seek(0)
                    for line in spool:
                        null.write(orjson.dumps(orjson.loads(line)) + b"\n")
    return time.perf_counter() - started


# --- 7: parallel downloads ------------------------------------------------------------


@dataclasses.dataclass
class DownloadRow:
    workers: int
    wall: float
    working: float


def measure_downloads(
    root: Path, fragment_seconds: float, worker_counts: list[int]
) -> tuple[list[DownloadRow], int, int, int]:
    workdir = root / "downloads"
    workdir.mkdir()
    days = 4
    per_day = 400
    start = TODAY - dt.timedelta(days=days - 1)
    with sandbox(activities_per_day=per_day) as probe:
        total = len(probe.backend.export_truth("snapshot", start, TODAY))
    per_fragment = math.ceil(total / 8)
    rows = []
    with sandbox(activities_per_day=per_day, fragment_records=per_fragment) as running:
        config = tap_config(
            running,
            start_date=start.isoformat(),
            scheduled_horizon_days=0,
        )
        run_tap("downloads first run", workdir, config, keep_output=False)
        (job,) = running.backend.list_jobs()
        fragments = job.fragment_count
        size = int(job.results_size or 0)
        bandwidth = max(1, int(size / fragments / fragment_seconds))
        running.set_faults(Faults(bandwidth_bytes_per_second=bandwidth))
        for workers in worker_counts:
            run = run_tap(
                f"downloads {workers} workers",
                workdir,
                {**config, "download_workers": workers},
                keep_output=False,
            )
            rows.append(DownloadRow(workers, run.wall, run.working))
            say(f"[downloads] {workers} worker(s): {run.wall:.1f} s")
    shutil.rmtree(workdir, ignore_errors=True)
    return rows, fragments, size, bandwidth


# --- report --------------------------------------------------------------------------------------


def say(text: str) -> None:
    print(f"# {time.strftime('%H:%M:%S')} {text}", file=sys.stderr, flush=True)


def machine() -> list[str]:
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


def load() -> str:
    one, five, fifteen = os.getloadavg()
    return f"{one:.2f} / {five:.2f} / {fifteen:.2f} (1 / 5 / 15 min)"


def rate(records: float, seconds: float) -> str:
    return f"{records / seconds:,.0f}" if seconds > 0 else "-"


def mbps(size: float, seconds: float) -> str:
    return f"{size / MB / seconds:,.1f}" if seconds > 0 else "-"


def verdict(ok: bool) -> str:
    return "**PASS**" if ok else "**FAIL**"


def report_sizes(results: list[SizeResult]) -> tuple[list[str], list[tuple[str, bool]]]:
    lines: list[str] = []
    checks: list[tuple[str, bool]] = []
    for r in results:
        rec, sdk, batch = r.record_run, r.sdk_run, r.batch_run
        sdk_scope = (
            f"first {sdk.records:,} of {r.records:,} records (stopped after {sdk.wall:.0f} s)"
            if sdk.stopped_early
            else "all records"
        )
        lines += [
            f"### Export of {r.export_bytes / MB:,.0f} MB "
            f"({r.records:,} records in {r.fragments} fragments; asked for {r.size_mb} MB)",
            "",
            "| path | records | wall s | start-up s | records/s | records/s after start-up "
            "| MB/s of output | peak RSS MB |",
            "|---|---:|---:|---:|---:|---:|---:|---:|",
            f"| tap, RECORD mode (fast path) | {rec.records:,} | {rec.wall:.2f} "
            f"| {rec.startup:.2f} | {rate(rec.records, rec.wall)} "
            f"| {rate(rec.records, rec.working)} | {mbps(rec.out_bytes, rec.wall)} "
            f"| {rec.peak_rss / MB:.0f} |",
            f"| tap, SDK default path ({sdk_scope}) | {sdk.records:,} | {sdk.wall:.2f} "
            f"| {sdk.startup:.2f} | {rate(sdk.records, sdk.wall)} "
            f"| {rate(sdk.records, sdk.working)} | {mbps(sdk.out_bytes, sdk.wall)} "
            f"| {sdk.peak_rss / MB:.0f} |",
            f"| raw orjson loop over the fragment files | {r.raw_records:,} | {r.raw_seconds:.2f} "
            f"| - | {rate(r.raw_records, r.raw_seconds)} | {rate(r.raw_records, r.raw_seconds)} "
            f"| {mbps(r.raw_out_bytes, r.raw_seconds)} | - |",
            f"| `cat` of the fragment files to /dev/null | {r.raw_records:,} "
            f"| {r.cat_seconds:.2f} | - | {rate(r.raw_records, r.cat_seconds)} "
            f"| {rate(r.raw_records, r.cat_seconds)} | {mbps(r.export_bytes, r.cat_seconds)} "
            "(input) | - |",
            f"| HTTP download of the fragment files (requests, one connection, to disk) "
            f"| {r.raw_records:,} | {r.download_seconds:.2f} | - "
            f"| {rate(r.raw_records, r.download_seconds)} "
            f"| {rate(r.raw_records, r.download_seconds)} "
            f"| {mbps(r.export_bytes, r.download_seconds)} (input) | - |",
            f"| tap, BATCH mode (jsonl.gz files, {batch.out_bytes / 1000:,.0f} kB of Singer "
            f"output, {r.batch_bytes / MB:,.0f} MB of files) | {r.batch_records:,} "
            f"| {batch.wall:.2f} | {batch.startup:.2f} | {rate(r.batch_records, batch.wall)} "
            f"| {rate(r.batch_records, batch.working)} | - "
            f"| {batch.peak_rss / MB:.0f} (+ {batch.workers_peak_rss / MB:.0f} PSS in its worker "
            f"processes; {batch.tree_rss / MB:.0f} at most at once, sampled) |",
        ]
        if batch.jobs_created and batch.first_finish:
            lines.append(
                '| tap, BATCH mode until it first logged "Sync finished" (what follows is an '
                'extra export that the run should not make: see "jobs created" below) '
                f"| {r.batch_records:,} | {batch.first_finish:.2f} | {batch.startup:.2f} "
                f"| {rate(r.batch_records, batch.first_finish)} "
                f"| {rate(r.batch_records, batch.first_finish - batch.startup)} | - | - |"
            )
        lines.append("")
        rec_rate = rec.records / rec.wall
        rec_steady = rec.records / rec.working
        sdk_rate = sdk.records / sdk.wall if sdk.records else 0.0
        sdk_steady = sdk.records / sdk.working if sdk.records else 0.0
        raw_rate = r.raw_records / r.raw_seconds
        batch_rate = r.batch_records / batch.wall
        batch_steady = r.batch_records / batch.working
        size = f"{r.export_bytes / MB:,.0f} MB"
        ratio_rows = [
            (
                f"RECORD ÷ SDK default path ({size})",
                rec_rate / sdk_rate if sdk_rate else 0.0,
                rec_steady / sdk_steady if sdk_steady else 0.0,
                f"≥ {TARGET_SDK:g}x",
                TARGET_SDK,
            ),
            (
                f"RECORD ÷ raw orjson loop ({size})",
                rec_rate / raw_rate,
                rec_steady / raw_rate,
                f"≥ {TARGET_RAW:.0%}",
                TARGET_RAW,
            ),
            (
                f"BATCH ÷ RECORD ({size})",
                batch_rate / rec_rate,
                batch_steady / rec_steady,
                f"≥ {TARGET_BATCH:g}x",
                TARGET_BATCH,
            ),
        ]
        lines += [
            "| target | ratio (wall) | ratio (after start-up) | target | result (wall) |",
            "|---|---:|---:|---:|---|",
        ]
        for name, wall_ratio, steady_ratio, target_text, target in ratio_rows:
            shown = (
                (f"{wall_ratio:.0%}", f"{steady_ratio:.0%}")
                if target < 1
                else (f"{wall_ratio:.1f}x", f"{steady_ratio:.1f}x")
            )
            ok = wall_ratio >= target
            lines.append(f"| {name} | {shown[0]} | {shown[1]} | {target_text} | {verdict(ok)} |")
            checks.append((name, ok))
        rss_ok = rec.peak_rss / MB <= TARGET_RSS_MB
        name = f"peak RSS of the tap, RECORD mode ({size})"
        lines.append(
            f"| {name} | {rec.peak_rss / MB:.0f} MB | - | ≤ {TARGET_RSS_MB:.0f} MB "
            f"| {verdict(rss_ok)} |"
        )
        checks.append((name, rss_ok))
        same = "identical" if r.sdk_equal else f"DIFFERENT: {r.sdk_note}"
        lines.append(
            f"| records of the SDK default path = fast path's ({r.sdk_compared:,} compared, "
            "every field and type, `time_extracted` and `sync_version` aside) "
            f"| {same} | - | identical "
            f"| {verdict(r.sdk_equal)} |"
        )
        checks.append((f"SDK default path records = fast path records ({size})", r.sdk_equal))
        created = (rec.jobs_created, sdk.jobs_created, batch.jobs_created)
        adopted = not any(created)
        lines.append(
            "| measured runs reuse the Completed job: export jobs created by RECORD / SDK default "
            "/ "
            f"BATCH | {' / '.join(map(str, created))} | - | 0 / 0 / 0 | {verdict(adopted)} |"
        )
        checks.append((f"measured runs create no export job ({size})", adopted))
        counts_ok = r.records == r.raw_records == r.batch_records
        lines.append(
            f"| records: RECORD = BATCH = fragment lines | {r.records:,} / {r.batch_records:,} / "
            f"{r.raw_records:,} | - | equal | {verdict(counts_ok)} |"
        )
        checks.append((f"RECORD = BATCH = fragment lines ({size})", counts_ok))
        lines += [
            "",
            f"First run (creates the job; the sandbox renders its files meanwhile, not counted "
            f"above): {r.first_run.wall:.1f} s.",
            "",
        ]
    return lines, checks


def report_pipelining(
    rows: list[PipelineRow], windows: int, run_seconds: float
) -> tuple[list[str], list[tuple[str, bool]]]:
    sequential = rows[-1].wall
    lines = [
        f"### Pipelining: catch-up of {windows} one-day delta windows "
        f"(sandbox: each job Running ≥ {run_seconds:g} s, at most 2 Running and 10 queued)",
        "",
        "| run | wall s | jobs | most Running at once | most queued+running at once "
        "| allowed (10 - reserved_queue_slots) | ÷ one at a time |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    checks = []
    for row in rows:
        note = f" ({row.note})" if row.note else ""
        allowed = "-" if row.allowed is None else str(row.allowed)
        lines.append(
            f"| {row.label}{note} | {row.wall:.2f} | {row.jobs} | {row.max_running} "
            f"| {row.max_active} | {allowed} | {row.wall / sequential:.2f} |"
        )
        if row.allowed is not None:
            checks.append(
                (
                    f"{row.label}: at most {row.allowed} of our jobs queued or running "
                    f"(most seen: {row.max_active})",
                    row.max_active <= row.allowed,
                )
            )
    ratio = rows[0].wall / sequential
    ok = ratio <= TARGET_PIPELINE
    lines += [
        "",
        f"Target: default tap ÷ one job at a time = {ratio:.2f} ≤ {TARGET_PIPELINE} → "
        f"{verdict(ok)}. `reserved_queue_slots=8` still keeps more than one job in flight, so "
        "it overlaps too; the one-at-a-time row is the sequential baseline (jobs sampled from "
        "the sandbox every 10 ms).",
        "",
    ]
    return lines, [("pipelined catch-up ÷ one job at a time", ok), *checks]


def report_downloads(
    rows: list[DownloadRow], fragments: int, size: int, bandwidth: int
) -> list[str]:
    base = rows[0]
    lines = [
        f"### Parallel downloads: one job, {fragments} fragments of ~{size / fragments / 1000:,.0f}"
        f" kB, bandwidth limited to {bandwidth / 1000:,.0f} kB/s per connection "
        f"(~{size / fragments / bandwidth:.1f} s a fragment)",
        "",
        "| download_workers | wall s | wall after start-up s | speed-up (after start-up) | ideal |",
        "|---:|---:|---:|---:|---:|",
    ]
    for row in rows:
        ideal = min(row.workers, fragments)
        lines.append(
            f"| {row.workers} | {row.wall:.2f} | {row.working:.2f} "
            f"| {base.working / row.working:.2f}x | {ideal / base.workers:.0f}x |"
        )
    lines.append("")
    return lines


# --- main ---------------------------------------------------------------------------------------


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--quick", action="store_true", help="a small run (a few MB, < 1 min)")
    parser.add_argument(
        "--sizes", help="export sizes in MB, comma-separated (default 100,1000; quick: 3)"
    )
    parser.add_argument(
        "--sdk-max-seconds",
        type=float,
        default=120.0,
        help="stop the SDK default path after this long and measure the prefix (default 120)",
    )
    parser.add_argument("--skip-sizes", action="store_true", help="no throughput measurements")
    parser.add_argument("--skip-pipelining", action="store_true")
    parser.add_argument("--skip-downloads", action="store_true")
    parser.add_argument(
        "--skip-pipeline-table", action="store_true", help="no tap -> loader -> models table"
    )
    parser.add_argument(
        "--pipeline-activities-per-day",
        type=int,
        help="activities per day of the pipeline table's 10-day export (default 13000: 100k+; "
        "quick: 150)",
    )
    parser.add_argument(
        "--skip-meltano-runs", action="store_true", help="no `meltano run` table (DuckDB)"
    )
    parser.add_argument(
        "--meltano-activities-per-day",
        type=int,
        help="activities per day of the `meltano run` table's 10-day export (default 66000: "
        "660k+, about 1 GB; quick: 150)",
    )
    parser.add_argument(
        "--profile",
        action="store_true",
        help="profile the RECORD-mode run of the first size (cProfile) and print the top",
    )
    return parser.parse_args(argv)


def main(argv: list[str]) -> int:
    if argv[:1] == ["--baseline-sdk"]:
        run_sdk_default_path_tap(argv[1:])
        return 0
    args = parse_args(argv)
    # Measure processes as users run them, with bytecode cached after the first run: a shell
    # with PYTHONDONTWRITEBYTECODE set (as some CI images do) makes every tap process compile
    # its ~550 modules again, ~1 s of start-up that no installed tap pays.
    os.environ.pop("PYTHONDONTWRITEBYTECODE", None)
    if args.sizes:
        sizes = [float(size) for size in args.sizes.split(",") if size.strip()]
    else:
        sizes = [3.0] if args.quick else [100.0, 1000.0]
    fragment_records = 500 if args.quick else 20_000
    windows = 6 if args.quick else 26
    run_seconds = 0.2 if args.quick else 0.75
    fragment_seconds = 0.15 if args.quick else 1.0
    began = time.perf_counter()
    load_before = load()
    say(f"load average before: {load_before}")
    root = Path(tempfile.mkdtemp(prefix="tap-peopleai-bench-"))
    checks: list[tuple[str, bool]] = []
    lines: list[str] = []
    try:
        results = []
        for number, size in enumerate([] if args.skip_sizes else sizes):
            profile = root / "record.prof" if args.profile and number == 0 else None
            results.append(
                measure_size(size, root, fragment_records, args.sdk_max_seconds, profile)
            )
            if profile is not None:
                stats = pstats.Stats(str(profile), stream=sys.stderr)
                say("profile of the RECORD-mode run (top 20 by own time):")
                stats.sort_stats("tottime").print_stats(20)
        size_lines, size_checks = report_sizes(results)
        lines += size_lines
        checks += size_checks
        if not args.skip_pipelining:
            rows = measure_pipelining(root, windows, run_seconds)
            pipe_lines, pipe_checks = report_pipelining(rows, windows, run_seconds)
            lines += pipe_lines
            checks += pipe_checks
        if not args.skip_downloads:
            download_rows, fragments, size_bytes, bandwidth = measure_downloads(
                root, fragment_seconds, [1, 2, 4, 8]
            )
            lines += report_downloads(download_rows, fragments, size_bytes, bandwidth)
        if not args.skip_pipeline_table:
            per_day = args.pipeline_activities_per_day or (150 if args.quick else 13_000)
            table = measure_pipeline_table(per_day, 500 if args.quick else 5_000)
            lines += table.lines
            checks += table.checks
        if not args.skip_meltano_runs:
            per_day = args.meltano_activities_per_day or (150 if args.quick else 66_000)
            runs = measure_meltano_runs(per_day, 500 if args.quick else 5_000)
            lines += runs.lines
            checks += runs.checks
    finally:
        shutil.rmtree(root, ignore_errors=True)
    elapsed = time.perf_counter() - began
    header = [
        "## tap-peopleai benchmark",
        "",
        f"Sandbox on loopback, {dt.datetime.now(UTC):%Y-%m-%d %H:%M} UTC, "
        f"`{' '.join(['scripts/benchmark.py', *argv])}`, {elapsed:.0f} s in all.",
        *machine(),
        f"- load average before: {load_before}; after: {load()}",
        "",
        "Every figure is wall-clock time of a whole tap process (Python start-up, token, job "
        'list, downloads from the sandbox, records to a file); "after start-up" leaves out the '
        "time until the tap's first output (imports and set-up). Targets are checked on the "
        "whole wall time.",
        "",
        *(
            [
                "**Quick run** (a few MB, a smoke test): the figures are dominated by start-up; "
                "the targets mean something only for the default sizes.",
                "",
            ]
            if args.quick
            else []
        ),
    ]
    summary = ["### Targets", ""]
    summary += [f"- {verdict(ok)} {name}" for name, ok in checks]
    print("\n".join([*header, *lines, *summary, ""]), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
