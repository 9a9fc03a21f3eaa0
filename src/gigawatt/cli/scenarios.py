"""`gigawatt scenarios`: browse the built-in scenarios."""

from __future__ import annotations

from typing import Annotated

import typer

from gigawatt.cli.shared import JsonFlag, app, console, emit_json, print_text

scenarios_app = typer.Typer(help="Browse the built-in scenarios.")
app.add_typer(scenarios_app, name="scenarios")


@scenarios_app.command("list")
def scenarios_list(as_json: JsonFlag = False) -> None:
    """List the built-in scenarios."""
    from gigawatt.catalog.browse import scenario_rows

    rows = scenario_rows()
    if as_json:
        emit_json(rows)
    else:
        from gigawatt.report.terminal import render_rows

        render_rows("Built-in scenarios", rows, console())


@scenarios_app.command("show")
def scenarios_show(
    name: Annotated[str, typer.Argument(help="Built-in scenario name or YAML path.")],
    as_json: JsonFlag = False,
) -> None:
    """Print a scenario as YAML that 'gigawatt plan FILE' accepts back unchanged."""
    if as_json:
        from gigawatt.catalog.browse import scenario_document

        emit_json(scenario_document(name))
    else:
        from gigawatt.scenario import load_scenario, scenario_to_yaml

        print_text(scenario_to_yaml(load_scenario(name)[0]))
