"""The export API's documented use limits, each stated once: they bound settings and plans.

The vendor documents 2 running and 10 queued export jobs (running ones included), files kept for
10 days, at most one year per snapshot job and 14 days per delta job, and a download allowance of
60 seconds per 20 MB once a job is Completed.
"""

from __future__ import annotations

import datetime as dt

MAX_QUEUED_JOBS = 10
MAX_RUNNING_JOBS = 2
MAX_DELTA_DAYS = 14
MAX_SNAPSHOT_DAYS = 365
FILE_RETENTION = dt.timedelta(days=10)
DOWNLOAD_SECONDS_PER_BYTE = 60 / (20 * 1024 * 1024)
