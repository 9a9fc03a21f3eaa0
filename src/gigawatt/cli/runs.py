"""`gigawatt runs`: the run store of saved plans and sweeps."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from gigawatt.cli.shared import (
    Format,
    JsonFlag,
    app,
    chosen_format,
    console,
    emit_json,
    print_text,
)

runs_app = typer.Typer(help="The run store: saved plans and sweeps.")
app.add_typer(runs_app, name="runs")


@runs_app.command("list")
def runs_list(as_json: JsonFlag = False) -> None:
    """List saved runs, newest first, with their kind (plan or sweep)."""
    from gigawatt.store import RunStore

    rows = RunStore().list_runs()
    if as_json:
        emit_json(rows)
        return
    from gigawatt.report import format as fmt
    from gigawatt.report.terminal import render_rows

    ids = [r["run_id"] for r in rows]
    short = _short_ids(ids)
    render_rows("Runs (an ID prefix is enough for show, export and diff)", [
        {"ID": short[r["run_id"]], "saved (UTC)": r["created_at"].replace("T", " ")[:16],
         "kind": r["kind"], "scenario": r["scenario"],
         "GPUs": fmt.show("gpus", r["gpus"]), "capex": fmt.show("capex_usd", r["capex_usd"])}
        for r in rows], console())


def _short_ids(ids: list[str], least: int = 8) -> dict[str, str]:
    """The shortest prefix of at least ``least`` characters that tells each ID apart."""
    out = {}
    for i in ids:
        n = least
        while n < len(i) and any(j != i and j.startswith(i[:n]) for j in ids):
            n += 1
        out[i] = i[:n]
    return out


@runs_app.command("show")
def runs_show(
    run_id: Annotated[str, typer.Argument(metavar="ID", help="Run ID or a unique prefix.")],
    as_json: JsonFlag = False,
) -> None:
    """Show one run: a plan's summary or a sweep's quantiles and drivers."""
    from gigawatt.store import RunStore

    run = RunStore().get(run_id)
    if as_json:
        emit_json(run)
        return
    from gigawatt.report.terminal import render_plan, render_sweep

    out = console()
    out.print(f"Run {run['run_id']} ({run['kind']}) of {run['scenario']}, "
              f"{run['created_at']} UTC, gigawatt {run['version']}")
    if run["kind"] == "sweep":
        render_sweep(run["result"], out)
    else:
        render_plan(run["result"], out)


@runs_app.command("diff")
def runs_diff(
    a: Annotated[str, typer.Argument(help="First run ID (or a unique prefix).")],
    b: Annotated[str, typer.Argument(help="Second run ID, of the same kind.")],
    as_json: JsonFlag = False,
) -> None:
    """What changed between two runs: inputs, every headline output and assumption (plans)
    or quantiles and grid points (sweeps); 'no differences' when none."""
    from gigawatt.compare import diff_runs
    from gigawatt.store import RunStore

    store = RunStore()
    d = diff_runs(store.get(a), store.get(b))
    if as_json:
        emit_json(d)
    else:
        from gigawatt.report.terminal import render_diff

        render_diff(d, console())


@runs_app.command("export")
def runs_export(
    run_id: Annotated[str, typer.Argument(metavar="ID", help="Run ID or a unique prefix.")],
    fmt: Annotated[Format | None, typer.Option(
        "--format", help="json (default): the whole result; csv: a plan's timeline, a sweep's "
        "grid or quantiles.")] = None,
    as_json: JsonFlag = False,
    as_csv: Annotated[bool, typer.Option("--csv", help="Shorthand for --format csv.")] = False,
) -> None:
    """Print a run's result as JSON, or its main table as CSV."""
    from gigawatt.store import RunStore

    chosen = chosen_format(fmt, as_json, as_csv, default=Format.json)
    if chosen is Format.table:
        raise typer.BadParameter("--format table: runs export writes json or csv; "
                                 "'gigawatt runs show ID' prints the tables")
    result: dict[str, Any] = RunStore().get(run_id)["result"]
    if chosen is Format.json:
        emit_json(result)
    else:
        from gigawatt.report.tabular import run_csv

        print_text(run_csv(result))
