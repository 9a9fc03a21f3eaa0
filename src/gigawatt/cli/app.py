"""The Typer application and what every command shares: formats, flags, output."""

from __future__ import annotations

import sys
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer
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


JsonFlag = Annotated[bool, typer.Option(
    "--json", help="Print the result as JSON on stdout, alone (keys: docs/json.md).")]
FormatOption = Annotated[Format | None, typer.Option(
    "--format", help="Output format (default table); --json and --csv are shorthands.")]
ScenarioArgument = Annotated[str, typer.Argument(
    help="Built-in scenario name or path to a scenario YAML file.")]
OutOption = Annotated[Path, typer.Option("--out", help="Folder for the HTML report.")]
ReportFlag = Annotated[bool, typer.Option("--report/--no-report", help="Write the HTML report.")]
SaveFlag = Annotated[bool, typer.Option("--save/--no-save", help="Save to the run store.")]
DEFAULT_OUT = Path("gigawatt-out")


def console() -> Console:
    """The terminal renderer's console."""
    return Console(highlight=False, soft_wrap=False)


def print_text(text: str) -> None:
    """Write text to stdout, ending with one newline."""
    sys.stdout.write(text if text.endswith("\n") else text + "\n")


def emit_json(data: Any) -> None:
    """The result as JSON on stdout, alone."""
    from gigawatt.report.tabular import to_json

    print_text(to_json(data))


def chosen_format(fmt: Format | None, as_json: bool, as_csv: bool = False,
                  default: Format = Format.table) -> Format:
    """The format asked for, by ``--format`` or the ``--json``/``--csv`` shorthands; two that
    disagree are an error (exit 2), never a silent choice."""
    if as_json and as_csv:
        raise typer.BadParameter("--json and --csv cannot be used together")
    asked = [f for f, on in ((Format.json, as_json), (Format.csv, as_csv)) if on]
    if fmt is not None:
        asked.insert(0, fmt)
    if len(set(asked)) > 1:
        names = [f"--format {f.value}" if i == 0 and fmt is not None else f"--{f.value}"
                 for i, f in enumerate(asked)]
        raise typer.BadParameter(f"{' and '.join(names)} ask for different formats; give one")
    return asked[0] if asked else default


def version_callback(value: bool) -> None:
    """``gigawatt --version``: print the version and stop."""
    if value:
        from gigawatt.version import __version__

        print_text(f"gigawatt {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: Annotated[bool, typer.Option(
        "--version", callback=version_callback, is_eager=True,
        help="Print the version and exit.")] = False,
) -> None:
    """Plan and simulate gigawatt-scale AI factories."""
