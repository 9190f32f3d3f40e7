"""target-postgres-bulk: meltanolabs-target-postgres with a native COPY path for BATCH files."""
