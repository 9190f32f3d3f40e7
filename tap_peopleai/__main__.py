"""`python -m tap_peopleai` runs the tap's command line."""

from tap_peopleai.tap import TapPeopleAI

TapPeopleAI.cli()
