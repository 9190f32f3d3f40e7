"""The SQL of the BATCH path: a staging table of JSON lines, their checks, one upsert.

Pure text building, no connection: the sink runs these statements in one transaction.

The staging table holds each line of the batch's files as it came (``doc jsonb``) with its
position in the stream (``line``, an identity that COPY assigns in input order), so that the
last line of a key wins when a batch holds the key more than once. Lines are typed by
``jsonb_populate_record(NULL::<target table>, doc)`` in the FROM clause: written as
``SELECT (jsonb_populate_record(...)).*`` PostgreSQL would call it once per column.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

STAGING = "target_postgres_bulk_lines"
WINNERS = "target_postgres_bulk_winners"

# CSV with quote and delimiter characters that valid JSON cannot hold unescaped (control
# characters): each line arrives whole in the one column. An empty line is NULL (skipped).
COPY_LINES = (
    f"copy {STAGING} (doc) from stdin with (format csv, quote e'\\x01', delimiter e'\\x02')"
)

CREATE_STAGING = (
    f"create temporary table {STAGING} "
    "(line bigint generated always as identity, doc jsonb) on commit drop"
)

# The first words of the error find_untypable_line() raises.
PROBE_FAILED = "untypable line"


def quote_ident(name: str) -> str:
    """An SQL identifier, quoted."""
    return '"' + name.replace('"', '""') + '"'


def quote_literal(value: str) -> str:
    """An SQL string literal."""
    return "'" + value.replace("'", "''") + "'"


@dataclass(frozen=True)
class UpsertPlan:
    """What one BATCH load writes, and how.

    ``columns``: the target columns written (the stream's properties), in order. ``key_types``:
    each key column and its SQL type, in key order (empty: append only). ``stamps``: columns
    whose value, when a line has none, is the loader's (an SQL literal of it).
    ``on_conflict``: the table has a unique index on exactly the key columns.
    """

    schema: str
    table: str
    columns: Sequence[str]
    key_types: Mapping[str, str]
    stamps: Mapping[str, str] = field(default_factory=dict)
    on_conflict: bool = True

    @property
    def target(self) -> str:
        return f"{quote_ident(self.schema)}.{quote_ident(self.table)}"

    def _values(self) -> str:
        values = []
        for column in self.columns:
            value = f"r.{quote_ident(column)}"
            if column in self.stamps:
                value = f"coalesce({value}, {self.stamps[column]})"
            values.append(f"{value} as {quote_ident(column)}")
        return ", ".join(values)

    def _typed_lines(self, last_of_each_key: bool) -> str:
        """The FROM clause of the staged lines typed as target rows (the last line of each key
        only, if asked)."""
        typed = (
            f"from {STAGING} s cross join lateral "
            f"jsonb_populate_record(null::{self.target}, s.doc) r where s.doc is not null"
        )
        if not last_of_each_key:
            return typed
        keys = ", ".join(
            f"(doc ->> {quote_literal(key)})::{sql_type}"
            for key, sql_type in self.key_types.items()
        )
        return (
            f"{typed} and s.line in (select max(line) from {STAGING} where doc is not null "
            f"group by {keys})"
        )

    def bad_line(self) -> str:
        """The first line that is not an object, or lacks a key value: (line, problem)."""
        conditions = ["jsonb_typeof(doc) <> 'object'"]
        problems = ["when jsonb_typeof(doc) <> 'object' then 'is not a JSON object'"]
        for key in self.key_types:
            missing = f"coalesce(jsonb_typeof(doc -> {quote_literal(key)}), 'null') = 'null'"
            conditions.append(missing)
            problem = f"has no value for the key property {key!r}"
            problems.append(f"when {missing} then {quote_literal(problem)}")
        return (
            f"select line, case {' '.join(problems)} end from {STAGING} "
            f"where doc is not null and ({' or '.join(conditions)}) order by line limit 1"
        )

    def find_untypable_line(self) -> str:
        """A block that raises ``PROBE_FAILED <line>: <reason>`` for the first line whose
        values do not fit the target's column types (one subtransaction per line: only run
        after the upsert failed on such a value)."""
        return (
            "do $probe$ declare l bigint; begin "
            f"for l in select line from {STAGING} where doc is not null order by line loop "
            f"begin perform jsonb_populate_record(null::{self.target}, doc) "
            f"from {STAGING} where line = l; "
            "exception when data_exception then "
            f"raise exception '{PROBE_FAILED} %: %', l, sqlerrm; "
            "end; end loop; end $probe$"
        )

    def statements(self, *, deduplicate: bool) -> list[str]:
        """The statements that write the staged lines into the target table.

        Without ``deduplicate``, a batch holding a key twice makes the ON CONFLICT statement
        fail (cardinality_violation): the caller then runs it again deduplicated. Only a batch
        that needs it pays for the deduplication, and no duplicate can pass unnoticed.
        """
        names = ", ".join(quote_ident(column) for column in self.columns)
        insert = f"insert into {self.target} as t ({names}) "
        if not self.key_types:
            return [f"{insert}select {self._values()} {self._typed_lines(False)} order by s.line"]
        keys = [quote_ident(key) for key in self.key_types]
        if self.on_conflict:
            select = f"select {self._values()} {self._typed_lines(deduplicate)}"
            updates = ", ".join(
                f"{quote_ident(c)} = excluded.{quote_ident(c)}" for c in self.columns
            )
            return [f"{insert}{select} on conflict ({', '.join(keys)}) do update set {updates}"]
        # No unique index on the keys (a table made before its keys were declared): the base
        # loader's merge shape, an update of the matching rows, then an insert of the others.
        # Nothing here would notice a duplicate key: always deduplicated.
        select = f"select {self._values()} {self._typed_lines(True)}"
        match = " and ".join(f"t.{key} = w.{key}" for key in keys)
        updates = ", ".join(f"{quote_ident(c)} = w.{quote_ident(c)}" for c in self.columns)
        return [
            f"create temporary table {WINNERS} on commit drop as {select}",
            f"update {self.target} as t set {updates} from {WINNERS} w where {match}",
            f"{insert}select {names} from {WINNERS} w "
            f"where not exists (select 1 from {self.target} t where {match})",
        ]
