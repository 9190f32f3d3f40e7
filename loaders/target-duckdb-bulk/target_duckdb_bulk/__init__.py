"""target-duckdb-bulk: Singer target for DuckDB loading every batch with DuckDB's read_json."""

from target_duckdb_bulk.target import TargetDuckDBBulk

__all__ = ["TargetDuckDBBulk"]
