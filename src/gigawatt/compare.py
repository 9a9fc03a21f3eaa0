"""What differs between two runs: inputs (scenario fields), headline outputs, the schedule,
cost and compute by half-year, and what each site holds."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Any

import yaml

HEADLINE = (
    "facility_gw", "it_gw", "racks", "gpus", "gpu_dies", "nvlink_domains", "fp4_eflops",
    "fp8_eflops", "bf16_eflops", "hbm_pb", "capex_usd", "capex_usd_per_gw", "opex_usd_per_year",
    "usd_per_gpu_hour", "investment_usd", "first_gw_date", "energy_twh_per_year",
    "water_gl_per_year", "emissions_mt_co2_per_year", "schedule_from", "capex_systems_usd",
    "capex_network_usd", "capex_facility_usd",
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


TIMELINE = ("system_added", "facility_gw", "racks", "gpus", "fp8_eflops", "capex_usd",
            "investment_usd")
"""Per half-year: the schedule (platforms added, power, racks), compute and money."""
SITE = ("facility_mw", "gpus")


def diff_timelines(a: Sequence[Mapping[str, Any]],
                   b: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Per half-year, the schedule, compute and money of two runs where they differ."""
    rows_a = {r["period"]: r for r in a}
    rows_b = {r["period"]: r for r in b}
    out = []
    for period in sorted(rows_a.keys() | rows_b.keys()):
        ra, rb = rows_a.get(period, {}), rows_b.get(period, {})
        changed = {k: {"a": ra.get(k), "b": rb.get(k)} for k in TIMELINE
                   if ra.get(k) != rb.get(k)}
        if changed:
            out.append({"period": period, **changed})
    return out


def diff_sites(a: Sequence[Mapping[str, Any]],
               b: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Per site either run uses, its facility power (MW) and GPUs at the end where they differ;
    None where a run does not use the site (a ramp uses none)."""
    sites_a = {s["site"]: s for s in a}
    sites_b = {s["site"]: s for s in b}
    out = []
    for site in sorted(sites_a.keys() | sites_b.keys()):
        sa, sb = sites_a.get(site, {}), sites_b.get(site, {})
        changed = {k: {"a": sa.get(k), "b": sb.get(k)} for k in SITE if sa.get(k) != sb.get(k)}
        if changed:
            out.append({"site": site, **changed})
    return out


def diff_runs(a: Mapping[str, Any], b: Mapping[str, Any]) -> dict[str, Any]:
    """Changed inputs, headline outputs and timeline of two stored runs
    (as ``RunStore.get`` returns them)."""
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
    timeline = diff_timelines(a["result"].get("timeline", []), b["result"].get("timeline", []))
    sites = diff_sites(a["result"].get("sites") or [], b["result"].get("sites") or [])
    return {"a": a["run_id"], "b": b["run_id"], "inputs": inputs, "outputs": outputs,
            "timeline": timeline, "sites": sites}
