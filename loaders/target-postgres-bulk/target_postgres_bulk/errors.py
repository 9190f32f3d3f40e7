"""Errors the loader reports as one line (``cli.main``), never as a traceback."""

from __future__ import annotations


class BulkLoadError(Exception):
    """Bad input or settings: the message names what is wrong and what would fix it."""
