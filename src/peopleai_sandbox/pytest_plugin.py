"""Pytest fixtures for the People.ai sandbox (filled in by the sandbox work)."""
