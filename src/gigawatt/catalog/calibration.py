"""Published measurements the models are calibrated and tested against.

They live in the repository's ``calibration/`` folder (a copy of the project's shared
records, kept equal to them by a test), or wherever ``GIGAWATT_CALIBRATION`` points. Only
calibration scripts and tests read them; the calibrated constants ship inside the package.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from gigawatt.errors import GigawattError

KINDS = ("training", "training_nvidia", "inference", "inference_trtllm", "reliability")


def calibration_dir() -> Path:
    """``$GIGAWATT_CALIBRATION``, else the repository's ``calibration/`` folder."""
    env = os.environ.get("GIGAWATT_CALIBRATION")
    if env:
        return Path(env)
    return Path(__file__).resolve().parents[3] / "calibration"


def records(kind: str) -> list[dict[str, Any]]:
    """The calibration records of one kind (``training``, ``inference``, ``reliability``)."""
    if kind not in KINDS:
        raise GigawattError(f"unknown calibration kind {kind!r}; accepted: {', '.join(KINDS)}")
    path = calibration_dir() / f"{kind}.json"
    if not path.is_file():
        raise GigawattError(f"{path}: calibration records not found; run from a clone of the "
                            "repository or set GIGAWATT_CALIBRATION to the folder of *.json")
    data: list[dict[str, Any]] = json.loads(path.read_text(encoding="utf-8"))
    return data
