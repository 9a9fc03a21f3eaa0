"""`gigawatt sweep`: ranges and sensitivities of a scenario's outputs."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from gigawatt.cli.shared import (
    DEFAULT_OUT,
    JsonFlag,
    OutOption,
    ReportFlag,
    SaveFlag,
    ScenarioArgument,
    app,
    check_out_folder,
    console,
    emit_json,
    progress_bar,
    save_with_report,
)


@app.command("sweep")
def sweep_command(
    scenario: ScenarioArgument = "openai-nvidia-10gw",
    samples: Annotated[int, typer.Option("--samples", help="Latin-hypercube samples.")] = 1000,
    seed: Annotated[int, typer.Option("--seed", help="Random seed.")] = 0,
    vary: Annotated[list[str] | None, typer.Option(
        "--vary", help="A grid instead: FIELD=V1,V2,... (repeatable).")] = None,
    backend: Annotated[str, typer.Option(
        "--backend", help="vectorised, process (local pool) or ray.")] = "vectorised",
    workers: Annotated[int, typer.Option(
        "--workers", help="Processes for process/ray, and for the vectorised backend's "
                          "per-sample build-out programmes.")] = 2,
    ray_address: Annotated[str | None, typer.Option(
        "--ray-address", help="An existing Ray cluster (default: start a local Ray); with "
                              "the vectorised backend, where per-sample build-outs are "
                              "solved.")] = None,
    target: Annotated[list[str] | None, typer.Option(
        "--target", help="Probability of meeting OUTPUT<=VALUE (or <, >=, >; dates as "
                         "2026-12-31), e.g. first_gw_date<=2026-12-31 (repeatable).")] = None,
    sobol: Annotated[bool | None, typer.Option(
        "--sobol/--no-sobol", show_default=False,
        help="Sobol first-order and total-effect indices (default: on the vectorised "
             "backend from 200 samples).")] = None,
    as_json: JsonFlag = False,
    out: OutOption = DEFAULT_OUT,
    report: ReportFlag = True,
    save: SaveFlag = True,
) -> None:
    """Sample the scenario's uncertain inputs, run the plan on each, rank what drives it."""
    from gigawatt.scenario import load_scenario
    from gigawatt.sweep import parse_vary, sweep
    from gigawatt.version import __version__

    if report:
        check_out_folder(out)
    scenario_obj, text = load_scenario(scenario)
    with progress_bar("sweep: samples") as progress:
        result = sweep(scenario_obj, samples=samples, seed=seed,
                       vary=parse_vary(vary) if vary else None, backend=backend,
                       workers=workers, ray_address=ray_address, targets=target or (),
                       sobol_indices=sobol, progress=progress).to_dict()

    def saved() -> str:
        from gigawatt.store import RunStore

        return RunStore().save("sweep", scenario_obj.name, __version__, text, result)

    def written() -> Path:
        from gigawatt.report.html import render_sweep_html, write_html

        return write_html(result, out / f"{scenario_obj.name}-sweep.html", render_sweep_html)

    not_saved = save_with_report(result, saved if save else None, written if report else None)
    if as_json:
        emit_json(result)
    else:
        from gigawatt.report.terminal import render_sweep

        render_sweep(result, console())
    if not_saved is not None:
        raise not_saved  # after the result: the work is printed, the error says it was lost
