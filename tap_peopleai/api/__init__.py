"""The People.ai export API over HTTP: tokens, jobs, fragment downloads, what each answer means
and which failures are retried. Knows nothing of Singer.
"""
