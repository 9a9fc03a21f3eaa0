"""Machine-readable output: JSON documents and CSV tables."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from collections.abc import Sequence
from typing import Any


def to_json(data: Any) -> str:
    """Indented JSON; NaN becomes null and dates ISO strings, so every JSON parser reads it."""
    return json.dumps(_clean(data), indent=2, allow_nan=False, ensure_ascii=False)


def _clean(x: Any) -> Any:
    if isinstance(x, float) and x != x:
        return None
    if isinstance(x, dt.date):
        return x.isoformat()
    if isinstance(x, dict):
        return {k: _clean(v) for k, v in x.items()}
    if isinstance(x, list | tuple):
        return [_clean(v) for v in x]
    return x


def to_csv(rows: Sequence[dict[str, Any]]) -> str:
    """Rows of one shape -> CSV text with a header line."""
    if not rows:
        return ""
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=list(rows[0]), lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return buf.getvalue()
