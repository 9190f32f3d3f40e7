"""Redirect chains on the API origin: hops to the answer, endless ones, and an empty last 302.

A download may be redirected (object storage, a CDN): the client follows ``Location`` without
its bearer token. The faults ``endless_redirect_rate`` and ``empty_redirect_rate`` and a
mutation's ``redirects`` answer ``/data`` (or any route) with a 302 to ``/_hops/{chain}/1``;
each hop answers the next 302, until the chain ends in the real answer, never ends, or ends in
a 302 with an empty body and no ``Location``. Like presigned storage URLs, hops refuse a request
that carries ``Authorization``.
"""

from __future__ import annotations

import itertools
import re
import threading
from dataclasses import dataclass

from peopleai_sandbox.responses.error_bodies import xml_error
from peopleai_sandbox.responses.messages import Download, Request, Response

HOPS_PREFIX = "/_hops/"
_HOP_PATH = re.compile(r"/_hops/(?P<chain>\d+)/(?P<hop>\d+)")
CHAIN_KINDS = ("answer", "endless", "empty")


@dataclass(frozen=True)
class Chain:
    """Where a redirect chain leads: ``answer`` after ``hops`` hops, nowhere, or an empty 302."""

    kind: str
    hops: int
    answer: Response | Download | None = None


class RedirectChains:
    """The chains handed out, and the answer of each hop."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._serial = itertools.count(1)
        self._chains: dict[int, Chain] = {}

    def start(self, chain: Chain) -> Response:
        """The first redirect of a new chain."""
        with self._lock:
            key = next(self._serial)
            self._chains[key] = chain
        return _redirect(key, 1)

    def handle(self, request: Request) -> Response | Download:
        """One hop of a chain."""
        if request.header("Authorization"):
            return xml_error(
                400, "InvalidArgument", "A redirect target must not receive an Authorization header"
            )
        match = _HOP_PATH.fullmatch(request.path)
        with self._lock:
            chain = self._chains.get(int(match["chain"])) if match else None
        if match is None or chain is None:
            return xml_error(404, "NoSuchKey", "The specified key does not exist.")
        hop = int(match["hop"])
        if chain.kind == "endless" or hop < chain.hops:
            return _redirect(int(match["chain"]), hop + 1)
        if chain.kind == "empty" or chain.answer is None:
            return Response(302, b"", "text/plain")
        return chain.answer


def _redirect(chain: int, hop: int) -> Response:
    # relative, as RFC 9110 allows: the client resolves it against the URL it asked
    return Response(302, b"", "text/plain", {"Location": f"{HOPS_PREFIX}{chain}/{hop}"})
