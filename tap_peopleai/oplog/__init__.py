"""The operator's log: progress lines, job state changes, heartbeats, retries within a budget,
totals and a summary, and the same figures as METRIC points. Bookkeeping is pure.
"""
