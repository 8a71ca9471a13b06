"""``python -m kohub_cli``."""

from kohub_cli.main import run

run()
