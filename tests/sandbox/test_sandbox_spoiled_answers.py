"""Answers that look whole and are not: truncated gzip, empty and short bodies, redirect chains
that go nowhere, undocumented or missing job states, and the generic mutation hook. The ground
truth never changes; a retry gets the whole answer unless the faults are persistent."""

from __future__ import annotations

import zlib
from typing import Any

import orjson
import pytest
import requests

from peopleai_sandbox import Faults
from peopleai_sandbox.cli import build_parser, config_from_args
from peopleai_sandbox.pytest_plugin import SandboxFactory
from peopleai_sandbox.settings.faults import EMPTY_CHAIN_HOPS
from peopleai_sandbox.settings.mutations import Mutation
from tests.support.api_client import ApiClient, MakeClient, records_of
from tests.support.truth import observed_rows, truth_rows

SMALL = {"fragment_records": 100}
WINDOW = ("snapshot", "2025-02-01", "2025-02-03")


def _raw(api: ApiClient, job_id: Any, fragment: int | None = None) -> requests.Response:
    """A download as sent: body not decoded, redirects not followed."""
    answer = api.data(job_id, fragment, stream=True, allow_redirects=False)
    answer.raw.decode_content = False
    return answer


def _whole(api: ApiClient, job_id: Any) -> bytes:
    return _raw(api, job_id).raw.read()


def _wait_ended(api: ApiClient, job_id: Any) -> dict[str, Any]:
    for _ in range(2000):
        document: dict[str, Any] = api.status(job_id).json()
        if document.get("state") not in ("Queued", "Running"):
            return document
    raise AssertionError(f"job {job_id} never ended")


def test_a_truncated_gzip_download_decodes_to_valid_lines_and_the_retry_is_whole(
    sandbox_factory: SandboxFactory, make_client: MakeClient
) -> None:
    sandbox = sandbox_factory(truncated_gzip_rate=1.0)
    api = make_client(sandbox)
    done = api.run()
    answer = _raw(api, done["job_id"])
    body = answer.raw.read()
    assert answer.headers["Content-Encoding"] == "gzip"
    assert int(answer.headers["Content-Length"]) == len(body)
    decoder = zlib.decompressobj(31)
    plain = decoder.decompress(body)
    assert not decoder.eof, "the gzip stream has no end"
    assert plain.endswith(b"\n")
    assert records_of(plain)
    assert len(plain) < done["results_size"]
    # requests decodes it without a word: only the missing end of the stream shows the cut
    again = api.data(done["job_id"])
    assert len(again.content) == done["results_size"]
    truth = sandbox.backend.export_truth(*WINDOW)
    assert observed_rows(records_of(again.content)) == truth_rows(truth)
    assert sandbox.backend.stats()["fault_truncated_gzip"] == 1


def test_an_empty_200_although_the_job_has_data_then_the_whole_body(
    sandbox_factory: SandboxFactory, make_client: MakeClient
) -> None:
    sandbox = sandbox_factory(empty_download_rate=1.0)
    api = make_client(sandbox)
    done = api.run()
    empty = api.data(done["job_id"], fragment=0)
    assert empty.status_code == 200
    assert empty.content == b""
    assert empty.headers["Content-Length"] == "0"
    assert done["results_size"] > 0
    assert len(api.data(done["job_id"], fragment=0).content) == done["results_size"]
    assert sandbox.backend.stats()["fault_empty_download"] == 1


def test_a_short_body_with_a_matching_length_only_results_size_reveals(
    sandbox_factory: SandboxFactory, make_client: MakeClient
) -> None:
    sandbox = sandbox_factory(short_download_rate=1.0)
    api = make_client(sandbox)
    done = api.run()
    short = api.data(done["job_id"])
    assert int(short.headers["Content-Length"]) == len(short.content) < done["results_size"]
    assert short.content.endswith(b"\n")
    assert records_of(short.content)  # every line that is there is valid JSON
    assert len(api.data(done["job_id"]).content) == done["results_size"]


def test_persistent_download_faults_spoil_every_download(
    sandbox_factory: SandboxFactory, make_client: MakeClient
) -> None:
    sandbox = sandbox_factory(short_download_rate=1.0, persistent_download_faults=True)
    api = make_client(sandbox)
    done = api.run()
    sizes = {len(api.data(done["job_id"]).content) for _ in range(4)}
    assert max(sizes) < done["results_size"]
    assert sandbox.backend.stats()["fault_short_download"] == 4


def _follow(api: ApiClient, answer: requests.Response, hops: int) -> list[requests.Response]:
    seen = [answer]
    for _ in range(hops):
        if "Location" not in seen[-1].headers:
            break
        target = requests.compat.urljoin(seen[-1].url, seen[-1].headers["Location"])
        seen.append(api.session.get(target, allow_redirects=False))
    return seen


def test_an_endless_redirect_chain_and_its_hops_refuse_the_bearer_token(
    sandbox_factory: SandboxFactory, make_client: MakeClient
) -> None:
    sandbox = sandbox_factory(endless_redirect_rate=1.0)
    api = make_client(sandbox)
    done = api.run()
    first = api.data(done["job_id"], fragment=0, allow_redirects=False)
    chain = _follow(api, first, 30)
    assert len(chain) == 31
    assert {answer.status_code for answer in chain} == {302}
    hop = requests.compat.urljoin(first.url, first.headers["Location"])
    assert api.session.get(hop, headers=api.auth, allow_redirects=False).status_code == 400
    assert api.data(done["job_id"], fragment=0).status_code == 200  # the retry is clean


def test_a_redirect_chain_that_ends_in_an_empty_302(
    sandbox_factory: SandboxFactory, make_client: MakeClient
) -> None:
    sandbox = sandbox_factory(empty_redirect_rate=1.0)
    api = make_client(sandbox)
    done = api.run()
    chain = _follow(api, api.data(done["job_id"], allow_redirects=False), 10)
    assert len(chain) == EMPTY_CHAIN_HOPS + 1
    last = chain[-1]
    assert last.status_code == 302
    assert last.content == b""
    assert "Location" not in last.headers
    assert sandbox.backend.stats()["fault_empty_redirect"] == 1


@pytest.mark.parametrize(
    ("fault", "expected"), [("unknown_state_rate", "Expired"), ("missing_state_rate", None)]
)
def test_jobs_that_end_in_an_undocumented_state_or_none(
    sandbox_factory: SandboxFactory, make_client: MakeClient, fault: str, expected: str | None
) -> None:
    sandbox = sandbox_factory(**{fault: 1.0})
    api = make_client(sandbox)
    created = api.create()
    document = _wait_ended(api, created["job_id"])
    assert document.get("state") == expected
    assert ("state" in document) == (expected is not None)
    assert document["results_size"] is None
    assert api.data(created["job_id"]).status_code == 409
    listed = api.list_jobs()
    assert listed[0].get("state") == expected
    assert sandbox.backend.export_truth(*WINDOW), "the truth is unchanged"


def test_mutations_spoil_chosen_answers_and_nothing_else(
    sandbox_factory: SandboxFactory, make_client: MakeClient
) -> None:
    mutations = (
        Mutation("create", at=1, status=503, headers=(("Content-Type", "text/html"),)),
        Mutation("data", at=1, cut=0.5, length="original"),
        Mutation("data", at=2, redirects=2, gzip="flush", cut=0.7),
    )
    sandbox = sandbox_factory(**SMALL, mutations=mutations)
    api = make_client(sandbox)
    refused = api.post_job()
    assert refused.status_code == 503
    assert refused.headers["Content-Type"] == "text/html"
    done = api.run()
    with pytest.raises(requests.exceptions.ChunkedEncodingError):
        api.data(done["job_id"])
    chain = _follow(api, api.data(done["job_id"], allow_redirects=False), 1)
    target = requests.compat.urljoin(chain[-1].url, chain[-1].headers["Location"])
    last = api.session.get(target, allow_redirects=False, stream=True)
    assert [answer.status_code for answer in chain] == [302, 302]
    assert last.status_code == 200
    decoder = zlib.decompressobj(31)
    plain = decoder.decompress(last.raw.read(decode_content=False))
    assert not decoder.eof
    whole = api.data(done["job_id"]).content
    assert len(whole) == done["results_size"]
    truth = sandbox.backend.export_truth(*WINDOW)
    assert observed_rows(records_of(whole)) == truth_rows(truth)
    assert 0 < len(plain) < len(whole)
    assert sandbox.backend.stats()["fault_mutation"] == 3


def test_a_mutated_status_answer_carries_the_edited_json(
    sandbox_factory: SandboxFactory, make_client: MakeClient
) -> None:
    mutation = Mutation("status", at=1, json_set=(("state", "Expired"),), json_drop=("job_id",))
    api = make_client(sandbox_factory(mutations=(mutation,)))
    created = api.create()
    spoiled = api.status(created["job_id"]).json()
    assert spoiled["state"] == "Expired"
    assert "job_id" not in spoiled
    assert api.status(created["job_id"]).json()["job_id"] == created["job_id"]


def test_mutations_come_from_the_cli_and_the_control_endpoint(
    sandbox_factory: SandboxFactory, make_client: MakeClient
) -> None:
    text = '{"route": "list", "at": 1, "status": 500, "json_set": [["x", [1, 2]]]}'
    args = build_parser().parse_args(["serve", "--mutate", text, "--truncated-gzip-rate", "0.5"])
    config = config_from_args(args)
    assert config.faults.mutations == (Mutation("list", status=500, json_set=(("x", [1, 2]),)),)
    assert config.faults.truncated_gzip_rate == 0.5
    with pytest.raises(SystemExit):
        build_parser().parse_args(["serve", "--mutate", '{"route": "nowhere"}'])
    sandbox = sandbox_factory()
    api = make_client(sandbox)
    answer = api.session.post(
        f"{sandbox.url}/_sandbox/faults",
        data=orjson.dumps({"mutations": [{"route": "list", "status": 418}]}),
    )
    assert answer.status_code == 200, answer.text
    assert answer.json()["mutations"][0]["status"] == 418
    assert api.session.get(sandbox.jobs_url, headers=api.auth).status_code == 418
    assert api.session.get(sandbox.jobs_url, headers=api.auth).status_code == 200
    assert Faults.from_mapping({"mutations": [{"route": "token"}]}).mutations[0].route == "token"
