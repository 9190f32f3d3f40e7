"""An ``Erasure``: activities and users' activities erased from a chosen instant (``--erase``).

``models.erasures`` decides which exports and which truth rows an erasure removes.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone

UTC = timezone.utc
ERASE_FLAG_FORMAT = "user=ID|uid=UID[,...]@TIME"


@dataclass(frozen=True)
class Erasure:
    """Activities (``uids``) and users' activities (``user_ids``) erased from instant ``at``."""

    at: datetime
    uids: tuple[str, ...] = ()
    user_ids: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if self.at.tzinfo is None:
            raise ValueError("Erasure.at must be timezone-aware")
        if not self.uids and not self.user_ids:
            raise ValueError("an erasure needs at least one uid or user id")
        # peopleai_id is a digit string or an integer in the export: compare as text
        object.__setattr__(self, "uids", tuple(str(uid) for uid in self.uids))
        object.__setattr__(self, "user_ids", tuple(str(user) for user in self.user_ids))

    @classmethod
    def parse(cls, text: str) -> Erasure:
        """An erasure from its flag form, e.g. ``user=10000017,uid=9f3c…@2025-02-20T00:00:00Z``."""
        targets, separator, when = text.rpartition("@")
        if not separator or not targets:
            raise ValueError(f"expected {ERASE_FLAG_FORMAT}, not {text!r}")
        uids: list[str] = []
        users: list[str] = []
        for item in targets.split(","):
            kind, equals, value = item.strip().partition("=")
            if not equals or not value or kind not in ("user", "uid"):
                raise ValueError(f"expected user=ID or uid=UID in {text!r}, not {item!r}")
            (users if kind == "user" else uids).append(value)
        try:
            at = datetime.fromisoformat(when.strip().replace("Z", "+00:00"))
        except ValueError:
            raise ValueError(f"not an ISO 8601 time after @ in {text!r}: {when!r}") from None
        return cls(at if at.tzinfo else at.replace(tzinfo=UTC), tuple(uids), tuple(users))

    def document(self) -> dict[str, object]:
        """The erasure as the control endpoint shows it."""
        return {
            "at": self.at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
            "uids": list(self.uids),
            "user_ids": list(self.user_ids),
        }
