"""`gigawatt plan`: the whole pipeline on one scenario."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from gigawatt.cli.shared import (
    DEFAULT_OUT,
    Format,
    FormatOption,
    JsonFlag,
    OutOption,
    ReportFlag,
    SaveFlag,
    ScenarioArgument,
    app,
    check_out_folder,
    chosen_format,
    console,
    emit_json,
    print_text,
    save_with_report,
)


@app.command("plan")
def plan_command(
    scenario: ScenarioArgument = "openai-nvidia-10gw",
    fmt: FormatOption = None,
    as_json: JsonFlag = False,
    as_csv: Annotated[bool, typer.Option("--csv", help="Print the timeline as CSV.")] = False,
    out: OutOption = DEFAULT_OUT,
    report: ReportFlag = True,
    save: SaveFlag = True,
    yardstick_days: Annotated[float | None, typer.Option(
        "--yardstick-days", help="Wall-clock days of the frontier yardstick (default: the "
                                 "scenario's, 90).")] = None,
) -> None:
    """Run the whole pipeline on a scenario: schedule, sizing, economics, claims check."""
    from gigawatt.pipeline import plan
    from gigawatt.scenario import load_scenario

    fmt = chosen_format(fmt, as_json, as_csv)
    if report:
        check_out_folder(out)
    scenario_obj, text = load_scenario(scenario)
    if yardstick_days is not None:
        from gigawatt.errors import ScenarioError

        if not 0 < yardstick_days <= 3650 or scenario_obj.training is None:
            raise ScenarioError(f"--yardstick-days {yardstick_days:g}: accepted: 0 to 3650 "
                                "days, with a scenario that has a training section")
        scenario_obj = scenario_obj.model_copy(update={"training": scenario_obj.training
                                                       .model_copy(update={
                                                           "yardstick_days": yardstick_days})})
    result = plan(scenario_obj).to_dict()

    def saved() -> str:
        from gigawatt.store import RunStore

        return RunStore().save("plan", scenario_obj.name, result["gigawatt_version"], text,
                               result)

    def written() -> Path:
        from gigawatt.report.html import write_html

        return write_html(result, out / f"{scenario_obj.name}.html")

    not_saved = save_with_report(result, saved if save else None, written if report else None)
    if fmt is Format.json:
        emit_json(result)
    elif fmt is Format.csv:
        from gigawatt.report.tabular import to_csv

        print_text(to_csv(result["timeline"]))
    else:
        from gigawatt.report.terminal import render_plan

        out_console = console()
        render_plan(result, out_console)
        if result["report_path"]:
            out_console.print(f"HTML report: {result['report_path']}")
        if result["run_id"]:
            run_id = result["run_id"]
            out_console.print(f"Run saved: {run_id} (gigawatt runs show {run_id})")
    if not_saved is not None:
        raise not_saved  # after the result: the work is printed, the error says it was lost
