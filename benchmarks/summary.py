"""One line per measured figure that ``benchmarks/run_all.py`` collects into its summary.

A benchmark calls :func:`record` for each figure it has a target for (and for its headline
figure where it has none); the line goes to stdout with a fixed prefix, so that the script
still reads as it did when run alone.
"""

from __future__ import annotations

import json
import sys

PREFIX = "bench-summary "


def record(measure: str, value: float, unit: str, target: float | None = None,
           better: str = "lower") -> None:
    """Print one figure: its value, unit and target. ``better`` is "lower" for times (the
    target is a ceiling) or "higher" for speed-ups and rates (the target is a floor)."""
    if better not in ("lower", "higher"):
        raise ValueError(f"better must be 'lower' or 'higher', got {better!r}")
    sys.stdout.write(PREFIX + json.dumps({"measure": measure, "value": value, "unit": unit,
                                          "target": target, "better": better}) + "\n")
    sys.stdout.flush()
