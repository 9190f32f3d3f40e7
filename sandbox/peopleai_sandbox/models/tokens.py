"""OAuth2 client-credentials tokens: issuing, checking, expiry by real or sandbox time."""

from __future__ import annotations

import base64
import math
import secrets
import threading
from collections import deque
from collections.abc import Mapping
from datetime import datetime
from typing import Any

import orjson

from peopleai_sandbox.errors import ApiError
from peopleai_sandbox.models.clock import SandboxClock
from peopleai_sandbox.models.stats import Counters

# A soak test issues thousands of tokens: past this many, expired ones are forgotten.
_TOKENS_KEPT = 1000


class TokenStore:
    """The tokens issued so far; a token expires after ``ttl`` seconds of either clock."""

    def __init__(
        self,
        client_id: str,
        client_secret: str,
        ttl_seconds: float,
        clock: SandboxClock,
        counters: Counters,
    ) -> None:
        self._client_id = client_id
        self._client_secret = client_secret
        self._ttl = ttl_seconds
        self._clock = clock
        self._counters = counters
        self._lock = threading.Lock()
        self._issued: dict[str, tuple[float, datetime]] = {}
        # Every token handed out (the last thousand), expired or not: what must never leak.
        self._history: deque[str] = deque(maxlen=_TOKENS_KEPT)

    def issue(
        self, form: Mapping[str, str], basic: tuple[str, str] | None = None
    ) -> dict[str, Any]:
        """Answer a client-credentials request (form fields, or HTTP Basic credentials)."""
        grant_type = form.get("grant_type")
        if grant_type is None:
            raise ApiError(400, "invalid_request", "grant_type is required")
        if grant_type != "client_credentials":
            raise ApiError(400, "unsupported_grant_type", "grant_type must be client_credentials")
        client_id, client_secret = basic or (form.get("client_id"), form.get("client_secret"))
        if not client_id or not client_secret:
            raise ApiError(400, "invalid_request", "client_id and client_secret are required")
        if not (
            # As bytes: compare_digest refuses text with non-ASCII characters.
            secrets.compare_digest(client_id.encode(), self._client_id.encode())
            and secrets.compare_digest(client_secret.encode(), self._client_secret.encode())
        ):
            self._counters.count("auth_failures")
            raise ApiError(401, "invalid_client", "client authentication failed")
        issued = self._clock.now()
        token = _jwt_like(client_id, issued, self._ttl)
        with self._lock:
            if len(self._issued) >= _TOKENS_KEPT:
                self._issued = {
                    key: value for key, value in self._issued.items() if not self._expired(value)
                }
            self._issued[token] = (self._clock.real_seconds(), issued)
            self._history.append(token)
        self._counters.count("tokens_issued")
        return {"access_token": token, "token_type": "bearer", "expires_in": math.ceil(self._ttl)}

    def issued(self) -> list[str]:
        """Every token issued, of the last thousand (ground truth for tests of their secrecy)."""
        with self._lock:
            return list(self._history)

    def authenticate(self, authorization: str | None) -> None:
        """Check an ``Authorization`` header; raise a 401 ApiError unless it holds a live token."""
        scheme, _, token = (authorization or "").partition(" ")
        token = token.strip()
        if scheme.lower() != "bearer" or not token:
            self._counters.count("auth_failures")
            raise ApiError(401, "unauthorized", "missing bearer token")
        with self._lock:
            issued = self._issued.get(token)
            expired = issued is not None and self._expired(issued)
            if expired:
                del self._issued[token]
        if issued is None:
            self._counters.count("auth_failures")
            raise ApiError(401, "unauthorized", "invalid access token")
        if expired:
            self._counters.count("auth_failures")
            raise ApiError(401, "unauthorized", "access token expired")

    def _expired(self, issued: tuple[float, datetime]) -> bool:
        issued_mono, issued_at = issued
        if self._clock.real_seconds() - issued_mono >= self._ttl:
            return True
        return (self._clock.now() - issued_at).total_seconds() >= self._ttl


def _jwt_like(client_id: str, issued: datetime, ttl: float) -> str:
    """An opaque token shaped like a JWT, as the real service issues; only its identity matters."""

    def encode(value: dict[str, Any]) -> str:
        return base64.urlsafe_b64encode(orjson.dumps(value)).rstrip(b"=").decode()

    header = encode({"alg": "HS256", "typ": "JWT"})
    issued_at = int(issued.timestamp())
    payload = encode(
        {
            "sub": client_id,
            "iat": issued_at,
            "exp": issued_at + math.ceil(ttl),
            "jti": secrets.token_hex(8),
        }
    )
    return f"{header}.{payload}.{secrets.token_urlsafe(32)}"
