"""Machine-readable output: JSON documents and CSV tables."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from collections.abc import Mapping, Sequence
from typing import Any

from gigawatt.report.format import csv_cell, describe


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


def to_csv(rows: Sequence[Mapping[str, Any]]) -> str:
    """Rows -> CSV text with a header line (the union of the rows' keys, which carry their
    units: ``capex_usd``, ``facility_gw``). Lists are joined with '; ', floats rounded to 6
    significant digits; no cell is a Python repr."""
    if not rows:
        return ""
    names = list(dict.fromkeys(k for row in rows for k in row))
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=names, lineterminator="\n")
    writer.writeheader()
    writer.writerows({k: csv_cell(v) for k, v in row.items()} for row in rows)
    return buf.getvalue()


def quantile_rows(outputs: Mapping[str, Mapping[str, Any]]) -> list[dict[str, Any]]:
    """A sweep's outputs as CSV rows: ``output``, ``unit``, ``p10``, ``p50``, ``p90``, ``mean``."""
    return [{"output": name, "unit": _csv_unit(name),
             **{q: v.get(q) for q in ("p10", "p50", "p90", "mean")}}
            for name, v in outputs.items()]


def run_csv(result: Mapping[str, Any]) -> str:
    """The table of a saved run as CSV: a plan's timeline; a sweep's grid points, or, for a
    sampled sweep, each output's quantiles."""
    if "timeline" in result:
        return to_csv(result["timeline"])
    if result.get("grid"):
        return to_csv(result["grid"])
    return to_csv(quantile_rows(result.get("outputs") or {}))


def _csv_unit(key: str) -> str:
    _, unit, kind = describe(key)
    if kind == "percent":
        return "fraction"
    return unit or ("count" if kind == "count" else "")
