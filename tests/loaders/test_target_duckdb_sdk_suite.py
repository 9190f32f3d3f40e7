"""The Singer SDK's standard target tests, run against target-duckdb-bulk on a real DuckDB file."""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from singer_sdk.testing import get_target_test_class

from target_duckdb_bulk import TargetDuckDBBulk

_DIRECTORY = Path(tempfile.mkdtemp(prefix="target-duckdb-bulk-sdk-suite-"))

TestTargetDuckDBBulk = get_target_test_class(
    TargetDuckDBBulk,
    config={"filepath": str(_DIRECTORY / "suite.duckdb"), "add_record_metadata": True},
)


@pytest.fixture(scope="module", autouse=True)
def _remove_the_database() -> Iterator[None]:
    yield
    shutil.rmtree(_DIRECTORY, ignore_errors=True)
