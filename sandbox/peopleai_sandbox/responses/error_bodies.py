"""Error bodies: the API's two JSON shapes, proxy HTML pages, object-storage XML.

Models raise ``ApiError`` (``peopleai_sandbox.errors``); the request handlers turn it into a body
of the configured shape here.
"""

from __future__ import annotations

import secrets
import uuid

from peopleai_sandbox.errors import HTTP_REASONS, ApiError
from peopleai_sandbox.models.clock import SandboxClock
from peopleai_sandbox.responses.messages import Response


class ErrorRenderer:
    """Renders ApiErrors in the error shape the variants chose (``simple`` or ``spring``)."""

    def __init__(self, shape: str, clock: SandboxClock) -> None:
        self.shape = shape
        self.clock = clock

    def body(self, error: ApiError, path: str) -> dict[str, object]:
        """The error body: ``{error, message}`` or ``{code, id, message, path, timestamp}``."""
        if self.shape == "spring":
            return {
                "code": error.status,
                "id": str(uuid.uuid4()),
                "message": error.message,
                "path": path,
                "timestamp": self.clock.now().strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z",
            }
        return {"error": error.code, "message": error.message}

    def response(self, error: ApiError, path: str) -> Response:
        """The whole answer; a 401 says which scheme to use, as the real API does."""
        headers = {"WWW-Authenticate": "Bearer"} if error.status == 401 else {}
        return Response.json(error.status, self.body(error, path), headers)


def html_error_page(status: int) -> Response:
    """An nginx-style error page, as a failing proxy or gateway answers instead of the API."""
    reason = HTTP_REASONS[status]
    page = (
        f"<html>\r\n<head><title>{status} {reason}</title></head>\r\n<body>\r\n"
        f"<center><h1>{status} {reason}</h1></center>\r\n<hr><center>nginx</center>\r\n"
        "</body>\r\n</html>\r\n"
    ).encode()
    return Response(status, page, "text/html")


def xml_error(status: int, code: str, message: str) -> Response:
    """An object-storage style XML error."""
    body = (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f"<Error><Code>{code}</Code><Message>{message}</Message>"
        f"<RequestId>{secrets.token_hex(8).upper()}</RequestId></Error>"
    ).encode()
    return Response(status, body, "application/xml")
