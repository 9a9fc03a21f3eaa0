"""The ``gigawatt`` command line: thin adapters that parse, call the library, render.

Every command takes ``--json`` (the result on stdout and nothing else) and
answers bad input with one line on stderr and exit code 2. Each command lives in
its own module here and registers itself on :data:`gigawatt.cli.app.app`.
"""

from __future__ import annotations

import os
import sys
from typing import Any

import typer

# Importing a command module registers its commands, in this order in --help.
from gigawatt.cli import (  # noqa: F401  (importing registers the commands)
    catalog,
    compare,
    fabric,
    infer,
    plan,
    reliability,
    runs,
    scenarios,
    serve,
    site,
    sweep,
    train,
)
from gigawatt.cli.app import app
from gigawatt.cli.flags import harden
from gigawatt.errors import GigawattError

__all__ = ["app", "main", "run"]


def run(argv: list[str] | None = None) -> int:
    """Run the CLI in-process and return its exit code; errors become one line on stderr."""
    args = sys.argv[1:] if argv is None else argv
    if not args:
        args = ["--help"]
    command, args, prog = _command(args)
    command = harden(command)
    try:
        code = command.main(args=args, prog_name=prog, standalone_mode=False)
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
    except Exception as exc:  # a bug, not bad input: one line, the traceback on request
        if os.environ.get("GIGAWATT_DEBUG"):
            raise
        sys.stderr.write(f"gigawatt: internal error: {type(exc).__name__}: {exc} (a bug; "
                         "GIGAWATT_DEBUG=1 shows the traceback)\n")
        return 1
    return int(code) if isinstance(code, int) else 0


def _command(args: list[str]) -> tuple[Any, list[str], str]:
    """The click command to run, its arguments and its program name.

    A plain command (``train``, ``plan``) is built alone: building every command's options
    from its signature was a tenth of a short command's run. Groups (``catalog``, ``runs``,
    ``scenarios``), ``--help`` and unknown names go through the whole application.
    """
    for info in app.registered_commands:
        if info.name == args[0] and info.callback is not None:
            single = typer.Typer(add_completion=False, pretty_exceptions_enable=False,
                                 rich_markup_mode=None)
            single.registered_commands.append(info)
            return typer.main.get_command(single), args[1:], f"gigawatt {args[0]}"
    return typer.main.get_command(app), args, "gigawatt"


def main() -> None:
    """Console-script entry point."""
    sys.exit(run())
