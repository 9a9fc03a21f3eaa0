"""The Typer application and what every command shares: formats, flags, output."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console

from gigawatt.errors import GigawattError, StoreError

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
    """The terminal renderer's console."""
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


def check_out_folder(out: Path) -> None:
    """Refuse an ``--out`` that cannot hold the report, before any work is done or saved."""
    probe = out
    while not probe.exists() and probe != probe.parent:
        probe = probe.parent
    if probe == out and not out.is_dir():
        raise typer.BadParameter(f"--out {out}: is a file, not a folder; accepted: a folder "
                                 "(created if missing)")
    if not probe.is_dir():
        raise typer.BadParameter(f"--out {out}: {probe} is a file, not a folder; accepted: "
                                 "a folder (created if missing)")
    if not os.access(probe, os.W_OK | os.X_OK):
        raise typer.BadParameter(f"--out {out}: {probe} is not writable; accepted: a folder "
                                 "you can write to")


def save_with_report(result: dict[str, Any], save: Callable[[], str] | None,
                     report: Callable[[], Path] | None) -> StoreError | None:
    """Save the run (if ``save``), then write its report (if ``report``).

    Sets ``run_id`` and ``report_path`` in ``result``. A report that cannot be written
    undoes the save and raises; a save that fails is returned, not raised, so that the
    command still prints the result it computed before it reports that it was not saved.
    """
    from gigawatt.store import RunStore

    result["run_id"] = None
    result["report_path"] = None
    failed: StoreError | None = None
    if save is not None:
        try:
            result["run_id"] = save()
        except StoreError as exc:
            failed = exc
    if report is not None:
        try:
            result["report_path"] = str(report())
        except Exception as exc:
            if result["run_id"]:  # no saved run without its report
                RunStore().delete(result["run_id"])
                result["run_id"] = None
            if isinstance(exc, OSError):
                raise GigawattError(f"--out: cannot write the report: {exc}; the run was not "
                                    "saved") from None
            raise
    return failed
