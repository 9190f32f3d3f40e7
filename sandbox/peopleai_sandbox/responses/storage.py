"""The storage origin of redirected downloads: presigned URLs, and answers like object storage's.

With ``Variants.redirect_downloads`` the API answers ``/data`` with a 302 to a URL on a second
server (another port: another origin). The URL is signed (HMAC) and dated; like a presigned
object-storage URL it is refused with an ``Authorization`` header, a bad signature, or once
``PRESIGN_EXPIRES_SECONDS`` have passed by either the real or the sandbox clock.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import threading
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from urllib.parse import quote

from peopleai_sandbox.errors import ApiError
from peopleai_sandbox.models.clock import SandboxClock
from peopleai_sandbox.models.downloads import DownloadPlan
from peopleai_sandbox.models.stats import Counters
from peopleai_sandbox.responses.error_bodies import xml_error
from peopleai_sandbox.responses.faults import FaultInjector
from peopleai_sandbox.responses.messages import Download, Request, Response

STORAGE_BUCKET = "peopleai-exports"
PRESIGN_EXPIRES_SECONDS = 300


class Presigner:
    """Signs and checks storage URLs of download plans."""

    def __init__(self, clock: SandboxClock) -> None:
        self._clock = clock
        self._key = secrets.token_bytes(32)
        self._lock = threading.Lock()
        self._issued: dict[str, float] = {}  # signature -> monotonic time it was issued

    def url(self, base_url: str, plan: DownloadPlan) -> str:
        """A presigned-looking storage URL for a plan; it expires after a few minutes."""
        if plan.whole:
            part = "all"
        elif plan.fragment_index is None:
            part = "first"
        else:
            part = f"fragment-{plan.fragment_index}"
        key = f"/{STORAGE_BUCKET}/{quote(str(plan.job.public_id), safe='')}/{part}.jsonl"
        stamp = self._clock.now().strftime("%Y%m%dT%H%M%SZ")
        signature = self._sign(key, stamp)
        with self._lock:
            now = time.monotonic()
            self._issued = {
                sig: at for sig, at in self._issued.items() if now - at < PRESIGN_EXPIRES_SECONDS
            }
            self._issued[signature] = now
        credential = quote(f"AKIASANDBOX/{stamp[:8]}/us-east-1/s3/aws4_request", safe="")
        return (
            f"{base_url}{key}?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential="
            f"{credential}&X-Amz-Date={stamp}&X-Amz-Expires={PRESIGN_EXPIRES_SECONDS}"
            f"&X-Amz-SignedHeaders=host&X-Amz-Signature={signature}"
        )

    def signature_matches(self, key: str, stamp: str, signature: str) -> bool:
        """Whether ``signature`` is the one this presigner gives ``key`` at ``stamp``."""
        return hmac.compare_digest(signature, self._sign(key, stamp))

    def expired(self, stamp: str, signature: str) -> bool:
        """Whether a URL signed at ``stamp`` is past its lifetime, by either clock."""
        with self._lock:
            issued = self._issued.get(signature)
        try:
            signed_at = datetime.strptime(stamp, "%Y%m%dT%H%M%SZ").replace(
                tzinfo=self._clock.now().tzinfo
            )
        except ValueError:
            return True
        if self._clock.now() - signed_at > timedelta(seconds=PRESIGN_EXPIRES_SECONDS):
            return True
        return issued is None or time.monotonic() - issued > PRESIGN_EXPIRES_SECONDS

    def _sign(self, key: str, stamp: str) -> str:
        message = f"{key}\n{stamp}\n{PRESIGN_EXPIRES_SECONDS}".encode()
        return hmac.new(self._key, message, hashlib.sha256).hexdigest()


class StorageResponses:
    """Answers GETs on the storage origin like a presigned object-storage URL does."""

    def __init__(
        self,
        presigner: Presigner,
        plan_download: Callable[[str, str | None], DownloadPlan],
        injector: FaultInjector,
        counters: Counters,
    ) -> None:
        self._presigner = presigner
        self._plan_download = plan_download
        self._injector = injector
        self._counters = counters

    def handle(self, request: Request) -> Response | Download:
        """One request to the storage origin."""
        if request.method != "GET":
            return xml_error(405, "MethodNotAllowed", "The specified method is not allowed.")
        self._counters.count("storage_requests")
        if request.header("Authorization"):
            return xml_error(
                400,
                "InvalidArgument",
                "Only one auth mechanism allowed; only the X-Amz-Algorithm query parameter, "
                "Signature query string parameter or the Authorization header should be specified",
            )
        path = request.path
        stamp = request.query.get("X-Amz-Date", "")
        signature = request.query.get("X-Amz-Signature", "")
        if not self._presigner.signature_matches(path, stamp, signature):
            return xml_error(
                403,
                "SignatureDoesNotMatch",
                "The request signature we calculated does not match the signature you provided.",
            )
        if self._presigner.expired(stamp, signature):
            return xml_error(403, "AccessDenied", "Request has expired")
        injected = self._injector.http_error("storage", path, storage=True)
        if injected is not None:
            return injected
        parts = path.split("/")
        try:
            job_id, part = parts[2], parts[3].removesuffix(".jsonl")
            if part in {"all", "first"}:
                plan = self._plan_download(job_id, None)
            else:
                plan = self._plan_download(job_id, part.removeprefix("fragment-"))
        except (ApiError, IndexError):
            return xml_error(404, "NoSuchKey", "The specified key does not exist.")
        return Download(plan)
