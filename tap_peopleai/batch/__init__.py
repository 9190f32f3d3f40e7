"""BATCH mode: fragments normalised into JSON Lines files by worker processes, and the
orchestration that yields one BATCH message per fragment.
"""
