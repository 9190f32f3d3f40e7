"""The one redaction function: every form a secret takes, and pieces of it at an excerpt's edge."""

from __future__ import annotations

import base64

import pytest

from tap_peopleai.api.redaction import SecretRedactor
from tests.support.secret_forms import SECRET, encoded_forms, leaks

TOKEN = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJjIn0.c2lnbmF0dXJlLXBhcnQ"


@pytest.fixture
def redact() -> SecretRedactor:
    redactor = SecretRedactor()
    redactor.add(SECRET)
    redactor.add(TOKEN)
    return redactor


@pytest.mark.parametrize("form", encoded_forms(SECRET))
def test_every_form_of_the_secret_is_redacted_inside_any_text(redact, form: str) -> None:
    text = f"invalid_client (request body 'client_secret={form}&x=1')"
    assert leaks(redact(text), SECRET) == []
    assert "[redacted]" in redact(text)


def test_a_mixture_of_escapes_is_redacted(redact) -> None:
    # As Java's and PHP's encoders write it: \/ for the slash, \u00XX for the rest.
    mixed = "s3cr3t\\/DO\\u002bNOT\\u0020share%3d\\u00E9~9Zq"
    assert leaks(redact(f'"client_secret": "{mixed}"'), SECRET) == []


def test_a_json_text_quoted_inside_another_is_redacted(redact) -> None:
    once = '{"client_secret": "s3cr3t\\/DO+NOT share=\\u00e9~9Zq"}'
    twice = repr(once)  # a message that quotes the JSON it logged
    assert leaks(redact(twice), SECRET) == []


@pytest.mark.parametrize("prefix", ["", "c", "id", "client:"])
def test_base64_of_the_secret_at_any_offset_is_redacted(redact, prefix: str) -> None:
    header = base64.b64encode(f"{prefix}{SECRET}".encode()).decode()
    assert leaks(redact(f"Authorization: Basic {header}"), SECRET) == []


def test_the_token_is_redacted_in_an_echoed_header(redact) -> None:
    assert TOKEN not in redact(f"Authorization header 'Bearer {TOKEN}' rejected")


@pytest.mark.parametrize("form", encoded_forms(SECRET))
@pytest.mark.parametrize("limit", range(20, 60, 3))
def test_an_excerpt_cut_anywhere_leaks_no_piece_of_the_secret(redact, form: str, limit) -> None:
    text = f"HTTP 500: Internal server error (request body 'client_secret={form}')"
    assert leaks(redact.excerpt(text, limit), SECRET) == []


@pytest.mark.parametrize("cut", range(4, len(SECRET)))
def test_a_body_the_server_cut_inside_the_secret_leaks_no_prefix(redact, cut: int) -> None:
    text = f"request body 'client_secret={SECRET[:cut]}"
    excerpt = redact.excerpt(text, 500)
    assert SECRET[:cut] not in excerpt
    assert excerpt.endswith("[redacted]")


def test_a_body_that_starts_inside_the_secret_leaks_no_suffix(redact) -> None:
    assert SECRET[-8:] not in redact.excerpt(f"{SECRET[-8:]}' was rejected", 500)


def test_ordinary_text_is_left_alone(redact) -> None:
    text = "HTTP 503 from the People.ai API while listing export jobs: Service unavailable"
    assert redact.excerpt(text, 500) == text
