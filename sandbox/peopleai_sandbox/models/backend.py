"""The export service without HTTP, as moto's ``models.py``: one backend per sandbox.

``ExportBackend`` owns the models — the activity universe, tokens, the job queue, the ground
truth, counters and the fault dice — and offers the operations the request handlers (and tests)
call. It knows nothing of HTTP: errors are ``ApiError`` values that the handlers render.
"""

from __future__ import annotations

import shutil
import tempfile
import threading
from collections.abc import Iterable, Iterator, Mapping
from datetime import date, datetime
from pathlib import Path
from typing import Any

from peopleai_sandbox.dataset.universe import ActivityUniverse, TruthRow
from peopleai_sandbox.errors import ApiError
from peopleai_sandbox.models.clock import SandboxClock
from peopleai_sandbox.models.downloads import DownloadPlan, plan_download
from peopleai_sandbox.models.erasures import ActivityLookup, ErasureLedger
from peopleai_sandbox.models.fault_dice import FaultDice
from peopleai_sandbox.models.job_queue import JobQueue
from peopleai_sandbox.models.jobs import ExportRequest, Job, job_document, validate_request
from peopleai_sandbox.models.stats import Counters
from peopleai_sandbox.models.tokens import TokenStore
from peopleai_sandbox.models.truth import GroundTruth
from peopleai_sandbox.settings.config import SandboxConfig
from peopleai_sandbox.settings.erasures import Erasure
from peopleai_sandbox.settings.faults import Faults


class ExportBackend:
    """The People.ai export service as pure logic; the HTTP layer only translates to it.

    It is the one façade tests and handlers use: almost every method is a documented one-line
    delegation to a model (tokens, job queue, erasures, counters); the ground truth's queries
    (``ground_truth``, ``truth_records``, ``erased``) are the truth's own methods.
    """

    def __init__(self, config: SandboxConfig, clock: SandboxClock | None = None) -> None:
        self.config = config
        self.clock = clock or SandboxClock(config.now, config.clock_offset)
        self.universe = ActivityUniverse.from_config(config)
        self._erasures = ErasureLedger(
            config.erasures, ActivityLookup(self.universe.uid, self.universe.participant_ids)
        )
        self.counters = Counters()
        self.dice = FaultDice(config.seed)
        self._faults_lock = threading.Lock()
        self._faults = config.faults
        self._tokens = TokenStore(
            config.client_id,
            config.client_secret,
            config.token_ttl_seconds,
            self.clock,
            self.counters,
        )
        if config.data_dir is None:
            self.data_dir = Path(tempfile.mkdtemp(prefix="peopleai-sandbox-"))
        else:
            Path(config.data_dir).mkdir(parents=True, exist_ok=True)
            self.data_dir = Path(tempfile.mkdtemp(prefix="run-", dir=config.data_dir))
        self.truth = GroundTruth(self.universe, self.clock, self._erasures)
        # The truth's queries, as tests and the control endpoints call them (see truth.py).
        self.ground_truth = self.truth.ground_truth
        self.truth_records = self.truth.truth_records
        self.erased = self.truth.erased
        self._jobs = JobQueue(
            config,
            self.clock,
            self.counters,
            self.dice,
            lambda: self.faults,
            self._job_selection,
            self.universe.record_json,
            self.data_dir,
        )

    def close(self) -> None:
        """Stop rendering and delete every rendered file."""
        self._jobs.close()
        shutil.rmtree(self.data_dir, ignore_errors=True)

    # --- faults and stats --------------------------------------------------------------------
    @property
    def faults(self) -> Faults:
        """The fault settings in force (replaceable at runtime)."""
        with self._faults_lock:
            return self._faults

    def set_faults(self, faults: Faults) -> None:
        """Replace the fault settings, e.g. from a soak test."""
        with self._faults_lock:
            self._faults = faults

    def roll(self, kind: str) -> float:
        """Next reproducible draw in [0, 1) of the fault stream ``kind``."""
        return self.dice.roll(kind)

    def count(self, name: str, amount: int = 1) -> None:
        """Add to a statistics counter."""
        self.counters.count(name, amount)

    def count_fault(self, kind: str) -> None:
        """Record one injected fault of ``kind`` (e.g. ``http_503``, ``dropped_download``)."""
        self.counters.count_fault(kind)

    def stats(self) -> dict[str, int]:
        """Counters of everything that happened: requests, tokens, jobs, limits, faults."""
        return self.counters.snapshot()

    # --- authentication ----------------------------------------------------------------------
    def issue_token(
        self, form: Mapping[str, str], basic: tuple[str, str] | None = None
    ) -> dict[str, Any]:
        """Answer an OAuth2 client-credentials request (form fields, or HTTP Basic credentials)."""
        return self._tokens.issue(form, basic)

    def issued_tokens(self) -> list[str]:
        """Every access token issued (of the last thousand): what must never leak."""
        return self._tokens.issued()

    def authenticate(self, authorization: str | None) -> None:
        """Check an ``Authorization`` header; raise a 401 ApiError unless it holds a live token."""
        self._tokens.authenticate(authorization)

    # --- jobs --------------------------------------------------------------------------------
    def validate_request(self, payload: Any) -> ExportRequest:
        """Check a job creation body; raise a 400 ApiError naming the offending field."""
        return validate_request(payload, self.config.variants.enum_case_insensitive)

    def create_job(self, payload: Any) -> Job:
        """Validate and queue an export job; raise ApiError for bad bodies or a full queue."""
        try:
            request = self.validate_request(payload)
        except ApiError:
            self.count("validation_errors")
            raise
        return self._jobs.create(request, self._fix_erasures)

    def _fix_erasures(self, job: Job) -> None:
        # what a job omits is decided at its creation, like the rest of its result
        job.erasures = self._erasures.in_force(job.as_of_us)

    def get_job(self, job_id: str) -> Job:
        """One job by its id as it appears in the URL; 404 if unknown or past retention."""
        return self._jobs.get(job_id)

    def list_jobs(self) -> list[Job]:
        """Jobs created within the retention period, oldest first."""
        return self._jobs.list()

    def list_jobs_raw(self) -> list[dict[str, Any]]:
        """The job list exactly as ``GET /jobs`` renders it (for tests' assertions)."""
        return [job_document(job, self.config.variants) for job in self.list_jobs()]

    def plan_download(self, job_id: str, fragment: str | None) -> DownloadPlan:
        """Decide what a data request serves; raise 404/409/400 ApiErrors like the service."""
        job = self.get_job(job_id)
        return plan_download(job, fragment, self.config.variants.data_without_fragment)

    def _job_selection(self, job: Job) -> Iterator[tuple[int, int]]:
        assert job.erasures is not None
        return self.truth.select(job.request, job.as_of_us, job.erasures)

    # --- erasure -----------------------------------------------------------------------------
    def erase(
        self,
        uids: Iterable[str] = (),
        user_ids: Iterable[str | int] = (),
        at: datetime | None = None,
    ) -> Erasure:
        """Erase activities (by uid) and users' activities (by peopleai_id) from ``at`` (default:
        now by the sandbox clock) on; exports created from now on omit them once ``at`` is past.

        "Now" is taken to the second, as job creation times are: a job created right after the
        call, within the same second of a running clock, already omits them.
        """
        when = at or self.clock.now().replace(microsecond=0)
        erasure = Erasure(when, tuple(uids), tuple(str(user) for user in user_ids))
        self._erasures.add(erasure)
        return erasure

    def erasures(self) -> tuple[Erasure, ...]:
        """Every erasure, configured or added, in the order they were registered."""
        return self._erasures.all()

    def export_truth(
        self,
        export_type: str,
        start_date: date | str,
        end_date: date | str,
        activity_type: str = "all",
    ) -> dict[str, TruthRow]:
        """What an export with these parameters, created now, returns: uid -> its row."""
        request = self.validate_request(
            {
                "export_type": export_type,
                "start_date": str(start_date),
                "end_date": str(end_date),
                "activity_type": activity_type,
                "output_format": "JSONLines",
            }
        )
        return self.truth.export_truth(request)
