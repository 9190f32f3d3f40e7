"""Secrets kept out of every text the tap shows: in each form a response or an exception can
carry them, and out of the edges of cut-off excerpts.

A server may echo what it was sent: a token request's form URL-encoded (``%2F`` or ``%2f``,
``+`` for a space), a JSON text (``\\/``, ``\\u002f``, any mix of them, escaped once more when
that text is quoted again), a Basic header in base64. For each secret ``SecretRedactor`` builds
one pattern in which every character may take any of those forms, so no list of encodings can
miss a mixture. ``excerpt`` redacts a text before cutting it, and also blanks a piece of a secret
left at either edge (a body the server itself cut mid-secret).
"""

from __future__ import annotations

import base64
import re
import threading
from dataclasses import dataclass

REDACTED = "[redacted]"
# A piece of a secret this many characters long at an excerpt's edge is taken for the secret.
MIN_FRAGMENT = 4
# An escape may be quoted once more (a JSON text inside a JSON string): one backslash more.
_BACKSLASHES = r"\\{1,2}"


def _hex(value: int, width: int) -> str:
    """``value`` in hexadecimal, each letter in either case."""
    return "".join(
        f"[{digit.lower()}{digit.upper()}]" if digit.isalpha() else digit
        for digit in f"{value:0{width}x}"
    )


def _char_pattern(char: str) -> str:
    """Every form one character of a secret can take in a body or a message."""
    data = char.encode("utf-16-be")
    units = [int.from_bytes(data[i : i + 2], "big") for i in range(0, len(data), 2)]
    forms = [
        re.escape(char),
        "".join(f"{_BACKSLASHES}u{_hex(unit, 4)}" for unit in units),  # JSON \u00e9
        "".join(f"%{_hex(byte, 2)}" for byte in char.encode()),  # URL %C3%A9 or %c3%a9
    ]
    if char == "/":
        forms.append(f"{_BACKSLASHES}/")  # JSON \/
    if char == " ":
        forms.append(r"\+")  # a form's space
    if char in '"\\':
        forms.append(f"{_BACKSLASHES}{re.escape(char)}")  # JSON \" and \\
    return f"(?:{'|'.join(forms)})"


def _base64_forms(secret: str) -> set[str]:
    """The secret's own characters in base64, at each of the three offsets it can start at."""
    raw = secret.encode()
    forms = set()
    for shift in range(3):
        encoded = base64.b64encode(b"\0" * shift + raw).decode()
        # Only the characters whose six bits all come from the secret.
        own = encoded[-(-8 * shift // 6) : 8 * (shift + len(raw)) // 6]
        forms |= {own, own.replace("+", "-").replace("/", "_")}
    return {form for form in forms if len(form) >= MIN_FRAGMENT}


@dataclass(frozen=True)
class _SecretPatterns:
    """One secret's patterns: anywhere in a text, and cut at a text's end or start."""

    anywhere: re.Pattern[str]
    cut_at_end: re.Pattern[str]
    cut_at_start: re.Pattern[str]

    @classmethod
    def of(cls, secret: str) -> _SecretPatterns:
        chars = [_char_pattern(char) for char in secret]
        whole = "".join(chars)
        encoded = sorted(_base64_forms(secret), key=len, reverse=True)
        anywhere = "|".join([whole, *map(re.escape, encoded)])
        # A prefix of at least MIN_FRAGMENT characters: c1 c2 c3 c4 (c5 (c6 ...)?)?
        head, rest = chars[:MIN_FRAGMENT], chars[MIN_FRAGMENT:]
        prefix = "".join(head) + "".join(f"(?:{c}" for c in rest) + ")?" * len(rest)
        # A suffix of at least MIN_FRAGMENT characters: ((c1? c2)? c3)? ... c(n-3) .. c(n)
        rest, tail = chars[:-MIN_FRAGMENT], chars[-MIN_FRAGMENT:]
        suffix = "(?:" * len(rest) + "".join(f"{c})?" for c in rest) + "".join(tail)
        return cls(
            re.compile(anywhere),
            re.compile(f"(?:{prefix})$"),
            re.compile(f"^(?:{suffix})"),
        )


class SecretRedactor:
    """Removes every registered secret, in every form, from text before anyone sees it."""

    def __init__(self) -> None:
        # Patterns are compiled when a text is first redacted, not when a secret is added: a
        # token's pattern takes tens of milliseconds to compile, and tokens are fetched (and
        # added) on the sync's path, while redacting happens on the rare error path.
        self._secrets: dict[str, _SecretPatterns | None] = {}
        self._lock = threading.Lock()

    def add(self, secret: str | None) -> None:
        """Register a secret (ignores empty values and ones too short to recognise)."""
        if not secret or len(secret) < MIN_FRAGMENT:
            return
        with self._lock:
            self._secrets.setdefault(secret, None)

    def _patterns(self) -> list[_SecretPatterns]:
        with self._lock:
            for secret, patterns in self._secrets.items():
                if patterns is None:
                    self._secrets[secret] = _SecretPatterns.of(secret)
            return [patterns for patterns in self._secrets.values() if patterns is not None]

    def __call__(self, text: str) -> str:
        """``text`` with every form of every registered secret replaced."""
        for patterns in self._patterns():
            text = patterns.anywhere.sub(REDACTED, text)
        return text

    def excerpt(self, text: str, limit: int) -> str:
        """At most ``limit`` characters of ``text``, redacted before it is cut; a piece of a
        secret left at either edge (the text began or ended inside one) is blanked too."""
        text = self(text)[:limit]
        for patterns in self._patterns():
            text = patterns.cut_at_end.sub(REDACTED, text, count=1)
            text = patterns.cut_at_start.sub(REDACTED, text, count=1)
        return text
