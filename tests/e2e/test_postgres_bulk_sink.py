"""target-postgres-bulk in-process on generic streams, into a real PostgreSQL server.

The BATCH path (COPY into staging, one upsert) against the base loader's RECORD path: the same
table, column types and values; the last line of a key winning within a file, across files and
across batches; append-only streams; new columns; a table without a key index; STATE passed on
only after the batch it follows is committed; files removed unless kept; one line per bad input.
"""

from __future__ import annotations

import io
import json
import time
from pathlib import Path
from typing import Any

import pytest

from target_postgres_bulk.errors import BulkLoadError
from target_postgres_bulk.target import TargetPostgresBulk
from tests.support.bulk_loads import (
    ROWS,
    SCHEMA,
    batch_file,
    batch_message,
    captured_stdout,
    column_types,
    config,
    load,
    rows_file,
    schema_message,
    state_message,
    table,
)


def test_batch_files_make_the_table_the_record_path_makes(
    postgres_server: Any, fresh: str, tmp_path: Path
) -> None:
    records = [json.dumps({"type": "RECORD", "stream": "things", "record": r}) for r in ROWS]
    load(postgres_server, f"{fresh}_rec", [schema_message("things", ["id"]), *records])
    path = rows_file(tmp_path / "things.jsonl.gz", ROWS)
    load(postgres_server, fresh, [schema_message("things", ["id"]), batch_message("things", path)])

    types = column_types(postgres_server, fresh, "things")
    assert types == column_types(postgres_server, f"{fresh}_rec", "things")
    assert types["at"] == "timestamp without time zone"
    assert types["tags"] == "text[]"
    assert types["doc"] == "jsonb"
    assert types["docs"] == "jsonb[]"
    assert table(postgres_server, fresh, "things") == table(
        postgres_server, f"{fresh}_rec", "things"
    )
    stamped = postgres_server.psql(
        f"select count(*) from {fresh}.things where _sdc_extracted_at is not null "  # noqa: S608
        "and _sdc_batched_at is not null and _sdc_received_at is not null "
        "and _sdc_sequence is not null and _sdc_sync_started_at is not null "
        "and _sdc_deleted_at is null"
    )
    assert stamped == [["3"]]
    assert not path.exists(), "a loaded batch file is removed"


def test_the_last_line_of_a_key_wins_in_a_file_across_files_and_batches(
    postgres_server: Any, fresh: str, tmp_path: Path
) -> None:
    first = rows_file(tmp_path / "1.jsonl.gz", [{"id": "a", "n": 1}, {"id": "b", "n": 1}])
    again = rows_file(tmp_path / "2.jsonl", [{"id": "a", "n": 2}, {"id": "c"}, {"id": "a", "n": 3}])
    later = rows_file(tmp_path / "3.jsonl.gz", [{"id": "b", "n": 4}, {"id": "b", "n": 5}])
    load(
        postgres_server,
        fresh,
        [
            schema_message("things", ["id"]),
            batch_message("things", first),
            json.dumps(
                {
                    "type": "BATCH",
                    "stream": "things",
                    "encoding": {"format": "jsonl", "compression": "none"},
                    "manifest": [again.as_uri()],
                }
            ),
            batch_message("things", later),
        ],
    )
    rows = table(postgres_server, fresh, "things")
    assert [(row["id"], row["n"]) for row in rows] == [("a", 3), ("b", 5), ("c", None)]


def test_composite_keys_and_append_only_streams(
    postgres_server: Any, fresh: str, tmp_path: Path
) -> None:
    lines = [{"id": "a", "n": 1, "x": 1}, {"id": "a", "n": 2, "x": 2}, {"id": "a", "n": 1, "x": 3}]
    keyed = rows_file(tmp_path / "keyed.jsonl.gz", lines)
    appended = rows_file(tmp_path / "appended.jsonl.gz", lines)
    load(
        postgres_server,
        fresh,
        [
            schema_message("pairs", ["id", "n"]),
            batch_message("pairs", keyed),
            schema_message("log", []),
            batch_message("log", appended),
        ],
    )
    pairs = table(postgres_server, fresh, "pairs", order="id, n")
    assert [(row["n"], row["x"]) for row in pairs] == [(1, 3), (2, 2)]
    log = table(postgres_server, fresh, "log", order="_sdc_sequence, x")
    assert [row["x"] for row in log] == [1, 2, 3]


def test_a_new_property_becomes_a_column(postgres_server: Any, fresh: str, tmp_path: Path) -> None:
    old = rows_file(tmp_path / "old.jsonl.gz", [{"id": "a", "n": 1}])
    wider = {**SCHEMA, "properties": {**SCHEMA["properties"], "late": {"type": ["string", "null"]}}}
    new = rows_file(tmp_path / "new.jsonl.gz", [{"id": "b", "late": "here"}])
    load(
        postgres_server,
        fresh,
        [
            schema_message("things", ["id"]),
            batch_message("things", old),
            schema_message("things", ["id"], wider),
            batch_message("things", new),
        ],
    )
    rows = table(postgres_server, fresh, "things")
    assert [(row["id"], row["late"]) for row in rows] == [("a", None), ("b", "here")]
    assert column_types(postgres_server, fresh, "things")["late"] == "text"


def test_a_table_without_a_key_index_is_still_upserted(
    postgres_server: Any, fresh: str, tmp_path: Path
) -> None:
    first = rows_file(tmp_path / "1.jsonl.gz", [{"id": "a", "n": 1}, {"id": "b", "n": 1}])
    load(postgres_server, fresh, [schema_message("things", ["id"]), batch_message("things", first)])
    postgres_server.psql(f"alter table {fresh}.things drop constraint things_pkey")
    second = rows_file(tmp_path / "2.jsonl.gz", [{"id": "b", "n": 2}, {"id": "c", "n": 2}])
    load(
        postgres_server, fresh, [schema_message("things", ["id"]), batch_message("things", second)]
    )
    rows = table(postgres_server, fresh, "things")
    assert [(row["id"], row["n"]) for row in rows] == [("a", 1), ("b", 2), ("c", 2)]


@pytest.mark.parametrize(
    "bad_line",
    ["{not json", '{"id": "c", "n": "many"}'],
    ids=["fails to stage", "fails to write"],
)
def test_state_is_passed_on_only_once_the_batch_before_it_is_committed(
    postgres_server: Any, fresh: str, tmp_path: Path, bad_line: str
) -> None:
    """The batch after a committed one is staged while that one is written; a failure in
    either step leaves the earlier batch committed and its STATE alone passed on."""
    good = rows_file(tmp_path / "good.jsonl.gz", [{"id": "a"}])
    bad = batch_file(tmp_path / "bad.jsonl.gz", ['{"id": "b"}', bad_line])
    messages = [
        schema_message("things", ["id"]),
        state_message(1),
        batch_message("things", good),
        state_message(2),
        batch_message("things", bad),
        state_message(3),
    ]
    target = TargetPostgresBulk(config=config(postgres_server, fresh))
    with captured_stdout() as out, pytest.raises(BulkLoadError):
        target.listen(io.StringIO("".join(f"{line}\n" for line in messages)))
    # STATE 1 came before the committed batch; STATE 2 covers the failed one: never passed on.
    assert [json.loads(line) for line in out.getvalue().splitlines()] == [{"at": 1}]
    assert [row["id"] for row in table(postgres_server, fresh, "things")] == ["a"]
    assert bad.exists(), "a batch file that failed to load is kept"


def test_activate_version_keeps_batch_rows_loaded_after_the_version_began(
    postgres_server: Any, fresh: str, tmp_path: Path
) -> None:
    """BATCH rows carry the time they were loaded as their version (Singer versions are
    milliseconds): a sync's ACTIVATE_VERSION deletes what was loaded before the sync began and
    not delivered again, and keeps what was loaded since."""
    before = rows_file(tmp_path / "before.jsonl.gz", [{"id": "a"}, {"id": "b"}])
    first = [schema_message("things", ["id"]), batch_message("things", before)]
    load(postgres_server, fresh, first)
    version = int(time.time() * 1000) + 1
    time.sleep(0.01)
    since = rows_file(tmp_path / "since.jsonl.gz", [{"id": "c"}])
    again = {"type": "RECORD", "stream": "things", "record": {"id": "a"}, "version": version}
    activate = {"type": "ACTIVATE_VERSION", "stream": "things", "version": version}
    load(
        postgres_server,
        fresh,
        [
            schema_message("things", ["id"]),
            json.dumps(again),
            batch_message("things", since),
            json.dumps(activate),
        ],
        activate_version=True,
        hard_delete=False,
    )
    deleted = postgres_server.psql(
        f"select id, _sdc_deleted_at is not null from {fresh}.things order by id"  # noqa: S608
    )
    assert deleted == [["a", "f"], ["b", "t"], ["c", "f"]]


def test_batch_files_are_kept_when_asked(postgres_server: Any, fresh: str, tmp_path: Path) -> None:
    path = rows_file(tmp_path / "kept.jsonl.gz", [{"id": "a"}])
    states = load(
        postgres_server,
        fresh,
        [schema_message("things", ["id"]), batch_message("things", path), state_message(7)],
        keep_batch_files=True,
    )
    assert states == [{"at": 7}]
    assert path.exists()
