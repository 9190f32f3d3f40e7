"""A throw-away PostgreSQL cluster for `bench_pipeline.py`: a free loopback port, fsync off."""

from __future__ import annotations

import contextlib
import dataclasses
import os
import shutil
import socket
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any


def pg_bindir() -> Path:
    found = shutil.which("initdb")
    if found and shutil.which("pg_ctl"):
        return Path(found).resolve().parent
    candidates = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"))
    if not candidates:
        raise SystemExit("PostgreSQL (initdb, pg_ctl) is not installed: run `make postgres`")
    return candidates[-1].parent


@dataclasses.dataclass
class Postgres:
    host: str
    port: int
    bindir: Path

    def psql(self, sql: str) -> str:
        psql = shutil.which("psql") or str(self.bindir / "psql")
        command = [psql, "-X", "-q", "-v", "ON_ERROR_STOP=1", "-At", "-h", self.host]
        command += ["-p", str(self.port), "-U", "postgres", "-d", "postgres", "-c", sql]
        return subprocess.run(command, capture_output=True, text=True, check=True).stdout

    def loader_config(self) -> dict[str, Any]:
        return {
            "host": self.host,
            "port": self.port,
            "user": "postgres",
            "password": "unused-trust-auth",
            "database": "postgres",
        }

    def dbt_env(self) -> dict[str, str]:
        return {
            "DBT_TARGET": "postgres",
            "DBT_POSTGRES_HOST": self.host,
            "DBT_POSTGRES_PORT": str(self.port),
            "DBT_POSTGRES_USER": "postgres",
            "DBT_POSTGRES_PASSWORD": "unused-trust-auth",
            "DBT_POSTGRES_DBNAME": "postgres",
        }


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@contextlib.contextmanager
def postgres_server(root: Path) -> Iterator[Postgres]:
    """A throw-away PostgreSQL cluster on a free loopback port (fsync off), stopped at the end."""
    bindir = pg_bindir()
    base = root / "pg"
    base.mkdir()
    (base / "sock").mkdir()
    prefix: list[str] = []
    if os.geteuid() == 0:  # initdb refuses root: the cluster belongs to the postgres user
        shutil.chown(root, user="postgres")
        shutil.chown(base, user="postgres")
        shutil.chown(base / "sock", user="postgres")
        prefix = ["runuser", "-u", "postgres", "--"]
    data = base / "data"
    subprocess.run(
        [
            *prefix,
            str(bindir / "initdb"),
            "-D",
            str(data),
            "-U",
            "postgres",
            "--auth=trust",
            "-E",
            "UTF8",
            "--locale=C",
            "--no-sync",
        ],
        check=True,
        capture_output=True,
    )
    port = free_port()
    options = (
        f"-p {port} -c listen_addresses=127.0.0.1 -k {base / 'sock'} "
        "-c fsync=off -c synchronous_commit=off -c full_page_writes=off"
    )
    subprocess.run(
        [
            *prefix,
            str(bindir / "pg_ctl"),
            "-D",
            str(data),
            "-l",
            str(base / "log"),
            "-w",
            "-o",
            options,
            "start",
        ],
        check=True,
        capture_output=True,
    )
    try:
        yield Postgres("127.0.0.1", port, bindir)
    finally:
        subprocess.run(
            [*prefix, str(bindir / "pg_ctl"), "-D", str(data), "-m", "fast", "-w", "stop"],
            capture_output=True,
            check=False,
        )
