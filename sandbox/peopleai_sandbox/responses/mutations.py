"""Answers spoiled on purpose: a generic "mutate this answer" hook for property-based tests.

A ``Mutation`` (``settings.mutations``) names a route and which of its requests it strikes (the
``at``-th, counted from sandbox start or from the last change of the fault settings, for
``times`` requests), and how the answer is spoiled: another status, headers set or removed,
JSON keys set to values of any type or removed, the body cut to a fraction with an honest or a
lying ``Content-Length``, gzip-encoded whole or stopped at a flush point, or reached through
redirect hops. Mutations only spoil answers: the data universe, and so the ground truth, never
changes.

A mutated download is built in memory (tests keep exports small).
"""

from __future__ import annotations

import threading
import zlib
from collections.abc import Callable

import orjson

from peopleai_sandbox.responses.messages import Response
from peopleai_sandbox.settings.mutations import Mutation


def mutated_body(mutation: Mutation, body: bytes) -> bytes:
    """The body with the JSON edits applied (non-JSON bodies are left alone)."""
    if not (mutation.json_set or mutation.json_drop):
        return body
    try:
        document = orjson.loads(body)
    except orjson.JSONDecodeError:
        return body
    objects = document if isinstance(document, list) else [document]
    for item in objects:
        if isinstance(item, dict):
            for key in mutation.json_drop:
                item.pop(key, None)
            for key, value in mutation.json_set:
                item[key] = value
    return orjson.dumps(document)


def cut_body(body: bytes, fraction: float | None) -> bytes:
    """The first ``fraction`` of the body's bytes."""
    return body if fraction is None else body[: int(len(body) * fraction)]


def gzip_body(body: bytes, finish: bool) -> bytes:
    """``body`` gzip-encoded; unfinished: stopped at a flush point, without the gzip trailer,
    so that everything sent decodes."""
    compressor = zlib.compressobj(6, zlib.DEFLATED, 31)
    data = compressor.compress(body)
    return data + compressor.flush(zlib.Z_FINISH if finish else zlib.Z_SYNC_FLUSH)


def mutate(mutation: Mutation, answer: Response) -> Response:
    """The answer as the mutation spoils it (redirect hops are the caller's business)."""
    body = mutated_body(mutation, answer.body)
    original = len(body)
    body = cut_body(body, mutation.cut)
    headers = dict(answer.headers)
    if mutation.gzip != "no":
        body = gzip_body(body, finish=mutation.gzip == "whole")
        headers["Content-Encoding"] = "gzip"
    content_type = answer.content_type
    for name, value in mutation.headers:
        if name.lower() == "content-type":
            content_type = value  # empty: none (the server leaves an empty one out)
            continue
        headers = {k: v for k, v in headers.items() if k.lower() != name.lower()}
        if value:
            headers[name] = value
    spoiled = Response(
        mutation.status if mutation.status is not None else answer.status,
        body,
        content_type,
        headers,
        close=answer.close,
    )
    if mutation.length == "original" and original > len(body):
        spoiled.declared_length = original  # then the server hangs up: a dropped connection
        spoiled.close = True
    elif mutation.length == "none":
        spoiled.declared_length = -1
        spoiled.close = True
    return spoiled


class Mutator:
    """Counts requests per route and finds the mutation, if any, of each."""

    def __init__(self, mutations: Callable[[], tuple[Mutation, ...]]) -> None:
        self._mutations = mutations
        self._lock = threading.Lock()
        self._seen: tuple[Mutation, ...] | None = None
        self._counts: dict[str, int] = {}

    def next_request(self, route: str) -> Mutation | None:
        """Count one request of ``route``; the mutation that strikes it, if any."""
        mutations = self._mutations()
        with self._lock:
            if mutations is not self._seen:  # new settings: count from here
                self._seen = mutations
                self._counts = {}
            number = self._counts.get(route, 0) + 1
            self._counts[route] = number
        return next((m for m in mutations if m.route == route and m.strikes(number)), None)
