"""The route tables: method and path pattern -> the name of the handler that answers.

As in moto's ``urls.py``, the tables are data: ``resolve`` finds a request's route and its path
parameters, and the response classes map names to their methods. A route's name also names its
stream of fault draws (``http_<name>``), so renaming one changes which requests a seed faults.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field

from peopleai_sandbox.errors import ApiError

TOKEN_PATH = "/auth/v1/tokens"  # noqa: S105 - a URL path, not a password
JOBS_PATH = "/pull/v1/export/activities/jobs"
CONTROL_PREFIX = "/_sandbox/"


@dataclass(frozen=True)
class Route:
    """One method and path pattern (a regular expression matched whole) and its handler."""

    method: str
    pattern: str
    name: str
    regex: re.Pattern[str] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "regex", re.compile(self.pattern))


_JOB_ID = r"(?P<job_id>[^/]+)"

API_ROUTES = (
    Route("POST", re.escape(TOKEN_PATH), "token"),
    Route("POST", re.escape(JOBS_PATH), "create"),
    Route("GET", re.escape(JOBS_PATH), "list"),
    Route("GET", re.escape(JOBS_PATH) + "/" + _JOB_ID, "status"),
    Route("GET", re.escape(JOBS_PATH) + "/" + _JOB_ID + "/data", "data"),
)

CONTROL_ROUTES = (
    Route("GET", "/_sandbox/truth", "truth"),
    Route("GET", "/_sandbox/export-truth", "export_truth"),
    Route("GET", "/_sandbox/stats", "stats"),
    Route("GET", "/_sandbox/clock", "clock"),
    Route("POST", "/_sandbox/clock", "move_clock"),
    Route("GET", "/_sandbox/faults", "faults"),
    Route("POST", "/_sandbox/faults", "replace_faults"),
    Route("GET", "/_sandbox/truth-records", "truth_records"),
    Route("GET", "/_sandbox/erasures", "erasures"),
    Route("POST", "/_sandbox/erasures", "erase"),
    Route("GET", "/_sandbox/erased", "erased"),
)


def resolve(routes: tuple[Route, ...], method: str, path: str) -> tuple[Route, Mapping[str, str]]:
    """The route of a request and its path parameters; a 404 ApiError if none matches.

    Unknown paths and unsupported methods (HEAD included) are 404s, as the vendor documents.
    """
    for route in routes:
        if route.method != method:
            continue
        match = route.regex.fullmatch(path)
        if match:
            return route, match.groupdict()
    raise ApiError(404, "not_found", f"no resource at {method} {path}")
