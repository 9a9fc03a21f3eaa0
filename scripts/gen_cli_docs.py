"""Generate docs/cli.md from the CLI's own --help; ``--check`` fails when the file is stale."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import typer
from docfile import write_or_check

from gigawatt.cli import app

DOC = Path(__file__).resolve().parent.parent / "docs" / "cli.md"
WIDTH = 100


def _sections(command: Any, path: list[str], parent: Any = None) -> list[str]:
    name = " ".join(path)
    ctx = command.make_context(path[-1], [], parent=parent, resilient_parsing=True,
                               terminal_width=WIDTH, max_content_width=WIDTH)
    ctx.info_name = name if parent is None else path[-1]
    out = [f"## `{name}`\n", "```text", command.get_help(ctx).rstrip(), "```\n"]
    for sub_name in getattr(command, "commands", {}):
        out += _sections(command.commands[sub_name], [*path, sub_name], ctx)
    return out


def render() -> str:
    """The whole reference, as Markdown."""
    head = ["# Command-line reference\n",
            "Generated from `--help` by `scripts/gen_cli_docs.py` (`make docs`); a test fails "
            "when this file is stale.\n"]
    return "\n".join(head + _sections(typer.main.get_command(app), ["gigawatt"])) + "\n"


def main() -> int:
    return write_or_check(DOC, render())


if __name__ == "__main__":
    sys.exit(main())
