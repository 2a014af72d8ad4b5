"""``python -m audiomancer`` runs the command line."""

from audiomancer.cli import app

app(prog_name="audiomancer")
