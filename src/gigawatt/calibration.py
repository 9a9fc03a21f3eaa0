"""Published measurements the models are calibrated and tested against.

They live outside the package, in ``shared/calibration/*.json`` beside the repository
(``<repo>/../shared``), or wherever ``GIGAWATT_SHARED`` points. Only calibration scripts
and tests read them; the calibrated constants ship inside the package.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from gigawatt.errors import GigawattError

KINDS = ("training", "inference", "reliability")


def shared_dir() -> Path:
    """``$GIGAWATT_SHARED``, else the ``shared`` folder beside the repository."""
    env = os.environ.get("GIGAWATT_SHARED")
    if env:
        return Path(env)
    return Path(__file__).resolve().parents[3] / "shared"


def records(kind: str) -> list[dict[str, Any]]:
    """The calibration records of one kind (``training``, ``inference``, ``reliability``)."""
    if kind not in KINDS:
        raise GigawattError(f"unknown calibration kind {kind!r}; accepted: {', '.join(KINDS)}")
    path = shared_dir() / "calibration" / f"{kind}.json"
    if not path.is_file():
        raise GigawattError(f"{path}: calibration records not found; set GIGAWATT_SHARED to the "
                            "folder that holds calibration/")
    data: list[dict[str, Any]] = json.loads(path.read_text(encoding="utf-8"))
    return data
