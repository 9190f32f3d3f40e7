"""Start a sandbox in-process for tests: ``with run_sandbox(config) as sandbox: ...``."""

from __future__ import annotations

import json
import urllib.parse
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import Any

from peopleai_sandbox.models.backend import ExportBackend
from peopleai_sandbox.models.clock import SandboxClock
from peopleai_sandbox.server import SandboxServer
from peopleai_sandbox.settings.config import SandboxConfig
from peopleai_sandbox.settings.faults import Faults


class RunningSandbox:
    """A sandbox serving on loopback: its URLs, credentials, backend and clock."""

    def __init__(self, server: SandboxServer) -> None:
        self._server: SandboxServer | None = server
        self.config: SandboxConfig = server.config
        self.backend: ExportBackend = server.backend
        self.clock: SandboxClock = server.backend.clock
        self.host: str = server.host
        self.port: int = server.port
        self.url: str = server.url
        self.storage_url: str | None = server.storage_url
        self.client_id: str = server.config.client_id
        self.client_secret: str = server.config.client_secret
        # Erase activities (by uid) and users' activities (by peopleai_id) from a time on.
        self.erase = server.backend.erase

    @property
    def token_url(self) -> str:
        """Absolute URL of the token endpoint."""
        return f"{self.url}/auth/v1/tokens"

    @property
    def jobs_url(self) -> str:
        """Absolute URL of the export jobs collection."""
        return f"{self.url}/pull/v1/export/activities/jobs"

    def access_token(self) -> str:
        """A fresh bearer token for the sandbox's credentials, to call its API directly."""
        form = urllib.parse.urlencode(
            {
                "grant_type": "client_credentials",
                "client_id": self.client_id,
                "client_secret": self.client_secret,
            }
        ).encode()
        with urllib.request.urlopen(self.token_url, data=form, timeout=30) as answer:  # noqa: S310 - our own http URL
            return str(json.loads(answer.read())["access_token"])

    def advance(self, days: float = 0, seconds: float = 0) -> None:
        """Move the sandbox clock forward."""
        self.clock.advance(timedelta(days=days, seconds=seconds))

    def set_faults(self, faults: Faults | None = None, **settings: Any) -> None:
        """Replace the fault settings at runtime (a Faults object, or its fields by name)."""
        self.backend.set_faults(faults if faults is not None else Faults(**settings))

    def stop(self) -> None:
        """Stop serving and delete rendered files (idempotent)."""
        if self._server is not None:
            server, self._server = self._server, None
            server.stop()

    def __repr__(self) -> str:
        return f"RunningSandbox(url={self.url!r})"


def start_sandbox(
    config: SandboxConfig | None = None, host: str = "127.0.0.1", port: int = 0
) -> RunningSandbox:
    """Start a sandbox in background threads; the caller must ``stop()`` it."""
    server = SandboxServer(config, host=host, port=port)
    server.start()
    return RunningSandbox(server)


@contextmanager
def run_sandbox(config: SandboxConfig | None = None) -> Iterator[RunningSandbox]:
    """Run a sandbox on 127.0.0.1 on an ephemeral port for the duration of the block."""
    sandbox = start_sandbox(config)
    try:
        yield sandbox
    finally:
        sandbox.stop()
