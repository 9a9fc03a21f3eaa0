"""`gigawatt reliability`: failures, checkpointing and goodput of a job on N GPUs for D days."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Any

import typer

from gigawatt.cli.shared import JsonFlag, app, console, emit_json, progress_bar

LABELS = {
    "interruptions": "Interruptions (mean)",
    "interruptions_p10": "Interruptions, P10",
    "interruptions_p90": "Interruptions, P90",
    "interruptions_per_day": "Interruptions per day",
    "rollbacks_per_day": "Rollbacks to a checkpoint per day",
    "mtti_hours": "Mean time to interruption (hours)",
    "mttf_hours": "Mean time to failure, unplanned (hours)",
    "checkpoint_interval_min": "Checkpoint interval (min)",
    "checkpoint_interval_young_min": "Young's interval (min)",
    "checkpoint_write_s": "Checkpoint write (s)",
    "checkpoint_restore_s": "Checkpoint restore (s)",
    "checkpoint_target": "Checkpoint target",
    "goodput": "Goodput (share of wall time)",
    "effective_days": "Effective days of work",
    "useful_gpu_hours": "Useful GPU-hours",
    "detection_min": "Detection (min)",
    "restart_min": "Restart without a spare (min)",
    "hot_spares": "Hot spare hosts",
    "spare_gpus": "GPUs held as hot spares",
    "method": "Method",
    "trials": "Trials",
    "seed": "Seed",
}
CAUSES = {"checkpoint": "Writing checkpoints", "detection": "Detecting failures",
          "restart": "Restarting and restoring", "lost_work": "Work lost since a checkpoint",
          "degraded": "Running without replicas or with a straggler"}
FLEET = {"failures_per_day": "Failures per day", "failures_per_day_p10": "Failures per day, P10",
         "failures_per_day_p90": "Failures per day, P90",
         "replacements_per_day": "Part swaps per day",
         "gpu_replacements_per_day": "GPU replacements per day",
         "replacement_lead_days": "Resupply lead time (days)",
         "target_availability": "Spare availability target"}


def _labelled(data: Mapping[str, Any], labels: Mapping[str, str]) -> list[dict[str, Any]]:
    return [{"quantity": label, "value": data[key]} for key, label in labels.items()
            if key in data and data[key] is not None]


@app.command("reliability")
def reliability_command(
    gpus: Annotated[int | None, typer.Option(
        "--gpus", help="GPUs the job runs on (or --sweep-gpus).")] = None,
    gpu: Annotated[str, typer.Option("--gpu", help="Accelerator or system ID, e.g. h100-sxm.")
                   ] = "vr-nvl72",
    days: Annotated[float, typer.Option("--days", help="Wall-clock days of the job.")] = 30.0,
    profile: Annotated[str, typer.Option(
        "--profile", help="Operations profile: production (burnt-in fleet, lemon nodes "
        "quarantined), research (Meta's shared research clusters) or fault-tolerant (the best "
        "published stack: in-memory checkpoints, hot spares, elastic continuation).")
    ] = "production",
    sweep_gpus: Annotated[str | None, typer.Option(
        "--sweep-gpus", help="LOW..HIGH: goodput and MTTI against job size for every profile, "
        "e.g. 1e3..1e6 (closed form).")] = None,
    goodput_floor: Annotated[float, typer.Option(
        "--goodput-floor", help="With --sweep-gpus: the goodput below which a job size is "
        "reported as too large.")] = 0.9,
    plot: Annotated[Path | None, typer.Option(
        "--plot", help="With --sweep-gpus: also write the curves to this HTML file.")] = None,
    checkpoint_interval_min: Annotated[float | None, typer.Option(
        "--checkpoint-interval-min",
        help="Compute minutes between checkpoints; optimised if left out.")] = None,
    checkpoint_write_s: Annotated[float | None, typer.Option(
        "--checkpoint-write-s", help="Seconds the job stops to write a checkpoint.")] = None,
    checkpoint_gb: Annotated[float | None, typer.Option(
        "--checkpoint-gb", help="Checkpoint size, GB; written at the target's bandwidth per "
        "GPU, or at --storage-gb-per-s.")] = None,
    storage_gb_per_s: Annotated[float | None, typer.Option(
        "--storage-gb-per-s", help="Checkpoint write bandwidth of the whole job, GB/s; "
        "needs --checkpoint-gb.")] = None,
    checkpoint_target: Annotated[str | None, typer.Option(
        "--checkpoint-target", help="shared, nvme or peer (host memory of peers); the "
        "profile's if left out.")] = None,
    hot_spares: Annotated[int, typer.Option(
        "--hot-spares", help="Spare hosts kept ready, on top of the profile's share.")] = 0,
    elastic: Annotated[bool | None, typer.Option(
        "--elastic/--no-elastic", help="Continue without a failed replica; the profile's if "
        "left out.")] = None,
    rack_age_days: Annotated[float | None, typer.Option(
        "--rack-age-days", help="Age of the racks at the start (new racks fail more); "
        "left out: burnt-in racks.")] = None,
    detection_min: Annotated[float | None, typer.Option(
        "--detection-min", help="Minutes to detect a failure; the profile's if left out.")] = None,
    restart_min: Annotated[float | None, typer.Option(
        "--restart-min", help="Minutes to restart after one; the profile's if left out.")] = None,
    rate_scale: Annotated[float, typer.Option(
        "--rate-scale", help="Multiply every failure rate (sensitivity).")] = 1.0,
    trials: Annotated[int, typer.Option(
        "--trials", help="Monte Carlo trials; 0 for the closed form.")] = 1000,
    seed: Annotated[int, typer.Option("--seed", help="Random seed.")] = 0,
    as_json: JsonFlag = False,
) -> None:
    """Interruptions, checkpoint interval and goodput of a training job, with lost GPU-hours."""
    from gigawatt.estimates.reliability import goodput_sweep, parse_gpu_range, reliability_json

    operations = {"checkpoint_target": checkpoint_target, "elastic": elastic}
    if sweep_gpus is not None:
        low, high = parse_gpu_range(sweep_gpus)
        sweep = goodput_sweep(
            low, high, gpu, days, floor=goodput_floor, operations=operations,
            checkpoint_interval_min=checkpoint_interval_min,
            checkpoint_write_s=checkpoint_write_s, checkpoint_gb=checkpoint_gb,
            storage_gb_per_s=storage_gb_per_s, hot_spares=hot_spares,
            rack_age_days=rack_age_days, detection_min=detection_min, restart_min=restart_min,
            rate_scale=rate_scale)
        if plot is not None:
            _write_plot(sweep, plot)
        if as_json:
            emit_json(sweep)
        else:
            _render_sweep(sweep)
        return
    if gpus is None:
        from gigawatt.errors import GigawattError

        raise GigawattError("gpus: missing; accepted: --gpus N (at least 1) or --sweep-gpus "
                            "LOW..HIGH")
    with progress_bar("reliability: Monte Carlo trials") as progress:
        data = reliability_json(
            gpus, gpu, days, profile=profile, checkpoint_interval_min=checkpoint_interval_min,
            checkpoint_write_s=checkpoint_write_s, checkpoint_gb=checkpoint_gb,
            storage_gb_per_s=storage_gb_per_s, hot_spares=hot_spares,
            rack_age_days=rack_age_days, detection_min=detection_min, restart_min=restart_min,
            rate_scale=rate_scale, trials=trials, seed=seed, operations=operations,
            progress=progress)
    if as_json:
        emit_json(data)
        return
    from gigawatt.report.terminal import render_rows

    out = console()
    render_rows(f"Reliability of a {gpus:,}-GPU job on {data['system']} for {days:g} days "
                f"({data['profile']} profile)", _labelled(data, LABELS), out)
    render_rows("Lost GPU-hours by cause", [
        {"cause": CAUSES.get(cause, cause), "GPU-hours": hours}
        for cause, hours in data["lost_gpu_hours"].items()], out)
    render_rows("Lost GPU-hours by failure class (they add up to the failure-caused causes)", [
        {"failure class": c, "lost GPU-hours": hours,
         "interruptions per day": data["interruptions_per_day_by_class"][c],
         "per GPU-year": data["interruptions_per_gpu_year"][c]}
        for c, hours in data["lost_gpu_hours_by_component"].items()], out)
    render_rows("Operations", [{"figure": k, "value": v}
                               for k, v in data["operations"].items()], out)
    render_rows("The same GPUs as a fleet", _labelled(data["fleet"], FLEET), out)


def _render_sweep(sweep: Mapping[str, Any]) -> None:
    from gigawatt.report.terminal import render_rows

    out = console()
    for name in sweep["profiles"]:
        rows = [{"GPUs": f"{r['gpus']:,}", "goodput": f"{r['goodput']:.1%}",
                 "MTTI (h)": r["mtti_hours"],
                 "interruptions/day": r["interruptions_per_day"],
                 "checkpoint every (min)": r["checkpoint_interval_min"],
                 "spare GPUs": f"{r['spare_gpus']:,}"}
                for r in sweep["sweep"] if r["profile"] == name]
        render_rows(f"{name}: goodput against job size on {sweep['system']}, "
                    f"{sweep['days']:g}-day jobs", rows, out)
    floor = sweep["goodput_floor"]
    limits = ", ".join(f"{name} {'none' if n is None else f'{n:,} GPUs'}"
                       for name, n in sweep["largest_gpus_above_floor"].items())
    out.print(f"Largest job keeping goodput at or above {floor:.0%}: {limits}", soft_wrap=True)


def _write_plot(sweep: Mapping[str, Any], path: Path) -> None:
    import plotly.graph_objects as go
    from plotly.subplots import make_subplots

    fig = make_subplots(rows=1, cols=2, subplot_titles=("Goodput", "Mean time to interruption"))
    for name in sweep["profiles"]:
        rows = [r for r in sweep["sweep"] if r["profile"] == name]
        x = [r["gpus"] for r in rows]
        fig.add_trace(go.Scatter(x=x, y=[r["goodput"] for r in rows], name=name,
                                 mode="lines+markers"), row=1, col=1)
        fig.add_trace(go.Scatter(x=x, y=[r["mtti_hours"] for r in rows], name=name,
                                 mode="lines+markers", showlegend=False), row=1, col=2)
    fig.update_xaxes(type="log", title_text="GPUs in the job")
    fig.update_yaxes(title_text="share of wall time", row=1, col=1)
    fig.update_yaxes(type="log", title_text="hours", row=1, col=2)
    fig.add_hline(y=sweep["goodput_floor"], line_dash="dot", row=1, col=1)
    fig.write_html(str(path), include_plotlyjs=True)
