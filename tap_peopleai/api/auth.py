"""Credentials: tokens renewed before they expire (each one registered with the redactor)."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

import requests

from tap_peopleai.errors import AuthenticationError

if TYPE_CHECKING:
    from tap_peopleai.api.redaction import SecretRedactor

TOKEN_PATH = "/auth/v1/tokens"  # noqa: S105 - a path, not a password
# A token is renewed once this share of its lifetime has passed, long before the API rejects it.
TOKEN_REFRESH_SHARE = 0.8

T = TypeVar("T")


class TokenTransport(Protocol):
    """What the token provider sends its requests through (transport.py's ``ApiTransport``)."""

    @property
    def redactor(self) -> SecretRedactor:
        """Where each new token is registered as a secret."""
        ...

    def send(self, method: str, path: str, **request: Any) -> requests.Response:
        """One request to an API path."""
        ...

    def raise_for_status(self, response: requests.Response, doing: str) -> None:
        """A readable ApiError unless the response succeeded."""
        ...

    def with_retries(self, call: Callable[[], T], doing: str) -> T:
        """``call`` with the API's retries."""
        ...


class TokenProvider:
    """Bearer tokens: a configured one, or client-credentials tokens renewed before they expire."""

    def __init__(
        self,
        transport: TokenTransport,
        client_id: str | None,
        client_secret: str | None,
        access_token: str | None,
    ) -> None:
        self._transport = transport
        self._client_id = client_id
        self._client_secret = client_secret
        self._static_token = access_token
        self._token: str | None = None
        self._renew_at = 0.0
        self._lock = threading.Lock()

    @property
    def can_refresh(self) -> bool:
        """Whether a rejected token can be replaced by a fresh one."""
        return bool(self._client_id and self._client_secret)

    def token(self) -> str:
        """A token valid for a while yet."""
        with self._lock:
            if self.can_refresh:
                if self._token is None or time.monotonic() >= self._renew_at:
                    self._fetch()
                assert self._token is not None
                return self._token
            assert self._static_token is not None
            return self._static_token

    def invalidate(self, token: str) -> None:
        """Forget ``token`` after the API rejected it, so the next call fetches another."""
        with self._lock:
            if token == self._token:
                self._token = None

    def _fetch(self) -> None:
        data = {
            "grant_type": "client_credentials",
            "client_id": self._client_id,
            "client_secret": self._client_secret,
        }

        def post() -> requests.Response:
            response = self._transport.send("POST", TOKEN_PATH, data=data)
            if response.status_code in (401, 403):
                msg = (
                    f"The API rejected the credentials (HTTP {response.status_code} from "
                    f"{TOKEN_PATH}). Check `client_id` and `client_secret`, and that the key is an "
                    "*Activity* API key (People.ai: Settings → API Key Management), not one for "
                    "another API type."
                )
                raise AuthenticationError(msg)
            self._transport.raise_for_status(response, "requesting an access token")
            return response

        response = self._transport.with_retries(
            post, f"requesting an access token from {TOKEN_PATH}"
        )
        try:
            body = response.json()
            token = str(body["access_token"])
            lifetime = float(body.get("expires_in") or 3600)
        except (ValueError, KeyError, TypeError) as exc:
            msg = (
                f"The token endpoint {TOKEN_PATH} answered HTTP {response.status_code} without an "
                "`access_token`. Check `api_url` points at the People.ai API."
            )
            raise AuthenticationError(msg) from exc
        self._transport.redactor.add(token)
        self._token = token
        self._renew_at = time.monotonic() + lifetime * TOKEN_REFRESH_SHARE
