"""A ``Mutation``: which answers of a route to spoil, and how (the ``--mutate`` flag's value).

A ``Mutation`` names a route and which of its requests it strikes (the ``at``-th, counted from
sandbox start or from the last change of the fault settings, for ``times`` requests), and how
the answer is spoiled; ``responses.mutations`` applies it.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

import orjson

MUTATION_ROUTES = ("token", "create", "list", "status", "data", "storage")
LENGTHS = ("sent", "original", "none")
GZIP_MODES = ("no", "whole", "flush")
MUTATE_FLAG_FORMAT = "a JSON object of Mutation fields"


@dataclass(frozen=True)
class Mutation:
    """How the ``at``-th to ``at + times - 1``-th requests of ``route`` are answered instead."""

    route: str
    at: int = 1
    times: int = 1
    status: int | None = None
    # Headers set on the answer; an empty value removes the header.
    headers: tuple[tuple[str, str], ...] = ()
    # Top-level keys of a JSON object body (of every object of a JSON array) set to a value...
    json_set: tuple[tuple[str, Any], ...] = ()
    # ...or removed.
    json_drop: tuple[str, ...] = ()
    # Keep this fraction of the body (None: all of it).
    cut: float | None = None
    # Content-Length: what is sent, what the whole body had (then the server hangs up), or none
    # (the body ends when the connection closes).
    length: str = "sent"
    # Send the (cut) body gzip-encoded: whole, or stopped at a flush point without the trailer.
    gzip: str = "no"
    # Reach the answer through this many redirect hops first.
    redirects: int = 0

    def __post_init__(self) -> None:
        if self.route not in MUTATION_ROUTES:
            raise ValueError(f"Mutation.route must be one of {MUTATION_ROUTES}, not {self.route!r}")
        if self.at < 1 or self.times < 1:
            raise ValueError("Mutation.at and Mutation.times must be 1 or more")
        if self.status is not None and not 100 <= self.status <= 599:
            raise ValueError(f"Mutation.status must be an HTTP status, not {self.status!r}")
        if self.cut is not None and not 0.0 <= self.cut <= 1.0:
            raise ValueError(f"Mutation.cut must be a fraction between 0 and 1, not {self.cut!r}")
        if self.length not in LENGTHS:
            raise ValueError(f"Mutation.length must be one of {LENGTHS}, not {self.length!r}")
        if self.gzip not in GZIP_MODES:
            raise ValueError(f"Mutation.gzip must be one of {GZIP_MODES}, not {self.gzip!r}")
        if not 0 <= self.redirects <= 50:
            raise ValueError("Mutation.redirects must be between 0 and 50")
        # JSON gives lists: keep the value hashable and comparable
        object.__setattr__(self, "headers", tuple((str(k), str(v)) for k, v in self.headers))
        object.__setattr__(self, "json_set", tuple((str(k), v) for k, v in self.json_set))
        object.__setattr__(self, "json_drop", tuple(str(k) for k in self.json_drop))

    def strikes(self, number: int) -> bool:
        """Whether the ``number``-th request (1-based) of the route is mutated."""
        return self.at <= number < self.at + self.times

    @classmethod
    def from_mapping(cls, values: Any) -> Mutation:
        """A Mutation from a JSON-like mapping, rejecting unknown keys."""
        if isinstance(values, Mutation):
            return values
        if not isinstance(values, dict):
            raise ValueError(f"a mutation must be a JSON object, not {values!r}")
        known = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(values) - known)
        if unknown:
            raise ValueError(f"unknown mutation settings: {', '.join(unknown)}")
        return cls(**values)

    @classmethod
    def parse(cls, text: str) -> Mutation:
        """A Mutation from its JSON text (the ``--mutate`` flag)."""
        try:
            return cls.from_mapping(orjson.loads(text))
        except orjson.JSONDecodeError as error:
            raise ValueError(f"--mutate needs {MUTATE_FLAG_FORMAT}: {error}") from None
