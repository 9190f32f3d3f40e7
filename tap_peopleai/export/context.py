"""What one sync's export works on, and what it knows of each window's job.

Shared by the pipeline, the scheduler, the job watch and the adoption of existing jobs; kept
apart from all of them so that none imports another only to name these types.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from tap_peopleai.state.entries import JobInFlight
from tap_peopleai.state.progress import SyncProgress
from tap_peopleai.state.windows import ExportWindow


@dataclass(frozen=True)
class SyncContext:
    """What one sync's export works on, shared by the pipeline and its scheduler."""

    progress: SyncProgress
    windows: list[ExportWindow]
    today: dt.date
    # Writes a STATE message with the progress as it is now.
    checkpoint: Callable[[], None]
    logger: logging.Logger


@dataclass
class JobRun:
    """What the scheduler knows about one window's job during this sync."""

    job: JobInFlight
    state: str = "queued"
    started_waiting: float = field(default_factory=time.monotonic)
    replaced_ids: tuple[str, ...] = ()
