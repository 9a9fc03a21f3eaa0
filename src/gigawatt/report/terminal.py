"""Terminal tables (rich) for plans, catalog entries, scenarios and runs."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from rich import box
from rich.cells import cell_len
from rich.console import Console, ConsoleOptions, Group, RenderResult
from rich.padding import Padding
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from gigawatt.report import format as fmt


class FittedTable:
    """A table that reads at any width, in a terminal or piped (80 columns).

    No cell breaks inside a word: each text column is at least as wide as its longest word
    and numeric columns never wrap. Where those widths cannot sit side by side in the width
    available, the rows are printed one after another instead, each as its first cell
    followed by indented ``column: value`` lines (wrapped at spaces).
    """

    def __init__(self, title: str, columns: Sequence[str], rows: Sequence[Sequence[str]],
                 numeric: Sequence[int] = (1,)) -> None:
        self.title, self.columns = title, list(columns)
        self.rows = [list(r) for r in rows]
        self.numeric = set(numeric)

    def _min_width(self, i: int, whole: bool = False) -> int:
        cells = [self.columns[i], *(r[i] for r in self.rows)]
        if whole or i in self.numeric:
            return max(cell_len(c) for c in cells)
        return max((cell_len(w) for c in cells for w in c.split()), default=1)

    def min_width(self, whole_first: bool = False) -> int:
        """The narrowest width at which the side-by-side layout keeps every word whole (and,
        with ``whole_first``, every first cell on one line)."""
        n = len(self.columns)
        return (sum(self._min_width(i, whole_first and i == 0) for i in range(n))
                + 3 * n + 1)  # edges, padding and rules

    def table(self, width: int | None = None) -> Table:
        # the first column (what a row is) stays on one line where the width allows
        whole_first = width is None or self.min_width(whole_first=True) <= width
        table = Table(title=self.title, box=box.SIMPLE_HEAVY, title_justify="left",
                      title_style="bold")
        for i, name in enumerate(self.columns):
            is_number = i in self.numeric
            no_wrap = is_number or (i == 0 and whole_first)
            table.add_column(name, justify="right" if is_number else "left", no_wrap=no_wrap,
                             min_width=self._min_width(i, i == 0 and whole_first),
                             overflow="fold")
        for row in self.rows:
            table.add_row(*row)
        return table

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        if self.min_width() <= options.max_width:
            yield self.table(options.max_width)
            return
        yield Text(self.title, style="bold")
        for row in self.rows:
            yield Text(row[0], style="bold")
            for name, cell in zip(self.columns[1:], row[1:], strict=True):
                yield Padding(Text(f"{name}: {cell}"), (0, 0, 0, 2))
        yield Text("")


def _table(title: str, columns: Sequence[str], rows: Sequence[Sequence[str]],
           numeric: Sequence[int] = (1,)) -> FittedTable:
    return FittedTable(title, columns, rows, numeric)


def _assumption(result: Mapping[str, Any], field: str) -> str:
    for a in result.get("assumptions", []):
        if a["field"] == field:
            return fmt.show(field, a["value"])
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
        ("Peak FP4", f"{r['fp4_eflops']:,.0f} EFLOP/s", "dense, packages x catalog peak"),
        ("Peak FP8 / BF16", f"{r['fp8_eflops']:,.0f} / {r['bf16_eflops']:,.0f} EFLOP/s",
         "dense"),
        ("HBM capacity", f"{r['hbm_pb']:,.0f} PB", "packages x HBM per package"),
        ("Scale-out network", f"{r['network_power_mw']:,.0f} MW",
         f"{fmt.percent(r['network_power_share_of_it'])} of IT power; "
         f"{fmt.count(r['transceivers'])} transceivers; rail-optimised fat trees per platform"),
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
         f"straight-line depreciation over {_assumption(r, 'finance.depreciation_years')} "
         "years + opex, no cost of capital"),
        *([("  with cost of capital", fmt.usd(r["usd_per_gpu_hour_with_wacc"]),
            f"capital recovered as an annuity at WACC {_assumption(r, 'finance.wacc')} over "
            "the same lives + opex")] if r.get("usd_per_gpu_hour_with_wacc") is not None
          else []),
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
         f"{fmt.count(r['gpu_replacements_per_day'])} GPU replacements/day "
         f"({r.get('operations_profile', 'production')} operations)"),
        *_serving_rows(r),
        *_training_rows(r),
    ]


def _serving_rows(r: Mapping[str, Any]) -> list[tuple[str, str, str]]:
    if "weekly_users_servable" not in r:
        return []
    ratio = r.get("serving_capacity_ratio")
    if ratio is None:
        return []
    served, demanded = r["served_output_tokens_per_day"], r["demand_output_tokens_per_day"]
    spare = (f"capacity is {ratio:,.2f}x the demand: every request is served"
             if ratio >= 1 else f"capacity covers {ratio:.0%} of the demand")
    rows = [
        ("Output tokens served / demanded", f"{fmt.count(served)} / {fmt.count(demanded)} a day",
         f"{spare}; {fmt.count(r['serving_gpus'])} GPUs serving, sized for the busiest hour; "
         "visible plus hidden reasoning tokens"),
    ]
    for k in r.get("demand_kinds", []):
        hidden = (f", {k['hidden_share_of_output']:.0%} hidden reasoning"
                  if k["hidden_tokens_per_request"] else "")
        rows.append((f"  {k['kind']}", f"{fmt.count(k['served_output_tokens_per_day'])} / "
                     f"{fmt.count(k['demand_output_tokens_per_day'])} a day",
                     f"{fmt.count(k['requests_per_day'])} requests/day of "
                     f"{k['input_tokens_per_request']:,.0f} in, "
                     f"{k['output_tokens_per_request'] + k['hidden_tokens_per_request']:,.0f} "
                     f"out{hidden}; TTFT {k['ttft_ms'] or 0:,.0f} ms, TPOT "
                     f"{k['tpot_ms'] or 0:,.0f} ms; {k['requests_per_day_as_of']:.3g}/day in "
                     f"{k['as_of']}, +{k['growth_per_year']:.0%}/yr"))
    rows += [
        ("Weekly users served", fmt.count(r["weekly_users_servable"]),
         f"of {fmt.count(r['demand_weekly_users'])} projected weekly users (never more than "
         "demand)"),
        ("Cost per million output tokens", fmt.usd(r["usd_per_million_output_tokens"]),
         "cost per GPU-hour / tokens per GPU-hour at average load of a fleet sized for its "
         "peak, no cost of capital"),
    ]
    if r.get("usd_per_million_output_tokens_with_wacc") is not None:
        rows.append(("  with cost of capital",
                     fmt.usd(r["usd_per_million_output_tokens_with_wacc"]),
                     f"the same, with capital recovered at WACC {_assumption(r, 'finance.wacc')}"))
    return rows


def _days(days: float | None) -> str:
    # a first period with no GPUs online (a ramp starting at 0 GW) has no training time
    return "no GPUs online" if days is None else f"{days:,.1f} days"


def _training_rows(r: Mapping[str, Any]) -> list[tuple[str, str, str]]:
    if r.get("training_days") is None:
        return []
    p = r["training_parallelism"] or {}
    layout = " ".join(f"{k}{v}" for k, v in p.items())
    yardstick = []
    if r.get("yardstick_flops") is not None:
        yardstick = [(
            f"Frontier yardstick ({r['yardstick_days']:g} days)",
            f"{r['yardstick_flops']:.2e} FLOPs",
            f"largest run one site completes: {fmt.count(r['yardstick_gpus'])} GPUs at MFU "
            f"{r['yardstick_mfu']:.0%} and goodput {r['yardstick_goodput']:.0%}, batch "
            f"{fmt.count(r['yardstick_global_batch'])} sequences (DeepSeek LLM batch rule); "
            f"compute-optimal (Chinchilla, 20 tokens/parameter): "
            f"{fmt.count(r['yardstick_parameters'])} parameters on "
            f"{fmt.count(r['yardstick_tokens'])} tokens; Epoch AI trend then "
            f"{r['yardstick_trend_flops']:.1e}")]
    return [
        *yardstick,
        ("Named run (best job)", f"{r['training_days']:,.1f} days",
         f"{fmt.count(r['training_job_gpus'])} {r['training_system']} GPUs ({layout}), "
         f"MFU {fmt.percent(r['training_mfu'])}, {r['training_ideal_days']:,.2f} days without "
         "failures; "
         f"first period {_days(r.get('first_period_training_days'))}"),
        ("Failures of that job", f"goodput {fmt.percent(r['training_goodput'])}",
         f"{r['training_interruptions_per_day']:,.0f} interruptions/day (one every "
         f"{r['training_mtti_min']:,.0f} min), checkpoint every "
         f"{r['checkpoint_interval_min']:,.1f} min"),
        ("Largest single-site job", f"goodput {fmt.percent(r['largest_job_goodput'])}",
         f"{fmt.count(r['training_largest_job_gpus'])} GPUs, "
         f"{r['largest_job_interruptions_per_day']:,.0f} interruptions/day under "
         f"{r.get('operations_profile', 'the scenario')} operations"
         + (": it would finish later than the job above"
            if r['training_largest_job_gpus'] != r['training_job_gpus'] else "")
         + _operations_needed(r)),
    ]


def _operations_needed(r: Mapping[str, Any]) -> str:
    """What the largest job would reach with the operations it lacks, and the largest job
    above the goodput floor with and without them."""
    steps = r.get("largest_job_operations_needed")
    if not steps or r.get("largest_job_goodput_with_operations_needed") is None:
        return ""
    floor = fmt.percent(r["largest_job_goodput_floor"])
    return (f"; with {', '.join(steps)}: goodput "
            f"{fmt.percent(r['largest_job_goodput_with_operations_needed'])}; above {floor} "
            f"up to {fmt.count(r['largest_job_gpus_above_floor_with_operations_needed'])} GPUs "
            f"({fmt.count(r['largest_job_gpus_above_floor'])} without)")


GIGAWATT_BUYS_COLUMNS = ("platform", "available", "GPUs", "serve tokens/s", "$/M tokens",
                         "capex", "days to train")


def gigawatt_buys_rows(r: Mapping[str, Any]) -> list[tuple[str, ...]]:
    """What one gigawatt of facility power buys on each platform (``gigawatt compare``)."""
    return [(b["platform"], b["available"], fmt.count(b["gpus_per_gw"]),
             fmt.count(b["serve_tokens_per_s_per_gw"]) if b.get("serve_tokens_per_s_per_gw")
             else "-",
             fmt.usd(b["usd_per_million_tokens"]) if b.get("usd_per_million_tokens") else "-",
             fmt.usd(b["capex_usd_per_gw"]) if b.get("capex_usd_per_gw") else "-",
             fmt.num(b["train_days_per_gw"], 2) if b.get("train_days_per_gw") else "-")
            for b in r.get("gigawatt_buys", [])]


GIGAWATT_BUYS_NOTE = (
    "Per GW of facility power at the scenario's PUE and IT overhead: the serving model on "
    "the first demand kind's shape and limits at full load; the named run's days at the "
    "per-GPU rate of a 16,384-GPU job, scaled to the GW; capex of racks and building without "
    "the network; '-' where the catalog has no price or the platform cannot run it.")


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
    if r.get("gigawatt_buys"):
        console.print(_table("What one gigawatt buys, per generation", GIGAWATT_BUYS_COLUMNS,
                             gigawatt_buys_rows(r), numeric=range(2, 7)))
        console.print(Padding(GIGAWATT_BUYS_NOTE, (0, 0, 1, 2), style="dim"))
    if r["claims"]:
        console.print("[bold]Claims check[/bold] (the announcement's figures beside the model's)")
        colour = {"within": "green"}
        for c in r["claims"]:
            mark = colour.get(c["verdict"], "red")
            console.print(f"  [{mark}]{c['verdict']:>11}[/{mark}]  [bold]{c['claim']}[/bold] "
                          f"({c['who']}): claimed {fmt.claimed_range(c)}, "
                          f"model {fmt.claimed(c, 'model')}")
            if c.get("quote"):
                console.print(Padding(f'"{c["quote"]}"', (0, 0, 0, 15), style="italic"))
            if c.get("reading"):
                console.print(Padding(f"Reading: {c['reading']}", (0, 0, 0, 15), style="dim"))
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
    cells = [[fmt.show(c, row.get(c)) for c in cols] for row in rows]
    # keys are named by the shared formatter; a header already in words stays as it is
    heads = [_lower_first(fmt.label(c)) if "_" in c else c for c in cols]
    console.print(_table(title, heads, cells, numeric=()))


def _lower_first(text: str) -> str:
    return text if text[:3].isupper() else text[:1].lower() + text[1:]


def render_mapping(title: str, data: Mapping[str, Any], console: Console) -> None:
    """One record as a field/value table; nested values are shown compactly, never as a
    Python repr."""
    rows = [(k, fmt.show(k, v) if not isinstance(v, Mapping | list) else str(fmt.csv_cell(v)))
            for k, v in data.items()]
    console.print(_table(title, ["field", "value"], rows, numeric=()))


def render_diff(d: Mapping[str, Any], console: Console) -> None:
    """What differs between two runs, or one line saying nothing does."""
    if d.get("identical"):
        console.print(f"Runs {d['a']} and {d['b']}: no differences (inputs, outputs"
                      + (", assumptions and timeline)" if d.get("kind") != "sweep"
                         else ", sampling and grid)"))
        return
    sections: list[FittedTable] = []
    rows: list[tuple[str, ...]]
    if d["inputs"]:
        rows = [(row["field"], fmt.show(row["field"], row["a"]), fmt.show(row["field"], row["b"]))
                for row in d["inputs"]]
        sections.append(_table(f"Inputs that differ ({d['a']} -> {d['b']})",
                               ["field", "a", "b"], rows, numeric=()))
    if d.get("settings"):
        rows = [(row["field"], _show(row["field"], row["a"]), _show(row["field"], row["b"]))
                for row in d["settings"]]
        sections.append(_table("Sampling that differs", ["setting", "a", "b"], rows, numeric=()))
    if d["outputs"]:
        rows = [(fmt.label(row.get("output", row["field"]))
                 + (f" {_QUANTILE[row['quantile']]}" if "quantile" in row else ""),
                 _show(row.get("output", row["field"]), row["a"]),
                 _show(row.get("output", row["field"]), row["b"]), _ratio(row))
                for row in d["outputs"]]
        sections.append(_table(f"Outputs that differ ({d['a']} -> {d['b']})",
                               ["output", "a", "b", "b / a"], rows, numeric=(1, 2, 3)))
    if d.get("assumptions"):
        rows = [(row["field"], _show(row["field"], row["a"]), _show(row["field"], row["b"]),
                 ", ".join(row["changed"])) for row in d["assumptions"]]
        sections.append(_table("Assumptions that differ", ["assumption", "a", "b", "what"],
                               rows, numeric=()))
    timeline = [(row["period"], fmt.label(key), _show(key, change["a"]),
                 _show(key, change["b"]))
                for row in d.get("timeline", []) for key, change in row.items()
                if key != "period"]
    if timeline:
        sections.append(_table("Schedule, compute and money by half-year",
                               ["period", "quantity", "a", "b"], timeline, numeric=()))
    sites = [(row["site"], fmt.label(key), fmt.show(key, change["a"]),
              fmt.show(key, change["b"]))
             for row in d.get("sites", []) for key, change in row.items() if key != "site"]
    if sites:
        sections.append(_table("Sites at the end (- where a run does not use the site)",
                               ["site", "quantity", "a", "b"], sites, numeric=()))
    grid = [(str(row["point"]), fmt.label(key), _show(key, change["a"]), _show(key, change["b"]))
            for row in d.get("grid", []) for key, change in row.items() if key != "point"]
    if grid:
        sections.append(_table("Grid points that differ", ["point", "quantity", "a", "b"],
                               grid, numeric=()))
    console.print(Group(*sections))


def _show(key: str, x: Any) -> str:
    if isinstance(x, Mapping):
        return " ".join(f"{k}{v}" for k, v in x.items())
    return fmt.show(key, x)


_QUANTILE = {"p10": "P10", "p50": "P50", "p90": "P90", "mean": "mean"}


def _ratio(row: Mapping[str, Any]) -> str:
    r = row.get("ratio")
    return "-" if r is None else f"{r:,.3f}x"


def render_sweep(d: Mapping[str, Any], console: Console) -> None:
    """A sampled sweep: quantiles of each output and the inputs that move them most. A grid
    (``--vary``): each output at each grid point, no quantiles."""
    console.print(f"[bold]Sweep of {d['scenario']}[/bold]: {d['samples']} samples "
                  f"({d['design']}, seed {d['seed']}, backend {d['backend']})")
    if d.get("note"):
        console.print(f"Note: {d['note']}.")
    if d.get("grid"):
        render_grid(d["grid"], list(d["outputs"]), console)
    else:
        shown = {**d["outputs"], **(d.get("dates") or {})}  # dates as dates, not day numbers
        rows = [(fmt.label(name), fmt.show(name, q["p10"]), fmt.show(name, q["p50"]),
                 fmt.show(name, q["p90"])) for name, q in shown.items()]
        console.print(_table("Outputs", ["output", "P10", "P50", "P90"], rows,
                             numeric=(1, 2, 3)))
    for name in ("capex_usd", "gpus", "usd_per_gpu_hour"):
        entries = [e for e in (d.get("sensitivity") or {}).get(name, []) if e["swing"] > 0][:5]
        if entries:
            ranked = [(f"{e['input']} {fmt.show(e['input'], e['input_p10'])} to "
                       f"{fmt.show(e['input'], e['input_p90'])}",
                       fmt.show(name, e["output_at_p10"]), fmt.show(name, e["output_at_p90"]),
                       fmt.show(name, e["swing"])) for e in entries]
            console.print(_table(
                f"What drives {fmt.label(name)} (with each input at its P10 and its P90)",
                ["input (P10 to P90)", "at P10", "at P90", "swing"], ranked,
                numeric=(1, 2, 3)))
    for target in d.get("targets") or []:
        console.print(f"P({target['target']}) = {fmt.value(target['probability'])} "
                      f"(standard error {fmt.value(target['standard_error'])})")
    for key in ("report_path", "run_id"):
        if d.get(key):
            console.print(f"{key.replace('_', ' ')}: {d[key]}")


def render_grid(grid: Sequence[Mapping[str, Any]], outputs: Sequence[str],
                console: Console) -> None:
    """A ``--vary`` grid: one row per output, one column per grid point (named by the values
    of the inputs varied)."""
    varied = [k for k in grid[0] if k not in outputs]
    points = [", ".join(f"{fmt.show(k, g[k])}" for k in varied) for g in grid]
    rows = [(fmt.label(name), *(fmt.show(name, g.get(name)) for g in grid)) for name in outputs]
    console.print(_table(f"Grid over {', '.join(varied)}", ["output", *points], rows,
                         numeric=range(1, len(grid) + 1)))
