"""``python -m vidgov`` is the ``vidgov`` command."""

from vidgov.cli.main import run

run()
