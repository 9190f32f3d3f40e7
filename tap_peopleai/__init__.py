"""tap-peopleai: a Singer tap for People.ai's (Backstory's) Raw Activity Data bulk export API.

The package is grouped by concern; docs/architecture.md says what each subpackage owns and in
which order they may import each other (tests/tap/test_layers.py holds that order).
"""
