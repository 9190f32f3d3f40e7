"""Erasure: activities that disappear at a chosen time of the sandbox clock.

People.ai removes a user's data on request (GDPR) and its export API has no delete marker:
erased activities simply stop appearing. An ``Erasure`` names single activities (``uids``) and
users (``user_ids``: every activity that has the user among its participants, in any version)
and the instant it takes effect. An export created at or after that instant omits them, and so
does the ground truth as of then; an export created earlier keeps them (its result was fixed at
its creation). An erasure added at runtime never changes a job that already exists, even if it
is back-dated.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime

from peopleai_sandbox.settings.erasures import Erasure
from peopleai_sandbox.times import from_us, to_us


@dataclass(frozen=True)
class ActivityLookup:
    """How erasures find an activity's uid and the peopleai_ids of its participants."""

    uid_of: Callable[[int], str]
    participants_of: Callable[[int], frozenset[str]]


class ErasureSet:
    """The erasures in force at one instant: which activities they remove, and since when."""

    def __init__(self, erasures: Iterable[Erasure], lookup: ActivityLookup) -> None:
        self._uid_at: dict[str, int] = {}
        self._user_at: dict[str, int] = {}
        for erasure in erasures:
            at = to_us(erasure.at)
            for uid in erasure.uids:
                self._uid_at[uid] = min(at, self._uid_at.get(uid, at))
            for user in erasure.user_ids:
                self._user_at[user] = min(at, self._user_at.get(user, at))
        self._lookup = lookup

    def __bool__(self) -> bool:
        return bool(self._uid_at or self._user_at)

    def erased_at_us(self, index: int) -> int | None:
        """When activity ``index`` was erased (the earliest erasure naming it), or None."""
        times = []
        by_uid = self._uid_at.get(self._lookup.uid_of(index))
        if by_uid is not None:
            times.append(by_uid)
        if self._user_at:
            times.extend(
                self._user_at[user]
                for user in self._lookup.participants_of(index)
                if user in self._user_at
            )
        return min(times) if times else None

    def keep(self, pairs: Iterable[tuple[int, int]]) -> Iterator[tuple[int, int]]:
        """The ``(index, version)`` pairs of activities these erasures leave alone."""
        if not self:
            yield from pairs
            return
        for index, version in pairs:
            if self.erased_at_us(index) is None:
                yield index, version


class ErasureLedger:
    """Every erasure known so far (configured up front, or added at runtime), in order."""

    def __init__(self, erasures: Iterable[Erasure], lookup: ActivityLookup) -> None:
        self._lock = threading.Lock()
        self._erasures = list(erasures)
        self._lookup = lookup

    def add(self, erasure: Erasure) -> None:
        """Register an erasure (it affects exports created from now on)."""
        with self._lock:
            self._erasures.append(erasure)

    def all(self) -> tuple[Erasure, ...]:
        """Every erasure, in the order they were registered."""
        with self._lock:
            return tuple(self._erasures)

    def in_force(self, as_of_us: int) -> ErasureSet:
        """The erasures registered so far that have taken effect at ``as_of_us``."""
        active = [erasure for erasure in self.all() if to_us(erasure.at) <= as_of_us]
        return ErasureSet(active, self._lookup)

    def erased(self, indexes: Iterable[int], as_of_us: int) -> dict[str, datetime]:
        """uid -> erasure time, of those ``indexes`` that are erased at ``as_of_us``."""
        in_force = self.in_force(as_of_us)
        erased: dict[str, datetime] = {}
        if not in_force:
            return erased
        for index in indexes:
            at = in_force.erased_at_us(index)
            if at is not None:
                erased[self._lookup.uid_of(index)] = from_us(at)
        return erased
