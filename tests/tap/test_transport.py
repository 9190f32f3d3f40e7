"""Transport and environment failures: each ends with a message that says what to do."""

from __future__ import annotations

import contextlib
import http.server
import os
import socket
import ssl
import subprocess
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from tap_peopleai.api.client import PeopleAIClient
from tap_peopleai.api.retry_policy import RetryPolicy
from tap_peopleai.api.transport import ApiTransport
from tap_peopleai.errors import ApiError, AuthenticationError, TapPeopleAIError
from tests.support.tap_runs import run_tap, tap_config


class _Rejecting(http.server.BaseHTTPRequestHandler):
    def do_POST(self) -> None:
        self.send_response(401)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


@contextlib.contextmanager
def https_server(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    """An HTTPS server on 127.0.0.1 with a self-signed certificate; answers 401 to any POST."""
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(
        [
            "openssl",
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "1",
            "-subj",
            "/CN=127.0.0.1",
            "-addext",
            "subjectAltName=IP:127.0.0.1",
            "-keyout",
            str(key),
            "-out",
            str(cert),
        ],
        check=True,
        capture_output=True,
    )
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Rejecting)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"https://127.0.0.1:{server.server_address[1]}", cert
    finally:
        server.shutdown()
        server.server_close()


def client_for(api_url: str, **kwargs: object) -> PeopleAIClient:
    retry = RetryPolicy(max_tries=2, base_seconds=0.01)
    http = ApiTransport(api_url, retry=retry, **kwargs)  # type: ignore[arg-type]
    return PeopleAIClient(http, client_id="id", client_secret="secret")


def test_tls_certificates_are_verified_and_a_ca_bundle_can_be_configured(tmp_path) -> None:
    with https_server(tmp_path) as (url, cert):
        with pytest.raises(TapPeopleAIError, match="TLS certificate verification failed") as failed:
            client_for(url).list_jobs()
        assert "ca_bundle" in str(failed.value)
        # With the server's CA trusted the handshake succeeds and the server's 401 comes through.
        with pytest.raises(AuthenticationError, match="rejected the credentials"):
            client_for(url, ca_bundle=str(cert)).list_jobs()


def test_an_unreachable_api_gives_up_with_a_clear_message() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with pytest.raises(TapPeopleAIError, match="Gave up after 2 attempts") as failed:
        client_for(f"http://127.0.0.1:{port}").list_jobs()
    assert "Check `api_url`" in str(failed.value)


def test_api_validation_errors_carry_the_apis_message(make_sandbox) -> None:
    sandbox = make_sandbox()
    client = PeopleAIClient(
        ApiTransport(sandbox.url), client_id=sandbox.client_id, client_secret=sandbox.client_secret
    )
    body = {
        "start_date": "2026-01-01",
        "end_date": "2026-03-01",
        "activity_type": "all",
        "output_format": "JSONLines",
        "export_type": "delta",
    }
    with pytest.raises(ApiError) as refused:
        client.create_job(body)
    assert refused.value.status == 400
    assert "14" in str(refused.value)
    assert "creating a delta job for 2026-01-01..2026-03-01" in str(refused.value)


@pytest.fixture
def tiny_disk(tmp_path) -> Iterator[Path]:
    mount_point = tmp_path / "tiny"
    mount_point.mkdir()
    if os.geteuid() != 0:
        pytest.skip("mounting a small tmpfs needs root")
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", str(mount_point)],
        capture_output=True,
        check=False,
    )
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {mounted.stderr.decode().strip()}")
    try:
        yield mount_point
    finally:
        subprocess.run(["umount", str(mount_point)], check=False)


def test_a_full_disk_for_temporary_files_names_temp_dir(make_sandbox, tiny_disk) -> None:
    sandbox = make_sandbox(fragment_records=500)
    result = run_tap(tap_config(sandbox, temp_dir=str(tiny_disk)), expect_error=True)
    assert isinstance(result.error, TapPeopleAIError)
    assert f"No space left in {tiny_disk}" in str(result.error)
    assert "`temp_dir`" in str(result.error)
    assert result.records == []
    assert "cursor" not in result.bookmark


class _Forbidding(http.server.BaseHTTPRequestHandler):
    def do_POST(self) -> None:
        body = b'{"access_token": "t0k3n", "token_type": "bearer", "expires_in": 3600}'
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self) -> None:
        body = b'{"error": "forbidden", "message": "API key type not allowed"}'
        self.send_response(403)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


def test_a_403_says_the_key_must_be_an_activity_key() -> None:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Forbidding)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        with pytest.raises(ApiError) as forbidden:
            client_for(f"http://127.0.0.1:{server.server_address[1]}").list_jobs()
    finally:
        server.shutdown()
        server.server_close()
    assert forbidden.value.status == 403
    message = str(forbidden.value)
    assert "API key type not allowed" in message
    assert "*Activity* API key" in message
    assert "t0k3n" not in message
