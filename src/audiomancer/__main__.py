"""``python -m audiomancer`` runs the command line."""

from audiomancer.cli import main

main()
