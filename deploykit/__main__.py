"""`python -m deploykit` runs the command line."""

from deploykit.cli.main import run

run()
