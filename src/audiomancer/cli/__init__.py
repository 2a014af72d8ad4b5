"""The ``audiomancer`` command line (typer + rich): one module per group of commands."""

from audiomancer.cli import doctor, generate, patterns, render, studio, synths
from audiomancer.cli.app import app

__all__ = ["app", "doctor", "generate", "patterns", "render", "studio", "synths"]
