"""The error the models raise: an API error answer's status, machine code and message.

Models raise ``ApiError`` as moto's models raise their service's exceptions; the request handlers
(``responses.error_bodies``) turn it into a body of the configured shape.
"""

from __future__ import annotations

HTTP_REASONS = {
    429: "Too Many Requests",
    500: "Internal Server Error",
    502: "Bad Gateway",
    503: "Service Unavailable",
}


class ApiError(Exception):
    """An error answer of the API: HTTP status, short machine code, human message."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
