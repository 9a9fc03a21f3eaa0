"""`gigawatt scenarios`: browse the built-in scenarios."""

from __future__ import annotations

from typing import Annotated

import typer

from gigawatt.cli.app import JsonFlag, app, console, emit_json, print_text

scenarios_app = typer.Typer(help="Browse the built-in scenarios.")
app.add_typer(scenarios_app, name="scenarios")


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
    from gigawatt.scenario import load_scenario, scenario_to_yaml

    scenario, _ = load_scenario(name)
    if as_json:
        emit_json(scenario.model_dump(mode="json", exclude_none=True))
    else:
        print_text(scenario_to_yaml(scenario))
