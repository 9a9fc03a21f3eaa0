"""The Typer application and what every command shares: formats, flags, output."""

from __future__ import annotations

import sys
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

if TYPE_CHECKING:
    from rich.console import Console

app = typer.Typer(
    help="Plan and simulate gigawatt-scale AI factories.",
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)


class Format(StrEnum):
    """Output formats."""

    table = "table"
    json = "json"
    csv = "csv"


JsonFlag = Annotated[bool, typer.Option("--json", help="Print the result as JSON, alone.")]
FormatOption = Annotated[Format, typer.Option("--format", help="Output format.")]
ScenarioArgument = Annotated[str, typer.Argument(
    help="Built-in scenario name or path to a scenario YAML file.")]
OutOption = Annotated[Path, typer.Option("--out", help="Folder for the HTML report.")]
ReportFlag = Annotated[bool, typer.Option("--report/--no-report", help="Write the HTML report.")]
SaveFlag = Annotated[bool, typer.Option("--save/--no-save", help="Save to the run store.")]
DEFAULT_OUT = Path("gigawatt-out")


def console() -> Console:
    """The terminal renderer's console (rich is imported here: ``--json`` never needs it)."""
    from rich.console import Console

    return Console(highlight=False, soft_wrap=False)


def print_text(text: str) -> None:
    """Write text to stdout, ending with one newline."""
    sys.stdout.write(text if text.endswith("\n") else text + "\n")


def emit_json(data: Any) -> None:
    """The result as JSON on stdout, alone."""
    from gigawatt.report.tabular import to_json

    print_text(to_json(data))


def chosen_format(fmt: Format, as_json: bool, as_csv: bool = False) -> Format:
    """The format asked for, by ``--format`` or the ``--json``/``--csv`` shorthands."""
    if as_json and as_csv:
        raise typer.BadParameter("--json and --csv cannot be used together")
    return Format.json if as_json else Format.csv if as_csv else fmt
