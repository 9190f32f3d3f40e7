"""Error answers that echo the request, as careless servers and gateways do (fault
``echo_requests``).

A real API's error page may quote what it was sent: the token endpoint the submitted form
(URL-encoded as it came, and again as a JSON text inside the message, escaped the way Java and PHP
encoders do: ``\\/`` for a slash, ``\\u00XX`` for anything else outside letters and digits), and
the job endpoints the ``Authorization`` header. A client that shows error bodies in its log must
redact secrets in each of these forms. The echo goes into the ``message`` field (or, for an HTML
page, its text), the part of an error body clients quote.
"""

from __future__ import annotations

from urllib.parse import parse_qsl

import orjson

from peopleai_sandbox.responses.messages import Request, Response


def json_escaped(text: str) -> str:
    """``text`` as a JSON string's inside, escaped the way Java's and PHP's encoders do:
    ``\\/`` for a slash, ``\\u00XX`` for other characters that are not letters or digits."""
    out = []
    for char in text:
        if char.isascii() and char.isalnum():
            out.append(char)
        elif char == "/":
            out.append("\\/")
        else:
            out.extend(f"\\u{unit:04x}" for unit in _utf16_units(char))
    return "".join(out)


def _utf16_units(char: str) -> list[int]:
    data = char.encode("utf-16-be")
    return [int.from_bytes(data[i : i + 2], "big") for i in range(0, len(data), 2)]


def request_echo(route: str, request: Request) -> str:
    """What the error message quotes of ``request``: the form (token route) or the header."""
    if route == "token":
        raw = request.body.decode("utf-8", "replace")
        fields = ", ".join(
            f'"{json_escaped(key)}": "{json_escaped(value)}"' for key, value in parse_qsl(raw)
        )
        return f"request body {raw!r}, parsed as {{{fields}}}"
    return f"Authorization header {request.header('Authorization')!r}"


def with_echo(answer: Response, route: str, request: Request) -> Response:
    """An error ``answer`` whose message also quotes the request."""
    echo = request_echo(route, request)
    try:
        body = orjson.loads(answer.body)
    except orjson.JSONDecodeError:
        body = None
    if isinstance(body, dict):
        body["message"] = f"{body.get('message', '')} ({echo})"
        new_body = orjson.dumps(body)
    else:
        new_body = answer.body + f"\n<!-- {echo} -->\n".encode()
    return Response(answer.status, new_body, answer.content_type, answer.headers, answer.close)
