"""The wire: the threaded HTTP server that parses requests into ``Request`` values and sends
answers, and the transfer of a download's segments (sendfile, throttled, gzip)."""
