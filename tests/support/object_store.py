"""A real S3-compatible server for the tests: moto's standalone server on a loopback port.

s3fs's own test suite runs against the same server. Nothing is mocked inside the processes
under test: Meltano's state backend (boto3) and s3fs in the tap and the loader talk HTTP to it.
"""

from __future__ import annotations

import contextlib
import secrets
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3

from tests.support.ports import free_port

MOTO_SERVER = str(Path(sys.executable).parent / "moto_server")
REGION = "us-east-1"


@dataclass
class S3Server:
    """A running moto server, one bucket in it, and credentials made up for this run."""

    endpoint: str
    bucket: str
    access_key_id: str
    secret_access_key: str

    def aws_env(self) -> dict[str, str]:
        """The standard AWS variables that point boto3 and s3fs at this server."""
        return {
            "AWS_ACCESS_KEY_ID": self.access_key_id,
            "AWS_SECRET_ACCESS_KEY": self.secret_access_key,
            "AWS_DEFAULT_REGION": REGION,
            "AWS_ENDPOINT_URL_S3": self.endpoint,
        }

    def client(self) -> Any:
        return boto3.client(
            "s3",
            endpoint_url=self.endpoint,
            region_name=REGION,
            aws_access_key_id=self.access_key_id,
            aws_secret_access_key=self.secret_access_key,
        )

    def keys(self, prefix: str) -> list[str]:
        """Every object key under PREFIX, sorted."""
        pages = (
            self.client()
            .get_paginator("list_objects_v2")
            .paginate(Bucket=self.bucket, Prefix=prefix)
        )
        return sorted(obj["Key"] for page in pages for obj in page.get("Contents", []))

    def read(self, key: str) -> bytes:
        body: bytes = self.client().get_object(Bucket=self.bucket, Key=key)["Body"].read()
        return body

    @property
    def secrets(self) -> tuple[str, str]:
        """What must never appear in any output."""
        return (self.access_key_id, self.secret_access_key)


def _answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2):  # noqa: S310 - our own loopback server
            return True
    except urllib.error.HTTPError:
        return True  # any HTTP answer means it is serving
    except OSError:
        return False


@contextlib.contextmanager
def running_s3_server(log: Path, bucket: str = "peopleai-e2e") -> Iterator[S3Server]:
    """Start `moto_server` on a free loopback port, create BUCKET, stop the server at the end."""
    for _attempt in range(3):  # the free port may be taken between probing and binding
        port = free_port()
        with log.open("ab") as out:
            proc = subprocess.Popen(
                [MOTO_SERVER, "-H", "127.0.0.1", "-p", str(port)],
                stdout=out,
                stderr=subprocess.STDOUT,
            )
        endpoint = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        while proc.poll() is None and not _answers(f"{endpoint}/moto-api/"):
            if time.monotonic() > deadline:
                proc.kill()
                break
            time.sleep(0.2)
        if proc.poll() is None:
            break
        proc.wait(timeout=30)
    else:
        raise RuntimeError(f"moto_server did not start: {log.read_text(errors='replace')[-2000:]}")
    try:
        server = S3Server(
            endpoint=endpoint,
            bucket=bucket,
            access_key_id="AKIA" + secrets.token_hex(8).upper(),
            secret_access_key=secrets.token_urlsafe(30),
        )
        server.client().create_bucket(Bucket=bucket)
        yield server
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=30)
