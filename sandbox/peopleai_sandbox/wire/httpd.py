"""HTTP plumbing of both origins (API, storage): threads, keep-alive, bodies, the Date header.

Both origins are stdlib ``ThreadingHTTPServer`` instances speaking HTTP/1.1 with keep-alive. A
request is parsed into a ``Request`` and handed to the origin's ``Site``; what comes back (a
``Response`` or a streamed ``Download``) is written here. Nothing here knows the API.
"""

from __future__ import annotations

import contextlib
import email.utils
import socket
import socketserver
import sys
import threading
import traceback
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Protocol
from urllib.parse import parse_qs, urlsplit

import orjson

from peopleai_sandbox.models.clock import SandboxClock
from peopleai_sandbox.models.downloads import DownloadPlan
from peopleai_sandbox.models.stats import Counters
from peopleai_sandbox.responses.downloads import AssembledDownload
from peopleai_sandbox.responses.messages import Download, Request, Response
from peopleai_sandbox.wire.transfer import send_download_body


class Site(Protocol):
    """What an origin offers its handler: the answer to a request, and download bodies."""

    server_software: str
    clock: SandboxClock
    counters: Counters
    verbose: bool

    def handle(self, request: Request) -> Response | Download:
        """Answer one request."""
        ...

    def assemble(self, plan: DownloadPlan) -> AssembledDownload:
        """The bytes of a download, faults and variants applied."""
        ...


class HttpServer(ThreadingHTTPServer):
    """A threading HTTP server that knows its site and its open connections."""

    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128

    def __init__(self, address: tuple[str, int], site: Site) -> None:
        self.site = site
        self.connections: set[socket.socket] = set()
        self.connections_lock = threading.Lock()
        super().__init__(address, SiteHandler)

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
        """Shut down every open connection (keep-alive clients would otherwise linger)."""
        with self.connections_lock:
            connections = list(self.connections)
        for connection in connections:
            with contextlib.suppress(OSError):
                connection.shutdown(socket.SHUT_RDWR)


class SiteHandler(BaseHTTPRequestHandler):
    """Parses each request for the site and writes its answer."""

    protocol_version = "HTTP/1.1"
    timeout = 120
    server: HttpServer
    streaming = False  # whether a download's headers went out (no error answer possible then)

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
        return self.server.site.server_software

    def date_time_string(self, timestamp: float | None = None) -> str:
        # The tap takes the server's Date header as "today", so it must follow the sandbox clock.
        if timestamp is None:
            timestamp = self.server.site.clock.now().timestamp()
        return email.utils.formatdate(timestamp, usegmt=True)

    def log_message(self, format: str, *args: Any) -> None:
        if self.server.site.verbose:
            super().log_message(format, *args)

    def do_GET(self) -> None:
        self.dispatch()

    do_POST = do_PUT = do_DELETE = do_PATCH = do_HEAD = do_OPTIONS = do_GET

    def dispatch(self) -> None:
        """Parse the request, let the site answer, write the answer."""
        self.streaming = False
        body = self._read_body()
        split = urlsplit(self.path)
        query = {key: values[-1] for key, values in parse_qs(split.query).items()}
        request = Request(self.command, split.path, query, self.headers, body)
        try:
            answer = self.server.site.handle(request)
            if isinstance(answer, Download):
                self._stream(answer.plan)
            else:
                self._send(answer)
        except (ConnectionError, TimeoutError):
            self.close_connection = True
        except Exception as error:
            # a sandbox bug must surface as a clear 500, not as a dropped connection
            traceback.print_exc(file=sys.stderr)
            if self.streaming:
                self.close_connection = True
            else:
                message = {"error": "internal_error", "message": repr(error)}
                self._send(Response(500, orjson.dumps(message)))

    def _read_body(self) -> bytes:
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

    def _send(self, answer: Response) -> None:
        """Send a complete answer with Content-Length (no body for HEAD)."""
        if answer.close:
            self.close_connection = True
        self.send_response(answer.status)
        if answer.content_type:
            self.send_header("Content-Type", answer.content_type)
        length = len(answer.body) if answer.declared_length is None else answer.declared_length
        if length >= 0:
            self.send_header("Content-Length", str(length))
        if self.close_connection:
            self.send_header("Connection", "close")
        for name, value in answer.headers.items():
            self.send_header(name, value)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(answer.body)

    def _stream(self, plan: DownloadPlan) -> None:
        """Send a download: gzip-chunked or with Content-Length; a dropped download hangs up."""
        site = self.server.site
        download = site.assemble(plan)
        site.counters.count("downloads")
        self.streaming = True
        self.send_response(200)
        self.send_header("Content-Type", "application/x-ndjson")
        if download.gzip:
            self.send_header("Content-Encoding", "gzip")
            self.send_header("Transfer-Encoding", "chunked")
        else:
            self.send_header("Content-Length", str(download.total))
            if download.content_encoding:
                self.send_header("Content-Encoding", download.content_encoding)
        self.end_headers()
        sent = 0
        try:
            sent = send_download_body(self.connection, self.wfile, download)
        except OSError:
            self.close_connection = True
        finally:
            site.counters.count("bytes_served", sent)
        if download.cut_after is not None:
            self.close_connection = True
            with contextlib.suppress(OSError):
                self.connection.shutdown(socket.SHUT_RDWR)
