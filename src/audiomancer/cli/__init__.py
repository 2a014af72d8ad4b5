"""The ``audiomancer`` command line (typer + rich): one module per group of commands."""

import os

from audiomancer.cli import doctor, generate, patterns, render, studio, synths
from audiomancer.cli.app import app, run

__all__ = ["app", "doctor", "generate", "main", "patterns", "render", "studio", "synths"]


def main() -> None:
    """Run the ``audiomancer`` command (the console script and ``python -m audiomancer``).

    numpy's BLAS runs on one thread: every matrix the commands multiply is small (sampling
    holds BLAS to one thread anyway), and starting a pool of BLAS threads costs more than the
    whole LSTM sampling (about 70 ms here). Set ``OPENBLAS_NUM_THREADS`` to choose otherwise.
    """
    os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")  # read when numpy first loads
    run(app, prog_name="audiomancer")  # builds only the command called
