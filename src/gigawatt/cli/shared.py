"""The Typer application and what every command shares: formats, flags, output."""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

if TYPE_CHECKING:
    from rich.console import Console

from gigawatt.errors import GigawattError, StoreError
from gigawatt.progress import Progress

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


@contextmanager
def progress_bar(label: str, delay_s: float = 1.0) -> Iterator[Progress]:
    """A progress callback that draws a bar (rich) on stderr, never on stdout, so that
    ``--json`` output stays clean. The bar appears only once the work has run ``delay_s``
    and only when stderr is a terminal; ``GIGAWATT_PROGRESS=always`` shows it at once on any
    stderr, ``never`` hides it."""
    from rich.console import Console
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )
    from rich.progress import Progress as Bar

    mode = os.environ.get("GIGAWATT_PROGRESS", "auto")
    err = Console(stderr=True, force_terminal=True if mode == "always" else None)
    start = time.monotonic()
    wait = 0.0 if mode == "always" else delay_s
    state: dict[str, Any] = {}

    def update(done: int, total: int) -> None:
        if mode == "never" or not err.is_terminal:
            return
        if "bar" not in state:
            if time.monotonic() - start < wait:
                return
            bar = Bar(TextColumn(label), BarColumn(), MofNCompleteColumn(),
                      TimeElapsedColumn(), TimeRemainingColumn(), console=err, transient=True)
            bar.start()
            state["bar"], state["task"] = bar, bar.add_task(label, total=total)
        state["bar"].update(state["task"], completed=done, total=total)

    try:
        yield update
    finally:
        if "bar" in state:
            state["bar"].stop()


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
