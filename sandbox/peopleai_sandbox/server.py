"""HTTP layer: the API server, the storage server for redirected downloads, control endpoints.

Both servers are stdlib ``ThreadingHTTPServer`` instances speaking HTTP/1.1 with keep-alive. The
API server translates requests into ``ExportBackend`` calls and applies the response-shaping
variants (error bodies, fragment field, gzip, redirects) and the faults; the backend knows nothing
of HTTP. Control endpoints live under ``/_sandbox/``: no auth, never faulted, not counted.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import email.utils
import hashlib
import hmac
import secrets
import socket
import socketserver
import sys
import threading
import time
import traceback
import uuid
import zlib
from collections.abc import Iterator
from dataclasses import asdict
from datetime import date, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, quote, urlsplit

import orjson

from .backend import (
    PERSISTENT_BAD_LINE,
    ApiError,
    DownloadPlan,
    ExportBackend,
    job_document,
)
from .config import Faults, SandboxConfig
from .data import TruthRow
from .render import Fragment

JOBS_PATH = "/pull/v1/export/activities/jobs"
TOKEN_PATH = "/auth/v1/tokens"  # noqa: S105 - a URL path, not a password
CONTROL_PREFIX = "/_sandbox/"
STORAGE_BUCKET = "peopleai-exports"
PRESIGN_EXPIRES_SECONDS = 300
INJECTED_STATUSES = (429, 500, 502, 503)
_REASONS = {
    429: "Too Many Requests",
    500: "Internal Server Error",
    502: "Bad Gateway",
    503: "Service Unavailable",
}
_SEND_CHUNK = 1 << 20
_NOISE_PREFIX = b"\xef\xbb\xbf"
_NOISE_SUFFIX = b"\x00\x00\x00\x00"

Segment = bytes | tuple[Path, int, int]


def truth_document(rows: dict[str, TruthRow]) -> dict[str, Any]:
    """The JSON answer of the truth control endpoints."""
    activities = [
        {
            "uid": row.uid,
            "version": row.version,
            "type": row.type,
            "timestamp": _truth_time(row.timestamp),
            "ingest_timestamp": _truth_time(row.ingest_timestamp),
        }
        for row in rows.values()
    ]
    return {"count": len(activities), "activities": activities}


def _truth_time(value: datetime) -> str:
    if value.microsecond:
        return value.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    return value.strftime("%Y-%m-%dT%H:%M:%SZ")


class _HttpServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128

    def __init__(
        self, address: tuple[str, int], handler: type[BaseHTTPRequestHandler], app: SandboxServer
    ) -> None:
        self.app = app
        self.connections: set[socket.socket] = set()
        self.connections_lock = threading.Lock()
        super().__init__(address, handler)

    def server_bind(self) -> None:
        # HTTPServer.server_bind resolves the host's FQDN, which can take seconds on a machine
        # without reverse DNS; tests start many servers, so bind without it.
        socketserver.TCPServer.server_bind(self)
        host, port = self.server_address[:2]
        self.server_name = str(host)
        self.server_port = int(port)

    def handle_error(self, request: Any, client_address: Any) -> None:
        # a client hanging up mid-answer is routine (dropped downloads, timeouts): stay quiet
        if isinstance(sys.exc_info()[1], ConnectionError):
            return
        super().handle_error(request, client_address)

    def close_connections(self) -> None:
        with self.connections_lock:
            connections = list(self.connections)
        for connection in connections:
            with contextlib.suppress(OSError):
                connection.shutdown(socket.SHUT_RDWR)


class _BaseHandler(BaseHTTPRequestHandler):
    """What both servers share: HTTP/1.1, the sandbox clock's Date header, body writing."""

    protocol_version = "HTTP/1.1"
    server_version = "peopleai-sandbox"
    timeout = 120
    server: _HttpServer
    streaming = False  # whether a download's headers went out (no error answer possible then)

    @property
    def app(self) -> SandboxServer:
        return self.server.app

    def setup(self) -> None:
        super().setup()
        with self.server.connections_lock:
            self.server.connections.add(self.connection)

    def finish(self) -> None:
        try:
            super().finish()
        finally:
            with self.server.connections_lock:
                self.server.connections.discard(self.connection)

    def version_string(self) -> str:
        return self.server_version

    def date_time_string(self, timestamp: float | None = None) -> str:
        # The tap takes the server's Date header as "today", so it must follow the sandbox clock.
        if timestamp is None:
            timestamp = self.app.backend.clock.now().timestamp()
        return email.utils.formatdate(timestamp, usegmt=True)

    def log_message(self, format: str, *args: Any) -> None:
        if self.app.verbose:
            super().log_message(format, *args)

    def read_body(self) -> bytes:
        """Read the request body (Content-Length or chunked) so keep-alive stays in step."""
        if "chunked" in (self.headers.get("Transfer-Encoding") or "").lower():
            return self._read_chunked()
        length = self.headers.get("Content-Length")
        if not length:
            return b""
        try:
            size = int(length)
        except ValueError:
            self.close_connection = True
            return b""
        return self.rfile.read(size) if size > 0 else b""

    def _read_chunked(self) -> bytes:
        body = bytearray()
        while True:
            size_line = self.rfile.readline(1024)
            try:
                size = int(size_line.split(b";")[0].strip() or b"0", 16)
            except ValueError:
                self.close_connection = True
                return bytes(body)
            if size == 0:
                while self.rfile.readline(1024).strip():
                    pass  # trailers
                return bytes(body)
            body += self.rfile.read(size)
            self.rfile.readline(1024)

    def send_body(
        self, status: int, body: bytes, content_type: str, headers: dict[str, str] | None = None
    ) -> None:
        """Send a complete answer with Content-Length (no body for HEAD)."""
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        if self.close_connection:
            self.send_header("Connection", "close")
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def send_json(self, status: int, value: Any, headers: dict[str, str] | None = None) -> None:
        """Send a JSON body."""
        self.send_body(status, orjson.dumps(value), "application/json", headers)

    def stream_download(self, plan: DownloadPlan) -> None:
        """Send a plan's bytes, applying line noise, faults, gzip and bandwidth limits."""
        self.app.stream_download(self, plan)


class _ApiHandler(_BaseHandler):
    """Requests to the API origin: token, jobs, data, and the control endpoints."""

    def do_GET(self) -> None:
        self.dispatch("GET")

    def do_POST(self) -> None:
        self.dispatch("POST")

    def do_PUT(self) -> None:
        self.dispatch("PUT")

    def do_DELETE(self) -> None:
        self.dispatch("DELETE")

    def do_PATCH(self) -> None:
        self.dispatch("PATCH")

    def do_HEAD(self) -> None:
        self.dispatch("HEAD")

    def do_OPTIONS(self) -> None:
        self.dispatch("OPTIONS")

    def dispatch(self, method: str) -> None:
        """Route one request: control endpoints, else faults, auth, then the API call."""
        self.streaming = False
        body = self.read_body()
        split = urlsplit(self.path)
        path = split.path
        query = {key: values[-1] for key, values in parse_qs(split.query).items()}
        if path.startswith(CONTROL_PREFIX):
            self.control(method, path, query, body)
            return
        backend = self.app.backend
        backend.count("requests")
        try:
            route, job_id = _route(method, path)
            if self.app.inject_http_error(self, route, path):
                return
            if route == "token":
                self.token(body)
                return
            backend.authenticate(self.headers.get("Authorization"))
            if route == "create":
                self.create(body)
            elif route == "list":
                documents = [
                    job_document(job, self.app.config.variants) for job in backend.list_jobs()
                ]
                self.send_json(200, documents)
            elif route == "status":
                self.send_json(200, job_document(backend.get_job(job_id), self.app.config.variants))
            else:
                plan = backend.plan_download(job_id, query.get("fragment"))
                if self.app.config.variants.redirect_downloads:
                    location = self.app.presign(plan)
                    self.send_body(302, b"", "text/plain", {"Location": location})
                else:
                    self.stream_download(plan)
        except ApiError as error:
            self.send_api_error(error, path)
        except (ConnectionError, TimeoutError):
            self.close_connection = True
        except Exception as error:
            # a sandbox bug must surface as a clear 500, not as a dropped connection
            traceback.print_exc(file=sys.stderr)
            if self.streaming:
                self.close_connection = True
            else:
                self.send_api_error(ApiError(500, "internal_error", repr(error)), path)

    def token(self, body: bytes) -> None:
        """Answer the OAuth2 client-credentials token endpoint."""
        content_type = (self.headers.get("Content-Type") or "").split(";")[0].strip().lower()
        if content_type != "application/x-www-form-urlencoded":
            raise ApiError(
                400, "invalid_request", "token requests must be application/x-www-form-urlencoded"
            )
        form = {
            key: values[-1] for key, values in parse_qs(body.decode("utf-8", "replace")).items()
        }
        basic = _basic_credentials(self.headers.get("Authorization"))
        self.send_json(
            200, self.app.backend.issue_token(form, basic), {"Cache-Control": "no-store"}
        )

    def create(self, body: bytes) -> None:
        """Create an export job from a JSON body."""
        content_type = (self.headers.get("Content-Type") or "").split(";")[0].strip().lower()
        if content_type != "application/json":
            raise ApiError(
                415,
                "unsupported_media_type",
                f"Content-Type {content_type or '(none)'} is not supported: send application/json",
            )
        try:
            payload = orjson.loads(body)
        except orjson.JSONDecodeError:
            self.app.backend.count("validation_errors")
            raise ApiError(400, "bad_request", "request body is not valid JSON") from None
        job = self.app.backend.create_job(payload)
        self.send_json(200, job_document(job, self.app.config.variants))

    def send_api_error(self, error: ApiError, path: str) -> None:
        """Send an API error in the configured body shape."""
        headers = {"WWW-Authenticate": "Bearer"} if error.status == 401 else {}
        self.send_json(error.status, self.app.error_body(error, path), headers)

    # --- control endpoints -------------------------------------------------------------------
    def control(self, method: str, path: str, query: dict[str, str], body: bytes) -> None:
        """Serve the /_sandbox/ control endpoints (no auth, no faults)."""
        backend = self.app.backend
        name = path[len(CONTROL_PREFIX) :]
        try:
            if method == "GET" and name == "truth":
                rows = backend.ground_truth(
                    _optional_date(query, "activity_from"),
                    _optional_date(query, "activity_to"),
                    query.get("activity_type", "all"),
                )
                self.send_json(200, truth_document(rows))
            elif method == "GET" and name == "export-truth":
                rows = backend.export_truth(
                    query.get("export_type", ""),
                    query.get("start_date", ""),
                    query.get("end_date", ""),
                    query.get("activity_type", "all"),
                )
                self.send_json(200, truth_document(rows))
            elif method == "GET" and name == "stats":
                self.send_json(200, backend.stats())
            elif name == "clock" and method in ("GET", "POST"):
                if method == "POST":
                    _move_clock(self.app, orjson.loads(body or b"{}"))
                self.send_json(200, self.app.clock_document())
            elif name == "faults" and method in ("GET", "POST"):
                if method == "POST":
                    backend.set_faults(Faults.from_mapping(orjson.loads(body or b"{}")))
                self.send_json(200, asdict(backend.faults))
            else:
                self.send_json(
                    404, {"error": "not_found", "message": f"no control endpoint {path}"}
                )
        except ApiError as error:
            self.send_json(error.status, {"error": error.code, "message": error.message})
        except (ValueError, TypeError, orjson.JSONDecodeError) as error:
            self.send_json(400, {"error": "bad_request", "message": str(error)})


class _StorageHandler(_BaseHandler):
    """Requests to the storage origin: presigned GETs only, as object storage answers them."""

    server_version = "AmazonS3"

    def do_GET(self) -> None:
        self.read_body()
        self.app.serve_storage(self)

    def do_HEAD(self) -> None:
        self.send_xml_error(405, "MethodNotAllowed", "The specified method is not allowed.")

    do_PUT = do_POST = do_DELETE = do_HEAD

    def send_xml_error(self, status: int, code: str, message: str) -> None:
        """Send an object-storage style XML error."""
        body = (
            '<?xml version="1.0" encoding="UTF-8"?>\n'
            f"<Error><Code>{code}</Code><Message>{message}</Message>"
            f"<RequestId>{secrets.token_hex(8).upper()}</RequestId></Error>"
        ).encode()
        self.send_body(status, body, "application/xml")


class SandboxServer:
    """The running emulator: API server, optional storage server, and the shared backend."""

    def __init__(
        self,
        config: SandboxConfig | None = None,
        host: str = "127.0.0.1",
        port: int = 0,
        verbose: bool = False,
    ) -> None:
        self.config = config or SandboxConfig()
        self.backend = ExportBackend(self.config)
        self.verbose = verbose
        self._signing_key = secrets.token_bytes(32)
        self._presigned: dict[str, float] = {}
        self._faulted_downloads: set[tuple[str, str, str]] = set()
        self._lock = threading.Lock()
        self._threads: list[threading.Thread] = []
        try:
            self.api = _HttpServer((host, port), _ApiHandler, self)
            self.storage: _HttpServer | None = None
            if self.config.variants.redirect_downloads:
                self.storage = _HttpServer((host, 0), _StorageHandler, self)
        except BaseException:
            self.backend.close()
            raise
        self.host = host
        self.port = int(self.api.server_address[1])
        self.url = f"http://{_url_host(host)}:{self.port}"
        self.storage_url = (
            None
            if self.storage is None
            else f"http://{_url_host(host)}:{int(self.storage.server_address[1])}"
        )

    def start(self) -> None:
        """Serve in background daemon threads."""
        for server in (self.api, self.storage):
            if server is None:
                continue
            thread = threading.Thread(
                target=server.serve_forever,
                kwargs={"poll_interval": 0.05},
                name=f"peopleai-sandbox-{server.server_address[1]}",
                daemon=True,
            )
            thread.start()
            self._threads.append(thread)

    def stop(self) -> None:
        """Stop serving, close open connections and delete rendered files."""
        for server in (self.api, self.storage):
            if server is None:
                continue
            if self._threads:
                server.shutdown()
            server.server_close()
            server.close_connections()
        for thread in self._threads:
            thread.join(timeout=5)
        self.backend.close()

    def clock_document(self) -> dict[str, Any]:
        """The clock as the control endpoint shows it."""
        clock = self.backend.clock
        return {
            "now": clock.now().strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
            "frozen": clock.frozen,
            "offset_seconds": clock.offset.total_seconds(),
        }

    # --- errors and faults -------------------------------------------------------------------
    def error_body(self, error: ApiError, path: str) -> dict[str, Any]:
        """An error body in the configured shape."""
        if self.config.variants.error_shape == "spring":
            return {
                "code": error.status,
                "id": str(uuid.uuid4()),
                "message": error.message,
                "path": path,
                "timestamp": self.backend.clock.now().strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z",
            }
        return {"error": error.code, "message": error.message}

    def inject_http_error(self, handler: _BaseHandler, route: str, path: str) -> bool:
        """Maybe answer with a random 429/500/502/503 instead; True if it did."""
        backend = self.backend
        faults = backend.faults
        draw = backend.roll(f"http_{route}")
        if draw >= faults.http_error_rate:
            return False
        status = INJECTED_STATUSES[int(backend.roll(f"http_status_{route}") * 4) % 4]
        backend.count_fault(f"http_{status}")
        if status in (500, 502):
            handler.close_connection = True  # as a failing proxy does
        if faults.html_error_bodies:
            reason = _REASONS[status]
            page = (
                f"<html>\r\n<head><title>{status} {reason}</title></head>\r\n<body>\r\n"
                f"<center><h1>{status} {reason}</h1></center>\r\n<hr><center>nginx</center>\r\n"
                "</body>\r\n</html>\r\n"
            ).encode()
            handler.send_body(status, page, "text/html")
        elif isinstance(handler, _StorageHandler):
            handler.send_xml_error(
                status,
                "SlowDown" if status == 503 else "InternalError",
                "Please reduce your request rate."
                if status == 503
                else "We encountered an internal error. Please try again.",
            )
        else:
            message = {
                429: "Too many requests",
                500: "Internal server error",
                502: "Bad gateway",
                503: "Service temporarily unavailable",
            }[status]
            error = ApiError(status, _REASONS[status].lower().replace(" ", "_"), message)
            handler.send_json(status, self.error_body(error, path))
        return True

    # --- redirected downloads ----------------------------------------------------------------
    def presign(self, plan: DownloadPlan) -> str:
        """A presigned-looking storage URL for a plan; it expires after a few minutes."""
        assert self.storage_url is not None
        if plan.whole:
            part = "all"
        elif plan.fragment_index is None:
            part = "first"
        else:
            part = f"fragment-{plan.fragment_index}"
        key = f"/{STORAGE_BUCKET}/{quote(str(plan.job.public_id), safe='')}/{part}.jsonl"
        stamp = self.backend.clock.now().strftime("%Y%m%dT%H%M%SZ")
        signature = self._sign(key, stamp)
        with self._lock:
            now = time.monotonic()
            self._presigned = {
                sig: at for sig, at in self._presigned.items() if now - at < PRESIGN_EXPIRES_SECONDS
            }
            self._presigned[signature] = now
        credential = quote(f"AKIASANDBOX/{stamp[:8]}/us-east-1/s3/aws4_request", safe="")
        return (
            f"{self.storage_url}{key}?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential="
            f"{credential}&X-Amz-Date={stamp}&X-Amz-Expires={PRESIGN_EXPIRES_SECONDS}"
            f"&X-Amz-SignedHeaders=host&X-Amz-Signature={signature}"
        )

    def _sign(self, key: str, stamp: str) -> str:
        message = f"{key}\n{stamp}\n{PRESIGN_EXPIRES_SECONDS}".encode()
        return hmac.new(self._signing_key, message, hashlib.sha256).hexdigest()

    def serve_storage(self, handler: _StorageHandler) -> None:
        """Answer a GET on the storage origin like a presigned object-storage URL does."""
        backend = self.backend
        backend.count("storage_requests")
        split = urlsplit(handler.path)
        query = {key: values[-1] for key, values in parse_qs(split.query).items()}
        if handler.headers.get("Authorization"):
            handler.send_xml_error(
                400,
                "InvalidArgument",
                "Only one auth mechanism allowed; only the X-Amz-Algorithm query parameter, "
                "Signature query string parameter or the Authorization header should be specified",
            )
            return
        stamp = query.get("X-Amz-Date", "")
        signature = query.get("X-Amz-Signature", "")
        if not hmac.compare_digest(signature, self._sign(split.path, stamp)):
            handler.send_xml_error(
                403,
                "SignatureDoesNotMatch",
                "The request signature we calculated does not match the signature you provided.",
            )
            return
        with self._lock:
            issued = self._presigned.get(signature)
        try:
            signed_at = datetime.strptime(stamp, "%Y%m%dT%H%M%SZ").replace(
                tzinfo=backend.clock.now().tzinfo
            )
        except ValueError:
            signed_at = None
        expired_by_clock = signed_at is None or backend.clock.now() - signed_at > timedelta(
            seconds=PRESIGN_EXPIRES_SECONDS
        )
        expired_by_time = issued is None or time.monotonic() - issued > PRESIGN_EXPIRES_SECONDS
        if expired_by_clock or expired_by_time:
            handler.send_xml_error(403, "AccessDenied", "Request has expired")
            return
        if self.inject_http_error(handler, "storage", split.path):
            return
        parts = split.path.split("/")
        try:
            job_id, part = parts[2], parts[3].removesuffix(".jsonl")
            if part in {"all", "first"}:
                plan = backend.plan_download(job_id, None)
            else:
                plan = backend.plan_download(job_id, part.removeprefix("fragment-"))
        except (ApiError, IndexError):
            handler.send_xml_error(404, "NoSuchKey", "The specified key does not exist.")
            return
        handler.stream_download(plan)

    # --- download streaming ------------------------------------------------------------------
    def stream_download(self, handler: _BaseHandler, plan: DownloadPlan) -> None:
        """Send a download: segments of fragment files, spliced by faults, shaped by variants."""
        backend = self.backend
        faults = backend.faults
        variants = self.config.variants
        resource = (str(plan.job.public_id), str(plan.fragment_index), str(plan.whole))
        drop = self._download_fault("dropped_download", faults.drop_download_rate, resource)
        corrupt = self._download_fault("corrupt_download", faults.corrupt_download_rate, resource)
        segments: list[Segment] = []
        if variants.line_noise:
            segments.append(_NOISE_PREFIX)
        corrupt_at: tuple[int, int] | None = None
        if corrupt:
            with_lines = [n for n, fragment in enumerate(plan.fragments) if fragment.line_starts]
            if with_lines:
                chosen = with_lines[int(backend.roll("corrupt_fragment") * len(with_lines))]
                lines = len(plan.fragments[chosen].line_starts)
                corrupt_at = (chosen, int(backend.roll("corrupt_line") * lines))
                backend.count_fault("corrupt_download")
        for position, fragment in enumerate(plan.fragments):
            replacements: dict[int, bytes] = {}
            is_first = fragment is plan.job.fragments[0] if plan.job.fragments else False
            if faults.persistent_bad_line and is_first and fragment.line_starts:
                line = min(PERSISTENT_BAD_LINE, len(fragment.line_starts)) - 1
                original = _read_line(fragment, line)
                replacements[line] = original[: len(original) // 2]
                backend.count_fault("bad_line")
            if corrupt_at is not None and corrupt_at[0] == position:
                line = corrupt_at[1]
                replacements[line] = _garble(replacements.get(line) or _read_line(fragment, line))
            segments.extend(_fragment_segments(fragment, replacements))
        if variants.line_noise:
            segments.append(_NOISE_SUFFIX)
        total = sum(len(s) if isinstance(s, bytes) else s[2] for s in segments)
        limit: int | None = None
        if drop:
            limit = max(0, min(total - 1, int(total * (0.2 + 0.6 * backend.roll("drop_at")))))
            if total <= 1:
                limit = None  # nothing to cut short in an empty body
            else:
                backend.count_fault("dropped_download")
        bandwidth = faults.bandwidth_bytes_per_second
        if bandwidth is not None:
            backend.count_fault("throttled_download")
        backend.count("downloads")
        handler.streaming = True
        handler.send_response(200)
        handler.send_header("Content-Type", "application/x-ndjson")
        if variants.gzip:
            handler.send_header("Content-Encoding", "gzip")
            handler.send_header("Transfer-Encoding", "chunked")
        else:
            handler.send_header("Content-Length", str(total))
        handler.end_headers()
        sent = 0
        try:
            if variants.gzip:
                sent = _send_gzip(handler, segments, limit, bandwidth)
            elif bandwidth is None:
                sent = _send_fast(handler.connection, segments, limit)
            else:
                sent = _send_throttled(handler, _iter_chunks(segments, limit), bandwidth)
        except OSError:
            handler.close_connection = True
        finally:
            backend.count("bytes_served", sent)
        if limit is not None:
            handler.close_connection = True
            with contextlib.suppress(OSError):
                handler.connection.shutdown(socket.SHUT_RDWR)

    def _download_fault(self, kind: str, rate: float, resource: tuple[str, str, str]) -> bool:
        # A faulted download is always followed by a clean one of the same resource, so a rate
        # of 1.0 still lets a client that retries make progress ("seeded and bounded").
        draw = self.backend.roll(kind)
        key = (kind, *resource[:2])
        with self._lock:
            if key in self._faulted_downloads:
                self._faulted_downloads.discard(key)
                return False
            if draw < rate:
                self._faulted_downloads.add(key)
                return True
        return False


def _route(method: str, path: str) -> tuple[str, str]:
    """Map a request to an API route and job id; unknown paths and methods are 404s."""
    not_found = ApiError(404, "not_found", f"no resource at {method} {path}")
    if path == TOKEN_PATH:
        if method == "POST":
            return "token", ""
        raise not_found
    if path == JOBS_PATH:
        if method == "POST":
            return "create", ""
        if method == "GET":
            return "list", ""
        raise not_found
    if path.startswith(JOBS_PATH + "/") and method == "GET":
        rest = path[len(JOBS_PATH) + 1 :].split("/")
        if len(rest) == 1 and rest[0]:
            return "status", rest[0]
        if len(rest) == 2 and rest[0] and rest[1] == "data":
            return "data", rest[0]
    raise not_found


def _basic_credentials(header: str | None) -> tuple[str, str] | None:
    scheme, _, value = (header or "").partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        decoded = base64.b64decode(value.strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        return None
    client_id, separator, secret = decoded.partition(":")
    return (client_id, secret) if separator else None


def _optional_date(query: dict[str, str], name: str) -> date | None:
    value = query.get(name)
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise ApiError(400, "bad_request", f"{name} must be yyyy-MM-dd, not {value!r}") from None


def _move_clock(app: SandboxServer, command: Any) -> None:
    if not isinstance(command, dict) or len(command) != 1:
        raise ValueError('send one of {"advance_days": n}, {"advance_seconds": s}, {"set": iso}')
    ((name, value),) = command.items()
    clock = app.backend.clock
    if name == "advance_days":
        clock.advance(timedelta(days=float(value)))
    elif name == "advance_seconds":
        clock.advance(timedelta(seconds=float(value)))
    elif name == "set":
        clock.set(datetime.fromisoformat(str(value).replace("Z", "+00:00")))
    else:
        raise ValueError(f"unknown clock command {name!r}")


def _url_host(host: str) -> str:
    return f"[{host}]" if ":" in host else host


def _read_line(fragment: Fragment, line: int) -> bytes:
    start, end = fragment.line_starts[line], fragment.line_ends[line]
    with fragment.path.open("rb") as handle:
        handle.seek(start)
        return handle.read(end - start)


def _garble(line: bytes) -> bytes:
    """The same number of bytes, no longer valid JSON: what a flipped transfer looks like."""
    middle = len(line) // 2
    garbled = line[:middle] + b'"#GARBLED#' + line[middle + 10 :]
    try:
        orjson.loads(garbled)
    except orjson.JSONDecodeError:
        return garbled[: len(line)]
    return b"#" + line[1:]


def _fragment_segments(fragment: Fragment, replacements: dict[int, bytes]) -> Iterator[Segment]:
    position = 0
    for line in sorted(replacements):
        start, end = fragment.line_starts[line], fragment.line_ends[line]
        if start > position:
            yield (fragment.path, position, start - position)
        yield replacements[line]
        position = end
    if fragment.size > position:
        yield (fragment.path, position, fragment.size - position)


def _iter_chunks(segments: list[Segment], limit: int | None) -> Iterator[bytes]:
    remaining = limit
    for segment in segments:
        if isinstance(segment, bytes):
            pieces: Iterator[bytes] = iter((segment,))
        else:
            pieces = _file_chunks(*segment)
        for piece in pieces:
            if remaining is None:
                yield piece
                continue
            if remaining <= 0:
                return
            allowed = piece[:remaining]
            remaining -= len(allowed)
            yield allowed


def _file_chunks(path: Path, offset: int, length: int) -> Iterator[bytes]:
    with path.open("rb") as handle:
        handle.seek(offset)
        while length > 0:
            piece = handle.read(min(_SEND_CHUNK, length))
            if not piece:
                return
            length -= len(piece)
            yield piece


def _send_fast(connection: socket.socket, segments: list[Segment], limit: int | None) -> int:
    """Plain download at full speed: sendfile for file ranges."""
    sent = 0
    for segment in segments:
        budget = None if limit is None else limit - sent
        if budget is not None and budget <= 0:
            break
        if isinstance(segment, bytes):
            piece = segment if budget is None else segment[:budget]
            connection.sendall(piece)
            sent += len(piece)
            continue
        path, offset, length = segment
        count = length if budget is None else min(length, budget)
        with path.open("rb") as handle:
            sent += connection.sendfile(handle, offset, count)
    return sent


def _send_throttled(handler: _BaseHandler, chunks: Iterator[bytes], bandwidth: int) -> int:
    """Send at most ``bandwidth`` bytes per second on this connection."""
    step = max(1024, bandwidth // 20)
    started = time.monotonic()
    sent = 0
    for chunk in chunks:
        for offset in range(0, len(chunk), step):
            piece = chunk[offset : offset + step]
            handler.wfile.write(piece)
            sent += len(piece)
            delay = sent / bandwidth - (time.monotonic() - started)
            if delay > 0:
                time.sleep(delay)
    return sent


def _send_gzip(
    handler: _BaseHandler, segments: list[Segment], limit: int | None, bandwidth: int | None
) -> int:
    """Compress on the fly (fast level) and send with chunked transfer encoding.

    A dropped connection stops after ``limit`` input bytes without the closing chunk, which the
    client sees as a broken chunked body.
    """
    compressor = zlib.compressobj(1, zlib.DEFLATED, 31)

    def compressed() -> Iterator[bytes]:
        for chunk in _iter_chunks(segments, limit):
            data = compressor.compress(chunk)
            if data:
                yield data
        if limit is None:
            yield compressor.flush()

    def framed() -> Iterator[bytes]:
        for data in compressed():
            if data:
                yield b"%x\r\n" % len(data) + data + b"\r\n"
        if limit is None:
            yield b"0\r\n\r\n"

    if bandwidth is not None:
        return _send_throttled(handler, framed(), bandwidth)
    sent = 0
    for frame in framed():
        handler.wfile.write(frame)
        sent += len(frame)
    return sent
