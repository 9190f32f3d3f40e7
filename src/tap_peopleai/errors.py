"""Errors the tap raises. Each message says what went wrong and what would fix it."""

from __future__ import annotations


class TapPeopleAIError(Exception):
    """Base class: a failure the user can act on; the message is the whole explanation."""


class AuthenticationError(TapPeopleAIError):
    """The API rejected the credentials or the token."""


class ApiError(TapPeopleAIError):
    """The API answered with an error status that retrying will not fix."""

    def __init__(self, message: str, status: int, api_message: str = "") -> None:
        super().__init__(message)
        self.status = status
        self.api_message = api_message


class RetriableApiError(ApiError):
    """A transient API failure (429, 5xx) that may succeed when retried."""


class ExportJobError(TapPeopleAIError):
    """An export job failed, was canceled, vanished or took too long."""


class FragmentGoneError(TapPeopleAIError):
    """A fragment the job reported is not downloadable (expired or never written)."""


class FragmentDataError(TapPeopleAIError):
    """A fragment's content is not valid JSON Lines."""

    def __init__(self, message: str, line_number: int) -> None:
        super().__init__(message)
        self.line_number = line_number


class DownloadIncompleteError(TapPeopleAIError):
    """A download ended early, took longer than allowed, or was cut off."""
