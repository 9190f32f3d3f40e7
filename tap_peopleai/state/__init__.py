"""State: export windows (pure planning) and what the Singer bookmark holds: the cursor, an
unfinished snapshot, jobs in flight, a reconciliation.
"""
