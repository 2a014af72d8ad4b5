"""Checks of arguments shared by the pattern, synth and groove operations."""

from __future__ import annotations

import math
from pathlib import Path

from audiomancer.paths import folder_problem

__all__ = ["check_output_file", "check_output_folder", "validate_amount"]


def validate_amount(amount: float, name: str = "amount") -> float:
    """Return an amount or rate in 0.0-1.0 as float; ValueError naming it and the value if not."""
    if (
        isinstance(amount, bool)
        or not isinstance(amount, int | float)
        or not math.isfinite(amount)
        or not 0.0 <= amount <= 1.0
    ):
        raise ValueError(f"invalid {name} {amount!r}: expected a number from 0.0 to 1.0")
    return float(amount)


def check_output_file(path: Path | None, option: str) -> None:
    """ValueError naming ``option`` and the path when a file cannot be written there: it is a
    folder, its folder is missing (never created for an output) or cannot be written. Checked
    before the work, so nothing is stored or computed for an output that would fail."""
    if path is None:
        return
    shown = f"invalid {option} {str(path)!r}"
    if path.is_dir():
        raise ValueError(f"{shown}: it is a folder; name a file in it, e.g. {path / path.name}")
    folder = path.parent
    if not folder.exists():
        raise ValueError(f"{shown}: no such folder {folder} (create it first)")
    problem = folder_problem(folder)
    if problem is not None:
        raise ValueError(f"{shown}: {problem}")
    if path.exists() and not path.is_file():
        raise ValueError(f"{shown}: it exists and is not a regular file")


def check_output_folder(path: Path | None, option: str) -> None:
    """ValueError naming ``option`` and the path when files cannot be written into the folder:
    it is a file, it does not exist (never created for an output, as for files) or it cannot
    be written. Checked before the work, like :func:`check_output_file`."""
    if path is None:
        return
    shown = f"invalid {option} {str(path)!r}"
    if path.exists() and not path.is_dir():
        raise ValueError(f"{shown}: it is a file, not a folder")
    if not path.exists():
        raise ValueError(f"{shown}: no folder {path} (create it first)")
    problem = folder_problem(path)
    if problem is not None:
        raise ValueError(f"{shown}: {problem}")
