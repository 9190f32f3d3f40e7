"""Records: fragment bytes to schema-conformant activity records (framing, parsing, normalising),
the record schemas, the fast shape check, conformance without loss, timestamps, field notes.
"""
