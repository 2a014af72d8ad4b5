"""audiomancer: generate, export and evolve musical patterns and SuperCollider synths."""

__version__ = "0.1.0"
