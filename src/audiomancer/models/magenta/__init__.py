"""Magenta's own ``.mag`` bundles without TensorFlow (see ``bundle.py``)."""

from audiomancer.models.magenta.bundle import CONFIGS, MagentaBundle

__all__ = ["CONFIGS", "MagentaBundle"]
