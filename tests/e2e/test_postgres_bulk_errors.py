"""target-postgres-bulk's bad inputs: one line naming the file and line (or the setting), the
batch rolled back, no traceback from the console script."""

from __future__ import annotations

import gzip
import json
import subprocess
from pathlib import Path
from typing import Any

import pytest

from target_postgres_bulk.errors import BulkLoadError
from tests.support.bulk_loads import (
    TARGET,
    batch_file,
    batch_message,
    config,
    load,
    rows_file,
    schema_message,
    table,
)

BAD_FILES = {
    "not JSON": (
        ['{"id": "a"}', "", '{"id": oops}'],
        "line 3: not a JSON document (invalid input syntax for type json",
    ),
    "not an object": (['{"id": "a"}', "[1, 2]"], "line 2: the line is not a JSON object"),
    "no key": (
        ['{"id": "a"}', '{"n": 1}'],
        "line 2: the line has no value for the key property 'id'",
    ),
    "null key": (
        ['{"id": null}'],
        "line 1: the line has no value for the key property 'id'",
    ),
    "value of another type": (
        ['{"id": "a"}', '{"id": "b", "n": "many"}'],
        "line 2: the line has a value that does not fit its column (invalid input syntax for "
        'type bigint: "many")',
    ),
}


@pytest.mark.parametrize("case", sorted(BAD_FILES))
def test_a_bad_line_is_named_by_file_and_line_and_nothing_is_loaded(
    postgres_server: Any, fresh: str, tmp_path: Path, case: str
) -> None:
    lines, expected = BAD_FILES[case]
    good = rows_file(tmp_path / "good.jsonl.gz", [{"id": "z"}])
    bad = batch_file(tmp_path / "bad.jsonl.gz", lines)
    with pytest.raises(BulkLoadError) as raised:
        load(
            postgres_server,
            fresh,
            [schema_message("things", ["id"]), batch_message("things", good, bad)],
        )
    assert str(raised.value).startswith(f"batch file {bad.as_uri()}, {expected}"), raised.value
    assert table(postgres_server, fresh, "things") == [], "the whole batch is rolled back"


def test_unreadable_files_are_named(postgres_server: Any, fresh: str, tmp_path: Path) -> None:
    missing = tmp_path / "missing.jsonl.gz"
    torn = tmp_path / "torn.jsonl.gz"
    torn.write_bytes(gzip.compress(b'{"id": "a"}\n' * 1000)[:-20])
    for path in (missing, torn):
        with pytest.raises(BulkLoadError, match="could not be read") as raised:
            load(postgres_server, fresh, [schema_message("t", ["id"]), batch_message("t", path)])
        assert str(raised.value).startswith(f"batch file {path.as_uri()} could not be read: ")


def _cli(
    config_data: dict[str, Any], tmp_path: Path, stdin: str
) -> subprocess.CompletedProcess[str]:
    config_file = tmp_path / "config.json"
    config_file.write_text(json.dumps(config_data))
    return subprocess.run(
        [str(TARGET), "--config", str(config_file)],
        input=stdin,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_the_console_script_reports_bad_input_in_one_line(
    postgres_server: Any, fresh: str, tmp_path: Path
) -> None:
    settings = config(postgres_server, fresh)
    incomplete = {k: v for k, v in settings.items() if k not in {"password", "sqlalchemy_url"}}
    proc = _cli(incomplete, tmp_path, "")
    assert proc.returncode == 1
    assert "Traceback" not in proc.stderr
    assert (
        "target-postgres-bulk: incomplete connection settings: Need either the sqlalchemy_url to "
        "be set or host, port, user, password, and dialect+driver to be set."
    ) in proc.stderr.splitlines()[-1]

    bad = batch_file(tmp_path / "bad.jsonl", ['{"id": "a"}', "{"])
    messages = [schema_message("things", ["id"]), batch_message("things", bad, compression=None)]
    proc = _cli(settings, tmp_path, "".join(f"{line}\n" for line in messages))
    assert proc.returncode == 1
    assert "Traceback" not in proc.stderr
    assert proc.stderr.splitlines()[-1].startswith(
        f"target-postgres-bulk: batch file {bad.as_uri()}, line 2: not a JSON document"
    )

    unreachable = {**settings, "port": 1}
    proc = _cli(unreachable, tmp_path, messages[0] + "\n")
    assert proc.returncode == 1
    assert "Traceback" not in proc.stderr
    last = proc.stderr.splitlines()[-1]
    assert last.startswith("target-postgres-bulk: cannot use the PostgreSQL server: "), last
    assert settings["password"] not in proc.stderr
