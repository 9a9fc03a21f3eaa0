"""What differs between two runs: inputs (scenario fields) and headline outputs."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

import yaml

HEADLINE = (
    "facility_gw", "it_gw", "racks", "gpus", "gpu_dies", "nvlink_domains", "fp4_eflops",
    "fp8_eflops", "bf16_eflops", "hbm_pb", "capex_usd", "capex_usd_per_gw", "opex_usd_per_year",
    "usd_per_gpu_hour", "investment_usd", "first_gw_date", "energy_twh_per_year",
    "water_gl_per_year", "emissions_mt_co2_per_year",
)


def flatten(data: Any, prefix: str = "") -> dict[str, Any]:
    """Nested mappings and lists -> flat paths: ``{'facility.pue.value': 1.15, ...}``."""
    if isinstance(data, Mapping):
        out: dict[str, Any] = {}
        for key, value in data.items():
            out.update(flatten(value, f"{prefix}.{key}" if prefix else str(key)))
        return out
    if isinstance(data, list):
        out = {}
        for i, value in enumerate(data):
            out.update(flatten(value, f"{prefix}[{i}]"))
        return out
    # YAML reads an unquoted date as a date and a quoted one as text: compare them as text
    return {prefix: data.isoformat() if isinstance(data, dt.date) else data}


def diff_runs(a: Mapping[str, Any], b: Mapping[str, Any]) -> dict[str, Any]:
    """Changed inputs and headline outputs of two stored runs (as ``RunStore.get`` returns)."""
    ia = flatten(yaml.safe_load(a["scenario_yaml"]))
    ib = flatten(yaml.safe_load(b["scenario_yaml"]))
    inputs = [
        {"field": k, "a": ia.get(k), "b": ib.get(k)}
        for k in sorted(ia.keys() | ib.keys()) if ia.get(k) != ib.get(k)
    ]
    outputs = []
    for key in HEADLINE:
        va, vb = a["result"].get(key), b["result"].get(key)
        if va == vb:
            continue
        row: dict[str, Any] = {"field": key, "a": va, "b": vb}
        if isinstance(va, int | float) and isinstance(vb, int | float):
            row["delta"] = vb - va
            row["ratio"] = vb / va if va else None
        outputs.append(row)
    return {"a": a["run_id"], "b": b["run_id"], "inputs": inputs, "outputs": outputs}
