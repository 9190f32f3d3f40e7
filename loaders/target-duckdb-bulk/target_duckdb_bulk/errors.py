"""Errors the loader explains in one line, and DuckDB's errors turned into such a line."""

from __future__ import annotations


class LoaderError(Exception):
    """A problem the user can act on: its message is the whole story (no traceback)."""


def first_line(message: str) -> str:
    """DuckDB's message without the SQL excerpt and hints it appends on further lines."""
    return message.strip().splitlines()[0] if message.strip() else message
