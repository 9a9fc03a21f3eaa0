"""`gigawatt runs`: the run store of saved plans."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

import typer

from gigawatt.cli.app import JsonFlag, app, console, emit_json, print_text

runs_app = typer.Typer(help="The run store: saved plans.")
app.add_typer(runs_app, name="runs")


@runs_app.command("list")
def runs_list(as_json: JsonFlag = False) -> None:
    """List saved runs, newest first."""
    from gigawatt.store import RunStore

    rows = RunStore().list_runs()
    if as_json:
        emit_json(rows)
    else:
        from gigawatt.report.terminal import render_rows

        render_rows("Runs", rows, console())


@runs_app.command("show")
def runs_show(
    run_id: Annotated[str, typer.Argument(metavar="ID", help="Run ID or a unique prefix.")],
    as_json: JsonFlag = False,
) -> None:
    """Show one run: its inputs and the plan summary."""
    from gigawatt.store import RunStore

    run = RunStore().get(run_id)
    if as_json:
        emit_json(run)
        return
    from gigawatt.report.terminal import render_plan

    out = console()
    out.print(f"Run {run['run_id']} of {run['scenario']}, {run['created_at']} UTC, "
              f"gigawatt {run['version']}")
    render_plan(run["result"], out)


@runs_app.command("diff")
def runs_diff(
    a: Annotated[str, typer.Argument(help="First run ID.")],
    b: Annotated[str, typer.Argument(help="Second run ID.")],
    as_json: JsonFlag = False,
) -> None:
    """What changed between two runs, in inputs and headline outputs."""
    from gigawatt.compare import diff_runs
    from gigawatt.store import RunStore

    store = RunStore()
    d = diff_runs(store.get(a), store.get(b))
    if as_json:
        emit_json(d)
    else:
        from gigawatt.report.terminal import render_diff

        render_diff(d, console())


class ExportFormat(StrEnum):
    """Export formats."""

    json = "json"
    csv = "csv"


@runs_app.command("export")
def runs_export(
    run_id: Annotated[str, typer.Argument(metavar="ID", help="Run ID or a unique prefix.")],
    fmt: Annotated[ExportFormat, typer.Option(
        "--format", help="json: the whole result; csv: the timeline.")] = ExportFormat.json,
) -> None:
    """Print a run's result as JSON, or its timeline as CSV."""
    from gigawatt.store import RunStore

    result = RunStore().get(run_id)["result"]
    if fmt is ExportFormat.json:
        emit_json(result)
    else:
        from gigawatt.report.tabular import to_csv

        print_text(to_csv(result["timeline"]))
