"""Reproducible fault draws, and how a job will end.

Every decision is a seeded hash of (seed, kind, per-kind counter), so a run is reproducible.
``responses.faults`` turns draws into spoiled answers.
"""

from __future__ import annotations

import hashlib
import threading

from peopleai_sandbox.settings.faults import Faults

# what a job's fault draw makes of it; "stuck" jobs stay Queued forever; "Expired" is a state
# nobody documented, "stateless" a job whose object loses its state field once it has ended
JOB_OUTCOMES = ("Failed", "Canceled", "stuck", "Expired", "stateless", "Completed")
UNDOCUMENTED_STATE = "Expired"


class FaultDice:
    """Reproducible draws in [0, 1), one independent stream per kind of decision."""

    def __init__(self, seed: int) -> None:
        self._seed = seed
        self._lock = threading.Lock()
        self._rolled: dict[str, int] = {}

    def roll(self, kind: str) -> float:
        """Next draw of the stream ``kind``."""
        with self._lock:
            number = self._rolled.get(kind, 0)
            self._rolled[kind] = number + 1
        digest = hashlib.blake2b(f"{self._seed}|{kind}|{number}".encode(), digest_size=8).digest()
        return int.from_bytes(digest, "little") / 2**64


def job_outcome(faults: Faults, draw: float) -> str:
    """How a new job will end, from one draw: one of ``JOB_OUTCOMES``."""
    rates = (
        faults.job_failure_rate,
        faults.job_cancel_rate,
        faults.stuck_job_rate,
        faults.unknown_state_rate,
        faults.missing_state_rate,
    )
    bound = 0.0
    for outcome, rate in zip(JOB_OUTCOMES[:-1], rates, strict=True):
        bound += rate
        if draw < bound:
            return outcome
    return "Completed"
