"""The console script: the target's CLI, with bad input reported as one line and exit code 1."""

from __future__ import annotations

import sys

import sqlalchemy

from target_postgres_bulk.errors import BulkLoadError
from target_postgres_bulk.target import TargetPostgresBulk


def main() -> None:
    try:
        TargetPostgresBulk.cli()
    except BulkLoadError as exc:
        sys.stderr.write(f"target-postgres-bulk: {exc}\n")
        raise SystemExit(1) from None
    except sqlalchemy.exc.OperationalError as exc:
        # psycopg's message names host and port, never the password.
        reason = str(exc.orig).strip().splitlines()[0] if exc.orig else type(exc).__name__
        sys.stderr.write(f"target-postgres-bulk: cannot use the PostgreSQL server: {reason}\n")
        raise SystemExit(1) from None
