"""Downloads: fragments, whole data, the record schema, determinism, and export truth."""

from __future__ import annotations

from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import orjson
import requests

from peopleai_sandbox import RunningSandbox
from peopleai_sandbox.pytest_plugin import SandboxFactory
from tests.support.api_client import ApiClient, MakeClient, records_of
from tests.support.truth import observed_rows, truth_rows

COMMON = {
    "uid",
    "source_id",
    "type",
    "timestamp",
    "ingest_timestamp",
    "created",
    "subject",
    "summary",
    "tags",
    "stats",
    "campaigns",
    "participants",
    "crm_status",
}
ONLY = {
    "email": {
        "direction",
        "followed_meeting_source_id",
        "in_reply_to_source_id",
        "follow_up_email_source_id",
        "reply_received",
        "attachment_file_names",
    },
    "meeting": {"status", "duration", "start_time", "end_time", "all_day", "location"},
    "call": {"direction", "duration", "outbound_phone_number"},
}


def test_fragments_concatenated_equal_the_whole_download(
    sandbox_factory: SandboxFactory, make_client: MakeClient
) -> None:
    sandbox = sandbox_factory(fragment_records=50)
    api = make_client(sandbox)
    done = api.run(start="2025-02-01", end="2025-02-02")
    count = done["fragment"]
    assert count > 2
    parts = [api.data(done["job_id"], fragment=n) for n in range(count)]
    assert all(part.status_code == 200 for part in parts)
    assert [len(records_of(part.content)) for part in parts[:-1]] == [50] * (count - 1)
    assert 0 < len(records_of(parts[-1].content)) <= 50
    whole = api.data(done["job_id"]).content
    assert b"".join(part.content for part in parts) == whole
    assert sum(len(part.content) for part in parts) == done["results_size"]
    assert api.data(done["job_id"], fragment=count).status_code == 404
    assert sandbox.backend.stats()["downloads"] == count + 1


def test_downloaded_export_equals_export_truth(client: ApiClient, sandbox: RunningSandbox) -> None:
    for export_type, start, end in (
        ("snapshot", "2025-02-10", "2025-02-20"),
        ("delta", "2025-02-10", "2025-02-20"),
    ):
        truth = sandbox.backend.export_truth(export_type, start, end)
        done = client.run(export_type=export_type, start=start, end=end)
        records = records_of(client.data(done["job_id"]).content)
        assert observed_rows(records) == truth_rows(truth)
        assert len(truth) > 1500


def test_activity_type_filters_records(client: ApiClient, sandbox: RunningSandbox) -> None:
    seen: dict[str, int] = {}
    for activity_type in ("email", "meeting", "call"):
        done = client.run(activity_type=activity_type)
        records = records_of(client.data(done["job_id"]).content)
        assert {record["type"] for record in records} == {activity_type}
        seen[activity_type] = len(records)
    everything = records_of(client.data(client.run()["job_id"]).content)
    assert Counter(record["type"] for record in everything) == seen


def test_records_follow_the_schema(client: ApiClient) -> None:
    done = client.run(start="2025-02-01", end="2025-02-10")
    content = client.data(done["job_id"]).content
    records = records_of(content)
    assert 1000 <= len(content) / len(records) <= 1800  # about 1-1.5 KB a record
    all_type_specific = set().union(*ONLY.values())
    for record in records:
        keys = set(record)
        assert keys >= COMMON
        assert not (keys & (all_type_specific - ONLY[record["type"]]))
        assert record["timestamp"].endswith("Z")
        assert isinstance(record["participants"], list)
        assert isinstance(record["stats"]["total_participants"], int)
        crm = record["crm_status"]
        if crm["matched_to"] in ("account", "opportunity", "lead"):
            assert crm[crm["matched_to"]]["crm_id"]
    peopleai_ids = [p["peopleai_id"] for r in records for p in r["participants"]]
    assert any(isinstance(value, int) for value in peopleai_ids)
    assert any(isinstance(value, str) and value.isdigit() for value in peopleai_ids)
    text = content.decode("utf-8")
    assert any(ord(char) > 0x3000 for char in text)  # CJK
    assert any(ord(char) > 0xFFFF for char in text)  # emoji
    assert any(record.get("summary") is None for record in records)
    assert any(record.get("campaigns") for record in records)
    assert any(record.get("experimental") for record in records)
    assert any(record["type"] == "meeting" and "location" not in record for record in records)
    logged = [r for r in records if "logged_call" in r["tags"]]
    assert logged
    assert all(r["timestamp"].endswith("T00:00:00Z") for r in logged)
    emails = [r for r in records if r["type"] == "email"]
    assert any(r["attachment_file_names"] for r in emails)
    assert all(isinstance(r["attachment_file_names"], list) for r in emails)


def test_same_seed_same_bytes_other_seed_other_data(
    sandbox_factory: SandboxFactory, make_client: MakeClient
) -> None:
    contents = []
    for seed in (5, 5, 6):
        api = make_client(sandbox_factory(seed=seed))
        contents.append(api.data(api.run()["job_id"]).content)
    assert contents[0] == contents[1]
    assert contents[0] != contents[2]
    uids = [{record["uid"] for record in records_of(content)} for content in contents]
    assert not uids[0] & uids[2]


def test_a_job_result_never_changes_after_creation(
    client: ApiClient, sandbox: RunningSandbox
) -> None:
    today = sandbox.clock.now().date().isoformat()
    done = client.run(export_type="delta", start=today, end=today)
    first = client.data(done["job_id"]).content
    before = sandbox.backend.export_truth("delta", today, today)
    sandbox.advance(seconds=6 * 3600)
    client.login()
    assert client.data(done["job_id"]).content == first
    after = sandbox.backend.export_truth("delta", today, today)
    assert len(after) > len(before)


def test_empty_result_has_fragment_zero_and_an_empty_body(client: ApiClient) -> None:
    done = client.run(start="2030-01-01", end="2030-01-02")
    assert done["state"] == "Completed"
    assert done["fragment"] == 0
    assert done["results_size"] == 0
    for fragment in (None, 0):
        answer = client.data(done["job_id"], fragment=fragment)
        assert answer.status_code == 200
        assert answer.content == b""
    assert client.data(done["job_id"], fragment=1).status_code == 404


def test_data_is_json_lines_of_utf8(client: ApiClient) -> None:
    answer = client.data(client.run()["job_id"])
    assert answer.headers["Content-Type"] == "application/x-ndjson"
    lines = answer.content.split(b"\n")
    assert lines[-1] == b""
    for line in lines[:-1]:
        assert isinstance(orjson.loads(line), dict)
    assert b"\r" not in answer.content
    assert not answer.content.startswith(b"\xef\xbb\xbf")


def test_parallel_fragment_downloads(
    sandbox_factory: SandboxFactory, make_client: MakeClient
) -> None:
    sandbox = sandbox_factory(fragment_records=40)
    api = make_client(sandbox)
    done = api.run(start="2025-02-01", end="2025-02-04")
    count = done["fragment"]
    assert count >= 16

    def fetch(number: int) -> bytes:
        with requests.Session() as session:
            answer = session.get(
                f"{sandbox.jobs_url}/{done['job_id']}/data",
                params={"fragment": number},
                headers=api.auth,
                timeout=30,
            )
            assert answer.status_code == 200
            return answer.content

    with ThreadPoolExecutor(max_workers=8) as pool:
        parts = list(pool.map(fetch, range(count)))
    assert b"".join(parts) == api.data(done["job_id"]).content
    truth = sandbox.backend.export_truth("snapshot", "2025-02-01", "2025-02-04")
    assert observed_rows(records_of(b"".join(parts))) == truth_rows(truth)
