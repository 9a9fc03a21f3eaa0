"""Terminal tables (rich) for plans, catalog entries, scenarios and runs."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from rich import box
from rich.console import Console, Group
from rich.padding import Padding
from rich.panel import Panel
from rich.table import Table

from gigawatt.report import format as fmt


def _table(title: str, columns: Sequence[str], rows: Sequence[Sequence[str]],
           numeric: Sequence[int] = (1,)) -> Table:
    table = Table(title=title, box=box.SIMPLE_HEAVY, title_justify="left", title_style="bold")
    for i, name in enumerate(columns):
        is_number = i in numeric
        table.add_column(name, justify="right" if is_number else "left",
                         no_wrap=is_number or i == 0,
                         overflow="fold")
    for row in rows:
        table.add_row(*row)
    return table


def _assumption(result: Mapping[str, Any], field: str) -> str:
    for a in result.get("assumptions", []):
        if a["field"] == field:
            return fmt.value(a["value"])
    return "-"


def headline_rows(r: Mapping[str, Any]) -> list[tuple[str, str, str]]:
    """(quantity, value, basis) rows of a plan's headline figures."""
    pue = _assumption(r, "facility.pue")
    util = _assumption(r, "facility.utilisation")
    return [
        ("Facility power online", f"{r['facility_gw']:,.2f} GW", f"by {r['last_period']}"),
        ("IT power", f"{r['it_gw']:,.2f} GW", f"facility / PUE {pue}"),
        ("Racks", fmt.count(r["racks"]), "IT power / (rack power x (1 + overhead))"),
        ("GPU packages", fmt.count(r["gpus"]), "racks x packages per rack"),
        ("GPU dies", fmt.count(r["gpu_dies"]), "Rubin: 2 per package, Rubin Ultra: 4"),
        ("Scale-up (NVLink) domains", fmt.count(r["nvlink_domains"]), "packages / domain size"),
        ("Peak FP4 / FP8 / BF16",
         f"{r['fp4_eflops']:,.0f} / {r['fp8_eflops']:,.0f} / {r['bf16_eflops']:,.0f} EFLOP/s",
         "dense, packages x catalog peak"),
        ("HBM capacity", f"{r['hbm_pb']:,.0f} PB", "packages x HBM per package"),
        ("Scale-out network", f"{r['network_power_mw']:,.0f} MW",
         f"{r['network_power_share_of_it']:.1%} of IT power; {fmt.count(r['transceivers'])} "
         "transceivers; rail-optimised fat trees per platform"),
        ("Largest single cluster", f"{fmt.count(r['largest_cluster_gpus'])} GPUs",
         "the largest fabric within a switch's three-tier reach"),
        ("Capex", fmt.usd(r["capex_usd"]),
         f"systems {fmt.usd(r['capex_systems_usd'])}, networking "
         f"{fmt.usd(r['capex_network_usd'])}, facility {fmt.usd(r['capex_facility_usd'])}"),
        ("Capex per GW", fmt.usd(r["capex_usd_per_gw"]),
         f"NVIDIA content (systems + networking) {fmt.usd(r['vendor_usd_per_gw'])}/GW"),
        ("Opex per year", fmt.usd(r["opex_usd_per_year"]),
         f"electricity {fmt.usd(r['opex_electricity_usd_per_year'])} at utilisation {util}, "
         f"maintenance {fmt.usd(r['opex_maintenance_usd_per_year'])}"),
        ("Cost per GPU-hour", fmt.usd(r["usd_per_gpu_hour"]),
         f"depreciation over {_assumption(r, 'finance.depreciation_years')} years + opex"),
        ("Investment released", fmt.usd(r["investment_usd"]),
         f"{r['tranches_released']} tranches"),
        ("First GW online", str(r["first_gw_date"] or "never"), "linear ramp within a half-year"),
        ("Energy", f"{r['energy_twh_per_year']:,.1f} TWh/yr",
         f"facility power x utilisation {util} x 8760 h"),
        ("Water", f"{r['water_gl_per_year']:,.1f} GL/yr",
         f"IT energy x WUE {_assumption(r, 'facility.wue_l_per_kwh')} L/kWh"),
        ("Emissions", f"{r['emissions_mt_co2_per_year']:,.1f} Mt CO2/yr",
         f"energy x {_assumption(r, 'facility.grid_kg_co2_per_kwh')} kg CO2/kWh"),
        ("Fleet failures", f"{fmt.count(r['fleet_failures_per_day'])}/day",
         f"{fmt.count(r['gpu_replacements_per_day'])} GPU replacements/day (production profile)"),
        *_serving_rows(r),
        *_training_rows(r),
    ]


def _serving_rows(r: Mapping[str, Any]) -> list[tuple[str, str, str]]:
    if "weekly_users_servable" not in r:
        return []
    return [
        ("Serving capacity", f"{fmt.count(r['output_tokens_per_day'])} tokens/day",
         f"{fmt.count(r['serving_gpus'])} GPUs serving, sized for the busiest hour"),
        ("Weekly users servable", fmt.count(r["weekly_users_servable"]),
         f"demand then: {fmt.count(r['demand_weekly_users'])} weekly users"),
        ("Cost per million output tokens", fmt.usd(r["usd_per_million_output_tokens"]),
         "cost per GPU-hour / tokens per GPU-hour at average load"),
    ]


def _days(days: float | None) -> str:
    # a first period with no GPUs online (a ramp starting at 0 GW) has no training time
    return "no GPUs online" if days is None else f"{days:,.1f} days"


def _training_rows(r: Mapping[str, Any]) -> list[tuple[str, str, str]]:
    if r.get("training_days") is None:
        return []
    p = r["training_parallelism"] or {}
    layout = " ".join(f"{k}{v}" for k, v in p.items())
    return [
        ("Frontier run (best job)", f"{r['training_days']:,.1f} days",
         f"{fmt.count(r['training_job_gpus'])} {r['training_system']} GPUs ({layout}), "
         f"MFU {r['training_mfu']:.0%}, {r['training_ideal_days']:,.2f} days without failures; "
         f"first period {_days(r.get('first_period_training_days'))}"),
        ("Failures of that job", f"goodput {r['training_goodput']:.0%}",
         f"{r['training_interruptions_per_day']:,.0f} interruptions/day (one every "
         f"{r['training_mtti_min']:,.0f} min), checkpoint every "
         f"{r['checkpoint_interval_min']:,.1f} min"),
        ("Largest single-site job", f"goodput {r['largest_job_goodput']:.0%}",
         f"{fmt.count(r['training_largest_job_gpus'])} GPUs, "
         f"{r['largest_job_interruptions_per_day']:,.0f} interruptions/day: it would finish "
         "later than the job above"),
    ]


def render_plan(r: Mapping[str, Any], console: Console) -> None:
    """The plan summary: headline, timeline, tranches and the claims check."""
    console.print(Panel(f"[bold]{r['title']}[/bold]\nscenario {r['scenario']}, "
                        f"{r['first_period']} to {r['last_period']}", expand=False))
    console.print(_table("Headline", ["quantity", "value", "basis"], headline_rows(r)))
    timeline = [
        (t["period"], fmt.systems(t["system_added"]), f"{t['facility_gw']:,.2f}",
         f"{t['it_gw']:,.2f}",
         fmt.count(t["racks"]), fmt.count(t["gpus"]), fmt.count(t["gpu_dies"]),
         fmt.usd(t["capex_usd"]), fmt.usd(t["investment_usd"]))
        for t in r["timeline"]
    ]
    console.print(_table(
        "Timeline (cumulative at period end; money in the period)",
        ["period", "added", "GW", "IT GW", "racks", "GPUs", "dies", "capex", "invest"],
        timeline, numeric=range(2, 9)))
    render_sites(r, console)
    if r["claims"]:
        console.print("[bold]Claims check[/bold] (the announcement's figures beside the model's)")
        colour = {"within": "green"}
        for c in r["claims"]:
            mark = colour.get(c["verdict"], "red")
            console.print(f"  [{mark}]{c['verdict']:>11}[/{mark}]  [bold]{c['claim']}[/bold] "
                          f"({c['who']}): claimed {fmt.claimed_range(c)}, "
                          f"model {fmt.claimed(c, 'model')}")
            console.print(Padding(c["reason"], (0, 0, 0, 15), style="dim"))
        console.print()
    console.print(f"{len(r['assumptions'])} assumptions, each with its source, are listed in "
                  "the HTML report and in --json.")


def site_table_rows(r: Mapping[str, Any]) -> list[tuple[str, ...]]:
    """(site, period, power available, facility power, racks added, GPUs) per site and
    half-year where the site adds racks."""
    rows: list[tuple[str, ...]] = []
    for site in r.get("sites") or []:
        for row in site["schedule"]:
            added = ", ".join(f"{fmt.count(n)} {p}" for p, n in row["racks_added"].items() if n)
            if added:
                rows.append((site["site"], row["period"], fmt.num(row["power_available_mw"], 0),
                             fmt.num(row["facility_mw"], 0), added, fmt.count(row["gpus"])))
    return rows


def render_sites(r: Mapping[str, Any], console: Console) -> None:
    """An optimised plan's per-site schedule and the limits that bind (nothing for a ramp)."""
    opt = r.get("optimiser")
    if not opt:
        return
    unit = opt["objective_unit"]
    value = (f"{opt['objective_value']:,.0f} {unit}" if unit != "USD"
             else fmt.usd(opt["objective_value"]))
    console.print(f"[bold]Build-out optimiser[/bold]: objective {opt['objective']} = {value} "
                  f"({opt['first_quarter']} to {opt['last_quarter']}); {opt['note']}.")
    console.print(_table("Sites (racks added in each half-year; power in MW at period end)",
                         ["site", "period", "power MW", "used MW", "racks added", "GPUs"],
                         site_table_rows(r), numeric=(2, 3, 5)))
    binding = r.get("binding") or []
    if binding:
        console.print(f"[bold]What limits the plan[/bold] ({opt['binding_count']} binding "
                      f"limits; the {len(binding[:5])} worth most):")
        for b in binding[:5]:
            console.print(f"  {b['text']}")
        console.print()


def render_rows(title: str, rows: Sequence[Mapping[str, Any]], console: Console,
                columns: Sequence[str] | None = None) -> None:
    """Any list of records as one table."""
    if not rows:
        console.print(f"{title}: none")
        return
    cols = list(columns or rows[0].keys())
    cells = [[fmt.value(row.get(c)) for c in cols] for row in rows]
    console.print(_table(title, cols, cells, numeric=()))


def render_mapping(title: str, data: Mapping[str, Any], console: Console) -> None:
    """One record as a field/value table; nested values are shown compactly."""
    rows = [(k, fmt.value(v) if not isinstance(v, Mapping | list) else repr(v))
            for k, v in data.items()]
    console.print(_table(title, ["field", "value"], rows, numeric=()))


def render_diff(d: Mapping[str, Any], console: Console) -> None:
    """Inputs and outputs that differ between two runs."""
    sections: list[Table] = []
    for key, title in (("inputs", "Inputs that differ"), ("outputs", "Outputs that differ")):
        rows = [(row["field"], fmt.value(row["a"]), fmt.value(row["b"]),
                 fmt.value(row.get("ratio"))) for row in d[key]]
        sections.append(_table(f"{title} ({d['a']} -> {d['b']})",
                               ["field", "a", "b", "b / a"], rows, numeric=()))
    timeline = [(row["period"], key, _cell(key, change["a"]), _cell(key, change["b"]))
                for row in d.get("timeline", []) for key, change in row.items()
                if key != "period"]
    if timeline:
        sections.append(_table("Schedule, compute and money by half-year",
                               ["period", "quantity", "a", "b"], timeline, numeric=()))
    sites = [(row["site"], key, fmt.value(change["a"]), fmt.value(change["b"]))
             for row in d.get("sites", []) for key, change in row.items() if key != "site"]
    if sites:
        sections.append(_table("Sites at the end (- where a run does not use the site)",
                               ["site", "quantity", "a", "b"], sites, numeric=()))
    console.print(Group(*sections))




def _cell(key: str, x: Any) -> str:
    return fmt.systems(x) if key == "system_added" else fmt.value(x)


def render_sweep(d: Mapping[str, Any], console: Console) -> None:
    """Quantiles of each output and the inputs that move them most."""
    console.print(f"[bold]Sweep of {d['scenario']}[/bold]: {d['samples']} samples "
                  f"({d['design']}, seed {d['seed']}, backend {d['backend']})")
    if d.get("note"):
        console.print(f"Note: {d['note']}.")
    rows = [(name, fmt.value(q["p10"]), fmt.value(q["p50"]), fmt.value(q["p90"]))
            for name, q in d["outputs"].items()]
    console.print(_table("Outputs", ["output", "P10", "P50", "P90"], rows, numeric=(1, 2, 3)))
    for name in ("capex_usd", "gpus", "usd_per_gpu_hour"):
        entries = [e for e in d["sensitivity"].get(name, []) if e["swing"] > 0][:5]
        if entries:
            ranked = [(e["input"], fmt.value(e["output_at_p10"]), fmt.value(e["output_at_p90"]),
                       fmt.value(e["swing"])) for e in entries]
            console.print(_table(f"What drives {name} (input at its P10 / P90)",
                                 ["input", "at P10", "at P90", "swing"], ranked,
                                 numeric=(1, 2, 3)))
    if d.get("grid"):
        render_rows("Grid", d["grid"], console)
    for key in ("report_path", "run_id"):
        if d.get(key):
            console.print(f"{key.replace('_', ' ')}: {d[key]}")
