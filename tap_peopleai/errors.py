"""Errors the tap raises. Each message says what went wrong and what would fix it."""

from __future__ import annotations

import datetime as dt


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
    """A line of a fragment is not a valid activity: names the job, fragment and line."""

    def __init__(self, where: str, line_number: int, problem: str) -> None:
        super().__init__(f"{where}, line {line_number}{problem}")
        self.where = where
        self.line_number = line_number
        self.problem = problem

    def renumbered(self, lines_before: int) -> FragmentDataError:
        """This error for a line counted from ``lines_before`` lines into the fragment."""
        return FragmentDataError(self.where, self.line_number + lines_before, self.problem)


class DamagedFragmentError(TapPeopleAIError):
    """A fragment's line stayed invalid however often the fragment was downloaded."""


class DownloadIncompleteError(TapPeopleAIError):
    """A download cannot be shown whole: cut off, empty, a compressed stream without its end,
    a redirect chain without a body, or slower than allowed. Retried like a dropped connection."""


class JobIncompleteError(TapPeopleAIError):
    """A job's fragments hold fewer bytes than the ``results_size`` it announced."""


class DownloadCancelledError(TapPeopleAIError):
    """A download thread stopped because the sync is being interrupted."""


class StateError(TapPeopleAIError):
    """The stored state is not one this tap wrote (hand-edited, truncated, or another tap's)."""

    def __init__(self, where: str, problem: str) -> None:
        super().__init__(
            f"Stored state is invalid at {where}: {problem}. Reset it (`meltano state clear "
            "<state id>`, or run without --state) to start the first sync again, or fix the value."
        )


class StateAheadError(TapPeopleAIError):
    """The state says it reached a day after the API's today: nothing is exported on a guess."""

    def __init__(self, ahead: list[tuple[str, dt.date]], today: dt.date, source: str) -> None:
        saved = ", ".join(f"{key} {day.isoformat()}" for key, day in ahead)
        super().__init__(
            f"The saved {saved} (bookmarks.activities) is ahead of the API's today "
            f"{today.isoformat()} ({source}): the state "
            "was edited by hand, comes from another environment, or a clock was wrong when it "
            "was saved. Nothing was exported and the state is unchanged: exporting from today "
            "would skip whatever was processed between the last sync that saw the right date "
            "and today. Check the API's date and where the state came from, then set the date "
            "back to the last day you trust (`meltano state set <state id>`, or edit the "
            "--state file) and run again."
        )
