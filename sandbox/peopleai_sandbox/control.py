"""The control endpoints under ``/_sandbox/``: truth, stats, clock, faults.

They need no token, are never faulted and are not counted, so a test can look and steer
without changing what it measures. Errors always have the simple ``{error, message}`` shape.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import asdict
from datetime import date, datetime, timedelta
from typing import Any

import orjson

from .backend import ExportBackend
from .config import Faults
from .data import TruthRow
from .errors import ApiError
from .messages import Request, Response
from .urls import CONTROL_ROUTES, resolve

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
        )
        return Response.json(200, truth_document(rows))

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
            clock.set(datetime.fromisoformat(str(value).replace("Z", "+00:00")))
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
