"""A small People.ai API client over real HTTP, for the sandbox's own tests."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import datetime, timezone
from typing import Any

import orjson
import requests

from peopleai_sandbox import RunningSandbox, TruthRow


def job_body(
    start: str = "2025-02-01",
    end: str = "2025-02-03",
    export_type: str = "snapshot",
    activity_type: str = "all",
    output_format: str = "JSONLines",
) -> dict[str, str]:
    """A job creation body (a small snapshot by default)."""
    return {
        "start_date": start,
        "end_date": end,
        "activity_type": activity_type,
        "export_type": export_type,
        "output_format": output_format,
    }


class ApiClient:
    """Talks to a sandbox the way a tap does: token, jobs, polling, downloads."""

    def __init__(self, sandbox: RunningSandbox) -> None:
        self.sandbox = sandbox
        self.session = requests.Session()
        self.token = ""

    def close(self) -> None:
        """Close the HTTP session."""
        self.session.close()

    def get_token(self, secret: str | None = None) -> requests.Response:
        """Ask the token endpoint (with the right secret unless one is given)."""
        return self.session.post(
            self.sandbox.token_url,
            data={
                "grant_type": "client_credentials",
                "client_id": self.sandbox.client_id,
                "client_secret": self.sandbox.client_secret if secret is None else secret,
            },
        )

    def login(self) -> str:
        """Get a token and use it for every later call."""
        answer = self.get_token()
        assert answer.status_code == 200, answer.text
        self.token = answer.json()["access_token"]
        return self.token

    @property
    def auth(self) -> dict[str, str]:
        """The Authorization header of the current token."""
        return {"Authorization": f"Bearer {self.token}"}

    def post_job(self, body: Any = None, **kwargs: Any) -> requests.Response:
        """POST a job creation body (JSON)."""
        return self.session.post(
            self.sandbox.jobs_url,
            json=job_body() if body is None else body,
            headers=self.auth,
            **kwargs,
        )

    def create(self, **body: str) -> dict[str, Any]:
        """Create a job and return its document."""
        answer = self.post_job(job_body(**body))
        assert answer.status_code == 200, answer.text
        document: dict[str, Any] = answer.json()
        return document

    def status(self, job_id: Any) -> requests.Response:
        """GET one job."""
        return self.session.get(f"{self.sandbox.jobs_url}/{job_id}", headers=self.auth)

    def list_jobs(self) -> list[dict[str, Any]]:
        """GET the job list."""
        answer = self.session.get(self.sandbox.jobs_url, headers=self.auth)
        assert answer.status_code == 200, answer.text
        jobs: list[dict[str, Any]] = answer.json()
        return jobs

    def wait(self, job_id: Any, timeout: float = 20.0) -> dict[str, Any]:
        """Poll a job until it leaves Queued/Running."""
        deadline = time.monotonic() + timeout
        while True:
            answer = self.status(job_id)
            assert answer.status_code == 200, answer.text
            document: dict[str, Any] = answer.json()
            if document["state"] not in ("Queued", "Running"):
                return document
            assert time.monotonic() < deadline, f"job {job_id} still {document['state']}"
            time.sleep(0.01)

    def run(self, **body: str) -> dict[str, Any]:
        """Create a job and wait for it to end."""
        return self.wait(self.create(**body)["job_id"])

    def data(
        self, job_id: Any, fragment: int | str | None = None, **kwargs: Any
    ) -> requests.Response:
        """GET a job's data, or one fragment."""
        url = f"{self.sandbox.jobs_url}/{job_id}/data"
        if fragment is not None:
            url += f"?fragment={fragment}"
        return self.session.get(url, headers=self.auth, **kwargs)


def records_of(content: bytes) -> list[dict[str, Any]]:
    """Parse a JSON Lines body (tolerating no noise)."""
    return [orjson.loads(line) for line in content.splitlines() if line]


def fragment_total(document: dict[str, Any], field: str = "fragment", value: str = "count") -> int:
    """Number of fragments a job document announces."""
    announced = int(document.get(field, 0))
    return announced if value == "count" else announced + 1


MakeClient = Callable[..., ApiClient]


def parse_time(value: str) -> datetime:
    """Parse a record timestamp (``Z``, naive or fractional) as UTC."""
    parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=timezone.utc)


def observed_rows(records: list[dict[str, Any]]) -> dict[str, tuple[str, datetime, datetime]]:
    """uid -> (type, timestamp, ingest_timestamp) of downloaded records."""
    rows = {
        record["uid"]: (
            record["type"],
            parse_time(record["timestamp"]),
            parse_time(record["ingest_timestamp"]),
        )
        for record in records
    }
    assert len(rows) == len(records), "a uid appears twice in one export"
    return rows


def truth_rows(truth: dict[str, TruthRow]) -> dict[str, tuple[str, datetime, datetime]]:
    """uid -> (type, timestamp, ingest_timestamp) of ground truth rows."""
    return {uid: (row.type, row.timestamp, row.ingest_timestamp) for uid, row in truth.items()}
