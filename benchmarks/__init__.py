"""The benchmark of tap-peopleai (`make bench`, or ``python -m benchmarks --help``).

One module a table or concern; what the tests already have (the sandbox's clock and the tap's
settings, tap processes, the API client, the PostgreSQL server, the Meltano project and its
environment) is reused from ``tests.support``:

- ``__main__``: the switches, the run, the report's header and its targets;
- ``report``: progress lines, rates, PASS/FAIL, the machine;
- ``exports``: the sandbox exports measured and the tap's settings for them;
- ``tap_process``: one measured tap process (wall time, start-up, memory);
- ``baselines``: fragment files downloaded once, a raw orjson loop, ``cat``, records compared;
- ``throughput``, ``throughput_report``: each export size, RECORD / SDK default / BATCH;
- ``pipelining``: a catch-up of delta windows beside one job at a time;
- ``downloads``: parallel fragment downloads;
- ``loads``: plugins, `tap | loader` pipes, dbt, native bulk loads;
- ``pipelines``: the tap into each shipped loader, and the models;
- ``meltano_runs``: the shipped pipelines through `meltano run`;
- ``sandbox_download``: the sandbox's own download speed (``python -m
  benchmarks.sandbox_download``, for sandbox/README.md).
"""
