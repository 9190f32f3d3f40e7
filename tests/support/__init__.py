"""What the tests and the benchmark (``benchmarks/``) share (importable as ``tests.support``).

- ``tap_runs``: the tap run in-process against a sandbox, its config and what it emitted;
- ``meltano_project``: the Meltano project read as one document (``project_config``, the place
  to follow ``include_paths``) and the environment of a `meltano` command free of a
  developer's settings;
- ``postgres``: the one throw-away PostgreSQL server of the tests and the benchmark;
- ``processes``: the tap run as a child process, as Meltano runs it;
- ``api_client``: a client of the sandbox's API over real HTTP;
- ``truth``: comparisons of what was extracted or loaded with the sandbox's ground truth;
- ``fidelity``: is every value the API sent held by a loaded row;
- ``warehouse_rows``: reading loaded rows back from DuckDB and PostgreSQL (needs the dev extra);
- ``times``: parsing timestamps as the tap emits them and as the API sends them;
- ``sdk_default_path``: the tap with the SDK's default writer, the baseline of the fast path;
- ``schema_check``: records against the stream's schema, formats included;
- ``fake_clock``: a monotonic clock that moves only when told;
- ``ports``: a free port of 127.0.0.1 for a server a test starts;
- ``layers``: a package's imports read from its source, for the layer-order tests;
- ``bulk_loads``: Singer messages and BATCH files fed to target-postgres-bulk in-process.

Only ``warehouse_rows`` and ``bulk_loads`` need more than the tap, the sandbox and the ``test``
extra (the dev extra, the repository's loader), so the fast tests run with
``scripts/test_pythons.sh``'s small environments.
"""
