"""The ``gigawatt`` command line: thin adapters that parse, call the library, render.

Every command takes ``--json`` (the result on stdout and nothing else) and
answers bad input with one line on stderr and exit code 2.
"""

from __future__ import annotations

import sys
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console

from gigawatt.errors import GigawattError

app = typer.Typer(
    help="Plan and simulate gigawatt-scale AI factories.",
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)
catalog_app = typer.Typer(help="Browse the sourced equipment and model catalog.")
scenarios_app = typer.Typer(help="Browse the built-in scenarios.")
runs_app = typer.Typer(help="The run store: saved plans.")
app.add_typer(catalog_app, name="catalog")
app.add_typer(scenarios_app, name="scenarios")
app.add_typer(runs_app, name="runs")


class Format(StrEnum):
    """Output formats."""

    table = "table"
    json = "json"
    csv = "csv"


JsonFlag = Annotated[bool, typer.Option("--json", help="Print the result as JSON, alone.")]
FormatOption = Annotated[Format, typer.Option("--format", help="Output format.")]


def _console() -> Console:
    return Console(highlight=False, soft_wrap=False)


def _print(text: str) -> None:
    sys.stdout.write(text if text.endswith("\n") else text + "\n")


def _emit_json(data: Any) -> None:
    from gigawatt.report.tabular import to_json

    _print(to_json(data))


def _chosen(fmt: Format, as_json: bool, as_csv: bool = False) -> Format:
    if as_json and as_csv:
        raise typer.BadParameter("--json and --csv cannot be used together")
    return Format.json if as_json else Format.csv if as_csv else fmt


@app.command("plan")
def plan_command(
    scenario: Annotated[str, typer.Argument(
        help="Built-in scenario name or path to a scenario YAML file.")] = "openai-nvidia-10gw",
    fmt: FormatOption = Format.table,
    as_json: JsonFlag = False,
    as_csv: Annotated[bool, typer.Option("--csv", help="Print the timeline as CSV.")] = False,
    out: Annotated[Path, typer.Option("--out", help="Folder for the HTML report.")] = Path(
        "gigawatt-out"),
    report: Annotated[bool, typer.Option("--report/--no-report",
                                         help="Write the HTML report.")] = True,
    save: Annotated[bool, typer.Option("--save/--no-save",
                                       help="Save the run to the run store.")] = True,
) -> None:
    """Run the whole pipeline on a scenario: schedule, sizing, economics, claims check."""
    from gigawatt.plan import plan
    from gigawatt.scenario import load_scenario

    fmt = _chosen(fmt, as_json, as_csv)
    scenario_obj, text = load_scenario(scenario)
    result = plan(scenario_obj).to_dict()
    result["run_id"] = None
    if save:
        from gigawatt.store import RunStore

        result["run_id"] = RunStore().save("plan", scenario_obj.name,
                                           result["gigawatt_version"], text, result)
    result["report_path"] = None
    if report:
        from gigawatt.report.html import write_html

        path = write_html(result, out / f"{scenario_obj.name}.html")
        result["report_path"] = str(path)
    if fmt is Format.json:
        _emit_json(result)
    elif fmt is Format.csv:
        from gigawatt.report.tabular import to_csv

        _print(to_csv(result["timeline"]))
    else:
        from gigawatt.report.terminal import render_plan

        console = _console()
        render_plan(result, console)
        if result["report_path"]:
            console.print(f"HTML report: {result['report_path']}")
        if result["run_id"]:
            console.print(f"Run saved: {result['run_id']} (gigawatt runs show {result['run_id']})")


@catalog_app.command("list")
def catalog_list(
    kind: Annotated[str | None, typer.Argument(
        help="accelerators, systems, switches or models; all if left out.")] = None,
    as_json: JsonFlag = False,
) -> None:
    """List catalog entries with their status and date."""
    from gigawatt.catalog import load_catalog
    from gigawatt.catalog.schema import KINDS

    catalog = load_catalog()
    kinds = [kind] if kind else list(KINDS)
    rows = [
        {"id": e.id, "kind": k, "name": e.name, "status": e.status, "as_of": e.as_of.isoformat()}
        for k in kinds for e in catalog.of_kind(k).values()
    ]
    if as_json:
        _emit_json(rows)
    else:
        from gigawatt.report.terminal import render_rows

        render_rows("Catalog", rows, _console())


@catalog_app.command("show")
def catalog_show(
    entry_id: Annotated[str, typer.Argument(metavar="ID", help="Catalog ID, e.g. vr-nvl72.")],
    as_json: JsonFlag = False,
) -> None:
    """Show one catalog entry with its source and the ranges sources give."""
    from gigawatt.catalog import load_catalog

    kind, entry = load_catalog().entry(entry_id)
    data = {"kind": kind, **entry.model_dump(mode="json", exclude_none=True)}
    if as_json:
        _emit_json(data)
        return
    from gigawatt.report.terminal import render_mapping, render_rows

    console = _console()
    ranges = data.pop("ranges", {})
    render_mapping(f"{entry.name} ({entry.id})", data, console)
    if ranges:
        render_rows("Ranges given by sources",
                    [{"field": f, **span} for f, span in ranges.items()], console)


@scenarios_app.command("list")
def scenarios_list(as_json: JsonFlag = False) -> None:
    """List the built-in scenarios."""
    from gigawatt.scenario import builtin_scenarios, load_scenario

    rows = []
    for name in builtin_scenarios():
        s, _ = load_scenario(name)
        rows.append({"name": name, "title": s.title, "facility_gw": s.ramp.steps[-1].facility_gw,
                     "last_period": s.ramp.steps[-1].period})
    if as_json:
        _emit_json(rows)
    else:
        from gigawatt.report.terminal import render_rows

        render_rows("Built-in scenarios", rows, _console())


@scenarios_app.command("show")
def scenarios_show(
    name: Annotated[str, typer.Argument(help="Built-in scenario name or YAML path.")],
    as_json: JsonFlag = False,
) -> None:
    """Print a scenario as YAML that 'gigawatt plan FILE' accepts back unchanged."""
    from gigawatt.scenario import load_scenario, scenario_to_yaml

    scenario, _ = load_scenario(name)
    if as_json:
        _emit_json(scenario.model_dump(mode="json", exclude_none=True))
    else:
        _print(scenario_to_yaml(scenario))


@runs_app.command("list")
def runs_list(as_json: JsonFlag = False) -> None:
    """List saved runs, newest first."""
    from gigawatt.store import RunStore

    rows = RunStore().list_runs()
    if as_json:
        _emit_json(rows)
    else:
        from gigawatt.report.terminal import render_rows

        render_rows("Runs", rows, _console())


@runs_app.command("show")
def runs_show(
    run_id: Annotated[str, typer.Argument(metavar="ID", help="Run ID or a unique prefix.")],
    as_json: JsonFlag = False,
) -> None:
    """Show one run: its inputs and the plan summary."""
    from gigawatt.store import RunStore

    run = RunStore().get(run_id)
    if as_json:
        _emit_json(run)
        return
    from gigawatt.report.terminal import render_plan

    console = _console()
    console.print(f"Run {run['run_id']} of {run['scenario']}, {run['created_at']} UTC, "
                  f"gigawatt {run['version']}")
    render_plan(run["result"], console)


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
        _emit_json(d)
    else:
        from gigawatt.report.terminal import render_diff

        render_diff(d, _console())


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
        _emit_json(result)
    else:
        from gigawatt.report.tabular import to_csv

        _print(to_csv(result["timeline"]))


def run(argv: list[str] | None = None) -> int:
    """Run the CLI in-process and return its exit code; errors become one line on stderr."""
    args = sys.argv[1:] if argv is None else argv
    command = typer.main.get_command(app)
    if not args:
        args = ["--help"]
    try:
        code = command.main(args=args, prog_name="gigawatt", standalone_mode=False)
    except typer.Exit as exc:
        return int(exc.exit_code or 0)
    except typer.Abort:
        sys.stderr.write("gigawatt: aborted\n")
        return 130
    except typer.TyperException as exc:
        sys.stderr.write(f"gigawatt: error: {exc.format_message()}\n")
        return 2
    except GigawattError as exc:
        sys.stderr.write(f"gigawatt: error: {exc}\n")
        return 2
    except KeyboardInterrupt:
        sys.stderr.write("gigawatt: interrupted\n")
        return 130
    return int(code) if isinstance(code, int) else 0


def main() -> None:
    """Console-script entry point."""
    sys.exit(run())
