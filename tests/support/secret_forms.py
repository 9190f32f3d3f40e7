"""Every form a secret can take in a response body or a message, and a check that none leaked."""

from __future__ import annotations

import base64
import json
import re
from urllib.parse import quote, quote_plus

# A secret with what each encoding changes: a slash, a plus, a space, an equals sign, non-ASCII.
SECRET = "s3cr3t/DO+NOT share=é~9Zq"
# How long a piece of an encoded secret may be before it counts as a leak (a cut-off excerpt).
LEAK_FRAGMENT = 6


def _lower_escapes(text: str) -> str:
    return re.sub(r"%[0-9A-F]{2}", lambda m: m.group(0).lower(), text)


def _json_all_escaped(text: str) -> str:
    return "".join(
        c if c.isascii() and c.isalnum() else "".join(f"\\u{b:04x}" for b in _utf16(c))
        for c in text
    )


def _utf16(char: str) -> list[int]:
    data = char.encode("utf-16-be")
    return [int.from_bytes(data[i : i + 2], "big") for i in range(0, len(data), 2)]


def _base64_forms(secret: str) -> list[str]:
    """The secret's stable middle in base64 at each of the three alignments it can have."""
    forms = []
    raw = secret.encode()
    for shift in range(3):
        encoded = base64.b64encode(b"\0" * shift + raw).decode()
        # Only characters whose six bits all come from the secret are its own.
        stable = encoded[-(-8 * shift // 6) : 8 * (shift + len(raw)) // 6]
        forms += [stable, stable.replace("+", "-").replace("/", "_")]
    return forms


def encoded_forms(secret: str) -> list[str]:
    """The secret as text may carry it: plain, URL-encoded (both ways, either case), JSON-escaped
    (as JSON writes it, with ``\\/``, with ``\\u00XX``), base64 (standard and URL-safe)."""
    forms = {
        secret,
        quote_plus(secret),
        quote(secret, safe=""),
        _lower_escapes(quote_plus(secret)),
        _lower_escapes(quote(secret, safe="")),
        json.dumps(secret)[1:-1],
        json.dumps(secret, ensure_ascii=False)[1:-1],
        json.dumps(secret)[1:-1].replace("/", "\\/"),
        _json_all_escaped(secret),
        *_base64_forms(secret),
    }
    return sorted(form for form in forms if form)


def leaks(text: str, secret: str) -> list[str]:
    """The forms of ``secret`` (or their cut-off beginnings and ends) found in ``text``."""
    found = []
    for form in encoded_forms(secret):
        pieces = {form}
        if len(form) > LEAK_FRAGMENT:
            pieces |= {form[:LEAK_FRAGMENT], form[-LEAK_FRAGMENT:]}
        found += [piece for piece in sorted(pieces) if piece in text]
    return found
