"""One sync's export: jobs against the API's shared queue (create, reuse, adopt, wait, replace),
fragments downloaded in parallel, handed to the stream in order; and `--test`'s checks.
"""
