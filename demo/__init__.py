"""`make demo` (``python -m demo``): sandbox -> `meltano run tap-peopleai target-duckdb` -> checks.

- ``__main__``: the demo, step by step (its docstring says what each step does);
- ``pipeline``: `meltano` in the repository, the demo's Meltano state and its DuckDB table;
- ``sandbox``: the sandbox started with a frozen clock, and its ground truth;
- ``record``: what the last good run left, so that the next can name why a table differs;
- ``models``: the dbt models built, the mart's top accounts checked against the sandbox.
"""
