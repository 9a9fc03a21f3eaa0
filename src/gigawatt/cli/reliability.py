"""`gigawatt reliability`: failures, checkpointing and goodput of a job on N GPUs for D days."""

from __future__ import annotations

from typing import Annotated

import typer

from gigawatt.cli.app import JsonFlag, app, console, emit_json, progress_bar


@app.command("reliability")
def reliability_command(
    gpus: Annotated[int, typer.Option("--gpus", help="GPUs the job runs on.")],
    gpu: Annotated[str, typer.Option("--gpu", help="Accelerator or system ID, e.g. h100-sxm.")],
    days: Annotated[float, typer.Option("--days", help="Wall-clock days of the job.")],
    profile: Annotated[str, typer.Option(
        "--profile", help="Operations profile: production (burnt-in fleet, lemon nodes "
        "removed) or research (Meta's shared research clusters).")] = "production",
    checkpoint_interval_min: Annotated[float | None, typer.Option(
        "--checkpoint-interval-min",
        help="Compute minutes between checkpoints; optimised if left out.")] = None,
    checkpoint_write_s: Annotated[float | None, typer.Option(
        "--checkpoint-write-s", help="Seconds the job stops to write a checkpoint.")] = None,
    checkpoint_gb: Annotated[float | None, typer.Option(
        "--checkpoint-gb", help="Checkpoint size, GB (with --storage-gb-per-s).")] = None,
    storage_gb_per_s: Annotated[float | None, typer.Option(
        "--storage-gb-per-s", help="Checkpoint write bandwidth, GB/s.")] = None,
    hot_spares: Annotated[int, typer.Option(
        "--hot-spares", help="Spare hosts kept ready to replace a failed one.")] = 0,
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
    from gigawatt.estimates.reliability import reliability_json

    with progress_bar("reliability: Monte Carlo trials") as progress:
        data = reliability_json(
            gpus, gpu, days, profile=profile, checkpoint_interval_min=checkpoint_interval_min,
            checkpoint_write_s=checkpoint_write_s, checkpoint_gb=checkpoint_gb,
            storage_gb_per_s=storage_gb_per_s, hot_spares=hot_spares,
            rack_age_days=rack_age_days, detection_min=detection_min, restart_min=restart_min,
            rate_scale=rate_scale, trials=trials, seed=seed, progress=progress)
    if as_json:
        emit_json(data)
        return
    from gigawatt.report.terminal import render_mapping, render_rows

    out = console()
    summary = {k: v for k, v in data.items() if not isinstance(v, dict | list)}
    render_mapping(f"Reliability of a {gpus:,}-GPU job on {data['system']} for {days:g} days "
                   f"({data['profile']} profile)", summary, out)
    render_rows("Lost GPU-hours by cause", [
        {"cause": cause, "gpu_hours": hours} for cause, hours in data["lost_gpu_hours"].items()],
        out)
    render_rows("Lost GPU-hours by failure class, and interruptions per GPU-year", [
        {"class": c, "gpu_hours": hours, "per_gpu_year": data["interruptions_per_gpu_year"][c]}
        for c, hours in data["lost_gpu_hours_by_component"].items()], out)
    render_mapping("The same GPUs as a fleet (per day)",
                   {k: v for k, v in data["fleet"].items() if not isinstance(v, dict)}, out)
