"""What differs between two runs of one kind.

Plans: inputs (scenario fields), every headline output, every assumption the plan used, the
schedule, cost and compute by half-year, and what each site holds. Sweeps: inputs, the
sampling (design, samples, seed), each output's quantiles, and the grid points.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Any

import yaml

from gigawatt.errors import StoreError

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


TIMELINE = ("system_added", "facility_gw", "it_gw", "racks", "gpus", "fp8_eflops", "capex_usd",
            "investment_usd", "network_power_mw", "usd_per_gpu_hour", "training_days",
            "output_tokens_per_day")
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


# Result keys that say where or when a run was made, not what it found.
_BOOKKEEPING = {"run_id", "report_path", "gigawatt_version", "title", "scenario"}


def headline_keys(result: Mapping[str, Any]) -> list[str]:
    """Every headline output of a plan result: HEADLINE first, then every other scalar key
    (numbers, text, dates) and the training layout, in the result's order."""
    rest = [k for k, v in result.items()
            if k not in HEADLINE and k not in _BOOKKEEPING
            and (not isinstance(v, list | dict) or k == "training_parallelism")]
    return [*HEADLINE, *rest]


def _changed(key: str, va: Any, vb: Any) -> dict[str, Any]:
    row: dict[str, Any] = {"field": key, "a": va, "b": vb}
    numbers = (isinstance(va, int | float) and isinstance(vb, int | float)
               and not isinstance(va, bool) and not isinstance(vb, bool))
    if numbers:
        row["delta"] = vb - va
        row["ratio"] = vb / va if va else None
    return row


def diff_outputs(a: Mapping[str, Any], b: Mapping[str, Any],
                 keys: Sequence[str]) -> list[dict[str, Any]]:
    """``field``, ``a``, ``b`` (and ``delta``, ``ratio`` for numbers) where two results differ."""
    return [_changed(k, a.get(k), b.get(k)) for k in keys if a.get(k) != b.get(k)]


def diff_assumptions(a: Sequence[Mapping[str, Any]],
                     b: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Per assumption field, its value, status and source where two plans differ."""
    rows_a = {r["field"]: r for r in a}
    rows_b = {r["field"]: r for r in b}
    out = []
    for field in [*rows_a, *(f for f in rows_b if f not in rows_a)]:
        ra, rb = rows_a.get(field, {}), rows_b.get(field, {})
        changed = [k for k in ("value", "status", "source") if ra.get(k) != rb.get(k)]
        if changed:
            out.append({**_changed(field, ra.get("value"), rb.get("value")),
                        "changed": changed, "status_a": ra.get("status"),
                        "status_b": rb.get("status"), "source_a": ra.get("source"),
                        "source_b": rb.get("source")})
    return out


def diff_quantiles(a: Mapping[str, Any], b: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Per sweep output and quantile (p10, p50, p90, mean), the two values where they differ."""
    out = []
    for name in [*a, *(n for n in b if n not in a)]:
        qa, qb = a.get(name) or {}, b.get(name) or {}
        for q in ("p10", "p50", "p90", "mean"):
            if qa.get(q) != qb.get(q):
                out.append({**_changed(f"{name}.{q}", qa.get(q), qb.get(q)),
                            "output": name, "quantile": q})
    return out


def diff_grids(a: Sequence[Mapping[str, Any]] | None,
               b: Sequence[Mapping[str, Any]] | None) -> list[dict[str, Any]]:
    """Per grid point (by position), the outputs that differ."""
    a, b = a or [], b or []
    out = []
    for i in range(max(len(a), len(b))):
        ga = a[i] if i < len(a) else {}
        gb = b[i] if i < len(b) else {}
        changed = {k: {"a": ga.get(k), "b": gb.get(k)} for k in [*ga, *(k for k in gb
                   if k not in ga)] if ga.get(k) != gb.get(k)}
        if changed:
            out.append({"point": i, **changed})
    return out


SWEEP_SETTINGS = ("design", "samples", "seed", "backend", "inputs", "clipped", "note")


def diff_runs(a: Mapping[str, Any], b: Mapping[str, Any]) -> dict[str, Any]:
    """What differs between two stored runs (as ``RunStore.get`` returns them).

    Both kinds: ``a``, ``b`` (run IDs), ``kind``, ``inputs`` (scenario fields), ``outputs``
    (rows of ``field``, ``a``, ``b``, with ``delta`` and ``ratio`` for numbers) and
    ``identical`` (true when nothing below differs). Plans add ``assumptions``,
    ``timeline`` and ``sites``; sweeps add ``settings`` and ``grid``. Raises ``StoreError``
    for runs of different kinds.
    """
    kind_a, kind_b = a.get("kind", "plan"), b.get("kind", "plan")
    if kind_a != kind_b:
        raise StoreError(f"run {a['run_id']} is a {kind_a} and run {b['run_id']} a {kind_b}; "
                         "runs diff compares two runs of one kind")
    ia = flatten(yaml.safe_load(a["scenario_yaml"]))
    ib = flatten(yaml.safe_load(b["scenario_yaml"]))
    inputs = [
        {"field": k, "a": ia.get(k), "b": ib.get(k)}
        for k in sorted(ia.keys() | ib.keys()) if ia.get(k) != ib.get(k)
    ]
    ra, rb = a["result"], b["result"]
    out: dict[str, Any] = {"a": a["run_id"], "b": b["run_id"], "kind": kind_a,
                           "inputs": inputs}
    if kind_a == "sweep":
        out["settings"] = diff_outputs(ra, rb, SWEEP_SETTINGS)
        out["outputs"] = diff_quantiles(ra.get("outputs") or {}, rb.get("outputs") or {})
        out["grid"] = diff_grids(ra.get("grid"), rb.get("grid"))
    else:
        keys = headline_keys(ra) + [k for k in headline_keys(rb) if k not in ra]
        out["outputs"] = diff_outputs(ra, rb, keys)
        out["assumptions"] = diff_assumptions(ra.get("assumptions") or [],
                                              rb.get("assumptions") or [])
        out["timeline"] = diff_timelines(ra.get("timeline", []), rb.get("timeline", []))
        out["sites"] = diff_sites(ra.get("sites") or [], rb.get("sites") or [])
    out["identical"] = not any(v for k, v in out.items() if isinstance(v, list))
    return out
