"""The values passed between the HTTP server and the request handlers.

A handler gets a parsed ``Request`` and returns a ``Response`` (a complete body) or a
``Download`` (a body streamed from fragment files); only the server touches sockets.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from email.message import Message
from typing import TYPE_CHECKING, Any

import orjson

if TYPE_CHECKING:
    from peopleai_sandbox.models.downloads import DownloadPlan


@dataclass(frozen=True)
class Request:
    """One HTTP request: method, path, the query (last value of each name), headers, body."""

    method: str
    path: str
    query: Mapping[str, str]
    headers: Message[str, str]
    body: bytes

    def header(self, name: str) -> str | None:
        """A header's value, or None (names are case-insensitive in the server's mapping)."""
        value = self.headers.get(name)
        return None if value is None else str(value)

    @property
    def content_type(self) -> str:
        """The media type of the body, lower case, without parameters."""
        return (self.header("Content-Type") or "").split(";")[0].strip().lower()


@dataclass
class Response:
    """A complete answer, sent with Content-Length; ``close`` hangs up after it.

    ``declared_length`` announces another Content-Length than the body's (a spoiled answer):
    ``None`` is the body's length, ``-1`` none at all (the body ends when the server hangs up).
    """

    status: int
    body: bytes = b""
    content_type: str = "application/json"
    headers: dict[str, str] = field(default_factory=dict)
    close: bool = False
    declared_length: int | None = None

    @classmethod
    def json(cls, status: int, value: Any, headers: dict[str, str] | None = None) -> Response:
        """A JSON answer."""
        return cls(status, orjson.dumps(value), "application/json", dict(headers or {}))


@dataclass(frozen=True)
class Download:
    """An answer whose body is a job's data, streamed from its fragment files."""

    plan: DownloadPlan
