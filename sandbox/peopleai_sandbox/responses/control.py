"""The control endpoints under ``/_sandbox/``: truth, stats, clock, faults.

They need no token, are never faulted and are not counted, so a test can look and steer
without changing what it measures. Errors always have the simple ``{error, message}`` shape.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import asdict
from datetime import date, datetime, timedelta, timezone
from typing import Any

import orjson

from peopleai_sandbox.dataset.universe import TruthRow
from peopleai_sandbox.errors import ApiError
from peopleai_sandbox.models.backend import ExportBackend
from peopleai_sandbox.responses.messages import Request, Response
from peopleai_sandbox.settings.faults import Faults
from peopleai_sandbox.urls import CONTROL_ROUTES, resolve

Handler = Callable[[Request], Response]


def truth_document(rows: dict[str, TruthRow]) -> dict[str, Any]:
    """The JSON answer of the truth control endpoints."""
    activities = [
        {
            "uid": row.uid,
            "version": row.version,
            "type": row.type,
            "timestamp": _truth_time(row.timestamp),
            "ingest_timestamp": _truth_time(row.ingest_timestamp),
        }
        for row in rows.values()
    ]
    return {"count": len(activities), "activities": activities}


def _truth_time(value: datetime) -> str:
    if value.microsecond:
        return value.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    return value.strftime("%Y-%m-%dT%H:%M:%SZ")


class ControlResponses:
    """Answers the control endpoints from the backend."""

    def __init__(self, backend: ExportBackend) -> None:
        self.backend = backend
        self._handlers: dict[str, Handler] = {
            "truth": self.truth,
            "export_truth": self.export_truth,
            "stats": self.stats,
            "clock": self.clock,
            "move_clock": self.move_clock,
            "faults": self.faults,
            "replace_faults": self.replace_faults,
            "truth_records": self.truth_records,
            "erasures": self.erasures,
            "erase": self.erase,
            "erased": self.erased,
        }

    def handle(self, request: Request) -> Response:
        """Answer one control request."""
        try:
            route, _params = resolve(CONTROL_ROUTES, request.method, request.path)
        except ApiError:
            message = f"no control endpoint {request.path}"
            return Response.json(404, {"error": "not_found", "message": message})
        try:
            return self._handlers[route.name](request)
        except ApiError as error:
            return Response.json(error.status, {"error": error.code, "message": error.message})
        except (ValueError, TypeError, orjson.JSONDecodeError) as error:
            return Response.json(400, {"error": "bad_request", "message": str(error)})

    def truth(self, request: Request) -> Response:
        """Every activity existing now, at its latest version."""
        rows = self.backend.ground_truth(
            _optional_date(request.query, "activity_from"),
            _optional_date(request.query, "activity_to"),
            request.query.get("activity_type", "all"),
            as_of=_optional_time(request.query, "as_of"),
        )
        return Response.json(200, truth_document(rows))

    def truth_records(self, request: Request) -> Response:
        """The full record of every activity existing now (or ``as_of``), as served."""
        documented = request.query.get("documented_types", "false").lower() in ("1", "true")
        records = self.backend.truth_records(
            _optional_time(request.query, "as_of"),
            _optional_date(request.query, "activity_from"),
            _optional_date(request.query, "activity_to"),
            request.query.get("activity_type", "all"),
            documented_types=documented,
        )
        return Response.json(200, {"count": len(records), "records": list(records.values())})

    def erasures(self, request: Request) -> Response:
        """Every erasure, configured or added at runtime."""
        return Response.json(
            200, {"erasures": [erasure.document() for erasure in self.backend.erasures()]}
        )

    def erase(self, request: Request) -> Response:
        """Add an erasure: ``{"uids": [...], "user_ids": [...], "at": iso}`` (``at``: now)."""
        command = orjson.loads(request.body or b"{}")
        if not isinstance(command, dict) or set(command) - {"uids", "user_ids", "at"}:
            raise ValueError('send {"uids": [...], "user_ids": [...], "at": "<iso>"} (at optional)')
        uids, users = command.get("uids", []), command.get("user_ids", [])
        if not isinstance(uids, list) or not isinstance(users, list):
            raise ValueError("uids and user_ids must be lists")
        at = command.get("at")
        erasure = self.backend.erase(uids, users, None if at is None else _instant(str(at)))
        return Response.json(200, erasure.document())

    def erased(self, request: Request) -> Response:
        """uid -> erasure time of the activities erased now (or ``as_of``)."""
        erased = self.backend.erased(_optional_time(request.query, "as_of"))
        document = {uid: _truth_time(at) for uid, at in erased.items()}
        return Response.json(200, {"count": len(document), "erased": document})

    def export_truth(self, request: Request) -> Response:
        """What an export with the query's parameters, created now, holds."""
        rows = self.backend.export_truth(
            request.query.get("export_type", ""),
            request.query.get("start_date", ""),
            request.query.get("end_date", ""),
            request.query.get("activity_type", "all"),
        )
        return Response.json(200, truth_document(rows))

    def stats(self, request: Request) -> Response:
        """The counters."""
        return Response.json(200, self.backend.stats())

    def clock(self, request: Request) -> Response:
        """The sandbox clock."""
        clock = self.backend.clock
        return Response.json(
            200,
            {
                "now": clock.now().strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
                "frozen": clock.frozen,
                "offset_seconds": clock.offset.total_seconds(),
            },
        )

    def move_clock(self, request: Request) -> Response:
        """Move the clock by ``advance_days``, ``advance_seconds``, or ``set`` it to an instant."""
        command = orjson.loads(request.body or b"{}")
        if not isinstance(command, dict) or len(command) != 1:
            raise ValueError(
                'send one of {"advance_days": n}, {"advance_seconds": s}, {"set": iso}'
            )
        ((name, value),) = command.items()
        clock = self.backend.clock
        if name == "advance_days":
            clock.advance(timedelta(days=float(value)))
        elif name == "advance_seconds":
            clock.advance(timedelta(seconds=float(value)))
        elif name == "set":
            clock.set(_instant(str(value)))
        else:
            raise ValueError(f"unknown clock command {name!r}")
        return self.clock(request)

    def faults(self, request: Request) -> Response:
        """The fault settings in force."""
        return Response.json(200, asdict(self.backend.faults))

    def replace_faults(self, request: Request) -> Response:
        """Replace the fault settings (unset fields go back to their defaults)."""
        self.backend.set_faults(Faults.from_mapping(orjson.loads(request.body or b"{}")))
        return self.faults(request)


def _optional_date(query: Mapping[str, str], name: str) -> date | None:
    value = query.get(name)
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise ApiError(400, "bad_request", f"{name} must be yyyy-MM-dd, not {value!r}") from None


def _instant(value: str) -> datetime:
    parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=timezone.utc)


def _optional_time(query: Mapping[str, str], name: str) -> datetime | None:
    value = query.get(name)
    if not value:
        return None
    try:
        return _instant(value)
    except ValueError:
        raise ApiError(
            400, "bad_request", f"{name} must be an ISO 8601 time, not {value!r}"
        ) from None
