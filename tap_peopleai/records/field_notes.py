"""What reading records found worth telling: new field names, converted and kept values.

``FieldNotes`` collects, as plain data that BATCH workers can return across processes;
``FieldReport`` logs, once per sync: each new top-level field name once, with the job, fragment
and line where it first appeared; a warning for each value kept in ``additional_fields`` (the
first few per field, then a count at the end); and at the end how many values were converted.
Both take the same calls, so the record code does not care which one it is given.
"""

from __future__ import annotations

import functools
import logging
import re
from collections import Counter
from dataclasses import dataclass, field, replace

# Warnings per field (its path with array positions left out) before they are only counted.
WARNINGS_PER_FIELD = 5
_POSITION = re.compile(r"\[\d+\]")


@functools.lru_cache(maxsize=4096)
def field_pattern(path: str) -> str:
    """The field a path names, whatever array item it is in: participants[2].crm_id -> []."""
    return _POSITION.sub("[]", path) if "[" in path else path


@dataclass(frozen=True)
class KeptValue:
    """A value that its declared type could not hold: the field is null, the value kept."""

    where: str
    line: int
    uid: object
    path: str
    value: str  # a short repr of the original value
    declared: str  # the declared type, in words

    def message(self) -> str:
        """The one-line warning for this value."""
        return (
            f"{self.where}, line {self.line} (uid {self.uid!r}): {self.path} is {self.value}, "
            f"not {self.declared}; loaded as null, the value as sent kept in "
            f"additional_fields[{self.path!r}]"
        )


@dataclass
class FieldNotes:
    """Notes collected while records are read, for a FieldReport to log later."""

    new_fields: dict[str, tuple[str, int]] = field(default_factory=dict)
    kept_values: list[KeptValue] = field(default_factory=list)
    kept_counts: Counter[str] = field(default_factory=Counter)
    converted_counts: Counter[str] = field(default_factory=Counter)

    def new_field(self, name: str, where: str, line: int) -> None:
        """An undeclared top-level field, seen at ``line``."""
        self.new_fields.setdefault(name, (where, line))

    def converted(self, path: str, count: int = 1) -> None:
        """``count`` values at ``path`` converted to their declared type without loss."""
        self.converted_counts[field_pattern(path)] += count

    def kept(self, value: KeptValue) -> None:
        """A value kept in additional_fields; only the first few per field are remembered."""
        pattern = field_pattern(value.path)
        self.kept_counts[pattern] += 1
        if self.kept_counts[pattern] <= WARNINGS_PER_FIELD:
            self.kept_values.append(value)

    def renumbered(self, lines_before: int) -> FieldNotes:
        """These notes for lines counted from ``lines_before`` lines into the fragment."""
        return FieldNotes(
            {name: (where, line + lines_before) for name, (where, line) in self.new_fields.items()},
            [replace(value, line=value.line + lines_before) for value in self.kept_values],
            self.kept_counts,
            self.converted_counts,
        )

    def __bool__(self) -> bool:
        return bool(self.new_fields or self.kept_counts or self.converted_counts)


class FieldReport:
    """Logs what a sync's records held beyond the schema or beside their declared types."""

    def __init__(self, logger: logging.Logger) -> None:
        self.logger = logger
        self.seen_fields: dict[str, tuple[str, int]] = {}
        self.kept_counts: Counter[str] = Counter()
        self.warned: Counter[str] = Counter()
        self.converted_counts: Counter[str] = Counter()

    def new_field(self, name: str, where: str, line: int) -> None:
        """Log a field name the first time this sync sees it."""
        if name in self.seen_fields:
            return
        self.seen_fields[name] = (where, line)
        self.logger.info(
            "New field %r (not in the schema) first seen in %s, line %d: loaded into "
            "additional_fields[%r].",
            name,
            where,
            line,
            name,
        )

    def converted(self, path: str, count: int = 1) -> None:
        """Count ``count`` values at ``path`` converted to their declared type."""
        self.converted_counts[field_pattern(path)] += count

    def kept(self, value: KeptValue) -> None:
        """Warn about a kept value, unless this field had its share of warnings."""
        pattern = field_pattern(value.path)
        self.kept_counts[pattern] += 1
        self._warn(pattern, value)

    def _warn(self, pattern: str, value: KeptValue) -> None:
        if self.warned[pattern] < WARNINGS_PER_FIELD:
            self.warned[pattern] += 1
            self.logger.warning("%s.", value.message())

    def merge(self, notes: FieldNotes) -> None:
        """Log the notes of one part of a fragment (BATCH mode), in fragment order."""
        for name, (where, line) in notes.new_fields.items():
            self.new_field(name, where, line)
        self.kept_counts.update(notes.kept_counts)
        for value in notes.kept_values:
            self._warn(field_pattern(value.path), value)
        self.converted_counts.update(notes.converted_counts)

    def log_summary(self) -> None:
        """At the end of the sync: what was converted, and the kept values not warned about."""
        if self.converted_counts:
            self.logger.info(
                "Values converted to their declared type without loss: %s.",
                _counts(self.converted_counts),
            )
        unlogged = self.kept_counts - self.warned
        if unlogged:
            self.logger.warning(
                "%d more value(s) not of their declared type were loaded as null and kept in "
                "additional_fields, without a warning each: %s.",
                sum(unlogged.values()),
                _counts(unlogged),
            )


def _counts(counts: Counter[str]) -> str:
    return ", ".join(f"{name} {count}" for name, count in sorted(counts.items()))
