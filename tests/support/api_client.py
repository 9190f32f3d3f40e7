"""A small People.ai API client over real HTTP: the sandbox's tests, and other tools on a queue."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import IO, Any

import orjson
import requests

from peopleai_sandbox import RunningSandbox


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

    def wait(self, job_id: Any, timeout: float = 20.0, poll: float = 0.01) -> dict[str, Any]:
        """Poll a job every ``poll`` seconds until it leaves Queued/Running."""
        deadline = time.monotonic() + timeout
        while True:
            answer = self.status(job_id)
            assert answer.status_code == 200, answer.text
            document: dict[str, Any] = answer.json()
            if document["state"] not in ("Queued", "Running"):
                return document
            assert time.monotonic() < deadline, f"job {job_id} still {document['state']}"
            time.sleep(poll)

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

    def save(self, job_id: Any, fragment: int | None, sink: IO[bytes]) -> int:
        """Stream a job's data (or one fragment) into ``sink``, 1 MiB at a time: bytes written."""
        size = 0
        with self.data(job_id, fragment, stream=True, timeout=60) as answer:
            answer.raise_for_status()
            for chunk in answer.iter_content(1 << 20):
                sink.write(chunk)
                size += len(chunk)
        return size


def records_of(content: bytes) -> list[dict[str, Any]]:
    """Parse a JSON Lines body (tolerating no noise)."""
    return [orjson.loads(line) for line in content.splitlines() if line]


def fragment_total(document: dict[str, Any], field: str = "fragment", value: str = "count") -> int:
    """Number of fragments a job document announces."""
    announced = int(document.get(field, 0))
    return announced if value == "count" else announced + 1


MakeClient = Callable[..., ApiClient]


def create_job_as_another_tool(
    sandbox: RunningSandbox, export_type: str, start: str, end: str
) -> requests.Response:
    """Create an export job straight through the API, as another tool sharing the queue would."""
    api = ApiClient(sandbox)
    try:
        api.login()
        return api.post_job(job_body(start, end, export_type), timeout=5)
    finally:
        api.close()
