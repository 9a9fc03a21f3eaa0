"""The ``gigawatt`` command line: thin adapters that parse, call the library, render.

Every command takes ``--json`` (the result on stdout and nothing else) and
answers bad input with one line on stderr and exit code 2. Each command lives in
its own module here and registers itself on :data:`gigawatt.cli.shared.app`; a plain
command imports only its own module (:func:`run`), and ``gigawatt.cli.app`` is the
application with every command registered.
"""

from __future__ import annotations

import importlib
import os
import sys
from typing import Any

import typer

from gigawatt.cli.flags import harden
from gigawatt.cli.shared import app as _app
from gigawatt.errors import GigawattError

__all__ = ["app", "main", "run"]

MODULES = ("catalog", "compare", "fabric", "infer", "plan", "reliability", "runs", "scenarios",
           "serve", "site", "sweep", "train")
"""The command modules, in their order in ``--help``."""
PLAIN = ("compare", "fabric", "infer", "plan", "reliability", "serve", "site", "sweep",
         "train")
"""The commands that are not groups, each registered by the module of its name."""


def __getattr__(name: str) -> Any:
    if name == "app":
        return full_app()
    raise AttributeError(f"module 'gigawatt.cli' has no attribute {name!r}")


def full_app() -> typer.Typer:
    """The application with every command registered, in :data:`MODULES` order."""
    for module in MODULES:
        importlib.import_module(f"gigawatt.cli.{module}")
    # a command run alone (:func:`run`) registered its module first; --help keeps one order
    _app.registered_commands.sort(key=lambda c: MODULES.index(c.callback.__module__[13:]))
    _app.registered_groups.sort(key=lambda g: MODULES.index(g.name))
    return _app


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
    if args[0] in PLAIN:
        importlib.import_module(f"gigawatt.cli.{args[0]}")
    for info in _app.registered_commands:
        if info.name == args[0] and info.callback is not None:
            single = typer.Typer(add_completion=False, pretty_exceptions_enable=False,
                                 rich_markup_mode=None)
            single.registered_commands.append(info)
            return typer.main.get_command(single), args[1:], f"gigawatt {args[0]}"
    return typer.main.get_command(full_app()), args, "gigawatt"


def main() -> None:
    """Console-script entry point.

    OpenBLAS starts a worker thread per core when numpy loads, and each spins before it
    sleeps: 0.1 CPU s of a 0.5 s command on 2 cores, more on more, for arrays too small to
    share out. A command's process keeps BLAS to one thread unless the user chose otherwise.
    """
    os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
    sys.exit(run())
