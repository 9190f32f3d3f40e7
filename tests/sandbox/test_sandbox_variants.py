"""Every unknown of the real API as a switch: fragment field, timestamps, gzip, redirects."""

from __future__ import annotations

import re
import uuid
from datetime import timedelta
from urllib.parse import urlsplit

import orjson
import pytest
import requests

from peopleai_sandbox.pytest_plugin import SandboxFactory
from tests.support.api_client import MakeClient, records_of
from tests.support.truth import observed_rows, truth_rows

SMALL = {"fragment_records": 100}


@pytest.mark.parametrize(
    ("settings", "field", "minus"),
    [
        ({}, "fragment", 0),
        ({"fragment_field": "fragments"}, "fragments", 0),
        ({"fragment_value": "highest_index"}, "fragment", 1),
    ],
)
def test_fragment_field_name_and_value(
    sandbox_factory: SandboxFactory,
    make_client: MakeClient,
    settings: dict[str, str],
    field: str,
    minus: int,
) -> None:
    sandbox = sandbox_factory(**SMALL, **settings)
    api = make_client(sandbox)
    done = api.run()
    records = len(sandbox.backend.export_truth("snapshot", "2025-02-01", "2025-02-03"))
    fragments = -(-records // 100)
    assert fragments > 3
    assert done[field] == fragments - minus
    other = "fragments" if field == "fragment" else "fragment"
    assert other not in done
    assert api.data(done["job_id"], fragment=fragments - 1).status_code == 200
    assert api.data(done["job_id"], fragment=fragments).status_code == 404


@pytest.mark.parametrize(("empty", "present"), [("zero", True), ("absent", False)])
def test_fragment_field_of_an_empty_result(
    sandbox_factory: SandboxFactory, make_client: MakeClient, empty: str, present: bool
) -> None:
    api = make_client(sandbox_factory(fragment_empty=empty, fragment_value="highest_index"))
    done = api.run(start="2031-01-01", end="2031-01-01")
    assert ("fragment" in done) is present
    if present:
        assert done["fragment"] == 0
    assert api.data(done["job_id"]).content == b""


def test_data_without_fragment_can_be_only_fragment_zero(
    sandbox_factory: SandboxFactory, make_client: MakeClient
) -> None:
    api = make_client(sandbox_factory(**SMALL, data_without_fragment="first"))
    done = api.run()
    first = api.data(done["job_id"], fragment=0).content
    assert api.data(done["job_id"]).content == first
    assert len(first) < done["results_size"]


@pytest.mark.parametrize(
    ("style", "pattern"),
    [
        ("z", r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ"),
        ("naive", r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d"),
        ("fractional", r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.(\d{3}|\d{6})Z"),
    ],
)
def test_timestamp_styles(
    sandbox_factory: SandboxFactory, make_client: MakeClient, style: str, pattern: str
) -> None:
    sandbox = sandbox_factory(timestamp_style=style)
    api = make_client(sandbox)
    records = records_of(api.data(api.run()["job_id"]).content)
    for record in records:
        for name in ("timestamp", "ingest_timestamp", "created", "start_time", "end_time"):
            if name in record:
                assert re.fullmatch(pattern, record[name]), record[name]
    truth = sandbox.backend.export_truth("snapshot", "2025-02-01", "2025-02-03")
    assert observed_rows(records) == truth_rows(truth)
    if style == "fractional":
        lengths = {len(record["ingest_timestamp"]) for record in records}
        assert lengths == {24, 27}  # milliseconds and microseconds both occur
        assert any(row.ingest_timestamp.microsecond for row in truth.values())
    else:
        assert all(row.ingest_timestamp.microsecond == 0 for row in truth.values())


def test_mixed_timestamps_use_every_style_and_truth_follows(
    sandbox_factory: SandboxFactory, make_client: MakeClient
) -> None:
    sandbox = sandbox_factory(timestamp_style="mixed")
    api = make_client(sandbox)
    records = records_of(api.data(api.run()["job_id"]).content)
    stamps = [record["ingest_timestamp"] for record in records]
    assert any(stamp.endswith("Z") and "." not in stamp for stamp in stamps)
    assert any(not stamp.endswith("Z") for stamp in stamps)
    assert any("." in stamp for stamp in stamps)
    truth = sandbox.backend.export_truth("snapshot", "2025-02-01", "2025-02-03")
    assert observed_rows(records) == truth_rows(truth)


def test_gzip_downloads_decode_to_the_plain_bytes(
    sandbox_factory: SandboxFactory, make_client: MakeClient
) -> None:
    plain_api = make_client(sandbox_factory(**SMALL))
    plain_done = plain_api.run()
    plain = plain_api.data(plain_done["job_id"]).content
    api = make_client(sandbox_factory(**SMALL, gzip=True))
    done = api.run()
    assert done["results_size"] == len(plain)
    answer = api.data(done["job_id"])
    assert answer.headers["Content-Encoding"] == "gzip"
    assert answer.content == plain
    raw = api.data(done["job_id"], fragment=2, stream=True)
    compressed = raw.raw.read(decode_content=False)
    raw.close()
    assert compressed[:2] == b"\x1f\x8b"
    assert len(compressed) < len(plain_api.data(plain_done["job_id"], fragment=2).content)


def test_redirected_downloads_go_to_another_origin_without_the_token(
    sandbox_factory: SandboxFactory, make_client: MakeClient
) -> None:
    sandbox = sandbox_factory(**SMALL, redirect_downloads=True)
    api = make_client(sandbox)
    done = api.run()
    redirect = api.data(done["job_id"], fragment=1, allow_redirects=False)
    assert redirect.status_code == 302
    location = redirect.headers["Location"]
    assert sandbox.storage_url is not None
    assert location.startswith(sandbox.storage_url)
    assert urlsplit(location).port != sandbox.port
    assert "X-Amz-Signature=" in location
    with requests.Session() as storage:
        with_token = storage.get(location, headers=api.auth)
        assert with_token.status_code == 400
        assert b"<Code>InvalidArgument</Code>" in with_token.content
        clean = storage.get(location)
        assert clean.status_code == 200
        tampered = storage.get(location[:-4] + "0000")
        assert tampered.status_code == 403
        assert storage.post(location).status_code == 405
    followed = api.data(done["job_id"], fragment=1)  # requests drops the token across origins
    assert followed.status_code == 200
    assert followed.content == clean.content
    assert len(records_of(followed.content)) == 100
    whole = api.data(done["job_id"])
    assert len(whole.content) == done["results_size"]
    sandbox.advance(seconds=301)
    with requests.Session() as storage:
        expired = storage.get(location)
    assert expired.status_code == 403
    assert b"Request has expired" in expired.content


def test_redirect_and_gzip_together(
    sandbox_factory: SandboxFactory, make_client: MakeClient
) -> None:
    sandbox = sandbox_factory(redirect_downloads=True, gzip=True)
    api = make_client(sandbox)
    done = api.run()
    answer = api.data(done["job_id"])
    assert answer.history[0].status_code == 302
    assert answer.headers["Content-Encoding"] == "gzip"
    truth = sandbox.backend.export_truth("snapshot", "2025-02-01", "2025-02-03")
    assert observed_rows(records_of(answer.content)) == truth_rows(truth)


def test_line_noise(sandbox_factory: SandboxFactory, make_client: MakeClient) -> None:
    sandbox = sandbox_factory(**SMALL, line_noise=True)
    api = make_client(sandbox)
    done = api.run()
    for fragment in (None, 0, 3):
        content = api.data(done["job_id"], fragment=fragment).content
        assert content.startswith(b"\xef\xbb\xbf")
        assert content.endswith(b"\x00\x00\x00\x00")
        assert b"\r\n" in content
        assert content.count(b"\r\n") == content.count(b"\n")
        assert b"\r\n\r\n" in content
    content = api.data(done["job_id"]).content
    assert content.count(b"\xef\xbb\xbf") == 1  # the whole download is one file
    text = content.decode("utf-8-sig").rstrip("\x00")
    records = [orjson.loads(line) for line in text.splitlines() if line.strip()]
    truth = sandbox.backend.export_truth("snapshot", "2025-02-01", "2025-02-03")
    assert observed_rows(records) == truth_rows(truth)


def test_spring_error_bodies(sandbox_factory: SandboxFactory, make_client: MakeClient) -> None:
    sandbox = sandbox_factory(error_shape="spring")
    api = make_client(sandbox)
    answer = api.status(999)
    assert answer.status_code == 404
    body = answer.json()
    assert set(body) == {"code", "id", "message", "path", "timestamp"}
    assert body["code"] == 404
    assert body["path"] == "/pull/v1/export/activities/jobs/999"
    assert body["timestamp"].startswith("2025-03-01T12:00:00")
    uuid.UUID(body["id"])
    bad = api.post_job({"start_date": "x"})
    assert bad.json()["code"] == 400
    assert "missing" in bad.json()["message"]


def test_date_header_follows_the_sandbox_clock(
    sandbox_factory: SandboxFactory, make_client: MakeClient
) -> None:
    sandbox = sandbox_factory()
    api = make_client(sandbox)
    assert api.status(1).headers["Date"] == "Sat, 01 Mar 2025 12:00:00 GMT"
    sandbox.clock.advance(timedelta(days=1, hours=1))
    assert api.get_token().headers["Date"] == "Sun, 02 Mar 2025 13:00:00 GMT"
