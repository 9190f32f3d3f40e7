"""Fixtures of the sandbox's own tests; `sandbox` and `sandbox_factory` come from the plugin."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from peopleai_sandbox import RunningSandbox
from tests.support.api_client import ApiClient, MakeClient


@pytest.fixture
def client(sandbox: RunningSandbox) -> Iterator[ApiClient]:
    """A logged-in client of the default sandbox."""
    api = ApiClient(sandbox)
    api.login()
    yield api
    api.close()


@pytest.fixture
def make_client() -> Iterator[MakeClient]:
    """Build logged-in clients for sandboxes made with ``sandbox_factory``."""
    made: list[ApiClient] = []

    def factory(sandbox: RunningSandbox, login: bool = True) -> ApiClient:
        api = ApiClient(sandbox)
        if login:
            api.login()
        made.append(api)
        return api

    yield factory
    for api in made:
        api.close()
