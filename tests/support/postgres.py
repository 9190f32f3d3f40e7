"""A throw-away PostgreSQL server: the one the end-to-end tests and the benchmark both start.

initdb and pg_ctl under a private directory, a free port of 127.0.0.1, fsync off (the data is
thrown away). As root the cluster belongs to the `postgres` user, since initdb refuses root.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tests.support.ports import free_port

USER = "postgres"
DATABASE = "postgres"
# Trust authentication ignores it, but target-postgres wants a non-null password.
PASSWORD = "unused-trust-auth"


class PostgresUnavailable(RuntimeError):
    """The server binaries are missing, or the server did not start; the message says which."""


def server_bindir() -> Path:
    """Directory of initdb/pg_ctl: on PATH, else Debian's newest /usr/lib/postgresql/<major>/bin."""
    found = shutil.which("initdb")
    if found and shutil.which("pg_ctl"):
        return Path(found).resolve().parent
    candidates = sorted(
        Path("/usr/lib/postgresql").glob("*/bin/initdb"),
        key=lambda p: int(p.parent.parent.name) if p.parent.parent.name.isdigit() else 0,
    )
    if not candidates:
        msg = "PostgreSQL server binaries (initdb, pg_ctl) not found: `make postgres` installs them"
        raise PostgresUnavailable(msg)
    return candidates[-1].parent


@dataclass(frozen=True)
class PostgresServer:
    """A running server, and the settings that point each client at it."""

    bindir: Path
    port: int
    host: str = "127.0.0.1"
    user: str = USER
    database: str = DATABASE
    password: str = PASSWORD

    def loader_config(self) -> dict[str, Any]:
        """target-postgres's connection settings, as config."""
        return {
            "host": self.host,
            "port": self.port,
            "user": self.user,
            "password": self.password,
            "database": self.database,
        }

    def loader_env(self, schema: str) -> dict[str, str]:
        """The environment that points Meltano's target-postgres at this server and schema."""
        env = {f"TARGET_POSTGRES_{k.upper()}": str(v) for k, v in self.loader_config().items()}
        return {**env, "TARGET_POSTGRES_DEFAULT_TARGET_SCHEMA": schema}

    def dbt_env(self) -> dict[str, str]:
        """The environment that points the dbt-postgres utility at this server."""
        return {
            "DBT_TARGET": "postgres",
            "DBT_POSTGRES_HOST": self.host,
            "DBT_POSTGRES_PORT": str(self.port),
            "DBT_POSTGRES_USER": self.user,
            "DBT_POSTGRES_PASSWORD": self.password,
            "DBT_POSTGRES_DBNAME": self.database,
        }

    def psql(self, sql: str) -> list[list[str]]:
        """Run one SQL statement with psql; rows as lists of text fields (NULL -> '')."""
        psql = shutil.which("psql") or str(self.bindir / "psql")
        command = [psql, "-X", "-q", "-v", "ON_ERROR_STOP=1", "-h", self.host, "-p", str(self.port)]
        command += ["-U", self.user, "-d", self.database, "-A", "-t", "-F", "\t", "-c", sql]
        proc = subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)
        if proc.returncode != 0:
            raise RuntimeError(f"psql failed ({proc.returncode}): {proc.stderr.strip()}")
        return [line.split("\t") for line in proc.stdout.splitlines() if line]

    def scalar(self, sql: str) -> str:
        """The single value a statement returns."""
        rows = self.psql(sql)
        if len(rows) != 1 or len(rows[0]) != 1:
            raise RuntimeError(f"expected one value from {sql!r}, got {rows!r:.200}")
        return rows[0][0]


@contextlib.contextmanager
def running_postgres() -> Iterator[PostgresServer]:
    """A server with its files in a new directory under /tmp, stopped and removed at the end.

    /tmp rather than a test's temporary directory: as root the server runs as `postgres`, which
    must be able to reach its files.
    """
    bindir = server_bindir()
    base = Path(tempfile.mkdtemp(prefix="tap-peopleai-pg-", dir="/tmp"))
    data, sock, logfile = base / "data", base / "sock", base / "server.log"
    sock.mkdir()
    prefix: list[str] = []
    if os.geteuid() == 0:
        for path in (base, sock):
            shutil.chown(path, user=USER)
        prefix = ["runuser", "-u", USER, "--"]

    def run(*cmd: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [*prefix, *cmd], capture_output=True, text=True, timeout=120, check=False
        )

    def failure(what: str, proc: subprocess.CompletedProcess[str]) -> PostgresUnavailable:
        log = logfile.read_text(errors="replace")[-3000:] if logfile.exists() else ""
        return PostgresUnavailable(f"{what} failed:\n{proc.stdout}\n{proc.stderr}\n{log}")

    init = run(
        str(bindir / "initdb"), "-D", str(data), "-U", USER, "--auth=trust", "-E", "UTF8",
        "--locale=C", "--no-sync",
    )  # fmt: skip
    if init.returncode != 0:
        shutil.rmtree(base, ignore_errors=True)
        raise failure("initdb", init)
    port = 0
    for _attempt in range(3):  # the free port may be taken between probing and binding
        port = free_port()
        options = (
            f"-p {port} -c listen_addresses=127.0.0.1 -k {sock} "
            "-c fsync=off -c synchronous_commit=off -c full_page_writes=off"
        )
        start = run(
            str(bindir / "pg_ctl"), "-D", str(data), "-l", str(logfile), "-w", "-t", "60",
            "-o", options, "start",
        )  # fmt: skip
        if start.returncode == 0:
            break
    else:
        error = failure("pg_ctl start", start)
        shutil.rmtree(base, ignore_errors=True)
        raise error
    server = PostgresServer(bindir, port)
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                server.psql("select 1")
                break
            except RuntimeError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2)
        yield server
    finally:
        run(str(bindir / "pg_ctl"), "-D", str(data), "-m", "fast", "-w", "stop")
        shutil.rmtree(base, ignore_errors=True)
